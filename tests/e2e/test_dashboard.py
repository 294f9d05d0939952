"""End-to-end: `gdsweep dashboard` beside a running sweep, in headless
Chromium: the page renders with no console error, and a trial that finishes
after the page was loaded appears without a reload; the sweep is never held up
by the dashboard's reads. Run with /usr/bin/python3."""
import json
import os
import subprocess
import threading
import time
import unittest
import urllib.request

import browser
from harness import GDSWEEP, PYTHON, SweepTestCase

# Trial 2 waits for the test's gate file; the others finish at once.
GATED_PY = """
import os, sys, time
n = int(os.environ["GDSWEEP_TRIAL_NUMBER"])
if n == 2:
    while not os.path.exists(os.environ["GATE"]):
        time.sleep(0.05)
print(f"step=1 loss={n + 1.5}", flush=True)
print(f"loss={n + 0.5}")
"""


class DashboardTest(SweepTestCase):
    @classmethod
    def setUpClass(cls):
        if not browser.CHROMIUM:
            raise unittest.SkipTest("chromium is not installed (scripts/install-deps.sh)")

    def start_dashboard(self, *extra):
        proc = subprocess.Popen([GDSWEEP, "dashboard", "--db", self.db, "--port", "0", *extra],
                                cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.terminate)
        line = proc.stdout.readline()
        self.assertIn("serving http://127.0.0.1:", line)
        return proc, line.split()[1]

    def get(self, url):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=30) as r:
            return r.status, r.headers, r.read().decode()

    def test_a_trial_finishing_after_load_appears_without_reload(self):
        self.write("gated.py", GATED_PY)
        gate = os.path.join(self.dir, "gate")
        study = self.write("study.yaml", f"""
            study_name: live
            tag: t1
            objective: {{metric: loss, direction: minimize}}
            search_space:
              x: {{type: float, low: 0, high: 1}}
            sampler: {{type: random, seed: 1}}
            budget: {{n_trials: 3, parallelism: 3}}
            trial:
              command: [{PYTHON}, gated.py]
              env: {{GATE: "{gate}"}}
            """)
        run = self.start_gdsweep("run", study, "--db", self.db)
        self.addCleanup(lambda: run.poll() is None and run.kill())
        self.wait_for(lambda: self.count_state("COMPLETE") == 2 and self.count_state("RUNNING") == 1,
                      what="two trials done and one waiting")
        dashboard, base = self.start_dashboard("--poll-wait", "3", "--log-level", "debug")
        requests = []
        def read_log():
            for line in dashboard.stderr:
                requests.append(line)
        threading.Thread(target=read_log, daemon=True).start()

        result = {}
        def load():
            try:
                result["dom"] = browser.dump_dom(base,
                                                 budget_ms=4000, timeout=90)
            except Exception as e:  # reported below, on the test's thread
                result["error"] = e
        page = threading.Thread(target=load)
        page.start()
        # The page has rendered the first answer once it asks with `since=`.
        self.wait_for(lambda: any("since=" in r for r in requests), timeout=60,
                      what="the page's first long poll")
        with open(gate, "w"):
            pass
        self.assertEqual(run.wait(timeout=60), 0)
        page.join(timeout=120)
        self.assertNotIn("error", result, f"{result.get('error')}; requests: {requests[-10:]}")
        summary = browser.summary_of(result["dom"])
        self.assertIsNotNone(summary, result["dom"][-2000:])
        self.assertEqual(summary["errors"], [])
        self.assertEqual(summary["updates"][0], 2, summary["updates"])
        self.assertEqual(summary["updates"][-1], 3, summary["updates"])
        self.assertEqual(summary["charts"]["chart-history"], 3)
        self.assertEqual(summary["charts"]["chart-timeline"], 3)
        self.assertEqual(summary["table_rows"], 3)
        # A screenshot of the running dashboard: ?once answers once and stops
        # polling, so the page finishes loading (a long poll keeps it loading,
        # and Chromium's --screenshot waits for that forever); it draws every
        # chart at once, as ?render=all does.
        dom = browser.dump_dom(base + "?once", screenshot="dashboard.png", budget_ms=3000,
                               timeout=90, window="1400,1400")
        once = browser.summary_of(dom)
        self.assertEqual(once["errors"], [])
        self.assertEqual(once["updates"], [3])
        self.assertEqual(once["charts"]["chart-history"], 3)
        self.assertIn("snapshot (?once", dom)

    def test_api_and_errors(self):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        s = optuna.create_study(study_name="one", storage=f"sqlite:///{self.db}")
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        _, base = self.start_dashboard("--poll-wait", "1")
        status, _, body = self.get(base + "api/studies")
        self.assertEqual(json.loads(body), ["one"])
        status, headers, body = self.get(base + "api/study?study=one")
        self.assertEqual(len(json.loads(body)["trials"]), 2)
        version = headers["X-Gdsweep-Version"]
        t0 = time.time()
        status, _, _ = self.get(base + f"api/study?study=one&since={version}&wait=500")
        self.assertEqual(status, 204)
        self.assertLess(time.time() - t0, 5)
        with self.assertRaises(urllib.error.HTTPError) as e:
            self.get(base + "api/study?study=nope")
        self.assertEqual(e.exception.code, 404)
        missing = self.run_gdsweep("dashboard", "--db", os.path.join(self.dir, "none.db"), check=4)
        self.assertIn("no database at", missing.stderr)


if __name__ == "__main__":
    unittest.main()
