// Placeholders in trial command entries and environment values: "{name}"
// names a parameter ("{train.lr}") or a built-in ("{trial.number}"); "{{" and
// "}}" are literal braces. The parser checks them up front; the launch
// renderer expands them per trial. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep {

// The built-in placeholders; a parameter may not take one of these names.
const std::vector<std::string>& BuiltinPlaceholders();
bool IsBuiltinPlaceholder(std::string_view name);

// One "{name}" in a text.
struct Placeholder {
  std::string name;
  size_t offset = 0;  // of its '{' in the text, 0-based
};

// What ScanPlaceholders found: the placeholders in order, or a syntax error.
struct PlaceholderScan {
  std::vector<Placeholder> placeholders;
  std::optional<size_t> error_offset;  // 0-based offset of the offending brace
  std::string error;                   // e.g. "unmatched '{'"; empty when none
};

// Finds the placeholders of `text`, or the first unmatched brace or empty "{}".
PlaceholderScan ScanPlaceholders(std::string_view text);

// The names of the placeholders in `text`, in order (repeats kept). Error:
// "column N: unmatched '{' ..." with N 1-based.
Result<std::vector<std::string>> PlaceholderNames(const std::string& text);

// Replaces each placeholder by lookup(name) and "{{"/"}}" by single braces.
// Error::Invalid on a syntax error or when lookup returns nullopt
// ("unknown placeholder '{name}'").
Result<std::string> ExpandPlaceholders(
    const std::string& text,
    const std::function<std::optional<std::string>(std::string_view)>& lookup);

}  // namespace gdsweep
