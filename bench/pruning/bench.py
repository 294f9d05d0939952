"""Early-stopping benchmark on examples/pruning: gdsweep and Optuna 3.1 (Debian's
python3-optuna) run the same study (search space, TPE sampler, seed, pruner and
settings, study name) with the same training script, run the same way: a child
process started with the hyperparameters as argv, in a process group of its
own but in the driver's session (as gdsweep starts a trial: with Linux's
scheduler autogroups, a session of its own would get a CPU share of its own
under load and make the two sides' wall times incomparable), whose `epoch=E accuracy=X`
lines are the intermediate values; when the pruner says stop, the trial ends
PRUNED and the driver creates $GDSWEEP_PRUNE_FILE, and the script exits at its
next epoch end (SIGTERM to its process group after a 10 s grace period,
SIGKILL 0.5 s later: gdsweep's defaults).

    bench.py run --out DIR [--impl gdsweep,optuna] [--pruners none,median,hyperband]
                 [--seeds 5] [--trials 60] [--parallelism 2] [--gdsweep BIN]
    bench.py report DIR

`run` writes one JSON file per (implementation, pruner, seed) to DIR and skips
the ones already there (so a run can be resumed); the runs are interleaved
(seed by seed, pruner by pruner, gdsweep then Optuna) so that both see the
same machine load. `report` prints the tables.

Measured per trial: wall seconds from the trial's start to its end as each
implementation records them (gdsweep: `datetime_start` to `datetime_complete`
in its database; Optuna: the same fields of its FrozenTrial, set at ask and
tell), i.e. until the process exits for a COMPLETE trial and until the
pruning decision for a PRUNED one (both record it PRUNED then); and the
epochs it trained (the `accuracy=` lines it printed: on Optuna's side as read,
on gdsweep's from the trial's stdout.log), a load-independent count of the
training done, the epoch run after a stop decision included."""
import argparse
import copy
import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(ROOT, "examples", "pruning")
GRACE_SECONDS = 10.0  # gdsweep's default trial.prune_grace

# The pruners compared; each replaces the example's `pruner` section. Optuna's
# defaults for every setting not given.
PRUNERS = {
    "none": {"type": "none"},
    "median": {"type": "median"},
    "hyperband": {"type": "hyperband", "min_resource": 1, "max_resource": "auto",
                  "reduction_factor": 3},
}


def load_example():
    with open(os.path.join(EXAMPLE, "study.yaml")) as f:
        return yaml.safe_load(f)


def study_name(pruner, seed):
    # Hyperband assigns brackets from the study name: the same on both sides.
    return f"pruning-bench-{pruner}-s{seed}"


def study_for(pruner, seed, trials, parallelism):
    """The example's study with the pruner, seed, name and budget of one run."""
    spec = copy.deepcopy(load_example())
    spec["study_name"] = study_name(pruner, seed)
    spec["sampler"]["seed"] = seed
    spec["pruner"] = dict(PRUNERS[pruner])
    spec["budget"] = {"n_trials": trials, "parallelism": parallelism}
    spec["trial"]["working_dir"] = EXAMPLE
    return spec


# ---------------------------------------------------------------- Optuna side

def optuna_pruner(section):
    import optuna
    kind = section["type"]
    args = {k: v for k, v in section.items() if k != "type"}
    if kind == "none":
        return optuna.pruners.NopPruner()
    if kind == "median":
        return optuna.pruners.MedianPruner(**args)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(**args)
    raise ValueError(f"no Optuna pruner for {kind!r} in this bench")


def suggest(trial, name, dist):
    kind = dist["type"]
    if kind == "float":
        return trial.suggest_float(name, dist["low"], dist["high"], log=dist.get("log", False))
    if kind == "int":
        return trial.suggest_int(name, dist["low"], dist["high"], log=dist.get("log", False))
    if kind == "categorical":
        return trial.suggest_categorical(name, dist["choices"])
    raise ValueError(f"no Optuna distribution for {kind!r} in this bench")


def expand(command, params):
    """The trial command with {name} replaced by the value, one argv element
    each, as gdsweep does (floats as Python's repr: the shortest round trip)."""
    def value(match):
        return repr(params[match.group(1)]) if isinstance(params[match.group(1)], float) \
            else str(params[match.group(1)])
    return [re.sub(r"\{([^{}]+)\}", value, arg) for arg in command]


