#include "samplers/tpe/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "samplers/tpe/kernel_sums.h"
#include "samplers/tpe/truncnorm.h"

namespace gdsweep::tpe {
namespace {

constexpr double kParzenInf = std::numeric_limits<double>::infinity();
constexpr double kMinSigma = 1e-12;      // Optuna's floor without the magic clip
constexpr double kScottMagnitude = 0.2;  // Optuna's SIGMA0_MAGNITUDE (from BOHB)
// Beyond 8.5 bandwidths a tail holds < 1e-17 of the mass: Z is 1 to the last bit.
constexpr double kFar = 8.5;

// The mass of N(mu, sigma^2) outside [low, high] for a centre inside: only
// the bounds within kFar sigma contribute (a division only for those).
double Tails(const ParamDomain& dom, double mu, double sigma) {
  const double far = kFar * sigma;
  return (mu - dom.low < far ? Ndtr((dom.low - mu) / sigma) : 0) +
         (dom.high - mu < far ? Ndtr((mu - dom.high) / sigma) : 0);
}

// log Z, Z = the kernel's mass on [low, high].
double LogZ(const ParamDomain& dom, double mu, double sigma) {
  if (!(mu >= dom.low && mu <= dom.high)) {  // never from TPE: centres are observations
    return LogGaussMass((dom.low - mu) / sigma, (dom.high - mu) / sigma);
  }
  const double tails = Tails(dom, mu, sigma);
  return tails == 0 ? 0 : std::log1p(-tails);
}

// The step cell of a discrete value, in model space.
void Cell(const ParamDomain& dom, double model_x, double internal, double* lo, double* hi) {
  if (dom.log) {
    *lo = std::log(internal - 0.5);
    *hi = std::log(internal + 0.5);
  } else {
    *lo = model_x - 0.5 * dom.step;
    *hi = model_x + 0.5 * dom.step;
  }
}

bool IsSorted(const double* v, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    if (v[i] < v[i - 1]) return false;
  }
  return true;
}

}  // namespace

ParamDomain MakeDomain(const Distribution& d) {
  ParamDomain dom;
  dom.distribution = d;
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    if (f->step) {
      dom.kind = ParamDomain::Kind::kDiscrete;
      dom.step = *f->step;
      dom.low = f->low - 0.5 * dom.step;
      dom.high = f->high + 0.5 * dom.step;
    } else {
      dom.log = f->log;
      dom.low = f->log ? std::log(f->low) : f->low;
      dom.high = f->log ? std::log(f->high) : f->high;
    }
  } else if (const auto* i = std::get_if<IntDistribution>(&d)) {
    dom.kind = ParamDomain::Kind::kDiscrete;
    dom.log = i->log;
    if (i->log) {  // step 1: cells [k - 1/2, k + 1/2] in log space
      dom.low = std::log(static_cast<double>(i->low) - 0.5);
      dom.high = std::log(static_cast<double>(i->high) + 0.5);
    } else {
      dom.step = static_cast<double>(i->step);
      dom.low = static_cast<double>(i->low) - 0.5 * dom.step;
      dom.high = static_cast<double>(i->high) + 0.5 * dom.step;
    }
  } else {
    dom.kind = ParamDomain::Kind::kCategorical;
    dom.n_choices = static_cast<int>(std::get<CategoricalDistribution>(d).choices.size());
  }
  return dom;
}

double ToModel(const ParamDomain& dom, double internal) {
  if (!Contains(dom.distribution, internal)) return std::numeric_limits<double>::quiet_NaN();
  return dom.log ? std::log(internal) : internal;
}

