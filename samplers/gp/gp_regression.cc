#include "samplers/gp/gp_regression.h"

#include <LBFGSB.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "samplers/seeding.h"

namespace gdsweep::gp {
namespace {

using Eigen::ArrayXd;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// Bounds of the fitted log-hyperparameters: lengthscales from 0.01 to 100
// on the unit cube, a scale from 1e-4 to 100 and noise up to 2 (the targets
// are standardised: variance 1).
constexpr double kLogRhoLow = -9.2, kLogRhoHigh = 9.2;
constexpr double kLogScaleLow = -9.2, kLogScaleHigh = 4.6;
constexpr double kLogNoiseLow = -13.8, kLogNoiseHigh = 0.7;

}  // namespace

struct GpRegressor::Impl {
  MatrixXd x;  // n x dims: column i holds coordinate i of every point
  VectorXd y;
  std::vector<bool> categorical;
  KernelParams params;
  int fitted_hyperparameters = 0;
  Eigen::LLT<MatrixXd> llt;
  VectorXd alpha;  // K^-1 y

  int dims() const { return static_cast<int>(categorical.size()); }
  int n() const { return static_cast<int>(x.rows()); }

  // Coordinates of point j.
  std::vector<double> Point(int j) const {
    std::vector<double> point(static_cast<size_t>(dims()));
    for (int i = 0; i < dims(); ++i) point[static_cast<size_t>(i)] = x(j, i);
    return point;
  }

  // The additive exponentials of x for params (Condition() makes them).
  AdditiveExponentials exps;

  // k(point, x_j) for every j into k; with dk (n x dims), the gradients.
  void KernelAt(const double* point, const KernelParams& p, double* k, MatrixXd* dk) const {
    if (dk) dk->resize(n(), dims());
    KernelColumn(point, x.data(), static_cast<size_t>(n()), p, categorical, k,
                 dk ? dk->data() : nullptr, &p == &params ? &exps : nullptr);
  }

  MatrixXd Gram(const KernelParams& p) const {
    const int m = n();
    MatrixXd k(m, m);
    for (int j = 0; j < m; ++j) KernelAt(Point(j).data(), p, k.col(j).data(), nullptr);
    k.diagonal().array() += p.noise_var;
    return k;
  }

  // Factorises K with a growing jitter if it is not numerically positive.
  static Eigen::LLT<MatrixXd> Factor(MatrixXd k) {
    Eigen::LLT<MatrixXd> llt(k);
    double jitter = 1e-8;
    while (llt.info() != Eigen::Success && jitter < 1) {
      k.diagonal().array() += jitter;
      llt.compute(k);
      jitter *= 10;
    }
    return llt;
  }

  void Condition() {
    exps = PrecomputeAdditiveExponentials(x.data(), static_cast<size_t>(n()), params, categorical);
    llt = Factor(Gram(params));
    alpha = llt.solve(y);
  }

  // Per dimension, over the pairs (j > l, row-major over j): the squared
  // difference (or mismatch) of the two points, for fitting: each evaluation
  // then weighs them by rho instead of recomputing them. n^2 d / 2 doubles.
  std::vector<ArrayXd> pair_diff2;

  void PrecomputePairs() {
    const int m = n(), d = dims();
    const Eigen::Index pairs = static_cast<Eigen::Index>(m) * (m - 1) / 2;
    pair_diff2.assign(static_cast<size_t>(d), ArrayXd(pairs));
    for (int i = 0; i < d; ++i) {
      ArrayXd& out = pair_diff2[static_cast<size_t>(i)];
      const bool cat = categorical[static_cast<size_t>(i)];
      Eigen::Index at = 0;
      for (int j = 0; j < m; ++j) {
        for (int l = 0; l < j; ++l, ++at) {
          const double a = x(j, i), b = x(l, i);
          const double diff = cat ? (a != b ? 1.0 : 0.0) : a - b;
          out(at) = diff * diff;
        }
      }
    }
  }

