// gdsweep run STUDY.yaml: parse, open or resume the study, run the scheduler.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "backends/backend_factory.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/run_report.h"
#include "sweeper/scheduler.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/tracking_session.h"
#include "sweeper/worker.h"

namespace gdsweep::cli {
namespace {

std::atomic<int> g_signals{0};

void OnSignal(int) { g_signals.fetch_add(1); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking wait returns early
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed terminal or a dropped SSH session: stop as for SIGTERM, so the
  // running trials are ended and requeued rather than left orphaned. Unless
  // SIGHUP is ignored (nohup): then the sweep is meant to outlive the terminal.
  struct sigaction hup {};
  if (sigaction(SIGHUP, nullptr, &hup) == 0 && hup.sa_handler != SIG_IGN) {
    sigaction(SIGHUP, &sa, nullptr);
  }
}

constexpr const char* kRunUsage =
    "usage: gdsweep run STUDY.yaml [--set KEY=VALUE ...] [--tag TAG] [--n-trials N]\n"
    "                  [--parallelism N] [--db PATH] [--allow-changes] [--quiet]\n"
    "                  [--command CMD] [--backend local|kubernetes]\n"
    "Runs the study to its budget. STUDY.yaml may also be a Hydra Optuna sweeper config, a\n"
    "W&B sweep config or a Katib Experiment, detected by content and converted as\n"
    "`gdsweep convert` does (--command gives the trial's program, --backend where it runs).\n"
    "Running it again resumes it: finished trials are kept,\n"
    "trials of a dead or stopped run run again. Ctrl-C, SIGTERM or SIGHUP stop cleanly (a\n"
    "second one kills the trials now); the trials stopped run again on the next resume.\n"
    "The sampler is sampler.type; without one, a new study gets auto (it logs what it picks\n"
    "and why) and a resumed study the sampler recorded with it. A resumed study given\n"
    "another sampler.type than its own uses it, with a warning naming both (as Optuna).";

}  // namespace

int RunCommand(const Args& args) {
  po::options_description options("Options");
  options.add_options()("study-file", po::value<std::string>()->required(), "the study file")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a key of the study file, e.g. --set sampler.seed=3 (repeatable)")(
      "tag", po::value<std::string>(), "the sweep tag (overrides the file's tag)")(
      "n-trials", po::value<int64_t>(), "budget of trials for this study and tag")(
      "parallelism", po::value<int>(), "trials running at once")(
      "db", po::value<std::string>()->default_value(""), DbHelp(true).c_str())(
      "allow-changes", po::bool_switch(), "resume even if the search space or objectives changed")(
      "worker-timeout", po::value<double>()->default_value(60),
      "seconds after which a silent worker's trials are retried")(
      "command", po::value<std::string>(),
      "the trial's program and arguments ('python3 app.py' or '[python3, app.py]'), replacing "
      "the file's")("backend", po::value<std::string>(),
                    "where trials run: local or kubernetes (replacing the file's)");
  po::positional_options_description positional;
  positional.add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kRunUsage, options, &positional, vm)) return *code;

  std::vector<SetOverride> sets = StudyOverrides(vm);
  // A flag's errors name the flag, not the key it sets.
  if (vm.count("n-trials")) {
    const std::string n = std::to_string(vm["n-trials"].as<int64_t>());
    sets.emplace_back("budget.n_trials=" + n, "--n-trials " + n);
  }
  if (vm.count("parallelism")) {
    const std::string n = std::to_string(vm["parallelism"].as<int>());
    sets.emplace_back("budget.parallelism=" + n, "--parallelism " + n);
  }
  ConvertOptions convert;
  if (vm.count("command")) {
    auto argv = ParseCommandFlag(vm["command"].as<std::string>());
    if (!argv) return Fail(argv.error());
    convert.command = *argv;
  }
  if (vm.count("backend")) convert.backend = vm["backend"].as<std::string>();
  auto spec = LoadStudyFile(vm["study-file"].as<std::string>(), sets, convert);
  if (!spec) return Fail(spec.error());

  auto made = MakeBackend(*spec);  // local processes or Kubernetes Jobs, as the file says
  if (!made) return Fail(made.error());
  auto backend = std::move(*made);
  auto opened = OpenSpecStudy(*spec, vm["db"].as<std::string>(), vm["allow-changes"].as<bool>(),
                              Durability::kOnSync);
  if (!opened) return Fail(opened.error());
  Study& study = *opened->study;
  spdlog::info("study '{}' tag '{}' in {}{}; trial logs in {}", spec->name, spec->tag,
               RedactDatabaseUrl(opened->db_path), study.info().created ? " (new)" : " (resumed)",
               opened->logs_root);

  const std::string worker_id = ThisWorker(study.info().study_id).worker_id;
  std::unique_ptr<TrackingSession> tracking;
  if (spec->tracking) {
    auto started = TrackingSession::Start(study, opened->db_path, worker_id);
    if (!started) return Fail(started.error());
    tracking = std::move(*started);
  }

  InstallSignalHandlers();
  Progress progress(*spec, stderr, isatty(STDERR_FILENO) != 0);
  SchedulerOptions scheduler_options;
  scheduler_options.worker_timeout_s = vm["worker-timeout"].as<double>();
  scheduler_options.worker_id = worker_id;
  Scheduler scheduler(study, *backend, progress, scheduler_options, tracking.get());
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  auto summary = scheduler.Run(g_signals);
  if (tracking) {
    // Reports still pending stay in the database for the next run or `gdsweep sync`.
    auto delivered = tracking->Finish(std::chrono::seconds(g_signals.load() > 0 ? 5 : 30));
    if (!delivered) return Fail(delivered.error());
    ReportDelivery(*delivered, tracking->target());
  }
  if (!summary) return Fail(summary.error());
  // The study's totals and best as stored (every worker's), this run's share,
  // and why the study is short of its budget if it is.
  auto stored = opened->storage->ListTrials(study.info().study_id, {});
  if (!stored) return Fail(stored.error());
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  for (const auto& line : ClosingLines(*spec, *stored, *summary, worker_id, elapsed)) {
    if (line.warning) {
      spdlog::warn("{}", line.text);
    } else {
      spdlog::info("{}", line.text);
    }
  }
  if (summary->stop == RunSummary::Stop::kInterrupted) {
    spdlog::warn("interrupted; run the same command again to resume");
    return kExitInterrupted;
  }
  if (summary->started > 0 && summary->completed == 0 && summary->pruned == 0) {
    spdlog::error("none of the {} trial(s) of this run completed; see the logs in {}",
                  summary->started, opened->logs_root);
    return kExitNoComplete;
  }
  return kExitOk;
}

}  // namespace gdsweep::cli
