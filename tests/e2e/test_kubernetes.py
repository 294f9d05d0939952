"""End-to-end: `backend: kubernetes` with the real gdsweep binary against the
fake Kubernetes API server (tests/fakes/kube), started here on 127.0.0.1 with
an ephemeral port. Whole sweeps, kill -9 and resume without a Job created
twice, API faults, credentials that are wrong, the real failure reasons,
kubectl listing the Jobs by tag, and `gdsweep render`."""
import base64
import collections
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import urllib.request

from harness import GDSWEEP, SweepTestCase
from tracking_fake import FakeMlflow

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "fakes", "kube", "fake_kube.py")
MAKE_CERT = os.path.join(HERE, "..", "fakes", "kube", "make_cert.sh")
KUBECTL = shutil.which("kubectl")
CERTS = None  # a throwaway CA, server and client certificates for the whole module


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="gdsweep-e2e-certs-")
    subprocess.run([MAKE_CERT, CERTS], check=True, capture_output=True)


def tearDownModule():
    shutil.rmtree(CERTS, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)

# A trial: loss from x and y (Hydra overrides), an intermediate value first.
OBJECTIVE_PY = """
import os, sys, time
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
x, y = float(args["x"]), float(args["y"])
time.sleep(float(os.environ.get("SLEEP", "0")))
print(f"step=1 loss={(x - 1) ** 2 + (y + 2) ** 2 + 1.0}", flush=True)
print(f"loss={(x - 1) ** 2 + (y + 2) ** 2}", flush=True)
"""


