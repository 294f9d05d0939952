#include "sweeper/convert/wandb_config.h"

#include <cmath>

#include "sweeper/convert/wandb_parameters.h"
#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kKeys = {
    "apiVersion", "kind",   "controller", "description", "program",         "job",
    "image_uri",  "entity", "project",    "method",      "command",         "name",
    "run_cap",    "metric", "metrics",    "scheduler",   "early_terminate", "parameters"};

class WandbReader {
 public:
  WandbReader(const YamlNode& root, const std::string& source, const ConvertOptions& options)
      : root_(root), source_(source), options_(options) {
    c_.format = ConfigFormat::kWandb;
    c_.study = MapNode(root.location);
  }

  Result<Conversion> Read() {
    if (auto s = CheckKeys(root_, "", kKeys); !s) return s.error();
    for (const char* key : {"metrics", "scheduler", "job", "image_uri"}) {
      if (const YamlEntry* e = root_.Find(key)) {
        return ErrorAt(e->key_location, key,
                       std::string(key) == "metrics"
                           ? "several metrics need W&B's custom method; give gdsweep's "
                             "objectives in a converted file instead"
                           : "runs through W&B Launch or a custom scheduler, which has no "
                             "gdsweep equivalent");
      }
    }
    ReadName();
    if (auto s = ReadMetric(); !s) return s.error();
    const YamlEntry* params = root_.Find("parameters");
    YamlNode& space =
        Put(c_.study, "search_space", MapNode(params->value.location), params->key_location);
    auto names = ReadWandbParameters(params->value, space, c_);
    if (!names) return names.error();
    if (auto s = ReadMethod(); !s) return s.error();
    if (auto s = ReadEarlyTerminate(); !s) return s.error();
    ReadBudget();
    if (auto s = ReadCommand(*names); !s) return s.error();
    NoteMetadata();
    return std::move(c_);
  }

 private:
  void ReadName() {
    const YamlNode* name = FindValue(root_, "name");
    const YamlLocation at = name ? name->location : root_.location;
    Put(c_.study, "study_name", StringNode(StudyNameFrom(name ? name->scalar : "", source_), at));
    if (!name) c_.Info(at, "name", "not set: the study is named after the file", "study_name");
  }

  Status ReadMetric() {
    const YamlNode* metric = FindValue(root_, "metric");
    if (!metric) {
      return ErrorAt(root_.location, "metric",
                     "missing: gdsweep needs the metric to optimise (metric: {name: loss, goal: "
                     "minimize}), even for grid and random search");
    }
    if (auto s = ExpectMapping(*metric, "metric"); !s) return s;
    if (auto s = CheckKeys(*metric, "metric",
                           {"name", "goal", "target", "impute", "impute_while_running"});
        !s) {
      return s;
    }
    const YamlNode* name = FindValue(*metric, "name");
    if (!name) return MissingKey(*metric, "metric", "name");
    YamlNode& objective = Put(c_.study, "objective", MapNode(metric->location));
    Put(objective, "metric", *name);
    c_.Origin(name->location, "metric.name");
    if (const YamlNode* goal = FindValue(*metric, "goal")) {
      Put(objective, "direction", *goal);
      c_.Origin(goal->location, "metric.goal");
    } else {
      Put(objective, "direction", PlainNode("minimize", metric->location));
      c_.Info(metric->location, "metric.goal", "not set: minimize, W&B's default", "objective");
    }
    for (const char* key : {"target", "impute", "impute_while_running"}) {
      if (const YamlEntry* e = metric->Find(key)) {
        c_.Warn(e->key_location, std::string("metric.") + key,
                std::string(key) == "target"
                    ? "not carried over: W&B stops the sweep once a run reaches the target; "
                      "gdsweep runs to its budget"
                    : "not carried over: gdsweep's TPE models only COMPLETE trials",
                "objective");
      }
    }
    c_.Warn(name->location, "metric.name",
            "the program reports '" + name->scalar +
                "' through wandb.log; gdsweep reads it from a '" + name->scalar +
                "=<number>' line the program prints (the last one counts; earlier ones with "
                "step=N are intermediate values), or from $GDSWEEP_RESULT_FILE",
            "objective");
    return {};
  }

