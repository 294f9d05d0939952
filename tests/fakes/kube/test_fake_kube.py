"""End-to-end tests of the fake Kubernetes API server, over real HTTP and HTTPS (urllib) and with kubectl.

Each test class starts fake_kube.py as a subprocess on an ephemeral port and stops it with SIGTERM.
Run from the repo root: /usr/bin/python3 -m unittest discover -s tests/fakes/kube -v
"""

import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_kube.py")
KUBECTL = "/usr/bin/kubectl"


class Fake:
    """One fake apiserver process and a small HTTP client for it."""

    def __init__(self, *args, tls_dir=None, token=None):
        self.dir = tempfile.mkdtemp(prefix="fake-kube-test-")
        self.port_file = os.path.join(self.dir, "port")
        self.request_log = os.path.join(self.dir, "requests.jsonl")
        self.token, self.tls_dir = token, tls_dir
        cmd = [sys.executable, FAKE, "--port", "0", "--port-file", self.port_file, "--request-log",
               self.request_log, "--workdir", self.dir, "--job-backoff-ms", "20", "--crashloop-backoff-ms", "20"]
        if tls_dir:
            cmd += ["--tls-cert", os.path.join(tls_dir, "server.crt"), "--tls-key", os.path.join(tls_dir, "server.key"),
                    "--client-ca", os.path.join(tls_dir, "ca.crt")]
        if token:
            cmd += ["--token", token]
        self.stderr = open(os.path.join(self.dir, "stderr.log"), "w")
        self.proc = subprocess.Popen(cmd + list(args), stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.time() + 15
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("fake apiserver did not start: " + self.stderr_text())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.base = "%s://127.0.0.1:%d" % ("https" if tls_dir else "http", self.port)
        self.ctx = None
        if tls_dir:
            self.ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))

    def stderr_text(self):
        with open(self.stderr.name) as f:
            return f.read()

    def stop(self):
        """SIGTERM, wait, clean up; returns the server's stderr."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(15)
        self.stderr.close()
        text = self.stderr_text()
        shutil.rmtree(self.dir, ignore_errors=True)
        return text

    def open(self, method, path, body=None, headers=None, token="default", timeout=20):
        headers = dict(headers or {})
        token = self.token if token == "default" else token
        if token:
            headers["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            return urllib.request.urlopen(req, context=self.ctx, timeout=timeout)
        except urllib.error.HTTPError as e:
            return e

    def call(self, method, path, body=None, **kw):
        """-> (status, headers, decoded JSON or text)."""
        resp = self.open(method, path, body, **kw)
        with resp:
            raw = resp.read()
            ctype = resp.headers.get("Content-Type", "")
            data = json.loads(raw) if ctype.startswith("application/json") and raw else raw.decode()
            return resp.status, resp.headers, data

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def admin(self, what, body=None):
        return self.call("POST" if body is not None else "GET", "/fake-admin/" + what, body, token=None)[2]

    def requests(self):
        with open(self.request_log) as f:
            return [json.loads(line) for line in f]


def job(name, command, labels=None, restart="Never", **spec):
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": dict({"template": {"spec": {"restartPolicy": restart, "containers": [
                {"name": "main", "image": spec.pop("image", "busybox:1.36"), "command": command}]}}}, **spec)}
    if labels:
        body["metadata"]["labels"] = labels
    return body


def wait_for(fn, timeout=15.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def cond(obj, type_):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == type_ and c["status"] == "True":
            return c
    return None


def read_events(resp, until, limit=200):
    """Read newline-delimited watch events until until(events) or the stream ends."""
    events = []
    while len(events) < limit:
        line = resp.readline()
        if not line:
            break
        events.append(json.loads(line))
        if until(events):
            break
    return events


JOBS = "/apis/batch/v1/namespaces/%s/jobs"
PODS = "/api/v1/namespaces/%s/pods"


class FakeTestCase(unittest.TestCase):
    fake_args = ()
    fake = None

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(*cls.fake_args)

    @classmethod
    def tearDownClass(cls):
        stderr = cls.fake.stop()
        if "Traceback" in stderr:
            raise AssertionError("the fake apiserver logged an exception:\n" + stderr)

    def create(self, body, ns="default", query=""):
        return self.fake.call("POST", JOBS % ns + query, body)

    def wait_job(self, name, type_, ns="default", timeout=15):
        def done():
            status, _, obj = self.fake.get(JOBS % ns + "/" + name)
            return obj if status == 200 and cond(obj, type_) else None
        return wait_for(done, timeout, "Job %s %s" % (name, type_))

    def pods_of(self, name, ns="default"):
        sel = urllib.parse.quote("job-name=" + name)
        return self.fake.get(PODS % ns + "?labelSelector=" + sel)[2]["items"]


class JobLifecycleTest(FakeTestCase):
    fake_args = ("--namespaces", "default,ns2", "--bookmark-interval-ms", "200")

    def test_discovery_and_version(self):
        f = self.fake
        self.assertEqual(f.get("/api")[2]["versions"], ["v1"])
        groups = f.get("/apis")[2]
        self.assertEqual(groups["kind"], "APIGroupList")
        self.assertEqual(groups["groups"][0]["preferredVersion"]["groupVersion"], "batch/v1")
        self.assertEqual(f.get("/apis/batch")[2]["name"], "batch")
        jobs = [r for r in f.get("/apis/batch/v1")[2]["resources"] if r["name"] == "jobs"][0]
        self.assertTrue(jobs["namespaced"])
        self.assertIn("watch", jobs["verbs"])
        self.assertIn("pods/log", [r["name"] for r in f.get("/api/v1")[2]["resources"]])
        self.assertEqual(f.get("/version")[2]["minor"], "32")
        status, headers, body = f.get("/apis", headers={
            "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"})
        self.assertEqual(body["kind"], "APIGroupDiscoveryList")
        self.assertIn("as=APIGroupDiscoveryList", headers["Content-Type"])

    def test_openapi(self):
        f = self.fake
        self.assertEqual(f.get("/openapi/v2")[0], 404)
        index = f.get("/openapi/v3")[2]
        self.assertEqual(set(index["paths"]), {"api/v1", "apis/batch/v1"})
        doc = f.get("/openapi/v3/apis/batch/v1")[2]
        self.assertIn("io.k8s.api.batch.v1.Job", doc["components"]["schemas"])
        self.assertIn("io.k8s.api.core.v1.Pod", f.get("/openapi/v3/api/v1")[2]["components"]["schemas"])

    def test_job_completes_and_log_is_readable(self):
        status, _, created = self.create(job("ok", ["/bin/sh", "-c", "echo loss=0.5; exit 0"]))
        self.assertEqual(status, 201)
        meta = created["metadata"]
        self.assertEqual(meta["generation"], 1)
        self.assertTrue(meta["uid"] and meta["creationTimestamp"] and int(meta["resourceVersion"]) > 0)
        self.assertEqual(created["spec"]["selector"]["matchLabels"],
                         {"batch.kubernetes.io/controller-uid": meta["uid"]})
        self.assertEqual(created["spec"]["backoffLimit"], 6)
        self.assertEqual(created["status"], {})
        done = self.wait_job("ok", "Complete")
        st = done["status"]
        self.assertEqual(st["succeeded"], 1)
        self.assertTrue(st["startTime"] and st["completionTime"])
        self.assertNotIn("active", st)
        self.assertEqual([c["type"] for c in st["conditions"]], ["SuccessCriteriaMet", "Complete"])
        self.assertEqual(cond(done, "Complete")["reason"], "CompletionsReached")
        self.assertEqual(done["metadata"]["labels"]["job-name"], "ok")  # copied from the template
        [pod] = self.pods_of("ok")
        pmeta = pod["metadata"]
        self.assertRegex(pmeta["name"], r"^ok-[bcdfghjklmnpqrstvwxz2456789]{5}$")
        self.assertEqual(pmeta["labels"]["batch.kubernetes.io/job-name"], "ok")
        self.assertEqual(pmeta["labels"]["controller-uid"], meta["uid"])
        self.assertEqual(pmeta["ownerReferences"][0]["uid"], meta["uid"])
        self.assertTrue(pmeta["ownerReferences"][0]["controller"])
        self.assertEqual(pod["status"]["phase"], "Succeeded")
        term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (0, "Completed"))
        status, headers, text = self.fake.get(PODS % "default" + "/%s/log" % pmeta["name"])
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(text, "loss=0.5\n")
        text = self.fake.get(PODS % "default" + "/%s/log?container=main&timestamps=true" % pmeta["name"])[2]
        self.assertRegex(text, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z loss=0\.5\n$")

    def test_job_fails_after_backoff_limit(self):
        self.create(job("fails", ["/bin/sh", "-c", "echo trying; exit 3"], backoffLimit=2))
        done = self.wait_job("fails", "Failed")
        self.assertEqual(done["status"]["failed"], 3)
        self.assertNotIn("completionTime", done["status"])
        self.assertEqual([c["type"] for c in done["status"]["conditions"]], ["FailureTarget", "Failed"])
        failed = cond(done, "Failed")
        self.assertEqual(failed["reason"], "BackoffLimitExceeded")
        self.assertEqual(failed["message"], "Job has reached the specified backoff limit")
        pods = self.pods_of("fails")
        self.assertEqual(len(pods), 3)
        for pod in pods:
            self.assertEqual(pod["status"]["phase"], "Failed")
            term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
            self.assertEqual((term["exitCode"], term["reason"]), (3, "Error"))

    def test_on_failure_restarts_in_place(self):
        rv = self.fake.get(PODS % "default")[2]["metadata"]["resourceVersion"]
        resp = self.fake.open("GET", PODS % "default" + "?watch=1&labelSelector=job-name%3Drestarts"
                              "&resourceVersion=" + rv)
        self.create(job("restarts", ["/bin/sh", "-c", "exit 1"], restart="OnFailure", backoffLimit=2))
        events = read_events(resp, lambda evs: evs[-1]["type"] == "DELETED")
        resp.close()
        self.assertEqual({e["object"]["metadata"]["name"] for e in events}.__len__(), 1)  # one pod, restarted
        restarts = max(c["restartCount"] for e in events for c in e["object"]["status"].get("containerStatuses", []))
        self.assertGreaterEqual(restarts, 2)
        done = self.wait_job("restarts", "Failed")
        self.assertEqual(cond(done, "Failed")["reason"], "BackoffLimitExceeded")
        self.assertEqual(done["status"]["failed"], 1)

    def test_active_deadline(self):
        self.create(job("slow", ["sleep", "30"], activeDeadlineSeconds=1))
        done = self.wait_job("slow", "Failed")
        self.assertEqual(cond(done, "Failed")["reason"], "DeadlineExceeded")
        self.assertEqual(cond(done, "Failed")["message"], "Job was active longer than specified deadline")
        self.assertEqual(done["status"]["failed"], 1)
        wait_for(lambda: not [p for p in self.fake.admin("processes")["processes"] if p["pod"].startswith("slow-")],
                 what="the process to be killed")

    def test_duplicate_create_is_409(self):
        self.assertEqual(self.create(job("dup", ["true"]))[0], 201)
        status, _, body = self.create(job("dup", ["true"]))
        self.assertEqual(status, 409)
        self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": 'jobs.batch "dup" already exists', "reason": "AlreadyExists",
                                "details": {"name": "dup", "group": "batch", "kind": "jobs"}, "code": 409})

    def test_invalid_jobs_are_422_with_causes(self):
        status, _, body = self.create(job("Bad_Name", ["true"]))
        self.assertEqual(status, 422)
        self.assertEqual(body["reason"], "Invalid")
        self.assertEqual(body["details"]["kind"], "Job")
        self.assertEqual(body["details"]["group"], "batch")
        self.assertEqual([(c["field"], c["reason"]) for c in body["details"]["causes"]],
                         [("metadata.name", "FieldValueInvalid")])
        self.assertTrue(body["message"].startswith('Job.batch "Bad_Name" is invalid: metadata.name: Invalid value: '
                                                   '"Bad_Name": a lowercase RFC 1123 subdomain'))
        status, _, body = self.create(job("always", ["true"], restart="Always"))
        self.assertEqual(status, 422)
        self.assertEqual(body["details"]["causes"], [{
            "reason": "FieldValueRequired", "message": 'Required value: valid values: "OnFailure", "Never"',
            "field": "spec.template.spec.restartPolicy"}])
        status, _, body = self.create(job("x" * 64, ["true"]))
        self.assertEqual(status, 422)
        self.assertEqual({c["field"] for c in body["details"]["causes"]}, {"spec.template.labels"})
        self.assertIn("must be no more than 63 characters", body["message"])
        bad = job("bad-spec", ["true"], backoffLimit=-1, activeDeadlineSeconds=-5)
        bad["spec"]["template"]["spec"]["containers"][0].update(name="Main", image="")
        status, _, body = self.create(bad)
        self.assertEqual(status, 422)
        self.assertEqual({(c["field"], c["reason"]) for c in body["details"]["causes"]}, {
            ("spec.backoffLimit", "FieldValueInvalid"), ("spec.activeDeadlineSeconds", "FieldValueInvalid"),
            ("spec.template.spec.containers[0].name", "FieldValueInvalid"),
            ("spec.template.spec.containers[0].image", "FieldValueRequired")})
        nocont = job("no-containers", ["true"])
        nocont["spec"]["template"]["spec"]["containers"] = []
        status, _, body = self.create(nocont)
        self.assertIn({"reason": "FieldValueRequired", "message": "Required value",
                       "field": "spec.template.spec.containers"}, body["details"]["causes"])
        lab = job("bad-label", ["true"], labels={"-x": "ok", "gdsweep.io/tag": "a b"})
        status, _, body = self.create(lab)
        self.assertEqual([c["field"] for c in body["details"]["causes"]], ["metadata.labels"] * 2)
        res = job("bad-qty", ["true"])
        res["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "lots"}}
        status, _, body = self.create(res)
        self.assertEqual((status, body["reason"]), (400, "BadRequest"))
        self.assertIn("quantities must match the regular expression", body["message"])
        self.assertEqual(self.fake.get(JOBS % "default" + "/Bad_Name")[0], 404)

    def test_unknown_fields_strict_warn_ignore(self):
        body = job("strict", ["true"])
        body["spec"]["bogus"] = 1
        body["spec"]["template"]["spec"]["containers"][0]["cmmand"] = ["x"]
        status, _, err = self.create(body, query="?fieldValidation=Strict")
        self.assertEqual((status, err["reason"]), (400, "BadRequest"))
        self.assertEqual(err["message"], 'Job in version "v1" cannot be handled as a Job: strict decoding error: '
                                         'unknown field "spec.template.spec.containers[0].cmmand", unknown field '
                                         '"spec.bogus"')  # document order
        status, headers, created = self.create(body)
        self.assertEqual(status, 201)
        self.assertEqual(headers.get_all("Warning"), ['299 - "unknown field \\"spec.template.spec.containers[0]'
                                                      '.cmmand\\""', '299 - "unknown field \\"spec.bogus\\""'])
        self.assertNotIn("bogus", created["spec"])
        body["metadata"]["name"] = "ignored"
        status, headers, _ = self.create(body, query="?fieldValidation=Ignore")
        self.assertEqual((status, headers.get_all("Warning")), (201, None))
        typed = job("typed", ["true"], backoffLimit="six")
        status, _, err = self.create(typed)
        self.assertEqual(err["message"], 'Job in version "v1" cannot be handled as a Job: json: cannot unmarshal '
                                         'string into Go struct field JobSpec.spec.backoffLimit of type int32')

    def test_namespaces(self):
        status, _, err = self.create(job("x", ["true"]), ns="nope")
        self.assertEqual(status, 404)
        self.assertEqual(err, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": 'namespaces "nope" not found', "reason": "NotFound",
                               "details": {"name": "nope", "kind": "namespaces"}, "code": 404})
        status, _, err = self.fake.get(JOBS % "nope" + "/x")
        self.assertEqual((status, err["message"]), (404, 'jobs.batch "x" not found'))
        self.assertEqual(self.fake.get(JOBS % "nope")[2]["items"], [])  # like the real server
        names = [n["metadata"]["name"] for n in self.fake.get("/api/v1/namespaces")[2]["items"]]
        self.assertEqual(names, ["default", "kube-node-lease", "kube-public", "kube-system", "ns2"])
        self.assertEqual(self.fake.get("/api/v1/namespaces/ns2")[2]["status"]["phase"], "Active")
        self.assertEqual(self.create(job("in-ns2", ["true"]), ns="ns2")[0], 201)

    def test_label_selectors(self):
        t = uuid.uuid4().hex[:8]
        specs = {"s-a": {"t": t, "tier": "a", "gdsweep.io/tag": "x"}, "s-b": {"t": t, "tier": "b"},
                 "s-c": {"t": t, "tier": "c", "gdsweep.io/tag": "y"}, "s-d": {"t": t}}
        for name, labels in specs.items():
            self.assertEqual(self.create(job(name, ["true"], labels=labels), ns="ns2")[0], 201)

        def names(selector, path=JOBS % "ns2"):
            status, _, body = self.fake.get(path + "?labelSelector=" + urllib.parse.quote("t=%s,%s" % (t, selector)))
            self.assertEqual(status, 200, body)
            self.assertEqual(body["kind"], "JobList")
            self.assertNotIn("kind", body["items"][0] if body["items"] else {})
            return sorted(i["metadata"]["name"] for i in body["items"])
        self.assertEqual(names("tier=a"), ["s-a"])
        self.assertEqual(names("tier==b"), ["s-b"])
        self.assertEqual(names("tier!=a"), ["s-b", "s-c", "s-d"])
        self.assertEqual(names("tier in (a, c)"), ["s-a", "s-c"])
        self.assertEqual(names("tier notin (a,c)"), ["s-b", "s-d"])
        self.assertEqual(names("gdsweep.io/tag"), ["s-a", "s-c"])
        self.assertEqual(names("!gdsweep.io/tag"), ["s-b", "s-d"])
        self.assertEqual(names("gdsweep.io/tag=x", "/apis/batch/v1/jobs"), ["s-a"])
        status, _, err = self.fake.get(JOBS % "ns2" + "?labelSelector=" + urllib.parse.quote("tier in (a"))
        self.assertEqual((status, err["reason"]), (400, "BadRequest"))
        status, _, err = self.fake.get(JOBS % "ns2" + "?labelSelector=" + urllib.parse.quote("bad key=1"))
        self.assertEqual(status, 400)

    def test_field_selector_and_pagination(self):
        t = uuid.uuid4().hex[:8]
        for i in range(5):
            self.create(job("page-%d" % i, ["true"], labels={"p": t}), ns="ns2")
        body = self.fake.get(JOBS % "ns2" + "?fieldSelector=metadata.name%3Dpage-3")[2]
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["page-3"])
        self.assertEqual(self.fake.get(JOBS % "ns2" + "?fieldSelector=spec.foo%3D1")[0], 400)
        seen, token = [], ""
        while True:
            q = "?limit=2&labelSelector=p%3D" + t + ("&continue=" + token if token else "")
            body = self.fake.get(JOBS % "ns2" + q)[2]
            seen += [i["metadata"]["name"] for i in body["items"]]
            token = body["metadata"].get("continue")
            if not token:
                break
        self.assertEqual(seen, ["page-%d" % i for i in range(5)])
        first = self.fake.get(JOBS % "ns2" + "?limit=1&labelSelector=p%3D" + t)[2]
        self.create(job("page-late", ["true"], labels={"p": t}), ns="ns2")
        self.fake.admin("compact", {})
        status, _, err = self.fake.get(JOBS % "ns2" + "?limit=1&continue=" + first["metadata"]["continue"])
        self.assertEqual((status, err["reason"], err["code"]), (410, "Expired", 410))

    def test_generate_name(self):
        body = job("", ["true"])
        del body["metadata"]["name"]
        body["metadata"]["generateName"] = "trial-"
        status, _, created = self.create(body)
        self.assertEqual(status, 201)
        self.assertRegex(created["metadata"]["name"], r"^trial-[a-z0-9]{5}$")

    def test_watch_added_modified_deleted(self):
        t = uuid.uuid4().hex[:8]
        rv = self.fake.get(JOBS % "default")[2]["metadata"]["resourceVersion"]
        resp = self.fake.open("GET", JOBS % "default" + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=20"
                              "&resourceVersion=%s&labelSelector=w%%3D%s" % (rv, t))
        self.assertEqual(resp.headers["Content-Type"], "application/json")
        self.assertEqual(resp.headers["Transfer-Encoding"], "chunked")
        self.create(job("watched", ["true"], labels={"w": t}))
        self.create(job("not-watched", ["true"]))
        self.wait_job("watched", "Complete")
        st, _, out = self.fake.call("DELETE", JOBS % "default" + "/watched",
                                    {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})
        self.assertEqual(out["status"], "Success")
        self.assertEqual(out["details"]["kind"], "jobs")
        events = read_events(resp, lambda evs: evs[-1]["type"] == "DELETED")
        resp.close()
        types = [e["type"] for e in events if e["type"] != "BOOKMARK"]
        self.assertEqual(types[0], "ADDED")
        self.assertIn("MODIFIED", types)
        self.assertEqual(types[-1], "DELETED")
        objs = [e["object"] for e in events if e["type"] != "BOOKMARK"]
        self.assertEqual({o["metadata"]["name"] for o in objs}, {"watched"})
        self.assertEqual({(o["kind"], o["apiVersion"]) for o in objs}, {("Job", "batch/v1")})
        rvs = [int(o["metadata"]["resourceVersion"]) for o in objs]
        self.assertEqual(rvs, sorted(rvs))
        self.assertTrue(cond(objs[-2], "Complete"))

    def test_watch_pod_phases_and_initial_state(self):
        rv = self.fake.get(PODS % "default")[2]["metadata"]["resourceVersion"]
        resp = self.fake.open("GET", PODS % "default" + "?watch=true&labelSelector=job-name%3Dphases"
                              "&resourceVersion=" + rv)
        self.create(job("phases", ["/bin/sh", "-c", "sleep 0.3"]))
        events = read_events(resp, lambda evs: evs[-1]["object"]["status"].get("phase") == "Succeeded")
        resp.close()
        self.assertEqual([e["type"] for e in events][:1], ["ADDED"])
        self.assertEqual({e["type"] for e in events[1:]}, {"MODIFIED"})
        phases = [e["object"]["status"].get("phase") for e in events]
        self.assertEqual([p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p],
                         ["Pending", "Running", "Succeeded"])
        resp = self.fake.open("GET", PODS % "default" + "?watch=true&labelSelector=job-name%3Dphases"
                              "&timeoutSeconds=1")  # no resourceVersion: the current state first
        events = read_events(resp, lambda evs: True)
        resp.close()
        self.assertEqual((events[0]["type"], events[0]["object"]["status"]["phase"]), ("ADDED", "Succeeded"))

    def test_watch_bookmarks_and_timeout(self):
        rv = self.fake.get(JOBS % "default")[2]["metadata"]["resourceVersion"]
        resp = self.fake.open("GET", JOBS % "default" + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=1"
                              "&labelSelector=none%3Dnone&resourceVersion=" + rv)
        t0 = time.time()
        events = read_events(resp, lambda evs: False)
        self.assertLess(time.time() - t0, 5)
        self.assertTrue(events)
        self.assertEqual({e["type"] for e in events}, {"BOOKMARK"})
        self.assertEqual(events[0]["object"]["kind"], "Job")
        self.assertGreaterEqual(int(events[-1]["object"]["metadata"]["resourceVersion"]), int(rv))

    def test_watch_too_old_resource_version_is_410(self):
        rv = self.fake.get(JOBS % "default")[2]["metadata"]["resourceVersion"]
        self.create(job("before-compaction", ["true"]))
        self.fake.admin("compact", {"keep": 0})
        resp = self.fake.open("GET", JOBS % "default" + "?watch=1&resourceVersion=" + rv)
        self.assertEqual(resp.status, 200)
        events = read_events(resp, lambda evs: False)
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["type"], "ERROR")
        st = events[0]["object"]
        self.assertEqual((st["kind"], st["code"], st["reason"]), ("Status", 410, "Expired"))
        self.assertRegex(st["message"], r"^too old resource version: %s \(\d+\)$" % rv)
        status, _, err = self.fake.get(JOBS % "default" + "?resourceVersion=%s&resourceVersionMatch=Exact" % rv)
        self.assertEqual((status, err["reason"]), (410, "Expired"))

    def test_delete_background_kills_process(self):
        self.create(job("sleeper", ["sleep", "60"]))
        proc = wait_for(lambda: [p for p in self.fake.admin("processes")["processes"]
                                 if p["pod"].startswith("sleeper-")], what="the pod process")[0]
        os.kill(proc["pid"], 0)
        status, _, out = self.fake.call("DELETE", JOBS % "default" + "/sleeper?propagationPolicy=Background")
        self.assertEqual((status, out["status"]), (200, "Success"))
        wait_for(lambda: not self.pods_of("sleeper"), what="the pod to go")
        with self.assertRaises(ProcessLookupError):
            os.kill(proc["pid"], 0)
        self.assertEqual(self.fake.get(JOBS % "default" + "/sleeper")[0], 404)

    def test_delete_foreground_and_default_orphan(self):
        self.create(job("fg", ["sleep", "60"]))
        wait_for(lambda: self.pods_of("fg"), what="a pod")
        status, _, obj = self.fake.call("DELETE", JOBS % "default" + "/fg",
                                        {"propagationPolicy": "Foreground"})
        self.assertEqual((status, obj["kind"]), (200, "Job"))
        self.assertIn("foregroundDeletion", obj["metadata"]["finalizers"])
        wait_for(lambda: self.fake.get(JOBS % "default" + "/fg")[0] == 404, what="the Job to go")
        self.assertEqual(self.pods_of("fg"), [])
        self.create(job("orphaner", ["sleep", "60"]))
        wait_for(lambda: [p for p in self.pods_of("orphaner") if p["status"]["phase"] == "Running"],
                 what="a running pod")
        status, headers, obj = self.fake.call("DELETE", JOBS % "default" + "/orphaner")
        self.assertIn("child pods are preserved by default", headers["Warning"])
        self.assertEqual(obj["metadata"]["finalizers"], ["orphan"])
        wait_for(lambda: self.fake.get(JOBS % "default" + "/orphaner")[0] == 404, what="the Job to go")
        [pod] = self.pods_of("orphaner")
        self.assertNotIn("ownerReferences", pod["metadata"])
        self.assertEqual(pod["status"]["phase"], "Running")
        status, _, deleted = self.fake.call("DELETE", PODS % "default" + "/" + pod["metadata"]["name"])
        self.assertEqual((status, deleted["kind"]), (200, "Pod"))
        wait_for(lambda: not self.pods_of("orphaner"), what="the pod to go")

    def test_special_images(self):
        self.create(job("oom", ["/bin/sh", "-c", "echo eating"], image="fake/oomkill", backoffLimit=0))
        self.create(job("pull", ["true"], image="registry.example/fake/imagepullbackoff:v1"))
        self.create(job("evict", ["sleep", "10"], image="fake/evicted", backoffLimit=0))
        self.create(job("unsched", ["true"], image="fake/pending"))
        self.wait_job("oom", "Failed")
        term = self.pods_of("oom")[0]["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["reason"], term["exitCode"]), ("OOMKilled", 137))
        self.wait_job("evict", "Failed")
        pod = self.pods_of("evict")[0]
        self.assertEqual((pod["status"]["phase"], pod["status"]["reason"]), ("Failed", "Evicted"))

        def waiting():
            pods = self.pods_of("pull")
            st = pods and (pods[0]["status"].get("containerStatuses") or [{}])[0].get("state", {}).get("waiting")
            return st if st and st["reason"] == "ImagePullBackOff" else None
        self.assertIn("Back-off pulling image", wait_for(waiting, what="ImagePullBackOff")["message"])
        pod = self.pods_of("pull")[0]
        self.assertEqual(pod["status"]["phase"], "Pending")
        status, _, err = self.fake.get(PODS % "default" + "/%s/log" % pod["metadata"]["name"])
        self.assertEqual((status, err["message"]), (400, 'container "main" in pod "%s" is waiting to start: trying '
                                                         'and failing to pull image' % pod["metadata"]["name"]))
        pod = wait_for(lambda: self.pods_of("unsched"), what="a pod")[0]
        self.assertEqual(cond(pod, "PodScheduled"), None)

    def test_log_follow_and_tail(self):
        self.create(job("chatty", ["/bin/sh", "-c", "for i in 1 2 3 4; do echo line $i; echo err $i >&2; "
                                                    "sleep 0.1; done"]))
        pod = wait_for(lambda: [p for p in self.pods_of("chatty") if p["status"].get("phase") == "Running"],
                       what="a running pod")[0]
        resp = self.fake.open("GET", PODS % "default" + "/%s/log?follow=true" % pod["metadata"]["name"])
        self.assertEqual(resp.headers["Transfer-Encoding"], "chunked")
        text = resp.read().decode()
        self.assertEqual(text, "".join("line %d\nerr %d\n" % (i, i) for i in range(1, 5)))
        tail = self.fake.get(PODS % "default" + "/%s/log?tailLines=2" % pod["metadata"]["name"])[2]
        self.assertEqual(tail, "line 4\nerr 4\n")
        self.assertEqual(self.fake.get(PODS % "default" + "/nope/log")[0], 404)

    def test_env_workdir_and_argv(self):
        body = job("env", ["/bin/sh", "-c", 'echo "$GREETING|$POD|$1|$2|$(pwd)|${SECRET-unset}"', "sh",
                           "$(GREETING) and $$(GREETING)", "$(UNDEFINED)"])
        c = body["spec"]["template"]["spec"]["containers"][0]
        c["env"] = [{"name": "GREETING", "value": "hi"}, {"name": "POD", "valueFrom": {"fieldRef":
                    {"fieldPath": "metadata.name"}}}, {"name": "SECRET", "valueFrom": {"secretKeyRef":
                    {"name": "s", "key": "k"}}}]
        c["workingDir"] = "/tmp"
        self.create(body)
        self.wait_job("env", "Complete")
        pod = self.pods_of("env")[0]
        log = self.fake.get(PODS % "default" + "/%s/log" % pod["metadata"]["name"])[2]
        self.assertEqual(log, "hi|%s|hi and $(GREETING)|$(UNDEFINED)|/tmp|unset\n" % pod["metadata"]["name"])

    def test_indexed_parallel_job(self):
        self.create(job("idx", ["/bin/sh", "-c", "echo index=$JOB_COMPLETION_INDEX"], completions=3, parallelism=2,
                        completionMode="Indexed"))
        done = self.wait_job("idx", "Complete")
        self.assertEqual((done["status"]["succeeded"], done["status"]["completedIndexes"]), (3, "0-2"))
        logs = sorted(self.fake.get(PODS % "default" + "/%s/log" % p["metadata"]["name"])[2]
                      for p in self.pods_of("idx"))
        self.assertEqual(logs, ["index=0\n", "index=1\n", "index=2\n"])
        self.assertRegex(self.pods_of("idx")[0]["metadata"]["name"], r"^idx-[0-2]-[a-z0-9]{5}$")

    def test_ttl_after_finished_deletes_job_and_pods(self):
        self.create(job("ttl", ["true"], ttlSecondsAfterFinished=0))
        wait_for(lambda: self.fake.get(JOBS % "default" + "/ttl")[0] == 404, what="the TTL controller")
        wait_for(lambda: not self.pods_of("ttl"), what="the pods to go")

    def test_suspended_job_makes_no_pods(self):
        self.create(job("suspended", ["true"], suspend=True))
        obj = wait_for(lambda: cond(self.fake.get(JOBS % "default" + "/suspended")[2], "Suspended") and
                       self.fake.get(JOBS % "default" + "/suspended")[2], what="Suspended")
        self.assertEqual(cond(obj, "Suspended")["reason"], "JobSuspended")
        self.assertNotIn("startTime", obj["status"])
        self.assertEqual(self.pods_of("suspended"), [])

    def test_keep_alive_framing(self):
        """Several answers, a chunked watch among them, on one HTTP/1.1 connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
        for path in ("/version", JOBS % "default" + "?watch=1&timeoutSeconds=1&labelSelector=none%3Dx",
                     "/api/v1/namespaces/default", "/nope"):
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            self.assertIn(resp.status, (200, 404))
            if "watch" in path:
                self.assertEqual(resp.headers["Transfer-Encoding"], "chunked")
                self.assertEqual(body, b"")
            elif path != "/nope":
                self.assertEqual(int(resp.headers["Content-Length"]), len(body))
                self.assertTrue(body.endswith(b"}\n"))
        conn.close()

    def test_request_log(self):
        self.create(job("logged", ["true"]))
        self.create(job("logged", ["true"]))
        posts = [r for r in self.fake.requests() if r["method"] == "POST" and r.get("name") == "logged"]
        self.assertEqual([r["status"] for r in posts], [201, 409])
        self.assertEqual(posts[0]["path"], "/apis/batch/v1/namespaces/default/jobs")
        self.assertIn("query", posts[0])


