// Scheduler and durability: results are committed without a disk flush and
// synced in groups (SchedulerOptions::sync_delay), a trial's end is shown only
// after the sync that covers it, and a backend whose launches outlive the
// process starts one only once its trial is on disk. Observed through a
// Storage that logs each Sync() with what was committed by then, in the same
// spdlog stream as the scheduler's own lines.
#include "sweeper/scheduler.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "storage/storage_wrapper_test_support.h"
#include "storage/test_support.h"
#include "sweeper/scheduler_test_support.h"

namespace gdsweep {
namespace {

using testing::TempDir;

// Every Sync() logs "synced: trials a,b finished c" (numbers) as the
// database has them when the sync is made.
class SyncLog : public testing::StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Status Sync() override {
    if (auto s = StorageWrapper::Sync(); !s) return s;
    ++syncs;
    std::string existing, finished;
    for (int64_t id : study_ids) {
      auto trials = ListTrials(id, {});
      REQUIRE(trials.ok());
      for (const auto& t : *trials) {
        existing += std::to_string(t.number) + ",";
        if (IsFinished(t.state)) finished += std::to_string(t.number) + ",";
      }
    }
    spdlog::info("synced: trials {} finished {}", existing, finished);
    return {};
  }
  std::vector<int64_t> study_ids;
  int syncs = 0;
};

// Trials that print their objective and exit 0 at once; Start logs
// "started trial N", Release "released trial N".
class InstantBackend : public Backend {
 public:
  explicit InstantBackend(bool outlives) : outlives_(outlives) {}
  Status Start(const TrialLaunch& launch) override {
    spdlog::info("started trial {}", launch.trial_number);
    started_.push_back(launch);
    numbers_[launch.trial_id] = launch.trial_number;
    return {};
  }
  void Release(int64_t trial_id) override {
    spdlog::info("released trial {}", numbers_.at(trial_id));
  }
  Result<std::vector<BackendEvent>> Wait(std::chrono::milliseconds) override {
    std::vector<BackendEvent> events;
    for (const auto& l : started_) {
      BackendEvent out;
      out.trial_id = l.trial_id;
      out.line = "loss=" + std::to_string(l.trial_number);
      events.push_back(out);
      BackendEvent exit;
      exit.kind = BackendEvent::Kind::kExited;
      exit.trial_id = l.trial_id;
      events.push_back(exit);
    }
    started_.clear();
    return events;
  }
  void Cancel(int64_t, std::chrono::milliseconds) override {}
  size_t Running() const override { return started_.size(); }
  bool LaunchesOutliveProcess() const override { return outlives_; }

 private:
  bool outlives_;
  std::vector<TrialLaunch> started_;
  std::map<int64_t, int64_t> numbers_;
};

// The spdlog lines written while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    sink->set_pattern("%v");
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    std::istringstream in(text_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

// The numbers listed after `word` in a "synced: trials .. finished .." line.
std::set<int64_t> Listed(const std::string& line, const std::string& word) {
  std::set<int64_t> out;
  auto at = line.find(word + " ");
  if (at == std::string::npos) return out;
  std::istringstream in(line.substr(at + word.size() + 1));
  std::string list;
  in >> list;
  std::istringstream items(list);
  for (std::string n; std::getline(items, n, ',');) {
    if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) {
      out.insert(std::stoll(n));
    }
  }
  return out;
}

// The number after `prefix` at the start of `line`, if it starts so.
std::optional<int64_t> NumberAfter(const std::string& line, const std::string& prefix) {
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  return std::stoll(line.substr(prefix.size()));
}

struct Sweep {
  TempDir dir;
  std::unique_ptr<Storage> inner;
  std::unique_ptr<SyncLog> storage;
  StudySpec spec;
  std::unique_ptr<Study> study;

  explicit Sweep(int n_trials, int parallelism) {
    spec = testing::SmallSweepSpec(dir, n_trials, parallelism);
    inner = testing::OpenOrDie(dir.File("db.sqlite"));  // commits are not synced
    storage = std::make_unique<SyncLog>(*inner);
    study = testing::OpenSweepStudy(dir, *storage, spec);
    storage->study_ids.push_back(study->info().study_id);
  }

  // Runs the sweep to its budget, every trial COMPLETE; returns the log lines.
  std::vector<std::string> RunLogged(Backend& backend, std::chrono::milliseconds sync_delay) {
    CapturedLog log;
    const RunSummary summary = Run(backend, sync_delay);
    CHECK(summary.completed == *spec.budget.n_trials);
    return log.Lines();
  }

