"""CustomResourceDefinitions (apiextensions.k8s.io/v1) and the custom resources they define.

A created CRD is defaulted and validated, gets the customresourcecleanup finalizer, and is then
Established by the establishing controller (NamesAccepted + Established conditions, acceptedNames,
storedVersions): from then on its group, versions and resources are in discovery and served under
/apis/<group>/<version>/. Custom resource bodies are decoded like the real server does for
structural schemas: unknown fields pruned (reported as warnings, or 400 with fieldValidation=Strict),
defaults applied, then validated against the version's openAPIV3Schema (422 with field paths).
Deleting a CRD deletes all its custom resources first, then removes it from discovery.
Thread-safe: state lives in the Store and the copy-on-write Registry; one worker thread.
"""

import copy
import json
import os
import queue
import threading
import time
import traceback

import apierrors
import decoding
import defaults
import deletion
import discovery
import structural
import validation
import yamlsubset
from apierrors import FieldError, not_supported

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
RESOURCE = "customresourcedefinitions"


def load_files(paths):
    """CRD documents from .yaml/.yml/.json files and directories (non-CRD documents are ignored)."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith((".yaml", ".yml", ".json")))
        else:
            files.append(p)
    out = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        docs = [json.loads(text)] if f.endswith(".json") else yamlsubset.load_all(text)
        out += [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    return out


def _version_schema(crd, version):
    for v in crd["spec"].get("versions") or []:
        if v.get("name") == version:
            return (v.get("schema") or {}).get("openAPIV3Schema") or {}, v
    return {}, {}


def _cond(crd, type_):
    return any(c.get("type") == type_ and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


class CrdManager(threading.Thread):
    def __init__(self, store, opts):
        super().__init__(daemon=True, name="crd-controllers")
        self.store, self.opts = store, opts
        self.queue = queue.Queue()
        self.establish_delay = getattr(opts, "crd_establish_delay_ms", 0) / 1000.0

    # -- controllers: establishing, finalizing (cleanup), discovery ---------------------------------
    def on_event(self, ev):
        if ev.resource == RESOURCE:
            self.queue.put(ev.obj["metadata"]["name"])

    def run(self):
        while True:
            name = self.queue.get()
            if name is None:
                return
            try:
                self.sync(name)
            except Exception:
                traceback.print_exc()

    def stop(self):
        self.queue.put(None)

    def sync(self, name):
        crd = self.store.get(RESOURCE, None, name)
        if crd is None:
            group, plural = name.split(".", 1)[1], name.split(".", 1)[0]
            discovery.RESOURCES.replace_group_resource(group, plural, [])
            return
        if crd["metadata"].get("deletionTimestamp"):
            return self._cleanup(crd)
        if not _cond(crd, "Established"):
            if self.establish_delay:
                time.sleep(self.establish_delay)
            self.establish(name)

    def establish(self, name):
        def fn(crd):
            if _cond(crd, "Established"):
                return None
            spec, now = crd["spec"], defaults.now_rfc3339()
            st = crd.setdefault("status", {})
            st["acceptedNames"] = copy.deepcopy(spec["names"])
            st["conditions"] = [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts",
                 "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted"}]
            st["storedVersions"] = [v["name"] for v in spec["versions"] if v.get("storage")]
            return crd
        crd = self.store.mutate(RESOURCE, None, name, fn)
        if crd is not None:
            self.register(crd)

    def register(self, crd):
        spec, names = crd["spec"], crd["spec"]["names"]
        rdefs = []
        for v in spec["versions"]:
            if not v.get("served"):
                continue
            subs = []
            sub = v.get("subresources") or {}
            if "status" in sub:
                subs.append(("status", ["get", "patch", "update"]))
            if "scale" in sub:
                subs.append(("scale", ["get", "patch", "update"]))
            rdefs.append(discovery.ResourceDef(
                spec["group"], names["plural"], names["kind"], spec["scope"] == "Namespaced", discovery.CR_VERBS,
                names.get("singular") or names["kind"].lower(), None, short_names=names.get("shortNames") or (),
                categories=names.get("categories") or (), subresources=subs, version=v["name"], crd=crd,
                list_kind=names.get("listKind")))
        discovery.RESOURCES.replace_group_resource(spec["group"], names["plural"], rdefs)

    def _cleanup(self, crd):
        """The finalizer: delete every custom resource of this CRD, then let the CRD go."""
        spec = crd["spec"]
        plural = spec["names"]["plural"]
        res = "%s.%s" % (plural, spec["group"])
        discovery.RESOURCES.replace_group_resource(spec["group"], plural, [])  # no longer served
        for o in self.store.list(res)[0]:
            m = o["metadata"]
            self.store.remove(res, m.get("namespace"), m["name"])
        deletion.remove_finalizer(self.store, RESOURCE, None, crd["metadata"]["name"], CLEANUP_FINALIZER)

    def preload(self, docs):
        """CRDs given on the command line: created and Established before the server listens."""
        for doc in docs:
            obj = copy.deepcopy(doc)
            meta = obj.setdefault("metadata", {})
            for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
                meta.pop(k, None)
            meta["uid"] = defaults.new_meta("x", None)["uid"]
            meta["generation"] = 1
            errs = self.prepare_create(obj)
            if errs:
                raise ValueError("CRD %s is invalid: %s" % (meta.get("name"), apierrors.aggregate(errs)))
            meta["creationTimestamp"] = defaults.now_rfc3339()
            if self.store.create(RESOURCE, obj) is None:
                raise ValueError("CRD %s given twice" % meta.get("name"))
            self.establish(meta["name"])

    # -- the CRD object itself ----------------------------------------------------------------------
    def prepare_create(self, crd):
        """Default and validate a new CRD; returns field errors."""
        meta, spec = crd.setdefault("metadata", {}), crd.setdefault("spec", {})
        names = spec.setdefault("names", {})
        if names.get("kind") and not names.get("listKind"):
            names["listKind"] = names["kind"] + "List"
        if names.get("kind") and not names.get("singular"):
            names["singular"] = names["kind"].lower()
        spec.setdefault("conversion", {"strategy": "None"})
        for v in spec.get("versions") or []:
            if isinstance(v, dict):
                v.setdefault("served", True)
                v.setdefault("storage", False)
        crd["status"] = {"conditions": [], "acceptedNames": {"plural": "", "kind": ""}, "storedVersions": []}
        fins = meta.setdefault("finalizers", [])
        if CLEANUP_FINALIZER not in fins:
            fins.append(CLEANUP_FINALIZER)
        errs = validation.validate_object_meta(meta, "metadata", namespaced=False)
        group, plural = spec.get("group") or "", names.get("plural") or ""
        if meta.get("name") and meta["name"] != "%s.%s" % (plural, group):
            errs.append(FieldError("Invalid", "metadata.name", meta["name"], "must be spec.names.plural+\".\"+"
                                   "spec.group"))
        if not group:
            errs.append(FieldError("Required", "spec.group"))
        elif "." not in group:
            errs.append(FieldError("Invalid", "spec.group", group, "should be a domain with at least one dot"))
        for f in ("plural", "kind"):
            if not names.get(f):
                errs.append(FieldError("Required", "spec.names." + f))
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            errs.append(not_supported("spec.scope", spec.get("scope"), ["Cluster", "Namespaced"]) if spec.get("scope")
                        else FieldError("Required", "spec.scope"))
        versions = spec.get("versions") or []
        if not versions:
            errs.append(FieldError("Invalid", "spec.versions", versions, "must have exactly one version marked as "
                                   "storage version"))
        elif sum(1 for v in versions if v.get("storage")) != 1:
            errs.append(FieldError("Invalid", "spec.versions", versions, "must have exactly one version marked as "
                                   "storage version"))
        for i, v in enumerate(versions):
            p = "spec.versions[%d]" % i
            if not v.get("name"):
                errs.append(FieldError("Required", p + ".name"))
            schema = (v.get("schema") or {}).get("openAPIV3Schema")
            if schema is None:
                errs.append(FieldError("Required", p + ".schema.openAPIV3Schema", detail="schemas are required"))
            elif schema.get("type") != "object":
                errs.append(FieldError("Invalid", p + ".schema.openAPIV3Schema.type", schema.get("type"),
                                       "must be object at the root"))
        return errs

    # -- custom resources ---------------------------------------------------------------------------
    def decode(self, rdef, raw, content_type, mode):
        """Decode a custom resource body: JSON, apiVersion/kind, pruning, defaults. -> (object, warnings)."""
        obj = decoding.decode_plain(raw, content_type, rdef.api_version, rdef.kind)
        schema, _ = _version_schema(rdef.crd, rdef.version)
        unknown = []
        obj = structural.prune(schema, obj, unknown, root=True)
        structural.apply_defaults(schema, obj)
        problems = ['unknown field "%s"' % p for p in unknown]
        if problems and mode == "Strict":
            raise apierrors.bad_request("strict decoding error: " + ", ".join(problems))
        obj["apiVersion"], obj["kind"] = rdef.api_version, rdef.kind
        return obj, (problems if mode == "Warn" else [])

    def prepare_custom_create(self, rdef, obj):
        schema, version = _version_schema(rdef.crd, rdef.version)
        if "status" in (version.get("subresources") or {}):
            obj.pop("status", None)  # with the status subresource, create ignores status
        errs = validation.validate_object_meta(obj["metadata"], "metadata", namespaced=rdef.namespaced)
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        return errs + structural.validate(dict(schema, required=[r for r in schema.get("required") or []
                                                                 if r not in ("apiVersion", "kind", "metadata")]),
                                          body)

    def scale(self, rdef, obj):
        """GET .../scale: the autoscaling/v1 Scale the CRD's scale subresource paths describe."""
        import tables  # jsonpath; tables imports nothing of ours that imports crds
        _, version = _version_schema(rdef.crd, rdef.version)
        paths = (version.get("subresources") or {}).get("scale") or {}

        def at(path):
            vals = tables.jsonpath(obj, path) if path else []
            return vals[0] if vals else None
        meta = obj["metadata"]
        out = {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
            "spec": {}, "status": {"replicas": at(paths.get("statusReplicasPath")) or 0}}
        if at(paths.get("specReplicasPath")) is not None:
            out["spec"]["replicas"] = at(paths["specReplicasPath"])
        if at(paths.get("labelSelectorPath")):
            out["status"]["selector"] = at(paths["labelSelectorPath"])
        return out

    def validate_update(self, rdef, obj):
        schema, _ = _version_schema(rdef.crd, rdef.version)
        errs = validation.validate_object_meta(obj["metadata"], "metadata", namespaced=rdef.namespaced)
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        return errs + structural.validate(schema, body)
