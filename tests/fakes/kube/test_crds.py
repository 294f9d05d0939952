"""Tests of the fake apiserver's CustomResourceDefinitions: creation and establishment, discovery of the new
groups, generic custom-resource REST (CRUD, list, watch, selectors, status subresource, merge patch,
propagation), schema validation/pruning/defaulting against the real TFJob, PyTorchJob and JobSet CRDs,
and kubectl against custom resources.

Run from the repo root: /usr/bin/python3 -m unittest discover -s tests/fakes/kube -v
"""

import os
import subprocess
import sys
import tempfile
import unittest

from test_fake_kube import HERE, KUBECTL, FakeTestCase, read_events, wait_for

CRD_DIR = os.path.join(HERE, "crds")
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/example.test/v1/namespaces/%s/widgets"
TFJOBS = "/apis/kubeflow.org/v1/namespaces/%s/tfjobs"
JOBSETS = "/apis/jobset.x-k8s.io/v1alpha2/namespaces/%s/jobsets"

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.test"},
    "spec": {"group": "example.test", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
             "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                           "additionalPrinterColumns": [{"name": "Phase", "type": "string",
                                                         "jsonPath": ".status.phase"}],
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "required": ["size"], "properties": {
                                   "size": {"type": "integer", "minimum": 1},
                                   "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                                   "port": {"x-kubernetes-int-or-string": True},
                                   "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                   "tags": {"type": "object", "additionalProperties": {"type": "string"}}}},
                               "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}}}}]}}


def widget(name, size=2, **spec):
    return {"apiVersion": "example.test/v1", "kind": "Widget", "metadata": {"name": name, "labels": {"w": name}},
            "spec": dict({"size": size}, **spec)}


class CrdLifecycleTest(FakeTestCase):
    fake_args = ("--crd-establish-delay-ms", "200")

    def setUp(self):
        if self.fake.get(CRDS + "/widgets.example.test")[0] == 404:
            self.assertEqual(self.fake.get(WIDGETS % "default")[0], 404)  # not installed: the real 404
            status, _, crd = self.fake.call("POST", CRDS, WIDGET_CRD)
            self.assertEqual(status, 201)
            self.assertEqual(crd["status"]["conditions"], [])
            self.assertIn("customresourcecleanup.apiextensions.k8s.io", crd["metadata"]["finalizers"])
        wait_for(lambda: any(c["type"] == "Established" and c["status"] == "True" for c in self.fake.get(
            CRDS + "/widgets.example.test")[2]["status"]["conditions"]), what="Established")

    def test_discovery_lists_the_new_group(self):
        f = self.fake
        # a group no CRD serves: the real server's final handler, plain text, as for any unknown path
        status, headers, body = f.get("/apis/kubeflow.org/v1/namespaces/default/tfjobs")
        self.assertEqual((status, body), (404, "404 page not found\n"))
        self.assertEqual(f.get("/apis/kubeflow.org")[0], 404)
        groups = [g["name"] for g in f.get("/apis")[2]["groups"]]
        self.assertEqual(groups[:2], ["batch", "apiextensions.k8s.io"])
        self.assertIn("example.test", groups)
        self.assertEqual(f.get("/apis/example.test")[2]["preferredVersion"], {"groupVersion": "example.test/v1",
                                                                                "version": "v1"})
        res = {r["name"]: r for r in f.get("/apis/example.test/v1")[2]["resources"]}
        self.assertEqual(res["widgets"]["kind"], "Widget")
        self.assertEqual(res["widgets"]["shortNames"], ["wd"])
        self.assertIn("widgets/status", res)
        agg = f.get("/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
        self.assertIn("example.test", [i["metadata"]["name"] for i in agg[2]["items"]])

    def test_crud_list_watch_status_and_conflicts(self):
        f = self.fake
        resp = f.open("GET", WIDGETS % "default" + "?watch=1&labelSelector=w%3Dw1&timeoutSeconds=5")
        status, headers, w = f.call("POST", WIDGETS % "default", widget("w1", port="http", junk=1))
        self.assertEqual(status, 201)
        self.assertEqual(headers["Warning"], '299 - "unknown field \\"spec.junk\\""')
        self.assertEqual(w["spec"], {"size": 2, "port": "http", "color": "red"})  # pruned, defaulted
        self.assertEqual((w["metadata"]["generation"], w["kind"], w["apiVersion"]), (1, "Widget", "example.test/v1"))
        self.assertEqual(f.call("POST", WIDGETS % "default", widget("w1"))[0], 409)
        self.assertEqual([i["metadata"]["name"] for i in f.get(WIDGETS % "default" + "?labelSelector=w%3Dw1")[2][
            "items"]], ["w1"])
        stale = dict(w, spec={"size": 3})
        status, _, updated = f.call("PUT", WIDGETS % "default" + "/w1", stale)
        self.assertEqual((status, updated["metadata"]["generation"], updated["spec"]["size"]), (200, 2, 3))
        status, _, err = f.call("PUT", WIDGETS % "default" + "/w1", stale)
        self.assertEqual((status, err["reason"]), (409, "Conflict"))
        status, _, patched = f.call("PATCH", WIDGETS % "default" + "/w1/status", {"status": {"phase": "Ready"},
                                                                                  "spec": {"size": 99}},
                                    headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual((status, patched["status"], patched["spec"]["size"]), (200, {"phase": "Ready"}, 3))
        status, _, gone = f.call("DELETE", WIDGETS % "default" + "/w1")
        self.assertEqual((status, gone["status"]), (200, "Success"))
        events = read_events(resp, lambda ev: ev[-1]["type"] == "DELETED")
        self.assertEqual([e["type"] for e in events], ["ADDED", "MODIFIED", "MODIFIED", "DELETED"])
        self.assertEqual(events[0]["object"]["kind"], "Widget")
        resp = f.open("GET", WIDGETS % "default" + "?watch=1&allowWatchBookmarks=true&sendInitialEvents=true"
                      "&resourceVersionMatch=NotOlderThan&resourceVersion=0&timeoutSeconds=5")
        [bookmark] = read_events(resp, lambda ev: ev[-1]["type"] == "BOOKMARK")
        self.assertEqual(set(bookmark["object"]), {"apiVersion", "kind", "metadata"})
        self.assertEqual(bookmark["object"]["metadata"]["annotations"], {"k8s.io/initial-events-end": "true"})

    def test_validation_errors_are_422_with_field_paths(self):
        status, _, err = self.fake.call("POST", WIDGETS % "default", widget("bad", size="two", color="green",
                                                                            port=True, tags={"a": 1}))
        self.assertEqual((status, err["reason"], err["details"]["kind"], err["details"]["group"]),
                         (422, "Invalid", "Widget", "example.test"))
        causes = {c["field"]: (c["reason"], c["message"]) for c in err["details"]["causes"]}
        self.assertEqual(causes["spec.size"], ("FieldValueTypeInvalid",
                                               'Invalid value: "string": spec.size in body must be of type integer: '
                                               '"string"'))
        self.assertEqual(causes["spec.color"], ("FieldValueNotSupported",
                                                'Unsupported value: "green": supported values: "red", "blue"'))
        self.assertEqual(causes["spec.port"][0], "FieldValueTypeInvalid")
        self.assertEqual(causes["spec.tags.a"][0], "FieldValueTypeInvalid")
        self.assertTrue(err["message"].startswith('Widget.example.test "bad" is invalid: ['))
        status, _, err = self.fake.call("POST", WIDGETS % "default", {"apiVersion": "example.test/v1",
                                                                      "kind": "Widget", "metadata": {"name": "x"},
                                                                      "spec": {"size": 0}})
        self.assertEqual(err["details"]["causes"], [{"reason": "FieldValueInvalid", "field": "spec.size", "message":
                                                     "Invalid value: 0: spec.size in body should be greater than or "
                                                     "equal to 1"}])
        status, _, err = self.fake.call("POST", WIDGETS % "default" + "?fieldValidation=Strict",
                                        widget("strict", junk=1))
        self.assertEqual((status, err["message"]), (400, 'strict decoding error: unknown field "spec.junk"'))

    def test_foreground_deletion_waits_for_dependents(self):
        _, _, w = self.fake.call("POST", WIDGETS % "default", widget("owner"))
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "owned", "ownerReferences": [
            {"apiVersion": "example.test/v1", "kind": "Widget", "name": "owner", "uid": w["metadata"]["uid"],
             "controller": True, "blockOwnerDeletion": True}]}, "spec": {"clusterIP": "None"}}
        self.assertEqual(self.fake.call("POST", "/api/v1/namespaces/default/services", svc)[0], 201)
        status, _, body = self.fake.call("DELETE", WIDGETS % "default" + "/owner", {"propagationPolicy": "Foreground"})
        self.assertEqual((status, body["kind"]), (200, "Widget"))
        self.assertIn("foregroundDeletion", body["metadata"]["finalizers"])
        wait_for(lambda: self.fake.get(WIDGETS % "default" + "/owner")[0] == 404, what="the owner to go")
        self.assertEqual(self.fake.get("/api/v1/namespaces/default/services/owned")[0], 404)

    def test_zz_deleting_the_crd_removes_its_objects_and_api(self):
        self.fake.call("POST", WIDGETS % "default", widget("doomed"))
        self.assertEqual(self.fake.call("DELETE", CRDS + "/widgets.example.test")[0], 200)
        wait_for(lambda: self.fake.get(CRDS + "/widgets.example.test")[0] == 404, what="the CRD to go")
        self.assertEqual(self.fake.get(WIDGETS % "default")[0], 404)
        self.assertNotIn("example.test", [g["name"] for g in self.fake.get("/apis")[2]["groups"]])


class CrdFlagTest(unittest.TestCase):
    def test_an_invalid_crd_file_is_a_clear_start_error(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.yaml")
            with open(bad, "w") as fh:
                fh.write("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
                         "  name: things.example.test\nspec:\n  group: example.test\n  names: {plural: things, "
                         "kind: Thing}\n  scope: Namespaced\n  versions: []\n")
            r = subprocess.run([sys.executable, os.path.join(HERE, "fake_kube.py"), "--crds", bad, "--port-file",
                                os.path.join(d, "port")], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2)
            self.assertIn("--crds: CRD things.example.test is invalid: spec.versions: Invalid value", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "port")))


