"""End-to-end: what a new user meets on the command line: flag errors with
suggestions, not-found names listed, one table/CSV writer, short numbers in
tables and exact ones in CSV/JSON, and read-only commands that leave the
database folder as they found it."""
import csv
import io
import json
import os
import sqlite3

from harness import OBJECTIVE_PY, SweepTestCase, study_yaml


class CommandLineTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)
        self.study = self.write("study.yaml", study_yaml(n_trials=2))

    def ran(self):
        self.run_gdsweep("run", self.study, "--db", self.db, check=0)

    # ---- flags ----

    def test_run_without_a_study_file_says_missing_study_yaml(self):
        proc = self.run_gdsweep("run", check=2)
        self.assertIn("gdsweep: missing STUDY.yaml", proc.stderr)
        self.assertIn("usage: gdsweep run STUDY.yaml", proc.stderr)
        self.assertNotIn("--study-file", proc.stderr)

    def test_an_unknown_flag_gets_a_suggestion(self):
        proc = self.run_gdsweep("run", self.study, "--n_trials", "1", check=2)
        self.assertIn("did you mean --n-trials?", proc.stderr)
        proc = self.run_gdsweep("trials", "--stat", "FAIL", check=2)
        self.assertIn("did you mean --state", proc.stderr)

    def test_abbreviated_flags_are_refused_with_the_full_names(self):
        proc = self.run_gdsweep("run", self.study, "--db", self.db, "--n-tr", "1", "--par", "1",
                                check=2)
        self.assertIn("did you mean --n-trials?", proc.stderr)
        self.assertFalse(os.path.exists(self.db))
        proc = self.run_gdsweep("trials", "--for", "json", "--db", self.db, check=2)
        self.assertIn("did you mean --format?", proc.stderr)

    def test_a_bad_flag_value_names_the_flag_not_an_override(self):
        proc = self.run_gdsweep("run", self.study, "--db", self.db, "--parallelism", "0", check=2)
        self.assertIn("gdsweep: --parallelism 0: ", proc.stderr)
        self.assertNotIn("--set", proc.stderr)
        proc = self.run_gdsweep("run", self.study, "--db", self.db, "--n-trials", "0", check=2)
        self.assertIn("gdsweep: --n-trials 0: ", proc.stderr)

    def test_an_unknown_study_lists_the_studies(self):
        self.ran()
        proc = self.run_gdsweep("trials", "--db", self.db, "--study", "nope", check=4)
        self.assertIn("no study named 'nope'", proc.stderr)
        self.assertIn("its studies: s", proc.stderr)
        proc = self.run_gdsweep("best", "--db", self.db, "--study", "S", check=4)
        self.assertIn("did you mean 's'?", proc.stderr)
        proc = self.run_gdsweep("report", "--db", self.db, "--study", "nope", check=4)
        self.assertIn("no study named 'nope'; its studies: s", proc.stderr)

    def test_an_unknown_tag_lists_the_tags_and_exits_4(self):
        self.ran()
        for command in ["trials", "best", "report"]:
            proc = self.run_gdsweep(command, "--db", self.db, "--tag", "nope", check=4)
            self.assertIn("no trial with sweep tag 'nope'; its tags: t1", proc.stderr)
            self.assertEqual(proc.stdout, "")

    def test_help_names_csv_and_the_default_database(self):
        proc = self.run_gdsweep("studies", "--help", check=0)
        self.assertIn("[--format table|csv|json]", proc.stdout)
        for command in ["trials", "best", "studies", "report", "run"]:
            env_free = " ".join(self.run_gdsweep(command, "--help", check=0).stdout.split())
            self.assertIn("$GDSWEEP_DB, else ./gdsweep.db; here: ./gdsweep.db", env_free)
        os.environ["GDSWEEP_DB"] = "/data/sweeps.db"
        try:
            proc = self.run_gdsweep("trials", "--help", check=0)
        finally:
            del os.environ["GDSWEEP_DB"]
        self.assertIn("here: $GDSWEEP_DB, /data/sweeps.db", " ".join(proc.stdout.split()))

    def test_run_help_states_the_default_sampler(self):
        text = " ".join(self.run_gdsweep("run", "--help", check=0).stdout.split())
        self.assertIn("without one, a new study gets auto (it logs what it picks and why) and a "
                      "resumed study the sampler recorded with it", text)

    # ---- tables and CSV ----

    def test_studies_csv_quotes_names_and_the_table_is_aligned(self):
        import optuna  # gdsweep's own names are plain; Optuna's may hold anything
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        for name in ['my study, v2', 'he said "hi"', 'a\nb']:
            study = optuna.create_study(study_name=name, storage=f"sqlite:///{self.db}")
            study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        rows = list(csv.reader(io.StringIO(
            self.run_gdsweep("studies", "--db", self.db, "--format", "csv", check=0).stdout)))
        self.assertEqual(rows[0], ["name", "objectives", "trials", "complete", "failed", "tags"])
        self.assertEqual([r[0] for r in rows[1:]], ['my study, v2', 'he said "hi"', 'a\nb'])
        self.assertTrue(all(len(r) == 6 for r in rows))
        table = self.run_gdsweep("studies", "--db", self.db, check=0).stdout.splitlines()
        self.assertEqual(len(table), 4)  # the newline is escaped, not a row of its own
        self.assertIn("a\\nb", table[3])
        # Aligned: every column starts at the same offset on every line.
        start = table[0].index("objectives")
        self.assertTrue(all(line[start:].startswith("value:min") for line in table[1:]), table)

    def test_a_multi_line_reason_stays_on_one_table_row(self):
        asked = json.loads(self.run_gdsweep("ask", self.study, "--db", self.db, check=0).stdout)
        self.run_gdsweep("tell", "--db", self.db, "--trial", str(asked["number"]), "--state",
                         "fail", "--reason", "line one\nline two\x1b[31m", check=0)
        table = self.run_gdsweep("trials", "--db", self.db, check=0).stdout
        self.assertEqual(len(table.splitlines()), 2)
        self.assertIn("line one\\nline two\\x1B[31m", table)
        rows = list(csv.reader(io.StringIO(
            self.run_gdsweep("trials", "--db", self.db, "--format", "csv", check=0).stdout)))
        self.assertEqual(rows[1][rows[0].index("reason")], "line one\nline two\x1b[31m")

    def test_tables_show_short_numbers_and_csv_json_exact_ones(self):
        self.ran()
        trials = self.trials_json()
        x = trials[0]["params"]["x"]
        loss = trials[0]["values"]["loss"]
        table = self.run_gdsweep("trials", "--db", self.db, check=0).stdout
        self.assertIn("%.6g" % x, table.split())
        self.assertIn("%.6g" % loss, table.split())
        self.assertNotIn(repr(x), table)
        rows = list(csv.DictReader(io.StringIO(
            self.run_gdsweep("trials", "--db", self.db, "--format", "csv", check=0).stdout)))
        self.assertEqual(float(rows[0]["x"]), x)
        self.assertEqual(float(rows[0]["loss"]), loss)

    def test_json_keeps_nan_and_infinities(self):
        asked = json.loads(self.run_gdsweep("ask", self.study, "--db", self.db, check=0).stdout)
        con = sqlite3.connect(self.db)
        for step, (value, kind) in enumerate([(None, "NAN"), (None, "INF_POS"),
                                              (None, "INF_NEG"), (0.5, "FINITE")]):
            con.execute("INSERT INTO trial_intermediate_values (trial_id, step, "
                        "intermediate_value, intermediate_value_type) VALUES (?, ?, ?, ?)",
                        (asked["trial_id"], step, value, kind))
        con.commit()
        con.close()
        self.run_gdsweep("tell", "--db", self.db, "--trial", str(asked["number"]), "--values",
                         "1.5", check=0)
        con = sqlite3.connect(self.db)
        con.execute("UPDATE trial_values SET value = NULL, value_type = 'INF_POS'")
        con.commit()
        con.close()
        trial = self.trials_json()[0]
        self.assertEqual(trial["intermediate_values"],
                         {"0": "NaN", "1": "Infinity", "2": "-Infinity", "3": 0.5})
        self.assertEqual(trial["values"], {"loss": "Infinity"})

    def test_invalid_utf8_in_a_stored_string_does_not_break_json(self):
        self.ran()
        con = sqlite3.connect(self.db)
        con.execute("UPDATE gdsweep_trials SET failure_reason = CAST(X'6261640080FF' AS TEXT)")
        con.commit()
        con.close()
        proc = self.run_gdsweep("trials", "--db", self.db, "--format", "json", check=0)
        self.assertEqual(json.loads(proc.stdout)[0]["failure_reason"], "bad\x00\ufffd\ufffd")
        table = self.run_gdsweep("trials", "--db", self.db, check=0).stdout
        self.assertIn("bad\\x00\\x80\\xFF", table)

    # ---- the database file ----

    def test_read_only_commands_leave_no_wal_or_shm_files(self):
        self.ran()
        self.assertEqual(sorted(f for f in os.listdir(self.dir) if f.startswith("gdsweep.db")),
                         ["gdsweep.db"])
        for args in [("trials",), ("best",), ("studies",), ("trials", "--format", "json"),
                     ("report", "-o", os.path.join(self.dir, "r.html"))]:
            self.run_gdsweep(*args, "--db", self.db, check=0)
            self.assertFalse(os.path.exists(self.db + "-wal"), args)
            self.assertFalse(os.path.exists(self.db + "-shm"), args)

    def test_a_file_that_is_not_a_database_is_named(self):
        bad = self.write("notes.db", "just some text\n" * 200)
        for command in ["trials", "studies", "best"]:
            proc = self.run_gdsweep(command, "--db", bad, check=1)
            self.assertIn(f"{bad} is not a gdsweep/Optuna database (SQLite says: file is not a "
                          f"database)", proc.stderr)
            self.assertNotIn("SELECT", proc.stderr)
        proc = self.run_gdsweep("run", self.study, "--db", bad, check=1)
        self.assertIn("is not a gdsweep/Optuna database", proc.stderr)
        for sql in ["SELECT", "PRAGMA", "INSERT", "CREATE"]:
            self.assertNotIn(sql, proc.stderr)

    def test_a_database_in_a_missing_folder_names_the_folder(self):
        missing = os.path.join(self.dir, "x", "y")
        proc = self.run_gdsweep("run", self.study, "--db", os.path.join(missing, "g.db"), check=1)
        self.assertIn(f"folder {missing} does not exist", proc.stderr)
        proc = self.run_gdsweep("trials", "--db", os.path.join(missing, "g.db"), check=4)
        self.assertIn(f"folder {missing} does not exist", proc.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()
