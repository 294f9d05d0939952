#!/usr/bin/python3
"""Optuna's TPESampler (and RandomSampler) on the problems of bench/tpe/functions.h,
with the same budgets as tpe_bench, JSON on stdout. Meant for Debian's
python3-optuna (3.1) under /usr/bin/python3.

  optuna_reference.py quality [--seeds 20] [--trials 100] [--multivariate]
      best-so-far after 25/50/100 trials per problem, sampler and seed;
  optuna_reference.py speed [--sizes 100,1000,10000] [--dims 2,10]
                            [--asks 100:20,1000:5,10000:2]
      seconds per ask+tell on an in-memory study pre-filled (study.add_trials)
      with that many random COMPLETE trials, after one untimed warm-up ask;
  optuna_reference.py speed-sqlite [same options]
      the same on a SQLite file (optuna.create_study(storage="sqlite:///...")),
      the study opened afresh (load_study) before the first, cold, ask.
"""

import argparse
import json
import math
import os
import sqlite3
import sys
import tempfile
import time
import warnings

import numpy as np
import optuna
from optuna.distributions import FloatDistribution

CHECKPOINTS = [25, 50, 100]


def branin(trial):
    x1 = trial.suggest_float("x0", -5, 10)
    x2 = trial.suggest_float("x1", 0, 15)
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]
HARTMANN_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
HARTMANN_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]


def box(trial, dims, low, high):
    return [trial.suggest_float(f"x{i}", low, high) for i in range(dims)]


def hartmann6(trial):
    x = box(trial, 6, 0, 1)
    total = 0.0
    for i in range(4):
        inner = sum(HARTMANN_A[i][j] * (x[j] - 1e-4 * HARTMANN_P[i][j]) ** 2 for j in range(6))
        total += HARTMANN_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock4(trial):
    x = box(trial, 4, -5, 10)
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def ackley5(trial):
    x = box(trial, 5, -32.768, 32.768)
    sq = sum(v * v for v in x)
    cs = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(sq / 5)) - math.exp(cs / 5) + 20 + math.e


OPT_PENALTY = {"sgd": 0.8, "adam": 0.0, "rmsprop": 0.3, "adagrad": 1.0}


