"""A simulated JobSet controller (jobset.x-k8s.io/v1alpha2, v0.12 behaviour) with its admission webhook.

Webhook defaulting (stored, as the real mutating webhook's is): successPolicy operator All,
startupPolicy AnyOrder, child Job completionMode Indexed, pod restartPolicy OnFailure, network
enableDNSHostnames/publishNotReadyAddresses true, failure-policy rule names; validation of the
names the child Jobs and pods will get and of successPolicy/failurePolicy targets (403 "admission
webhook ... denied the request"). Controller: one headless Service (network.subdomain, default the
JobSet's name) selecting the JobSet's pods, child Jobs <jobset>-<replicatedJob>-<index> with the
jobset.sigs.k8s.io labels and annotations and the pods' subdomain; Completed (successPolicy All/Any
over targetReplicatedJobs) or Failed (no failurePolicy: any failed Job; with one: rules matched on
the Job failure reason, FailJobSet, or RestartJobSet until maxRestarts, then ReachedMaxRestarts),
terminalState, restarts, replicatedJobsStatus; active Jobs are deleted once the JobSet finishes.
Runs on its own thread, fed by Store events; thread-safe.
"""

import copy
import hashlib
import re

import apierrors
import conditions
import defaults
import deletion
import services
import validation
import workqueue

RESOURCE = "jobsets.jobset.x-k8s.io"
GROUP_VERSION = "jobset.x-k8s.io/v1alpha2"
P = "jobset.sigs.k8s.io/"
WEBHOOK = "vjobset.kb.io"
RULE_NAME = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
FAILURE_REASONS = ["BackoffLimitExceeded", "DeadlineExceeded", "FailedIndexes", "MaxFailedIndexesExceeded",
                   "PodFailurePolicy"]


def _job_finished(job):
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c["type"], c
    return None, None


