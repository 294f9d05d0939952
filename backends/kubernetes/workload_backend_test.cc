// Multi-pod trials through KubernetesBackend against the fake API server:
// an Indexed Job of N pods with its Service (events from the metrics
// replica only, every replica's log kept), a replica that fails (the trial
// fails at once and names it), a PyTorchJob run by the simulated training
// operator, and a cluster without the operator's CRD (a clear error first).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/kubernetes/kubernetes_backend.h"
#include "backends/kubernetes/kubernetes_backend_test_support.h"
#include "backends/kubernetes/workload_kind.h"

namespace gdsweep {
namespace {

using namespace std::chrono_literals;
using namespace testing;

std::string ReadFile(const testing::fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Posts(const FakeCluster& fake, const std::string& suffix, int status) {
  int n = 0;
  std::ifstream log(fake.dir() / "requests.log");
  for (std::string line; std::getline(log, line);) {
    if (line.find("\"method\":\"POST\"") != std::string::npos &&
        line.find(suffix + "\"") != std::string::npos &&
        line.find("\"status\":" + std::to_string(status)) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

constexpr const char* kReplica =
    "import os, sys, time\n"
    "i = os.environ.get('JOB_COMPLETION_INDEX', os.environ.get('RANK'))\n"
    "print('replica', i, 'of', os.environ.get('GDSWEEP_WORLD_SIZE', os.environ.get('WORLD_SIZE')),"
    " os.environ.get('GDSWEEP_RENDEZVOUS_HOST', os.environ.get('MASTER_ADDR')), flush=True)\n"
    "if i == os.environ.get('FAIL'): sys.exit(3)\n"
    "time.sleep(float(os.environ.get('SLEEP', '0')))\n"
    "if i == '0': print('loss=0.5', flush=True)\n";

TEST_CASE("an Indexed Job trial: N pods, one Service, metrics from pod 0, every log kept") {
  FakeCluster fake;
  KubernetesSpec spec = Spec();
  spec.kind = KubernetesSpec::Kind::kIndexedJob;
  spec.pods = 3;
  auto b = Make(fake, spec);
  REQUIRE(b->Preflight().ok());
  TrialLaunch l = Py(1, kReplica);
  l.log_dir = (fake.dir() / "logs/trial-1").string();
  REQUIRE(b->Start(l).ok());
  auto seen = RunAll(*b);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->exit_code == 0);
  const std::string job = MakeWorkloadKind(spec)->Name(l);
  REQUIRE(seen[1].lines.size() == 2);  // pod 0's lines only
  CHECK(seen[1].lines[0] == "replica 0 of 3 " + job + "-0." + job);
  CHECK(seen[1].lines[1] == "loss=0.5");
  for (int i = 0; i < 3; ++i) {
    CHECK(ReadFile(testing::fs::path(l.log_dir) / ("replica-" + std::to_string(i) + ".log"))
              .rfind("replica " + std::to_string(i) + " of 3", 0) == 0);
  }
  CHECK(Posts(fake, "/services", 201) == 1);
}

TEST_CASE("a replica that fails fails the trial at once, and the reason names it") {
  FakeCluster fake;
  KubernetesSpec spec = Spec();
  spec.kind = KubernetesSpec::Kind::kIndexedJob;
  spec.pods = 3;
  auto b = Make(fake, spec);
  TrialLaunch l = Py(1, kReplica);
  l.env["FAIL"] = "2";
  l.env["SLEEP"] = "60";
  l.log_dir = (fake.dir() / "logs/trial-1").string();
  REQUIRE(b->Start(l).ok());
  const auto started = Clock::now();
  auto seen = RunAll(*b, 50s);
  CHECK(Clock::now() - started < 40s);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->exit_code == 3);
  CHECK(seen[1].exit->reason.find("replica 2 (pod ") == 0);
  CHECK(seen[1].exit->reason.find("exited with code 3") != std::string::npos);
}

TEST_CASE("a PyTorchJob trial run by the training operator; metrics from master-0") {
  FakeCluster fake(
      {"--crds", (RepoRoot() / "tests/fakes/kube/crds").string(), "--operators", "pytorchjob"});
  KubernetesSpec spec = Spec();
  spec.kind = KubernetesSpec::Kind::kPyTorchJob;
  spec.replicas = {{"master", 1}, {"worker", 2}};
  auto b = Make(fake, spec);
  REQUIRE(b->Preflight().ok());
  TrialLaunch l = Py(1, kReplica);
  l.log_dir = (fake.dir() / "logs/trial-1").string();
  REQUIRE(b->Start(l).ok());
  auto seen = RunAll(*b);
  REQUIRE(seen[1].exits == 1);
  CHECK_MESSAGE(seen[1].exit->exit_code == 0, seen[1].exit->reason);
  REQUIRE_FALSE(seen[1].lines.empty());
  CHECK(seen[1].lines.back() == "loss=0.5");
  CHECK(
      ReadFile(testing::fs::path(l.log_dir) / "replica-worker-1.log").rfind("replica 2 of 3", 0) ==
      0);
  CHECK(Posts(fake, "/pytorchjobs", 201) == 1);
}

TEST_CASE("a cluster without the training operator: a clear error before any trial") {
  FakeCluster fake;
  KubernetesSpec spec = Spec();
  spec.kind = KubernetesSpec::Kind::kTfJob;
  spec.replicas = {{"worker", 2}};
  auto b = Make(fake, spec);
  auto s = b->Preflight();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == Error::Kind::kRemote);
  CHECK(s.error().message.find("has no kubeflow.org/v1 TFJob; install the operator") !=
        std::string::npos);
}

}  // namespace
}  // namespace gdsweep
