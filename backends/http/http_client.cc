#include "backends/http/http_client.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace gdsweep {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t");
    auto e = value.find_last_not_of(" \t\r\n");
    value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    (*headers)[Lower(line.substr(0, colon))] = value;
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct StreamState {
  const std::function<bool(std::string_view)>* on_data;
  CURL* curl = nullptr;
  std::string* error_body = nullptr;  // where a non-2xx body goes
  long status = 0;                    // known at the first byte of the body
  bool stopped = false;
};

size_t OnStream(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<StreamState*>(user);
  if (st->status == 0) curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &st->status);
  if (st->status < 200 || st->status > 299) {
    st->error_body->append(data, size * n);
    return size * n;
  }
  if (!(*st->on_data)(std::string_view(data, size * n))) {
    st->stopped = true;
    return 0;  // makes curl abort the transfer
  }
  return size * n;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

}  // namespace

std::string UrlEncode(std::string_view s) {
  if (s.empty()) return "";
  char* escaped = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  if (!escaped) return "";  // out of memory
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

struct HttpClient::Impl {
  HttpClientOptions options;
  CURL* curl = nullptr;
  std::mt19937_64 jitter{std::random_device{}()};

  // Abort(): the flag, and the sockets the handle has open, shut down from
  // the aborting thread so a blocked transfer returns at once. Sockets are
  // added and closed under `mu`, so a shut-down descriptor is never reused.
  std::atomic<bool> aborted{false};
  std::mutex mu;
  std::condition_variable wake;  // ends a retry's back-off
  std::set<curl_socket_t> sockets;

  static curl_socket_t OpenSocket(void* user, curlsocktype, curl_sockaddr* addr) {
    auto* self = static_cast<Impl*>(user);
    std::lock_guard<std::mutex> lock(self->mu);
    if (self->aborted) return CURL_SOCKET_BAD;
    curl_socket_t fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd != CURL_SOCKET_BAD) self->sockets.insert(fd);
    return fd;
  }

  static int CloseSocket(void* user, curl_socket_t fd) {
    auto* self = static_cast<Impl*>(user);
    std::lock_guard<std::mutex> lock(self->mu);
    self->sockets.erase(fd);
    return ::close(fd);
  }

  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Impl*>(user)->aborted ? 1 : 0;
  }

  Error AbortedError(const HttpRequest& req) const {
    return Error{Error::Kind::kInterrupted, req.method + " " + RedactUrl(req.url) + ": aborted"};
  }

  // Resets the handle and applies everything common to a request. `list`
  // receives the header list the caller frees after the transfer.
  void Prepare(const HttpRequest& req, curl_slist** list) {
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    auto timeout = req.timeout.value_or(options.request_timeout);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, &Impl::OpenSocket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(curl, CURLOPT_CLOSESOCKETFUNCTION, &Impl::CloseSocket);
    curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, this);
    // Long streams (watches, log follows) notice a dead peer.
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 60L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 30L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Impl::OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
    const auto& tls = options.tls;
    if (!tls.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.ca_pem.empty()) SetBlob(curl, CURLOPT_CAINFO_BLOB, tls.ca_pem);
    if (tls.insecure_skip_verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!tls.client_cert_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
    }
    if (!tls.client_cert_pem.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
      SetBlob(curl, CURLOPT_SSLCERT_BLOB, tls.client_cert_pem);
    }
    if (!tls.client_key_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.client_key_file.c_str());
    }
    if (!tls.client_key_pem.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
      SetBlob(curl, CURLOPT_SSLKEY_BLOB, tls.client_key_pem);
    }
    if (req.basic_auth) {
      curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl, CURLOPT_USERNAME, req.basic_auth->first.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, req.basic_auth->second.c_str());
    }
    for (const auto& [name, value] : req.headers) {
      *list = curl_slist_append(*list, (name + ": " + value).c_str());
    }
    if (!req.body.empty() && std::none_of(req.headers.begin(), req.headers.end(), [](auto& h) {
          return Lower(h.first) == "content-type";
        })) {
      *list = curl_slist_append(*list, "Content-Type: application/json");
    }
    *list = curl_slist_append(*list, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *list);
    if (req.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (!req.body.empty() || req.method == "POST" || req.method == "PUT" ||
          req.method == "PATCH") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(req.body.size()));
      }
    }
  }

  // Failures that trying again cannot fix (an untrusted or unreadable
  // certificate, a bad URL) are kInvalidInput and are not retried; the rest
  // (refused, reset, timed out, ...) are kIo.
  Error TransportError(const HttpRequest& req, CURLcode code) const {
    std::string message = req.method + " " + RedactUrl(req.url) + ": " + curl_easy_strerror(code);
    switch (code) {
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_SSL_CRL_BADFILE:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
        return Error::Invalid(message);
      default:
        return Error::Io(message);
    }
  }
};

