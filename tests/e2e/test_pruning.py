"""End-to-end: the study file's pruner stops trials. A pruned trial's process
sees $GDSWEEP_PRUNE_FILE appear, and is gone within the prune grace + 1 s even
if it ignores SIGTERM; it is recorded PRUNED with its last intermediate value
(as Optuna reads it); two workers on one database judge with each other's
values; and `gdsweep should-prune` answers an outside loop."""
import json
import os
import signal
import sys
import time
import unittest

import optuna

from harness import SweepTestCase

optuna.logging.set_verbosity(optuna.logging.WARNING)

# A training script: loss at each step from its curve (by trial number, or
# by $ROLE), one "step=S loss=V" line per step; at each step's end it checks
# the prune file and, when it is there, saves and exits 0 by itself.
CURVES_PY = """
import os, sys, time
n = int(os.environ["GDSWEEP_TRIAL_NUMBER"])
prune_file = os.environ["GDSWEEP_PRUNE_FILE"]
base = {0: 0.1, 1: 0.2, 2: 0.3}.get(n, 5.0 if n % 2 else 0.01 * n)
for step in range(8):
    print(f"step={step} loss={base + 1.0 / (step + 1)}", flush=True)
    time.sleep(0.05)
    if os.path.exists(prune_file):
        print("saw the prune file; saving and exiting", file=sys.stderr, flush=True)
        sys.exit(0)
"""

# Ignores SIGTERM and the prune file; writes its pid, and each SIGTERM's time.
STUBBORN_PY = """
import os, signal, sys, time
here = os.environ["GDSWEEP_TRIAL_DIR"]
def on_term(sig, frame):
    with open(os.path.join(here, "term.txt"), "a") as f:
        f.write(f"{time.time()}\\n")
signal.signal(signal.SIGTERM, on_term)
with open(os.path.join(here, "pid.txt"), "w") as f:
    f.write(str(os.getpid()))
print("step=0 loss=0.5", flush=True)
print("step=1 loss=7.5", flush=True)
while True:
    time.sleep(0.01)
"""


def load(db, name):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{db}")


