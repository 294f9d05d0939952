"""A simulated Kubeflow training operator (v1.9) for TFJob and PyTorchJob (kubeflow.org/v1).

For each replica type x index it creates a Pod and a headless Service named <job>-<type>-<index>
(type lowercased) with the operator's labels (training.kubeflow.org/operator-name, job-name,
replica-type, replica-index, job-role=master for the chief/master), a controller ownerReference,
the replica's restartPolicy (ExitCode -> Never, the operator deciding), and the env the operator
injects: TF_CONFIG into the "tensorflow" container of a distributed TFJob; PYTHONUNBUFFERED,
MASTER_PORT, MASTER_ADDR, WORLD_SIZE and RANK into every container of a PyTorchJob with a Master.
Status: Created, Running, Restarting, Succeeded, Failed conditions (reasons <Kind><Type>) with the
operator's messages, replicaStatuses, start/completion/lastReconcile times; backoffLimit and
activeDeadlineSeconds; cleanPodPolicy on finish; ttlSecondsAfterFinished; runPolicy.suspend.
Its validating webhook rejects what the real one rejects (403 "admission webhook ... denied").
Runs on its own thread, fed by Store events; thread-safe.
"""

import copy
import json
import time

import apierrors
import conditions
import defaults
import deletion
import services
import workqueue
from apierrors import FieldError

GROUP_VERSION = "kubeflow.org/v1"
L_OPERATOR, L_JOB = "training.kubeflow.org/operator-name", "training.kubeflow.org/job-name"
L_TYPE, L_INDEX, L_ROLE = ("training.kubeflow.org/replica-type", "training.kubeflow.org/replica-index",
                           "training.kubeflow.org/job-role")


class Flavor:
    def __init__(self, kind, plural, specs_key, container, port_name, port, restart, clean, types, webhook):
        self.kind, self.resource, self.specs_key, self.container = kind, plural + ".kubeflow.org", specs_key, container
        self.port_name, self.port, self.restart, self.clean, self.types = port_name, port, restart, clean, types
        self.controller_name, self.webhook = kind.lower() + "-controller", webhook


TFJOB = Flavor("TFJob", "tfjobs", "tfReplicaSpecs", "tensorflow", "tfjob-port", 2222, "Never", "Running",
               ["Chief", "Evaluator", "Master", "PS", "Worker"], "validator.tfjob.training-operator.kubeflow.org")
PYTORCHJOB = Flavor("PyTorchJob", "pytorchjobs", "pytorchReplicaSpecs", "pytorch", "pytorchjob-port", 23456,
                    "OnFailure", "None", ["Master", "Worker"], "validator.pytorchjob.training-operator.kubeflow.org")


def _camel(rtype):
    """setTypeNamesToCamelCase: 'worker' -> 'Worker', 'ps' -> 'PS'."""
    for t in ("Chief", "Evaluator", "Master", "PS", "Worker"):
        if rtype.lower() == t.lower():
            return t
    return rtype


def _exit_code(pod, container):
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        term = (cs.get("state") or {}).get("terminated")
        if cs.get("name") == container and term:
            return term.get("exitCode")
    return 0xbeef


