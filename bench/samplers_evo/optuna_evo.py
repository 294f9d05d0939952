#!/usr/bin/python3
"""Optuna 3.1's samplers on bench/tpe's problems (optuna_reference.PROBLEMS):
final regret after --trials trials, --seeds seeds, JSON lines as evo_bench
prints them. Samplers: tpe (the default TPESampler), cmaes (CmaEsSampler),
nsga2 (NSGAIISampler), random. Meant for Debian's /usr/bin/python3.
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

import optuna

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tpe"))
from optuna_reference import PROBLEMS  # noqa: E402

OPTIMA = {"branin": 0.397887, "hartmann6": -3.32237, "rosenbrock4": 0.0, "ackley5": 0.0,
          "mixed": 0.0}

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)


def make(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--samplers", default="tpe,cmaes,nsga2,random")
    args = p.parse_args()
    for problem, objective in PROBLEMS:
        for name in args.samplers.split(","):
            for seed in range(args.seeds):
                study = optuna.create_study(sampler=make(name, seed))
                best, spent = math.inf, 0.0
                for _ in range(args.trials):
                    t0 = time.perf_counter()
                    trial = study.ask()
                    value = objective(trial)
                    spent += time.perf_counter() - t0
                    study.tell(trial, value)
                    best = min(best, value)
                print(json.dumps({"side": "optuna", "sampler": name, "problem": problem,
                                  "seed": seed, "regret": best - OPTIMA[problem],
                                  "ms_per_ask": 1000 * spent / args.trials}), flush=True)


if __name__ == "__main__":
    main()
