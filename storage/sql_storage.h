// SqlStorage: the Storage seam over one SQL database (a SQLite file or a
// PostgreSQL server, through sql::Database) laid out as Optuna's RDB schema
// plus gdsweep's tables. Each method runs in one transaction (serialized with
// the other writers when it writes), so several processes share a database;
// a transaction a lost connection cut off is run again whole
// (sql::InTransaction). One object per thread; open one per process (never
// across fork()).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

class SqlStorage final : public Storage {
 public:
  explicit SqlStorage(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}

  Result<StudyInfo> OpenStudy(const StudyRegistration& reg) override;
  Result<StudyInfo> GetStudy(const std::string& name) override;
  Result<std::vector<StudySummary>> ListStudies() override;
  Result<AskResult> Ask(const AskRequest& req, TrialHistory& history,
                        const SampleFn& sample) override;
  Status RefreshHistory(int64_t study_id, TrialHistory& history) override;
  Status Sync() override { return db_->Sync(); }
  Status FinishTrial(int64_t trial_id, const TrialOutcome& outcome) override;
  Status ReportIntermediate(int64_t trial_id, const std::map<int64_t, double>& values,
                            const std::map<int64_t, double>& times = {}) override;
  Result<ReportResult> ReportAndJudge(const ReportRequest& req, TrialHistory& history,
                                      const JudgeFn& judge) override;
  Result<std::vector<TrialRecord>> ListTrials(int64_t study_id, const TrialFilter& filter) override;
  Result<SearchSpace> ListParams(int64_t study_id) override;
  Status RegisterWorker(const WorkerInfo& worker) override;
  Status Heartbeat(const std::string& worker_id, double now) override;
  Result<std::vector<WorkerInfo>> ListWorkers(int64_t study_id) override;
  Status RemoveWorker(const std::string& worker_id) override;
  Result<std::vector<TrialRecord>> RequeueTrialsOfWorker(const std::string& worker_id,
                                                         const std::string& reason) override;
  Status RecordRunProcesses(const std::vector<RunProcess>& processes) override;
  Result<std::vector<TrialRun>> ListTrialRuns(int64_t trial_id) override;
  Status AdoptTrial(int64_t trial_id, const std::string& from_worker,
                    const std::string& to_worker) override;

  Result<TrackingTarget> SetTrackingTarget(int64_t study_id, const std::string& tag,
                                           const TrackingTarget& target) override;
  Result<std::optional<TrackingTarget>> GetTrackingTarget(int64_t study_id,
                                                          const std::string& tag) override;
  Result<std::vector<std::pair<int64_t, std::string>>> ListTrackingTargets() override;
  Result<std::vector<OutboxMessage>> ClaimOutbox(int64_t study_id, const std::string& tag,
                                                 const std::string& owner, double lease_s,
                                                 int limit) override;
  Status SettleOutbox(int64_t study_id, const std::string& tag,
                      const OutboxUpdate& update) override;
  Status ReleaseOutboxLease(int64_t study_id, const std::string& tag,
                            const std::string& owner) override;
  Result<OutboxCounts> CountOutbox(int64_t study_id, const std::string& tag) override;
  Result<int64_t> ReviveOutbox(int64_t study_id, const std::string& tag) override;
  Result<std::vector<OutboxMessage>> DeadOutbox(int64_t study_id, const std::string& tag) override;
  Result<std::optional<TrackingRun>> GetTrackingRun(int64_t study_id, const std::string& tag,
                                                    int64_t trial_id) override;

  Result<EnqueueResult> Enqueue(const EnqueueRequest& req) override;
  Status DeleteStudy(const std::string& name) override;
  Status RenameStudy(const std::string& from, const std::string& to) override;
  Result<StudyDump> ExportStudy(const std::string& name) override;
  Result<StudyInfo> ImportStudy(const StudyDump& dump, const std::string& name) override;

 private:
  // The study's stored search space, re-read only when its row changed.
  Result<const SearchSpace*> SpaceOf(int64_t study_id);
  Status CheckWritable() const;
  // One attempt of Ask's transaction, without the commit.
  Result<AskResult> AskOnce(const AskRequest& req, TrialHistory& history, const SampleFn& sample,
                            bool& claimed);

  struct CachedSpace {
    double updated_at = 0;
    SearchSpace space;
  };
  std::unique_ptr<sql::Database> db_;
  std::map<int64_t, CachedSpace> spaces_;
};

}  // namespace gdsweep::storage
