#include "samplers/nsga2/crossover.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace gdsweep::nsga2 {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

VectorXd Row(const std::vector<double>& v) {
  return Eigen::Map<const VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

std::vector<double> ToVector(const VectorXd& v) { return {v.data(), v.data() + v.size()}; }

// SBX and vSBX make two candidate children per coordinate; Optuna keeps one
// child: with probability 1/2 a candidate (either), else a parent (either).
double PickGene(double c1, double c2, double x1, double x2, Rng& rng) {
  if (UniformDouble(rng) < 0.5) return UniformDouble(rng) < 0.5 ? c1 : c2;
  return UniformDouble(rng) < 0.5 ? x1 : x2;
}

// Deb & Agrawal's simulated binary crossover, bounded as in Deb & Goyal
// (1996): the spread factor's distribution is cut so children stay inside.
std::vector<double> Sbx(const std::vector<std::vector<double>>& p, std::span<const double> lower,
                        std::span<const double> upper, double eta, Rng& rng) {
  const size_t n = lower.size();
  std::vector<double> us(n), c1(n), c2(n);
  for (size_t i = 0; i < n; ++i) us[i] = UniformDouble(rng);
  for (size_t i = 0; i < n; ++i) {
    const double x_min = std::min(p[0][i], p[1][i]), x_max = std::max(p[0][i], p[1][i]);
    const double diff = std::max(x_max - x_min, 1e-10);
    auto betaq = [&](double beta) {
      const double alpha = 2 - std::pow(beta, -(eta + 1));
      const double u = us[i];
      return u > 1 / alpha ? std::pow(1 / (2 - u * alpha), 1 / (eta + 1))
                           : std::pow(u * alpha, 1 / (eta + 1));
    };
    const double b1 = betaq(1 + 2 * (x_min - lower[i]) / diff);
    const double b2 = betaq(1 + 2 * (upper[i] - x_max) / diff);
    c1[i] = 0.5 * ((x_min + x_max) - b1 * diff);
    c2[i] = 0.5 * ((x_min + x_max) + b2 * diff);
  }
  std::vector<double> child(n);
  for (size_t i = 0; i < n; ++i) child[i] = PickGene(c1[i], c2[i], p[0][i], p[1][i], rng);
  return child;
}

// Ballester & Carter's vSBX.
std::vector<double> Vsbx(const std::vector<std::vector<double>>& p, double eta, Rng& rng) {
  const size_t n = p[0].size();
  std::vector<double> us(n), c1(n), c2(n);
  for (size_t i = 0; i < n; ++i) us[i] = UniformDouble(rng);
  for (size_t i = 0; i < n; ++i) {
    const double b1 = std::pow(0.5 * us[i], 1 / (eta + 1));
    const double b2 = std::pow(0.5 * (1 - us[i]), 1 / (eta + 1));
    const double x1 = p[0][i], x2 = p[1][i];
    if (us[i] > 0.5) {
      c1[i] = 0.5 * ((1 - b1) * x1 + (1 + b1) * x2);
      c2[i] = 0.5 * (-(1 - b2) * x1 + (3 - b2) * x2);
    } else {
      c1[i] = 0.5 * ((1 + b1) * x1 + (1 - b1) * x2);
      c2[i] = 0.5 * ((3 - b2) * x1 - (1 - b2) * x2);
    }
  }
  std::vector<double> child(n);
  for (size_t i = 0; i < n; ++i) child[i] = PickGene(c1[i], c2[i], p[0][i], p[1][i], rng);
  return child;
}

// Tsutsui, Yamamura, Higuchi's simplex crossover with epsilon = sqrt(n + 2).
std::vector<double> Spx(const std::vector<std::vector<double>>& p, Rng& rng) {
  const size_t k = p.size();  // n_parents
  const double eps = std::sqrt(static_cast<double>(p[0].size()) + 2);
  VectorXd g = VectorXd::Zero(static_cast<Eigen::Index>(p[0].size()));
  for (const auto& x : p) g += Row(x);
  g /= static_cast<double>(k);
  std::vector<VectorXd> xs;
  for (const auto& x : p) xs.push_back(g + eps * (Row(x) - g));
  std::vector<double> rs(k - 1);
  for (size_t j = 0; j + 1 < k; ++j) rs[j] = std::pow(UniformDouble(rng), 1.0 / (j + 1.0));
  VectorXd c = VectorXd::Zero(g.size());
  for (size_t j = 1; j < k; ++j) c = rs[j - 1] * (xs[j - 1] - xs[j] + c);
  return ToVector(xs.back() + c);
}

// Ono & Kobayashi's UNDX: along the line of the first two parents with
// sigma_xi = 0.5, across it (scaled by the third parent's distance to the
// line) with sigma_eta = 0.35 / sqrt(n). As Optuna 3.1, the normal draws have
// standard deviation sigma^2 (Optuna passes the variance as numpy's scale),
// so that a study behaves as it would in Optuna.
std::vector<double> Undx(const std::vector<std::vector<double>>& p, Rng& rng) {
  const auto n = static_cast<Eigen::Index>(p[0].size());
  const VectorXd x1 = Row(p[0]), x2 = Row(p[1]), x3 = Row(p[2]);
  const VectorXd mid = (x1 + x2) / 2, d = x1 - x2;
  const double sigma_eta = 0.35 / std::sqrt(static_cast<double>(n));
  std::vector<double> etas(static_cast<size_t>(n));
  for (double& e : etas) e = sigma_eta * sigma_eta * StandardNormal(rng);
  const double xi = 0.25 * StandardNormal(rng);
  VectorXd child = mid + xi * d;
  if (n > 1) {
    const VectorXd v12 = x2 - x1;
    const VectorXd e12 = v12 / std::max(v12.norm(), 1e-10);
    const VectorXd v13 = x3 - x1;
    const double dist = (v13 - v13.dot(e12) * e12).norm();
    MatrixXd basis = MatrixXd::Identity(n, n);
    if (e12.squaredNorm() > 0) basis.col(0) = e12;
    const MatrixXd q = Eigen::HouseholderQR<MatrixXd>(basis).householderQ();
    VectorXd across = VectorXd::Zero(n);
    for (Eigen::Index i = 0; i + 1 < n; ++i) across += etas[static_cast<size_t>(i)] * q.col(i + 1);
    child += dist * across;
  }
  return ToVector(child);
}

}  // namespace

