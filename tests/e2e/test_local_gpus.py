"""End-to-end: local trials on GPUs. A stand-in `nvidia-smi` on PATH lists the
devices (`local: {gpus: auto}`); each running trial sees only its own devices
in CUDA_VISIBLE_DEVICES, and no more trials run at once than the devices
allow, whatever the study's parallelism."""
import json
import os
import stat
import subprocess
import unittest

from harness import GDSWEEP, PYTHON, SweepTestCase

# Records, per trial, its devices and when it ran; holds them a moment so
# trials overlap.
TRIAL_PY = """
import json, os, sys, time
start = time.time()
time.sleep(0.3)
with open(os.path.join(os.environ["OUT_DIR"], "trial-" + os.environ["GDSWEEP_TRIAL_NUMBER"] + ".json"), "w") as f:
    json.dump({"gpus": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": start, "end": time.time()}, f)
print("loss=" + sys.argv[1], flush=True)
"""

STUDY = """
study_name: gpus
objective: {{metric: loss, direction: minimize}}
search_space:
  x: {{type: float, low: 0, high: 1}}
sampler: {{type: random, seed: 3}}
budget: {{n_trials: 8, parallelism: 6}}
trial:
  command: [{python}, trial.py, "{{x}}"]
  env: {{OUT_DIR: "{out}"}}
  resources: {{gpus: {per_trial}}}
local: {{gpus: {gpus}}}
"""


class LocalGpusTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("trial.py", TRIAL_PY)
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        smi = os.path.join(bin_dir, "nvidia-smi")
        with open(smi, "w") as f:
            f.write("#!/bin/sh\n[ \"$1\" = -L ] || exit 2\n"
                    "echo 'GPU 0: Stand-in GPU (UUID: GPU-00000000-0000-0000-0000-000000000000)'\n"
                    "echo 'GPU 1: Stand-in GPU (UUID: GPU-00000000-0000-0000-0000-000000000001)'\n"
                    "echo 'GPU 2: Stand-in GPU (UUID: GPU-00000000-0000-0000-0000-000000000002)'\n")
        os.chmod(smi, os.stat(smi).st_mode | stat.S_IEXEC)
        self.path = bin_dir + os.pathsep + os.environ.get("PATH", "")

    def run_study(self, gpus, per_trial):
        self.write("study.yaml", STUDY.format(python=PYTHON, out=self.out, gpus=gpus,
                                              per_trial=per_trial))
        env = dict(os.environ, PATH=self.path)
        proc = subprocess.run([GDSWEEP, "run", "study.yaml", "--db", self.db], cwd=self.dir,
                              env=env, capture_output=True, text=True, timeout=120)
        records = []
        for name in sorted(os.listdir(self.out)):
            with open(os.path.join(self.out, name)) as f:
                records.append(json.load(f))
        return proc, records

    def assert_no_device_shared_at_once(self, records):
        for i, a in enumerate(records):
            for b in records[i + 1:]:
                overlap = a["start"] < b["end"] and b["start"] < a["end"]
                if overlap:
                    self.assertFalse(set(a["gpus"].split(",")) & set(b["gpus"].split(",")),
                                     f"{a} and {b} ran at once on the same device")

    def max_running_at_once(self, records):
        return max(sum(1 for r in records if r["start"] <= t["start"] < r["end"]) for t in records)

    def test_auto_hands_each_trial_its_own_device_and_bounds_parallelism(self):
        proc, records = self.run_study("auto", 1)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(records), 8)
        self.assertTrue(all(r["gpus"] in {"0", "1", "2"} for r in records), records)
        self.assert_no_device_shared_at_once(records)
        self.assertLessEqual(self.max_running_at_once(records), 3)
        self.assertIn("running 3 trial(s) at once, not 6", proc.stderr)

    def test_two_devices_per_trial_from_a_list(self):
        proc, records = self.run_study("[2, 0, 1, 3]", 2)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(records), 8)
        self.assertTrue(all(len(r["gpus"].split(",")) == 2 for r in records), records)
        self.assert_no_device_shared_at_once(records)
        self.assertLessEqual(self.max_running_at_once(records), 2)

    def test_zero_devices_per_trial_hides_them(self):
        proc, records = self.run_study("auto", 0)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(all(r["gpus"] == "" for r in records), records)

    def test_auto_without_nvidia_smi_is_a_clear_error(self):
        self.path = "/usr/bin:/bin"
        proc, records = self.run_study("auto", 1)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("local.gpus: auto: cannot run `nvidia-smi -L`", proc.stderr)
        self.assertEqual(records, [])


if __name__ == "__main__":
    unittest.main()
