#include "sweeper/convert/study_writer.h"

#include <map>
#include <regex>
#include <set>

#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Plain text that reads back as this very string under the study-file rules.
bool PlainString(const std::string& s) {
  static const std::regex kSafe("[A-Za-z0-9_/$.][A-Za-z0-9_./@+=-]*");
  if (!std::regex_match(s, kSafe)) return false;
  auto read = ReadScalarValue(PlainNode(s, {}), "");
  return read && std::holds_alternative<std::string>(*read) && std::get<std::string>(*read) == s;
}

std::string KeyText(const std::string& key) { return PlainString(key) ? key : Quote(key); }

bool IsScalarish(const YamlNode& n) { return n.IsScalar() || n.IsNull(); }

// A flow form fits: scalars, or a list/mapping of scalars (or of such lists).
bool Flowable(const YamlNode& n, int depth = 0) {
  if (IsScalarish(n)) return true;
  if (depth > 1) return false;
  if (n.IsSequence()) {
    for (const auto& i : n.items) {
      if (!Flowable(i, depth + 1)) return false;
    }
    return true;
  }
  for (const auto& e : n.entries) {
    if (!Flowable(e.value, depth + 1)) return false;
  }
  return true;
}

std::string Flow(const YamlNode& n) {
  if (n.IsNull()) return "null";
  if (n.IsScalar()) return YamlScalarText(n);
  std::string out = n.IsSequence() ? "[" : "{";
  if (n.IsSequence()) {
    for (size_t i = 0; i < n.items.size(); ++i) out += (i ? ", " : "") + Flow(n.items[i]);
  } else {
    for (size_t i = 0; i < n.entries.size(); ++i) {
      out += (i ? ", " : "") + KeyText(n.entries[i].key) + ": " + Flow(n.entries[i].value);
    }
  }
  return out + (n.IsSequence() ? "]" : "}");
}

class Writer {
 public:
  explicit Writer(const std::vector<ConvertNote>& notes) {
    for (const auto& n : notes) by_target_[n.target].push_back(&n);
  }

  void Comments(const std::string& path, const std::string& indent) {
    auto it = by_target_.find(path);
    if (it == by_target_.end()) return;
    for (const ConvertNote* n : it->second) {
      out_ += indent + "# " + (n->level == ConvertNote::Level::kWarning ? "NOTE " : "") +
              (n->key.empty() ? "" : n->key + ": ") + n->message + "\n";
    }
    written_.insert(path);
  }

  void Mapping(const YamlNode& m, const std::string& path, const std::string& indent) {
    for (const auto& e : m.entries) {
      const std::string p = path.empty() ? e.key : path + "." + e.key;
      Comments(p, indent);
      const YamlNode& v = e.value;
      const std::string k = indent + KeyText(e.key) + ":";
      // Sections stay blocks, so that their keys can carry comments.
      const bool section = path.empty() && v.IsMapping() && !v.entries.empty();
      const bool small = !section && Flowable(v) && Flow(v).size() + k.size() < 100;
      if (small) {
        out_ += k + " " + Flow(v) + "\n";
      } else if (v.IsMapping()) {
        out_ += k + "\n";
        Mapping(v, p, indent + "  ");
      } else if (v.IsSequence()) {
        out_ += k + "\n";
        for (const auto& item : v.items) {
          if (Flowable(item) && Flow(item).size() < 100) {
            out_ += indent + "  - " + Flow(item) + "\n";
          } else if (item.IsMapping()) {
            out_ += indent + "  -\n";
            Mapping(item, p, indent + "    ");
          } else {
            out_ += indent + "  - " + Flow(item) + "\n";
          }
        }
      } else {
        out_ += k + " " + Flow(v) + "\n";
      }
    }
  }

  // Notes whose key the tree does not have, for the header.
  std::vector<const ConvertNote*> Unplaced() const {
    std::vector<const ConvertNote*> out;
    for (const auto& [target, notes] : by_target_) {
      if (written_.count(target)) continue;
      out.insert(out.end(), notes.begin(), notes.end());
    }
    return out;
  }

  std::string out_;

 private:
  std::map<std::string, std::vector<const ConvertNote*>> by_target_;
  std::set<std::string> written_;
};

}  // namespace

std::string YamlScalarText(const YamlNode& n) {
  if (n.IsNull()) return "null";
  if (n.quoted) return PlainString(n.scalar) ? n.scalar : Quote(n.scalar);
  auto value = ReadScalarValue(n, "");
  if (value && std::holds_alternative<std::string>(*value)) {
    return PlainString(n.scalar) ? n.scalar : Quote(n.scalar);
  }
  return n.scalar;
}

std::string WriteStudyYaml(const YamlNode& root, const std::vector<std::string>& header,
                           const std::vector<ConvertNote>& notes) {
  Writer w(notes);
  w.Mapping(root, "", "");
  std::string head;
  for (const auto& line : header) head += "# " + line + "\n";
  const auto unplaced = w.Unplaced();
  for (const ConvertNote* n : unplaced) {
    head += std::string("# ") + (n->level == ConvertNote::Level::kWarning ? "NOTE " : "") +
            (n->key.empty() ? "" : n->key + ": ") + n->message + "\n";
  }
  return head + (head.empty() ? "" : "\n") + w.out_;
}

}  // namespace gdsweep