  // What one likelihood evaluation needs, kept between evaluations: above
  // glibc's mmap threshold each fresh n x n matrix costs page faults.
  struct Workspace {
    MatrixXd k, w;
    Eigen::LLT<MatrixXd> factor;
    ArrayXd pair_k, pair_w;  // per pair: k (no noise), then W
    // Per pair, the ARD term's dk/d(d2) and value; per dimension and pair,
    // the additive components' Matern values and their derivatives over
    // log(rho_i).
    ArrayXd pair_dk, pair_ard;
    std::vector<ArrayXd> component, dcomponent;
  };

  // Per pair, k and what the gradient needs, from the precomputed differences.
  void PairKernel(const KernelParams& p, bool with_gradient, Workspace& ws) const {
    const auto d = static_cast<size_t>(dims());
    const Eigen::Index pairs = static_cast<Eigen::Index>(n()) * (n() - 1) / 2;
    ws.pair_k = ArrayXd::Zero(pairs);
    if (HasArdTerm(p.kind)) {
      const auto& rho = p.inverse_squared_lengthscales;
      ArrayXd d2 = ArrayXd::Zero(pairs);
      for (size_t i = 0; i < d; ++i) d2 += rho[i] * pair_diff2[i];
      const ArrayXd s = (5 * d2).sqrt(), e = (-s).exp();
      ws.pair_ard = p.scale * (1 + s + s.square() / 3) * e;
      ws.pair_k += ws.pair_ard;
      if (with_gradient) ws.pair_dk = p.scale * (-5.0 / 6.0) * (1 + s) * e;
    }
    if (HasAdditiveTerm(p.kind)) {
      const auto& rho = p.component_inverse_squared_lengthscales;
      ws.component.resize(d);
      ws.dcomponent.resize(d);
      for (size_t i = 0; i < d; ++i) {
        const ArrayXd s = (5 * rho[i] * pair_diff2[i]).sqrt(), e = (-s).exp();
        ws.component[i] = (1 + s + s.square() / 3) * e;
        ws.pair_k += p.component_scales[i] * ws.component[i];
        // d/d log(rho) of the Matern value: -(s^2 / 6) (1 + s) exp(-s).
        if (with_gradient) ws.dcomponent[i] = -(s.square() / 6) * (1 + s) * e;
      }
    }
  }

