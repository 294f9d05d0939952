"""Tests of the fake apiserver's Indexed Jobs (per-index backoff, pod failure and success policies, pod
identity) and core/v1 Services (headless, defaults, validation, watch, ownerReference cascade).

Run from the repo root: /usr/bin/python3 -m unittest discover -s tests/fakes/kube -v
"""

import unittest
import uuid

from test_fake_kube import JOBS, PODS, FakeTestCase, cond, job, read_events, wait_for

SVCS = "/api/v1/namespaces/%s/services"


def indexed(name, script, n, **spec):
    return job(name, ["/bin/sh", "-c", script], completions=n, parallelism=n, completionMode="Indexed", **spec)


class IndexedJobTest(FakeTestCase):
    def pods(self, name):
        return self.pods_of(name)

    def test_pod_identity_env_and_success_when_every_index_succeeds(self):
        body = indexed("ij", 'echo "$JOB_COMPLETION_INDEX $HOSTNAME $CPU_LIMIT_M"', 3)
        tspec = body["spec"]["template"]["spec"]
        tspec["subdomain"] = "ij-svc"
        tspec["containers"][0]["resources"] = {"limits": {"cpu": "1500m"}}
        tspec["containers"][0]["env"] = [{"name": "CPU_LIMIT_M", "valueFrom": {"resourceFieldRef": {
            "resource": "limits.cpu", "divisor": "1m"}}}]
        self.assertEqual(self.create(body)[0], 201)
        done = self.wait_job("ij", "Complete")
        self.assertEqual((done["status"]["succeeded"], done["status"]["completedIndexes"]), (3, "0-2"))
        pods = sorted(self.pods("ij"), key=lambda p: p["metadata"]["annotations"][
            "batch.kubernetes.io/job-completion-index"])
        for i, p in enumerate(pods):
            self.assertEqual(p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"], str(i))
            self.assertEqual((p["spec"]["hostname"], p["spec"]["subdomain"]), ("ij-%d" % i, "ij-svc"))
            env = p["spec"]["containers"][0]["env"]
            self.assertEqual(env[-1], {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}})
            log = self.fake.get(PODS % "default" + "/%s/log" % p["metadata"]["name"])[2]
            self.assertEqual(log, "%d ij-%d 1500\n" % (i, i))

    def test_backoff_limit_per_index_fails_only_that_index(self):
        self.create(indexed("perindex", '[ "$JOB_COMPLETION_INDEX" != 1 ] || exit 3', 3, backoffLimitPerIndex=1))
        failed = self.wait_job("perindex", "Failed")
        st = failed["status"]
        self.assertEqual((st["completedIndexes"], st["failedIndexes"], st["failed"], st["succeeded"]),
                         ("0,2", "1", 2, 2))
        self.assertEqual((cond(failed, "Failed")["reason"], cond(failed, "Failed")["message"]),
                         ("FailedIndexes", "Job has failed indexes"))
        self.assertEqual(failed["spec"]["backoffLimit"], 2147483647)
        retried = [p for p in self.pods("perindex")
                   if p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "1"]
        self.assertEqual(sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"]
                                for p in retried), ["0", "1"])

    def test_max_failed_indexes_exceeded_stops_the_others(self):
        self.create(indexed("maxfailed", '[ "$JOB_COMPLETION_INDEX" != 0 ] && exec sleep 60; exit 1', 3,
                            backoffLimitPerIndex=0, maxFailedIndexes=0))
        failed = self.wait_job("maxfailed", "Failed")
        self.assertEqual(cond(failed, "Failed")["reason"], "MaxFailedIndexesExceeded")
        self.assertEqual(failed["status"]["failedIndexes"], "0")
        wait_for(lambda: all(p["status"]["phase"] in ("Succeeded", "Failed") for p in self.pods("maxfailed")),
                 what="the sleeping pods to be killed")

    def test_one_failure_fails_the_whole_job_with_backoff_limit_zero(self):
        self.create(indexed("failfast", '[ "$JOB_COMPLETION_INDEX" = 2 ] && exit 5; exec sleep 60', 3,
                            backoffLimit=0))
        failed = self.wait_job("failfast", "Failed")
        self.assertEqual(cond(failed, "Failed")["reason"], "BackoffLimitExceeded")
        self.assertNotIn("completionTime", failed["status"])
        self.assertTrue(all(p["status"]["phase"] == "Failed" for p in self.pods("failfast")))

    def test_pod_failure_policy_fail_job_on_exit_code_and_ignore(self):
        flag = "pfp-%s" % uuid.uuid4().hex  # in the fake's --workdir: the first pod exits 41, the next 42
        body = job("pfp", ["/bin/sh", "-c", '[ -e %s ] && exit 42; touch %s; exit 41' % (flag, flag)], backoffLimit=0)
        body["spec"]["podFailurePolicy"] = {"rules": [
            {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [41]}},
            {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}}]}
        status, _, created = self.create(body)
        self.assertEqual((status, created["spec"]["podReplacementPolicy"]), (201, "Failed"))
        failed = self.wait_job("pfp", "Failed")
        c = cond(failed, "Failed")
        self.assertEqual(c["reason"], "PodFailurePolicy")
        self.assertRegex(c["message"], r"^Container main for pod default/pfp-[a-z0-9]{5} failed with exit code 42 "
                                       r"matching FailJob rule at index 1$")
        self.assertEqual(failed["status"].get("failed"), 1)  # exit code 41 was ignored: not counted, replaced
        self.assertEqual(len(self.pods("pfp")), 2)

    def test_pod_failure_policy_fail_index_and_pod_conditions(self):
        body = indexed("failindex", '[ "$JOB_COMPLETION_INDEX" = 1 ] && exit 7; true', 3, backoffLimitPerIndex=3)
        body["spec"]["podFailurePolicy"] = {"rules": [{"action": "FailIndex", "onExitCodes": {
            "operator": "In", "values": [7]}}]}
        self.assertEqual(self.create(body)[0], 201)
        failed = self.wait_job("failindex", "Failed")
        self.assertEqual((cond(failed, "Failed")["reason"], failed["status"]["failedIndexes"],
                          failed["status"]["completedIndexes"]), ("FailedIndexes", "1", "0,2"))
        ones = [p for p in self.pods("failindex")
                if p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "1"]
        self.assertEqual(len(ones), 1)  # FailIndex: not retried although backoffLimitPerIndex allows 3
        evicted = job("evicted", ["sleep", "5"], image="fake/evicted", podFailurePolicy={"rules": [
            {"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget"}]}]})
        self.assertEqual(self.create(evicted)[0], 201)
        c = cond(self.wait_job("evicted", "Failed"), "Failed")
        self.assertEqual(c["reason"], "PodFailurePolicy")
        self.assertRegex(c["message"], r"^Pod default/evicted-[a-z0-9]{5} has condition DisruptionTarget matching "
                                       r"FailJob rule at index 0$")

    def test_success_policy_succeeded_indexes(self):
        body = indexed("leader", '[ "$JOB_COMPLETION_INDEX" = 0 ] || exec sleep 60', 3)
        body["spec"]["successPolicy"] = {"rules": [{"succeededIndexes": "0"}]}
        done = self.wait_job("leader", "Complete") if self.create(body)[0] == 201 else None
        self.assertEqual(cond(done, "SuccessCriteriaMet")["reason"], "SuccessPolicy")
        self.assertEqual(done["status"]["completedIndexes"], "0")


