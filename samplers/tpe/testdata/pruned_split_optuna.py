#!/usr/bin/env python3
"""Records how Optuna 3.1's TPE divides a history with PRUNED trials into its
good ("below") and bad ("above") trials, for gdsweep's tpe_pruned_split test.

Builds random single-objective studies (both directions) of COMPLETE trials
(ties, infinite values, NaN, which Optuna's create_trial accepts), PRUNED
trials (their last step deepest, shallow, 0, or no intermediate value at all;
last values tied, infinite or NaN; steps reported out of order), FAIL and
RUNNING trials, adds them to an in-memory study with add_trials, and runs
Debian's python3-optuna's own code: TPESampler's _get_observation_pairs and
_split_observation_pairs with the study's gamma. Writes one JSON document:
per case, the direction, gamma (fraction, cap), the trials, and the numbers of
the trials Optuna puts below and above. pruned_split_replay.cc checks that
gdsweep's ObservationCache and SplitSingleObjective give the same split.

Usage: pruned_split_optuna.py [--seed N] [--cases N] [--out FILE]
"""
import argparse
import json
import math
import random
import sys
import warnings

import optuna
from optuna.distributions import FloatDistribution
from optuna.samplers._tpe.sampler import _get_observation_pairs, _split_observation_pairs
from optuna.trial import TrialState, create_trial

INF = float("inf")


def encode(v):
    """A value as Python's repr writes it ("0.25", "nan", "-inf"): exact, and
    what C++'s std::stod reads back."""
    return None if v is None else repr(float(v))


def random_value(rng):
    r = rng.random()
    if r < 0.05:
        return float("nan")
    if r < 0.10:
        return INF
    if r < 0.15:
        return -INF
    if r < 0.45:
        return rng.choice([0.25, 0.5, 0.75])  # ties
    return round(rng.uniform(-1, 1), 6)


def random_trial(rng, max_step):
    """(state, value, {step: value})"""
    r = rng.random()
    if r < 0.40:
        return "COMPLETE", random_value(rng), {}
    if r < 0.85:
        k = rng.choice([0, 0, 1, 2, 3, 4])  # no intermediate values a third of the time
        steps = rng.sample(range(max_step + 1), min(k, max_step + 1))
        return "PRUNED", None, {s: random_value(rng) for s in steps}  # out of order
    if r < 0.93:
        return "FAIL", None, {}
    return "RUNNING", None, {}


def make_case(rng, index):
    direction = rng.choice(["minimize", "maximize"])
    fraction, cap = rng.choice([(0.1, 25), (0.25, 25), (0.5, 25), (0.5, 3), (1.0, 25)])
    n = rng.randint(1, 40)
    max_step = rng.choice([0, 1, 3, 10])
    trials = [random_trial(rng, max_step) for _ in range(n)]

    study = optuna.create_study(direction=direction, study_name=f"case-{index}")
    dist = {"x": FloatDistribution(0.0, 1.0)}
    frozen = []
    for number, (state, value, inter) in enumerate(trials):
        frozen.append(create_trial(
            state=TrialState[state], value=value, params={"x": (number + 0.5) / (n + 1)},
            distributions=dist, intermediate_values=inter))
    study.add_trials(frozen)

    def gamma(x):
        return min(int(math.ceil(fraction * x)), cap)

    _, scores, _ = _get_observation_pairs(study, ["x"], False, False)
    taking_part = [t.number for t in study.get_trials(
        deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))]
    n_finished = sum(s < INF for s, _ in scores)
    below, above = _split_observation_pairs(scores, gamma(n_finished), None)
    return {
        "direction": direction,
        "gamma": {"fraction": fraction, "cap": cap},
        "trials": [{"number": i, "state": s, "value": encode(v),
                    "intermediate": [[step, encode(x)] for step, x in inter.items()]}
                   for i, (s, v, inter) in enumerate(trials)],
        "n_finished": n_finished,
        "below": sorted(taking_part[i] for i in below),
        "above": sorted(taking_part[i] for i in above),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=12)
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
