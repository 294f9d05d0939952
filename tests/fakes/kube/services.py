"""core/v1 Services: create-time defaulting (clusterIP allocation, ports, IP families) and validation, as
kube-apiserver 1.32 does them. Headless Services (clusterIP: None) get no IP; others one from
10.96.0.0/12, the default service CIDR. No kube-proxy, no Endpoints: pod IPs are 127.0.0.1 anyway.
Pure functions plus a lock-guarded IP allocator: thread-safe.
"""

import ipaddress
import re
import threading

import validation
from apierrors import FieldError, not_supported

_DNS1035 = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_RE = re.compile("^" + _DNS1035 + "$")
TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_CIDR = ipaddress.ip_network("10.96.0.0/12")
_lock = threading.Lock()
_next = [10]  # 10.96.0.1 is the kubernetes Service's; start a little further like a busy cluster


def is_dns1035_label(v):
    errs = []
    if len(v) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_RE.match(v):
        errs.append("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                    "regex used for validation is '%s')" % _DNS1035)
    return errs


def _allocate_ip():
    with _lock:
        _next[0] += 1
        return str(_CIDR.network_address + _next[0])


def default_service(svc):
    spec = svc.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for p in spec.get("ports") or []:
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p.get("port"))
    if spec["type"] != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = _allocate_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    svc["status"] = {"loadBalancer": {}}
    return svc


def validate_service(svc):
    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    errs = validation.validate_object_meta(meta, "metadata", namespaced=True, name_fn=is_dns1035_label)
    stype = spec.get("type", "ClusterIP")
    if stype not in TYPES:
        errs.append(not_supported("spec.type", stype, TYPES))
    headless = spec.get("clusterIP") == "None"
    ports = spec.get("ports") or []
    if not ports and stype != "ExternalName" and not headless:
        errs.append(FieldError("Required", "spec.ports"))
    names = set()
    for i, p in enumerate(ports):
        path = "spec.ports[%d]" % i
        name = p.get("name") or ""
        if len(ports) > 1 and not name:
            errs.append(FieldError("Required", path + ".name"))
        elif name:
            errs += [FieldError("Invalid", path + ".name", name, m) for m in validation.is_dns1123_label(name)]
            if name in names:
                errs.append(FieldError("Duplicate", path + ".name", name))
            names.add(name)
        port = p.get("port")
        if not isinstance(port, int) or not 1 <= port <= 65535:
            errs.append(FieldError("Invalid", path + ".port", port, "must be between 1 and 65535, inclusive"))
        if p.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
            errs.append(not_supported(path + ".protocol", p["protocol"], ["SCTP", "TCP", "UDP"]))
        tp = p.get("targetPort")
        if isinstance(tp, int) and not 0 <= tp <= 65535:
            errs.append(FieldError("Invalid", path + ".targetPort", tp, "must be between 1 and 65535, inclusive"))
    ip = spec.get("clusterIP")
    if ip not in (None, "", "None"):
        try:
            addr = ipaddress.ip_address(ip)
            if addr not in _CIDR:
                errs.append(FieldError("Invalid", "spec.clusterIPs", [ip], "failed to allocate IP %s: the "
                                       "provided IP (%s) is not in the valid range. The range of valid IPs is %s"
                                       % (ip, ip, _CIDR)))
        except ValueError:
            errs.append(FieldError("Invalid", "spec.clusterIPs[0]", ip, "must be a valid IP address"))
    errs += validation.validate_labels(spec.get("selector"), "spec.selector")
    if spec.get("sessionAffinity", "None") not in ("None", "ClientIP"):
        errs.append(not_supported("spec.sessionAffinity", spec["sessionAffinity"], ["ClientIP", "None"]))
    return errs
