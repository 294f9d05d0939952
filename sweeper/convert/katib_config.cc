#include "sweeper/convert/katib_config.h"

#include <cmath>

#include "sweeper/convert/katib_trial.h"
#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kSpecKeys = {"objective",     "algorithm",
                                            "earlyStopping", "parallelTrialCount",
                                            "maxTrialCount", "maxFailedTrialCount",
                                            "parameters",    "nasConfig",
                                            "trialTemplate", "metricsCollectorSpec",
                                            "resumePolicy"};

// Katib algorithm -> (gdsweep sampler, why it differs; empty: the same).
struct Algorithm {
  std::string sampler;
  bool multivariate = false;
  std::string note;
};

std::optional<Algorithm> MapAlgorithm(const std::string& name) {
  if (name == "random") return Algorithm{"random", false, ""};
  if (name == "grid") return Algorithm{"grid", false, ""};
  if (name == "tpe") return Algorithm{"tpe", false, ""};
  if (name == "multivariate-tpe") return Algorithm{"tpe", true, ""};
  if (name == "bayesianoptimization") {
    return Algorithm{"gp", false,
                     "bayesianoptimization (scikit-optimize's Gaussian process, acquisition "
                     "gp_hedge) becomes gdsweep's gp sampler (Optuna's GPSampler: a Matern "
                     "kernel and log expected improvement); the acquisition differs"};
  }
  if (name == "cmaes") return Algorithm{"cmaes", false, ""};
  if (name == "sobol") return Algorithm{"qmc", false, ""};
  return std::nullopt;
}

// A Katib algorithm setting -> the gdsweep sampler option it becomes;
// empty: none. `kind` says how its value is read.
struct Setting {
  std::string key;
  enum class Kind { kWholeNumber, kPositiveNumber, kWord } kind = Kind::kWholeNumber;
};

std::optional<Setting> MapSetting(const std::string& algorithm, const Algorithm& algo,
                                  const std::string& name) {
  if (name == "random_state") return Setting{"seed"};
  if (algo.sampler == "tpe" && (name == "n_startup_trials" || name == "n_ei_candidates")) {
    return Setting{name};
  }
  if (algorithm == "bayesianoptimization" && name == "n_initial_points") {
    return Setting{"n_startup_trials"};
  }
  if (algorithm == "cmaes" && name == "sigma") {
    return Setting{"sigma0", Setting::Kind::kPositiveNumber};
  }
  if (algorithm == "cmaes" && name == "restart_strategy") {
    return Setting{"restart_strategy", Setting::Kind::kWord};
  }
  return std::nullopt;
}

// True when every parameter of the converted search space is categorical.
bool AllCategorical(const YamlNode& study) {
  const YamlNode* space = FindValue(study, "search_space");
  if (!space || !space->IsMapping()) return false;
  for (const auto& e : space->entries) {
    const YamlNode* type = e.value.IsMapping() ? FindValue(e.value, "type") : nullptr;
    if (!type || type->scalar != "categorical") return false;
  }
  return true;
}

class KatibReader {
 public:
  KatibReader(const YamlNode& root, const std::string& source, const ConvertOptions& options)
      : root_(root), source_(source), options_(options) {
    c_.format = ConfigFormat::kKatib;
    c_.study = MapNode(root.location);
  }

  Result<Conversion> Read() {
    const YamlNode* metadata = FindValue(root_, "metadata");
    const YamlNode* spec = FindValue(root_, "spec");
    if (!spec) return MissingKey(root_, "", "spec");
    if (auto s = ExpectMapping(*spec, "spec"); !s) return s.error();
    if (auto s = CheckKeys(*spec, "spec", kSpecKeys); !s) return s.error();
    if (const YamlEntry* nas = spec->Find("nasConfig")) {
      return ErrorAt(nas->key_location, "spec.nasConfig",
                     "neural architecture search (ENAS, DARTS) has no gdsweep equivalent");
    }
    const YamlNode* name =
        metadata && metadata->IsMapping() ? FindValue(*metadata, "name") : nullptr;
    Put(c_.study, "study_name",
        StringNode(StudyNameFrom(name ? name->scalar : "", source_),
                   name ? name->location : root_.location));
    if (name) c_.Origin(name->location, "metadata.name");
    if (auto s = ReadObjective(*spec); !s) return s.error();
    if (auto s = ReadParameters(*spec); !s) return s.error();
    if (auto s = ReadAlgorithm(*spec); !s) return s.error();
    if (auto s = ReadEarlyStopping(*spec); !s) return s.error();
    ReadBudget(*spec);
    if (auto s = ReadKatibTrialTemplate(*spec, metadata ? *metadata : root_, options_, c_); !s) {
      return s.error();
    }
    ReadCollector(*spec);
    if (const YamlEntry* r = spec->Find("resumePolicy")) {
      c_.Info(r->key_location, "spec.resumePolicy",
              "not carried over: a gdsweep study always resumes where it stopped", "");
    }
    return std::move(c_);
  }

