"""Tests of the fake apiserver's simulated operators (--operators tfjob,pytorchjob,jobset): replica pods and
headless Services with the operators' names, labels, env and ownerReferences; the conditions their
controllers set as pods run, succeed and fail; restarts; admission webhooks; cascading deletion.

Run from the repo root: /usr/bin/python3 -m unittest discover -s tests/fakes/kube -v
"""

import json
import os
import subprocess
import unittest
import urllib.parse
import uuid

from test_crds import CRD_DIR, JOBSETS, TFJOBS
from test_fake_kube import JOBS, KUBECTL, PODS, Fake, FakeTestCase, cond, read_events, wait_for

PYTORCHJOBS = "/apis/kubeflow.org/v1/namespaces/%s/pytorchjobs"
SVCS = "/api/v1/namespaces/%s/services"


def replica(script, replicas=1, container="tensorflow", restart=None):
    r = {"replicas": replicas, "template": {"spec": {"containers": [
        {"name": container, "image": "trainer:1", "command": ["/bin/sh", "-c", script]}]}}}
    if restart:
        r["restartPolicy"] = restart
    return r


def tfjob(name, **replicas):
    return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": name, "labels": {"t": name}},
            "spec": {"tfReplicaSpecs": replicas}}


_SHARED = []  # one fake for every class of this module: starting one with the CRDs takes seconds


def tearDownModule():
    if _SHARED:
        stderr = _SHARED.pop().stop()
        if "Traceback" in stderr:
            raise AssertionError("the fake apiserver logged an exception:\n" + stderr)


class OperatorTestCase(FakeTestCase):
    fake_args = ("--crds", CRD_DIR, "--operators", "tfjob,pytorchjob,jobset")

    @classmethod
    def setUpClass(cls):
        if not _SHARED:
            _SHARED.append(Fake(*cls.fake_args))
        cls.fake = _SHARED[0]

    @classmethod
    def tearDownClass(cls):
        pass

    def wait_cond(self, path, type_, timeout=20):
        def done():
            status, _, obj = self.fake.get(path)
            return obj if status == 200 and cond(obj, type_) else None
        return wait_for(done, timeout, "%s %s" % (path, type_))

    def pods(self, selector):
        return self.fake.get(PODS % "default" + "?labelSelector=" + urllib.parse.quote(selector))[2]["items"]

    def log(self, pod):
        return self.fake.get(PODS % "default" + "/%s/log" % pod)[2]


