"""Helper of bench/tracking/run.sh: talks to the fake MLflow server
(tests/fakes/mlflow) over its admin port and its API port.
Python 3 standard library only (/usr/bin/python3).

  fake.py reset ADMIN_PORT
      empty store and request records
  fake.py check ADMIN_PORT N
      fail unless the server holds exactly N child runs named trial-0..N-1,
      all FINISHED, under exactly one parent run; print the requests received
      as "total <count>" and one "<endpoint> <count>" line per endpoint
  fake.py raw PORT ADMIN_PORT N
      N rounds of what gdsweep sends per trial (runs/create, runs/log-batch of
      the params, runs/log-batch of the result, runs/update) on one kept-alive
      http.client connection; print "<client ms per request> <server ms per
      request>" (the latter from the fake's own duration_ms records)
"""
import collections
import http.client
import json
import sys
import time

API = "/api/2.0/mlflow/"


def admin(port, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    conn.request("GET" if body is None else "POST", path,
                 None if body is None else json.dumps(body), headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status != 200:
        sys.exit(f"fake.py: {path} answered {r.status}: {data[:200]!r}")
    return json.loads(data or b"{}")


def reset(admin_port):
    admin(admin_port, "/fake-admin/reset", {})


def check(admin_port, n):
    runs = [r for r in admin(admin_port, "/fake-admin/state")["runs"]
            if r["info"].get("lifecycle_stage") != "deleted"]
    tags = [{t["key"]: t["value"] for t in r.get("data", {}).get("tags", [])} for r in runs]
    parents = [r for r, t in zip(runs, tags) if "mlflow.parentRunId" not in t]
    children = [(r, t) for r, t in zip(runs, tags) if "mlflow.parentRunId" in t]
    problems = []
    if len(parents) != 1:
        problems.append(f"{len(parents)} parent runs, expected 1")
    if len(children) != n:
        problems.append(f"{len(children)} child runs, expected {n}")
    names = sorted(r["info"]["run_name"] for r, _ in children)
    if names != sorted(f"trial-{i}" for i in range(n)):
        problems.append("child run names are not trial-0..trial-%d, each once" % (n - 1))
    unfinished = sum(r["info"]["status"] != "FINISHED" for r, _ in children)
    if unfinished:
        problems.append(f"{unfinished} child runs not FINISHED")
    if parents and any(t["mlflow.parentRunId"] != parents[0]["info"]["run_id"]
                       for _, t in children):
        problems.append("child runs under another parent")
    if problems:
        sys.exit("fake MLflow server: " + "; ".join(problems))
    reqs = admin(admin_port, "/fake-admin/requests")["requests"]
    print("total", len(reqs))
    failed = sum(r.get("status") != 200 for r in reqs
                 if not r["path"].endswith("experiments/get-by-name"))
    print("non-200", failed)  # a get-by-name 404 is expected: the experiment is new
    for key, count in collections.Counter(
            r["path"].split("/mlflow/", 1)[-1] for r in reqs).most_common():
        print(key, count)


def raw(port, admin_port, n):
    reset(admin_port)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}

    def post(path, body):
        conn.request("POST", API + path, json.dumps(body), headers)
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            sys.exit(f"fake.py: {path} answered {r.status}: {data[:200]!r}")
        return json.loads(data or b"{}")

    exp = post("experiments/create", {"name": "raw"})["experiment_id"]
    parent = post("runs/create", {"experiment_id": exp, "run_name": "raw"})["run"]["info"]["run_id"]
    reset_count = len(admin(admin_port, "/fake-admin/requests")["requests"])
    start = time.perf_counter()
    for i in range(n):
        now = int(time.time() * 1000)
        run = post("runs/create", {
            "experiment_id": exp, "run_name": f"trial-{i}", "start_time": now,
            "tags": [{"key": "mlflow.parentRunId", "value": parent},
                     {"key": "gdsweep.tag", "value": "default"},
                     {"key": "gdsweep.study", "value": "raw"},
                     {"key": "gdsweep.trial_number", "value": str(i)},
                     {"key": "gdsweep.trial_attempt", "value": "1"},
                     {"key": "gdsweep.run_key", "value": f"raw:{i}"}]})["run"]["info"]["run_id"]
        post("runs/log-batch", {"run_id": run, "params": [{"key": "x", "value": str(i / n)}]})
        post("runs/log-batch", {"run_id": run,
                                "metrics": [{"key": "loss", "value": 0.0, "timestamp": now,
                                             "step": 0}],
                                "tags": [{"key": "gdsweep.state", "value": "COMPLETE"}]})
        post("runs/update", {"run_id": run, "run_uuid": run, "status": "FINISHED",
                             "end_time": now})
    elapsed = time.perf_counter() - start
    conn.close()
    reqs = admin(admin_port, "/fake-admin/requests")["requests"][reset_count:]
    inside = sum(r["duration_ms"] for r in reqs) / len(reqs)
    print(f"{elapsed * 1000 / (4 * n):.3f} {inside:.3f}")
    reset(admin_port)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "reset" and len(argv) == 3:
        reset(int(argv[2]))
    elif cmd == "check" and len(argv) == 4:
        check(int(argv[2]), int(argv[3]))
    elif cmd == "raw" and len(argv) == 5:
        raw(int(argv[2]), int(argv[3]), int(argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
