"""End-to-end: the shipped examples run as the README says, from any folder
(a local trial runs in its study file's folder)."""
import os
import unittest

from harness import SweepTestCase

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


class ExamplesTest(SweepTestCase):
    def run_example(self, name, n_trials):
        study = os.path.join(EXAMPLES, name, "study.yaml")
        # Started from the test's own folder, not the example's.
        self.run_gdsweep("run", study, "--db", self.db, "--n-trials", str(n_trials), check=0,
                         timeout=300)
        trials = self.trials_json()
        self.assertEqual(len(trials), n_trials)
        for t in trials:
            self.assertEqual(t["state"], "COMPLETE", t["failure_reason"])
        return trials

    def test_quickstart(self):
        self.run_example("quickstart", 6)

    def test_sklearn_digits_svc_is_tuned_by_cross_validated_accuracy(self):
        trials = self.run_example("sklearn", 4)
        for t in trials:
            self.assertGreater(t["values"]["accuracy"], 0.05)  # ten classes: chance is 0.1
            self.assertLessEqual(t["values"]["accuracy"], 1.0)
            self.assertEqual(len(t["intermediate_values"]), 4)  # three folds and the mean


if __name__ == "__main__":
    unittest.main()
