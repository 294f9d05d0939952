"""The fake server's tracking store: experiments, runs, params, tags and metric histories.

Semantics follow MLflow's SqlAlchemyStore (the store behind `mlflow server` with a database):
sequential experiment ids with "0" = "Default", 32-hex run ids, write-once params, idempotent
metric points, latest metric per key by (step, timestamp, value), infinities stored as
+/-1.7976931348623157e308, and a next_page_token whenever a runs/search page is full.
Thread-safe: one lock guards all state. With a state file, every change is written to it
atomically (write to a temporary file, then rename) and the file is reloaded on start.
"""
import json
import math
import os
import random
import threading
import time
import uuid

import search_filter
import validation as v
from wire import already_exists, double_json, invalid, not_found

RUN_NAME_TAG = "mlflow.runName"
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
VIEW_TYPES = ("ACTIVE_ONLY", "DELETED_ONLY", "ALL")
_ADJECTIVES = ("amazing", "bold", "calm", "clever", "gentle", "honest", "lively", "merciful",
               "nimble", "patient", "quiet", "sincere", "tasteful", "unique", "wise")
_NOUNS = ("ant", "bass", "cat", "deer", "eel", "fox", "gull", "hare", "ibis", "jay", "koi",
          "lynx", "mole", "newt", "owl", "pug", "ram", "seal", "toad", "wolf")


def now_ms():
    return int(time.time() * 1000)


def _join_uri(base, *parts):
    return "/".join([base.rstrip("/")] + list(parts))


def _random_run_name():
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 999)}"


def _stages(view_type):
    return {"ACTIVE_ONLY": ("active",), "DELETED_ONLY": ("deleted",),
            "ALL": ("active", "deleted")}[view_type]


class Options:
    """How the store behaves where MLflow deployments differ."""

    def __init__(self, artifact_root="mlflow-artifacts:/", state_file=None,
                 truncate_long_values=False, keep_infinity=False):
        self.artifact_root = artifact_root            # experiment artifact locations live below
        self.state_file = state_file                  # None: memory only
        self.truncate_long_values = truncate_long_values  # else over-long values are refused
        self.keep_infinity = keep_infinity            # else +/-inf is stored as +/-max double


