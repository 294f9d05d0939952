"""End-to-end: `gdsweep report` writes one self-contained HTML file that
headless Chromium renders offline with no console error, one point per trial
in every chart, names shown as text, and importances agreeing with Optuna's.
Studies: one gdsweep ran (failures, retries, learning curves, 3 workers), one
Optuna made (hostile names, categorical choices, pruned and failed trials),
and a two-objective one. Run with /usr/bin/python3 (it has optuna)."""
import math
import os
import shutil
import unittest

import optuna

import browser
from harness import OBJECTIVE_PY, PYTHON, SweepTestCase, study_yaml
from test_tracking import tracking
from tracking_fake import FakeMlflow

optuna.logging.set_verbosity(optuna.logging.WARNING)

# loss is dominated by lr (log-scaled); layers == 1 fails; curves by epoch.
TRAIN_PY = """
import math, os, sys
args = dict(a.split("=", 1) for a in sys.argv[1:])
lr, layers, opt = float(args["lr"]), int(args["layers"]), args["opt"]
if layers == 1:
    print("diverged", file=sys.stderr)
    sys.exit(3)
loss = (math.log10(lr) + 2) ** 2 + 0.02 * layers + (0.05 if opt == "sgd" else 0.0)
for epoch in range(1, 4):
    print(f"epoch={epoch} loss={loss + 1.0 / epoch}", flush=True)
print(f"loss={loss}")
"""

STUDY_YAML = f"""
study_name: quick
tag: first
objective: {{metric: loss, direction: minimize}}
search_space:
  lr: {{type: float, low: 1.0e-5, high: 1.0, log: true}}
  layers: {{type: int, low: 1, high: 6}}
  opt: {{type: categorical, choices: [adam, sgd]}}
sampler: {{type: random, seed: 7}}
budget: {{n_trials: 20, parallelism: 3}}
trial:
  command: [{PYTHON}, train.py]
  overrides: hydra
  retries: 1
"""

HOSTILE_STUDY = 'optuna "quoted" <script>window.__pwned=1</script> étude ✓'
HOSTILE_PARAM = 'x<img src=x onerror="window.__pwned=1">'
HOSTILE_CHOICE = '<b>bold</b>'


def optuna_objective(trial):
    x = trial.suggest_float(HOSTILE_PARAM, 1e-3, 1e3, log=True)
    kind = trial.suggest_categorical("kind ü \"q\"", [HOSTILE_CHOICE, "plain", "third"])
    n = trial.suggest_int("n", 1, 5)
    value = (math.log10(x) - 1) ** 2 * 10 + (0.3 if kind == "plain" else 0.0) + 0.01 * n
    for step in range(3):
        trial.report(value + 1.0 / (step + 1), step)
    if n == 5:
        raise optuna.TrialPruned()
    if n == 4 and kind == "third":
        raise ValueError("refused")
    return value


def two_objectives(trial):
    a = trial.suggest_float("a", 0, 1)
    b = trial.suggest_float("b", 0, 1)
    return a, (1 - a) ** 2 + b