  Status ReadMethod() {
    const YamlEntry* e = root_.Find("method");
    const std::string method = e->value.scalar;
    YamlNode& sampler = Put(c_.study, "sampler", MapNode(e->value.location), e->key_location);
    c_.Origin(e->value.location, "method");
    if (method == "grid" || method == "random") {
      Put(sampler, "type", PlainNode(method, e->value.location));
      return {};
    }
    if (method == "bayes") {
      Put(sampler, "type", PlainNode("tpe", e->value.location));
      c_.Warn(e->value.location, "method",
              "bayes: W&B's Bayesian search models the metric with a Gaussian process; it "
              "becomes TPE, Optuna's default Bayesian optimiser (sampler.type: gp is gdsweep's "
              "Gaussian process, for a space with a numeric parameter)",
              "sampler");
      return {};
    }
    return ErrorAt(e->value.location, "method",
                   "expected grid, random or bayes (custom needs W&B's own scheduler), got " +
                       Describe(e->value));
  }

  Status ReadEarlyTerminate() {
    const YamlNode* et = FindValue(root_, "early_terminate");
    if (!et) return {};
    const std::string path = "early_terminate";
    if (auto s = ExpectMapping(*et, path); !s) return s;
    if (auto s = CheckKeys(*et, path, {"type", "min_iter", "max_iter", "s", "eta", "strict"}); !s) {
      return s;
    }
    const YamlNode* type = FindValue(*et, "type");
    if (!type) return MissingKey(*et, path, "type");
    if (type->scalar != "hyperband") {
      return ErrorAt(
          type->location, path + ".type",
          "expected hyperband, W&B's one early-termination type, got " + Describe(*type));
    }
    auto read_int = [&](const char* key) -> Result<std::optional<int64_t>> {
      const YamlNode* v = FindValue(*et, key);
      if (!v) return std::optional<int64_t>();
      auto n = ReadIntIn(*v, path + "." + key, 1, INT64_MAX / 1024, "a positive whole number");
      if (!n) return n.error();
      return std::optional<int64_t>(*n);
    };
    auto min_iter = read_int("min_iter");
    if (!min_iter) return min_iter.error();
    auto max_iter = read_int("max_iter");
    if (!max_iter) return max_iter.error();
    double eta = 3;
    if (const YamlNode* v = FindValue(*et, "eta")) {
      auto e = ReadNumber(*v, path + ".eta");
      if (!e) return e.error();
      if (!(*e > 1)) return ErrorAt(v->location, path + ".eta", "expected a number above 1");
      eta = *e;
    }
    int64_t factor = std::max<int64_t>(2, std::llround(eta));
    YamlNode& pruner = Put(c_.study, "pruner", MapNode(et->location));
    Put(pruner, "type", PlainNode("hyperband", type->location));
    std::string how;
    if (*min_iter) {
      Put(pruner, "min_resource", IntNode(**min_iter, et->location));
      how = "min_resource = min_iter (" + std::to_string(**min_iter) + ")";
    } else if (*max_iter) {
      const YamlNode* s_node = FindValue(*et, "s");
      if (!s_node) return MissingKey(*et, path, "s");
      auto s = ReadNumber(*s_node, path + ".s");
      if (!s) return s.error();
      // W&B's brackets are max_iter/eta, ..., max_iter/eta^s: the first is
      // Optuna's min_resource.
      const double first = static_cast<double>(**max_iter) / std::pow(eta, *s);
      const int64_t min_resource = std::max<int64_t>(1, static_cast<int64_t>(std::floor(first)));
      Put(pruner, "min_resource", IntNode(min_resource, et->location));
      how = "min_resource = max_iter / eta^s = " + FormatDouble(first) + ", rounded down to " +
            std::to_string(min_resource);
    } else {
      return ErrorAt(et->location, path, "needs min_iter, or max_iter and s");
    }
    if (*max_iter) {
      Put(pruner, "max_resource", IntNode(**max_iter, et->location));
      how += ", max_resource = max_iter (" + std::to_string(**max_iter) + ")";
    } else {
      Put(pruner, "max_resource", PlainNode("auto", et->location));
      how += ", max_resource: auto (no max_iter)";
    }
    Put(pruner, "reduction_factor", IntNode(factor, et->location));
    how += ", reduction_factor = eta (" + std::to_string(factor) + ")";
    if (std::fabs(eta - static_cast<double>(factor)) > 1e-9) {
      c_.Warn(et->location, path + ".eta",
              "Optuna's reduction_factor is a whole number (2 or more): eta " + FormatDouble(eta) +
                  " becomes " + std::to_string(factor),
              "pruner");
    }
    c_.Warn(type->location, path,
            "hyperband becomes Optuna's HyperbandPruner: " + how +
                ". W&B stops a run at its bracket milestones when its metric is not in the "
                "top 1/eta; Optuna's pruner runs successive halving in several brackets, so "
                "which runs stop can differ. Steps are the step=N of the intermediate "
                "values a trial prints (W&B counts logged iterations)",
            "pruner");
    if (const YamlEntry* strict = et->Find("strict")) {
      c_.Warn(strict->key_location, path + ".strict", "not carried over: no Optuna equivalent",
              "pruner");
    }
    return {};
  }

