"""Structural OpenAPI v3 schemas of CustomResourceDefinitions, applied as apiextensions-apiserver does:
pruning of unknown fields (and of nulls where not nullable), defaulting, and validation with field paths.

Supports type, properties, additionalProperties, items, required, enum, nullable, minimum/maximum
(exclusive too), minLength/maxLength, pattern, minItems/maxItems, minProperties/maxProperties,
x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string, x-kubernetes-embedded-resource and
x-kubernetes-list-type set/map uniqueness. Not evaluated: x-kubernetes-validations (CEL rules), format.
Paths: properties and map keys joined with ".", list items as "[i]". Pure functions: thread-safe.
"""

import re

from apierrors import FieldError
from store import jcopy

_META_FIELDS = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                "finalizers", "managedFields", "selfLink")


def _join(path, key):
    return key if not path else "%s.%s" % (path, key)


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "integer" if v == int(v) else "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


# ---- pruning --------------------------------------------------------------------------------------

def prune(schema, value, unknown, path="", root=False):
    """Return value without the fields the schema does not know; their paths are appended to unknown."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        props = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        embedded = root or schema.get("x-kubernetes-embedded-resource") is True
        out = {}
        for k, v in value.items():
            p = _join(path, k)
            if embedded and k in ("apiVersion", "kind"):
                out[k] = v
            elif embedded and k == "metadata" and isinstance(v, dict):
                out[k] = {mk: mv for mk, mv in v.items() if mk in _META_FIELDS}
                unknown += [_join(p, mk) for mk in v if mk not in _META_FIELDS]
            elif v is None and not (props.get(k) or {}).get("nullable") and (k in props or isinstance(addl, dict)):
                continue  # nulls where the schema does not allow them are dropped, like unknown fields
            elif k in props:
                out[k] = prune(props[k], v, unknown, p)
            elif isinstance(addl, dict):
                out[k] = prune(addl, v, unknown, p)
            elif preserve or addl is True:
                out[k] = v
            else:
                unknown.append(p)
        return out
    if isinstance(value, list):
        return [prune(schema.get("items") or {}, v, unknown, "%s[%d]" % (path, i)) for i, v in enumerate(value)]
    return value


# ---- defaulting -----------------------------------------------------------------------------------

def apply_defaults(schema, value):
    """Fill in `default`s of absent properties, recursively (in place; returns value)."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        for k, sub in (schema.get("properties") or {}).items():
            if k not in value and isinstance(sub, dict) and "default" in sub:
                value[k] = jcopy(sub["default"])
            if k in value:
                apply_defaults(sub, value[k])
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict):
            for k in value:
                apply_defaults(addl, value[k])
    elif isinstance(value, list):
        for v in value:
            apply_defaults(schema.get("items") or {}, v)
    return value


# ---- validation -----------------------------------------------------------------------------------

def _go(v):
    """How go-openapi prints a value in its messages."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def validate(schema, value, path=""):
    """Field errors of value against schema, as the apiserver reports them for custom resources."""
    errs = []
    _validate(schema, value, path, errs)
    return errs


def _number_ok(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _validate(schema, value, path, errs):
    if not isinstance(schema, dict):
        return
    if value is None:
        if not schema.get("nullable") and schema.get("type") and not schema.get("x-kubernetes-preserve-unknown-fields"):
            errs.append(FieldError("TypeInvalid", path, "null", "%s in body must be of type %s: \"null\""
                                   % (path, schema["type"])))
        return
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            errs.append(FieldError("TypeInvalid", path, json_type(value), "%s in body must be of type integer,string: "
                                   "\"%s\"" % (path, json_type(value))))
            return
    t = schema.get("type")
    have = json_type(value)
    if t and not (t == have or (t == "number" and have == "integer")):
        errs.append(FieldError("TypeInvalid", path, have, "%s in body must be of type %s: \"%s\"" % (path, t, have)))
        return
    if "enum" in schema and value not in schema["enum"]:
        err = FieldError("NotSupported", path, value, "supported values: " + ", ".join(
            '"%s"' % _go(e) for e in schema["enum"]))
        errs.append(err)
    if _number_ok(value):
        mn, mx = schema.get("minimum"), schema.get("maximum")
        if mn is not None and (value < mn or (schema.get("exclusiveMinimum") and value == mn)):
            errs.append(FieldError("Invalid", path, value, "%s in body should be greater than %s%s"
                                   % (path, "" if schema.get("exclusiveMinimum") else "or equal to ", _go(mn))))
        if mx is not None and (value > mx or (schema.get("exclusiveMaximum") and value == mx)):
            errs.append(FieldError("Invalid", path, value, "%s in body should be less than %s%s"
                                   % (path, "" if schema.get("exclusiveMaximum") else "or equal to ", _go(mx))))
    if isinstance(value, str):
        if schema.get("maxLength") is not None and len(value) > schema["maxLength"]:
            errs.append(FieldError("TooLong", path, value, "may not be more than %d bytes" % schema["maxLength"]))
        if schema.get("minLength") is not None and len(value) < schema["minLength"]:
            errs.append(FieldError("Invalid", path, value, "%s in body should be at least %d chars long"
                                   % (path, schema["minLength"])))
        if schema.get("pattern") and not re.search(schema["pattern"], value):
            errs.append(FieldError("Invalid", path, value, "%s in body should match '%s'" % (path, schema["pattern"])))
    if isinstance(value, list):
        if schema.get("maxItems") is not None and len(value) > schema["maxItems"]:
            errs.append(FieldError("TooMany", path, len(value), "must have at most %d items" % schema["maxItems"]))
        if schema.get("minItems") is not None and len(value) < schema["minItems"]:
            errs.append(FieldError("Invalid", path, len(value), "%s in body should have at least %d items"
                                   % (path, schema["minItems"])))
        _validate_list_type(schema, value, path, errs)
        for i, v in enumerate(value):
            _validate(schema.get("items") or {}, v, "%s[%d]" % (path, i), errs)
    if isinstance(value, dict):
        if schema.get("maxProperties") is not None and len(value) > schema["maxProperties"]:
            errs.append(FieldError("TooMany", path, len(value), "must have at most %d items" % schema["maxProperties"]))
        if schema.get("minProperties") is not None and len(value) < schema["minProperties"]:
            errs.append(FieldError("Invalid", path, len(value), "%s in body should have at least %d properties"
                                   % (path, schema["minProperties"])))
        for r in schema.get("required") or []:
            if r not in value:
                errs.append(FieldError("Required", _join(path, r)))
        props = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                _validate(props[k], v, _join(path, k), errs)
            elif isinstance(addl, dict):
                _validate(addl, v, _join(path, k), errs)


def _validate_list_type(schema, value, path, errs):
    lt = schema.get("x-kubernetes-list-type")
    if lt == "set":
        seen = []
        for i, v in enumerate(value):
            if v in seen:
                errs.append(FieldError("Duplicate", "%s[%d]" % (path, i), v))
            seen.append(v)
    elif lt == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen = []
        for i, v in enumerate(value):
            if not isinstance(v, dict):
                continue
            k = {key: v.get(key) for key in keys}
            if k in seen:
                errs.append(FieldError("Duplicate", "%s[%d]" % (path, i), "map[%s]" % " ".join(
                    "%s:%s" % (key, _go(k[key])) for key in keys)))
            seen.append(k)
