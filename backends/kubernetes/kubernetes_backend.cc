#include "backends/kubernetes/kubernetes_backend.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/kubernetes/backend_state.h"
#include "backends/kubernetes/job_manifest.h"
#include "sweeper/model/redact.h"

namespace gdsweep {
namespace {

std::string Annotation(const JobInfo& job, const std::string& key) {
  auto it = job.meta.annotations.find(key);
  return it == job.meta.annotations.end() ? "" : it->second;
}

bool Finished(const JobInfo& job) { return WorkloadEnded(job); }

}  // namespace

// The Job of this name belongs to this very launch (and not to a study of
// an older database that reused the name).
Status CheckJobIdentity(const JobInfo& job, const TrialLaunch& launch, const std::string& ns,
                        const ResourceType& type) {
  if (Annotation(job, kAnnotationTrialId) == std::to_string(launch.trial_id) &&
      Annotation(job, kAnnotationRun) == std::to_string(launch.run) &&
      Annotation(job, kLabelStudy) == launch.study_name) {
    return {};
  }
  // kubectl's name of the resource: "job", or "jobsets.jobset.x-k8s.io".
  const std::string resource =
      type.api_version == "batch/v1"
          ? std::string("job")
          : type.plural + "." + type.api_version.substr(0, type.api_version.find('/'));
  return Error::Conflict(type.kind + " " + job.meta.name + " in namespace " + ns +
                         " exists but belongs to another trial (study '" +
                         Annotation(job, kLabelStudy) + "', trial id " +
                         Annotation(job, kAnnotationTrialId) +
                         "), perhaps of an older database; delete it with: kubectl delete " +
                         resource + " " + job.meta.name + " -n " + ns);
}

namespace {

// The parameters file the scheduler wrote beside the logs, or the string
// values of the launch when there is none.
std::string ParamsJsonFor(const TrialLaunch& launch) {
  if (!launch.log_dir.empty()) {
    std::ifstream in(std::filesystem::path(launch.log_dir) / "params.json", std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      if (!text.str().empty()) return text.str();
    }
  }
  std::string out = "{";
  for (const auto& [k, v] : launch.params) {
    auto quote = [](const std::string& s) {
      std::string q = "\"";
      for (char c : s) {
        if (c == '"' || c == '\\') q += '\\';
        if (static_cast<unsigned char>(c) >= 0x20) q += c;
      }
      return q + "\"";
    };
    out += (out.size() > 1 ? "," : "") + quote(k) + ":" + quote(v);
  }
  return out + "}";
}

KubernetesBackendOptions WithResource(KubernetesBackendOptions o, const ResourceType& r) {
  o.client.workload = r;
  return o;
}

}  // namespace

KubernetesBackend::Impl::Impl(const KubernetesSpec& s, const KubeConnection& c,
                              const std::string& n, const KubernetesBackendOptions& o)
    : spec(s),
      connection(c),
      ns(n),
      container(TrialContainer(s)),
      kind(MakeWorkloadKind(s)),
      options(WithResource(o, kind->Resource())),
      credentials(std::make_shared<CredentialSource>(c)),
      health(std::make_shared<ApiHealth>()) {
  client = NewClient();
}

std::unique_ptr<KubeClient> KubernetesBackend::Impl::NewClient() const {
  return std::make_unique<KubeClient>(connection, credentials, options.client, health);
}

void KubernetesBackend::Impl::EnsureStarted(const std::string& study_name) {
  if (!started) {
    started = true;
    ops_client = NewClient();
    ops_thread = std::thread([this] { OpsLoop(); });
  }
  if (job_informer) return;
  // One watch per study and kind, started with the first trial (the study
  // name is known only now).
  InformerOptions jo;
  jo.kind = KubeKind::kJob;
  jo.namespace_ = ns;
  jo.selector = StudySelector(study_name);
  jo.watch_timeout_seconds = options.watch_timeout_seconds;
  InformerOptions po = jo;
  po.kind = KubeKind::kPod;
  job_informer = std::make_unique<Informer>(
      NewClient(), jo,
      InformerHandler{[this](const auto& items) { OnJobsSync(items); },
                      [this](auto type, const auto& o) { OnJobEvent(type, o); },
                      [this](const Error& e) { OnFatal(e); }});
  pod_informer = std::make_unique<Informer>(
      NewClient(), po,
      InformerHandler{[this](const auto& items) { OnPodsSync(items); },
                      [this](auto type, const auto& o) { OnPodEvent(type, o); },
                      [this](const Error& e) { OnFatal(e); }});
  job_informer->Start();
  pod_informer->Start();
}

Result<TrackedTrial*> KubernetesBackend::Impl::Register(const TrialLaunch& launch,
                                                        const std::string& job) {
  if (trials.count(launch.trial_id)) {
    return Error::Internal("trial id " + std::to_string(launch.trial_id) + " is running already");
  }
  auto t = std::make_unique<TrackedTrial>();
  t->id = launch.trial_id;
  t->number = launch.trial_number;
  t->job = job;
  t->log_dir = launch.log_dir;
  t->launch = launch;
  t->log_client = NewClient();
  TrackedTrial* raw = t.get();
  trials[launch.trial_id] = std::move(t);
  trial_by_job[job] = launch.trial_id;
  return raw;
}

Status KubernetesBackend::Impl::Track(const TrialLaunch& launch, const std::string& job,
                                      const JobInfo& seen) {
  EnsureStarted(launch.study_name);
  std::lock_guard<std::mutex> lock(mu);
  auto registered = Register(launch, job);
  if (!registered) return registered.error();
  TrackedTrial* raw = *registered;
  raw->job_made = true;
  raw->job_uid = seen.meta.uid;
  // The watch may have seen it deleted already (it ended and went before we
  // got here): judge it from what is left rather than wait for it.
  raw->job_gone = deleted_uids.count(seen.meta.uid) > 0;
  if (!raw->job_gone && !jobs.count(job)) jobs[job] = Observed(seen);
  UpdatePullStuck(*raw);
  raw->follower = std::thread([this, raw] { RunTrial(raw); });
  Evaluate(*raw);
  return {};
}

KubernetesBackend::KubernetesBackend(const KubernetesSpec& spec, const KubeConnection& connection,
                                     const std::string& namespace_,
                                     const KubernetesBackendOptions& options)
    : impl_(std::make_unique<Impl>(spec, connection, namespace_, options)) {}

KubernetesBackend::~KubernetesBackend() { impl_->Shutdown(); }

const std::string& KubernetesBackend::job_namespace() const { return impl_->ns; }

Status KubernetesBackend::Preflight() {
  const std::string where = "the Kubernetes API at " + RedactUrl(impl_->connection.server) + " (" +
                            impl_->connection.description + ")";
  // API answers already say where; a server that does not answer is named here.
  auto located = [&](const Error& e) {
    return e.kind == Error::Kind::kIo ? e.Wrap("cannot reach " + where) : e;
  };
  auto exists = impl_->client->NamespaceExists(impl_->ns);
  if (!exists) return located(exists.error());
  if (*exists && !**exists) {
    return Error::Remote("namespace '" + impl_->ns + "' does not exist on " + where +
                         "; create it (kubectl create namespace " + impl_->ns +
                         ") or set kubernetes.namespace");
  }
  const ResourceType r = impl_->kind->Resource();
  if (r.api_path != "/apis/batch/v1") {
    auto served = impl_->client->ServedResource(r.api_path, r.kind);
    if (!served) return located(served.error());
    if (!served->empty() && *served != r.plural) {
      return Error::Invalid("this cluster (" + where + ") serves " + r.api_version + " " + r.kind +
                            " as '" + *served + "', not '" + r.plural +
                            "'; set kubernetes.custom.plural: " + *served);
    }
    if (served->empty()) {
      return Error::Remote("this cluster (" + where + ") has no " + r.api_version + " " + r.kind +
                           "; install the operator that provides it (for " + r.api_version + ": " +
                           impl_->kind->Provider() + ")");
    }
  }
  auto list = impl_->client->List(KubeKind::kJob, impl_->ns, "gdsweep.io/study", 1, "");
  if (!list) return located(list.error());
  if (const std::string key = impl_->kind->DryRunKey(); !key.empty()) {
    // A stand-in trial: the schema checks the manifest's shape, which the
    // parameters (in the command and an annotation) do not change.
    TrialLaunch probe;
    probe.study_name = "gdsweep-dry-run";
    probe.tag = "dry-run";
    probe.run = 1;
    probe.argv = {"true"};
    auto manifest = impl_->kind->Render(probe, "{}", impl_->ns);
    if (!manifest) return manifest.error();
    if (auto s = impl_->client->DryRunCreate(impl_->ns, *manifest, key); !s) {
      return located(s.error());
    }
  }
  return {};
}

// The Job is created on the trial's own thread (CreateTrialJob), so that an
// API outage or a 429 holds up that trial only, never the engine.
Status KubernetesBackend::Start(const TrialLaunch& launch) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->fatal) return *impl_->fatal;
  }
  auto manifest = impl_->kind->Render(launch, ParamsJsonFor(launch), impl_->ns);
  if (!manifest) return manifest.error();
  impl_->EnsureStarted(launch.study_name);
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto registered = impl_->Register(launch, impl_->kind->Name(launch));
  if (!registered) return registered.error();
  TrackedTrial* raw = *registered;
  raw->manifest = std::move(*manifest);
  raw->creating = true;
  raw->follower = std::thread([this, raw] { impl_->RunTrial(raw); });
  return {};
}

