// gdsweep best: the best trial of a study (or its Pareto front), from the
// database, with its tracking run when it has one; or, with --from-tracking,
// from the tracking server itself (runs recorded on any machine).
#include <spdlog/spdlog.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "sweeper/best.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/trial_table.h"
#include "sweeper/model/distribution.h"
#include "sweeper/model/redact.h"
#include "sweeper/spec/study_parser.h"
#include "tracking/mlflow_tracker.h"

namespace gdsweep::cli {
namespace {

constexpr const char* kBestUsage =
    "usage: gdsweep best [STUDY.yaml] [--study NAME] [--tag TAG] [--from-tracking]\n"
    "                    [--format table|csv|json] [--db PATH]\n"
    "Shows the best COMPLETE trial; for several objectives, the Pareto front. With\n"
    "--from-tracking, asks the tracking server (runs with the sweep tag, ordered by the\n"
    "objective), so runs recorded from other machines count too; the server and\n"
    "experiment come from STUDY.yaml's tracking section, else from the database.";

// What --from-tracking needs: the server, the objectives, the tag.
struct RemoteQuery {
  TrackingTarget target;
  std::vector<Objective> objectives;
  std::string tag;
};

Result<RemoteQuery> QueryFromSpec(const std::string& path, const po::variables_map& vm) {
  std::vector<SetOverride> sets;
  if (vm.count("tag"))
    sets.emplace_back("tag=" + vm["tag"].as<std::string>(), "--tag " + vm["tag"].as<std::string>());
  auto spec = ParseStudyFile(path, sets);
  if (!spec) return spec.error();
  if (!spec->tracking) {
    return Error::Invalid(path + ": the study file has no `tracking` section");
  }
  RemoteQuery q;
  q.target.uri = spec->tracking->uri;
  q.target.experiment =
      spec->tracking->experiment.empty() ? spec->name : spec->tracking->experiment;
  q.target.tag_key = spec->tracking->tag_key;
  q.objectives = spec->objectives;
  q.tag = spec->tag;
  return q;
}

Result<RemoteQuery> QueryFromDatabase(Storage& storage, const po::variables_map& vm) {
  auto study = PickStudy(storage, vm["study"].as<std::string>());
  if (!study) return study.error();
  RemoteQuery q;
  if (vm.count("tag")) {
    q.tag = vm["tag"].as<std::string>();
  } else {
    auto targets = storage.ListTrackingTargets();
    if (!targets) return targets.error();
    std::vector<std::string> tags;
    for (const auto& [id, tag] : *targets) {
      if (id == study->study_id) tags.push_back(tag);
    }
    if (tags.empty()) return NotTracked(study->name);
    if (tags.size() != 1) {
      std::string names;
      for (const auto& t : tags) names += (names.empty() ? "" : ", ") + t;
      return Error::Invalid("study '" + study->name + "' has " + std::to_string(tags.size()) +
                            " tracked sweep tags (" + names + "): name one with --tag");
    }
    q.tag = tags[0];
  }
  auto target = storage.GetTrackingTarget(study->study_id, q.tag);
  if (!target) return target.error();
  if (!*target) {
    return Error::NotFound("study '" + study->name + "' tag '" + q.tag +
                           "' was never tracked; give the study file to read its tracking section");
  }
  q.target = **target;
  for (size_t i = 0; i < study->directions.size(); ++i) {
    Objective o;
    o.direction = study->directions[i];
    o.metric = i < study->metric_names.size() ? study->metric_names[i] : "";
    if (o.metric.empty()) return Error::Invalid("the study has no metric names");
    q.objectives.push_back(o);
  }
  return q;
}

int PrintRemote(const RemoteQuery& q, Format format) {
  auto tracker = MakeMlflowTracker(q.target);
  if (!tracker) return Fail(tracker.error());
  const size_t limit = q.objectives.size() == 1 ? 1 : 50000;
  auto runs = (*tracker)->SearchRuns(q.tag, q.objectives, limit);
  if (!runs) return Fail(AsRemoteFailure(runs.error()));
  std::vector<Direction> directions;
  for (const auto& o : q.objectives) directions.push_back(o.direction);
  // The runs as trials (number = position), so BestTrials picks them as it
  // picks local ones: the best run, or the Pareto front. A run missing an
  // objective metric (or holding NaN) does not count.
  std::vector<std::vector<double>> values;
  std::vector<TrialRecord> as_trials;
  for (size_t i = 0; i < runs->size(); ++i) {
    std::vector<double> v;
    bool complete = true;
    for (const auto& o : q.objectives) {
      auto it = (*runs)[i].metrics.find(o.metric);
      v.push_back(it == (*runs)[i].metrics.end() ? std::nan("") : it->second);
      complete = complete && !std::isnan(v.back());
    }
    if (complete) {
      TrialRecord t;
      t.number = static_cast<int64_t>(i);
      t.state = TrialState::kComplete;
      t.values = v;
      as_trials.push_back(std::move(t));
    }
    values.push_back(std::move(v));
  }
  std::vector<size_t> best;
  for (const auto* t : BestTrials(as_trials, directions)) {
    best.push_back(static_cast<size_t>(t->number));
  }
  if (best.empty()) {
    return Fail(Error::NotFound("no FINISHED run with tag " + q.target.tag_key + "='" + q.tag +
                                "' and the objective metric(s) in experiment '" +
                                q.target.experiment + "' at " + RedactUrl(q.target.uri)));
  }
  if (format == Format::kJson) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i : best) {
      const auto& r = (*runs)[i];
      nlohmann::json metrics = nlohmann::json::object();
      for (size_t k = 0; k < q.objectives.size(); ++k) {
        metrics[q.objectives[k].metric] = NumberJson(values[i][k]);
      }
      out.push_back({{"run_id", r.run.run_id},
                     {"experiment_id", r.run.experiment_id},
                     {"run_name", r.run_name},
                     {"url", r.url},
                     {"metrics", metrics},
                     {"params", r.params}});
    }
    std::printf("%s\n", JsonText(out).c_str());
    return kExitOk;
  }
  for (size_t i : best) {
    const auto& r = (*runs)[i];
    std::printf("%s  run %s\n", r.run_name.c_str(), r.run.run_id.c_str());
    for (size_t k = 0; k < q.objectives.size(); ++k) {
      std::printf("  %s = %s\n", q.objectives[k].metric.c_str(),
                  FormatDouble(values[i][k]).c_str());
    }
    for (const auto& [name, value] : r.params) {
      std::printf("  %s = %s\n", name.c_str(), value.c_str());
    }
    std::printf("  %s\n", r.url.c_str());
  }
  return kExitOk;
}

