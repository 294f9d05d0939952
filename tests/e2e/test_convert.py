"""End-to-end: every real config in tests/configs (Hydra's Optuna sweeper, W&B sweeps, Katib
Experiments) converts with `gdsweep convert`, reads back, and runs with `gdsweep run`, as it is
or converted, with a stand-in program where the original needs a cluster or a GPU; what could
not be carried over is printed. The Katib Job runs against the fake Kubernetes API server."""
import os
import shutil
import subprocess
import unittest

from harness import GDSWEEP, PYTHON, SweepTestCase

CONFIGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs")

# The Hydra sphere app: overrides x=.. y=.. on argv; prints its objective(s).
SPHERE_PY = """
import sys
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
x, y = float(args["x"]), float(args["y"])
if "z" in args:
    assert args["z"] in ("foo", "bar"), args
if "--two" in sys.argv:
    print(f"values_0={x ** 2} values_1={(y - 1) ** 2}")
else:
    print(f"value={x ** 2 + y ** 2}")
"""

# A W&B program: --name=value arguments; prints the metric with two intermediate steps.
WANDB_PY = """
import sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
metric = sys.argv[0].endswith("train-nested-cli.py") and "loss" or "loss_metric"
value = sum(abs(float(v)) for v in args.values())
print(f"step=1 {metric}={value + 1}")
print(f"step=2 {metric}={value + 0.5}")
print(f"{metric}={value}")
print("ARGS " + " ".join(sorted(args)))
"""

# Stands in for Katib's mnist.py (which needs its image): --lr=.. --momentum=.. -> loss.
MNIST_PY = """
import sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
lr, momentum = float(args["lr"]), float(args["momentum"])
print(f"loss={(lr - 0.03) ** 2 + (momentum - 0.7) ** 2}")
"""


class ConvertTest(SweepTestCase):
    def copy(self, rel):
        shutil.copy(os.path.join(CONFIGS, rel), self.dir)
        return os.path.join(self.dir, os.path.basename(rel))

    def complete(self, n, *extra):
        trials = self.trials_json(*extra)
        self.assertEqual(len(trials), n)
        for t in trials:
            self.assertIn(t["state"], ("COMPLETE", "PRUNED"), t["failure_reason"])
        return trials

    def convert(self, path, *flags, out=None):
        out = out or path.replace(".yaml", ".gdsweep.yaml")
        proc = self.run_gdsweep("convert", path, "-o", out, *flags, check=0)
        with open(out) as f:
            return out, f.read(), proc.stderr


class HydraTest(ConvertTest):
    def test_the_sphere_example_runs_as_it_is_and_converted(self):
        config = self.copy("hydra/example_conf_config.yaml")
        self.write("sphere.py", SPHERE_PY)
        proc = self.run_gdsweep("run", config, "--db", self.db, "--command",
                                f"{PYTHON} sphere.py", check=0)
        self.assertIn("read as a Hydra Optuna sweeper config", proc.stderr)
        self.assertIn("hydra.sweeper.max_failure_rate: not carried over", proc.stderr)
        trials = self.complete(20)
        for t in trials:
            x, y = t["params"]["x"], t["params"]["y"]
            self.assertIn(y, (-5, 0, 5))
            self.assertAlmostEqual(x * 2, round(x * 2))  # on the 0.5 grid
            self.assertTrue(-5.5 <= x <= 5.5)
            self.assertAlmostEqual(t["values"]["value"], x * x + y * y)
        out, text, stderr = self.convert(config, "--command", f"[{PYTHON}, sphere.py]")
        self.assertIn("# NOTE hydra.sweeper.max_failure_rate", text)
        self.assertIn("x: {type: float, low: -5.5, high: 5.5, step: 0.5}", text)
        # The converted file is the same study: resuming it adds nothing.
        self.run_gdsweep("run", out, "--db", self.db, check=0)
        self.complete(20)

    def test_the_multi_objective_example_and_the_grid_test_config(self):
        mo = self.copy("hydra/example_multi-objective-conf_config.yaml")
        grid = self.copy("hydra/tests_conf_test_grid.yaml")
        self.write("sphere.py", SPHERE_PY)
        proc = self.run_gdsweep("run", mo, "--db", self.db, "--command",
                                f"[{PYTHON}, sphere.py, --two]", "--n-trials", "6", check=0)
        self.assertNotIn("NSGA-II", proc.stderr)  # nsgaii is gdsweep's nsga2: nothing to say
        for t in self.complete(6, "--study", "multi-objective"):
            self.assertEqual(sorted(t["values"]), ["values_0", "values_1"])
        proc = self.run_gdsweep("run", grid, "--db", self.db, "--command", f"{PYTHON} sphere.py",
                                check=0)
        self.assertIn("upper bound", proc.stderr)
        trials = self.complete(12, "--study", "sphere")  # 2 x 3 x 2: the grid, once each
        points = {(t["params"]["x"], t["params"]["y"], t["params"]["z"]) for t in trials}
        self.assertEqual(len(points), 12)

    def test_without_a_command_the_error_names_the_key_and_the_flag(self):
        config = self.copy("hydra/example_conf_config.yaml")
        proc = self.run_gdsweep("run", config, "--db", self.db, check=2)
        self.assertIn("example_conf_config.yaml:6:3: hydra.sweeper:", proc.stderr)
        self.assertIn("--command", proc.stderr)
        self.assertFalse(os.path.exists(self.db))


