"""The fake etcd + watch cache: objects by (resource, namespace, name), one global resourceVersion counter,
a bounded event history for watches and consistent (snapshot) lists, and compaction.

Every mutation bumps the global resourceVersion, records an Event(rv, type, resource, obj, prev)
and wakes waiting watchers; internal listeners (controllers) are called with each Event while the
lock is held and must only enqueue work. An object with metadata.deletionTimestamp is removed as
soon as its last finalizer goes (for pods: once deletionGracePeriodSeconds is 0 too).
Thread-safe: all state is behind one RLock, which callers may also hold to group operations.
"""

import bisect
import threading


def jcopy(v):
    """A deep copy of JSON-shaped data (dicts, lists, scalars): several times faster than copy.deepcopy,
    which matters for the big CRD objects."""
    if isinstance(v, dict):
        return {k: jcopy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jcopy(x) for x in v]
    return v


class TooOld(Exception):
    """The requested resourceVersion is older than the retained history."""

    def __init__(self, requested, oldest):
        super().__init__("too old resource version: %d (%d)" % (requested, oldest))
        self.requested, self.oldest = requested, oldest


class Event:
    __slots__ = ("rv", "type", "resource", "obj", "prev")

    def __init__(self, rv, type_, resource, obj, prev):
        self.rv, self.type, self.resource, self.obj, self.prev = rv, type_, resource, obj, prev


def _key(obj):
    m = obj["metadata"]
    return m.get("namespace") or "", m["name"]


class Store:
    def __init__(self, history_size=1000, first_rv=1000):
        self.lock = threading.RLock()
        self._cond = threading.Condition(self.lock)
        self._rv = first_rv
        self._objects = {}       # resource -> {(ns, name): obj}
        self._history = []       # Events in rv order
        self._history_rvs = []
        self._floor = first_rv   # every event with rv > floor is still in history
        self.history_size = history_size
        self._listeners = []

    # -- reading --------------------------------------------------------------------------------
    @property
    def rv(self):
        with self.lock:
            return self._rv

    @property
    def floor(self):
        with self.lock:
            return self._floor

    def resources(self):
        with self.lock:
            return list(self._objects)

    def get(self, resource, ns, name):
        with self.lock:
            obj = self._objects.get(resource, {}).get((ns or "", name))
            return jcopy(obj) if obj is not None else None

    def list(self, resource, ns=None, at_rv=None):
        """Objects sorted by (namespace, name) like etcd keys, and the rv they are consistent at."""
        with self.lock:
            objs = self._objects.get(resource, {})
            if at_rv is not None and at_rv < self._rv:
                objs = self._snapshot(resource, at_rv)
            rv = self._rv if at_rv is None else at_rv
            items = [jcopy(o) for k, o in sorted(objs.items()) if ns is None or k[0] == ns]
            return items, rv

    def select(self, pred, ns=None, resources=None):
        """(resource, copy) of the objects (in ns, or anywhere) that satisfy pred(obj); pred sees the stored
        object itself and must not change it. Cheaper than list() when few match."""
        with self.lock:
            out = []
            for resource in resources or list(self._objects):
                for key, o in sorted(self._objects.get(resource, {}).items()):
                    if (ns is None or key[0] == ns) and pred(o):
                        out.append((resource, jcopy(o)))
            return out

    def _snapshot(self, resource, at_rv):
        if at_rv < self._floor:
            raise TooOld(at_rv, self._floor)
        state = dict(self._objects.get(resource, {}))
        start = bisect.bisect_right(self._history_rvs, at_rv)
        for ev in reversed(self._history[start:]):
            if ev.resource != resource:
                continue
            key = _key(ev.obj)
            if ev.type == "ADDED":
                state.pop(key, None)
            else:
                state[key] = ev.prev
        return state

    def events_after(self, rv):
        """Events with resourceVersion > rv (raises TooOld) and the current resourceVersion."""
        with self.lock:
            if rv < self._floor:
                raise TooOld(rv, self._floor)
            start = bisect.bisect_right(self._history_rvs, rv)
            return self._history[start:], self._rv

    def wait_for_change(self, rv, timeout):
        """Block until the global resourceVersion passes rv or timeout seconds elapse."""
        with self._cond:
            return self._cond.wait_for(lambda: self._rv > rv, timeout)

    # -- writing --------------------------------------------------------------------------------
    def add_listener(self, fn):
        self._listeners.append(fn)

    def _emit(self, type_, resource, obj, prev):
        ev = Event(self._rv, type_, resource, jcopy(obj), prev)
        self._history.append(ev)
        self._history_rvs.append(ev.rv)
        if len(self._history) > self.history_size:
            self._trim(len(self._history) - self.history_size)
        self._cond.notify_all()
        for fn in self._listeners:
            fn(ev)

    def _trim(self, n):
        self._floor = self._history_rvs[n - 1]
        del self._history[:n]
        del self._history_rvs[:n]

    def compact(self, keep=0):
        """Forget all but the newest `keep` events; watches/lists from older rvs get 410 Expired."""
        with self.lock:
            drop = max(0, len(self._history) - keep)
            if drop:
                self._trim(drop)
            if keep == 0:
                self._floor = self._rv
            return self._floor

    def create(self, resource, obj):
        """Store a new object; returns the stored copy, or None if the name is taken."""
        with self.lock:
            objs = self._objects.setdefault(resource, {})
            key = _key(obj)
            if key in objs:
                return None
            self._rv += 1
            obj = jcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self._rv)
            objs[key] = obj
            self._emit("ADDED", resource, obj, None)
            return jcopy(obj)

    def _finalizable(self, resource, meta):
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        return resource != "pods" or meta.get("deletionGracePeriodSeconds", 0) == 0

    def mutate(self, resource, ns, name, fn):
        """Apply fn to a copy of the object; store it if changed. Returns the new object or None if absent."""
        with self.lock:
            objs = self._objects.get(resource, {})
            cur = objs.get((ns or "", name))
            if cur is None:
                return None
            new = fn(jcopy(cur))
            if new is None or new == cur:
                return jcopy(cur)
            self._rv += 1
            new["metadata"]["resourceVersion"] = str(self._rv)
            if self._finalizable(resource, new["metadata"]):
                del objs[(ns or "", name)]
                self._emit("DELETED", resource, new, cur)
            else:
                objs[(ns or "", name)] = new
                self._emit("MODIFIED", resource, new, cur)
            return jcopy(new)

    def set_status(self, resource, obj, status):
        """Write status (a controller's status update) unless unchanged or the object was replaced."""
        meta = obj["metadata"]
        if status == obj.get("status"):
            return

        def fn(o):
            if o["metadata"]["uid"] != meta["uid"]:
                return None
            o["status"] = status
            return o
        self.mutate(resource, meta.get("namespace"), meta["name"], fn)

    def remove(self, resource, ns, name):
        """Remove now (no finalizer check); returns the removed object as last seen, or None."""
        with self.lock:
            objs = self._objects.get(resource, {})
            cur = objs.pop((ns or "", name), None)
            if cur is None:
                return None
            self._rv += 1
            gone = jcopy(cur)
            gone["metadata"]["resourceVersion"] = str(self._rv)
            self._emit("DELETED", resource, gone, cur)
            return jcopy(gone)
