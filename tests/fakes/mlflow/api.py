"""MLflow tracking endpoints: request fields -> store call -> response body.

One function per RPC of mlflow/protos/service.proto that gdsweep can use, with that RPC's
required fields and types checked the way mlflow/server/handlers.py checks them. ENDPOINTS maps
(HTTP method, path after /api/2.0/mlflow/) to (function, fields a GET query repeats).
Thread-safe as far as the Store is.
"""
import validation as v
import wire
from store import RUN_STATUSES, VIEW_TYPES


def create_experiment(store, req):
    name = wire.string(req, "name", required=True)
    location = wire.string(req, "artifact_location") or ""
    tags = wire.key_values(req, "tags")
    return {"experiment_id": store.create_experiment(name, location, tags)}


def get_experiment(store, req):
    return {"experiment": store.get_experiment(wire.string(req, "experiment_id", required=True))}


def get_experiment_by_name(store, req):
    name = wire.string(req, "experiment_name", required=True)
    return {"experiment": store.get_experiment_by_name(name)}


def search_experiments(store, req):
    max_results = wire.integer(req, "max_results")
    view = wire.enum(req, "view_type", VIEW_TYPES, default="ACTIVE_ONLY")
    order_by = [str(o) for o in wire.array(req, "order_by")]
    exps, token = store.search_experiments(
        view, v.SEARCH_MAX_RESULTS_DEFAULT if max_results is None else max_results,
        wire.string(req, "filter") or "", order_by, wire.string(req, "page_token"))
    return _paged({"experiments": exps}, token)


def delete_experiment(store, req):
    store.delete_experiment(wire.string(req, "experiment_id", required=True))
    return {}


def restore_experiment(store, req):
    store.restore_experiment(wire.string(req, "experiment_id", required=True))
    return {}


def update_experiment(store, req):
    experiment_id = wire.string(req, "experiment_id", required=True)
    store.rename_experiment(experiment_id, wire.string(req, "new_name", required=True))
    return {}


def set_experiment_tag(store, req):
    experiment_id = wire.string(req, "experiment_id", required=True)
    key = wire.string(req, "key", required=True)
    store.set_experiment_tag(experiment_id, key, wire.string(req, "value") or "")
    return {}


def create_run(store, req):
    # Stricter than MLflow, whose SQL store fails obscurely without it: experiment_id is required.
    experiment_id = wire.string(req, "experiment_id", required=True)
    run = store.create_run(experiment_id, wire.string(req, "user_id"),
                           wire.integer(req, "start_time"), wire.key_values(req, "tags"),
                           wire.string(req, "run_name"))
    return {"run": run}


def _run_id(req):
    """run_id, or the deprecated run_uuid, as MLflow's handlers accept either."""
    if req.get("run_id") in (None, "") and req.get("run_uuid") not in (None, ""):
        return wire.string(req, "run_uuid", path="run_id")
    return wire.string(req, "run_id", required=True)


def update_run(store, req):
    run_id = _run_id(req)
    status = wire.enum(req, "status", RUN_STATUSES)
    info = store.update_run_info(run_id, status, wire.integer(req, "end_time"),
                                 wire.string(req, "run_name"))
    return {"run_info": info}


def delete_run(store, req):
    store.delete_run(wire.string(req, "run_id", required=True))
    return {}


def restore_run(store, req):
    store.restore_run(wire.string(req, "run_id", required=True))
    return {}


def get_run(store, req):
    return {"run": store.get_run(_run_id(req))}


def search_runs(store, req):
    experiment_ids = [str(e) for e in wire.array(req, "experiment_ids")]
    max_results = wire.integer(req, "max_results")
    if max_results is None:
        max_results = v.SEARCH_MAX_RESULTS_DEFAULT
    elif max_results > v.SEARCH_MAX_RESULTS_THRESHOLD:
        raise wire.bad_value("max_results", max_results,
                             f"It must be at most {v.SEARCH_MAX_RESULTS_THRESHOLD}.")
    order_by = wire.array(req, "order_by")
    for i, clause in enumerate(order_by):
        if not isinstance(clause, str):
            raise wire.bad_value(f"order_by[{i}]", clause, "order_by entries must be strings.")
    runs, token = store.search_runs(
        experiment_ids, wire.string(req, "filter") or "",
        wire.enum(req, "run_view_type", VIEW_TYPES, default="ACTIVE_ONLY"),
        max_results, order_by, wire.string(req, "page_token"))
    return _paged({"runs": runs}, token)


