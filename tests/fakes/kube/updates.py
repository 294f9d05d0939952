"""PUT (update) and PATCH (merge-patch) of custom resources and their status subresource, as the apiserver
does them for CRDs: resourceVersion preconditions (409 Conflict), the main resource ignoring status
changes and the status subresource ignoring everything but status when the CRD has one, generation
bumped on spec changes, pruning/defaulting/validation like create. Built-in kinds are not updatable
here (405). Runs on the request's thread; the Store serializes the write.
"""

import copy
import json

import apierrors
import decoding

MODIFIED = ("the object has been modified; please apply your changes to the latest version and try again")


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _has_status_sub(rdef):
    return any(s == "status" for s, _ in rdef.subresources)


def handle(api, req, out, rdef, ns, name, sub):
    if rdef.crd is None or sub not in (None, "status"):
        raise apierrors.method_not_allowed()
    mode = decoding.field_validation_mode(req.q("fieldValidation"))
    crds, store = api.app.crds, api.store
    if req.method == "PATCH":
        ctype = (req.headers.get("Content-Type") or "").split(";", 1)[0].strip()
        if ctype != "application/merge-patch+json":
            raise apierrors.ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format "
                                     "- accepted media types include: application/merge-patch+json (this fake "
                                     "patches custom resources with merge patches only)", {})
        try:
            patch = json.loads(req.body or b"{}")
        except ValueError as e:
            raise apierrors.bad_request("error decoding patch: %s" % e)
        current = api.get(rdef, ns, name)
        body = json.dumps(merge_patch(current, patch)).encode()
        unconditional = "resourceVersion" not in (patch.get("metadata") or {})
    else:
        body, unconditional = req.body, False
    new, warnings = crds.decode(rdef, body, "application/json", mode)
    meta = new["metadata"]
    out.record["name"] = name
    if meta.get("name") not in (None, name):
        raise apierrors.bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                    % (meta.get("name"), name))
    if rdef.namespaced and meta.get("namespace") not in (None, ns):
        raise apierrors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                    "the request")
    rv = meta.get("resourceVersion")
    if not rv and not unconditional:
        raise apierrors.invalid(rdef.kind, rdef.group, name, [apierrors.FieldError(
            "Invalid", "metadata.resourceVersion", 0, "must be specified for an update")])
    result = {}

    def apply(cur):
        if rv and cur["metadata"].get("resourceVersion") != rv:
            raise apierrors.conflict(rdef.resource, rdef.group, name, MODIFIED)
        obj = copy.deepcopy(cur)
        if sub == "status":
            if "status" in new:
                obj["status"] = new["status"]
            else:
                obj.pop("status", None)
        else:
            for k in [k for k in obj if k not in ("metadata", "apiVersion", "kind", "status")]:
                del obj[k]
            obj.update({k: v for k, v in new.items() if k not in ("metadata", "status", "apiVersion", "kind")})
            if not _has_status_sub(rdef):
                obj["status"] = new.get("status")
                if obj["status"] is None:
                    del obj["status"]
            m = obj["metadata"]
            for k in ("labels", "annotations", "ownerReferences", "finalizers"):
                if meta.get(k) is not None:
                    m[k] = meta[k]
                else:
                    m.pop(k, None)
            if any(obj.get(k) != cur.get(k) for k in obj if k not in ("metadata", "status", "apiVersion", "kind")):
                m["generation"] = m.get("generation", 1) + 1
        errs = crds.validate_update(rdef, obj)
        if errs:
            raise apierrors.invalid(rdef.kind, rdef.group, name, errs)
        result["obj"] = obj
        return obj
    with store.lock:
        if store.get(rdef.store_key, ns, name) is None:
            raise apierrors.not_found(rdef.resource, rdef.group, name)
        stored = store.mutate(rdef.store_key, ns, name, apply)
    import api as api_mod  # circular: only at call time
    out.send_json(200, api_mod.ordered(stored), warnings=warnings)