class AuthTest(FakeTestCase):
    def setUp(self):
        self.fake.token = "t0ken"

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(token="t0ken")

    def test_bearer_token_required(self):
        for token in (None, "wrong"):
            status, _, body = self.fake.get("/apis/batch/v1/jobs", token=token)
            self.assertEqual(status, 401)
            self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
        self.assertEqual(self.fake.get("/apis/batch/v1/jobs")[0], 200)
        self.assertEqual(self.fake.get("/version", token=None)[0], 401)


class FaultInjectionTest(FakeTestCase):
    fake_args = ("--fault-rate", "0.3", "--fault-codes", "429,500", "--fault-seed", "7")

    def sample(self, n):
        out = []
        for _ in range(n):
            status, headers, body = self.fake.get("/apis/batch/v1/namespaces/default/jobs")
            out.append(status)
            if status == 429:
                self.assertEqual(headers["Retry-After"], "1")
                self.assertEqual((body["reason"], body["details"]["retryAfterSeconds"]), ("TooManyRequests", 1))
            elif status == 500:
                self.assertEqual(body["reason"], "InternalError")
            else:
                self.assertEqual(status, 200)
        return out

    def test_rate_is_roughly_honoured_and_seeded(self):
        self.fake.admin("faults", {"rate": 0.3, "codes": [429, 500], "seed": 7})
        first = self.sample(300)
        rate = sum(1 for s in first if s != 200) / len(first)
        self.assertGreater(rate, 0.2)
        self.assertLess(rate, 0.4)
        self.assertEqual({429, 500, 200}, set(first))
        self.fake.admin("faults", {"seed": 7})
        self.assertEqual(self.sample(300), first)
        logged = [r for r in self.fake.requests() if r.get("fault") in ("429", "500")]
        self.assertEqual(len(logged), 2 * sum(1 for s in first if s != 200))

    def test_lost_answer_then_retry_creates_once(self):
        self.fake.admin("faults", {"rate": 1.0, "codes": ["reset-after"], "seed": 1})
        with self.assertRaises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
            self.fake.call("POST", JOBS % "default", job("once", ["true"]))
        self.fake.admin("faults", {"rate": 0.0})
        status, _, body = self.fake.call("POST", JOBS % "default", job("once", ["true"]))
        self.assertEqual((status, body["reason"]), (409, "AlreadyExists"))
        posts = [r for r in self.fake.requests() if r["method"] == "POST" and r.get("name") == "once"]
        self.assertEqual(len(posts), 2)
        self.assertEqual(len(self.fake.get(JOBS % "default" + "?fieldSelector=metadata.name%3Donce")[2]["items"]), 1)

    def test_latency(self):
        self.fake.admin("faults", {"rate": 0.0, "latencyMs": 300})
        t0 = time.time()
        self.assertEqual(self.fake.get("/version")[0], 200)
        self.assertGreaterEqual(time.time() - t0, 0.3)
        self.fake.admin("faults", {"latencyMs": 0})

    def test_watch_streams_get_cut(self):
        self.fake.admin("faults", {"rate": 0.0})
        resp = self.fake.open("GET", JOBS % "default" + "?watch=1&timeoutSeconds=30")
        self.fake.admin("faults", {"rate": 0.9, "codes": [429], "seed": 3})
        t0 = time.time()
        with self.assertRaises((http.client.IncompleteRead, ConnectionError, ValueError)):
            while time.time() - t0 < 10:
                if not resp.readline():
                    raise ValueError("stream ended")
        self.assertLess(time.time() - t0, 10)
        self.fake.admin("faults", {"rate": 0.0})


