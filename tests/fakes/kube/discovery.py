"""The resources this fake serves, and the discovery documents describing them.

Legacy discovery (/api, /api/v1, /apis, /apis/batch, /apis/batch/v1), aggregated discovery
(apidiscovery.k8s.io/v2 and v2beta1, when the Accept header asks for it), /version, and the
/openapi/v3 index. Only verbs the fake implements are advertised. Constants only: thread-safe.
"""

import platform


class ResourceDef:
    def __init__(self, group, resource, kind, namespaced, verbs, singular, schema, short_names=(),
                 categories=(), subresources=()):
        self.group, self.version, self.resource, self.kind = group, "v1", resource, kind
        self.namespaced, self.verbs, self.singular, self.schema = namespaced, verbs, singular, schema
        self.short_names, self.categories, self.subresources = list(short_names), list(categories), subresources

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def list_kind(self):
        return self.kind + "List"

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
RESOURCES = {(r.group, r.version, r.resource): r for r in (JOBS, PODS, NAMESPACES)}

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
           "gitTreeState": "clean", "buildDate": "2024-12-11T17:59:15Z", "goVersion": "go1.23.3", "compiler": "gc",
           "platform": "linux/%s" % {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), "amd64")}


def api_versions(port):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % port}]}


def _group_version():
    return {"groupVersion": "batch/v1", "version": "v1"}


def api_group_batch():
    return {"kind": "APIGroup", "apiVersion": "v1", "name": "batch", "versions": [_group_version()],
            "preferredVersion": _group_version()}


def api_group_list():
    g = api_group_batch()
    del g["kind"], g["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [g]}


def resource_list(group):
    out = []
    for r in RESOURCES.values():
        if r.group != group:
            continue
        entry = {"name": r.resource, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
                 "verbs": r.verbs}
        if r.short_names:
            entry["shortNames"] = r.short_names
        if r.categories:
            entry["categories"] = r.categories
        out.append(entry)
        for sub, verbs in r.subresources:
            out.append({"name": "%s/%s" % (r.resource, sub), "singularName": "", "namespaced": r.namespaced,
                        "kind": r.kind, "verbs": verbs})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "batch/v1" if group else "v1",
            "resources": out}


def aggregated(legacy, version="v2"):
    """APIGroupDiscoveryList for /api (legacy=True) or /apis."""
    group = "" if legacy else "batch"
    resources = []
    for r in RESOURCES.values():
        if r.group != group:
            continue
        kind = {"group": r.group, "version": r.version, "kind": r.kind}
        entry = {"resource": r.resource, "responseKind": kind, "scope": "Namespaced" if r.namespaced else "Cluster",
                 "singularResource": r.singular, "verbs": r.verbs}
        if r.short_names:
            entry["shortNames"] = r.short_names
        if r.categories:
            entry["categories"] = r.categories
        entry["subresources"] = [{"subresource": s, "responseKind": kind, "verbs": v} for s, v in r.subresources]
        resources.append(entry)
    meta = {"creationTimestamp": None} if legacy else {"name": "batch", "creationTimestamp": None}
    item = {"metadata": meta, "versions": [{"version": "v1", "resources": resources, "freshness": "Current"}]}
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + version, "metadata": {},
            "items": [item]}


def openapi_v3_index(schemas):
    return {"paths": {key: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, schemas.hashes[key])}
                      for key in schemas.raw}}
