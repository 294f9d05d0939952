"""End-to-end: what `gdsweep run` prints while and after it runs (the status
line, the closing lines, --quiet, NO_COLOR, escaped log lines) and
`gdsweep logs`."""
import os
import pty
import re
import subprocess
import time
import unittest

from harness import GDSWEEP, OBJECTIVE_PY, PYTHON, SweepTestCase, study_yaml


class ProgressTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)

    def test_a_choice_with_a_newline_cannot_forge_a_log_line(self):
        self.write("word.py", """
            import sys
            word = sys.argv[1]
            print(f"loss={len(word)}")
            if word.startswith("a"):
                print("bad\\nFAKE STDERR LINE", file=sys.stderr)
                sys.exit(3)
        """)
        study = self.write("study.yaml", f"""
            study_name: forge
            objective: {{metric: loss, direction: minimize}}
            search_space:
              word: {{type: categorical, choices: ["a\\nFAKE LINE", "b\\r\\u001b[2Kc"]}}
            sampler: {{type: grid}}
            trial: {{command: [{PYTHON}, word.py, "{{word}}"]}}
            """)
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0)
        lines = proc.stderr.splitlines()
        self.assertFalse([l for l in lines if l.startswith("FAKE")], proc.stderr)
        self.assertNotIn("\x1b", proc.stderr)
        self.assertNotIn("\r", proc.stderr)
        # The failure line names the choice and the stderr tail, escaped.
        self.assertTrue(any("word=a\\x0AFAKE LINE" in l and " FAIL " in l for l in lines), proc.stderr)
        self.assertTrue(any("word=b\\x0D\\x1B[2Kc" in l and "COMPLETE" in l for l in lines), proc.stderr)
        # What is stored is the exact choice.
        words = {t["params"]["word"] for t in self.trials_json()}
        self.assertEqual(words, {"a\nFAKE LINE", "b\r\x1b[2Kc"})

    def test_the_status_line_off_a_terminal_is_plain_lines_with_rate_eta_and_bar(self):
        study = self.write("study.yaml", study_yaml(n_trials=10, parallelism=2))
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.assertNotIn("\r", proc.stderr)
        status = [l for l in proc.stderr.splitlines() if l.startswith("s/t1 [")]
        self.assertTrue(status, proc.stderr)
        # At most one line per tenth of the budget plus the first and the last.
        self.assertLessEqual(len(status), 12, status)
        last = status[-1]
        self.assertRegex(last, r"^s/t1 \[#{20}\] 100% 10/10: 10 complete, 0 failed, 0 pruned, 0 running"
                               r" \| \d+s, [\d.]+/min \| best loss=\S+ \(trial \d+\)$")
        self.assertTrue(any(re.search(r"ETA \d+", l) for l in status[1:-1]), status)

    def test_quiet_and_log_level_off_print_nothing_but_errors(self):
        study = self.write("study.yaml", study_yaml(n_trials=3))
        for flags in (["--quiet"], ["-q"], ["--log-level", "off"]):
            db = os.path.join(self.dir, f"{flags[-1]}.db")
            proc = self.run_gdsweep("run", study, "--db", db, *flags, check=0)
            self.assertEqual(proc.stderr, "", flags)
            self.assertEqual(proc.stdout, "", flags)
        # An error still shows.
        proc = self.run_gdsweep("run", os.path.join(self.dir, "missing.yaml"), "--quiet")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("missing.yaml", proc.stderr)

    def run_on_a_terminal(self, *args, env=None):
        """Runs gdsweep with stderr on a pseudo-terminal; returns what it wrote there."""
        master, slave = pty.openpty()
        proc = subprocess.Popen([GDSWEEP, *args], cwd=self.dir, stdout=subprocess.DEVNULL,
                                stderr=slave, env=env)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        self.assertEqual(proc.wait(timeout=60), 0, out)
        return out.decode(errors="replace")

    def test_no_color_turns_colour_off_on_a_terminal(self):
        study = self.write("study.yaml", study_yaml(n_trials=2))
        # spdlog colours a terminal whose TERM it knows.
        env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "TERM": "xterm"}
        coloured = self.run_on_a_terminal("run", study, "--db", self.db, env=env)
        self.assertRegex(coloured, r"\x1b\[3\dm")  # the level in colour
        self.assertIn("\r\x1b[K", coloured)  # the status line redraws in place
        plain = self.run_on_a_terminal("run", study, "--db", os.path.join(self.dir, "b.db"),
                                       env={**env, "NO_COLOR": "1"})
        self.assertNotRegex(plain, r"\x1b\[[\d;]*m")
        self.assertIn("info", plain)

    def test_closing_lines_give_the_study_totals_and_this_workers_share(self):
        study = self.write("study.yaml", study_yaml(n_trials=12, parallelism=2, sleep="0.4"))
        first = self.start_gdsweep("run", study, "--db", self.db)
        self.wait_for(lambda: self.count_state("COMPLETE") >= 1, what="the first worker's trials")
        second = self.run_gdsweep("run", study, "--db", self.db, check=0)
        _, first_err = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 0, first_err)
        for err in (first_err, second.stderr):
            # The study's totals as stored: the other worker may still be finishing.
            totals = re.search(r"study 's' tag 't1': 12 trials \((\d+) COMPLETE(, (\d+) RUNNING)?\), "
                               r"budget 12; best loss=\S+ \(trial \d+: x=\S+ y=\S+\)", err)
            self.assertTrue(totals, err)
            if totals.group(3):
                self.assertIn(f"the study goes on: {totals.group(3)} trial", err)
            self.assertRegex(err, r"this worker: \d+ trials? \(\d+ COMPLETE\) in \d+s")
            self.assertNotIn("short of its budget", err)
            self.assertNotRegex(err, r"done of \d+")
        shares = [int(re.search(r"this worker: (\d+)", e).group(1)) for e in (first_err, second.stderr)]
        self.assertEqual(sum(shares), 12)
        self.assertTrue(all(shares), shares)

    def test_a_study_short_of_its_budget_says_why(self):
        self.write("fail_odd.py", """
            import os, sys
            n = int(os.environ["GDSWEEP_TRIAL_NUMBER"])
            sys.exit(1 if n % 2 else print("loss=1"))
        """)
        study = self.write("study.yaml", f"""
            study_name: short
            objective: {{metric: loss, direction: minimize}}
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            sampler: {{type: random, seed: 1}}
            budget: {{n_trials: 6}}
            trial: {{command: [{PYTHON}, fail_odd.py]}}
            """)
        # Two trials made by ask and never told stay RUNNING and use budget.
        for _ in range(2):
            self.run_gdsweep("ask", study, "--db", self.db, check=0)
        proc = self.run_gdsweep("run", study, "--db", self.db, check=0)
        self.assertIn("the study ended short of its budget: 2 of 6 trials COMPLETE or PRUNED: "
                      "2 FAIL trials used up budget (trial.retries: 0;", proc.stderr)
        self.assertIn("2 trials made by `gdsweep ask` still RUNNING: finish them with `gdsweep tell`",
                      proc.stderr)

    def test_a_metric_never_printed_lists_what_the_trial_printed(self):
        study = self.write("study.yaml", study_yaml(n_trials=1).replace("metric: loss", "metric: val_loss"))
        self.run_gdsweep("run", study, "--db", self.db, check=5)
        [t] = self.trials_json()
        self.assertEqual(t["failure_reason"], "exited 0 but did not report 'val_loss' (it printed: loss)")


class LogsTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("chatty.py", """
            import sys, time, os
            for i in range(int(os.environ.get("LINES", "3"))):
                print(f"line {i}", flush=True)
                print(f"err {i}", file=sys.stderr, flush=True)
                time.sleep(float(os.environ.get("SLEEP", "0")))
            print("loss=1", flush=True)
        """)

    def study(self, sleep="0", lines="3", n_trials=1):
        return self.write("study.yaml", f"""
            study_name: chat
            objective: {{metric: loss, direction: minimize}}
            search_space: {{x: {{type: float, low: 0, high: 1}}}}
            budget: {{n_trials: {n_trials}}}
            trial:
              command: [{PYTHON}, chatty.py]
              env: {{SLEEP: "{sleep}", LINES: "{lines}"}}
            """)

    def test_logs_prints_a_trials_stdout_or_stderr(self):
        study = self.study()
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        out = self.run_gdsweep("logs", "0", "--db", self.db, check=0)
        self.assertEqual(out.stdout, "line 0\nline 1\nline 2\nloss=1\n")
        err = self.run_gdsweep("logs", "0", "--db", self.db, "--stderr", check=0)
        self.assertEqual(err.stdout, "err 0\nerr 1\nerr 2\n")
        both = self.run_gdsweep("logs", "0", "--db", self.db, "--both", check=0)
        self.assertEqual((both.stdout, both.stderr), (out.stdout, err.stdout))
        # The study file gives the database and the study.
        self.assertEqual(self.run_gdsweep("logs", "0", study, "--db", self.db, check=0).stdout, out.stdout)

    def test_logs_of_no_such_trial_exits_4(self):
        self.run_gdsweep("run", self.study(), "--db", self.db, check=0)
        proc = self.run_gdsweep("logs", "7", "--db", self.db, check=4)
        self.assertIn("study 'chat' has no trial number 7", proc.stderr)
        self.run_gdsweep("logs", "0", "--db", os.path.join(self.dir, "nope.db"), check=4)

    def test_a_log_not_on_this_machine_says_where_it_is(self):
        self.run_gdsweep("run", self.study(), "--db", self.db, check=0)
        [t] = self.trials_json()
        os.remove(os.path.join(t["log_path"], "stdout.log"))
        proc = self.run_gdsweep("logs", "0", "--db", self.db, check=4)
        self.assertIn("trial 0 (COMPLETE) has no stdout.log in", proc.stderr)
        self.assertRegex(proc.stderr, r"kubectl logs job/chat-t0-r1-[0-9a-z]+")

    def test_logs_follow_prints_until_the_trial_finishes(self):
        study = self.study(sleep="0.3", lines="6")
        run = self.start_gdsweep("run", study, "--db", self.db)
        try:
            self.wait_for(lambda: self.count_state("RUNNING") == 1, what="the trial to start")
            started = time.time()
            follow = self.run_gdsweep("logs", "0", "-f", "--db", self.db, check=0, timeout=60)
            self.assertGreater(time.time() - started, 0.5)  # it waited for the trial
            self.assertEqual(follow.stdout, "".join(f"line {i}\n" for i in range(6)) + "loss=1\n")
            self.assertEqual(self.count_state("COMPLETE"), 1)
        finally:
            run.communicate(timeout=60)


if __name__ == "__main__":
    unittest.main()
