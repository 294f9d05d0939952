// A YAML document as a plain tree that remembers where each node came from
// (file:line:column, or the --set override that supplied it), so that every
// later error can say where. The only file that includes yaml-cpp is
// yaml_reader.cc. Plain values; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep {

// Where a node came from: a file position, or only a source such as
// "--set budget.n_trials=5" (line 0).
struct YamlLocation {
  std::string source;
  int line = 0;    // 1-based; 0: no position
  int column = 0;  // 1-based
};

// "study.yaml:12:5", or just the source when there is no position.
std::string ToString(const YamlLocation& location);

struct YamlEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMapping };
  Kind kind = Kind::kNull;
  YamlLocation location;
  std::string scalar;              // kScalar: the text as written, quotes removed
  bool quoted = false;             // kScalar: quoted, block (| >) or !!str: always a string
  int text_column = 0;             // kScalar: 1-based column of the first character of `scalar`
                                   // when it is written on one line exactly so (no escapes, no
                                   // folding), so columns inside it are exact; 0 otherwise
  std::vector<YamlNode> items;     // kSequence
  std::vector<YamlEntry> entries;  // kMapping, in file order; keys are unique

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMapping() const { return kind == Kind::kMapping; }

  // The entry for `key` of a mapping, or nullptr.
  const YamlEntry* Find(std::string_view key) const;
  YamlEntry* Find(std::string_view key);
};

struct YamlEntry {
  std::string key;
  YamlLocation key_location;
  YamlNode value;
};

// A YAML file (a study file, a Job template) larger than this is refused
// before it is parsed: 1 MiB.
constexpr size_t kMaxYamlFileBytes = size_t{1} << 20;

// The text of the file at `path`, described as `what` ("study file") in
// messages: Error::Invalid "PATH: ..." when it cannot be read, is a directory
// or is larger than kMaxYamlFileBytes.
Result<std::string> ReadYamlFile(const std::string& path, const std::string& what);

// At most this many nodes may be copied by aliases (*name) in one text: an
// alias costs the size of the node it names, so nested aliases that would
// expand a few hundred bytes to gigabytes (an "alias bomb") are refused.
constexpr size_t kMaxYamlAliasNodes = 100000;

// Parses one YAML document. Errors are Error::Invalid "SOURCE:LINE:COL: ..."
// for syntax errors (saying so when a tab indents a line), duplicate keys,
// non-scalar keys, unsupported tags, text that is not UTF-8 (naming the key
// path), aliases past kMaxYamlAliasNodes and more than one document. An empty
// document is a kNull node at line 1.
Result<YamlNode> ReadYaml(const std::string& text, const std::string& source_name);

// Parses a YAML value given outside a file (a --set override's value): every
// node gets `origin` as its location; `path` is the value's key path, for
// messages.
Result<YamlNode> ReadYamlValue(const std::string& text, const YamlLocation& origin,
                               const std::string& path = "");

}  // namespace gdsweep
