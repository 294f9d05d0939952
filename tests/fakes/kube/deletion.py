"""DELETE semantics shared by the API, the garbage collector and the Job controller.

Pods: graceful deletion (deletionTimestamp + deletionGracePeriodSeconds; the kubelet then kills
the process and finishes the deletion; unscheduled or terminal pods go at once).
Everything else (Jobs, Services, CRDs, custom resources): propagationPolicy Orphan (the batch/v1 Job
default), Background (the default elsewhere) or Foreground, implemented with the real "orphan" /
"foregroundDeletion" finalizers that the garbage collector then resolves.
Functions take the Store and are as thread-safe as it is.
"""

import time

import apierrors
import defaults

ORPHAN, FOREGROUND = "orphan", "foregroundDeletion"


def check_preconditions(obj, pre, resource, group):
    if not pre:
        return
    meta = obj["metadata"]
    if pre.get("uid") and pre["uid"] != meta.get("uid"):
        raise apierrors.conflict(resource, group, meta["name"], "Precondition failed: UID in precondition: %s, "
                                 "UID in object meta: %s" % (pre["uid"], meta.get("uid")))
    if pre.get("resourceVersion") and pre["resourceVersion"] != meta.get("resourceVersion"):
        raise apierrors.conflict(resource, group, meta["name"], "Precondition failed: ResourceVersion in "
                                 "precondition: %s, ResourceVersion in object meta: %s"
                                 % (pre["resourceVersion"], meta.get("resourceVersion")))


def delete_pod(store, ns, name, grace=None, uid=None):
    """Start (or hurry) a graceful pod deletion; returns the pod as stored/removed, or None if absent."""
    def fn(p):
        meta = p["metadata"]
        if uid and meta.get("uid") != uid:
            return None
        g = grace if grace is not None else p["spec"].get("terminationGracePeriodSeconds", 30)
        if p.get("status", {}).get("phase") in ("Succeeded", "Failed") or not p["spec"].get("nodeName"):
            g = 0
        if meta.get("deletionTimestamp"):
            if g < meta.get("deletionGracePeriodSeconds", 0):
                meta["deletionGracePeriodSeconds"] = g
                return p
            return None
        meta["deletionTimestamp"] = defaults.now_rfc3339(time.time() + g)
        meta["deletionGracePeriodSeconds"] = g
        return p
    return store.mutate("pods", ns, name, fn)


def delete_object(store, resource, group, ns, name, propagation, preconditions=None, key=None):
    """Delete anything but a pod. Returns ('status', Status body) if the object is gone at once, else
    ('object', the object being deleted: deletionTimestamp set, finalizers still to run)."""
    key = key or resource
    with store.lock:
        obj = store.get(key, ns, name)
        if obj is None:
            raise apierrors.not_found(resource, group, name)
        check_preconditions(obj, preconditions, resource, group)
        if obj["metadata"].get("deletionTimestamp"):
            return "object", obj
        fins = list(obj["metadata"].get("finalizers") or [])
        if propagation == "Orphan" and ORPHAN not in fins:
            fins.append(ORPHAN)
        elif propagation == "Foreground" and FOREGROUND not in fins:
            fins.append(FOREGROUND)
        if not fins:
            gone = store.remove(key, ns, name)
            return "status", apierrors.success_status(name, group, resource, gone["metadata"]["uid"])

        def mark(o):
            o["metadata"]["finalizers"] = fins
            o["metadata"]["deletionTimestamp"] = defaults.now_rfc3339()
            o["metadata"]["deletionGracePeriodSeconds"] = 0
            return o
        return "object", store.mutate(key, ns, name, mark)


def delete_job(store, ns, name, propagation, preconditions=None):
    return delete_object(store, "jobs", "batch", ns, name, propagation, preconditions)


def remove_finalizer(store, resource, ns, name, finalizer, uid=None):
    def fn(o):
        fins = o["metadata"].get("finalizers") or []
        if finalizer not in fins or (uid and o["metadata"].get("uid") != uid):
            return None
        fins = [f for f in fins if f != finalizer]
        if fins:
            o["metadata"]["finalizers"] = fins
        else:
            o["metadata"].pop("finalizers", None)
        return o
    return store.mutate(resource, ns, name, fn)


def owned_by(obj, uid):
    return any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])
