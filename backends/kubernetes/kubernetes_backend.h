// The Kubernetes Backend: every trial attempt is a labelled batch/v1 Job
// with a deterministic name, so a create repeated after a crash meets 409
// AlreadyExists and adopts the Job instead of running the trial twice. All
// of a study's Jobs and pods are followed by one list+watch each (label
// gdsweep.io/study), not by polling; each running trial's output comes from
// following its pod's log; the end is judged from the Job's conditions and
// the pod's container state (exit code, OOMKilled, DeadlineExceeded,
// Evicted, an image that never pulls). A finished Job is deleted (or kept, as
// the spec says) only on Release(), once its result is durable;
// Reattach() follows a Job an earlier run started. API outages are ridden
// out for spec.api_patience_seconds without touching running trials.
//
// Threads: Start() only queues the create, which each trial's own thread
// makes (retrying through outages) before following its pod's log; Reattach
// and ReleaseLeftovers call the API on the caller's thread; the two watches
// and one thread for deletions run in the background and feed a queue that
// Wait() drains, so Wait() never blocks on the network. One thread drives
// the Backend.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "backends/backend.h"
#include "backends/kubernetes/kube_client.h"
#include "backends/kubernetes/kubeconfig.h"
#include "sweeper/model/kubernetes_spec.h"

namespace gdsweep {

struct KubernetesBackendOptions {
  KubeClientOptions client;  // retries and timeouts of API calls
  // Each watch is ended by the server after about this long and resumed.
  int watch_timeout_seconds = 300;
  // After a Job ends, how long to wait for the pod watch to report its pods
  // before listing them directly (their log holds the trial's output).
  std::chrono::milliseconds pod_report_wait{2000};
  // The longest output line, in bytes, a kOutput event carries (the log file
  // keeps it whole).
  size_t max_line_bytes = 64 * 1024;
};

class KubernetesBackend final : public Backend {
 public:
  // `namespace_` is the resolved namespace (the spec's, the context's, or
  // "default"). Makes no API call.
  KubernetesBackend(const KubernetesSpec& spec, const KubeConnection& connection,
                    const std::string& namespace_, const KubernetesBackendOptions& options);
  // Stops watching and following; running Jobs are left as they are (a later
  // run re-attaches them), finished ones are deleted as configured.
  ~KubernetesBackend() override;

  // Checks that the API answers, accepts the credentials and has the
  // namespace: a clear error before any trial starts.
  Status Preflight();

  // Queues the creation of the trial's Job and returns; the trial's thread
  // creates it, retrying with capped exponential back-off while the API does
  // not answer (for up to spec.api_patience_seconds), and settles a create
  // whose answer was lost by meeting 409 and adopting the Job of that name
  // if it is this launch's. A refusal (401/403, an unknown namespace, a
  // rejected manifest, a Job of another trial) ends the trial with a kExited
  // "could not start: ..." and then makes Wait() return that error. Only a
  // manifest that cannot be rendered is an error of Start itself.
  Status Start(const TrialLaunch& launch) override;
  // When the API has not answered for spec.api_patience_seconds, every
  // followed trial ends with interrupted = true, then Wait() returns an
  // Error::kRemote that says so.
  Result<std::vector<BackendEvent>> Wait(std::chrono::milliseconds timeout) override;
  // Deletes the finished trial's Job (with on_finish: delete) and forgets it.
  void Release(int64_t trial_id) override;
  // Deletes the study's Jobs whose trial is finished or runs under another
  // Job (found by the label gdsweep.io/study and the trial-id annotation);
  // with on_finish: keep, a Job that has ended stays.
  Status ReleaseLeftovers(const std::string& study_name,
                          const std::map<int64_t, std::optional<TrialLaunch>>& trials) override;
  // True if the attempt's Job still exists; it is then followed to its end.
  Result<bool> Reattach(const TrialLaunch& launch) override;
  bool LaunchesOutliveProcess() const override { return true; }
  // spec.delete_on_interrupt: deletes the Job (Background) and its pods
  // with `grace`, then reports it cancelled. Otherwise reports it cancelled
  // and detached at once and leaves the Job running.
  void Cancel(int64_t trial_id, std::chrono::milliseconds grace) override;
  // Deletes the Job and its pods (with `grace`) whatever on_interrupt says,
  // then reports it cancelled.
  void Terminate(int64_t trial_id, std::chrono::milliseconds grace) override;
  size_t Running() const override;

  const std::string& job_namespace() const;

 private:
  void Stop(int64_t trial_id, std::chrono::milliseconds grace, bool for_good);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Resolves the cluster from the spec (kubeconfig, context) and the
// environment, picks the namespace, and runs Preflight().
Result<std::unique_ptr<Backend>> MakeKubernetesBackend(const KubernetesSpec& spec,
                                                       const KubernetesBackendOptions& options);

}  // namespace gdsweep
