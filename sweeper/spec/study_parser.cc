#include "sweeper/spec/study_parser.h"

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <unordered_map>

#include "sweeper/spec/study_parser_enqueue.h"
#include "sweeper/spec/study_parser_kubernetes.h"
#include "sweeper/spec/study_parser_local.h"
#include "sweeper/spec/study_parser_overrides.h"
#include "sweeper/spec/study_parser_pruner.h"
#include "sweeper/spec/study_parser_sampler.h"
#include "sweeper/spec/study_parser_space.h"
#include "sweeper/spec/study_parser_tracking.h"
#include "sweeper/spec/study_parser_trial.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kTopLevelKeys = {
    "study_name", "tag",          "storage", "objective", "objectives", "direction", "metric",
    "metrics",    "search_space", "sampler", "pruner",    "budget",     "trial",     "backend",
    "kubernetes", "tracking",     "local",   "enqueue",   "constraints"};

constexpr size_t kMaxStudyName = 128;
constexpr size_t kMaxTag = 63;
constexpr int64_t kMaxParallelism = 1024;

// study_name and tag: [A-Za-z0-9._-]+ of at most `max_size` characters.
Result<std::string> ReadName(const YamlNode& node, const std::string& path, size_t max_size) {
  static const std::regex kName("[A-Za-z0-9._-]+");
  auto name = ReadString(node, path);
  if (!name) return name.error();
  if (!std::regex_match(*name, kName)) {
    return ErrorAt(node.location, path,
                   "expected letters, digits, '.', '_' and '-' only, got " + Describe(node));
  }
  if (name->size() > max_size) {
    return ErrorAt(
        node.location, path,
        "at most " + std::to_string(max_size) + " characters, got " + std::to_string(name->size()));
  }
  return name;
}

Result<std::string> ReadStorage(const YamlNode& node) {
  auto storage = ReadString(node, "storage");
  if (!storage) return storage.error();
  const std::string kSqlite = "sqlite:///";
  const bool postgres = storage->rfind("postgresql://", 0) == 0 ||
                        storage->rfind("postgres://", 0) == 0 ||
                        storage->rfind("postgresql+psycopg2://", 0) == 0;
  if (storage->find("://") != std::string::npos && !postgres &&
      (storage->rfind(kSqlite, 0) != 0 || storage->size() == kSqlite.size())) {
    return ErrorAt(
        node.location, "storage",
        "expected a database file path, sqlite:///PATH or postgresql://..., got " + Describe(node));
  }
  return storage;
}

Result<std::string> ReadMetric(const YamlNode& node, const std::string& path) {
  static const std::regex kMetric("[A-Za-z_][A-Za-z0-9_./-]*");
  auto metric = ReadString(node, path);
  if (!metric) return metric.error();
  if (!std::regex_match(*metric, kMetric)) {
    return ErrorAt(node.location, path,
                   "a metric name must start with a letter or '_' and hold only letters, "
                   "digits, '_', '.', '/' and '-', got " +
                       Describe(node));
  }
  return metric;
}

Result<Direction> ReadDirection(const YamlNode& node, const std::string& path) {
  auto d = ReadEnum(node, path, {"minimize", "maximize"});
  if (!d) return d.error();
  return *d == "maximize" ? Direction::kMaximize : Direction::kMinimize;
}

// {metric: loss, direction: minimize}
Result<Objective> ReadObjective(const YamlNode& node, const std::string& path) {
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  if (auto s = CheckKeys(node, path, {"metric", "direction"}); !s) return s.error();
  for (const char* key : {"metric", "direction"}) {
    if (!node.Find(key)) return MissingKey(node, path, key);
  }
  Objective o;
  auto metric = ReadMetric(node.Find("metric")->value, JoinPath(path, "metric"));
  if (!metric) return metric.error();
  o.metric = *metric;
  auto direction = ReadDirection(node.Find("direction")->value, JoinPath(path, "direction"));
  if (!direction) return direction.error();
  o.direction = *direction;
  return o;
}

// The items of `node` when it is a list, else `node` itself, with their paths.
std::vector<std::pair<const YamlNode*, std::string>> OneOrMany(const YamlNode& node,
                                                               const std::string& path) {
  std::vector<std::pair<const YamlNode*, std::string>> out;
  if (!node.IsSequence()) {
    out.emplace_back(&node, path);
    return out;
  }
  for (size_t i = 0; i < node.items.size(); ++i) {
    out.emplace_back(&node.items[i], IndexPath(path, i));
  }
  return out;
}

