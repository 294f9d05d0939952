"""End-to-end: garbage in a study file (or in what a trial prints) gets a clear
answer and never a crash, a hang or a touched database. A bad study file exits
2 (3 for a stored study that differs) with one line naming file:line:column
and the key; a database that was absent stays absent, one that existed stays
byte-identical. Each test is named after what broke (issue 11, items 7-12)."""
import os
import resource
import shutil
import subprocess
import tempfile
import unittest

from harness import GDSWEEP, OBJECTIVE_PY, PYTHON, SweepTestCase, study_yaml

HEAD = """\
study_name: s
objective: {metric: loss, direction: minimize}
"""


def limit_memory():
    """Runs in the child: 1 GiB of address space, as a small container has."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


class BadInputTest(SweepTestCase):
    existing_db = None  # a database with one finished trial, made once per class

    @classmethod
    def setUpClass(cls):
        cls.class_dir = tempfile.mkdtemp(prefix="gdsweep-e2e-db-")
        with open(os.path.join(cls.class_dir, "objective.py"), "w") as f:
            f.write(OBJECTIVE_PY)
        with open(os.path.join(cls.class_dir, "study.yaml"), "w") as f:
            f.write(study_yaml(n_trials=1, parallelism=1))
        cls.existing_db = os.path.join(cls.class_dir, "existing.db")
        subprocess.run([GDSWEEP, "run", "study.yaml", "--db", cls.existing_db], cwd=cls.class_dir,
                       check=True, capture_output=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.class_dir, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)

    def gdsweep(self, *args, timeout=60, memory_limit=False):
        """Runs gdsweep; stderr decoded leniently (a crash may print anything)."""
        return subprocess.run([GDSWEEP, *args], cwd=self.dir, capture_output=True,
                              timeout=timeout, preexec_fn=limit_memory if memory_limit else None)

    def write_bytes(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assert_refused(self, study, *expected, code=2, args=(), timeout=60, memory_limit=False):
        """Runs `gdsweep run study` against an absent and an existing database:
        exit `code`, one line of stderr holding every `expected` text, the absent
        database not created, the existing one byte-identical. Returns the line."""
        absent = os.path.join(self.dir, "absent.db")
        existing = os.path.join(self.dir, "existing.db")
        shutil.copy(self.existing_db, existing)
        with open(existing, "rb") as f:
            before = f.read()
        study = os.path.relpath(study, self.dir)  # messages name it as given
        line = None
        for db in (absent, existing):
            proc = self.gdsweep("run", study, "--db", db, *args, timeout=timeout,
                                memory_limit=memory_limit)
            err = proc.stderr.decode("utf-8", "backslashreplace")
            self.assertEqual(proc.returncode, code, f"stderr:\n{err}")
            lines = err.strip().splitlines()
            self.assertEqual(len(lines), 1, f"expected one line, got:\n{err}")
            line = lines[0]
            for e in expected:
                self.assertIn(e, line)
        self.assertFalse(os.path.exists(absent), "the refused run created the database")
        with open(existing, "rb") as f:
            self.assertEqual(before, f.read(), "the refused run changed the database")
        return line

    # Item 7: non-UTF-8 bytes aborted with an uncaught JSON exception (exit 134)
    # after the database was created.
    def test_non_utf8_bytes_in_a_choice_are_refused_with_their_place(self):
        study = self.write_bytes("bad.yaml", HEAD.encode() + b"""\
search_space:
  opt: {type: categorical, choices: [adam, "sg\xffd"]}
trial: {command: [true]}
""")
        self.assert_refused(study, "bad.yaml:4:", "search_space.opt.choices[1]", "UTF-8")

    def test_non_utf8_bytes_in_a_command_argument_are_refused_with_their_place(self):
        study = self.write_bytes("bad.yaml", HEAD.encode() + b"""\
search_space:
  x: {type: float, low: 0, high: 1}
trial:
  command: [true, "--out=\xc3(", "{x}"]
""")
        self.assert_refused(study, "bad.yaml:6:", "trial.command[1]", "UTF-8")

    def test_non_utf8_bytes_in_an_override_are_refused(self):
        study = self.write("bad.yaml", study_yaml())
        self.assert_refused(study, "--set", "trial.env.NAME", "UTF-8",
                            args=(b"--set", b"trial.env.NAME=\xfe\xff"))

    # Item 8: a 1 KB alias bomb allocated gigabytes.
    def test_an_alias_bomb_is_refused_quickly_in_little_memory(self):
        levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in range(1, 9):  # 10^9 nodes once expanded
            levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
        study = self.write("bad.yaml", HEAD + "\n".join(levels) + "\n")
        self.assertLess(os.path.getsize(study), 1024)
        self.assert_refused(study, "bad.yaml:", "aliases expand to more than 100000 nodes",
                            timeout=30, memory_limit=True)

    # Item 9: a big study file ran for minutes (quadratic duplicate check).
    def test_a_study_file_past_the_size_limit_is_refused_at_once(self):
        choices = ", ".join(f"c{i}" for i in range(200000))  # about 1.5 MB
        study = self.write("big.yaml", HEAD + f"""\
