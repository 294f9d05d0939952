"""Optuna 3.1's NSGA-II selection and crossovers on fixed inputs, as JSON.

selection: for seeded random populations, Optuna's fast non-dominated sort
(fronts as sets of row numbers), crowding distance of the first front, and
the elite population of size 12 (a set); the same with constraints
(constrained domination). crossover: mean and standard
deviation per coordinate of 20000 children of fixed parents, per crossover.
Run by samplers/nsga2/selection_test.cc with Debian's /usr/bin/python3.
"""
import json
import sys
import warnings

import numpy as np
import optuna
from optuna.samplers import NSGAIISampler
from optuna.samplers.nsgaii import (BLXAlphaCrossover, SBXCrossover, SPXCrossover,
                                    UNDXCrossover, UniformCrossover, VSBXCrossover)
from optuna.samplers.nsgaii._sampler import _calc_crowding_distance

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)


def selection():
    out = []
    for seed, m in [(1, 2), (2, 2), (3, 3)]:
        rng = np.random.RandomState(seed)
        values = rng.rand(30, m).round(6)
        study = optuna.create_study(directions=["minimize"] * m)
        trials = []
        for i, v in enumerate(values):
            t = optuna.trial.create_trial(values=list(v), params={}, distributions={})
            t.number = i
            trials.append(t)
        sampler = NSGAIISampler(population_size=12)
        fronts = sampler._fast_non_dominated_sort(list(trials), study.directions)
        first = list(fronts[0])
        crowding = _calc_crowding_distance(first)
        elite = sampler._select_elite_population(study, list(trials))
        out.append({
            "m": m,
            "values": values.tolist(),
            "fronts": [sorted(t.number for t in f) for f in fronts],
            "crowding": {str(k): (v if np.isfinite(v) else "inf") for k, v in crowding.items()},
            "elite": sorted(t.number for t in elite),
        })
    return out


def constrained_selection():
    # As selection(), with two constraint values per trial (some feasible,
    # some not, two without any) and NSGAIISampler(constraints_func=...): the
    # function itself is not called here; its presence switches Optuna to
    # constrained domination over the stored "constraints" attributes.
    out = []
    for seed, m in [(4, 2), (5, 3)]:
        rng = np.random.RandomState(seed)
        values = rng.rand(30, m).round(6)
        constraints = (rng.rand(30, 2) - 0.6).round(6)
        study = optuna.create_study(directions=["minimize"] * m)
        trials = []
        for i, v in enumerate(values):
            attrs = {} if i in (3, 17) else {"constraints": list(constraints[i])}
            t = optuna.trial.create_trial(values=list(v), params={}, distributions={},
                                          system_attrs=attrs)
            t.number = i
            trials.append(t)
        sampler = NSGAIISampler(population_size=12, constraints_func=lambda t: [0.0])
        fronts = sampler._fast_non_dominated_sort(list(trials), study.directions)
        elite = sampler._select_elite_population(study, list(trials))
        out.append({
            "m": m,
            "values": values.tolist(),
            "constraints": [None if i in (3, 17) else list(constraints[i]) for i in range(30)],
            "fronts": [sorted(t.number for t in f) for f in fronts],
            "elite": sorted(t.number for t in elite),
        })
    return out


def crossover():
    parents = np.array([[0.2, 0.3], [0.7, 0.6], [0.4, 0.9]])
    bounds = np.array([[0.0, 1.0], [0.0, 1.0]])
    study = optuna.create_study(directions=["minimize", "minimize"])
    kinds = {"uniform": UniformCrossover(0.5), "sbx": SBXCrossover(), "vsbx": VSBXCrossover(),
             "blxalpha": BLXAlphaCrossover(), "spx": SPXCrossover(), "undx": UNDXCrossover()}
    rng = np.random.RandomState(0)
    out = {}
    for name, c in kinds.items():
        children = np.array([c.crossover(parents[: c.n_parents], rng, study, bounds)
                             for _ in range(20000)])
        out[name] = {"mean": children.mean(axis=0).tolist(), "std": children.std(axis=0).tolist()}
    return out


json.dump({"selection": selection(), "constrained_selection": constrained_selection(),
           "crossover": crossover()}, sys.stdout)
