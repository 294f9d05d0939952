#include "sweeper/spec/study_parser_space.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <regex>
#include <unordered_map>

#include "sweeper/spec/placeholders.h"
#include "sweeper/spec/study_parser_conditions.h"
#include "sweeper/spec/suggest.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kNumericKeys = {"type", "low", "high", "step", "log", "when"};
const std::vector<std::string> kCategoricalKeys = {"type", "choices", "when"};
const std::vector<std::string> kFixedKeys = {"type", "value", "when"};

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

// The text a choice reaches the trial as, in commands, the environment and
// Hydra overrides; -0.0 reads as 0.0, which it equals.
std::string TrialText(const Choice& c) {
  if (const auto* d = std::get_if<double>(&c); d && *d == 0) return ChoiceToString(Choice{0.0});
  return ChoiceToString(c);
}

// A choice with its type, for messages: the string "1", the integer 1, null.
std::string DescribeChoice(const Choice& c) {
  struct V {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool b) const {
      return std::string("the boolean ") + (b ? "true" : "false");
    }
    std::string operator()(int64_t i) const { return "the integer " + std::to_string(i); }
    std::string operator()(double d) const { return "the float " + FormatDouble(d); }
    std::string operator()(const std::string& s) const { return "the string \"" + s + "\""; }
  };
  return std::visit(V{}, c);
}

Result<Distribution> ParseCategoricalDistribution(const YamlNode& m, const std::string& path) {
  const YamlNode& list = m.Find("choices")->value;
  const std::string list_path = JoinPath(path, "choices");
  if (auto s = ExpectList(list, list_path); !s) return s.error();
  if (list.items.empty()) return ErrorAt(list.location, list_path, "choices must not be empty");
  CategoricalDistribution c;
  std::unordered_map<std::string, size_t> seen;  // trial text -> the first choice with it
  for (size_t i = 0; i < list.items.size(); ++i) {
    const YamlNode& item = list.items[i];
    const std::string item_path = IndexPath(list_path, i);
    auto choice = ReadScalarValue(item, item_path);
    if (!choice) return choice.error();
    if (auto* d = std::get_if<double>(&*choice); d && std::isnan(*d)) {
      return ErrorAt(item.location, item_path, "a choice cannot be NaN");
    }
    auto [it, fresh] = seen.emplace(TrialText(*choice), i);
    if (!fresh) {
      const size_t j = it->second;
      const std::string first = IndexPath(list_path, j) + " at " + ToString(list.items[j].location);
      if (c.choices[j] == *choice) {
        return ErrorAt(
            item.location, item_path,
            "choice '" + ChoiceToString(*choice) + "' appears twice (first as " + first + ")");
      }
      // A trial gets its parameters as text: it could not tell these apart.
      return ErrorAt(item.location, item_path,
                     DescribeChoice(*choice) + " and " + DescribeChoice(c.choices[j]) + " (" +
                         first + ") both reach the trial as '" + it->first +
                         "', so it could not tell them apart; keep one of them");
    }
    c.choices.push_back(std::move(*choice));
  }
  return Distribution{c};
}

// A fixed parameter's value as a single-valued distribution, the way Optuna
// records a constant: an integer as IntDistribution(v, v), a float as
// FloatDistribution(v, v), anything else as a one-choice categorical.
Result<Distribution> FixedDistribution(const YamlNode& node, const std::string& path) {
  auto value = ReadScalarValue(node, path);
  if (!value) return value.error();
  if (const auto* i = std::get_if<int64_t>(&*value)) return Distribution{IntDistribution{*i, *i}};
  if (const auto* d = std::get_if<double>(&*value)) {
    if (!std::isfinite(*d)) return ErrorAt(node.location, path, "a fixed value must be finite");
    return Distribution{FloatDistribution{*d, *d, false, std::nullopt}};
  }
  return Distribution{CategoricalDistribution{{*value}}};
}

