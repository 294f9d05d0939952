// Client: MLflow's tracking RPCs over HttpClient, JSON through nlohmann-json
// (only here), and the mapping of HTTP answers to Error kinds.
#include "tracking/mlflow_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "sweeper/model/redact.h"

namespace gdsweep::mlflow {
namespace {

using json = nlohmann::json;

const char kApiPrefix[] = "/api/2.0/mlflow/";

std::string Query(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string q;
  for (const auto& [name, value] : fields) {
    if (!q.empty()) q += '&';
    q += name + "=" + UrlEncode(value);
  }
  return q;
}

// Doubles as protobuf JSON writes them: non-finite values as strings.
json DoubleToJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

double DoubleFromJson(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return v;
  }
  throw std::invalid_argument("expected a number, got " + j.dump());
}

// int64 fields: JSON numbers, or decimal strings (protobuf JSON's way).
int64_t IntFromJson(const json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::trunc(d) == d && std::abs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size()) return v;
  }
  throw std::invalid_argument("expected an integer, got " + j.dump());
}

// A string field that some servers may write as a number (ids).
std::string StringFromJson(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  throw std::invalid_argument("expected a string, got " + j.dump());
}

json KeyValues(const std::vector<Tag>& tags) {
  json out = json::array();
  for (const auto& t : tags) out.push_back({{"key", t.key}, {"value", t.value}});
  return out;
}

json MetricToJson(const Metric& m) {
  return {{"key", m.key},
          {"value", DoubleToJson(m.value)},
          {"timestamp", m.timestamp_ms},
          {"step", m.step}};
}

Metric MetricFromJson(const json& j) {
  Metric m;
  m.key = j.at("key").get<std::string>();
  m.value = DoubleFromJson(j.at("value"));
  if (j.contains("timestamp")) m.timestamp_ms = IntFromJson(j["timestamp"]);
  if (j.contains("step")) m.step = IntFromJson(j["step"]);
  return m;
}

RunInfo RunInfoFromJson(const json& j) {
  RunInfo info;
  info.run_id = j.value("run_id", "");
  if (info.run_id.empty()) info.run_id = j.value("run_uuid", "");
  if (j.contains("experiment_id")) info.experiment_id = StringFromJson(j["experiment_id"]);
  info.run_name = j.value("run_name", "");
  info.status = j.value("status", "");
  if (j.contains("start_time") && !j["start_time"].is_null()) {
    info.start_time_ms = IntFromJson(j["start_time"]);
  }
  if (j.contains("end_time") && !j["end_time"].is_null()) {
    info.end_time_ms = IntFromJson(j["end_time"]);
  }
  return info;
}

Run RunFromJson(const json& j) {
  Run run;
  run.info = RunInfoFromJson(j.at("info"));
  const json data = j.value("data", json::object());
  for (const auto& m : data.value("metrics", json::array())) {
    run.metrics[m.at("key").get<std::string>()] = DoubleFromJson(m.at("value"));
  }
  for (const auto& p : data.value("params", json::array())) {
    run.params[p.at("key").get<std::string>()] = p.value("value", "");
  }
  for (const auto& t : data.value("tags", json::array())) {
    run.tags[t.at("key").get<std::string>()] = t.value("value", "");
  }
  if (run.info.run_name.empty()) {
    auto it = run.tags.find("mlflow.runName");
    if (it != run.tags.end()) run.info.run_name = it->second;
  }
  return run;
}