 private:
  Status ReadObjective(const YamlNode& spec) {
    const std::string path = "spec.objective";
    const YamlNode* o = FindValue(spec, "objective");
    if (!o) return MissingKey(spec, "spec", "objective");
    if (auto s = ExpectMapping(*o, path); !s) return s;
    if (auto s = CheckKeys(
            *o, path,
            {"type", "goal", "objectiveMetricName", "additionalMetricNames", "metricStrategies"});
        !s) {
      return s;
    }
    const YamlNode* type = FindValue(*o, "type");
    if (!type) return MissingKey(*o, path, "type");
    const YamlNode* metric = FindValue(*o, "objectiveMetricName");
    if (!metric) return MissingKey(*o, path, "objectiveMetricName");
    YamlNode& objective = Put(c_.study, "objective", MapNode(o->location));
    Put(objective, "metric", *metric);
    Put(objective, "direction", *type);
    c_.Origin(metric->location, path + ".objectiveMetricName");
    c_.Origin(type->location, path + ".type");
    if (const YamlEntry* goal = o->Find("goal")) {
      c_.Warn(goal->key_location, path + ".goal",
              "not carried over: Katib ends the experiment once a trial reaches the goal; "
              "gdsweep runs to its budget",
              "objective");
    }
    if (const YamlEntry* extra = o->Find("additionalMetricNames")) {
      c_.Warn(extra->key_location, path + ".additionalMetricNames",
              "not recorded: gdsweep stores the objective's values (other metrics stay in each "
              "trial's log)",
              "objective");
    }
    std::string strategy = type->scalar == "maximize" ? "max" : "min";
    bool given = false;
    if (const YamlNode* ms = FindValue(*o, "metricStrategies"); ms && ms->IsSequence()) {
      for (const auto& item : ms->items) {
        const YamlNode* n = item.IsMapping() ? FindValue(item, "name") : nullptr;
        const YamlNode* v = item.IsMapping() ? FindValue(item, "value") : nullptr;
        if (n && v && n->scalar == metric->scalar) {
          strategy = v->scalar;
          given = true;
        }
      }
    }
    if (strategy != "latest") {
      c_.Warn(given ? o->Find("metricStrategies")->key_location : type->location,
              given ? path + ".metricStrategies" : path + ".type",
              "Katib takes the " + std::string(strategy == "max" ? "largest" : "smallest") +
                  " value of '" + metric->scalar + "' a trial reports" +
                  (given ? "" : " (its default metric strategy)") +
                  "; gdsweep takes the last one it prints",
              "objective");
    }
    return {};
  }

  Status ReadParameters(const YamlNode& spec) {
    const std::string path = "spec.parameters";
    const YamlEntry* e = spec.Find("parameters");
    if (!e) return MissingKey(spec, "spec", "parameters");
    if (auto s = ExpectList(e->value, path); !s) return s;
    YamlNode& space = Put(c_.study, "search_space", MapNode(e->value.location), e->key_location);
    for (size_t i = 0; i < e->value.items.size(); ++i) {
      if (auto s = ReadParameter(e->value.items[i], IndexPath(path, i), space); !s) return s;
    }
    return {};
  }

