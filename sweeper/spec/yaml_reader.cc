#include "sweeper/spec/yaml_reader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "sweeper/model/utf8.h"

namespace gdsweep {
namespace {

constexpr const char* kStrTag = "tag:yaml.org,2002:str";

// Thrown from the event handler to stop reading at the first problem.
struct StopReading {
  Error error;
};

// Builds YamlNodes from yaml-cpp's parse events, one document at a time.
// Building from events (not from yaml-cpp's node graph) is what lets it count
// the nodes an alias copies, so that a few hundred bytes of nested aliases
// (an "alias bomb") are refused instead of expanding to gigabytes.
class TreeBuilder : public YAML::EventHandler {
 public:
  // With a source text, locations come from yaml-cpp's marks; without, every
  // node gets the fixed origin. `base_path` is the key path of the root, for
  // messages ("" for a file).
  TreeBuilder(const std::string* text, YamlLocation origin, std::string base_path)
      : text_(text), origin_(std::move(origin)), base_path_(std::move(base_path)) {}

  YamlLocation At(const YAML::Mark& mark) const {
    YamlLocation loc{origin_.source, 0, 0};
    if (text_ && mark.line >= 0 && mark.column >= 0) {
      loc.line = mark.line + 1;
      loc.column = mark.column + 1;
    }
    return loc;
  }

  [[noreturn]] void Stop(const YamlLocation& loc, const std::string& path,
                         const std::string& what) const {
    throw StopReading{
        Error::Invalid(ToString(loc) + ": " + (path.empty() ? "" : path + ": ") + what)};
  }

  // The root of the document read last; nullopt before any.
  std::optional<YamlNode> TakeRoot() { return std::exchange(root_, std::nullopt); }