class JobSetController(workqueue.Worker):
    def __init__(self, store, opts):
        super().__init__("jobset-controller")
        self.store, self.opts = store, opts

    def on_event(self, ev):
        meta = ev.obj["metadata"]
        if ev.resource == RESOURCE:
            self.enqueue(meta.get("namespace"), meta["name"])
        elif ev.resource in ("jobs", "services"):
            for ref in meta.get("ownerReferences") or []:
                if ref.get("kind") == "JobSet" and ref.get("controller"):
                    self.enqueue(meta.get("namespace"), ref["name"])

    # -- webhook ------------------------------------------------------------------------------------
    def admit(self, rdef, js):
        if rdef.store_key != RESOURCE:
            return
        spec = js.setdefault("spec", {})
        spec.setdefault("successPolicy", {"operator": "All"})
        spec.setdefault("startupPolicy", {"startupPolicyOrder": "AnyOrder"})
        for rj in spec.get("replicatedJobs") or []:
            jspec = rj.setdefault("template", {}).setdefault("spec", {})
            jspec.setdefault("completionMode", "Indexed")
            pspec = jspec.setdefault("template", {}).setdefault("spec", {})
            if not pspec.get("restartPolicy"):
                pspec["restartPolicy"] = "OnFailure"
        net = spec.setdefault("network", {})
        net.setdefault("enableDNSHostnames", True)
        net.setdefault("publishNotReadyAddresses", True)
        for i, rule in enumerate((spec.get("failurePolicy") or {}).get("rules") or []):
            if not rule.get("name"):
                rule["name"] = "failurePolicyRule%d" % i
        errs = self._validate(js)
        if errs:
            raise apierrors.ApiError(403, "Forbidden", 'admission webhook "%s" denied the request: %s'
                                     % (WEBHOOK, "\n".join(errs)))

    def _validate(self, js):
        spec, name = js["spec"], js["metadata"].get("name") or ""
        errs, names = [], [rj.get("name") for rj in spec.get("replicatedJobs") or []]
        sub = spec["network"].get("subdomain")
        if sub:
            errs += validation.is_dns1123_subdomain(sub)
            errs += [".spec.network.subdomain is too long, must be less than 63 characters" if "63" in m else m
                     for m in services.is_dns1035_label(sub)]
        for rj in spec.get("replicatedJobs") or []:
            errs += [".spec.replicatedJob[].groupName is too long, must be less than 63 characters" if "63" in m else m
                     for m in services.is_dns1035_label(rj.get("groupName", "default"))]
            longest = "%s-%s-%d" % (name, rj.get("name"), rj.get("replicas", 1) - 1)
            errs += ["JobSet name is too long, job names generated for this JobSet will exceed 63 characters"
                     if "63" in m else m for m in services.is_dns1035_label(longest)]
            jspec = rj["template"]["spec"]
            if jspec.get("completionMode") == "Indexed" and jspec.get("completions") is not None:
                pod = "%s-%d-abcde" % (longest, jspec["completions"] - 1)
                errs += ["JobSet name is too long, pod names generated for this JobSet will exceed 63 characters"
                         if "63" in m else m for m in services.is_dns1035_label(pod)]
        for t in spec["successPolicy"].get("targetReplicatedJobs") or []:
            if t not in names:
                errs.append("invalid replicatedJob name '%s' does not appear in .spec.ReplicatedJobs" % t)
        for rule in (spec.get("failurePolicy") or {}).get("rules") or []:
            if not RULE_NAME.match(rule["name"]):
                errs.append("invalid failure policy rule name '%s', a failure policy rule name must start with an "
                            "alphabetic character, optionally followed by a string of alphanumeric characters or "
                            "'_,:', and must end with an alphanumeric character or '_'" % rule["name"])
            for t in rule.get("targetReplicatedJobs") or []:
                if t not in names:
                    errs.append("invalid replicatedJob name '%s' in failure policy does not appear in "
                                ".spec.ReplicatedJobs" % t)
            for r in rule.get("onJobFailureReasons") or []:
                if r not in FAILURE_REASONS:
                    errs.append("invalid job failure reason '%s' in failure policy is not a recognized job failure "
                                "reason" % r)
        return errs

    # -- reconcile ------------------------------------------------------------------------------------
    def sync(self, ns, name):
        st = self.store
        with st.lock:
            js = st.get(RESOURCE, ns, name)
            if js is None or js["metadata"].get("deletionTimestamp"):
                return
            spec, uid = js["spec"], js["metadata"]["uid"]
            old = js.get("status") or {}
            status = copy.deepcopy(old)
            status.setdefault("restarts", 0)
            restarts = status["restarts"]
            jobs = [j for j in st.list("jobs", ns)[0] if deletion.owned_by(j, uid)]
            current, stale = [], []
            for j in jobs:
                attempt = int((j["metadata"].get("labels") or {}).get(P + "restart-attempt", "0"))
                (stale if attempt < restarts else current).append(j)
            for j in stale:
                self._delete_obj(j, "jobs")
            finished = conditions.is_true(status, "Completed") or conditions.is_true(status, "Failed")
            active = [j for j in current if _job_finished(j)[0] is None]
            failed = [j for j in current if _job_finished(j)[0] == "Failed"]
            self._replicated_status(spec, status, current)
            if finished:
                for j in active:
                    self._delete_obj(j, "jobs")
                return self._write(js, old, status)
            if failed:
                self._on_failure(js, status, failed)
            elif self._succeeded(spec, current):
                conditions.set_meta(status, "Completed", "True", "AllJobsCompleted", "jobset completed successfully")
                status["terminalState"] = "Completed"
            if conditions.is_true(status, "Completed") or conditions.is_true(status, "Failed"):
                for j in active:
                    self._delete_obj(j, "jobs")
                return self._write(js, old, status)
            if status["restarts"] == restarts:  # after a restart, wait for the old Jobs to go first
                self._ensure_service(js)
                names = {j["metadata"]["name"] for j in jobs}
                gi = 0
                total = sum(rj.get("replicas", 1) for rj in spec.get("replicatedJobs") or [])
                for rj in spec.get("replicatedJobs") or []:
                    for idx in range(rj.get("replicas", 1)):
                        jname = "%s-%s-%d" % (name, rj["name"], idx)
                        if jname not in names:
                            self._create_job(js, rj, idx, gi, total, restarts)
                        gi += 1
            self._write(js, old, status)

    def _write(self, stored, old, status):
        self.store.set_status(RESOURCE, dict(stored, status=old), status)

    def _delete_obj(self, obj, resource):
        m = obj["metadata"]
        if m.get("deletionTimestamp"):
            return
        try:
            deletion.delete_object(self.store, resource, "", m.get("namespace"), m["name"], "Background",
                                   {"uid": m["uid"]})
        except apierrors.ApiError:
            pass

    def _replicated_status(self, spec, status, jobs):
        out = []
        for rj in spec.get("replicatedJobs") or []:
            mine = [j for j in jobs if (j["metadata"].get("labels") or {}).get(P + "replicatedjob-name") == rj["name"]]
            counts = {"name": rj["name"], "ready": 0, "succeeded": 0, "failed": 0, "active": 0, "suspended": 0}
            for j in mine:
                kind, _ = _job_finished(j)
                jst, jspec = j.get("status") or {}, j["spec"]
                if kind == "Complete":
                    counts["succeeded"] += 1
                elif kind == "Failed":
                    counts["failed"] += 1
                elif jspec.get("suspend"):
                    counts["suspended"] += 1
                else:
                    if jst.get("active", 0) > 0:
                        counts["active"] += 1
                    want = min(jspec.get("parallelism", 1), jspec.get("completions") or jspec.get("parallelism", 1))
                    if jst.get("ready", 0) + jst.get("succeeded", 0) >= want:
                        counts["ready"] += 1
            out.append(counts)
        status["replicatedJobsStatus"] = out

    def _succeeded(self, spec, jobs):
        policy = spec.get("successPolicy") or {"operator": "All"}
        targets = policy.get("targetReplicatedJobs") or [rj["name"] for rj in spec.get("replicatedJobs") or []]
        done = [j for j in jobs if _job_finished(j)[0] == "Complete" and
                (j["metadata"].get("labels") or {}).get(P + "replicatedjob-name") in targets]
        if policy.get("operator") == "Any":
            return bool(done)
        want = sum(rj.get("replicas", 1) for rj in spec.get("replicatedJobs") or [] if rj["name"] in targets)
        return len(done) >= want

    def _on_failure(self, js, status, failed):
        fp = js["spec"].get("failurePolicy")
        if fp is None:
            return self._fail(status, "FailedJobs", "jobset failed due to one or more job failures")
        job = failed[0]
        _, cond = _job_finished(job)
        rjob = (job["metadata"].get("labels") or {}).get(P + "replicatedjob-name")
        action, rule_name = "RestartJobSet", None
        for rule in fp.get("rules") or []:
            if rule.get("targetReplicatedJobs") and rjob not in rule["targetReplicatedJobs"]:
                continue
            if rule.get("onJobFailureReasons") and cond.get("reason") not in rule["onJobFailureReasons"]:
                continue
            action, rule_name = rule["action"], rule["name"]
            break
        if action == "FailJobSet":
            return self._fail(status, "FailJobSetFailurePolicyAction", "jobset failed due to applying failure "
                              "policy rule %s to failed job %s" % (rule_name, job["metadata"]["name"]))
        counts = action in ("RestartJobSet", "RestartJob")
        if counts and status.get("restartsCountTowardsMax", 0) >= fp.get("maxRestarts", 0):
            return self._fail(status, "ReachedMaxRestarts", "jobset failed due to reaching max number of restarts")
        status["restarts"] = status.get("restarts", 0) + 1  # RestartJob is treated as RestartJobSet here
        if counts:
            status["restartsCountTowardsMax"] = status.get("restartsCountTowardsMax", 0) + 1

    @staticmethod
    def _fail(status, reason, message):
        conditions.set_meta(status, "Failed", "True", reason, message)
        status["terminalState"] = "Failed"

    def _subdomain(self, js):
        return js["spec"].get("network", {}).get("subdomain") or js["metadata"]["name"]

    def _ensure_service(self, js):
        net = js["spec"].get("network") or {}
        if not net.get("enableDNSHostnames"):
            return
        meta, name = js["metadata"], self._subdomain(js)
        if self.store.get("services", meta.get("namespace"), name) is not None:
            return
        svc = {"kind": "Service", "apiVersion": "v1", "metadata": dict(
            defaults.new_meta(name, meta.get("namespace")),
            ownerReferences=[defaults.controller_ref(GROUP_VERSION, "JobSet", meta)]),
            "spec": {"clusterIP": "None", "selector": {P + "jobset-name": meta["name"]},
                     "publishNotReadyAddresses": bool(net.get("publishNotReadyAddresses", True))}}
        self.store.create("services", services.default_service(svc))

    def _create_job(self, js, rj, idx, global_idx, total, restarts):
        meta = js["metadata"]
        tmpl = copy.deepcopy(rj.get("template") or {})
        jname = "%s-%s-%d" % (meta["name"], rj["name"], idx)
        key = hashlib.sha1(("%s/%s" % (meta.get("namespace"), jname)).encode()).hexdigest()
        labels = {P + "jobset-name": meta["name"], P + "replicatedjob-name": rj["name"],
                  P + "restart-attempt": str(restarts), P + "replicatedjob-replicas": str(rj.get("replicas", 1)),
                  P + "job-index": str(idx), P + "job-key": key, P + "job-global-index": str(global_idx),
                  P + "global-replicas": str(total), P + "jobset-uid": meta["uid"]}
        annotations = {P + "replicatedjob-replicas": str(rj.get("replicas", 1)), P + "job-index": str(idx),
                       P + "job-global-index": str(global_idx), P + "global-replicas": str(total)}
        spec = tmpl.get("spec") or {}
        ptmpl = spec.setdefault("template", {})
        pmeta = ptmpl.setdefault("metadata", {})
        pmeta["labels"] = dict(pmeta.get("labels") or {}, **labels)
        pmeta["annotations"] = dict(pmeta.get("annotations") or {}, **annotations)
        if (js["spec"].get("network") or {}).get("enableDNSHostnames"):
            ptmpl.setdefault("spec", {})["subdomain"] = self._subdomain(js)
        spec["suspend"] = bool(js["spec"].get("suspend"))
        jmeta = defaults.new_meta(jname, meta.get("namespace"))
        jmeta["labels"] = dict((tmpl.get("metadata") or {}).get("labels") or {}, **labels)
        jmeta["annotations"] = dict((tmpl.get("metadata") or {}).get("annotations") or {}, **annotations)
        jmeta["ownerReferences"] = [defaults.controller_ref(GROUP_VERSION, "JobSet", meta)]
        job = {"kind": "Job", "apiVersion": "batch/v1", "metadata": jmeta, "spec": spec}
        defaults.default_job(job)
        uid = jmeta["uid"]
        defaults.prepare_job_for_create(job, uid)
        errs = validation.validate_job(job)
        if errs:
            print("fake-kube: jobset %s/%s: cannot create Job %s: %s" % (meta.get("namespace"), meta["name"], jname,
                                                                          apierrors.aggregate(errs)), flush=True)
            return
        self.store.create("jobs", job)
