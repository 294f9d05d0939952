"""metav1.Status error bodies and field.Error messages, shaped as kube-apiserver 1.32 renders them.

ApiError carries an HTTP code plus the Status object; FieldError renders the
"<path>: <Type>: <value>: <detail>" text used in 422 Invalid messages and causes.
Values only: safe to share between threads.
"""

import json

# field.ErrorType -> (StatusCause.reason, text printed in messages)
_FIELD_TYPES = {
    "NotFound": ("FieldValueNotFound", "Not found"),
    "Required": ("FieldValueRequired", "Required value"),
    "Duplicate": ("FieldValueDuplicate", "Duplicate value"),
    "Invalid": ("FieldValueInvalid", "Invalid value"),
    "TypeInvalid": ("FieldValueTypeInvalid", "Invalid value"),
    "NotSupported": ("FieldValueNotSupported", "Unsupported value"),
    "Forbidden": ("FieldValueForbidden", "Forbidden"),
    "TooLong": ("FieldValueTooLong", "Too long"),
    "TooMany": ("FieldValueTooMany", "Too many"),
    "Internal": ("InternalError", "Internal error"),
}
# These types never print the offending value.
_NO_VALUE = {"Required", "Forbidden", "TooLong", "Internal"}


def go_quote(s):
    """Go's %q for the strings we meet (ASCII-printable plus JSON-style escapes)."""
    return json.dumps(s, ensure_ascii=False)


def go_value(v):
    """How field.Error prints a bad value: %v for scalars, %q for strings, %#v-ish for maps."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, dict):
        inner = ", ".join("%s:%s" % (go_quote(k), go_quote(str(v[k]))) for k in sorted(v))
        return "map[string]string{%s}" % inner
    if isinstance(v, list):
        return "[]string{%s}" % ", ".join(go_quote(str(x)) for x in v)
    return str(v)


class FieldError:
    """One field.Error: kind is a key of _FIELD_TYPES, field a dotted path like spec.template.spec.restartPolicy."""

    def __init__(self, kind, field, value=None, detail=""):
        assert kind in _FIELD_TYPES, kind
        self.kind, self.field, self.value, self.detail = kind, field, value, detail

    @property
    def reason(self):
        return _FIELD_TYPES[self.kind][0]

    def body(self):
        text = _FIELD_TYPES[self.kind][1]
        if self.kind not in _NO_VALUE:
            text += ": " + go_value(self.value)
        if self.detail:
            text += ": " + self.detail
        return text

    def __str__(self):
        return "%s: %s" % (self.field, self.body())

    def cause(self):
        return {"reason": self.reason, "message": self.body(), "field": self.field}


def not_supported(field, value, supported):
    return FieldError("NotSupported", field, value,
                      "supported values: " + ", ".join(go_quote(s) for s in supported))


class ApiError(Exception):
    """An error answer: HTTP code + metav1.Status body (+ extra response headers)."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.headers = details, headers or {}

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message}
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _qualified(resource, group):
    return "%s.%s" % (resource, group) if group else resource


def _details(name, group, kind, **extra):
    d = {"name": name}
    if group:
        d["group"] = group
    d["kind"] = kind
    d.update(extra)
    return d


def not_found(resource, group, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (_qualified(resource, group), name),
                    _details(name, group, resource))


def already_exists(resource, group, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (_qualified(resource, group), name),
                    _details(name, group, resource))


def conflict(resource, group, name, why):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                    % (_qualified(resource, group), name, why), _details(name, group, resource))


def aggregate(errors):
    """utilerrors.NewAggregate over field.ErrorList.ToAggregate(): de-duplicated, bracketed if >1."""
    seen, msgs = set(), []
    for e in errors:
        s = str(e)
        if s not in seen:
            seen.add(s)
            msgs.append(s)
    return msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"


def invalid(kind, group, name, errors):
    """422 Invalid: details.kind is the Kind (not the resource), causes are not de-duplicated."""
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (_qualified(kind, group), name, aggregate(errors)),
                    _details(name, group, kind, causes=[e.cause() for e in errors]))


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed():
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def not_acceptable(message):
    return ApiError(406, "NotAcceptable", message, {})


def unsupported_media_type(content_type):
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: "
                    "application/json (this fake does not decode %s)" % content_type, {})


def not_found_path():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def expired(message):
    return ApiError(410, "Expired", message)


def too_many_requests(retry_after=1):
    return ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                    {"retryAfterSeconds": retry_after}, {"Retry-After": str(retry_after)})


def internal_error(why):
    return ApiError(500, "InternalError", "Internal error occurred: %s" % why, {"causes": [{"message": why}]})


def service_unavailable(why):
    return ApiError(503, "ServiceUnavailable", why)


def timeout(message, retry_after=None, causes=None):
    details = {}
    if causes:
        details["causes"] = causes
    if retry_after:
        details["retryAfterSeconds"] = retry_after
    return ApiError(504, "Timeout", message, details or None)


def success_status(name, group, kind, uid):
    """What a DELETE that removed the object at once answers (registry finalizeDelete)."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": _details(name, group, kind, uid=uid)}