class TrainingOperatorTest(OperatorTestCase):
    def test_tfjob_replicas_env_services_and_success_by_chief(self):
        body = tfjob("tf", Chief=replica('sleep 0.5; echo "$TF_CONFIG"'), Worker=replica("echo w", 2),
                     PS=replica("exec sleep 60"))
        self.assertEqual(self.fake.call("POST", TFJOBS % "default", body)[0], 201)
        done = self.wait_cond(TFJOBS % "default" + "/tf", "Succeeded")
        types = [(c["type"], c["status"], c["reason"]) for c in done["status"]["conditions"]]
        # Running (turned False on success) is there unless the chief finished between two syncs
        self.assertIn(types, ([("Created", "True", "TFJobCreated"), ("Running", "False", "TFJobRunning"),
                               ("Succeeded", "True", "TFJobSucceeded")],
                              [("Created", "True", "TFJobCreated"), ("Succeeded", "True", "TFJobSucceeded")]))
        self.assertEqual(done["status"]["conditions"][-1]["message"], "TFJob default/tf successfully completed.")
        self.assertIn("completionTime", done["status"])
        chief = self.fake.get(PODS % "default" + "/tf-chief-0")[2]
        labels = chief["metadata"]["labels"]
        self.assertEqual({k: v for k, v in labels.items() if k.startswith("training.kubeflow.org/")}, {
            "training.kubeflow.org/operator-name": "tfjob-controller", "training.kubeflow.org/job-name": "tf",
            "training.kubeflow.org/replica-type": "chief", "training.kubeflow.org/replica-index": "0",
            "training.kubeflow.org/job-role": "master"})
        ref = chief["metadata"]["ownerReferences"][0]
        self.assertEqual((ref["kind"], ref["name"], ref["controller"]), ("TFJob", "tf", True))
        self.assertEqual(chief["spec"]["restartPolicy"], "Never")
        cfg = json.loads(self.log("tf-chief-0"))
        self.assertEqual(cfg, {"cluster": {
            "chief": ["tf-chief-0.default.svc:2222"], "ps": ["tf-ps-0.default.svc:2222"],
            "worker": ["tf-worker-0.default.svc:2222", "tf-worker-1.default.svc:2222"]},
            "task": {"type": "chief", "index": 0}, "environment": "cloud"})
        svc = self.fake.get(SVCS % "default" + "/tf-worker-1")[2]
        self.assertEqual((svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["port"]), ("None", 2222))
        self.assertEqual(svc["spec"]["selector"]["training.kubeflow.org/replica-index"], "1")
        # cleanPodPolicy Running (the TFJob default): the still-running PS pod and its Service go
        wait_for(lambda: self.fake.get(PODS % "default" + "/tf-ps-0")[0] == 404, what="the PS pod to be cleaned")
        self.assertEqual(self.fake.get(SVCS % "default" + "/tf-ps-0")[0], 404)
        self.assertEqual(self.fake.get(PODS % "default" + "/tf-chief-0")[2]["status"]["phase"], "Succeeded")  # kept

    def test_tfjob_failed_worker_names_the_replica(self):
        self.fake.call("POST", TFJOBS % "default", tfjob("tffail", Worker=replica(
            '[ "$(echo $TF_CONFIG | grep -c \'"index":1\')" = 1 ] && exit 3; exec sleep 60', 2)))
        failed = self.wait_cond(TFJOBS % "default" + "/tffail", "Failed")
        c = failed["status"]["conditions"][-1]
        self.assertEqual((c["type"], c["reason"], c["message"]),
                         ("Failed", "TFJobFailed", "TFJob default/tffail has failed because 1 Worker replica(s) "
                                                   "failed."))
        self.assertEqual(failed["status"]["replicaStatuses"]["Worker"]["failed"], 1)
        pod = self.fake.get(PODS % "default" + "/tffail-worker-1")[2]
        self.assertEqual(pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3)

    def test_exit_code_policy_restarts_on_retryable_codes(self):
        flag = "retry-%s" % uuid.uuid4().hex
        jobs = self.fake.open("GET", TFJOBS % "default" + "?watch=1&fieldSelector=metadata.name%3Dtfretry"
                              "&timeoutSeconds=20")
        pods = self.fake.open("GET", PODS % "default" + "?watch=1&labelSelector=training.kubeflow.org%2Fjob-name"
                              "%3Dtfretry&timeoutSeconds=20")
        self.fake.call("POST", TFJOBS % "default", tfjob("tfretry", Worker=replica(
            "[ -e %s ] && exit 0; touch %s; exit 130" % (flag, flag), restart="ExitCode")))
        events = read_events(jobs, lambda ev: cond(ev[-1]["object"], "Succeeded"))
        seen = [c["type"] for ev in events for c in ev["object"].get("status", {}).get("conditions", [])
                if c["status"] == "True"]
        self.assertIn("Restarting", seen)
        restarting = next(c for ev in events for c in ev["object"].get("status", {}).get("conditions", [])
                          if c["type"] == "Restarting")
        self.assertEqual((restarting["reason"], restarting["message"]),
                         ("TFJobRestarting", "TFJob tfretry is restarting because Worker replica(s) failed."))
        pod_events = read_events(pods, lambda ev: len({e["object"]["metadata"]["uid"] for e in ev}) == 2 and
                                 ev[-1]["object"]["status"]["phase"] == "Succeeded")
        self.assertEqual({e["object"]["metadata"]["name"] for e in pod_events}, {"tfretry-worker-0"})
        self.assertEqual(pod_events[-1]["object"]["spec"]["restartPolicy"], "Never")  # ExitCode: the operator restarts
        self.assertNotIn("TF_CONFIG", json.dumps(pod_events[-1]["object"]["spec"]))  # one replica: not distributed

    def test_pytorchjob_env_and_master_success(self):
        env = 'echo "$MASTER_ADDR:$MASTER_PORT $WORLD_SIZE $RANK $PYTHONUNBUFFERED"'
        body = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "pt"}, "spec": {
            "pytorchReplicaSpecs": {"Master": replica(env, 1, "pytorch"), "Worker": replica(env, 2, "pytorch")}}}
        self.assertEqual(self.fake.call("POST", PYTORCHJOBS % "default", body)[0], 201)
        done = self.wait_cond(PYTORCHJOBS % "default" + "/pt", "Succeeded")
        self.assertEqual(done["status"]["conditions"][-1]["reason"], "PyTorchJobSucceeded")
        self.assertEqual(self.log("pt-master-0"), "pt-master-0:23456 3 0 0\n")
        wait_for(lambda: self.fake.get(PODS % "default" + "/pt-worker-1")[2]["status"]["phase"] == "Succeeded",
                 what="worker 1")
        self.assertEqual(self.log("pt-worker-1"), "pt-master-0:23456 3 2 0\n")
        self.assertEqual(self.fake.get(PODS % "default" + "/pt-master-0")[2]["spec"]["restartPolicy"], "OnFailure")
        scale = self.fake.get(PYTORCHJOBS % "default" + "/pt/scale")[2]
        self.assertEqual((scale["kind"], scale["apiVersion"], scale["spec"], scale["status"]["replicas"]),
                         ("Scale", "autoscaling/v1", {"replicas": 2},
                          done["status"]["replicaStatuses"]["Worker"].get("active", 0)))
        self.assertEqual(scale["status"]["selector"], done["status"]["replicaStatuses"]["Worker"]["selector"])
        self.assertEqual(done["status"]["replicaStatuses"]["Worker"]["selector"],
                         "training.kubeflow.org/job-name=pt,training.kubeflow.org/operator-name=pytorchjob-controller,"
                         "training.kubeflow.org/replica-type=worker")

    def test_pytorchjob_worker_failure_with_never(self):
        body = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "ptfail"}, "spec": {
            "pytorchReplicaSpecs": {"Master": replica("exec sleep 60", 1, "pytorch", "Never"),
                                    "Worker": replica('[ "$RANK" = 2 ] && exit 4; exec sleep 60', 2, "pytorch",
                                                      "Never")}}}
        self.fake.call("POST", PYTORCHJOBS % "default", body)
        failed = self.wait_cond(PYTORCHJOBS % "default" + "/ptfail", "Failed")
        c = failed["status"]["conditions"][-1]
        self.assertEqual((c["reason"], c["message"]), ("PyTorchJobFailed", "PyTorchJob ptfail is failed because 1 "
                                                                         "Worker replica(s) failed."))
        # Running is False if the operator had set it; worker 2 may fail before every replica
        # runs, and then the job never had a Running condition (as the operator's setCondition).
        self.assertNotIn("True", [x["status"] for x in failed["status"]["conditions"] if x["type"] == "Running"])
        # cleanPodPolicy None (the PyTorchJob default): the other replicas are left running
        master = self.fake.get(PODS % "default" + "/ptfail-master-0")[2]
        self.assertIn(master["status"]["phase"], ("Pending", "Running"))
        self.assertNotIn("deletionTimestamp", master["metadata"])
        self.fake.call("DELETE", PYTORCHJOBS % "default" + "/ptfail")
        wait_for(lambda: not self.pods("training.kubeflow.org/job-name=ptfail"), what="the pods to go")

    def test_tfjob_all_workers_success_policy_waits_for_every_worker(self):
        body = tfjob("tfall", Worker=replica('[ "$(echo $TF_CONFIG | grep -c \'"index":0\')" = 1 ] || sleep 1.5', 2))
        body["spec"]["successPolicy"] = "AllWorkers"
        body["spec"]["runPolicy"] = {"cleanPodPolicy": "None"}
        self.fake.call("POST", TFJOBS % "default", body)
        done = self.wait_cond(TFJOBS % "default" + "/tfall", "Succeeded")
        self.assertEqual(done["status"]["replicaStatuses"]["Worker"].get("succeeded"), 2)

    def test_webhooks_reject_what_the_operator_rejects(self):
        body = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "noname"}, "spec": {
            "pytorchReplicaSpecs": {"Master": replica("true", 2, "trainer")}}}
        status, _, err = self.fake.call("POST", PYTORCHJOBS % "default", body)
        self.assertEqual((status, err["reason"]), (403, "Forbidden"))
        self.assertEqual(err["message"], 'admission webhook "validator.pytorchjob.training-operator.kubeflow.org" '
                                         'denied the request: [spec.pytorchReplicaSpecs[Master].template.spec.'
                                         'containers: Required value: must have at least one container with name '
                                         'pytorch, spec.pytorchReplicaSpecs[Master].replicas: Forbidden: must be 1]')
        self.assertEqual(self.fake.get(PYTORCHJOBS % "default" + "/noname")[0], 404)

    def test_deleting_a_tfjob_deletes_its_pods_and_services(self):
        self.fake.call("POST", TFJOBS % "default", tfjob("tfdel", Worker=replica("exec sleep 60", 2)))
        wait_for(lambda: len([p for p in self.pods("training.kubeflow.org/job-name=tfdel")
                              if p["status"]["phase"] == "Running"]) == 2, what="2 running workers")
        running = self.wait_cond(TFJOBS % "default" + "/tfdel", "Running")
        self.assertEqual(running["status"]["conditions"][-1]["message"], "TFJob default/tfdel is running.")
        status, _, body = self.fake.call("DELETE", TFJOBS % "default" + "/tfdel")
        self.assertEqual((status, body["status"]), (200, "Success"))
        wait_for(lambda: not self.pods("training.kubeflow.org/job-name=tfdel"), what="the pods to go")
        svcs = self.fake.get(SVCS % "default" + "?labelSelector=training.kubeflow.org%2Fjob-name%3Dtfdel")[2]
        self.assertEqual(svcs["items"], [])


