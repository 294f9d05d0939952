#include "sweeper/model/pruner_spec.h"

namespace gdsweep {

const char* ToString(PrunerType type) {
  switch (type) {
    case PrunerType::kNone:
      return "none";
    case PrunerType::kMedian:
      return "median";
    case PrunerType::kPercentile:
      return "percentile";
    case PrunerType::kSuccessiveHalving:
      return "successive_halving";
    case PrunerType::kHyperband:
      return "hyperband";
    case PrunerType::kThreshold:
      return "threshold";
    case PrunerType::kPatient:
      return "patient";
  }
  return "?";
}

}  // namespace gdsweep
