#include "sweeper/spec/study_parser_space.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <regex>

#include "sweeper/spec/placeholders.h"
#include "sweeper/spec/suggest.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kNumericKeys = {"type", "low", "high", "step", "log"};
const std::vector<std::string> kCategoricalKeys = {"type", "choices"};
const std::vector<std::string> kTpeKeys = {"n_startup_trials",   "n_ei_candidates",
                                           "multivariate",       "group",
                                           "constant_liar",      "consider_prior",
                                           "prior_weight",       "consider_magic_clip",
                                           "consider_endpoints", "gamma"};

Status CheckParameterName(const YamlEntry& entry, const std::string& path) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_.-]*");
  if (!std::regex_match(entry.key, kName)) {
    return ErrorAt(entry.key_location, path,
                   "a parameter name must start with a letter or '_' and hold only letters, "
                   "digits, '_', '.' and '-'");
  }
  if (IsBuiltinPlaceholder(entry.key)) {
    return ErrorAt(entry.key_location, path,
                   "'" + entry.key + "' is the name of a built-in placeholder; choose another");
  }
  return {};
}

// Validate()'s message names a field ("low (1) must be less than high (0)",
// "step ..."); point at that field when the mapping has it.
Error DistributionError(const YamlNode& mapping, const std::string& path, const std::string& msg) {
  std::string field = msg.substr(0, msg.find(' '));
  if (msg.find("multiple of step") != std::string::npos) field = "step";
  if (const YamlEntry* e = mapping.Find(field)) {
    return ErrorAt(e->value.location, JoinPath(path, field), msg);
  }
  return ErrorAt(mapping.location, path, msg);
}

Result<Distribution> ParseFloatDistribution(const YamlNode& m, const std::string& path) {
  FloatDistribution f;
  auto low = ReadNumber(m.Find("low")->value, JoinPath(path, "low"));
  if (!low) return low.error();
  auto high = ReadNumber(m.Find("high")->value, JoinPath(path, "high"));
  if (!high) return high.error();
  f.low = *low;
  f.high = *high;
  if (const YamlNode* v = FindValue(m, "log")) {
    auto log = ReadBool(*v, JoinPath(path, "log"));
    if (!log) return log.error();
    f.log = *log;
  }
  if (const YamlNode* v = FindValue(m, "step")) {
    auto step = ReadNumber(*v, JoinPath(path, "step"));
    if (!step) return step.error();
    f.step = *step;
  }
  return Distribution{f};
}

Result<Distribution> ParseIntDistribution(const YamlNode& m, const std::string& path) {
  IntDistribution d;
  auto low = ReadInt(m.Find("low")->value, JoinPath(path, "low"));
  if (!low) return low.error();
  auto high = ReadInt(m.Find("high")->value, JoinPath(path, "high"));
  if (!high) return high.error();
  d.low = *low;
  d.high = *high;
  if (const YamlNode* v = FindValue(m, "log")) {
    auto log = ReadBool(*v, JoinPath(path, "log"));
    if (!log) return log.error();
    d.log = *log;
  }
  if (const YamlNode* v = FindValue(m, "step")) {
    auto step = ReadInt(*v, JoinPath(path, "step"));
    if (!step) return step.error();
    d.step = *step;
  }
  return Distribution{d};
}

Result<Distribution> ParseCategoricalDistribution(const YamlNode& m, const std::string& path) {
  const YamlNode& list = m.Find("choices")->value;
  const std::string list_path = JoinPath(path, "choices");
  if (auto s = ExpectList(list, list_path); !s) return s.error();
  if (list.items.empty()) return ErrorAt(list.location, list_path, "choices must not be empty");
  CategoricalDistribution c;
  for (size_t i = 0; i < list.items.size(); ++i) {
    const YamlNode& item = list.items[i];
    auto choice = ReadScalarValue(item, IndexPath(list_path, i));
    if (!choice) return choice.error();
    if (auto* d = std::get_if<double>(&*choice); d && std::isnan(*d)) {
      return ErrorAt(item.location, IndexPath(list_path, i), "a choice cannot be NaN");
    }
    for (const auto& earlier : c.choices) {
      if (earlier == *choice) {
        return ErrorAt(item.location, IndexPath(list_path, i),
                       "choice '" + ChoiceToString(*choice) + "' appears twice");
      }
    }
    c.choices.push_back(std::move(*choice));
  }
  return Distribution{c};
}

