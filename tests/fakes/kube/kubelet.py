"""The fake kubelet: runs each Pod's first container as a local process and reports Pod status.

argv is command + args exactly (no shell; $(VAR) references expanded as Kubernetes does), env comes
from the container's env (value, valueFrom.fieldRef and resourceFieldRef; secretKeyRef/configMapKeyRef
are left unset), workingDir is used if it exists locally, else --workdir.
stdout+stderr are captured together, line by line with receive timestamps, for pods/log.
Deletion: SIGTERM to the process group, SIGKILL after the grace period. Images named fake/<x>
simulate outcomes (see README.md). One thread per pod; the Kubelet object is thread-safe.
"""

import os
import signal
import subprocess
import threading
import time
import traceback
import uuid

import defaults
import downwardapi

SPECIAL_IMAGES = ("oomkill", "imagepullbackoff", "evicted", "pending")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EVICTION_MESSAGE = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. "


def special_image(image):
    """'fake/oomkill', 'docker.io/fake/oomkill:v1', ... -> 'oomkill'; anything else -> None."""
    repo = (image or "").split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1].split(":", 1)[0]
    parts = repo.rsplit("/", 1)
    if len(parts) == 2 and parts[0].rsplit("/", 1)[-1] == "fake" and last in SPECIAL_IMAGES:
        return last
    return None


class ContainerLog:
    """Lines one container instance wrote, with the time each was read."""

    def __init__(self):
        self.lines, self.done = [], False
        self.cond = threading.Condition()

    def append(self, data):
        with self.cond:
            self.lines.append((time.time(), data))
            self.cond.notify_all()

    def close(self):
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def wait_beyond(self, n, timeout):
        with self.cond:
            self.cond.wait_for(lambda: len(self.lines) > n or self.done, timeout)
            return self.lines[n:], self.done

    def text(self):
        with self.cond:
            return b"".join(d for _, d in self.lines)


class _Container:
    def __init__(self, spec):
        self.spec = spec
        self.state = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state, self.restarts, self.ready, self.started, self.cid = {}, 0, False, False, None

    def status(self):
        s = {"name": self.spec["name"], "state": self.state, "lastState": self.last_state, "ready": self.ready,
             "restartCount": self.restarts, "image": self.spec.get("image", ""),
             "imageID": "fake://%s@sha256:%s" % (self.spec.get("image", ""), "0" * 64), "started": self.started}
        if self.cid:
            s["containerID"] = self.cid
        return s


