#include "sweeper/spec/study_parser_conditions.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "sweeper/spec/suggest.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

// The internal value of `item` as a value of `parent`, or why it cannot be one.
Result<double> ConditionValue(const Parameter& parent, const YamlNode& item,
                              const std::string& path) {
  const Distribution& d = parent.distribution;
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    auto choice = ReadScalarValue(item, path);
    if (!choice) return choice.error();
    std::string list;
    for (size_t i = 0; i < c->choices.size(); ++i) {
      if (c->choices[i] == *choice) return static_cast<double>(i);
      list += (list.empty() ? "" : ", ") + ChoiceToString(c->choices[i]);
    }
    for (size_t i = 0; i < c->choices.size(); ++i) {  // "3" for the choice 3
      if (ChoiceToString(c->choices[i]) == ChoiceToString(*choice)) return static_cast<double>(i);
    }
    return ErrorAt(item.location, path,
                   Describe(item) + " is never a value of '" + parent.name +
                       "' (its choices: " + list + "), so the condition could never hold");
  }
  if (const auto* f = std::get_if<FloatDistribution>(&d); f && !f->step && f->low != f->high) {
    return ErrorAt(item.location, path,
                   "'" + parent.name +
                       "' is a continuous float: a condition on one exact value of it would "
                       "almost never hold; make it categorical or give it a step");
  }
  auto v = ReadNumber(item, path);
  if (!v) return v.error();
  if (!Contains(d, *v)) {
    return ErrorAt(item.location, path,
                   FormatValue(d, *v) + " is never a value of '" + parent.name +
                       "', so the condition could never hold");
  }
  return Snap(d, *v);  // exactly the value samplers produce (0.30000000000000004 for 0.3)
}

Result<std::vector<Condition>> ReadWhen(const SearchSpace& space, size_t self,
                                        const YamlEntry& when, const std::string& path) {
  if (auto s = ExpectMapping(when.value, path); !s) {
    return ErrorAt(when.value.location, path,
                   "expected a mapping of parameter to value(s), such as {optimizer: sgd}, got " +
                       Describe(when.value));
  }
  if (when.value.entries.empty()) {
    return ErrorAt(when.value.location, path, "expected at least one condition");
  }
  std::vector<std::string> names;
  for (const auto& p : space) names.push_back(p.name);
  std::vector<Condition> out;
  for (const auto& e : when.value.entries) {
    const std::string key_path = JoinPath(path, e.key);
    const Parameter* parent = FindParameter(space, e.key);
    if (!parent) {
      return ErrorAt(e.key_location, key_path,
                     "not a parameter of search_space" + DidYouMean(e.key, names));
    }
    if (parent == &space[self]) {
      return ErrorAt(e.key_location, key_path, "a parameter cannot depend on itself");
    }
    Condition c{e.key, {}};
    if (e.value.IsSequence()) {
      if (e.value.items.empty()) {
        return ErrorAt(e.value.location, key_path, "expected at least one value");
      }
      for (size_t i = 0; i < e.value.items.size(); ++i) {
        auto v = ConditionValue(*parent, e.value.items[i], IndexPath(key_path, i));
        if (!v) return v.error();
        c.values.push_back(*v);
      }
    } else {
      auto v = ConditionValue(*parent, e.value, key_path);
      if (!v) return v.error();
      c.values.push_back(*v);
    }
    out.push_back(std::move(c));
  }
  return out;
}

// What parameter `i` needs to be active: for itself and every parameter it
// depends on, directly or not, the values that parameter must take (the
// intersection of what each condition on it allows). Empty set: impossible.
using Needs = std::map<std::string, std::set<double>>;

}  // namespace

Status ParseConditions(SearchSpace& space, const std::vector<const YamlEntry*>& when_entries) {
  for (size_t i = 0; i < space.size(); ++i) {
    if (!when_entries[i]) continue;
    auto when = ReadWhen(space, i, *when_entries[i], "search_space." + space[i].name + ".when");
    if (!when) return when.error();
    space[i].when = std::move(*when);
  }
  auto when_location = [&](size_t i) { return when_entries[i]->key_location; };
  auto index_of = [&](const std::string& name) {
    return static_cast<size_t>(FindParameter(space, name) - space.data());
  };
  // Cycles, by depth-first search from each parameter in file order.
  std::vector<int> mark(space.size(), 0);  // 0 new, 1 on the path, 2 done
  std::vector<size_t> path;
  std::vector<size_t> order;  // dependencies first
  auto visit = [&](auto& self, size_t i) -> Status {
    if (mark[i] == 2) return {};
    if (mark[i] == 1) {
      std::string cycle;
      auto from = std::find(path.begin(), path.end(), i);
      for (auto it = from; it != path.end(); ++it) cycle += space[*it].name + " -> ";
      cycle += space[i].name;
      return ErrorAt(when_location(i), "search_space." + space[i].name + ".when",
                     "conditions form a cycle: " + cycle);
    }
    mark[i] = 1;
    path.push_back(i);
    for (const auto& c : space[i].when) {
      if (auto s = self(self, index_of(c.parent)); !s) return s;
    }
    path.pop_back();
    mark[i] = 2;
    order.push_back(i);
    return {};
  };
  for (size_t i = 0; i < space.size(); ++i) {
    if (auto s = visit(visit, i); !s) return s;
  }
  // Conditions that can never hold together (b needs a = x, c needs b and a = y).
  std::vector<Needs> needs(space.size());
  auto add = [](Needs& into, const std::string& name, const std::set<double>& values) {
    auto [it, fresh] = into.emplace(name, values);
    if (fresh) return;
    std::set<double> both;
    for (double v : values) {
      if (it->second.count(v)) both.insert(v);
    }
    it->second = std::move(both);
  };
  for (size_t i : order) {
    for (const auto& c : space[i].when) {
      for (const auto& [name, values] : needs[index_of(c.parent)]) add(needs[i], name, values);
      add(needs[i], c.parent, std::set<double>(c.values.begin(), c.values.end()));
    }
    for (const auto& [name, values] : needs[i]) {
      if (!values.empty()) continue;
      return ErrorAt(when_location(i), "search_space." + space[i].name + ".when",
                     "these conditions can never all hold: through the conditions of the "
                     "parameters they name, they need '" +
                         name + "' to take values that exclude each other");
    }
  }
  SearchSpace sorted;
  for (size_t i : order) sorted.push_back(std::move(space[i]));
  space = std::move(sorted);
  return {};
}

}  // namespace gdsweep
