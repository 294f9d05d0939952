#include "sweeper/convert/hydra_config.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "sweeper/convert/hydra_expression.h"
#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/study_parser_sampler.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kSweeperKeys = {
    "_target_",           "sampler", "direction", "study_name",       "storage",
    "n_trials",           "n_jobs",  "params",    "max_failure_rate", "search_space",
    "custom_search_space"};

// Optuna sampler class or config-group name -> (gdsweep sampler, why it differs).
struct SamplerChoice {
  std::string type;
  std::string note;  // empty: the same sampler
};

SamplerChoice MapSampler(const std::string& name) {
  if (name == "tpe" || name == "TPESampler") return {"tpe", ""};
  if (name == "random" || name == "RandomSampler") return {"random", ""};
  if (name == "grid" || name == "GridSampler") return {"grid", ""};
  if (name == "motpe" || name == "MOTPESampler") {
    return {"tpe",
            "Optuna's MOTPE sampler is TPE over several objectives, which gdsweep's TPE does"};
  }
  if (name == "nsgaii" || name == "NSGAIISampler") return {"nsga2", ""};
  if (name == "cmaes" || name == "CmaEsSampler") return {"cmaes", ""};
  if (name == "qmc" || name == "QMCSampler") return {"qmc", ""};
  if (name == "gp" || name == "GPSampler") return {"gp", ""};
  return {"", ""};
}

// Options with the same name and meaning in Optuna's sampler and gdsweep's,
// by gdsweep sampler type.
const std::vector<std::string>& SameNamedKeys(const std::string& type) {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"tpe",
       {"consider_prior", "prior_weight", "consider_magic_clip", "consider_endpoints",
        "n_startup_trials", "n_ei_candidates", "multivariate", "group", "constant_liar"}},
      {"cmaes",
       {"x0", "sigma0", "n_startup_trials", "restart_strategy", "inc_popsize", "popsize",
        "use_separable_cma", "with_margin"}},
      {"nsga2", {"population_size", "mutation_prob", "crossover_prob", "swapping_prob"}},
      {"qmc", {"scramble"}},
      {"gp", {"n_startup_trials", "deterministic_objective"}}};
  static const std::vector<std::string> none;
  auto it = keys.find(type);
  return it == keys.end() ? none : it->second;
}

class HydraReader {
 public:
  HydraReader(const YamlNode& root, const std::string& source, const ConvertOptions& options)
      : root_(root), source_(source), options_(options) {
    c_.format = ConfigFormat::kHydra;
    c_.study = MapNode(root.location);
  }

  Result<Conversion> Read() {
    const YamlNode& hydra = root_.Find("hydra")->value;
    const YamlEntry* sweeper_entry = hydra.Find("sweeper");
    const YamlNode& sweeper = sweeper_entry->value;
    const std::string sp = "hydra.sweeper";
    if (auto s = ExpectMapping(sweeper, sp); !s) return s.error();
    if (auto s = CheckKeys(sweeper, sp, kSweeperKeys); !s) return s.error();
    if (const YamlNode* t = FindValue(sweeper, "_target_");
        t && t->scalar.find("OptunaSweeper") == std::string::npos) {
      return ErrorAt(t->location, sp + "._target_",
                     "only Hydra's Optuna sweeper is read, got " + Describe(*t));
    }
    if (auto s = ReadDefaults(); !s) return s.error();
    NoteOtherKeys(hydra);

    const YamlNode* name = FindValue(sweeper, "study_name");
    Put(c_.study, "study_name",
        StringNode(StudyNameFrom(name ? name->scalar : "", source_),
                   name ? name->location : sweeper.location));
    if (!name) {
      c_.Info(sweeper.location, sp + ".study_name", "not set: the study is named after the file",
              "study_name");
    }
    if (const YamlNode* storage = FindValue(sweeper, "storage")) {
      Put(c_.study, "storage", *storage);
      c_.Origin(storage->location, sp + ".storage");
    }
    if (auto s = ReadDirections(sweeper); !s) return s.error();
    if (auto s = ReadSpace(sweeper); !s) return s.error();
    if (auto s = ReadSampler(sweeper); !s) return s.error();
    ReadBudget(sweeper);
    if (auto s = ReadTrial(*sweeper_entry); !s) return s.error();
    return std::move(c_);
  }

