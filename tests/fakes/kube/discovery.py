"""The resources this fake serves, and the discovery documents describing them.

Legacy discovery (/api, /api/v1, /apis, /apis/batch, /apis/batch/v1), aggregated discovery
(apidiscovery.k8s.io/v2 and v2beta1, when the Accept header asks for it), /version, and the
/openapi/v3 index. Only verbs the fake implements are advertised. Constants only: thread-safe.
"""

import platform
import re
import threading


class ResourceDef:
    """One served resource. Built-in ones carry the name of their OpenAPI schema; custom resources (crd set)
    carry the CRD's served version (its structural schema, subresources and printer columns)."""

    def __init__(self, group, resource, kind, namespaced, verbs, singular, schema, short_names=(),
                 categories=(), subresources=(), version="v1", crd=None, list_kind=None):
        self.group, self.version, self.resource, self.kind = group, version, resource, kind
        self.namespaced, self.verbs, self.singular, self.schema = namespaced, verbs, singular, schema
        self.short_names, self.categories, self.subresources = list(short_names), list(categories), subresources
        self.crd, self._list_kind = crd, list_kind

    @property
    def store_key(self):
        """Where the Store keeps these objects: custom resources by plural.group (a CRD may reuse "jobs")."""
        return self.qualified if self.crd is not None else self.resource

    @property
    def qualified(self):
        """The group-qualified resource as errors name it: jobs.batch, pods, tfjobs.kubeflow.org."""
        return "%s.%s" % (self.resource, self.group) if self.group else self.resource

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def list_kind(self):
        return self._list_kind or self.kind + "List"

    def field_values(self, obj):
        """The field selector labels this resource supports, with their values."""
        meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
        out = {"metadata.name": meta.get("name", "")}
        if self.namespaced:
            out["metadata.namespace"] = meta.get("namespace", "")
        if self.resource == "jobs":
            out["status.successful"] = str(status.get("succeeded", 0))
        elif self.resource == "pods":
            out.update({"spec.nodeName": spec.get("nodeName", ""), "spec.restartPolicy": spec.get("restartPolicy", ""),
                        "spec.schedulerName": spec.get("schedulerName", ""),
                        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
                        "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
                        "status.phase": status.get("phase", ""), "status.podIP": status.get("podIP", ""),
                        "status.nominatedNodeName": status.get("nominatedNodeName", "")})
        elif self.resource == "namespaces":
            out["status.phase"] = status.get("phase", "")
        return out

    def unsupported_field_message(self, label):
        if self.resource == "jobs":
            return 'field label "%s" not supported for Job' % label
        return "field label not supported: %s" % label


JOBS = ResourceDef("batch", "jobs", "Job", True, ["create", "delete", "deletecollection", "get", "list", "watch"],
                   "job", "io.k8s.api.batch.v1.Job", categories=["all"], subresources=[("status", ["get"])])
PODS = ResourceDef("", "pods", "Pod", True, ["delete", "get", "list", "watch"], "pod", "io.k8s.api.core.v1.Pod",
                   short_names=["po"], categories=["all"], subresources=[("log", ["get"]), ("status", ["get"])])
NAMESPACES = ResourceDef("", "namespaces", "Namespace", False, ["create", "get", "list", "watch"], "namespace",
                         "io.k8s.api.core.v1.Namespace", short_names=["ns"], subresources=[("status", ["get"])])
SERVICES = ResourceDef("", "services", "Service", True, ["create", "delete", "get", "list", "watch"], "service",
                       "io.k8s.api.core.v1.Service", short_names=["svc"], categories=["all"],
                       subresources=[("status", ["get"])])
CRDS = ResourceDef("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", False,
                   ["create", "delete", "get", "list", "watch"], "customresourcedefinition", None,
                   short_names=["crd", "crds"], categories=["api-extensions"], subresources=[("status", ["get"])])
