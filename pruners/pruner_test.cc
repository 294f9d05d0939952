// MakePruner: every type is built, and a spec out of Optuna's ranges is an
// error rather than a pruner that divides by zero.
#include "pruners/pruner.h"

#include <doctest/doctest.h>

#include <cmath>

#include "pruners/pruner_test_util.h"

namespace gdsweep {

TEST_CASE("MakePruner builds every type; none never prunes") {
  for (PrunerType type :
       {PrunerType::kNone, PrunerType::kMedian, PrunerType::kPercentile,
        PrunerType::kSuccessiveHalving, PrunerType::kHyperband, PrunerType::kPatient}) {
    PrunerSpec spec;
    spec.type = type;
    CAPTURE(ToString(type));
    CHECK(MakePruner(spec).ok());
  }
  auto none = MakePruner(PrunerSpec{});
  std::vector<TrialRecord> h = {Trial(0, TrialState::kRunning, {{0, NAN}})};
  CHECK_FALSE(Judge(**none, h, 0).prune);
  CHECK_FALSE((*none)->ReadsHistory());
}

TEST_CASE("MakePruner refuses settings out of range, naming the setting") {
  PrunerSpec spec;
  spec.type = PrunerType::kMedian;
  spec.percentile.interval_steps = 0;
  auto made = MakePruner(spec);
  REQUIRE_FALSE(made.ok());
  CHECK(made.error().message == "pruner.interval_steps: must be at least 1, got 0");

  spec.type = PrunerType::kThreshold;  // neither lower nor upper
  CHECK(MakePruner(spec).error().message ==
        "pruner: a threshold pruner needs 'lower', 'upper' or both");

  PrunerSpec inner;
  inner.type = PrunerType::kPatient;
  spec.type = PrunerType::kPatient;
  spec.patient.wrapped_pruner = std::make_shared<const PrunerSpec>(inner);
  CHECK(MakePruner(spec).error().message.starts_with(
      "pruner.wrapped_pruner.type: a patient pruner cannot wrap another patient pruner"));

  inner.type = PrunerType::kHyperband;
  inner.hyperband.reduction_factor = 1;
  spec.patient.wrapped_pruner = std::make_shared<const PrunerSpec>(inner);
  CHECK(MakePruner(spec).error().message ==
        "pruner.wrapped_pruner.reduction_factor: must be at least 2, got 1");
}

}  // namespace gdsweep
