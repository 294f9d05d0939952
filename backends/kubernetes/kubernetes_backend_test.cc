// KubernetesBackend against the fake API server (pods run as local
// processes): output and exits, the real failure reasons, adoption after a
// crash (409), Reattach, Cancel (delete or keep), faults, and credentials.
#include "backends/kubernetes/kubernetes_backend.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "backends/kubernetes/job_manifest.h"
#include "backends/kubernetes/kubernetes_backend_test_support.h"

namespace gdsweep {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST_CASE("output lines arrive in order before the exit; the log file holds them; Job deleted") {
  FakeCluster fake;
  auto b = Make(fake);
  REQUIRE(b->Preflight().ok());
  testing::fs::path logs = fake.dir() / "logs/trial-1";
  TrialLaunch ok = Py(1,
                      "import os\n"
                      "for i in range(300): print(f'step={i} loss={1.0/(i+1)}')\n"
                      "print('trial', os.environ['GDSWEEP_TRIAL_NUMBER'])\n"
                      "print('no newline', end='')");
  ok.log_dir = logs.string();
  TrialLaunch bad = Py(2, "import sys; print('x'); sys.exit(3)");
  REQUIRE(b->Start(ok).ok());
  REQUIRE(b->Start(bad).ok());
  CHECK(b->Running() == 2);
  auto seen = RunAll(*b);
  const Seen& s = seen[1];
  REQUIRE(s.lines.size() == 302);
  CHECK(s.lines[0] == "step=0 loss=1.0");
  CHECK(s.lines[299].rfind("step=299 loss=0.0033", 0) == 0);
  CHECK(s.lines[300] == "trial 1");
  CHECK(s.lines[301] == "no newline");
  CHECK_FALSE(s.output_after_exit);
  REQUIRE(s.exits == 1);
  CHECK(s.exit->exit_code == 0);
  CHECK(s.exit->reason.empty());
  std::ifstream log(logs / "stdout.log");
  std::stringstream text;
  text << log.rdbuf();
  CHECK(text.str().rfind("step=0 loss=1.0\nstep=1 loss=0.5\n", 0) == 0);

  REQUIRE(seen[2].exits == 1);
  CHECK(seen[2].exit->exit_code == 3);
  CHECK(seen[2].exit->reason == "exited with code 3");
  CHECK(seen[2].lines == std::vector<std::string>{"x"});