class ServiceTest(FakeTestCase):
    def svc(self, name, **spec):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}},
                "spec": spec}

    def test_headless_service_defaults_get_list_watch_delete(self):
        resp = self.fake.open("GET", SVCS % "default" + "?watch=1&labelSelector=app%3Drendezvous&timeoutSeconds=5")
        status, _, created = self.fake.call("POST", SVCS % "default", self.svc(
            "rendezvous", clusterIP="None", selector={"job-name": "x"}, ports=[{"name": "rdzv", "port": 29500}]))
        self.assertEqual(status, 201)
        spec = created["spec"]
        self.assertEqual((spec["clusterIP"], spec["clusterIPs"], spec["type"], spec["ipFamilyPolicy"]),
                         ("None", ["None"], "ClusterIP", "SingleStack"))
        self.assertEqual(spec["ports"][0], {"name": "rdzv", "port": 29500, "protocol": "TCP", "targetPort": 29500})
        self.assertEqual(self.fake.get(SVCS % "default" + "/rendezvous")[2]["metadata"]["uid"],
                         created["metadata"]["uid"])
        self.assertEqual([s["metadata"]["name"] for s in self.fake.get(SVCS % "default" + "?labelSelector=app%3Drendezvous")[2][
            "items"]], ["rendezvous"])
        status, _, gone = self.fake.call("DELETE", SVCS % "default" + "/rendezvous")
        self.assertEqual((status, gone["status"]), (200, "Success"))
        events = read_events(resp, lambda ev: len(ev) >= 2)
        self.assertEqual([e["type"] for e in events], ["ADDED", "DELETED"])
        self.assertEqual(self.fake.get(SVCS % "default" + "/rendezvous")[0], 404)

    def test_cluster_ip_service_and_validation(self):
        status, _, created = self.fake.call("POST", SVCS % "default", self.svc("web", ports=[{"port": 80}]))
        self.assertEqual(status, 201)
        self.assertRegex(created["spec"]["clusterIP"], r"^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$")
        status, _, err = self.fake.call("POST", SVCS % "default", self.svc("1bad"))
        self.assertEqual((status, err["reason"]), (422, "Invalid"))
        self.assertEqual({c["field"] for c in err["details"]["causes"]}, {"metadata.name", "spec.ports"})
        self.assertIn("a DNS-1035 label must consist of lower case alphanumeric characters", err["message"])
        status, _, err = self.fake.call("POST", SVCS % "default", self.svc("two", ports=[{"port": 1}, {"port": 70000}]))
        self.assertEqual([c["field"] for c in err["details"]["causes"]], ["spec.ports[0].name", "spec.ports[1].name",
                                                                         "spec.ports[1].port"])

    def test_service_owned_by_a_job_goes_with_it(self):
        _, _, j = self.create(job("owner", ["sleep", "60"]))
        ref = {"apiVersion": "batch/v1", "kind": "Job", "name": "owner", "uid": j["metadata"]["uid"],
               "controller": True, "blockOwnerDeletion": True}
        body = self.svc("owner-svc", clusterIP="None", selector={"job-name": "owner"})
        body["metadata"]["ownerReferences"] = [ref]
        self.assertEqual(self.fake.call("POST", SVCS % "default", body)[0], 201)
        self.fake.call("DELETE", JOBS % "default" + "/owner", {"propagationPolicy": "Background"})
        wait_for(lambda: self.fake.get(SVCS % "default" + "/owner-svc")[0] == 404, what="the Service to be collected")
        wait_for(lambda: not self.pods_of("owner"), what="the pods to go")


if __name__ == "__main__":
    unittest.main()
