#include "samplers/gp/gp_regression.h"

#include <LBFGSB.h>

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "samplers/seeding.h"

namespace gdsweep::gp {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// Bounds of the fitted log-hyperparameters: lengthscales from 0.01 to 100
// on the unit cube, a scale from 1e-4 to 100 and noise up to 2 (the targets
// are standardised: variance 1).
constexpr double kLogRhoLow = -9.2, kLogRhoHigh = 9.2;
constexpr double kLogScaleLow = -9.2, kLogScaleHigh = 4.6;
constexpr double kLogNoiseLow = -13.8, kLogNoiseHigh = 0.7;

// Squared weighted distance of two points.
double Distance2(const double* a, const double* b, const std::vector<double>& rho,
                 const std::vector<bool>& categorical) {
  double d2 = 0;
  for (size_t i = 0; i < rho.size(); ++i) {
    const double diff = categorical[i] ? (a[i] != b[i] ? 1.0 : 0.0) : a[i] - b[i];
    d2 += rho[i] * diff * diff;
  }
  return d2;
}

}  // namespace

struct GpRegressor::Impl {
  MatrixXd x;  // dims x n, one column per point
  VectorXd y;
  std::vector<bool> categorical;
  KernelParams params;
  Eigen::LLT<MatrixXd> llt;
  VectorXd alpha;  // K^-1 y

  int dims() const { return static_cast<int>(categorical.size()); }
  int n() const { return static_cast<int>(x.cols()); }

  MatrixXd Gram(const KernelParams& p) const {
    const int m = n();
    MatrixXd k(m, m);
    for (int j = 0; j < m; ++j) {
      k(j, j) = p.scale + p.noise_var;
      for (int l = 0; l < j; ++l) {
        const double d2 = Distance2(x.col(j).data(), x.col(l).data(),
                                    p.inverse_squared_lengthscales, categorical);
        k(j, l) = k(l, j) = p.scale * Matern52(d2);
      }
    }
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
    llt = Factor(Gram(params));
    alpha = llt.solve(y);
  }

  // Per pair (j > l, row-major over j) and dimension: the squared
  // difference (or mismatch) of the two points, for fitting: each evaluation
  // then weighs them by rho instead of recomputing them. n^2 d / 2 doubles.
  std::vector<double> pair_diff2;

  void PrecomputePairs() {
    const int m = n(), d = dims();
    pair_diff2.clear();
    pair_diff2.reserve(static_cast<size_t>(m) * static_cast<size_t>(m - 1) / 2 *
                       static_cast<size_t>(d));
    for (int j = 0; j < m; ++j) {
      for (int l = 0; l < j; ++l) {
        for (int i = 0; i < d; ++i) {
          const double a = x(i, j), b = x(i, l);
          const double diff = categorical[static_cast<size_t>(i)] ? (a != b ? 1.0 : 0.0) : a - b;
          pair_diff2.push_back(diff * diff);
        }
      }
    }
  }

  // The n x n matrices one likelihood evaluation needs, kept between
  // evaluations: above glibc's mmap threshold each fresh one costs page faults.
  struct Workspace {
    MatrixXd k, dk, w;
    Eigen::LLT<MatrixXd> factor;
  };