@unittest.skipUnless(os.access(KUBECTL, os.X_OK), "needs kubectl")
class KubectlOperatorTest(OperatorTestCase):
    def test_kubectl_apply_wait_and_merge_patch(self):
        kubeconfig = os.path.join(self.fake.dir, "kubeconfig")
        with open(kubeconfig, "w") as fh:
            fh.write("apiVersion: v1\nkind: Config\ncurrent-context: f\nclusters:\n- name: f\n  cluster:\n"
                     "    server: %s\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: f\n  context:\n"
                     "    cluster: f\n    user: u\n    namespace: default\n" % self.fake.base)
        manifest = os.path.join(self.fake.dir, "tf.json")
        body = tfjob("kc", Worker=replica("sleep 0.3", 2))
        with open(manifest, "w") as fh:
            json.dump(body, fh)
        env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=self.fake.dir)

        def kubectl(*args):
            r = subprocess.run([KUBECTL, "--cache-dir", os.path.join(self.fake.dir, "cache")] + list(args), env=env,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout
        self.assertEqual(kubectl("apply", "-f", manifest), "tfjob.kubeflow.org/kc created\n")
        self.assertEqual(kubectl("wait", "--for=condition=Succeeded", "tfjob/kc", "--timeout=30s"),
                         "tfjob.kubeflow.org/kc condition met\n")
        body["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = 3
        with open(manifest, "w") as fh:
            json.dump(body, fh)
        self.assertEqual(kubectl("apply", "-f", manifest), "tfjob.kubeflow.org/kc configured\n")
        self.assertEqual(kubectl("get", "tfjob", "kc", "-o", "jsonpath={.spec.tfReplicaSpecs.Worker.replicas} "
                                 "{.metadata.generation} {.status.conditions[-1:].type}"), "3 2 Succeeded")


def jobset(name, *rjobs, **spec):
    return {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet", "metadata": {"name": name},
            "spec": dict({"replicatedJobs": list(rjobs)}, **spec)}


def rjob(name, script, replicas=1, pods=1, restart=None):
    pspec = {"containers": [{"name": "c", "image": "trainer:1", "command": ["/bin/sh", "-c", script]}]}
    if restart:
        pspec["restartPolicy"] = restart
    return {"name": name, "replicas": replicas, "template": {"spec": {
        "parallelism": pods, "completions": pods, "backoffLimit": 0, "template": {"spec": pspec}}}}


class JobSetTest(OperatorTestCase):
    def test_child_jobs_labels_service_and_completion(self):
        status, _, js = self.fake.call("POST", JOBSETS % "default", jobset(
            "js", rjob("leader", "echo $HOSTNAME"), rjob("workers", "echo $HOSTNAME $JOB_COMPLETION_INDEX", 2, 2)))
        self.assertEqual(status, 201)
        rj = js["spec"]["replicatedJobs"][1]["template"]["spec"]
        self.assertEqual((rj["completionMode"], rj["template"]["spec"]["restartPolicy"]), ("Indexed", "OnFailure"))
        self.assertEqual(js["spec"]["network"], {"enableDNSHostnames": True, "publishNotReadyAddresses": True})
        done = self.wait_cond(JOBSETS % "default" + "/js", "Completed")
        c = cond(done, "Completed")
        self.assertEqual((c["reason"], c["message"], done["status"]["terminalState"]),
                         ("AllJobsCompleted", "jobset completed successfully", "Completed"))
        names = sorted(j["metadata"]["name"] for j in self.fake.get(JOBS % "default" + "?labelSelector=" +
                                                                    "jobset.sigs.k8s.io%2Fjobset-name%3Djs")[2]["items"])
        self.assertEqual(names, ["js-leader-0", "js-workers-0", "js-workers-1"])
        job = self.fake.get(JOBS % "default" + "/js-workers-1")[2]
        labels = job["metadata"]["labels"]
        self.assertEqual((labels["jobset.sigs.k8s.io/replicatedjob-name"], labels["jobset.sigs.k8s.io/job-index"],
                          labels["jobset.sigs.k8s.io/restart-attempt"]), ("workers", "1", "0"))
        self.assertEqual(job["metadata"]["ownerReferences"][0]["kind"], "JobSet")
        pods = self.pods("jobset.sigs.k8s.io/jobset-name=js,jobset.sigs.k8s.io/replicatedjob-name=workers")
        self.assertEqual(sorted(self.log(p["metadata"]["name"]) for p in pods),
                         ["js-workers-0-0 0\n", "js-workers-0-1 1\n", "js-workers-1-0 0\n", "js-workers-1-1 1\n"])
        self.assertEqual({p["spec"]["subdomain"] for p in pods}, {"js"})
        svc = self.fake.get(SVCS % "default" + "/js")[2]
        self.assertEqual((svc["spec"]["clusterIP"], svc["spec"]["selector"]),
                         ("None", {"jobset.sigs.k8s.io/jobset-name": "js"}))
        self.assertEqual(done["status"]["replicatedJobsStatus"][1]["succeeded"], 2)

    def test_failure_without_policy_fails_at_once(self):
        self.fake.call("POST", JOBSETS % "default", jobset("jsfail", rjob("w", "exit 1", restart="Never"),
                                                           rjob("s", "exec sleep 60")))
        failed = self.wait_cond(JOBSETS % "default" + "/jsfail", "Failed")
        c = cond(failed, "Failed")
        self.assertEqual((c["reason"], c["message"], failed["status"]["terminalState"]),
                         ("FailedJobs", "jobset failed due to one or more job failures", "Failed"))
        wait_for(lambda: self.fake.get(JOBS % "default" + "/jsfail-s-0")[0] == 404, what="the active Job deleted")

    def test_max_restarts_recreates_jobs_then_fails(self):
        self.fake.call("POST", JOBSETS % "default", jobset("jsrs", rjob("w", "exit 1", restart="Never"),
                                                           failurePolicy={"maxRestarts": 2}))
        failed = self.wait_cond(JOBSETS % "default" + "/jsrs", "Failed", timeout=30)
        self.assertEqual(cond(failed, "Failed")["reason"], "ReachedMaxRestarts")
        self.assertEqual((failed["status"]["restarts"], failed["status"]["restartsCountTowardsMax"]), (2, 2))
        job = self.fake.get(JOBS % "default" + "/jsrs-w-0")[2]
        self.assertEqual(job["metadata"]["labels"]["jobset.sigs.k8s.io/restart-attempt"], "2")

    def test_success_policy_any_on_a_target(self):
        self.fake.call("POST", JOBSETS % "default", jobset(
            "jsany", rjob("driver", "true"), rjob("workers", "exec sleep 60", 2),
            successPolicy={"operator": "Any", "targetReplicatedJobs": ["driver"]}))
        self.wait_cond(JOBSETS % "default" + "/jsany", "Completed")
        wait_for(lambda: not [j for j in self.fake.get(JOBS % "default")[2]["items"]
                              if j["metadata"]["name"].startswith("jsany-workers")], what="the workers deleted")
        status, _, err = self.fake.call("POST", JOBSETS % "default", jobset(
            "jsbad", rjob("a", "true"), successPolicy={"operator": "All", "targetReplicatedJobs": ["nope"]}))
        self.assertEqual((status, err["message"]), (403, 'admission webhook "vjobset.kb.io" denied the request: '
                                                         "invalid replicatedJob name 'nope' does not appear in "
                                                         ".spec.ReplicatedJobs"))


if __name__ == "__main__":
    unittest.main()