class FakeCluster:
    """The fake API server in `folder` over HTTPS (a bearer token or a client
    certificate), its kubeconfig, and its request log."""

    def __init__(self, folder, *flags, token="e2e-token"):
        self.folder = folder
        self.log = os.path.join(folder, "requests.log")
        port_file = os.path.join(folder, "port")
        self.output = open(os.path.join(folder, "fake.log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", port_file, "--request-log",
             self.log, "--workdir", folder, "--namespaces", "ml", "--token", token,
             "--tls-cert", cert("server.crt"), "--tls-key", cert("server.key"),
             "--client-ca", cert("ca.crt"), *flags],
            stdout=self.output, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.time() + 20
        while not self.read(port_file):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the fake Kubernetes API server did not start")
            time.sleep(0.02)
        self.port = int(self.read(port_file))
        self.url = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = self.write_kubeconfig("kubeconfig", f"token: {token}")

    @staticmethod
    def read(path):
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read().strip()

    def write_kubeconfig(self, name, user, namespace="ml"):
        """A kubeconfig trusting the fake's CA (as certificate-authority-data),
        with `user` (YAML flow keys) as the credentials."""
        with open(cert("ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(f"""\
                apiVersion: v1
                kind: Config
                current-context: fake
                clusters:
                - name: fake
                  cluster: {{server: "{self.url}", certificate-authority-data: {ca}}}
                users: [{{name: me, user: {{{user}}}}}]
                contexts: [{{name: fake, context: {{cluster: fake, user: me, namespace: {namespace}}}}}]
                """))
        return path

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.output.close()

    def requests(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def created(self, plural="jobs"):
        """Resource name -> how many times the server created it (201, seen
        or not; a dry run makes nothing)."""
        return collections.Counter(r["name"] for r in self.requests()
                                   if r["method"] == "POST" and r["path"].endswith("/" + plural)
                                   and r["status"] == 201 and not r["query"].get("dryRun"))

    def admin(self, what, body=None):
        req = urllib.request.Request(self.url + "/fake-admin/" + what,
                                     data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST")
        context = ssl.create_default_context(cafile=cert("ca.crt"))
        with urllib.request.urlopen(req, timeout=10, context=context) as r:
            return json.loads(r.read() or b"{}")


class KubernetesTest(SweepTestCase):
    fake_flags = ()

    def setUp(self):
        super().setUp()
        self.write("objective.py", OBJECTIVE_PY)
        self.cluster = FakeCluster(self.dir, *self.fake_flags)
        self.env = dict(os.environ, KUBECONFIG=self.cluster.kubeconfig)

    def tearDown(self):
        self.cluster.stop()
        super().tearDown()

    # As the harness's, with KUBECONFIG pointing at the fake cluster.
    def run_gdsweep(self, *args, timeout=120, check=None, env=None):
        proc = subprocess.run([GDSWEEP, *args], cwd=self.dir, capture_output=True, text=True,
                              timeout=timeout, env=env or self.env)
        if check is not None and proc.returncode != check:
            self.fail(f"gdsweep {' '.join(args)} exited {proc.returncode}, expected {check}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def start_gdsweep(self, *args):
        return subprocess.Popen([GDSWEEP, *args], cwd=self.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env=self.env)

    def kubectl(self, *args):
        return subprocess.run([KUBECTL, "--kubeconfig", self.cluster.kubeconfig, *args],
                              capture_output=True, text=True, timeout=30)

    def study(self, name="kube", n_trials=8, parallelism=4, sleep="0", tag="t1", trial_extra="",
              kubernetes="image: python:3.11", extra=""):
        return self.write(f"{name}.yaml", f"""
study_name: {name}
tag: {tag}
objective: {{metric: loss, direction: minimize}}
search_space:
  x: {{type: float, low: -5, high: 5}}
  y: {{type: int, low: -5, high: 5}}
sampler: {{type: random, seed: 1}}
budget: {{n_trials: {n_trials}, parallelism: {parallelism}}}
trial:
  command: [python3, {self.dir}/objective.py]
  overrides: hydra
  env: {{SLEEP: "{sleep}"}}
{textwrap.indent(textwrap.dedent(trial_extra), '  ')}
backend: kubernetes
kubernetes:
{textwrap.indent(textwrap.dedent(kubernetes), '  ')}
{extra}
""")

    def jobs_left(self):
        proc = self.kubectl("get", "jobs", "-n", "ml", "-o", "name")
        return [line for line in proc.stdout.splitlines() if line]


class SweepTest(KubernetesTest):
    def test_a_whole_sweep_one_job_each_followed_by_one_watch(self):
        study = self.study(n_trials=10, parallelism=4)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        trials = self.trials_json()
        self.assertEqual(len(trials), 10)
        for t in trials:
            self.assertEqual(t["state"], "COMPLETE", t["failure_reason"])
            x, y = t["params"]["x"], t["params"]["y"]
            self.assertAlmostEqual(t["values"]["loss"], (x - 1) ** 2 + (y + 2) ** 2)
            self.assertTrue(t["intermediate_values"])  # the step=1 line, read from the pod's log
            with open(os.path.join(self.dir, t["log_path"], "stdout.log")) as f:
                self.assertIn("step=1 loss=", f.read())
        created = self.cluster.created()
        self.assertEqual(len(created), 10)
        self.assertTrue(all(n == 1 for n in created.values()), created)
        self.assertEqual(self.jobs_left(), [])  # on_finish: delete
        reqs = self.cluster.requests()
        watches = [r for r in reqs if r["query"].get("watch") in ("1", "true")]
        self.assertLessEqual(len(watches), 4)  # one for Jobs, one for pods (plus resumes)
        for w in watches:
            self.assertEqual(w["query"]["labelSelector"], "gdsweep.io/study=kube")
        # No polling: a Job is read on its own only to confirm it is gone when the
        # first list (taken while the first Jobs were being created) lacked it.
        per_job_gets = [r for r in reqs if r["method"] == "GET" and "/jobs/" in r["path"]]
        self.assertLessEqual(len(per_job_gets), 4)
        deletes = [r for r in reqs if r["method"] == "DELETE"]
        self.assertEqual(len(deletes), 10)

    def test_a_tracked_sweep_gives_each_job_its_mlflow_run(self):
        mlflow = FakeMlflow()
        self.addCleanup(mlflow.stop)
        self.write("env.py", """
import os
for k in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
    print(k + "=" + os.environ.get(k, ""), flush=True)
print("loss=1")
""")
        study = self.study(n_trials=3, parallelism=3,
                           extra=f"tracking: {{uri: {mlflow.uri}, tag_key: hptuning_tag}}")
        with open(study) as f:
            text = f.read().replace("/objective.py", "/env.py")
        with open(study, "w") as f:
            f.write(text)
        self.run_gdsweep("run", study, "--db", self.db, check=0)
        runs = {r["info"]["run_name"]: r for r in mlflow.runs() if "mlflow.parentRunId" in r["tags"]}
        self.assertEqual(sorted(runs), ["trial-0", "trial-1", "trial-2"])
        for t in self.trials_json():
            with open(os.path.join(self.dir, t["log_path"], "stdout.log")) as f:
                env = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
            run = runs[f"trial-{t['number']}"]
            self.assertEqual(env["MLFLOW_TRACKING_URI"], mlflow.uri)
            self.assertEqual(env["MLFLOW_RUN_ID"], run["info"]["run_id"])
            self.assertEqual(env["MLFLOW_EXPERIMENT_ID"], run["info"]["experiment_id"])
            self.assertEqual(run["tags"]["hptuning_tag"], "t1")
            self.assertEqual(run["info"]["status"], "FINISHED")

    @unittest.skipUnless(KUBECTL, "kubectl is not installed")
    def test_kubectl_lists_the_jobs_of_a_tag(self):
        kept = "image: python:3.11\non_finish: keep"
        self.run_gdsweep("run", self.study(n_trials=3, tag="first", kubernetes=kept),
                         "--db", self.db, check=0)
        self.run_gdsweep("run", self.study(n_trials=2, tag="second", kubernetes=kept),
                         "--db", self.db, check=0)
        proc = self.kubectl("get", "jobs", "-n", "ml", "-l", "gdsweep.io/tag=first", "-o",
                            "jsonpath={range .items[*]}{.metadata.labels.gdsweep\\.io/trial} "
                            "{.status.succeeded}{'\\n'}{end}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(proc.stdout.split("\n")[:-1]), ["0 1", "1 1", "2 1"])
        proc = self.kubectl("get", "jobs", "-n", "ml", "-l", "gdsweep.io/study=kube", "-o", "name")
        self.assertEqual(len(proc.stdout.split()), 5)
        numbers = {t["number"] for t in self.trials_json("--tag", "first")}
        self.assertEqual(numbers, {0, 1, 2})

    @unittest.skipUnless(KUBECTL, "kubectl is not installed")
    def test_render_prints_what_run_submits_and_the_api_accepts_it(self):
        study = self.study(kubernetes="""
            image: python:3.11
            resources: {limits: {nvidia.com/gpu: 1, memory: 1Gi}, requests: {memory: 1Gi}}
            tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
            node_selector: {accelerator: t4}
            env: {TOKEN: {secret: hf, key: token}}
            volumes: [{name: data, nfs: {server: 10.0.0.5, path: /exports}, mount_path: /data}]
            namespace: ml
            """)
        proc = self.run_gdsweep("render", study, "--trial", "0", "--trial", "1", check=0)
        self.assertEqual(self.cluster.requests(), [])  # no cluster contacted
        self.assertFalse(os.path.exists(self.db))
        docs = proc.stdout.split("\n---\n")
        self.assertEqual(len(docs), 2)
        self.assertIn("nvidia.com/gpu: \"1\"", docs[0])
        self.assertIn("gdsweep.io/trial: \"1\"", docs[1])
        path = self.write("rendered.yaml", proc.stdout)
        created = self.kubectl("create", "-f", path, "-o", "name")  # strict server-side validation
        self.assertEqual(created.returncode, 0, created.stderr)
        self.assertEqual(len(created.stdout.split()), 2)
        # A run submits the very same Job for trial 0: it meets the one kubectl
        # created (409), adopts it, and never creates it again.
        self.run_gdsweep("run", study, "--db", self.db, "--n-trials", "1", check=0)
        [t] = self.trials_json()
        self.assertEqual(t["state"], "COMPLETE", t["failure_reason"])
        name = created.stdout.split()[0].split("/")[1]
        self.assertEqual(self.cluster.created()[name], 1)
        posts = [r for r in self.cluster.requests() if r["method"] == "POST" and r["name"] == name]
        self.assertEqual([r["status"] for r in posts], [201, 409])
        # Now that trial 0 is stored, render reads it from the database: the same Job.
        again = self.run_gdsweep("render", study, "--db", self.db, check=0)
        body = lambda text: [l for l in text.splitlines() if not l.startswith("#")]
        self.assertEqual(body(again.stdout), body(docs[0]))
        self.assertNotIn("not in the database", again.stdout)


class ExamplesTest(SweepTestCase):
    def test_the_kubernetes_examples_are_valid_and_render(self):
        examples = os.path.join(HERE, "..", "..", "examples", "kubernetes")
        for name in ("study.yaml", "study-template.yaml"):
            proc = subprocess.run([GDSWEEP, "render", name, "--db", self.db], cwd=examples,
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("kind: Job", proc.stdout)
            self.assertIn("namespace: ml-sweeps", proc.stdout)
        self.assertFalse(os.path.exists(self.db))


class RenderSamplerTest(SweepTestCase):
    def test_render_samples_ahead_with_the_sampler_recorded_with_the_study(self):
        # As `run` does: a stored study whose file names no sampler.type
        # keeps its own (tpe here), not the default for new studies (auto).
        def study(sampler):
            return self.write("study.yaml", f"""
study_name: kube
objective: {{metric: loss, direction: minimize}}
search_space:
  x: {{type: float, low: -5, high: 5}}
  y: {{type: int, low: -5, high: 5}}
{sampler}
trial: {{command: [python3, objective.py, "--x={{x}}", "--y={{y}}"]}}
backend: kubernetes
kubernetes: {{image: "python:3.11"}}
""")

        def rendered(sampler):
            proc = self.run_gdsweep("render", study(sampler), "--db", self.db, "--trial", "1",
                                    check=0)
            self.assertIn("--x=", proc.stdout)
            return [line for line in proc.stdout.splitlines() if not line.startswith("#")]

        self.run_gdsweep("ask", study("sampler: {type: tpe, seed: 1}"), "--db", self.db,
                         check=0)
        tpe = rendered("sampler: {type: tpe, seed: 1}")
        self.assertEqual(rendered("sampler: {seed: 1}"), tpe)
        self.assertNotEqual(rendered("sampler: {type: auto, seed: 1}"), tpe)


class FaultTest(KubernetesTest):
    fake_flags = ("--fault-rate", "0.1", "--fault-codes",
                  "429,429-apf,500,503,504,reset,reset-after", "--fault-seed", "11")

    def test_ten_percent_of_api_requests_fail_and_the_sweep_completes_once_each(self):
        self.run_gdsweep("run", self.study(n_trials=12, parallelism=4), "--db", self.db,
                         check=0, timeout=180)
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * 12,
                         [t["failure_reason"] for t in trials])
        faults = [r for r in self.cluster.requests() if r.get("fault")]
        # How many requests draw a fault depends on timing (creates run on the trials'
        # threads); at least one must have, or the test proves nothing.
        self.assertGreater(len(faults), 0)
        created = self.cluster.created()
        self.assertEqual(len(created), 12)
        self.assertTrue(all(n == 1 for n in created.values()), created)


class ResumeTest(KubernetesTest):
    def test_kill_9_then_resume_reattaches_and_creates_no_job_twice(self):
        study = self.study(n_trials=6, parallelism=3, sleep="2.5",
                           trial_extra="retries: 1")
        proc = self.start_gdsweep("run", study, "--db", self.db, "--worker-timeout", "2")
        self.wait_for(lambda: self.count_state("RUNNING") == 3, timeout=30,
                      what="three running trials")
        time.sleep(0.8)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = {t["number"]: t for t in self.trials_json()}
        running = [n for n, t in before.items() if t["state"] == "RUNNING"]
        self.assertTrue(running)
        self.assertTrue(self.jobs_left())  # their Jobs outlive gdsweep

        self.run_gdsweep("run", study, "--db", self.db, "--worker-timeout", "2", check=0,
                         timeout=120)
        after = {t["number"]: t for t in self.trials_json()}
        created = self.cluster.created()
        self.assertTrue(all(n == 1 for n in created.values()), created)  # never twice
        complete = [t for t in after.values() if t["state"] == "COMPLETE"]
        self.assertEqual(len(complete), 6)
        # Re-attached, not resubmitted: the trials running at the kill finished
        # as themselves, with no retry and no second Job.
        for n in running:
            self.assertEqual(after[n]["state"], "COMPLETE",
                             f"trial {n} was not re-attached (needs the scheduler's Reattach "
                             f"wiring): {after[n]['failure_reason']}")
        self.assertEqual(len(created), len(after))
        self.assertEqual(self.jobs_left(), [])

    def test_ctrl_c_deletes_the_running_jobs_and_requeues_their_trials(self):
        study = self.study(n_trials=4, parallelism=2, sleep="30")
        proc = self.start_gdsweep("run", study, "--db", self.db)
        self.wait_for(lambda: len(self.cluster.admin("processes")["processes"]) == 2,
                      timeout=30, what="two running pods")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(self.jobs_left(), [])
        self.wait_for(lambda: not self.cluster.admin("processes")["processes"], timeout=15,
                      what="the pods to stop")
        # Interrupted, not failed: both trials are WAITING again in place.
        states = [t["state"] for t in self.trials_json()]
        self.assertEqual(states, ["WAITING", "WAITING"])


    def test_ctrl_c_with_on_interrupt_keep_leaves_the_jobs_for_the_next_run(self):
        study = self.study(n_trials=3, parallelism=2, sleep="3",
                           kubernetes="image: python:3.11\non_interrupt: keep")
        proc = self.start_gdsweep("run", study, "--db", self.db)
        self.wait_for(lambda: len(self.cluster.admin("processes")["processes"]) == 2,
                      timeout=30, what="two running pods")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(len(self.jobs_left()), 2)  # still running
        states = [t["state"] for t in self.trials_json()]
        self.assertEqual(states, ["RUNNING", "RUNNING"],
                         "detached trials must stay RUNNING (needs the scheduler's handling of "
                         "BackendEvent::detached and Reattach)")
        self.run_gdsweep("run", study, "--db", self.db, check=0, timeout=120)
        trials = self.trials_json()
        self.assertEqual([t["state"] for t in trials], ["COMPLETE"] * 3)
        self.assertTrue(all(n == 1 for n in self.cluster.created().values()))
        self.assertEqual(len(self.cluster.created()), 3)


class FailureReasonTest(KubernetesTest):
    def test_oomkilled_and_deadline_exceeded_are_the_recorded_reasons(self):
        self.run_gdsweep("run", self.study(name="oom", n_trials=1, kubernetes="image: fake/oomkill"),
                         "--db", self.db, check=5)
        [oom] = self.trials_json("--study", "oom")
        self.assertEqual(oom["state"], "FAIL")
        self.assertIn("OOMKilled", oom["failure_reason"])
        self.assertIn("exit code 137", oom["failure_reason"])
        self.run_gdsweep("run", self.study(name="slow", n_trials=1, sleep="30",
                                           trial_extra="timeout: 1"),
                         "--db", self.db, check=5, timeout=60)
        [slow] = self.trials_json("--study", "slow")
        self.assertEqual(slow["state"], "FAIL")
        self.assertIn("DeadlineExceeded", slow["failure_reason"])
        self.assertEqual(self.jobs_left(), [])

    def test_an_image_that_never_pulls_fails_after_image_pull_timeout(self):
        self.run_gdsweep("run", self.study(n_trials=1, kubernetes="""
            image: registry.example.com/fake/imagepullbackoff:v1
            image_pull_timeout: 1s
            """), "--db", self.db, check=5, timeout=60)
        [t] = self.trials_json()
        self.assertIn("gave up after", t["failure_reason"])
        self.assertIn("image", t["failure_reason"])
        self.assertEqual(self.jobs_left(), [])


class CredentialsTest(KubernetesTest):
    def test_a_refused_token_exits_6_not_2_with_a_clear_error_that_does_not_show_it(self):
        # Exit 2 means "usage error or invalid study file"; a remote refusal is 6.
        bad = self.cluster.write_kubeconfig("bad-kubeconfig", "token: not-the-right-token-1234")
        proc = self.run_gdsweep("run", self.study(), "--db", self.db,
                                env=dict(self.env, KUBECONFIG=bad))
        self.assertEqual(proc.returncode, 6, proc.stderr)
        self.assertIn("401 Unauthorized", proc.stderr)
        self.assertIn("bad-kubeconfig", proc.stderr)
        self.assertNotIn("not-the-right-token-1234", proc.stderr + proc.stdout)
        self.assertEqual(self.cluster.created(), {})

    def test_credentials_refused_mid_sweep_exit_6_not_2(self):
        proc = self.start_gdsweep("run", self.study(n_trials=4, parallelism=2, sleep="5"),
                                  "--db", self.db)
        self.wait_for(lambda: len(self.cluster.admin("processes")["processes"]) == 2,
                      timeout=30, what="two running pods")
        self.cluster.admin("token", {"token": "a-new-token-5678"})  # ours is revoked
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 6, err)
        self.assertIn("refused the credentials", err)
        self.assertNotIn("e2e-token", err)

    def test_a_client_certificate_from_files_authenticates(self):
        kubeconfig = self.cluster.write_kubeconfig(
            "cert-kubeconfig",
            f"client-certificate: {cert('client.crt')}, client-key: {cert('client.key')}")
        self.run_gdsweep("run", self.study(n_trials=2, parallelism=2), "--db", self.db, check=0,
                         env=dict(self.env, KUBECONFIG=kubeconfig))
        self.assertEqual([t["state"] for t in self.trials_json()], ["COMPLETE"] * 2)

    def test_a_bad_kubeconfig_names_the_file_and_the_problem(self):
        broken = self.write("broken-kubeconfig", "current-context: nowhere\ncontexts: []\n")
        proc = self.run_gdsweep("run", self.study(), "--db", self.db,
                                env=dict(self.env, KUBECONFIG=broken))
        self.assertIn(proc.returncode, (1, 2), proc.stderr)
        self.assertIn("has no context 'nowhere'", proc.stderr)
        self.assertIn("broken-kubeconfig", proc.stderr)
        proc = self.run_gdsweep("run", self.study(), "--db", self.db,
                                "--set", "kubernetes.context=other")
        self.assertIn(proc.returncode, (1, 2), proc.stderr)
        self.assertIn("has no context 'other'", proc.stderr)

    def test_an_unknown_namespace_exits_6_not_2_with_a_clear_error(self):
        proc = self.run_gdsweep("run", self.study(), "--db", self.db,
                                "--set", "kubernetes.namespace=nope")
        self.assertEqual(proc.returncode, 6, proc.stderr)
        self.assertIn("namespace 'nope' does not exist", proc.stderr)
        self.assertNotIn("e2e-token", proc.stderr)


if __name__ == "__main__":
    unittest.main()
