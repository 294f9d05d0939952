"""The fake garbage collector for Job -> Pod ownership.

Resolves the deletion finalizers: "orphan" (strip the ownerReference from the Job's pods, then
let the Job go), "foregroundDeletion" (delete the pods, let the Job go when none is left), and
deletes the pods of a Job that is already gone (Background). The Job controller's
batch.kubernetes.io/job-tracking finalizer is also removed from pods whose Job is being deleted.
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
        if ev.resource == "jobs":
            if ev.type == "DELETED" or meta.get("deletionTimestamp"):
                self.queue.put((meta["namespace"], meta["name"], meta["uid"]))
        elif ev.resource == "pods" and ev.type == "DELETED":
            for ref in meta.get("ownerReferences") or []:
                if ref.get("kind") == "Job":
                    self.queue.put((meta["namespace"], ref["name"], ref["uid"]))

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

    def _pods_of(self, ns, uid):
        items, _ = self.store.list("pods", ns)
        return [p for p in items if deletion.owned_by(p, uid)]

    def process(self, ns, name, uid):
        st = self.store
        with st.lock:
            job = st.get("jobs", ns, name)
            live = job is not None and job["metadata"]["uid"] == uid
            pods = self._pods_of(ns, uid)
            if not live:  # Background: the owner is gone, its dependents follow
                for p in pods:
                    self._delete_dependent(p)
                return
            fins = job["metadata"].get("finalizers") or []
            if not job["metadata"].get("deletionTimestamp"):
                return
            if deletion.ORPHAN in fins:
                for p in pods:
                    st.mutate("pods", ns, p["metadata"]["name"], lambda o: self._orphan(o, uid))
                deletion.remove_finalizer(st, "jobs", ns, name, deletion.ORPHAN, uid)
            elif deletion.FOREGROUND in fins:
                for p in pods:
                    self._delete_dependent(p)
                if not self._pods_of(ns, uid):
                    deletion.remove_finalizer(st, "jobs", ns, name, deletion.FOREGROUND, uid)

    def _delete_dependent(self, pod):
        meta = pod["metadata"]
        deletion.remove_finalizer(self.store, "pods", meta["namespace"], meta["name"],
                                  defaults.TRACKING_FINALIZER, meta["uid"])
        deletion.delete_pod(self.store, meta["namespace"], meta["name"], uid=meta["uid"])

    @staticmethod
    def _orphan(pod, uid):
        meta = pod["metadata"]
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
        return pod
