"""The fake Job controller (kube-controller-manager's, 1.32 behaviour) and the TTL-after-finished controller.

Creates pods from the template (parallelism/completions, NonIndexed or Indexed), counts finished
pods through the batch.kubernetes.io/job-tracking finalizer, honours backoffLimit (restartPolicy
Never: failed pods; OnFailure: container restarts), activeDeadlineSeconds and suspend, and sets
status the way 1.32 does: FailureTarget then Failed, SuccessCriteriaMet then Complete (+completionTime)
once no pod is left running. Replacement pods wait job_backoff_ms * 2^(failures-1).
Runs on its own thread, fed by Store events and timers; thread-safe.
"""

import copy
import time

import defaults
import deletion
import podfailurepolicy
import workqueue


def _cond(status, type_):
    for c in status.get("conditions") or []:
        if c["type"] == type_ and c["status"] == "True":
            return c
    return None


def _add_cond(status, type_, reason, message, now):
    status.setdefault("conditions", []).append({"type": type_, "status": "True", "lastProbeTime": now,
                                                "lastTransitionTime": now, "reason": reason, "message": message})


def parse_indexes(s):
    out = set()
    for part in filter(None, (s or "").split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def format_indexes(idx):
    runs, out = sorted(idx), []
    i = 0
    while i < len(runs):
        j = i
        while j + 1 < len(runs) and runs[j + 1] == runs[j] + 1:
            j += 1
        out.append(str(runs[i]) if i == j else "%d-%d" % (runs[i], runs[j]))
        i = j + 1
    return ",".join(out)


def _terminal(p):
    return p.get("status", {}).get("phase") in ("Succeeded", "Failed")


def _ready(p):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions") or [])


def _index(p):
    v = (p["metadata"].get("annotations") or {}).get(defaults.INDEX_ANNOTATION)
    return int(v) if v is not None else None


class JobController(workqueue.Worker):
    tick_seconds = 1.0

    def __init__(self, store, opts):
        super().__init__("job-controller")
        self.store, self.opts = store, opts
        self.last_failure = {}    # job uid -> time of the newest counted pod failure
        self.index_failures = {}  # job uid -> {index: failures} (the real controller keeps it in a pod annotation)

    def on_event(self, ev):
        meta = ev.obj["metadata"]
        if ev.resource == "jobs":
            self.enqueue(meta["namespace"], meta["name"])
        elif ev.resource == "pods":
            for ref in meta.get("ownerReferences") or []:
                if ref.get("kind") == "Job" and ref.get("controller"):
                    self.enqueue(meta["namespace"], ref["name"])

    def tick(self):  # safety net for deadlines and TTLs
        return [(j["metadata"]["namespace"], j["metadata"]["name"]) for j in self.store.list("jobs")[0]]

    # -- one Job --------------------------------------------------------------------------------
    def sync(self, ns, name):
        st = self.store
        with st.lock:
            job = st.get("jobs", ns, name)
            if job is None:
                return
            uid = job["metadata"]["uid"]
            pods = [p for p in st.list("pods", ns)[0] if deletion.owned_by(p, uid)]
            if job["metadata"].get("deletionTimestamp"):
                for p in pods:
                    deletion.remove_finalizer(st, "pods", ns, p["metadata"]["name"], defaults.TRACKING_FINALIZER)
                return
            spec, old_status = job["spec"], job.get("status") or {}
            status = copy.deepcopy(old_status)
            finished = _cond(status, "Complete") or _cond(status, "Failed")
            indexed = spec.get("completionMode") == "Indexed"
            per_index = indexed and spec.get("backoffLimitPerIndex") is not None
            done_idx = parse_indexes(status.get("completedIndexes"))
            failed_idx = parse_indexes(status.get("failedIndexes"))
            index_failures = self.index_failures.setdefault(uid, {})
            now_t = time.time()
            now = defaults.now_rfc3339(now_t)
            for p in pods:
                if _terminal(p) and defaults.TRACKING_FINALIZER in (p["metadata"].get("finalizers") or []):
                    if not finished:
                        if p["status"]["phase"] == "Succeeded":
                            if not indexed or _index(p) not in done_idx:
                                status["succeeded"] = status.get("succeeded", 0) + 1
                            if indexed:
                                done_idx.add(_index(p))
                        else:
                            self._count_failure(job, p, status, index_failures, failed_idx, now, now_t)
                    deletion.remove_finalizer(st, "pods", ns, p["metadata"]["name"], defaults.TRACKING_FINALIZER)
            if finished:
                self._ttl(job, status)
                return
            active = [p for p in pods if not _terminal(p) and not p["metadata"].get("deletionTimestamp")]
            terminating = [p for p in pods if not _terminal(p) and p["metadata"].get("deletionTimestamp")]
            if per_index:  # a failed index stops at once: its other pods are not wanted
                for p in [p for p in active if _index(p) in failed_idx]:
                    deletion.delete_pod(st, ns, p["metadata"]["name"])
                    active.remove(p)
                    terminating.append(p)
            if spec.get("suspend"):
                for p in active:
                    deletion.delete_pod(st, ns, p["metadata"]["name"])
                if not _cond(status, "Suspended"):
                    _add_cond(status, "Suspended", "JobSuspended", "Job suspended", now)
                active = []
            elif not status.get("startTime"):
                status["startTime"] = now
            target = _cond(status, "FailureTarget") or _cond(status, "SuccessCriteriaMet")
            if target is None and not spec.get("suspend"):
                target = self._judge(job, status, active, done_idx, failed_idx, now_t, now)
            if target is not None:
                for p in active:
                    deletion.delete_pod(st, ns, p["metadata"]["name"])
                active = []
                terminating = [p for p in st.list("pods", ns)[0]
                               if deletion.owned_by(p, uid) and not _terminal(p)]
                if not terminating:
                    final = "Complete" if target["type"] == "SuccessCriteriaMet" else "Failed"
                    _add_cond(status, final, target["reason"], target["message"], now)
                    if final == "Complete":
                        status["completionTime"] = now
            elif not spec.get("suspend"):
                active += self._create_pods(job, status, active, terminating, done_idx | failed_idx, index_failures)
            if indexed:
                status["completedIndexes"] = format_indexes(done_idx)
            if per_index:
                status["failedIndexes"] = format_indexes(failed_idx)
            status["active"] = len(active)
            status["ready"] = sum(1 for p in active if _ready(p))
            status["terminating"] = len(terminating)
            status["uncountedTerminatedPods"] = {}
            for k in ("active", "succeeded", "failed"):
                if not status.get(k):
                    status.pop(k, None)
            if status != old_status:
                st.mutate("jobs", ns, name, lambda j: self._set_status(j, uid, status))
            if _cond(status, "Complete") or _cond(status, "Failed"):
                self._ttl(job, status)
            ads = spec.get("activeDeadlineSeconds")
            if ads is not None and status.get("startTime"):
                left = defaults.parse_rfc3339(status["startTime"]) + ads - time.time()
                if left > 0:
                    self.enqueue(ns, name, left + 0.01)

    def _count_failure(self, job, pod, status, index_failures, failed_idx, now, now_t):
        """A failed pod, seen once: apply podFailurePolicy, then count it (globally and per index)."""
        spec = job["spec"]
        action, message = podfailurepolicy.match(spec.get("podFailurePolicy"), pod)
        if action == "Ignore":
            return
        status["failed"] = status.get("failed", 0) + 1
        self.last_failure[job["metadata"]["uid"]] = now_t
        if action == "FailJob" and not _cond(status, "FailureTarget"):
            _add_cond(status, "FailureTarget", "PodFailurePolicy", message, now)
        idx = _index(pod)
        if spec.get("backoffLimitPerIndex") is None or idx is None or _cond(status, "FailureTarget"):
            return  # pods killed because the Job is failing do not fail their indexes
        index_failures[idx] = index_failures.get(idx, 0) + 1
        if action == "FailIndex" or index_failures[idx] > spec["backoffLimitPerIndex"]:
            failed_idx.add(idx)

    @staticmethod
    def _set_status(job, uid, status):
        if job["metadata"]["uid"] != uid:
            return None
        job["status"] = status
        return job

    def _judge(self, job, status, active, done_idx, failed_idx, now_t, now):
        """Decide FailureTarget / SuccessCriteriaMet; returns the condition added, or None."""
        spec = job["spec"]
        limit = spec.get("backoffLimit", 6)
        failed = status.get("failed", 0)
        if spec["template"]["spec"].get("restartPolicy") == "OnFailure":
            restarts = sum(c.get("restartCount", 0) for p in active
                           for c in p.get("status", {}).get("containerStatuses") or [])
            exceeded = failed > limit or (restarts > 0 if limit == 0 else restarts >= limit)
        else:
            exceeded = failed > limit
        if spec.get("completionMode") == "Indexed" and spec.get("backoffLimitPerIndex") is not None:
            max_failed = spec.get("maxFailedIndexes")
            if max_failed is not None and len(failed_idx) > max_failed:
                _add_cond(status, "FailureTarget", "MaxFailedIndexesExceeded",
                          "Job has exceeded the specified maximal number of failed indexes", now)
                return _cond(status, "FailureTarget")
            if failed_idx and len(done_idx | failed_idx) >= (spec.get("completions") or 0):
                _add_cond(status, "FailureTarget", "FailedIndexes", "Job has failed indexes", now)
                return _cond(status, "FailureTarget")
        if exceeded:
            _add_cond(status, "FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit",
                      now)
            return _cond(status, "FailureTarget")
        ads = spec.get("activeDeadlineSeconds")
        if ads is not None and status.get("startTime") and now_t >= defaults.parse_rfc3339(status["startTime"]) + ads:
            _add_cond(status, "FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline",
                      now)
            return _cond(status, "FailureTarget")
        succeeded, completions = status.get("succeeded", 0), spec.get("completions")
        rule = podfailurepolicy.success_rule(spec, done_idx)
        if rule is not None:
            _add_cond(status, "SuccessCriteriaMet", "SuccessPolicy", "Matched rules at index %d" % rule, now)
            return _cond(status, "SuccessCriteriaMet")
        if spec.get("completionMode") == "Indexed":
            success = len(done_idx) >= (completions or 0)
        elif completions is None:
            success = succeeded > 0 and not active
        else:
            success = succeeded >= completions
        if success:
            _add_cond(status, "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods",
                      now)
            return _cond(status, "SuccessCriteriaMet")
        return None

    def _create_pods(self, job, status, active, terminating, done_idx, index_failures):
        spec, meta = job["spec"], job["metadata"]
        parallelism, completions = spec.get("parallelism", 1), spec.get("completions")
        busy = len(active) + (len(terminating) if spec.get("podReplacementPolicy") == "Failed" else 0)
        indexes = [None]
        if spec.get("completionMode") == "Indexed":
            running = {_index(p) for p in active + terminating}
            indexes = [i for i in range(completions or 0) if i not in done_idx and i not in running]
            want = min(parallelism - busy, len(indexes))
        elif completions is None:
            want = 0 if status.get("succeeded") else parallelism - busy
        else:
            want = min(parallelism, completions - status.get("succeeded", 0)) - busy
        if want <= 0:
            return []
        failures = status.get("failed", 0)
        last = self.last_failure.get(meta["uid"])
        if failures and last is not None:
            base = self.opts.job_backoff_ms / 1000.0
            delay = min(base * 2 ** (failures - 1), base * 36)
            if time.time() < last + delay:
                self.enqueue(meta["namespace"], meta["name"], last + delay - time.time() + 0.005)
                return []
        created = []
        for i in range(want):
            index = indexes[i] if spec.get("completionMode") == "Indexed" else None
            for _ in range(5):
                pod = self.store.create("pods", defaults.pod_from_template(job, index, index_failures.get(index, 0)))
                if pod is not None:
                    created.append(pod)
                    break
        return created

    def _ttl(self, job, status):
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        end = status.get("completionTime") or (_cond(status, "Failed") or {}).get("lastTransitionTime")
        if not end:
            return
        left = defaults.parse_rfc3339(end) + ttl - time.time()
        meta = job["metadata"]
        if left <= 0:
            try:
                deletion.delete_job(self.store, meta["namespace"], meta["name"], "Background",
                                    {"uid": meta["uid"]})
            except Exception:
                pass
        else:
            self.enqueue(meta["namespace"], meta["name"], left + 0.01)
