// Credentials out of every text gdsweep logs, prints or stores: the one place
// that knows what a password, token or Authorization value looks like in a URI,
// a server's error body or a message. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gdsweep {

// A URI fit to show: its user info masked ("https://u:p@h/x?t=1" ->
// "https://***@h/x", "alice:PASS@host:5000" -> "***@host:5000") and its query
// (which may hold a token) dropped.
std::string RedactUrl(std::string_view url);

// `text` with every credential in it masked as "***": the user info of any
// URI in it (with a scheme, or "user:password@host" without one), the value of
// an Authorization header ("Authorization: Bearer x", "Basic x" and JSON
// forms), "Bearer <token>", base64 "Basic <credentials>", token/password query
// parameters and JSON fields, and each of `secrets` (the values the caller
// sent; at least 3 characters, shorter ones cannot be told from text).
std::string RedactText(std::string_view text, const std::vector<std::string>& secrets = {});

// The secrets a client sending HTTP Basic authentication for user:password
// may see echoed: the password, and the base64 of "user:password" as sent in
// the header. For RedactText's `secrets`.
std::vector<std::string> BasicAuthSecrets(const std::string& user, const std::string& password);

}  // namespace gdsweep