void ParzenEstimator::Build(std::span<const ParamDomain* const> dims,
                            std::span<const double* const> columns, const double* weights, size_t n,
                            const EstimatorOptions& options) {
  options_ = options;
  univariate_ = dims.size() == 1 && !options.multivariate;
  has_prior_ = options.consider_prior || n == 0;
  const size_t n_kernels = n + (has_prior_ ? 1 : 0);

  weights_.assign(weights, weights + n);
  if (has_prior_) weights_.push_back(n == 0 ? 1.0 : options.prior_weight);
  double total = 0;
  for (double w : weights_) total += w;
  const double inv_total = 1 / total;
  for (double& w : weights_) w = total > 0 ? w * inv_total : 1.0 / static_cast<double>(n_kernels);
  cumulative_.resize(n_kernels);
  double acc = 0;
  for (size_t k = 0; k < n_kernels; ++k) cumulative_[k] = acc += weights_[k];

  dims_.resize(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    Dim& dim = dims_[d];
    const ParamDomain& dom = *dims[d];
    dim.dom = &dom;
    dim.mu.assign(columns[d], columns[d] + n);
    if (dom.kind == ParamDomain::Kind::kCategorical) {
      // Optuna's smoothed one-hot: every choice gets prior_weight / kernels,
      // the observed one 1 more; the prior kernel is uniform.
      if (has_prior_) dim.mu.push_back(-1);
      const double c = dom.n_choices;
      const double v = options.prior_weight / static_cast<double>(n_kernels);
      dim.log_hit = std::log((v + 1) / (c * v + 1));
      dim.log_miss = std::log(v / (c * v + 1));
      dim.log_prior = -std::log(c);
      dim.sigma.clear();
      dim.log_z.clear();
      continue;
    }
    const double range = dom.high - dom.low;
    if (has_prior_) dim.mu.push_back(0.5 * (dom.low + dom.high));
    dim.sigma.resize(n_kernels);
    if (univariate_) {
      SetUnivariateBandwidths(dim, n);
    } else {
      // Scott's rule over all dimensions, as BOHB and Optuna.
      double s = kScottMagnitude *
                 std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                          -1.0 / (static_cast<double>(dims.size()) + 4)) *
                 range;
      std::fill(dim.sigma.begin(), dim.sigma.end(), s);
    }
    const double min_sigma = options.consider_magic_clip
                                 ? range / std::min(100.0, 1.0 + static_cast<double>(n_kernels))
                                 : kMinSigma;
    for (size_t k = 0; k < n; ++k) dim.sigma[k] = std::clamp(dim.sigma[k], min_sigma, range);
    if (has_prior_) dim.sigma[n] = range;
    dim.log_z.clear();
    if (univariate_ && dom.kind == ParamDomain::Kind::kContinuous) continue;  // Prepare has Z
    dim.log_z.resize(n_kernels);
    for (size_t k = 0; k < n_kernels; ++k) dim.log_z[k] = LogZ(dom, dim.mu[k], dim.sigma[k]);
  }
  if (univariate_ && options.weight_by_bandwidth &&
      dims_[0].dom->kind == ParamDomain::Kind::kContinuous) {
    // Kernel weights proportional to weight x bandwidth: every kernel gets
    // the same peak height for the same weight (see EstimatorOptions).
    double sum = 0;
    for (size_t k = 0; k < n_kernels; ++k) sum += weights_[k] *= dims_[0].sigma[k];
    const double inv_sum = 1 / sum;
    double cum = 0;
    for (size_t k = 0; k < n_kernels; ++k) cumulative_[k] = cum += weights_[k] *= inv_sum;
  }
  if (univariate_) {
    PrepareUnivariate();
  } else {
    PrepareMultivariate();
  }
}

