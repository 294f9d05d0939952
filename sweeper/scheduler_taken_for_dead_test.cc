// Scheduler and a worker taken for dead: another process requeued its trial
// while it ran, so the result this worker then judges is not recorded; it
// must be neither counted nor named best, whatever the trial became.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>

#include "storage/test_support.h"
#include "sweeper/best.h"
#include "sweeper/scheduler.h"
#include "sweeper/scheduler_test_support.h"

namespace gdsweep {
namespace {

using testing::TempDir;

// The first run of trial 0 prints loss=-100 but, before its exit is seen,
// another process takes the worker for dead and requeues the trial; trial 0's
// second run fails. Every other trial prints loss=<number + 1>.
class TakenForDeadBackend : public Backend {
 public:
  TakenForDeadBackend(Storage& storage, std::string worker_id)
      : storage_(storage), worker_id_(std::move(worker_id)) {}
  Status Start(const TrialLaunch& launch) override {
    pending_.push_back(launch);
    return {};
  }
  Result<std::vector<BackendEvent>> Wait(std::chrono::milliseconds) override {
    std::vector<BackendEvent> events;
    for (const auto& l : pending_) {
      BackendEvent out;
      out.trial_id = l.trial_id;
      BackendEvent exit;
      exit.kind = BackendEvent::Kind::kExited;
      exit.trial_id = l.trial_id;
      if (l.trial_number == 0 && !requeued_) {
        auto requeued = storage_.RequeueTrialsOfWorker(worker_id_, "worker stopped");
        REQUIRE(requeued.ok());
        REQUIRE(requeued->size() == 1);
        requeued_ = true;
        out.line = "loss=-100";
      } else if (l.trial_number == 0) {
        exit.exit_code = 1;
      } else {
        out.line = "loss=" + std::to_string(l.trial_number + 1);
      }
      if (!out.line.empty()) events.push_back(out);
      events.push_back(exit);
    }
    pending_.clear();
    return events;
  }
  void Cancel(int64_t, std::chrono::milliseconds) override {}
  size_t Running() const override { return pending_.size(); }

 private:
  Storage& storage_;
  std::string worker_id_;
  bool requeued_ = false;
  std::vector<TrialLaunch> pending_;
};

TEST_CASE("a worker taken for dead never names as best a trial whose result was not recorded") {
  TempDir dir;
  auto storage = testing::OpenOrDie(dir.File("db.sqlite"));
  const StudySpec spec = testing::SmallSweepSpec(dir, 4, 1);
  auto study = testing::OpenSweepStudy(dir, *storage, spec);
  TakenForDeadBackend backend(*storage, "w-taken");
  std::FILE* quiet = std::fopen("/dev/null", "w");
  REQUIRE(quiet != nullptr);
  Progress progress(spec, quiet, false);
  SchedulerOptions options;
  options.worker_id = "w-taken";
  Scheduler scheduler(*study, backend, progress, options);
  std::atomic<int> signals{0};
  auto summary = scheduler.Run(signals);
  std::fclose(quiet);
  REQUIRE_MESSAGE(summary.ok(), (summary.ok() ? "" : summary.error().message));

  auto trials = storage->ListTrials(study->info().study_id, {});
  REQUIRE(trials.ok());
  REQUIRE(trials->size() == 4);
  CHECK((*trials)[0].state == TrialState::kFail);  // its rerun failed
  // Trial 0's rerun is sometimes requeued once more before it ends (its
  // failure then lost too): how many results were lost varies, what is
  // counted and named best must not.
  CHECK(summary->lost >= 1);
  CHECK(summary->completed == 3);
  CHECK(progress.completed() == 3);
  const std::string status = progress.StatusLine(0);
  CHECK_MESSAGE(status.find("best loss=2.0 (trial 1)") != std::string::npos, status);
  CHECK(status.find("-100") == std::string::npos);
}

}  // namespace
}  // namespace gdsweep
