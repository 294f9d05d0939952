#include "samplers/cmaes/cma.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace gdsweep::cmaes {
namespace {

constexpr double kEps = 1e-8;
constexpr double kSigmaMax = 1e32;

// The strategy parameters, a function of (n, lambda, separable).
struct Strategy {
  int mu = 0;
  std::vector<double> weights;
  double mu_eff = 0, c1 = 0, cmu = 0, c_sigma = 0, d_sigma = 0, cc = 0, chi_n = 0;
};

Strategy MakeStrategy(int n, int popsize, bool separable) {
  Strategy s;
  const double dn = n;
  s.mu = popsize / 2;
  if (separable) {
    double sum = 0;
    for (int i = 0; i < s.mu; ++i) {
      s.weights.push_back(std::log(s.mu + 1.0) - std::log(i + 1.0));
      sum += s.weights.back();
    }
    double sq = 0;
    for (double& w : s.weights) {
      w /= sum;
      sq += w * w;
    }
    s.mu_eff = 1 / sq;
    s.c1 = 2 / ((dn + 1.3) * (dn + 1.3) + s.mu_eff);
    const double cmu_full =
        2 / s.mu_eff / ((dn + std::sqrt(2.0)) * (dn + std::sqrt(2.0))) +
        (1 - 1 / s.mu_eff) * std::min(1.0, (2 * s.mu_eff - 1) / ((dn + 2) * (dn + 2) + s.mu_eff));
    s.cmu = (dn + 2) / 3 * cmu_full;
    s.c_sigma = (s.mu_eff + 2) / (dn + s.mu_eff + 3);
    s.cc = 4 / (dn + 4);
  } else {
    std::vector<double> w(static_cast<size_t>(popsize));
    for (int i = 0; i < popsize; ++i) w[i] = std::log((popsize + 1) / 2.0) - std::log(i + 1.0);
    auto eff = [&](int from, int to) {
      double sum = 0, sq = 0;
      for (int i = from; i < to; ++i) {
        sum += w[i];
        sq += w[i] * w[i];
      }
      return sq > 0 ? sum * sum / sq : 0.0;
    };
    s.mu_eff = eff(0, s.mu);
    const double mu_eff_minus = eff(s.mu, popsize);
    s.c1 = 2 / ((dn + 1.3) * (dn + 1.3) + s.mu_eff);
    s.cmu = std::min(1 - s.c1 - 1e-8,
                     2 * (s.mu_eff - 2 + 1 / s.mu_eff) / ((dn + 2) * (dn + 2) + s.mu_eff));
    // With cmu = 0 (lambda < 4) the first and last bounds are +inf.
    const double min_alpha = std::min({1 + s.c1 / s.cmu, 1 + 2 * mu_eff_minus / (s.mu_eff + 2),
                                       (1 - s.c1 - s.cmu) / (dn * s.cmu)});
    double positive = 0, negative = 0;
    for (double x : w) (x > 0 ? positive : negative) += std::abs(x);
    for (double x : w) s.weights.push_back(x >= 0 ? x / positive : min_alpha / negative * x);
    s.c_sigma = (s.mu_eff + 2) / (dn + s.mu_eff + 5);
    s.cc = (4 + s.mu_eff / dn) / (dn + 4 + 2 * s.mu_eff / dn);
  }
  s.d_sigma = 1 + 2 * std::max(0.0, std::sqrt((s.mu_eff - 1) / (dn + 1)) - 1) + s.c_sigma;
  s.chi_n = std::sqrt(dn) * (1.0 - 1.0 / (4.0 * dn) + 1.0 / (21.0 * dn * dn));
  return s;
}

int FunHistTerm(int n, int popsize) { return 10 + static_cast<int>(std::ceil(30.0 * n / popsize)); }

using Eigen::MatrixXd;
using Eigen::VectorXd;

MatrixXd FullCov(const CmaState& s) {
  return Eigen::Map<const MatrixXd>(s.cov.data(), s.dim, s.dim);  // symmetric: layout moot
}

// B and D of C, C symmetrised and negative eigenvalues lifted (the `cmaes`
// package then continues with C = B D^2 B^T; Tell does the same).
void EigenOf(const CmaState& s, VectorXd* d, MatrixXd* b) {
  MatrixXd c = FullCov(s);
  c = (c + c.transpose()) / 2;
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(c);
  *d = eig.eigenvalues().unaryExpr([](double v) { return std::sqrt(v < 0 ? kEps : v); });
  *b = eig.eigenvectors();
}

VectorXd SepD(const CmaState& s) {
  VectorXd d(s.dim);
  for (int i = 0; i < s.dim; ++i) d[i] = std::sqrt(s.cov[i] < 0 ? kEps : s.cov[i]);
  return d;
}

}  // namespace