Result<bool> KubernetesBackend::Reattach(const TrialLaunch& launch) {
  const std::string name = impl_->kind->Name(launch);
  auto job = impl_->client->GetJob(impl_->ns, name);
  if (!job) return job.error();
  if (!*job || (*job)->meta.deleting) return false;
  if (auto s = CheckJobIdentity(**job, launch, impl_->ns, impl_->kind->Resource()); !s) {
    return s.error();
  }
  if (auto s = impl_->Track(launch, name, **job); !s) return s.error();
  return true;
}

Result<std::vector<BackendEvent>> KubernetesBackend::Wait(std::chrono::milliseconds timeout) {
  Impl& d = *impl_;
  std::unique_lock<std::mutex> lock(d.mu);
  const auto deadline = Clock::now() + timeout;
  while (true) {
    for (auto& [id, t] : d.trials) {
      if (t->pull_stuck_since && !t->verdict) d.Evaluate(*t);  // the pull time-out
    }
    d.CheckApiPatience();
    if (!d.events.empty()) {
      std::vector<BackendEvent> out;
      out.swap(d.events);
      return out;  // a finished Job stays until Release()
    }
    if (d.fatal) return *d.fatal;
    const auto now = Clock::now();
    if (now >= deadline) return std::vector<BackendEvent>{};
    d.events_ready.wait_until(lock, std::min(deadline, now + std::chrono::seconds(1)));
  }
}