class RealCrdTest(FakeTestCase):
    fake_args = ("--crds", CRD_DIR)

    def tfjob(self, name, replicas=2, **worker):
        return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": name}, "spec": {
            "tfReplicaSpecs": {"Worker": dict({"replicas": replicas, "restartPolicy": "Never", "template": {"spec": {
                "containers": [{"name": "tensorflow", "image": "tf:2", "command": ["true"]}]}}}, **worker)}}}

    def test_preloaded_crds_are_served(self):
        groups = [g["name"] for g in self.fake.get("/apis")[2]["groups"]]
        self.assertEqual(set(groups) & {"kubeflow.org", "jobset.x-k8s.io"}, {"kubeflow.org", "jobset.x-k8s.io"})
        res = {r["name"] for r in self.fake.get("/apis/kubeflow.org/v1")[2]["resources"]}
        self.assertEqual(res, {"tfjobs", "tfjobs/status", "pytorchjobs", "pytorchjobs/status", "pytorchjobs/scale"})
        status, _, tf = self.fake.call("POST", TFJOBS % "default", self.tfjob("ok"))
        self.assertEqual(status, 201)
        self.assertEqual(tf["spec"]["tfReplicaSpecs"]["Worker"]["replicas"], 2)

    def test_openapi_v3_publishes_the_crd_schemas(self):
        index = self.fake.get("/openapi/v3")[2]["paths"]
        self.assertIn("apis/kubeflow.org/v1", index)
        self.assertIn("apis/jobset.x-k8s.io/v1alpha2", index)
        status, _, doc = self.fake.get(index["apis/kubeflow.org/v1"]["serverRelativeURL"])
        self.assertEqual(status, 200)
        tf = doc["components"]["schemas"]["org.kubeflow.v1.TFJob"]
        self.assertEqual(tf["x-kubernetes-group-version-kind"], [{"group": "kubeflow.org", "kind": "TFJob",
                                                                   "version": "v1"}])
        self.assertEqual(tf["properties"]["spec"]["required"], ["tfReplicaSpecs"])
        self.assertIn("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", doc["components"]["schemas"])
        patch = doc["paths"]["/apis/kubeflow.org/v1/namespaces/{namespace}/tfjobs/{name}"]["patch"]
        self.assertIn("fieldValidation", [p["name"] for p in patch["parameters"]])

    @unittest.skipUnless(os.access(KUBECTL, os.X_OK), "needs kubectl")
    def test_kubectl_explain_reads_the_published_schema(self):
        out = self._kubectl("explain", "tfjob.spec.tfReplicaSpecs")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("TFJob", out.stdout)

    def _kubectl(self, *args):
        kubeconfig = os.path.join(self.fake.dir, "kubeconfig")
        with open(kubeconfig, "w") as fh:
            fh.write("apiVersion: v1\nkind: Config\ncurrent-context: f\nclusters:\n- name: f\n  cluster:\n"
                     "    server: %s\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: f\n  context:\n"
                     "    cluster: f\n    user: u\n    namespace: default\n" % self.fake.base)
        env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=self.fake.dir)
        return subprocess.run([KUBECTL, "--cache-dir", os.path.join(self.fake.dir, "cache")] + list(args), env=env,
                              capture_output=True, text=True, timeout=60)

    def test_validation_against_the_real_tfjob_schema(self):
        status, _, err = self.fake.call("POST", TFJOBS % "default", self.tfjob("bad", replicas="two"))
        self.assertEqual(status, 422)
        self.assertEqual(err["details"]["causes"], [{
            "reason": "FieldValueTypeInvalid", "field": "spec.tfReplicaSpecs.Worker.replicas",
            "message": 'Invalid value: "string": spec.tfReplicaSpecs.Worker.replicas in body must be of type '
                       'integer: "string"'}])
        body = self.tfjob("bad2")
        body["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["ports"] = [
            {"containerPort": "2222"}]
        status, _, err = self.fake.call("POST", TFJOBS % "default", body)
        self.assertEqual([c["field"] for c in err["details"]["causes"]],
                         ["spec.tfReplicaSpecs.Worker.template.spec.containers[0].ports[0].containerPort"])
        status, _, err = self.fake.call("POST", TFJOBS % "default", {"apiVersion": "kubeflow.org/v1", "kind": "TFJob",
                                                                      "metadata": {"name": "empty"}, "spec": {}})
        self.assertEqual(err["details"]["causes"], [{"reason": "FieldValueRequired", "message": "Required value",
                                                     "field": "spec.tfReplicaSpecs"}])

    def test_jobset_defaults_and_enum(self):
        js = {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet", "metadata": {"name": "js"}, "spec": {
            "replicatedJobs": [{"name": "w", "template": {"spec": {"template": {"spec": {
                "containers": [{"name": "c", "image": "i"}]}}}}}],
            "successPolicy": {"operator": "Some"}}}
        status, _, err = self.fake.call("POST", JOBSETS % "default", js)
        self.assertEqual([(c["field"], c["reason"]) for c in err["details"]["causes"]],
                         [("spec.successPolicy.operator", "FieldValueNotSupported")])
        del js["spec"]["successPolicy"]
        status, _, created = self.fake.call("POST", JOBSETS % "default", js)
        self.assertEqual(status, 201)
        rj = created["spec"]["replicatedJobs"][0]
        self.assertEqual((rj["replicas"], rj["groupName"]), (1, "default"))

    @unittest.skipUnless(os.access(KUBECTL, os.X_OK), "needs kubectl")
    def test_kubectl_get_custom_resources(self):
        self.fake.call("POST", TFJOBS % "default", self.tfjob("kubectl-tf"))
        r = self._kubectl("get", "tfjobs", "-o", "name")
        self.assertEqual((r.returncode, r.stdout.split()), (0, ["tfjob.kubeflow.org/kubectl-tf"]), r.stderr)
        r = self._kubectl("get", "tfjob", "kubectl-tf")
        self.assertRegex(r.stdout, r"(?m)^NAME\s+STATE\s+AGE\nkubectl-tf\s")
        r = self._kubectl("get", "crd", "-o", "name")
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/tfjobs.kubeflow.org", r.stdout.split())
        r = self._kubectl("get", "jobsets")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