// The first line of a body, shortened, for messages.
std::string Snippet(const std::string& body) {
  std::string s = body.substr(0, body.find_first_of("\r\n"));
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  std::string base;   // tracking_uri without trailing '/'
  std::string shown;  // base without credentials
  std::optional<Error> bad_uri;
  std::vector<std::string> secrets;  // what RedactText must mask: all we may send
  std::unique_ptr<HttpClient> http;

  explicit Impl(ClientOptions o) : options(std::move(o)) {
    base = options.tracking_uri;
    while (!base.empty() && base.back() == '/') base.pop_back();
    shown = RedactUrl(base);
    if (auto ok = CheckTrackingUri(base); !ok) bad_uri = ok.error();
    secrets = BasicAuthSecrets(options.username, options.password);
    secrets.push_back(options.token);
    if (auto scheme = base.find("://"); scheme != std::string::npos) {
      const size_t start = scheme + 3;
      const std::string authority = base.substr(start, base.find('/', start) - start);
      auto at = authority.rfind('@');
      auto colon = authority.find(':');
      if (at != std::string::npos && colon < at) {  // user:password@ in the URI
        for (auto& secret : BasicAuthSecrets(authority.substr(0, colon),
                                             authority.substr(colon + 1, at - colon - 1))) {
          secrets.push_back(std::move(secret));
        }
      }
    }
    HttpClientOptions h;
    h.tls.ca_file = options.server_cert_path;
    h.tls.insecure_skip_verify = options.insecure_tls;
    h.tls.client_cert_file = options.client_cert_path;
    h.connect_timeout = options.connect_timeout;
    h.request_timeout = options.request_timeout;
    http = std::make_unique<HttpClient>(h);
  }

  // Removes every credential from a message, whatever put it there (a proxy
  // may echo the Authorization header or the password in its error body).
  std::string Scrub(const std::string& s) const { return RedactText(s, secrets); }

  Error Fail(Error::Kind kind, const std::string& what, const std::string& why) const {
    return Error{kind, Scrub("MLflow tracking server " + shown + ": " + what + ": " + why)};
  }

  std::string AttemptsNote() const {
    return options.retry.max_attempts > 1
               ? " (after " + std::to_string(options.retry.max_attempts) + " attempts)"
               : "";
  }

  // HTTP Basic with both set, or with no token (as MLflow decides).
  bool SendsBasic() const {
    const bool both = !options.username.empty() && !options.password.empty();
    const bool either = !options.username.empty() || !options.password.empty();
    return both || (either && options.token.empty());
  }

  std::string CredentialsAdvice() const {
    std::string sent = SendsBasic()             ? "the credentials in MLFLOW_TRACKING_USERNAME and "
                                                  "MLFLOW_TRACKING_PASSWORD were refused"
                       : !options.token.empty() ? "the token in MLFLOW_TRACKING_TOKEN was refused"
                       : shown != base          ? "the credentials in the tracking URI were refused"
                                                : "no credentials were sent";
    return sent +
           "; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (HTTP Basic) or "
           "MLFLOW_TRACKING_TOKEN (bearer token) for this server";
  }

  Error NotMlflow(const std::string& what, const std::string& answer) const {
    return Fail(Error::Kind::kInvalidInput, what,
                answer +
                    ": the URI does not look like an MLflow tracking server (check its "
                    "host, port and path prefix; the API is expected at <uri>" +
                    kApiPrefix + ")");
  }

  Error TransportError(const HttpRequest& req, const std::string& what, const Error& e) const {
    std::string why = e.message;
    const std::string prefix = req.method + " " + RedactUrl(req.url) + ": ";
    if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
    if (e.kind == Error::Kind::kIo) return Fail(Error::Kind::kIo, what, why + AttemptsNote());
    if (e.kind == Error::Kind::kInvalidInput && shown.rfind("https", 0) == 0) {
      why +=
          " (to trust the server, set MLFLOW_TRACKING_SERVER_CERT_PATH to its CA bundle, or "
          "MLFLOW_TRACKING_INSECURE_TLS=true to skip verification)";
    }
    return Fail(e.kind, what, why);
  }

  // Turns any answer but a 2xx with a JSON object into the Error its kind calls for.
  Result<json> Answer(const std::string& what, const HttpResponse& r) const {
    json body = json::parse(r.body, nullptr, false);
    const bool mlflow_error =
        body.is_object() && body.contains("error_code") && body["error_code"].is_string();
    std::string detail;
    if (mlflow_error) {
      detail = body["error_code"].get<std::string>();
      if (body.contains("message") && body["message"].is_string()) {
        detail += ": " + body["message"].get<std::string>();
      }
    }
    const std::string status = "HTTP " + std::to_string(r.status);
    if (r.status >= 200 && r.status < 300) {
      if (!body.is_object()) return NotMlflow(what, "answered " + status + " without JSON");
      return body;
    }
    if (r.status == 401 || r.status == 403) {
      return Fail(Error::Kind::kIo, what,
                  "authentication failed (" + status + (detail.empty() ? "" : ": " + detail) +
                      "): " + CredentialsAdvice());
    }
    if (r.status == 429 || r.status >= 500) {
      return Fail(Error::Kind::kIo, what,
                  status + (detail.empty() ? "" : " " + detail) + AttemptsNote());
    }
    if (r.status >= 300 && r.status < 400) {
      auto loc = r.headers.find("location");
      return NotMlflow(what, "answered " + status + " redirecting to " +
                                 (loc == r.headers.end() ? "?" : RedactUrl(loc->second)) +
                                 " (use the URL it redirects to)");
    }
    if (!mlflow_error) {
      return NotMlflow(what, "answered " + status + " " + Snippet(Scrub(r.body)));
    }
    const std::string code = body["error_code"].get<std::string>();
    if (code == "RESOURCE_DOES_NOT_EXIST") return Fail(Error::Kind::kNotFound, what, detail);
    if (code == "RESOURCE_ALREADY_EXISTS") return Fail(Error::Kind::kConflict, what, detail);
    if (code == "ENDPOINT_NOT_FOUND") {
      return NotMlflow(what, "answered " + status + " " + detail);
    }
    return Fail(Error::Kind::kInvalidInput, what, detail);
  }

  // One RPC: POST with a JSON body, or GET with a query string.
  Result<json> Call(const std::string& method, const std::string& endpoint, const json& body,
                    const std::string& query = "") {
    const std::string what = method + " " + endpoint;
    if (bad_uri) return *bad_uri;
    HttpRequest req;
    req.method = method;
    req.url = base + kApiPrefix + endpoint + (query.empty() ? "" : "?" + query);
    if (method != "GET") req.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    req.headers.push_back({"Accept", "application/json"});
    // MLflow's rule (mlflow/utils/rest_utils.py http_request): a username and
    // a password win over a token.
    if (SendsBasic()) {
      req.basic_auth = std::make_pair(options.username, options.password);
    } else if (!options.token.empty()) {
      req.headers.push_back({"Authorization", "Bearer " + options.token});
    }
    const auto started = std::chrono::steady_clock::now();
    auto r = http->SendWithRetry(req, options.retry);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (!r.ok()) {
      Error e = TransportError(req, what, r.error());
      spdlog::debug("mlflow: {} failed after {} ms: {}", what, ms, e.message);
      return e;
    }
    spdlog::debug("mlflow: {} -> {} in {} ms", what, r->status, ms);
    return Answer(what, *r);
  }

  // Runs `decode` on an answer, turning a malformed one into an error.
  template <typename T, typename F>
  Result<T> Decode(const std::string& what, const Result<json>& answer, F decode) const {
    if (!answer.ok()) return answer.error();
    try {
      return decode(*answer);
    } catch (const std::exception& e) {
      return Fail(Error::Kind::kInvalidInput, what,
                  std::string("unexpected answer (") + e.what() + ")");
    }
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

const std::string& Client::tracking_uri() const { return impl_->base; }

Result<std::string> Client::GetExperimentIdByName(const std::string& name) {
  const std::string what = "GET experiments/get-by-name";
  auto answer =
      impl_->Call("GET", "experiments/get-by-name", {}, Query({{"experiment_name", name}}));
  auto exp = impl_->Decode<std::pair<std::string, std::string>>(what, answer, [](const json& j) {
    const json& e = j.at("experiment");
    return std::make_pair(StringFromJson(e.at("experiment_id")),
                          e.value("lifecycle_stage", "active"));
  });
  if (!exp.ok()) return exp.error();
  if (exp->second == "deleted") {
    return impl_->Fail(Error::Kind::kInvalidInput, what,
                       "experiment '" + name + "' (id " + exp->first +
                           ") is deleted; restore it (mlflow experiments restore) or delete it "
                           "for good (mlflow gc) before using the name again");
  }
  return exp->first;
}

Result<std::string> Client::CreateExperiment(const std::string& name,
                                             const std::string& artifact_location) {
  json body = {{"name", name}};
  if (!artifact_location.empty()) body["artifact_location"] = artifact_location;
  return impl_->Decode<std::string>(
      "POST experiments/create", impl_->Call("POST", "experiments/create", body),
      [](const json& j) { return StringFromJson(j.at("experiment_id")); });
}

Result<std::string> Client::EnsureExperiment(const std::string& name,
                                             const std::string& artifact_location) {
  auto id = GetExperimentIdByName(name);
  if (id.ok() || id.error().kind != Error::Kind::kNotFound) return id;
  auto created = CreateExperiment(name, artifact_location);
  if (created.ok() || created.error().kind != Error::Kind::kConflict) return created;
  return GetExperimentIdByName(name);  // someone else created it meanwhile
}

Result<RunInfo> Client::CreateRun(const std::string& experiment_id, const std::string& run_name,
                                  int64_t start_time_ms, const std::vector<Tag>& tags) {
  json body = {{"experiment_id", experiment_id}, {"start_time", start_time_ms}};
  if (!run_name.empty()) body["run_name"] = run_name;
  if (!tags.empty()) body["tags"] = KeyValues(tags);
  return impl_->Decode<RunInfo>("POST runs/create", impl_->Call("POST", "runs/create", body),
                                [](const json& j) { return RunFromJson(j.at("run")).info; });
}

Status Client::UpdateRun(const std::string& run_id, const std::string& status,
                         std::optional<int64_t> end_time_ms) {
  // run_uuid too, as MLflow's own client sends it: old servers read only that.
  json body = {{"run_id", run_id}, {"run_uuid", run_id}, {"status", status}};
  if (end_time_ms) body["end_time"] = *end_time_ms;
  auto r = impl_->Call("POST", "runs/update", body);
  if (!r.ok()) return r.error();
  return {};
}

Result<Run> Client::GetRun(const std::string& run_id) {
  return impl_->Decode<Run>("GET runs/get",
                            impl_->Call("GET", "runs/get", {}, Query({{"run_id", run_id}})),
                            [](const json& j) { return RunFromJson(j.at("run")); });
}

Result<std::vector<Metric>> Client::GetMetricHistory(const std::string& run_id,
                                                     const std::string& key) {
  std::vector<Metric> out;
  std::set<std::string> seen_tokens;
  std::string token;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {"run_id", run_id},
        {"metric_key", key},
        {"max_results", std::to_string(std::max(1, impl_->options.history_page_size))}};
    if (!token.empty()) fields.push_back({"page_token", token});
    auto page = impl_->Decode<std::pair<std::vector<Metric>, std::string>>(
        "GET metrics/get-history", impl_->Call("GET", "metrics/get-history", {}, Query(fields)),
        [](const json& j) {
          std::pair<std::vector<Metric>, std::string> p;
          for (const auto& m : j.value("metrics", json::array())) {
            p.first.push_back(MetricFromJson(m));
          }
          p.second = j.value("next_page_token", "");
          return p;
        });
    if (!page.ok()) return page.error();
    out.insert(out.end(), page->first.begin(), page->first.end());
    token = page->second;
    if (token.empty() || page->first.empty() || !seen_tokens.insert(token).second) break;
  }
  return out;
}