void KubernetesBackend::Cancel(int64_t trial_id, std::chrono::milliseconds grace) {
  Stop(trial_id, grace, false);
}

void KubernetesBackend::Terminate(int64_t trial_id, std::chrono::milliseconds grace) {
  Stop(trial_id, grace, true);
}

void KubernetesBackend::Stop(int64_t trial_id, std::chrono::milliseconds grace, bool for_good) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mu);
  auto it = d.trials.find(trial_id);
  if (it == d.trials.end()) return;
  TrackedTrial& t = *it->second;
  if (t.reported || t.cancel_requested) return;
  t.cancel_requested = true;
  t.cancel_grace = grace;
  t.terminate = for_good;
  if (t.creating) {
    // CreateTrialJob settles it when its request returns: a Job it made is
    // deleted (or kept), a create still retrying through an outage is given
    // up. With no grace (a second Ctrl-C) the request is cut at once: a Job
    // the server may have made then is deleted or re-attached by a later run.
    if (grace.count() == 0) {
      t.stop_follow = true;
      t.log_client->Abort();
    }
    d.changed.notify_all();
    return;
  }
  if (!d.spec.delete_on_interrupt && !for_good) {
    if (!t.verdict) {
      t.verdict = TrialVerdict{TrialVerdict::State::kFailed, -1, false,
                               "left running for a later run to re-attach: Job " + t.job};
      t.cancelled = true;
      t.detached = true;
    }
    t.stop_follow = true;
    t.log_client->Abort();
    d.changed.notify_all();
    d.Evaluate(t);
    return;
  }
  std::vector<std::string> pods;
  for (const PodInfo* p : d.PodsOf(t.job)) pods.push_back(p->meta.name);
  d.Push(BackendOp{BackendOp::Kind::kCancel, trial_id, t.job, pods, grace});
}

