"""MLflow's REST wire format: error values, request-field coercion and JSON encoding.

MLflow parses each request into a proto2 message (JSON field names in snake_case) and answers
with protobuf JSON in which int64 fields are plain numbers and non-finite doubles are the
strings "NaN", "Infinity" and "-Infinity". Everything here is pure and thread-safe.
"""
import json
import math

# error_code -> HTTP status, as mlflow/exceptions.py maps them.
HTTP_STATUS = {
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "BAD_REQUEST": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "TEMPORARILY_UNAVAILABLE": 503,
}

_DOCS_HINT = " See the API docs for more information about request parameters."


class MlflowError(Exception):
    """An API error: serialized as {"error_code": ..., "message": ...} with MLflow's status."""

    def __init__(self, message, error_code="INVALID_PARAMETER_VALUE"):
        super().__init__(message)
        self.message = message
        self.error_code = error_code

    @property
    def http_status(self):
        return HTTP_STATUS.get(self.error_code, 500)

    def body(self):
        return {"error_code": self.error_code, "message": self.message}


def invalid(message):
    return MlflowError(message, "INVALID_PARAMETER_VALUE")


def not_found(message):
    return MlflowError(message, "RESOURCE_DOES_NOT_EXIST")


def already_exists(message):
    return MlflowError(message, "RESOURCE_ALREADY_EXISTS")


def show(value):
    """A value as MLflow quotes it in messages (compact JSON)."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def bad_value(path, value, why=None):
    if why:
        return invalid(f"Invalid value {show(value)} for parameter '{path}' supplied: {why}")
    return invalid(f"Invalid value {show(value)} for parameter '{path}' supplied.")


def missing(path):
    return invalid(f"Missing value for required parameter '{path}'.{_DOCS_HINT}")


def _type_hint(path, value):
    return invalid(f"Invalid value {show(value)} for parameter '{path}' supplied: "
                   f" Hint: Value was of type '{type(value).__name__}'.{_DOCS_HINT}")


# ---- request fields ---------------------------------------------------------------------------
# Absent and empty-string fields are "missing", as MLflow's _assert_required treats them.

def string(req, name, required=False, path=None):
    path = path or name
    value = req.get(name)
    if value is None or value == "":
        if required:
            raise missing(path)
        return None if value is None else ""
    if not isinstance(value, str):
        raise _type_hint(path, value)
    return value


def integer(req, name, required=False, path=None):
    """An int64 field: a JSON integer, an integral float, or a decimal string (protobuf JSON)."""
    path = path or name
    value = req.get(name)
    if value is None or value == "":
        if required:
            raise missing(path)
        return None
    return to_int(value, path)


def to_int(value, path):
    if isinstance(value, bool):
        raise _type_hint(path, value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise bad_value(path, value, f"Couldn't parse integer: {value}")


def to_double(value, path):
    """A double field: a JSON number or one of the strings protobuf JSON uses for non-finite values.

    Like protobuf's JSON parser, a bare NaN/Infinity literal (not valid JSON) is refused.
    """
    if isinstance(value, bool):
        raise _type_hint(path, value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            raise bad_value(path, "NaN", "Couldn't parse NaN, use quoted \"NaN\" instead")
        if isinstance(value, float) and math.isinf(value):
            raise bad_value(path, str(value), "Couldn't parse Infinity or value too large, "
                            "use quoted \"Infinity\" instead")
        return float(value)
    if isinstance(value, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if value in special:
            return special[value]
        try:
            parsed = float(value)
        except ValueError:
            parsed = None
        if parsed is not None and math.isfinite(parsed):
            return parsed
    raise bad_value(path, value, f"Couldn't parse float: {value}. Please specify value as a "
                    "valid double (64-bit floating point)")


def array(req, name, path=None):
    path = path or name
    value = req.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _type_hint(path, value)
    return value


def enum(req, name, names, default=None):
    """A proto enum field given by name ("FINISHED") or by number (3); names[i] has number i+1."""
    value = req.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value in names:
        return value
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    if number is not None and 1 <= number <= len(names):
        return names[number - 1]
    raise bad_value(name, value, f"Invalid enum value; expected one of {list(names)}.")


def key_values(req, name, value_required=False):
    """A repeated {key, value} message field (tags, params) as a list of (key, value)."""
    pairs = []
    for i, item in enumerate(array(req, name)):
        path = f"{name}[{i}]"
        if not isinstance(item, dict):
            raise _type_hint(path, item)
        key = string(item, "key", required=True, path=f"{path}.key")
        value = string(item, "value", required=value_required, path=f"{path}.value")
        pairs.append((key, "" if value is None else value))
    return pairs


# ---- responses --------------------------------------------------------------------------------

def double_json(value):
    """A double as protobuf JSON writes it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def dumps(obj):
    """Compact JSON that never contains bare NaN/Infinity (callers encode doubles first)."""
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))
