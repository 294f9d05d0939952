#include "backends/kubernetes/kube_auth.h"

#include <fstream>
#include <sstream>

#include "backends/kubernetes/exec_credential.h"

namespace gdsweep {
namespace {

constexpr auto kTokenFileRefresh = std::chrono::minutes(1);
// Ask the plugin again this long before its credential expires.
constexpr auto kExpiryMargin = std::chrono::seconds(5);
constexpr auto kPluginTimeout = std::chrono::milliseconds(120000);

}  // namespace

CredentialSource::CredentialSource(const KubeConnection& connection, Now now)
    : connection_(connection), now_(std::move(now)) {}

Result<RequestAuth> CredentialSource::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = now_();
  if (cached_ && (!expiry_ || now + kExpiryMargin < *expiry_)) return *cached_;
  const KubeCredentials& c = connection_.credentials;
  RequestAuth auth;
  if (c.exec) {
    ++plugin_runs_;
    auto credential = RunExecPlugin(*c.exec, connection_.server, connection_.tls.ca_pem,
                                    connection_.tls.insecure_skip_verify, kPluginTimeout);
    if (!credential) return credential.error();
    auth.bearer_token = credential->token;
    auth.client_cert_pem = credential->client_cert_pem;
    auth.client_key_pem = credential->client_key_pem;
    expiry_ = credential->expiry;
  } else if (!c.token_file.empty()) {
    std::ifstream in(c.token_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return Error::Invalid("cannot read the token file " + c.token_file);
    auth.bearer_token = text.str();
    while (!auth.bearer_token.empty() &&
           (auth.bearer_token.back() == '\n' || auth.bearer_token.back() == '\r' ||
            auth.bearer_token.back() == ' ')) {
      auth.bearer_token.pop_back();
    }
    expiry_ = now + kTokenFileRefresh + kExpiryMargin;
  } else {
    auth.bearer_token = c.token;
    auth.username = c.username;
    auth.password = c.password;
    expiry_.reset();
  }
  cached_ = auth;
  return auth;
}

void CredentialSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
}

int CredentialSource::plugin_runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return plugin_runs_;
}

}  // namespace gdsweep
