"""End-to-end on a real PostgreSQL server (pg_server.py starts one per test
class): Optuna reads gdsweep's study there and gdsweep continues Optuna's;
six `gdsweep run` workers and one Optuna process share a study across a server
restart; a refused login is a clear error that never shows the password;
`gdsweep copy` moves a study SQLite -> PostgreSQL -> SQLite. Run with
/usr/bin/python3 (Debian's python3-optuna and python3-psycopg2)."""
import json
import os
import subprocess
import sys
import textwrap
import time
import unittest

from harness import OBJECTIVE_PY, PYTHON, SweepTestCase, study_yaml
import pg_server

try:
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
except ImportError:  # pragma: no cover
    optuna = None


def setUpModule():
    pg_server.require_postgres(None)
    if optuna is None:
        raise unittest.SkipTest("Debian's python3-optuna is not installed")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        raise unittest.SkipTest("python3-psycopg2 is not installed (scripts/install-deps.sh)")


class PostgresTest(SweepTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = pg_server.PostgresServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.destroy()

    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)
        self.dbname = self.server.create_database(self._testMethodName[:20])
        self.url = self.server.url(self.dbname)
        self.optuna_url = self.server.url(self.dbname, scheme="postgresql+psycopg2")

    def count(self, sql):
        """A count, or -1 while the tables do not exist yet."""
        try:
            return int(self.server.psql(sql, self.dbname).strip())
        except subprocess.CalledProcessError:
            return -1

    def pg_trials(self, *extra):
        proc = self.run_gdsweep("trials", "--db", self.url, "--format", "json", *extra, check=0)
        return json.loads(proc.stdout)

    def test_optuna_reads_what_gdsweep_wrote(self):
        study = self.write("study.yaml", study_yaml(name="shared", n_trials=5))
        proc = self.run_gdsweep("run", study, "--db", self.url, check=0)
        self.assertNotIn(pg_server.PASSWORD, proc.stdout + proc.stderr)
        self.assertIn("***@127.0.0.1", proc.stderr)
        ours = self.pg_trials()
        loaded = optuna.load_study(study_name="shared", storage=self.optuna_url)
        theirs = loaded.get_trials()
        self.assertEqual(len(theirs), 5)
        self.assert_optuna_reads_ours(ours, theirs)
        self.assertEqual(loaded.best_value, min(o["values"]["loss"] for o in ours))

    def test_gdsweep_continues_a_study_optuna_started(self):
        made = optuna.create_study(study_name="shared", storage=self.optuna_url)
        made.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_int("y", -5, 5),
                      n_trials=3)
        study = self.write("study.yaml", study_yaml(name="shared", n_trials=4))
        self.run_gdsweep("run", study, "--db", self.url, check=0)
        trials = self.pg_trials()
        self.assertEqual([t["number"] for t in trials], list(range(7)))
        self.assertEqual(sum(t["tag"] == "t1" for t in trials), 4)
        reloaded = optuna.load_study(study_name="shared", storage=self.optuna_url)
        self.assertEqual(len(reloaded.get_trials(states=[optuna.trial.TrialState.COMPLETE])), 7)

    def test_a_wrong_password_exits_6_naming_the_server_never_the_password(self):
        study = self.write("study.yaml", study_yaml(name="s", n_trials=2))
        bad = self.server.url(self.dbname, password="Wrong-Pw-77")
        proc = self.run_gdsweep("run", study, "--db", bad, check=6)
        self.assertIn("password authentication failed", proc.stderr)
        self.assertIn("***@127.0.0.1", proc.stderr)
        self.assertNotIn("Wrong-Pw-77", proc.stdout + proc.stderr)
        # Nothing was written: not even the tables.
        self.assertEqual(self.server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = "
                                          "'public'", self.dbname).strip(), "0")
        # PGPASSWORD supplies what the URL leaves out.
        env = dict(os.environ, PGPASSWORD=pg_server.PASSWORD)
        ok = subprocess.run([self.gdsweep_bin(), "run", study, "--db",
                             self.server.url(self.dbname, password=None)],
                            cwd=self.dir, capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertNotIn(pg_server.PASSWORD, ok.stdout + ok.stderr)

    def test_an_unreachable_server_exits_6(self):
        study = self.write("study.yaml", study_yaml(name="s", n_trials=2))
        url = f"postgresql://postgres:{pg_server.PASSWORD}@127.0.0.1:1/x?connect_timeout=2"
        proc = self.run_gdsweep("run", study, "--db", url, check=6)
        self.assertIn("cannot reach the server", proc.stderr)
        self.assertNotIn(pg_server.PASSWORD, proc.stderr)

    def test_copy_sqlite_to_postgres_and_back(self):
        study = self.write("study.yaml", study_yaml(name="s", n_trials=4, retries=0))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.run_gdsweep("copy", "--from", self.db, "--to", self.url, check=0)
        back = os.path.join(self.dir, "back.db")
        self.run_gdsweep("copy", "--from", self.url, "--to", back, check=0)
        strip = lambda ts: [{k: t[k] for k in ("number", "state", "params", "values", "tag",
                                               "intermediate_values", "attempt")} for t in ts]
        mine = strip(self.trials_json())
        self.assertEqual(strip(self.pg_trials()), mine)
        theirs = json.loads(self.run_gdsweep("trials", "--db", back, "--format", "json",
                                             check=0).stdout)
        self.assertEqual(strip(theirs), mine)
        # Optuna reads the PostgreSQL copy as the original.
        a = optuna.load_study(study_name="s", storage=f"sqlite:///{self.db}").get_trials()
        b = optuna.load_study(study_name="s", storage=self.optuna_url).get_trials()
        self.assertEqual([(t.number, t.params, t.value, t.state) for t in a],
                         [(t.number, t.params, t.value, t.state) for t in b])
        # A second copy to the same name is refused (exit 3), nothing written.
        self.run_gdsweep("copy", "--from", self.db, "--to", self.url, check=3)

    def gdsweep_bin(self):
        from harness import GDSWEEP
        return GDSWEEP

    def test_six_workers_and_optuna_share_a_study(self):
        self.six_workers_and_optuna(restart=False)

    def test_six_workers_and_optuna_share_a_study_across_a_server_restart(self):
        self.six_workers_and_optuna(restart=True)

    def six_workers_and_optuna(self, restart):
        budget = 60
        study = self.write("study.yaml", study_yaml(name="shared", n_trials=budget,
                                                    parallelism=2, sleep="0.5"))
        workers = [self.start_gdsweep("run", study, "--db", self.url) for _ in range(6)]
        for w in workers:
            self.addCleanup(lambda w=w: w.poll() is None and (w.kill(), w.wait()))
        # Optuna loads the study once a worker has created it.
        self.wait_for(lambda: self.count("SELECT count(*) FROM studies") == 1, what="the study")
        # Optuna's own worker retries what the restart cuts off: an ask, a
        # suggest, and a tell of the same trial (skip_if_finished: a tell whose
        # answer was lost but that was stored).
        optuna_script = self.write("optuna_worker.py", f"""
            import time, optuna
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            def retry(f, done_if=None):
                for _ in range(60):
                    try:
                        return f()
                    except Exception as e:  # the server restarts: try again
                        if done_if and done_if in str(e):
                            return None
                        print("retry:", type(e).__name__, flush=True)
                        time.sleep(0.5)
                raise RuntimeError("the server stayed away for 30 s")
            s = retry(lambda: optuna.load_study(
                study_name="shared", storage=optuna.storages.RDBStorage(
                    "{self.optuna_url}", engine_kwargs={{"pool_pre_ping": True}})))
            for _ in range(10):
                t = retry(s.ask)
                x = retry(lambda: t.suggest_float("x", -5, 5))
                y = retry(lambda: t.suggest_int("y", -5, 5))
                time.sleep(0.2)
                retry(lambda: s.tell(t, (x - 1) ** 2 + (y + 2) ** 2, skip_if_finished=True),
                      done_if="already finished")
            print("optuna done")
            """)
        opt = subprocess.Popen([PYTHON, optuna_script], cwd=self.dir, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        # Restart the server once some trials are done and others run.
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.count("SELECT count(*) FROM trials WHERE state = 'COMPLETE'") >= 15:
                break
            time.sleep(0.2)
        if restart:
            running = self.count("SELECT count(*) FROM trials WHERE state = 'RUNNING'")
            self.assertGreater(running, 0, "the restart must come in the middle of the sweep")
            self.server.stop("fast")
            time.sleep(2)
            self.server.start()
        outs = []
        for w in workers:
            out, err = w.communicate(timeout=240)
            outs.append((w.returncode, err))
        o_out, o_err = opt.communicate(timeout=240)
        for code, err in outs:
            self.assertEqual(code, 0, err[-3000:])
        self.assertEqual(opt.returncode, 0, o_err[-3000:])
        if restart:  # the workers saw it, and carried on
            self.assertTrue(any("reconnecting" in err for _, err in outs),
                            "no worker noticed the restart")
        trials = self.pg_trials()
        numbers = [t["number"] for t in trials]
        self.assertEqual(numbers, list(range(len(numbers))))  # unique, no gaps
        ours = [t for t in trials if t["tag"] == "t1"]
        fresh = [t for t in ours if t["attempt"] == 1]
        self.assertEqual(len(fresh), budget)  # exactly the budget, across 6 workers
        self.assertTrue(all(t["state"] == "COMPLETE" for t in ours), [t["state"] for t in ours])
        # Every COMPLETE trial has its value, the one its parameters give.
        for t in ours:
            x, y = t["params"]["x"], t["params"]["y"]
            self.assertAlmostEqual(t["values"]["loss"], (x - 1) ** 2 + (y + 2) ** 2, 9, t)
        # Optuna's own ten (an ask whose answer a restart lost would leave
        # Optuna an extra RUNNING trial of its own: Optuna's, not gdsweep's).
        theirs = [t for t in trials if t["tag"] == ""]
        self.assertEqual(sum(t["state"] == "COMPLETE" for t in theirs), 10)
        # Every trial ran once: one run row each, nothing left RUNNING or WAITING.
        runs = self.server.psql("SELECT count(*), count(DISTINCT trial_id), "
                                "count(*) FILTER (WHERE outcome = 'COMPLETE') "
                                "FROM gdsweep_trial_runs", self.dbname).strip()
        total, distinct, complete = map(int, runs.split("|"))
        self.assertEqual(distinct, budget)
        self.assertEqual(complete, budget)
        self.assertEqual(total, budget)


if __name__ == "__main__":
    unittest.main()
