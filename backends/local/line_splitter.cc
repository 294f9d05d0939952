#include "backends/local/line_splitter.h"

namespace gdsweep {
namespace {

// Drops a multi-byte UTF-8 sequence cut short at the end of `s`.
void TrimIncompleteUtf8(std::string& s) {
  size_t i = s.size();
  while (i > 0 && s.size() - i < 3 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) --i;
  if (i == 0) return;
  const auto lead = static_cast<unsigned char>(s[i - 1]);
  if (lead < 0xC0) return;  // ASCII, or continuation bytes without a lead
  const size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  if (s.size() - (i - 1) < want) s.resize(i - 1);
}

}  // namespace

void LineSplitter::Feed(std::string_view data, std::vector<std::string>& lines) {
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    Append(data.substr(0, nl));
    if (nl == std::string_view::npos) return;
    Emit(lines);
    data.remove_prefix(nl + 1);
  }
}

void LineSplitter::Finish(std::vector<std::string>& lines) {
  if (pending_) Emit(lines);
}

void LineSplitter::Append(std::string_view piece) {
  pending_ = true;
  const size_t room = max_ - partial_.size();
  if (piece.size() > room) {
    partial_.append(piece.substr(0, room));
    truncated_ = true;
  } else {
    partial_.append(piece);
  }
}

void LineSplitter::Emit(std::vector<std::string>& lines) {
  if (truncated_) TrimIncompleteUtf8(partial_);
  lines.push_back(std::move(partial_));
  partial_.clear();
  truncated_ = false;
  pending_ = false;
}

}  // namespace gdsweep
