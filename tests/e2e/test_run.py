"""End-to-end: `gdsweep run` on real study files, the trials it records, and
the listings users read back."""
import json
import os
import unittest

from harness import OBJECTIVE_PY, PYTHON, SweepTestCase, study_yaml


class RunTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)

    def test_a_sweep_runs_to_its_budget_and_records_every_trial(self):
        study = self.write("study.yaml", study_yaml(n_trials=6, parallelism=2))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0)
        trials = self.trials_json()
        self.assertEqual([t["number"] for t in trials], list(range(6)))
        for t in trials:
            self.assertEqual(t["state"], "COMPLETE")
            self.assertEqual(t["tag"], "t1")
            x, y = t["params"]["x"], t["params"]["y"]
            self.assertAlmostEqual(t["values"]["loss"], (x - 1) ** 2 + (y + 2) ** 2, places=9)
            self.assertIsInstance(y, int)
            # The earlier report is an intermediate value at its step.
            self.assertAlmostEqual(t["intermediate_values"]["1"], t["values"]["loss"] + 1.0)
            # The final report has no step: it comes right after step 1.
            self.assertAlmostEqual(t["intermediate_values"]["2"], t["values"]["loss"])
            with open(os.path.join(t["log_path"], "stdout.log")) as f:
                self.assertIn("loss=", f.read())
        self.assertIn("trial 5 COMPLETE", proc.stderr)
        best = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json", check=0).stdout)
        self.assertEqual(best[0]["values"]["loss"], min(t["values"]["loss"] for t in trials))
        # Running again: the budget is used, nothing more runs.
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.assertEqual(len(self.trials_json()), 6)

    def test_seeded_runs_are_reproducible(self):
        study = self.write("study.yaml", study_yaml(n_trials=5, parallelism=1))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        first = [t["params"] for t in self.trials_json()]
        other_db = os.path.join(self.dir, "other.db")
        self.run_gdsweep("run", study, "--db", other_db, check=0)
        second = [t["params"] for t in self.trials_json_from(other_db)]
        self.assertEqual(first, second)
        third_db = os.path.join(self.dir, "third.db")
        self.run_gdsweep("run", study, "--db", third_db, "--set", "sampler.seed=2", check=0)
        self.assertNotEqual(first, [t["params"] for t in self.trials_json_from(third_db)])

    def trials_json_from(self, db):
        proc = self.run_gdsweep("trials", "--db", db, "--format", "json", check=0)
        return json.loads(proc.stdout)

    def test_values_reach_argv_verbatim_without_a_shell(self):
        self.write("echo_args.py", """
            import json, os, sys
            print(json.dumps(sys.argv[1:]), file=sys.stderr)
            with open(os.environ["GDSWEEP_PARAMS_FILE"]) as f:
                params = json.load(f)
            ok = sys.argv[1:3] == ["--word", params["word"]] and sys.argv[3] == "n=" + os.environ["GDSWEEP_TRIAL_NUMBER"]
            print("loss=" + ("0" if ok else "1"))
        """)
        study = self.write("study.yaml", f"""
            study_name: argv
            objective: {{metric: loss, direction: minimize}}
            search_space:
              word: {{type: categorical, choices: ["a b", "$(touch pwned)", "x;y", "'q'"]}}
            sampler: {{type: grid}}
            trial:
              command: [{PYTHON}, echo_args.py, --word, "{{word}}", "n={{trial.number}}"]
            """)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        trials = self.trials_json()
        self.assertEqual(len(trials), 4)  # the grid is exhausted
        self.assertEqual({t["params"]["word"] for t in trials}, {"a b", "$(touch pwned)", "x;y", "'q'"})
        self.assertTrue(all(t["values"]["loss"] == 0 for t in trials), trials)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "pwned")))

    def test_failures_are_recorded_with_their_reason_and_retried(self):
        self.write("flaky.py", """
            import os, sys
            attempt = int(os.environ["GDSWEEP_TRIAL_ATTEMPT"])
            if attempt < 2:
                print("boom: attempt " + str(attempt), file=sys.stderr)
                sys.exit(3)
            print("loss=0.5")
        """)
        study = self.write("study.yaml", f"""
            study_name: flaky
            objective: {{metric: loss, direction: minimize}}
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            sampler: {{type: random, seed: 3}}
            budget: {{n_trials: 2, parallelism: 1}}
            trial: {{command: [{PYTHON}, flaky.py], retries: 1}}
            """)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        trials = self.trials_json()
        self.assertEqual(len(trials), 4)
        failed = [t for t in trials if t["state"] == "FAIL"]
        done = [t for t in trials if t["state"] == "COMPLETE"]
        self.assertEqual(len(failed), 2)
        self.assertEqual(len(done), 2)
        for f in failed:
            self.assertIn("exited with code 3", f["failure_reason"])
            self.assertIn("boom: attempt 1", f["failure_reason"])
            retry = [t for t in done if t.get("retry_of") == f["number"]]
            self.assertEqual(len(retry), 1)
            self.assertEqual(retry[0]["params"], f["params"])
            self.assertEqual(retry[0]["attempt"], 2)

    def test_a_trial_that_does_not_report_or_reports_nan_fails(self):
        self.write("silent.py", """
            import os
            n = int(os.environ["GDSWEEP_TRIAL_NUMBER"])
            print("accuracy=0.5" if n == 0 else "loss=nan")
        """)
        study = self.write("study.yaml", f"""
            study_name: silent
            objective: {{metric: loss, direction: minimize}}
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            sampler: {{type: random}}
            budget: {{n_trials: 2}}
            trial: {{command: [{PYTHON}, silent.py]}}
            """)
        proc = self.run_gdsweep("run", study, "--db", self.db, check=5)
        reasons = [t["failure_reason"] for t in self.trials_json()]
        self.assertEqual(reasons, ["exited 0 but did not report 'loss' (it printed: accuracy)",
                                   "exited 0 but reported NaN for 'loss'"])
        self.assertIn("none of the 2 trial(s)", proc.stderr)

    def test_per_trial_timeout(self):
        study = self.write("study.yaml", study_yaml(n_trials=1, sleep="30",
                                                    extra_trial="timeout: 1"))
        self.run_gdsweep("run", study, "--db", self.db, check=5, timeout=20)
        [t] = self.trials_json()
        self.assertEqual(t["state"], "FAIL")
        self.assertIn("timed out", t["failure_reason"])

    def test_result_file(self):
        self.write("writes_file.py", """
            import json, os
            with open(os.environ["GDSWEEP_RESULT_FILE"], "w") as f:
                json.dump({"loss": 0.25, "acc": 0.75}, f)
        """)
        study = self.write("study.yaml", f"""
            study_name: file
            objectives: [{{metric: loss, direction: minimize}}, {{metric: acc, direction: maximize}}]
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            sampler: {{type: random}}
            budget: {{n_trials: 1}}
            trial: {{command: [{PYTHON}, writes_file.py], result: file}}
            """)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        [t] = self.trials_json()
        self.assertEqual(t["values"], {"loss": 0.25, "acc": 0.75})

    def test_the_budget_is_per_sweep_tag_and_trials_filter_by_tag(self):
        study = self.write("study.yaml", study_yaml(n_trials=3, parallelism=1))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.run_gdsweep("run", study, "--db", self.db, "--tag", "t2", "--n-trials", "2", check=0)
        self.assertEqual(len(self.trials_json()), 5)
        self.assertEqual({t["tag"] for t in self.trials_json("--tag", "t2")}, {"t2"})
        self.assertEqual(len(self.trials_json("--tag", "t2")), 2)
        self.assertEqual(len(self.trials_json("--tag", "t1", "--state", "complete")), 3)
        csv = self.run_gdsweep("trials", "--db", self.db, "--tag", "t2", "--format", "csv", check=0).stdout
        self.assertEqual(csv.splitlines()[0].split(",")[:6], ["number", "state", "tag", "attempt", "loss", "x"])
        self.assertEqual(len(csv.splitlines()), 3)
        studies = json.loads(self.run_gdsweep("studies", "--db", self.db, "--format", "json", check=0).stdout)
        self.assertEqual(studies[0]["tags"], ["t1", "t2"])
        self.assertEqual(studies[0]["trials"], 5)

    def test_multi_objective_best_is_the_pareto_front(self):
        self.write("two.py", """
            import os
            x = float(os.environ["GDSWEEP_PARAM_X"])
            print(f"a={x} b={(1 - x) ** 2}")
        """)
        study = self.write("study.yaml", f"""
            study_name: pareto
            objectives: [{{metric: a, direction: minimize}}, {{metric: b, direction: minimize}}]
            search_space: {{x: {{type: float, low: 0, high: 2}}}}
            sampler: {{type: random, seed: 5}}
            budget: {{n_trials: 12, parallelism: 2}}
            trial: {{command: [{PYTHON}, two.py]}}
            """)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        best = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json", check=0).stdout)
        all_trials = self.trials_json()
        expected = sorted(t["number"] for t in all_trials if t["params"]["x"] <= 1)
        self.assertEqual(sorted(t["number"] for t in best), expected)

    def test_changed_search_space_is_refused_unless_allowed(self):
        study = self.write("study.yaml", study_yaml(n_trials=2))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        proc = self.run_gdsweep("run", study, "--db", self.db, "--n-trials", "4",
                                "--set", "search_space.x.high=9", check=3)
        self.assertIn("x", proc.stderr)
        self.assertIn("--allow-changes", proc.stderr)
        self.assertEqual(len(self.trials_json()), 2)
        self.run_gdsweep("run", study, "--db", self.db, "--n-trials", "4",
                         "--set", "search_space.x.high=9", "--allow-changes", check=0)
        self.assertEqual(len(self.trials_json()), 4)

    def test_a_missing_program_is_a_clear_error(self):
        study = self.write("study.yaml", study_yaml(n_trials=2).replace(PYTHON, "/no/such/program"))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=1)
        self.assertIn("/no/such/program", proc.stderr)


if __name__ == "__main__":
    unittest.main()
