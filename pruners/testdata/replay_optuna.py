#!/usr/bin/env python3
"""Records Optuna 3.1's pruning decisions for gdsweep's replay test.

Builds recorded studies (random learning curves, both directions, NaN and
infinite values, skipped and out-of-order steps, trials failed or pruned by
the user, several trials running at once through ask/tell) for every pruner
type and several settings of each, and asks Debian's python3-optuna after
every intermediate value whether to prune. Writes one JSON document: per
study, the pruner section as gdsweep's study file spells it, and the events
(ask, report with Optuna's decision, tell), then each trial's rung values
(system attrs completed_rung_N) and Hyperband bracket. pruner_replay.cc
replays them through gdsweep's pruners. Studies use Optuna's in-memory
storage (pruners/README.md says why).

Usage: replay_optuna.py [--seed N] [--out FILE]
"""
import argparse
import json
import math
import random
import sys
import warnings

import optuna
from optuna.pruners import (HyperbandPruner, MedianPruner, NopPruner, PatientPruner,
                            PercentilePruner, SuccessiveHalvingPruner, ThresholdPruner)
from optuna.trial import TrialState

# (pruner section as in a gdsweep study file, study names to run it under)
CONFIGS = [
    ({"type": "median"}, ["median-default"]),
    ({"type": "median", "n_startup_trials": 3, "n_warmup_steps": 4, "interval_steps": 3,
      "n_min_trials": 2}, ["median-tuned"]),
    ({"type": "percentile", "percentile": 25.0}, ["pct-25"]),
    ({"type": "percentile", "percentile": 80.0, "n_startup_trials": 2, "n_warmup_steps": 2,
      "interval_steps": 2}, ["pct-80"]),
    ({"type": "percentile", "percentile": 0.0, "n_startup_trials": 1}, ["pct-0"]),
    ({"type": "percentile", "percentile": 100.0, "n_startup_trials": 1, "n_min_trials": 3},
     ["pct-100"]),
    ({"type": "successive_halving"}, ["sh-auto"]),
    ({"type": "successive_halving", "min_resource": 2, "reduction_factor": 3,
      "min_early_stopping_rate": 1}, ["sh-2-3-1"]),
    ({"type": "successive_halving", "min_resource": 1, "reduction_factor": 2,
      "bootstrap_count": 2}, ["sh-bootstrap"]),
    ({"type": "hyperband"}, ["hb-a", "hb-b", "optuna-study-7"]),
    ({"type": "hyperband", "min_resource": 1, "max_resource": 27, "reduction_factor": 3},
     ["hb-27", "mnist.lr_sweep"]),
    # log3(243) is 4.999999999999999 in doubles: 5 brackets, not 6.
    ({"type": "hyperband", "max_resource": 243}, ["hb-243"]),
    ({"type": "hyperband", "min_resource": 2, "max_resource": 40, "reduction_factor": 2,
      "bootstrap_count": 1}, ["hb-bootstrap", "x"]),
    ({"type": "threshold", "lower": 0.2}, ["thr-lower"]),
    ({"type": "threshold", "upper": 0.9, "n_warmup_steps": 3}, ["thr-upper"]),
    ({"type": "threshold", "lower": 0.1, "upper": 0.95, "n_warmup_steps": 2,
      "interval_steps": 4}, ["thr-both"]),
    ({"type": "patient", "patience": 3}, ["patient-alone"]),
    ({"type": "patient", "patience": 2, "min_delta": 0.05,
      "wrapped_pruner": {"type": "median", "n_startup_trials": 2}}, ["patient-median"]),
    ({"type": "patient", "patience": 1,
      "wrapped_pruner": {"type": "hyperband", "max_resource": 30}}, ["patient-hb"]),
    ({"type": "patient", "patience": 0,
      "wrapped_pruner": {"type": "successive_halving", "min_resource": 1}}, ["patient-sh"]),
    ({"type": "none"}, ["none"]),
]

OPTUNA_ARGS = {  # gdsweep's keys are Optuna's argument names, except "type"
    "median": MedianPruner, "percentile": PercentilePruner,
    "successive_halving": SuccessiveHalvingPruner, "hyperband": HyperbandPruner,
    "threshold": ThresholdPruner, "none": NopPruner,
}


def make_pruner(section):
    args = {k: v for k, v in section.items() if k != "type"}
    if section["type"] == "patient":
        inner = args.pop("wrapped_pruner", None)
        return PatientPruner(make_pruner(inner) if inner else None, **args)
    return OPTUNA_ARGS[section["type"]](**args)


