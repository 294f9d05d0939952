#include "samplers/qmc/unit_space.h"

#include <algorithm>
#include <cmath>

namespace gdsweep {
namespace {

// The interval the coordinate spans: of the value, or of its log.
struct Interval {
  double lo, hi;
  bool log;
};

Interval Bounds(const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    if (f->log) return {std::log(f->low), std::log(f->high), true};
    const double half = f->step ? *f->step / 2 : 0;
    return {f->low - half, f->high + half, false};
  }
  const auto& i = std::get<IntDistribution>(d);
  if (i.log) {
    return {std::log(static_cast<double>(i.low) - 0.5), std::log(static_cast<double>(i.high) + 0.5),
            true};
  }
  const double half = static_cast<double>(i.step) / 2;
  return {static_cast<double>(i.low) - half, static_cast<double>(i.high) + half, false};
}

}  // namespace

double ToUnit(const Distribution& d, double v) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    return (v + 0.5) / static_cast<double>(c->choices.size());
  }
  const Interval b = Bounds(d);
  if (!(b.hi > b.lo)) return 0.5;  // a single value
  const double x = b.log ? std::log(v) : v;
  return std::clamp((x - b.lo) / (b.hi - b.lo), 0.0, 1.0);
}

double FromUnit(const Distribution& d, double u) {
  u = std::clamp(std::isnan(u) ? 0.5 : u, 0.0, 1.0);
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    const auto n = static_cast<double>(c->choices.size());
    return std::min(std::floor(u * n), n - 1);
  }
  const Interval b = Bounds(d);
  double x = b.lo + u * (b.hi - b.lo);
  if (!std::isfinite(x)) x = b.lo * (1 - u) + b.hi * u;  // e.g. [-1e308, 1e308]
  return Snap(d, b.log ? std::exp(x) : x);
}

}  // namespace gdsweep
