// gdsweep logs N: print trial N's stdout.log (or stderr.log) from its trial
// folder, and with -f follow it as `tail -f` does until the trial finishes.
// A trial whose log is not on this machine (a Kubernetes Job run elsewhere)
// gets the `kubectl logs` command that reads it from the cluster.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "backends/kubernetes/job_manifest.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/spec/study_parser.h"

namespace gdsweep::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLogsUsage =
    "usage: gdsweep logs N [STUDY.yaml] [--study NAME] [--tag TAG] [--db PATH] [-f]\n"
    "                      [--stderr | --both]\n"
    "Prints trial N's stdout.log from its trial folder (--stderr: its stderr.log; --both:\n"
    "stdout.log on stdout and stderr.log on stderr). With -f, keeps printing what the trial\n"
    "writes until it finishes, as tail -f. The database and study come from STUDY.yaml, or\n"
    "from --db ($GDSWEEP_DB, ./gdsweep.db) and --study. Exits 4 when there is no such\n"
    "trial, or its log is not on this machine (the kubectl command to read it is shown).";

// One log file being printed: where it is, how far it was read, where it goes.
struct LogFile {
  fs::path path;
  std::FILE* to;
  std::uintmax_t offset = 0;
  bool seen = false;  // it existed at some point
};

// Copies what was appended to `log` since the last call. A file that got
// shorter was replaced (the trial ran again): it is read from its start.
void CopyNew(LogFile& log) {
  std::error_code ec;
  const auto size = fs::file_size(log.path, ec);
  if (ec) return;
  if (size < log.offset) {
    std::fprintf(stderr, "gdsweep: %s was replaced (the trial ran again); from its start:\n",
                 log.path.string().c_str());
    log.offset = 0;
  }
  log.seen = true;
  if (size == log.offset) return;
  std::ifstream in(log.path, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(log.offset));
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    const auto n = in.gcount();
    if (n <= 0) break;
    std::fwrite(buffer, 1, static_cast<size_t>(n), log.to);
    log.offset += static_cast<std::uintmax_t>(n);
  }
  std::fflush(log.to);
}

// Where the log of a trial that has none here is: a Kubernetes Job's pods
// (run elsewhere, or still being copied), whose name the trial's identity gives.
std::string KubectlHint(const TrialRecord& t, const std::string& study,
                        const std::optional<StudySpec>& spec) {
  std::string ns;
  if (spec && spec->kubernetes && !spec->kubernetes->namespace_.empty()) {
    ns = " -n " + spec->kubernetes->namespace_;
  }
  return "kubectl logs" + ns + " job/" + JobName(study, t.number, t.trial_id, std::max(1, t.runs));
}

struct Target {
  std::string db_path;
  std::string study;  // empty: the only one in the database
  std::optional<std::string> tag;
  std::optional<StudySpec> spec;
};

Result<Target> TargetOf(const po::variables_map& vm) {
  Target target;
  if (vm.count("tag")) target.tag = vm["tag"].as<std::string>();
  if (vm.count("study-file")) {
    std::vector<SetOverride> sets;
    if (target.tag) sets.emplace_back("tag=" + *target.tag, "--tag " + *target.tag);
    auto spec = ParseStudyFile(vm["study-file"].as<std::string>(), sets);
    if (!spec) return spec.error();
    target.db_path = ResolveDbPath(vm["db"].as<std::string>(), spec->storage);
    target.study = spec->name;
    target.spec = std::move(*spec);
  } else {
    target.db_path = ResolveDbPath(vm["db"].as<std::string>());
  }
  if (!vm["study"].as<std::string>().empty()) target.study = vm["study"].as<std::string>();
  return target;
}

// Trial N as stored now.
Result<TrialRecord> FindTrial(Storage& storage, const StudyInfo& study, int64_t number,
                              const std::optional<std::string>& tag) {
  TrialFilter filter;
  filter.number = number;
  filter.tag = tag;
  auto trials = storage.ListTrials(study.study_id, filter);
  if (!trials) return trials.error();
  if (trials->empty()) {
    return Error::NotFound("study '" + study.name + "' has no trial number " +
                           std::to_string(number) + (tag ? " with tag '" + *tag + "'" : ""));
  }
  return trials->front();
}

bool StillGoing(TrialState s) { return s == TrialState::kRunning || s == TrialState::kWaiting; }

}  // namespace