class PruningTest(SweepTestCase):
    def test_a_median_pruned_sweep_stops_the_bad_trials(self):
        self.write("curves.py", CURVES_PY)
        study = self.write("study.yaml", f"""
            study_name: median
            objective: {{metric: loss, direction: minimize}}
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            sampler: {{type: random, seed: 1}}
            pruner: {{type: median, n_startup_trials: 3}}
            budget: {{n_trials: 9}}
            trial: {{command: [{sys.executable}, curves.py], prune_grace: 5s}}
            """)
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.assertIn("9 trials (6 COMPLETE, 3 PRUNED)", proc.stderr)
        self.assertIn("3 pruned", proc.stderr)
        trials = {t["number"]: t for t in self.trials_json()}
        self.assertEqual(len(trials), 9)  # pruned trials use the budget
        for n in range(9):
            t = trials[n]
            if n in (3, 5, 7):
                self.assertEqual(t["state"], "PRUNED", t)
                # Worse than the median of the completed trials at step 0 already.
                self.assertEqual(t["pruned_step"], 0)
                self.assertEqual(t["failure_reason"], "pruned at step 0")
                self.assertEqual(t["intermediate_values"], {"0": 6.0})
                self.assertEqual(t["values"], {"loss": 6.0})
                # It saw the prune file and left by itself, long before the grace.
                with open(t["log_path"] + "/stderr.log") as f:
                    self.assertIn("saw the prune file", f.read())
            else:
                self.assertEqual(t["state"], "COMPLETE", t)
                self.assertEqual(len(t["intermediate_values"]), 8)
                self.assertNotIn("pruned_step", t)
        table = self.run_gdsweep("trials", "--db", self.db, check=0).stdout
        self.assertIn("PRUNED@0", table)
        best = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json",
                                           check=0).stdout)
        self.assertEqual(best[0]["state"], "COMPLETE")
        self.assertEqual(best[0]["number"], 4)  # 0.04 + 1/8, the lowest of the completed

        s = load(self.db, "median")
        by_number = {t.number: t for t in s.trials}
        for n in (3, 5, 7):
            self.assertEqual(by_number[n].state, optuna.trial.TrialState.PRUNED)
            self.assertEqual(by_number[n].value, 6.0)
            self.assertEqual(by_number[n].last_step, 0)
            self.assertIsNotNone(by_number[n].datetime_complete)
        self.assertEqual(s.best_trial.number, 4)

    def test_a_pruned_trial_that_ignores_sigterm_is_gone_within_grace_plus_one_second(self):
        self.write("stubborn.py", STUBBORN_PY)
        study = self.write("study.yaml", f"""
            study_name: stubborn
            objective: {{metric: loss, direction: minimize}}
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            pruner: {{type: threshold, upper: 5.0}}
            budget: {{n_trials: 1}}
            trial: {{command: [{sys.executable}, stubborn.py], prune_grace: 1.5s}}
            """)
        proc = self.start_gdsweep("run", study, "--db", self.db)
        try:
            # The database is gdsweep.db: logs go to gdsweep-logs/<study>/trial-<n>.
            trial_dir = os.path.join(self.dir, "gdsweep-logs", "stubborn", "trial-0")
            self.wait_for(lambda: self.count_state("PRUNED") == 1, what="the trial to be PRUNED")
            pruned_at = time.time()
            self.assertTrue(os.path.exists(os.path.join(trial_dir, "prune")))
            with open(os.path.join(trial_dir, "pid.txt")) as f:
                pid = int(f.read())
            def gone():
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return True
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().rsplit(")", 1)[1].split()[0] == "Z"
            self.wait_for(gone, timeout=10, what="the trial's process to end")
            took = time.time() - pruned_at
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err)
        self.assertGreater(took, 1.2)  # it had its grace
        self.assertLess(took, 2.5)     # grace + 1 s (with a little slack for polling)
        with open(os.path.join(trial_dir, "term.txt")) as f:
            terms = [float(x) for x in f.read().split()]
        self.assertEqual(len(terms), 1)  # SIGTERM once, after the grace; then SIGKILL
        self.assertGreater(terms[0] - pruned_at, 1.2)
        t = self.trials_json()[0]
        self.assertEqual(t["state"], "PRUNED")
        self.assertEqual(t["values"], {"loss": 7.5})
        self.assertEqual(t["pruned_step"], 1)
        s = load(self.db, "stubborn")
        self.assertEqual(s.trials[0].state, optuna.trial.TrialState.PRUNED)
        self.assertEqual(s.trials[0].value, 7.5)
        self.assertIn("1 pruned", err)

    def test_two_workers_judge_with_each_others_values(self):
        # Successive halving (rung 0 at step 1, keeping the best half): worker
        # A's trial reaches step 1 with a good value and waits; then worker
        # B's trial reaches step 1 with a bad one. Alone it would be promoted;
        # against A's rung value it is pruned.
        self.write("role.py", """
            import os, sys, time
            here = os.path.dirname(os.path.abspath(__file__))
            role = os.environ["ROLE"]
            if role == "good":
                print("step=1 loss=0.1", flush=True)
                deadline = time.time() + 30
                while not os.path.exists(os.path.join(here, "b_done")) and time.time() < deadline:
                    time.sleep(0.05)
                print("step=2 loss=0.05", flush=True)
            else:
                print("step=1 loss=5.0", flush=True)
                deadline = time.time() + 10
                while time.time() < deadline:
                    if os.path.exists(os.environ["GDSWEEP_PRUNE_FILE"]):
                        break
                    time.sleep(0.05)
                open(os.path.join(here, "b_done"), "w").close()
                print("step=2 loss=4.0", flush=True)
            """)
        for role in ("good", "bad"):
            self.write(f"{role}.yaml", f"""
                study_name: shared
                objective: {{metric: loss, direction: minimize}}
                search_space: {{x: {{type: float, low: 0, high: 1}}}}
                pruner: {{type: successive_halving, min_resource: 1, reduction_factor: 2}}
                budget: {{n_trials: 2}}
                trial:
                  command: [{sys.executable}, role.py]
                  env: {{ROLE: {role}}}
                """)
        a = self.start_gdsweep("run", "good.yaml", "--db", self.db)
        try:
            def a_reported():
                try:
                    return self.query("SELECT count(*) FROM trial_intermediate_values")[0][0] == 1
                except Exception:  # the database is not there yet
                    return False
            self.wait_for(a_reported, what="worker A's first value")
            b = self.run_gdsweep("run", "bad.yaml", "--db", self.db, timeout=60)
            out, err = a.communicate(timeout=60)
        finally:
            if a.poll() is None:
                a.kill()
                a.wait()
        self.assertEqual(a.returncode, 0, err)
        self.assertEqual(b.returncode, 0, b.stderr)
        trials = {t["number"]: t for t in self.trials_json()}
        self.assertEqual(trials[0]["state"], "COMPLETE")
        self.assertEqual(trials[1]["state"], "PRUNED")
        self.assertEqual(trials[1]["failure_reason"], "pruned at step 1")
        self.assertEqual(trials[1]["values"], {"loss": 5.0})
        s = load(self.db, "shared")
        self.assertEqual(s.trials[0].system_attrs["completed_rung_0"], 0.1)
        self.assertEqual(s.trials[1].system_attrs["completed_rung_0"], 5.0)
        self.assertEqual(s.trials[1].state, optuna.trial.TrialState.PRUNED)

    def test_ask_should_prune_tell(self):
        study = self.write("study.yaml", """
            study_name: loop
            objective: {metric: loss, direction: minimize}
            search_space: {x: {type: float, low: 0, high: 1}}
            pruner: {type: threshold, upper: 1.0}
            trial: {command: [unused]}
            """)
        asked = json.loads(self.run_gdsweep("ask", study, "--db", self.db, check=0).stdout)
        n = str(asked["number"])
        go = self.run_gdsweep("should-prune", study, "--db", self.db, "--trial", n,
                              "--step", "0", "--value", "0.5", check=0)
        self.assertEqual(go.stdout, "continue\n")
        again = self.run_gdsweep("should-prune", study, "--db", self.db, "--trial", n,
                                 "--step", "0", "--value", "9", check=0)
        self.assertEqual(again.stdout, "continue\n")  # a repeated step keeps its first value
        self.assertIn("reported step 0 before", again.stderr)
        stop = self.run_gdsweep("should-prune", study, "--db", self.db, "--trial", n,
                                "--step", "1", "--value", "2.5", "--format", "json", check=7)
        self.assertEqual(json.loads(stop.stdout),
                         {"trial": 0, "step": 1, "judged_at_step": 1, "repeated": False,
                          "prune": True, "pruner": "threshold"})
        # The decision alone leaves the trial RUNNING; tell records it PRUNED.
        self.assertEqual(self.query("SELECT state FROM trials"), [("RUNNING",)])
        self.run_gdsweep("tell", "--db", self.db, "--trial", n, "--state", "pruned", check=0)
        t = self.trials_json()[0]
        self.assertEqual(t["state"], "PRUNED")
        self.assertEqual(t["values"], {"loss": 2.5})
        self.assertEqual(t["intermediate_values"], {"0": 0.5, "1": 2.5})
        late = self.run_gdsweep("should-prune", study, "--db", self.db, "--trial", n,
                                "--step", "2", "--value", "0.1")
        self.assertEqual(late.returncode, 3, late.stderr)
        missing = self.run_gdsweep("should-prune", study, "--db", self.db, "--trial", "42",
                                   "--step", "2", "--value", "0.1")
        self.assertEqual(missing.returncode, 4, missing.stderr)
        s = load(self.db, "loop")
        self.assertEqual(s.trials[0].state, optuna.trial.TrialState.PRUNED)
        self.assertEqual(s.trials[0].value, 2.5)

    def test_a_bad_prune_grace_is_refused_with_its_place(self):
        study = self.write("study.yaml", """
            study_name: bad
            objective: {metric: loss, direction: minimize}
            search_space: {x: {type: float, low: 0, high: 1}}
            pruner: {type: median}
            trial: {command: [unused], prune_grace: -3}
            """)
        proc = self.run_gdsweep("run", study, "--db", self.db)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("study.yaml:6:41: trial.prune_grace:", proc.stderr)
        self.assertFalse(os.path.exists(self.db))


if __name__ == "__main__":
    unittest.main()