// An objective and where its metric name came from (for duplicates).
struct LocatedObjective {
  Objective objective;
  const YamlNode* metric_node;
  std::string metric_path;
};
using LocatedObjectives = std::vector<LocatedObjective>;

// Hydra's optuna sweeper form: direction: minimize | [minimize, maximize],
// with metric: NAME or metrics: [A, B] naming what the trial reports.
Result<LocatedObjectives> ReadHydraObjectives(const YamlNode& root) {
  const YamlEntry* direction = root.Find("direction");
  const YamlEntry* metric = root.Find("metric");
  const YamlEntry* metrics = root.Find("metrics");
  if (!direction) {
    const YamlEntry* names = metric ? metric : metrics;
    return ErrorAt(names->key_location, names->key, "needs 'direction' beside it");
  }
  if (metric && metrics) {
    return ErrorAt(metrics->key_location, "metrics", "give either 'metric' or 'metrics', not both");
  }
  if (!metric && !metrics) {
    return ErrorAt(direction->key_location, "direction",
                   "name the metric to optimise with 'metric: NAME' (or 'metrics: [A, B]' for "
                   "several directions)");
  }
  const YamlEntry* names = metric ? metric : metrics;
  if (metrics) {
    if (auto s = ExpectList(metrics->value, "metrics"); !s) return s.error();
  }
  if (direction->value.IsSequence() && direction->value.items.empty()) {
    return ErrorAt(direction->value.location, "direction", "expected at least one direction");
  }
  auto directions = OneOrMany(direction->value, "direction");
  auto metric_nodes = OneOrMany(names->value, names->key);
  if (directions.size() != metric_nodes.size()) {
    return ErrorAt(names->value.location, names->key,
                   std::to_string(metric_nodes.size()) + " metric name(s) for " +
                       std::to_string(directions.size()) + " direction(s)");
  }
  LocatedObjectives objectives;
  for (size_t i = 0; i < directions.size(); ++i) {
    auto d = ReadDirection(*directions[i].first, directions[i].second);
    if (!d) return d.error();
    auto m = ReadMetric(*metric_nodes[i].first, metric_nodes[i].second);
    if (!m) return m.error();
    objectives.push_back({Objective{*m, *d}, metric_nodes[i].first, metric_nodes[i].second});
  }
  return objectives;
}

// objective, objectives, or Hydra's direction + metric(s): exactly one form.
Result<LocatedObjectives> ReadObjectiveForms(const YamlNode& root) {
  const YamlEntry* single = root.Find("objective");
  const YamlEntry* list = root.Find("objectives");
  const YamlEntry* hydra = root.Find("direction");
  if (!hydra) hydra = root.Find("metric");
  if (!hydra) hydra = root.Find("metrics");
  const YamlEntry* first = nullptr;
  for (const YamlEntry* form : {single, list, hydra}) {
    if (!form) continue;
    if (first) {
      return ErrorAt(form->key_location, form->key,
                     "give the objectives once: '" + first->key + "' already does");
    }
    first = form;
  }
  if (hydra) return ReadHydraObjectives(root);
  if (!single && !list) {
    return ErrorAt(root.location, "",
                   "missing required key 'objective' (or 'objectives' for several)");
  }
  const YamlNode& node = single ? single->value : list->value;
  if (list) {
    if (auto s = ExpectList(node, "objectives"); !s) return s.error();
    if (node.items.empty()) {
      return ErrorAt(node.location, "objectives", "expected at least one objective");
    }
  }
  LocatedObjectives objectives;
  for (const auto& [item, path] : OneOrMany(node, single ? "objective" : "objectives")) {
    auto o = ReadObjective(*item, path);
    if (!o) return o.error();
    objectives.push_back({*o, &item->Find("metric")->value, JoinPath(path, "metric")});
  }
  return objectives;
}

Result<std::vector<Objective>> ReadObjectives(const YamlNode& root) {
  auto located = ReadObjectiveForms(root);
  if (!located) return located.error();
  std::vector<Objective> objectives;
  std::unordered_map<std::string, const YamlNode*> seen;  // metric -> where it came first
  for (const auto& [objective, metric_node, metric_path] : *located) {
    if (auto [it, fresh] = seen.emplace(objective.metric, metric_node); !fresh) {
      return ErrorAt(metric_node->location, metric_path,
                     "metric '" + objective.metric + "' appears twice (first at " +
                         ToString(it->second->location) + ")");
    }
    objectives.push_back(objective);
  }
  return objectives;
}