class TrainingController(workqueue.Worker):
    def __init__(self, store, opts, flavor):
        super().__init__(flavor.controller_name)
        self.store, self.opts, self.f = store, opts, flavor

    # -- plumbing ---------------------------------------------------------------------------------
    def on_event(self, ev):
        meta = ev.obj["metadata"]
        if ev.resource == self.f.resource:
            self.enqueue(meta.get("namespace"), meta["name"])
        elif ev.resource in ("pods", "services"):
            for ref in meta.get("ownerReferences") or []:
                if ref.get("kind") == self.f.kind and ref.get("controller"):
                    self.enqueue(meta.get("namespace"), ref["name"])

    # -- admission (the operator's validating webhook) ---------------------------------------------
    def admit(self, rdef, obj):
        if rdef.store_key != self.f.resource:
            return
        errs = []
        name = obj["metadata"].get("name") or ""
        msgs = services.is_dns1035_label(name)
        if msgs:
            errs.append(FieldError("Invalid", "metadata.name", name, "should match: " + ",".join(msgs)))
        specs = (obj.get("spec") or {}).get(self.f.specs_key)
        path = "spec." + self.f.specs_key
        if specs is None:
            errs.append(FieldError("Required", path, detail="must be required"))
        masters = 0
        for rtype, rspec in sorted((specs or {}).items()):
            rpath = "%s[%s]" % (path, rtype)
            cpath = rpath + ".template.spec.containers"
            if _camel(rtype) not in self.f.types:
                errs.append(FieldError("NotSupported", rpath, rtype, "supported values: " + ", ".join(
                    '"%s"' % t for t in self.f.types)))
            containers = (((rspec or {}).get("template") or {}).get("spec") or {}).get("containers") or []
            if not containers:
                errs.append(FieldError("Required", cpath, detail="must be specified"))
            for i, c in enumerate(containers):
                if not c.get("image"):
                    errs.append(FieldError("Required", "%s[%d].image" % (cpath, i), detail="must be required"))
            if not any(c.get("name") == self.f.container for c in containers):
                errs.append(FieldError("Required", cpath, detail="must have at least one container with name "
                                       + self.f.container))
            replicas = (rspec or {}).get("replicas")
            if _camel(rtype) in ("Chief", "Master"):
                masters += replicas if replicas is not None else 1
                if self.f is PYTORCHJOB and replicas != 1:
                    errs.append(FieldError("Forbidden", rpath + ".replicas", detail="must be 1"))
            elif self.f is PYTORCHJOB and replicas is not None and replicas < 1:
                errs.append(FieldError("Forbidden", rpath + ".replicas", detail="must be at least 1"))
        if self.f is TFJOB and masters > 1:
            errs.append(FieldError("Forbidden", path, detail="must not have more than 1 Chief or Master replica"))
        if errs:
            raise apierrors.ApiError(403, "Forbidden", 'admission webhook "%s" denied the request: %s'
                                     % (self.f.webhook, apierrors.aggregate(errs)))

    # -- reconcile --------------------------------------------------------------------------------
    def _defaulted(self, job):
        """The operator's defaulting (applied in memory by the controller, not stored)."""
        job = copy.deepcopy(job)
        spec = job.setdefault("spec", {})
        rp = spec.setdefault("runPolicy", {})
        rp.setdefault("cleanPodPolicy", self.f.clean)
        if self.f is TFJOB:
            spec.setdefault("successPolicy", "")
        specs = {}
        for rtype, rspec in (spec.get(self.f.specs_key) or {}).items():
            rspec = rspec or {}
            rspec.setdefault("replicas", 1)
            rspec.setdefault("restartPolicy", self.f.restart)
            for c in ((rspec.setdefault("template", {}).setdefault("spec", {})).get("containers") or []):
                if c.get("name") == self.f.container and not any(
                        p.get("name") == self.f.port_name for p in c.get("ports") or []):
                    c.setdefault("ports", []).append({"name": self.f.port_name, "containerPort": self.f.port,
                                                      "protocol": "TCP"})
            specs[_camel(rtype)] = rspec
        spec[self.f.specs_key] = specs
        return job

    def _port(self, rspec):
        for c in rspec["template"]["spec"].get("containers") or []:
            if c.get("name") == self.f.container:
                for p in c.get("ports") or []:
                    if p.get("name") == self.f.port_name:
                        return p.get("containerPort", self.f.port)
        return self.f.port

    def _labels(self, name):
        return {L_OPERATOR: self.f.controller_name, L_JOB: name.replace("/", "-")}

    def _is_master(self, specs, rtype, index):
        if "Chief" in specs or "Master" in specs:
            return rtype in ("Chief", "Master")
        return self.f is TFJOB and rtype == "Worker" and index == 0

    def sync(self, ns, name):
        st = self.store
        with st.lock:
            stored = st.get(self.f.resource, ns, name)
            if stored is None or stored["metadata"].get("deletionTimestamp"):
                return
            job = self._defaulted(stored)
            uid = job["metadata"]["uid"]
            spec, rp = job["spec"], job["spec"]["runPolicy"]
            specs = spec[self.f.specs_key]
            old = stored.get("status") or {}
            status = copy.deepcopy(old)
            kind = self.f.kind
            if not status.get("conditions"):
                conditions.set_training(status, "Created", kind + "Created", "%s %s is created." % (kind, name))
            pods = [p for p in st.list("pods", ns)[0] if deletion.owned_by(p, uid)]
            svcs = [s for s in st.list("services", ns)[0] if deletion.owned_by(s, uid)]
            finished = conditions.is_true(status, "Succeeded") or conditions.is_true(status, "Failed")
            if finished:
                self._cleanup(rp, pods, svcs)
                self._ttl(job, status)
                return self._write(stored, old, status)
            if rp.get("suspend"):
                for p in pods:
                    deletion.delete_pod(st, ns, p["metadata"]["name"])
                for s in svcs:
                    self._delete_obj(s, "services")
                conditions.set_training(status, "Suspended", kind + "Suspended", "%s %s is suspended." % (kind, name))
                conditions.set_training(status, "Running", kind + "Suspended", "%s %s is suspended." % (kind, name),
                                        "False")
                status.pop("startTime", None)
                return self._write(stored, old, status)
            if conditions.is_true(status, "Suspended"):
                conditions.set_training(status, "Suspended", kind + "Resumed", "%s %s is resumed." % (kind, name),
                                        "False")
            now_t = time.time()
            if not status.get("startTime"):
                status["startTime"] = defaults.now_rfc3339(now_t)
            failure = self._past_limits(job, status, pods, now_t)
            if failure:
                for p in pods:
                    deletion.delete_pod(st, ns, p["metadata"]["name"])
                for s in svcs:
                    self._delete_obj(s, "services")
                conditions.set_training(status, "Failed", kind + "Failed", failure)
                status["completionTime"] = defaults.now_rfc3339()
                return self._write(stored, old, status)
            status["replicaStatuses"] = {}
            by_name = {p["metadata"]["name"]: p for p in pods}
            svc_names = {s["metadata"]["name"] for s in svcs}
            for rtype in [t for t in self.f.types if t in specs]:
                rspec = specs[rtype]
                rs = status["replicaStatuses"].setdefault(rtype, {})
                sel = dict(self._labels(name), **{L_TYPE: rtype.lower()})
                rs["labelSelector"] = {"matchLabels": sel}
                rs["selector"] = ",".join("%s=%s" % kv for kv in sorted(sel.items()))
                for i in range(rspec["replicas"]):
                    pname = "%s-%s-%d" % (name, rtype.lower(), i)
                    if pname not in svc_names:
                        st.create("services", self._service(job, rtype, i, rspec))
                    pod = by_name.get(pname)
                    if pod is None:
                        st.create("pods", self._pod(job, rtype, i, rspec, specs))
                        continue
                    self._check_pod(job, status, rtype, rspec, pod)
                    phase = (pod.get("status") or {}).get("phase")
                    key = {"Running": "active", "Succeeded": "succeeded", "Failed": "failed"}.get(phase)
                    if phase == "Running" and pod["metadata"].get("deletionTimestamp"):
                        key = "failed"
                    if key:
                        rs[key] = rs.get(key, 0) + 1
            self._update_status(job, status)
            if conditions.is_true(status, "Succeeded") or conditions.is_true(status, "Failed"):
                status.setdefault("completionTime", defaults.now_rfc3339())
            if {k: v for k, v in status.items() if k != "lastReconcileTime"} != \
                    {k: v for k, v in old.items() if k != "lastReconcileTime"}:
                status["lastReconcileTime"] = defaults.now_rfc3339()
            self._write(stored, old, status)
            ads = rp.get("activeDeadlineSeconds")
            if ads is not None:
                self.enqueue(ns, name, max(0.0, defaults.parse_rfc3339(status["startTime"]) + ads - time.time()) + 0.05)

    def _write(self, stored, old, status):
        self.store.set_status(self.f.resource, dict(stored, status=old), status)

    def _delete_obj(self, obj, resource):
        m = obj["metadata"]
        try:
            deletion.delete_object(self.store, resource, "", m.get("namespace"), m["name"], "Background",
                                   {"uid": m["uid"]})
        except apierrors.ApiError:
            pass

    def _past_limits(self, job, status, pods, now_t):
        rp, name = job["spec"]["runPolicy"], job["metadata"]["name"]
        limit = rp.get("backoffLimit")
        if limit is not None:
            restarts = sum(cs.get("restartCount", 0) for p in pods
                           for cs in (p.get("status") or {}).get("containerStatuses") or [])
            failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
            if restarts + failed > limit and any(
                    r.get("restartPolicy") in ("OnFailure", "Always") for r in job["spec"][self.f.specs_key].values()):
                return "Job %s has failed because it has reached the specified backoff limit" % name
        ads = rp.get("activeDeadlineSeconds")
        if ads is not None and now_t >= defaults.parse_rfc3339(status["startTime"]) + ads:
            return "Job %s has failed because it was active longer than specified deadline" % name
        return None

    def _check_pod(self, job, status, rtype, rspec, pod):
        """A failed pod: restart it (delete; recreated next sync) or fail the job, by the replica's restartPolicy."""
        if (pod.get("status") or {}).get("phase") != "Failed" or pod["metadata"].get("deletionTimestamp"):
            return
        policy, kind, name = rspec["restartPolicy"], self.f.kind, job["metadata"]["name"]
        code = _exit_code(pod, self.f.container)
        if policy in ("OnFailure", "Always") or (policy == "ExitCode" and 128 <= code <= 255):
            deletion.delete_pod(self.store, pod["metadata"]["namespace"], pod["metadata"]["name"])
            conditions.set_training(status, "Restarting", kind + "Restarting", "%s %s is restarting because %s "
                                    "replica(s) failed." % (kind, name, rtype))
        elif policy == "ExitCode":
            conditions.set_training(status, "Failed", kind + "Failed", 'job "%s" is failing because "%s" replica(s) '
                                    "failed." % (name, rtype))

    def _update_status(self, job, status):
        """UpdateJobStatus of the TFJob / PyTorchJob controllers."""
        kind, meta = self.f.kind, job["metadata"]
        ns, name = meta.get("namespace"), meta["name"]
        specs = job["spec"][self.f.specs_key]
        has_master = any(t in specs for t in ("Chief", "Master"))
        restarting = next((c for c in status.get("conditions") or [] if c["type"] == "Restarting"), None)
        for rtype in [t for t in self.f.types if t in specs]:
            rs = status["replicaStatuses"][rtype]
            replicas = specs[rtype]["replicas"]
            succeeded, running, failed = rs.get("succeeded", 0), rs.get("active", 0), rs.get("failed", 0)
            expected = replicas - succeeded
            running_msg, done_msg = "%s %s/%s is running." % (kind, ns, name), \
                "%s %s/%s successfully completed." % (kind, ns, name)
            if has_master:
                if rtype in ("Chief", "Master"):
                    if running > 0:
                        conditions.set_training(status, "Running", kind + "Running", running_msg)
                    if expected == 0:
                        conditions.set_training(status, "Succeeded", kind + "Succeeded", done_msg)
            elif rtype == "Worker":
                worker0 = self._worker0_done(job)
                any_done = self.f is PYTORCHJOB and job["spec"].get("elasticPolicy") is not None and succeeded > 0
                if expected == 0 or any_done or (self.f is TFJOB and worker0 and
                                                 job["spec"].get("successPolicy") != "AllWorkers"):
                    conditions.set_training(status, "Succeeded", kind + "Succeeded", done_msg)
                elif running > 0:
                    conditions.set_training(status, "Running", kind + "Running", running_msg)
            if failed > 0:
                if self.f is PYTORCHJOB:
                    if replicas > succeeded + running:
                        if specs[rtype]["restartPolicy"] != "Never":
                            conditions.set_training(status, "Restarting", kind + "Restarting", "%s %s is restarting "
                                                    "because %d %s replica(s) failed." % (kind, name, failed, rtype))
                        else:
                            conditions.set_training(status, "Failed", kind + "Failed", "%s %s is failed because %d "
                                                    "%s replica(s) failed." % (kind, name, failed, rtype))
                elif restarting is not None:
                    conditions.set_training(status, "Restarting", restarting["reason"], restarting["message"])
                elif not (job["spec"].get("enableDynamicWorker") and rtype == "Worker"):
                    conditions.set_training(status, "Failed", kind + "Failed", "%s %s/%s has failed because %d %s "
                                            "replica(s) failed." % (kind, ns, name, failed, rtype))

    def _worker0_done(self, job):
        pname = "%s-worker-0" % job["metadata"]["name"]
        pod = self.store.get("pods", job["metadata"].get("namespace"), pname)
        return bool(pod and deletion.owned_by(pod, job["metadata"]["uid"]) and
                    (pod.get("status") or {}).get("phase") == "Succeeded" and
                    _exit_code(pod, self.f.container) in (0, 0xbeef))

    def _cleanup(self, rp, pods, svcs):
        policy = rp.get("cleanPodPolicy")
        if policy == "None":
            return
        svc_by_name = {s["metadata"]["name"]: s for s in svcs}
        for p in pods:
            phase = (p.get("status") or {}).get("phase")
            if policy == "Running" and phase not in ("Running", "Pending"):
                continue
            if not p["metadata"].get("deletionTimestamp"):
                deletion.delete_pod(self.store, p["metadata"]["namespace"], p["metadata"]["name"])
            svc = svc_by_name.get(p["metadata"]["name"])
            if svc is not None:
                self._delete_obj(svc, "services")

    def _ttl(self, job, status):
        ttl = job["spec"]["runPolicy"].get("ttlSecondsAfterFinished")
        end = status.get("completionTime")
        if ttl is None or not end:
            return
        left = defaults.parse_rfc3339(end) + ttl - time.time()
        meta = job["metadata"]
        if left <= 0:
            self._delete_obj(job, self.f.resource)
        else:
            self.enqueue(meta.get("namespace"), meta["name"], left + 0.05)

    # -- objects ------------------------------------------------------------------------------------
    def _replica_labels(self, job, rtype, index, specs=None):
        labels = self._labels(job["metadata"]["name"])
        labels[L_TYPE], labels[L_INDEX] = rtype.lower(), str(index)
        if specs is not None and self._is_master(specs, rtype, index):
            labels[L_ROLE] = "master"
        return labels

    def _service(self, job, rtype, index, rspec):
        meta = job["metadata"]
        labels = self._replica_labels(job, rtype, index)
        svc = {"kind": "Service", "apiVersion": "v1", "metadata": {
            "name": "%s-%s-%d" % (meta["name"], rtype.lower(), index), "namespace": meta.get("namespace"),
            "labels": labels, "ownerReferences": [defaults.controller_ref(GROUP_VERSION, self.f.kind, meta)]},
            "spec": {"clusterIP": "None", "selector": dict(labels),
                     "ports": [{"name": self.f.port_name, "port": self._port(rspec)}]}}
        svc["metadata"].update({k: v for k, v in defaults.new_meta(svc["metadata"]["name"], meta.get("namespace"))
                                .items() if k not in svc["metadata"]})
        return services.default_service(svc)

    def _pod(self, job, rtype, index, rspec, specs):
        meta, tmpl = job["metadata"], copy.deepcopy(rspec["template"])
        pname = "%s-%s-%d" % (meta["name"], rtype.lower(), index)
        labels = dict((tmpl.get("metadata") or {}).get("labels") or {})
        labels.update(self._replica_labels(job, rtype, index, specs))
        pmeta = {"name": pname, "namespace": meta.get("namespace"), "labels": labels,
                 "ownerReferences": [defaults.controller_ref(GROUP_VERSION, self.f.kind, meta)]}
        if (tmpl.get("metadata") or {}).get("annotations"):
            pmeta["annotations"] = dict(tmpl["metadata"]["annotations"])
        spec = tmpl.get("spec") or {}
        policy = rspec["restartPolicy"]
        spec["restartPolicy"] = "Never" if policy == "ExitCode" else policy
        if self.f is TFJOB:
            self._tf_config(job, rtype, index, spec, specs)
        else:
            self._torch_env(job, rtype, index, spec, specs)
        return defaults.admitted_pod(pmeta, spec)

    def _tf_config(self, job, rtype, index, spec, specs):
        total = sum(r["replicas"] for r in specs.values())
        if total == 1:
            return  # not distributed: no TF_CONFIG
        meta = job["metadata"]
        cluster = {}
        for t, r in specs.items():
            if t == "Evaluator":
                continue
            cluster[t.lower()] = ["%s-%s-%d.%s.svc:%d" % (meta["name"], t.lower(), i, meta.get("namespace"),
                                                          self._port(r)) for i in range(r["replicas"])]
        if job["spec"].get("enableDynamicWorker"):
            rt = rtype.lower()
            sparse = {"worker": {}, "ps": []}
            if rt == "ps":
                sparse["ps"] = [cluster["ps"][index]]
            elif rt == "worker":
                sparse["ps"] = cluster.get("ps") or []
                sparse["worker"] = {str(index): cluster["worker"][index]}
            cfg = {"sparseCluster": sparse, "task": {"type": rt, "index": index}}
        else:
            cfg = {"cluster": dict(sorted(cluster.items())), "task": {"type": rtype.lower(), "index": index},
                   "environment": "cloud"}
        for c in spec.get("containers") or []:
            if c.get("name") == self.f.container:
                c.setdefault("env", []).append({"name": "TF_CONFIG", "value": json.dumps(cfg, separators=(",", ":"))})
                break

    def _torch_env(self, job, rtype, index, spec, specs):
        total = sum(r["replicas"] for r in specs.values())
        rank = index + 1 if rtype == "Worker" else index
        for c in spec.get("containers") or []:
            env = c.setdefault("env", [])
            env.append({"name": "PYTHONUNBUFFERED", "value": "0"})
            if "Master" in specs:
                env += [{"name": "MASTER_PORT", "value": str(self._port(specs["Master"]))},
                        {"name": "MASTER_ADDR", "value": "%s-master-0" % job["metadata"]["name"]},
                        {"name": "WORLD_SIZE", "value": str(total)}, {"name": "RANK", "value": str(rank)}]
