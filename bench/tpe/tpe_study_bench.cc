// bench/tpe: time per ask+tell through gdsweep::Study on a SQLite database,
// the path `gdsweep run` and `gdsweep ask/tell` take: Study::Ask (history
// refresh + TPE + insert, one transaction) then Study::Tell (one transaction),
// every commit fsync'd (WAL, synchronous=FULL, the default), and again
// without the fsync (synchronous=NORMAL, what is left is gdsweep's). And the
// `gdsweep ask` / `gdsweep tell` command round trip, process start included,
// beside the raw cost of spawning /bin/true and `gdsweep --version`. JSON on
// stdout.
//
//   tpe_study_bench [--sizes 100,1000,10000] [--dims 2,10] [--asks 30]
//                   [--multivariate] [--dir DIR]
//                   [--gdsweep PATH --cli-size 1000 --cli-dims 10 --cli-trials 20]
//
// Each (dims, N) gets a fresh database in DIR (default: a temp dir) holding
// one study of N COMPLETE trials of the sphere on [-5, 5]^dims, pre-filled
// through Study::Ask/Tell with a random sampler on a second connection
// without fsync (the same rows, only faster to write). The timed study then
// opens the file as `gdsweep ask` would; its first ask (cold: the whole
// history read and transformed) is reported apart.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/study.h"

extern char** environ;

namespace gdsweep::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tpe_study_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(Result<T> r, const char* what) {
  if (!r) Die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}

void Check(const Status& s, const char* what) {
  if (!s) Die(std::string(what) + ": " + s.error().message);
}

std::vector<int> ParseList(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    p = std::strchr(p, ',');
    if (!p) break;
    ++p;
  }
  return out;
}

struct Stats {
  double median = 0, mean = 0, min = 0;
};

Stats Summarise(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  Stats s;
  for (double v : ms) s.mean += v / static_cast<double>(ms.size());
  s.median = ms[ms.size() / 2];
  s.min = ms[0];
  return s;
}

// The study file `gdsweep ask` reads: the sphere over `dims` floats.
std::string StudyYaml(int dims, bool multivariate) {
  std::string y = "study_name: sphere\nobjective: {metric: value, direction: minimize}\n";
  y += "search_space:\n";
  for (int i = 0; i < dims; ++i) {
    y += "  x" + std::to_string(i) + ": {type: float, low: -5, high: 5}\n";
  }
  y += std::string("sampler: {type: tpe, seed: 1, multivariate: ") +
       (multivariate ? "true" : "false") + "}\n";
  y += "trial: {command: [/bin/true]}\n";
  return y;
}

double Sphere(const Params& p) {
  double s = 0;
  for (const auto& [name, v] : p) s += v * v;
  return s;
}

TrialOutcome Complete(double value) {
  TrialOutcome o;
  o.state = TrialState::kComplete;
  o.values = {value};
  return o;
}

// Runs argv to completion, its stdout returned; dies unless it exits 0.
std::string Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) Die("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (err != 0) Die("cannot start " + args[0] + ": " + std::strerror(err));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die(args[0] + " " + args[1] + " failed");
  return out;
}

// `gdsweep ask` prints {"study": .., "number": N, "trial_id": .., "params": {"x0": v, ..}}:
// the number and the sphere of the params, without a JSON library.
void ParseAsk(const std::string& json, long long* number, double* value) {
  size_t at = json.find("\"number\":");
  size_t params = json.find("\"params\":");
  if (at == std::string::npos || params == std::string::npos) Die("unexpected ask output " + json);
  *number = std::atoll(json.c_str() + at + 9);
  *value = 0;
  for (size_t p = params + 8; (p = json.find(':', p + 1)) != std::string::npos;) {
    double v = std::strtod(json.c_str() + p + 1, nullptr);
    *value += v * v;
  }
}

struct Row {
  int n = 0, dims = 0, asks = 0;
  double prefill_s = 0, cold_ms = 0;
  Stats total, ask, tell;
  Stats no_fsync;  // ask+tell on a connection with synchronous=NORMAL
};

