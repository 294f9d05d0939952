// Typed values out of YamlNodes, with errors that say where and what:
// "study.yaml:12:11: search_space.lr.low: expected a number, got 'abc'".
// Plain scalars are read with YAML 1.2's core schema (true/false, null and ~,
// 12, 0x1f, 1.5e-3, .inf); a quoted scalar is always a string. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sweeper/model/distribution.h"
#include "sweeper/model/result.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// Error::Invalid "LOCATION: PATH: WHAT" (no "PATH: " when path is empty).
Error ErrorAt(const YamlLocation& location, const std::string& path, const std::string& what);

// "budget" + "timeout" -> "budget.timeout"; "" + "tag" -> "tag".
std::string JoinPath(const std::string& path, const std::string& key);
// "trial.command", 2 -> "trial.command[2]".
std::string IndexPath(const std::string& path, size_t index);

// The node for "got ..." in messages: 'abc', the string "abc", null, a list, a mapping.
std::string Describe(const YamlNode& node);

// A scalar's value: null, a boolean, an integer, a float or a string (what
// categorical choices hold). Lists and mappings are errors.
Result<Choice> ReadScalarValue(const YamlNode& node, const std::string& path);

Result<std::string> ReadString(const YamlNode& node, const std::string& path);  // any scalar
Result<double> ReadNumber(const YamlNode& node, const std::string& path);       // finite
Result<int64_t> ReadInt(const YamlNode& node, const std::string& path);
// An integer in [low, high]; `what` describes the range ("a positive whole number").
Result<int64_t> ReadIntIn(const YamlNode& node, const std::string& path, int64_t low, int64_t high,
                          const std::string& what);
Result<uint64_t> ReadUint64(const YamlNode& node, const std::string& path);
Result<bool> ReadBool(const YamlNode& node, const std::string& path);
// ReadBool into `field` (left as it is on an error).
Status ReadBoolInto(const YamlNode& node, const std::string& path, bool& field);
// Positive seconds: a number, or a string such as "90", "90s", "10m", "2h", "1h30m".
Result<double> ReadDuration(const YamlNode& node, const std::string& path);
// One of `allowed`, with a did-you-mean when the value is close to one.
Result<std::string> ReadEnum(const YamlNode& node, const std::string& path,
                             const std::vector<std::string>& allowed);

// The value of an optional `key` of a mapping; nullptr when the key is
// absent or its value is null ("seed: null" reads as no seed).
const YamlNode* FindValue(const YamlNode& mapping, std::string_view key);

Status ExpectMapping(const YamlNode& node, const std::string& path);
Status ExpectList(const YamlNode& node, const std::string& path);

// An error for the first key of `mapping` not in `allowed`, pointing at that
// key, with a did-you-mean or the list of allowed keys.
Status CheckKeys(const YamlNode& mapping, const std::string& path,
                 const std::vector<std::string>& allowed);

// "LOCATION: PATH: missing required key 'KEY'" at the mapping.
Error MissingKey(const YamlNode& mapping, const std::string& path, const std::string& key);

}  // namespace gdsweep