Result<Parameter> ParseParameter(const YamlEntry& entry, const std::string& path) {
  if (auto s = CheckParameterName(entry, path); !s) return s.error();
  const YamlNode& m = entry.value;
  if (auto s = ExpectMapping(m, path); !s) {
    return ErrorAt(m.location, path,
                   "expected a mapping such as {type: float, low: 0, high: 1}, got " + Describe(m));
  }
  const YamlEntry* type_entry = m.Find("type");
  if (!type_entry) return MissingKey(m, path, "type");
  auto type = ReadEnum(type_entry->value, JoinPath(path, "type"), {"float", "int", "categorical"});
  if (!type) return type.error();
  const bool categorical = *type == "categorical";
  if (auto s = CheckKeys(m, path, categorical ? kCategoricalKeys : kNumericKeys); !s) {
    return s.error();
  }
  for (const char* key : categorical ? std::vector<const char*>{"choices"}
                                     : std::vector<const char*>{"low", "high"}) {
    if (!m.Find(key)) return MissingKey(m, path, key);
  }
  Result<Distribution> d = categorical      ? ParseCategoricalDistribution(m, path)
                           : *type == "int" ? ParseIntDistribution(m, path)
                                            : ParseFloatDistribution(m, path);
  if (!d) return d.error();
  if (auto s = Validate(*d); !s) return DistributionError(m, path, s.error().message);
  return Parameter{entry.key, std::move(*d)};
}

// Why `internal` is not a value of `d`, in words.
std::string NotContained(const Distribution& d, double internal) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    if (internal < f->low || internal > f->high) {
      return FormatDouble(internal) + " is outside [" + FormatDouble(f->low) + ", " +
             FormatDouble(f->high) + "]";
    }
    return FormatDouble(internal) + " is not on the grid of step " + FormatDouble(*f->step) +
           " from " + FormatDouble(f->low);
  }
  const auto& i = std::get<IntDistribution>(d);
  if (internal < static_cast<double>(i.low) || internal > static_cast<double>(i.high)) {
    return FormatDouble(internal) + " is outside [" + std::to_string(i.low) + ", " +
           std::to_string(i.high) + "]";
  }
  return std::to_string(static_cast<int64_t>(internal)) + " is not on the grid of step " +
         std::to_string(i.step) + " from " + std::to_string(i.low);
}

// One explicit grid value in the internal representation.
Result<double> GridValueOf(const Parameter& p, const YamlNode& item, const std::string& path) {
  if (std::holds_alternative<FloatDistribution>(p.distribution)) {
    return ReadNumber(item, path);
  }
  if (std::holds_alternative<IntDistribution>(p.distribution)) {
    auto v = ReadInt(item, path);
    if (!v) return v.error();
    return static_cast<double>(*v);
  }
  const auto& choices = std::get<CategoricalDistribution>(p.distribution).choices;
  auto choice = ReadScalarValue(item, path);
  if (!choice) return choice.error();
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == *choice) return static_cast<double>(i);
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + ChoiceToString(c);
  return ErrorAt(item.location, path,
                 Describe(item) + " is not one of the choices of '" + p.name + "' (" + list + ")");
}

Status ParseGridValues(const YamlNode& values, const SearchSpace& space, SamplerSpec& spec) {
  const std::string path = "sampler.values";
  if (auto s = ExpectMapping(values, path); !s) return s;
  std::vector<std::string> names;
  for (const auto& p : space) names.push_back(p.name);
  for (const auto& entry : values.entries) {
    const std::string entry_path = JoinPath(path, entry.key);
    const Parameter* p = FindParameter(space, entry.key);
    if (!p) {
      return ErrorAt(entry.key_location, entry_path,
                     "not a parameter of search_space" + DidYouMean(entry.key, names));
    }
    const YamlNode& list = entry.value;
    if (auto s = ExpectList(list, entry_path); !s) return s;
    if (list.items.empty())
      return ErrorAt(list.location, entry_path, "expected at least one value");
    std::vector<double> grid;
    for (size_t i = 0; i < list.items.size(); ++i) {
      const YamlNode& item = list.items[i];
      const std::string item_path = IndexPath(entry_path, i);
      auto v = GridValueOf(*p, item, item_path);
      if (!v) return v.error();
      if (!Contains(p->distribution, *v)) {
        return ErrorAt(item.location, item_path, NotContained(p->distribution, *v));
      }
      for (double earlier : grid) {
        if (earlier == *v) {
          return ErrorAt(item.location, item_path,
                         "value " + FormatValue(p->distribution, *v) + " appears twice");
        }
      }
      grid.push_back(*v);
    }
    spec.grid_values[p->name] = std::move(grid);
  }
  return {};
}

// A grid must enumerate every parameter: its own grid or explicit values.
Status CheckGridCovers(const SearchSpace& space, const YamlNode& space_node,
                       const SamplerSpec& spec) {
  for (const auto& p : space) {
    if (GridSize(p.distribution) || spec.grid_values.count(p.name)) continue;
    const YamlEntry* e = space_node.Find(p.name);
    return ErrorAt(e ? e->key_location : space_node.location, JoinPath("search_space", p.name),
                   "the grid sampler cannot enumerate a continuous float: give it a step, or "
                   "list its values under sampler.values");
  }
  return {};
}

