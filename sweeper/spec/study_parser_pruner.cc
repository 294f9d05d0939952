#include "sweeper/spec/study_parser_pruner.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "pruners/pruner_spec_check.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kTypes = {
    "median", "percentile", "successive_halving", "hyperband", "threshold", "patient", "none"};

// The settings each type takes besides `type`, with Optuna's names.
const std::map<std::string, std::vector<std::string>> kKeysByType = {
    {"none", {}},
    {"median", {"n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"}},
    {"percentile",
     {"percentile", "n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"}},
    {"successive_halving",
     {"min_resource", "reduction_factor", "min_early_stopping_rate", "bootstrap_count"}},
    {"hyperband", {"min_resource", "max_resource", "reduction_factor", "bootstrap_count"}},
    {"threshold", {"lower", "upper", "n_warmup_steps", "interval_steps"}},
    {"patient", {"patience", "min_delta", "wrapped_pruner"}},
};

PrunerType TypeFromName(const std::string& name) {
  for (PrunerType t : {PrunerType::kNone, PrunerType::kMedian, PrunerType::kPercentile,
                       PrunerType::kSuccessiveHalving, PrunerType::kHyperband,
                       PrunerType::kThreshold, PrunerType::kPatient}) {
    if (name == ToString(t)) return t;
  }
  return PrunerType::kNone;
}

// A key of another type, or a misspelling, with a message that says which.
Status CheckPrunerKeys(const YamlNode& node, const std::string& path, const std::string& type) {
  const auto& own = kKeysByType.at(type);
  for (const auto& e : node.entries) {
    if (e.key == "type" || std::find(own.begin(), own.end(), e.key) != own.end()) continue;
    for (const auto& [other, keys] : kKeysByType) {
      if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) continue;
      std::string takes = own.empty() ? "no settings" : "";
      for (size_t i = 0; i < own.size(); ++i) takes += (i ? ", " : "") + own[i];
      return ErrorAt(
          e.key_location, JoinPath(path, e.key),
          "a setting of other pruner types, not of '" + type + "' (it takes " + takes + ")");
    }
  }
  std::vector<std::string> allowed = {"type"};
  allowed.insert(allowed.end(), own.begin(), own.end());
  return CheckKeys(node, path, allowed);
}

// min_resource / max_resource: a whole number, or "auto" (nullopt).
Result<std::optional<int64_t>> ReadResource(const YamlNode& node, const std::string& path) {
  if (node.IsScalar() && node.scalar == "auto") return std::optional<int64_t>();
  auto value = ReadScalarValue(node, path);
  if (value) {
    if (auto* i = std::get_if<int64_t>(&*value)) return std::optional<int64_t>(*i);
  }
  return ErrorAt(node.location, path, "expected a whole number or 'auto', got " + Describe(node));
}

// Where a setting is read into: a whole number, a number, an optional
// number, or a whole number or "auto" (nullopt).
using Field = std::variant<int64_t*, double*, std::optional<double>*, std::optional<int64_t>*>;

Status ReadField(const YamlNode& node, const std::string& path, const Field& field) {
  if (auto* out = std::get_if<std::optional<int64_t>*>(&field)) {
    auto r = ReadResource(node, path);
    if (!r) return r.error();
    **out = *r;
  } else if (auto* i = std::get_if<int64_t*>(&field)) {
    auto r = ReadInt(node, path);
    if (!r) return r.error();
    **i = *r;
  } else {
    auto r = ReadNumber(node, path);
    if (!r) return r.error();
    if (auto* d = std::get_if<double*>(&field)) {
      **d = *r;
    } else {
      *std::get<std::optional<double>*>(field) = *r;
    }
  }
  return {};
}

// Reads each (key, field) whose key is present and not null.
Status ReadFields(const YamlNode& node, const std::string& path,
                  std::initializer_list<std::pair<const char*, Field>> fields) {
  for (const auto& [key, field] : fields) {
    if (const YamlNode* v = FindValue(node, key)) {
      if (auto s = ReadField(*v, JoinPath(path, key), field); !s) return s;
    }
  }
  return {};
}

Result<PrunerSpec> ReadPruner(const YamlNode& node, const std::string& path);