 private:
  // defaults: [override hydra/sweeper: optuna, override hydra/sweeper/sampler: tpe]
  Status ReadDefaults() {
    const YamlNode* defaults = FindValue(root_, "defaults");
    if (!defaults || !defaults->IsSequence()) return {};
    for (size_t i = 0; i < defaults->items.size(); ++i) {
      const YamlNode& item = defaults->items[i];
      if (!item.IsMapping() || item.entries.size() != 1) continue;
      std::string group = item.entries[0].key;
      if (group.rfind("override ", 0) == 0) group = group.substr(9);
      const YamlNode& value = item.entries[0].value;
      const std::string path = IndexPath("defaults", i);
      if (group == "hydra/sweeper" && value.scalar != "optuna") {
        return ErrorAt(value.location, path,
                       "only Hydra's Optuna sweeper is read, got " + Describe(value));
      }
      if (group == "hydra/sweeper/sampler") {
        sampler_name_ = value.scalar;
        sampler_at_ = value.location;
        sampler_key_ = path;
      }
    }
    return {};
  }

  void NoteOtherKeys(const YamlNode& hydra) {
    std::string app;
    for (const auto& e : root_.entries) {
      if (e.key != "hydra" && e.key != "defaults") app += (app.empty() ? "" : ", ") + e.key;
    }
    if (!app.empty()) {
      c_.Info(root_.location, "",
              "the app's own settings (" + app +
                  ") stay in its config; each trial overrides the swept ones",
              "");
    }
    for (const auto& e : hydra.entries) {
      if (e.key == "sweeper") continue;
      c_.Warn(e.key_location, "hydra." + e.key,
              "not carried over: gdsweep runs the app once per trial with Hydra overrides and "
              "keeps each trial's output in its own folder",
              "trial");
    }
  }

  Status ReadDirections(const YamlNode& sweeper) {
    const YamlNode* d = FindValue(sweeper, "direction");
    const YamlLocation at = d ? d->location : sweeper.location;
    if (!d) {
      Put(c_.study, "direction", PlainNode("minimize", at));
      c_.Info(at, "hydra.sweeper.direction", "not set: minimize, the sweeper's default",
              "direction");
    } else {
      Put(c_.study, "direction", *d);
      c_.Origin(d->location, "hydra.sweeper.direction");
    }
    if (d && d->IsSequence()) {
      YamlNode metrics = ListNode(at);
      for (size_t i = 0; i < d->items.size(); ++i) {
        metrics.items.push_back(StringNode("values_" + std::to_string(i), d->items[i].location));
      }
      Put(c_.study, "metrics", std::move(metrics));
    } else {
      Put(c_.study, "metric", StringNode("value", at));
    }
    c_.Info(at, "hydra.sweeper.direction",
            std::string("the app returns its objective to the sweeper; under gdsweep it prints ") +
                (d && d->IsSequence() ? "'values_0=<number>', 'values_1=<number>', ... lines"
                                      : "a 'value=<number>' line") +
                " (rename with --set " + (d && d->IsSequence() ? "metrics=[...]" : "metric=NAME") +
                ")",
            "direction");
    return {};
  }

  Status ReadSpace(const YamlNode& sweeper) {
    if (const YamlNode* custom = FindValue(sweeper, "custom_search_space")) {
      return ErrorAt(custom->location, "hydra.sweeper.custom_search_space",
                     "a Python function that extends the space has no equivalent: gdsweep's "
                     "search space is declared in the file");
    }
    const YamlNode* params = FindValue(sweeper, "params");
    const YamlNode* legacy = FindValue(sweeper, "search_space");
    if (params && legacy) {
      c_.Warn(legacy->location, "hydra.sweeper.search_space",
              "ignored: params is given too, and Hydra uses params", "search_space");
    }
    YamlNode& space = Put(c_.study, "search_space",
                          MapNode(params   ? params->location
                                  : legacy ? legacy->location
                                           : sweeper.location));
    if (params) {
      if (auto s = ExpectMapping(*params, "hydra.sweeper.params"); !s) return s;
      for (const auto& e : params->entries) {
        auto p = ReadParam(e, "hydra.sweeper.params." + e.key);
        if (!p) return p.error();
        Put(space, e.key, std::move(*p), e.key_location);
      }
    } else if (legacy) {
      if (auto s = ExpectMapping(*legacy, "hydra.sweeper.search_space"); !s) return s;
      c_.Info(legacy->location, "hydra.sweeper.search_space",
              "the sweeper's older form, with the same keys as gdsweep's search_space",
              "search_space");
      for (const auto& e : legacy->entries) {
        Put(space, e.key, e.value, e.key_location);
        c_.Origin(e.key_location, "hydra.sweeper.search_space." + e.key);
      }
    }
    return {};
  }

