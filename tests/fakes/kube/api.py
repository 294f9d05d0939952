"""REST semantics of the served paths: get, list (selectors, limit/continue, resourceVersion),
watch, create, delete, deletecollection and pods/log, answering through an HTTP writer.

Routing follows the apiserver's path layout: /api/v1/... and /apis/batch/v1/..., with optional
/watch/ prefix and namespaces/{ns}/ segment. Discovery and OpenAPI answers are here too.
Watch framing: HTTP 200, Content-Type application/json, chunked; one JSON event + "\n" per chunk.
Each request is served on its own thread; shared state lives in the Store (thread-safe).
"""

import base64
import json
import uuid

import apierrors
import crdopenapi
import decoding
import defaults
import deletion
import discovery
import labelselector
import podlogs
import services
import store
import tables
import updates
import validation
import watch
from discovery import RESOURCES

TRUE = ("1", "true", "True")
ORPHAN_WARNING = ("child pods are preserved by default when jobs are deleted; set propagationPolicy=Background "
                  "to remove them or set propagationPolicy=Orphan to suppress this warning")
EXPIRED_CONTINUE = ("The provided continue parameter is too old to display a consistent list result. You can start "
                    "a new list without the continue parameter, or use the continue token in this response to "
                    "retrieve the remainder of the results. Continuing with the provided token results in an "
                    "inconsistent list - objects that were created, modified, or deleted between the time the "
                    "first chunk was returned and now may show up in the list.")


_META_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
               "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers")


def ordered(obj, with_type=True):
    """kind, apiVersion, metadata, spec, status order (list items carry no kind/apiVersion)."""
    out = {}
    if with_type:
        out["kind"], out["apiVersion"] = obj.get("kind"), obj.get("apiVersion")
    if "metadata" in obj:
        meta = obj["metadata"]
        out["metadata"] = {k: meta[k] for k in _META_ORDER if k in meta}
        out["metadata"].update((k, v) for k, v in meta.items() if k not in out["metadata"])
    for k in ("spec", "status"):
        if k in obj:
            out[k] = obj[k]
    for k, v in obj.items():
        if k not in out and k not in ("kind", "apiVersion"):
            out[k] = v
    return out


def negotiate(accept):
    """Pick the answer form from the Accept header: json, table, partial, discovery-v2, discovery-v2beta1."""
    if not accept:
        return "json"
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media, params = fields[0].lower(), dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        if media not in ("application/json", "*/*", "application/*"):
            continue
        as_ = params.get("as")
        if as_ is None:
            return "json"
        if as_ == "Table" and params.get("g") == "meta.k8s.io":
            return "table"
        if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and params.get("g") == "meta.k8s.io":
            return "partial"
        if as_ == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            if params.get("v") in ("v2", "v2beta1"):
                return "discovery-" + params["v"]
    raise apierrors.not_acceptable("only the following media types are accepted: application/json (this fake "
                                   "serves JSON only)")


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def q(self, key, default=None):
        return self.query.get(key, default)

    def int_q(self, key):
        v = self.query.get(key)
        if v in (None, ""):
            return None
        try:
            return int(v)
        except ValueError:
            raise apierrors.bad_request('%s: Invalid value: "%s": must be an integer' % (key, v))


