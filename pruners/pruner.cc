#include "pruners/pruner.h"

#include "pruners/hyperband_pruner.h"
#include "pruners/patient_pruner.h"
#include "pruners/percentile_pruner.h"
#include "pruners/pruner_spec_check.h"
#include "pruners/successive_halving_pruner.h"
#include "pruners/threshold_pruner.h"

namespace gdsweep {
namespace {

class NopPruner : public Pruner {
 public:
  PruneDecision Prune(const PruneRequest&) override { return {}; }
  bool ReadsHistory() const override { return false; }
};

}  // namespace

Result<std::unique_ptr<Pruner>> MakePruner(const PrunerSpec& spec) {
  if (auto problem = CheckPrunerSpec(spec)) {
    const std::string key = problem->key.empty() ? "pruner" : "pruner." + problem->key;
    return Error::Invalid(key + ": " + problem->message);
  }
  switch (spec.type) {
    case PrunerType::kNone:
      return std::unique_ptr<Pruner>(std::make_unique<NopPruner>());
    case PrunerType::kMedian: {
      PercentileOptions median = spec.percentile;
      median.percentile = 50.0;
      return std::unique_ptr<Pruner>(std::make_unique<PercentilePruner>(median));
    }
    case PrunerType::kPercentile:
      return std::unique_ptr<Pruner>(std::make_unique<PercentilePruner>(spec.percentile));
    case PrunerType::kSuccessiveHalving:
      return std::unique_ptr<Pruner>(
          std::make_unique<SuccessiveHalvingPruner>(spec.successive_halving));
    case PrunerType::kHyperband:
      return std::unique_ptr<Pruner>(std::make_unique<HyperbandPruner>(spec.hyperband));
    case PrunerType::kThreshold:
      return std::unique_ptr<Pruner>(std::make_unique<ThresholdPruner>(spec.threshold));
    case PrunerType::kPatient: {
      std::unique_ptr<Pruner> wrapped;
      if (const auto& inner = spec.patient.wrapped_pruner) {
        auto made = MakePruner(*inner);
        if (!made) return made.error();
        wrapped = std::move(*made);
      }
      return std::unique_ptr<Pruner>(
          std::make_unique<PatientPruner>(spec.patient, std::move(wrapped)));
    }
  }
  return Error::Internal("unknown pruner type");
}

}  // namespace gdsweep
