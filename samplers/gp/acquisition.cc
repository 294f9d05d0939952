#include "samplers/gp/acquisition.h"

#include <LBFGSB.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "samplers/gp/log_ei.h"
#include "samplers/qmc/low_discrepancy.h"
#include "samplers/seeding.h"

namespace gdsweep::gp {
namespace {

constexpr double kMinVar = 1e-12;

bool IsNumeric(const AcquisitionSpace& s, size_t i) { return s.n_choices[i] == 0; }

double LogEiOf(double mean, double var, double best) {
  const double sigma = std::sqrt(std::max(var, kMinVar));
  return std::log(sigma) + StandardLogEi((mean - best) / sigma);
}

// -log EI over the numeric coordinates of `base`, for L-BFGS-B.
struct NumericObjective {
  const GpRegressor* gp;
  double best;
  std::vector<size_t> numeric;  // indices of numeric coordinates
  std::vector<double> base;     // the full point; categoricals stay fixed

  double operator()(const Eigen::VectorXd& v, Eigen::VectorXd& grad) {
    for (size_t k = 0; k < numeric.size(); ++k) base[numeric[k]] = v(static_cast<Eigen::Index>(k));
    std::vector<double> g;
    const double value = LogEi(*gp, best, base, &g);
    for (size_t k = 0; k < numeric.size(); ++k) grad(static_cast<Eigen::Index>(k)) = -g[numeric[k]];
    if (!std::isfinite(value)) {
      grad.setZero();
      return std::numeric_limits<double>::max();
    }
    return -value;
  }
};

// L-BFGS-B from x over its numeric coordinates; x moves to the result if it
// is better. Returns log EI at x.
double LocalNumeric(const GpRegressor& gp, double best, const AcquisitionSpace& space,
                    std::vector<double>& x, double current) {
  NumericObjective objective{&gp, best, {}, x};
  for (size_t i = 0; i < x.size(); ++i) {
    if (IsNumeric(space, i)) objective.numeric.push_back(i);
  }
  if (objective.numeric.empty()) return current;
  const auto n = static_cast<Eigen::Index>(objective.numeric.size());
  Eigen::VectorXd v(n), lb = Eigen::VectorXd::Zero(n), ub = Eigen::VectorXd::Ones(n);
  for (Eigen::Index k = 0; k < n; ++k) v(k) = x[objective.numeric[static_cast<size_t>(k)]];
  LBFGSpp::LBFGSBParam<double> param;
  param.epsilon = 1e-5;
  param.epsilon_rel = 0;
  param.max_iterations = 50;
  LBFGSpp::LBFGSBSolver<double> solver(param);
  try {
    double fx = 0;
    solver.minimize(objective, v, fx, lb, ub);
  } catch (const std::exception&) {
    // A failed line search: v is the last accepted point, still feasible.
  }
  std::vector<double> candidate = x;
  for (Eigen::Index k = 0; k < n; ++k) {
    candidate[objective.numeric[static_cast<size_t>(k)]] = std::clamp(v(k), 0.0, 1.0);
  }
  const double value = LogEi(gp, best, candidate, nullptr);
  if (value > current) {
    x = std::move(candidate);
    return value;
  }
  return current;
}

// Every choice of every categorical coordinate in turn, keeping improvements.
double SweepCategorical(const GpRegressor& gp, double best, const AcquisitionSpace& space,
                        std::vector<double>& x, double current) {
  for (size_t i = 0; i < x.size(); ++i) {
    if (IsNumeric(space, i)) continue;
    const double keep = x[i];
    double best_choice = keep;
    for (int c = 0; c < space.n_choices[i]; ++c) {
      if (c == keep) continue;
      x[i] = c;
      const double value = LogEi(gp, best, x, nullptr);
      if (value > current) {
        current = value;
        best_choice = c;
      }
    }
    x[i] = best_choice;
  }
  return current;
}

// Each numeric coordinate in turn over `grid` evenly spaced values in [0,1],
// the others fixed, keeping improvements: on an additive model this is
// exact coordinate-wise maximisation of the mean, and it crosses from one
// basin of a coordinate to another, which a local search from x cannot.
double SweepNumeric(const GpRegressor& gp, double best, const AcquisitionSpace& space, int grid,
                    std::vector<double>& x, double current) {
  if (grid < 2) return current;
  std::vector<double> values(static_cast<size_t>(grid)), mean, var;
  for (int g = 0; g < grid; ++g)
    values[static_cast<size_t>(g)] = static_cast<double>(g) / (grid - 1);
  for (size_t i = 0; i < x.size(); ++i) {
    if (!IsNumeric(space, i)) continue;
    gp.PredictLine(x, i, values, mean, var);
    for (size_t g = 0; g < values.size(); ++g) {
      const double value = LogEiOf(mean[g], var[g], best);
      if (value > current) {
        current = value;
        x[i] = values[g];
      }
    }
  }
  return current;
}

// Points near the given starts (the best trials): each numeric coordinate
// moved with probability perturb_prob by N(0, perturb_sd^2), clipped to [0,1]
// (at least one moved), as BoTorch's sample_around_best and TuRBO's subset
// perturbations. Without them the preliminary points are all space-filling,
// and in 10 dimensions few of 1,024 fall near the incumbent, so a long-
// lengthscale GP's largest EI found is often at a corner of the box.
void AddPerturbations(const AcquisitionSpace& space, const std::vector<std::vector<double>>& starts,
                      const AcquisitionOptions& options, std::vector<std::vector<double>>& out) {
  Rng rng = MakeRng(options.seed, 0, StreamId("gp-perturbations"));
  for (const auto& start : starts) {
    for (int k = 0; k < options.n_perturbations; ++k) {
      auto point = start;
      bool moved = false;
      for (size_t i = 0; i < point.size(); ++i) {
        if (!IsNumeric(space, i) || UniformDouble(rng) >= options.perturb_prob) continue;
        point[i] = std::clamp(point[i] + options.perturb_sd * StandardNormal(rng), 0.0, 1.0);
        moved = true;
      }
      if (moved) out.push_back(std::move(point));
    }
  }
}

}  // namespace

double LogEi(const GpRegressor& gp, double best, const std::vector<double>& x,
             std::vector<double>* grad) {
  const Posterior p = gp.Predict(x, grad != nullptr);
  const double var = std::max(p.var, kMinVar);
  const double sigma = std::sqrt(var);
  const double z = (p.mean - best) / sigma;
  const double value = std::log(sigma) + StandardLogEi(z);
  if (grad) {
    // d log sigma = dvar / (2 var); dz = dmean / sigma - z dsigma / sigma.
    const double h = StandardLogEiDerivative(z);
    grad->resize(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const double dvar = p.var > kMinVar ? p.dvar[i] : 0.0;
      const double dlog_sigma = dvar / (2 * var);
      (*grad)[i] = dlog_sigma + h * (p.dmean[i] / sigma - z * dlog_sigma);
    }
  }
  return value;
}

std::vector<double> MaximizeLogEi(const GpRegressor& gp, double best, const AcquisitionSpace& space,
                                  const std::vector<std::vector<double>>& starts,
                                  const AcquisitionOptions& options) {
  const int dims = static_cast<int>(space.n_choices.size());
  auto candidates = QmcPoints(QmcKind::kSobol, dims, options.seed, 0, options.n_preliminary);
  for (auto& point : candidates) {
    for (size_t i = 0; i < point.size(); ++i) {
      if (!IsNumeric(space, i)) point[i] = std::floor(point[i] * space.n_choices[i]);
    }
  }
  AddPerturbations(space, starts, options, candidates);
  std::vector<double> mean, var;
  gp.PredictMany(candidates, mean, var);
  std::vector<double> score(candidates.size());
  for (size_t c = 0; c < candidates.size(); ++c) score[c] = LogEiOf(mean[c], var[c], best);
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] > score[b]; });

  // The given starts first, then the best preliminary points.
  std::vector<std::vector<double>> seeds;
  for (const auto& s : starts) {
    if (static_cast<int>(seeds.size()) >= options.n_local_search / 2) break;
    seeds.push_back(s);
  }
  for (size_t k = 0; k < order.size() && static_cast<int>(seeds.size()) < options.n_local_search;
       ++k) {
    seeds.push_back(candidates[order[k]]);
  }

  std::vector<double> best_x =
      candidates.empty() ? std::vector<double>(dims, 0.5) : candidates[order.front()];
  double best_value =
      candidates.empty() ? -std::numeric_limits<double>::infinity() : score[order.front()];
  for (auto& x : seeds) {
    double value = LogEi(gp, best, x, nullptr);
    for (int round = 0; round < 3; ++round) {
      const double before = value;
      value = LocalNumeric(gp, best, space, x, value);
      value = SweepCategorical(gp, best, space, x, value);
      if (!(value > before + 1e-9)) break;
    }
    if (value > best_value) {
      best_value = value;
      best_x = x;
    }
  }
  for (int round = 0; round < 3 && options.n_coordinate_grid >= 2; ++round) {
    const double before = best_value;
    best_value = SweepNumeric(gp, best, space, options.n_coordinate_grid, best_x, best_value);
    if (!(best_value > before + 1e-9)) break;
    best_value = LocalNumeric(gp, best, space, best_x, best_value);
    best_value = SweepCategorical(gp, best, space, best_x, best_value);
  }
  return best_x;
}

}  // namespace gdsweep::gp
