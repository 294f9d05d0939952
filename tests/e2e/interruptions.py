"""Shared by test_kill9 and test_sighup: a 200-trial sweep at parallelism 4
(trials of 0.2-1 s, default settings) stopped by a signal at ten random
moments and restarted each time. After every stop no process of the stopped
worker's trials may be alive within 1 s, and at the end the database holds
exactly 200 COMPLETE trials, no FAIL, RUNNING or WAITING one, no number twice,
and every stored value is one that a process of that trial printed (each
trial also appends what it prints to a side file)."""
import os
import random
import signal
import time
import uuid

from harness import PYTHON, SweepTestCase

# The marker is in every trial's argv, so /proc/*/cmdline finds them all.
# Each trial also starts a helper in its process group that would live on for
# a minute (as a data-loader worker would), so an orphan cannot go unnoticed
# by ending on its own within the second the check waits.
TRIAL_PY = """
import os, random, subprocess, sys, time
x = float(dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)["x"])
marker = [a for a in sys.argv[1:] if "=" not in a][0]
subprocess.Popen(["sh", "-c", "sleep 60; :", marker], stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.2 + 0.8 * x)
value = x + random.random()  # differs from run to run of the same trial
line = f"loss={value!r}"
with open(os.environ["SIDE_FILE"], "a") as side:
    side.write(f"{os.environ['GDSWEEP_TRIAL_NUMBER']} {value!r}\\n")
print(line, flush=True)
"""

N_TRIALS = 200
STOPS = 10


class InterruptedSweepCase(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.marker = "gdsweep-e2e-" + uuid.uuid4().hex
        self.side = os.path.join(self.dir, "printed.txt")
        self.write("trial.py", TRIAL_PY)
        self.study = self.write("study.yaml", f"""
            study_name: stops
            objective: {{metric: loss, direction: minimize}}
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            sampler: {{type: random}}
            budget: {{n_trials: {N_TRIALS}, parallelism: 4}}
            trial:
              command: [{PYTHON}, trial.py, {self.marker}]
              overrides: hydra
              env: {{SIDE_FILE: {self.side}}}
            """)

    def tearDown(self):
        for pid in self.trial_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        super().tearDown()

    def trial_pids(self):
        """Live processes (not zombies: their cmdline is empty) of our trials."""
        pids = []
        needle = self.marker.encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if needle in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
        return pids

    @staticmethod
    def describe(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read().split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            return f"state {stat[2]} ppid {stat[3]} pgrp {stat[4]}: {cmd}"
        except OSError:
            return "gone"

    def run_stopped_sweep(self, sig):
        rng = random.Random()
        for stop in range(STOPS):
            proc = self.start_gdsweep("run", self.study, "--db", self.db)
            # A random moment once the sweep is under way (trials running).
            self.wait_for(lambda: self.trial_pids() or proc.poll() is not None, timeout=30,
                          what="trials running")
            time.sleep(rng.uniform(0.0, 2.5))
            if proc.poll() is not None:
                break  # it finished the budget first
            os.kill(proc.pid, sig)
            stopped = time.monotonic()
            while self.trial_pids() and time.monotonic() - stopped < 1.0:
                time.sleep(0.02)
            left = {pid: self.describe(pid) for pid in self.trial_pids()}
            self.assertEqual(left, {}, f"stop {stop + 1}: trial processes alive 1 s after "
                                       f"signal {sig}")
            _, err = proc.communicate(timeout=30)
            if sig == signal.SIGKILL:
                self.assertEqual(proc.returncode, -signal.SIGKILL)
            else:
                self.assertIn(proc.returncode, (130, 0), err)
        self.run_gdsweep("run", self.study, "--db", self.db, timeout=120, check=0)
        self.check_database()

    def check_database(self):
        states = dict(self.query("SELECT state, count(*) FROM trials GROUP BY state"))
        self.assertEqual(states, {"COMPLETE": N_TRIALS})
        numbers = [n for (n,) in self.query("SELECT number FROM trials ORDER BY number")]
        self.assertEqual(numbers, list(range(N_TRIALS)))
        printed = {}
        with open(self.side) as f:
            for line in f:
                number, value = line.split()
                printed.setdefault(int(number), set()).add(float(value))
        stored = self.query("SELECT t.number, v.value FROM trials t JOIN trial_values v "
                            "USING (trial_id)")
        self.assertEqual(len(stored), N_TRIALS)
        for number, value in stored:
            self.assertIn(value, printed.get(number, set()), f"trial {number}")
