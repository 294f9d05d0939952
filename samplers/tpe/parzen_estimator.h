// The Parzen estimator of TPE: a weighted mixture with one kernel per observed
// trial plus a prior kernel, over one parameter (univariate TPE) or over several
// at once with shared kernel centres (multivariate TPE). Numerical parameters
// get truncated-normal kernels (log scale in log space; stepped and integer
// parameters discretised: the kernel's mass over the value's step cell),
// categorical ones Optuna's smoothed one-hot kernels. Bandwidths follow
// Optuna: neighbour gaps with the "magic clip" (univariate), Scott's rule
// (multivariate); kernels are scored as Optuna 3.1 scores them
// (EstimatorOptions::weight_by_bandwidth). Not thread-safe: an estimator
// keeps scratch buffers, so that rebuilding it for every trial allocates
// nothing once warm.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "samplers/seeding.h"
#include "samplers/tpe/kernel_sums.h"
#include "sweeper/model/distribution.h"

namespace gdsweep::tpe {

// One parameter as the estimators see it: observations and kernels live in
// "model space", the log of the value for log-scale parameters, the value
// itself otherwise, the choice index for categorical ones.
struct ParamDomain {
  enum class Kind { kContinuous, kDiscrete, kCategorical };
  Kind kind = Kind::kContinuous;
  bool log = false;
  // The support in model space: the bounds, widened by half a step for
  // stepped and integer parameters (log(low - 1/2), log(high + 1/2) for log
  // integers), as Optuna's adapted bounds.
  double low = 0;
  double high = 0;
  double step = 0;            // discrete on a linear grid: the step; log integers: 0
  int n_choices = 0;          // categorical
  Distribution distribution;  // to snap drawn values onto the grid
};

ParamDomain MakeDomain(const Distribution& d);

// The model-space value of a parameter value (Optuna's internal
// representation); NaN when the value is not one the distribution can produce.
double ToModel(const ParamDomain& dom, double internal);

struct EstimatorOptions {
  bool consider_prior = true;       // add the prior kernel (forced when there are no observations)
  double prior_weight = 1.0;        // its weight, relative to observation weights
  bool consider_magic_clip = true;  // lower-bound bandwidths by range / min(100, 1 + kernels)
  bool consider_endpoints = false;  // let the bounds shape the outermost kernels' bandwidths
  bool multivariate = false;        // Scott's-rule bandwidths over all dimensions
  // Score kernels as Optuna up to 3.4 (Debian's 3.1 included) does: without
  // their 1/sigma factors (fixed in 3.5, optuna#5110), which ranks candidates
  // exactly as a normalised mixture whose kernel k weighs weight_k x (its
  // bandwidth, multivariate: the product of its continuous dimensions'
  // bandwidths). Discrete and categorical kernels are masses: not weighed.
  //  - Univariate: a kernel's peak height no longer grows as its bandwidth
  //    shrinks; drawing uses the same mixture. bench/tpe (200 seeds) measured
  //    the textbook mixture (false) to over-exploit tight clusters of good
  //    trials and lose on all five problems, and drawing by the plain weights
  //    (Optuna 3.1's choice) slightly worse than this.
  //  - Multivariate: every observation shares the bandwidths, so only the
  //    wide prior kernel gains, by prod_d(range_d / sigma_d) (~10^3..10^5 at
  //    4-6 parameters): a floor under l and g away from the data, where the
  //    textbook ratio l/g grows with the distance (g's Scott bandwidths are
  //    narrower than l's; the textbook prior is too low to matter) and
  //    favours candidates in empty regions. Drawing
  //    keeps the plain weights: drawn by the scored ones, ~all candidates
  //    would come from the prior. bench/tpe: without this, worse than
  //    Optuna's multivariate TPE on Hartmann-6, Rosenbrock-4, Ackley-5.
  // Internal: not a study-file key (docs/benchmarks.md, "Multivariate").
  bool weight_by_bandwidth = true;
};

class ParzenEstimator {
 public:
  // Builds the mixture over n observations: column[d][i] is observation i of
  // dimension dims[d] in model space, weights[i] > 0 its weight (normalised
  // here together with the prior's). A univariate estimator (one dimension,
  // !multivariate) computes bandwidths from neighbours and is fastest when the
  // column is sorted ascending; any order gives the same mixture. The
  // estimator keeps the dims pointers: they must outlive its use.
  void Build(std::span<const ParamDomain* const> dims, std::span<const double* const> columns,
             const double* weights, size_t n, const EstimatorOptions& options);

  // Draws `count` points; point c's value of dimension d, a parameter value
  // the distribution contains, goes to out[c * dims + d]. Kernels are picked
  // by weights() (multivariate: not the scored weights, see
  // EstimatorOptions::weight_by_bandwidth).
  void Sample(Rng& rng, size_t count, double* out) const;

  // log density (log probability for discrete and categorical dimensions) of
  // each of `count` points laid out as Sample's output, under the scored
  // mixture (a density either way); -inf outside.
  void LogPdf(const double* points, size_t count, double* out);

  // The mixture, for tests: kernel k's drawing weight and, per dimension, its centre
  // and bandwidth (categorical: the observed index, -1 for the prior).
  size_t kernel_count() const { return weights_.size(); }
  const std::vector<double>& weights() const { return weights_; }
  const std::vector<double>& mus(size_t d) const { return dims_[d].mu; }
  const std::vector<double>& sigmas(size_t d) const { return dims_[d].sigma; }

 private:
  struct Dim {
    const ParamDomain* dom = nullptr;
    std::vector<double> mu;     // per kernel; categorical: the index (-1: prior)
    std::vector<double> sigma;  // per kernel; categorical: unused
    std::vector<double> log_z;  // log mass of kernel k on [low, high]
    // categorical: log of a kernel's probability of its own choice, of any
    // other choice, and of each choice under the prior kernel.
    double log_hit = 0, log_miss = 0, log_prior = 0;
  };

  void SetUnivariateBandwidths(Dim& dim, size_t n);
  void PrepareUnivariate();
  void PrepareMultivariate();
  double UnivariateLogPdf(double model_x, double internal);
  double DiscreteLogMass(const Dim& dim, size_t k, double model_x, double internal) const;

  EstimatorOptions options_;
  std::vector<Dim> dims_;
  std::vector<double> weights_;  // normalised, prior last
  std::vector<double> cumulative_;
  bool has_prior_ = false;
  bool univariate_ = false;

  // Univariate continuous: the kernels as a GaussianSum, coefficient
  // weight / (sigma Z); univariate discrete: kernels with equal centre and
  // bandwidth merged, log(weight / Z) per merged kernel; univariate
  // categorical: the mixture's log probability of each choice. Multivariate:
  // centres and 1/sigma of continuous dimensions, padded, one block each.
  GaussianSum gaussian_sum_;
  std::vector<double> fast_mu_, fast_inv_sigma_, fast_coef_;
  std::vector<double> choice_log_prob_;
  // Multivariate: log(weight) minus every dimension's normalisation, and the
  // per-point scratch of log terms, padded.
  std::vector<double> base_, terms_;
  std::vector<double> inv_sigma_scratch_;
  std::vector<size_t> order_;
  std::vector<double> sorted_scratch_;
};

}  // namespace gdsweep::tpe