// The tracking runs of the best trials, one line each (table format).
void PrintRuns(Storage& storage, const StudyInfo& study, const std::vector<TrialRecord>& rows) {
  for (const auto& t : rows) {
    auto run = storage.GetTrackingRun(study.study_id, t.tag, t.trial_id);
    if (!run || !*run) continue;
    auto target = storage.GetTrackingTarget(study.study_id, t.tag);
    if (!target || !*target) continue;
    auto tracker = MakeMlflowTracker(**target);
    std::printf("trial %lld: run %s  %s\n", static_cast<long long>(t.number),
                (*run)->run_id.c_str(), tracker ? (*tracker)->RunUrl(**run).c_str() : "");
  }
}

}  // namespace

int BestCommand(const Args& args) {
  po::options_description options("Options");
  options.add_options()("study-file", po::value<std::string>(),
                        "a study file (for --from-tracking: its tracking section)")(
      "study", po::value<std::string>()->default_value(""),
      "the study (default: the only one in the database)")("tag", po::value<std::string>(),
                                                           "only trials of this sweep tag")(
      "from-tracking", po::bool_switch(), "ask the tracking server instead of the database")(
      "format", po::value<std::string>()->default_value("table"), "table, csv or json")(
      "db", po::value<std::string>()->default_value(""), DbHelp(true).c_str());
  po::positional_options_description positional;
  positional.add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kBestUsage, options, &positional, vm)) return *code;

  auto format = ParseFormat(vm["format"].as<std::string>());
  if (!format) return Fail(format.error());
  if (vm["from-tracking"].as<bool>()) {
    if (vm.count("study-file")) {
      auto q = QueryFromSpec(vm["study-file"].as<std::string>(), vm);
      if (!q) return Fail(q.error());
      return PrintRemote(*q, *format);
    }
    auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>()));
    if (!storage) return Fail(storage.error());
    auto q = QueryFromDatabase(**storage, vm);
    if (!q) return Fail(q.error());
    return PrintRemote(*q, *format);
  }
  std::string from_spec;
  std::string study_name = vm["study"].as<std::string>();
  if (vm.count("study-file")) {
    auto spec = ParseStudyFile(vm["study-file"].as<std::string>(), {});
    if (!spec) return Fail(spec.error());
    from_spec = spec->storage;
    if (study_name.empty()) study_name = spec->name;
  }
  auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>(), from_spec));
  if (!storage) return Fail(storage.error());
  auto study = PickStudy(**storage, study_name);
  if (!study) return Fail(study.error());
  TrialFilter filter;
  filter.state = TrialState::kComplete;
  if (vm.count("tag")) {
    filter.tag = vm["tag"].as<std::string>();
    if (auto s = CheckTag(**storage, *study, *filter.tag); !s) return Fail(s.error());
  }
  auto trials = (*storage)->ListTrials(study->study_id, filter);
  if (!trials) return Fail(trials.error());
  auto best = BestTrials(*trials, study->directions);
  if (best.empty()) {
    return Fail(Error::NotFound("study '" + study->name + "' has no COMPLETE trial" +
                                (filter.tag ? " with tag '" + *filter.tag + "'" : "")));
  }
  std::vector<TrialRecord> rows;
  for (const auto* t : best) rows.push_back(*t);
  auto params = (*storage)->ListParams(study->study_id);
  if (!params) return Fail(params.error());
  PrintTrials(stdout, *study, *params, rows, *format);
  if (*format == Format::kTable) PrintRuns(**storage, *study, rows);
  return kExitOk;
}

}  // namespace gdsweep::cli
