// Study: ask and tell over one stored study. Ask reads the history (when the
// sampler reads it), asks the sampler and inserts the new trial in one
// storage transaction, so several
// processes on one database never take the same trial or grid point; Tell
// records a result. The optimize loop (Scheduler) and `gdsweep ask/tell` are
// both clients of this. Not thread-safe: one per thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pruners/pruner.h"
#include "samplers/sampler.h"
#include "storage/storage.h"
#include "sweeper/model/study_spec.h"

namespace gdsweep {

struct StudyOpenOptions {
  bool allow_changes = false;  // accept a changed space/objectives on resume
  std::string logs_root;       // trial folders go under logs_root/<study>/trial-<n>
};

// The sampler a run of a study file uses on its study, whose stored spec JSON
// is `stored_spec_json` (empty: a new study, or one only Optuna ran): the
// file's when it chose one (SamplerSpec::type_given); else the type recorded
// with the study, so a change of the default never changes the sampler of an
// existing study (the other fields stay the file's: it gives no options then).
SamplerSpec SamplerForStudy(const SamplerSpec& file, const std::string& stored_spec_json);

class Study {
 public:
  // Creates or resumes the study the spec names (the stored seed wins), with
  // the sampler of SamplerForStudy; spec() is the spec as run.
  static Result<std::unique_ptr<Study>> Open(Storage& storage, const StudySpec& spec,
                                             const StudyOpenOptions& options);

  const StudyInfo& info() const { return info_; }
  const StudySpec& spec() const { return spec_; }
  // As of the last Refresh(), or the last Ask when the sampler reads history.
  const TrialHistory& history() const { return history_; }
  Storage& storage() { return storage_; }

  // The folder of trial `number`: logs, params.json, result.json.
  std::string TrialDir(int64_t number) const;

  // A RUNNING trial owned by `worker_id`: a WAITING retry of this sweep tag
  // first, else a fresh one if the budget allows; or why there is none.
  // `finish_first` are results told in the same transaction (one commit per
  // trial instead of two); see AskRequest.
  // `processes` of runs started since are recorded in the same transaction.
  Result<AskResult> Ask(const std::string& worker_id,
                        std::vector<std::pair<int64_t, TrialOutcome>> finish_first = {},
                        std::vector<RunProcess> processes = {});

  // Reads trials added or changed since the last read into history().
  Status Refresh() { return storage_.RefreshHistory(info_.study_id, history_); }

  Status Tell(int64_t trial_id, const TrialOutcome& outcome);
  // `times`: step -> when the trial reported it (Storage::ReportIntermediate).
  Status Report(int64_t trial_id, const std::map<int64_t, double>& intermediate,
                const std::map<int64_t, double>& times = {});

  // Whether the study file's pruner judges trials (a `pruner` other than none).
  bool prunes() const { return pruner_ != nullptr; }
  // Stores intermediate values in the order given and, with a pruner, judges
  // the trial after each one against the whole study's history, in one
  // transaction (Storage::ReportAndJudge). `finish_pruned`: a pruned trial is
  // recorded PRUNED at once (the engine); false: its caller tells.
  Result<ReportResult> ReportAndJudge(std::vector<ReportedValue> values, bool finish_pruned);

  // Puts the RUNNING trials of workers that are dead (silent for
  // `timeout_s`, or gone from this host) back to WAITING in place: they were
  // interrupted, so no budget or retry is spent. Returns those trials.
  // `reap` is called first for each of them (to end what is left of its
  // run; an error stops the recovery), then `reattach` is asked; those it
  // follows are handed to self_worker_id instead (returned in `adopted`).
  Result<std::vector<TrialRecord>> RecoverOrphans(
      const std::string& self_worker_id, double timeout_s,
      const std::function<Result<bool>(const TrialRecord&)>& reattach = {},
      std::vector<TrialRecord>* adopted = nullptr,
      const std::function<Status(const TrialRecord&)>& reap = {});

 private:
  Study(Storage& storage, StudySpec spec, StudyInfo info, std::unique_ptr<Sampler> sampler,
        std::unique_ptr<Pruner> pruner, std::string logs_root);

  Storage& storage_;
  StudySpec spec_;
  StudyInfo info_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Pruner> pruner_;  // null: no pruner
  std::string logs_root_;
  TrialHistory history_;
};

}  // namespace gdsweep
