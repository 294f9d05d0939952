"""End-to-end: multi-pod trials (Indexed Jobs, TFJobs and PyTorchJobs, JobSets,
custom resources) with the real gdsweep binary against the fake Kubernetes API
server (tests/fakes/kube) and its simulated controllers: a sweep of each kind,
metrics from one replica and every replica's log kept, a replica that fails
(the trial fails at once and names it), kill -9 with multi-pod trials running
(re-attached, nothing created twice), API faults, 409 on create and a resource
deleted under a running trial, labels on every pod, prune and Ctrl-C for every
kind, a missing CRD, and `gdsweep render`."""
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

from harness import GDSWEEP, SweepTestCase
from test_kubernetes import HERE, KUBECTL, KubernetesTest, setUpModule, tearDownModule  # noqa: F401

# One replica of a trial: says who it is and where its rendezvous is; replica
# FAIL_INDEX fails; replica 0 prints the metrics.
REPLICA_PY = """
import os, sys, time
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
x, y = float(args["x"]), float(args["y"])
if "TF_CONFIG" in os.environ:  # a TFJob's replica: who it is comes from TF_CONFIG
    import json
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    index = task["index"] if task["type"] == "worker" else -1
    world = len(json.loads(os.environ["TF_CONFIG"])["cluster"].get("worker", []))
    host = "tf"
    print(f"tf replica {task['type']}-{task['index']}", flush=True)
elif "RANK" in os.environ:  # a PyTorchJob's: RANK, WORLD_SIZE, MASTER_ADDR from the operator
    index, world, host = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), os.environ["MASTER_ADDR"]
else:  # an Indexed Job's, or a JobSet's (its Jobs are Indexed Jobs)
    index = int(os.environ["JOB_COMPLETION_INDEX"])
    world = int(os.environ.get("GDSWEEP_WORLD_SIZE", "0"))  # not set in a kind: custom manifest
    host = os.environ.get("GDSWEEP_RENDEZVOUS_HOST", "?")
print(f"replica {index} of {world} meets at {host}", flush=True)
if os.environ.get("FAIL_INDEX") == str(index):
    print("replica failing on purpose", file=sys.stderr, flush=True)
    sys.exit(3)
time.sleep(float(os.environ.get("SLEEP", "0")))
if index == 0:
    print(f"step=1 loss={(x - 1) ** 2 + (y + 2) ** 2 + 1.0}", flush=True)
    print(f"loss={(x - 1) ** 2 + (y + 2) ** 2}", flush=True)
"""


