// gdsweep enqueue STUDY.yaml: queue points of the search space as WAITING
// trials (Optuna's enqueue_trial), run before any sampled trial by whichever
// worker claims them first: a `gdsweep run`, or Optuna's own optimize.
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/point_rows.h"

namespace gdsweep::cli {

int EnqueueCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep enqueue STUDY.yaml (--params JSON ... | --file ROWS.json|ROWS.csv)\n"
      "                       [--skip-if-exists] [--set KEY=VALUE ...] [--tag TAG] [--db PATH]\n"
      "Queues each point as a WAITING trial of the study (created if missing), as Optuna's\n"
      "enqueue_trial does: it runs once, before sampled trials, and counts toward the sweep\n"
      "tag's n_trials. A point may give some parameters only; the sampler draws the rest when\n"
      "the trial starts. --params takes a JSON object ('{\"lr\": 0.01, \"opt\": \"adam\"}') and\n"
      "may be repeated; --file a JSON list of such objects, or a CSV file with a header of\n"
      "parameter names and one point per row (an empty cell: drawn by the sampler).\n"
      "--skip-if-exists skips a point some trial of the study already has (Optuna's\n"
      "skip_if_exists). A key outside the search space or a value that does not fit exits 2\n"
      "and queues nothing. Prints the number of each trial queued.";
  po::options_description options("Options");
  options.add_options()("study-file", po::value<std::string>()->required(), "the study file")(
      "params", po::value<std::vector<std::string>>()->composing(),
      "a point as a JSON object (repeatable)")("file", po::value<std::string>(),
                                               "a .json or .csv file of points")(
      "skip-if-exists", po::bool_switch(), "skip points some trial already has")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a key of the file")(
      "tag", po::value<std::string>(), "the sweep tag whose budget counts the points")(
      "db", po::value<std::string>()->default_value(""), DbHelp(true).c_str())(
      "allow-changes", po::bool_switch(), "accept a changed search space or objectives");
  po::positional_options_description positional;
  positional.add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, &positional, vm)) return *code;

  auto spec = LoadStudyFile(vm["study-file"].as<std::string>(), StudyOverrides(vm));
  if (!spec) return Fail(spec.error());
  // Every point is read and checked before the database is touched.
  std::vector<Point> points;
  if (vm.count("params")) {
    const auto& flags = vm["params"].as<std::vector<std::string>>();
    for (size_t i = 0; i < flags.size(); ++i) {
      auto point = ParsePointFlag(flags[i], "--params #" + std::to_string(i + 1), spec->space);
      if (!point) return Fail(point.error());
      points.push_back(std::move(*point));
    }
  }
  if (vm.count("file")) {
    auto rows = ReadPointFile(vm["file"].as<std::string>(), spec->space);
    if (!rows) return Fail(rows.error());
    points.insert(points.end(), rows->begin(), rows->end());
  }
  if (points.empty()) {
    return Fail(Error::Invalid("nothing to queue: give --params JSON or --file ROWS"));
  }
  auto opened = OpenSpecStudy(*spec, vm["db"].as<std::string>(), vm["allow-changes"].as<bool>(),
                              Durability::kEachCommit);
  if (!opened) return Fail(opened.error());
  EnqueueRequest req;
  req.study_id = opened->study->info().study_id;
  req.tag = spec->tag;
  req.points = points;
  req.skip_if_exists = vm["skip-if-exists"].as<bool>();
  auto queued = opened->storage->Enqueue(req);
  if (!queued) return Fail(queued.error());
  size_t next = 0, skipped = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    if (skipped < queued->skipped.size() && queued->skipped[skipped] == i) {
      std::printf("skipped %s (a trial of the study has it)\n", PointToJson(points[i]).c_str());
      ++skipped;
    } else {
      std::printf("queued trial %lld: %s\n", static_cast<long long>(queued->numbers[next++]),
                  PointToJson(points[i]).c_str());
    }
  }
  return kExitOk;
}

}  // namespace gdsweep::cli