  Status ReadParameter(const YamlNode& p, const std::string& path, YamlNode& space) {
    if (auto s = ExpectMapping(p, path); !s) return s;
    if (auto s = CheckKeys(p, path, {"name", "parameterType", "feasibleSpace"}); !s) return s;
    for (const char* key : {"name", "parameterType", "feasibleSpace"}) {
      if (!FindValue(p, key)) return MissingKey(p, path, key);
    }
    const YamlEntry* name = p.Find("name");
    const YamlNode& fs = p.Find("feasibleSpace")->value;
    const std::string fs_path = path + ".feasibleSpace";
    if (auto s = ExpectMapping(fs, fs_path); !s) return s;
    if (auto s = CheckKeys(fs, fs_path, {"min", "max", "step", "list", "distribution"}); !s) {
      return s;
    }
    auto type = ReadEnum(p.Find("parameterType")->value, path + ".parameterType",
                         {"double", "int", "discrete", "categorical"});
    if (!type) return type.error();
    const std::string target = "search_space." + name->value.scalar;
    YamlNode out = MapNode(p.location);
    if (*type == "discrete" || *type == "categorical") {
      const YamlNode* list = FindValue(fs, "list");
      if (!list) return MissingKey(fs, fs_path, "list");
      if (auto s = ExpectList(*list, fs_path + ".list"); !s) return s;
      Put(out, "type", PlainNode("categorical", p.location));
      YamlNode choices = ListNode(list->location);
      for (size_t i = 0; i < list->items.size(); ++i) {
        const YamlNode& item = list->items[i];
        const std::string item_path = IndexPath(fs_path + ".list", i);
        if (*type == "discrete") {
          auto v = ReadNumberLike(item, item_path);
          if (!v) return v.error();
          choices.items.push_back(ChoiceNode(*v, item.location));
        } else {
          auto s = ReadString(item, item_path);
          if (!s) return s.error();
          choices.items.push_back(StringNode(*s, item.location));
        }
        c_.Origin(item.location, item_path);
      }
      Put(out, "choices", std::move(choices));
      Put(space, name->value.scalar, std::move(out), name->value.location);
      return {};
    }
    const bool is_int = *type == "int";
    Put(out, "type", PlainNode(is_int ? "int" : "float", p.location));
    bool log = false;
    if (const YamlNode* d = FindValue(fs, "distribution")) {
      auto dist =
          ReadEnum(*d, fs_path + ".distribution", {"uniform", "logUniform", "normal", "logNormal"});
      if (!dist) return dist.error();
      log = *dist == "logUniform" || *dist == "logNormal";
      if (*dist == "normal" || *dist == "logNormal") {
        c_.Warn(d->location, fs_path + ".distribution",
                *dist + " has no equivalent: gdsweep draws " +
                    (log ? "log-uniformly" : "uniformly") + " between min and max",
                target);
      }
    }
    for (const char* key : {"min", "max"}) {
      const YamlNode* v = FindValue(fs, key);
      if (!v) return MissingKey(fs, fs_path, key);
      auto n = ReadNumberLike(*v, fs_path + "." + key);
      if (!n) return n.error();
      c_.Origin(v->location, fs_path + "." + key);
      if (is_int) {
        if (!std::holds_alternative<int64_t>(*n)) {
          return ErrorAt(v->location, fs_path + "." + key,
                         "expected a whole number for an int parameter, got " + Describe(*v));
        }
        Put(out, key == std::string("min") ? "low" : "high", ChoiceNode(*n, v->location));
      } else {
        const double d = std::holds_alternative<int64_t>(*n)
                             ? static_cast<double>(std::get<int64_t>(*n))
                             : std::get<double>(*n);
        Put(out, key == std::string("min") ? "low" : "high", FloatNode(d, v->location));
      }
    }
    if (const YamlNode* step = FindValue(fs, "step")) {
      auto n = ReadNumberLike(*step, fs_path + ".step");
      if (!n) return n.error();
      const bool unit = std::holds_alternative<int64_t>(*n) && std::get<int64_t>(*n) == 1;
      if (log && !(is_int && unit)) {
        c_.Warn(step->location, fs_path + ".step",
                "dropped: Optuna allows no step on a log-scaled parameter", target);
      } else if (is_int) {
        if (!std::holds_alternative<int64_t>(*n)) {
          return ErrorAt(step->location, fs_path + ".step",
                         "expected a whole number for an int parameter, got " + Describe(*step));
        }
        Put(out, "step", ChoiceNode(*n, step->location));
      } else {
        const double d = std::holds_alternative<int64_t>(*n)
                             ? static_cast<double>(std::get<int64_t>(*n))
                             : std::get<double>(*n);
        Put(out, "step", FloatNode(d, step->location));
      }
      c_.Origin(step->location, fs_path + ".step");
    }
    if (log) Put(out, "log", BoolNode(true, p.location));
    Put(space, name->value.scalar, std::move(out), name->value.location);
    c_.Origin(name->value.location, path + ".name");
    return {};
  }