class ReportTest(SweepTestCase):
    @classmethod
    def setUpClass(cls):
        if not browser.CHROMIUM:
            raise unittest.SkipTest("chromium is not installed (scripts/install-deps.sh)")

    def report(self, study, name, screenshot=None):
        out = os.path.join(self.dir, name)
        proc = self.run_gdsweep("report", "--db", self.db, "--study", study, "-o", out, check=0)
        self.assertIn("wrote", proc.stdout)
        # Charts off screen are drawn as they scroll into view; ?render=all
        # draws every chart, so that every chart's points are counted.
        url = "file://" + out + "?render=all"
        dom = browser.dump_dom(url, screenshot=screenshot)
        summary = browser.summary_of(dom)
        self.assertIsNotNone(summary, dom[-3000:])
        return out, dom, summary

    def assert_rendered(self, summary, expected):
        self.assertEqual(summary["errors"], [])
        self.assertTrue(summary["rendered"])
        for chart, count in expected.items():
            self.assertEqual(summary["charts"].get(chart), count, chart)
            self.assertTrue(summary["finished"].get(chart), f"{chart} did not finish rendering")

    def optuna_top(self, study, target=None):
        imp = optuna.importance.get_param_importances(study, target=target)
        return max(imp, key=imp.get)

    def test_gdsweep_study(self):
        self.write("train.py", TRAIN_PY)
        study_file = self.write("study.yaml", STUDY_YAML)
        self.run_gdsweep("run", study_file, "--db", self.db, check=0)
        study = optuna.load_study(study_name="quick", storage=f"sqlite:///{self.db}")
        trials = study.get_trials()
        complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
        self.assertTrue(failed, "the study should have failed trials (layers == 1)")
        path, dom, summary = self.report("quick", "quick.html", screenshot="report-gdsweep.png")
        expected = {
            "chart-history": len(complete),
            "chart-intermediate": sum(1 for t in trials if t.intermediate_values),
            "chart-parallel": len(complete),
            "chart-timeline": len(trials),
            "chart-importance": 0,  # the importance bars are not trials
        }
        for i in range(3):
            expected[f"chart-slice-{i}"] = len(complete)
        self.assert_rendered(summary, expected)
        self.assertEqual(summary["table_rows"], len(trials))
        self.assertEqual(summary["trials"], len(trials))
        self.assertEqual(self.optuna_top(study), "lr")
        self.assertEqual(summary["importance"]["loss"], "lr")
        # Failure reasons, log tails and the retries are in the table.
        self.assertIn("diverged", dom)
        self.assertIn("(of #", dom)
        # Self-contained: nothing is loaded from anywhere.
        with open(path, encoding="utf-8") as f:
            page = f.read()
        self.assertNotIn("<script src", page)
        self.assertNotIn("<link", page)

    def test_charts_off_screen_are_drawn_when_scrolled_into_view(self):
        self.write("train.py", TRAIN_PY)
        self.run_gdsweep("run", self.write("study.yaml", STUDY_YAML), "--db", self.db, check=0)
        out = os.path.join(self.dir, "lazy.html")
        self.run_gdsweep("report", "--db", self.db, "-o", out, check=0)
        complete = self.count_state("COMPLETE")
        trials = self.query("SELECT count(*) FROM trials")[0][0]
        # A 900 px high window shows the history and the learning curves; the
        # rest waits. Then the page's own scroll to #timeline (a link of its
        # nav) draws the timeline and leaves the slices above it waiting.
        summary = browser.summary_of(browser.dump_dom("file://" + out, window="1400,900", budget_ms=20000))
        self.assertEqual(summary["errors"], [])
        self.assertEqual(summary["charts"].get("chart-history"), complete)
        self.assertTrue(summary["finished"].get("chart-history"))
        self.assertIsNotNone(summary["first_view_ms"])
        self.assertIn("chart-timeline", summary["pending"])
        self.assertNotIn("chart-timeline", summary["charts"])
        summary = browser.summary_of(browser.dump_dom("file://" + out + "#timeline", window="1400,900", budget_ms=20000))
        self.assertEqual(summary["errors"], [])
        self.assertEqual(summary["charts"].get("chart-timeline"), trials)
        self.assertTrue(summary["finished"].get("chart-timeline"))
        self.assertIn("chart-slice-0", summary["pending"])

    def test_optuna_study_with_hostile_names(self):
        study = optuna.create_study(study_name=HOSTILE_STUDY, storage=f"sqlite:///{self.db}",
                                    sampler=optuna.samplers.RandomSampler(seed=3))
        study.optimize(optuna_objective, n_trials=30, catch=(ValueError,))
        trials = study.get_trials()
        complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        self.assertTrue(any(t.state == optuna.trial.TrialState.PRUNED for t in trials))
        self.assertTrue(any(t.state == optuna.trial.TrialState.FAIL for t in trials))
        path, dom, summary = self.report(HOSTILE_STUDY, "optuna.html",
                                         screenshot="report-optuna.png")
        expected = {"chart-history": len(complete), "chart-parallel": len(complete),
                    "chart-timeline": len(trials),
                    "chart-intermediate": sum(1 for t in trials if t.intermediate_values)}
        for i in range(3):
            expected[f"chart-slice-{i}"] = len(complete)
        self.assert_rendered(summary, expected)
        self.assertEqual(summary["table_rows"], len(trials))
        # Unnamed, the objective is "value", as `optuna trials` names it.
        self.assertEqual(summary["importance"]["value"], self.optuna_top(study))
        self.assertEqual(summary["importance"]["value"], HOSTILE_PARAM)
        # Names are text: escaped in the DOM, no element made from them, no script run.
        self.assertFalse(summary.get("pwned"))
        self.assertNotIn("<script>window.__pwned", dom)
        self.assertNotIn("<img src=x", dom)
        self.assertNotIn("<b>bold</b>", dom)
        self.assertIn("&lt;script&gt;window.__pwned=1&lt;/script&gt; étude ✓", dom)
        # Categorical values show as their choices, not Optuna's stored indices.
        self.assertIn("&lt;b&gt;bold&lt;/b&gt;</td>", dom)
        self.assertIn(">plain</td>", dom)

    def test_two_objectives(self):
        study = optuna.create_study(study_name="pareto", directions=["minimize", "minimize"],
                                    storage=f"sqlite:///{self.db}",
                                    sampler=optuna.samplers.RandomSampler(seed=5))
        study.optimize(two_objectives, n_trials=20)
        complete = study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
        path, dom, summary = self.report("pareto", "pareto.html", screenshot="report-pareto.png")
        self.assert_rendered(summary, {"chart-pareto": len(complete),
                                       "chart-history": len(complete),
                                       "chart-timeline": len(complete)})
        self.assertEqual(summary["pareto_front"], len(study.best_trials))
        self.assertEqual(summary["importance"]["values_0"],
                         self.optuna_top(study, target=lambda t: t.values[0]))

    def test_mlflow_run_links(self):
        fake = FakeMlflow()
        self.addCleanup(fake.stop)
        self.write("objective.py", OBJECTIVE_PY)
        study = self.write("study.yaml", study_yaml(n_trials=3, parallelism=1)
                           + tracking(fake.uri))
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        runs = {r["info"]["run_name"]: r["info"] for r in fake.runs()
                if "mlflow.parentRunId" in r["tags"]}
        self.assertEqual(len(runs), 3)
        _, dom, summary = self.report("s", "tracked.html")
        self.assertEqual(summary["errors"], [])
        for n in range(3):
            info = runs[f"trial-{n}"]
            self.assertIn(f'href="{fake.uri}/#/experiments/{info["experiment_id"]}/runs/'
                          f'{info["run_id"]}"', dom)

    def test_bad_databases(self):
        missing = self.run_gdsweep("report", "--db", os.path.join(self.dir, "none.db"), check=4)
        self.assertIn("no database at", missing.stderr)
        foreign = self.write("foreign.db", "this is not a database\n" * 100)
        proc = self.run_gdsweep("report", "--db", foreign)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("foreign.db", proc.stderr)
        self.assertNotIn("wrote", proc.stdout)
        import sqlite3
        other = os.path.join(self.dir, "other.db")
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
        proc = self.run_gdsweep("report", "--db", other, check=4)
        self.assertIn("not an Optuna or gdsweep database", proc.stderr)

    def test_locked_database(self):
        # Optuna's files use a rollback journal: a writer's exclusive lock keeps
        # readers out; the report waits its busy timeout, then says so.
        optuna.create_study(study_name="locked", storage=f"sqlite:///{self.db}")
        import sqlite3
        con = sqlite3.connect(self.db, isolation_level=None)
        try:
            con.execute("BEGIN EXCLUSIVE")
            proc = self.run_gdsweep("report", "--db", self.db, "-o", "r.html", check=1)
            self.assertIn("locked", proc.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "r.html")))
        finally:
            con.close()


if __name__ == "__main__":
    unittest.main()