class DistributedTest(KubernetesTest):
    def setUp(self):
        super().setUp()
        self.write("replica.py", REPLICA_PY)

    def indexed(self, pods=3, n_trials=4, parallelism=2, sleep="0", env="", extra_kube="",
                **kw):
        study = self.study(n_trials=n_trials, parallelism=parallelism, sleep=sleep,
                           kubernetes=f"image: python:3.11\nkind: indexed_job\npods: {pods}\n"
                                      + extra_kube, **kw)
        with open(study) as f:
            text = f.read().replace("/objective.py", "/replica.py")
        if env:
            text = text.replace('env: {SLEEP: ', 'env: {' + env + ', SLEEP: ')
        with open(study, "w") as f:
            f.write(text)
        return study

    def rewrite(self, study, old, new):
        with open(study) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(study, "w") as f:
            f.write(text.replace(old, new))
        return study

    def run_completed(self, study, n):
        """Runs the sweep; every trial completes with the replica-0 objective."""
        self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=180)
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * n,
                         [t["failure_reason"] for t in trials])
        for t in trials:
            x, y = t["params"]["x"], t["params"]["y"]
            self.assertAlmostEqual(t["values"]["loss"], (x - 1) ** 2 + (y + 2) ** 2)
        return trials

    def run_failed_fast(self, study):
        """Runs a one-trial sweep whose replica fails while the others sleep
        60 s: it must fail well before them."""
        started = time.time()
        self.run_gdsweep("run", study, "--db", self.db, check=5, timeout=90)
        self.assertLess(time.time() - started, 40)
        [t] = self.trials_json()
        self.assertEqual(t["state"], "FAIL")
        self.assertIn("exited with code 3", t["failure_reason"])
        return t

    def resources_left(self, plural):
        proc = self.kubectl("get", plural, "-n", "ml", "-o", "name")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [line for line in proc.stdout.splitlines() if line]

    def posts(self, resource):
        return [r for r in self.cluster.requests()
                if r["method"] == "POST" and r["path"].endswith("/" + resource)]

    def services_left(self):
        proc = self.kubectl("get", "services", "-n", "ml", "-o", "name")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [line for line in proc.stdout.splitlines() if line]

    def kubeflow(self, kind, replicas, **kw):
        """A study whose trials are a `kind` (tfjob, pytorchjob) of `replicas`."""
        return self.rewrite(self.indexed(**kw), "kind: indexed_job\n  pods: 3\n",
                            f"kind: {kind}\n  replicas: {replicas}\n")

    def own_db(self, study):
        """A database for `study` alone, and a subtest named after it."""
        self.db = os.path.join(self.dir, os.path.basename(study) + ".db")
        return self.subTest(study=os.path.basename(study))

    def pods(self, selector):
        proc = self.kubectl("get", "pods", "-n", "ml", "-l", selector, "-o", "name")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [line for line in proc.stdout.splitlines() if line]

    def jobset(self, rjobs="[{name: workers, replicas: 2, pods: 2}]", extra_kube="", **kw):
        """A study whose trials are JobSets of `rjobs`."""
        return self.rewrite(self.indexed(extra_kube=extra_kube, **kw),
                            "kind: indexed_job\n  pods: 3\n",
                            f"kind: jobset\n  replicated_jobs: {rjobs}\n")

    def custom(self, replicas="1", success="{condition: Completed}",
               failure="{condition: Failed}", **kw):
        """A study whose trials are kind: custom, CUSTOM_MANIFEST's JobSet of
        `replicas` Jobs of two pods."""
        self.write("widget.yaml", CUSTOM_MANIFEST.replace("{replicas}", replicas))
        labels = ('{jobset.sigs.k8s.io/job-index: "0", '
                  'batch.kubernetes.io/job-completion-index: "0"}')
        return self.rewrite(
            self.indexed(**kw), "image: python:3.11\n  kind: indexed_job\n  pods: 3\n",
            "kind: custom\n  container: trainer\n  custom:\n    manifest: widget.yaml\n"
            f"    success: {success}\n    failure: {failure}\n"
            f"    metrics_pod: {{labels: {labels}}}\n")

    def kill_9_and_run_again(self, study, pods, plural, log, text):
        """Runs the 4-trial `study` (parallelism 2, trials of `pods` pods),
        kill -9s gdsweep once two trials' pods all run, and runs it again:
        the two are re-attached (their `log` in the trial folder says `text`),
        every trial completes, and no `plural` resource was created twice."""
        proc = self.start_gdsweep("run", study, "--db", self.db, "--worker-timeout", "2")
        self.wait_for(lambda: len(self.cluster.admin("processes")["processes"]) == 2 * pods,
                      timeout=40, what=f"two trials of {pods} running pods each")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()  # and its pipes closed
        running = [t["number"] for t in self.trials_json() if t["state"] == "RUNNING"]
        self.assertEqual(len(running), 2)
        self.run_gdsweep("run", study, "--db", self.db, "--worker-timeout", "2", check=0,
                         timeout=150)
        after = {t["number"]: t for t in self.trials_json()}
        self.assertEqual([t["state"] for t in after.values()], ["COMPLETE"] * 4,
                         [t["failure_reason"] for t in after.values()])
        created = self.cluster.created(plural)
        self.assertEqual(len(created), 4)
        self.assertTrue(all(n == 1 for n in created.values()), created)
        for n in running:  # finished as themselves: re-attached, not resubmitted
            with open(os.path.join(self.dir, after[n]["log_path"], log)) as f:
                self.assertIn(text, f.read())
        self.wait_for(lambda: self.resources_left(plural) == [], timeout=15,
                      what=f"the {plural} to be deleted")
        self.wait_for(lambda: self.pods("gdsweep.io/study=kube") == [], timeout=15,
                      what="their pods to be deleted with them")

    def faults_and_each_trial_once(self, study, plural, n):
        """Runs `study` under the class's API faults: its `n` trials
        complete, and each `plural` resource was created once."""
        self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=240)
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * n,
                         [t["failure_reason"] for t in trials])
        self.assertTrue([r for r in self.cluster.requests() if r.get("fault")])
        created = self.cluster.created(plural)
        self.assertEqual(len(created), n)
        self.assertTrue(all(c == 1 for c in created.values()), created)


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class IndexedJobTest(DistributedTest):
    def test_a_sweep_of_indexed_jobs_metrics_from_replica_0_every_log_kept(self):
        study = self.indexed(pods=3, n_trials=4, parallelism=2)
        self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=180)
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * 4,
                         [t["failure_reason"] for t in trials])
        for t in trials:
            x, y = t["params"]["x"], t["params"]["y"]
            self.assertAlmostEqual(t["values"]["loss"], (x - 1) ** 2 + (y + 2) ** 2)
            self.assertTrue(t["intermediate_values"])
            folder = os.path.join(self.dir, t["log_path"])
            with open(os.path.join(folder, "stdout.log")) as f:
                stdout = f.read()
            self.assertIn("replica 0 of 3", stdout)
            self.assertNotIn("replica 1", stdout)  # the metrics replica's log only
            for i in range(3):
                with open(os.path.join(folder, f"replica-{i}.log")) as f:
                    self.assertIn(f"replica {i} of 3 meets at ", f.read())
        jobs = self.posts("jobs")
        self.assertEqual(len(jobs), 4)
        self.assertTrue(all(r["status"] == 201 for r in jobs), jobs)
        services = self.posts("services")
        self.assertEqual(len(services), 4)
        self.assertTrue(all(r["status"] == 201 for r in services), services)
        self.assertEqual({r["name"] for r in services}, {r["name"] for r in jobs})
        # Each trial's Job went with its pods, and its Service with it.
        self.assertEqual(self.jobs_left(), [])
        self.wait_for(lambda: self.services_left() == [], timeout=15,
                      what="the Services to be garbage-collected")

    def test_a_replica_that_fails_fails_the_trial_at_once_and_is_named(self):
        study = self.indexed(pods=3, n_trials=1, parallelism=1, sleep="60",
                             env='FAIL_INDEX: "2"')
        started = time.time()
        self.run_gdsweep("run", study, "--db", self.db, check=5, timeout=90)
        self.assertLess(time.time() - started, 40)  # not after the others' 60 s
        [t] = self.trials_json()
        self.assertEqual(t["state"], "FAIL")
        self.assertIn("replica 2 (pod ", t["failure_reason"])
        self.assertIn("exited with code 3", t["failure_reason"])
        with open(os.path.join(self.dir, t["log_path"], "replica-2.log")) as f:
            self.assertIn("replica failing on purpose", f.read())
        self.assertEqual(self.jobs_left(), [])

    def test_render_prints_the_job_and_its_service_and_the_api_accepts_them(self):
        study = self.indexed(pods=4, extra_kube="namespace: ml\n")
        proc = self.run_gdsweep("render", study, "--trial", "0", check=0)
        self.assertEqual(self.cluster.requests(), [])
        job, service = proc.stdout.split("\n---\n")
        self.assertIn("completionMode: Indexed", job)
        self.assertIn("completions: 4", job)
        self.assertIn("GDSWEEP_RENDEZVOUS_HOST", job)
        self.assertIn("kind: Service", service)
        self.assertIn("clusterIP: None", service)
        path = self.write("rendered.yaml", proc.stdout)
        created = self.kubectl("create", "-f", path, "-o", "name")
        self.assertEqual(created.returncode, 0, created.stderr)
        self.assertEqual(len(created.stdout.split()), 2)


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class IndexedJobResumeTest(DistributedTest):
    def test_kill_9_with_multi_pod_trials_running_reattaches_and_creates_nothing_twice(self):
        self.kill_9_and_run_again(self.indexed(pods=2, n_trials=4, parallelism=2, sleep="3"),
                                  pods=2, plural="jobs", log="replica-1.log",
                                  text="replica 1 of 2")
        services = [r for r in self.posts("services") if r["status"] == 201]
        self.assertEqual(len(services), 4)  # re-attach meets the Service that exists (409)


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class IndexedJobFaultTest(DistributedTest):
    fake_flags = ("--fault-rate", "0.1", "--fault-codes",
                  "429,429-apf,500,503,504,reset,reset-after", "--fault-seed", "5")

    def test_api_faults_and_every_multi_pod_trial_completes_once(self):
        self.faults_and_each_trial_once(self.indexed(pods=2, n_trials=6, parallelism=3), "jobs", 6)


