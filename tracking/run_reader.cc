#include "tracking/run_reader.h"

#include <cmath>
#include <limits>
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
