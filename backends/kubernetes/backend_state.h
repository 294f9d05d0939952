// The inside of KubernetesBackend, shared by its files: what the watches
// have seen (Jobs and pods by name), the trials being followed, the events
// waiting for Wait(), and the queue of API work for the background thread.
// Everything is guarded by `mu`; no API call is made while holding it.
// Private to backends/kubernetes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backends/kubernetes/informer.h"
#include "backends/kubernetes/job_status.h"
#include "backends/kubernetes/kubernetes_backend.h"
#include "backends/kubernetes/workload_kind.h"

namespace gdsweep {

using Clock = std::chrono::steady_clock;

// An error unless `job` was made for this very launch (and not for a study
// of an older database that reused the name).
Status CheckJobIdentity(const JobInfo& job, const TrialLaunch& launch, const std::string& ns,
                        const ResourceType& type);

// One launch being followed.
struct TrackedTrial {
  int64_t id = 0;
  int64_t number = 0;
  std::string job;
  std::string job_uid;  // once it exists: the owner of its companion objects
  std::string log_dir;
  TrialLaunch launch;     // as Start() or Reattach() got it
  std::string manifest;   // the Job Start() creates
  bool creating = false;  // its Job is being created (perhaps through an API outage)
  bool job_made = false;  // its Job exists, made or adopted by us (only then is it deleted)
  std::optional<Clock::time_point> pull_stuck_since;  // the newest pod waits on its image
  std::optional<TrialVerdict> verdict;                // decided: the trial has ended
  bool verdict_from_job = false;  // the Job's own end: refined as pod states arrive
  bool cancel_requested = false;
  std::chrono::milliseconds cancel_grace{0};
  bool terminate = false;  // Terminate(): the Job is deleted whatever on_interrupt says
  bool cancelled = false;  // the verdict came from Cancel()
  bool detached = false;   // Cancel() left the Job running
  bool job_gone = false;   // the Job was deleted (not by us) before it ended
  bool deleted_by_us = false;
  bool logs_done = false;  // the follower has read every pod it will read
  // A multi-pod trial failed (its resource's Failed condition): the follow
  // of its metrics replica, which may run on (a Kubeflow job with
  // cleanPodPolicy None keeps its pods), is cut, log_client is replaced, and
  // every replica's log is saved as it is.
  bool cut_follow = false;
  // A failed multi-pod trial is stopped once its replicas' logs are saved
  // (stopping deletes its pods, and their logs with them).
  bool stop_after_logs = false;
  bool reported = false;  // kExited is queued
  bool released = false;  // Release(): its result is durable
  std::set<std::string> pods_read;
  std::unique_ptr<KubeClient> log_client;  // the follower's; Abort() stops it
  std::atomic<bool> stop_follow{false};
  std::thread follower;
};

// Work for the background thread (API calls that must not block Wait()).
struct BackendOp {
  enum class Kind {
    kStop,         // the trial has ended (image never pulled): delete its Job
    kCancel,       // Cancel(): delete the Job and its pods, then report
    kConfirmGone,  // a re-list lacks the Job: check it is really gone
    kFinish,       // Release(): delete the Job if configured, join, forget
  };
  Kind kind = Kind::kFinish;
  int64_t trial_id = 0;
  std::string job;
  std::vector<std::string> pods;
  std::chrono::milliseconds grace{0};
};

struct KubernetesBackend::Impl {
  Impl(const KubernetesSpec& spec, const KubeConnection& connection, const std::string& ns,
       const KubernetesBackendOptions& options);

  // kubernetes_backend.cc: clients, the background threads, following a Job.
  std::unique_ptr<KubeClient> NewClient() const;
  void EnsureStarted(const std::string& study_name);
  // A new followed trial (mu held); its thread is started by the caller.
  Result<TrackedTrial*> Register(const TrialLaunch& launch, const std::string& job);
  Status Track(const TrialLaunch& launch, const std::string& job, const JobInfo& seen);

