"""End-to-end: the fake Kubernetes API server goes down for 60 s in the middle
of a sweep (right after it made a Job whose answer it never sent) and comes
back with its state, with the default kubernetes.api_patience. The sweep must
finish at exactly its budget, every trial COMPLETE once, the trials running
through the outage undisturbed, and no Job left that no trial owns."""
import os
import time
import unittest

import test_kubernetes
from test_kubernetes import KubernetesTest

# Trial 0 ends at once (its end frees the slot whose create meets the
# outage); trials 1 and 2 run through the outage; the rest are short.
STAGED_PY = """
import os, sys, time
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
x, y = float(args["x"]), float(args["y"])
n = int(os.environ["GDSWEEP_TRIAL_NUMBER"])
print(f"started trial={n} pid={os.getpid()}", flush=True)
time.sleep({0: 2, 1: 20, 2: 20}.get(n, 1))
print(f"loss={(x - 1) ** 2 + (y + 2) ** 2}", flush=True)
"""


def setUpModule():
    test_kubernetes.setUpModule()


def tearDownModule():
    test_kubernetes.tearDownModule()


class ApiOutageTest(KubernetesTest):
    def reachable(self):
        try:
            self.cluster.admin("state")
            return True
        except OSError:
            return False

    def test_api_server_down_60_s_mid_sweep_exact_budget_undisturbed_no_unowned_job(self):
        self.write("staged.py", STAGED_PY)
        study = self.study(n_trials=6, parallelism=3)
        with open(study) as f:
            text = f.read().replace("/objective.py", "/staged.py")
        with open(study, "w") as f:
            f.write(text)
        started = time.time()
        proc = self.start_gdsweep("run", study, "--db", self.db)
        self.wait_for(lambda: len(self.cluster.admin("processes")["processes"]) == 3, timeout=30,
                      what="three running pods")
        # The server makes the next Job (trial 3's, once trial 0 ends), then
        # dies before answering, for 60 s.
        self.cluster.admin("outage", {"seconds": 60, "afterNextPost": True})
        self.wait_for(lambda: not self.reachable(), timeout=30, what="the API server to go down")
        down_at = time.time()
        self.wait_for(self.reachable, timeout=75, what="the API server to come back")
        self.assertGreaterEqual(time.time() - down_at, 55)
        self.assertIsNone(proc.poll(), "gdsweep ended during the outage")
        out, err = proc.communicate(timeout=90)
        self.assertEqual(proc.returncode, 0, err)
        self.assertLess(time.time() - started, 120)

        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * 6,
                         [t["failure_reason"] for t in trials])
        self.assertEqual(sorted(t["number"] for t in trials), list(range(6)))
        for t in trials:
            x, y = t["params"]["x"], t["params"]["y"]
            self.assertAlmostEqual(t["values"]["loss"], (x - 1) ** 2 + (y + 2) ** 2)
            with open(os.path.join(self.dir, t["log_path"], "stdout.log")) as f:
                log = f.read()
            # One process per trial: the ones running through the outage were
            # neither restarted nor run again.
            self.assertEqual(log.count("started trial="), 1, log)
        created = self.cluster.created()
        self.assertEqual(len(created), 6)
        self.assertTrue(all(n == 1 for n in created.values()), created)
        # The create whose answer was lost was settled by its name: 409, adopted.
        posts = {}
        for r in self.cluster.requests():
            if r["method"] == "POST" and r["path"].endswith("/jobs"):
                posts.setdefault(r["name"], []).append(r["status"])
        self.assertIn([201, 409], list(posts.values()), posts)
        self.assertIn("has not answered", err)
        # No Job is left that no trial owns, and no pod process.
        self.assertEqual(self.jobs_left(), [])
        self.wait_for(lambda: not self.cluster.admin("processes")["processes"], timeout=15,
                      what="the pods to stop")


if __name__ == "__main__":
    unittest.main()
