#include "backends/kubernetes/kube_client.h"

#include <nlohmann/json.hpp>

#include "sweeper/model/redact.h"

namespace gdsweep {
namespace {

using Json = nlohmann::json;

std::string JobsPath(const ResourceType& r, const std::string& ns) {
  return r.api_path + "/namespaces/" + UrlEncode(ns) + "/" + r.plural;
}

std::string PodsPath(const std::string& ns) {
  return "/api/v1/namespaces/" + UrlEncode(ns) + "/pods";
}

std::string CollectionPath(const ResourceType& r, KubeKind kind, const std::string& ns) {
  return kind == KubeKind::kJob ? JobsPath(r, ns) : PodsPath(ns);
}

// The server's words for an error answer: its Status message, else the start
// of the body, with credentials masked (a proxy in front of the API server may
// echo the request's Authorization header; ParseApiStatus masks its message).
std::string ServerMessage(const HttpResponse& r) {
  if (auto s = ParseApiStatus(r.body)) return s->message;
  std::string body = RedactText(r.body.substr(0, 400)).substr(0, 200);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

bool Ok(long status) { return status >= 200 && status <= 299; }

}  // namespace

void ApiHealth::Answered() {
  std::lock_guard<std::mutex> lock(mu_);
  since_.reset();
}

void ApiHealth::Failed(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!since_) since_ = std::chrono::steady_clock::now();
  last_ = why;
}

std::chrono::steady_clock::duration ApiHealth::FailingFor() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!since_) return std::chrono::steady_clock::duration::zero();
  return std::chrono::steady_clock::now() - *since_;
}

std::string ApiHealth::last_failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

KubeClient::KubeClient(const KubeConnection& connection,
                       std::shared_ptr<CredentialSource> credentials,
                       const KubeClientOptions& options, std::shared_ptr<ApiHealth> health)
    : connection_(connection),
      credentials_(std::move(credentials)),
      options_(options),
      health_(std::move(health)) {}

void KubeClient::Record(const Result<HttpResponse>& r) const {
  if (!health_) return;
  if (!r) {
    if (r.error().kind == Error::Kind::kIo) health_->Failed(r.error().message);
    return;
  }
  if (r->status == 429 || r->status >= 500) {
    health_->Failed("the Kubernetes API at " + connection_.server + " answered " +
                    std::to_string(r->status) + " " + ServerMessage(*r));
  } else {
    health_->Answered();
  }
}

KubeClient::~KubeClient() = default;

void KubeClient::Abort() {
  std::lock_guard<std::mutex> lock(http_mu_);
  aborted_ = true;
  if (http_) http_->Abort();
}

HttpClient& KubeClient::Http(const RequestAuth& auth) {
  std::lock_guard<std::mutex> lock(http_mu_);
  if (!http_ || auth.client_cert_pem != http_cert_) {
    HttpClientOptions o;
    o.tls = connection_.tls;
    if (!auth.client_cert_pem.empty()) {
      o.tls.client_cert_pem = auth.client_cert_pem;
      o.tls.client_key_pem = auth.client_key_pem;
      o.tls.client_cert_file.clear();
      o.tls.client_key_file.clear();
    }
    o.connect_timeout = options_.connect_timeout;
    o.request_timeout = options_.request_timeout;
    http_ = std::make_unique<HttpClient>(o);
    http_cert_ = auth.client_cert_pem;
    if (aborted_) http_->Abort();
  }
  return *http_;
}

HttpRequest KubeClient::Prepare(const std::string& method, const std::string& path_and_query,
                                std::string body, const RequestAuth& auth) const {
  HttpRequest req;
  req.method = method;
  req.url = connection_.server + path_and_query;
  req.body = std::move(body);
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("User-Agent", "gdsweep/0.1");
  if (!auth.bearer_token.empty()) {
    req.headers.emplace_back("Authorization", "Bearer " + auth.bearer_token);
  }
  if (!auth.username.empty()) req.basic_auth = std::make_pair(auth.username, auth.password);
  return req;
}

Result<HttpResponse> KubeClient::Call(const std::string& method, const std::string& path_and_query,
                                      std::string body) {
  const bool refreshable =
      connection_.credentials.exec || !connection_.credentials.token_file.empty();
  for (int attempt = 0;; ++attempt) {
    if (aborted_)
      return Error{Error::Kind::kInterrupted, method + " " + path_and_query + ": aborted"};
    auto auth = credentials_->Get();
    if (!auth) return auth.error();
    auto response =
        Http(*auth).SendWithRetry(Prepare(method, path_and_query, body, *auth), options_.retry);
    Record(response);
    if (!response) return response.error();
    if (response->status == 401 && attempt == 0 && refreshable) {
      credentials_->Invalidate();
      continue;
    }
    return response;
  }
}