  Status ReadAlgorithm(const YamlNode& spec) {
    const std::string path = "spec.algorithm";
    const YamlNode* a = FindValue(spec, "algorithm");
    if (!a) return MissingKey(spec, "spec", "algorithm");
    if (auto s = ExpectMapping(*a, path); !s) return s;
    const YamlNode* name = FindValue(*a, "algorithmName");
    if (!name) return MissingKey(*a, path, "algorithmName");
    auto algo = MapAlgorithm(name->scalar);
    if (!algo) {
      return ErrorAt(name->location, path + ".algorithmName",
                     "'" + name->scalar +
                         "' has no gdsweep equivalent (read: random, grid, tpe, "
                         "multivariate-tpe, bayesianoptimization, cmaes, sobol)");
    }
    if (algo->sampler == "gp" && AllCategorical(c_.study)) {
      algo = Algorithm{"tpe", false,
                       "bayesianoptimization over categorical parameters only: gdsweep's gp "
                       "sampler needs a numeric one, so TPE is used instead"};
    }
    YamlNode& sampler = Put(c_.study, "sampler", MapNode(a->location));
    Put(sampler, "type", PlainNode(algo->sampler, name->location));
    if (algo->multivariate) Put(sampler, "multivariate", BoolNode(true, name->location));
    if (!algo->note.empty())
      c_.Warn(name->location, path + ".algorithmName", algo->note, "sampler");
    const YamlNode* settings = FindValue(*a, "algorithmSettings");
    if (!settings) return {};
    if (auto s = ExpectList(*settings, path + ".algorithmSettings"); !s) return s;
    for (size_t i = 0; i < settings->items.size(); ++i) {
      const YamlNode& item = settings->items[i];
      const std::string ip = IndexPath(path + ".algorithmSettings", i);
      const YamlNode* n = item.IsMapping() ? FindValue(item, "name") : nullptr;
      const YamlNode* v = item.IsMapping() ? FindValue(item, "value") : nullptr;
      if (!n || !v) return ErrorAt(item.location, ip, "expected {name: ..., value: ...}");
      const auto setting = MapSetting(name->scalar, *algo, n->scalar);
      if (!setting) {
        c_.Warn(n->location, ip,
                "setting '" + n->scalar + "' not carried over: gdsweep's " + algo->sampler +
                    " sampler has no equivalent",
                "sampler");
        continue;
      }
      if (setting->key != n->scalar && setting->key != "seed") {
        c_.Info(n->location, ip,
                n->scalar + " becomes the " + algo->sampler + " sampler's " + setting->key,
                "sampler");
      }
      const std::string& key = setting->key;
      if (setting->kind == Setting::Kind::kWord) {
        Put(sampler, key, PlainNode(v->scalar, v->location), n->location);
        c_.Origin(v->location, ip + ".value");
        continue;
      }
      if (setting->kind == Setting::Kind::kPositiveNumber) {
        auto x = ReadDoubleLike(*v, ip + ".value");
        if (!x || !(*x > 0)) {
          return ErrorAt(v->location, ip + ".value",
                         "expected a positive number, got " + Describe(*v));
        }
        Put(sampler, key, ChoiceNode(*x, v->location), n->location);
        c_.Origin(v->location, ip + ".value");
        continue;
      }
      auto number = ReadNumberLike(*v, ip + ".value");
      if (!number || !std::holds_alternative<int64_t>(*number)) {
        return ErrorAt(v->location, ip + ".value", "expected a whole number, got " + Describe(*v));
      }
      Put(sampler, key, ChoiceNode(*number, v->location), n->location);
      c_.Origin(v->location, ip + ".value");
    }
    return {};
  }