class Store:
    def __init__(self, options=None):
        self.options = options or Options()
        self._lock = threading.RLock()
        self._reset_state()
        if self.options.state_file and os.path.exists(self.options.state_file):
            with open(self.options.state_file, encoding="utf-8") as f:
                state = json.load(f)
            self._experiments = {e["experiment_id"]: e for e in state["experiments"]}
            self._runs = {r["run_id"]: r for r in state["runs"]}
            self._next_experiment_id = state["next_experiment_id"]

    def _reset_state(self):
        created = now_ms()
        default = {"experiment_id": "0", "name": "Default",
                   "artifact_location": _join_uri(self.options.artifact_root, "0"),
                   "lifecycle_stage": "active", "creation_time": created,
                   "last_update_time": created, "tags": {}}
        self._experiments = {"0": default}
        self._runs = {}
        self._next_experiment_id = 1

    def reset(self):
        with self._lock:
            self._reset_state()
            self._persist()

    def _persist(self):
        path = self.options.state_file
        if not path:
            return
        state = {"format": 1, "next_experiment_id": self._next_experiment_id,
                 "experiments": list(self._experiments.values()), "runs": list(self._runs.values())}
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f)       # NaN/Infinity as bare literals: json.load reads them back
        os.replace(tmp, path)

    # ---- experiments ----------------------------------------------------------------------

    def _experiment(self, experiment_id):
        exp = self._experiments.get(str(experiment_id))
        if exp is None:
            raise not_found(f"No Experiment with id={experiment_id} exists")
        return exp

    def create_experiment(self, name, artifact_location, tags):
        v.check_experiment_name(name)
        if artifact_location:
            v.check_artifact_location(artifact_location)
        for key, value in tags:
            v.check_experiment_tag(key, value)
        with self._lock:
            if any(e["name"] == name for e in self._experiments.values()):
                raise already_exists(f"Experiment(name={name}) already exists.")
            eid = str(self._next_experiment_id)
            self._next_experiment_id += 1
            created = now_ms()
            self._experiments[eid] = {
                "experiment_id": eid, "name": name,
                "artifact_location":
                    artifact_location or _join_uri(self.options.artifact_root, eid),
                "lifecycle_stage": "active", "creation_time": created,
                "last_update_time": created, "tags": dict(tags)}
            self._persist()
            return eid

    def get_experiment(self, experiment_id):
        with self._lock:
            return experiment_json(self._experiment(experiment_id))

    def get_experiment_by_name(self, name):
        with self._lock:
            found = [e for e in self._experiments.values() if e["name"] == name]
            if not found:
                raise not_found(f"Could not find experiment with name '{name}'")
            found.sort(key=lambda e: e["lifecycle_stage"] != "active")
            return experiment_json(found[0])

    def _set_experiment_stage(self, experiment_id, stage):
        with self._lock:
            exp = self._experiment(experiment_id)
            if exp["lifecycle_stage"] == stage:
                raise invalid(f"Cannot change experiment {experiment_id}: it is already {stage}")
            exp["lifecycle_stage"] = stage
            exp["last_update_time"] = now_ms()
            for run in self._runs.values():
                if run["experiment_id"] == exp["experiment_id"]:
                    run["lifecycle_stage"] = stage
                    run["deleted_time"] = now_ms() if stage == "deleted" else None
            self._persist()

    def delete_experiment(self, experiment_id):
        if str(experiment_id) == "0":
            raise invalid("Cannot delete the default experiment '0'. This is an internally "
                          "reserved experiment.")
        self._set_experiment_stage(experiment_id, "deleted")

    def restore_experiment(self, experiment_id):
        self._set_experiment_stage(experiment_id, "active")

    def rename_experiment(self, experiment_id, new_name):
        v.check_experiment_name(new_name)
        with self._lock:
            exp = self._active_experiment(experiment_id)
            if any(e["name"] == new_name and e is not exp for e in self._experiments.values()):
                raise already_exists(f"Experiment(name={new_name}) already exists.")
            exp["name"] = new_name
            exp["last_update_time"] = now_ms()
            self._persist()

    def set_experiment_tag(self, experiment_id, key, value):
        v.check_experiment_tag(key, value)
        with self._lock:
            exp = self._active_experiment(experiment_id)
            exp["tags"][key] = value
            self._persist()

    def _active_experiment(self, experiment_id):
        exp = self._experiment(experiment_id)
        if exp["lifecycle_stage"] != "active":
            raise invalid(f"The experiment {exp['experiment_id']} must be in the 'active' state. "
                          f"Current state is {exp['lifecycle_stage']}.")
        return exp

    def search_experiments(self, view_type, max_results, filter_string, order_by, page_token):
        if max_results < 1 or max_results > v.SEARCH_MAX_RESULTS_THRESHOLD:
            raise invalid("Invalid value for max_results. It must be a positive integer less than "
                          f"or equal to {v.SEARCH_MAX_RESULTS_THRESHOLD}, but got {max_results}")
        clauses = search_filter.parse_filter(filter_string, search_filter.EXPERIMENTS)
        offset = search_filter.decode_page_token(page_token)
        with self._lock:
            stages = _stages(view_type)
            exps = [e for e in self._experiments.values() if e["lifecycle_stage"] in stages]
            exps = [e for e in exps if search_filter.matches(clauses, _experiment_lookup(e))]
            exps = search_filter.sort(exps, order_by, _experiment_sort_value,
                                      search_filter.EXPERIMENTS,
                                      base_key=lambda e: -int(e["experiment_id"]))
            page = [experiment_json(e) for e in exps[offset:offset + max_results]]
            more = offset + max_results < len(exps)
            return page, (search_filter.encode_page_token(offset + max_results) if more else None)

    # ---- runs -----------------------------------------------------------------------------

    def _run(self, run_id):
        run = self._runs.get(run_id)
        if run is None:
            raise not_found(f"Run with id={run_id} not found")
        return run

    def _active_run(self, run_id):
        run = self._run(run_id)
        if run["lifecycle_stage"] != "active":
            raise invalid(f"The run {run_id} must be in the 'active' state. "
                          f"Current state is {run['lifecycle_stage']}.")
        return run

    def create_run(self, experiment_id, user_id, start_time, tags, run_name):
        truncate = self.options.truncate_long_values
        tags = [(k, v.check_tag(k, val, f"tags[{i}]", truncate)) for i, (k, val) in enumerate(tags)]
        with self._lock:
            exp = self._active_experiment(experiment_id)
            name_tag = dict(tags).get(RUN_NAME_TAG)
            if run_name and name_tag and run_name != name_tag:
                raise invalid("Both 'run_name' argument and 'mlflow.runName' tag are specified, "
                              f"but with different values (run_name='{run_name}', "
                              f"mlflow.runName='{name_tag}').")
            run_name = run_name or name_tag or _random_run_name()
            run_id = uuid.uuid4().hex
            run = {"run_id": run_id, "experiment_id": exp["experiment_id"], "run_name": run_name,
                   "user_id": user_id or "", "status": "RUNNING", "start_time": start_time or 0,
                   "end_time": None, "deleted_time": None, "lifecycle_stage": "active",
                   "artifact_uri": _join_uri(exp["artifact_location"], run_id, "artifacts"),
                   "params": {}, "tags": dict(tags), "latest_metrics": {}, "metric_history": {}}
            run["tags"].setdefault(RUN_NAME_TAG, run_name)
            self._runs[run_id] = run
            self._persist()
            return run_json(run)

    def get_run(self, run_id):
        with self._lock:
            return run_json(self._run(run_id))

    def update_run_info(self, run_id, status, end_time, run_name):
        with self._lock:
            run = self._active_run(run_id)
            if status is not None:
                run["status"] = status
            if end_time is not None:
                run["end_time"] = end_time
            if run_name:
                run["run_name"] = run_name
                run["tags"][RUN_NAME_TAG] = run_name
            self._persist()
            return run_info_json(run)

    def _set_run_stage(self, run_id, stage):
        with self._lock:
            run = self._run(run_id)
            run["lifecycle_stage"] = stage
            run["deleted_time"] = now_ms() if stage == "deleted" else None
            self._persist()

    def delete_run(self, run_id):
        self._set_run_stage(run_id, "deleted")

    def restore_run(self, run_id):
        self._set_run_stage(run_id, "active")

    # ---- logging --------------------------------------------------------------------------

    def log_batch(self, run_id, metrics, params, tags):
        """metrics: (key, value, timestamp, step) tuples; params, tags: (key, value) pairs.

        Everything is validated before anything is written, so a refused batch changes nothing.
        """
        v.check_run_id(run_id)
        truncate = self.options.truncate_long_values
        for i, (key, value, timestamp, step) in enumerate(metrics):
            v.check_metric(key, value, timestamp, step, f"metrics[{i}]")
        params = [(k, v.check_param(k, val, f"params[{i}]", truncate))
                  for i, (k, val) in enumerate(params)]
        tags = [(k, v.check_tag(k, val, f"tags[{i}]", truncate)) for i, (k, val) in enumerate(tags)]
        v.check_batch_limits(len(metrics), len(params), len(tags))
        v.check_param_keys_unique(params)
        with self._lock:
            run = self._active_run(run_id)
            changed = [{"key": k, "old_value": run["params"][k], "new_value": val}
                       for k, val in params if k in run["params"] and run["params"][k] != val]
            if changed:
                raise invalid(f"Changing param values is not allowed. Params were already logged="
                              f"'{changed}' for run ID='{run_id}'.")
            self._write(run, metrics, params, tags)

    def log_metric(self, run_id, key, value, timestamp, step):
        v.check_metric(key, value, timestamp, step)
        with self._lock:
            self._write(self._active_run(run_id), [(key, value, timestamp, step)], [], [])

    def log_param(self, run_id, key, value):
        value = v.check_param(key, value, truncate=self.options.truncate_long_values)
        with self._lock:
            run = self._active_run(run_id)
            old = run["params"].get(key)
            if old is not None and old != value:
                raise invalid(f"Changing param values is not allowed. Param with key='{key}' was "
                              f"already logged with value='{old}' for run ID='{run_id}'. "
                              f"Attempted logging new value '{value}'.")
            self._write(run, [], [(key, value)], [])

    def set_tag(self, run_id, key, value):
        value = v.check_tag(key, value, truncate=self.options.truncate_long_values)
        with self._lock:
            self._write(self._active_run(run_id), [], [], [(key, value)])

    def delete_tag(self, run_id, key):
        with self._lock:
            run = self._active_run(run_id)
            if key not in run["tags"]:
                raise not_found(f"No tag with name: {key} in run with id {run_id}")
            del run["tags"][key]
            self._persist()

    def _write(self, run, metrics, params, tags):
        for key, value in params:
            run["params"][key] = value
        for key, value in tags:
            run["tags"][key] = value
            if key == RUN_NAME_TAG:
                run["run_name"] = value
        for key, value, timestamp, step in metrics:
            value = v.stored_metric_value(value, self.options.keep_infinity)
            point = {"key": key, "value": value, "timestamp": timestamp, "step": step}
            history = run["metric_history"].setdefault(key, [])
            if any(_same_point(p, point) for p in history):
                continue                      # MLflow ignores an identical (key, value, ts, step)
            history.append(point)
            latest = run["latest_metrics"].get(key)
            if latest is None or _recency(point) > _recency(latest):
                run["latest_metrics"][key] = dict(point)
        self._persist()

    def get_metric_history(self, run_id, key, max_results, page_token):
        offset = search_filter.decode_page_token(page_token)
        with self._lock:
            run = self._runs.get(run_id)      # MLflow's SQL store answers [] for unknown runs
            points = list(run["metric_history"].get(key, [])) if run else []
        points.sort(key=lambda p: (p["timestamp"], p["step"], _sql_value(p["value"])))
        if max_results is None:
            return [metric_json(p) for p in points[offset:]], None
        page = points[offset:offset + max_results]
        more = offset + max_results < len(points)
        return ([metric_json(p) for p in page],
                search_filter.encode_page_token(offset + max_results) if more else None)

    # ---- search ---------------------------------------------------------------------------

    def search_runs(self, experiment_ids, filter_string, view_type, max_results, order_by,
                    page_token):
        v.check_max_results(max_results)
        clauses = search_filter.parse_filter(filter_string, search_filter.RUNS)
        for clause in order_by:
            search_filter.parse_order_by(clause, search_filter.RUNS)
        offset = search_filter.decode_page_token(page_token)
        wanted = {str(e) for e in experiment_ids}
        with self._lock:
            stages = _stages(view_type)
            runs = [r for r in self._runs.values()
                    if r["experiment_id"] in wanted and r["lifecycle_stage"] in stages]
            runs = [r for r in runs if search_filter.matches(clauses, _run_lookup(r))]
            runs = search_filter.sort(runs, order_by, _run_sort_value, search_filter.RUNS,
                                      base_key=lambda r: (-r["start_time"], r["run_id"]))
            page = [run_json(r) for r in runs[offset:offset + max_results]]
        # Like SqlAlchemyStore: a full page always carries a token, even when nothing follows.
        token = search_filter.encode_page_token(offset + max_results) \
            if len(page) == max_results else None
        return page, token

    def snapshot(self):
        """Everything, for test assertions: experiments, then runs with their metric histories."""
        with self._lock:
            runs = []
            for run in self._runs.values():
                full = run_json(run)
                full["metric_history"] = {k: [metric_json(p) for p in h]
                                          for k, h in run["metric_history"].items()}
                full["deleted_time"] = run["deleted_time"]
                runs.append(full)
            return {"experiments": [experiment_json(e) for e in self._experiments.values()],
                    "runs": runs}


