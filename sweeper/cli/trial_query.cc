#include "sweeper/cli/trial_query.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "sweeper/cli/trial_table.h"

namespace gdsweep::cli {
namespace {

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

// What a key reads of a trial: a number, or text (state, tag, a choice).
struct Cell {
  bool present = false;
  bool is_text = false;
  double number = 0;
  std::string text;
};

struct Key {
  enum class Kind { kNumber, kState, kTag, kAttempt, kStart, kEnd, kObjective, kParam } kind;
  size_t objective = 0;
  const Parameter* param = nullptr;
  std::string name;
};

std::vector<std::string> ValidKeys(const StudyInfo& study, const SearchSpace& params) {
  std::vector<std::string> keys = {"number", "state", "tag", "attempt", "start", "end"};
  for (const auto& m : ObjectiveNames(study)) keys.push_back(m);
  for (const auto& p : params) keys.push_back(p.name);
  return keys;
}

Result<Key> FindKey(const StudyInfo& study, const SearchSpace& params, const std::string& name,
                    const std::string& flag) {
  static const std::vector<std::pair<std::string, Key::Kind>> kFixed = {
      {"number", Key::Kind::kNumber},   {"state", Key::Kind::kState}, {"tag", Key::Kind::kTag},
      {"attempt", Key::Kind::kAttempt}, {"start", Key::Kind::kStart}, {"end", Key::Kind::kEnd}};
  for (const auto& [fixed, kind] : kFixed) {
    if (name == fixed) return Key{kind, 0, nullptr, name};
  }
  const auto objectives = ObjectiveNames(study);
  for (size_t i = 0; i < objectives.size(); ++i) {
    if (name == objectives[i]) return Key{Key::Kind::kObjective, i, nullptr, name};
  }
  if (const Parameter* p = FindParameter(params, name)) {
    return Key{Key::Kind::kParam, 0, p, name};
  }
  std::string valid;
  for (const auto& k : ValidKeys(study, params)) valid += (valid.empty() ? "" : ", ") + k;
  return Error::Invalid(flag + ": unknown key '" + name + "'; valid keys: " + valid);
}

Cell Read(const Key& key, const TrialRecord& t) {
  Cell c;
  auto number = [&](std::optional<double> v) {
    if (v && !std::isnan(*v)) {
      c.present = true;
      c.number = *v;
    }
  };
  switch (key.kind) {
    case Key::Kind::kNumber:
      number(static_cast<double>(t.number));
      break;
    case Key::Kind::kAttempt:
      number(static_cast<double>(t.attempt));
      break;
    case Key::Kind::kStart:
      number(t.datetime_start);
      break;
    case Key::Kind::kEnd:
      number(t.datetime_complete);
      break;
    case Key::Kind::kObjective:
      if (key.objective < t.values.size()) number(t.values[key.objective]);
      break;
    case Key::Kind::kState:
    case Key::Kind::kTag:
      c.present = true;
      c.is_text = true;
      c.text = key.kind == Key::Kind::kState ? ToString(t.state) : t.tag;
      break;
    case Key::Kind::kParam: {
      auto it = t.params.find(key.name);
      if (it == t.params.end()) break;
      if (auto* cat = std::get_if<CategoricalDistribution>(&key.param->distribution)) {
        c.present = true;
        c.is_text = true;
        c.text = FormatValue(*cat, it->second);
        // A numeric choice compares as a number.
        const auto i = static_cast<size_t>(std::llround(it->second));
        if (i < cat->choices.size()) {
          if (auto* n = std::get_if<int64_t>(&cat->choices[i])) {
            c.is_text = false;
            c.number = static_cast<double>(*n);
          } else if (auto* d = std::get_if<double>(&cat->choices[i])) {
            c.is_text = false;
            c.number = *d;
          }
        }
      } else {
        number(it->second);
      }
      break;
    }
  }
  return c;
}

struct Condition {
  Key key;
  Op op;
  std::string text;
  std::optional<double> number;
};

Result<Condition> ParseCondition(const StudyInfo& study, const SearchSpace& params,
                                 const std::string& where) {
  const std::string flag = "--where '" + where + "'";
  const size_t at = where.find_first_of("=!<>");
  if (at == std::string::npos || at == 0) {
    return Error::Invalid(flag + ": expected KEY<op>VALUE with op one of = != < <= > >=");
  }
  static const std::vector<std::pair<std::string, Op>> kOps = {
      {"!=", Op::kNe}, {"<=", Op::kLe}, {">=", Op::kGe}, {"==", Op::kEq},
      {"=", Op::kEq},  {"<", Op::kLt},  {">", Op::kGt}};
  std::optional<Op> op;
  size_t len = 0;
  for (const auto& [text, o] : kOps) {
    if (where.compare(at, text.size(), text) == 0) {
      op = o;
      len = text.size();
      break;
    }
  }
  if (!op) return Error::Invalid(flag + ": expected one of = != < <= > >= after the key");
  auto key = FindKey(study, params, where.substr(0, at), flag);
  if (!key) return key.error();
  Condition c{*key, *op, where.substr(at + len), std::nullopt};
  double v = 0;
  const char* end = c.text.data() + c.text.size();
  if (auto r = std::from_chars(c.text.data(), end, v); r.ec == std::errc() && r.ptr == end) {
    c.number = v;
  }
  const bool ordered = *op != Op::kEq && *op != Op::kNe;
  const bool text_key = key->kind == Key::Kind::kState || key->kind == Key::Kind::kTag;
  if (!text_key && !c.number) {
    bool categorical =
        key->param && std::holds_alternative<CategoricalDistribution>(key->param->distribution);
    if (!categorical || ordered) {
      return Error::Invalid(flag + ": '" + c.text + "' is not a number");
    }
  }
  if (text_key && ordered) {
    return Error::Invalid(flag + ": " + key->name + " takes = or != only");
  }
  return c;
}

bool Holds(const Condition& c, const TrialRecord& t) {
  const Cell cell = Read(c.key, t);
  if (!cell.present) return false;
  int cmp = 0;
  if (!cell.is_text && c.number) {
    cmp = cell.number < *c.number ? -1 : (cell.number > *c.number ? 1 : 0);
  } else {
    std::string text = cell.text;
    if (c.key.kind == Key::Kind::kState) {
      std::string upper = c.text;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      cmp = text == upper ? 0 : 1;
    } else {
      if (!cell.is_text) text = FormatDouble(cell.number);
      cmp = text == c.text ? 0 : 1;
    }
    if (c.op != Op::kEq && c.op != Op::kNe) return false;
  }
  switch (c.op) {
    case Op::kEq:
      return cmp == 0;
    case Op::kNe:
      return cmp != 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kLe:
      return cmp <= 0;
    case Op::kGt:
      return cmp > 0;
    case Op::kGe:
      return cmp >= 0;
  }
  return false;
}

}  // namespace

Result<std::vector<TrialRecord>> ApplyTrialQuery(const StudyInfo& study, const SearchSpace& params,
                                                 std::vector<TrialRecord> trials,
                                                 const TrialQuery& query) {
  std::vector<Condition> conditions;
  for (const auto& w : query.where) {
    auto c = ParseCondition(study, params, w);
    if (!c) return c.error();
    conditions.push_back(std::move(*c));
  }
  std::erase_if(trials, [&](const TrialRecord& t) {
    for (const auto& c : conditions) {
      if (!Holds(c, t)) return true;
    }
    return false;
  });
  if (query.sort) {
    auto key = FindKey(study, params, *query.sort, "--sort");
    if (!key) return key.error();
    std::stable_sort(trials.begin(), trials.end(), [&](const TrialRecord& a, const TrialRecord& b) {
      const Cell x = Read(*key, a), y = Read(*key, b);
      if (x.present != y.present) return x.present;  // missing last, either way
      if (!x.present) return false;
      if (x.is_text || y.is_text) {
        return query.descending ? y.text < x.text : x.text < y.text;
      }
      return query.descending ? y.number < x.number : x.number < y.number;
    });
  }
  if (query.limit && trials.size() > static_cast<size_t>(*query.limit)) {
    trials.resize(static_cast<size_t>(*query.limit));
  }
  return trials;
}

}  // namespace gdsweep::cli
