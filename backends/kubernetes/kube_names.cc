#include "backends/kubernetes/kube_names.h"

#include <cstdint>

namespace gdsweep {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

bool IsNameChar(char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsDns1123Subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string_view part =
        s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    // Each part follows the label rule, without the 63-character limit.
    if (part.empty() || !IsLowerAlnum(part.front()) || !IsLowerAlnum(part.back())) return false;
    for (char c : part) {
      if (!IsLowerAlnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsLabelValue(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool IsLabelKey(std::string_view s) {
  const size_t slash = s.find('/');
  std::string_view name = s;
  if (slash != std::string_view::npos) {
    if (!IsDns1123Subdomain(s.substr(0, slash))) return false;
    name = s.substr(slash + 1);
  }
  return !name.empty() && IsLabelValue(name);
}

bool IsQuantity(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const size_t number_start = i;
  size_t digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0 || i == number_start) return false;
  const std::string_view suffix = s.substr(i);
  if (suffix.empty()) return true;
  for (std::string_view known :
       {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"}) {
    if (suffix == known) return true;
  }
  if (suffix[0] != 'e' && suffix[0] != 'E') return false;
  size_t j = 1;
  if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
  if (j == suffix.size()) return false;
  for (; j < suffix.size(); ++j) {
    if (!IsDigit(suffix[j])) return false;
  }
  return true;
}

std::string ShortHash(std::string_view s, size_t hex_digits) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int shift = 60; shift >= 0 && out.size() < hex_digits; shift -= 4) {
    out += kHex[(h >> shift) & 0xf];
  }
  return out;
}

std::string LabelSafeValue(std::string_view s) {
  if (IsLabelValue(s)) return std::string(s);
  const std::string hash = ShortHash(s, 10);
  std::string out;
  for (char c : s) out += IsNameChar(c) ? c : '-';
  out = out.substr(0, 63 - hash.size() - 1);
  while (!out.empty() && !IsAlnum(out.back())) out.pop_back();
  size_t first = 0;
  while (first < out.size() && !IsAlnum(out[first])) ++first;
  out = out.substr(first);
  return out.empty() ? hash : out + "-" + hash;
}

}  // namespace gdsweep
