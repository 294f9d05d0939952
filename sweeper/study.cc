#include "sweeper/study.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <random>

#include "sweeper/bracket_sampler.h"
#include "sweeper/spec/spec_json.h"
#include "sweeper/spec/study_parser_sampler.h"
#include "sweeper/worker.h"

namespace gdsweep {

Study::Study(Storage& storage, StudySpec spec, StudyInfo info, std::unique_ptr<Sampler> sampler,
             std::unique_ptr<Pruner> pruner, std::string logs_root)
    : storage_(storage),
      spec_(std::move(spec)),
      info_(std::move(info)),
      sampler_(std::move(sampler)),
      pruner_(std::move(pruner)),
      logs_root_(std::move(logs_root)) {}

SamplerSpec SamplerForStudy(const SamplerSpec& file, const std::string& stored_spec_json) {
  if (file.type_given) return file;
  const std::string recorded = SamplerTypeOf(stored_spec_json);
  if (recorded.empty() || !FindSamplerType(recorded)) return file;
  SamplerSpec kept = file;
  kept.type = recorded;
  return kept;
}

Result<std::unique_ptr<Study>> Study::Open(Storage& storage, const StudySpec& file_spec,
                                           const StudyOpenOptions& options) {
  StudySpec spec = file_spec;
  if (!spec.sampler.type_given) {
    auto stored = storage.GetStudy(spec.name);
    if (!stored && stored.error().kind != Error::Kind::kNotFound) return stored.error();
    const std::string stored_json = stored ? stored->spec_json : "";
    spec.sampler = SamplerForStudy(spec.sampler, stored_json);
    if (spec.sampler.type != file_spec.sampler.type) {
      spdlog::info(
          "study '{}': keeps the {} sampler recorded with it (the study file names no "
          "sampler.type; a new study gets {}; set sampler.type to change it)",
          spec.name, spec.sampler.type, file_spec.sampler.type);
    } else if (SamplerTypeOf(stored_json).empty()) {  // new, or only Optuna ran it
      spdlog::info("study '{}': sampler {}, the default (the study file names no sampler.type)",
                   spec.name, spec.sampler.type);
    }
  }
  StudyRegistration reg;
  reg.name = spec.name;
  reg.objectives = spec.objectives;
  reg.space = spec.space;
  reg.spec_json = SpecToJson(spec);
  reg.allow_changes = options.allow_changes;
  if (spec.sampler.seed) {
    reg.seed = *spec.sampler.seed;
  } else {
    std::random_device rd;
    reg.seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  }
  auto info = storage.OpenStudy(reg);
  if (!info) return info.error();
  if (!spec.enqueue.empty()) {
    // Once per study: a point queued by an earlier run (or by another
    // process opening the study at the same time) is skipped.
    EnqueueRequest queue;
    queue.study_id = info->study_id;
    queue.tag = spec.tag;
    queue.points = spec.enqueue;
    queue.from_study_file = true;
    auto queued = storage.Enqueue(queue);
    if (!queued) return queued.error().Wrap(spec.source_path + ": enqueue");
    if (!queued->numbers.empty()) {
      std::string numbers;
      for (int64_t n : queued->numbers)
        numbers += (numbers.empty() ? "" : ", ") + std::to_string(n);
      spdlog::info("queued {} point(s) of the study file's enqueue list as trial(s) {}",
                   queued->numbers.size(), numbers);
    }
  }
  // A seed given in the file or on the command line wins; otherwise the one
  // drawn when the study was created, so a resume continues the same sequence.
  uint64_t seed = spec.sampler.seed.value_or(info->seed);
  // A different sampler on resume is allowed, as in Optuna (a study does not
  // own a sampler): the new one reads every trial so far. A warning, naming
  // both, since the study file chose it (SamplerForStudy keeps the recorded
  // one otherwise).
  if (const std::string before = SamplerTypeOf(info->previous_spec_json);
      !before.empty() && before != spec.sampler.type) {
    spdlog::warn(
        "study '{}': its trials so far were proposed by the {} sampler; this run uses {} (a "
        "sampler may change on resume; it reads every trial of the study)",
        spec.name, before, spec.sampler.type);
  }
  auto sampler = MakeSampler(spec.sampler, spec.space, seed);
  if (!sampler) return sampler.error();
  std::unique_ptr<Pruner> pruner;
  if (spec.pruner.type != PrunerType::kNone) {
    auto made = MakePruner(spec.pruner);
    if (!made) return made.error();
    pruner = std::move(*made);
  }
  // As Optuna's samplers under a HyperbandPruner, ours see the trials of the
  // new trial's bracket only; except the grid, whose point Optuna picks from
  // the whole study (GridSampler.before_trial), so no point runs twice.
  auto filtered = spec.sampler.type == "grid"
                      ? std::move(*sampler)
                      : FilterByBracket(std::move(*sampler), pruner.get(), spec.name);
  return std::unique_ptr<Study>(new Study(storage, spec, std::move(*info), std::move(filtered),
                                          std::move(pruner), options.logs_root));
}

std::string Study::TrialDir(int64_t number) const {
  return (std::filesystem::path(logs_root_) / spec_.name / ("trial-" + std::to_string(number)))
      .string();
}

Result<AskResult> Study::Ask(const std::string& worker_id,
                             std::vector<std::pair<int64_t, TrialOutcome>> finish_first,
                             std::vector<RunProcess> processes) {
  AskRequest req;
  req.finish_first = std::move(finish_first);
  req.processes = std::move(processes);
  req.study_id = info_.study_id;
  req.tag = spec_.tag;
  req.worker_id = worker_id;
  req.n_trials = spec_.budget.n_trials;
  req.refresh_history = sampler_->ReadsHistory();
  req.log_path_for = [this](int64_t number) { return TrialDir(number); };
  std::map<std::string, std::string> attrs;
  req.new_trial_attrs = &attrs;
  auto sample = [this, &attrs](const TrialHistory& h, int64_t number) {
    attrs.clear();
    return sampler_->Sample(SampleRequest{spec_.space, spec_.objectives, h.trials, number, &attrs});
  };
  // A queued point's missing parameters: proposed around its given values;
  // an active one the sampler leaves out is drawn with the study's seed.
  req.sample_given = [this, &attrs](const TrialHistory& h, int64_t number, const Params& given) {
    attrs.clear();
    SampleRequest sr{spec_.space, spec_.objectives, h.trials, number, &attrs};
    sr.given = &given;
    return SampleGiven(*sampler_, sr, spec_.sampler.seed.value_or(info_.seed));
  };
  return storage_.Ask(req, history_, sample);
}

Status Study::Tell(int64_t trial_id, const TrialOutcome& outcome) {
  return storage_.FinishTrial(trial_id, outcome);
}

Status Study::Report(int64_t trial_id, const std::map<int64_t, double>& intermediate,
                     const std::map<int64_t, double>& times) {
  return storage_.ReportIntermediate(trial_id, intermediate, times);
}

Result<ReportResult> Study::ReportAndJudge(std::vector<ReportedValue> values, bool finish_pruned) {
  ReportRequest req;
  req.study_id = info_.study_id;
  req.values = std::move(values);
  req.refresh_history = pruner_ && pruner_->ReadsHistory();
  req.finish_pruned = finish_pruned;
  JudgeFn judge;
  if (pruner_) {
    judge = [this](const TrialHistory& h, const TrialRecord& t) -> Result<Judgement> {
      PruneDecision d =
          pruner_->Prune(PruneRequest{spec_.name, spec_.objectives.front().direction, h.trials, t});
      return Judgement{d.prune, std::move(d.completed_rungs)};
    };
  }
  return storage_.ReportAndJudge(req, history_, judge);
}

Result<std::vector<TrialRecord>> Study::RecoverOrphans(
    const std::string& self_worker_id, double timeout_s,
    const std::function<Result<bool>(const TrialRecord&)>& reattach,
    std::vector<TrialRecord>* adopted, const std::function<Status(const TrialRecord&)>& reap) {
  auto workers = storage_.ListWorkers(info_.study_id);
  if (!workers) return workers.error();
  std::vector<TrialRecord> requeued;
  const double now = NowSeconds();
  for (const auto& w : *workers) {
    if (w.worker_id == self_worker_id || !IsWorkerDead(w, now, timeout_s)) continue;
    if (reattach || reap) {
      TrialFilter running;
      running.state = TrialState::kRunning;
      auto trials = storage_.ListTrials(info_.study_id, running);
      if (!trials) return trials.error();
      for (const auto& t : *trials) {
        if (t.worker_id != w.worker_id) continue;
        if (reap) {
          if (auto s = reap(t); !s) return s.error();
        }
        if (!reattach) continue;
        auto alive = reattach(t);
        if (!alive) return alive.error();
        if (!*alive) continue;
        if (auto s = storage_.AdoptTrial(t.trial_id, w.worker_id, self_worker_id); !s) {
          if (s.error().kind != Error::Kind::kConflict) return s.error();
          continue;  // another worker took it first
        }
        if (adopted) adopted->push_back(t);
      }
    }
    std::string reason = "worker " + w.worker_id + " stopped while the trial was running";
    auto f = storage_.RequeueTrialsOfWorker(w.worker_id, reason);
    if (!f) return f.error();
    requeued.insert(requeued.end(), f->begin(), f->end());
  }
  return requeued;
}

}  // namespace gdsweep
