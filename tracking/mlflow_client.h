// A client of MLflow's tracking REST API (/api/2.0/mlflow/...): experiments,
// runs, log-batch, tags, metric histories and run search, with credentials and
// TLS read as MLflow's own client reads them. Errors are kinds a caller can act
// on (kIo: try again later; kInvalidInput: the user must fix something).
// Credentials never appear in logs or error messages. One Client per thread
// (only Abort() may be called from another).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/http/http_client.h"
#include "sweeper/model/result.h"

namespace gdsweep::mlflow {

// Connection settings, as MLflow's own client reads them.
struct ClientOptions {
  // http(s)://host[:port][/prefix]; a trailing '/' is ignored.
  std::string tracking_uri;
  // MLFLOW_TRACKING_TOKEN: sent as "Authorization: Bearer ..." unless a
  // username and a password are both set.
  std::string token;
  // MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD: HTTP Basic. Both set,
  // they win over the token, as in MLflow's client (rest_utils.http_request).
  std::string username, password;
  // MLFLOW_TRACKING_INSECURE_TLS=true: do not verify the server's certificate.
  bool insecure_tls = false;
  // MLFLOW_TRACKING_SERVER_CERT_PATH: CA bundle (PEM) to verify the server with;
  // empty: the system's.
  std::string server_cert_path;
  // MLFLOW_TRACKING_CLIENT_CERT_PATH: client certificate (PEM, with its key).
  std::string client_cert_path;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};  // per HTTP request
  // Transient failures (connection refused or reset, timeouts, 429, 5xx) are
  // retried within each call; what is left after that is Error::kIo.
  RetryPolicy retry;
  // Page sizes of SearchAllRuns (runs/search; MLflow's default) and
  // GetMetricHistory (metrics/get-history; the most servers allow).
  int search_page_size = 1000;
  int history_page_size = 25000;
};

// `tracking_uri` with the credentials and TLS fields from the environment
// (the variables named in ClientOptions). kInvalidInput for a URI that is not
// http(s) (file:, databricks, sqlite:, a plain path, ...: gdsweep speaks
// MLflow's REST API and needs a tracking server URL), for a username without
// a password (or the reverse), for MLFLOW_TRACKING_INSECURE_TLS that is not a
// boolean, for insecure TLS together with a CA bundle, and for a certificate
// file that does not exist.
Result<ClientOptions> OptionsFromEnvironment(const std::string& tracking_uri);

// kInvalidInput unless `uri` is an http(s) URL with a host and without a query
// or fragment: the check OptionsFromEnvironment and Client make.
Status CheckTrackingUri(const std::string& uri);

// One metric point. Non-finite values are sent as "NaN", "Infinity" and
// "-Infinity".
struct Metric {
  std::string key;
  double value = 0;
  int64_t timestamp_ms = 0;
  int64_t step = 0;
};

// A run tag, or a param (same shape).
struct Tag {
  std::string key, value;
};

struct RunInfo {
  std::string run_id, experiment_id, run_name;
  std::string status;  // RUNNING, SCHEDULED, FINISHED, FAILED, KILLED
  int64_t start_time_ms = 0;
  std::optional<int64_t> end_time_ms;  // none while the run has none
};

struct Run {
  RunInfo info;
  // The latest value of each metric as the server chose it (greatest step,
  // then timestamp). "NaN"/"Infinity"/"-Infinity" are decoded; note that
  // MLflow's SQL stores keep ±Infinity as ±1.7976931348623157e308 (the
  // largest double), and that value is returned as is.
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> params, tags;
};

struct RunsPage {
  std::vector<Run> runs;
  std::string next_page_token;  // empty: no more pages
};

// MLflow's limits on one runs/log-batch request.
struct BatchLimits {
  size_t metrics = 1000;
  size_t params = 100;
  size_t tags = 100;
  size_t items = 1000;  // metrics, params and tags together
};

// One runs/log-batch request's share of a larger batch.
struct BatchPart {
  std::vector<Metric> metrics;
  std::vector<Tag> params, tags;
};

// Splits a batch into as few parts as `limits` allow, keeping the order of
// each list. Empty input: no parts.
std::vector<BatchPart> SplitBatch(const std::vector<Metric>& metrics,
                                  const std::vector<Tag>& params, const std::vector<Tag>& tags,
                                  const BatchLimits& limits = {});

