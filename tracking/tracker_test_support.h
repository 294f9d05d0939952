// Tests only: a temporary SQLite database holding one study whose (study,
// sweep tag) has a tracking target, trials made through Storage as `gdsweep
// run` makes them (Ask, ReportIntermediate, FinishTrial), database faults
// (on StorageWrapper), and readers of the fake MLflow server's runs.
// Not thread-safe.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/storage.h"
#include "storage/storage_wrapper_test_support.h"

namespace gdsweep::testing {

// A crash after the server did the work and before storage recorded it:
// every SettleOutbox fails and records nothing.
class UnsettledStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Status SettleOutbox(int64_t, const std::string&, const OutboxUpdate&) override {
    return Error::Io("disk I/O error (injected)");
  }
};

struct TrackedStudyOptions {
  std::string study = "s";
  std::string tag = "sweep-1";
  std::string tag_key = "hptuning_tag";
  std::string experiment = "exp";
  std::vector<Objective> objectives = {{"loss", Direction::kMinimize}};
  bool values_from_tracking = false;
  // The second choice of "opt" (trials with an odd number take it).
  std::string second_choice = "sgd";
  // The name of the categorical parameter ("opt"); MLflow refuses some names.
  std::string opt_name = "opt";
};

// A study with lr (log float), layers (int) and opt (categorical) in a fresh
// database file, with a tracking target at `uri` for its tag.
class TrackedStudy {
 public:
  explicit TrackedStudy(const std::string& uri, TrackedStudyOptions o = {}) : o_(std::move(o)) {
    namespace fs = std::filesystem;
    std::string t = (fs::temp_directory_path() / "gdsweep-tracking-XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    dir_ = t;
    storage_ = Open();
    StudyRegistration reg;
    reg.name = o_.study;
    reg.objectives = o_.objectives;
    reg.space = {
        {"lr", FloatDistribution{1e-4, 1.0, true, std::nullopt}},
        {"layers", IntDistribution{1, 8, false, 1}},
        {o_.opt_name,
         CategoricalDistribution{{Choice{std::string("adam")}, Choice{o_.second_choice}}}},
    };
    reg.spec_json = "{}";
    reg.seed = 1;
    auto info = storage_->OpenStudy(reg);
    REQUIRE_MESSAGE(info.ok(), (info.ok() ? "" : info.error().message));
    study_ = *info;
    TrackingTarget target;
    target.uri = uri;
    target.experiment = o_.experiment;
    target.tag_key = o_.tag_key;
    target.values_from_tracking = o_.values_from_tracking;
    target_ = SetTarget(o_.tag, target);
  }
  ~TrackedStudy() {
    storage_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TrackedStudy(const TrackedStudy&) = delete;
  TrackedStudy& operator=(const TrackedStudy&) = delete;

  std::string path() const { return (dir_ / "gdsweep.db").string(); }
  // Another connection to the same file.
  std::unique_ptr<Storage> Open() const {
    SqliteOptions so;
    so.path = path();
    so.synchronous_full = false;
    so.busy_timeout_ms = 20000;
    auto s = OpenSqliteStorage(so);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    return std::move(*s);
  }
  Storage& storage() { return *storage_; }
  const StudyInfo& study() const { return study_; }
  const TrackingTarget& target() const { return target_; }
  const std::string& tag() const { return o_.tag; }

  TrackingTarget SetTarget(const std::string& tag, const TrackingTarget& target) {
    auto stored = storage_->SetTrackingTarget(study_.study_id, tag, target);
    REQUIRE_MESSAGE(stored.ok(), (stored.ok() ? "" : stored.error().message));
    return *stored;
  }

  // A RUNNING trial of `tag` (default: the study's): the oldest WAITING one,
  // else a new one with lr = 0.001 * (number + 1), layers = 1 + number % 8,
  // opt = adam for even numbers.
  TrialRecord Start(const std::string& tag = "") {
    AskRequest req;
    req.study_id = study_.study_id;
    req.tag = tag.empty() ? o_.tag : tag;
    req.worker_id = "w1";
    req.log_path_for = [](int64_t n) { return "/logs/trial-" + std::to_string(n); };
    auto r = storage_->Ask(req, history_, [this](const TrialHistory&, int64_t n) {
      return Result<std::optional<Params>>(
          std::optional<Params>(Params{{"lr", 0.001 * double(n + 1)},
                                       {"layers", double(1 + n % 8)},
                                       {o_.opt_name, double(n % 2)}}));
    });
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    REQUIRE(r->kind == AskResult::Kind::kTrial);
    return r->trial;
  }
  void Report(const TrialRecord& t, const std::map<int64_t, double>& values,
              const std::map<int64_t, double>& times = {}) {
    auto s = storage_->ReportIntermediate(t.trial_id, values, times);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  }
  void Finish(const TrialRecord& t, TrialState state, std::vector<double> values = {},
              const std::string& reason = "",
              TrialOutcome::Requeue requeue = TrialOutcome::Requeue::kNo) {
    TrialOutcome o;
    o.state = state;
    o.values = std::move(values);
    o.failure_reason = reason;
    o.requeue = requeue;
    auto s = storage_->FinishTrial(t.trial_id, o);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  }
  OutboxCounts Counts() {
    auto c = storage_->CountOutbox(study_.study_id, o_.tag);
    REQUIRE(c.ok());
    return *c;
  }
  std::optional<TrackingRun> RunOf(int64_t trial_id) {
    auto r = storage_->GetTrackingRun(study_.study_id, o_.tag, trial_id);
    REQUIRE(r.ok());
    return *r;
  }
  TrialRecord Trial(int64_t number) {
    TrialFilter f;
    f.number = number;
    auto t = storage_->ListTrials(study_.study_id, f);
    REQUIRE(t.ok());
    REQUIRE(t->size() == 1);
    return t->front();
  }

 private:
  TrackedStudyOptions o_;
  std::filesystem::path dir_;
  std::unique_ptr<Storage> storage_;
  StudyInfo study_;
  TrackingTarget target_;
  TrialHistory history_;
};

// A run of the fake's /fake-admin/state, with its lists as maps.
struct StoredRun {
  std::string run_id, run_name, status, experiment_id;
  int64_t start_time = 0;
  std::optional<int64_t> end_time;
  std::map<std::string, std::string> params, tags;
  // key -> points as [step, timestamp, value as JSON ("NaN" for NaN)]
  std::map<std::string, std::vector<nlohmann::json>> history;
};

inline std::vector<StoredRun> ReadRuns(const nlohmann::json& runs) {
  std::vector<StoredRun> out;
  for (const auto& r : runs) {
    if (r["info"].value("lifecycle_stage", "active") != "active") continue;
    StoredRun s;
    const auto& info = r["info"];
    s.run_id = info.value("run_id", "");
    s.run_name = info.value("run_name", "");
    s.status = info.value("status", "");
    s.experiment_id = info.value("experiment_id", "");
    s.start_time = info.value("start_time", int64_t(0));
    if (info.contains("end_time")) s.end_time = info["end_time"].get<int64_t>();
    const auto data = r.value("data", nlohmann::json::object());
    for (const auto& p : data.value("params", nlohmann::json::array())) {
      s.params[p["key"]] = p["value"];
    }
    for (const auto& t : data.value("tags", nlohmann::json::array())) {
      s.tags[t["key"]] = t["value"];
    }
    const auto histories = r.value("metric_history", nlohmann::json::object());
    for (const auto& [key, points] : histories.items()) {
      for (const auto& p : points) {
        s.history[key].push_back(nlohmann::json::array({p["step"], p["timestamp"], p["value"]}));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gdsweep::testing
