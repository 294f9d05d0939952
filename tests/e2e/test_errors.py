"""End-to-end: bad input is answered with file:line:column, the key at fault,
exit code 2, and nothing written to the database."""
import os
import unittest

from harness import OBJECTIVE_PY, SweepTestCase, study_yaml


class BadInputTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)

    def assert_rejected(self, text, *expected, args=()):
        study = self.write("bad.yaml", text)
        proc = self.run_gdsweep("run", study, "--db", self.db, *args, check=2)
        for e in expected:
            self.assertIn(e, proc.stderr)
        return proc

    def test_a_bad_value_names_file_line_column_and_key(self):
        self.assert_rejected("""\
            study_name: s
            objective: {metric: loss, direction: minimize}
            search_space:
              lr: {type: float, low: abc, high: 1}
            trial: {command: [true]}
            """, "bad.yaml:4:", "search_space.lr.low")
        self.assertFalse(os.path.exists(self.db))

    def test_an_unknown_key_gets_a_suggestion(self):
        text = study_yaml().replace("budget: {", "budgte: {")
        self.assert_rejected(text, "budgte", "did you mean 'budget'")

    def test_a_pruner_setting_out_of_range_exits_2_at_its_value(self):
        text = study_yaml(extra="pruner:\n  type: hyperband\n  reduction_factor: 1\n")
        line = text.splitlines().index("  reduction_factor: 1") + 1
        self.assert_rejected(text, f"bad.yaml:{line}:21: pruner.reduction_factor: must be at "
                             "least 2, got 1")
        self.assertFalse(os.path.exists(self.db))

    def test_a_pruner_on_a_multi_objective_study_is_refused(self):
        text = study_yaml(extra="pruner: {type: median}\n").replace(
            "objective: {metric: loss, direction: minimize}",
            "objectives: [{metric: loss, direction: minimize}, {metric: t, direction: minimize}]")
        self.assert_rejected(text, "pruner.type: pruning needs a single objective",
                             "Optuna refuses too")

    def test_low_must_be_below_high(self):
        self.assert_rejected(study_yaml(space="""
            x: {type: float, low: 5, high: 1}"""), "search_space.x", "less than high")

    def test_yaml_syntax_error(self):
        self.assert_rejected("study_name: [unclosed\n", "bad.yaml:")

    def test_a_bad_override_is_named(self):
        self.assert_rejected(study_yaml(), "budget.n_trials", args=("--set", "budget.n_trials=abc"))

    def test_bad_input_never_touches_an_existing_database(self):
        study = self.write("study.yaml", study_yaml(n_trials=2))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        with open(self.db, "rb") as f:
            before = f.read()
        self.assert_rejected(study_yaml(n_trials=2).replace("type: random", "type: randm"),
                             "sampler.type")
        with open(self.db, "rb") as f:
            self.assertEqual(before, f.read())

    def test_every_command_has_help_and_bad_flags_exit_2(self):
        for command in ["run", "studies", "trials", "best"]:
            proc = self.run_gdsweep(command, "--help", check=0)
            self.assertIn("usage: gdsweep " + command, proc.stdout)
            self.run_gdsweep(command, "--no-such-flag", check=2)
        self.assertIn("Exit codes", self.run_gdsweep("--help", check=0).stdout)
        self.run_gdsweep("frobnicate", check=2)

    def test_listing_a_missing_database_is_not_found(self):
        proc = self.run_gdsweep("trials", "--db", os.path.join(self.dir, "nope.db"), check=4)
        self.assertIn("no database", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "nope.db")))


if __name__ == "__main__":
    unittest.main()