  RunSummary Run(Backend& backend, std::chrono::milliseconds sync_delay) {
    std::FILE* quiet = std::fopen("/dev/null", "w");
    REQUIRE(quiet != nullptr);
    Progress progress(spec, quiet, false);
    SchedulerOptions options;
    options.sync_delay = sync_delay;
    Scheduler scheduler(*study, backend, progress, options);
    std::atomic<int> signals{0};
    auto summary = scheduler.Run(signals);
    std::fclose(quiet);
    REQUIRE_MESSAGE(summary.ok(), (summary.ok() ? "" : summary.error().message));
    return *summary;
  }
};

TEST_CASE("a trial's end is announced only after a sync that covers its result") {
  for (auto delay : {std::chrono::milliseconds(0), std::chrono::milliseconds(20)}) {
    CAPTURE(delay.count());
    Sweep sweep(12, 2);
    InstantBackend backend(false);
    std::set<int64_t> durable;
    int announced = 0;
    for (const auto& line : sweep.RunLogged(backend, delay)) {
      if (line.rfind("synced:", 0) == 0) durable = Listed(line, "finished");
      if (auto n = NumberAfter(line, "trial "); n && line.find(" COMPLETE ") != std::string::npos) {
        CAPTURE(line);
        CHECK(durable.count(*n) == 1);
        ++announced;
      }
    }
    CHECK(announced == 12);
    // Every result is on disk when Run returns.
    CHECK(durable.size() == 12);
    CHECK(sweep.storage->syncs >= 1);
  }
}

TEST_CASE("one sync covers the commits made within sync_delay") {
  Sweep eager(40, 2);
  InstantBackend a(false);
  eager.Run(a, std::chrono::milliseconds(0));
  Sweep grouped(40, 2);
  InstantBackend b(false);
  grouped.Run(b, std::chrono::milliseconds(60000));
  // Without a delay every round of the loop that committed syncs; with a
  // long one the sweep syncs once, at its end.
  CHECK(eager.storage->syncs >= 20);
  CHECK(grouped.storage->syncs == 1);
}

TEST_CASE("a launch that outlives the process starts only once its trial is on disk") {
  Sweep sweep(8, 2);
  InstantBackend backend(true);
  std::set<int64_t> durable;
  int started = 0;
  // Even with a long delay: a Job must never exist for a forgotten trial.
  for (const auto& line : sweep.RunLogged(backend, std::chrono::milliseconds(60000))) {
    if (line.rfind("synced:", 0) == 0) durable = Listed(line, "trials");
    if (auto n = NumberAfter(line, "started trial ")) {
      CAPTURE(line);
      CHECK(durable.count(*n) == 1);
      ++started;
    }
  }
  CHECK(started == 8);
}

TEST_CASE("a launch is released only after the sync that makes its result durable") {
  // Kubernetes deletes a finished Job on Release: before the sync, a kill -9
  // would have lost the result with it.
  Sweep sweep(10, 3);
  InstantBackend backend(true);
  std::set<int64_t> durable;
  std::set<int64_t> released;
  for (const auto& line : sweep.RunLogged(backend, std::chrono::milliseconds(20))) {
    if (line.rfind("synced:", 0) == 0) durable = Listed(line, "finished");
    if (auto n = NumberAfter(line, "released trial ")) {
      CAPTURE(line);
      CHECK(durable.count(*n) == 1);
      CHECK(released.insert(*n).second);  // once each
    }
  }
  CHECK(released.size() == 10);
}

// Resources that come free only now and then (local GPUs still held by the
// dying processes of ended trials): ready at every third question.
class GatedBackend : public InstantBackend {
 public:
  GatedBackend() : InstantBackend(false) {}
  bool ReadyToStart() override {
    last_ready = ++asked % 3 == 0;
    return last_ready;
  }
  Status Start(const TrialLaunch& launch) override {
    if (!last_ready) ++started_unready;
    last_ready = false;  // one start per free slot
    return InstantBackend::Start(launch);
  }
  int asked = 0;
  int started_unready = 0;
  bool last_ready = false;
};

TEST_CASE("no trial is claimed while the backend is not ready, and the run waits for it") {
  for (int parallelism : {1, 3}) {
    CAPTURE(parallelism);
    Sweep sweep(9, parallelism);
    GatedBackend backend;
    const RunSummary summary = sweep.Run(backend, std::chrono::milliseconds(0));
    // With nothing running and the backend not ready, the run does not end.
    CHECK(summary.completed == 9);
    CHECK(backend.started_unready == 0);
    CHECK(backend.asked >= 27);
    auto trials = sweep.storage->ListTrials(sweep.study->info().study_id, {});
    REQUIRE(trials.ok());
    CHECK(trials->size() == 9);  // none claimed and left waiting
  }
}

}  // namespace
}  // namespace gdsweep
