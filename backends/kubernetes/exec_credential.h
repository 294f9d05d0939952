// Exec credential plugins (gke-gcloud-auth-plugin, kubelogin, aws eks
// get-token): the plugin is run as an argv, never through a shell, with
// KUBERNETES_EXEC_INFO in its environment; what it prints is an
// ExecCredential JSON whose status holds a token (or a client certificate)
// and maybe an expirationTimestamp. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "backends/kubernetes/kubeconfig.h"
#include "sweeper/model/result.h"

namespace gdsweep {

struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  // When to ask again; none: until the server refuses it.
  std::optional<std::chrono::system_clock::time_point> expiry;
};

// Parses a plugin's output; its apiVersion must be `api_version`. Errors
// never quote the output (it holds the secret).
Result<ExecCredential> ParseExecCredential(const std::string& json, const std::string& api_version);

// "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.5+02:00": RFC 3339 time.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text);

// Runs the plugin and parses what it prints. `server`, `ca_pem` and
// `insecure` are passed as spec.cluster when the plugin asks for cluster
// info. A plugin that cannot be started, exits non-zero or runs longer than
// `timeout` is an Error::Invalid naming it (with its installHint when it is
// not installed, and the last line of its stderr).
Result<ExecCredential> RunExecPlugin(const ExecPluginConfig& plugin, const std::string& server,
                                     const std::string& ca_pem, bool insecure,
                                     std::chrono::milliseconds timeout);

}  // namespace gdsweep
