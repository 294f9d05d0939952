"""End-to-end: queued points (`gdsweep enqueue`, the study file's `enqueue:`
list) run first and once, Optuna's queued trials run too, and a study is
deleted, renamed, copied and exported; `trials --where/--sort/--limit`."""
import csv
import io
import json
import os
import subprocess
import unittest

from harness import PYTHON, OBJECTIVE_PY, SweepTestCase, study_yaml

ENQUEUE = """
enqueue:
  - {x: 1.0, y: -2}
  - {y: 3}
"""


class EnqueueTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)

    def params(self):
        return {t["number"]: t["params"] for t in self.trials_json()}

    def test_the_study_files_list_runs_first_and_once_across_resumes(self):
        study = self.write("study.yaml", study_yaml(n_trials=4, parallelism=1, extra=ENQUEUE))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        params = self.params()
        self.assertEqual(len(params), 4)
        self.assertEqual(params[0], {"x": 1.0, "y": -2})
        self.assertEqual(params[1]["y"], 3)  # x drawn by the sampler
        self.assertTrue(-5 <= params[1]["x"] <= 5)
        # A resume with a larger budget does not queue the list again.
        self.run_gdsweep("run", study, "--db", self.db, "--n-trials", "6", check=0)
        params = self.params()
        self.assertEqual(len(params), 6)
        self.assertEqual(sum(1 for p in params.values() if p == {"x": 1.0, "y": -2}), 1)
        # An edited list: the new point is queued and run, the old ones are not.
        edited = ENQUEUE + "  - {x: -4.5, y: 0}\n"
        self.write("study.yaml", study_yaml(n_trials=7, parallelism=1, extra=edited))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        params = self.params()
        self.assertEqual(len(params), 7)
        self.assertEqual(params[6], {"x": -4.5, "y": 0})

    def test_a_partial_point_in_a_conditional_space_gets_its_branchs_parameters(self):
        # As Optuna's enqueue_trial with some params: the given ones are kept,
        # every parameter they make active is sampled, none they make inactive
        # is stored. Regression: the rest came from the sampler's own point,
        # drawn for its own optimizer (sgd without momentum, adam with one).
        for sampler in ("random", "tpe"):
            with self.subTest(sampler=sampler):
                db = os.path.join(self.dir, sampler + ".db")
                options = ", n_startup_trials: 2" if sampler == "tpe" else ""
                study = self.write("study.yaml", f"""
                    study_name: cond
                    objective: {{metric: loss, direction: minimize}}
                    search_space:
                      opt: {{type: categorical, choices: [sgd, adam]}}
                      lr: {{type: float, low: 0.001, high: 0.1, log: true}}
                      momentum: {{type: float, low: 0.0, high: 0.99, when: {{opt: sgd}}}}
                      nesterov: {{type: categorical, choices: [true, false], when: {{opt: sgd}}}}
                      dampening: {{type: float, low: 0.0, high: 0.5, when: {{nesterov: false}}}}
                      beta2: {{type: float, low: 0.9, high: 0.999, when: {{opt: adam}}}}
                    sampler: {{type: {sampler}, seed: 3{options}}}
                    budget: {{n_trials: 12, parallelism: 1}}
                    trial:
                      command: ["{PYTHON}", "-c", "print('loss=' + str({{lr}}))"]
                    """)
                self.run_gdsweep("run", study, "--db", db, "--n-trials", "2", check=0)
                points = [{"opt": "sgd"}] * 4 + [{"opt": "adam"}] * 4 + [
                    {"opt": "sgd", "nesterov": False}, {"opt": "adam", "momentum": 0.5}]
                for point in points:
                    self.run_gdsweep("enqueue", study, "--db", db, "--params", json.dumps(point),
                                     check=0)
                self.run_gdsweep("run", study, "--db", db, check=0)
                trials = self.run_gdsweep("trials", "--db", db, "--format", "json", check=0)
                queued = [t for t in json.loads(trials.stdout) if t["number"] >= 2]
                self.assertEqual(len(queued), len(points))
                for t, point in zip(queued, points):
                    params = t["params"]
                    self.assertEqual(t["state"], "COMPLETE")
                    self.assertEqual(params["opt"], point["opt"], t)
                    sgd = point["opt"] == "sgd"
                    self.assertEqual("momentum" in params, sgd, t)
                    self.assertEqual("nesterov" in params, sgd, t)
                    self.assertEqual("beta2" in params, not sgd, t)
                    self.assertEqual("dampening" in params,
                                     sgd and params["nesterov"] is False, t)
                    if "nesterov" in point:
                        self.assertIs(params["nesterov"], False)
                        self.assertIn("dampening", params)

    def test_a_bad_enqueue_list_names_file_line_column_and_key(self):
        study = self.write("study.yaml", study_yaml(extra="""
enqueue:
  - {x: 1.0}
  - {x: 9.5}
"""))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=2)
        self.assertIn("study.yaml:", proc.stderr)
        self.assertIn("enqueue[1].x: 9.5 is outside [-5.0, 5.0]", proc.stderr)
        study = self.write("study.yaml", study_yaml(extra="enqueue:\n  - {z: 1}\n"))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=2)
        self.assertRegex(proc.stderr, r"study\.yaml:\d+:\d+: enqueue\[0\]\.z: unknown key")
        self.assertFalse(os.path.exists(self.db))

    def test_enqueue_command_from_flags_json_and_csv_with_skip_if_exists(self):
        study = self.write("study.yaml", study_yaml(n_trials=5, parallelism=2))
        self.write("rows.json", json.dumps([{"x": 2.5}, {"x": -1, "y": 4}]))
        self.write("rows.csv", "x,y\n0.5,1\n,-3\n")
        proc = self.run_gdsweep("enqueue", study, "--db", self.db,
                                "--params", '{"x": 0.25, "y": 2}', "--params", '{"y": -1}',
                                check=0)
        self.assertIn("queued trial 0", proc.stdout)
        self.run_gdsweep("enqueue", study, "--db", self.db, "--file", "rows.json", check=0)
        proc = self.run_gdsweep("enqueue", study, "--db", self.db, "--file", "rows.csv",
                                "--params", '{"x": 0.25, "y": 2}', "--skip-if-exists", check=0)
        self.assertIn("skipped", proc.stdout)
        self.assertEqual(self.count_state("WAITING"), 6)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        params = self.params()
        self.assertEqual(params[0], {"x": 0.25, "y": 2})
        self.assertEqual(params[1]["y"], -1)
        self.assertEqual(params[2]["x"], 2.5)
        self.assertEqual(params[3], {"x": -1.0, "y": 4})
        self.assertEqual(params[4], {"x": 0.5, "y": 1})
        self.assertEqual(params[5]["y"], -3)
        self.assertEqual(len(params), 6)  # queued points run even past n_trials: none sampled

    def test_enqueue_refuses_points_outside_the_space_and_writes_nothing(self):
        study = self.write("study.yaml", study_yaml())
        proc = self.run_gdsweep("enqueue", study, "--db", self.db, "--params", '{"x": 1}',
                                "--params", '{"x": 11}', check=2)
        self.assertIn("--params #2: x: 11 is outside [-5.0, 5.0]", proc.stderr)
        self.write("rows.csv", "x,w\n1,2\n")
        proc = self.run_gdsweep("enqueue", study, "--db", self.db, "--file", "rows.csv", check=2)
        self.assertIn("rows.csv:1: column 2: w: not a parameter", proc.stderr)
        self.write("rows.csv", "x,y\n1,2\n1,2.5\n")
        proc = self.run_gdsweep("enqueue", study, "--db", self.db, "--file", "rows.csv", check=2)
        self.assertIn("rows.csv:3: y: 2.5 is outside", proc.stderr)
        self.assertFalse(os.path.exists(self.db))

    def test_optuna_runs_gdsweeps_queue_and_gdsweep_runs_optunas(self):
        study = self.write("study.yaml", study_yaml(n_trials=3, parallelism=1))
        self.run_gdsweep("enqueue", study, "--db", self.db, "--params", '{"x": 1.5, "y": 2}',
                         check=0)
        script = f"""
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
s = optuna.load_study(study_name="s", storage="sqlite:///{self.db}")
s.optimize(lambda t: t.suggest_float("x", -5, 5) + t.suggest_int("y", -5, 5), n_trials=1)
print(s.trials[0].params)
s.enqueue_trial({{"x": -3.0, "y": 1}})
"""
        out = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, check=True)
        self.assertIn("{'x': 1.5, 'y': 2}", out.stdout)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        trials = {t["number"]: t for t in self.trials_json()}
        self.assertEqual(trials[1]["params"], {"x": -3.0, "y": 1})
        self.assertEqual(trials[1]["state"], "COMPLETE")
        self.assertEqual(trials[1]["tag"], "t1")


