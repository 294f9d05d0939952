#include "samplers/sampler.h"

namespace gdsweep {

Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space,
                                             uint64_t seed) {
  (void)space;
  (void)seed;
  return Error::Invalid("unknown sampler '" + spec.type + "'");
}

}  // namespace gdsweep