  // trial_starter.cc: creating a trial's Job on its own thread, riding out
  // API outages; giving up when they outlast spec.api_patience_seconds.
  void RunTrial(TrackedTrial* t);
  bool CreateTrialJob(TrackedTrial& t);  // false: it ended without a Job to follow
  // The kind's companion objects (an Indexed Job's Service), owned by the Job.
  void CreateCompanions(TrackedTrial& t);
  void EndUnstarted(TrackedTrial& t, const std::string& reason, bool cancelled,
                    bool detached);  // mu held
  void CheckApiPatience();           // mu held

  // backend_state.cc: the caches, judging trials, the queue of API work.
  void Evaluate(TrackedTrial& t);                                    // mu held
  void UpdatePullStuck(TrackedTrial& t);                             // mu held
  std::vector<const PodInfo*> PodsOf(const std::string& job) const;  // mu held
  // `job` as the kind reads it (WorkloadKind::Observe).
  JobInfo Observed(JobInfo job) const {
    kind->Observe(job);
    return job;
  }
  void PutPod(const PodInfo& pod);         // mu held
  void ErasePod(const std::string& name);  // mu held
  void Push(BackendOp op);                 // mu held
  void OpsLoop();
  void RunOp(const BackendOp& op);
  void OnJobsSync(const std::vector<KubeObject>& items);
  void OnJobEvent(WatchEvent::Type type, const KubeObject& object);
  void OnPodsSync(const std::vector<KubeObject>& items);
  void OnPodEvent(WatchEvent::Type type, const KubeObject& object);
  void OnFatal(const Error& error);
  void Shutdown();

  // trial_follower.cc: the log follower of one trial, on its own thread.
  void FollowLogs(TrackedTrial* t);
  std::string NextPodToRead(const TrackedTrial& t) const;  // mu held
  void ListPodsOf(TrackedTrial& t);                        // the watch is late: ask directly
  // Every pod's log but the metrics replica's, once they have ended, one
  // file per replica (replica-<replica>.log) in the trial's folder.
  void SaveReplicaLogs(TrackedTrial& t,
                       const std::vector<std::pair<std::string, std::string>>& others);
  void Deliver(TrackedTrial& t, std::vector<std::string>& lines);

  const KubernetesSpec spec;
  const KubeConnection connection;
  const std::string ns;
  const std::string container;                     // the container that runs the trial
  const std::unique_ptr<const WorkloadKind> kind;  // what resource a trial is
  const KubernetesBackendOptions options;
  std::shared_ptr<CredentialSource> credentials;
  std::shared_ptr<ApiHealth> health;   // every client reports whether the API answers
  bool warned_unreachable = false;     // mu
  std::unique_ptr<KubeClient> client;  // the driving thread's

  mutable std::mutex mu;
  std::condition_variable changed;  // state changed (followers wait on it)
  std::condition_variable events_ready;
  std::map<std::string, JobInfo> jobs;  // the study's Jobs as last seen
  std::set<std::string> deleted_uids;   // Jobs the watch saw deleted (a late Track() checks)
  std::map<std::string, PodInfo> pods;  // the study's pods as last seen
  std::map<std::string, std::set<std::string>> pods_by_job;
  std::map<int64_t, std::unique_ptr<TrackedTrial>> trials;
  std::map<std::string, int64_t> trial_by_job;
  std::vector<BackendEvent> events;
  std::optional<Error> fatal;
  std::deque<BackendOp> ops;
  bool ops_stop = false;
  bool stopping = false;  // Shutdown() began
  std::condition_variable ops_ready;

  bool started = false;
  std::thread ops_thread;
  std::unique_ptr<KubeClient> ops_client;
  std::unique_ptr<Informer> job_informer;
  std::unique_ptr<Informer> pod_informer;
};

}  // namespace gdsweep
