"""The kubelet's view of a pod's environment: $(VAR) expansion and the downward API in env vars
(fieldRef and resourceFieldRef), as the real kubelet resolves them for a pod on this machine.
Pure functions (the node's capacity is read from /proc): thread-safe.
"""

import math
import os

import defaults
import validation


def expand(s, env):
    """Kubernetes $(VAR) expansion: $$ escapes, unknown references stay as written."""
    out, i = [], 0
    while i < len(s):
        if s[i] == "$" and i + 1 < len(s):
            nxt = s[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = s.find(")", i + 2)
                if end != -1:
                    name = s[i + 2:end]
                    out.append(env[name] if name in env else "$(%s)" % name)
                    i = end + 1
                    continue
            out.append("$" + nxt)
            i += 2
            continue
        out.append(s[i])
        i += 1
    return "".join(out)


def field_ref(pod, path):
    meta = pod["metadata"]
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": defaults.NODE_NAME,
              "spec.serviceAccountName": pod["spec"].get("serviceAccountName"),
              "status.hostIP": "127.0.0.1", "status.hostIPs": "127.0.0.1", "status.podIP": "127.0.0.1",
              "status.podIPs": "127.0.0.1"}
    if path in simple:
        return simple[path]
    for prefix, d in (("metadata.labels['", meta.get("labels") or {}),
                      ("metadata.annotations['", meta.get("annotations") or {})):
        if path.startswith(prefix) and path.endswith("']"):
            return d.get(path[len(prefix):-2], "")
    return None


def _node_allocatable():
    """What limits.* resolve to when a container sets none: the node's allocatable (this machine)."""
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {"cpu": os.cpu_count() or 1, "memory": mem, "ephemeral-storage": 0}


def resource_field_ref(container, ref):
    """resourceFieldRef as the kubelet resolves it: the value divided by divisor, rounded up (cpu: cores)."""
    res = container.get("resources") or {}
    kind, _, name = (ref.get("resource") or "").partition(".")
    if kind not in ("limits", "requests") or name not in ("cpu", "memory", "ephemeral-storage"):
        return None
    raw = (res.get(kind) or {}).get(name)
    if raw is None and kind == "requests":
        raw = (res.get("limits") or {}).get(name)
    value = validation.parse_quantity(raw) if raw is not None else (
        _node_allocatable()[name] if kind == "limits" else 0)
    divisor = validation.parse_quantity(ref.get("divisor") or "1")
    out = math.ceil(value / divisor) if divisor else 0
    return str(out)