// A connection to one tracking server. Every call is one or more HTTP
// requests, each retried per ClientOptions::retry. Error kinds:
//  - kIo: the server is unreachable, answered 429/5xx after the retries, or
//    refused the credentials (401/403; the message names the environment
//    variables to set). Trying again later is right.
//  - kNotFound: RESOURCE_DOES_NOT_EXIST (no such run, experiment).
//  - kConflict: RESOURCE_ALREADY_EXISTS.
//  - kInvalidInput: any other refusal ("<error_code>: <message>"), or a URI
//    that does not lead to an MLflow tracking server (a plain 404, a redirect,
//    an answer that is not JSON), or an untrusted certificate.
//  - kInterrupted: after Abort().
// Not thread-safe: one Client per thread (only Abort() may be called from
// another). Movable.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // The URI as given, without its trailing '/'. It may hold credentials
  // (user:password@host) if the user wrote them there: use RedactUrl (or
  // RunUrl) for anything shown.
  const std::string& tracking_uri() const;

  // The id of the active experiment `name`; kNotFound when there is none,
  // kInvalidInput when it exists but is deleted (MLflow keeps deleted names
  // reserved until they are purged).
  Result<std::string> GetExperimentIdByName(const std::string& name);
  // A new experiment (artifact_location empty: the server's default);
  // kConflict when the name is taken.
  Result<std::string> CreateExperiment(const std::string& name,
                                       const std::string& artifact_location);
  // Get, else create; losing a race to create it to another process
  // (kConflict) gets it again.
  Result<std::string> EnsureExperiment(const std::string& name,
                                       const std::string& artifact_location);

  // A new RUNNING run. `run_name` empty: the server picks one. Not idempotent:
  // a request whose answer was lost and is retried can leave a second run, so
  // callers that must not duplicate runs mark them with a tag and search first.
  Result<RunInfo> CreateRun(const std::string& experiment_id, const std::string& run_name,
                            int64_t start_time_ms, const std::vector<Tag>& tags);
  // Sets the status (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED) and, when
  // given, the end time.
  Status UpdateRun(const std::string& run_id, const std::string& status,
                   std::optional<int64_t> end_time_ms);
  // kNotFound when there is no such run.
  Result<Run> GetRun(const std::string& run_id);
  // Every point of `key` in the server's order (timestamp, step, value),
  // across all pages; empty for an unknown key.
  Result<std::vector<Metric>> GetMetricHistory(const std::string& run_id, const std::string& key);

  // One page of the active runs of `experiment_ids` matching `filter` (MLflow's
  // search grammar; build it with FilterKey/FilterString), ordered by
  // `order_by` ("metrics.`loss` ASC"; ties by start time, newest first).
  // max_results <= 0: the server's default (1000). page_token: "" for the
  // first page, else the previous page's next_page_token.
  Result<RunsPage> SearchRuns(const std::vector<std::string>& experiment_ids,
                              const std::string& filter, const std::vector<std::string>& order_by,
                              int max_results, const std::string& page_token);
  // Follows next_page_token until `limit` runs (0: no limit) or the end.
  Result<std::vector<Run>> SearchAllRuns(const std::vector<std::string>& experiment_ids,
                                         const std::string& filter,
                                         const std::vector<std::string>& order_by, size_t limit);

  // Logs metrics, params and tags in as many runs/log-batch requests as
  // MLflow's limits need (SplitBatch). Params are write-once on the server:
  // the same value again is fine, a different one is kInvalidInput, so callers
  // must always re-send the same value. A param key given twice here with two
  // values is kInvalidInput before anything is sent. Split batches are not
  // atomic: after an error, earlier parts may be stored; re-sending the whole
  // batch is safe (an identical metric point is stored once).
  Status LogBatch(const std::string& run_id, const std::vector<Metric>& metrics,
                  const std::vector<Tag>& params, const std::vector<Tag>& tags);
  Status SetTag(const std::string& run_id, const std::string& key, const std::string& value);

  // From any thread: ends the request in progress at once (a retry's wait
  // too) and makes it and every later call return Error::kInterrupted.
  void Abort();

  // "<uri>/#/experiments/<experiment_id>/runs/<run_id>": the run in MLflow's
  // UI, without any credentials the URI holds.
  std::string RunUrl(const std::string& experiment_id, const std::string& run_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A key of a search filter or order_by clause: FilterKey("tags", "gdsweep.tag")
// is "tags.`gdsweep.tag`" (prefix: metrics, params, tags or attributes; a
// trailing '.' is ignored). Backticks let keys hold '.', '-', ' ', ':' and '/'.
// A key holding a backtick (MLflow refuses such keys) is double-quoted instead.
std::string FilterKey(const std::string& prefix, const std::string& key);

// A string value of a search filter, quoted. MLflow strips a value's quotes
// and processes no escapes (neither 'it''s' nor 'it\'s' mean it's), so a value
// is put in single quotes, or in double quotes when it holds a single quote:
// "it's". A value holding both quote characters, or ending in a backslash
// (which would escape the closing quote), cannot be expressed:
// FilterStringExpressible says so, and FilterString then returns "" (no valid
// filter value, so a filter built from it is refused by the server rather than
// matching something else).
std::string FilterString(const std::string& value);
bool FilterStringExpressible(const std::string& value);

}  // namespace gdsweep::mlflow