search_space:
  x: {{type: categorical, choices: [{choices}]}}
trial: {{command: [true, "{{x}}"]}}
budget: {{n_trials: 1}}
""")
        self.assertGreater(os.path.getsize(study), 1 << 20)
        self.assert_refused(study, "big.yaml", "larger than 1 MiB", timeout=20)

    def test_many_choices_are_checked_in_n_log_n(self):
        n = 110000  # just under 1 MiB
        choices = ", ".join(f"c{i}" for i in range(n)) + ", c0"
        study = self.write("big.yaml", HEAD + f"""\
search_space:
  x: {{type: categorical, choices: [{choices}]}}
trial: {{command: [true, "{{x}}"]}}
""")
        self.assertLess(os.path.getsize(study), 1 << 20)
        self.assert_refused(study, "big.yaml:4:", f"search_space.x.choices[{n}]",
                            "choice 'c0' appears twice (first as search_space.x.choices[0] at "
                            "big.yaml:4:", timeout=20)

    # Item 10: unhelpful messages.
    def test_a_directory_as_the_study_file_says_so(self):
        studies = os.path.join(self.dir, "studies")
        os.mkdir(studies)
        self.assert_refused(studies, "gdsweep: studies: is a directory, not a study file")

    def test_a_tab_in_the_indentation_says_tab(self):
        study = self.write("bad.yaml", HEAD + "search_space:\n  x:\n\t  type: float\n")
        self.assert_refused(study, "bad.yaml:5:1: type: indented with a tab")

    def test_a_changed_space_is_one_line_with_the_place_and_one_hint(self):
        # The class database holds study 's' with x in [-5, 5].
        study = self.write("study.yaml", study_yaml(n_trials=1, parallelism=1).replace(
            "x: {type: float, low: -5, high: 5}", "x: {type: float, low: -5, high: 9}"))
        existing = os.path.join(self.dir, "existing.db")
        shutil.copy(self.existing_db, existing)
        with open(existing, "rb") as f:
            before = f.read()
        proc = self.gdsweep("run", "study.yaml", "--db", existing)
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 3, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("gdsweep: study.yaml:6:3: search_space.x: the study has "
                      "FloatDistribution(low=-5.0, high=5.0", lines[0])
        self.assertEqual(lines[0].count("--allow-changes"), 1, lines[0])
        with open(existing, "rb") as f:
            self.assertEqual(before, f.read())

    # Item 11: choices the trial receives as the same text.
    def test_choices_that_reach_the_trial_as_the_same_text_are_refused(self):
        cases = [("null", '"null"', "the string \"null\" and null"),
                 ("1", '"1"', "the string \"1\" and the integer 1"),
                 ("true", '"true"', "the string \"true\" and the boolean true"),
                 ('"inf"', ".inf", "the float inf and the string \"inf\"")]
        for first, second, described in cases:
            with self.subTest(first=first, second=second):
                study = self.write("bad.yaml", HEAD + f"""\
search_space:
  c: {{type: categorical, choices: [{first}, {second}]}}
budget: {{n_trials: 1}}
trial: {{command: [true, "{{c}}"]}}
""")
                line = self.assert_refused(study, "bad.yaml:4:", "search_space.c.choices[1]",
                                           described, "search_space.c.choices[0] at bad.yaml:4:",
                                           "could not tell them apart")
                self.assertRegex(line, r"^gdsweep: bad\.yaml:4:\d+: ")


class UnreadableMetricTest(SweepTestCase):
    """Item 12: a metric the trial printed but that is no number was reported
    as "did not report", or an earlier value was kept."""

    def run_trial_printing(self, *lines):
        self.write("trial.py", "".join(f"print({line!r})\n" for line in lines))
        study = self.write("study.yaml", HEAD + f"""\
search_space:
  x: {{type: float, low: 0, high: 1}}
budget: {{n_trials: 1}}
trial: {{command: [{PYTHON}, trial.py]}}
""")
        proc = self.run_gdsweep("run", study, "--db", self.db)
        self.assertEqual(proc.returncode, 5, proc.stderr)  # no trial completed
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["FAIL"])
        return trials[0]["failure_reason"]

    def test_a_value_too_large_for_a_double_fails_the_trial_quoting_the_line(self):
        reason = self.run_trial_printing("epoch=1 loss=1e400")
        self.assertIn("reported 'loss' on stdout line 1 as something that is not a number "
                      "('1e400' is too large for a double): \"epoch=1 loss=1e400\"", reason)

    def test_a_value_with_trailing_garbage_fails_the_trial(self):
        reason = self.run_trial_printing("loss=1.5abc")
        self.assertIn("'1.5abc' is not a number", reason)

    def test_an_unreadable_last_report_does_not_keep_the_earlier_value(self):
        reason = self.run_trial_printing("loss=0.5", "loss=1e400")
        self.assertIn("on stdout line 2", reason)


if __name__ == "__main__":
    unittest.main()
