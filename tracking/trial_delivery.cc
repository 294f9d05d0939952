// DeliverTrial: a trial's messages as MLflow requests, batched per run.
#include "tracking/trial_delivery.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <utility>

#include "tracking/outbox_payload.h"
#include "tracking/run_tags.h"

namespace gdsweep {
namespace {

using Clock = std::chrono::steady_clock;
using mlflow::Metric;
using mlflow::Tag;

// MLflow's limit on a param value (mlflow/utils/validation.py
// MAX_PARAM_VAL_LENGTH, characters); a server cuts longer ones with only a
// warning in its own log (MLFLOW_TRUNCATE_LONG_VALUES) or refuses them.
constexpr size_t kMaxParamChars = 6000;
// MLflow keeps run tag values up to 8000 characters.
constexpr size_t kMaxTagChars = 8000;

int64_t Millis(double seconds) { return std::llround(seconds * 1000.0); }

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Equal, counting NaN equal to NaN (a value is compared with its stored copy).
bool SameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

size_t CountChars(const std::string& s) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars;
}

// At most `max_chars` UTF-8 code points of `s`.
std::string CutToChars(const std::string& s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == max_chars) return s.substr(0, i);
  }
  return s;
}

const char* RunStatus(const RunFinishedPayload& p) {
  if (p.interrupted) return "KILLED";
  switch (p.state) {
    case TrialState::kComplete:
      return "FINISHED";
    case TrialState::kFail:
      return "FAILED";
    default:
      return "KILLED";
  }
}

// The metric objective `i` is logged under: its name in the study, else
// "objective_<i>" (a study gdsweep did not create has no names).
std::string MetricName(const StudyInfo& study, size_t i) {
  return i < study.metric_names.size() ? study.metric_names[i] : "objective_" + std::to_string(i);
}

// When the trial reported the value of `step`, else `fallback` (ms).
int64_t PointMillis(const std::map<int64_t, double>& times, int64_t step, int64_t fallback) {
  auto it = times.find(step);
  return it == times.end() ? fallback : Millis(it->second);
}

// One message's share of a log-batch request.
struct Part {
  int64_t id = 0;
  std::vector<Metric> metrics;
  std::vector<Tag> params, tags;
  bool completes = true;  // the message is done once the part is stored
  bool params_only = false;
  double created_at = 0;
};

class TrialSender {
 public:
  TrialSender(const PassContext& ctx, const TrialWork& work, ClientPool::Clients& clients,
              const std::atomic<bool>& stop, const std::function<void(const TrackingRun&)>& on_run)
      : ctx_(ctx), work_(work), c_(clients), stop_(stop), on_run_(on_run), run_(work.run) {}

  TrialDelivery Run() {
    for (const OutboxMessage& m : work_.messages) {
      if (out_.stop || stop_.load() || Clock::now() >= ctx_.deadline) break;
      switch (m.kind) {
        case OutboxKind::kRunStarted:
          Start(m);
          break;
        case OutboxKind::kIntermediate:
          Intermediate(m);
          break;
        case OutboxKind::kRunFinished:
          Finish(m);
          break;
      }
    }
    if (!batch_.empty() && !out_.stop) {
      const bool hold = ctx_.merge_window.count() > 0 && batch_.size() == 1 &&
                        batch_.front().params_only &&
                        NowSeconds() - batch_.front().created_at <
                            std::chrono::duration<double>(ctx_.merge_window).count();
      if (hold) {
        ++out_.deferred;
      } else {
        (void)Flush();
      }
    }
    return std::move(out_);
  }

 private:
  void Done(int64_t id) { out_.delivered.push_back(id); }
  void Failed(int64_t id, const Error& e) {
    const bool dead = !TransientError(e);
    out_.failed.push_back({id, e.message, dead});
    if (!dead && !out_.stop) out_.stop = e;
  }
  // A message of a trial without a run: it cannot go anywhere.
  void Runless(int64_t id) {
    Failed(id, Error::NotFound("trial " + std::to_string(work_.trial_number) +
                               " has no run on the tracking server: " +
                               (refused_.empty()
                                    ? std::string("its run_started report is dead or was never "
                                                  "written")
                                    : "its run_started report was refused (" + refused_ + ")")));
  }

