// Scheduler and the pruner: each intermediate value is stored and judged as
// it is read; a pruned trial is recorded PRUNED at once with its value at the
// judged step, told through its prune file before the backend is asked to
// end it (Terminate, with the study's prune grace), and stays PRUNED however
// it then ends, even exiting 0 by itself. Pruned trials use the budget as
// COMPLETE ones do. Driven through a scripted fake backend.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "storage/test_support.h"
#include "sweeper/launch.h"
#include "sweeper/scheduler.h"
#include "sweeper/scheduler_test_support.h"

namespace gdsweep {
namespace {

using testing::TempDir;

// Trial N prints "step=S loss=V" for each value of curves[N % size] (all in
// one Wait), then exits 0 unless `hang`: then it runs until Terminate() or
// Cancel(), and ends as `when_told` says.
class CurveBackend : public Backend {
 public:
  std::vector<std::vector<double>> curves;
  bool hang = false;
  enum class WhenTold { kKilled, kExitsZero } when_told = WhenTold::kKilled;
  struct Told {
    int64_t number = 0;
    std::chrono::milliseconds grace{0};
    std::string prune_file;  // its content when Terminate() came; "" if absent
    bool terminate = false;  // Terminate(), not Cancel()
  };
  std::vector<Told> told;

  Status Start(const TrialLaunch& launch) override {
    Trial t{launch, false};
    trials_[launch.trial_id] = t;
    fresh_.push_back(launch.trial_id);
    return {};
  }
  Result<std::vector<BackendEvent>> Wait(std::chrono::milliseconds) override {
    std::vector<BackendEvent> events;
    for (int64_t id : fresh_) {
      const Trial& t = trials_.at(id);
      const auto& curve = curves[static_cast<size_t>(t.launch.trial_number) % curves.size()];
      for (size_t s = 0; s < curve.size(); ++s) {
        BackendEvent out;
        out.trial_id = id;
        std::ostringstream line;
        line << "step=" << s << " loss=" << curve[s];
        out.line = line.str();
        events.push_back(out);
      }
      if (!hang) events.push_back(Exit(id, 0, false));
    }
    fresh_.clear();
    for (auto it = trials_.begin(); it != trials_.end();) {
      if (it->second.told) {
        events.push_back(when_told == WhenTold::kExitsZero ? Exit(it->first, 0, false)
                                                           : Exit(it->first, 137, true));
        it = trials_.erase(it);
      } else if (!hang) {
        it = trials_.erase(it);
      } else {
        ++it;
      }
    }
    return events;
  }
  void Terminate(int64_t trial_id, std::chrono::milliseconds grace) override {
    Tell(trial_id, grace, true);
  }
  void Cancel(int64_t trial_id, std::chrono::milliseconds grace) override {
    Tell(trial_id, grace, false);
  }
  size_t Running() const override { return trials_.size(); }

 private:
  struct Trial {
    TrialLaunch launch;
    bool told = false;
  };
  static BackendEvent Exit(int64_t id, int code, bool cancelled) {
    BackendEvent e;
    e.kind = BackendEvent::Kind::kExited;
    e.trial_id = id;
    e.exit_code = code;
    e.cancelled = cancelled;
    if (cancelled) e.reason = "cancelled (killed by signal 9 (SIGKILL))";
    return e;
  }
  void Tell(int64_t trial_id, std::chrono::milliseconds grace, bool terminate) {
    auto it = trials_.find(trial_id);
    if (it == trials_.end()) return;
    it->second.told = true;
    std::ifstream in(PruneFilePath(it->second.launch.log_dir));
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    told.push_back({it->second.launch.trial_number, grace, content, terminate});
  }
  std::map<int64_t, Trial> trials_;
  std::vector<int64_t> fresh_;
};

struct PrunedSweep {
  TempDir dir;
  std::unique_ptr<Storage> storage;
  StudySpec spec;
  std::unique_ptr<Study> study;

