"""End-to-end: a study with conditional parameters, a fixed parameter and
constraints runs to its budget; each trial receives exactly its active
parameters (argv entries naming an inactive one dropped, no environment
variable, not in the params file), storage holds only those, constraint values
land in Optuna's "constraints" attribute, `best` picks a feasible trial, and
optuna.load_study reads it all. Run with /usr/bin/python3."""
import json
import os
import unittest

import optuna

from harness import PYTHON, SweepTestCase

optuna.logging.set_verbosity(optuna.logging.WARNING)

TRIAL_PY = r"""
import json, os, sys
params = json.load(open(os.environ["GDSWEEP_PARAMS_FILE"]))
env = sorted(k for k in os.environ if k.startswith("GDSWEEP_PARAM_"))
with open(os.path.join(os.environ["GDSWEEP_TRIAL_DIR"], "seen.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "params": params, "env": env}, f)
loss = -params["lr"] * 10 + (params.get("momentum", 0.5) - 0.3) ** 2
# feasible when lr <= 0.05 (a high lr is better but infeasible); c1 is not
# reported by adam trials with a small lr (feasible trials all the same)
print(f"c0={params['lr'] - 0.05}")
if params["opt"] == "sgd":
    print(f"c1={-params['momentum']}")
elif params["lr"] >= 0.03:
    print("c1=-1")
print(f"loss={loss}")
"""

STUDY = f"""
study_name: cond
tag: t1
objective: {{metric: loss, direction: minimize}}
constraints: [c0, c1]
search_space:
  opt: {{type: categorical, choices: [sgd, adam]}}
  lr: {{type: float, low: 0.01, high: 0.1}}
  momentum: {{type: float, low: 0.0, high: 0.9, step: 0.1, when: {{opt: sgd}}}}
  nesterov: {{type: categorical, choices: [true, false], when: {{opt: sgd}}}}
  dampening: {{type: int, low: 0, high: 2, when: {{nesterov: false}}}}
  batch: 64
sampler: {{type: tpe, seed: 3, n_startup_trials: 4, multivariate: true, group: true}}
budget: {{n_trials: 14, parallelism: 2}}
trial:
  command: [{PYTHON}, trial.py, "--momentum={{momentum}}", "--batch={{batch}}"]
  overrides: hydra
  env: {{DAMP: "{{dampening}}"}}
"""


class SearchSpaceTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("trial.py", TRIAL_PY)
        self.study = self.write("study.yaml", STUDY)

    def seen(self, number):
        logs = os.path.join(os.path.dirname(self.db), os.path.basename(self.db)[:-3] + "-logs")
        path = os.path.join(logs, "cond", f"trial-{number}", "seen.json")
        with open(path) as f:
            return json.load(f)

    def test_conditional_fixed_constrained_study_end_to_end(self):
        self.run_gdsweep("run", self.study, "--db", self.db, check=0)
        rows = self.trials_json()
        self.assertEqual(len(rows), 14)
        branches = set()
        for r in rows:
            self.assertEqual(r["state"], "COMPLETE", r)
            p = r["params"]
            seen = self.seen(r["number"])
            self.assertEqual(seen["params"], p)
            self.assertEqual(p["batch"], 64)
            sgd = p["opt"] == "sgd"
            branches.add((p["opt"], p.get("nesterov")))
            self.assertEqual("momentum" in p, sgd)
            self.assertEqual("nesterov" in p, sgd)
            self.assertEqual("dampening" in p, sgd and p["nesterov"] is False)
            # argv: the entry naming momentum only when it is active; Hydra
            # overrides of the active parameters only.
            self.assertEqual(any(a.startswith("--momentum=") for a in seen["argv"]), sgd)
            self.assertIn("--batch=64", seen["argv"])
            self.assertEqual(any(a.startswith("momentum=") for a in seen["argv"]), sgd)
            self.assertEqual(any(a.startswith("dampening=") for a in seen["argv"]),
                             "dampening" in p)
            self.assertEqual("GDSWEEP_PARAM_MOMENTUM" in seen["env"], sgd)
            self.assertEqual("GDSWEEP_PARAM_DAMPENING" in seen["env"], "dampening" in p)
        self.assertIn(("adam", None), branches)
        self.assertTrue(any(b[0] == "sgd" for b in branches))

        # Storage: only active parameters; constraints where Optuna keeps them.
        study = optuna.load_study(study_name="cond", storage=f"sqlite:///{self.db}")
        theirs = study.get_trials()
        self.assertEqual([t.params for t in theirs], [r["params"] for r in rows])
        self.assertEqual(theirs[0].distributions["batch"],
                         optuna.distributions.IntDistribution(64, 64))
        for t in theirs:
            lr_c = t.params["lr"] - 0.05
            if t.params["opt"] == "sgd":
                self.assertEqual(t.system_attrs["constraints"], [lr_c, -t.params["momentum"]])
            elif t.params["lr"] >= 0.03:
                self.assertEqual(t.system_attrs["constraints"], [lr_c, -1])
            else:  # c1 not reported: no constraint values, as a trial Optuna never judged
                self.assertNotIn("constraints", t.system_attrs)
        # best: the lowest loss among trials not known to be infeasible.
        def eligible(t):
            c = t.system_attrs.get("constraints")
            return c is None or all(v <= 0 for v in c)
        want = min((t for t in theirs if eligible(t)), key=lambda t: (t.value, t.number))
        best = json.loads(self.run_gdsweep("best", "--db", self.db, "--format", "json",
                                           check=0).stdout)
        self.assertEqual(best[0]["number"], want.number)
        # The lowest loss overall is infeasible, so this told the two apart.
        self.assertFalse(eligible(min(theirs, key=lambda t: (t.value, t.number))))


if __name__ == "__main__":
    unittest.main()