class ShutdownTest(unittest.TestCase):
    def test_sigterm_kills_pod_processes(self):
        fake = Fake("--pod-start-delay-ms", "200")
        try:
            fake.call("POST", JOBS % "default", job("forever", ["sleep", "300"]))
            pods = wait_for(lambda: [p for p in fake.get(PODS % "default")[2]["items"]
                                     if p["status"].get("containerStatuses")], what="a scheduled pod")
            self.assertEqual(pods[0]["status"]["phase"], "Pending")
            self.assertEqual(pods[0]["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
                             "ContainerCreating")
            pid = wait_for(lambda: fake.admin("processes")["processes"], what="a process")[0]["pid"]
        finally:
            stderr = fake.stop()
        self.assertEqual(fake.proc.returncode, 0, stderr)
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)


class OutageTest(unittest.TestCase):
    """POST /fake-admin/outage: the API server dies and restarts with its state; the pods run on."""

    def setUp(self):
        self.fake = Fake()

    def tearDown(self):
        stderr = self.fake.stop()
        if "Traceback" in stderr:
            raise AssertionError("the fake apiserver logged an exception:\n" + stderr)

    def refused(self):
        try:
            self.fake.get("/version", timeout=2)
            return False
        except (ConnectionError, urllib.error.URLError, http.client.HTTPException, OSError):
            return True

    def test_outage_cuts_connections_keeps_pods_and_restarts_with_its_state(self):
        self.fake.call("POST", JOBS % "default", job("through", ["sh", "-c", "sleep 1.5; echo done"]))
        pid = wait_for(lambda: self.fake.admin("processes")["processes"], what="the pod process")[0]["pid"]
        rv = self.fake.get(JOBS % "default")[2]["metadata"]["resourceVersion"]
        watch = self.fake.open("GET", JOBS % "default" + "?watch=1&timeoutSeconds=60&resourceVersion=" + rv)
        self.fake.admin("outage", {"seconds": 3})
        wait_for(self.refused, timeout=5, what="the port to refuse connections")
        with self.assertRaises((http.client.IncompleteRead, ConnectionError, ValueError, OSError)):
            while watch.readline():  # cut without the terminating chunk
                pass
            raise ValueError("the watch ended cleanly")
        wait_for(lambda: not self.refused(), timeout=10, what="the API server to come back")
        # etcd kept the Job; the pod ran on through the outage and finished.
        done = wait_for(lambda: cond(self.fake.get(JOBS % "default" + "/through")[2], "Complete"),
                        what="the Job to complete")
        self.assertEqual(done["type"], "Complete")
        pod = self.pods_of_job("through")[0]
        self.assertEqual(self.fake.get(PODS % "default" + "/%s/log" % pod)[2], "done\n")
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        # A fresh watch cache: the old resourceVersion is too old now; a new list carries on from here.
        events = read_events(self.fake.open("GET", JOBS % "default" + "?watch=1&resourceVersion=" + rv),
                             lambda evs: True)
        self.assertEqual((events[0]["type"], events[0]["object"]["code"]), ("ERROR", 410))
        self.assertGreater(int(self.fake.get(JOBS % "default")[2]["metadata"]["resourceVersion"]), int(rv))

    def test_outage_after_the_next_post_commits_it_and_loses_the_answer(self):
        self.fake.admin("outage", {"seconds": 1, "afterNextPost": True})
        with self.assertRaises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
            self.fake.call("POST", JOBS % "default", job("committed", ["true"]))
        wait_for(lambda: not self.refused(), timeout=10, what="the API server to come back")
        self.assertEqual(self.fake.get(JOBS % "default" + "/committed")[0], 200)
        status, _, body = self.fake.call("POST", JOBS % "default", job("committed", ["true"]))
        self.assertEqual((status, body["reason"]), (409, "AlreadyExists"))

    def pods_of_job(self, name):
        sel = urllib.parse.quote("job-name=" + name)
        return [p["metadata"]["name"] for p in self.fake.get(PODS % "default" + "?labelSelector=" + sel)[2]["items"]]