// constraints: [c0, c1]: metrics the trial reports besides its objectives.
Result<std::vector<std::string>> ReadConstraints(const YamlNode* node,
                                                 const std::vector<Objective>& objectives) {
  std::vector<std::string> out;
  if (!node) return out;
  const std::string path = "constraints";
  std::vector<std::pair<const YamlNode*, std::string>> items;
  if (node->IsSequence()) {
    if (node->items.empty()) return ErrorAt(node->location, path, "expected at least one name");
    for (size_t i = 0; i < node->items.size(); ++i) {
      items.emplace_back(&node->items[i], IndexPath(path, i));
    }
  } else {
    items.emplace_back(node, path);
  }
  for (const auto& [item, item_path] : items) {
    auto name = ReadMetric(*item, item_path);
    if (!name) return name.error();
    for (const auto& o : objectives) {
      if (o.metric == *name) {
        return ErrorAt(item->location, item_path,
                       "'" + *name + "' is an objective; a constraint is another metric");
      }
    }
    if (std::find(out.begin(), out.end(), *name) != out.end()) {
      return ErrorAt(item->location, item_path, "constraint '" + *name + "' appears twice");
    }
    out.push_back(*name);
  }
  return out;
}

Result<BudgetSpec> ReadBudget(const YamlNode* node) {
  BudgetSpec budget;
  if (!node) return budget;
  const std::string path = "budget";
  if (auto s = ExpectMapping(*node, path); !s) return s.error();
  if (auto s = CheckKeys(*node, path, {"n_trials", "parallelism", "timeout"}); !s) {
    return s.error();
  }
  if (const YamlNode* v = FindValue(*node, "n_trials")) {
    auto n = ReadIntIn(*v, "budget.n_trials", 1, INT64_MAX, "a positive whole number");
    if (!n) return n.error();
    budget.n_trials = *n;
  }
  if (const YamlNode* v = FindValue(*node, "parallelism")) {
    auto n = ReadIntIn(*v, "budget.parallelism", 1, kMaxParallelism,
                       "a whole number from 1 to " + std::to_string(kMaxParallelism));
    if (!n) return n.error();
    budget.parallelism = static_cast<int>(*n);
  }
  if (const YamlNode* v = FindValue(*node, "timeout")) {
    auto t = ReadDuration(*v, "budget.timeout");
    if (!t) return t.error();
    budget.timeout_seconds = *t;
  }
  return budget;
}

Result<std::string> ReadBackend(const YamlNode& node) {
  return ReadEnum(node, "backend", {"local", "kubernetes"});
}

// Validates the whole tree into a StudySpec, section by section.
Result<StudySpec> ReadSpec(const YamlNode& root, const std::string& source_name) {
  if (auto s = CheckKeys(root, "", kTopLevelKeys); !s) return s.error();
  StudySpec spec;
  spec.source_path = source_name;

  const YamlEntry* name = root.Find("study_name");
  if (!name) return MissingKey(root, "", "study_name");
  auto study_name = ReadName(name->value, "study_name", kMaxStudyName);
  if (!study_name) return study_name.error();
  spec.name = *study_name;
  if (const YamlNode* v = FindValue(root, "tag")) {
    auto tag = ReadName(*v, "tag", kMaxTag);
    if (!tag) return tag.error();
    spec.tag = *tag;
  }
  if (const YamlNode* v = FindValue(root, "storage")) {
    auto storage = ReadStorage(*v);
    if (!storage) return storage.error();
    spec.storage = *storage;
  }
  auto objectives = ReadObjectives(root);
  if (!objectives) return objectives.error();
  spec.objectives = std::move(*objectives);
  auto constraints = ReadConstraints(FindValue(root, "constraints"), spec.objectives);
  if (!constraints) return constraints.error();
  spec.constraints = std::move(*constraints);

  const YamlEntry* space_entry = root.Find("search_space");
  if (!space_entry) return MissingKey(root, "", "search_space");
  auto space = ParseSearchSpace(space_entry->value);
  if (!space) return space.error();
  spec.space = std::move(*space);

  const YamlEntry* sampler_entry = root.Find("sampler");
  auto sampler = ParseSampler(sampler_entry ? &sampler_entry->value : nullptr, spec.space,
                              space_entry->value, spec.objectives);
  if (!sampler) return sampler.error();
  spec.sampler = std::move(*sampler);
  spec.sampler.tpe.constraints = !spec.constraints.empty();
  if (auto s = ParsePrunerSection(root, spec); !s) return s.error();
  if (auto s = ParseEnqueueSection(root, spec); !s) return s.error();

  auto budget = ReadBudget(FindValue(root, "budget"));
  if (!budget) return budget.error();
  spec.budget = *budget;

  const YamlEntry* trial_entry = root.Find("trial");
  if (!trial_entry) return MissingKey(root, "", "trial");
  auto trial = ParseTrial(trial_entry->value, spec.space);
  if (!trial) return trial.error();
  spec.trial = std::move(*trial);

  if (const YamlNode* v = FindValue(root, "backend")) {
    auto backend = ReadBackend(*v);
    if (!backend) return backend.error();
    spec.backend = *backend;
  }
  if (auto s = ParseKubernetesSection(root, spec); !s) return s.error();
  if (auto s = ParseLocalSection(root, spec); !s) return s.error();
  if (auto s = ParseTrackingSection(root, spec); !s) return s.error();
  return spec;
}

}  // namespace

