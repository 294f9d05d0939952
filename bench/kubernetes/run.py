#!/usr/bin/env python3
"""Kubernetes backend overhead: N trials of a trivial command (default 1,000)
at parallelism P (default 50) on the fake Kubernetes API server, through the
real `gdsweep run`. Prints the API requests per trial (from the fake's
request log, by kind) and the CPU time gdsweep itself used per trial
(getrusage of the child), with the wall time and trial rate.

    usage: bench/kubernetes/run.py [--trials N] [--parallelism P] [--gdsweep PATH]

Build first (scripts/build.sh or cmake+ninja). Run by hand, not in ctest.
"""
import argparse
import collections
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fakes", "kube", "fake_kube.py")


def start_fake(work):
    port_file = os.path.join(work, "port")
    log = open(os.path.join(work, "fake.log"), "w")
    proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file,
                             "--request-log", os.path.join(work, "requests.log"),
                             "--workdir", work, "--watch-history", "100000"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 20
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        if time.time() > deadline:
            sys.exit("the fake API server did not start")
        time.sleep(0.02)
    return proc, int(open(port_file).read())


def fake_cpu_seconds(pid):
    """utime + stime of the fake and its reaped children (the pod processes)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def kind_of(r):
    path, query = r["path"], r.get("query", {})
    if query.get("watch") in ("1", "true"):
        return "watch " + path.rsplit("/", 1)[-1]
    if path.endswith("/log"):
        return "GET log"
    if r["method"] == "GET" and (path.endswith("/jobs") or path.endswith("/pods")):
        return "list " + path.rsplit("/", 1)[-1]
    return r["method"] + (" job" if "/jobs" in path else " pod" if "/pods" in path else " " + path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--parallelism", type=int, default=50)
    ap.add_argument("--gdsweep", default=os.path.join(ROOT, "build", "sweeper", "gdsweep"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gdsweep-bench-kube-")
    fake, port = start_fake(work)
    try:
        with open(os.path.join(work, "kubeconfig"), "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
current-context: fake
clusters: [{{name: fake, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
users: [{{name: me, user: {{}}}}]
contexts: [{{name: fake, context: {{cluster: fake, user: me}}}}]
""")
        with open(os.path.join(work, "study.yaml"), "w") as f:
            f.write(f"""study_name: bench
objective: {{metric: loss, direction: minimize}}
search_space: {{x: {{type: float, low: 0, high: 1}}}}
sampler: {{type: random, seed: 1}}
budget: {{n_trials: {args.trials}, parallelism: {args.parallelism}}}
trial: {{command: [/bin/echo, "loss={{x}}"]}}
backend: kubernetes
kubernetes: {{image: busybox}}
""")
        env = dict(os.environ, KUBECONFIG=os.path.join(work, "kubeconfig"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.time()
        proc = subprocess.run([args.gdsweep, "run", "study.yaml", "--db", "b.db",
                               "--log-level", "warn"], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.time() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # gdsweep only: the fake still runs
        if proc.returncode != 0:
            sys.exit(f"gdsweep exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        con = sqlite3.connect(os.path.join(work, "b.db"))
        states = dict(con.execute("SELECT state, count(*) FROM trials GROUP BY state").fetchall())
        con.close()
        with open(os.path.join(work, "requests.log")) as f:
            reqs = [json.loads(line) for line in f if line.strip()]
        kinds = collections.Counter(kind_of(r) for r in reqs)
        n = args.trials
        user = after.ru_utime - before.ru_utime
        system = after.ru_stime - before.ru_stime
        print(f"{n} trials at parallelism {args.parallelism} on the fake cluster: "
              f"{states} in {wall:.1f} s ({n / wall:.1f} trials/s)")
        print(f"API requests: {len(reqs)} in all, {len(reqs) / n:.2f} per trial")
        for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
            print(f"  {kind:<16} {count:>6}  {count / n:.3f}/trial")
        print(f"gdsweep CPU: {user:.2f} s user + {system:.2f} s system = "
              f"{(user + system) / n * 1000:.2f} ms per trial")
        fake_cpu = fake_cpu_seconds(fake.pid)
        print(f"for scale, the fake API server (Python) and its pod processes: {fake_cpu:.1f} s CPU "
              f"({fake_cpu / n * 1000:.1f} ms per trial): it, not gdsweep, sets the trial rate")
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