CRDS = os.path.join(HERE, "..", "fakes", "kube", "crds")


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class KubeflowTest(DistributedTest):
    fake_flags = ("--crds", CRDS, "--operators", "tfjob,pytorchjob")

    def test_a_sweep_of_pytorchjobs_metrics_from_master_0_every_replica_log_kept(self):
        study = self.kubeflow("pytorchjob", "{master: 1, worker: 2}", n_trials=3, parallelism=2)
        for t in self.run_completed(study, 3):
            folder = os.path.join(self.dir, t["log_path"])
            for replica, rank in (("master-0", 0), ("worker-0", 1), ("worker-1", 2)):
                with open(os.path.join(folder, f"replica-{replica}.log")) as f:
                    self.assertIn(f"replica {rank} of 3 meets at ", f.read())
        posts = [r for r in self.cluster.requests()
                 if r["method"] == "POST" and r["path"].endswith("/pytorchjobs")]
        self.assertEqual([r["status"] for r in posts], [201] * 3)
        self.wait_for(lambda: self.resources_left("pytorchjobs") == [], timeout=15,
                      what="the PyTorchJobs to be deleted")

    # Regression: the trial ended only when the metrics replica's log ended
    # (worker-0 sleeps 60 s here, and cleanPodPolicy: None leaves it
    # running), not when the TFJob's Failed condition appeared.
    def test_a_tfjob_worker_that_fails_fails_the_trial_at_once_and_is_named(self):
        study = self.kubeflow("tfjob", "{worker: 3}", n_trials=1, parallelism=1, sleep="60",
                              env='FAIL_INDEX: "2"')
        t = self.run_failed_fast(study)
        self.assertIn("replica worker-2 (pod ", t["failure_reason"])
        folder = os.path.join(self.dir, t["log_path"])
        with open(os.path.join(folder, "replica-worker-2.log")) as f:
            self.assertIn("replica failing on purpose", f.read())
        with open(os.path.join(folder, "replica-worker-0.log")) as f:  # cut, kept as it was
            self.assertIn("tf replica worker-0", f.read())
        self.wait_for(lambda: self.resources_left("tfjobs") == [], timeout=15,
                      what="the TFJob to be deleted")


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class JobSetTest(DistributedTest):
    fake_flags = ("--crds", CRDS, "--operators", "jobset")

    def test_a_sweep_of_jobsets_metrics_from_the_first_pod_every_replica_log_kept(self):
        study = self.jobset(n_trials=3, parallelism=2)
        for t in self.run_completed(study, 3):
            self.assertTrue(t["intermediate_values"])
            folder = os.path.join(self.dir, t["log_path"])
            for replica, index in (("workers-0-0", 0), ("workers-0-1", 1), ("workers-1-0", 0),
                                   ("workers-1-1", 1)):
                with open(os.path.join(folder, f"replica-{replica}.log")) as f:
                    self.assertIn(f"replica {index} of 4 meets at ", f.read())
            with open(os.path.join(folder, "stdout.log")) as f:
                self.assertIn("loss=", f.read())
        posts = self.posts("jobsets")
        self.assertEqual([r["status"] for r in posts], [201] * 3)
        self.wait_for(lambda: self.resources_left("jobsets") == [], timeout=15,
                      what="the JobSets to be deleted")
        self.wait_for(lambda: self.jobs_left() == [], timeout=15,
                      what="their Jobs to be garbage-collected")

    def test_a_jobset_replica_that_fails_fails_the_trial_at_once_and_is_named(self):
        study = self.jobset(rjobs="[{name: workers, replicas: 1, pods: 3}]", n_trials=1,
                            parallelism=1, sleep="60", env='FAIL_INDEX: "2"')
        t = self.run_failed_fast(study)
        self.assertIn("replica workers-0-2 (pod ", t["failure_reason"])
        self.assertTrue(os.path.exists(os.path.join(self.dir, t["log_path"],
                                                    "replica-workers-0-2.log")))
        self.wait_for(lambda: self.resources_left("jobsets") == [], timeout=15,
                      what="the JobSet to be deleted")

    def test_the_failed_jobset_replicas_log_is_kept(self):
        # Regression: when the failure cut the follow while the follower was
        # waiting rather than reading, the logs were read with the aborted
        # client and saved empty (about one run in three).
        study = self.jobset(rjobs="[{name: workers, replicas: 1, pods: 3}]", n_trials=1,
                            parallelism=1, sleep="60", env='FAIL_INDEX: "2"')
        t = self.run_failed_fast(study)
        with open(os.path.join(self.dir, t["log_path"], "replica-workers-0-2.log")) as f:
            self.assertIn("replica failing on purpose", f.read())

    def test_render_prints_a_jobset_labelled_to_its_pods_and_the_api_accepts_it(self):
        study = self.jobset(rjobs="[{name: leader, pods: 1}, {name: workers, replicas: 2, pods: 4}]",
                            extra_kube="namespace: ml\n")
        proc = self.run_gdsweep("render", study, "--trial", "0", check=0)
        self.assertEqual(self.cluster.requests(), [])
        self.assertIn("kind: JobSet", proc.stdout)
        # A label and an annotation on the JobSet and on both pod templates, a
        # label on both replicated Jobs' templates.
        self.assertEqual(proc.stdout.count("gdsweep.io/study: kube"), 8)
        self.assertIn("value: \"9\"", proc.stdout)  # GDSWEEP_WORLD_SIZE: 1 + 2 x 4
        path = self.write("rendered.yaml", proc.stdout)
        created = self.kubectl("create", "-f", path, "-o", "name")
        self.assertEqual(created.returncode, 0, created.stderr)
        self.assertEqual(created.stdout.strip().split("/")[0], "jobset.jobset.x-k8s.io")