Result<HttpResponse> KubeClient::StreamCall(const std::string& path_and_query,
                                            std::chrono::milliseconds timeout,
                                            const std::function<bool(std::string_view)>& on_data) {
  const bool refreshable =
      connection_.credentials.exec || !connection_.credentials.token_file.empty();
  for (int attempt = 0;; ++attempt) {
    if (aborted_) return Error{Error::Kind::kInterrupted, "GET " + path_and_query + ": aborted"};
    auto auth = credentials_->Get();
    if (!auth) return auth.error();
    HttpRequest req = Prepare("GET", path_and_query, "", *auth);
    req.timeout = timeout;  // 0: the server ends it, or Abort()
    auto response = Http(*auth).Stream(req, on_data);
    Record(response);
    if (!response) return response.error();
    if (response->status == 401 && attempt == 0 && refreshable) {
      credentials_->Invalidate();
      continue;
    }
    return response;
  }
}

Error KubeClient::ApiError(const std::string& what, const HttpResponse& r) const {
  const std::string message = ServerMessage(r);
  const std::string code = std::to_string(r.status);
  if (r.status == 401) {  // the same whatever was asked
    return Error::Remote("the Kubernetes API at " + RedactUrl(connection_.server) +
                         " refused the credentials of " + connection_.description +
                         " (401 Unauthorized)");
  }
  if (r.status == 403) {
    return Error::Remote(what + ": forbidden by the Kubernetes API (403): " + message);
  }
  if (r.status == 400 || r.status == 422) {
    return Error::Remote(what + ": the Kubernetes API rejected it (" + code + "): " + message);
  }
  if (r.status == 429 || r.status >= 500) {
    return Error::Io(what + ": the Kubernetes API answered " + code + " " + message + " after " +
                     std::to_string(options_.retry.max_attempts) + " attempts");
  }
  return Error::Io(what + ": the Kubernetes API answered " + code + ": " + message);
}

Result<KubeClient::Created> KubeClient::CreateJob(const std::string& ns,
                                                  const std::string& manifest_json) {
  auto r = Call("POST", JobsPath(options_.workload, ns) + "?fieldValidation=Strict", manifest_json);
  if (!r) return r.error();
  std::string name;
  if (Json j = Json::parse(manifest_json, nullptr, false); j.is_object()) {
    name = j["metadata"].value("name", "");
  }
  const std::string what =
      "creating " + options_.workload.kind + " " + name + " in namespace " + ns;
  if (Ok(r->status)) {
    auto job = ParseJob(r->body);
    if (!job) return job.error();
    return Created{true, *job};
  }
  if (r->status == 409) {
    auto existing = GetJob(ns, name);
    if (!existing) return existing.error();
    if (!*existing) return Error::Conflict(what + ": it exists and vanished; try again");
    return Created{false, **existing};
  }
  if (r->status == 404) {
    return Error::Remote(what + ": namespace '" + ns + "' does not exist on " +
                         RedactUrl(connection_.server) + " (" + ServerMessage(*r) + ")");
  }
  return ApiError(what, *r);
}

Status KubeClient::CreateObject(const std::string& collection_path, const std::string& what,
                                const std::string& manifest_json) {
  auto r = Call("POST", collection_path + "?fieldValidation=Strict", manifest_json);
  if (!r) return r.error();
  if (Ok(r->status) || r->status == 409) return {};
  const std::string doing = "creating " + what;
  if (r->status == 404) {
    return Error::Remote(doing + ": " + RedactUrl(connection_.server) + " has no " +
                         collection_path + " (" + ServerMessage(*r) + ")");
  }
  return ApiError(doing, *r);
}

Result<std::optional<JobInfo>> KubeClient::GetJob(const std::string& ns, const std::string& name) {
  auto r = Call("GET", JobsPath(options_.workload, ns) + "/" + UrlEncode(name));
  if (!r) return r.error();
  if (r->status == 404) return std::optional<JobInfo>();
  if (!Ok(r->status))
    return ApiError("reading " + options_.workload.kind + " " + name + " in namespace " + ns, *r);
  auto job = ParseJob(r->body);
  if (!job) return job.error();
  return std::optional<JobInfo>(*job);
}

Status KubeClient::DeleteJob(const std::string& ns, const std::string& name) {
  const Json body = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  auto r = Call("DELETE", JobsPath(options_.workload, ns) + "/" + UrlEncode(name), body.dump());
  if (!r) return r.error();
  if (Ok(r->status) || r->status == 404) return {};
  return ApiError("deleting " + options_.workload.kind + " " + name + " in namespace " + ns, *r);
}

Status KubeClient::DeletePod(const std::string& ns, const std::string& name,
                             std::optional<int64_t> grace_seconds) {
  Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (grace_seconds) body["gracePeriodSeconds"] = *grace_seconds;
  auto r = Call("DELETE", PodsPath(ns) + "/" + UrlEncode(name), body.dump());
  if (!r) return r.error();
  if (Ok(r->status) || r->status == 404) return {};
  return ApiError("deleting pod " + name + " in namespace " + ns, *r);
}