BUILTIN = (JOBS, PODS, NAMESPACES, SERVICES, CRDS)
CR_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class Registry:
    """The served resources: the built-in ones plus those of Established CRDs. Copy-on-write: readers take
    the current dict without a lock; add/remove swap in a new one under the lock."""

    def __init__(self, builtin):
        self.lock = threading.Lock()
        self._by_key = {(r.group, r.version, r.resource): r for r in builtin}

    def get(self, key, default=None):
        return self._by_key.get(key, default)

    def values(self):
        return list(self._by_key.values())

    def group_versions(self, group):
        return sorted({r.version for r in self._by_key.values() if r.group == group}, key=version_priority)

    def groups(self):
        """Non-core groups in discovery order: built-in ones first, then CRD groups alphabetically."""
        seen, order = [], [r.group for r in BUILTIN]
        for r in sorted(self._by_key.values(), key=lambda r: (r.crd is not None,
                                                              order.index(r.group) if r.group in order else 0,
                                                              r.group)):
            if r.group and r.group not in seen:
                seen.append(r.group)
        return seen

    def replace_group_resource(self, group, resource, rdefs):
        """Install the served versions of one CRD (an empty list removes it)."""
        with self.lock:
            new = {k: v for k, v in self._by_key.items() if not (k[0] == group and k[2] == resource)}
            new.update({(r.group, r.version, r.resource): r for r in rdefs})
            self._by_key = new


def version_priority(v):
    """Kubernetes version ordering, highest first: GA > beta > alpha, then by number; others last by name."""
    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", v)
    if not m:
        return (3, 0, 0, v)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), v)


RESOURCES = Registry(BUILTIN)

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
           "gitTreeState": "clean", "buildDate": "2024-12-11T17:59:15Z", "goVersion": "go1.23.3", "compiler": "gc",
           "platform": "linux/%s" % {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), "amd64")}


def api_versions(port):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % port}]}


def _group_versions(group):
    return [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in RESOURCES.group_versions(group)]


def api_group(group):
    """/apis/<group>, or None for a group nothing serves."""
    versions = _group_versions(group)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": versions[0]}


def api_group_list():
    groups = []
    for g in RESOURCES.groups():
        doc = api_group(g)
        del doc["kind"], doc["apiVersion"]
        groups.append(doc)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group, version="v1"):
    """/api/v1 or /apis/<group>/<version>, or None when nothing is served there."""
    out = []
    rdefs = [r for r in RESOURCES.values() if r.group == group and r.version == version]
    if not rdefs:
        return None
    for r in rdefs:
        entry = {"name": r.resource, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
                 "verbs": r.verbs}
        if r.short_names:
            entry["shortNames"] = r.short_names
        if r.categories:
            entry["categories"] = r.categories
        out.append(entry)
        for sub, verbs in r.subresources:
            sub_kind = "Scale" if sub == "scale" else r.kind
            item = {"name": "%s/%s" % (r.resource, sub), "singularName": "", "namespaced": r.namespaced,
                    "kind": sub_kind, "verbs": verbs}
            if sub == "scale":
                item["group"], item["version"] = "autoscaling", "v1"
            out.append(item)
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": "%s/%s" % (group, version) if group else version, "resources": out}


def _aggregated_resource(r):
    kind = {"group": r.group, "version": r.version, "kind": r.kind}
    entry = {"resource": r.resource, "responseKind": kind, "scope": "Namespaced" if r.namespaced else "Cluster",
             "singularResource": r.singular, "verbs": r.verbs}
    if r.short_names:
        entry["shortNames"] = r.short_names
    if r.categories:
        entry["categories"] = r.categories
    subs = []
    for s, v in r.subresources:
        sk = {"group": "autoscaling", "version": "v1", "kind": "Scale"} if s == "scale" else kind
        subs.append({"subresource": s, "responseKind": sk, "verbs": v})
    entry["subresources"] = subs
    return entry


def aggregated(legacy, version="v2"):
    """APIGroupDiscoveryList for /api (legacy=True) or /apis."""
    items = []
    for group in ([""] if legacy else RESOURCES.groups()):
        versions = []
        for v in RESOURCES.group_versions(group):
            resources = [_aggregated_resource(r) for r in RESOURCES.values() if r.group == group and r.version == v]
            versions.append({"version": v, "resources": resources, "freshness": "Current"})
        meta = {"creationTimestamp": None} if legacy else {"name": group, "creationTimestamp": None}
        items.append({"metadata": meta, "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + version, "metadata": {},
            "items": items}


def openapi_v3_index(schemas):
    return {"paths": {key: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, schemas.hashes[key])}
                      for key in schemas.raw}}