# kind: custom, shown on the JobSet CRD (any CRD works the same): the manifest
# is a JobSet whose pod template gdsweep fills; the rules read its status.
CUSTOM_MANIFEST = """
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  labels: {team: vision}
spec:
  replicatedJobs:
    - name: workers
      replicas: {replicas}
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
                  image: python:3.11
"""


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class CustomResourceTest(DistributedTest):
    fake_flags = ("--crds", CRDS, "--operators", "jobset")

    def test_a_sweep_of_a_custom_resource_checked_by_a_dry_run_first(self):
        study = self.custom(n_trials=3, parallelism=2)
        for t in self.run_completed(study, 3):
            folder = os.path.join(self.dir, t["log_path"])
            with open(os.path.join(folder, "stdout.log")) as f:
                self.assertIn("replica 0 of 0", f.read())
            others = [n for n in os.listdir(folder) if n.startswith("replica-")]
            self.assertIn("replica-metrics.log", others)
            self.assertEqual(len(others), 2, others)  # the other pod's log, by its name
        posts = self.posts("jobsets")
        self.assertEqual([r["query"].get("dryRun") for r in posts], ["All", None, None, None])
        self.assertEqual([r["status"] for r in posts], [201] * 4)
        self.wait_for(lambda: self.resources_left("jobsets") == [], timeout=15,
                      what="the resources to be deleted")

    def test_a_manifest_the_crd_schema_rejects_stops_the_run_before_any_trial(self):
        study = self.custom(replicas='"two"', n_trials=2)
        proc = self.run_gdsweep("run", study, "--db", self.db, check=2)
        self.assertIn("kubernetes.custom.manifest (", proc.stderr)
        self.assertIn("widget.yaml): the Kubernetes API rejected it (422)", proc.stderr)
        self.assertIn("spec.replicatedJobs[0].replicas", proc.stderr)
        posts = self.posts("jobsets")
        self.assertEqual([r["query"].get("dryRun") for r in posts], ["All"])

    def test_a_failure_rule_on_a_status_field_fails_the_trial_at_once(self):
        study = self.custom(failure="{field: status.terminalState, values: [Failed]}",
                            success="{field: status.terminalState, values: [Completed]}",
                            n_trials=1, parallelism=1, sleep="60", env='FAIL_INDEX: "1"')
        t = self.run_failed_fast(study)
        self.assertRegex(t["failure_reason"], r"^pod kube-t0-\S+-workers-0-1-\S+: exited with code 3")
        self.wait_for(lambda: self.resources_left("jobsets") == [], timeout=15,
                      what="the resource to be deleted")

    def test_a_cluster_without_the_crd_is_a_clear_error_before_any_trial(self):
        study = self.custom(n_trials=1)
        widget = os.path.join(self.dir, "widget.yaml")
        self.rewrite(widget, "jobset.x-k8s.io/v1alpha2\nkind: JobSet",
                     "example.com/v1\nkind: Widget")
        proc = self.run_gdsweep("run", study, "--db", self.db, check=6)
        self.assertIn("has no example.com/v1 Widget; install the operator", proc.stderr)
        self.assertFalse([r for r in self.cluster.requests() if r["method"] == "POST"])


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class MultiPodResumeTest(DistributedTest):
    fake_flags = ("--crds", CRDS, "--operators", "jobset,pytorchjob")

    def test_kill_9_with_pytorchjob_trials_running_reattaches_and_creates_nothing_twice(self):
        study = self.kubeflow("pytorchjob", "{master: 1, worker: 1}", n_trials=4, parallelism=2,
                              sleep="3")
        self.kill_9_and_run_again(study, pods=2, plural="pytorchjobs",
                                  log="replica-worker-0.log", text="replica 1 of 2")

    def test_kill_9_with_jobset_trials_running_reattaches_and_creates_nothing_twice(self):
        study = self.jobset(rjobs="[{name: workers, replicas: 1, pods: 2}]", n_trials=4,
                            parallelism=2, sleep="3")
        self.kill_9_and_run_again(study, pods=2, plural="jobsets",
                                  log="replica-workers-0-1.log", text="replica 1 of 2")

    def test_kill_9_with_custom_resource_trials_running_reattaches_and_creates_nothing_twice(self):
        study = self.custom(n_trials=4, parallelism=2, sleep="3")
        self.kill_9_and_run_again(study, pods=2, plural="jobsets", log="replica-metrics.log",
                                  text="replica 0 of 0")


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class JobSetAndCustomFaultTest(DistributedTest):
    # 429, 5xx and dropped connections, before the work and after it (the
    # create done, its answer lost: the retry meets 409 and adopts it).
    fake_flags = ("--crds", CRDS, "--operators", "jobset", "--fault-rate", "0.1",
                  "--fault-codes", "429,500,503,504,reset,reset-after", "--fault-seed", "7")

    def test_api_faults_during_jobset_trials_and_each_completes_once(self):
        self.faults_and_each_trial_once(
            self.jobset(rjobs="[{name: workers, replicas: 1, pods: 2}]", n_trials=5,
                        parallelism=3), "jobsets", 5)

    def test_api_faults_during_custom_resource_trials_and_each_completes_once(self):
        self.faults_and_each_trial_once(self.custom(n_trials=5, parallelism=3), "jobsets", 5)


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class ConflictAndVanishTest(DistributedTest):
    """409 on create (this launch's own resource: adopted; another trial's:
    the run stops naming the kubectl command that clears it) and a resource
    deleted under a running trial, for a JobSet, a custom resource (a JobSet
    on the fake: the manifest is one) and a PyTorchJob."""
    fake_flags = ("--crds", CRDS, "--operators", "jobset,pytorchjob")

    def studies(self, **kw):
        """(study, Kind, kubectl's resource name) of each kind; each study
        gets a database of its own as the test comes to it (own_db)."""
        for study, kind, resource in (
                (self.jobset(rjobs="[{name: workers, replicas: 1, pods: 2}]", name="js",
                             n_trials=1, parallelism=1, **kw), "JobSet", "jobsets.jobset.x-k8s.io"),
                (self.custom(name="cr", n_trials=1, parallelism=1, **kw), "JobSet",
                 "jobsets.jobset.x-k8s.io"),
                (self.kubeflow("pytorchjob", "{master: 1, worker: 1}", name="pt", n_trials=1,
                               parallelism=1, **kw), "PyTorchJob", "pytorchjobs.kubeflow.org")):
            yield study, kind, resource

    def render_and_create(self, study, edit=lambda text: text):
        """Renders trial 0 of `study`, creates it (after `edit`) with kubectl;
        returns its name."""
        rendered = self.run_gdsweep("render", study, "--db", self.db, check=0).stdout
        made = self.kubectl("create", "-f", self.write("made.yaml", edit(rendered)), "-o", "name")
        self.assertEqual(made.returncode, 0, made.stderr)
        return made.stdout.strip().split("/")[1]

    # Regression: a JobSet that had ended before gdsweep met it was judged
    # before the pod watch showed its pods: "exited 0 but did not report".
    def test_a_create_that_meets_this_launchs_own_resource_adopts_it_ended_or_not(self):
        for study, kind, resource in self.studies(sleep="0"):
            with self.own_db(study):
                name = self.render_and_create(study)
                self.run_gdsweep("run", study, "--db", self.db, check=0)
                [t] = self.trials_json()
                self.assertEqual(t["state"], "COMPLETE", t["failure_reason"])
                posts = [r for r in self.cluster.requests() if r["method"] == "POST"
                         and r["name"] == name and not r["query"].get("dryRun")]
                self.assertEqual([r["status"] for r in posts], [201, 409])  # kubectl's, ours

    def test_a_create_that_meets_another_trials_resource_stops_naming_kubectls_command(self):
        def foreign(text):
            edited = text.replace('gdsweep.io/trial-id: "', 'gdsweep.io/trial-id: "99')
            self.assertNotEqual(edited, text)
            return edited
        for study, kind, resource in self.studies():
            with self.own_db(study):
                name = self.render_and_create(study, foreign)
                # The trial cannot start: it fails saying why and how to clear it
                # (its only trial: exit code 5), and nothing is adopted.
                self.run_gdsweep("run", study, "--db", self.db, check=5)
                [t] = self.trials_json()
                self.assertEqual(t["state"], "FAIL")
                self.assertIn(f"could not start: {kind} {name} in namespace ml exists but belongs to "
                              "another trial", t["failure_reason"])
                self.assertIn(f"delete it with: kubectl delete {resource} {name} -n ml",
                              t["failure_reason"])
                self.assertEqual(self.cluster.created(resource.split(".")[0])[name], 1)  # kubectl's
                self.assertEqual(self.kubectl("delete", resource, name, "-n", "ml").returncode, 0)

    def test_a_resource_deleted_under_a_running_trial_fails_it_naming_its_kind(self):
        for study, kind, resource in self.studies(sleep="60"):
            with self.own_db(study):
                proc = self.start_gdsweep("run", study, "--db", self.db)
                self.wait_for(lambda: len(self.cluster.admin("processes")["processes"]) == 2,
                              timeout=40, what="the trial's two pods to run")
                [name] = [n.split("/")[1] for n in self.resources_left(resource)]
                self.assertEqual(self.kubectl("delete", resource, name, "-n", "ml").returncode, 0)
                _, err = proc.communicate(timeout=60)
                self.assertEqual(proc.returncode, 5, err)  # its only trial failed
                [t] = self.trials_json()
                self.assertEqual(t["state"], "FAIL")
                self.assertIn(f"the {kind} was deleted before it finished", t["failure_reason"])
                self.wait_for(lambda: not self.cluster.admin("processes")["processes"], timeout=30,
                              what="its pods to stop")


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class EveryKindLifecycleTest(DistributedTest):
    """For each multi-pod kind: the gdsweep.io labels on the resource and on
    every pod it makes, deletion with its pods on finish, prune (a finished
    trial's kept resource is deleted by the next run) and Ctrl-C."""
    fake_flags = ("--crds", CRDS, "--operators", "tfjob,pytorchjob,jobset")

    def kinds(self, **kw):
        """(study, plural, pods per trial) of each kind; each study gets a
        database of its own as the test comes to it (own_db)."""
        for name, plural, pods, make in (
                ("ij", "jobs", 2, lambda **a: self.indexed(pods=2, **a)),
                ("pt", "pytorchjobs", 2,
                 lambda **a: self.kubeflow("pytorchjob", "{master: 1, worker: 1}", **a)),
                ("tf", "tfjobs", 2, lambda **a: self.kubeflow("tfjob", "{worker: 2}", **a)),
                ("js", "jobsets", 2, lambda **a: self.jobset(
                    rjobs="[{name: workers, replicas: 1, pods: 2}]", **a)),
                ("cr", "jobsets", 2, lambda **a: self.custom(**a))):
            yield make(name=name, tag="t-" + name, **kw), plural, pods

    def test_labels_on_the_resource_and_every_pod_then_deleted_with_them_by_the_next_run(self):
        for study, plural, pods in self.kinds(n_trials=1, parallelism=1,
                                              extra_kube="on_finish: keep\n"):
            with self.own_db(study):
                name = os.path.basename(study)[:-5]
                self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=120)
                [t] = self.trials_json()
                self.assertEqual(t["state"], "COMPLETE", t["failure_reason"])
                labels = f"gdsweep.io/study={name},gdsweep.io/trial=0,gdsweep.io/tag=t-{name}"
                kept = self.kubectl("get", plural, "-n", "ml", "-l", labels, "-o", "name")
                self.assertEqual(len(kept.stdout.split()), 1, kept.stderr)  # the resource, kept
                every = self.pods(f"gdsweep.io/study={name}")
                self.assertEqual(len(every), pods)
                self.assertEqual(sorted(self.pods(labels)), sorted(every))  # all carry all three
                # Prune: a run with on_finish: delete finds the recorded trial's
                # resource kept, owned by no trial, and deletes it with its pods.
                self.rewrite(study, "  on_finish: keep\n", "")
                self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=60)
                self.wait_for(lambda: self.kubectl("get", plural, "-n", "ml", "-l", labels, "-o",
                                                   "name").stdout.strip() == "",
                              timeout=20, what=f"the kept {plural} to be pruned")
                self.wait_for(lambda: self.pods(f"gdsweep.io/study={name}") == [], timeout=20,
                              what="its pods to be deleted with it")

    def test_ctrl_c_deletes_each_kinds_running_resource_with_its_pods(self):
        for study, plural, pods in self.kinds(n_trials=1, parallelism=1, sleep="60"):
            with self.own_db(study):
                name = os.path.basename(study)[:-5]
                proc = self.start_gdsweep("run", study, "--db", self.db)
                self.wait_for(lambda: len(self.cluster.admin("processes")["processes"]) == pods,
                              timeout=40, what=f"the trial's {pods} pods to run")
                proc.send_signal(signal.SIGINT)
                _, err = proc.communicate(timeout=40)
                self.assertEqual(proc.returncode, 130, err)
                self.wait_for(lambda: self.resources_left(plural) == [], timeout=20,
                              what=f"the {plural} to be deleted")
                self.wait_for(lambda: not self.cluster.admin("processes")["processes"], timeout=20,
                              what="its pods to stop")
                self.assertEqual(self.pods(f"gdsweep.io/study={name}"), [])
                self.assertEqual([t["state"] for t in self.trials_json()], ["WAITING"])


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class MissingCrdTest(DistributedTest):
    def test_a_cluster_without_the_training_operator_is_a_clear_error_before_any_trial(self):
        study = self.rewrite(self.indexed(n_trials=2), "kind: indexed_job\n  pods: 3\n",
                             "kind: pytorchjob\n  replicas: {master: 1, worker: 1}\n")
        proc = self.run_gdsweep("run", study, "--db", self.db, check=6)
        self.assertIn("has no kubeflow.org/v1 PyTorchJob; install the operator", proc.stderr)
        self.assertFalse([r for r in self.cluster.requests() if r["method"] == "POST"])