Result<StudySpec> ParseStudyText(const std::string& text, const std::string& source_name,
                                 const std::vector<SetOverride>& set_overrides) {
  auto root = ReadYaml(text, source_name);
  if (!root) return root.error();
  return ParseStudyTree(std::move(*root), source_name, set_overrides);
}

Result<StudySpec> ParseStudyTree(YamlNode root, const std::string& source_name,
                                 const std::vector<SetOverride>& set_overrides) {
  if (!root.IsMapping() && !root.IsNull()) {
    return ErrorAt(root.location, "",
                   "a study file is a mapping of keys (study_name, objective, search_space, "
                   "trial, ...), got " +
                       Describe(root));
  }
  for (const auto& o : set_overrides) {
    if (auto s = ApplyOverride(root, o.text, o.origin); !s) return s.error();
  }
  if (root.IsNull()) {
    return ErrorAt(root.location, "",
                   "the study file is empty; it needs at least study_name, objective, "
                   "search_space and trial");
  }
  return ReadSpec(root, source_name);
}

std::string LocateInStudyFile(const std::string& path, const std::string& key_path) {
  auto text = ReadYamlFile(path, "study file");
  if (!text) return path;
  auto root = ReadYaml(*text, path);
  if (!root) return path;
  std::string rest = key_path;
  if (rest.rfind("objectives", 0) == 0 && !root->Find("objectives")) {
    for (const char* form : {"objective", "direction", "metric", "metrics"}) {
      if (root->Find(form)) {
        rest = form;
        break;
      }
    }
  }
  YamlLocation where{path, 0, 0};
  const YamlNode* node = &*root;
  while (!rest.empty() && node->IsMapping()) {
    // Parameter names hold dots: the longest key that fits wins.
    const YamlEntry* best = nullptr;
    for (const auto& e : node->entries) {
      const std::string& k = e.key;
      const bool fits = rest.compare(0, k.size(), k) == 0 &&
                        (rest.size() == k.size() || rest[k.size()] == '.' || rest[k.size()] == '[');
      if (fits && (!best || k.size() > best->key.size())) best = &e;
    }
    if (!best) break;
    where = best->key_location;
    node = &best->value;
    rest = rest.substr(best->key.size());
    while (rest.size() > 2 && rest[0] == '[' && node->IsSequence()) {
      const size_t close = rest.find(']');
      const size_t index = std::strtoul(rest.c_str() + 1, nullptr, 10);
      if (close == std::string::npos || index >= node->items.size()) break;
      node = &node->items[index];
      where = node->location;
      rest = rest.substr(close + 1);
    }
    if (!rest.empty() && rest[0] == '.') rest = rest.substr(1);
  }
  return ToString(where);
}

Result<StudySpec> ParseStudyFile(const std::string& path,
                                 const std::vector<SetOverride>& set_overrides) {
  auto text = ReadYamlFile(path, "study file");
  if (!text) return text.error();
  return ParseStudyText(*text, path, set_overrides);
}

}  // namespace gdsweep