HttpClient::HttpClient(const HttpClientOptions& options) : impl_(std::make_unique<Impl>()) {
  GlobalInitOnce();
  impl_->options = options;
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  if (!impl_->curl) return Error::Internal("libcurl could not be initialised");
  if (impl_->aborted) return impl_->AbortedError(request);
  curl_slist* list = nullptr;
  impl_->Prepare(request, &list);
  HttpResponse response;
  curl_easy_setopt(impl_->curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(impl_->curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(impl_->curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(impl_->curl, CURLOPT_WRITEDATA, &response.body);
  CURLcode code = curl_easy_perform(impl_->curl);
  curl_slist_free_all(list);
  if (impl_->aborted) return impl_->AbortedError(request);
  if (code != CURLE_OK) return impl_->TransportError(request, code);
  curl_easy_getinfo(impl_->curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Result<HttpResponse> HttpClient::SendWithRetry(const HttpRequest& request,
                                               const RetryPolicy& policy) {
  auto backoff = policy.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    auto response = Send(request);
    const bool transient = response.ok() ? response->status == 429 || response->status >= 500
                                         : response.error().kind == Error::Kind::kIo;
    if (!transient || attempt >= policy.max_attempts) return response;
    auto wait = backoff;
    if (response.ok()) {
      auto it = response->headers.find("retry-after");
      if (it != response->headers.end()) {
        char* end = nullptr;
        long secs = std::strtol(it->second.c_str(), &end, 10);
        if (end != it->second.c_str() && secs >= 0) {
          wait =
              std::min<std::chrono::milliseconds>(std::chrono::seconds(secs), policy.max_backoff);
        }
      }
    }
    std::uniform_int_distribution<int64_t> jitter(0, wait.count() / 4 + 1);
    {
      std::unique_lock<std::mutex> lock(impl_->mu);
      impl_->wake.wait_for(lock, wait + std::chrono::milliseconds(jitter(impl_->jitter)),
                           [&] { return impl_->aborted.load(); });
    }
    if (impl_->aborted) return impl_->AbortedError(request);
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
}

Result<HttpResponse> HttpClient::Stream(const HttpRequest& request,
                                        const std::function<bool(std::string_view)>& on_data) {
  if (!impl_->curl) return Error::Internal("libcurl could not be initialised");
  if (impl_->aborted) return impl_->AbortedError(request);
  curl_slist* list = nullptr;
  impl_->Prepare(request, &list);
  HttpResponse response;
  StreamState state{&on_data, impl_->curl, &response.body};
  curl_easy_setopt(impl_->curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(impl_->curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(impl_->curl, CURLOPT_WRITEFUNCTION, OnStream);
  curl_easy_setopt(impl_->curl, CURLOPT_WRITEDATA, &state);
  CURLcode code = curl_easy_perform(impl_->curl);
  curl_slist_free_all(list);
  curl_easy_getinfo(impl_->curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (impl_->aborted) return impl_->AbortedError(request);
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && state.stopped)) {
    return impl_->TransportError(request, code);
  }
  return response;
}

void HttpClient::Abort() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->aborted = true;
  for (curl_socket_t fd : impl_->sockets) ::shutdown(fd, SHUT_RDWR);
  impl_->wake.notify_all();
}

}  // namespace gdsweep