// Optuna's univariate rule: a kernel's bandwidth is the larger gap to its
// neighbours among all centres (the prior's included) and the two bounds;
// without consider_endpoints the outermost kernels use their inner gap.
void ParzenEstimator::SetUnivariateBandwidths(Dim& dim, size_t n) {
  const size_t n_kernels = dim.mu.size();
  order_.resize(n_kernels);
  if (IsSorted(dim.mu.data(), n)) {
    // The usual case: place the prior among the sorted observations.
    size_t p = n;
    if (has_prior_) {
      p = static_cast<size_t>(std::upper_bound(dim.mu.begin(), dim.mu.begin() + n, dim.mu[n]) -
                              dim.mu.begin());
    }
    for (size_t i = 0; i < p; ++i) order_[i] = i;
    if (has_prior_) order_[p] = n;
    for (size_t i = p; i < n; ++i) order_[i + (has_prior_ ? 1 : 0)] = i;
  } else {
    for (size_t i = 0; i < n_kernels; ++i) order_[i] = i;
    std::stable_sort(order_.begin(), order_.end(),
                     [&](size_t a, size_t b) { return dim.mu[a] < dim.mu[b]; });
  }
  // Sorted centres framed by the bounds.
  auto& s = sorted_scratch_;
  s.resize(n_kernels + 2);
  s[0] = dim.dom->low;
  for (size_t i = 0; i < n_kernels; ++i) s[i + 1] = dim.mu[order_[i]];
  s[n_kernels + 1] = dim.dom->high;
  for (size_t i = 0; i < n_kernels; ++i) {
    dim.sigma[order_[i]] = std::max(s[i + 1] - s[i], s[i + 2] - s[i + 1]);
  }
  if (!options_.consider_endpoints && n_kernels >= 2) {
    dim.sigma[order_[0]] = s[2] - s[1];
    dim.sigma[order_[n_kernels - 1]] = s[n_kernels] - s[n_kernels - 1];
  }
}

void ParzenEstimator::PrepareUnivariate() {
  const Dim& dim = dims_[0];
  const size_t n_kernels = weights_.size();
  switch (dim.dom->kind) {
    case ParamDomain::Kind::kContinuous: {
      // coef = w / (sigma Z), kernels in sorted order (order_, from the
      // bandwidths) so that the sum can skip far blocks.
      fast_mu_.resize(n_kernels);
      fast_inv_sigma_.resize(n_kernels);
      fast_coef_.resize(n_kernels);
      // Most bandwidths are the clipped minimum: divide once per distinct one.
      double sigma = 0, inv_sigma = 0;
      for (size_t i = 0; i < n_kernels; ++i) {
        const size_t k = order_[i];
        const double mu = dim.mu[k];
        if (dim.sigma[k] != sigma) inv_sigma = 1 / (sigma = dim.sigma[k]);
        const double tails = Tails(*dim.dom, mu, sigma);
        fast_mu_[i] = mu;
        fast_inv_sigma_[i] = inv_sigma;
        fast_coef_[i] =
            tails == 0 ? weights_[k] * inv_sigma : weights_[k] * inv_sigma / (1 - tails);
      }
      gaussian_sum_.Assign(fast_mu_, fast_inv_sigma_, fast_coef_);
      break;
    }
    case ParamDomain::Kind::kDiscrete: {
      // Observations sit on the grid, so many kernels coincide: merge those
      // with equal centre and bandwidth (neighbours in sorted order), keeping
      // log(total weight / Z).
      fast_mu_.clear();
      fast_inv_sigma_.clear();
      fast_coef_.clear();
      double w = 0;
      for (size_t i = 0; i < n_kernels; ++i) {
        size_t k = order_[i];
        w += weights_[k];
        bool last = i + 1 == n_kernels;
        if (last || dim.mu[order_[i + 1]] != dim.mu[k] ||
            dim.sigma[order_[i + 1]] != dim.sigma[k]) {
          fast_mu_.push_back(dim.mu[k]);
          fast_inv_sigma_.push_back(1 / dim.sigma[k]);
          fast_coef_.push_back(std::log(w) - dim.log_z[k]);
          w = 0;
        }
      }
      terms_.resize(PaddedSize(fast_mu_.size()));
      std::fill(terms_.begin(), terms_.end(), -kParzenInf);
      break;
    }
    case ParamDomain::Kind::kCategorical: {
      const int c = dim.dom->n_choices;
      choice_log_prob_.assign(static_cast<size_t>(c), 0);
      double hit = std::exp(dim.log_hit), miss = std::exp(dim.log_miss);
      double observed = 0, prior = 0;
      for (size_t k = 0; k < n_kernels; ++k) {
        if (dim.mu[k] < 0) {
          prior += weights_[k];
        } else {
          observed += weights_[k];
          choice_log_prob_[static_cast<size_t>(dim.mu[k])] += weights_[k];
        }
      }
      for (auto& p : choice_log_prob_) {
        p = std::log(observed * miss + p * (hit - miss) + prior / c);
      }
      break;
    }
  }
}

