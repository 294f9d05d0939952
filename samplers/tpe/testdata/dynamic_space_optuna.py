#!/usr/bin/env python3
"""Records how Optuna 3.1's TPE treats dynamic search spaces and constraints,
for gdsweep's tpe_dynamic_space test.

Builds random studies (one or two objectives) whose trials each have a random
subset of the parameters a, b, c, d (as conditional parameters leave them),
COMPLETE, PRUNED, FAIL and RUNNING, most with a "constraints" system attribute
(feasible, infeasible, tied violations) and some without, and runs Debian's
python3-optuna's own code: IntersectionSearchSpace(include_pruned=True) and
_GroupDecomposedSearchSpace(True), as TPESampler builds them, and
_get_observation_pairs(constraints_enabled=True) + _split_observation_pairs
with the case's gamma. Writes one JSON document: per case, the trials, the
intersection, the groups, and the numbers of the trials put below and above.
dynamic_space_replay.cc checks that gdsweep's search_space_groups and
ObservationCache + SplitConstrained give the same.

Usage: dynamic_space_optuna.py [--seed N] [--cases N] [--out FILE]
"""
import argparse
import json
import math
import random
import sys
import warnings

import optuna
from optuna.distributions import FloatDistribution
from optuna.samplers._search_space import IntersectionSearchSpace
from optuna.samplers._search_space.group_decomposed import _GroupDecomposedSearchSpace
from optuna.samplers._tpe.sampler import _get_observation_pairs, _split_observation_pairs
from optuna.trial import TrialState, create_trial

NAMES = ["a", "b", "c", "d"]


def random_constraints(rng):
    r = rng.random()
    if r < 0.15:
        return None  # no constraint values recorded
    k = rng.choice([1, 2])
    return [rng.choice([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, round(rng.uniform(-1, 1), 3)])
            for _ in range(k)]


def make_case(rng, index):
    n_obj = rng.choice([1, 1, 1, 2])
    directions = [rng.choice(["minimize", "maximize"]) for _ in range(n_obj)]
    fraction, cap = rng.choice([(0.1, 25), (0.25, 25), (0.5, 25), (0.5, 3), (1.0, 25)])
    n = rng.randint(1, 30)
    # A few "branches" (subsets of parameters), as a conditional space has.
    branches = [sorted(rng.sample(NAMES, rng.randint(1, 4))) for _ in range(rng.randint(1, 3))]
    study = optuna.create_study(directions=directions, study_name=f"case-{index}")
    trials = []
    for number in range(n):
        r = rng.random()
        state = ("COMPLETE" if r < 0.6 else "PRUNED" if r < 0.8 else
                 "FAIL" if r < 0.9 else "RUNNING")
        names = rng.choice(branches)
        params = {name: round(rng.random(), 4) for name in names}
        values = None
        inter = {}
        if state == "COMPLETE":
            values = [round(rng.uniform(-1, 1), 3) for _ in range(n_obj)]
        elif state == "PRUNED":
            inter = {s: round(rng.uniform(-1, 1), 3) for s in rng.sample(range(4), rng.randint(0, 2))}
        constraints = random_constraints(rng) if state in ("COMPLETE", "PRUNED") else None
        trials.append({"number": number, "state": state, "params": params, "values": values,
                       "intermediate": [[s, v] for s, v in inter.items()],
                       "constraints": constraints})
        study.add_trial(create_trial(
            state=TrialState[state], values=values, params=params,
            distributions={k: FloatDistribution(0.0, 1.0) for k in params},
            intermediate_values=inter,
            system_attrs={} if constraints is None else {"constraints": constraints}))

    def gamma(x):
        return min(int(math.ceil(fraction * x)), cap)

    intersection = sorted(IntersectionSearchSpace(include_pruned=True).calculate(study).keys())
    groups = sorted(sorted(g.keys()) for g in
                    _GroupDecomposedSearchSpace(True).calculate(study).search_spaces)
    _, scores, violations = _get_observation_pairs(study, ["a"], False, True)
    states = (TrialState.COMPLETE,) if n_obj > 1 else (TrialState.COMPLETE, TrialState.PRUNED)
    taking_part = [t.number for t in study.get_trials(deepcopy=False, states=states)]
    n_finished = sum(s < float("inf") for s, _ in scores)
    below, above = _split_observation_pairs(scores, gamma(n_finished), violations)
    return {
        "directions": directions,
        "gamma": {"fraction": fraction, "cap": cap},
        "trials": trials,
        "intersection": intersection,
        "groups": groups,
        "n_finished": n_finished,
        "below": sorted(taking_part[i] for i in below),
        "above": sorted(taking_part[i] for i in above),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    rng = random.Random(args.seed)
    doc = {"optuna": optuna.__version__, "cases": [make_case(rng, i) for i in range(args.cases)]}
    out = sys.stdout if args.out == "-" else open(args.out, "w")
    json.dump(doc, out)
    out.write("\n")


if __name__ == "__main__":
    main()