def encode(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


class Curve:
    """A trial's planned learning curve: its steps and values."""

    def __init__(self, rng, maximize):
        n = rng.choice([rng.randint(1, 8), rng.randint(5, 35), rng.randint(20, 45)])
        gap = rng.random() < 0.25  # skips steps
        step = rng.choice([0, 0, 0, 1])
        self.steps = []
        for _ in range(n):
            self.steps.append(step)
            step += rng.randint(1, 4) if gap else 1
        if len(self.steps) > 3 and rng.random() < 0.1:  # two steps reported out of order
            i = rng.randrange(len(self.steps) - 1)
            self.steps[i], self.steps[i + 1] = self.steps[i + 1], self.steps[i]
        final = rng.random()
        start = rng.uniform(0.0, 1.0)
        tau = rng.uniform(2.0, 15.0)
        noise = rng.uniform(0.0, 0.05)
        self.values = []
        for s in self.steps:
            loss = final * 0.8 + (start - final * 0.8) * math.exp(-s / tau)
            loss += rng.gauss(0.0, noise)
            v = 1.0 - loss if maximize else loss  # accuracy-like when maximized
            r = rng.random()
            if r < 0.03:
                v = math.nan
            elif r < 0.04:
                v = rng.choice([math.inf, -math.inf])
            self.values.append(round(v, 3) if rng.random() < 0.3 else v)  # ties
        if rng.random() < 0.04:  # a trial that goes NaN for good
            cut = rng.randrange(len(self.values))
            self.values[cut:] = [math.nan] * (len(self.values) - cut)
        # How it ends if the pruner lets it: mostly COMPLETE.
        r = rng.random()
        self.end = "FAIL" if r < 0.08 else "PRUNED" if r < 0.13 else "COMPLETE"
        self.end_at = rng.randint(1, n) if self.end != "COMPLETE" else n


def run_study(section, study_name, maximize, seed):
    rng = random.Random(seed)
    direction = "maximize" if maximize else "minimize"
    study = optuna.create_study(study_name=study_name, direction=direction,
                                pruner=make_pruner(section))
    events = []
    n_trials = rng.randint(25, 45)
    max_running = rng.choice([1, 2, 3, 4])
    running = {}  # number -> [trial, curve, next index]
    started = 0
    while started < n_trials or running:
        if started < n_trials and (len(running) < max_running and rng.random() < 0.6
                                   or not running):
            trial = study.ask()
            running[trial.number] = [trial, Curve(rng, maximize), 0]
            events.append({"ask": trial.number})
            started += 1
            continue
        number = rng.choice(sorted(running))
        trial, curve, i = running[number]
        if i == curve.end_at:
            state = getattr(TrialState, curve.end)
            if curve.end == "COMPLETE":
                value = next((v for v in reversed(curve.values) if math.isfinite(v)), 0.5)
                study.tell(trial, value)
                events.append({"tell": number, "state": "COMPLETE", "value": value})
            else:
                study.tell(trial, state=state)
                events.append({"tell": number, "state": curve.end})
            del running[number]
            continue
        step, value = curve.steps[i], curve.values[i]
        trial.report(value, step)
        prune = bool(trial.should_prune())
        events.append({"report": number, "step": step, "value": encode(value), "prune": prune})
        running[number][2] = i + 1
        if prune:
            study.tell(trial, state=TrialState.PRUNED)
            events.append({"tell": number, "state": "PRUNED"})
            del running[number]
    rungs, brackets = {}, {}
    pruner = study.pruner
    for t in study.get_trials(deepcopy=False):
        r = {k[len("completed_rung_"):]: encode(v) for k, v in t.system_attrs.items()
             if k.startswith("completed_rung_")}
        if r:
            rungs[str(t.number)] = r
        if isinstance(pruner, HyperbandPruner) and pruner._pruners:
            brackets[str(t.number)] = pruner._get_bracket_id(study, t)
    return {"study_name": study_name, "direction": direction, "pruner": section,
            "events": events, "rungs": rungs, "brackets": brackets}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")  # NumPy's all-NaN slice warnings, Optuna's FAIL notes
    if optuna.__version__.split(".")[:2] != ["3", "1"]:
        sys.exit(f"expected Optuna 3.1, found {optuna.__version__}")
    studies = []
    seed = args.seed
    for section, names in CONFIGS:
        for name in names:
            for maximize in (False, True):
                for _ in range(2):
                    seed += 1
                    studies.append(run_study(section, name, maximize, seed))
    doc = {"optuna": optuna.__version__, "studies": studies}
    out = sys.stdout if args.out == "-" else open(args.out, "w")
    json.dump(doc, out, allow_nan=False)
    out.write("\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
