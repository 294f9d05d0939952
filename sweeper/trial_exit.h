// How a trial ended: turns a backend's kExited event and what the trial
// reported (stdout metrics, its result file, or its own tracking run) into the
// outcome to record: COMPLETE with its values, FAIL with a reason (and a retry
// while attempts remain), or back to WAITING when the infrastructure stopped
// it. Reads the trial's files; thread-compatible.
#pragma once

#include <string>

#include "backends/backend.h"
#include "storage/storage.h"
#include "sweeper/metrics.h"

namespace gdsweep {

class TrackingSession;

struct TrialExit {
  const StudySpec& spec;
  const TrialRecord& trial;
  const std::string& trial_dir;  // stderr.log and result.json are read from here
  // objective_source: tracking reads the values from the trial's run.
  TrackingSession* tracking = nullptr;
};

// `interrupted`: the run is stopping (a signal, a fatal error), so a
// cancelled trial goes back to WAITING instead of failing.
TrialOutcome OutcomeOfExit(const TrialExit& exit, MetricCollector& metrics, const BackendEvent& ev,
                           bool interrupted);

}  // namespace gdsweep