class WandbTest(ConvertTest):
    def setUp(self):
        super().setUp()
        for name in ("train.py", "train-local.py", "train-nested-cli.py"):
            self.write(name, WANDB_PY)

    def test_bayes_runs_with_tpe_and_says_so(self):
        config = self.copy("wandb/sweep-bayes.yaml")
        proc = self.run_gdsweep("run", config, "--db", self.db, "--n-trials", "8", check=0)
        self.assertIn("read as a W&B sweep config", proc.stderr)
        self.assertIn("method: bayes: W&B's Bayesian search", proc.stderr)
        for t in self.complete(8):
            self.assertEqual(t["params"]["epochs"], 5)
            self.assertIn(t["params"]["base"], (10, 15, 20))
            self.assertGreaterEqual(len(t["intermediate_values"]), 2)

    def test_grid_and_hyperband_run_their_27_combinations(self):
        for rel in ("wandb/sweep-grid.yaml", "wandb/sweep-local-hyperband.yaml"):
            config = self.copy(rel)
            study = os.path.basename(rel)[:-5]
            proc = self.run_gdsweep("run", config, "--db", self.db, "--parallelism", "4", check=0)
            trials = self.complete(27, "--study", study)
            self.assertEqual(len({(t["params"]["base"], t["params"]["increment"],
                                   t["params"]["direction"]) for t in trials}), 27)
        self.assertIn("hyperband becomes Optuna's HyperbandPruner: min_resource = max_iter / "
                      "eta^s", proc.stderr)
        out, text, _ = self.convert(config)
        self.assertIn("pruner:\n  type: hyperband\n  min_resource: 1\n  max_resource: 10\n"
                      "  reduction_factor: 3\n", text)

    def test_nested_parameters_reach_the_program_as_dotted_arguments(self):
        config = self.copy("wandb/sweep-nested-cli.yaml")
        os.makedirs(os.path.join(self.dir, "sub"))
        out, text, stderr = self.convert(config, out=os.path.join(self.dir, "sub", "s.yaml"))
        self.assertIn("nested parameters become optimizer.NAME", stderr)
        self.assertIn("working_dir: ..", text)  # the program stays where the config was
        self.run_gdsweep("run", out, "--db", self.db, check=0)
        trials = self.complete(8)
        with open(os.path.join(self.dir, trials[0]["log_path"], "stdout.log")) as f:
            self.assertIn("ARGS batch_size optimizer.lr optimizer.nadam.beta", f.read())


class KatibTest(ConvertTest):
    def setUp(self):
        super().setUp()
        self.write("mnist.py", MNIST_PY)
        self.stand_in = (f"[{PYTHON}, {self.dir}/mnist.py, '--lr={{lr}}', "
                         f"'--momentum={{momentum}}']")

    def test_every_experiment_runs_locally_with_a_stand_in(self):
        for rel in ("katib/random.yaml", "katib/grid.yaml", "katib/bayesian-optimization.yaml",
                    "katib/optuna-distribution.yaml", "katib/pytorchjob-mnist.yaml"):
            config = self.copy(rel)
            name = os.path.basename(rel)[:-5]
            proc = self.run_gdsweep("run", config, "--db", self.db, "--backend", "local",
                                    "--command", self.stand_in, check=0)
            self.assertIn("read as a Katib Experiment", proc.stderr)
            self.assertIn("spec.objective.goal: not carried over", proc.stderr)
            for t in self.complete(12, "--study", name):
                lr, momentum = t["params"]["lr"], t["params"]["momentum"]
                if name == "optuna-distribution":
                    self.assertTrue(1 <= lr <= 5 and 0.001 <= momentum <= 3)
                    self.assertIsInstance(t["params"]["batch_size"], int)
                else:
                    self.assertTrue(0.01 <= lr <= 0.05 and 0.5 <= momentum <= 0.9)
                self.assertAlmostEqual(t["values"]["loss"],
                                       (lr - 0.03) ** 2 + (momentum - 0.7) ** 2)

    def test_a_pytorchjob_is_refused_on_kubernetes_naming_its_kind(self):
        config = self.copy("katib/pytorchjob-mnist.yaml")
        proc = self.run_gdsweep("convert", config, check=2)
        self.assertIn("pytorchjob-mnist.yaml:39:13: spec.trialTemplate.trialSpec.kind: trialSpec "
                      "kind PyTorchJob: not supported yet", proc.stderr)

    def test_the_random_job_runs_on_the_fake_kubernetes_api(self):
        from test_kubernetes import FakeCluster, setUpModule, tearDownModule
        setUpModule()
        self.addCleanup(tearDownModule)
        cluster = FakeCluster(self.dir)
        self.addCleanup(cluster.stop)
        config = self.copy("katib/random.yaml")
        out, text, stderr = self.convert(config, "--command", self.stand_in,
                                         "--set", "kubernetes.namespace=ml")
        self.assertIn('image: "ghcr.io/kubeflow/katib/pytorch-mnist-cpu:v0.19.0"', text)
        self.assertIn('resources: {limits: {memory: 1Gi, cpu: "0.5"}}', text)
        env = dict(os.environ, KUBECONFIG=cluster.kubeconfig)
        proc = subprocess.run([GDSWEEP, "run", out, "--db", self.db, "--n-trials", "4"],
                              cwd=self.dir, capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.complete(4)
        jobs = [r for r in cluster.requests() if r["method"] == "POST"
                and r["path"].endswith("/namespaces/ml/jobs") and r["status"] == 201]
        self.assertEqual(len(jobs), 4)


if __name__ == "__main__":
    unittest.main()
