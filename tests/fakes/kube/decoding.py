"""Request-body decoding as the apiserver's JSON decoder does it, checked against the real OpenAPI v3 schemas.

Reports unknown and duplicate fields by full path (spec.template.spec.containers[0].cmmand) for
fieldValidation=Strict|Warn|Ignore, rejects JSON type mismatches and malformed quantities with
400 BadRequest, and drops unknown fields from the decoded object. Also serves the raw OpenAPI
documents for /openapi/v3. Schemas are read once at start; afterwards read-only and thread-safe.
"""

import hashlib
import json
import os

import apierrors
import validation

OPENAPI_FILES = {"api/v1": "api__v1_openapi.json", "apis/batch/v1": "apis__batch__v1_openapi.json"}


class _DupDict(dict):
    """A JSON object that remembers keys it saw more than once."""

    def __init__(self, pairs):
        super().__init__()
        self.dups = []
        for k, v in pairs:
            if k in self:
                self.dups.append(k)
            self[k] = v


class Schemas:
    def __init__(self, openapi_dir):
        self.raw, self.hashes, self.schemas = {}, {}, {}
        for key, fname in OPENAPI_FILES.items():
            with open(os.path.join(openapi_dir, fname), "rb") as f:
                data = f.read()
            self.raw[key] = data
            self.hashes[key] = hashlib.sha512(data).hexdigest().upper()[:128]
            self.schemas.update(json.loads(data)["components"]["schemas"])

    def resolve(self, node):
        """Follow $ref / allOf:[{$ref}] to (schema name or None, schema dict)."""
        name = None
        while True:
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                node = self.schemas[name]
            elif "allOf" in node and len(node["allOf"]) == 1:
                node = node["allOf"][0]
            else:
                return name, node


class _Walk:
    def __init__(self, schemas, kind):
        self.schemas, self.kind = schemas, kind
        self.unknown, self.dups = [], []

    def type_error(self, value, struct, path, gotype):
        if isinstance(value, bool):
            jt = "bool"
        elif isinstance(value, (int, float)):
            jt = "number" if isinstance(value, int) else "number %s" % value
        elif isinstance(value, str):
            jt = "string"
        elif isinstance(value, list):
            jt = "array"
        else:
            jt = "object"
        return "json: cannot unmarshal %s into Go struct field %s.%s of type %s" % (jt, struct, path, gotype)

    def go_type(self, name, node):
        if name:
            return "v1." + name.rsplit(".", 1)[-1] if ".api." in name else name.rsplit(".", 1)[-1]
        t = node.get("type")
        if t == "integer":
            return node.get("format", "int")
        if t == "boolean":
            return "bool"
        if t == "array":
            iname, inode = self.schemas.resolve(node.get("items", {}))
            return "[]" + self.go_type(iname, inode)
        if t == "object":
            return "map[string]string"
        return t or "interface {}"

    def walk(self, node, value, path, struct):
        """Returns the decoded value (unknown fields dropped) or raises ValueError(message)."""
        name, node = self.schemas.resolve(node)
        if value is None:
            return None
        if name and name.endswith("resource.Quantity"):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ValueError(self.type_error(value, struct, path, "resource.Quantity"))
            try:
                validation.parse_quantity(value)
            except validation.QuantityError as e:
                raise ValueError(str(e))
            return value if isinstance(value, str) else str(value)
        if node.get("format") == "int-or-string":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ValueError(self.type_error(value, struct, path, "intstr.IntOrString"))
            return value
        t = node.get("type")
        props = node.get("properties")
        gotype = self.go_type(name, node)
        if props is not None or (t == "object" and "additionalProperties" in node):
            if not isinstance(value, dict):
                raise ValueError(self.type_error(value, struct, path, gotype))
            for k in getattr(value, "dups", []):
                self.dups.append(self._join(path, k))
            out = {}
            if props is not None:
                child_struct = name.rsplit(".", 1)[-1] if name else struct
                for k, v in value.items():
                    if k not in props:
                        self.unknown.append(self._join(path, k))
                        continue
                    dv = self.walk(props[k], v, self._join(path, k), child_struct)
                    if dv is not None:
                        out[k] = dv
            else:
                for k, v in value.items():
                    dv = self.walk(node["additionalProperties"], v, "%s[%s]" % (path, k), struct)
                    out[k] = "" if dv is None and node["additionalProperties"].get("type") == "string" else dv
            return out
        if t == "array":
            if not isinstance(value, list):
                raise ValueError(self.type_error(value, struct, path, gotype))
            return [self.walk(node.get("items", {}), v, "%s[%d]" % (path, i), struct) for i, v in enumerate(value)]
        if t == "string" and not isinstance(value, str):
            raise ValueError(self.type_error(value, struct, path, gotype))
        if t == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(self.type_error(value, struct, path, gotype))
        if t == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(self.type_error(value, struct, path, gotype))
        if t == "boolean" and not isinstance(value, bool):
            raise ValueError(self.type_error(value, struct, path, gotype))
        return value

    @staticmethod
    def _join(path, key):
        return key if not path else path + "." + key


