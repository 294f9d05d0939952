// GPUs for local trials: each running trial gets devices of its own, a device
// comes back only once the process group of the trial that held it is gone,
// and `nvidia-smi -L` is read for `gpus: auto`.
#include "backends/local/gpu_pool.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <set>

#include "backends/local/local_backend_test_support.h"
#include "backends/process/child_process.h"

namespace gdsweep {
namespace {

using namespace std::chrono_literals;
using testing::Clock;
using testing::TempDir;

TEST_CASE("each trial gets devices no running trial holds, lowest first") {
  GpuPool pool({"0", "1", "2", "3"}, 2);
  CHECK(pool.Capacity() == 2);
  auto a = pool.Take(1, 0ms);
  auto b = pool.Take(2, 0ms);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == "0,1");
  CHECK(*b == "2,3");
  auto c = pool.Take(3, 0ms);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message.find("0 free, 2 needed") != std::string::npos);
}

TEST_CASE("a trial that never started gives its devices back at once") {
  GpuPool pool({"0"}, 1);
  REQUIRE(pool.Take(1, 0ms).ok());
  pool.Cancel(1);
  auto again = pool.Take(2, 0ms);
  REQUIRE(again.ok());
  CHECK(*again == "0");
}

TEST_CASE("a device returns only once every process of its trial's group is gone") {
  GpuPool pool({"7"}, 1);
  REQUIRE(pool.Take(1, 0ms).ok());
  // The trial's leader has ended, but a member of its group still runs.
  auto child = SpawnChild({"sleep", "30"}, {}, "");
  REQUIRE(child.ok());
  pool.Release(1, child->pid);
  CHECK_FALSE(pool.HasFree());
  CHECK(pool.DrainingGroups() == std::vector<pid_t>{child->pid});
  auto held = pool.Take(2, 50ms);
  REQUIRE_FALSE(held.ok());
  CHECK(held.error().message.find("process group(s) " + std::to_string(child->pid)) !=
        std::string::npos);
  ::kill(-child->pid, SIGKILL);
  int status;
  ::waitpid(child->pid, &status, 0);
  CHECK(pool.HasFree());
  CHECK(pool.DrainingGroups().empty());
  auto freed = pool.Take(2, 1000ms);
  REQUIRE(freed.ok());
  CHECK(*freed == "7");
}

TEST_CASE("trials that take no device see none, at any parallelism") {
  GpuPool pool({"0", "1"}, 0);
  CHECK_FALSE(pool.Capacity().has_value());
  for (int id = 0; id < 5; ++id) {
    auto v = pool.Take(id, 0ms);
    REQUIRE(v.ok());
    CHECK(*v == "");
  }
}

TEST_CASE("nvidia-smi -L: the GPU lines give the devices, MIG lines do not") {
  const std::string text =
      "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5a3e0d4c-6a8b-1b2c-9d7e-0f1a2b3c4d5e)\n"
      "  MIG 1g.5gb     Device  0: (UUID: MIG-0e1f2a3b-4c5d-5e6f-8a9b-0c1d2e3f4a5b)\n"
      "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-6b4f1e5d-7b9c-2c3d-0e8f-1a2b3c4d5e6f)\n"
      "GPU 10: Tesla T4 (UUID: GPU-00000000-0000-0000-0000-000000000000)\n";
  CHECK(ParseNvidiaSmiList(text) == std::vector<std::string>{"0", "1", "10"});
  CHECK(ParseNvidiaSmiList("No devices were found\n").empty());
}

TEST_CASE("ListNvidiaGpus runs the program it is given and says why it found none") {
  TempDir dir;
  const std::string smi = dir / "nvidia-smi";
  testing::WriteFile(
      smi,
      "#!/bin/sh\n[ \"$1\" = -L ] || exit 9\n"
      "echo 'GPU 0: Stand-in (UUID: GPU-1)'\necho 'GPU 1: Stand-in (UUID: GPU-2)'\n");
  ::chmod(smi.c_str(), 0755);
  auto found = ListNvidiaGpus(smi);
  REQUIRE(found.ok());
  CHECK(*found == std::vector<std::string>{"0", "1"});

  testing::WriteFile(smi, "#!/bin/sh\necho 'No devices were found'\nexit 6\n");
  auto failed = ListNvidiaGpus(smi);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message.find("failed (exited with code 6)") != std::string::npos);

  auto missing = ListNvidiaGpus(dir / "no-such-nvidia-smi");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("cannot run") != std::string::npos);
}

TEST_CASE("the local backend hands each running trial its own GPUs in CUDA_VISIBLE_DEVICES") {
  auto options = testing::FastOptions();
  options.gpus = {"0", "1", "2"};
  options.gpus_per_trial = 1;
  auto backend = MakeLocalBackend(options);
  CHECK(backend->Capacity() == 3);
  for (int64_t id = 1; id <= 3; ++id) {
    REQUIRE(backend->Start(testing::Sh(id, "echo gpu=$CUDA_VISIBLE_DEVICES; sleep 0.3")).ok());
  }
  // All three devices are held: a fourth trial cannot start.
  auto fourth = backend->Start(testing::Sh(4, "true"));
  CHECK_FALSE(fourth.ok());
  auto seen = testing::RunAll(*backend);
  std::set<std::string> devices;
  for (int64_t id = 1; id <= 3; ++id) {
    REQUIRE(seen[id].lines.size() == 1);
    devices.insert(seen[id].lines[0]);
  }
  CHECK(devices == std::set<std::string>{"gpu=0", "gpu=1", "gpu=2"});
  // Ended trials gave theirs back.
  REQUIRE(backend->Start(testing::Sh(5, "echo gpu=$CUDA_VISIBLE_DEVICES")).ok());
  auto again = testing::RunAll(*backend);
  REQUIRE(again[5].lines.size() == 1);
  CHECK(again[5].lines[0].rfind("gpu=", 0) == 0);
  CHECK(again[5].lines[0].size() == 5);
}

}  // namespace
}  // namespace gdsweep
