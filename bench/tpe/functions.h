// The benchmark problems of bench/tpe and bench/samplers, all minimised:
// Branin, Hartmann-6, Rosenbrock-4, Ackley-5 (domains and constants of
// Surjanovic & Bingham's Virtual Library of Simulation Experiments) and a
// mixed hyperparameter-like space (Problems(), the TPE bench's five;
// bench/tpe/optuna_reference.py defines the same, keep them in step); and
// for bench/samplers also Styblinski-Tang-10, an integer and a categorical
// problem, and noisy variants (MoreProblems(); bench/samplers evaluates them
// for Optuna through `sampler_bench eval`, so they are defined once, here).
#pragma once

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "sweeper/model/search_space.h"

namespace gdsweep::bench {

struct Problem {
  std::string name;
  SearchSpace space;
  std::function<double(const Params&)> f;
  double optimum;  // the known minimum
  // Observations get N(0, noise_sd^2) noise added (bench/samplers); regret is
  // always measured on the noiseless function.
  double noise_sd = 0;
};

inline SearchSpace Box(int dims, double low, double high) {
  SearchSpace s;
  for (int i = 0; i < dims; ++i) {
    s.push_back({"x" + std::to_string(i), FloatDistribution{low, high, false, std::nullopt}});
  }
  return s;
}

inline std::vector<double> Xs(const Params& p, int dims) {
  std::vector<double> x;
  for (int i = 0; i < dims; ++i) x.push_back(p.at("x" + std::to_string(i)));
  return x;
}

inline std::vector<Problem> Problems() {
  using std::numbers::pi;
  std::vector<Problem> out;
  out.push_back({"branin",
                 {{"x0", FloatDistribution{-5, 10, false, std::nullopt}},
                  {"x1", FloatDistribution{0, 15, false, std::nullopt}}},
                 [](const Params& p) {
                   double x1 = p.at("x0"), x2 = p.at("x1");
                   double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
                   return std::pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) +
                          10;
                 },
                 0.397887});
  out.push_back({"hartmann6", Box(6, 0, 1),
                 [](const Params& p) {
                   static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
                   static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                                  {0.05, 10, 17, 0.1, 8, 14},
                                                  {3, 3.5, 1.7, 10, 17, 8},
                                                  {17, 8, 0.05, 10, 0.1, 14}};
                   static const double q[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                                  {2329, 4135, 8307, 3736, 1004, 9991},
                                                  {2348, 1451, 3522, 2883, 3047, 6650},
                                                  {4047, 8828, 8732, 5743, 1091, 381}};
                   auto x = Xs(p, 6);
                   double sum = 0;
                   for (int i = 0; i < 4; ++i) {
                     double inner = 0;
                     for (int j = 0; j < 6; ++j)
                       inner += a[i][j] * std::pow(x[j] - 1e-4 * q[i][j], 2);
                     sum += alpha[i] * std::exp(-inner);
                   }
                   return -sum;
                 },
                 -3.32237});
  out.push_back({"rosenbrock4", Box(4, -5, 10),
                 [](const Params& p) {
                   auto x = Xs(p, 4);
                   double s = 0;
                   for (int i = 0; i < 3; ++i) {
                     s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
                   }
                   return s;
                 },
                 0});
  out.push_back({"ackley5", Box(5, -32.768, 32.768),
                 [](const Params& p) {
                   auto x = Xs(p, 5);
                   double sq = 0, cs = 0;
                   for (double v : x) {
                     sq += v * v;
                     cs += std::cos(2 * pi * v);
                   }
                   return -20 * std::exp(-0.2 * std::sqrt(sq / 5)) - std::exp(cs / 5) + 20 +
                          std::numbers::e;
                 },
                 0});
  out.push_back({"mixed",
                 {{"lr", FloatDistribution{1e-5, 1e-1, true, std::nullopt}},
                  {"batch", IntDistribution{16, 256, false, 16}},
                  {"opt", CategoricalDistribution{{Choice{"sgd"}, Choice{"adam"}, Choice{"rmsprop"},
                                                   Choice{"adagrad"}}}},
                  {"dropout", FloatDistribution{0, 0.5, false, 0.05}},
                  {"units", IntDistribution{8, 1024, true, 1}}},
                 [](const Params& p) {
                   static const double opt_penalty[4] = {0.8, 0.0, 0.3, 1.0};
                   double lr = p.at("lr"), batch = p.at("batch"), dropout = p.at("dropout");
                   double units = p.at("units");
                   return std::pow(std::log10(lr) + 2.5, 2) + std::pow((batch - 96) / 64, 2) +
                          opt_penalty[static_cast<int>(p.at("opt"))] +
                          10 * std::pow(dropout - 0.15, 2) + std::pow(std::log2(units) - 7, 2) / 4;
                 },
                 0});
  return out;
}