  b.reset();  // drains the queued deletions
  CHECK_FALSE(JobExists(fake, ok));
  CHECK_FALSE(JobExists(fake, bad));
  CHECK(fake.JobsCreated(JobOf(ok)) == 1);
}

TEST_CASE("the real reasons: OOMKilled, DeadlineExceeded, an image that never pulls, eviction") {
  FakeCluster fake;
  auto b = Make(fake);
  KubernetesSpec oom_spec = Spec();
  oom_spec.image = "fake/oomkill";
  auto oom = Make(fake, oom_spec);
  KubernetesSpec pull_spec = Spec();
  pull_spec.image = "registry.example.com/fake/imagepullbackoff:1";
  auto pull = Make(fake, pull_spec);
  KubernetesSpec evict_spec = Spec();
  evict_spec.image = "fake/evicted";
  auto evict = Make(fake, evict_spec);

  TrialLaunch slow = Py(10, "import time; print('started', flush=True); time.sleep(30)");
  // Long enough for Python to start and print on a loaded machine (at 2 s
  // the line was lost at load 10).
  slow.timeout_seconds = 6;
  REQUIRE(b->Start(slow).ok());
  REQUIRE(oom->Start(Py(11, "print('allocating')")).ok());
  TrialLaunch stuck = Py(12, "print('never')");
  REQUIRE(pull->Start(stuck).ok());
  REQUIRE(evict->Start(Py(13, "import time; time.sleep(5)")).ok());

  auto timed = RunAll(*b);
  REQUIRE(timed[10].exits == 1);
  CHECK(timed[10].exit->timed_out);
  CHECK(timed[10].exit->reason.rfind("DeadlineExceeded", 0) == 0);
  CHECK(timed[10].lines == std::vector<std::string>{"started"});

  auto oomed = RunAll(*oom);
  REQUIRE(oomed[11].exits == 1);
  CHECK(oomed[11].exit->exit_code == 137);
  CHECK(oomed[11].exit->reason ==
        "OOMKilled: the container exceeded its memory limit (exit code 137)");
  CHECK(oomed[11].lines == std::vector<std::string>{"allocating"});

  auto pulled = RunAll(*pull);
  REQUIRE(pulled[12].exits == 1);
  CHECK(pulled[12].exit->exit_code != 0);
  // The kubelet alternates ErrImagePull and ImagePullBackOff: either may be
  // the state seen when gdsweep gives up.
  const std::string& pull_reason = pulled[12].exit->reason;
  CAPTURE(pull_reason);
  CHECK((pull_reason.rfind("ImagePullBackOff: Back-off pulling image", 0) == 0 ||
         pull_reason.rfind("ErrImagePull: failed to pull", 0) == 0));
  CHECK(pulled[12].exit->reason.find("(gave up after") != std::string::npos);

  auto evicted = RunAll(*evict);
  REQUIRE(evicted[13].exits == 1);
  CHECK(evicted[13].exit->reason.rfind("Evicted", 0) == 0);
  CHECK(evicted[13].exit->exit_code == 137);

  pull.reset();
  CHECK_FALSE(JobExists(fake, stuck));  // stopped, not left pulling forever
}

TEST_CASE("after a crash, Start of the same attempt adopts its Job (409) instead of a second run") {
  FakeCluster fake;
  TrialLaunch l = Py(5, "import time; time.sleep(1.5); print('loss=0.25')");
  {
    auto first = Make(fake);
    REQUIRE(first->Start(l).ok());
    // Start queues the create: "crash" once the API has the Job.
    const auto deadline = Clock::now() + 10s;
    while (!JobExists(fake, l) && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  }  // "crashed": the Job keeps running
  CHECK(JobExists(fake, l));
  auto second = Make(fake);
  REQUIRE(second->Start(l).ok());
  auto seen = RunAll(*second);
  REQUIRE(seen[5].exits == 1);
  CHECK(seen[5].exit->exit_code == 0);
  CHECK(seen[5].lines == std::vector<std::string>{"loss=0.25"});
  CHECK(fake.JobsCreated(JobOf(l)) == 1);
  int posts = 0;
  for (const auto& r : fake.Requests()) posts += r.method == "POST" && r.name == JobOf(l);
  CHECK(posts == 2);  // the second answered 409 AlreadyExists
}

TEST_CASE("a Job of another trial under the same name is not adopted") {
  FakeCluster fake;
  TrialLaunch l = Py(6, "print(1)");
  // A Job made for this name by someone else (an older database, say).
  auto manifest = nlohmann::json::parse(*RenderJobManifest(Spec(), l, "{}", "default"));
  manifest["metadata"]["annotations"]["gdsweep.io/trial-id"] = "999";
  HttpClient http(HttpClientOptions{});
  HttpRequest req;
  req.method = "POST";
  req.url = fake.Url() + "/apis/batch/v1/namespaces/default/jobs";
  req.body = manifest.dump();
  REQUIRE(http.Send(req)->status == 201);
  auto b = Make(fake);
  REQUIRE(b->Start(l).ok());
  auto [exit, s] = StartFailure(*b, 6);
  REQUIRE(exit);
  CHECK(exit->reason.find("belongs to another trial") != std::string::npos);
  CHECK(s.kind == Error::Kind::kConflict);
  CHECK(s.message.find("belongs to another trial") != std::string::npos);
  CHECK(s.message.find("kubectl delete job " + JobOf(l)) != std::string::npos);
  auto again = Make(fake);
  auto r = again->Reattach(l);
  CHECK_FALSE(r.ok());
}

TEST_CASE("Reattach follows a Job an earlier run started; a missing one is false") {
  FakeCluster fake;
  TrialLaunch running = Py(7, "import time; print('a', flush=True); time.sleep(1.5); print('b')");
  TrialLaunch done = Py(8, "print('loss=1')");
  {
    auto first = Make(fake);
    REQUIRE(first->Start(running).ok());
    KubernetesSpec keep = Spec();
    keep.delete_finished = false;
    auto keeper = Make(fake, keep);
    REQUIRE(keeper->Start(done).ok());
    RunAll(*keeper);  // finished and kept
    std::this_thread::sleep_for(300ms);
  }
  auto second = Make(fake);
  auto r = second->Reattach(running);
  REQUIRE(r.ok());
  CHECK(*r);
  auto d = second->Reattach(done);
  REQUIRE(d.ok());
  CHECK(*d);
  auto gone = second->Reattach(Py(9, "print(1)"));
  REQUIRE(gone.ok());
  CHECK_FALSE(*gone);
  auto seen = RunAll(*second);
  REQUIRE(seen[7].exits == 1);
  CHECK(seen[7].exit->exit_code == 0);
  CHECK(seen[7].lines == std::vector<std::string>{"a", "b"});  // the whole log, read again
  REQUIRE(seen[8].exits == 1);
  CHECK(seen[8].lines == std::vector<std::string>{"loss=1"});
  CHECK(fake.JobsCreated(JobOf(running)) == 1);
  second.reset();
  CHECK_FALSE(JobExists(fake, running));
}

TEST_CASE("Cancel deletes the Job and its pods (on_interrupt: delete)") {
  FakeCluster fake;
  auto b = Make(fake);
  TrialLaunch l = Py(20, "import time; print('up', flush=True); time.sleep(60)");
  REQUIRE(b->Start(l).ok());
  while (fake.AdminGet("processes")["processes"].empty()) std::this_thread::sleep_for(50ms);
  const auto start = Clock::now();
  b->Cancel(20, 0ms);
  auto seen = RunAll(*b, 20s);
  CHECK(Clock::now() - start < 10s);
  REQUIRE(seen[20].exits == 1);
  CHECK(seen[20].exit->cancelled);
  CHECK_FALSE(seen[20].exit->detached);
  CHECK_FALSE(JobExists(fake, l));
  const auto deadline = Clock::now() + 10s;
  while (!fake.AdminGet("processes")["processes"].empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(fake.AdminGet("processes")["processes"].empty());
}

TEST_CASE("Cancel keeps the Job running for a later run (on_interrupt: keep)") {
  FakeCluster fake;
  KubernetesSpec keep = Spec();
  keep.delete_on_interrupt = false;
  TrialLaunch l = Py(21, "import time; print('up', flush=True); time.sleep(2); print('loss=3')");
  {
    auto b = Make(fake, keep);
    REQUIRE(b->Start(l).ok());
    b->Cancel(21, 10s);
    auto seen = RunAll(*b, 5s);
    REQUIRE(seen[21].exits == 1);
    CHECK(seen[21].exit->cancelled);
    CHECK(seen[21].exit->detached);
  }
  CHECK(JobExists(fake, l));
  auto later = Make(fake, keep);
  REQUIRE(*later->Reattach(l));
  auto seen = RunAll(*later);
  REQUIRE(seen[21].exits == 1);
  CHECK(seen[21].exit->exit_code == 0);
  CHECK(seen[21].lines.back() == "loss=3");
  CHECK(fake.JobsCreated(JobOf(l)) == 1);
}

TEST_CASE("Terminate (a pruned trial) deletes the Job at once, even with on_interrupt: keep") {
  FakeCluster fake;
  KubernetesSpec keep = Spec();
  keep.delete_on_interrupt = false;  // Cancel would leave it; a pruned trial never comes back
  auto b = Make(fake, keep);
  TrialLaunch l = Py(22, "import time; print('up', flush=True); time.sleep(60)");
  REQUIRE(b->Start(l).ok());
  // Once the backend has the pod's output it knows the pod, so Terminate
  // deletes that pod with the grace period, not only the Job.
  REQUIRE(WaitForLine(*b, 22, "up"));
  const auto start = Clock::now();
  b->Terminate(22, 1000ms);
  auto seen = RunAll(*b, 20s);
  CHECK(Clock::now() - start < 10s);
  REQUIRE(seen[22].exits == 1);
  CHECK(seen[22].exit->cancelled);
  CHECK_FALSE(seen[22].exit->detached);
  CHECK_FALSE(JobExists(fake, l));
  int job_deletes = 0, pod_deletes = 0;
  for (const auto& r : fake.Requests()) {
    if (r.method != "DELETE") continue;
    job_deletes += r.path.ends_with("/jobs/" + JobOf(l));
    pod_deletes += r.path.find("/pods/") != std::string::npos;
  }
  CHECK(job_deletes >= 1);
  CHECK(pod_deletes >= 1);
  const auto deadline = Clock::now() + 10s;
  while (!fake.AdminGet("processes")["processes"].empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(fake.AdminGet("processes")["processes"].empty());
}

TEST_CASE("with 10% of API requests failing (429, 5xx, resets), every trial runs once") {
  FakeCluster fake({"--fault-rate", "0.1", "--fault-codes",
                    "429,429-apf,500,503,504,reset,reset-after", "--fault-seed", "7"});
  auto b = Make(fake);
  std::vector<TrialLaunch> launches;
  for (int i = 0; i < 16; ++i) {
    launches.push_back(Py(100 + i, "print('loss=" + std::to_string(i) + "')"));
  }
  std::map<int64_t, Seen> seen;
  size_t next = 0;
  const auto deadline = Clock::now() + 120s;
  while ((next < launches.size() || b->Running() > 0) && Clock::now() < deadline) {
    while (next < launches.size() && b->Running() < 4) {
      auto s = b->Start(launches[next]);
      REQUIRE_MESSAGE(s.ok(), s.error().message);
      ++next;
    }
    auto events = b->Wait(200ms);
    REQUIRE_MESSAGE(events.ok(), events.error().message);
    for (const auto& ev : *events) {
      if (ev.kind == BackendEvent::Kind::kOutput) {
        seen[ev.trial_id].lines.push_back(ev.line);
      } else {
        seen[ev.trial_id].exit = ev;
        ++seen[ev.trial_id].exits;
      }
    }
  }
  int faults = 0;
  for (const auto& r : fake.Requests()) faults += r.fault.empty() ? 0 : 1;
  CHECK(faults > 0);
  for (int i = 0; i < 16; ++i) {
    const Seen& s = seen[100 + i];
    CHECK_MESSAGE(s.exits == 1, "trial ", 100 + i);
    REQUIRE(s.exit);
    CHECK_MESSAGE(s.exit->exit_code == 0, s.exit->reason);
    CHECK(s.lines == std::vector<std::string>{"loss=" + std::to_string(i)});
    CHECK(fake.JobsCreated(JobOf(launches[i])) == 1);
  }
}

TEST_CASE("a refused token and an unknown namespace are clear errors without the token") {
  FakeCluster fake({"--token", "right-token"});
  auto wrong = Make(fake, Spec(), "wrong-token-value");
  auto s = wrong->Preflight();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("401 Unauthorized") != std::string::npos);
  CHECK(s.error().message.find("wrong-token-value") == std::string::npos);
  CHECK(s.error().kind == Error::Kind::kRemote);  // exit 6, not "invalid study file"
  // Refused mid-sweep: the trial could not start, and the run stops with it.
  REQUIRE(wrong->Start(Py(1, "print(1)")).ok());
  auto refused = StartFailure(*wrong, 1);
  if (refused.first) CHECK(refused.first->reason.find("could not start") != std::string::npos);
  CHECK(refused.second.kind == Error::Kind::kRemote);
  CHECK(refused.second.message.find("401 Unauthorized") != std::string::npos);
  CHECK(refused.second.message.find("wrong-token-value") == std::string::npos);

  auto right = Make(fake, Spec(), "right-token");
  CHECK(right->Preflight().ok());
  KubernetesBackend elsewhere(Spec(), fake.Connection("right-token"), "no-such-ns", FastOptions());
  auto ns = elsewhere.Preflight();
  REQUIRE_FALSE(ns.ok());
  CHECK(ns.error().message.find("namespace 'no-such-ns' does not exist") != std::string::npos);
  CHECK(ns.error().kind == Error::Kind::kRemote);
  REQUIRE(elsewhere.Start(Py(2, "print(1)")).ok());
  auto create = StartFailure(elsewhere, 2);
  CHECK(create.second.kind == Error::Kind::kRemote);
  CHECK(create.second.message.find("namespace 'no-such-ns' does not exist") != std::string::npos);
}

TEST_CASE("HTTPS: the CA as PEM data and a client certificate; an unknown CA is refused") {
  testing::TestCertificates certs;
  FakeCluster fake({"--tls-cert", certs["server.crt"], "--tls-key", certs["server.key"],
                    "--client-ca", certs["ca.crt"], "--token", "only-for-others"});
  KubeConnection c = fake.Connection();
  c.tls.ca_pem = certs.Pem("ca.crt");
  c.tls.client_cert_file = certs["client.crt"];
  c.tls.client_key_file = certs["client.key"];
  KubernetesBackend b(Spec(), c, "default", FastOptions());
  REQUIRE(b.Preflight().ok());
  REQUIRE(b.Start(Py(1, "print('loss=1')")).ok());
  auto seen = RunAll(b);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->exit_code == 0);
  CHECK(seen[1].lines == std::vector<std::string>{"loss=1"});

  KubeConnection untrusted = c;
  untrusted.tls.ca_pem.clear();
  untrusted.tls.ca_file = certs["client.crt"];  // not the CA that signed the server
  auto s = KubernetesBackend(Spec(), untrusted, "default", FastOptions()).Preflight();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find(fake.Url()) != std::string::npos);

  KubeConnection insecure = untrusted;
  insecure.tls.ca_file.clear();
  insecure.tls.insecure_skip_verify = true;
  CHECK(KubernetesBackend(Spec(), insecure, "default", FastOptions()).Preflight().ok());
}

TEST_CASE("a manifest the API rejects fails its trial and the run, with the server's words") {
  FakeCluster fake;
  KubernetesSpec spec = Spec();
  spec.resources.limits = {{"cpu", "1"}};
  spec.resources.requests = {{"cpu", "2"}};  // requests above limits: 422
  auto b = Make(fake, spec);
  REQUIRE(b->Start(Py(1, "print(1)")).ok());
  auto [exit, error] = StartFailure(*b, 1);
  REQUIRE(exit);  // the watches work: the trial's end comes first
  CHECK(exit->reason.find("could not start") != std::string::npos);
  CHECK(exit->reason.find("422") != std::string::npos);
  CHECK(error.kind == Error::Kind::kRemote);
  CHECK(error.message.find("422") != std::string::npos);
  CHECK(b->Running() == 0);
  CHECK_FALSE(b->Start(Py(2, "print(1)")).ok());  // the run is over
}

}  // namespace
}  // namespace gdsweep