class DistributedExampleTest(SweepTestCase):
    EXAMPLE = os.path.join(HERE, "..", "..", "examples", "kubernetes-distributed")

    def test_the_examples_render_an_indexed_job_and_its_service_and_a_pytorchjob(self):
        proc = subprocess.run([GDSWEEP, "render", "study-indexed.yaml", "--db", self.db],
                              cwd=self.EXAMPLE, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job, service = proc.stdout.split("\n---\n")
        self.assertIn("completionMode: Indexed", job)
        self.assertIn("parallelism: 4", job)
        self.assertIn("kind: Service", service)
        proc = subprocess.run([GDSWEEP, "render", "study-pytorchjob.yaml", "--db", self.db],
                              cwd=self.EXAMPLE, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("kind: PyTorchJob", proc.stdout)
        self.assertIn("name: pytorch", proc.stdout)
        self.assertFalse(os.path.exists(self.db))

    def test_the_training_script_runs_alone_and_as_two_replicas_over_sockets(self):
        script = os.path.join(self.EXAMPLE, "train.py")
        args = [sys.executable, script, "lr=0.05", "epochs=3", "samples=512"]
        alone = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(alone.returncode, 0, alone.stderr)
        self.assertRegex(alone.stdout, r"(?m)^loss=[0-9.]+$")
        with socket.socket() as s:  # a free port for replica 0
            s.bind(("127.0.0.1", 0))
            port = str(s.getsockname()[1])
        env = dict(os.environ, GDSWEEP_WORLD_SIZE="2", GDSWEEP_RENDEZVOUS_HOST="127.0.0.1",
                   RENDEZVOUS_PORT=port)
        hub = subprocess.Popen(args, env=dict(env, JOB_COMPLETION_INDEX="0"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        spoke = subprocess.run(args, env=dict(env, JOB_COMPLETION_INDEX="1"),
                               capture_output=True, text=True, timeout=60)
        out, err = hub.communicate(timeout=60)
        self.assertEqual(hub.returncode, 0, err)
        self.assertEqual(spoke.returncode, 0, spoke.stderr)
        self.assertIn("replica 1 of 2 done", spoke.stdout)
        final = float(out.strip().splitlines()[-1].split("=")[1])
        self.assertLess(final, 1.0)  # the averaged gradients trained the model


if __name__ == "__main__":
    unittest.main()
