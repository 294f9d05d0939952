// gdsweep: hyperparameter sweeps from a YAML study file. Dispatches to one
// command per file (see commands.h).
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/commands.h"

namespace {

constexpr const char* kMainUsage = R"(usage: gdsweep <command> [options]

Commands:
  run STUDY.yaml    run a study to its budget (resumes it if it exists)
  studies           list the studies in a database
  trials            list the trials of a study, filtered by tag or state
  best              show the best trial (or the Pareto front) of a study
  logs N            print (or follow, -f) trial N's stdout or stderr log
  ask STUDY.yaml    create a RUNNING trial and print its parameters as JSON
  tell              record the result of a trial made by ask
  enqueue STUDY.yaml
                    queue points (JSON, CSV) to run before sampled trials
  should-prune STUDY.yaml
                    record a trial's intermediate value; ask the pruner
  render STUDY.yaml print the Kubernetes Job(s) a run would submit, as YAML
  convert FILE      write a Hydra, W&B or Katib sweep config as a study file
  sync              deliver the tracking (MLflow) reports still pending
  report            write a study as one self-contained HTML file
  dashboard         serve every study as live report pages (127.0.0.1)
  export STUDY      write a study's trials as CSV, JSON or a pandas-ready table
  copy              copy a study to another database (--from DB --to DB)
  rename OLD NEW    rename a study
  delete STUDY      delete a study and everything stored of it (--yes)

Run 'gdsweep <command> --help' for the options of a command.
Exit codes: 0 ok, 1 failure, 2 usage or invalid study file, 3 study conflict,
4 not found, 5 no trial completed, 6 remote service failed, 7 should-prune: prune,
130 interrupted.
)";

// Each running trial holds a few descriptors (pipes, pidfd, logs): lift the
// soft limit to the hard one so high parallelism does not run out.
void RaiseFileLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gdsweep::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kMainUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::puts("gdsweep 0.1.0");
    return kExitOk;
  }
  RaiseFileLimit();
  const std::string command = argv[1];
  Args args(argv + 2, argv + argc);
  if (command == "run") return RunCommand(args);
  if (command == "studies") return StudiesCommand(args);
  if (command == "trials") return TrialsCommand(args);
  if (command == "best") return BestCommand(args);
  if (command == "ask") return AskCommand(args);
  if (command == "tell") return TellCommand(args);
  if (command == "should-prune") return ShouldPruneCommand(args);
  if (command == "render") return RenderCommand(args);
  if (command == "sync") return SyncCommand(args);
  if (command == "report") return ReportCommand(args);
  if (command == "dashboard") return DashboardCommand(args);
  if (command == "convert") return ConvertCommand(args);
  if (command == "logs") return LogsCommand(args);
  if (command == "enqueue") return EnqueueCommand(args);
  if (command == "delete") return DeleteCommand(args);
  if (command == "rename") return RenameCommand(args);
  if (command == "copy") return CopyCommand(args);
  if (command == "export") return ExportCommand(args);
  std::fprintf(stderr, "gdsweep: unknown command '%s'\n%s", command.c_str(), kMainUsage);
  return kExitUsage;
}