def finished_study(test, n_trials=6):
    test.write("objective.py", OBJECTIVE_PY)
    study = test.write("study.yaml", study_yaml(n_trials=n_trials, parallelism=2))
    test.run_gdsweep("run", study, "--db", test.db, check=0)
    return study


class ManageTest(SweepTestCase):
    def test_delete_needs_yes_and_removes_everything_of_the_study(self):
        finished_study(self)
        proc = self.run_gdsweep("delete", "s", "--db", self.db, check=2)
        self.assertIn("would delete study 's' and its 6 trial(s); add --yes", proc.stderr)
        self.assertEqual(self.count_state("COMPLETE"), 6)
        self.run_gdsweep("delete", "nope", "--yes", "--db", self.db, check=4)
        self.run_gdsweep("delete", "s", "--yes", "--db", self.db, check=0)
        self.assertEqual(self.query("SELECT count(*) FROM studies"), [(0,)])
        for table in ("trials", "trial_params", "gdsweep_trials", "gdsweep_sweeps",
                      "gdsweep_studies", "gdsweep_trial_runs"):
            self.assertEqual(self.query(f"SELECT count(*) FROM {table}"), [(0,)], table)

    def test_rename_then_resume_under_the_new_name(self):
        finished_study(self)
        self.run_gdsweep("rename", "s", "bad name", "--db", self.db, check=2)
        self.run_gdsweep("rename", "s", "s2", "--db", self.db, check=0)
        self.run_gdsweep("rename", "missing", "s3", "--db", self.db, check=4)
        self.assertEqual(len(self.trials_json("--study", "s2")), 6)
        script = f"""
import optuna
s = optuna.load_study(study_name="s2", storage="sqlite:///{self.db}")
print(len(s.trials), s.best_trial.number)
"""
        out = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, check=True)
        self.assertTrue(out.stdout.startswith("6 "))

    def test_copy_to_another_file_refuses_to_overwrite(self):
        finished_study(self)
        other = os.path.join(self.dir, "other.db")
        self.run_gdsweep("copy", "--from", self.db, "--to", "sqlite:///" + other, check=0)
        self.run_gdsweep("copy", "--from", self.db, "--to", other, check=3)
        self.run_gdsweep("copy", "--from", self.db, "--to", other, "--as", "s-b", check=0)
        proc = self.run_gdsweep("copy", "--from", self.db, "--to", "mysql://h/db", check=2)
        self.assertIn("PostgreSQL database (postgresql://", proc.stderr)
        mine = self.trials_json()
        theirs = json.loads(self.run_gdsweep("trials", "--db", other, "--study", "s-b",
                                             "--format", "json", check=0).stdout)
        strip = lambda ts: [{k: t[k] for k in ("number", "state", "params", "values", "tag")}
                            for t in ts]
        self.assertEqual(strip(mine), strip(theirs))

    def test_export_table_is_what_pandas_reads(self):
        finished_study(self)
        out = os.path.join(self.dir, "trials.csv")
        self.run_gdsweep("export", "s", "--format", "table", "-o", out, "--db", self.db, check=0)
        try:
            import pandas
        except ImportError:
            self.skipTest("pandas is not installed (python3-pandas)")
        df = pandas.read_csv(out)
        self.assertEqual(list(df.columns), ["number", "value", "datetime_start",
                                            "datetime_complete", "duration", "params_x",
                                            "params_y", "state"])
        self.assertEqual(len(df), 6)
        self.assertTrue((df["state"] == "COMPLETE").all())
        self.assertEqual(str(df["value"].dtype), "float64")
        self.assertEqual(str(df["params_y"].dtype), "int64")
        durations = pandas.to_timedelta(df["duration"])
        starts = pandas.to_datetime(df["datetime_start"])
        ends = pandas.to_datetime(df["datetime_complete"])
        self.assertTrue(((ends - starts - durations).abs() < pandas.Timedelta("1ms")).all())
        # The same numbers as Optuna's own trials_dataframe.
        script = f"""
import optuna
s = optuna.load_study(study_name="s", storage="sqlite:///{self.db}")
df = s.trials_dataframe()
print(df[["number", "value", "params_x", "params_y"]].to_json(orient="records"))
"""
        proc = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, check=True)
        theirs = json.loads(proc.stdout)
        ours = json.loads(df[["number", "value", "params_x", "params_y"]].to_json(orient="records"))
        self.assertEqual(ours, theirs)

    def test_export_json_and_csv(self):
        finished_study(self, n_trials=3)
        doc = json.loads(self.run_gdsweep("export", "--format", "json", "--db", self.db,
                                          check=0).stdout)
        self.assertEqual(doc["study_name"], "s")
        self.assertEqual(doc["directions"], ["MINIMIZE"])
        self.assertEqual(len(doc["trials"]), 3)
        t = doc["trials"][0]
        self.assertEqual(set(t["params"]), {"x", "y"})
        self.assertIn("1", t["intermediate_values"])
        listed = self.trials_json()[0]
        self.assertEqual(t["values"], [listed["values"]["loss"]])
        self.assertEqual(t["tag"], "t1")
        rows = list(csv.DictReader(io.StringIO(
            self.run_gdsweep("export", "s", "--format", "csv", "--db", self.db, check=0).stdout)))
        self.assertEqual([r["number"] for r in rows], ["0", "1", "2"])

    def test_trials_where_sort_limit(self):
        finished_study(self, n_trials=8)
        all_trials = self.trials_json()
        got = self.trials_json("--where", "x>0", "--where", "y<=2", "--sort", "loss",
                               "--limit", "3")
        expected = sorted((t for t in all_trials if t["params"]["x"] > 0
                           and t["params"]["y"] <= 2), key=lambda t: t["values"]["loss"])[:3]
        self.assertEqual([t["number"] for t in got], [t["number"] for t in expected])
        desc = self.trials_json("--sort", "x", "--desc")
        self.assertEqual([t["params"]["x"] for t in desc],
                         sorted((t["params"]["x"] for t in all_trials), reverse=True))
        eq = self.trials_json("--where", f"y={all_trials[0]['params']['y']}")
        self.assertIn(0, [t["number"] for t in eq])
        proc = self.run_gdsweep("trials", "--db", self.db, "--where", "lr<1", check=2)
        self.assertIn("unknown key 'lr'; valid keys: number, state, tag, attempt, start, end, "
                      "loss, x, y", proc.stderr)
        proc = self.run_gdsweep("trials", "--db", self.db, "--sort", "z", check=2)
        self.assertIn("--sort: unknown key 'z'", proc.stderr)
        self.run_gdsweep("trials", "--db", self.db, "--where", "x~1", check=2)
        self.run_gdsweep("trials", "--db", self.db, "--limit", "0", check=2)


if __name__ == "__main__":
    unittest.main()
