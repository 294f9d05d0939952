"""PostgreSQL against SQLite, and gdsweep against Optuna on the same server, in one run.

Starts a PostgreSQL 15 server (tests/e2e/pg_server.py) and, for N trials each:
  - gdsweep: `gdsweep run` of a trivial trial (`true`, random sampler, parallelism 4) on a
    SQLite file and on a PostgreSQL database: trials per second (wall clock of the run);
  - Optuna 3.1 (Debian): ask + tell of the same space, one process, on a SQLite file and on a
    PostgreSQL database: trials per second and the median / p95 ask+tell latency.
gdsweep's own ask+tell latency is part of its trials/s here (its Ask and Tell are transactions
inside `run`); a per-call figure would need the C++ bench harness (not done).

    /usr/bin/python3 bench/postgres/bench.py --trials 1000 [--trials 10000]

Run the 10k size only on an idle machine. Prints one table.
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


def optuna_run(storage, n):
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
    rate = n / (time.perf_counter() - start)
    lat.sort()
    return rate, statistics.median(lat) * 1e3, lat[int(0.95 * (len(lat) - 1))] * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, action="append", help="trials per run (repeatable)")
    args = ap.parse_args()
    sizes = args.trials or [1000]
    pg_server.require_postgres(None)
    server = pg_server.PostgresServer()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="gdsweep-bench-pg-") as work:
            for n in sizes:
                g_sqlite = gdsweep_run(work, os.path.join(work, f"g{n}.db"), n)
                g_pg = gdsweep_run(work, server.url(server.create_database(f"g{n}")), n)
                o_sqlite = optuna_run(f"sqlite:///{os.path.join(work, f'o{n}.db')}", n)
                o_pg = optuna_run(server.url(server.create_database(f"o{n}"),
                                             scheme="postgresql+psycopg2"), n)
                rows.append((n, g_sqlite, g_pg, o_sqlite, o_pg))
    finally:
        server.destroy()
    print("| trials | gdsweep SQLite trials/s | gdsweep PG trials/s | Optuna SQLite trials/s "
          "(ask+tell median/p95 ms) | Optuna PG trials/s (ask+tell median/p95 ms) |")
    print("| --- | --- | --- | --- | --- |")
    for n, gs, gp, (os_, om, op), (ps, pm, pp) in rows:
        print(f"| {n} | {gs:.1f} | {gp:.1f} | {os_:.1f} ({om:.1f}/{op:.1f}) | "
              f"{ps:.1f} ({pm:.1f}/{pp:.1f}) |")


if __name__ == "__main__":
    main()