int DefaultPopsize(int dim) { return 4 + static_cast<int>(std::floor(3 * std::log(dim))); }

CmaState InitCma(std::vector<double> mean, double sigma, std::vector<double> lower,
                 std::vector<double> upper, int popsize, bool separable) {
  CmaState s;
  s.separable = separable;
  s.dim = static_cast<int>(mean.size());
  s.popsize = popsize > 0 ? popsize : DefaultPopsize(s.dim);
  s.sigma = sigma;
  s.mean = std::move(mean);
  s.p_sigma.assign(s.mean.size(), 0);
  s.p_c.assign(s.mean.size(), 0);
  if (separable) {
    s.cov.assign(s.mean.size(), 1);
  } else {
    s.cov.assign(s.mean.size() * s.mean.size(), 0);
    for (int i = 0; i < s.dim; ++i) s.cov[static_cast<size_t>(i * s.dim + i)] = 1;
  }
  s.lower = std::move(lower);
  s.upper = std::move(upper);
  s.funhist.assign(static_cast<size_t>(2 * FunHistTerm(s.dim, s.popsize)), 0);
  s.tolx = 1e-12 * sigma;
  return s;
}

void Decompose(const CmaState& s, std::vector<double>* d, std::vector<double>* b) {
  if (s.separable) {
    VectorXd sd = SepD(s);
    d->assign(sd.data(), sd.data() + sd.size());
    b->clear();
    return;
  }
  VectorXd vd;
  MatrixXd vb;
  EigenOf(s, &vd, &vb);
  d->assign(vd.data(), vd.data() + vd.size());
  b->assign(vb.data(), vb.data() + vb.size());
}

std::vector<double> DrawFromCovariance(const CmaState& s, Rng& rng) {
  std::vector<double> d, b;
  Decompose(s, &d, &b);
  VectorXd z(s.dim);
  for (int i = 0; i < s.dim; ++i) z[i] = StandardNormal(rng);
  VectorXd y = Eigen::Map<const VectorXd>(d.data(), s.dim).cwiseProduct(z);
  if (!s.separable) y = Eigen::Map<const MatrixXd>(b.data(), s.dim, s.dim) * y;
  return {y.data(), y.data() + y.size()};
}

std::vector<double> Ask(const CmaState& s, Rng& rng, int max_resampling,
                        const std::vector<bool>& check) {
  auto draw = [&] {
    std::vector<double> x = DrawFromCovariance(s, rng);
    for (int i = 0; i < s.dim; ++i) x[i] = s.mean[i] + s.sigma * x[i];
    return x;
  };
  auto checked = [&](int i) { return check.empty() || check[static_cast<size_t>(i)]; };
  for (int k = 0; k < max_resampling; ++k) {
    std::vector<double> x = draw();
    bool inside = true;
    for (int i = 0; i < s.dim && inside; ++i) {
      inside = !checked(i) || (x[i] >= s.lower[i] && x[i] <= s.upper[i]);
    }
    if (inside) return x;
  }
  std::vector<double> x = draw();
  for (int i = 0; i < s.dim; ++i) {
    if (checked(i)) x[i] = std::clamp(x[i], s.lower[i], s.upper[i]);
  }
  return x;
}

