"""The OpenAPI v3 document a 1.32 apiserver publishes for a CRD group/version (/openapi/v3/apis/<g>/<v>):
each served Kind's schema as components.schemas["<reversed group>.<version>.<Kind>"] (and its List),
metadata as a reference to ObjectMeta, x-kubernetes-group-version-kind, the apimachinery meta types
they use, and the REST paths with their operations and query parameters (kubectl reads the PATCH
operation's fieldValidation parameter to choose server-side field validation).
Pure functions over the Registry and the built-in schemas, plus a lock-guarded cache: thread-safe.
"""

import copy
import hashlib
import json
import threading

META = "io.k8s.apimachinery.pkg.apis.meta.v1."


def friendly(group, version, kind):
    """util.ToRESTFriendlyName: kubeflow.org/v1/TFJob -> org.kubeflow.v1.TFJob."""
    return ".".join(list(reversed(group.split("."))) + [version, kind])


def _param(name, description, where="query", schema=None, required=False):
    p = {"description": description, "in": where, "name": name, "schema": schema or {"type": "string",
                                                                                      "uniqueItems": True}}
    if required:
        p["required"] = True
    return p


_WRITE_PARAMS = [
    _param("dryRun", "When present, indicates that modifications should not be persisted."),
    _param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these "
                           "changes."),
    _param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request "
                              "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, "
                              "Warn (the default), Strict."),
]
_LIST_PARAMS = [_param(n, n) for n in ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
                                       "resourceVersion", "resourceVersionMatch", "sendInitialEvents",
                                       "timeoutSeconds", "watch")]


def _op(op_id, description, ref, params=(), body=False, patch=False):
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/" + ref}}}
    op = {"description": description, "operationId": op_id, "parameters": list(params),
          "responses": {"200": {"description": "OK", "content": content}}}
    if body:
        types = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"] \
            if patch else ["application/json"]
        schema = {"$ref": "#/components/schemas/" + META + "Patch"} if patch else content["application/json"]["schema"]
        op["requestBody"] = {"content": {t: {"schema": schema} for t in types}, "required": True}
    return op


def document(rdefs, builtin_schemas):
    """The document for the rdefs of one group/version (custom resources), or None if there are none."""
    if not rdefs:
        return None
    schemas, paths = {}, {}
    for r in rdefs:
        name = friendly(r.group, r.version, r.kind)
        gvk = [{"group": r.group, "kind": r.kind, "version": r.version}]
        schema = {}
        for v in r.crd["spec"]["versions"]:
            if v["name"] == r.version:
                schema = copy.deepcopy((v.get("schema") or {}).get("openAPIV3Schema") or {})
        props = schema.setdefault("properties", {})
        props["metadata"] = {"allOf": [{"$ref": "#/components/schemas/" + META + "ObjectMeta"}], "default": {},
                             "description": "Standard object's metadata."}
        schema["x-kubernetes-group-version-kind"] = gvk
        schemas[name] = schema
        schemas[name + "List"] = {
            "description": "%s is a list of %s" % (r.list_kind, r.kind), "type": "object", "required": ["items"],
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "items": {"type": "array", "items": {"$ref": "#/components/schemas/" + name}},
                           "metadata": {"allOf": [{"$ref": "#/components/schemas/" + META + "ListMeta"}]}},
            "x-kubernetes-group-version-kind": [dict(gvk[0], kind=r.list_kind)]}
        base = "/apis/%s/%s" % (r.group, r.version)
        coll = base + ("/namespaces/{namespace}/" if r.namespaced else "/") + r.resource
        op = r.kind
        ns_param = [_param("namespace", "object name and auth scope", "path", required=True)] if r.namespaced else []
        name_param = [_param("name", "name of the %s" % r.kind, "path", required=True)]
        paths[coll] = {"parameters": ns_param,
                       "get": _op("list" + op, "list objects of kind " + r.kind, name + "List", _LIST_PARAMS),
                       "post": _op("create" + op, "create a " + r.kind, name, _WRITE_PARAMS, body=True),
                       "delete": _op("deletecollection" + op, "delete collection of " + r.kind, META + "Status",
                                     _LIST_PARAMS)}
        item = {"parameters": ns_param + name_param,
                "get": _op("read" + op, "read the specified " + r.kind, name),
                "put": _op("replace" + op, "replace the specified " + r.kind, name, _WRITE_PARAMS, body=True),
                "patch": _op("patch" + op, "partially update the specified " + r.kind, name, _WRITE_PARAMS,
                             body=True, patch=True),
                "delete": _op("delete" + op, "delete a " + r.kind, META + "Status",
                              [_param("gracePeriodSeconds", ""), _param("propagationPolicy", "")])}
        paths[coll + "/{name}"] = item
        if any(s == "status" for s, _ in r.subresources):
            paths[coll + "/{name}/status"] = {k: (dict(v, operationId=v["operationId"] + "Status")
                                                  if isinstance(v, dict) else v)
                                              for k, v in item.items() if k in ("parameters", "get", "put", "patch")}
        if r.namespaced:
            paths[base + "/" + r.resource] = {"get": _op("list" + op + "ForAllNamespaces",
                                                         "list objects of kind " + r.kind, name + "List",
                                                         _LIST_PARAMS)}
        actions = {"get": "get", "post": "post", "put": "put", "patch": "patch", "delete": "delete"}
        for path, ops in paths.items():
            if not path.startswith(base + "/") or not path.split("/{name}")[0].endswith("/" + r.resource):
                continue
            for verb, o in ops.items():
                if verb == "parameters":
                    continue
                action = actions[verb]
                if "{name}" not in path:
                    action = {"get": "list", "delete": "deletecollection"}.get(verb, action)
                o["x-kubernetes-action"] = action
                o["x-kubernetes-group-version-kind"] = dict(gvk[0])
    for k, v in builtin_schemas.items():
        if k.startswith(META):
            schemas[k] = v
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"}, "paths": paths,
            "components": {"schemas": schemas}}


_cache = {}
_lock = threading.Lock()


def encoded(rdefs, builtin_schemas):
    """(JSON bytes, hash) of document(), cached per set of CRD versions (uid + resourceVersion)."""
    key = tuple(sorted((r.crd["metadata"]["uid"], r.crd["metadata"].get("resourceVersion"), r.version, r.resource)
                       for r in rdefs))
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        data = json.dumps(document(rdefs, builtin_schemas), separators=(",", ":"), sort_keys=True).encode()
        hit = (data, hashlib.sha512(data).hexdigest().upper()[:128])
        with _lock:
            _cache[key] = hit
    return hit
