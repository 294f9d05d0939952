"""MLflow's server-side limits and name/value checks, with MLflow's error messages.

Limits are those of current MLflow (mlflow/utils/validation.py): keys up to 250 characters,
param values up to 6000, run tag values up to 8000, experiment tag values up to 5000; a
log-batch call carries at most 1000 metrics, 100 params, 100 tags and 1000 items in all.
Lengths count Unicode code points, as Python's len() does. Pure functions, thread-safe.
"""
import math
import posixpath
import re

from wire import bad_value, invalid

MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_KEY_LENGTH = 250
MAX_EXPERIMENT_TAG_VAL_LENGTH = 5000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_ENTITIES_PER_BATCH = 1000
SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000

# Metric, param and tag names (POSIX servers): slashes, word characters, '.', '-', ' ', ':'.
_NAME = re.compile(r"^[/\w.\- :]*$")
_BAD_CHARACTERS = ("Names may only contain alphanumerics, underscores (_), dashes (-), periods (.),"
                   " spaces ( ), colon(:) and slashes (/).")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")


def join_path(prefix, field):
    return f"{prefix}.{field}" if prefix else field


def check_name(name, path):
    """A metric, param or tag key: allowed characters, and no path that normalizes elsewhere."""
    if not _NAME.match(name):
        raise bad_value(path, name, _BAD_CHARACTERS)
    norm = posixpath.normpath(name)
    if norm != name or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise bad_value(path, name, "Names may be treated as files in certain cases, and must not "
                        f"resolve to other names when treated as such. This name would resolve "
                        f"to {norm!r}")


def check_length(label, limit, value, truncate=False):
    """Returns the value, truncated when allowed (MLflow's MLFLOW_TRUNCATE_LONG_VALUES)."""
    if len(value) <= limit:
        return value
    if truncate:
        return value[:limit]
    raise invalid(f"'{label}' exceeds the maximum length of {limit} characters")


def check_metric(key, value, timestamp, step, prefix=""):
    check_name(key, join_path(prefix, "name"))
    if timestamp < 0:
        raise bad_value(join_path(prefix, "timestamp"), timestamp,
                        f"metric '{key}' (value={value}). Timestamp must be a nonnegative long "
                        "(64-bit integer) ")
    check_length("Metric name", MAX_ENTITY_KEY_LENGTH, key)


def check_param(key, value, prefix="", truncate=False):
    check_name(key, join_path(prefix, "key"))
    check_length("Param key", MAX_ENTITY_KEY_LENGTH, key)
    return check_length("Param value", MAX_PARAM_VAL_LENGTH, value, truncate)


def check_tag(key, value, prefix="", truncate=False):
    check_name(key, join_path(prefix, "key"))
    check_length(join_path(prefix, "key"), MAX_ENTITY_KEY_LENGTH, key)
    return check_length(join_path(prefix, "value"), MAX_TAG_VAL_LENGTH, value, truncate)


def check_experiment_tag(key, value):
    check_name(key, "key")
    check_length("key", MAX_EXPERIMENT_TAG_KEY_LENGTH, key)
    check_length("value", MAX_EXPERIMENT_TAG_VAL_LENGTH, value)


def check_experiment_name(name):
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise invalid(f"Experiment name exceeds the maximum length of "
                      f"{MAX_EXPERIMENT_NAME_LENGTH} characters")


def check_artifact_location(location):
    if location.startswith("runs:"):
        raise invalid(f"Artifact location cannot be a runs:/ URI. Given: '{location}'")


def check_run_id(run_id):
    if not _RUN_ID.match(run_id):
        raise bad_value("run_id", run_id)


def _batch_limit(entity, limit, count):
    if count > limit:
        raise invalid(f"A batch logging request can contain at most {limit} {entity}. Got {count} "
                      f"{entity}. Please split up {entity} across multiple requests and try again.")


def check_batch_limits(n_metrics, n_params, n_tags):
    _batch_limit("metrics", MAX_METRICS_PER_BATCH, n_metrics)
    _batch_limit("params", MAX_PARAMS_TAGS_PER_BATCH, n_params)
    _batch_limit("tags", MAX_PARAMS_TAGS_PER_BATCH, n_tags)
    _batch_limit("metrics, params, and tags", MAX_ENTITIES_PER_BATCH, n_metrics + n_params + n_tags)


def check_param_keys_unique(params):
    seen, dupes = set(), []
    for key, _ in params:
        if key in seen:
            dupes.append(key)
        seen.add(key)
    if dupes:
        raise invalid(f"Duplicate parameter keys have been submitted: {dupes}. Please ensure the "
                      "request contains only one param value per param key.")


def check_max_results(max_results):
    if max_results > SEARCH_MAX_RESULTS_THRESHOLD:
        raise invalid("Invalid value for request parameter max_results. It must be at most "
                      f"{SEARCH_MAX_RESULTS_THRESHOLD}, but got value {max_results}")
    if max_results < 0:
        raise invalid(f"Invalid value for request parameter max_results. It must be at least 0, "
                      f"but got value {max_results}")


# SQL backends cannot hold infinities: MLflow's SqlAlchemyStore stores them as +/- max double.
MAX_DOUBLE = 1.7976931348623157e308


def stored_metric_value(value, keep_infinity):
    if math.isinf(value) and not keep_infinity:
        return MAX_DOUBLE if value > 0 else -MAX_DOUBLE
    return value
