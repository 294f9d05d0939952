"""Server-side printing: meta.k8s.io/v1 Table and PartialObjectMetadata answers, as kubectl asks for them.

Columns follow kubectl's printers for Jobs (Name, Status, Completions, Duration, Age, ...),
Pods (Name, Ready, Status, Restarts, Age, ...) and Namespaces (Name, Status, Age).
Pure functions: thread-safe.
"""

import json
import re
import time

import defaults


def human_duration(seconds):
    """apimachinery duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm" % m if s % 60 == 0 else "%dm%ds" % (m, s % 60)
    if m < 180:
        return "%dm" % m
    h = m // 60
    if h < 8:
        return "%dh" % h if m % 60 == 0 else "%dh%dm" % (h, m % 60)
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd" % (h // 24) if h % 24 == 0 else "%dd%dh" % (h // 24, h % 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    return "%dy%dd" % (h // (24 * 365), (h // 24) % 365) if h < 24 * 365 * 8 else "%dy" % (h // (24 * 365))


def _age(obj):
    ts = obj["metadata"].get("creationTimestamp")
    return human_duration(time.time() - defaults.parse_rfc3339(ts)) if ts else "<unknown>"


def _col(name, type_, desc, priority=0, fmt=""):
    return {"name": name, "type": type_, "format": fmt, "description": desc, "priority": priority}


NAME_COL = _col("Name", "string", "Name must be unique within a namespace.", fmt="name")
AGE_COL = _col("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object "
               "was created.")

COLUMNS = {
    "jobs": [NAME_COL, _col("Status", "string", "Status of the job."),
             _col("Completions", "string", "The desired number of successfully finished pods the job should be "
                  "run with."), _col("Duration", "string", "Time required to complete the job."), AGE_COL,
             _col("Containers", "string", "Names of each container in the template.", 1),
             _col("Images", "string", "Images referenced by each container in the template.", 1),
             _col("Selector", "string", "A label query over pods that should match the pod count.", 1)],
    "pods": [NAME_COL, _col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
             _col("Status", "string", "The aggregate status of the containers in this pod."),
             _col("Restarts", "string", "The number of times the containers in this pod have been restarted and "
                  "when the last container in this pod has restarted."), AGE_COL,
             _col("IP", "string", "IP address allocated to the pod.", 1),
             _col("Node", "string", "Name of the node this pod is assigned to.", 1),
             _col("Nominated Node", "string", "Name of the node this pod is nominated to.", 1),
             _col("Readiness Gates", "string", "Pod readiness gates.", 1)],
    "namespaces": [NAME_COL, _col("Status", "string", "The status of the namespace"), AGE_COL],
}


def _job_cells(job):
    spec, st = job.get("spec") or {}, job.get("status") or {}
    conds = {c["type"] for c in st.get("conditions") or [] if c.get("status") == "True"}
    status = "Running"
    for t in ("Complete", "Failed", "Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if t in conds:
            status = t
            break
    if job["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    if spec.get("completions") is not None:
        completions = "%d/%d" % (st.get("succeeded", 0), spec["completions"])
    elif spec.get("parallelism", 1) > 1:
        completions = "%d/1 of %d" % (st.get("succeeded", 0), spec["parallelism"])
    else:
        completions = "%d/1" % st.get("succeeded", 0)
    duration = ""
    if st.get("startTime"):
        end = defaults.parse_rfc3339(st["completionTime"]) if st.get("completionTime") else time.time()
        duration = human_duration(end - defaults.parse_rfc3339(st["startTime"]))
    ctrs = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    sel = ",".join("%s=%s" % kv for kv in sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items()))
    return [job["metadata"]["name"], status, completions, duration, _age(job), ",".join(c["name"] for c in ctrs),
            ",".join(c.get("image", "") for c in ctrs), sel]


def _pod_cells(pod):
    st, spec = pod.get("status") or {}, pod.get("spec") or {}
    statuses = st.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    reason = st.get("reason") or st.get("phase", "Pending")
    restarts = sum(c.get("restartCount", 0) for c in statuses)
    for c in statuses:
        state = c.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state and state["terminated"].get("reason") and not st.get("reason"):
            reason = state["terminated"]["reason"]
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return [pod["metadata"]["name"], "%d/%d" % (ready, len(spec.get("containers") or [])), reason, str(restarts),
            _age(pod), st.get("podIP", "<none>"), spec.get("nodeName", "<none>"), "<none>", "<none>"]


def _ns_cells(ns):
    return [ns["metadata"]["name"], (ns.get("status") or {}).get("phase", "Active"), _age(ns)]


def _svc_cells(svc):
    spec = svc.get("spec") or {}
    ports = ",".join("%s/%s" % (p.get("port"), p.get("protocol", "TCP")) for p in spec.get("ports") or [])
    sel = ",".join("%s=%s" % kv for kv in sorted((spec.get("selector") or {}).items()))
    return [svc["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), "<none>",
            ports or "<none>", _age(svc), sel or "<none>"]


def _crd_cells(crd):
    return [crd["metadata"]["name"], crd["metadata"].get("creationTimestamp", "")]


COLUMNS["services"] = [NAME_COL, _col("Type", "string", "The type of service."),
                       _col("Cluster-IP", "string", "The IP address of the service."),
                       _col("External-IP", "string", "The external IP address of the service."),
                       _col("Port(s)", "string", "The ports exposed by the service."), AGE_COL,
                       _col("Selector", "string", "The label selector of the service.", 1)]
COLUMNS["customresourcedefinitions"] = [NAME_COL, _col("Created At", "date", "")]
CELLS = {"jobs": _job_cells, "pods": _pod_cells, "namespaces": _ns_cells, "services": _svc_cells,
         "customresourcedefinitions": _crd_cells}


def jsonpath(obj, expr):
    """The subset of kubectl JSONPath that printer columns use: .a.b, [n], [-1:], [?(@.k=="v")].x"""
    cur = [obj]
    for tok in re.findall(r"\.([A-Za-z0-9_-]+)|\[([^\]]*)\]", expr):
        name, sub = tok
        nxt = []
        for c in cur:
            if name:
                if isinstance(c, dict) and name in c:
                    nxt.append(c[name])
            elif isinstance(c, list):
                m = re.match(r'^\?\(@\.([A-Za-z0-9_]+)\s*==\s*["\']([^"\']*)["\']\)$', sub)
                if m:
                    nxt += [x for x in c if isinstance(x, dict) and str(x.get(m.group(1))) == m.group(2)]
                elif sub == "*":
                    nxt += c
                elif ":" in sub:
                    a, b = (sub.split(":") + [""])[:2]
                    nxt += c[int(a) if a else None:int(b) if b else None]
                elif re.match(r"^-?\d+$", sub) and -len(c) <= int(sub) < len(c):
                    nxt.append(c[int(sub)])
        cur = nxt
    return cur


def _printer_cells(rdef, obj):
    cols = _printer_columns(rdef)
    cells = [obj["metadata"]["name"]]
    for c in cols[1:]:
        if c.get("jsonPath") is None:
            cells.append(_age(obj))
            continue
        vals = jsonpath(obj, c["jsonPath"])
        if not vals:
            cells.append(None)
        elif c["type"] == "date" and isinstance(vals[0], str):
            cells.append(human_duration(time.time() - defaults.parse_rfc3339(vals[0])))
        else:
            v = vals[0]
            cells.append(json.dumps(v) if isinstance(v, (dict, list)) else v)
    return cells


def _printer_columns(rdef):
    for v in rdef.crd["spec"]["versions"]:
        if v["name"] == rdef.version:
            cols = v.get("additionalPrinterColumns")
            if cols is None:
                return [dict(NAME_COL, jsonPath=".metadata.name"), dict(AGE_COL, jsonPath=None)]
            return [dict(NAME_COL, jsonPath=".metadata.name")] + [
                dict(_col(c["name"], "string" if c.get("type") == "date" else c.get("type", "string"),
                          c.get("description", ""), c.get("priority", 0), c.get("format", "")),
                     jsonPath=c.get("jsonPath"), type=c.get("type", "string")) for c in cols]
    return [dict(NAME_COL, jsonPath=".metadata.name")]


def partial(obj):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(rdef, objs, rv, include_object="Metadata", with_columns=True, cont=None):
    rows = []
    for o in objs:
        row = {"cells": _printer_cells(rdef, o) if rdef.crd is not None else CELLS[rdef.resource](o)}
        if include_object == "Object":
            row["object"] = o
        elif include_object != "None":
            row["object"] = partial(o)
        rows.append(row)
    meta = {"resourceVersion": str(rv)}
    if cont:
        meta["continue"] = cont
    out = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    if with_columns:
        if rdef.crd is not None:
            out["columnDefinitions"] = [{k: c[k] for k in ("name", "type", "format", "description", "priority")}
                                        for c in _printer_columns(rdef)]
        else:
            out["columnDefinitions"] = COLUMNS[rdef.resource]
    out["rows"] = rows
    return out