  // One value of params: a sweep in Hydra's grammar, or a constant.
  Result<YamlNode> ReadParam(const YamlEntry& e, const std::string& path) {
    const YamlNode& v = e.value;
    c_.Origin(v.location, path);
    if (!v.IsScalar()) {
      return ErrorAt(v.location, path,
                     "expected a sweep such as interval(0, 1), range(1, 10) or choice(a, b), or "
                     "a constant, got " +
                         Describe(v));
    }
    auto expr = ParseHydraExpression(v.scalar);
    if (!expr) {
      auto [offset, what] = SplitHydraError(expr.error().message);
      return ErrorAt(LocationIn(v, offset), path, what + " in '" + v.scalar + "'");
    }
    return Distribution(*expr, v, path, "");
  }

  Error At(const YamlNode& v, const HydraExpr& e, const std::string& path, const std::string& m) {
    return ErrorAt(LocationIn(v, e.offset), path, m);
  }

  // `cast` is "int", "float", "str", "bool" or "" (none) from an enclosing cast.
  Result<YamlNode> Distribution(const HydraExpr& e, const YamlNode& v, const std::string& path,
                                const std::string& cast, bool log = false) {
    const YamlLocation at = LocationIn(v, e.offset);
    if (e.kind == HydraExpr::Kind::kList) {
      if (!e.bare_choice) {
        return At(v, e, path, "a list is not a sweep; write choice(a, b, ...)");
      }
      return Categorical(e.args, v, path, cast);
    }
    if (e.kind == HydraExpr::Kind::kValue) {
      YamlNode p = MapNode(at);
      Put(p, "type", PlainNode("categorical", at));
      auto value = Cast(e.value, cast, v, e, path);
      if (!value) return value.error();
      Put(p, "choices", ListNode(at, {ChoiceNode(*value, at)}));
      c_.Info(at, path,
              "a constant: a categorical parameter with this one choice, recorded with each "
              "trial (Optuna's sweeper keeps it as a user attribute) and passed as an override",
              "search_space." + Key(path));
      return p;
    }
    const std::string& f = e.name;
    if (f == "int" || f == "float" || f == "str" || f == "bool") {
      if (e.args.size() != 1) return At(v, e, path, f + "(...) takes one argument");
      return Distribution(e.args[0].second, v, path, f, log);
    }
    if (f == "tag") {
      if (e.args.empty()) return At(v, e, path, "tag(...) needs a sweep as its last argument");
      bool has_log = log;
      for (size_t i = 0; i + 1 < e.args.size(); ++i) {
        const HydraExpr& t = e.args[i].second;
        const auto* s = std::get_if<std::string>(&t.value);
        if (s && *s == "log") {
          has_log = true;
        } else {
          c_.Warn(LocationIn(v, t.offset), path,
                  "tag '" + (s ? *s : std::string("?")) +
                      "' has no meaning to the Optuna sweeper or gdsweep; only 'log' does",
                  "search_space." + Key(path));
        }
      }
      return Distribution(e.args.back().second, v, path, cast, has_log);
    }
    if (f == "choice") {
      if (log) {
        c_.Warn(at, path, "tag(log, ...) has no effect on a choice", "search_space." + Key(path));
      }
      return Categorical(e.args, v, path, cast);
    }
    if (f == "interval") return Interval(e, v, path, cast, log);
    if (f == "range") return Range(e, v, path, cast, log);
    return At(v, e, path,
              "'" + f +
                  "(...)' is not read by gdsweep; the Optuna sweeper's sweeps are interval(...), "
                  "range(...), choice(...), tag(log, ...) and the casts int(...), float(...)");
  }

  static std::string Key(const std::string& path) {
    return path.substr(std::string("hydra.sweeper.params.").size());
  }