  void Start(const OutboxMessage& m) {
    auto p = ParseRunStarted(m.payload);
    if (!p) return Failed(m.id, p.error());
    if (!Flush()) return;
    const std::string run_key = ctx_.run_key + ":" + std::to_string(work_.trial_id);
    if (!run_ && m.attempts > 1) {  // an earlier delivery may have created it
      auto found = FindRunByKey(c_.retrying, ctx_.experiment_id, run_key);
      if (!found) return Failed(m.id, found.error());
      if (*found) NewRun(**found);
    }
    if (!run_) {
      std::vector<Tag> tags = {{run_tags::kParentRunId, ctx_.parent.run_id},
                               {ctx_.target->tag_key, ctx_.tag},
                               {run_tags::kStudy, ctx_.study->name},
                               {run_tags::kTrialNumber, std::to_string(p->number)},
                               {run_tags::kTrialAttempt, std::to_string(p->attempt)},
                               {run_tags::kRunKey, run_key}};
      if (p->retry_of) tags.push_back({run_tags::kRetryOf, std::to_string(*p->retry_of)});
      auto created = c_.once.CreateRun(ctx_.experiment_id, "trial-" + std::to_string(p->number),
                                       Millis(p->start_time), tags);
      if (!created) {
        if (!TransientError(created.error())) refused_ = created.error().message;
        return Failed(m.id, created.error());
      }
      NewRun(TrackingRun{ctx_.experiment_id, created->run_id});
    }
    if (p->params.empty()) return Done(m.id);
    Part part{m.id};
    part.params_only = true;
    part.created_at = m.created_at;
    std::string cut;  // names of the params cut to MLflow's limit
    for (const auto& [name, value] : p->params) {
      // The same text on every delivery: params are write-once.
      if (CountChars(value) > kMaxParamChars) {
        spdlog::warn(
            "tracking: trial {} param '{}' is {} characters long; MLflow keeps {}: its run gets "
            "the first {} and the tag {}",
            p->number, name, CountChars(value), kMaxParamChars, kMaxParamChars,
            run_tags::kTruncatedParams);
        cut += (cut.empty() ? "" : ",") + name;
        part.params.push_back({name, CutToChars(value, kMaxParamChars)});
      } else {
        part.params.push_back({name, value});
      }
    }
    if (!cut.empty()) {
      part.params_only = false;
      part.tags.push_back({run_tags::kTruncatedParams, CutToChars(cut, kMaxTagChars)});
    }
    batch_.push_back(std::move(part));
  }

  void Intermediate(const OutboxMessage& m) {
    if (!run_) return Runless(m.id);
    auto p = ParseIntermediate(m.payload);
    if (!p) return Failed(m.id, p.error());
    Part part{m.id};
    const std::string key = MetricName(*ctx_.study, 0);
    for (const auto& [step, value] : p->points) {
      part.metrics.push_back({key, value, PointMillis(p->times, step, Millis(p->time)), step});
    }
    if (part.metrics.empty()) return Done(m.id);
    batch_.push_back(std::move(part));
  }

  void Finish(const OutboxMessage& m) {
    if (!run_) return Runless(m.id);
    auto p = ParseRunFinished(m.payload);
    if (!p) return Failed(m.id, p.error());
    const int64_t end_ms = Millis(p->end_time);
    Part part{m.id};
    part.completes = false;  // done once the status is set too
    const std::string first_metric = MetricName(*ctx_.study, 0);
    // With values_from_tracking every value came from the run itself: only
    // the status and the tags are sent.
    const bool values = !ctx_.target->values_from_tracking;
    if (values) {
      for (const auto& [step, value] : p->points) {
        part.metrics.push_back({first_metric, value, PointMillis(p->times, step, end_ms), step});
      }
    }
    if (p->state == TrialState::kComplete && values && !p->values.empty()) {
      // Final values one step past the last intermediate one, so the run's
      // latest value of the metric is the final one; the first objective's
      // not at all when its last intermediate value is the final one already
      // (a trial's last "loss=" line is both). The trial is finished, so this
      // reads the same on every delivery.
      std::map<int64_t, double> history = p->points;
      history.insert(work_.stored_history.begin(), work_.stored_history.end());
      const int64_t step = history.empty() ? 0 : history.rbegin()->first + 1;
      const bool first_logged =
          !history.empty() && SameValue(history.rbegin()->second, p->values[0]);
      for (size_t i = first_logged ? 1 : 0; i < p->values.size(); ++i) {
        part.metrics.push_back({MetricName(*ctx_.study, i), p->values[i], end_ms, step});
      }
    }
    part.tags = {{run_tags::kState, ToString(p->state)}};
    if (!p->reason.empty()) {
      part.tags.push_back({run_tags::kFailureReason, CutToChars(p->reason, ctx_.max_reason_chars)});
    }
    if (p->interrupted) part.tags.push_back({run_tags::kInterrupted, "true"});
    if (p->state == TrialState::kPruned) {
      part.tags.push_back({run_tags::kPruned, "true"});
      if (p->pruned_step) {
        part.tags.push_back({run_tags::kPrunedStep, std::to_string(*p->pruned_step)});
      }
    }
    batch_.push_back(std::move(part));
    if (!Flush() || finish_refused_) return;
    if (auto updated = c_.retrying.UpdateRun(run_->run_id, RunStatus(*p), end_ms); !updated) {
      return Failed(m.id, updated.error());
    }
    Done(m.id);
  }