  void ReadBudget() {
    YamlNode& budget = Put(c_.study, "budget", MapNode(root_.location));
    if (const YamlNode* cap = FindValue(root_, "run_cap")) {
      Put(budget, "n_trials", *cap);
      c_.Origin(cap->location, "run_cap");
    }
    Put(budget, "parallelism", IntNode(1, root_.location));
    c_.Info(root_.location, "",
            "one trial at a time, as one W&B agent runs them (raise with "
            "--parallelism N, as more agents would)",
            "budget");
  }

  // W&B's command: ${env} ${interpreter} ${program} ${args} by default.
  Status ReadCommand(const std::vector<WandbParameterName>& names) {
    YamlNode& trial = Put(c_.study, "trial", MapNode(root_.location));
    if (!options_.backend.empty() && options_.backend != "local") {
      return Error::Invalid("--backend " + options_.backend +
                            ": a W&B sweep runs its program locally (backend: local)");
    }
    if (!options_.command.empty()) {
      Put(trial, "command", CommandNode(options_.command, root_.location));
      if (const YamlEntry* cmd = root_.Find("command")) {
        c_.Info(cmd->key_location, "command", "replaced by --command", "trial");
      }
      return {};
    }
    const YamlNode* program = FindValue(root_, "program");
    const YamlNode* command = FindValue(root_, "command");
    std::vector<YamlNode> items;
    std::string path = "command";
    if (command) {
      if (auto s = ExpectList(*command, "command"); !s) return s;
      items = command->items;
    } else {
      for (const char* m : {"${env}", "${interpreter}", "${program}", "${args}"}) {
        items.push_back(StringNode(m, program ? program->location : root_.location));
      }
      path = "program";
    }
    YamlNode argv = ListNode(command ? command->location : root_.location);
    for (size_t i = 0; i < items.size(); ++i) {
      const YamlNode& item = items[i];
      const std::string item_path = command ? IndexPath("command", i) : path;
      if (!item.IsScalar()) {
        return ErrorAt(item.location, item_path, "expected a string, got " + Describe(item));
      }
      if (auto s = ExpandItem(item, item_path, program, names, argv); !s) return s;
    }
    if (argv.items.empty()) return ErrorAt(root_.location, "command", "the command is empty");
    Put(trial, "command", std::move(argv));
    c_.Warn(program ? program->location : root_.location, path,
            "the program gets its parameters only as command-line arguments (and in "
            "$GDSWEEP_PARAMS_FILE): wandb.config is not filled in by a W&B agent here",
            "trial");
    return {};
  }