  Result<Choice> Cast(const Choice& c, const std::string& cast, const YamlNode& v,
                      const HydraExpr& e, const std::string& path) {
    if (cast.empty()) return c;
    if (cast == "str") {
      if (auto* d = std::get_if<double>(&c)) return Choice{FormatDouble(*d)};
      return Choice{ChoiceToString(c)};
    }
    const double* d = std::get_if<double>(&c);
    const int64_t* i = std::get_if<int64_t>(&c);
    if (cast == "bool") {
      if (std::holds_alternative<bool>(c)) return c;
      if (d || i) return Choice{d ? *d != 0 : *i != 0};
    } else if (d || i) {
      if (cast == "int") return Choice{i ? *i : static_cast<int64_t>(std::trunc(*d))};
      return Choice{d ? *d : static_cast<double>(*i)};
    }
    return At(v, e, path, cast + "(...) cannot cast '" + ChoiceToString(c) + "'");
  }

  Result<YamlNode> Categorical(const std::vector<std::pair<std::string, HydraExpr>>& args,
                               const YamlNode& v, const std::string& path,
                               const std::string& cast) {
    const YamlLocation at = v.location;
    YamlNode p = MapNode(at);
    Put(p, "type", PlainNode("categorical", at));
    YamlNode choices = ListNode(at);
    for (const auto& [keyword, a] : args) {
      if (a.kind != HydraExpr::Kind::kValue) {
        return At(v, a, path, "a choice must be a number, string, boolean or null");
      }
      auto value = Cast(a.value, cast, v, a, path);
      if (!value) return value.error();
      choices.items.push_back(ChoiceNode(*value, LocationIn(v, a.offset)));
    }
    if (choices.items.empty()) return ErrorAt(at, path, "choice() needs at least one value");
    Put(p, "choices", std::move(choices));
    return p;
  }

  // The numeric arguments of interval/range by position or keyword.
  Result<std::vector<std::optional<Choice>>> NumericArgs(const HydraExpr& e, const YamlNode& v,
                                                         const std::string& path,
                                                         const std::vector<std::string>& names,
                                                         const std::string& cast) {
    std::vector<std::optional<Choice>> out(names.size());
    for (size_t i = 0; i < e.args.size(); ++i) {
      const auto& [keyword, a] = e.args[i];
      size_t slot = i;
      if (!keyword.empty()) {
        auto it = std::find(names.begin(), names.end(), keyword);
        if (it == names.end()) {
          return At(v, a, path, e.name + "(...) has no argument '" + keyword + "'");
        }
        slot = static_cast<size_t>(it - names.begin());
      }
      if (slot >= names.size()) return At(v, a, path, e.name + "(...): too many arguments");
      const bool number =
          a.kind == HydraExpr::Kind::kValue &&
          (std::holds_alternative<int64_t>(a.value) || std::holds_alternative<double>(a.value));
      if (!number ||
          (std::holds_alternative<double>(a.value) && !std::isfinite(std::get<double>(a.value)))) {
        return At(v, a, path, e.name + "(...) takes finite numbers");
      }
      auto value = Cast(a.value, cast == "float" || cast == "int" ? cast : "", v, a, path);
      if (!value) return value.error();
      out[slot] = *value;
    }
    return out;
  }

  Result<YamlNode> Interval(const HydraExpr& e, const YamlNode& v, const std::string& path,
                            const std::string& cast, bool log) {
    auto args = NumericArgs(e, v, path, {"start", "end"}, cast);
    if (!args) return args.error();
    if (!(*args)[0] || !(*args)[1]) return At(v, e, path, "interval(start, end) needs both");
    const YamlLocation at = LocationIn(v, e.offset);
    const std::optional<Num> start = ToNum((*args)[0]), end = ToNum((*args)[1]);
    // As the Optuna sweeper: integers when both bounds are integers.
    const bool ints = start->is_int && end->is_int;
    YamlNode p = MapNode(at);
    Put(p, "type", PlainNode(ints ? "int" : "float", at));
    Put(p, "low", NumNode(*start, ints, at));
    Put(p, "high", NumNode(*end, ints, at));
    if (log) Put(p, "log", BoolNode(true, at));
    return p;
  }

  // A number of interval/range: its value, and whether it is an integer.
  struct Num {
    double value = 0;
    bool is_int = false;
  };
  static std::optional<Num> ToNum(const std::optional<Choice>& c) {
    if (!c) return std::nullopt;
    if (const auto* i = std::get_if<int64_t>(&*c)) return Num{static_cast<double>(*i), true};
    if (const auto* d = std::get_if<double>(&*c)) return Num{*d, false};
    return std::nullopt;
  }
  static YamlNode NumNode(const Num& n, bool as_int, const YamlLocation& at) {
    return as_int ? IntNode(std::llround(n.value), at) : FloatNode(n.value, at);
  }