def _metric(item, prefix):
    """One Metric message: key, value and timestamp required, step defaulting to 0."""
    path = (prefix + ".") if prefix else ""
    for field in ("key", "value", "timestamp"):
        if item.get(field) is None or item.get(field) == "":
            raise wire.missing(path + field)
    key = wire.string(item, "key", path=path + "key")
    value = wire.to_double(item["value"], path + "value")
    timestamp = wire.to_int(item["timestamp"], path + "timestamp")
    step = wire.integer(item, "step", path=path + "step")
    return key, value, timestamp, 0 if step is None else step


def log_batch(store, req):
    run_id = wire.string(req, "run_id", required=True)
    metrics = []
    for i, item in enumerate(wire.array(req, "metrics")):
        if not isinstance(item, dict):
            raise wire.bad_value(f"metrics[{i}]", item, "Expected a Metric object.")
        metrics.append(_metric(item, f"metrics[{i}]"))
    store.log_batch(run_id, metrics, wire.key_values(req, "params"),
                    wire.key_values(req, "tags"))
    return {}


def log_metric(store, req):
    run_id = _run_id(req)
    key, value, timestamp, step = _metric(req, "")
    store.log_metric(run_id, key, value, timestamp, step)
    return {}


def log_param(store, req):
    run_id = _run_id(req)
    key = wire.string(req, "key", required=True)
    store.log_param(run_id, key, wire.string(req, "value") or "")
    return {}


def set_tag(store, req):
    run_id = _run_id(req)
    key = wire.string(req, "key", required=True)
    store.set_tag(run_id, key, wire.string(req, "value") or "")
    return {}


def delete_tag(store, req):
    store.delete_tag(wire.string(req, "run_id", required=True),
                     wire.string(req, "key", required=True))
    return {}


def get_metric_history(store, req):
    run_id = _run_id(req)
    key = wire.string(req, "metric_key", required=True)
    metrics, token = store.get_metric_history(run_id, key, wire.integer(req, "max_results"),
                                              wire.string(req, "page_token"))
    return _paged({"metrics": metrics}, token)


def _paged(body, token):
    body = {k: val for k, val in body.items() if val}     # empty repeated fields are omitted
    if token:
        body["next_page_token"] = token
    return body


ENDPOINTS = {
    ("POST", "experiments/create"): (create_experiment, ()),
    ("GET", "experiments/get"): (get_experiment, ()),
    ("GET", "experiments/get-by-name"): (get_experiment_by_name, ()),
    ("POST", "experiments/search"): (search_experiments, ()),
    ("GET", "experiments/search"): (search_experiments, ("order_by",)),
    ("POST", "experiments/delete"): (delete_experiment, ()),
    ("POST", "experiments/restore"): (restore_experiment, ()),
    ("POST", "experiments/update"): (update_experiment, ()),
    ("POST", "experiments/set-experiment-tag"): (set_experiment_tag, ()),
    ("POST", "runs/create"): (create_run, ()),
    ("POST", "runs/update"): (update_run, ()),
    ("POST", "runs/delete"): (delete_run, ()),
    ("POST", "runs/restore"): (restore_run, ()),
    ("GET", "runs/get"): (get_run, ()),
    ("POST", "runs/search"): (search_runs, ()),
    ("POST", "runs/log-batch"): (log_batch, ()),
    ("POST", "runs/log-metric"): (log_metric, ()),
    ("POST", "runs/log-parameter"): (log_param, ()),
    ("POST", "runs/set-tag"): (set_tag, ()),
    ("POST", "runs/delete-tag"): (delete_tag, ()),
    ("GET", "metrics/get-history"): (get_metric_history, ()),
}

API_PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/")

