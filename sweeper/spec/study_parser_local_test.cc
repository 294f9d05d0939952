// The local section and trial.resources: GPU lists and auto, how many devices
// each trial gets, and every combination that cannot work refused at its
// FILE:LINE:COLUMN.
#include "sweeper/spec/study_parser_local.h"

#include <doctest/doctest.h>

#include <string>

#include "sweeper/spec/study_parser.h"

namespace gdsweep {
namespace {

constexpr const char* kGpuStudy = R"(study_name: gpus
objective: {metric: loss, direction: minimize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
)";

// kGpuStudy (lines 1-4) with `rest` after it: rest starts at line 5.
Result<StudySpec> ParseGpus(const std::string& rest) {
  return ParseStudyText(std::string(kGpuStudy) + rest, "study.yaml", {});
}

std::string GpuErrorOf(const std::string& rest) {
  auto r = ParseGpus(rest);
  if (r.ok()) return "(parsed)";
  return r.error().message;
}

TEST_CASE("a list of devices and a count per trial") {
  auto spec = ParseGpus(
      "trial: {command: [python3, t.py], resources: {gpus: 2}}\n"
      "local: {gpus: [0, 3, GPU-8932f937-d72c-4106-c12f-20bd9faed9f6]}\n");
  REQUIRE(spec.ok());
  REQUIRE(spec->local.has_value());
  CHECK(spec->local->gpus ==
        std::vector<std::string>{"0", "3", "GPU-8932f937-d72c-4106-c12f-20bd9faed9f6"});
  CHECK_FALSE(spec->local->gpus_auto);
  CHECK(spec->trial.gpus == 2);
}

TEST_CASE("auto, and 0 per trial to hide every device") {
  auto spec = ParseGpus("trial: {command: [t], resources: {gpus: 0}}\nlocal: {gpus: auto}\n");
  REQUIRE(spec.ok());
  CHECK(spec->local->gpus_auto);
  CHECK(spec->trial.gpus == 0);
}

TEST_CASE("no local section: no devices handed out") {
  auto spec = ParseGpus("trial: {command: [t]}\n");
  REQUIRE(spec.ok());
  CHECK_FALSE(spec->local.has_value());
  CHECK_FALSE(spec->trial.gpus.has_value());
}

TEST_CASE("what cannot work is refused where it is written") {
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 1}}\n") ==
        "study.yaml:5:41: trial.resources.gpus: needs the devices to hand out: add local: {gpus: "
        "[0, 1, ...]} or local: {gpus: auto}");
  CHECK(GpuErrorOf("trial: {command: [t]}\nlocal: {gpus: [0, 1]}\n") ==
        "study.yaml:6:15: local.gpus: lists devices but trial.resources.gpus does not say how "
        "many each trial gets (0 hides them all)");
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 3}}\nlocal: {gpus: [0, 1]}\n") ==
        "study.yaml:5:41: trial.resources.gpus: each trial needs 3 devices but local.gpus lists 2");
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 1}}\nlocal: {gpus: [0, 0]}\n") ==
        "study.yaml:6:19: local.gpus[1]: device 0 is listed twice");
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 1}}\nlocal: {gpus: [-1]}\n")
            .find("study.yaml:6:16: local.gpus[0]: a device index is a whole number") == 0);
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 1}}\nlocal: {gpus: [\"0;rm\"]}\n")
            .find("study.yaml:6:16: local.gpus[0]: expected a device index") == 0);
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 1}}\nlocal: {gpus: all}\n")
            .find("study.yaml:6:15: local.gpus: expected a list of devices ([0, 1]) or auto") == 0);
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 1}}\nlocal: {gpus: []}\n") ==
        "study.yaml:6:15: local.gpus: the list of devices must not be empty");
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpu: 1}}\n").find("trial.resources.gpu") !=
        std::string::npos);
  CHECK(GpuErrorOf("trial:\n  command: [t]\n  env: {CUDA_VISIBLE_DEVICES: '0'}\n"
                   "  resources: {gpus: 1}\nlocal: {gpus: [0]}\n") ==
        "study.yaml:7:9: trial.env.CUDA_VISIBLE_DEVICES: is set by gdsweep to each trial's own "
        "devices when trial.resources.gpus is used; remove it");
}

TEST_CASE("on Kubernetes, GPUs are asked for in the pod's resources") {
  const std::string kube = "backend: kubernetes\nkubernetes: {image: python:3.12}\n";
  CHECK(GpuErrorOf("trial: {command: [t], resources: {gpus: 1}}\n" + kube) ==
        "study.yaml:5:41: trial.resources.gpus: applies to local trials only; on Kubernetes ask "
        "for GPUs in kubernetes.resources.limits (nvidia.com/gpu: N)");
  CHECK(GpuErrorOf("trial: {command: [t]}\n" + kube + "local: {gpus: [0]}\n") ==
        "study.yaml:8:1: local: applies to backend: local only (this study runs on kubernetes)");
}

}  // namespace
}  // namespace gdsweep
