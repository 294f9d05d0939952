"""End-to-end: every real config in tests/configs (Hydra's Optuna sweeper, W&B sweeps, Katib
Experiments) converts with `gdsweep convert`, reads back, and runs with `gdsweep run`, as it is
or converted, with a stand-in program where the original needs a cluster or a GPU; what could
not be carried over is printed. Every Katib Experiment also runs against the fake Kubernetes
API server as its kind: a Job, a PyTorchJob, a TFJob, and a JobSet as kind: custom."""
import os
import shutil
import subprocess
import unittest

from harness import GDSWEEP, PYTHON, SweepTestCase

CONFIGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs")
CRDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes", "kube", "crds")

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
import json, os, sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
lr, momentum = float(args["lr"]), float(args["momentum"])
if "TF_CONFIG" in os.environ:  # a TFJob's replica: say which
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    print(f"TF_CONFIG {task['type']} {task['index']}")
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

    def on_fake_cluster(self):
        """The fake Kubernetes API with the training operator's and JobSet's
        CRDs and controllers."""
        from test_kubernetes import FakeCluster, setUpModule, tearDownModule
        setUpModule()
        self.addCleanup(tearDownModule)
        cluster = FakeCluster(self.dir, "--crds", CRDS, "--operators", "tfjob,pytorchjob,jobset")
        self.addCleanup(cluster.stop)
        return cluster

    def run_on(self, cluster, config, n, *flags):
        """Converts `config` with the stand-in into namespace ml, runs `n`
        trials of it on `cluster`; returns the converted text and the
        conversion's messages."""
        out, text, stderr = self.convert(config, "--command", self.stand_in,
                                         "--set", "kubernetes.namespace=ml", *flags)
        env = dict(os.environ, KUBECONFIG=cluster.kubeconfig)
        proc = subprocess.run([GDSWEEP, "run", out, "--db", self.db, "--n-trials", str(n)],
                              cwd=self.dir, capture_output=True, text=True, timeout=150, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        study = os.path.basename(config)[:-5]
        for t in self.complete(n, "--study", study):
            lr, momentum = t["params"]["lr"], t["params"]["momentum"]
            self.assertAlmostEqual(t["values"]["loss"], (lr - 0.03) ** 2 + (momentum - 0.7) ** 2)
        return text, stderr

    @staticmethod
    def created(cluster, plural):
        return [r for r in cluster.requests() if r["method"] == "POST"
                and r["path"].endswith("/namespaces/ml/" + plural) and r["status"] == 201
                and not r["query"].get("dryRun")]

    def test_every_experiment_runs_on_the_fake_kubernetes_api_as_its_kind(self):
        cluster = self.on_fake_cluster()
        for rel in ("katib/random.yaml", "katib/grid.yaml", "katib/bayesian-optimization.yaml",
                    "katib/optuna-distribution.yaml"):
            text, _ = self.run_on(cluster, self.copy(rel), 2)
            self.assertIn('image: "ghcr.io/kubeflow/katib/pytorch-mnist-cpu:v0.19.0"', text)
            if rel == "katib/random.yaml":
                self.assertIn('resources: {limits: {memory: 1Gi, cpu: "0.5"}}', text)
        self.assertEqual(len(self.created(cluster, "jobs")), 8)
        # The PyTorchJob trial is a PyTorchJob of a master and a worker.
        text, stderr = self.run_on(cluster, self.copy("katib/pytorchjob-mnist.yaml"), 3)
        self.assertIn("kind: pytorchjob\n  replicas: {master: 1, worker: 1}", text)
        self.assertIn("pytorchReplicaSpecs.Master.restartPolicy: not carried over: gdsweep's "
                      "replicas use restartPolicy Never", stderr)
        self.assertIn("read from the log of replica master-0", stderr)
        self.assertEqual(len(self.created(cluster, "pytorchjobs")), 3)
        self.assertEqual(len(self.created(cluster, "jobs")), 8)  # no Job for them
        for t in self.trials_json("--study", "pytorchjob-mnist"):
            folder = os.path.join(self.dir, t["log_path"])
            self.assertEqual(sorted(n for n in os.listdir(folder) if n.startswith("replica-")),
                             ["replica-master-0.log", "replica-worker-0.log"])

    def test_a_tfjob_experiment_runs_as_a_tfjob_metrics_from_its_labelled_replica(self):
        cluster = self.on_fake_cluster()
        config = self.write("tfjob-mnist.yaml", KATIB_TFJOB)
        text, stderr = self.run_on(cluster, config, 2)
        self.assertIn("kind: tfjob\n  replicas: {ps: 1, worker: 2}", text)
        self.assertIn("metrics_from: worker-1", text)
        self.assertIn("tfReplicaSpecs.PS.template: not carried over: it differs from Worker's",
                      stderr)
        self.assertEqual(len(self.created(cluster, "tfjobs")), 2)
        for t in self.trials_json("--study", "tfjob-mnist"):
            with open(os.path.join(self.dir, t["log_path"], "stdout.log")) as f:
                self.assertIn("TF_CONFIG worker 1", f.read())  # the metrics replica's log

    def test_a_jobset_experiment_runs_as_a_custom_resource_with_katibs_conditions(self):
        cluster = self.on_fake_cluster()
        config = self.write("jobset-mnist.yaml", KATIB_JOBSET)
        text, stderr = self.run_on(cluster, config, 3)
        self.assertIn("kind: custom", text)
        self.assertIn("success: {condition: Completed}", text)
        self.assertIn("failure: {field: status.terminalState, values: [Failed]}", text)
        self.assertIn("becomes kubernetes.custom.metrics_pod.labels", stderr)
        posts = [r for r in cluster.requests() if r["method"] == "POST"
                 and r["path"].endswith("/jobsets")]
        self.assertEqual([r["query"].get("dryRun") for r in posts], ["All", None, None, None])
        self.assertEqual([r["status"] for r in posts], [201] * 4)
        for t in self.trials_json("--study", "jobset-mnist"):
            folder = os.path.join(self.dir, t["log_path"])
            # the metrics pod's log, and the three others by name
            self.assertEqual(len([n for n in os.listdir(folder) if n.startswith("replica-")]), 4)

    def test_a_custom_trial_with_a_parameter_outside_the_primary_container_is_refused(self):
        config = self.write("jobset-mnist.yaml", KATIB_JOBSET.replace(
            'command: [sleep, "0"]', 'command: [sleep, "${trialParameters.momentum}"]'))
        proc = self.run_gdsweep("convert", config, check=2)
        self.assertIn("jobset-mnist.yaml:", proc.stderr)
        self.assertIn("'${trialParameters.momentum}': gdsweep renders a trial's parameters into "
                      "the primary container's command and env only", proc.stderr)


# Katib Experiments whose trials are a TFJob (parameter servers and workers,
# the metrics from a labelled worker) and a JobSet (any resource: kind
# custom), written as Katib's documentation describes them.
# What both share: the Experiment around the trial template.
KATIB_HEAD = """
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: NAME, namespace: kubeflow}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parallelTrialCount: 2
  maxTrialCount: 4
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.01", max: "0.05"}}
    - {name: momentum, parameterType: double, feasibleSpace: {min: "0.5", max: "0.9"}}
  trialTemplate:
    trialParameters:
      - {name: learningRate, reference: lr}
      - {name: momentum, reference: momentum}
"""

KATIB_TFJOB = KATIB_HEAD.replace("NAME", "tfjob-mnist") + """    primaryContainerName: tensorflow
    primaryPodLabels:
      training.kubeflow.org/replica-type: worker
      training.kubeflow.org/replica-index: "1"
    trialSpec:
      apiVersion: kubeflow.org/v1
      kind: TFJob
      spec:
        tfReplicaSpecs:
          PS:
            replicas: 1
            restartPolicy: Never
            template:
              spec:
                containers:
                  - name: tensorflow
                    image: tensorflow/tensorflow:2.15.0
                    command: [python, /opt/ps.py]
          Worker:
            replicas: 2
            restartPolicy: Never
            template:
              spec:
                containers:
                  - name: tensorflow
                    image: tensorflow/tensorflow:2.15.0
                    command:
                      - python
                      - /opt/mnist.py
                      - "--lr=${trialParameters.learningRate}"
                      - "--momentum=${trialParameters.momentum}"
"""

KATIB_JOBSET = KATIB_HEAD.replace("NAME", "jobset-mnist") + """    primaryContainerName: trainer
    successCondition: status.conditions.#(type=="Completed")#|#(status=="True")#
    failureCondition: status.[@this].#(terminalState=="Failed")#
    primaryPodLabels:
      jobset.sigs.k8s.io/job-index: "0"
      batch.kubernetes.io/job-completion-index: "0"
    trialSpec:
      apiVersion: jobset.x-k8s.io/v1alpha2
      kind: JobSet
      spec:
        replicatedJobs:
          - name: workers
            replicas: 2
            template:
              spec:
                completionMode: Indexed
                completions: 2
                parallelism: 2
                backoffLimit: 0
                template:
                  spec:
                    restartPolicy: Never
                    containers:
                      - name: trainer
                        image: ghcr.io/kubeflow/katib/pytorch-mnist-cpu:v0.19.0
                        command:
                          - python3
                          - /opt/pytorch-mnist/mnist.py
                          - "--lr=${trialParameters.learningRate}"
                          - "--momentum=${trialParameters.momentum}"
                        env:
                          - {name: LEADER_HINT, value: x}
                          - {name: LR, value: "${trialParameters.learningRate}"}
                      - name: sidecar
                        image: busybox
                        command: [sleep, "0"]
                        env:
                          - {name: LEADER_HINT, value: x}
"""


if __name__ == "__main__":
    unittest.main()
