"""End-to-end: a sweep killed with SIGKILL or stopped with Ctrl-C resumes
without losing or repeating a trial; several `gdsweep run` processes share
one study safely."""
import json
import os
import signal
import time
import unittest

from harness import OBJECTIVE_PY, SweepTestCase, study_yaml


def root(trial):
    return trial.get("retry_of", trial["number"])


class ResumeTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)

    def test_kill_9_then_resume_loses_and_repeats_nothing(self):
        study = self.write("study.yaml", study_yaml(n_trials=8, parallelism=2, sleep="0.4",
                                                    retries=1))
        proc = self.start_gdsweep("run", study, "--db", self.db)
        self.wait_for(lambda: self.count_state("COMPLETE") >= 2 and self.count_state("RUNNING") >= 1,
                      what="two trials done and one running")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = {t["number"]: t for t in self.trials_json()}
        running_at_kill = [n for n, t in before.items() if t["state"] == "RUNNING"]
        self.assertTrue(running_at_kill)

        self.run_gdsweep("run", study, "--db", self.db, "--set", 'trial.env.SLEEP="0"', check=0)
        after = {t["number"]: t for t in self.trials_json()}
        for n, t in before.items():
            if t["state"] == "COMPLETE":
                self.assertEqual(after[n], t)  # kept exactly as it was
        for n in running_at_kill:
            # Interrupted, not failed: the same trial ran again, no retry spent.
            self.assertEqual(after[n]["state"], "COMPLETE")
            self.assertEqual(after[n]["params"], before[n]["params"])
            self.assertEqual(after[n]["attempt"], 1)
            self.assertEqual(after[n]["runs"], 2)
            self.assertFalse([t for t in after.values() if t.get("retry_of") == n])
            history = self.trials_json("--number", str(n))[0]["run_history"]
            self.assertEqual([r["outcome"] for r in history], ["INTERRUPTED", "COMPLETE"])
            self.assertIn("stopped", history[0]["reason"])
        complete = [t for t in after.values() if t["state"] == "COMPLETE"]
        self.assertEqual(len(complete), 8)
        self.assertEqual(len(after), 8)  # no FAIL rows, no copies
        self.assertEqual(len({root(t) for t in complete}), 8)  # none completed twice
        self.assertEqual(sorted(after), list(range(len(after))))

    def test_ctrl_c_stops_cleanly_and_a_resume_reruns_the_interrupted_trials(self):
        study = self.write("study.yaml", study_yaml(n_trials=4, parallelism=2, sleep="30"))
        proc = self.start_gdsweep("run", study, "--db", self.db)
        self.wait_for(lambda: self.count_state("RUNNING") == 2, what="two running trials")
        time.sleep(0.3)
        started = time.time()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130, err)
        self.assertLess(time.time() - started, 10)
        trials = self.trials_json()
        # Back to WAITING in place: not failed, no copies.
        self.assertEqual([t["state"] for t in trials], ["WAITING", "WAITING"])
        for t in trials:
            history = self.trials_json("--number", str(t["number"]))[0]["run_history"]
            self.assertEqual([r["outcome"] for r in history], ["INTERRUPTED"])
            self.assertIn("interrupted", history[0]["reason"])
        self.run_gdsweep("run", study, "--db", self.db, "--set", 'trial.env.SLEEP="0"', check=0)
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * 4)
        self.assertEqual([t["runs"] for t in trials], [2, 2, 1, 1])

    def test_parallel_workers_share_the_budget(self):
        study = self.write("study.yaml", study_yaml(n_trials=20, parallelism=2, sleep="0.05"))
        procs = [self.start_gdsweep("run", study, "--db", self.db) for _ in range(3)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
            self.assertNotIn("locked", err)
        trials = self.trials_json()
        self.assertEqual([t["number"] for t in trials], list(range(20)))
        self.assertTrue(all(t["state"] == "COMPLETE" for t in trials))

    def test_parallel_workers_never_run_a_grid_point_twice(self):
        study = self.write("study.yaml", study_yaml(n_trials=100, parallelism=2, sleep="0.05",
                                                    sampler="grid", space="""
            x: {type: float, low: 0, high: 1, step: 0.25}
            y: {type: int, low: 0, high: 2}"""))
        procs = [self.start_gdsweep("run", study, "--db", self.db) for _ in range(3)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        points = [(t["params"]["x"], t["params"]["y"]) for t in self.trials_json()]
        self.assertEqual(len(points), 15)
        self.assertEqual(len(set(points)), 15)


    def test_a_study_resumed_with_another_sampler_continues_and_says_so(self):
        # Allowed, as in Optuna: gp reads the trials tpe proposed and goes on
        # from them, under the same budget; the log names both samplers.
        study = self.write("study.yaml", study_yaml(n_trials=4, sampler="tpe"))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        study = self.write("study.yaml", study_yaml(n_trials=7, sampler="gp"))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.assertRegex(proc.stderr, r"warning study 's': its trials so far were proposed by "
                                      r"the tpe sampler; this run uses gp")
        self.assertEqual(self.recorded_sampler(), "gp")
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * 7)
        # The same sampler again: nothing to say.
        proc = self.run_gdsweep("run", study, "--db", self.db, "--set", "budget.n_trials=8",
                                check=0)
        self.assertNotIn("proposed by the", proc.stderr)

    def recorded_sampler(self, study="s"):
        """The sampler type gdsweep recorded with the study (its spec JSON)."""
        rows = self.query("SELECT g.spec_json FROM gdsweep_studies g JOIN studies s "
                          "ON s.study_id = g.study_id WHERE s.study_name = ?", study)
        return json.loads(rows[0][0])["sampler"]["type"]

    def test_a_study_file_without_a_sampler_type_keeps_the_sampler_recorded_with_the_study(self):
        # auto is the default for new studies; an existing study whose file
        # names no sampler.type keeps the sampler it was created with (tpe
        # here, as every study created before auto was the default recorded)
        # on every resume, and says so; a new study from the same file gets auto.
        yaml = study_yaml(n_trials=3, sampler="tpe")
        self.run_gdsweep("run", self.write("study.yaml", yaml), "--db", self.db, check=0)
        self.assertEqual(self.recorded_sampler(), "tpe")
        untyped = yaml.replace("sampler: {type: tpe, seed: 1}", "sampler: {seed: 1}")
        self.assertNotEqual(untyped, yaml)
        for n_trials in (5, 6):  # twice: the kept sampler stays the recorded one
            study = self.write("study.yaml", untyped.replace("n_trials: 3",
                                                             f"n_trials: {n_trials}"))
            proc = self.run_gdsweep("run", study, "--db", self.db, check=0)
            self.assertRegex(proc.stderr, r"info study 's': keeps the tpe sampler recorded with "
                                          r"it \(the study file names no sampler.type; a new "
                                          r"study gets auto")
            self.assertNotIn("sampler auto", proc.stderr)
            self.assertNotIn("proposed by the", proc.stderr)
            self.assertEqual(self.recorded_sampler(), "tpe")
        self.assertEqual([t["state"] for t in self.trials_json()], ["COMPLETE"] * 6)
        # A new study from the same file: auto, which says what it picks and why.
        fresh = untyped.replace("study_name: s", "study_name: fresh")
        proc = self.run_gdsweep("run", self.write("new.yaml", fresh), "--db", self.db, check=0)
        self.assertIn("study 'fresh': sampler auto, the default", proc.stderr)
        self.assertRegex(proc.stderr, r"sampler auto: gp from trial 0 \(.+\)")
        self.assertNotIn("keeps the", proc.stderr)
        self.assertEqual(self.recorded_sampler("fresh"), "auto")

    def test_tpe_options_without_a_sampler_type_still_mean_tpe(self):
        # Study files written before auto was the default gave TPE's options
        # without a type: they keep meaning TPE, on a new study too.
        yaml = study_yaml(n_trials=3).replace("sampler: {type: random, seed: 1}",
                                              "sampler: {seed: 1, n_startup_trials: 2}")
        self.assertIn("n_startup_trials: 2", yaml)
        proc = self.run_gdsweep("run", self.write("study.yaml", yaml), "--db", self.db, check=0)
        self.assertNotIn("sampler auto", proc.stderr)
        self.assertEqual(self.recorded_sampler(), "tpe")
        self.assertEqual([t["state"] for t in self.trials_json()], ["COMPLETE"] * 3)


if __name__ == "__main__":
    unittest.main()