// A database of `n` COMPLETE random trials of the sphere, written through
// Study::Ask/Tell with a random sampler and no fsync.
void Prefill(const std::string& db, StudySpec spec, int n) {
  SqliteOptions fast;
  fast.path = db;
  fast.synchronous_full = false;
  auto storage = Check(OpenSqliteStorage(fast), "open (prefill)");
  spec.sampler.type = "random";
  spec.sampler.seed = 12345;
  auto study = Check(Study::Open(*storage, spec, {}), "open study (prefill)");
  for (int k = 0; k < n; ++k) {
    auto asked = Check(study->Ask("prefill"), "prefill ask");
    Check(study->Tell(asked.trial.trial_id, Complete(Sphere(asked.trial.params))), "prefill tell");
  }
}

// `asks` + 1 ask+tell pairs on `study`, the first (cold) apart.
void TimeAskTell(Study& study, int asks, double* cold_ms, std::vector<double>* total,
                 std::vector<double>* ask_ms, std::vector<double>* tell_ms) {
  for (int a = 0; a <= asks; ++a) {
    auto start = Clock::now();
    auto asked = Check(study.Ask("bench"), "ask");
    const double asked_ms = MsSince(start);
    auto told = Clock::now();
    Check(study.Tell(asked.trial.trial_id, Complete(Sphere(asked.trial.params))), "tell");
    const double tell = MsSince(told), both = MsSince(start);
    if (a == 0) {
      *cold_ms = both;
      continue;
    }
    total->push_back(both);
    ask_ms->push_back(asked_ms);
    tell_ms->push_back(tell);
  }
}

Row Measure(const std::string& dir, const StudySpec& spec, int n, int dims, int asks) {
  Row row{n, dims, asks};
  const std::string db = dir + "/bench.db";
  auto t0 = Clock::now();
  Prefill(db, spec, n);
  row.prefill_s = MsSince(t0) / 1000;

  SqliteOptions options;  // as `gdsweep run` / `gdsweep ask` open it
  options.path = db;
  std::vector<double> total, ask_ms, tell_ms;
  {
    auto storage = Check(OpenSqliteStorage(options), "open");
    auto study = Check(Study::Open(*storage, spec, {}), "open study");
    TimeAskTell(*study, asks, &row.cold_ms, &total, &ask_ms, &tell_ms);
  }
  row.total = Summarise(total);
  row.ask = Summarise(ask_ms);
  row.tell = Summarise(tell_ms);
  // The same without waiting for the disk: what is left is gdsweep's.
  options.synchronous_full = false;
  auto storage = Check(OpenSqliteStorage(options), "open (no fsync)");
  auto study = Check(Study::Open(*storage, spec, {}), "open study (no fsync)");
  double cold;
  total.clear();
  ask_ms.clear();
  tell_ms.clear();
  TimeAskTell(*study, asks, &cold, &total, &ask_ms, &tell_ms);
  row.no_fsync = Summarise(total);
  return row;
}

struct CliRow {
  int n = 0, dims = 0, trials = 0;
  Stats ask, tell, total;
  Stats spawn;    // /bin/true
  Stats version;  // gdsweep --version: starting the binary, no work
};

// The command-line round trip on the database Measure left: `gdsweep ask`,
// then `gdsweep tell` with the sphere of the proposed params.
CliRow MeasureCli(const std::string& gdsweep, const std::string& dir, int n, int dims, int trials) {
  const std::string study_file = dir + "/study.yaml", db = dir + "/bench.db";
  std::vector<double> ask_ms, tell_ms, total, spawn_ms, version_ms;
  for (int t = 0; t < trials; ++t) {
    auto start = Clock::now();
    std::string out = Spawn({gdsweep, "ask", study_file, "--db", db});
    const double asked = MsSince(start);
    long long number;
    double value;
    ParseAsk(out, &number, &value);
    auto told = Clock::now();
    char v[64];
    std::snprintf(v, sizeof v, "%.17g", value);
    Spawn({gdsweep, "tell", "--trial", std::to_string(number), "--values", v, "--db", db});
    tell_ms.push_back(MsSince(told));
    ask_ms.push_back(asked);
    total.push_back(MsSince(start));
  }
  for (int t = 0; t < 10 * trials; ++t) {
    auto start = Clock::now();
    Spawn({"/bin/true", "x"});
    spawn_ms.push_back(MsSince(start));
    start = Clock::now();
    Spawn({gdsweep, "--version"});
    version_ms.push_back(MsSince(start));
  }
  return {n,
          dims,
          trials,
          Summarise(ask_ms),
          Summarise(tell_ms),
          Summarise(total),
          Summarise(spawn_ms),
          Summarise(version_ms)};
}

