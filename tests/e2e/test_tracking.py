"""End-to-end: a sweep reported to an MLflow tracking server (the fake one,
tests/fakes/mlflow): one run per trial under one parent run, exactly once,
with tags, params, metrics and statuses; nothing lost while the server is
down or when gdsweep is killed mid-delivery; objectives read back from the
runs; `gdsweep sync` and `gdsweep best --from-tracking`."""
import os
import signal
import time
import unittest

from harness import OBJECTIVE_PY, PYTHON, SweepTestCase, study_yaml
from tracking_fake import FakeMlflow

# A trial that logs its own metric to its run through MLflow's REST API, as a
# script calling mlflow.log_metric would (the mlflow package is not here).
SELF_LOGGING_PY = """
import json, os, sys, time, urllib.request
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
x = float(args["x"])
uri, run_id = os.environ["MLFLOW_TRACKING_URI"], os.environ["MLFLOW_RUN_ID"]
for step in range(3):
    body = {"run_id": run_id, "key": "val_loss", "value": (x - 2) ** 2 + 3 - step,
            "timestamp": int(time.time() * 1000), "step": step}
    req = urllib.request.Request(uri + "/api/2.0/mlflow/runs/log-metric",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
print("logged to", run_id)
"""

ENV_PY = """
import os
for k in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
    print(k + "=" + os.environ.get(k, ""), flush=True)
print("loss=1")
"""


def tracking(uri, extra=""):
    return f"""
tracking:
  uri: {uri}
  experiment: e2e-exp
  tag_key: hptuning_tag
{extra}"""


class TrackingTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)
        self.fake = FakeMlflow()
        self.addCleanup(self.fake.stop)

    def child_runs(self):
        return [r for r in self.fake.runs() if "mlflow.parentRunId" in r["tags"]]

    def assert_runs_match_trials(self, tag="t1"):
        trials = {t["number"]: t for t in self.trials_json("--tag", tag)}
        runs = self.child_runs()
        names = [r["info"]["run_name"] for r in runs]
        self.assertEqual(len(names), len(set(names)), "a trial has two runs")
        self.assertEqual(sorted(names), sorted(f"trial-{n}" for n in trials))
        parents = [r for r in self.fake.runs() if "mlflow.parentRunId" not in r["tags"]]
        self.assertEqual(len(parents), 1)
        for r in runs:
            self.assertEqual(r["tags"]["mlflow.parentRunId"], parents[0]["info"]["run_id"])
        return trials, {r["info"]["run_name"]: r for r in runs}

    def test_every_trial_is_one_run_with_tags_params_metrics_and_status(self):
        study = self.write("study.yaml", study_yaml(n_trials=6, parallelism=2)
                           + tracking(self.fake.uri))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        trials, runs = self.assert_runs_match_trials()
        for n, t in trials.items():
            r = runs[f"trial-{n}"]
            self.assertEqual(r["tags"]["hptuning_tag"], "t1")
            self.assertEqual(r["tags"]["gdsweep.study"], "s")
            self.assertEqual(r["tags"]["gdsweep.trial_number"], str(n))
            self.assertEqual(r["info"]["status"], "FINISHED")
            self.assertIn("end_time", r["info"])
            self.assertEqual(set(r["params"]), {"x", "y"})
            self.assertAlmostEqual(float(r["params"]["x"]), t["params"]["x"])
            self.assertEqual(r["params"]["y"], str(t["params"]["y"]))
            # the final value is the run's latest loss; the intermediate one is kept by step
            loss = t["values"]["loss"]
            self.assertAlmostEqual(r["metrics"]["loss"], loss)
            steps = [p["step"] for p in r["history"]["loss"]]
            self.assertEqual(len(steps), len(set(steps)), "two points at one step")
            by_step = {p["step"]: p["value"] for p in r["history"]["loss"]}
            self.assertEqual(by_step, {int(k): v for k, v in t["intermediate_values"].items()})
        # the best trial names its run and the run's address
        best = self.run_gdsweep("best", "--db", self.db, check=0).stdout
        self.assertIn("run ", best)
        self.assertIn(f"{self.fake.uri}/#/experiments/", best)

    def test_trial_environment_names_its_own_run(self):
        self.write("env.py", ENV_PY)
        study = self.write("study.yaml", study_yaml(n_trials=2, parallelism=1)
                           + tracking(self.fake.uri))
        text = open(study).read().replace("objective.py", "env.py")
        open(study, "w").write(text)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        runs = {r["info"]["run_name"]: r for r in self.child_runs()}
        for n in (0, 1):
            log = open(os.path.join(self.dir, "gdsweep-logs", "s", f"trial-{n}",
                                    "stdout.log")).read()
            env = dict(line.split("=", 1) for line in log.splitlines() if "=" in line)
            self.assertEqual(env["MLFLOW_TRACKING_URI"], self.fake.uri)
            self.assertEqual(env["MLFLOW_RUN_ID"], runs[f"trial-{n}"]["info"]["run_id"])
            self.assertEqual(env["MLFLOW_EXPERIMENT_ID"], runs[f"trial-{n}"]["info"]["experiment_id"])

    def test_failed_trial_run_is_failed_with_its_reason(self):
        self.write("bad.py", "import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)\n")
        study = self.write("study.yaml", study_yaml(n_trials=1, parallelism=1)
                           + tracking(self.fake.uri))
        text = open(study).read().replace("objective.py", "bad.py")
        open(study, "w").write(text)
        self.run_gdsweep("run", study, "--db", self.db, check=5)
        (run,) = self.child_runs()
        self.assertEqual(run["info"]["status"], "FAILED")
        self.assertIn("oops", run["tags"]["gdsweep.failure_reason"])

    def test_server_down_for_the_first_half_loses_nothing(self):
        self.fake.fault("down", down_seconds=3)
        study = self.write("study.yaml", study_yaml(n_trials=12, parallelism=2, sleep="0.5")
                           + tracking(self.fake.uri))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=180)
        self.assertNotIn("Traceback", proc.stderr)
        trials, runs = self.assert_runs_match_trials()
        self.assertEqual(len(runs), 12)
        for r in runs.values():
            self.assertEqual(r["info"]["status"], "FINISHED")
        self.assertEqual(self.query("SELECT count(*) FROM gdsweep_tracking_outbox")[0][0], 0)

    def test_server_down_throughout_then_sync_delivers_everything(self):
        self.fake.fault("down")  # until told otherwise on the admin port
        study = self.write("study.yaml", study_yaml(n_trials=4, parallelism=2)
                           + tracking(self.fake.uri))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=180)
        self.assertIn("not delivered", proc.stderr)
        self.assertEqual(len(self.trials_json()), 4)  # the sweep itself did not wait
        still = self.run_gdsweep("sync", "--db", self.db, "--timeout", "3", check=1)
        self.assertIn("pending", still.stdout)
        self.fake.fault("ok")
        done = self.run_gdsweep("sync", "--db", self.db, check=0)
        self.assertIn("0 pending", done.stdout)
        self.assert_runs_match_trials()
        self.assertEqual(len(self.child_runs()), 4)

    def test_kill_9_mid_delivery_duplicates_no_run(self):
        # Every create is carried out but its answer lost the first times, and
        # log-batch is slow: gdsweep is killed while reports are in flight.
        self.fake.fault("reset-after", paths=["/runs/create"], count=3)
        study = self.write("study.yaml", study_yaml(n_trials=8, parallelism=2, sleep="0.3",
                                                    retries=1) + tracking(self.fake.uri))
        proc = self.start_gdsweep("run", study, "--db", self.db)
        self.wait_for(lambda: self.count_state("COMPLETE") >= 3, timeout=60,
                      what="three trials done")
        self.fake.fault("stall", paths=["/runs/log-batch"], stall_seconds=2)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        self.fake.fault("ok")
        self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=180)
        trials, runs = self.assert_runs_match_trials()
        for n, t in trials.items():
            status = runs[f"trial-{n}"]["info"]["status"]
            self.assertEqual(status, {"COMPLETE": "FINISHED", "FAIL": "FAILED"}[t["state"]], n)

    def test_objective_read_from_the_run_the_trial_logged_to(self):
        self.write("selflog.py", SELF_LOGGING_PY)
        study = self.write("study.yaml", f"""
study_name: s
tag: t1
objective: {{metric: val_loss, direction: minimize}}
search_space:
  x: {{type: float, low: 0, high: 4}}
sampler: {{type: random, seed: 3}}
budget: {{n_trials: 4, parallelism: 2}}
trial:
  command: [{PYTHON}, selflog.py]
  overrides: hydra
""" + tracking(self.fake.uri, "  objective_source: tracking"))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        trials, runs = self.assert_runs_match_trials()
        for n, t in trials.items():
            self.assertEqual(t["state"], "COMPLETE")
            x = t["params"]["x"]
            self.assertAlmostEqual(t["values"]["val_loss"], (x - 2) ** 2 + 1, places=6)
            self.assertAlmostEqual(t["intermediate_values"]["0"], (x - 2) ** 2 + 3, places=6)
            # gdsweep does not log the value again: the history is the trial's own three points
            self.assertEqual(len(runs[f"trial-{n}"]["history"]["val_loss"]), 3)
        best_local = min(trials.values(), key=lambda t: t["values"]["val_loss"])
        remote = self.run_gdsweep("best", study, "--from-tracking", check=0).stdout
        self.assertIn(f"trial-{best_local['number']}", remote)
        self.assertIn(runs[f"trial-{best_local['number']}"]["info"]["run_id"], remote)

    def test_best_from_tracking_exits_6_not_1_when_the_mlflow_server_fails(self):
        study = self.write("study.yaml", study_yaml(n_trials=1, parallelism=1)
                           + tracking(self.fake.uri))
        self.fake.fault("500")
        proc = self.run_gdsweep("best", study, "--from-tracking", timeout=120)
        self.fake.fault("ok")
        self.assertEqual(proc.returncode, 6, proc.stderr)
        self.assertIn("INTERNAL_ERROR", proc.stderr)

    def test_credentials_reach_the_server_and_never_the_logs(self):
        self.fake.stop()
        self.fake = FakeMlflow("--username", "ana", "--password", "s3cret-pw")
        self.addCleanup(self.fake.stop)
        study = self.write("study.yaml", study_yaml(n_trials=2, parallelism=1)
                           + tracking(self.fake.uri))
        # With a token set too, Basic is sent, as MLflow's client does (the fake
        # refuses anything but Basic).
        env = dict(os.environ, MLFLOW_TRACKING_USERNAME="ana", MLFLOW_TRACKING_PASSWORD="s3cret-pw",
                   MLFLOW_TRACKING_TOKEN="tok-never-logged")
        import subprocess
        from harness import GDSWEEP
        ok = subprocess.run([GDSWEEP, "run", study, "--db", self.db, "--log-level", "debug"],
                            cwd=self.dir, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertNotIn("s3cret-pw", ok.stdout + ok.stderr)
        self.assertNotIn("tok-never-logged", ok.stdout + ok.stderr)
        self.assertEqual(len(self.child_runs()), 2)
        self.assertEqual({r["auth"] for r in self.fake.requests()}, {"basic"})
        env["MLFLOW_TRACKING_PASSWORD"] = "wrong-pw"
        bad = subprocess.run([GDSWEEP, "run", study, "--db", self.db, "--n-trials", "3"],
                             cwd=self.dir, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(bad.returncode, 0, bad.stderr)  # the sweep does not wait on the tracker
        self.assertIn("auth", bad.stderr.lower())
        self.assertNotIn("wrong-pw", bad.stdout + bad.stderr)
        for root, _, files in os.walk(os.path.join(self.dir, "gdsweep-logs")):
            for f in files:
                self.assertNotIn("wrong-pw", open(os.path.join(root, f)).read())

    def test_ask_and_tell_make_and_finish_the_run(self):
        import json
        study = self.write("study.yaml", study_yaml(n_trials=2, parallelism=1)
                           + tracking(self.fake.uri))
        asked = json.loads(self.run_gdsweep("ask", study, "--db", self.db, check=0).stdout)
        (run,) = self.child_runs()
        self.assertEqual(asked["mlflow_run_id"], run["info"]["run_id"])
        self.assertEqual(run["info"]["status"], "RUNNING")
        self.run_gdsweep("tell", "--db", self.db, "--trial", str(asked["number"]),
                         "--values", "0.25", check=0)
        (run,) = self.child_runs()
        self.assertEqual(run["info"]["status"], "FINISHED")
        self.assertEqual(run["metrics"]["loss"], 0.25)

    # Regression: the server breaks ties by the newest run, `best` by the
    # lowest trial number; --from-tracking named another trial than `best`.
    def test_best_and_best_from_tracking_agree_on_ties(self):
        import json
        study = self.write("study.yaml", """
study_name: s
tag: t1
objective: {metric: loss, direction: minimize}
search_space: {x: {type: float, low: 0, high: 1}}
sampler: {type: random, seed: 1}
budget: {n_trials: 4, parallelism: 1}
trial: {command: [/bin/echo, "loss=0.5"]}
""" + tracking(self.fake.uri))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        local = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json",
                                            check=0).stdout)
        local = local[0] if isinstance(local, list) else local
        self.assertEqual(local["number"], 0)
        remote = json.loads(self.run_gdsweep("best", study, "--from-tracking", "--format", "json",
                                             check=0).stdout)
        self.assertEqual([r["run_name"] for r in remote], ["trial-0"])

    # Regression: `sync` on a database without a tracked study exited 4 with
    # "no tracked study", and `best --from-tracking` said "has 0 tracked
    # sweep tags: name one with --tag".
    def test_an_untracked_study_is_said_to_be_untracked(self):
        study = self.write("study.yaml", study_yaml(n_trials=1, parallelism=1))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        plain = "study 's' is not tracked (no tracking section was used when it ran)"
        nothing = self.run_gdsweep("sync", "--db", self.db, check=0)
        self.assertIn("no study in this database is tracked", nothing.stdout)
        named = self.run_gdsweep("sync", "--db", self.db, "--study", "s", check=4)
        self.assertIn(plain, named.stderr)
        missing = self.run_gdsweep("sync", "--db", self.db, "--study", "nope", check=4)
        self.assertIn("no study 'nope' in this database (studies: s)", missing.stderr)
        best = self.run_gdsweep("best", "--db", self.db, "--from-tracking", check=4)
        self.assertIn(plain, best.stderr)
        self.assertNotIn("name one with --tag", best.stderr)

    def test_no_tracking_section_sends_nothing(self):
        study = self.write("study.yaml", study_yaml(n_trials=2, parallelism=1))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.assertEqual(self.fake.requests(), [])


if __name__ == "__main__":
    unittest.main()
