"""PostgreSQL against SQLite, and gdsweep against Optuna on the same server, in one run.

Starts a PostgreSQL 15 server (tests/e2e/pg_server.py) and, for N trials each, on a SQLite
file and on a fresh PostgreSQL database of that server:
  - gdsweep run: `gdsweep run` of a trivial trial (`sh -c "echo loss=1"`, random sampler,
    parallelism 4): trials per second (wall clock of the run, process spawns included);
  - gdsweep ask+tell: pg_ask_tell_bench (ask_tell_bench.cc), one process, Storage::Ask +
    FinishTrial per trial of the same space: trials per second, median / p95 ms of the pair;
  - Optuna 3.1 (Debian): ask + suggest x, y + tell of the same space, one process: trials per
    second, median / p95 ms of the three.
`--optuna-limit S` stops an Optuna run after S seconds and reports how far it got.

    /usr/bin/python3 bench/postgres/bench.py --trials 1000 --trials 10000

Prints one table (markdown).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../tests/e2e"))
import pg_server  # noqa: E402

GDSWEEP = os.environ.get("GDSWEEP_BIN", os.path.join(HERE, "../../build/sweeper/gdsweep"))
ASK_TELL = os.environ.get("GDSWEEP_ASK_TELL_BIN",
                          os.path.join(HERE, "../../build/bench/postgres/pg_ask_tell_bench"))

STUDY = """
study_name: bench
tag: t1
objective: {{metric: loss, direction: minimize}}
search_space:
  x: {{type: float, low: -5, high: 5}}
  y: {{type: int, low: -5, high: 5}}
sampler: {{type: random, seed: 1}}
budget: {{n_trials: {n}, parallelism: 4}}
trial:
  command: [/bin/sh, -c, "echo loss=1"]
"""


def gdsweep_run(workdir, db, n):
    study = os.path.join(workdir, f"study-{n}.yaml")
    with open(study, "w") as f:
        f.write(STUDY.format(n=n))
    start = time.perf_counter()
    subprocess.run([GDSWEEP, "run", study, "--db", db], cwd=workdir, check=True,
                   capture_output=True, text=True)
    return n / (time.perf_counter() - start)


def gdsweep_ask_tell(db, n):
    out = subprocess.run([ASK_TELL, db, str(n)], check=True, capture_output=True,
                         text=True).stdout.split()
    rate, median, p95 = map(float, out)
    return rate, median, p95, n


def optuna_run(storage, n, limit_s):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage, study_name="bench",
                                sampler=optuna.samplers.RandomSampler(seed=1))
    lat = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        t = study.ask()
        x = t.suggest_float("x", -5, 5)
        y = t.suggest_int("y", -5, 5)
        study.tell(t, x * x + y)
        lat.append(time.perf_counter() - t0)
        if limit_s and time.perf_counter() - start > limit_s:
            break
    rate = len(lat) / (time.perf_counter() - start)
    lat.sort()
    return rate, statistics.median(lat) * 1e3, lat[int(0.95 * (len(lat) - 1))] * 1e3, len(lat)


def fmt(rate, median, p95, done, n):
    got = "" if done == n else f", stopped at {done}"
    return f"{rate:.1f} ({median:.2f} / {p95:.2f}{got})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, action="append", help="trials per run (repeatable)")
    ap.add_argument("--optuna-limit", type=float, default=0,
                    help="stop each Optuna run after this many seconds (0: never)")
    args = ap.parse_args()
    sizes = args.trials or [1000]
    pg_server.require_postgres(None)
    server = pg_server.PostgresServer()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="gdsweep-bench-pg-") as work:
            for n in sizes:
                pg = lambda kind: server.url(server.create_database(f"{kind}{n}"))
                row = {"n": n}
                row["run_sqlite"] = gdsweep_run(work, os.path.join(work, f"g{n}.db"), n)
                row["run_pg"] = gdsweep_run(work, pg("g"), n)
                row["at_sqlite"] = gdsweep_ask_tell(os.path.join(work, f"a{n}.db"), n)
                row["at_pg"] = gdsweep_ask_tell(pg("a"), n)
                row["o_sqlite"] = optuna_run(f"sqlite:///{os.path.join(work, f'o{n}.db')}", n,
                                             args.optuna_limit)
                row["o_pg"] = optuna_run(server.url(server.create_database(f"o{n}"),
                                                    scheme="postgresql+psycopg2"), n,
                                         args.optuna_limit)
                rows.append(row)
                print(f"done {n}", file=sys.stderr, flush=True)
    finally:
        server.destroy()
    print("| trials | gdsweep run, SQLite | gdsweep run, PostgreSQL | gdsweep ask+tell, SQLite "
          "| gdsweep ask+tell, PostgreSQL | Optuna ask+tell, SQLite | Optuna ask+tell, "
          "PostgreSQL |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        n = r["n"]
        print(f"| {n} | {r['run_sqlite']:.1f} | {r['run_pg']:.1f} | "
              f"{fmt(*r['at_sqlite'], n)} | {fmt(*r['at_pg'], n)} | "
              f"{fmt(*r['o_sqlite'], n)} | {fmt(*r['o_pg'], n)} |")
    print("\ntrials/s; in parentheses the median / p95 ms of one ask+tell")


if __name__ == "__main__":
    main()