  Result<YamlNode> Range(const HydraExpr& e, const YamlNode& v, const std::string& path,
                         const std::string& cast, bool log) {
    auto args = NumericArgs(e, v, path, {"start", "stop", "step"}, cast);
    if (!args) return args.error();
    std::optional<Num> start = ToNum((*args)[0]), stop = ToNum((*args)[1]),
                       step = ToNum((*args)[2]);
    if (start && !stop && e.args.size() == 1 && e.args[0].first.empty()) {
      stop = start;  // range(stop), as Python's
      start = Num{0, true};
    }
    if (!start || !stop) return At(v, e, path, "range(start, stop[, step]) needs start and stop");
    if (!step) step = Num{1, true};
    const YamlLocation at = LocationIn(v, e.offset);
    const std::string target = "search_space." + Key(path);
    if (log) c_.Warn(at, path, "tag(log, ...) is ignored on a range, as the sweeper does", target);
    const bool ints = start->is_int && stop->is_int && step->is_int;
    const double lo = start->value, hi = stop->value, st = step->value;
    YamlNode p = MapNode(at);
    Put(p, "type", PlainNode(ints ? "int" : "float", at));
    Put(p, "low", NumNode(*start, ints, at));
    if (!(st > 0) || !(hi > lo)) {
      // Let the study-file rules say what is wrong, at this place.
      Put(p, "high", NumNode(*stop, ints, at));
      Put(p, "step", NumNode(*step, ints, at));
      return p;
    }
    // Optuna's stepped distributions include `stop` when it is on the grid,
    // and lower it onto the grid otherwise.
    const double n = std::floor((hi - lo) / st + 1e-9);
    const double top = lo + n * st;
    const bool on_grid = std::fabs(top - hi) <= 1e-9 * std::max(1.0, std::fabs(hi));
    if (!on_grid) {
      c_.Warn(at, path,
              "stop " + FormatDouble(hi) + " is not on the grid of step " + FormatDouble(st) +
                  " from " + FormatDouble(lo) + "; the highest value is " + FormatDouble(top) +
                  ", as Optuna lowers it",
              target);
    }
    Put(p, "high", NumNode(Num{on_grid ? hi : top, ints}, ints, at));
    Put(p, "step", NumNode(*step, ints, at));
    has_range_ = true;
    return p;
  }

  Status ReadSampler(const YamlNode& sweeper) {
    const YamlNode* s = FindValue(sweeper, "sampler");
    std::string name = sampler_name_;
    YamlLocation at = sampler_at_;
    std::string key = sampler_key_;
    if (s && s->IsMapping()) {
      if (const YamlNode* target = FindValue(*s, "_target_")) {
        const std::string& t = target->scalar;
        name = t.substr(t.rfind('.') == std::string::npos ? 0 : t.rfind('.') + 1);
        at = target->location;
        key = "hydra.sweeper.sampler._target_";
      }
    }
    if (name.empty()) {
      name = "tpe";
      at = s ? s->location : sweeper.location;
      key = "defaults";
      c_.Info(at, key, "no sampler chosen: TPE, the sweeper's default", "sampler");
    }
    SamplerChoice choice = MapSampler(name);
    if (choice.type.empty()) {
      return ErrorAt(at, key,
                     "unknown sampler '" + name +
                         "' (the Optuna sweeper's are tpe, random, grid, cmaes, nsgaii, motpe, "
                         "qmc; Optuna's GPSampler is read too)");
    }
    const YamlNode* d = FindValue(sweeper, "direction");
    if (const SamplerType* t = FindSamplerType(choice.type);
        t && !t->multi_objective && d && d->IsSequence() && d->items.size() > 1) {
      choice = {"tpe", "gdsweep's " + choice.type +
                           " sampler optimises one objective and this study has " +
                           std::to_string(d->items.size()) +
                           ": TPE, which handles several, is used instead"};
    }
    if (!choice.note.empty()) c_.Warn(at, key, choice.note, "sampler");
    YamlNode& out = Put(c_.study, "sampler", MapNode(at));
    Put(out, "type", PlainNode(choice.type, at));
    if (choice.type == "grid" && has_range_) {
      c_.Warn(at, key,
              "gdsweep's grid includes each range's upper bound, as Optuna's distribution does; "
              "the Optuna sweeper of Hydra 1.3 leaves it out of its grid",
              "sampler");
    }
    if (!s || !s->IsMapping()) return {};
    for (const auto& e : s->entries) {
      const std::string path = "hydra.sweeper.sampler." + e.key;
      if (e.key == "_target_") continue;
      if (e.key == "seed") {
        if (!e.value.IsNull()) {
          Put(out, "seed", e.value, e.key_location);
          c_.Origin(e.value.location, path);
        }
        continue;
      }
      const auto& same = SameNamedKeys(choice.type);
      const bool same_key = std::find(same.begin(), same.end(), e.key) != same.end() ||
                            (choice.type == "qmc" && e.key == "qmc_type" &&
                             (e.value.scalar == "sobol" || e.value.scalar == "halton"));
      if (same_key && choice.note.empty() && !e.value.IsNull()) {
        Put(out, e.key, e.value, e.key_location);
        c_.Origin(e.value.location, path);
        continue;
      }
      if (e.key == "warn_independent_sampling") {
        c_.Info(e.key_location, path, "not carried over: gdsweep logs no such warning", "sampler");
        continue;
      }
      c_.Warn(e.key_location, path,
              "not carried over: no setting of gdsweep's " + choice.type + " sampler matches it",
              "sampler");
    }
    return {};
  }