  void NewRun(const TrackingRun& run) {
    run_ = run;
    out_.run = run;
    on_run_(run);
  }

  // Sends the batch in one log-batch (as many as MLflow's limits need); when
  // the server refuses a batch of several messages, each goes alone so that
  // only the refused one is dead. False after a transient failure.
  // finish_refused_ says whether a run_finished's part was refused.
  bool Flush() {
    finish_refused_ = false;
    if (batch_.empty()) return true;
    std::vector<Part> parts = std::move(batch_);
    batch_.clear();
    auto send = [&](const std::vector<const Part*>& ps) {
      std::vector<Metric> metrics;
      std::vector<Tag> params, tags;
      for (const Part* p : ps) {
        metrics.insert(metrics.end(), p->metrics.begin(), p->metrics.end());
        params.insert(params.end(), p->params.begin(), p->params.end());
        tags.insert(tags.end(), p->tags.begin(), p->tags.end());
      }
      return c_.retrying.LogBatch(run_->run_id, metrics, params, tags);
    };
    auto settle = [&](const Part& p, const Status& s) {
      if (!s) {
        Failed(p.id, s.error());
        if (!p.completes) finish_refused_ = true;
      } else if (p.completes) {
        Done(p.id);
      }
    };
    std::vector<const Part*> all;
    for (const Part& p : parts) all.push_back(&p);
    const Status together = send(all);
    if (together || parts.size() == 1 || TransientError(together.error())) {
      for (const Part& p : parts) settle(p, together);
      return !out_.stop;
    }
    for (const Part& p : parts) {
      if (out_.stop) {  // a transient failure: the rest is tried again later
        out_.failed.push_back({p.id, out_.stop->message, false});
        continue;
      }
      settle(p, send({&p}));
    }
    return !out_.stop;
  }

  const PassContext& ctx_;
  const TrialWork& work_;
  ClientPool::Clients& c_;
  const std::atomic<bool>& stop_;
  const std::function<void(const TrackingRun&)>& on_run_;
  std::optional<TrackingRun> run_;
  std::string refused_;  // why its run_started was refused, if it was
  std::vector<Part> batch_;
  bool finish_refused_ = false;
  TrialDelivery out_;
};

}  // namespace

bool TransientError(const Error& e) {
  return e.kind == Error::Kind::kIo || e.kind == Error::Kind::kInterrupted ||
         e.kind == Error::Kind::kInternal;
}

Result<std::optional<TrackingRun>> FindRunByKey(mlflow::Client& client,
                                                const std::string& experiment_id,
                                                const std::string& run_key) {
  if (!mlflow::FilterStringExpressible(run_key)) return std::optional<TrackingRun>();
  const std::string filter =
      mlflow::FilterKey("tags", run_tags::kRunKey) + " = " + mlflow::FilterString(run_key);
  auto page = client.SearchRuns({experiment_id}, filter, {"attributes.start_time ASC"}, 10, "");
  if (!page) return page.error();
  if (page->runs.empty()) return std::optional<TrackingRun>();
  return std::optional<TrackingRun>(TrackingRun{experiment_id, page->runs.front().info.run_id});
}

TrialDelivery DeliverTrial(const PassContext& ctx, const TrialWork& work,
                           ClientPool::Clients& clients, const std::atomic<bool>& stop,
                           const std::function<void(const TrackingRun&)>& on_run) {
  return TrialSender(ctx, work, clients, stop, on_run).Run();
}

}  // namespace gdsweep
