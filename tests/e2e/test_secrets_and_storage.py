"""End-to-end (issue 11, "Secrets and storage"): no credential in any message,
log or stored row; a database of an unknown Optuna revision refused with the
file left byte for byte as it was; a study Optuna deleted leaves nothing that a
study re-created under its id would take for its own. Run with /usr/bin/python3
(Debian's python3-optuna)."""
import base64
import hashlib
import os
import sqlite3
import subprocess

import optuna

from harness import GDSWEEP, OBJECTIVE_PY, SweepTestCase, study_yaml
from tracking_fake import FakeMlflow

optuna.logging.set_verbosity(optuna.logging.WARNING)

PASSWORD = "Pa55-w0rd-x7"
TOKEN = "tok-3f9a8b7c6d5e"


class SecretsTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)

    def gdsweep(self, *args, env=None):
        return subprocess.run([GDSWEEP, *args], cwd=self.dir, capture_output=True, text=True,
                              timeout=120, env=dict(os.environ, **(env or {})))

    def assert_nowhere(self, secret, *outputs):
        """`secret` is in no output and in no byte of any file gdsweep wrote in the test's
        folder (the database, its WAL, the trial logs: all but the study file)."""
        for out in outputs:
            self.assertNotIn(secret, out)
        for root, _, files in os.walk(self.dir):
            for name in files:
                if name == "study.yaml":
                    continue
                with open(os.path.join(root, name), "rb") as f:
                    self.assertNotIn(secret.encode(), f.read(), os.path.join(root, name))

    def test_tracking_uri_without_a_scheme_never_prints_its_password(self):
        no_uri = study_yaml(n_trials=1) + "tracking:\n  experiment: e\n"
        with_uri = study_yaml(n_trials=1) + f"tracking:\n  uri: alice:{PASSWORD}@127.0.0.1:5000\n"
        for name, text, env in [
                ("in the study file", with_uri, {}),
                ("in $MLFLOW_TRACKING_URI", no_uri,
                 {"MLFLOW_TRACKING_URI": f"alice:{PASSWORD}@127.0.0.1:5000"})]:
            with self.subTest(name):
                study = self.write("study.yaml", text)
                proc = self.gdsweep("run", study, "--db", self.db, env=env)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("tracking", proc.stderr)
                self.assertIn("***@127.0.0.1:5000", proc.stderr)
                self.assertFalse(os.path.exists(self.db))
                self.assert_nowhere(PASSWORD, proc.stdout, proc.stderr)

    def run_against_echoing_proxy(self, fake, env, secrets):
        study = self.write("study.yaml", study_yaml(n_trials=2, parallelism=1) +
                           f"tracking:\n  uri: {fake.uri}\n  experiment: e\n")
        # One report is waiting (the server was down when the trial started), then the
        # server answers through a proxy that echoes the credentials it is sent: the
        # next ask delivers and logs the answer, sync stores and prints it.
        fake.fault("down")
        outputs = []
        for args in (["ask", study], ["ask", study, "--log-level", "debug"],
                     ["sync", "--timeout", "3"]):
            proc = self.gdsweep(*args, "--db", self.db, env=env)
            outputs += [proc.stdout, proc.stderr]
            self.assertIn(proc.returncode, (0, 1), proc.stderr)
            fake.fault("echo-auth")
        self.assertEqual(proc.returncode, 1, proc.stderr)  # sync: the reports were refused
        # The proxy did echo the credentials, and its words were logged and stored.
        self.assertTrue(any(r.get("fault") == "echo-auth" for r in fake.requests()))
        self.assertIn("proxy refused the request", outputs[3])
        errors = [e for (e,) in self.query(
            "SELECT last_error FROM gdsweep_tracking_outbox WHERE last_error IS NOT NULL")]
        self.assertTrue(errors)
        self.assertIn("proxy refused the request", errors[0])
        for secret in secrets:
            self.assert_nowhere(secret, *outputs)

    def test_proxy_echoing_basic_authorization_leaves_no_credential_in_logs_or_database(self):
        fake = FakeMlflow("--username", "alice", "--password", PASSWORD)
        self.addCleanup(fake.stop)
        basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        self.run_against_echoing_proxy(
            fake, {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": PASSWORD},
            [PASSWORD, basic])

    def test_proxy_echoing_a_bearer_token_leaves_it_out_of_logs_and_database(self):
        fake = FakeMlflow("--token", TOKEN)
        self.addCleanup(fake.stop)
        self.run_against_echoing_proxy(fake, {"MLFLOW_TRACKING_TOKEN": TOKEN}, [TOKEN])


def file_bytes(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class UnknownRevisionTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)
        self.study = self.write("study.yaml", study_yaml(n_trials=2))

    def set_revision(self, revision):
        con = sqlite3.connect(self.db)
        con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        con.commit()
        con.close()

    def assert_refused_untouched(self, revision):
        before = file_bytes(self.db)
        files = sorted(os.listdir(self.dir))
        for args in (["run", self.study, "--db", self.db], ["trials", "--db", self.db],
                     ["studies", "--db", self.db], ["best", "--db", self.db, "--study", "s"]):
            with self.subTest(args[0]):
                proc = self.run_gdsweep(*args)
                self.assertEqual(proc.returncode, 3, proc.stderr)
                self.assertIn(self.db, proc.stderr)
                self.assertIn(f"'{revision}'", proc.stderr)
                self.assertEqual(file_bytes(self.db), before)
                # A read-only connection to a WAL file may leave SQLite's empty side files.
                for name in set(os.listdir(self.dir)) - set(files):
                    self.assertIn(name, ("gdsweep.db-wal", "gdsweep.db-shm"))
                    if name.endswith("-wal"):
                        self.assertEqual(os.path.getsize(os.path.join(self.dir, name)), 0)

    def test_unknown_alembic_revision_of_a_gdsweep_file_is_refused_and_left_byte_identical(self):
        self.run_gdsweep("run", self.study, "--db", self.db, check=0)
        for revision in ("garbage", "v3.4.0.a"):
            self.set_revision(revision)
            self.assert_refused_untouched(revision)

    def test_unknown_alembic_revision_of_an_optuna_file_is_refused_and_left_byte_identical(self):
        optuna.create_study(study_name="s", storage=f"sqlite:///{self.db}")
        self.set_revision("garbage")
        self.assert_refused_untouched("garbage")


class DeletedStudyTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)
        self.study = self.write("study.yaml", study_yaml(n_trials=4, parallelism=2))
        self.storage = f"sqlite:///{self.db}"

    def states(self):
        return [state for (state,) in self.query(
            "SELECT t.state FROM trials t JOIN studies s USING (study_id) "
            "WHERE s.study_name = 's' ORDER BY t.number")]

    def leftovers(self):
        tables = [n for (n,) in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'gdsweep_%' "
            "AND name <> 'gdsweep_version_info'")]
        return {t: self.query(f"SELECT count(*) FROM {t}")[0][0] for t in tables}

    def run_again_after(self, recreate):
        first = self.run_gdsweep("run", self.study, "--db", self.db, check=0)
        self.assertEqual(self.states(), ["COMPLETE"] * 4, first.stderr)
        old_id = self.query("SELECT study_id FROM studies WHERE study_name = 's'")[0][0]
        optuna.delete_study(study_name="s", storage=self.storage)
        self.assertEqual(self.leftovers(), {t: 0 for t in self.leftovers()})
        recreate()
        second = self.run_gdsweep("run", self.study, "--db", self.db, check=0)
        self.assertEqual(self.query("SELECT study_id FROM studies WHERE study_name = 's'")[0][0],
                         old_id)  # the id was reused: the case that broke
        self.assertEqual(self.states(), ["COMPLETE"] * 4, second.stdout + second.stderr)
        numbers = [n for (n,) in self.query("SELECT number FROM trials ORDER BY number")]
        self.assertEqual(numbers, [0, 1, 2, 3])

    def test_study_recreated_by_gdsweep_after_delete_study_runs_its_full_budget(self):
        self.run_again_after(lambda: None)

    def test_study_recreated_by_optuna_after_delete_study_runs_its_full_budget(self):
        self.run_again_after(
            lambda: optuna.create_study(study_name="s", storage=self.storage))


if __name__ == "__main__":
    import unittest
    unittest.main()
