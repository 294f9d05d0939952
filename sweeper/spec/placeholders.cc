#include "sweeper/spec/placeholders.h"

#include <algorithm>

namespace gdsweep {
namespace {

constexpr const char* kLiteralHint = " (write '{{' and '}}' for literal braces)";

// Calls on_text for literal runs and on_placeholder for each "{name}", in
// order; returns the scan error, if any, in `scan`.
template <typename OnText, typename OnPlaceholder>
void Walk(std::string_view text, PlaceholderScan& scan, OnText on_text,
          OnPlaceholder on_placeholder) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t brace = text.find_first_of("{}", i);
    if (brace == std::string_view::npos) {
      on_text(text.substr(i));
      return;
    }
    on_text(text.substr(i, brace - i));
    if (brace + 1 < text.size() && text[brace + 1] == text[brace]) {  // "{{" or "}}"
      on_text(text.substr(brace, 1));
      i = brace + 2;
      continue;
    }
    if (text[brace] == '}') {
      scan.error_offset = brace;
      scan.error = std::string("unmatched '}'") + kLiteralHint;
      return;
    }
    const size_t close = text.find_first_of("{}", brace + 1);
    if (close == std::string_view::npos || text[close] == '{') {
      scan.error_offset = brace;
      scan.error = std::string("unmatched '{'") + kLiteralHint;
      return;
    }
    if (close == brace + 1) {
      scan.error_offset = brace;
      scan.error = std::string("empty placeholder '{}'") + kLiteralHint;
      return;
    }
    on_placeholder(Placeholder{std::string(text.substr(brace + 1, close - brace - 1)), brace});
    i = close + 1;
  }
}

std::string ColumnError(const PlaceholderScan& scan) {
  return "column " + std::to_string(*scan.error_offset + 1) + ": " + scan.error;
}

}  // namespace

const std::vector<std::string>& BuiltinPlaceholders() {
  static const std::vector<std::string> kBuiltins = {"trial.number", "trial.id",   "trial.attempt",
                                                     "trial.dir",    "study.name", "tag"};
  return kBuiltins;
}

bool IsBuiltinPlaceholder(std::string_view name) {
  const auto& b = BuiltinPlaceholders();
  return std::find(b.begin(), b.end(), name) != b.end();
}

PlaceholderScan ScanPlaceholders(std::string_view text) {
  PlaceholderScan scan;
  Walk(
      text, scan, [](std::string_view) {},
      [&](Placeholder p) { scan.placeholders.push_back(std::move(p)); });
  if (scan.error_offset) scan.placeholders.clear();
  return scan;
}

Result<std::vector<std::string>> PlaceholderNames(const std::string& text) {
  PlaceholderScan scan = ScanPlaceholders(text);
  if (scan.error_offset) return Error::Invalid(ColumnError(scan));
  std::vector<std::string> names;
  for (auto& p : scan.placeholders) names.push_back(std::move(p.name));
  return names;
}

Result<std::string> ExpandPlaceholders(
    const std::string& text,
    const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  PlaceholderScan scan;
  std::string out;
  std::optional<std::string> unknown;
  Walk(
      text, scan, [&](std::string_view literal) { out += literal; },
      [&](const Placeholder& p) {
        if (unknown) return;
        auto value = lookup(p.name);
        if (value) {
          out += *value;
        } else {
          unknown = p.name;
        }
      });
  if (scan.error_offset) return Error::Invalid(ColumnError(scan));
  if (unknown) return Error::Invalid("unknown placeholder '{" + *unknown + "}'");
  return out;
}

}  // namespace gdsweep
