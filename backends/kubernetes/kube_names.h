// Kubernetes' naming rules, checked before anything is sent: DNS-1123 labels
// and subdomains (names of Jobs, namespaces, volumes), label keys and values,
// resource quantities; and turning any text into a valid label value. Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gdsweep {

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters (namespaces, Job and
// container names, volume names).
bool IsDns1123Label(std::string_view s);

// Dot-separated DNS-1123 labels, at most 253 characters (Secrets, ConfigMaps,
// claims, service accounts).
bool IsDns1123Subdomain(std::string_view s);

// A label or annotation key: an optional DNS-1123 subdomain prefix and '/',
// then a name of at most 63 of [A-Za-z0-9._-] starting and ending alphanumeric.
bool IsLabelKey(std::string_view s);

// Empty, or at most 63 of [A-Za-z0-9._-] starting and ending alphanumeric.
bool IsLabelValue(std::string_view s);

// A resource quantity as Kubernetes parses it: "1", "0.5", "500m", "16Gi", "1e3".
bool IsQuantity(std::string_view s);

// `s` itself when it is a valid label value; otherwise its valid characters
// (others become '-'), cut so that "-" and a hash of the whole of `s` fit in
// 63, so that different texts never share a label value.
std::string LabelSafeValue(std::string_view s);

// The first `hex_digits` (at most 16) hex digits of a 64-bit FNV-1a hash of
// `s`: stable across runs, machines and versions.
std::string ShortHash(std::string_view s, size_t hex_digits);

}  // namespace gdsweep