  void ReadBudget(const YamlNode& sweeper) {
    YamlNode& budget = Put(c_.study, "budget", MapNode(sweeper.location));
    const std::string sp = "hydra.sweeper.";
    if (const YamlNode* n = FindValue(sweeper, "n_trials")) {
      Put(budget, "n_trials", *n);
      c_.Origin(n->location, sp + "n_trials");
    } else {
      Put(budget, "n_trials", IntNode(20, sweeper.location));
      c_.Info(sweeper.location, sp + "n_trials", "not set: 20, the sweeper's default", "budget");
    }
    if (const YamlNode* n = FindValue(sweeper, "n_jobs")) {
      Put(budget, "parallelism", *n);
      c_.Origin(n->location, sp + "n_jobs");
    } else {
      Put(budget, "parallelism", IntNode(2, sweeper.location));
      c_.Info(sweeper.location, sp + "n_jobs", "not set: 2, the sweeper's default", "budget");
    }
    c_.Info(sweeper.location, sp + "n_jobs",
            "the sweeper runs its trials in batches of n_jobs; gdsweep starts a trial whenever "
            "one of the parallelism slots is free",
            "budget");
    if (const YamlEntry* f = sweeper.Find("max_failure_rate"); f && !f->value.IsNull()) {
      c_.Warn(f->key_location, sp + "max_failure_rate",
              "not carried over: gdsweep records failed trials and goes on (trial.retries runs "
              "a failed trial again)",
              "budget");
    }
  }

  Status ReadTrial(const YamlEntry& sweeper) {
    YamlNode& trial = Put(c_.study, "trial", MapNode(sweeper.key_location));
    if (options_.command.empty()) {
      return ErrorAt(sweeper.key_location, "hydra.sweeper",
                     "a Hydra config does not say which program to run: the Optuna sweeper "
                     "sweeps the app it belongs to. Give the app's command with --command "
                     "(e.g. --command 'python3 my_app.py'); each trial gets the parameters "
                     "appended as Hydra overrides (x=0.5 y=-5). Or add trial.command to a "
                     "converted file");
    }
    Put(trial, "command", CommandNode(options_.command, sweeper.key_location));
    Put(trial, "overrides", PlainNode("hydra", sweeper.key_location));
    c_.Info(sweeper.key_location, "hydra.sweeper",
            "each trial runs the --command with the parameters appended as Hydra overrides",
            "trial");
    if (!options_.backend.empty() && options_.backend != "local") {
      return Error::Invalid("--backend " + options_.backend +
                            ": a Hydra config runs its app locally (backend: local); write a "
                            "kubernetes section into a converted file to run it on a cluster");
    }
    return {};
  }

  const YamlNode& root_;
  const std::string& source_;
  const ConvertOptions& options_;
  Conversion c_;
  std::string sampler_name_;
  YamlLocation sampler_at_;
  std::string sampler_key_;
  bool has_range_ = false;
};

}  // namespace

Result<Conversion> ConvertHydraConfig(const YamlNode& root, const std::string& source_path,
                                      const ConvertOptions& options) {
  return HydraReader(root, source_path, options).Read();
}

}  // namespace gdsweep