  PrunedSweep(int n_trials, int parallelism, const std::string& pruner) {
    spec = testing::SmallSweepSpec(dir, n_trials, parallelism, "pruner: " + pruner + "\n");
    spec.trial.prune_grace_seconds = 3;
    storage = testing::OpenOrDie(dir.File("db.sqlite"));
    study = testing::OpenSweepStudy(dir, *storage, spec);
  }
  RunSummary Run(Backend& backend) { return testing::RunQuietly(*study, backend); }
  std::vector<TrialRecord> Trials() { return testing::AllTrials(*study); }
};

TEST_CASE("a pruned trial: PRUNED at the judged step, told by its prune file, then terminated") {
  PrunedSweep sweep(2, 1, "{type: threshold, upper: 1.0}");
  CurveBackend backend;
  // Trial 0 is over the threshold at once; trial 1 at step 1. Neither ends
  // until it is told to.
  backend.curves = {{2.0}, {0.5, 5.0, 0.2, 0.1}};
  backend.hang = true;
  SUBCASE("it ignores the file and is killed") {
    backend.when_told = CurveBackend::WhenTold::kKilled;
  }
  SUBCASE("it exits 0 by itself once told") {
    backend.when_told = CurveBackend::WhenTold::kExitsZero;
  }
  const RunSummary summary = sweep.Run(backend);
  CHECK(summary.pruned == 2);
  CHECK(summary.completed == 0);
  CHECK(summary.failed == 0);
  const auto trials = sweep.Trials();
  REQUIRE(trials.size() == 2);  // pruned trials use the budget
  CHECK(trials[1].state == TrialState::kPruned);
  CHECK(trials[1].values == std::vector<double>{5.0});  // its value at the judged step
  CHECK(trials[1].intermediate == std::map<int64_t, double>{{0, 0.5}, {1, 5.0}});
  CHECK(trials[1].failure_reason == "pruned at step 1");
  CHECK(trials[1].datetime_complete.has_value());
  CHECK(trials[0].state == TrialState::kPruned);
  CHECK(trials[0].failure_reason == "pruned at step 0");
  REQUIRE(backend.told.size() == 2);
  for (const auto& t : backend.told) {
    CAPTURE(t.number);
    CHECK(t.terminate);
    CHECK(t.grace == std::chrono::milliseconds(3000));
  }
  CHECK(backend.told[1].prune_file == "pruned at step 1\n");  // written before Terminate()
  auto runs = sweep.storage->ListTrialRuns(trials[1].trial_id);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().outcome == "PRUNED");
}

TEST_CASE("a trial that reports nothing the pruner dislikes completes; no prune file appears") {
  PrunedSweep sweep(3, 2, "{type: threshold, upper: 10.0}");
  CurveBackend backend;
  backend.curves = {{0.5, 0.4, 0.3}};
  const RunSummary summary = sweep.Run(backend);
  CHECK(summary.completed == 3);
  CHECK(summary.pruned == 0);
  CHECK(backend.told.empty());
  for (const auto& t : sweep.Trials()) {
    CAPTURE(t.number);
    CHECK(t.state == TrialState::kComplete);
    CHECK(t.values == std::vector<double>{0.3});
    CHECK(t.intermediate.size() == 3);
    CHECK_FALSE(std::filesystem::exists(PruneFilePath(sweep.study->TrialDir(t.number))));
  }
}

TEST_CASE("the median pruner stops the trials worse than the median of completed ones") {
  // Trials 0-2 complete (good curves); 3 and 4 are worse at step 1 than the
  // median of 0-2 there, so they are pruned at step 1; 5 is better and completes.
  PrunedSweep sweep(6, 1, "{type: median, n_startup_trials: 3}");
  CurveBackend backend;
  backend.curves = {{1.0, 0.5, 0.2}, {1.0, 0.6, 0.3}, {1.0, 0.7, 0.4},
                    {1.0, 0.9, 0.8}, {1.0, 0.8, 0.1}, {1.0, 0.4, 0.1}};
  const RunSummary summary = sweep.Run(backend);
  CHECK(summary.completed == 4);
  CHECK(summary.pruned == 2);
  const auto trials = sweep.Trials();
  REQUIRE(trials.size() == 6);
  for (int n : {3, 4}) {
    CAPTURE(n);
    CHECK(trials[n].state == TrialState::kPruned);
    CHECK(trials[n].failure_reason == "pruned at step 1");
    CHECK(trials[n].intermediate.size() == 2);  // step 2 was never stored
  }
  CHECK(trials[5].state == TrialState::kComplete);
  CHECK(trials[5].values == std::vector<double>{0.1});
}

}  // namespace
}  // namespace gdsweep
