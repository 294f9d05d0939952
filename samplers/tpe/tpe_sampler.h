// The Tree-structured Parzen Estimator sampler (Bergstra et al., NeurIPS 2011;
// Watanabe, "Tree-structured Parzen estimator: understanding its algorithm
// components", 2023), with the choices of Optuna's TPESampler: the first
// n_startup_trials are random; then the history is split into the gamma(n)
// best trials and the rest, a Parzen estimator l(x) is fitted to the first and
// g(x) to the second, n_ei_candidates points are drawn from l and the one
// maximising log l(x) - log g(x) is proposed. Univariate (one estimator per
// parameter) or multivariate (one joint estimator). Multi-objective studies
// split by non-dominated fronts with a hypervolume tie-break and weigh the good
// trials by hypervolume contribution (MOTPE). RUNNING trials count as bad with
// constant_liar (in multi-objective studies too, as Optuna since 3.x; 3.1
// ignored them there) and are ignored without it; FAIL trials are ignored;
// PRUNED trials rank after every COMPLETE one, by the step they reached, then
// value (multi-objective studies ignore them, as Optuna). Kernels of
// continuous parameters weigh by bandwidth, ranking candidates as Optuna 3.1
// does in both modes (see EstimatorOptions::weight_by_bandwidth).
//
// Dynamic spaces (conditional parameters, Optuna define-by-run studies) as
// Optuna 3.1: the split is over every finished trial, and each estimator is
// fitted on the trials of that split that have its parameter(s). Multivariate
// samples jointly the intersection search space (the parameters every
// COMPLETE or PRUNED trial has) and every other active parameter
// independently; with `group`, each group of parameters that always appear
// together (search_space_groups.h) jointly. With constraints, the split puts
// feasible trials first, then infeasible ones by total violation
// (tpe_split.h's SplitByViolation).
//
// The parameters of trial n are a pure function of (seed, n, the history):
// randomness comes from samplers/seeding.h streams, one per parameter
// (univariate; the startup draws are RandomSampler's) or one per trial
// (multivariate). The sampler keeps a cache of the transformed finished
// trials, so a call scans the history once and evaluates at most
// n_ei_candidates x history kernels per parameter (far ones are skipped),
// without re-reading old trials. Not thread-safe (the Sampler contract).
#pragma once

#include <cstdint>
#include <memory>

#include "samplers/sampler.h"

namespace gdsweep {

// `space` is the study's; a request with another space (or other objectives)
// resets the cache and is served all the same.
std::unique_ptr<Sampler> MakeTpeSampler(const TpeOptions& options, const SearchSpace& space,
                                        uint64_t seed);

}  // namespace gdsweep