std::optional<CrossoverKind> CrossoverFromName(std::string_view name) {
  if (name == "uniform") return CrossoverKind::kUniform;
  if (name == "sbx") return CrossoverKind::kSbx;
  if (name == "blxalpha") return CrossoverKind::kBlxAlpha;
  if (name == "spx") return CrossoverKind::kSpx;
  if (name == "undx") return CrossoverKind::kUndx;
  if (name == "vsbx") return CrossoverKind::kVsbx;
  return std::nullopt;
}

int ParentsOf(CrossoverKind kind) {
  return kind == CrossoverKind::kSpx || kind == CrossoverKind::kUndx ? 3 : 2;
}

std::vector<double> Crossover(CrossoverKind kind, const std::vector<std::vector<double>>& parents,
                              std::span<const double> lower, std::span<const double> upper,
                              const CrossoverParams& params, Rng& rng) {
  const size_t n = lower.size();
  switch (kind) {
    case CrossoverKind::kUniform: {
      std::vector<double> child(n);
      for (size_t i = 0; i < n; ++i) {
        child[i] = UniformDouble(rng) >= params.swapping_prob ? parents[1][i] : parents[0][i];
      }
      return child;
    }
    case CrossoverKind::kSbx:
      return Sbx(parents, lower, upper, params.eta, rng);
    case CrossoverKind::kBlxAlpha: {
      std::vector<double> child(n);
      for (size_t i = 0; i < n; ++i) {
        const double lo = std::min(parents[0][i], parents[1][i]);
        const double hi = std::max(parents[0][i], parents[1][i]);
        const double spread = params.alpha * (hi - lo);
        child[i] = (lo - spread) + UniformDouble(rng) * ((hi + spread) - (lo - spread));
      }
      return child;
    }
    case CrossoverKind::kSpx:
      return Spx(parents, rng);
    case CrossoverKind::kUndx:
      return Undx(parents, rng);
    case CrossoverKind::kVsbx:
      return Vsbx(parents, params.eta, rng);
  }
  return parents[0];
}

}  // namespace gdsweep::nsga2