  void OnDocumentStart(const YAML::Mark&) override {
    stack_.clear();
    anchors_.clear();
    root_.reset();
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode n;
    n.location = At(mark);
    // An explicit "~"/"null" has a precise mark; an empty value's mark points
    // at whatever follows it, so its key is the better place to point at.
    if (!WrittenAsNull(mark) && !stack_.empty() && stack_.back().has_key &&
        stack_.back().key_location.line > 0) {
      n.location = stack_.back().key_location;
    }
    Complete(std::move(n), 1, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      Stop(At(mark), ChildPath(), "an alias cannot refer to a node that contains it");
    }
    alias_nodes_ += it->second.size;
    if (alias_nodes_ > kMaxYamlAliasNodes) {
      Stop(At(mark), ChildPath(),
           "aliases expand to more than " + std::to_string(kMaxYamlAliasNodes) +
               " nodes; write the values out instead of nesting aliases");
    }
    Complete(YamlNode(it->second.node), it->second.size, YAML::NullAnchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YamlNode n;
    n.location = At(mark);
    if (tag != "?" && tag != "!" && tag != kStrTag) UnsupportedTag(n.location, tag);
    n.kind = YamlNode::Kind::kScalar;
    n.scalar = value;
    n.quoted = tag != "?";
    n.text_column = TextColumn(mark, value);
    if (auto bad = FirstInvalidUtf8(value)) {
      YamlLocation loc = n.location;
      if (n.text_column > 0) loc.column = n.text_column + static_cast<int>(*bad);
      const bool is_key =
          !stack_.empty() && stack_.back().node.IsMapping() && !stack_.back().has_key;
      Stop(loc, is_key ? stack_.back().path : ChildPath(),
           std::string(is_key ? "a key" : "the value") + " is not valid UTF-8 (byte " +
               PrintableExcerpt(value.substr(*bad, 1)) + " at offset " + std::to_string(*bad) +
               "); write the study file in UTF-8");
    }
    Complete(std::move(n), 1, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(YamlNode::Kind::kSequence, mark, tag, "tag:yaml.org,2002:seq", anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(YamlNode::Kind::kMapping, mark, tag, "tag:yaml.org,2002:map", anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  // A sequence or mapping being read.
  struct Frame {
    YamlNode node;
    std::string path;  // of `node`, for messages
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t size = 1;  // nodes in `node`, itself included
    // Mappings: the key read and waiting for its value, and the keys so far.
    bool has_key = false;
    std::string key;
    YamlLocation key_location;
    std::unordered_map<std::string, int> key_lines;
  };
  // An anchored node, copied where an alias names it.
  struct Anchored {
    YamlNode node;
    size_t size = 0;
  };

  // The key path of the node being read next.
  std::string ChildPath() const {
    if (stack_.empty()) return base_path_;
    const Frame& f = stack_.back();
    if (f.node.IsSequence()) return f.path + "[" + std::to_string(f.node.items.size()) + "]";
    if (!f.has_key) return f.path;
    return f.path.empty() ? f.key : f.path + "." + f.key;
  }

  void Open(YamlNode::Kind kind, const YAML::Mark& mark, const std::string& tag,
            const char* own_tag, YAML::anchor_t anchor) {
    Frame f;
    f.node.kind = kind;
    f.node.location = At(mark);
    if (tag != "?" && tag != own_tag) UnsupportedTag(f.node.location, tag);
    if (!stack_.empty() && stack_.back().node.IsMapping() && !stack_.back().has_key) {
      Stop(f.node.location, "", "a mapping key must be a string");
    }
    f.path = ChildPath();
    f.anchor = anchor;
    stack_.push_back(std::move(f));
  }

  void Close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Complete(std::move(f.node), f.size, f.anchor);
  }

  // Attaches a finished node of `size` nodes to its parent (or makes it the root).
  void Complete(YamlNode node, size_t size, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{node, size};
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    parent.size += size;
    if (parent.node.IsSequence()) {
      parent.node.items.push_back(std::move(node));
      return;
    }
    if (!parent.has_key) {
      if (!node.IsScalar()) Stop(node.location, "", "a mapping key must be a string");
      auto [it, fresh] = parent.key_lines.emplace(node.scalar, node.location.line);
      if (!fresh) {
        const std::string where =
            it->second > 0 ? " (first at line " + std::to_string(it->second) + ")" : "";
        Stop(node.location, "", "duplicate key '" + node.scalar + "'" + where);
      }
      parent.has_key = true;
      parent.key = std::move(node.scalar);
      parent.key_location = node.location;
      return;
    }
    parent.node.entries.push_back(
        YamlEntry{std::move(parent.key), parent.key_location, std::move(node)});
    parent.has_key = false;
  }

  [[noreturn]] void UnsupportedTag(const YamlLocation& loc, const std::string& tag) const {
    Stop(loc, "", "unsupported YAML tag '" + PrintableExcerpt(tag) + "'");
  }

  bool WrittenAsNull(const YAML::Mark& mark) const {
    if (!text_ || mark.pos < 0) return false;
    const std::string_view rest = std::string_view(*text_).substr(static_cast<size_t>(mark.pos));
    for (std::string_view word : {"~", "null", "Null", "NULL"}) {
      if (rest.substr(0, word.size()) == word) return true;
    }
    return false;
  }

  int TextColumn(const YAML::Mark& mark, const std::string& scalar) const {
    if (!text_ || mark.pos < 0 || scalar.find('\n') != std::string::npos) return 0;
    auto pos = static_cast<size_t>(mark.pos);
    int column = mark.column + 1;
    if (pos < text_->size() && ((*text_)[pos] == '"' || (*text_)[pos] == '\'')) {
      ++pos;
      ++column;
    }
    if (pos > text_->size()) return 0;
    return text_->compare(pos, scalar.size(), scalar) == 0 ? column : 0;
  }

  const std::string* text_;
  YamlLocation origin_;
  std::string base_path_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  size_t alias_nodes_ = 0;  // over the whole text
  std::optional<YamlNode> root_;
};

// yaml-cpp reports a tab in indentation as whatever token it breaks
// ("illegal map value"); say what it is when the line at fault, or the one
// before it, is indented with a tab: where the tab is, and "KEY: " when the
// line starts with a key.
std::optional<std::pair<YamlLocation, std::string>> TabInIndentation(const std::string& text,
                                                                     int error_line,
                                                                     const std::string& source) {
  int line = 1;
  size_t start = 0;
  std::optional<std::pair<YamlLocation, std::string>> found;
  while (start <= text.size() && line <= error_line) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (line >= error_line - 1) {
      size_t i = start;
      while (i < end && text[i] == ' ') ++i;
      if (i < end && text[i] == '\t') {
        size_t first = i;
        while (first < end && (text[first] == ' ' || text[first] == '\t')) ++first;
        const std::string_view content = std::string_view(text).substr(first, end - first);
        const size_t colon = content.find(':');
        std::string key;
        if (colon != std::string_view::npos && colon > 0 &&
            content.substr(0, colon).find_first_of(" \t\"'{[#") == std::string_view::npos) {
          key = PrintableExcerpt(content.substr(0, colon), 60) + ": ";
        }
        found.emplace(YamlLocation{source, line, static_cast<int>(i - start) + 1}, key);
      }
    }
    start = end + 1;
    ++line;
  }
  return found;
}

// Parses without building anything, to find a syntax error.
class SyntaxOnly : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

Error SyntaxError(const YAML::Exception& e, const std::string& text, const TreeBuilder& builder,
                  bool with_positions, const std::string& source) {
  YamlLocation loc = builder.At(e.mark);
  if (with_positions && loc.line > 0) {
    if (auto tab = TabInIndentation(text, loc.line, source)) {
      return Error::Invalid(ToString(tab->first) + ": " + tab->second +
                            "indented with a tab; YAML indents with spaces only");
    }
  }
  return Error::Invalid(ToString(loc) + ": YAML syntax error: " + e.msg);
}

Result<YamlNode> Read(const std::string& text, const std::string* positions_from,
                      const YamlLocation& origin, const std::string& base_path) {
  TreeBuilder builder(positions_from, origin, base_path);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    std::optional<YamlNode> root;
    bool first = true;
    while (parser.HandleNextDocument(builder)) {
      std::optional<YamlNode> doc = builder.TakeRoot();
      if (first) {
        root = std::move(doc);
        first = false;
      } else if (doc && !doc->IsNull()) {
        builder.Stop(doc->location, "", "expected one YAML document, found another one here");
      }
    }
    if (!root) {
      YamlNode empty;
      empty.location = origin;
      if (positions_from) empty.location = YamlLocation{origin.source, 1, 1};
      return empty;
    }
    if (positions_from && root->location.line == 0) {
      root->location = YamlLocation{origin.source, 1, 1};  // a document of comments only
    }
    return std::move(*root);
  } catch (const StopReading& stop) {
    // Events arrive while yaml-cpp reads, so a problem may be found before a
    // syntax error further on, which is the one to report (fix it first).
    try {
      std::istringstream in(text);
      YAML::Parser parser(in);
      SyntaxOnly syntax;
      while (parser.HandleNextDocument(syntax)) {
      }
    } catch (const YAML::Exception& e) {
      return SyntaxError(e, text, builder, positions_from != nullptr, origin.source);
    }
    return stop.error;
  } catch (const YAML::Exception& e) {
    return SyntaxError(e, text, builder, positions_from != nullptr, origin.source);
  }
}

}  // namespace

std::string ToString(const YamlLocation& location) {
  if (location.line <= 0) return location.source;
  return location.source + ":" + std::to_string(location.line) + ":" +
         std::to_string(location.column);
}

const YamlEntry* YamlNode::Find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

YamlEntry* YamlNode::Find(std::string_view key) {
  for (auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

Result<std::string> ReadYamlFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Error::Invalid(path + ": is a directory, not a " + what);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Invalid(path + ": cannot read the " + what + ": " + std::strerror(errno));
  // One byte past the limit tells a file at the limit from a larger one,
  // also for pipes and devices, whose size is unknown beforehand.
  std::string text(kMaxYamlFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return Error::Invalid(path + ": cannot read the " + what + ": " + std::strerror(errno));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxYamlFileBytes) {
    return Error::Invalid(path + ": the " + what + " is larger than " +
                          std::to_string(kMaxYamlFileBytes >> 20) + " MiB (" +
                          std::to_string(kMaxYamlFileBytes) + " bytes), the most gdsweep reads");
  }
  return text;
}

Result<YamlNode> ReadYaml(const std::string& text, const std::string& source_name) {
  return Read(text, &text, YamlLocation{source_name, 0, 0}, "");
}

Result<YamlNode> ReadYamlValue(const std::string& text, const YamlLocation& origin,
                               const std::string& path) {
  return Read(text, nullptr, origin, path);
}

}  // namespace gdsweep