class PodWorker(threading.Thread):
    def __init__(self, kubelet, pod):
        super().__init__(daemon=True, name="pod-" + pod["metadata"]["name"])
        self.kl, self.pod = kubelet, pod
        self.ns, self.name, self.uid = pod["metadata"]["namespace"], pod["metadata"]["name"], pod["metadata"]["uid"]
        spec = pod["spec"]
        self.containers = [_Container(c) for c in spec.get("containers") or []]
        self.special = special_image(self.containers[0].spec.get("image")) if self.containers else None
        self.restart_policy = spec.get("restartPolicy", "Always")
        self.kill = threading.Event()
        self.grace = None
        self.proc = None
        self.phase, self.reason, self.message = "Pending", None, None
        self.conditions, self.start_time, self.scheduled = {}, None, False

    # -- status publishing ----------------------------------------------------------------------
    def _cond(self, type_, status, reason=None, message=None):
        old = self.conditions.get(type_)
        if old and old["status"] == status and old.get("reason") == reason:
            return
        c = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": defaults.now_rfc3339()}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        self.conditions[type_] = c

    def publish(self):
        status = {"phase": self.phase}
        order = ["DisruptionTarget", "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                 "PodScheduled"]
        status["conditions"] = [self.conditions[t] for t in order if t in self.conditions]
        if self.reason:
            status["reason"] = self.reason
        if self.message:
            status["message"] = self.message
        if self.scheduled:
            status["hostIP"], status["hostIPs"] = "127.0.0.1", [{"ip": "127.0.0.1"}]
        if self.start_time:
            status["podIP"], status["podIPs"] = "127.0.0.1", [{"ip": "127.0.0.1"}]
            status["startTime"] = self.start_time
            status["containerStatuses"] = [c.status() for c in self.containers]
        status["qosClass"] = self.pod["status"].get("qosClass", "BestEffort")

        def apply(p):
            if p["metadata"]["uid"] != self.uid:
                return None
            if self.scheduled:
                p["spec"]["nodeName"] = defaults.NODE_NAME
            p["status"] = status
            return p
        self.kl.store.mutate("pods", self.ns, self.name, apply)

    def request_kill(self, grace):
        self.grace = grace if self.grace is None else min(self.grace, grace)
        self.kill.set()

    # -- lifecycle ------------------------------------------------------------------------------
    def run(self):
        try:
            self._run()
        except Exception:
            traceback.print_exc()
        finally:
            self._kill_group(signal.SIGKILL)
            self.kl.worker_done(self)

    def _run(self):
        if self.special == "pending":
            self._cond("PodScheduled", "False", "Unschedulable", "0/1 nodes are available: 1 Insufficient cpu. "
                       "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
            self.publish()
            self.kill.wait()
            self.phase = "Failed"  # what the PodGC controller does to unscheduled terminating pods
            self.publish()
            return self._finish_deletion()
        self.scheduled, self.start_time = True, defaults.now_rfc3339()
        self._cond("PodScheduled", "True")
        self._cond("PodReadyToStartContainers", "False")
        self._cond("Initialized", "True")
        self._cond("Ready", "False", "ContainersNotReady", "containers with unready status: [%s]"
                   % " ".join(c.spec["name"] for c in self.containers))
        self._cond("ContainersReady", "False", "ContainersNotReady", self.conditions["Ready"]["message"])
        self.publish()
        if self.kill.wait(self.kl.opts.pod_start_delay_ms / 1000.0):
            return self._terminate_unstarted()
        self._cond("PodReadyToStartContainers", "True")
        if self.special == "imagepullbackoff":
            return self._image_pull_backoff()
        while True:
            code = self._run_container()
            if code is None or self.phase == "Failed":
                break
            if self.restart_policy == "Always" or (self.restart_policy == "OnFailure" and code != 0):
                main = self.containers[0]
                main.last_state, main.restarts = main.state, main.restarts + 1
                main.state = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off %ds restarting "
                              "failed container=%s pod=%s_%s(%s)" % (10, main.spec["name"], self.name, self.ns,
                                                                     self.uid)}}
                self.publish()
                if self.kill.wait(self.kl.opts.crashloop_backoff_ms / 1000.0 * min(2 ** (main.restarts - 1), 30)):
                    break
                continue
            self.phase = "Succeeded" if code == 0 else "Failed"
            break
        self._settle()
        self._finish_deletion()

    def _settle(self):
        """Final status once no container runs any more."""
        if self.phase not in ("Succeeded", "Failed"):
            main = self.containers[0] if self.containers else None
            code = main.state.get("terminated", {}).get("exitCode", 137) if main else 0
            self.phase = "Succeeded" if code == 0 else "Failed"
            if self.kill.is_set() and main and "terminated" not in main.state:
                main.state = {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown",
                                             "message": "The container could not be located when the pod was "
                                                        "terminated", "startedAt": None, "finishedAt": None}}
        for c in self.containers[1:]:
            if "terminated" not in c.state:
                c.state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": self.start_time,
                                          "finishedAt": defaults.now_rfc3339(), "containerID": c.cid}}
            c.ready, c.started = False, False
        reason = "PodCompleted" if self.phase in ("Succeeded", "Failed") else "ContainersNotReady"
        self._cond("PodReadyToStartContainers", "False")
        self._cond("Ready", "False", reason)
        self._cond("ContainersReady", "False", reason)
        self.publish()

    def _terminate_unstarted(self):
        self.phase = "Failed"
        for c in self.containers:
            c.state = {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown", "message":
                                      "The container could not be located when the pod was terminated",
                                      "startedAt": None, "finishedAt": None}}
        self._settle()
        self._finish_deletion()

    def _image_pull_backoff(self):
        image = self.containers[0].spec.get("image")
        states = [("ErrImagePull", 'failed to pull and unpack image "%s": pull access denied, repository does '
                   'not exist or may require authorization (fake)' % image),
                  ("ImagePullBackOff", 'Back-off pulling image "%s"' % image)]
        i = 0
        while True:
            reason, msg = states[i % 2]
            self.containers[0].state = {"waiting": {"reason": reason, "message": msg}}
            self.publish()
            i += 1
            if self.kill.wait(0.5 if reason == "ErrImagePull" else 2.0):
                return self._terminate_unstarted()

    def _finish_deletion(self):
        if not self.kill.is_set():
            return

        def final(p):
            if p["metadata"]["uid"] != self.uid or not p["metadata"].get("deletionTimestamp"):
                return None
            p["metadata"]["deletionGracePeriodSeconds"] = 0
            return p
        self.kl.store.mutate("pods", self.ns, self.name, final)

    # -- the process ----------------------------------------------------------------------------
    def _environment(self, c):
        port = str(self.kl.opts.api_port)
        env = dict(os.environ) if self.kl.opts.inherit_env else {
            "PATH": os.environ.get("PATH", DEFAULT_PATH), "HOME": os.environ.get("HOME", "/root")}
        env.update({"HOSTNAME": self.pod["spec"].get("hostname", self.name), "KUBERNETES_SERVICE_HOST": "127.0.0.1",
                    "KUBERNETES_SERVICE_PORT": port, "KUBERNETES_PORT": "tcp://127.0.0.1:" + port})
        for e in c.get("env") or []:
            if "valueFrom" in e:
                ref, rref = e["valueFrom"].get("fieldRef"), e["valueFrom"].get("resourceFieldRef")
                value = downwardapi.field_ref(self.pod, ref.get("fieldPath", "")) if ref else None
                if rref:
                    target = next((x for x in self.pod["spec"].get("containers") or []
                                   if x.get("name") == (rref.get("containerName") or c.get("name"))), c)
                    value = downwardapi.resource_field_ref(target, rref)
                if value is not None:
                    env[e["name"]] = value
                continue
            env[e["name"]] = downwardapi.expand(e.get("value", ""), env)
        return env

    def _kill_group(self, sig):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def _run_container(self):
        """Run containers[0] once; returns its exit code, or None if killed before/while running."""
        main = self.containers[0]
        c = main.spec
        env = self._environment(c)
        argv = [downwardapi.expand(a, env) for a in (c.get("command") or []) + (c.get("args") or [])]
        wd = c.get("workingDir")
        cwd = wd if wd and os.path.isdir(wd) else self.kl.opts.workdir
        log = self.kl.new_log(self.ns, self.name, c["name"])
        main.cid = "containerd://" + uuid.uuid4().hex + uuid.uuid4().hex
        started = defaults.now_rfc3339()
        try:
            if argv:
                self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        except OSError as e:
            log.close()
            main.state = {"terminated": {"exitCode": 128, "reason": "StartError", "message":
                                         "failed to create containerd task: failed to create shim task: OCI runtime "
                                         "create failed: runc create failed: unable to start container process: "
                                         'exec: "%s": %s: unknown' % (argv[0], e.strerror),
                                         "startedAt": "1970-01-01T00:00:00Z", "finishedAt": defaults.now_rfc3339(),
                                         "containerID": main.cid}}
            return 128
        for ctr in self.containers:
            ctr.cid = ctr.cid if ctr is main else "containerd://" + uuid.uuid4().hex + uuid.uuid4().hex
            ctr.state = {"running": {"startedAt": started}}
            ctr.ready = ctr.started = True
        self.phase = "Running"
        self._cond("Ready", "True")
        self._cond("ContainersReady", "True")
        self.publish()
        reader = None
        if self.proc is not None:
            reader = threading.Thread(target=self._read_output, args=(self.proc.stdout, log), daemon=True)
            reader.start()
        killed, evicted, deadline_hit = self._wait_process()
        code = self.proc.returncode if self.proc is not None else 0
        if code is not None and code < 0:
            code = 128 - code
        self._kill_group(signal.SIGKILL)  # the container's other processes die with it
        if reader is not None:
            reader.join(5)
        log.close()
        self.proc = None
        reason = "Completed" if code == 0 else "Error"
        if self.special == "oomkill":
            code, reason = 137, "OOMKilled"
        term = {"exitCode": code, "reason": reason, "startedAt": started, "finishedAt": defaults.now_rfc3339(),
                "containerID": main.cid}
        if c.get("terminationMessagePolicy") == "FallbackToLogsOnError" and code != 0:
            tail = log.text().splitlines()[-80:]
            term["message"] = b"\n".join(tail)[-2048:].decode("utf-8", "replace")
        main.state, main.ready, main.started = {"terminated": term}, False, False
        if evicted:
            self.phase, self.reason = "Failed", "Evicted"
            self.message = EVICTION_MESSAGE + "Container %s was using 1Gi, request is 0." % c["name"]
            self._cond("DisruptionTarget", "True", "TerminationByKubelet", self.message)
        elif deadline_hit:
            self.phase, self.reason = "Failed", "DeadlineExceeded"
            self.message = "Pod was active on the node longer than the specified deadline"
        return None if killed else code

    def _wait_process(self):
        killed = evicted = deadline_hit = False
        ads = self.pod["spec"].get("activeDeadlineSeconds")
        deadline = defaults.parse_rfc3339(self.start_time) + ads if ads else None
        evict_at = time.time() + 0.3 if self.special == "evicted" else None
        while self.proc is not None and self.proc.poll() is None:
            now = time.time()
            if self.kill.is_set():
                killed = True
                self._kill_group(signal.SIGTERM)
                end = now + (self.grace or 0)
                while self.proc.poll() is None and time.time() < end:
                    time.sleep(0.02)
                self._kill_group(signal.SIGKILL)
                break
            if evict_at and now >= evict_at:
                evicted = True
                self._kill_group(signal.SIGKILL)
                break
            if deadline and now >= deadline:
                deadline_hit = True
                self._kill_group(signal.SIGKILL)
                break
            self.kill.wait(0.02)
        if self.proc is not None:
            self.proc.wait()
        if evict_at and not killed:
            evicted = True  # a process that ends before the eviction is reported evicted all the same
        return killed, evicted, deadline_hit

    @staticmethod
    def _read_output(pipe, log):
        for line in iter(pipe.readline, b""):
            log.append(line)
        pipe.close()