void Tell(CmaState& s, std::vector<std::pair<std::vector<double>, double>> solutions) {
  const Strategy st = MakeStrategy(s.dim, s.popsize, s.separable);
  const int n = s.dim;
  s.generation += 1;
  std::stable_sort(solutions.begin(), solutions.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  const int term = FunHistTerm(n, s.popsize);
  const size_t idx = static_cast<size_t>(2 * (s.generation % term));
  s.funhist[idx] = solutions.front().second;
  s.funhist[idx + 1] = solutions.back().second;

  Eigen::Map<VectorXd> mean(s.mean.data(), n);
  Eigen::Map<VectorXd> p_sigma(s.p_sigma.data(), n);
  Eigen::Map<VectorXd> p_c(s.p_c.data(), n);
  std::vector<VectorXd> y(solutions.size());
  for (size_t k = 0; k < solutions.size(); ++k) {
    y[k] = (Eigen::Map<const VectorXd>(solutions[k].first.data(), n) - mean) / s.sigma;
  }
  VectorXd y_w = VectorXd::Zero(n);
  for (int k = 0; k < st.mu; ++k) y_w += st.weights[static_cast<size_t>(k)] * y[k];
  mean += s.sigma * y_w;

  VectorXd d;
  MatrixXd b, c_inv_sqrt;
  if (s.separable) {
    d = SepD(s);
    p_sigma = (1 - st.c_sigma) * p_sigma +
              std::sqrt(st.c_sigma * (2 - st.c_sigma) * st.mu_eff) * y_w.cwiseQuotient(d);
  } else {
    EigenOf(s, &d, &b);
    c_inv_sqrt = b * d.cwiseInverse().asDiagonal() * b.transpose();
    p_sigma = (1 - st.c_sigma) * p_sigma +
              std::sqrt(st.c_sigma * (2 - st.c_sigma) * st.mu_eff) * (c_inv_sqrt * y_w);
  }
  const double norm_p_sigma = p_sigma.norm();
  s.sigma *= std::exp((st.c_sigma / st.d_sigma) * (norm_p_sigma / st.chi_n - 1));
  s.sigma = std::min(s.sigma, kSigmaMax);
  const double h_left =
      norm_p_sigma / std::sqrt(1 - std::pow(1 - st.c_sigma, 2 * (s.generation + 1)));
  const double h_sigma = h_left < (1.4 + 2.0 / (n + 1)) * st.chi_n ? 1.0 : 0.0;
  p_c = (1 - st.cc) * p_c + h_sigma * std::sqrt(st.cc * (2 - st.cc) * st.mu_eff) * y_w;
  const double delta_h = (1 - h_sigma) * st.cc * (2 - st.cc);
  const double weight_sum = std::accumulate(st.weights.begin(), st.weights.end(), 0.0);
  const double keep = 1 + st.c1 * delta_h - st.c1 - st.cmu * weight_sum;

  if (s.separable) {
    Eigen::Map<VectorXd> c(s.cov.data(), n);
    VectorXd rank_mu = VectorXd::Zero(n);
    for (int k = 0; k < st.mu; ++k)
      rank_mu += st.weights[static_cast<size_t>(k)] * y[k].cwiseAbs2();
    c = keep * c + st.c1 * p_c.cwiseAbs2() + st.cmu * rank_mu;
    return;
  }
  // Continue from C = B D^2 B^T, as the `cmaes` package does after decomposing.
  MatrixXd c = b * d.cwiseAbs2().asDiagonal() * b.transpose();
  MatrixXd rank_mu = MatrixXd::Zero(n, n);
  for (size_t k = 0; k < y.size(); ++k) {
    double w = st.weights[k];
    if (w < 0) w *= n / ((c_inv_sqrt * y[k]).squaredNorm() + kEps);
    rank_mu += w * y[k] * y[k].transpose();
  }
  c = keep * c + st.c1 * p_c * p_c.transpose() + st.cmu * rank_mu;
  Eigen::Map<MatrixXd>(s.cov.data(), n, n) = c;
}

bool ShouldStop(const CmaState& s) {
  const int n = s.dim;
  const int term = FunHistTerm(n, s.popsize);
  if (s.generation > term) {
    auto [lo, hi] = std::minmax_element(s.funhist.begin(), s.funhist.end());
    if (*hi - *lo < 1e-12) return true;
  }
  std::vector<double> d, b;
  Decompose(s, &d, &b);
  std::vector<double> diag(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    diag[i] = s.separable ? s.cov[i] : s.cov[static_cast<size_t>(i * n + i)];
  bool tiny = true;
  for (int i = 0; i < n && tiny; ++i) {
    tiny = s.sigma * diag[i] < s.tolx && s.sigma * s.p_c[i] < s.tolx;
  }
  if (tiny) return true;
  const double d_max = *std::max_element(d.begin(), d.end());
  const double d_min = *std::min_element(d.begin(), d.end());
  if (s.sigma * d_max > 1e4) return true;
  for (int i = 0; i < n; ++i) {
    if (s.mean[i] == s.mean[i] + 0.2 * s.sigma * std::sqrt(diag[i])) return true;
  }
  const int axis = s.generation % n;
  bool no_effect = true;
  for (int i = 0; i < n && no_effect; ++i) {
    const double bi = s.separable ? 1.0 : b[static_cast<size_t>(axis * n + i)];
    no_effect = s.mean[i] == s.mean[i] + 0.1 * s.sigma * d[axis] * bi;
  }
  if (no_effect) return true;
  return d_max / d_min > 1e14;
}

}  // namespace gdsweep::cmaes
