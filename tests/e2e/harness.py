"""Shared helpers of the end-to-end tests: run the real gdsweep binary on a
study file in a fresh folder and read the database it writes."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

GDSWEEP = os.environ.get("GDSWEEP_BIN", os.path.join(os.path.dirname(__file__), "../../build/sweeper/gdsweep"))
PYTHON = sys.executable


class SweepTestCase(unittest.TestCase):
    """A test with its own folder; `self.run_gdsweep` runs the binary there."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gdsweep-e2e-")
        self.db = os.path.join(self.dir, "gdsweep.db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def run_gdsweep(self, *args, timeout=120, check=None):
        """Runs gdsweep to the end; returns the CompletedProcess."""
        proc = subprocess.run([GDSWEEP, *args], cwd=self.dir, capture_output=True, text=True,
                              timeout=timeout)
        if check is not None and proc.returncode != check:
            self.fail(f"gdsweep {' '.join(args)} exited {proc.returncode}, expected {check}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def start_gdsweep(self, *args):
        """Starts gdsweep in the background; the caller waits or kills it."""
        return subprocess.Popen([GDSWEEP, *args], cwd=self.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)

    def trials_json(self, *extra):
        proc = self.run_gdsweep("trials", "--db", self.db, "--format", "json", *extra, check=0)
        return json.loads(proc.stdout)

    def query(self, sql, *params):
        con = sqlite3.connect(self.db, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def assert_optuna_reads_ours(self, ours, theirs):
        """`theirs` (Optuna's FrozenTrials) are the COMPLETE trials `ours`
        (`gdsweep trials --format json`), one for one: number, value, params
        and intermediate values."""
        self.assertEqual(len(theirs), len(ours))
        for o, t in zip(ours, theirs):
            self.assertEqual(t.number, o["number"])
            self.assertEqual(t.state.name, "COMPLETE")
            self.assertEqual(t.value, o["values"]["loss"])
            self.assertEqual(t.params, o["params"])
            self.assertEqual(t.intermediate_values,
                             {int(k): v for k, v in o["intermediate_values"].items()})

    def wait_for(self, predicate, timeout=30, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        self.fail(f"timed out waiting for {what}")

    def count_state(self, state):
        try:
            return self.query("SELECT count(*) FROM trials WHERE state = ?", state)[0][0]
        except sqlite3.OperationalError:
            return 0


# A trial script: prints loss for x and y; optional sleep and failure knobs
# come from the environment the study sets.
OBJECTIVE_PY = """
import os, sys, time
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
x = float(args.get("x", os.environ.get("GDSWEEP_PARAM_X", "0")))
y = float(args.get("y", os.environ.get("GDSWEEP_PARAM_Y", "0")))
time.sleep(float(os.environ.get("SLEEP", "0")))
print(f"step=1 loss={(x - 1) ** 2 + (y + 2) ** 2 + 1.0}", flush=True)
print(f"loss={(x - 1) ** 2 + (y + 2) ** 2}", flush=True)
"""


def study_yaml(name="s", n_trials=6, parallelism=2, sampler="random", extra_trial="",
               space=None, sleep="0", retries=0, tag="t1", extra=""):
    space = space or """
      x: {type: float, low: -5, high: 5}
      y: {type: int, low: -5, high: 5}"""
    return f"""
study_name: {name}
tag: {tag}
objective: {{metric: loss, direction: minimize}}
search_space:{textwrap.indent(textwrap.dedent(space), '  ')}
sampler: {{type: {sampler}, seed: 1}}
budget: {{n_trials: {n_trials}, parallelism: {parallelism}}}
trial:
  command: [{PYTHON}, objective.py]
  overrides: hydra
  env: {{SLEEP: "{sleep}"}}
  retries: {retries}
{textwrap.indent(textwrap.dedent(extra_trial), '  ')}
{extra}
"""