void ParzenEstimator::PrepareMultivariate() {
  const size_t n_kernels = weights_.size();
  const size_t padded = PaddedSize(n_kernels);
  const bool by_bandwidth = options_.weight_by_bandwidth;
  base_.assign(padded, -kParzenInf);
  for (size_t k = 0; k < n_kernels; ++k) base_[k] = std::log(weights_[k]);
  // With weight_by_bandwidth, kernel k is scored with weight w_k x the
  // product of its continuous bandwidths, over their sum (see
  // EstimatorOptions): its own 1/sigma factors cancel, and terms_ collects
  // log(w_k x product) for the sum.
  terms_.assign(base_.begin(), base_.end());
  // Continuous dimensions keep their centres and 1/sigma padded, one block
  // per dimension.
  fast_mu_.assign(padded * dims_.size(), 0);
  fast_inv_sigma_.assign(padded * dims_.size(), 0);
  for (size_t d = 0; d < dims_.size(); ++d) {
    const Dim& dim = dims_[d];
    switch (dim.dom->kind) {
      case ParamDomain::Kind::kContinuous: {
        // Bandwidths repeat (one per dimension, and the prior's): one log
        // per distinct value.
        double sigma = 0, log_sigma = 0;
        for (size_t k = 0; k < n_kernels; ++k) {
          if (dim.sigma[k] != sigma) log_sigma = std::log(sigma = dim.sigma[k]);
          if (by_bandwidth) {
            terms_[k] += log_sigma;
            base_[k] -= dim.log_z[k] + kHalfLog2Pi;
          } else {
            base_[k] -= log_sigma + dim.log_z[k] + kHalfLog2Pi;
          }
          fast_mu_[d * padded + k] = dim.mu[k];
          fast_inv_sigma_[d * padded + k] = 1 / sigma;
        }
        break;
      }
      case ParamDomain::Kind::kDiscrete:
        for (size_t k = 0; k < n_kernels; ++k) base_[k] -= dim.log_z[k];
        break;
      case ParamDomain::Kind::kCategorical:
        break;
    }
  }
  if (by_bandwidth) {
    const double log_sum = LogSumExp(terms_.data(), padded);
    for (size_t k = 0; k < n_kernels; ++k) base_[k] -= log_sum;
  }
  terms_.resize(padded);
}

double ParzenEstimator::DiscreteLogMass(const Dim& dim, size_t k, double model_x,
                                        double internal) const {
  double lo, hi;
  Cell(*dim.dom, model_x, internal, &lo, &hi);
  return LogCellMass((lo - dim.mu[k]) / dim.sigma[k], (hi - dim.mu[k]) / dim.sigma[k]);
}

double ParzenEstimator::UnivariateLogPdf(double model_x, double internal) {
  const Dim& dim = dims_[0];
  const ParamDomain& dom = *dim.dom;
  switch (dom.kind) {
    case ParamDomain::Kind::kContinuous:
      if (!(model_x >= dom.low && model_x <= dom.high)) return -kParzenInf;
      return gaussian_sum_.LogSum(model_x) - kHalfLog2Pi;
    case ParamDomain::Kind::kDiscrete: {
      double lo, hi;
      Cell(dom, model_x, internal, &lo, &hi);
      for (size_t k = 0; k < fast_mu_.size(); ++k) {
        const double inv_sigma = fast_inv_sigma_[k];
        terms_[k] = fast_coef_[k] +
                    LogCellMass((lo - fast_mu_[k]) * inv_sigma, (hi - fast_mu_[k]) * inv_sigma);
      }
      return LogSumExp(terms_.data(), terms_.size());
    }
    case ParamDomain::Kind::kCategorical:
      return choice_log_prob_[static_cast<size_t>(internal)];
  }
  return -kParzenInf;
}