Result<ObjectList> KubeClient::List(KubeKind kind, const std::string& ns,
                                    const std::string& selector, int limit,
                                    const std::string& continue_token) {
  std::string query =
      CollectionPath(options_.workload, kind, ns) + "?labelSelector=" + UrlEncode(selector);
  if (limit > 0) query += "&limit=" + std::to_string(limit);
  if (!continue_token.empty()) query += "&continue=" + UrlEncode(continue_token);
  auto r = Call("GET", query);
  if (!r) return r.error();
  const std::string what =
      "listing " + (kind == KubeKind::kJob ? options_.workload.kind + "s" : std::string("pods")) +
      " in namespace " + ns;
  if (r->status == 410) return Error::Conflict(what + ": 410 Expired: " + ServerMessage(*r));
  if (!Ok(r->status)) return ApiError(what, *r);
  return ParseList(kind, r->body);
}

Result<std::string> KubeClient::ServedResource(const std::string& api_path,
                                               const std::string& kind) {
  auto r = Call("GET", api_path);
  if (!r) return r.error();
  if (r->status == 404) return std::string();
  if (!Ok(r->status)) return ApiError("discovering " + api_path, *r);
  Json j = Json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("resources") || !j["resources"].is_array()) {
    return std::string();
  }
  for (const auto& res : j["resources"]) {
    if (!res.is_object()) continue;
    const std::string name = res.value("name", "");
    // "jobsets/status" is a subresource of the same kind.
    if (res.value("kind", "") == kind && name.find('/') == std::string::npos) return name;
  }
  return std::string();
}

Status KubeClient::DryRunCreate(const std::string& ns, const std::string& manifest_json,
                                const std::string& what) {
  auto r = Call("POST", JobsPath(options_.workload, ns) + "?dryRun=All&fieldValidation=Strict",
                manifest_json);
  if (!r) return r.error();
  if (Ok(r->status) || r->status == 409) return {};
  if (r->status == 400 || r->status == 422 || r->status == 403) {
    return Error::Invalid(what + ": the Kubernetes API rejected it (" + std::to_string(r->status) +
                          "): " + ServerMessage(*r));
  }
  return ApiError("checking " + what + " with a dry run", *r);
}

Result<std::optional<bool>> KubeClient::NamespaceExists(const std::string& ns) {
  auto r = Call("GET", "/api/v1/namespaces/" + UrlEncode(ns));
  if (!r) return r.error();
  if (Ok(r->status)) return std::optional<bool>(true);
  if (r->status == 404) return std::optional<bool>(false);
  if (r->status == 403) return std::optional<bool>();
  return ApiError("reading namespace " + ns, *r);
}

Result<KubeClient::StreamEnd> KubeClient::Watch(
    KubeKind kind, const std::string& ns, const std::string& selector,
    const std::string& resource_version, int timeout_seconds,
    const std::function<void(const WatchEvent&)>& on_event) {
  std::string query = CollectionPath(options_.workload, kind, ns) +
                      "?watch=1&allowWatchBookmarks=true" +
                      "&labelSelector=" + UrlEncode(selector) +
                      "&timeoutSeconds=" + std::to_string(timeout_seconds);
  if (!resource_version.empty()) query += "&resourceVersion=" + UrlEncode(resource_version);
  std::string buffer;
  std::optional<Error> bad;
  auto handle_line = [&](const std::string& line) {
    if (line.find_first_not_of(" \r\t") == std::string::npos) return true;
    auto ev = ParseWatchEvent(kind, line);
    if (!ev) {
      bad = ev.error();
      return false;
    }
    on_event(*ev);
    return true;
  };
  // The server ends the watch after timeout_seconds; this is a safety net.
  const auto limit = std::chrono::milliseconds((timeout_seconds + 30) * 1000LL);
  auto r = StreamCall(query, limit, [&](std::string_view data) {
    buffer.append(data);
    size_t start = 0, nl;
    while ((nl = buffer.find('\n', start)) != std::string::npos) {
      if (!handle_line(buffer.substr(start, nl - start))) return false;
      start = nl + 1;
    }
    buffer.erase(0, start);
    return true;
  });
  if (!r) return r.error();
  if (bad) return *bad;
  StreamEnd end;
  end.status = r->status;
  if (r->status == 200) {
    if (!buffer.empty() && !handle_line(buffer)) return *bad;
    return end;
  }
  end.error = ParseApiStatus(r->body);
  if (r->status == 401 || r->status == 403) {
    return ApiError(
        "watching " +
            (kind == KubeKind::kJob ? options_.workload.kind + "s" : std::string("pods")) +
            " in namespace " + ns,
        *r);
  }
  return end;
}

Result<KubeClient::StreamEnd> KubeClient::StreamLog(
    const std::string& ns, const std::string& pod, const std::string& container, bool follow,
    const std::function<void(std::string_view)>& on_data) {
  std::string query =
      PodsPath(ns) + "/" + UrlEncode(pod) + "/log?container=" + UrlEncode(container);
  if (follow) query += "&follow=true";
  const auto limit = follow ? std::chrono::milliseconds(0) : options_.request_timeout;
  auto r = StreamCall(query, limit, [&](std::string_view data) {
    on_data(data);
    return true;
  });
  if (!r) return r.error();
  StreamEnd end;
  end.status = r->status;
  if (r->status != 200) end.error = ParseApiStatus(r->body);
  if (r->status == 401 || r->status == 403) {
    return ApiError("reading the log of pod " + pod + " in namespace " + ns, *r);
  }
  return end;
}

}  // namespace gdsweep