FIELD_VALIDATION = ("Ignore", "Warn", "Strict")


def field_validation_mode(query_value):
    if query_value in (None, ""):
        return "Warn"
    if query_value not in FIELD_VALIDATION:
        raise apierrors.bad_request('fieldValidation: Unsupported value: "%s": supported values: "Ignore", '
                                    '"Strict", "Warn"' % query_value)
    return query_value


def decode_plain(raw, content_type, api_version, kind):
    """A JSON object body without a built-in schema (CRDs, custom resources); apiVersion/kind checked."""
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if media not in ("application/json", "*/*"):
        raise apierrors.unsupported_media_type(media)
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise apierrors.bad_request("couldn't get version/kind; json parse error: %s" % e)
    if not isinstance(obj, dict):
        raise apierrors.bad_request("couldn't get version/kind; json parse error: json: cannot unmarshal %s into "
                                    "Go value of type struct" % type(obj).__name__)
    if obj.get("apiVersion") not in (None, "", api_version):
        raise apierrors.bad_request("the API version in the data (%s) does not match the expected API version "
                                    "(%s)" % (obj.get("apiVersion"), api_version))
    if obj.get("kind") not in (None, "", kind):
        raise apierrors.bad_request('%s in version "%s" cannot be handled as a %s: no kind "%s" is registered '
                                    'for version "%s"' % (kind, api_version.rsplit("/", 1)[-1], kind,
                                                          obj.get("kind"), api_version))
    obj["apiVersion"], obj["kind"] = api_version, kind
    obj.setdefault("metadata", {})
    if not isinstance(obj["metadata"], dict):
        raise apierrors.bad_request("%s in version \"%s\" cannot be handled as a %s: metadata must be an object"
                                    % (kind, api_version.rsplit("/", 1)[-1], kind))
    return obj


def decode(schemas, raw, content_type, api_version, kind, schema_name, mode):
    """Decode a POST body for kind; returns (object, warnings) or raises ApiError 400/415."""
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if media not in ("application/json", "*/*"):
        raise apierrors.unsupported_media_type(media)
    version = api_version.rsplit("/", 1)[-1]
    prefix = '%s in version "%s" cannot be handled as a %s: ' % (kind, version, kind)
    try:
        obj = json.loads(raw.decode("utf-8"), object_pairs_hook=_DupDict)
    except (UnicodeDecodeError, ValueError) as e:
        raise apierrors.bad_request("couldn't get version/kind; json parse error: %s" % e)
    if not isinstance(obj, dict):
        raise apierrors.bad_request("couldn't get version/kind; json parse error: json: cannot unmarshal %s "
                                    "into Go value of type struct { APIVersion string \"json:\\\"apiVersion,"
                                    "omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }"
                                    % type(obj).__name__)
    if obj.get("apiVersion") not in (None, "", api_version):
        raise apierrors.bad_request("the API version in the data (%s) does not match the expected API version "
                                    "(%s)" % (obj.get("apiVersion"), api_version))
    if obj.get("kind") not in (None, "", kind):
        raise apierrors.bad_request(prefix + 'no kind "%s" is registered for version "%s" in scheme '
                                    '"pkg/api/legacyscheme/scheme.go:30"' % (obj.get("kind"), api_version))
    w = _Walk(schemas, kind)
    try:
        out = w.walk({"$ref": "#/components/schemas/" + schema_name}, obj, "", kind)
    except ValueError as e:
        raise apierrors.bad_request(prefix + str(e))
    problems = ['unknown field "%s"' % p for p in w.unknown] + ['duplicate field "%s"' % p for p in w.dups]
    if problems and mode == "Strict":
        raise apierrors.bad_request(prefix + "strict decoding error: " + ", ".join(problems))
    out["apiVersion"], out["kind"] = api_version, kind
    return out, (problems if mode == "Warn" else [])
