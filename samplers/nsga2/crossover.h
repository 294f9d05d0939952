// The crossovers of Optuna 3.1's NSGAIISampler on numeric parameters in box
// coordinates (samplers/numeric_space.h): uniform, SBX (simulated binary,
// bounded as Optuna), BLX-alpha, SPX (simplex), UNDX (unimodal normal
// distribution) and vSBX. Each makes one child from its parents (two; three
// for SPX and UNDX). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "samplers/seeding.h"

namespace gdsweep::nsga2 {

enum class CrossoverKind { kUniform, kSbx, kBlxAlpha, kSpx, kUndx, kVsbx };

// "uniform", "sbx", "blxalpha", "spx", "undx", "vsbx".
std::optional<CrossoverKind> CrossoverFromName(std::string_view name);
// How many parents the crossover takes: 3 for SPX and UNDX, else 2.
int ParentsOf(CrossoverKind kind);

struct CrossoverParams {
  double swapping_prob = 0.5;  // uniform: each coordinate from the second parent
  double eta = 2;              // SBX and vSBX: Optuna 20 with several objectives, 2 with one
  double alpha = 0.5;          // BLX-alpha
};

// One child of `parents` (ParentsOf(kind) rows of n coordinates); lower and
// upper are the box (SBX keeps its children inside them). The child may fall
// outside the box; the caller decides.
std::vector<double> Crossover(CrossoverKind kind, const std::vector<std::vector<double>>& parents,
                              std::span<const double> lower, std::span<const double> upper,
                              const CrossoverParams& params, Rng& rng);

}  // namespace gdsweep::nsga2
