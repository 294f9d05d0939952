// Building a gdsweep study-file tree out of another format's values: scalars,
// lists and mappings that carry the position of the original value they came
// from, and the typed reads of the original's values the importers share.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/distribution.h"
#include "sweeper/model/result.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// A plain scalar as written (a number, a boolean, null or a plain string).
YamlNode PlainNode(std::string text, const YamlLocation& at);
// A string: always read back as a string, however it looks.
YamlNode StringNode(std::string text, const YamlLocation& at);
YamlNode IntNode(int64_t value, const YamlLocation& at);
// The shortest text that reads back to `value`, always a float (1.0, 1e-05).
YamlNode FloatNode(double value, const YamlLocation& at);
YamlNode BoolNode(bool value, const YamlLocation& at);
// A choice as a node that reads back to the same choice.
YamlNode ChoiceNode(const Choice& choice, const YamlLocation& at);
YamlNode ListNode(const YamlLocation& at, std::vector<YamlNode> items = {});
YamlNode MapNode(const YamlLocation& at);

// Appends (or replaces) `key` of a mapping; returns the value's node.
YamlNode& Put(YamlNode& mapping, const std::string& key, YamlNode value,
              const YamlLocation& key_at);
YamlNode& Put(YamlNode& mapping, const std::string& key, YamlNode value);

// The mapping under `key`, created (at `at`) if missing.
YamlNode& Section(YamlNode& mapping, const std::string& key, const YamlLocation& at);

// A number written as a number or as a string of one ("0.01", as Katib's
// bounds are): an int64 when it is a whole number written without a point or
// exponent, else a double; Error::Invalid naming `path` otherwise.
Result<Choice> ReadNumberLike(const YamlNode& node, const std::string& path);
// As ReadNumberLike, as a double.
Result<double> ReadDoubleLike(const YamlNode& node, const std::string& path);

}  // namespace gdsweep

namespace gdsweep {

// A study name out of `text` (a config's name, or the file's stem when
// empty): characters other than letters, digits, '.', '_' and '-' become
// '-', at most 128 characters.
std::string StudyNameFrom(const std::string& text, const std::string& source_path);

// `argv` as a list of string nodes at `at`.
YamlNode CommandNode(const std::vector<std::string>& argv, const YamlLocation& at);

// Where character `offset` of scalar `node` is: exact when the scalar is
// written as-is on one line, else the scalar's own position.
YamlLocation LocationIn(const YamlNode& node, size_t offset);

}  // namespace gdsweep
