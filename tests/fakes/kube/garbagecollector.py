"""The fake garbage collector: ownerReferences between any objects (Job -> Pod, TFJob -> Pod and Service,
JobSet -> Job -> Pod, ...), resolved by owner uid as kube-controller-manager's GC does.

Resolves the deletion finalizers: "orphan" (strip the ownerReference from the dependents, then let
the owner go), "foregroundDeletion" (delete the dependents, let the owner go when none is left), and
deletes the dependents of an owner that is already gone (Background). The Job controller's
batch.kubernetes.io/job-tracking finalizer is also removed from pods whose owner is being deleted.
Runs on its own thread, fed by Store events; thread-safe.
"""

import queue
import threading
import traceback

import defaults
import deletion


class GarbageCollector(threading.Thread):
    def __init__(self, store):
        super().__init__(daemon=True, name="garbage-collector")
        self.store = store
        self.queue = queue.Queue()

    def on_event(self, ev):
        meta = ev.obj["metadata"]
        if ev.type == "DELETED" or (meta.get("deletionTimestamp") and ev.resource != "pods"):
            self.queue.put((meta.get("namespace"), meta["uid"]))
        if ev.type == "DELETED":
            for ref in meta.get("ownerReferences") or []:
                self.queue.put((meta.get("namespace"), ref["uid"]))

    def run(self):
        while True:
            item = self.queue.get()
            if item is None:
                return
            try:
                self.process(*item)
            except Exception:
                traceback.print_exc()

    def stop(self):
        self.queue.put(None)

    def _dependents(self, ns, uid):
        """(resource, object) of everything that names uid as an owner (in ns, or anywhere if ns is None)."""
        return self.store.select(lambda o: deletion.owned_by(o, uid), ns)

    def _find(self, ns, uid):
        found = self.store.select(lambda o: o["metadata"].get("uid") == uid, ns)
        return found[0] if found else (None, None)

    def process(self, ns, uid):
        st = self.store
        with st.lock:
            resource, owner = self._find(ns, uid)
            deps = self._dependents(ns, uid)
            if owner is None:  # Background: the owner is gone, its dependents follow
                for dep in deps:
                    self._delete_dependent(*dep)
                return
            meta = owner["metadata"]
            fins = meta.get("finalizers") or []
            if not meta.get("deletionTimestamp"):
                return
            name, ons = meta["name"], meta.get("namespace")
            if deletion.ORPHAN in fins:
                for dres, d in deps:
                    st.mutate(dres, d["metadata"].get("namespace"), d["metadata"]["name"],
                              lambda o: self._orphan(o, uid))
                deletion.remove_finalizer(st, resource, ons, name, deletion.ORPHAN, uid)
            elif deletion.FOREGROUND in fins:
                for dep in deps:
                    self._delete_dependent(*dep)
                if not self._dependents(ns, uid):
                    deletion.remove_finalizer(st, resource, ons, name, deletion.FOREGROUND, uid)

    def _delete_dependent(self, resource, obj):
        meta = obj["metadata"]
        ns = meta.get("namespace")
        if resource == "pods":
            deletion.remove_finalizer(self.store, "pods", ns, meta["name"], defaults.TRACKING_FINALIZER, meta["uid"])
            deletion.delete_pod(self.store, ns, meta["name"], uid=meta["uid"])
            return
        if meta.get("deletionTimestamp"):
            return
        try:
            deletion.delete_object(self.store, resource, "", ns, meta["name"], "Background", {"uid": meta["uid"]})
        except Exception:
            pass  # gone or replaced meanwhile

    @staticmethod
    def _orphan(obj, uid):
        meta = obj["metadata"]
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != uid]
        if refs:
            meta["ownerReferences"] = refs
        else:
            meta.pop("ownerReferences", None)
        fins = [f for f in meta.get("finalizers") or [] if f != defaults.TRACKING_FINALIZER]
        if fins:
            meta["finalizers"] = fins
        else:
            meta.pop("finalizers", None)
        return obj
