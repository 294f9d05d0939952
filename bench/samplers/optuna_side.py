#!/usr/bin/python3
"""Optuna's side of bench/samplers: Optuna's default TPESampler (and
CmaEsSampler, NSGAIISampler, RandomSampler, QMCSampler by name: tpe, cmaes,
nsga2, random, qmc) on the problems of bench/tpe/functions.h, 100 trials per seed, one JSON
line per (sampler, problem, seed) with the final regret, as sampler_bench
quality prints. The problems come from `sampler_bench spaces` and are
evaluated by `sampler_bench eval` (one process, a line per trial), so both
sides optimise the same functions with the same noise.

  optuna_side.py --bench build/bench/samplers/sampler_bench [--samplers tpe]
                 [--seeds 30] [--first-seed 0] [--trials 100] [--problems a,b]
"""

import argparse
import json
import subprocess
import sys
import time

import optuna
from optuna.distributions import json_to_distribution


def make_sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, scramble=True)
    raise SystemExit(f"unknown Optuna sampler {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--samplers", default="tpe")
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--problems", default="")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)

    spaces = json.loads(subprocess.check_output([args.bench, "spaces"]))
    evaluator = subprocess.Popen([args.bench, "eval"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
    only = [p for p in args.problems.split(",") if p]
    for problem, spec in spaces.items():
        if only and problem not in only:
            continue
        params = [(name, json_to_distribution(json.dumps(d))) for name, d in spec["params"]]
        dists = dict(params)
        for sampler_name in args.samplers.split(","):
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                study = optuna.create_study(sampler=make_sampler(sampler_name, seed))
                best_observed, regret = float("inf"), float("inf")
                start = time.monotonic()
                for number in range(args.trials):
                    trial = study.ask(dists)
                    internal = [d.to_internal_repr(trial.params[name]) for name, d in params]
                    evaluator.stdin.write(f"{problem} {seed} {number} " +
                                          " ".join(repr(float(v)) for v in internal) + "\n")
                    evaluator.stdin.flush()
                    observed, truth = map(float, evaluator.stdout.readline().split())
                    study.tell(trial, observed)
                    if observed < best_observed:
                        best_observed, regret = observed, truth
                print(json.dumps({"impl": "optuna", "sampler": sampler_name, "problem": problem,
                                  "seed": seed, "regret": regret - spec["optimum"],
                                  "seconds": round(time.monotonic() - start, 4)}), flush=True)
    evaluator.stdin.close()
    evaluator.wait()


if __name__ == "__main__":
    sys.exit(main())