Result<RunsPage> Client::SearchRuns(const std::vector<std::string>& experiment_ids,
                                    const std::string& filter,
                                    const std::vector<std::string>& order_by, int max_results,
                                    const std::string& page_token) {
  json body = {{"experiment_ids", experiment_ids}};
  if (!filter.empty()) body["filter"] = filter;
  if (!order_by.empty()) body["order_by"] = order_by;
  if (max_results > 0) body["max_results"] = max_results;
  if (!page_token.empty()) body["page_token"] = page_token;
  return impl_->Decode<RunsPage>("POST runs/search", impl_->Call("POST", "runs/search", body),
                                 [](const json& j) {
                                   RunsPage page;
                                   for (const auto& r : j.value("runs", json::array())) {
                                     page.runs.push_back(RunFromJson(r));
                                   }
                                   page.next_page_token = j.value("next_page_token", "");
                                   return page;
                                 });
}

Result<std::vector<Run>> Client::SearchAllRuns(const std::vector<std::string>& experiment_ids,
                                               const std::string& filter,
                                               const std::vector<std::string>& order_by,
                                               size_t limit) {
  std::vector<Run> out;
  std::set<std::string> seen_tokens;
  std::string token;
  while (limit == 0 || out.size() < limit) {
    size_t want = static_cast<size_t>(std::max(1, impl_->options.search_page_size));
    if (limit != 0) want = std::min(want, limit - out.size());
    auto page = SearchRuns(experiment_ids, filter, order_by, static_cast<int>(want), token);
    if (!page.ok()) return page.error();
    for (auto& run : page->runs) out.push_back(std::move(run));
    token = page->next_page_token;
    if (token.empty() || page->runs.empty() || !seen_tokens.insert(token).second) break;
  }
  if (limit != 0 && out.size() > limit) out.resize(limit);
  return out;
}

