#include "samplers/numeric_space.h"

#include <cmath>

namespace gdsweep {

bool IsNumeric(const Distribution& d) {
  return !std::holds_alternative<CategoricalDistribution>(d) && !IsSingle(d);
}

NumericSpace::NumericSpace(const SearchSpace& space, bool widen_steps) {
  for (size_t p = 0; p < space.size(); ++p) {
    const Distribution& d = space[p].distribution;
    if (!IsNumeric(d)) continue;
    double low = 0, high = 0, half = 0;
    bool log = false;
    if (const auto* f = std::get_if<FloatDistribution>(&d)) {
      low = f->low;
      high = f->high;
      log = f->log;
      half = f->step && widen_steps ? *f->step / 2 : 0;
    } else {
      const auto& i = std::get<IntDistribution>(d);
      low = static_cast<double>(i.low);
      high = static_cast<double>(i.high);
      log = i.log;
      half = widen_steps ? static_cast<double>(i.step) / 2 : 0;
    }
    index_.push_back(p);
    dists_.push_back(d);
    log_.push_back(log);
    names_.push_back(space[p].name);
    lower_.push_back(log ? std::log(low - half) : low - half);
    upper_.push_back(log ? std::log(high + half) : high + half);
  }
}

double NumericSpace::Encode(size_t i, double internal) const {
  return log_[i] ? std::log(internal) : internal;
}

double NumericSpace::Decode(size_t i, double x) const {
  return Snap(dists_[i], log_[i] ? std::exp(x) : x);
}

}  // namespace gdsweep
