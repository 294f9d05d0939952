"""End-to-end: the cmaes and nsga2 samplers in real runs. A multi-objective
study run with nsga2 is read by Optuna (Debian's python3-optuna), whose own
NSGAIISampler continues its generations; a cmaes study resumes in the same
generation sequence; a study resumed with another sampler goes on. Run with
/usr/bin/python3."""
import json
import unittest

import optuna

from harness import PYTHON, SweepTestCase

optuna.logging.set_verbosity(optuna.logging.WARNING)

# Two objectives of x and y (ZDT-like), one of them as well for cmaes.
TWO_PY = """
import sys
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
x, y = float(args["x"]), float(args["y"])
print(f"f1={x} f2={(1 + y) * (1 - x ** 0.5)} loss={(x - 0.3) ** 2 + (y - 0.6) ** 2} "
      f"c0={0.6 - x}", flush=True)
"""


def study(sampler, n_trials, metrics):
    return f"""
study_name: evo
{metrics}
search_space:
  x: {{type: float, low: 0, high: 1}}
  y: {{type: float, low: 0, high: 1}}
sampler: {sampler}
budget: {{n_trials: {n_trials}, parallelism: 2}}
trial:
  command: [{PYTHON}, two.py]
  overrides: hydra
"""


TWO = "metrics: [f1, f2]\ndirection: [minimize, minimize]"
ONE = "objective: {metric: loss, direction: minimize}"


def generation(t, key):
    return t.system_attrs.get(key)


class EvoSamplersTest(SweepTestCase):
    def setUp(self):
        super().setUp()
        self.write("two.py", TWO_PY)

    def load(self):
        return optuna.load_study(study_name="evo", storage=f"sqlite:///{self.db}")

    def test_nsga2_study_is_read_and_continued_by_optunas_nsga2(self):
        path = self.write("study.yaml", study("{type: nsga2, population_size: 4, seed: 3}", 14, TWO))
        self.run_gdsweep("run", path, "--db", self.db, check=0)
        theirs = self.load()
        trials = theirs.get_trials()
        self.assertEqual(len(trials), 14)
        gens = [generation(t, "nsga2:generation") for t in trials]
        self.assertTrue(all(isinstance(g, int) for g in gens), gens)
        self.assertEqual(gens[:4], [0, 0, 0, 0])
        self.assertGreaterEqual(max(gens), 2)
        self.assertEqual(len(theirs.best_trials) > 0, True)
        # Optuna's NSGA-II goes on from gdsweep's generations, not from 0.
        theirs.sampler = optuna.samplers.NSGAIISampler(population_size=4, seed=1)
        theirs.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                        n_trials=4)
        more = [generation(t, "nsga2:generation") for t in self.load().get_trials()[14:]]
        self.assertEqual(len(more), 4)
        self.assertTrue(all(g >= max(gens) for g in more), (gens, more))

    def test_nsga2_with_constraints_moves_its_generations_to_the_feasible_region(self):
        # c0 = 0.6 - x <= 0: the unconstrained front spreads x over [0, 1];
        # constrained domination keeps the parents, so most children, at x >= 0.6.
        path = self.write("study.yaml", study("{type: nsga2, population_size: 8, seed: 4}", 48,
                                              TWO + "\nconstraints: [c0]"))
        self.run_gdsweep("run", path, "--db", self.db, check=0)
        trials = self.load().get_trials()
        self.assertEqual(len(trials), 48)
        for t in trials:
            self.assertAlmostEqual(t.system_attrs["constraints"][0], 0.6 - t.params["x"])
        late = [t.params["x"] >= 0.6 for t in trials[24:]]
        self.assertGreaterEqual(sum(late) / len(late), 0.7, [t.params["x"] for t in trials])

    def test_cmaes_resumes_the_same_generations(self):
        sampler = "{type: cmaes, popsize: 4, seed: 5}"
        path = self.write("study.yaml", study(sampler, 9, ONE))
        self.run_gdsweep("run", path, "--db", self.db, check=0)
        self.run_gdsweep("run", path, "--db", self.db, "--set", "budget.n_trials=21", check=0)
        trials = self.load().get_trials()
        self.assertEqual(len(trials), 21)
        gens = [generation(t, "gdsweep:cma:generation") for t in trials]
        # n_startup_trials: 1, so random until a trial is complete (two run at once).
        self.assertIsNone(gens[0])
        self.assertEqual(next(g for g in gens if g is not None), 0)
        self.assertGreaterEqual(max(g for g in gens if g is not None), 3)
        states = [t for t in trials if "gdsweep:cma:state" in t.system_attrs]
        self.assertTrue(states)
        self.assertEqual(states[0].system_attrs["gdsweep:cma:state"]["cma"]["generation"], 1)
        self.assertLess(self.load().best_value, 0.05)

    def test_a_study_resumed_with_another_sampler_goes_on(self):
        path = self.write("study.yaml", study("{type: tpe, seed: 5}", 6, TWO))
        self.run_gdsweep("run", path, "--db", self.db, check=0)
        self.run_gdsweep("run", path, "--db", self.db, "--set", "budget.n_trials=12",
                         "--set", "sampler.type=nsga2", "--set", "sampler.population_size=2",
                         check=0)
        trials = self.load().get_trials()
        self.assertEqual(len(trials), 12)
        # TPE's trials take no part in NSGA-II: its generation 0 starts at trial 6.
        self.assertTrue(all("nsga2:generation" not in t.system_attrs for t in trials[:6]))
        self.assertEqual(trials[6].system_attrs["nsga2:generation"], 0)
        self.assertGreaterEqual(trials[11].system_attrs["nsga2:generation"], 1)

    def test_cmaes_on_two_objectives_is_refused_with_its_place(self):
        path = self.write("study.yaml", study("{type: cmaes}", 3, TWO))
        r = self.run_gdsweep("run", path, "--db", self.db)
        self.assertEqual(r.returncode, 2)
        self.assertIn("study.yaml:8:17: sampler.type: cmaes optimises one objective", r.stderr)


if __name__ == "__main__":
    unittest.main()
