"""Watch streams: GET ...?watch=1 (or the legacy /watch/ prefix) as the apiserver's watch cache serves them.

resourceVersion unset or "0": synthetic ADDED events for the current state, then changes;
resourceVersion=N: every change after N, or one ERROR event (Status 410 Expired, "too old resource
version: N (oldest)") if N is older than the retained history; N in the future: wait 3 s, then 504.
A MODIFIED object that starts/stops matching the selectors is sent as ADDED/DELETED. BOOKMARK events
every bookmark interval when allowWatchBookmarks=true; sendInitialEvents=true ends its initial
ADDED events with a bookmark annotated k8s.io/initial-events-end. timeoutSeconds ends the stream
cleanly. With faults on, a stream may be cut abruptly (no terminating chunk).
Runs on the request's thread; reads the thread-safe Store.
"""

import json
import random
import time

import api as api_mod  # circular with api.py: only used at call time
import apierrors
import store as store_mod
import tables

TRUE = ("1", "true", "True")


def bookmark(rdef, rv, initial_end=False):
    meta = {"resourceVersion": str(rv)}
    if rdef.crd is None:
        meta["creationTimestamp"] = None  # a typed object serializes its zero time
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    if rdef.crd is not None:  # an unstructured object: nothing but what was set
        return {"apiVersion": rdef.api_version, "kind": rdef.kind, "metadata": meta}
    obj = {"kind": rdef.kind, "apiVersion": rdef.api_version, "metadata": meta}
    if rdef.resource == "jobs":
        obj["spec"] = {"template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}}}
    elif rdef.resource == "pods":
        obj["spec"] = {"containers": None}
    else:
        obj["spec"] = {}
    obj["status"] = {"loadBalancer": {}} if rdef.resource == "services" else {}
    return obj


def transform(ev, match):
    """The event type a filtered watcher sees for a store event (None: not sent)."""
    cur_ok = match(ev.obj)
    prev_ok = match(ev.prev) if ev.prev is not None else False
    if ev.type == "ADDED":
        return "ADDED" if cur_ok else None
    if ev.type == "DELETED":
        return "DELETED" if prev_ok or cur_ok else None
    if cur_ok and prev_ok:
        return "MODIFIED"
    if cur_ok:
        return "ADDED"
    return "DELETED" if prev_ok else None


def _forbidden(field, detail):
    return apierrors.invalid("ListOptions", "meta.k8s.io", "", [apierrors.FieldError("Forbidden", field,
                                                                                     detail=detail)])


def serve(api, req, out, rdef, ns, field_selector, form):
    st, app = api.store, api.app
    labels, fields = api.selectors(req, rdef, field_selector)
    match = api.matcher(rdef, ns, labels, fields)
    rv_s, rv_match = req.q("resourceVersion"), req.q("resourceVersionMatch")
    bookmarks = req.q("allowWatchBookmarks") in TRUE
    initial_flag = req.q("sendInitialEvents")
    send_initial = initial_flag in TRUE
    if initial_flag is not None:
        if not bookmarks and send_initial:
            raise _forbidden("allowWatchBookmarks", "sendInitialEvents requires setting allowWatchBookmarks to true")
        if rv_match != "NotOlderThan":
            raise _forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to "
                             "NotOlderThan")
    elif rv_match:
        raise _forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch")
    timeout = req.int_q("timeoutSeconds")
    if timeout is None or timeout <= 0:
        timeout = 1800 * (1 + random.random())
    requested = None
    if rv_s not in (None, "", "0"):
        try:
            requested = int(rv_s)
        except ValueError:
            raise apierrors.bad_request('resourceVersion: Invalid value: "%s": strconv.ParseUint: parsing %s: '
                                        'invalid syntax' % (rv_s, json.dumps(rv_s)))
        api.wait_for_rv(requested)
    too_old, initial = None, []
    with st.lock:
        if requested is None or send_initial:
            items, start = st.list(rdef.store_key, ns)
            initial = [o for o in items if match(o)]
        else:
            start = requested
            if requested < st.floor:
                too_old = store_mod.TooOld(requested, st.floor)
    out.start_stream("application/json")
    w = _Writer(out, rdef, form, req.q("includeObject") or "Metadata")
    if too_old is not None:
        w.error(apierrors.expired(str(too_old)))
        return out.end_stream()
    for obj in initial:
        w.send("ADDED", obj)
    if send_initial:
        w.send("BOOKMARK", bookmark(rdef, start, initial_end=True))
    last, deadline = start, time.time() + timeout
    interval = app.opts.bookmark_interval_ms / 1000.0
    next_bookmark = time.time() + interval
    while True:
        try:
            events, current = st.events_after(last)
        except store_mod.TooOld as e:  # this watcher fell behind the retained window
            w.error(apierrors.expired(str(e)))
            break
        for ev in events:
            if ev.resource == rdef.store_key:
                t = transform(ev, match)
                if t:
                    w.send(t, ev.obj)
        last = current
        if app.faults.watch_break():
            return out.abort()
        if out.client_gone():
            return out.abort()
        now = time.time()
        if now >= deadline:
            break
        if bookmarks and now >= next_bookmark:
            w.send("BOOKMARK", bookmark(rdef, last))
            next_bookmark = now + interval
        wake = min(deadline, next_bookmark if bookmarks else deadline, now + 1.0)
        st.wait_for_change(last, max(0.0, wake - now))
    out.end_stream()


class _Writer:
    def __init__(self, out, rdef, form, include_object):
        self.out, self.rdef, self.form, self.include = out, rdef, form, include_object
        self.columns_sent = False

    def send(self, type_, obj):
        if self.form == "table" and type_ != "BOOKMARK":
            obj = tables.table(self.rdef, [obj], obj["metadata"].get("resourceVersion"), self.include,
                               with_columns=not self.columns_sent)
            self.columns_sent = True
        elif self.form == "partial" and type_ != "BOOKMARK":
            obj = tables.partial(obj)
        elif type_ != "BOOKMARK":
            obj = api_mod.ordered(obj)
        self.out.write_chunk((json.dumps({"type": type_, "object": obj}, separators=(",", ":")) + "\n").encode())

    def error(self, err):
        self.out.write_chunk((json.dumps({"type": "ERROR", "object": err.status()}, separators=(",", ":"))
                              + "\n").encode())