  // -(log marginal likelihood + log prior) and its gradient over theta
  // (needs PrecomputePairs()).
  double NegLogPosterior(const KernelParams& p, bool fit_noise, VectorXd* grad,
                         Workspace& ws) const {
    const int m = n(), d = dims();
    const auto& rho = p.inverse_squared_lengthscales;
    // The Gram matrix and, per pair, dk/d(d2), from the precomputed differences.
    MatrixXd& k = ws.k;
    MatrixXd& dk = ws.dk;
    k.resize(m, m);
    dk.resize(m, m);
    size_t at = 0;
    for (int j = 0; j < m; ++j) {
      k(j, j) = p.scale + p.noise_var;
      for (int l = 0; l < j; ++l, at += static_cast<size_t>(d)) {
        double d2 = 0;
        for (int i = 0; i < d; ++i)
          d2 += rho[static_cast<size_t>(i)] * pair_diff2[at + static_cast<size_t>(i)];
        const double s = std::sqrt(5 * d2), e = std::exp(-s);
        k(j, l) = k(l, j) = p.scale * (1 + s + 5.0 / 3.0 * d2) * e;
        dk(j, l) = p.scale * (-5.0 / 6.0) * (1 + s) * e;
      }
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

    // d lml / d theta = 0.5 tr((a a^T - K^-1) dK/dtheta).
    MatrixXd& w = ws.w;
    w.setIdentity(m, m);
    factor.solveInPlace(w);
    w = a * a.transpose() - w;
    VectorXd g = VectorXd::Zero(grad->size());
    double scale_term = 0;
    at = 0;
    for (int j = 0; j < m; ++j) {
      scale_term += 0.5 * w(j, j) * p.scale;  // M(0) = 1
      for (int l = 0; l < j; ++l, at += static_cast<size_t>(d)) {
        const double wjl = w(j, l);  // counted twice: (j,l) and (l,j)
        scale_term += wjl * k(j, l);
        const double common = wjl * dk(j, l);
        for (int i = 0; i < d; ++i) g(i) += common * pair_diff2[at + static_cast<size_t>(i)];
      }
    }
    for (int i = 0; i < d; ++i) g(i) *= rho[static_cast<size_t>(i)];
    g(d) = scale_term;
    if (fit_noise) g(d + 1) = 0.5 * w.trace() * (p.noise_var - kMinNoiseVar);
    const auto prior = LogPriorGrad(p);
    for (int i = 0; i < d; ++i) g(i) += prior.log_rho[static_cast<size_t>(i)];
    g(d) += prior.log_scale;
    if (fit_noise) g(d + 1) += prior.log_noise;
    *grad = -g;
    return value;
  }
};

namespace {

KernelParams FromTheta(const VectorXd& theta, int dims, bool fit_noise) {
  KernelParams p;
  for (int i = 0; i < dims; ++i) p.inverse_squared_lengthscales.push_back(std::exp(theta(i)));
  p.scale = std::exp(theta(dims));
  p.noise_var = kMinNoiseVar + (fit_noise ? std::exp(theta(dims + 1)) : 0.0);
  return p;
}

// The objective L-BFGS-B minimises; remembers the best point it evaluated,
// so a line-search failure still leaves a usable fit.
template <class Impl>
struct FitObjective {
  const Impl* impl;
  bool fit_noise;
  typename Impl::Workspace workspace;
  double best = std::numeric_limits<double>::infinity();
  VectorXd best_theta;