// bench/samplers' problems beyond Problems(): continuous up to 10 dimensions,
// integer, categorical, and noisy variants.
inline std::vector<Problem> MoreProblems() {
  std::vector<Problem> out;
  out.push_back({"styblinski10", Box(10, -5, 5),
                 [](const Params& p) {
                   double s = 0;
                   for (double v : Xs(p, 10)) s += (v * v * v * v - 16 * v * v + 5 * v) / 2;
                   return s;
                 },
                 -39.16616570377142 * 10});
  {
    // Four integers in [-10, 10]: a rotated, scaled quadratic, minimum at
    // (3, -2, 5, 0).
    SearchSpace space;
    for (int i = 0; i < 4; ++i) {
      space.push_back({"x" + std::to_string(i), IntDistribution{-10, 10, false, 1}});
    }
    out.push_back({"int_quadratic4", space,
                   [](const Params& p) {
                     static const double c[4] = {3, -2, 5, 0};
                     auto x = Xs(p, 4);
                     double s = 0;
                     for (int i = 0; i < 4; ++i) s += (i + 1) * std::pow(x[i] - c[i], 2);
                     return s + std::pow(x[0] - c[0] + x[1] - c[1], 2);
                   },
                   0});
  }
  {
    // Three categoricals of 5 choices and two floats: the choices interact.
    std::vector<Choice> five = {Choice{"a"}, Choice{"b"}, Choice{"c"}, Choice{"d"}, Choice{"e"}};
    SearchSpace space = {{"c0", CategoricalDistribution{five}},
                         {"c1", CategoricalDistribution{five}},
                         {"c2", CategoricalDistribution{five}},
                         {"x0", FloatDistribution{0, 1, false, std::nullopt}},
                         {"x1", FloatDistribution{0, 1, false, std::nullopt}}};
    out.push_back({"categorical5", space,
                   [](const Params& p) {
                     static const double cost[5] = {0.9, 0.4, 0.0, 0.6, 1.0};
                     const int c0 = static_cast<int>(p.at("c0"));
                     const int c1 = static_cast<int>(p.at("c1"));
                     const int c2 = static_cast<int>(p.at("c2"));
                     const double match = c1 == (c0 + 1) % 5 ? 0.0 : 0.5;
                     return cost[c0] + match + 0.3 * (c2 != 4) + std::pow(p.at("x0") - 0.3, 2) +
                            std::pow(p.at("x1") - 0.8, 2);
                   },
                   0});
  }
  for (const auto& base : Problems()) {
    if (base.name != "branin" && base.name != "hartmann6" && base.name != "mixed") continue;
    Problem noisy = base;
    noisy.name = base.name + "_noisy";
    // About a tenth of the function's spread near its optimum.
    noisy.noise_sd = base.name == "branin" ? 1.0 : base.name == "hartmann6" ? 0.1 : 0.1;
    out.push_back(noisy);
  }
  return out;
}

}  // namespace gdsweep::bench