class Kubelet:
    """Starts a PodWorker per new Pod, forwards deletions, keeps container logs until the Pod is gone."""

    def __init__(self, store, opts):
        self.store, self.opts = store, opts
        self.lock = threading.Lock()
        self.workers = {}   # pod uid -> PodWorker
        self.logs = {}      # (ns, pod) -> {container: [ContainerLog per restart]}
        self.closed = False

    def on_event(self, ev):
        if ev.resource != "pods":
            return
        meta = ev.obj["metadata"]
        uid, key = meta["uid"], (meta.get("namespace"), meta["name"])
        with self.lock:
            worker = self.workers.get(uid)
            if ev.type == "ADDED" and worker is None and not self.closed:
                worker = PodWorker(self, ev.obj)
                self.workers[uid] = worker
                worker.start()
            elif ev.type == "MODIFIED" and worker and meta.get("deletionTimestamp"):
                worker.request_kill(meta.get("deletionGracePeriodSeconds", 0))
            elif ev.type == "DELETED":
                if worker:
                    worker.request_kill(0)
                self.logs.pop(key, None)

    def worker_done(self, worker):
        with self.lock:
            self.workers.pop(worker.uid, None)

    def new_log(self, ns, pod, container):
        log = ContainerLog()
        with self.lock:
            per = self.logs.setdefault((ns, pod), {}).setdefault(container, [])
            per.append(log)
        return log

    def get_log(self, ns, pod, container, previous=False):
        with self.lock:
            per = self.logs.get((ns, pod), {}).get(container, [])
            idx = -2 if previous else -1
            return per[idx] if len(per) >= (2 if previous else 1) else None

    def processes(self):
        with self.lock:
            return [{"namespace": w.ns, "pod": w.name, "pid": w.proc.pid}
                    for w in self.workers.values() if w.proc is not None and w.proc.returncode is None]

    def shutdown(self):
        with self.lock:
            self.closed = True
            workers = list(self.workers.values())
        for w in workers:
            w.kill.set()
            w.grace = 0
            w._kill_group(signal.SIGKILL)
        for w in workers:
            w.join(3)
