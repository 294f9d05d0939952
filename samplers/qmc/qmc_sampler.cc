#include "samplers/qmc/qmc_sampler.h"

#include "samplers/qmc/low_discrepancy.h"
#include "samplers/qmc/unit_space.h"

namespace gdsweep {
namespace {

class QmcSampler final : public Sampler {
 public:
  QmcSampler(const QmcOptions& options, uint64_t seed)
      : kind_(options.qmc_type == "halton" ? QmcKind::kHalton : QmcKind::kSobol),
        scramble_seed_(options.scramble ? std::optional<uint64_t>(seed) : std::nullopt) {}

  Result<std::optional<Params>> Sample(const SampleRequest& req) override {
    const int dims = static_cast<int>(req.space.size());
    if (dims > kMaxQmcDimension) {
      return Error::Invalid("the qmc sampler handles at most " + std::to_string(kMaxQmcDimension) +
                            " parameters, the space has " + std::to_string(dims));
    }
    return std::optional<Params>(QmcParams(req.space, kind_ == QmcKind::kHalton, scramble_seed_,
                                           static_cast<uint64_t>(req.trial_number)));
  }

  bool ReadsHistory() const override { return false; }

 private:
  QmcKind kind_;
  std::optional<uint64_t> scramble_seed_;
};

}  // namespace

Params QmcParams(const SearchSpace& space, bool halton, std::optional<uint64_t> scramble_seed,
                 uint64_t index) {
  const auto u = QmcPoint(halton ? QmcKind::kHalton : QmcKind::kSobol,
                          static_cast<int>(space.size()), scramble_seed, index);
  Params params;
  for (size_t j = 0; j < space.size(); ++j) {
    params[space[j].name] = FromUnit(space[j].distribution, u[j]);
  }
  return params;
}

std::unique_ptr<Sampler> MakeQmcSampler(const QmcOptions& options, const SearchSpace&,
                                        uint64_t seed) {
  return std::make_unique<QmcSampler>(options, seed);
}

}  // namespace gdsweep