  // -(log marginal likelihood + log prior) and its gradient over theta
  // (layout: ThetaSize below; needs PrecomputePairs()).
  double NegLogPosterior(const KernelParams& p, bool fit_noise, VectorXd* grad,
                         Workspace& ws) const {
    const int m = n();
    const auto d = static_cast<size_t>(dims());
    PairKernel(p, grad != nullptr, ws);
    MatrixXd& k = ws.k;
    k.resize(m, m);
    const double diagonal = PriorVariance(p) + p.noise_var;
    Eigen::Index at = 0;
    for (int j = 0; j < m; ++j) {
      k(j, j) = diagonal;
      for (int l = 0; l < j; ++l, ++at) k(j, l) = k(l, j) = ws.pair_k(at);
    }
    auto& factor = ws.factor;
    factor.compute(k);
    for (double jitter = 1e-8; factor.info() != Eigen::Success && jitter < 1; jitter *= 10) {
      k.diagonal().array() += jitter;
      factor.compute(k);
    }
    const VectorXd a = factor.solve(y);
    double log_det = 0;
    const MatrixXd& chol = factor.matrixLLT();
    for (int j = 0; j < m; ++j) log_det += 2 * std::log(chol(j, j));
    const double lml = -0.5 * y.dot(a) - 0.5 * log_det - 0.5 * m * std::log(2 * std::numbers::pi);
    const double value = -(lml + LogPrior(p));
    if (!grad) return value;

    // d lml / d theta = 0.5 tr((a a^T - K^-1) dK/dtheta); each pair (j, l)
    // stands for (j, l) and (l, j), so its 0.5 cancels.
    MatrixXd& w = ws.w;
    w.setIdentity(m, m);
    factor.solveInPlace(w);
    w = a * a.transpose() - w;
    ws.pair_w.resize(ws.pair_k.size());
    at = 0;
    for (int j = 0; j < m; ++j) {
      for (int l = 0; l < j; ++l, ++at) ws.pair_w(at) = w(j, l);
    }
    const double half_trace = 0.5 * w.trace();
    const auto prior = LogPriorGrad(p);
    VectorXd g = VectorXd::Zero(grad->size());
    Eigen::Index next = 0;
    if (HasArdTerm(p.kind)) {
      const auto& rho = p.inverse_squared_lengthscales;
      const ArrayXd common = ws.pair_w * ws.pair_dk;
      for (size_t i = 0; i < d; ++i) {
        g(next++) = rho[i] * (common * pair_diff2[i]).sum() + prior.log_rho[i];
      }
      // dK/dlog(scale) = the ARD term; M(0) = 1 on the diagonal.
      g(next++) = half_trace * p.scale + (ws.pair_w * ws.pair_ard).sum() + prior.log_scale;
    }
    if (HasAdditiveTerm(p.kind)) {
      for (size_t i = 0; i < d; ++i) {
        g(next++) = p.component_scales[i] * (ws.pair_w * ws.dcomponent[i]).sum() +
                    prior.log_component_rho[i];
      }
      for (size_t i = 0; i < d; ++i) {
        g(next++) = p.component_scales[i] * (half_trace + (ws.pair_w * ws.component[i]).sum()) +
                    prior.log_component_scales[i];
      }
    }
    if (fit_noise) g(next) = half_trace * (p.noise_var - kMinNoiseVar) + prior.log_noise;
    *grad = -g;
    return value;
  }
};

namespace {

// theta: for the ARD term log(rho_i) of each dimension and log(scale); for
// the additive term log(component rho_i) and then log(component scale_i) of
// each dimension; then log(noise_var - kMinNoiseVar) when the noise is fitted.
int ThetaSize(KernelKind kind, int dims, bool fit_noise) {
  return (HasArdTerm(kind) ? dims + 1 : 0) + (HasAdditiveTerm(kind) ? 2 * dims : 0) +
         (fit_noise ? 1 : 0);
}

KernelParams FromTheta(const VectorXd& theta, KernelKind kind, int dims, bool fit_noise) {
  KernelParams p;
  p.kind = kind;
  Eigen::Index next = 0;
  if (HasArdTerm(p.kind)) {
    for (int i = 0; i < dims; ++i)
      p.inverse_squared_lengthscales.push_back(std::exp(theta(next++)));
    p.scale = std::exp(theta(next++));
  }
  if (HasAdditiveTerm(p.kind)) {
    for (int i = 0; i < dims; ++i) {
      p.component_inverse_squared_lengthscales.push_back(std::exp(theta(next++)));
    }
    for (int i = 0; i < dims; ++i) p.component_scales.push_back(std::exp(theta(next++)));
  }
  p.noise_var = kMinNoiseVar + (fit_noise ? std::exp(theta(next)) : 0.0);
  return p;
}

// theta of params (the inverse of FromTheta), or nullopt when params are of
// another kernel or size; clamped into the fit's bounds.
std::optional<VectorXd> ToTheta(const KernelParams& p, KernelKind kind, int dims, bool fit_noise) {
  const auto d = static_cast<size_t>(dims);
  if (p.kind != kind) return std::nullopt;
  if (HasArdTerm(kind) && p.inverse_squared_lengthscales.size() != d) return std::nullopt;
  if (HasAdditiveTerm(kind) &&
      (p.component_inverse_squared_lengthscales.size() != d || p.component_scales.size() != d)) {
    return std::nullopt;
  }
  VectorXd theta(ThetaSize(kind, dims, fit_noise));
  Eigen::Index next = 0;
  auto put = [&](double value, double low, double high) {
    theta(next++) = std::clamp(std::log(std::max(value, 1e-300)), low, high);
  };
  if (HasArdTerm(kind)) {
    for (double rho : p.inverse_squared_lengthscales) put(rho, kLogRhoLow, kLogRhoHigh);
    put(p.scale, kLogScaleLow, kLogScaleHigh);
  }
  if (HasAdditiveTerm(kind)) {
    for (double rho : p.component_inverse_squared_lengthscales) put(rho, kLogRhoLow, kLogRhoHigh);
    for (double s : p.component_scales) put(s, kLogScaleLow, kLogScaleHigh);
  }
  if (fit_noise) put(p.noise_var - kMinNoiseVar, kLogNoiseLow, kLogNoiseHigh);
  if (!theta.allFinite()) return std::nullopt;
  return theta;
}

// Bounds and a starting point of theta: the lengthscales from their
// prior's mode (restart > 0: moved by up to 3 either way at random), the
// scales adding up to 1 (the standardised targets' variance), the noise 1e-2
// (restarts: at random).
struct ThetaBox {
  VectorXd low, high, start;
};
ThetaBox StartingBox(KernelKind kind, int dims, bool fit_noise, int restart, Rng& rng) {
  const int n = ThetaSize(kind, dims, fit_noise);
  ThetaBox box{VectorXd(n), VectorXd(n), VectorXd(n)};
  const double terms = HasArdTerm(kind) && HasAdditiveTerm(kind) ? 2 : 1;
  Eigen::Index next = 0;
  auto lengthscales = [&](size_t prior_dims) {
    const double mode = PriorModeLogRho(prior_dims);
    for (int i = 0; i < dims; ++i, ++next) {
      box.low(next) = kLogRhoLow;
      box.high(next) = kLogRhoHigh;
      box.start(next) = mode + (restart == 0 ? 0.0 : -3 + 6 * UniformDouble(rng));
    }
  };
  auto scales = [&](int count, double each) {
    for (int i = 0; i < count; ++i, ++next) {
      box.low(next) = kLogScaleLow;
      box.high(next) = kLogScaleHigh;
      box.start(next) = std::log(each);
    }
  };
  if (HasArdTerm(kind)) {
    lengthscales(static_cast<size_t>(dims));
    scales(1, 1 / terms);
  }
  if (HasAdditiveTerm(kind)) {
    lengthscales(1);  // each component is one-dimensional
    scales(dims, 1 / (terms * dims));
  }
  if (fit_noise) {
    box.low(next) = kLogNoiseLow;
    box.high(next) = kLogNoiseHigh;
    box.start(next) = restart == 0 ? std::log(1e-2) : -9 + 7 * UniformDouble(rng);
  }
  return box;
}

// The objective L-BFGS-B minimises; remembers the best point it evaluated,
// so a line-search failure still leaves a usable fit.
template <class Impl>
struct FitObjective {
  const Impl* impl;
  KernelKind kind;
  bool fit_noise;
  typename Impl::Workspace workspace;
  double best = std::numeric_limits<double>::infinity();
  VectorXd best_theta;