void KubernetesBackend::Release(int64_t trial_id) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mu);
  auto it = d.trials.find(trial_id);
  if (it == d.trials.end() || !it->second->reported || it->second->released) return;
  it->second->released = true;
  d.Push(BackendOp{BackendOp::Kind::kFinish, trial_id, it->second->job, {}, {}});
}

Status KubernetesBackend::ReleaseLeftovers(
    const std::string& study_name, const std::map<int64_t, std::optional<TrialLaunch>>& trials) {
  Impl& d = *impl_;
  std::string token;
  int deleted = 0;
  do {
    auto page = d.client->List(KubeKind::kJob, d.ns, StudySelector(study_name), 500, token);
    if (!page) return page.error();
    for (const auto& item : page->items) {
      const JobInfo job = d.Observed(item.job);
      if (Annotation(job, kLabelStudy) != study_name || job.meta.deleting) continue;
      int64_t trial_id = 0;
      try {
        trial_id = std::stoll(Annotation(job, kAnnotationTrialId));
      } catch (const std::exception&) {
        continue;  // not a Job gdsweep made
      }
      auto it = trials.find(trial_id);
      if (it == trials.end()) continue;  // not a trial of this study's database
      if (it->second && d.kind->Name(*it->second) == job.meta.name) continue;  // running
      if (!d.spec.delete_finished && Finished(job)) continue;                  // on_finish: keep
      if (auto s = d.client->DeleteJob(d.ns, job.meta.name); !s) return s;
      ++deleted;
      spdlog::info("deleted Job {}, left by an earlier run: trial id {} {}", job.meta.name,
                   trial_id, it->second ? "runs again under another Job" : "is not running");
    }
    token = page->continue_token;
  } while (!token.empty());
  if (deleted > 0) spdlog::info("deleted {} Job(s) that no trial owns any more", deleted);
  return {};
}

size_t KubernetesBackend::Running() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (const auto& [id, t] : impl_->trials) n += t->reported ? 0 : 1;
  // An exit not yet handed out by Wait() still counts as running.
  for (const auto& ev : impl_->events) n += ev.kind == BackendEvent::Kind::kExited ? 1 : 0;
  return n;
}

Result<std::unique_ptr<Backend>> MakeKubernetesBackend(const KubernetesSpec& spec,
                                                       const KubernetesBackendOptions& options) {
  auto connection = ResolveConnection(SourcesFromEnvironment(spec.kubeconfig, spec.context));
  if (!connection) return connection.error();
  std::string ns = spec.namespace_;
  if (ns.empty()) ns = connection->namespace_;
  if (ns.empty()) ns = "default";
  auto backend = std::make_unique<KubernetesBackend>(spec, *connection, ns, options);
  if (auto s = backend->Preflight(); !s) return s.error();
  spdlog::info("Kubernetes: {} at {}, namespace {}", connection->description, connection->server,
               ns);
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace gdsweep