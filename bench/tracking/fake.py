"""Helper of bench/tracking/run.sh: talks to the fake MLflow server
(tests/fakes/mlflow) over its admin port and its API port.
Python 3 standard library only (/usr/bin/python3).

  fake.py reset ADMIN_PORT
      empty store and request records
  fake.py check ADMIN_PORT N
      fail unless the server holds exactly N child runs named trial-0..N-1,
      all FINISHED with their param x, under exactly one parent run; print the requests received
      as "total <count>" and one "<endpoint> <count>" line per endpoint
"""
import collections
import http.client
import json
import sys

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
    paramless = sum("x" not in {p["key"] for p in r.get("data", {}).get("params", [])}
                    for r, _ in children)
    if paramless:
        problems.append(f"{paramless} child runs without their param x")
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


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "reset" and len(argv) == 3:
        reset(int(argv[2]))
    elif cmd == "check" and len(argv) == 4:
        check(int(argv[2]), int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
