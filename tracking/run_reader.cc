#include "tracking/run_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "tracking/run_tags.h"

namespace gdsweep {
namespace {

// MLflow's SQL stores keep ±Infinity as ±DBL_MAX; read it back as infinite.
double Unclamp(double v) {
  if (v == std::numeric_limits<double>::max()) return std::numeric_limits<double>::infinity();
  if (v == std::numeric_limits<double>::lowest()) return -std::numeric_limits<double>::infinity();
  return v;
}

}  // namespace

Result<RunValues> ReadRunValues(mlflow::Client& client, const TrackingRun& run,
                                const std::vector<Objective>& objectives) {
  auto got = client.GetRun(run.run_id);
  if (!got) return got.error();
  RunValues out;
  for (const auto& o : objectives) {
    auto it = got->metrics.find(o.metric);
    if (it == got->metrics.end()) {
      return Error::NotFound("MLflow run " + run.run_id + " has no metric '" + o.metric +
                             "': with objective source 'tracking' the trial must log it itself "
                             "(mlflow.log_metric with the MLFLOW_RUN_ID it is given)");
    }
    out.values.push_back(Unclamp(it->second));
  }
  if (objectives.empty()) return out;
  auto history = client.GetMetricHistory(run.run_id, objectives.front().metric);
  if (!history) return history.error();
  // Ordered by (timestamp, step, value): for a step logged twice, the later point wins.
  for (const auto& m : *history) out.intermediate[m.step] = Unclamp(m.value);
  return out;
}

Result<std::vector<RemoteRun>> SearchSweepRuns(mlflow::Client& client, const TrackingTarget& target,
                                               const std::string& tag,
                                               const std::vector<Objective>& objectives,
                                               size_t limit) {
  if (target.experiment.empty()) return Error::Invalid("the tracking target names no experiment");
  if (!mlflow::FilterStringExpressible(tag)) {
    return Error::Invalid("sweep tag '" + tag +
                          "' cannot be written in an MLflow search filter (it holds both quote "
                          "characters or ends in a backslash)");
  }
  auto experiment = client.GetExperimentIdByName(target.experiment);
  if (!experiment) {
    if (experiment.error().kind != Error::Kind::kNotFound) return experiment.error();
    return Error::NotFound("MLflow tracking server " + RedactUrl(client.tracking_uri()) +
                           " has no experiment '" + target.experiment + "'");
  }
  // Trial runs only (the parent has no trial number), finished ones.
  const std::string filter = mlflow::FilterKey("tags", target.tag_key) + " = " +
                             mlflow::FilterString(tag) + " AND attributes.status = 'FINISHED'" +
                             " AND " + mlflow::FilterKey("tags", run_tags::kTrialNumber) + " != ''";
  std::vector<std::string> order_by;
  const bool single = objectives.size() == 1;
  if (!objectives.empty()) {
    order_by.push_back(mlflow::FilterKey("metrics", objectives.front().metric) +
                       (objectives.front().direction == Direction::kMinimize ? " ASC" : " DESC"));
  }
  // Runs without the metric (or NaN) sort last, so cutting them below keeps `limit` exact.
  auto runs = client.SearchAllRuns({*experiment}, filter, order_by, single ? limit : 0);
  if (!runs) return runs.error();
  // The server breaks ties by start time, newest first; gdsweep, as Optuna's
  // best_trial, by the lowest trial number. Every run tied with the last one
  // kept is fetched too, so the cut below keeps the right ones.
  if (single && limit > 0 && runs->size() == limit) {
    auto last = runs->back().metrics.find(objectives.front().metric);
    if (last != runs->back().metrics.end() && std::isfinite(last->second)) {
      char number[40];
      std::snprintf(number, sizeof number, "%.17g", last->second);
      auto tied = client.SearchAllRuns({*experiment},
                                       filter + " AND " +
                                           mlflow::FilterKey("metrics", objectives.front().metric) +
                                           " = " + number,
                                       {}, 0);
      if (!tied) return tied.error();
      std::set<std::string> have;
      for (const auto& r : *runs) have.insert(r.info.run_id);
      for (auto& r : *tied) {
        if (have.insert(r.info.run_id).second) runs->push_back(std::move(r));
      }
    }
  }
  if (!objectives.empty()) {
    const Objective& first = objectives.front();
    auto key = [&](const mlflow::Run& r) {
      auto it = r.metrics.find(first.metric);
      const double v = it == r.metrics.end() ? std::nan("") : it->second;
      auto number = r.tags.find(run_tags::kTrialNumber);
      const long long n =
          number == r.tags.end() ? 0 : std::strtoll(number->second.c_str(), nullptr, 10);
      return std::make_tuple(std::isnan(v), first.direction == Direction::kMinimize ? v : -v, n);
    };
    std::stable_sort(runs->begin(), runs->end(),
                     [&](const mlflow::Run& a, const mlflow::Run& b) { return key(a) < key(b); });
  }
  if (single && limit > 0 && runs->size() > limit) runs->resize(limit);
  std::vector<RemoteRun> out;
  for (auto& r : *runs) {
    if (!r.tags.count(run_tags::kTrialNumber)) continue;
    if (single) {
      auto it = r.metrics.find(objectives.front().metric);
      if (it == r.metrics.end() || std::isnan(it->second)) continue;
    }
    RemoteRun remote;
    remote.run = TrackingRun{r.info.experiment_id, r.info.run_id};
    remote.run_name = r.info.run_name;
    remote.status = r.info.status;
    remote.url = client.RunUrl(r.info.experiment_id, r.info.run_id);
    for (const auto& [k, v] : r.metrics) remote.metrics[k] = Unclamp(v);
    remote.params = std::move(r.params);
    remote.tags = std::move(r.tags);
    out.push_back(std::move(remote));
  }
  return out;
}

}  // namespace gdsweep
