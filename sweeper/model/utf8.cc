#include "sweeper/model/utf8.h"

namespace gdsweep {
namespace {

// The length of the well-formed UTF-8 sequence at s[i], or 0.
size_t SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = b(0);
  if (lead < 0x80) return 1;
  size_t n = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < low || b(1) > high) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

namespace {

// `s` up to `max_bytes` with control characters and invalid bytes as \xHH
// (tab kept when `keep_tab`; the C1 controls too when `c1`).
std::string Escape(std::string_view s, size_t max_bytes, bool keep_tab, bool c1) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  const auto hex = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  };
  size_t i = 0;
  while (i < s.size() && i < max_bytes) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : SequenceLength(s, i);
    const bool control = (c < 0x20 && !(keep_tab && c == '\t')) || c == 0x7F;
    const bool c1_control =
        c1 && n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    if (n == 0 || control) {
      hex(c);
      ++i;
    } else if (c1_control) {
      hex(c);
      hex(static_cast<unsigned char>(s[i + 1]));
      i += 2;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  if (i < s.size()) out += "...";
  return out;
}

}  // namespace

std::string PrintableExcerpt(std::string_view s, size_t max_bytes) {
  return Escape(s, max_bytes, /*keep_tab=*/false, /*c1=*/false);
}

std::string EscapeControls(std::string_view s) {
  return Escape(s, std::string_view::npos, /*keep_tab=*/true, /*c1=*/true);
}

}  // namespace gdsweep