  Status ReadEarlyStopping(const YamlNode& spec) {
    const std::string path = "spec.earlyStopping";
    const YamlNode* es = FindValue(spec, "earlyStopping");
    if (!es) return {};
    if (auto s = ExpectMapping(*es, path); !s) return s;
    const YamlNode* name = FindValue(*es, "algorithmName");
    if (!name) return MissingKey(*es, path, "algorithmName");
    if (name->scalar != "medianstop") {
      return ErrorAt(
          name->location, path + ".algorithmName",
          "expected medianstop, Katib's early-stopping algorithm, got " + Describe(*name));
    }
    YamlNode& pruner = Put(c_.study, "pruner", MapNode(es->location));
    Put(pruner, "type", PlainNode("median", name->location));
    int64_t min_trials = 3, start_step = 4;
    if (const YamlNode* settings = FindValue(*es, "algorithmSettings");
        settings && settings->IsSequence()) {
      for (size_t i = 0; i < settings->items.size(); ++i) {
        const YamlNode& item = settings->items[i];
        const std::string ip = IndexPath(path + ".algorithmSettings", i);
        const YamlNode* n = item.IsMapping() ? FindValue(item, "name") : nullptr;
        const YamlNode* v = item.IsMapping() ? FindValue(item, "value") : nullptr;
        if (!n || !v) return ErrorAt(item.location, ip, "expected {name: ..., value: ...}");
        if (n->scalar != "min_trials_required" && n->scalar != "start_step") {
          c_.Warn(n->location, ip, "setting '" + n->scalar + "' not carried over", "pruner");
          continue;
        }
        auto number = ReadNumberLike(*v, ip + ".value");
        if (!number || !std::holds_alternative<int64_t>(*number)) {
          return ErrorAt(v->location, ip + ".value",
                         "expected a whole number, got " + Describe(*v));
        }
        (n->scalar == "start_step" ? start_step : min_trials) = std::get<int64_t>(*number);
      }
    }
    Put(pruner, "n_startup_trials", IntNode(min_trials, es->location));
    Put(pruner, "n_warmup_steps", IntNode(std::max<int64_t>(0, start_step - 1), es->location));
    c_.Warn(name->location, path + ".algorithmName",
            "medianstop becomes Optuna's MedianPruner (n_startup_trials = min_trials_required = " +
                std::to_string(min_trials) + ", n_warmup_steps = start_step - 1 = " +
                std::to_string(std::max<int64_t>(0, start_step - 1)) +
                "): Katib compares a trial's best value with the median of the completed trials' "
                "running averages, Optuna with the median of their values at the same step",
            "pruner");
    return {};
  }

  void ReadBudget(const YamlNode& spec) {
    YamlNode& budget = Put(c_.study, "budget", MapNode(spec.location));
    if (const YamlNode* n = FindValue(spec, "maxTrialCount")) {
      Put(budget, "n_trials", *n);
      c_.Origin(n->location, "spec.maxTrialCount");
    }
    if (const YamlNode* n = FindValue(spec, "parallelTrialCount")) {
      Put(budget, "parallelism", *n);
      c_.Origin(n->location, "spec.parallelTrialCount");
    } else {
      Put(budget, "parallelism", IntNode(3, spec.location));
      c_.Info(spec.location, "spec.parallelTrialCount", "not set: 3, Katib's default", "budget");
    }
    if (const YamlEntry* f = spec.Find("maxFailedTrialCount")) {
      c_.Warn(f->key_location, "spec.maxFailedTrialCount",
              "not carried over: Katib fails the experiment after this many failed trials; "
              "gdsweep records failed trials and goes on (trial.retries runs one again)",
              "budget");
    }
  }

  void ReadCollector(const YamlNode& spec) {
    const YamlNode* m = FindValue(spec, "metricsCollectorSpec");
    if (!m || !m->IsMapping()) return;
    const YamlNode* collector = FindValue(*m, "collector");
    const YamlNode* kind =
        collector && collector->IsMapping() ? FindValue(*collector, "kind") : nullptr;
    if (kind && kind->scalar == "StdOut" && !FindValue(*m, "source")) return;
    c_.Warn(kind ? kind->location : m->location, "spec.metricsCollectorSpec",
            "not carried over: gdsweep reads 'name=value' lines from the trial's stdout "
            "(Katib's default StdOut collector, with its default format)",
            "trial");
  }

  const YamlNode& root_;
  const std::string& source_;
  const ConvertOptions& options_;
  Conversion c_;
};

}  // namespace

Result<Conversion> ConvertKatibExperiment(const YamlNode& root, const std::string& source_path,
                                          const ConvertOptions& options) {
  return KatibReader(root, source_path, options).Read();
}

}  // namespace gdsweep