  double operator()(const VectorXd& theta, VectorXd& grad) {
    const double v = impl->NegLogPosterior(FromTheta(theta, impl->dims(), fit_noise), fit_noise,
                                           &grad, workspace);
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

GpRegressor GpRegressor::WithParams(std::vector<std::vector<double>> x, std::vector<double> y,
                                    std::vector<bool> categorical, KernelParams params) {
  auto impl = std::make_unique<Impl>();
  const int d = static_cast<int>(categorical.size());
  impl->x.resize(d, static_cast<Eigen::Index>(x.size()));
  for (size_t j = 0; j < x.size(); ++j) {
    for (int i = 0; i < d; ++i)
      impl->x(i, static_cast<Eigen::Index>(j)) = x[j][static_cast<size_t>(i)];
  }
  impl->y = Eigen::Map<const VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  impl->categorical = std::move(categorical);
  impl->params = std::move(params);
  impl->Condition();
  return GpRegressor(std::move(impl));
}

GpRegressor GpRegressor::Fit(std::vector<std::vector<double>> x, std::vector<double> y,
                             std::vector<bool> categorical, const FitOptions& options) {
  const int d = static_cast<int>(categorical.size());
  KernelParams start;
  start.inverse_squared_lengthscales.assign(static_cast<size_t>(d), 1.0);
  GpRegressor gp = WithParams(std::move(x), std::move(y), std::move(categorical), start);
  Impl& impl = *gp.impl_;
  impl.PrecomputePairs();

  const bool fit_noise = !options.deterministic_objective;
  const int n_theta = d + 1 + (fit_noise ? 1 : 0);
  VectorXd lb(n_theta), ub(n_theta);
  lb.head(d).setConstant(kLogRhoLow);
  ub.head(d).setConstant(kLogRhoHigh);
  lb(d) = kLogScaleLow;
  ub(d) = kLogScaleHigh;
  if (fit_noise) {
    lb(d + 1) = kLogNoiseLow;
    ub(d + 1) = kLogNoiseHigh;
  }
  LBFGSpp::LBFGSBParam<double> param;
  param.epsilon = 1e-2;  // as Optuna (scipy's gtol 1e-2): the fit need not be exact
  param.epsilon_rel = 0;
  param.max_iterations = options.max_iterations;
  LBFGSpp::LBFGSBSolver<double> solver(param);

  FitObjective<Impl> objective{&impl, fit_noise, {}, std::numeric_limits<double>::infinity(), {}};
  Rng rng = MakeRng(options.seed, 0, StreamId("gp-fit"));
  const double mode = PriorModeLogRho(static_cast<size_t>(d));
  for (int r = 0; r <= options.n_restarts; ++r) {
    VectorXd theta(n_theta);
    // From the prior's mode, then from random points around it.
    for (int i = 0; i < d; ++i) theta(i) = mode + (r == 0 ? 0.0 : -3 + 6 * UniformDouble(rng));
    theta(d) = 0;  // scale 1
    if (fit_noise) theta(d + 1) = r == 0 ? std::log(1e-2) : -9 + 7 * UniformDouble(rng);
    try {
      double fx = 0;
      solver.minimize(objective, theta, fx, lb, ub);
    } catch (const std::exception&) {
      // A failed line search or a non-finite step: keep the best point seen.
    }
  }
  if (objective.best_theta.size() == n_theta) {
    impl.params = FromTheta(objective.best_theta, d, fit_noise);
    impl.Condition();
  }
  impl.pair_diff2 = {};  // only the fit needs them
  return gp;
}

GpRegressor GpRegressor::Extended(const std::vector<std::vector<double>>& x,
                                  const std::vector<double>& y) const {
  std::vector<std::vector<double>> all_x;
  std::vector<double> all_y(impl_->y.data(), impl_->y.data() + impl_->y.size());
  for (int j = 0; j < impl_->n(); ++j) {
    all_x.emplace_back(impl_->x.col(j).data(), impl_->x.col(j).data() + impl_->dims());
  }
  all_x.insert(all_x.end(), x.begin(), x.end());
  all_y.insert(all_y.end(), y.begin(), y.end());
  return WithParams(std::move(all_x), std::move(all_y), impl_->categorical, impl_->params);
}

Posterior GpRegressor::Predict(const std::vector<double>& x, bool with_gradient) const {
  const Impl& m = *impl_;
  const auto& p = m.params;
  const int n = m.n(), d = m.dims();
  VectorXd k(n), dk_common(n);
  for (int j = 0; j < n; ++j) {
    const double d2 =
        Distance2(x.data(), m.x.col(j).data(), p.inverse_squared_lengthscales, m.categorical);
    k(j) = p.scale * Matern52(d2);
    if (with_gradient) dk_common(j) = p.scale * Matern52Derivative(d2);
  }
  Posterior out;
  out.mean = k.dot(m.alpha);
  const VectorXd kinv_k = m.llt.solve(k);
  out.var = std::max(p.scale - k.dot(kinv_k), 0.0);
  if (!with_gradient) return out;
  out.dmean.assign(static_cast<size_t>(d), 0.0);
  out.dvar.assign(static_cast<size_t>(d), 0.0);
  for (int i = 0; i < d; ++i) {
    if (m.categorical[static_cast<size_t>(i)]) continue;
    const double rho2 = 2 * p.inverse_squared_lengthscales[static_cast<size_t>(i)];
    double dm = 0, dv = 0;
    for (int j = 0; j < n; ++j) {
      const double dkj = dk_common(j) * rho2 * (x[static_cast<size_t>(i)] - m.x(i, j));
      dm += dkj * m.alpha(j);
      dv += dkj * kinv_k(j);
    }
    out.dmean[static_cast<size_t>(i)] = dm;
    out.dvar[static_cast<size_t>(i)] = -2 * dv;
  }
  return out;
}

void GpRegressor::PredictMany(const std::vector<std::vector<double>>& xs, std::vector<double>& mean,
                              std::vector<double>& var) const {
  const Impl& m = *impl_;
  const auto& p = m.params;
  const int n = m.n();
  const auto count = static_cast<Eigen::Index>(xs.size());
  MatrixXd k(n, count);
  for (Eigen::Index c = 0; c < count; ++c) {
    for (int j = 0; j < n; ++j) {
      k(j, c) = p.scale * Matern52(Distance2(xs[static_cast<size_t>(c)].data(), m.x.col(j).data(),
                                             p.inverse_squared_lengthscales, m.categorical));
    }
  }
  const VectorXd mu = k.transpose() * m.alpha;
  const MatrixXd v = m.llt.matrixL().solve(k);
  const VectorXd reduction = v.colwise().squaredNorm().transpose();
  mean.assign(mu.data(), mu.data() + count);
  var.resize(static_cast<size_t>(count));
  for (Eigen::Index c = 0; c < count; ++c) {
    var[static_cast<size_t>(c)] = std::max(p.scale - reduction(c), 0.0);
  }
}

double GpRegressor::LogPosterior(const KernelParams& params) const {
  Impl copy = *impl_;
  copy.PrecomputePairs();
  Impl::Workspace ws;
  return -copy.NegLogPosterior(params, false, nullptr, ws);
}

}  // namespace gdsweep::gp
