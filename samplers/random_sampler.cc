#include "samplers/random_sampler.h"

#include <cmath>

namespace gdsweep {
namespace {

double Between(double low, double high, Rng& rng) {
  double u = UniformDouble(rng);
  if (!std::isfinite(high - low)) return low * (1 - u) + high * u;  // e.g. [-1e308, 1e308]
  return low + u * (high - low);
}

double UniformOverGrid(const Distribution& d, Rng& rng) {
  auto k = UniformIndex(rng, static_cast<uint64_t>(*GridSize(d)));
  return GridValue(d, static_cast<int64_t>(k));
}

}  // namespace

double SampleUniform(const Distribution& d, Rng& rng) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    if (f->step) return UniformOverGrid(d, rng);
    if (f->log) return Snap(d, std::exp(Between(std::log(f->low), std::log(f->high), rng)));
    return Snap(d, Between(f->low, f->high, rng));
  }
  if (const auto* i = std::get_if<IntDistribution>(&d); i && i->log) {
    double low = std::log(static_cast<double>(i->low) - 0.5);
    double high = std::log(static_cast<double>(i->high) + 0.5);
    return Snap(d, std::exp(Between(low, high, rng)));
  }
  return UniformOverGrid(d, rng);  // int (any step) and categorical
}

Params UniformParams(const SearchSpace& space, uint64_t seed, int64_t trial_number,
                     const Params* given) {
  Params params;
  for (const auto& p : space) {
    if (!IsActive(p, params)) continue;
    if (given && given->count(p.name)) {
      params[p.name] = given->at(p.name);
      continue;
    }
    Rng rng = MakeRng(seed, trial_number, StreamId(p.name));
    params[p.name] = SampleUniform(p.distribution, rng);
  }
  return params;
}

Result<std::optional<Params>> RandomSampler::Sample(const SampleRequest& req) {
  return std::optional<Params>(UniformParams(req.space, seed_, req.trial_number, req.given));
}

}  // namespace gdsweep
