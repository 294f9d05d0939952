"""Condition-list helpers of the simulated operators: the Kubeflow training operator's JobCondition rules
and JobSet's metav1.Condition rules, as their controllers apply them. Pure functions: thread-safe.
"""

import defaults


def is_true(status, type_):
    return any(c.get("type") == type_ and c.get("status") == "True" for c in status.get("conditions") or [])


def set_training(status, type_, reason, message, cond_status="True"):
    """Training operator (pkg/util/status.go semantics): one entry per type, a new one goes to the end;
    Running and Restarting exclude each other; Succeeded/Failed turn Running to False; nothing changes once
    Failed is True; the same type+status+reason changes nothing; an unchanged status keeps its
    lastTransitionTime."""
    conds = status.setdefault("conditions", [])
    if is_true(status, "Failed"):
        return
    now = defaults.now_rfc3339()
    old = next((c for c in conds if c["type"] == type_), None)
    if old and old["status"] == cond_status and old.get("reason") == reason:
        return
    new = {"type": type_, "status": cond_status, "reason": reason, "message": message, "lastUpdateTime": now,
           "lastTransitionTime": old["lastTransitionTime"] if old and old["status"] == cond_status else now}
    drop = {type_}
    if cond_status == "True" and type_ in ("Running", "Restarting"):
        drop.add("Restarting" if type_ == "Running" else "Running")
    kept = [c for c in conds if c["type"] not in drop]
    if cond_status == "True" and type_ in ("Succeeded", "Failed"):
        for c in kept:
            if c["type"] == "Running" and c["status"] == "True":
                c.update(status="False", lastUpdateTime=now, lastTransitionTime=now)
    status["conditions"] = kept + [new]


def set_meta(status, type_, cond_status, reason, message):
    """metav1.Condition (JobSet's updateCondition): replaced when the status changes, else left alone."""
    conds = status.setdefault("conditions", [])
    new = {"type": type_, "status": cond_status, "lastTransitionTime": defaults.now_rfc3339(), "reason": reason,
           "message": message}
    for i, c in enumerate(conds):
        if c["type"] == type_:
            if c["status"] != cond_status:
                conds[i] = new
                return True
            return False
    conds.append(new)
    return True