Status ParseGamma(const YamlNode& node, TpeOptions& tpe) {
  const std::string path = "sampler.gamma";
  if (auto s = ExpectMapping(node, path); !s) return s;
  if (auto s = CheckKeys(node, path, {"fraction", "cap"}); !s) return s;
  if (const YamlEntry* e = node.Find("fraction")) {
    auto f = ReadNumber(e->value, JoinPath(path, "fraction"));
    if (!f) return f.error();
    if (!(*f > 0 && *f <= 1)) {
      return ErrorAt(e->value.location, JoinPath(path, "fraction"),
                     "expected a number in (0, 1], got " + Describe(e->value));
    }
    tpe.gamma_fraction = *f;
  }
  if (const YamlEntry* e = node.Find("cap")) {
    auto cap = ReadIntIn(e->value, JoinPath(path, "cap"), 1, INT_MAX, "a positive whole number");
    if (!cap) return cap.error();
    tpe.gamma_cap = static_cast<int>(*cap);
  }
  return {};
}

Status ParseTpeOption(const YamlEntry& e, TpeOptions& tpe) {
  const std::string path = JoinPath("sampler", e.key);
  auto set_bool = [&](bool& field) -> Status {
    auto b = ReadBool(e.value, path);
    if (!b) return b.error();
    field = *b;
    return {};
  };
  if (e.key == "n_startup_trials" || e.key == "n_ei_candidates") {
    const bool startup = e.key == "n_startup_trials";
    auto n = ReadIntIn(e.value, path, startup ? 0 : 1, INT_MAX,
                       startup ? "a non-negative whole number" : "a positive whole number");
    if (!n) return n.error();
    (startup ? tpe.n_startup_trials : tpe.n_ei_candidates) = static_cast<int>(*n);
    return {};
  }
  if (e.key == "multivariate") return set_bool(tpe.multivariate);
  if (e.key == "group") return set_bool(tpe.group);
  if (e.key == "constant_liar") return set_bool(tpe.constant_liar);
  if (e.key == "consider_prior") return set_bool(tpe.consider_prior);
  if (e.key == "consider_magic_clip") return set_bool(tpe.consider_magic_clip);
  if (e.key == "consider_endpoints") return set_bool(tpe.consider_endpoints);
  if (e.key == "prior_weight") {
    auto w = ReadNumber(e.value, path);
    if (!w) return w.error();
    if (!(*w > 0))
      return ErrorAt(e.value.location, path,
                     "expected a positive number, got " + Describe(e.value));
    tpe.prior_weight = *w;
    return {};
  }
  return ParseGamma(e.value, tpe);
}

}  // namespace

Result<SearchSpace> ParseSearchSpace(const YamlNode& node) {
  const std::string path = "search_space";
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  if (node.entries.empty()) return ErrorAt(node.location, path, "expected at least one parameter");
  SearchSpace space;
  for (const auto& entry : node.entries) {
    auto p = ParseParameter(entry, JoinPath(path, entry.key));
    if (!p) return p.error();
    space.push_back(std::move(*p));
  }
  return space;
}

Result<SamplerSpec> ParseSampler(const YamlNode* node, const SearchSpace& space,
                                 const YamlNode& space_node) {
  SamplerSpec spec;
  if (!node || node->IsNull()) return spec;
  const std::string path = "sampler";
  if (auto s = ExpectMapping(*node, path); !s) return s.error();
  std::vector<std::string> keys = {"type", "seed", "values"};
  keys.insert(keys.end(), kTpeKeys.begin(), kTpeKeys.end());
  if (auto s = CheckKeys(*node, path, keys); !s) return s.error();

  if (const YamlNode* v = FindValue(*node, "type")) {
    auto type = ReadEnum(*v, "sampler.type", {"tpe", "random", "grid"});
    if (!type) return type.error();
    spec.type = *type;
  }
  if (const YamlNode* v = FindValue(*node, "seed")) {
    auto seed = ReadUint64(*v, "sampler.seed");
    if (!seed) return seed.error();
    spec.seed = *seed;
  }
  for (const auto& e : node->entries) {
    const bool tpe_option = std::find(kTpeKeys.begin(), kTpeKeys.end(), e.key) != kTpeKeys.end();
    if (!tpe_option || e.value.IsNull()) continue;
    if (spec.type != "tpe") {
      return ErrorAt(e.key_location, JoinPath(path, e.key),
                     "a TPE option, but sampler.type is '" + spec.type + "'");
    }
    if (auto s = ParseTpeOption(e, spec.tpe); !s) return s.error();
  }
  if (spec.tpe.group && !spec.tpe.multivariate) {
    const YamlEntry* e = node->Find("group");
    return ErrorAt(e->value.location, "sampler.group", "group needs multivariate: true");
  }
  if (const YamlEntry* e = node->Find("values"); e && !e->value.IsNull()) {
    if (spec.type != "grid") {
      return ErrorAt(e->key_location, "sampler.values",
                     "explicit grid values, but sampler.type is '" + spec.type + "'");
    }
    if (auto s = ParseGridValues(e->value, space, spec); !s) return s.error();
  }
  if (spec.type == "grid") {
    if (auto s = CheckGridCovers(space, space_node, spec); !s) return s.error();
  }
  return spec;
}

}  // namespace gdsweep