Status Client::LogBatch(const std::string& run_id, const std::vector<Metric>& metrics,
                        const std::vector<Tag>& params, const std::vector<Tag>& tags) {
  // One value per param key: MLflow refuses a batch repeating a key.
  std::map<std::string, std::string> values;
  std::vector<Tag> unique_params;
  for (const auto& p : params) {
    auto [it, inserted] = values.emplace(p.key, p.value);
    if (inserted) {
      unique_params.push_back(p);
    } else if (it->second != p.value) {
      return Error::Invalid("MLflow log-batch for run " + run_id + ": param '" + p.key +
                            "' given twice with different values ('" + it->second + "' and '" +
                            p.value + "'); params are write-once");
    }
  }
  const auto parts = SplitBatch(metrics, unique_params, tags);
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    json body = {{"run_id", run_id}};
    if (!part.metrics.empty()) {
      json ms = json::array();
      for (const auto& m : part.metrics) ms.push_back(MetricToJson(m));
      body["metrics"] = std::move(ms);
    }
    if (!part.params.empty()) body["params"] = KeyValues(part.params);
    if (!part.tags.empty()) body["tags"] = KeyValues(part.tags);
    auto r = impl_->Call("POST", "runs/log-batch", body);
    if (!r.ok()) {
      if (parts.size() == 1) return r.error();
      return Error{r.error().kind, r.error().message + " (part " + std::to_string(i + 1) + " of " +
                                       std::to_string(parts.size()) + ")"};
    }
  }
  return {};
}

Status Client::SetTag(const std::string& run_id, const std::string& key, const std::string& value) {
  json body = {{"run_id", run_id}, {"run_uuid", run_id}, {"key", key}, {"value", value}};
  auto r = impl_->Call("POST", "runs/set-tag", body);
  if (!r.ok()) return r.error();
  return {};
}

void Client::Abort() { impl_->http->Abort(); }

std::string Client::RunUrl(const std::string& experiment_id, const std::string& run_id) const {
  return impl_->shown + "/#/experiments/" + experiment_id + "/runs/" + run_id;
}

}  // namespace gdsweep::mlflow