def mixed(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    batch = trial.suggest_int("batch", 16, 256, step=16)
    opt = trial.suggest_categorical("opt", ["sgd", "adam", "rmsprop", "adagrad"])
    dropout = trial.suggest_float("dropout", 0, 0.5, step=0.05)
    units = trial.suggest_int("units", 8, 1024, log=True)
    return (
        (math.log10(lr) + 2.5) ** 2
        + ((batch - 96) / 64) ** 2
        + OPT_PENALTY[opt]
        + 10 * (dropout - 0.15) ** 2
        + (math.log2(units) - 7) ** 2 / 4
    )


PROBLEMS = [
    ("branin", branin),
    ("hartmann6", hartmann6),
    ("rosenbrock4", rosenbrock4),
    ("ackley5", ackley5),
    ("mixed", mixed),
]


def run(objective, sampler, trials):
    study = optuna.create_study(sampler=sampler)
    best, out = math.inf, []
    for k in range(trials):
        trial = study.ask()
        value = objective(trial)
        study.tell(trial, value)
        best = min(best, value)
        if k + 1 in CHECKPOINTS:
            out.append(best)
    return out


def quality(args):
    started = time.perf_counter()
    runs = {}
    for name, objective in PROBLEMS:
        runs[name] = {"tpe": [], "random": []}
        for seed in range(args.seeds):
            tpe = optuna.samplers.TPESampler(seed=seed, multivariate=args.multivariate)
            runs[name]["tpe"].append(run(objective, tpe, args.trials))
            rnd = optuna.samplers.RandomSampler(seed=seed)
            runs[name]["random"].append(run(objective, rnd, args.trials))
        print(f"optuna quality: {name} done", file=sys.stderr, flush=True)
    return {
        "kind": "quality",
        "impl": "optuna " + optuna.__version__,
        "multivariate": args.multivariate,
        "checkpoints": CHECKPOINTS,
        "seeds": args.seeds,
        "runs": runs,
        "seconds": time.perf_counter() - started,
    }


def speed(args):
    asks_for = dict(tuple(int(v) for v in pair.split(":")) for pair in args.asks.split(","))
    rows = []
    for dims in [int(v) for v in args.dims.split(",")]:
        for n in [int(v) for v in args.sizes.split(",")]:
            rng = np.random.RandomState(12345)
            dists = {f"x{i}": FloatDistribution(-5, 5) for i in range(dims)}
            sampler = optuna.samplers.TPESampler(seed=1, multivariate=args.multivariate)
            study = optuna.create_study(sampler=sampler)
            prefill = []
            for _ in range(n):
                params = {name: float(rng.uniform(-5, 5)) for name in dists}
                value = sum(v * v for v in params.values())
                prefill.append(
                    optuna.trial.create_trial(params=params, distributions=dists, value=value)
                )
            study.add_trials(prefill)
            times = []
            for _ in range(1 + asks_for.get(n, 2)):  # the first is the warm-up
                t0 = time.perf_counter()
                trial = study.ask(dists)
                study.tell(trial, sum(v * v for v in trial.params.values()))
                times.append(time.perf_counter() - t0)
            cold, times = times[0], sorted(times[1:])
            rows.append(
                {
                    "n": n,
                    "dims": dims,
                    "asks": len(times),
                    "ms_median": 1e3 * times[len(times) // 2],
                    "ms_mean": 1e3 * sum(times) / len(times),
                    "ms_min": 1e3 * times[0],
                    "ms_cold": 1e3 * cold,
                }
            )
            print(f"optuna speed: n={n} dims={dims} {rows[-1]['ms_median']:.1f} ms",
                  file=sys.stderr, flush=True)
    return {
        "kind": "speed",
        "impl": "optuna " + optuna.__version__,
        "multivariate": args.multivariate,
        "rows": rows,
    }


def random_trials(rng, n, dists):
    """n random COMPLETE trials of the sphere as (params, value)."""
    out = []
    for _ in range(n):
        params = {name: float(rng.uniform(-5, 5)) for name in dists}
        out.append((params, sum(v * v for v in params.values())))
    return out


def prefill_sqlite(url, path, dists, trials):
    """Writes `trials` into a new study "sphere" at `url`: the first through
    Optuna (study.add_trial), the others as copies of its rows in one
    transaction, so the file is what add_trials writes (add_trials itself
    takes ~12 ms per trial of 10 params, 4 minutes for 20,000)."""
    study = optuna.create_study(study_name="sphere", storage=url)
    first_params, first_value = trials[0]
    study.add_trial(
        optuna.trial.create_trial(params=first_params, distributions=dists, value=first_value)
    )
    db = sqlite3.connect(path)
    with db:  # one transaction
        study_id, start, complete = db.execute(
            "SELECT study_id, datetime_start, datetime_complete FROM trials"
        ).fetchone()
        dist_json = dict(db.execute("SELECT param_name, distribution_json FROM trial_params"))
        for number, (params, value) in enumerate(trials[1:], start=1):
            trial_id = db.execute(
                "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete)"
                " VALUES (?, ?, 'COMPLETE', ?, ?)",
                (number, study_id, start, complete),
            ).lastrowid
            db.executemany(
                "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json)"
                " VALUES (?, ?, ?, ?)",
                [(trial_id, k, v, dist_json[k]) for k, v in params.items()],
            )
            db.execute(
                "INSERT INTO trial_values (trial_id, objective, value, value_type)"
                " VALUES (?, 0, ?, 'FINITE')",
                (trial_id, value),
            )
    db.close()


def speed_sqlite(args):
    asks_for = dict(tuple(int(v) for v in pair.split(":")) for pair in args.asks.split(","))
    rows = []
    for dims in [int(v) for v in args.dims.split(",")]:
        for n in [int(v) for v in args.sizes.split(",")]:
            dists = {f"x{i}": FloatDistribution(-5, 5) for i in range(dims)}
            trials = random_trials(np.random.RandomState(12345), n, dists)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "optuna.db")
                url = "sqlite:///" + path
                t0 = time.perf_counter()
                prefill_sqlite(url, path, dists, trials)
                prefill_s = time.perf_counter() - t0
                sampler = optuna.samplers.TPESampler(seed=1, multivariate=args.multivariate)
                study = optuna.load_study(study_name="sphere", storage=url, sampler=sampler)
                times = []
                for _ in range(1 + asks_for.get(n, 2)):  # the first is cold
                    t0 = time.perf_counter()
                    trial = study.ask(dists)
                    study.tell(trial, sum(v * v for v in trial.params.values()))
                    times.append(time.perf_counter() - t0)
                assert len(study.trials) == n + len(times)
                assert study.trials[n - 1].params == trials[-1][0]
            cold, times = times[0], sorted(times[1:])
            rows.append(
                {
                    "n": n,
                    "dims": dims,
                    "asks": len(times),
                    "ms_median": 1e3 * times[len(times) // 2],
                    "ms_mean": 1e3 * sum(times) / len(times),
                    "ms_min": 1e3 * times[0],
                    "ms_cold": 1e3 * cold,
                    "prefill_s": prefill_s,
                }
            )
            print(f"optuna sqlite speed: n={n} dims={dims} {rows[-1]['ms_median']:.1f} ms",
                  file=sys.stderr, flush=True)
    return {
        "kind": "study_speed",
        "impl": "optuna " + optuna.__version__,
        "multivariate": args.multivariate,
        "rows": rows,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["quality", "speed", "speed-sqlite"])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--multivariate", action="store_true")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--dims", default="2,10")
    parser.add_argument("--asks", default="100:20,1000:5,10000:2")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    modes = {"quality": quality, "speed": speed, "speed-sqlite": speed_sqlite}
    result = modes[args.mode](args)
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