Result<Parameter> ParseParameter(const YamlEntry& entry, const std::string& path) {
  if (auto s = CheckParameterName(entry, path); !s) return s.error();
  const YamlNode& m = entry.value;
  if (m.IsScalar()) {  // `lr: 0.1`: a fixed parameter
    auto d = FixedDistribution(m, path);
    if (!d) return d.error();
    return Parameter{entry.key, std::move(*d), {}, true};
  }
  if (auto s = ExpectMapping(m, path); !s) {
    return ErrorAt(m.location, path,
                   "expected a mapping such as {type: float, low: 0, high: 1}, or a fixed value, "
                   "got " +
                       Describe(m));
  }
  const YamlEntry* type_entry = m.Find("type");
  if (!type_entry) return MissingKey(m, path, "type");
  auto type =
      ReadEnum(type_entry->value, JoinPath(path, "type"), {"float", "int", "categorical", "fixed"});
  if (!type) return type.error();
  if (*type == "fixed") {
    if (auto s = CheckKeys(m, path, kFixedKeys); !s) return s.error();
    const YamlEntry* value = m.Find("value");
    if (!value) return MissingKey(m, path, "value");
    auto d = FixedDistribution(value->value, JoinPath(path, "value"));
    if (!d) return d.error();
    return Parameter{entry.key, std::move(*d), {}, true};
  }
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
  return Parameter{entry.key, std::move(*d), {}, false};
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

// One explicit grid value in the internal representation; `choice_index`
// maps a categorical's choices by TrialText to their index.
Result<double> GridValueOf(const Parameter& p,
                           const std::unordered_map<std::string, size_t>& choice_index,
                           const YamlNode& item, const std::string& path) {
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
  // Choices have distinct trial texts (ParseCategoricalDistribution).
  if (auto it = choice_index.find(TrialText(*choice));
      it != choice_index.end() && choices[it->second] == *choice) {
    return static_cast<double>(it->second);
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + ChoiceToString(c);
  return ErrorAt(item.location, path,
                 Describe(item) + " is not one of the choices of '" + p.name + "' (" + list + ")");
}

}  // namespace

Result<SearchSpace> ParseSearchSpace(const YamlNode& node) {
  const std::string path = "search_space";
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  if (node.entries.empty()) return ErrorAt(node.location, path, "expected at least one parameter");
  SearchSpace space;
  std::vector<const YamlEntry*> when_entries;  // per parameter, its `when` or nullptr
  for (const auto& entry : node.entries) {
    auto p = ParseParameter(entry, JoinPath(path, entry.key));
    if (!p) return p.error();
    space.push_back(std::move(*p));
    when_entries.push_back(entry.value.IsMapping() ? entry.value.Find("when") : nullptr);
  }
  if (auto s = ParseConditions(space, when_entries); !s) return s.error();
  return space;
}

Status ParseGridValues(const YamlNode& values, const SearchSpace& space, SamplerSpec& spec) {
  const std::string path = "sampler.values";
  if (auto s = ExpectMapping(values, path); !s) return s;
  std::vector<std::string> names;
  std::unordered_map<std::string, const Parameter*> by_name;
  for (const auto& p : space) {
    names.push_back(p.name);
    by_name.emplace(p.name, &p);
  }
  for (const auto& entry : values.entries) {
    const std::string entry_path = JoinPath(path, entry.key);
    auto found = by_name.find(entry.key);
    if (found == by_name.end()) {
      return ErrorAt(entry.key_location, entry_path,
                     "not a parameter of search_space" + DidYouMean(entry.key, names));
    }
    const Parameter* p = found->second;
    const YamlNode& list = entry.value;
    if (auto s = ExpectList(list, entry_path); !s) return s;
    if (list.items.empty())
      return ErrorAt(list.location, entry_path, "expected at least one value");
    std::unordered_map<std::string, size_t> choice_index;
    if (const auto* c = std::get_if<CategoricalDistribution>(&p->distribution)) {
      for (size_t i = 0; i < c->choices.size(); ++i)
        choice_index.emplace(TrialText(c->choices[i]), i);
    }
    std::vector<double> grid;
    std::unordered_map<double, size_t> seen;  // value -> its first index
    for (size_t i = 0; i < list.items.size(); ++i) {
      const YamlNode& item = list.items[i];
      const std::string item_path = IndexPath(entry_path, i);
      auto v = GridValueOf(*p, choice_index, item, item_path);
      if (!v) return v.error();
      if (!Contains(p->distribution, *v)) {
        return ErrorAt(item.location, item_path, NotContained(p->distribution, *v));
      }
      if (auto [it, fresh] = seen.emplace(*v, i); !fresh) {
        return ErrorAt(item.location, item_path,
                       "value " + FormatValue(p->distribution, *v) + " appears twice (first as " +
                           IndexPath(entry_path, it->second) + " at " +
                           ToString(list.items[it->second].location) + ")");
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

}  // namespace gdsweep
