// CredentialSource: what each API request carries to authenticate, from a
// KubeConnection: a static token, a token file (re-read every minute, as it
// rotates), basic auth, or an exec plugin's credential, cached until its
// expirationTimestamp. After a 401 the caller invalidates it and asks again
// once. Thread-safe: every thread's KubeClient shares one.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "backends/kubernetes/kubeconfig.h"
#include "sweeper/model/result.h"

namespace gdsweep {

struct RequestAuth {
  std::string bearer_token;  // "Authorization: Bearer ..." when set
  std::string username;      // basic auth when set
  std::string password;
  std::string client_cert_pem;  // from an exec plugin: a per-credential client certificate
  std::string client_key_pem;
};

class CredentialSource {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;

  // `now` is the clock for expiry (tests pass their own).
  explicit CredentialSource(
      const KubeConnection& connection, Now now = [] { return std::chrono::system_clock::now(); });

  // The current credential, running the plugin or reading the token file
  // when the cached one is missing, expired or invalidated.
  Result<RequestAuth> Get();

  // The server refused the credential (401): fetch a fresh one next time.
  void Invalidate();

  // How many times the exec plugin ran (for tests).
  int plugin_runs() const;

 private:
  KubeConnection connection_;
  Now now_;
  mutable std::mutex mu_;
  std::optional<RequestAuth> cached_;
  std::optional<std::chrono::system_clock::time_point> expiry_;
  int plugin_runs_ = 0;
};

}  // namespace gdsweep
