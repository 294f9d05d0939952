"""The fake MLflow tracking server (tests/fakes/mlflow) as the e2e tests use
it: started on 127.0.0.1 with an admin port that stays up while the main port
is "down", and read back through /fake-admin/state."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../fakes/mlflow/fake_mlflow.py")


class FakeMlflow:
    def __init__(self, *flags):
        self.dir = tempfile.mkdtemp(prefix="fake-mlflow-")
        port_file = os.path.join(self.dir, "port")
        admin_file = os.path.join(self.dir, "admin")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", port_file,
             "--admin-port-file", admin_file, *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and os.path.exists(admin_file)):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the fake MLflow server did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        with open(admin_file) as f:
            self.admin_port = int(f.read())
        self.uri = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def _admin(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}", data=data,
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"{}")

    def fault(self, mode, **extra):
        return self._admin("/fake-admin/faults", {"mode": mode, **extra})

    def state(self):
        return self._admin("/fake-admin/state")

    def requests(self):
        return self._admin("/fake-admin/requests")["requests"]

    def runs(self):
        """Runs not deleted, each as {"info", "tags", "params", "metrics", "history"}."""
        out = []
        for r in self.state()["runs"]:
            if r["info"].get("lifecycle_stage") == "deleted":
                continue
            data = r.get("data", {})
            out.append({
                "info": r["info"],
                "tags": {t["key"]: t["value"] for t in data.get("tags", [])},
                "params": {p["key"]: p["value"] for p in data.get("params", [])},
                "metrics": {m["key"]: m["value"] for m in data.get("metrics", [])},
                "history": r.get("metric_history", {}),
            })
        return out
