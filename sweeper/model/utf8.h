// UTF-8 checks for text that reaches JSON, SQLite or a terminal: where a
// string stops being valid UTF-8, and a short printable excerpt of text of
// unknown encoding for messages. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gdsweep {

// The offset of the first byte that does not start a well-formed UTF-8
// sequence (RFC 3629: no overlong forms, surrogates or values past U+10FFFF),
// or nullopt when all of `s` is valid.
std::optional<size_t> FirstInvalidUtf8(std::string_view s);

// `s` for a message: invalid bytes and control characters as \xHH, at most
// `max_bytes` of it followed by "..." when longer. Always valid UTF-8.
std::string PrintableExcerpt(std::string_view s, size_t max_bytes = 80);

// All of `s` fit for one log line: control characters but tab (C0, DEL and the
// C1 range U+0080..U+009F) and invalid bytes as \xHH, so text from a trial or
// a study file can neither start a line of its own nor send a terminal escape.
std::string EscapeControls(std::string_view s);

}  // namespace gdsweep
