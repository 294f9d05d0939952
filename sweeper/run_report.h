// The closing lines of `gdsweep run`: the study's totals by state and its
// best, read from storage (so across every worker, not this one's view), this
// worker's own share, and, when the study ends short of its budget, why.
// Pure functions of the stored trials; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/study_spec.h"
#include "sweeper/model/trial.h"
#include "sweeper/scheduler.h"

namespace gdsweep {

struct ClosingLine {
  bool warning = false;  // logged as a warning (the run ended short of its budget)
  std::string text;
};

// `trials`: every trial of the study in storage (other tags are skipped);
// `worker_id`: this run's; `elapsed_s`: how long it ran.
std::vector<ClosingLine> ClosingLines(const StudySpec& spec, const std::vector<TrialRecord>& trials,
                                      const RunSummary& summary, const std::string& worker_id,
                                      double elapsed_s);

}  // namespace gdsweep
