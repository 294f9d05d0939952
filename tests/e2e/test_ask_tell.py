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


if __name__ == "__main__":
    unittest.main()
