// KubeClient: the typed Kubernetes API calls the backend makes (create, get
// and delete Jobs; list and watch Jobs or Pods by label; read or follow a
// pod's log; check a namespace), over HttpClient with the shared
// credentials. Calls are retried on 429 and 5xx (honouring Retry-After) and
// once more with a fresh credential after a 401; API errors become Errors
// that say what to fix (401, 403, an unknown namespace) and never hold a
// token. One object per thread; Abort() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "backends/http/http_client.h"
#include "backends/kubernetes/kube_auth.h"
#include "backends/kubernetes/kube_objects.h"
#include "backends/kubernetes/kubeconfig.h"
#include "sweeper/model/result.h"

namespace gdsweep {

// Whether the API server answers, shared by the clients of one backend: when
// it began to fail (transport errors, and 429 or 5xx answers left after a
// client's own retries) and the last such failure. Any other answer means it
// is back. Thread-safe.
class ApiHealth {
 public:
  void Answered();
  void Failed(const std::string& why);
  // How long it has been failing with no answer in between (zero: it answers).
  std::chrono::steady_clock::duration FailingFor() const;
  std::string last_failure() const;

 private:
  mutable std::mutex mu_;
  std::optional<std::chrono::steady_clock::time_point> since_;
  std::string last_;
};

struct KubeClientOptions {
  RetryPolicy retry;      // for every call but streams
  ResourceType workload;  // what the *Job calls and KubeKind::kJob are about
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
};

class KubeClient {
 public:
  // With `health`, every call reports there whether the server answered.
  KubeClient(const KubeConnection& connection, std::shared_ptr<CredentialSource> credentials,
             const KubeClientOptions& options, std::shared_ptr<ApiHealth> health = nullptr);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  // created = false: a Job of that name existed already (409 AlreadyExists);
  // `job` is then that Job, read back.
  struct Created {
    bool created = true;
    JobInfo job;
  };
  Result<Created> CreateJob(const std::string& ns, const std::string& manifest_json);
  // Creates an object of another kind in `collection_path` (a path such as
  // /api/v1/namespaces/NS/services); one that exists already (409) is fine.
  // `what` names it in errors ("Service x").
  Status CreateObject(const std::string& collection_path, const std::string& what,
                      const std::string& manifest_json);
  // nullopt: no such Job.
  Result<std::optional<JobInfo>> GetJob(const std::string& ns, const std::string& name);
  // With propagationPolicy Background (the pods go too). A missing Job is fine.
  Status DeleteJob(const std::string& ns, const std::string& name);
  // Graceful: SIGTERM, then SIGKILL after `grace_seconds` (none: the pod's own).
  Status DeletePod(const std::string& ns, const std::string& name,
                   std::optional<int64_t> grace_seconds);
  // One page of a label-selected list (limit 0: all).
  Result<ObjectList> List(KubeKind kind, const std::string& ns, const std::string& selector,
                          int limit, const std::string& continue_token);
  // The resource (plural) that serves `kind` in the group/version at
  // `api_path`, "" when none does (discovery: a CRD that is not installed is
  // missing there).
  Result<std::string> ServedResource(const std::string& api_path, const std::string& kind);
  // A server-side dry run (?dryRun=All) of creating the trial resource: the
  // server decodes, defaults and validates it (a CRD's schema, admission
  // webhooks) and stores nothing. One that exists already (409) is fine.
  // A rejection is Error::kInvalid "<what>: the Kubernetes API rejected it
  // (<code>): <the server's message>".
  Status DryRunCreate(const std::string& ns, const std::string& manifest_json,
                      const std::string& what);
  // true/false; nullopt when the credentials may not read namespaces (403).
  Result<std::optional<bool>> NamespaceExists(const std::string& ns);

  // How a stream ended: the HTTP status, and the Status body of an error.
  struct StreamEnd {
    long status = 0;
    std::optional<ApiStatus> error;  // for a non-200 answer, if it sent a Status
  };
  // Watches Jobs or Pods from `resource_version` with bookmarks; `on_event`
  // gets each event, lines split on '\n' whatever the chunking. Returns when
  // the server ends the stream (after `timeout_seconds`), on an error answer,
  // or as an Error when the stream breaks.
  Result<StreamEnd> Watch(KubeKind kind, const std::string& ns, const std::string& selector,
                          const std::string& resource_version, int timeout_seconds,
                          const std::function<void(const WatchEvent&)>& on_event);
  // A container's log, as bytes; with `follow`, until the container ends.
  Result<StreamEnd> StreamLog(const std::string& ns, const std::string& pod,
                              const std::string& container, bool follow,
                              const std::function<void(std::string_view)>& on_data);

  // From any thread: the call in progress and every later one return
  // Error::kInterrupted at once.
  void Abort();

  const std::string& server() const { return connection_.server; }

 private:
  HttpRequest Prepare(const std::string& method, const std::string& path_and_query,
                      std::string body, const RequestAuth& auth) const;
  // SendWithRetry, then once more with a fresh credential after a 401.
  Result<HttpResponse> Call(const std::string& method, const std::string& path_and_query,
                            std::string body = "");
  Result<HttpResponse> StreamCall(const std::string& path_and_query,
                                  std::chrono::milliseconds timeout,
                                  const std::function<bool(std::string_view)>& on_data);
  Error ApiError(const std::string& what, const HttpResponse& response) const;
  void Record(const Result<HttpResponse>& response) const;
  HttpClient& Http(const RequestAuth& auth);

  KubeConnection connection_;
  std::shared_ptr<CredentialSource> credentials_;
  KubeClientOptions options_;
  std::shared_ptr<ApiHealth> health_;
  std::mutex http_mu_;  // guards http_ against Abort() from another thread
  std::unique_ptr<HttpClient> http_;
  std::string http_cert_;  // the exec plugin's certificate http_ was made with
  std::atomic<bool> aborted_{false};
};

}  // namespace gdsweep