void ParzenEstimator::Sample(Rng& rng, size_t count, double* out) const {
  const size_t n_dims = dims_.size();
  for (size_t c = 0; c < count; ++c) {
    double u = UniformDouble(rng) * cumulative_.back();
    size_t k = static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) -
                                   cumulative_.begin());
    k = std::min(k, cumulative_.size() - 1);
    for (size_t d = 0; d < n_dims; ++d) {
      const Dim& dim = dims_[d];
      const ParamDomain& dom = *dim.dom;
      double& v = out[c * n_dims + d];
      if (dom.kind == ParamDomain::Kind::kCategorical) {
        const int n_choices = dom.n_choices;
        double q = UniformDouble(rng);
        if (dim.mu[k] < 0) {
          v = std::min(std::floor(q * n_choices), n_choices - 1.0);
          continue;
        }
        const double hit = std::exp(dim.log_hit), miss = std::exp(dim.log_miss);
        double cum = 0;
        v = n_choices - 1.0;
        for (int j = 0; j < n_choices; ++j) {
          cum += j == static_cast<int>(dim.mu[k]) ? hit : miss;
          if (q < cum) {
            v = j;
            break;
          }
        }
        continue;
      }
      const double mu = dim.mu[k], sigma = dim.sigma[k];
      double z = TruncNormPpf(UniformDouble(rng), (dom.low - mu) / sigma, (dom.high - mu) / sigma);
      double x = std::clamp(mu + sigma * z, dom.low, dom.high);
      v = Snap(dom.distribution, dom.log ? std::exp(x) : x);
    }
  }
}

void ParzenEstimator::LogPdf(const double* points, size_t count, double* out) {
  const size_t n_dims = dims_.size();
  if (univariate_) {
    const bool discrete = dims_[0].dom->kind == ParamDomain::Kind::kDiscrete;
    for (size_t c = 0; c < count; ++c) {
      const double internal = points[c];
      // Discrete candidates repeat; each distinct value is evaluated once.
      size_t same = c;
      if (discrete) {
        for (size_t j = 0; j < c; ++j) {
          if (points[j] == internal) {
            same = j;
            break;
          }
        }
      }
      if (same < c) {
        out[c] = out[same];
        continue;
      }
      const double x = ToModel(*dims_[0].dom, internal);
      out[c] = std::isnan(x) ? -kParzenInf : UnivariateLogPdf(x, internal);
    }
    return;
  }
  const size_t n_kernels = weights_.size();
  const size_t padded = base_.size();
  for (size_t c = 0; c < count; ++c) {
    std::copy(base_.begin(), base_.end(), terms_.begin());
    bool inside = true;
    for (size_t d = 0; d < n_dims && inside; ++d) {
      const Dim& dim = dims_[d];
      const double internal = points[c * n_dims + d];
      const double x = ToModel(*dim.dom, internal);
      if (std::isnan(x)) {
        inside = false;
        break;
      }
      switch (dim.dom->kind) {
        case ParamDomain::Kind::kContinuous:
          AddGaussianExponents(x, fast_mu_.data() + d * padded, fast_inv_sigma_.data() + d * padded,
                               terms_.data(), padded);
          break;
        case ParamDomain::Kind::kDiscrete:
          for (size_t k = 0; k < n_kernels; ++k) terms_[k] += DiscreteLogMass(dim, k, x, internal);
          break;
        case ParamDomain::Kind::kCategorical:
          for (size_t k = 0; k < n_kernels; ++k) {
            terms_[k] += dim.mu[k] < 0           ? dim.log_prior
                         : dim.mu[k] == internal ? dim.log_hit
                                                 : dim.log_miss;
          }
          break;
      }
    }
    out[c] = inside ? LogSumExp(terms_.data(), padded) : -kParzenInf;
  }
}

}  // namespace gdsweep::tpe