int Main(int argc, char** argv) {
  std::vector<int> sizes = {100, 1000, 10000}, dims = {2, 10};
  int asks = 30, cli_size = 1000, cli_dims = 10, cli_trials = 20;
  bool multivariate = false;
  std::string gdsweep, root;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--multivariate") {
      multivariate = true;
      continue;
    }
    if (i + 1 >= argc) Die("missing value after " + a);
    const char* v = argv[++i];
    if (a == "--sizes") {
      sizes = ParseList(v);
    } else if (a == "--dims") {
      dims = ParseList(v);
    } else if (a == "--asks") {
      asks = std::atoi(v);
    } else if (a == "--dir") {
      root = v;
    } else if (a == "--gdsweep") {
      gdsweep = v;
    } else if (a == "--cli-size") {
      cli_size = std::atoi(v);
    } else if (a == "--cli-dims") {
      cli_dims = std::atoi(v);
    } else if (a == "--cli-trials") {
      cli_trials = std::atoi(v);
    } else {
      Die("unknown option " + a);
    }
  }
  if (asks < 1) Die("--asks must be 1 or more");
  if (root.empty()) {
    char tmpl[] = "/tmp/tpe_study_bench.XXXXXX";
    if (!mkdtemp(tmpl)) Die("mkdtemp failed");
    root = tmpl;
  }
  std::vector<Row> rows;
  std::optional<CliRow> cli;
  for (int d : dims) {
    for (int n : sizes) {
      const std::string dir = root + "/d" + std::to_string(d) + "-n" + std::to_string(n);
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      std::ofstream(dir + "/study.yaml") << StudyYaml(d, multivariate);
      StudySpec spec = Check(ParseStudyFile(dir + "/study.yaml"), "study file");
      rows.push_back(Measure(dir, spec, n, d, asks));
      std::fprintf(stderr, "gdsweep sqlite: n=%d dims=%d %.3f ms\n", n, d,
                   rows.back().total.median);
      if (!gdsweep.empty() && n == cli_size && d == cli_dims) {
        cli = MeasureCli(gdsweep, dir, n, d, cli_trials);
      }
      std::filesystem::remove_all(dir);
    }
  }
  std::printf("{\"kind\": \"study_speed\", \"impl\": \"gdsweep\", \"multivariate\": %s,\n",
              multivariate ? "true" : "false");
  if (cli) {
    std::printf(
        "\"cli\": {\"n\": %d, \"dims\": %d, \"trials\": %d, \"ms_ask_median\": %.4f, "
        "\"ms_tell_median\": %.4f, \"ms_roundtrip_median\": %.4f, \"ms_true_median\": %.4f, "
        "\"ms_version_median\": %.4f},\n",
        cli->n, cli->dims, cli->trials, cli->ask.median, cli->tell.median, cli->total.median,
        cli->spawn.median, cli->version.median);
  }
  std::printf("\"rows\": [\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::printf(
        "  {\"n\": %d, \"dims\": %d, \"asks\": %d, \"ms_median\": %.6f, \"ms_mean\": %.6f, "
        "\"ms_min\": %.6f, \"ms_cold\": %.6f, \"ms_ask_median\": %.6f, \"ms_tell_median\": %.6f, "
        "\"ms_no_fsync_median\": %.6f, \"prefill_s\": %.3f}%s\n",
        r.n, r.dims, r.asks, r.total.median, r.total.mean, r.total.min, r.cold_ms, r.ask.median,
        r.tell.median, r.no_fsync.median, r.prefill_s, i + 1 < rows.size() ? "," : "");
  }
  std::printf("]}\n");
  if (root.rfind("/tmp/tpe_study_bench.", 0) == 0) std::filesystem::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace gdsweep::bench

int main(int argc, char** argv) { return gdsweep::bench::Main(argc, argv); }
