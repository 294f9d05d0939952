// An HTTP(S) client over libcurl for the Kubernetes API and MLflow tracking
// clients: one request at a time on a kept-alive connection, TLS with a CA
// file or in-memory PEM, client certificates, streaming bodies (watches, log
// follows), and retries on 429/5xx honouring Retry-After. It never logs
// headers or bodies, so tokens and passwords stay out of logs. One object per
// thread; only Abort() may be called from another thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sweeper/model/redact.h"  // RedactUrl, for the messages of callers
#include "sweeper/model/result.h"

namespace gdsweep {

struct TlsOptions {
  std::string ca_file;  // PEM file of trusted CAs; empty: the system's
  std::string ca_pem;   // or the PEM itself (kubeconfig certificate-authority-data)
  bool insecure_skip_verify = false;
  std::string client_cert_file;  // client certificate (PEM), file or data
  std::string client_cert_pem;
  std::string client_key_file;  // its private key (PEM), file or data
  std::string client_key_pem;
};

struct HttpClientOptions {
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};  // whole request; 0: none (streams)
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Authorization
  // HTTP Basic credentials, encoded by libcurl; never logged.
  std::optional<std::pair<std::string, std::string>> basic_auth;
  std::string body;
  // Overrides HttpClientOptions::request_timeout when set (0: none).
  std::optional<std::chrono::milliseconds> timeout;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// Retries for transient failures: connection errors, 429 and 5xx.
struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
};

class HttpClient {
 public:
  explicit HttpClient(const HttpClientOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request. Transport failures are Error::Io naming the URL (without
  // any credentials in it), or Error::kInvalidInput when trying again cannot
  // help (an untrusted server certificate, a bad URL); HTTP error statuses are
  // returned as responses.
  Result<HttpResponse> Send(const HttpRequest& request);

  // Send, retried per `policy` on Error::Io, 429 and 5xx, waiting for
  // Retry-After when the server gives it, else exponential backoff with
  // jitter. Returns the last response or error.
  Result<HttpResponse> SendWithRetry(const HttpRequest& request, const RetryPolicy& policy);

  // Streams a 2xx answer's body to `on_data` as it arrives until the server
  // ends it or on_data returns false. Returns the status and headers; the
  // body of any other status is not streamed but returned (it is an error
  // Status to read). A stream that breaks before its end (a reset, a missing
  // final chunk) is an Error::Io, so a caller can tell a complete body from a
  // cut one.
  Result<HttpResponse> Stream(const HttpRequest& request,
                              const std::function<bool(std::string_view)>& on_data);

  // From any thread: stops the request in progress at once (its sockets are
  // shut down, a retry's back-off ends) and makes this and every later
  // request return Error::kInterrupted. For stopping watches and log follows.
  void Abort();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes everything but RFC 3986's unreserved characters (libcurl's
// curl_easy_escape), for a path segment or a query value.
std::string UrlEncode(std::string_view s);

}  // namespace gdsweep