@unittest.skipUnless(os.access(KUBECTL, os.X_OK) and shutil.which("openssl"), "needs kubectl and openssl")
class HttpsKubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="fake-kube-certs-")
        subprocess.run([os.path.join(HERE, "make_cert.sh"), cls.certs], check=True)
        cls.fake = Fake(tls_dir=cls.certs, token="kubectl-token")
        cls.kubeconfig = os.path.join(cls.certs, "kubeconfig")
        with open(cls.kubeconfig, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                    "clusters:\n- name: fake\n  cluster:\n    server: %s\n    certificate-authority: %s\n"
                    "users:\n- name: tester\n  user:\n    token: kubectl-token\n"
                    "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: tester\n"
                    "    namespace: default\n" % (cls.fake.base, os.path.join(cls.certs, "ca.crt")))

    @classmethod
    def tearDownClass(cls):
        stderr = cls.fake.stop()
        shutil.rmtree(cls.certs, ignore_errors=True)
        if "Traceback" in stderr:
            raise AssertionError("the fake apiserver logged an exception:\n" + stderr)

    def kubectl(self, *args):
        env = dict(os.environ, KUBECONFIG=self.kubeconfig, HOME=self.certs)
        r = subprocess.run([KUBECTL, "--cache-dir", os.path.join(self.certs, "cache")] + list(args), env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_https_with_token_and_client_certificate(self):
        self.assertEqual(self.fake.get("/version")[0], 200)
        self.assertEqual(self.fake.get("/version", token=None)[0], 401)
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.crt"))
        ctx.load_cert_chain(os.path.join(self.certs, "client.crt"), os.path.join(self.certs, "client.key"))
        with urllib.request.urlopen(self.fake.base + "/api/v1/namespaces", context=ctx, timeout=10) as resp:
            self.assertEqual(json.load(resp)["kind"], "NamespaceList")

    def test_kubectl_get_and_logs(self):
        for name, tag in (("kx-1", "x"), ("kx-2", "x"), ("ky-1", "y")):
            status, _, _ = self.fake.call("POST", JOBS % "default", job(
                name, ["/bin/sh", "-c", "echo loss=0.25 from %s" % name], labels={"gdsweep.io/tag": tag}))
            self.assertEqual(status, 201)
        out = self.kubectl("get", "jobs", "-l", "gdsweep.io/tag=x", "-o", "name")
        self.assertEqual(out.split(), ["job.batch/kx-1", "job.batch/kx-2"])
        wait_for(lambda: cond(self.fake.get(JOBS % "default" + "/kx-2")[2], "Complete"), what="kx-2 to complete")
        self.assertEqual(self.kubectl("logs", "job/kx-2"), "loss=0.25 from kx-2\n")
        table = self.kubectl("get", "jobs", "kx-2")
        self.assertRegex(table, r"(?m)^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n^kx-2\s+Complete\s+1/1\s")
        self.assertIn("job.batch \"kx-1\" deleted", self.kubectl("delete", "job", "kx-1"))


if __name__ == "__main__":
    unittest.main()
