#include "sweeper/convert/hydra_expression.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <regex>

namespace gdsweep {
namespace {

class Parser {
 public:
  explicit Parser(const std::string& text) : t_(text) {}

  Result<HydraExpr> Top() {
    SkipSpace();
    auto first = Element();
    if (!first) return first;
    SkipSpace();
    if (pos_ < t_.size() && t_[pos_] == ',') {
      // a,b,c: Hydra's simple choice sweep.
      HydraExpr list;
      list.kind = HydraExpr::Kind::kList;
      list.bare_choice = true;
      list.offset = first->offset;
      list.args.emplace_back("", std::move(*first));
      while (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        SkipSpace();
        auto next = Element();
        if (!next) return next;
        list.args.emplace_back("", std::move(*next));
        SkipSpace();
      }
      first = std::move(list);
    }
    if (pos_ != t_.size()) return Fail(pos_, "unexpected '" + std::string(1, t_[pos_]) + "'");
    return first;
  }

 private:
  Error Fail(size_t at, const std::string& what) {
    return Error::Invalid(std::to_string(at) + ":" + what);
  }

  void SkipSpace() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t')) ++pos_;
  }

  static bool Special(char c) {
    return c == ',' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' ||
           c == '=' || c == '\'' || c == '"';
  }

  Result<HydraExpr> Element() {
    SkipSpace();
    if (pos_ >= t_.size()) return Fail(pos_, "expected a value");
    const char c = t_[pos_];
    if (c == '\'' || c == '"') return Quoted();
    if (c == '[') return Bracketed();
    if (c == '{') return Fail(pos_, "a dictionary value is not supported here");
    return Word();
  }

  Result<HydraExpr> Quoted() {
    const size_t start = pos_;
    const char q = t_[pos_++];
    std::string s;
    while (pos_ < t_.size() && t_[pos_] != q) {
      if (t_[pos_] == '\\' && pos_ + 1 < t_.size()) ++pos_;
      s += t_[pos_++];
    }
    if (pos_ >= t_.size()) return Fail(start, "unterminated quoted string");
    ++pos_;
    HydraExpr e;
    e.value = s;
    e.quoted = true;
    e.offset = start;
    return e;
  }

  Result<HydraExpr> Bracketed() {
    HydraExpr list;
    list.kind = HydraExpr::Kind::kList;
    list.offset = pos_++;
    SkipSpace();
    if (pos_ < t_.size() && t_[pos_] == ']') {
      ++pos_;
      return list;
    }
    for (;;) {
      auto item = Element();
      if (!item) return item;
      list.args.emplace_back("", std::move(*item));
      SkipSpace();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < t_.size() && t_[pos_] == ']') {
        ++pos_;
        return list;
      }
      return Fail(pos_, "expected ',' or ']'");
    }
  }

  // An unquoted primitive, or name(args).
  Result<HydraExpr> Word() {
    const size_t start = pos_;
    while (pos_ < t_.size() && !Special(t_[pos_])) ++pos_;
    std::string word = t_.substr(start, pos_ - start);
    while (!word.empty() && (word.back() == ' ' || word.back() == '\t')) word.pop_back();
    if (word.empty()) return Fail(start, "expected a value");
    static const std::regex kIdent("[A-Za-z_][A-Za-z0-9_]*");
    if (pos_ < t_.size() && t_[pos_] == '(' && std::regex_match(word, kIdent)) {
      return Call(word, start);
    }
    HydraExpr e;
    e.offset = start;
    e.value = Primitive(word);
    return e;
  }

  Result<HydraExpr> Call(const std::string& name, size_t start) {
    HydraExpr call;
    call.kind = HydraExpr::Kind::kCall;
    call.name = name;
    call.offset = start;
    ++pos_;  // (
    SkipSpace();
    if (pos_ < t_.size() && t_[pos_] == ')') {
      ++pos_;
      return call;
    }
    for (;;) {
      SkipSpace();
      std::string keyword;
      const size_t arg_start = pos_;
      size_t p = pos_;
      while (p < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[p])) || t_[p] == '_')) {
        ++p;
      }
      size_t q = p;
      while (q < t_.size() && t_[q] == ' ') ++q;
      if (p > arg_start && q < t_.size() && t_[q] == '=') {
        keyword = t_.substr(arg_start, p - arg_start);
        pos_ = q + 1;
      }
      auto arg = Element();
      if (!arg) return arg;
      call.args.emplace_back(keyword, std::move(*arg));
      SkipSpace();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < t_.size() && t_[pos_] == ')') {
        ++pos_;
        return call;
      }
      return Fail(pos_, "expected ',' or ')' in " + name + "(...)");
    }
  }

  // Hydra's primitive types: int, float (with inf and nan), bool and null
  // (any case), else a string.
  static Choice Primitive(const std::string& w) {
    static const std::regex kInt("[-+]?(0|[1-9][0-9_]*)");
    static const std::regex kFloat(
        "[-+]?(([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)");
    static const std::regex kSpecial("[-+]?(inf|nan)", std::regex::icase);
    std::string lower;
    for (char c : w) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "null") return std::monostate{};
    if (lower == "true") return true;
    if (lower == "false") return false;
    if (std::regex_match(w, kInt)) {
      std::string digits;
      for (char c : w) {
        if (c != '_' && c != '+') digits += c;
      }
      int64_t v = 0;
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (r.ec == std::errc()) return v;
    }
    if (std::regex_match(w, kFloat)) return std::strtod(w.c_str(), nullptr);
    if (std::regex_match(w, kSpecial)) {
      const bool negative = w[0] == '-';
      if (lower.find("nan") != std::string::npos) return std::nan("");
      return negative ? -HUGE_VAL : HUGE_VAL;
    }
    return w;
  }

  const std::string& t_;
  size_t pos_ = 0;
};

}  // namespace

Result<HydraExpr> ParseHydraExpression(const std::string& text) { return Parser(text).Top(); }

std::pair<size_t, std::string> SplitHydraError(const std::string& message) {
  const size_t colon = message.find(':');
  if (colon == std::string::npos) return {0, message};
  return {std::strtoul(message.c_str(), nullptr, 10), message.substr(colon + 1)};
}

}  // namespace gdsweep
