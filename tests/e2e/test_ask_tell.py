"""End-to-end: `gdsweep ask` / `gdsweep tell` drive a study from an outside
loop, as Optuna's CLI does: ask prints a RUNNING trial's parameters as JSON,
tell records its values (or a failure), and the result reads as any study."""
import json
import unittest

from harness import SweepTestCase


class AskTellTest(SweepTestCase):
    def test_a_loop_of_ask_and_tell_runs_a_tpe_study(self):
        study = self.write("study.yaml", """
            study_name: loop
            objective: {metric: loss, direction: minimize}
            search_space:
              x: {type: float, low: -5, high: 5}
              k: {type: categorical, choices: [a, b]}
            sampler: {type: tpe, seed: 4, n_startup_trials: 5}
            trial: {command: [unused]}
            """)
        told = {}
        for i in range(15):
            asked = json.loads(self.run_gdsweep("ask", study, "--db", self.db, check=0).stdout)
            self.assertEqual(asked["number"], i)
            self.assertEqual(self.query("SELECT state FROM trials WHERE number = ?", i),
                             [("RUNNING",)])
            if i == 3:
                self.run_gdsweep("tell", "--db", self.db, "--trial", "3", "--state", "fail",
                                 "--reason", "diverged", check=0)
                continue
            loss = (asked["params"]["x"] - 1) ** 2 + (0 if asked["params"]["k"] == "a" else 1)
            told[i] = loss
            self.run_gdsweep("tell", "--db", self.db, "--trial", str(i), "--values", repr(loss),
                             check=0)
        trials = {t["number"]: t for t in self.trials_json()}
        self.assertEqual(trials[3]["state"], "FAIL")
        self.assertEqual(trials[3]["failure_reason"], "diverged")
        for i, loss in told.items():
            self.assertEqual(trials[i]["state"], "COMPLETE")
            self.assertAlmostEqual(trials[i]["values"]["loss"], loss)
        best = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json",
                                           check=0).stdout)
        self.assertAlmostEqual(best[0]["values"]["loss"], min(told.values()))
        # a finished trial cannot be told again
        again = self.run_gdsweep("tell", "--db", self.db, "--trial", "0", "--values", "0")
        self.assertEqual(again.returncode, 3, again.stderr)

    def test_tell_records_constraint_values_where_optuna_keeps_them(self):
        study = self.write("study.yaml", """
            study_name: limited
            objective: {metric: loss, direction: minimize}
            constraints: [c0, c1]
            search_space:
              x: {type: float, low: 0, high: 1}
            sampler: {type: random, seed: 2}
            trial: {command: [unused]}
            """)
        for _ in range(4):
            self.run_gdsweep("ask", study, "--db", self.db, check=0)
        # trial 0 is the better one but infeasible; trial 1 is feasible
        # negative numbers are values, not options (regression: "-1" was refused)
        self.run_gdsweep("tell", "--db", self.db, "--trial", "0", "--values", "-0.1",
                         "--constraints", "0.5", "-1", check=0)
        self.run_gdsweep("tell", "--db", self.db, "--trial", "1", "--values", "0.7",
                         "--constraints", "-0.25", "0", check=0)
        self.run_gdsweep("tell", "--db", self.db, "--trial", "2", "--state", "pruned",
                         "--constraints", "1", "1", check=0)

        def constraints(number):
            rows = self.query(
                "SELECT a.value_json FROM trial_system_attributes a JOIN trials t "
                "ON t.trial_id = a.trial_id WHERE t.number = ? AND a.key = 'constraints'", number)
            return json.loads(rows[0][0]) if rows else None

        self.assertEqual(constraints(0), [0.5, -1.0])
        self.assertEqual(constraints(1), [-0.25, 0.0])
        self.assertEqual(constraints(2), [1.0, 1.0])
        best = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json",
                                           check=0).stdout)
        self.assertEqual(best[0]["number"], 1)
        self.assertEqual(self.trials_json()[0]["values"]["loss"], -0.1)

        # wrong count, NaN, or with --state fail: refused, trial 3 still RUNNING
        for args, says in ((["--values", "1", "--constraints", "0"], "2 constraint(s) (c0, c1)"),
                           (["--values", "1", "--constraints", "0", "nan"], "NaN"),
                           (["--state", "fail", "--constraints", "0", "0"], "--state fail")):
            bad = self.run_gdsweep("tell", "--db", self.db, "--trial", "3", *args)
            self.assertEqual(bad.returncode, 2, bad.stderr)
            self.assertIn(says, bad.stderr)
        self.assertEqual(self.query("SELECT state FROM trials WHERE number = 3"), [("RUNNING",)])
        self.assertIsNone(constraints(3))


if __name__ == "__main__":
    unittest.main()