LINE = re.compile(r"(?:^|[\s,;])([A-Za-z_][A-Za-z0-9_./-]*)=([^\s,;]+)")


def stop(proc, prune_file, folder):
    """Stops a pruned trial's process as gdsweep does: the prune file, then
    after the grace period SIGTERM to its process group, SIGKILL 0.5 s later."""
    open(prune_file, "w").close()
    try:
        proc.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(0.5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    folder.cleanup()


def run_optuna(spec):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    metric = spec["objective"]["metric"]
    command = spec["trial"]["command"]
    lines = {}  # trial number -> the metric lines its process printed (read)
    lock = threading.Lock()
    finishing = []  # threads that drain a pruned trial's output while it stops

    def count(number, values):
        with lock:
            lines.setdefault(number, []).append(values)

    def drain(proc, number):
        for line in proc.stdout:
            values = dict(LINE.findall(line))
            if metric in values:
                count(number, values)

    def objective(trial):
        params = {name: suggest(trial, name, dist)
                  for name, dist in spec["search_space"].items()}
        folder = tempfile.TemporaryDirectory()
        prune_file = os.path.join(folder.name, "prune")
        env = dict(os.environ, GDSWEEP_PRUNE_FILE=prune_file)
        proc = subprocess.Popen(expand(command, params), cwd=EXAMPLE, env=env,
                                stdout=subprocess.PIPE, text=True, process_group=0)
        last = None
        for line in proc.stdout:
            values = dict(LINE.findall(line))
            if metric not in values:
                continue
            count(trial.number, values)
            last = float(values[metric])
            trial.report(last, int(values.get("step", values.get("epoch"))))
            if trial.should_prune():
                # As gdsweep: the trial ends PRUNED at the decision; its process
                # is told and stopped meanwhile, its later epochs still counted.
                for target, args in ((stop, (proc, prune_file, folder)),
                                     (drain, (proc, trial.number))):
                    thread = threading.Thread(target=target, args=args)
                    thread.start()
                    finishing.append(thread)
                raise optuna.TrialPruned()
        proc.wait()
        folder.cleanup()
        if proc.returncode != 0 or last is None:
            raise RuntimeError(f"trial {trial.number} failed: exit {proc.returncode}")
        return last

    tpe = {k: v for k, v in spec["sampler"].items() if k not in ("type", "seed")}
    sampler = optuna.samplers.TPESampler(seed=spec["sampler"]["seed"], **tpe)
    # In memory: with RDBStorage Optuna 3.1 counts a trial's own rung value
    # twice in successive halving (pruners/README.md); gdsweep counts it once.
    study = optuna.create_study(study_name=spec["study_name"], sampler=sampler,
                                pruner=optuna_pruner(spec["pruner"]),
                                direction=spec["objective"]["direction"])
    study.optimize(objective, n_trials=spec["budget"]["n_trials"],
                   n_jobs=spec["budget"]["parallelism"])
    for thread in finishing:
        thread.join()
    trials = []
    for t in study.trials:
        trials.append({
            "number": t.number, "state": t.state.name, "value": t.value,
            "seconds": (t.datetime_complete - t.datetime_start).total_seconds(),
            **work(lines.get(t.number, []), metric),
            "last_step": max(t.intermediate_values) if t.intermediate_values else None,
        })
    return trials


# --------------------------------------------------------------- gdsweep side

def work(printed, metric):
    """What a trial's process did, from its metric lines: epochs trained, and
    the CPU seconds it reported (cpu_s) at its first and last epoch's end."""
    cpu = [float(v["cpu_s"]) for v in printed if "cpu_s" in v]
    return {"epochs": len(printed), "cpu_first": cpu[0] if cpu else None,
            "cpu_last": cpu[-1] if cpu else None}


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")


def run_gdsweep(spec, gdsweep, folder):
    study_file = os.path.join(folder, "study.yaml")
    with open(study_file, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=False)
    db = os.path.join(folder, "study.db")
    done = subprocess.run([gdsweep, "run", study_file, "--db", db, "--log-level", "warn"],
                          cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"gdsweep run exited {done.returncode}: {done.stderr[-2000:]}")
    logs = os.path.join(folder, "study-logs", spec["study_name"])  # <db name>-logs
    con = sqlite3.connect(db)
    rows = con.execute(
        "select t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete, "
        "v.value from trials t left join trial_values v on v.trial_id = t.trial_id "
        "and v.objective = 0 order by t.number").fetchall()
    trials = []
    for trial_id, number, state, start, end, value in rows:
        steps = [s for (s,) in con.execute(
            "select step from trial_intermediate_values where trial_id = ?", (trial_id,))]
        with open(os.path.join(logs, f"trial-{number}", "stdout.log")) as f:
            printed = [dict(LINE.findall(line)) for line in f]
        trials.append({
            "number": number, "state": state, "value": value,
            "seconds": (parse_time(end) - parse_time(start)).total_seconds(),
            **work([v for v in printed if spec["objective"]["metric"] in v],
                   spec["objective"]["metric"]),
            "last_step": max(steps) if steps else None,
        })
    con.close()
    return trials


# --------------------------------------------------------------------- runs

def cmd_run(args):
    os.makedirs(args.out, exist_ok=True)
    impls = args.impl.split(",")
    if "gdsweep" in impls and not os.access(args.gdsweep, os.X_OK):
        sys.exit(f"no {args.gdsweep}: build first (ninja -C build gdsweep) or pass --gdsweep")
    for seed in range(1, args.seeds + 1):
        for pruner in args.pruners.split(","):
            for impl in impls:
                path = os.path.join(args.out, f"{impl}-{pruner}-s{seed}.json")
                if os.path.exists(path):
                    continue
                spec = study_for(pruner, seed, args.trials, args.parallelism)
                load = os.getloadavg()[0]
                start = time.monotonic()
                if impl == "optuna":
                    trials = run_optuna(spec)
                else:
                    with tempfile.TemporaryDirectory() as folder:
                        trials = run_gdsweep(spec, args.gdsweep, folder)
                elapsed = time.monotonic() - start
                record = {"impl": impl, "pruner": pruner, "seed": seed,
                          "parallelism": args.parallelism, "elapsed": elapsed,
                          "load_before": load, "load_after": os.getloadavg()[0],
                          "trials": trials}
                with open(path + ".tmp", "w") as f:
                    json.dump(record, f)
                os.replace(path + ".tmp", path)
                s = summarize(record)
                print(f"{impl:8} {pruner:9} seed {seed}: {s['seconds']:7.1f} trial-s, "
                      f"{s['epochs']:5d} epochs, best {s['best']:.4f}, "
                      f"{s['pruned']} pruned, {elapsed:.0f} s wall, load {load:.1f}",
                      file=sys.stderr, flush=True)


def summarize(record):
    trials = record["trials"]
    complete = [t["value"] for t in trials if t["state"] == "COMPLETE" and t["value"] is not None]
    return {
        "seconds": sum(t["seconds"] for t in trials),
        "epochs": sum(t["epochs"] for t in trials),
        "best": max(complete) if complete else math.nan,
        "pruned": sum(t["state"] == "PRUNED" for t in trials),
        "failed": sum(t["state"] == "FAIL" for t in trials),
        "n": len(trials),
        # CPU of the trials' processes as they reported it (cpu_s), all of it
        # and after the first epoch's end (training: no start-up); NaN when a
        # trial reported none.
        "cpu": sum(t["cpu_last"] if t.get("cpu_last") is not None else math.nan
                   for t in trials),
        "train_cpu": sum(t["cpu_last"] - t["cpu_first"] if t.get("cpu_last") is not None
                         else math.nan for t in trials),
    }


def cmd_report(args):
    runs = {}
    for name in sorted(os.listdir(args.out)):
        if name.endswith(".json"):
            with open(os.path.join(args.out, name)) as f:
                record = json.load(f)
            runs.setdefault((record["impl"], record["pruner"]), {})[record["seed"]] = \
                summarize(record)
    impls = [i for i in ("gdsweep", "optuna") if any(k[0] == i for k in runs)]
    pruners = [p for p in PRUNERS if any(k[1] == p for k in runs)]

    def total(impl, pruner, key, seeds):
        return sum(runs[(impl, pruner)][s][key] for s in seeds)

    print("Per implementation and pruner, summed over the seeds both have "
          "(trial-s: wall seconds of every trial; best: mean over seeds of the best "
          "COMPLETE accuracy):")
    print(f"{'impl':8} {'pruner':9} {'seeds':>5} {'trials':>6} {'pruned':>6} {'failed':>6} "
          f"{'trial-s':>8} {'epochs':>7} {'best':>7} {'compute vs none':>16} "
          f"{'epochs vs none':>15} {'best - none':>12}")
    for impl in impls:
        for pruner in pruners:
            if (impl, pruner) not in runs:
                continue
            seeds = sorted(runs[(impl, pruner)])
            base = runs.get((impl, "none"), {})
            shared = [s for s in seeds if s in base]
            secs = total(impl, pruner, "seconds", seeds)
            epochs = total(impl, pruner, "epochs", seeds)
            best = sum(runs[(impl, pruner)][s]["best"] for s in seeds) / len(seeds)
            ratio = eratio = diff = ""
            if shared and pruner != "none":
                ratio = f"{total(impl, 'none', 'seconds', shared) / total(impl, pruner, 'seconds', shared):.2f}x less"
                eratio = f"{total(impl, 'none', 'epochs', shared) / total(impl, pruner, 'epochs', shared):.2f}x less"
                d = sum(runs[(impl, pruner)][s]["best"] - base[s]["best"] for s in shared)
                diff = f"{100 * d / len(shared):+.2f} pt"
            print(f"{impl:8} {pruner:9} {len(seeds):5d} {total(impl, pruner, 'n', seeds):6d} "
                  f"{total(impl, pruner, 'pruned', seeds):6d} "
                  f"{total(impl, pruner, 'failed', seeds):6d} {secs:8.1f} {epochs:7d} "
                  f"{best:7.4f} {ratio:>16} {eratio:>15} {diff:>12}")
    print()
    print("CPU seconds of the trials' processes as they reported them (cpu_s), for the seeds "
          "where every trial did: all, and after the first epoch's end (training only):")
    print(f"{'impl':8} {'pruner':9} {'seeds':>5} {'CPU-s':>8} {'training':>8} "
          f"{'CPU vs none':>12} {'training vs none':>17}")
    for impl in impls:
        for pruner in pruners:
            if (impl, pruner) not in runs:
                continue
            seeds = [s for s in sorted(runs[(impl, pruner)])
                     if not math.isnan(runs[(impl, pruner)][s]["cpu"])]
            if not seeds:
                continue
            cpu = total(impl, pruner, "cpu", seeds)
            train = total(impl, pruner, "train_cpu", seeds)
            base = [s for s in seeds if s in runs.get((impl, "none"), {})
                    and not math.isnan(runs[(impl, "none")][s]["cpu"])]
            ratio = tratio = ""
            if base and pruner != "none":
                ratio = f"{total(impl, 'none', 'cpu', base) / total(impl, pruner, 'cpu', base):.2f}x less"
                tratio = (f"{total(impl, 'none', 'train_cpu', base) / total(impl, pruner, 'train_cpu', base):.2f}x less")
            print(f"{impl:8} {pruner:9} {len(seeds):5d} {cpu:8.1f} {train:8.1f} {ratio:>12} {tratio:>17}")
    print()
    print("Per seed: best accuracy (trial-seconds)")
    for impl in impls:
        for pruner in pruners:
            if (impl, pruner) in runs:
                cells = "  ".join(f"s{s}: {v['best']:.4f} ({v['seconds']:.0f})"
                                  for s, v in sorted(runs[(impl, pruner)].items()))
                print(f"{impl:8} {pruner:9} {cells}")
    print()
    print("Targets (issue 12): compute at least 3x less than none, best within 0.5 points "
          "of none, and savings at least Optuna's.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the studies, one JSON file each")
    run.add_argument("--out", required=True)
    run.add_argument("--impl", default="gdsweep,optuna")
    run.add_argument("--pruners", default=",".join(PRUNERS))
    run.add_argument("--seeds", type=int, default=5)
    run.add_argument("--trials", type=int, default=60)
    run.add_argument("--parallelism", type=int, default=2)
    run.add_argument("--gdsweep", default=os.path.join(ROOT, "build", "sweeper", "gdsweep"))
    report = sub.add_parser("report", help="print the tables of a run's JSON files")
    report.add_argument("out")
    args = parser.parse_args()
    (cmd_run if args.command == "run" else cmd_report)(args)


if __name__ == "__main__":
    main()