// The settings of `spec.type`, types checked (ranges later).
Status ReadSettings(const YamlNode& n, const std::string& path, PrunerSpec& spec) {
  switch (spec.type) {
    case PrunerType::kNone:
      return {};
    case PrunerType::kMedian:
    case PrunerType::kPercentile: {
      auto& o = spec.percentile;
      if (spec.type == PrunerType::kPercentile && !FindValue(n, "percentile")) {
        return MissingKey(n, path, "percentile");
      }
      return ReadFields(n, path,
                        {{"percentile", &o.percentile},
                         {"n_startup_trials", &o.n_startup_trials},
                         {"n_warmup_steps", &o.n_warmup_steps},
                         {"interval_steps", &o.interval_steps},
                         {"n_min_trials", &o.n_min_trials}});
    }
    case PrunerType::kSuccessiveHalving: {
      auto& o = spec.successive_halving;
      return ReadFields(n, path,
                        {{"min_resource", &o.min_resource},
                         {"reduction_factor", &o.reduction_factor},
                         {"min_early_stopping_rate", &o.min_early_stopping_rate},
                         {"bootstrap_count", &o.bootstrap_count}});
    }
    case PrunerType::kHyperband: {
      auto& o = spec.hyperband;
      return ReadFields(n, path,
                        {{"min_resource", &o.min_resource},
                         {"max_resource", &o.max_resource},
                         {"reduction_factor", &o.reduction_factor},
                         {"bootstrap_count", &o.bootstrap_count}});
    }
    case PrunerType::kThreshold: {
      auto& o = spec.threshold;
      return ReadFields(n, path,
                        {{"lower", &o.lower},
                         {"upper", &o.upper},
                         {"n_warmup_steps", &o.n_warmup_steps},
                         {"interval_steps", &o.interval_steps}});
    }
    case PrunerType::kPatient: {
      auto& o = spec.patient;
      if (!FindValue(n, "patience")) return MissingKey(n, path, "patience");
      if (auto s = ReadFields(n, path, {{"patience", &o.patience}, {"min_delta", &o.min_delta}});
          !s) {
        return s;
      }
      if (const YamlNode* v = FindValue(n, "wrapped_pruner")) {
        auto inner = ReadPruner(*v, JoinPath(path, "wrapped_pruner"));
        if (!inner) return inner.error();
        o.wrapped_pruner = std::make_shared<const PrunerSpec>(std::move(*inner));
      }
      return {};
    }
  }
  return {};
}

Result<PrunerSpec> ReadPruner(const YamlNode& node, const std::string& path) {
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  const YamlNode* type_node = FindValue(node, "type");
  if (!type_node) return MissingKey(node, path, "type");
  auto type = ReadEnum(*type_node, JoinPath(path, "type"), kTypes);
  if (!type) return type.error();
  if (auto s = CheckPrunerKeys(node, path, *type); !s) return s.error();
  PrunerSpec spec;
  spec.type = TypeFromName(*type);
  if (auto s = ReadSettings(node, path, spec); !s) return s.error();
  return spec;
}

// The node a problem's key names ("wrapped_pruner.patience"), or the
// innermost mapping on the way when it is absent.
const YamlNode& NodeAt(const YamlNode& section, const std::string& key) {
  const YamlNode* node = &section;
  size_t start = 0;
  while (start < key.size()) {
    const size_t dot = std::min(key.find('.', start), key.size());
    const YamlEntry* e = node->IsMapping() ? node->Find(key.substr(start, dot - start)) : nullptr;
    if (!e) break;
    node = &e->value;
    start = dot + 1;
  }
  return *node;
}

}  // namespace

Status ParsePrunerSection(const YamlNode& root, StudySpec& spec) {
  const YamlNode* node = FindValue(root, "pruner");
  if (!node) return {};
  const std::string path = "pruner";
  auto pruner = ReadPruner(*node, path);
  if (!pruner) return pruner.error();
  if (auto problem = CheckPrunerSpec(*pruner)) {
    return ErrorAt(NodeAt(*node, problem->key).location,
                   problem->key.empty() ? path : JoinPath(path, problem->key), problem->message);
  }
  if (pruner->type != PrunerType::kNone && spec.objectives.size() > 1) {
    return ErrorAt(FindValue(*node, "type")->location, "pruner.type",
                   "pruning needs a single objective, and this study has " +
                       std::to_string(spec.objectives.size()) +
                       ": a pruner ranks trials by one intermediate value per step, which "
                       "several objectives do not order (Optuna refuses too: \"Trial.report is "
                       "not supported for multi-objective optimization.\"); remove 'pruner' or "
                       "use 'type: none'");
  }
  spec.pruner = std::move(*pruner);
  return {};
}

}  // namespace gdsweep