int LogsCommand(const Args& args) {
  po::options_description options("Options");
  options.add_options()("number", po::value<int64_t>()->required(), "the trial number")(
      "study-file", po::value<std::string>(), "the study file (gives the database and study)")(
      "study", po::value<std::string>()->default_value(""),
      "the study (default: the file's, or the only one in the database)")(
      "tag", po::value<std::string>(), "the sweep tag the trial must have")(
      "db", po::value<std::string>()->default_value(""),
      "database path (default: the file's storage, $GDSWEEP_DB, or ./gdsweep.db)")(
      "follow,f", po::bool_switch(), "keep printing until the trial finishes")(
      "stderr", po::bool_switch(), "print stderr.log instead of stdout.log")(
      "both", po::bool_switch(), "stdout.log on stdout and stderr.log on stderr");
  po::positional_options_description positional;
  positional.add("number", 1).add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kLogsUsage, options, &positional, vm)) return *code;
  if (vm["stderr"].as<bool>() && vm["both"].as<bool>()) {
    std::fprintf(stderr, "gdsweep: --stderr and --both exclude each other\n%s\n", kLogsUsage);
    return kExitUsage;
  }

  auto target = TargetOf(vm);
  if (!target) return Fail(target.error());
  auto storage = OpenExisting(target->db_path);
  if (!storage) return Fail(storage.error());
  auto study = PickStudy(**storage, target->study);
  if (!study) return Fail(study.error());
  const int64_t number = vm["number"].as<int64_t>();
  auto trial = FindTrial(**storage, *study, number, target->tag);
  if (!trial) return Fail(trial.error());
  if (trial->log_path.empty()) {
    return Fail(Error::NotFound("trial " + std::to_string(number) +
                                " has no log folder: it was not run by `gdsweep run` (made by "
                                "`gdsweep ask` or by Optuna)"));
  }

  std::vector<LogFile> logs;
  const fs::path dir = trial->log_path;
  if (!vm["stderr"].as<bool>()) logs.push_back({dir / "stdout.log", stdout});
  if (vm["stderr"].as<bool>() || vm["both"].as<bool>()) {
    logs.push_back({dir / "stderr.log", vm["both"].as<bool>() ? stderr : stdout});
  }
  const bool follow = vm["follow"].as<bool>();
  using Clock = std::chrono::steady_clock;
  auto last_check = Clock::now();
  while (true) {
    for (auto& log : logs) CopyNew(log);
    if (!follow || !StillGoing(trial->state)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (Clock::now() - last_check < std::chrono::milliseconds(500)) continue;
    last_check = Clock::now();
    trial = FindTrial(**storage, *study, number, target->tag);
    if (!trial) return Fail(trial.error());
    // Not StillGoing: one more pass reads what it wrote last.
  }
  if (follow) {
    for (auto& log : logs) CopyNew(log);
  }

  // A missing stdout.log is worth a word; a missing stderr.log means the
  // trial wrote nothing there (local trials), unless nothing is here at all.
  const bool any = std::any_of(logs.begin(), logs.end(), [](const LogFile& l) { return l.seen; });
  const bool wants_stdout = logs.front().path.filename() == "stdout.log";
  if (any && (!wants_stdout || logs.front().seen)) return kExitOk;
  const std::string what = wants_stdout ? "stdout.log" : "stderr.log";
  const bool kubernetes = target->spec && target->spec->backend == "kubernetes";
  if (!wants_stdout && fs::exists(dir / "stdout.log")) {
    std::fprintf(stderr, "gdsweep: trial %lld wrote nothing to stderr (%s does not exist)%s\n",
                 static_cast<long long>(number), (dir / "stderr.log").string().c_str(),
                 kubernetes ? "; a Kubernetes pod's log holds both streams, in stdout.log" : "");
    return kExitOk;
  }
  std::string message = "trial " + std::to_string(number) + " (" + ToString(trial->state) +
                        ") has no " + what + " in " + dir.string();
  if (StillGoing(trial->state) && !kubernetes) {
    message += ": it has not started writing yet (use -f to wait for it)";
  } else {
    message += kubernetes ? ": it ran as a Kubernetes Job and its log copy is not on this machine"
                          : ": it ran on another machine, or as a Kubernetes Job";
    message += "; read it from the cluster with: " + KubectlHint(*trial, study->name, target->spec);
  }
  return Fail(Error::NotFound(message));
}

}  // namespace gdsweep::cli
