"""GET .../pods/{name}/log: the kubelet's captured output of a container, as the apiserver proxies it
(container choice, follow, tailLines, limitBytes, sinceSeconds, timestamps, previous, and the real
errors for containers that have not started). Runs on the request's thread.
"""

import time

import apierrors
import defaults
import discovery

TRUE = ("1", "true", "True")


def serve(api, req, out, ns, name):
    pod = api.get(discovery.PODS, ns, name)
    spec, st = pod["spec"], pod.get("status") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    container = req.q("container")
    if not container:
        default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
        if len(names) == 1 or default in names:
            container = default if default in names else names[0]
        else:
            raise apierrors.bad_request("a container name must be specified for pod %s, choose one of: [%s]"
                                        % (name, " ".join(names)))
    if container not in names + [c["name"] for c in spec.get("initContainers") or []]:
        raise apierrors.bad_request("container %s is not valid for pod %s" % (container, name))
    tail, limit = req.int_q("tailLines"), req.int_q("limitBytes")
    follow, stamps, previous = (req.q(k) in TRUE for k in ("follow", "timestamps", "previous"))
    since = req.int_q("sinceSeconds")
    log = api.app.kubelet.get_log(ns, name, container, previous)
    if log is None:
        if previous:
            raise apierrors.bad_request('previous terminated container "%s" in pod "%s" not found'
                                        % (container, name))
        if not spec.get("nodeName"):
            raise apierrors.bad_request("pod %s does not have a host assigned" % name)
        cst = next((c for c in st.get("containerStatuses") or [] if c["name"] == container), None)
        waiting = ((cst or {}).get("state") or {}).get("waiting")
        if cst is None or waiting:
            reason = (waiting or {}).get("reason", "ContainerCreating")
            if reason in ("ErrImagePull", "ImagePullBackOff"):
                reason = "trying and failing to pull image"
            raise apierrors.bad_request('container "%s" in pod "%s" is waiting to start: %s'
                                        % (container, name, reason))
        return out.send_bytes(200, b"", "text/plain")
    lines, done = log.wait_beyond(0, 0)
    seen = len(lines)
    if since is not None:
        lines = [ln for ln in lines if ln[0] >= time.time() - since]
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    fmt = (lambda ts, d: defaults.now_rfc3339_nano(ts).encode() + b" " + d) if stamps else (lambda ts, d: d)
    budget = [limit if limit and limit > 0 else None]

    def render(chunk):
        data = b"".join(fmt(ts, d) for ts, d in chunk)
        if budget[0] is not None:
            data, budget[0] = data[:budget[0]], max(0, budget[0] - len(data))
        return data
    if not follow:
        return out.send_bytes(200, render(lines), "text/plain")
    out.start_stream("text/plain")
    first = render(lines)
    if first:
        out.write_chunk(first)
    while budget[0] != 0 and not out.client_gone():
        more, done = log.wait_beyond(seen, 1.0)
        if more:
            seen += len(more)
            out.write_chunk(render(more))
        elif done:
            break
    out.end_stream()
