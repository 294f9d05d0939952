// Tests only: a Storage that forwards every call to another, for tests to
// override the calls they observe or break (a fault, a record of syncs).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/storage.h"
#include "storage/study_dump.h"

namespace gdsweep::testing {

// Forwards every call to another Storage; override what a test must break.
class StorageWrapper : public Storage {
 public:
  explicit StorageWrapper(Storage& inner) : inner_(inner) {}
  Result<StudyInfo> OpenStudy(const StudyRegistration& r) override { return inner_.OpenStudy(r); }
  Result<StudyInfo> GetStudy(const std::string& n) override { return inner_.GetStudy(n); }
  Result<std::vector<StudySummary>> ListStudies() override { return inner_.ListStudies(); }
  Result<AskResult> Ask(const AskRequest& r, TrialHistory& h, const SampleFn& s) override {
    return inner_.Ask(r, h, s);
  }
  Status RefreshHistory(int64_t s, TrialHistory& h) override { return inner_.RefreshHistory(s, h); }
  Status FinishTrial(int64_t t, const TrialOutcome& o) override { return inner_.FinishTrial(t, o); }
  Status ReportIntermediate(int64_t t, const std::map<int64_t, double>& v,
                            const std::map<int64_t, double>& times = {}) override {
    return inner_.ReportIntermediate(t, v, times);
  }
  Result<ReportResult> ReportAndJudge(const ReportRequest& r, TrialHistory& h,
                                      const JudgeFn& j) override {
    return inner_.ReportAndJudge(r, h, j);
  }
  Result<std::vector<TrialRecord>> ListTrials(int64_t s, const TrialFilter& f) override {
    return inner_.ListTrials(s, f);
  }
  Result<SearchSpace> ListParams(int64_t s) override { return inner_.ListParams(s); }
  Status Sync() override { return inner_.Sync(); }
  Status RegisterWorker(const WorkerInfo& w) override { return inner_.RegisterWorker(w); }
  Status Heartbeat(const std::string& w, double now) override { return inner_.Heartbeat(w, now); }
  Result<std::vector<WorkerInfo>> ListWorkers(int64_t s) override { return inner_.ListWorkers(s); }
  Status RemoveWorker(const std::string& w) override { return inner_.RemoveWorker(w); }
  Result<std::vector<TrialRecord>> RequeueTrialsOfWorker(const std::string& w,
                                                         const std::string& r) override {
    return inner_.RequeueTrialsOfWorker(w, r);
  }
  Status RecordRunProcesses(const std::vector<RunProcess>& p) override {
    return inner_.RecordRunProcesses(p);
  }
  Result<std::vector<TrialRun>> ListTrialRuns(int64_t t) override {
    return inner_.ListTrialRuns(t);
  }
  Status AdoptTrial(int64_t t, const std::string& from, const std::string& to) override {
    return inner_.AdoptTrial(t, from, to);
  }
  Result<TrackingTarget> SetTrackingTarget(int64_t s, const std::string& tag,
                                           const TrackingTarget& t) override {
    return inner_.SetTrackingTarget(s, tag, t);
  }
  Result<std::optional<TrackingTarget>> GetTrackingTarget(int64_t s,
                                                          const std::string& tag) override {
    return inner_.GetTrackingTarget(s, tag);
  }
  Result<std::vector<std::pair<int64_t, std::string>>> ListTrackingTargets() override {
    return inner_.ListTrackingTargets();
  }
  Result<std::vector<OutboxMessage>> ClaimOutbox(int64_t s, const std::string& tag,
                                                 const std::string& owner, double lease_s,
                                                 int limit) override {
    return inner_.ClaimOutbox(s, tag, owner, lease_s, limit);
  }
  Status SettleOutbox(int64_t s, const std::string& tag, const OutboxUpdate& u) override {
    return inner_.SettleOutbox(s, tag, u);
  }
  Status ReleaseOutboxLease(int64_t s, const std::string& tag, const std::string& o) override {
    return inner_.ReleaseOutboxLease(s, tag, o);
  }
  Result<OutboxCounts> CountOutbox(int64_t s, const std::string& tag) override {
    return inner_.CountOutbox(s, tag);
  }
  Result<int64_t> ReviveOutbox(int64_t s, const std::string& tag) override {
    return inner_.ReviveOutbox(s, tag);
  }
  Result<std::vector<OutboxMessage>> DeadOutbox(int64_t s, const std::string& tag) override {
    return inner_.DeadOutbox(s, tag);
  }
  Result<std::optional<TrackingRun>> GetTrackingRun(int64_t s, const std::string& tag,
                                                    int64_t trial) override {
    return inner_.GetTrackingRun(s, tag, trial);
  }
  Result<EnqueueResult> Enqueue(const EnqueueRequest& req) override { return inner_.Enqueue(req); }
  Status DeleteStudy(const std::string& name) override { return inner_.DeleteStudy(name); }
  Status RenameStudy(const std::string& from, const std::string& to) override {
    return inner_.RenameStudy(from, to);
  }
  Result<StudyDump> ExportStudy(const std::string& name) override {
    return inner_.ExportStudy(name);
  }
  Result<StudyInfo> ImportStudy(const StudyDump& dump, const std::string& name) override {
    return inner_.ImportStudy(dump, name);
  }

 private:
  Storage& inner_;
};

}  // namespace gdsweep::testing
