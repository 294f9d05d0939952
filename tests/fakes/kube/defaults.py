"""Server-side defaulting and generated fields for Jobs, pod templates, Pods and Namespaces (Kubernetes 1.32).

default_job() mirrors SetDefaults_Job + SetDefaults_PodSpec/Container, prepare_job_for_create()
the Job strategy's PrepareForCreate (selector + controller labels), and pod_from_template() what
the Job controller and admission (service account, tolerations, requests from limits) put on a Pod.
Pure functions on dicts: thread-safe.
"""

import copy
import random
import time
import uuid

# k8s.io/apimachinery/pkg/util/rand alphabet: no vowels, no confusable digits.
_RAND_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_GENERATED_NAME = 63 - 5

LEGACY_UID_LABEL, LEGACY_NAME_LABEL = "controller-uid", "job-name"
UID_LABEL, NAME_LABEL = "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name"
INDEX_LABEL = INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count"
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
NODE_NAME = "fake-node"


def now_rfc3339(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def now_rfc3339_nano(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % int((t % 1) * 1e9)


def parse_rfc3339(s):
    import calendar
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))


def random_suffix(n=5, rng=random):
    return "".join(rng.choice(_RAND_ALPHABET) for _ in range(n))


def generate_name(base):
    """names.SimpleNameGenerator: truncate the base to 58 chars, append 5 random chars."""
    return base[:_MAX_GENERATED_NAME] + random_suffix()


def _default_container(c):
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    if not c.get("imagePullPolicy"):
        image = (c.get("image") or "").split("@", 1)[0]
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        digest = "@" in (c.get("image") or "")
        c["imagePullPolicy"] = "IfNotPresent" if digest or (tag and tag != "latest") else "Always"
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    for e in c.get("env") or []:
        ref = (e.get("valueFrom") or {}).get("fieldRef")
        if ref is not None:
            ref.setdefault("apiVersion", "v1")


def default_pod_spec(spec):
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        _default_container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")


def default_job(job):
    """SetDefaults_Job (also re-applied when the stored object is read back)."""
    spec = job.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    meta = job.setdefault("metadata", {})
    if labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy",
                    "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed")
    spec.setdefault("manualSelector", False)
    tmpl = spec.setdefault("template", {})
    tmeta = tmpl.setdefault("metadata", {})
    tmeta.setdefault("creationTimestamp", None)  # 1.32 serializes the zero metav1.Time as null
    default_pod_spec(tmpl.setdefault("spec", {}))
    return job


def prepare_job_for_create(job, uid):
    """jobStrategy.PrepareForCreate: empty status, generation 1, generated selector and labels."""
    job["status"] = {}
    meta, spec = job["metadata"], job["spec"]
    meta["uid"] = uid
    meta["generation"] = 1
    if not spec.get("manualSelector"):
        tlabels = spec["template"]["metadata"].setdefault("labels", {})
        for key, value in ((UID_LABEL, uid), (NAME_LABEL, meta["name"]),
                           (LEGACY_UID_LABEL, uid), (LEGACY_NAME_LABEL, meta["name"])):
            tlabels.setdefault(key, value)
        sel = spec.get("selector") or {}
        sel.setdefault("matchLabels", {}).setdefault(UID_LABEL, uid)
        spec["selector"] = sel


def new_meta(name, namespace, uid=None):
    meta = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["uid"] = uid or str(uuid.uuid4())
    meta["creationTimestamp"] = now_rfc3339()
    return meta


def _qos_class(containers):
    requests_any, guaranteed = False, True
    for c in containers:
        res = c.get("resources") or {}
        lim, req = res.get("limits") or {}, res.get("requests") or {}
        if lim or req:
            requests_any = True
        for r in ("cpu", "memory"):
            if r not in lim or req.get(r, lim.get(r)) != lim.get(r):
                guaranteed = False
    if not requests_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def pod_from_template(job, index=None, index_failures=0):
    """What the Job controller creates (plus defaulting and admission of the Pod)."""
    jmeta, tmpl = job["metadata"], job["spec"]["template"]
    base = "%s-%d-" % (jmeta["name"], index) if index is not None else jmeta["name"] + "-"
    meta = new_meta(generate_name(base), jmeta["namespace"])
    meta["generateName"] = base
    labels = dict((tmpl.get("metadata") or {}).get("labels") or {})
    annotations = dict((tmpl.get("metadata") or {}).get("annotations") or {})
    spec = copy.deepcopy(tmpl.get("spec") or {})
    if index is not None:
        labels[INDEX_LABEL] = str(index)
        annotations[INDEX_ANNOTATION] = str(index)
        if job["spec"].get("backoffLimitPerIndex") is not None:
            annotations[INDEX_FAILURE_COUNT_ANNOTATION] = str(index_failures)
        # The controller sets the hostname only; spec.subdomain comes from the template (a headless
        # Service of that name makes <job>-<i>.<subdomain> resolvable in a real cluster).
        spec["hostname"] = "%s-%d" % (jmeta["name"], index)
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            env = c.setdefault("env", [])
            if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in env):
                env.append({"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.annotations['%s']" % INDEX_ANNOTATION}}})
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    meta["ownerReferences"] = [controller_ref("batch/v1", "Job", jmeta)]
    meta["finalizers"] = [TRACKING_FINALIZER]
    return admitted_pod(meta, spec)


def controller_ref(api_version, kind, owner_meta):
    return {"apiVersion": api_version, "kind": kind, "name": owner_meta["name"], "uid": owner_meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def admitted_pod(meta, spec):
    """A Pod as stored after a controller created it: pod defaulting plus admission (service account,
    tolerations, requests from limits). meta must have name/namespace; uid and timestamp are added."""
    if "uid" not in meta:
        meta.update({k: v for k, v in new_meta(meta["name"], meta["namespace"]).items() if k not in meta})
    default_pod_spec(spec)
    for c in spec.get("containers") or []:
        res = c.get("resources") or {}
        if res.get("limits"):
            req = res.setdefault("requests", {})
            for k, v in res["limits"].items():
                req.setdefault(k, v)
    spec.setdefault("serviceAccountName", "default")
    spec["serviceAccount"] = spec["serviceAccountName"]
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("tolerations", [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}])
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec,
            "status": {"phase": "Pending", "qosClass": _qos_class(spec.get("containers") or [])}}


def namespace_object(name):
    meta = new_meta(name, None)
    meta["labels"] = {"kubernetes.io/metadata.name": name}
    return {"kind": "Namespace", "apiVersion": "v1", "metadata": meta,
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
