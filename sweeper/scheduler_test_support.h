// Helpers for the Scheduler tests: a small one-parameter study spec and the
// Study opened over it. Test-only; one thread.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "storage/test_support.h"
#include "sweeper/scheduler.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/study.h"

namespace gdsweep::testing {

// "s": minimise loss over x in [0, 1], random sampler, the given budget;
// `extra` is appended to the file (more top-level sections).
inline StudySpec SmallSweepSpec(const TempDir& dir, int n_trials, int parallelism,
                                const std::string& extra = "") {
  const std::string file = dir.File("study.yaml");
  std::ofstream(file) << "study_name: s\n"
                         "objective: {metric: loss, direction: minimize}\n"
                         "search_space: {x: {type: float, low: 0, high: 1}}\n"
                         "sampler: {type: random, seed: 1}\n"
                         "budget: {n_trials: "
                      << n_trials << ", parallelism: " << parallelism
                      << "}\n"
                         "trial: {command: [unused]}\n"
                      << extra;
  auto parsed = ParseStudyFile(file);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
  return std::move(*parsed);
}

// The study of `spec` in `storage`, trial logs under dir/logs.
inline std::unique_ptr<Study> OpenSweepStudy(const TempDir& dir, Storage& storage,
                                             const StudySpec& spec) {
  StudyOpenOptions options;
  options.logs_root = dir.File("logs");
  auto opened = Study::Open(storage, spec, options);
  REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  return std::move(*opened);
}

// Runs `study` to its end through a Scheduler with default options and the
// progress output thrown away; the run must succeed.
inline RunSummary RunQuietly(Study& study, Backend& backend) {
  std::FILE* quiet = std::fopen("/dev/null", "w");
  REQUIRE(quiet != nullptr);
  Progress progress(study.spec(), quiet, false);
  Scheduler scheduler(study, backend, progress, SchedulerOptions{});
  std::atomic<int> signals{0};
  auto summary = scheduler.Run(signals);
  std::fclose(quiet);
  REQUIRE_MESSAGE(summary.ok(), (summary.ok() ? "" : summary.error().message));
  return *summary;
}

// Every trial of `study`, in number order.
inline std::vector<TrialRecord> AllTrials(Study& study) {
  auto t = study.storage().ListTrials(study.info().study_id, {});
  REQUIRE(t.ok());
  return *t;
}

}  // namespace gdsweep::testing
