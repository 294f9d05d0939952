// Base64 (RFC 4648, standard alphabet, padded), through OpenSSL's EVP coder:
// kubeconfig's *-data fields, the cluster info handed to an exec credential
// plugin, the Basic credentials whose encoded form is redacted from logs.
// Free functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gdsweep {

std::string EncodeBase64(std::string_view bytes);

// The bytes `text` encodes (line breaks and spaces allowed, as in PEM);
// nullopt when it is not base64.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace gdsweep