def parse_path(path):
    """-> (ResourceDef or None, namespace, name, subresource, watch_prefix) or raises for unknown paths.

    LookupError: no group/version serves this path (answered "404 page not found" as the real server's
    final not-found handler does, also for the group of a CRD that is not installed)."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise LookupError(path)
    if version not in RESOURCES.group_versions(group):
        raise LookupError(path)
    watch_prefix = rest[:1] == ["watch"]
    if watch_prefix:
        rest = rest[1:]
    ns = None
    if len(rest) >= 3 and rest[0] == "namespaces" and not (group == "" and rest[2] in ("status", "finalize")):
        ns, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise LookupError(path)
    rdef = RESOURCES.get((group, version, rest[0]))
    if rdef is None or (ns is not None and not rdef.namespaced):
        raise apierrors.not_found_path()
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in [s for s, _ in rdef.subresources]:
        raise apierrors.not_found_path()
    if name is not None and rdef.namespaced and ns is None:
        raise apierrors.not_found_path()
    return rdef, ns, name, sub, watch_prefix


class Api:
    def __init__(self, app):
        self.app, self.store = app, app.store

    # -- routing --------------------------------------------------------------------------------
    def handle(self, req, out):
        p = req.path.rstrip("/") or "/"
        static = self._static(req, p)
        if static is not None:
            return out.send_json(200, static[1], content_type=static[0])
        if p.startswith("/openapi/"):
            return self._openapi(p, out)
        try:
            rdef, ns, name, sub, watch_prefix = parse_path(p)
        except LookupError:
            return out.send_text(404, "404 page not found\n")
        form = negotiate(req.headers.get("Accept"))
        is_watch = watch_prefix or req.q("watch") in TRUE
        if req.method == "GET":
            if sub == "log":
                return podlogs.serve(self, req, out, ns, name)
            if is_watch:
                fs = req.q("fieldSelector") or ""
                if name is not None:
                    fs = ",".join(filter(None, [fs, "metadata.name=" + name]))
                return watch.serve(self, req, out, rdef, ns, fs, form)
            if name is None:
                return out.send_json(200, self.list(req, rdef, ns, form))
            if sub == "scale":
                return out.send_json(200, self.app.crds.scale(rdef, self.get(rdef, ns, name)))
            return out.send_json(200, self._shape(rdef, self.get(rdef, ns, name), form))
        if req.method == "POST" and name is None and "create" in rdef.verbs and not (rdef.namespaced and ns is None):
            return self.create(req, out, rdef, ns)
        if req.method in ("PUT", "PATCH") and name is not None:
            return updates.handle(self, req, out, rdef, ns, name, sub)
        if req.method == "DELETE" and sub is None and "delete" in rdef.verbs:
            if name is not None:
                return self.delete(req, out, rdef, ns, name)
            if "deletecollection" in rdef.verbs and ns is not None:
                return self.delete_collection(req, out, rdef, ns)
        raise apierrors.method_not_allowed()

    def _static(self, req, p):
        form = negotiate(req.headers.get("Accept")) if p in ("/api", "/apis") else "json"
        if form.startswith("discovery-"):
            version = form.split("-", 1)[1]
            ctype = "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList" % version
            return ctype, discovery.aggregated(p == "/api", version)
        docs = {"/api": lambda: discovery.api_versions(self.app.port), "/api/v1": lambda: discovery.resource_list(""),
                "/apis": discovery.api_group_list, "/version": lambda: discovery.VERSION}
        if p in docs:
            return "application/json", docs[p]()
        parts = p.split("/")[1:]
        doc = None
        if len(parts) == 2 and parts[0] == "apis":
            doc = discovery.api_group(parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            doc = discovery.resource_list(parts[1], parts[2])
        return ("application/json", doc) if doc is not None else None

    def _openapi(self, p, out):
        schemas = self.app.schemas
        crd_docs = {}
        for r in RESOURCES.values():
            if r.crd is not None:
                crd_docs.setdefault("apis/%s/%s" % (r.group, r.version), []).append(r)
        if p == "/openapi/v3":
            index = discovery.openapi_v3_index(schemas)
            for key, rdefs in sorted(crd_docs.items()):
                _, digest = crdopenapi.encoded(rdefs, schemas.schemas)
                index["paths"][key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, digest)}
            return out.send_json(200, index)
        key = p[len("/openapi/v3/"):]
        if key in schemas.raw:
            return out.send_bytes(200, schemas.raw[key], "application/json")
        if key in crd_docs:
            data, _ = crdopenapi.encoded(crd_docs[key], schemas.schemas)
            return out.send_bytes(200, data, "application/json")
        return out.send_text(404, "404 page not found\n")

    # -- reading --------------------------------------------------------------------------------
    def get(self, rdef, ns, name):
        obj = self.store.get(rdef.store_key, ns, name)
        if obj is None:
            raise apierrors.not_found(rdef.resource, rdef.group, name)
        if rdef.crd is not None and obj.get("apiVersion") != rdef.api_version:
            obj["apiVersion"] = rdef.api_version  # conversion strategy None: only apiVersion changes
        return obj

    def _shape(self, rdef, obj, form, rv=None):
        if form == "table":
            return tables.table(rdef, [obj], rv or obj["metadata"].get("resourceVersion"))
        if form == "partial":
            return tables.partial(obj)
        return ordered(obj)

    def selectors(self, req, rdef, field_selector=None):
        try:
            labels = labelselector.parse(req.q("labelSelector") or "")
            fields = labelselector.parse_fields(req.q("fieldSelector") if field_selector is None else field_selector)
        except labelselector.SelectorError as e:
            raise apierrors.bad_request(str(e))
        supported = rdef.field_values({"metadata": {}, "spec": {}, "status": {}})
        for f, _, _ in fields:
            if f not in supported:
                raise apierrors.bad_request(rdef.unsupported_field_message(f))
        return labels, fields

    def matcher(self, rdef, ns, labels, fields):
        def match(obj):
            if obj is None or (ns is not None and obj["metadata"].get("namespace") != ns):
                return False
            return (labelselector.matches(labels, obj["metadata"].get("labels"))
                    and labelselector.fields_match(fields, rdef.field_values(obj)))
        return match

    def wait_for_rv(self, rv):
        """A resourceVersion from the future: wait up to 3 s, then 504 like the watch cache."""
        if rv > self.store.rv and not self.store.wait_for_change(rv - 1, 3.0):
            raise apierrors.timeout("Timeout: Too large resource version: %d, current: %d" % (rv, self.store.rv), 1,
                                    [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}])

    def list(self, req, rdef, ns, form="json"):
        labels, fields = self.selectors(req, rdef)
        rv_s, match, cont, limit = req.q("resourceVersion"), req.q("resourceVersionMatch"), req.q("continue"), \
            req.int_q("limit")
        if match and not rv_s:
            raise apierrors.invalid("ListOptions", "meta.k8s.io", "", [apierrors.FieldError(
                "Forbidden", "resourceVersionMatch", detail="resourceVersionMatch is forbidden unless "
                "resourceVersion is provided")])
        if match and match not in ("NotOlderThan", "Exact"):
            raise apierrors.invalid("ListOptions", "meta.k8s.io", "", [apierrors.not_supported(
                "resourceVersionMatch", match, ["Exact", "NotOlderThan", ""])])
        at_rv, start = None, ""
        if cont:
            if rv_s not in (None, "", "0"):
                raise apierrors.bad_request("specifying resource version is not allowed when using continue")
            at_rv, start = self._decode_continue(cont)
        elif rv_s not in (None, "", "0"):
            try:
                rv = int(rv_s)
            except ValueError:
                raise apierrors.bad_request('resourceVersion: Invalid value: "%s": strconv.ParseUint: parsing %s: '
                                            'invalid syntax' % (rv_s, json.dumps(rv_s)))
            self.wait_for_rv(rv)
            at_rv = rv if match == "Exact" else None
        try:
            items, list_rv = self.store.list(rdef.store_key, ns, at_rv)
        except store.TooOld as e:
            raise apierrors.expired(EXPIRED_CONTINUE if cont else str(e))
        keep = self.matcher(rdef, ns, labels, fields)
        items = [o for o in items if keep(o) and self._key(o) > start]
        next_token, remaining = None, None
        if limit and limit > 0 and len(items) > limit:
            remaining = len(items) - limit
            items = items[:limit]
            next_token = self._encode_continue(list_rv, self._key(items[-1]))
        if form == "table":
            return tables.table(rdef, items, list_rv, req.q("includeObject") or "Metadata", cont=next_token)
        meta = {"resourceVersion": str(list_rv)}
        if next_token:
            meta["continue"] = next_token
            if not labels and not fields:
                meta["remainingItemCount"] = remaining
        if form == "partial":
            return {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                    "items": [tables.partial(o) for o in items]}
        return {"kind": rdef.list_kind, "apiVersion": rdef.api_version, "metadata": meta,
                "items": [ordered(o, with_type=False) for o in items]}

    @staticmethod
    def _key(obj):
        return "%s/%s" % (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])

    @staticmethod
    def _encode_continue(rv, key):
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": key + "\u0000"}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _decode_continue(token):
        try:
            d = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if d.get("v") != "meta.k8s.io/v1" or not isinstance(d.get("rv"), int):
                raise ValueError("continue key is not valid: incorrect encoded start resourceVersion (version "
                                 "meta.k8s.io/v1)")
            return d["rv"], d["start"]
        except ValueError as e:
            raise apierrors.bad_request(str(e) if "continue key" in str(e) else "continue key is not valid: %s" % e)

    # -- writing --------------------------------------------------------------------------------
    def create(self, req, out, rdef, ns):
        mode = decoding.field_validation_mode(req.q("fieldValidation"))
        dry = req.q("dryRun")
        if dry not in (None, "", "All"):
            raise apierrors.bad_request('dryRun: Unsupported value: "%s": supported values: "All"' % dry)
        if rdef.crd is not None:
            obj, warnings = self.app.crds.decode(rdef, req.body, req.headers.get("Content-Type"), mode)
        elif rdef.schema is None:
            obj, warnings = decoding.decode_plain(req.body, req.headers.get("Content-Type"), rdef.api_version,
                                                  rdef.kind), []
        else:
            obj, warnings = decoding.decode(self.app.schemas, req.body, req.headers.get("Content-Type"),
                                            rdef.api_version, rdef.kind, rdef.schema, mode)
        meta = obj.setdefault("metadata", {})
        out.record["name"] = meta.get("name") or None
        if rdef.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise apierrors.bad_request("the namespace of the provided object does not match the namespace "
                                            "sent on the request")
            meta["namespace"] = ns
        if meta.get("resourceVersion"):
            raise apierrors.bad_request("resourceVersion should not be set on objects to be created")
        if rdef.namespaced and self.store.get("namespaces", None, ns) is None:
            raise apierrors.not_found("namespaces", "", ns)
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                  "selfLink", "managedFields"):
            meta.pop(k, None)
        if meta.get("generateName") and not meta.get("name"):
            meta["name"] = defaults.generate_name(meta["generateName"])
        uid = str(uuid.uuid4())
        if rdef is discovery.JOBS:
            defaults.default_job(obj)
            defaults.prepare_job_for_create(obj, uid)
            errs = validation.validate_job(obj)
            defaults.default_job(obj)  # the read-back defaulting copies the generated labels when none were set
        elif rdef is discovery.NAMESPACES:
            meta["uid"] = uid
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
            errs = validation.validate_namespace(obj)
        elif rdef is discovery.SERVICES:
            meta["uid"] = uid
            errs = services.validate_service(obj)
            if not errs:
                services.default_service(obj)
        elif rdef is discovery.CRDS:
            meta["uid"] = uid
            meta["generation"] = 1
            errs = self.app.crds.prepare_create(obj)
        else:
            meta["uid"] = uid
            meta["generation"] = 1
            errs = self.app.crds.prepare_custom_create(rdef, obj)
        if errs:
            raise apierrors.invalid(rdef.kind, rdef.group, meta.get("name", ""), errs)
        if rdef.crd is not None:
            self.app.operators.admit(rdef, obj)  # the operators' admission webhooks, when they run
        meta["creationTimestamp"] = defaults.now_rfc3339()
        out.record["name"] = meta["name"]
        if dry == "All":
            if self.store.get(rdef.store_key, ns, meta["name"]) is not None:
                raise apierrors.already_exists(rdef.resource, rdef.group, meta["name"])
            return out.send_json(201, ordered(obj), warnings=warnings)
        stored = self.store.create(rdef.store_key, obj)
        if stored is None:
            raise apierrors.already_exists(rdef.resource, rdef.group, meta["name"])
        out.send_json(201, ordered(stored), warnings=warnings)

    def _delete_options(self, req):
        opts = {}
        if req.body.strip():
            try:
                opts = json.loads(req.body)
            except ValueError as e:
                raise apierrors.bad_request("couldn't get version/kind; json parse error: %s" % e)
            if not isinstance(opts, dict):
                raise apierrors.bad_request("DeleteOptions must be a JSON object")
        for k in ("propagationPolicy", "gracePeriodSeconds", "orphanDependents", "dryRun"):
            if k in req.query and k not in opts:
                v = req.query[k]
                opts[k] = int(v) if k == "gracePeriodSeconds" else (v in TRUE if k == "orphanDependents" else v)
        pp = opts.get("propagationPolicy")
        if pp is not None and pp not in ("Foreground", "Background", "Orphan"):
            raise apierrors.invalid("DeleteOptions", "meta.k8s.io", "", [apierrors.not_supported(
                "propagationPolicy", pp, ["Foreground", "Background", "Orphan", "nil"])])
        return opts

    def delete(self, req, out, rdef, ns, name):
        opts = self._delete_options(req)
        if rdef is discovery.PODS:
            pod = self.get(rdef, ns, name)
            deletion.check_preconditions(pod, opts.get("preconditions"), "pods", "")
            res = deletion.delete_pod(self.store, ns, name, opts.get("gracePeriodSeconds"), pod["metadata"]["uid"])
            if res is None:
                raise apierrors.not_found("pods", "", name)
            return out.send_json(200, ordered(res))
        warnings = []
        policy = opts.get("propagationPolicy")
        if policy is None and "orphanDependents" in opts:
            policy = "Orphan" if opts["orphanDependents"] else "Background"
        if policy is None and rdef is discovery.JOBS:
            policy = "Orphan"
            warnings.append(ORPHAN_WARNING)
        kind, body = deletion.delete_object(self.store, rdef.resource, rdef.group, ns, name, policy or "Background",
                                            opts.get("preconditions"), key=rdef.store_key)
        code = 202 if kind == "object" and opts.get("orphanDependents") is False else 200
        out.send_json(code, body if kind == "status" else ordered(body), warnings=warnings)

    def delete_collection(self, req, out, rdef, ns):
        opts = self._delete_options(req)
        labels, fields = self.selectors(req, rdef)
        keep = self.matcher(rdef, ns, labels, fields)
        items, rv = self.store.list(rdef.store_key, ns)
        deleted = []
        for o in items:
            if keep(o):
                try:
                    kind, body = deletion.delete_object(
                        self.store, rdef.resource, rdef.group, ns, o["metadata"]["name"],
                        opts.get("propagationPolicy") or ("Orphan" if rdef is discovery.JOBS else "Background"),
                        key=rdef.store_key)
                    deleted.append(ordered(body if kind == "object" else o, with_type=False))
                except apierrors.ApiError:
                    pass
        warnings = [] if opts.get("propagationPolicy") or rdef is not discovery.JOBS else [ORPHAN_WARNING]
        out.send_json(200, {"kind": rdef.list_kind, "apiVersion": rdef.api_version,
                            "metadata": {"resourceVersion": str(self.store.rv)}, "items": deleted}, warnings=warnings)
