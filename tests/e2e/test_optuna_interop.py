"""End-to-end: Optuna (Debian's python3-optuna) reads a study gdsweep ran, and
gdsweep resumes a study Optuna started. Run with /usr/bin/python3."""
import json
import unittest

import optuna

from harness import OBJECTIVE_PY, SweepTestCase, study_yaml

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = """
  x: {type: float, low: -5, high: 5}
  y: {type: int, low: -5, high: 5}
  opt: {type: categorical, choices: [adam, sgd, true, 3]}"""


class OptunaInteropTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)
        self.study = self.write("study.yaml", study_yaml(name="shared", n_trials=5, space=SPACE))

    def test_optuna_reads_what_gdsweep_wrote(self):
        self.run_gdsweep("run", self.study, "--db", self.db, check=0)
        ours = self.trials_json()
        study = optuna.load_study(study_name="shared", storage=f"sqlite:///{self.db}")
        theirs = study.get_trials()
        self.assertEqual(len(theirs), 5)
        self.assert_optuna_reads_ours(ours, theirs)
        for t in theirs:
            self.assertEqual(sorted(t.intermediate_values), [1, 2])
        self.assertEqual(theirs[0].distributions["y"], optuna.distributions.IntDistribution(-5, 5))
        self.assertEqual(theirs[0].distributions["opt"],
                         optuna.distributions.CategoricalDistribution(["adam", "sgd", True, 3]))
        self.assertEqual(study.best_value, min(o["values"]["loss"] for o in ours))
        self.assertEqual(study.direction, optuna.study.StudyDirection.MINIMIZE)

    def test_optuna_reads_and_continues_a_study_gdsweep_ran_with_the_default_sampler(self):
        # No sampler section: auto, here gp (a mostly numeric space): 10
        # quasi-random trials, then the Gaussian process. Optuna reads them,
        # adds its own, and gdsweep's gp goes on from all of them.
        yaml = study_yaml(name="shared", n_trials=12, space=SPACE)
        untyped = yaml.replace("sampler: {type: random, seed: 1}\n", "")
        self.assertNotIn("sampler:", untyped)
        study_file = self.write("auto.yaml", untyped)
        proc = self.run_gdsweep("run", study_file, "--db", self.db, check=0)
        self.assertIn("sampler auto: gp from trial 0", proc.stderr)
        ours = self.trials_json()
        study = optuna.load_study(study_name="shared", storage=f"sqlite:///{self.db}")
        self.assert_optuna_reads_ours(ours, study.get_trials())
        self.assertEqual(study.best_value, min(o["values"]["loss"] for o in ours))
        study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_int("y", -5, 5)
                       + len(str(t.suggest_categorical("opt", ["adam", "sgd", True, 3]))),
                       n_trials=2)
        self.run_gdsweep("run", study_file, "--db", self.db, "--n-trials", "14", check=0)
        trials = self.trials_json()
        self.assertEqual([t["number"] for t in trials], list(range(16)))
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * 16)
        reloaded = optuna.load_study(study_name="shared", storage=f"sqlite:///{self.db}")
        self.assertEqual(len(reloaded.get_trials(states=[optuna.trial.TrialState.COMPLETE])), 16)

    def test_gdsweep_resumes_a_study_optuna_started(self):
        study = optuna.create_study(study_name="shared", storage=f"sqlite:///{self.db}")
        study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_int("y", -5, 5)
                       + len(str(t.suggest_categorical("opt", ["adam", "sgd", True, 3]))),
                       n_trials=3)
        self.run_gdsweep("run", self.study, "--db", self.db, check=0)
        trials = self.trials_json()
        self.assertEqual([t["number"] for t in trials], list(range(8)))
        self.assertEqual(sum(t["tag"] == "t1" for t in trials), 5)
        reloaded = optuna.load_study(study_name="shared", storage=f"sqlite:///{self.db}")
        self.assertEqual(len(reloaded.get_trials(states=[optuna.trial.TrialState.COMPLETE])), 8)

    def test_trials_and_best_show_an_optuna_study_as_optuna_does(self):
        # Optuna stores a categorical's index and keeps its choices in
        # trial_params.distribution_json; Optuna 3.1 names no objective.
        study = optuna.create_study(study_name="made", storage=f"sqlite:///{self.db}")
        study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1, log=True)
                       + ["adam", "sgd", "rms"].index(t.suggest_categorical("opt", ["adam", "sgd", "rms"])),
                       n_trials=6)
        theirs = study.get_trials()
        rows = self.trials_json("--study", "made")
        self.assertEqual([r["params"] for r in rows], [t.params for t in theirs])
        self.assertEqual([r["values"] for r in rows], [{"value": t.value} for t in theirs])
        table = self.run_gdsweep("trials", "--db", self.db, check=0).stdout.splitlines()
        self.assertEqual(table[0].split()[3:6], ["attempt", "value", "lr"])
        at = table[0].index(" opt ") + 1
        self.assertEqual([line[at:].split()[0] for line in table[1:]],
                         [t.params["opt"] for t in theirs])
        import csv
        import io
        rows = list(csv.DictReader(io.StringIO(self.run_gdsweep(
            "trials", "--db", self.db, "--format", "csv", check=0).stdout)))
        self.assertEqual([r["opt"] for r in rows], [t.params["opt"] for t in theirs])
        self.assertEqual([float(r["lr"]) for r in rows], [t.params["lr"] for t in theirs])
        best = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json",
                                           check=0).stdout)
        self.assertEqual(best[0]["params"], study.best_params)
        self.assertEqual(best[0]["values"], {"value": study.best_value})
        studies = self.run_gdsweep("studies", "--db", self.db, check=0).stdout
        self.assertIn("value:min", studies)

    def test_several_objectives_are_named_as_optuna_names_them(self):
        study = optuna.create_study(study_name="two", storage=f"sqlite:///{self.db}",
                                    directions=["minimize", "maximize"])
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
        rows = self.trials_json()
        self.assertEqual(sorted(rows[0]["values"]), ["values_0", "values_1"])
        studies = json.loads(self.run_gdsweep("studies", "--db", self.db, "--format", "json",
                                              check=0).stdout)
        self.assertEqual([o["metric"] for o in studies[0]["objectives"]], ["values_0", "values_1"])

    def test_metric_names_optuna_stored_are_shown(self):
        # Optuna >= 3.2 keeps study.set_metric_names in this attribute; 3.1 has no API for it.
        study = optuna.create_study(study_name="named", storage=f"sqlite:///{self.db}")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        study._storage.set_study_system_attr(study._study_id, "study:metric_names", ["acc"])
        self.assertEqual(list(self.trials_json()[0]["values"]), ["acc"])

    def test_a_mismatching_optuna_study_is_refused(self):
        study = optuna.create_study(study_name="shared", storage=f"sqlite:///{self.db}")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        proc = self.run_gdsweep("run", self.study, "--db", self.db, check=3)
        self.assertIn("x", proc.stderr)


if __name__ == "__main__":
    unittest.main()