  Status ExpandItem(const YamlNode& item, const std::string& path, const YamlNode* program,
                    const std::vector<WandbParameterName>& names, YamlNode& argv) {
    const std::string& t = item.scalar;
    const YamlLocation& at = item.location;
    auto need_program = [&]() -> Result<std::string> {
      if (!program) return ErrorAt(at, path, "${program} is used but 'program' is not set");
      return program->scalar;
    };
    if (t == "${env}") {
      c_.Info(at, path, "${env} (/usr/bin/env) is dropped: gdsweep looks the program up on PATH",
              "trial");
      return {};
    }
    if (t == "${interpreter}") {
      argv.items.push_back(StringNode("python3", at));
      c_.Info(at, path, "${interpreter} becomes python3 (W&B runs 'python')", "trial");
      return {};
    }
    if (t == "${args}" || t == "${args_no_hyphens}" || t == "${args_no_equals}" ||
        t == "${args_no_boolean_flags}") {
      for (const auto& n : names) {
        const std::string value = "{" + n.name + "}";
        if (t == "${args_no_hyphens}") {
          argv.items.push_back(StringNode(n.name + "=" + value, at));
        } else if (t == "${args_no_equals}") {
          argv.items.push_back(StringNode("--" + n.name, at));
          argv.items.push_back(StringNode(value, at));
        } else {
          argv.items.push_back(StringNode("--" + n.name + "=" + value, at));
        }
        if (n.boolean) {
          c_.Warn(at, path,
                  std::string("'") + n.name +
                      "' has boolean choices: gdsweep passes them as true/false (W&B: "
                      "True/False)" +
                      (t == "${args_no_boolean_flags}"
                           ? ", always as --" + n.name + "=VALUE (W&B: a bare --" + n.name +
                                 " when true, nothing when false)"
                           : ""),
                  "trial");
        }
      }
      return {};
    }
    if (t == "${args_json}") {
      return ErrorAt(at, path,
                     "${args_json} has no equivalent; use ${args_json_file} (gdsweep's "
                     "{trial.dir}/params.json, also in $GDSWEEP_PARAMS_FILE)");
    }
    // Text macros inside a longer item; anything else stays literal.
    std::string out;
    size_t pos = 0;
    while (pos < t.size()) {
      const size_t open = t.find("${", pos);
      if (open == std::string::npos) {
        out += EscapeBraces(t.substr(pos));
        break;
      }
      out += EscapeBraces(t.substr(pos, open - pos));
      const size_t close = t.find('}', open);
      if (close == std::string::npos) {
        out += EscapeBraces(t.substr(open));
        break;
      }
      const std::string macro = t.substr(open + 2, close - open - 2);
      const YamlLocation mat = LocationIn(item, open);
      if (macro == "program") {
        auto p = need_program();
        if (!p) return p.error();
        out += EscapeBraces(*p);
      } else if (macro == "interpreter") {
        out += "python3";
      } else if (macro == "env") {
        out += "/usr/bin/env";
      } else if (macro == "args_json_file") {
        out += "{trial.dir}/params.json";
        c_.Info(mat, path,
                "${args_json_file} becomes {trial.dir}/params.json: the same JSON "
                "object of the parameters",
                "trial");
      } else if (macro.rfind("envvar:", 0) == 0) {
        return ErrorAt(mat, path,
                       "${" + macro +
                           "} has no equivalent (gdsweep runs no shell): the trial inherits "
                           "gdsweep's environment, so the program can read " +
                           macro.substr(7) + " itself");
      } else if (macro.rfind("args", 0) == 0) {
        return ErrorAt(mat, path, "${" + macro + "} must be a command entry of its own");
      } else {
        out += EscapeBraces(t.substr(open, close + 1 - open));
        c_.Warn(mat, path, "${" + macro + "} is not a W&B macro; kept as written", "trial");
      }
      pos = close + 1;
    }
    if (!out.empty()) argv.items.push_back(StringNode(out, at));
    c_.Origin(at, path);
    return {};
  }

  void NoteMetadata() {
    for (const char* key :
         {"description", "project", "entity", "controller", "apiVersion", "kind"}) {
      if (const YamlEntry* e = root_.Find(key)) {
        c_.Info(e->key_location, key,
                std::string(key) == "controller"
                    ? "not carried over: gdsweep is the controller"
                    : "W&B metadata, not carried over (gdsweep records to its database, and "
                      "to MLflow with a tracking section)",
                "");
      }
    }
  }

  const YamlNode& root_;
  const std::string& source_;
  const ConvertOptions& options_;
  Conversion c_;
};

}  // namespace

std::string EscapeBraces(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '{' || c == '}') out += c;
  }
  return out;
}

Result<Conversion> ConvertWandbConfig(const YamlNode& root, const std::string& source_path,
                                      const ConvertOptions& options) {
  return WandbReader(root, source_path, options).Read();
}

}  // namespace gdsweep