def _same_point(a, b):
    if a["timestamp"] != b["timestamp"] or a["step"] != b["step"]:
        return False
    x, y = a["value"], b["value"]
    return (math.isnan(x) and math.isnan(y)) or x == y


def _sql_value(value):
    return 0.0 if math.isnan(value) else value    # SQL stores NaN as 0 plus an is_nan flag


def _recency(point):
    return point["step"], point["timestamp"], _sql_value(point["value"])


def _run_lookup(run):
    def lookup(kind, key):
        if kind == "metric":
            latest = run["latest_metrics"].get(key)
            return None if latest is None else latest["value"]
        if kind == "parameter":
            return run["params"].get(key)
        if kind == "tag":
            return run["tags"].get(key)
        return run.get(key)
    return lookup


def _run_sort_value(run, kind, key):
    return _run_lookup(run)(kind, key)


def _experiment_lookup(exp):
    def lookup(kind, key):
        return exp["tags"].get(key) if kind == "tag" else exp.get(key)
    return lookup


def _experiment_sort_value(exp, kind, key):
    if key == "experiment_id":
        return int(exp["experiment_id"])
    return _experiment_lookup(exp)(kind, key)


# ---- JSON views, as MLflow's message_to_json writes them (unset fields omitted) -------------

def experiment_json(exp):
    out = {k: exp[k] for k in ("experiment_id", "name", "artifact_location", "lifecycle_stage",
                               "last_update_time", "creation_time")}
    if exp["tags"]:
        out["tags"] = [{"key": k, "value": val} for k, val in exp["tags"].items()]
    return out


def metric_json(point):
    return {"key": point["key"], "value": double_json(point["value"]),
            "timestamp": point["timestamp"], "step": point["step"]}


def run_info_json(run):
    info = {"run_uuid": run["run_id"], "experiment_id": run["experiment_id"],
            "run_name": run["run_name"], "user_id": run["user_id"], "status": run["status"],
            "start_time": run["start_time"]}
    if run["end_time"]:
        info["end_time"] = run["end_time"]
    if run["artifact_uri"]:
        info["artifact_uri"] = run["artifact_uri"]
    info["lifecycle_stage"] = run["lifecycle_stage"]
    info["run_id"] = run["run_id"]
    return info


def run_json(run):
    data = {}
    if run["latest_metrics"]:
        data["metrics"] = [metric_json(p) for p in run["latest_metrics"].values()]
    if run["params"]:
        data["params"] = [{"key": k, "value": val} for k, val in run["params"].items()]
    if run["tags"]:
        data["tags"] = [{"key": k, "value": val} for k, val in run["tags"].items()]
    return {"info": run_info_json(run), "data": data, "inputs": {}}