  double operator()(const VectorXd& theta, VectorXd& grad) {
    const double v = impl->NegLogPosterior(FromTheta(theta, kind, impl->dims(), fit_noise),
                                           fit_noise, &grad, workspace);
    if (!std::isfinite(v)) {
      grad.setZero();
      return std::numeric_limits<double>::max();
    }
    if (v < best) {
      best = v;
      best_theta = theta;
    }
    return v;
  }
};

}  // namespace

GpRegressor::GpRegressor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GpRegressor::GpRegressor(GpRegressor&&) noexcept = default;
GpRegressor& GpRegressor::operator=(GpRegressor&&) noexcept = default;
GpRegressor::~GpRegressor() = default;

const KernelParams& GpRegressor::params() const { return impl_->params; }

std::unique_ptr<GpRegressor::Impl> GpRegressor::Unconditioned(std::vector<std::vector<double>> x,
                                                              std::vector<double> y,
                                                              std::vector<bool> categorical,
                                                              KernelParams params) {
  auto impl = std::make_unique<Impl>();
  const int d = static_cast<int>(categorical.size());
  impl->x.resize(static_cast<Eigen::Index>(x.size()), d);
  for (size_t j = 0; j < x.size(); ++j) {
    for (int i = 0; i < d; ++i)
      impl->x(static_cast<Eigen::Index>(j), i) = x[j][static_cast<size_t>(i)];
  }
  impl->y = Eigen::Map<const VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  impl->categorical = std::move(categorical);
  impl->params = std::move(params);
  return impl;
}

GpRegressor GpRegressor::WithParams(std::vector<std::vector<double>> x, std::vector<double> y,
                                    std::vector<bool> categorical, KernelParams params) {
  auto impl = Unconditioned(std::move(x), std::move(y), std::move(categorical), std::move(params));
  impl->Condition();
  return GpRegressor(std::move(impl));
}

GpRegressor GpRegressor::Fit(std::vector<std::vector<double>> x, std::vector<double> y,
                             std::vector<bool> categorical, const FitOptions& options) {
  const int d = static_cast<int>(categorical.size());
  const KernelKind kind = options.kernel;
  const bool fit_noise = !options.deterministic_objective;
  Rng rng = MakeRng(options.seed, 0, StreamId("gp-fit"));
  ThetaBox box = StartingBox(kind, d, fit_noise, 0, rng);
  if (options.warm_start) {
    if (auto theta = ToTheta(*options.warm_start, kind, d, fit_noise)) box.start = *theta;
  }
  GpRegressor gp(Unconditioned(std::move(x), std::move(y), std::move(categorical),
                               FromTheta(box.start, kind, d, fit_noise)));
  Impl& impl = *gp.impl_;
  impl.PrecomputePairs();

  LBFGSpp::LBFGSBParam<double> param;
  param.epsilon = 1e-2;  // as Optuna (scipy's gtol 1e-2): the fit need not be exact
  param.epsilon_rel = 0;
  param.max_iterations = options.max_iterations;
  LBFGSpp::LBFGSBSolver<double> solver(param);

  FitObjective<Impl> objective{&impl, kind, fit_noise, {}, std::numeric_limits<double>::infinity(),
                               {}};
  for (int r = 0; r <= options.n_restarts; ++r) {
    if (r > 0) box = StartingBox(kind, d, fit_noise, r, rng);
    VectorXd theta = box.start;
    try {
      double fx = 0;
      solver.minimize(objective, theta, fx, box.low, box.high);
    } catch (const std::exception&) {
      // A failed line search or a non-finite step: keep the best point seen.
    }
  }
  if (objective.best_theta.size() == box.start.size()) {
    impl.params = FromTheta(objective.best_theta, kind, d, fit_noise);
  }
  impl.Condition();
  impl.fitted_hyperparameters = static_cast<int>(box.start.size());
  impl.pair_diff2 = {};  // only the fit needs them
  return gp;
}

GpRegressor GpRegressor::Extended(const std::vector<std::vector<double>>& x,
                                  const std::vector<double>& y) const {
  std::vector<std::vector<double>> all_x;
  std::vector<double> all_y(impl_->y.data(), impl_->y.data() + impl_->y.size());
  for (int j = 0; j < impl_->n(); ++j) all_x.push_back(impl_->Point(j));
  all_x.insert(all_x.end(), x.begin(), x.end());
  all_y.insert(all_y.end(), y.begin(), y.end());
  return WithParams(std::move(all_x), std::move(all_y), impl_->categorical, impl_->params);
}

Posterior GpRegressor::Predict(const std::vector<double>& x, bool with_gradient) const {
  const Impl& m = *impl_;
  const auto& p = m.params;
  const int n = m.n(), d = m.dims();
  VectorXd k(n);
  MatrixXd dk;  // n x d: dk(x, x_j)/dx_i
  m.KernelAt(x.data(), p, k.data(), with_gradient ? &dk : nullptr);
  Posterior out;
  out.mean = k.dot(m.alpha);
  const VectorXd kinv_k = m.llt.solve(k);
  out.var = std::max(PriorVariance(p) - k.dot(kinv_k), 0.0);
  if (!with_gradient) return out;
  const VectorXd dmean = dk.transpose() * m.alpha;
  const VectorXd dvar = -2 * (dk.transpose() * kinv_k);
  out.dmean.assign(dmean.data(), dmean.data() + d);
  out.dvar.assign(dvar.data(), dvar.data() + d);
  return out;
}

namespace {

// Mean and variance from the kernel columns k (n x count) of count points.
void FromKernelColumns(const MatrixXd& k, const VectorXd& alpha, const Eigen::LLT<MatrixXd>& llt,
                       double prior_variance, std::vector<double>& mean, std::vector<double>& var) {
  const Eigen::Index count = k.cols();
  const VectorXd mu = k.transpose() * alpha;
  const MatrixXd v = llt.matrixL().solve(k);
  const VectorXd reduction = v.colwise().squaredNorm().transpose();
  mean.assign(mu.data(), mu.data() + count);
  var.resize(static_cast<size_t>(count));
  for (Eigen::Index c = 0; c < count; ++c) {
    var[static_cast<size_t>(c)] = std::max(prior_variance - reduction(c), 0.0);
  }
}

}  // namespace

void GpRegressor::PredictMany(const std::vector<std::vector<double>>& xs, std::vector<double>& mean,
                              std::vector<double>& var) const {
  const Impl& m = *impl_;
  // In blocks of 64 points: n x 64 matrices stay in the cache and below the
  // allocator's mmap threshold (one n x 1,280 matrix cost page faults).
  constexpr size_t kBlock = 64;
  mean.clear();
  var.clear();
  std::vector<double> block_mean, block_var;
  MatrixXd k;
  for (size_t from = 0; from < xs.size(); from += kBlock) {
    const size_t count = std::min(kBlock, xs.size() - from);
    k.resize(m.n(), static_cast<Eigen::Index>(count));
    for (size_t c = 0; c < count; ++c) {
      m.KernelAt(xs[from + c].data(), m.params, k.col(static_cast<Eigen::Index>(c)).data(),
                 nullptr);
    }
    FromKernelColumns(k, m.alpha, m.llt, PriorVariance(m.params), block_mean, block_var);
    mean.insert(mean.end(), block_mean.begin(), block_mean.end());
    var.insert(var.end(), block_var.begin(), block_var.end());
  }
}

std::vector<double> GpRegressor::MeanAtData() const {
  const Impl& m = *impl_;
  // (K + s I) a = y, so K a = y - s a.
  const VectorXd mean = m.y - m.params.noise_var * m.alpha;
  return {mean.data(), mean.data() + mean.size()};
}

void GpRegressor::PredictLine(const std::vector<double>& x, size_t i,
                              const std::vector<double>& values, std::vector<double>& mean,
                              std::vector<double>& var) const {
  const Impl& m = *impl_;
  MatrixXd k(m.n(), static_cast<Eigen::Index>(values.size()));
  KernelLine(x.data(), i, values, m.x.data(), static_cast<size_t>(m.n()), m.params, m.categorical,
             k.data());
  FromKernelColumns(k, m.alpha, m.llt, PriorVariance(m.params), mean, var);
}

double GpRegressor::LogPosterior(const KernelParams& params) const {
  Impl copy = *impl_;
  copy.PrecomputePairs();
  Impl::Workspace ws;
  return -copy.NegLogPosterior(params, false, nullptr, ws);
}

std::vector<double> GpRegressor::LogPosteriorGradient(const KernelParams& params) const {
  Impl copy = *impl_;
  copy.PrecomputePairs();
  Impl::Workspace ws;
  VectorXd grad(ThetaSize(params.kind, copy.dims(), true));
  copy.NegLogPosterior(params, true, &grad, ws);
  std::vector<double> out(static_cast<size_t>(grad.size()));
  for (Eigen::Index i = 0; i < grad.size(); ++i) out[static_cast<size_t>(i)] = -grad(i);
  return out;
}

double GpRegressor::LogMarginalLikelihood() const {
  const Impl& m = *impl_;
  const MatrixXd& chol = m.llt.matrixLLT();
  double half_log_det = 0;
  for (int j = 0; j < m.n(); ++j) half_log_det += std::log(chol(j, j));
  return -0.5 * m.y.dot(m.alpha) - half_log_det - 0.5 * m.n() * std::log(2 * std::numbers::pi);
}

int GpRegressor::FittedHyperparameters() const { return impl_->fitted_hyperparameters; }

size_t GpRegressor::size() const { return static_cast<size_t>(impl_->n()); }

}  // namespace gdsweep::gp
