"""Create-time validation of batch/v1 Jobs, core/v1 pod templates and Namespaces, as the apiserver does it.

Written from the Kubernetes API reference and validation rules: names (RFC 1123), labels and
annotations, quantities, containers, env, resources, restartPolicy and the Job spec fields.
Each validate_* returns a list of apierrors.FieldError in the order the apiserver reports them.
Pure functions: thread-safe.
"""

import re
from fractions import Fraction

from apierrors import FieldError, not_supported

# ---- name and label syntax ---------------------------------------------------------------------

_DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile("^" + _DNS_LABEL + "$")
_DNS_SUBDOMAIN = _DNS_LABEL + "(\\." + _DNS_LABEL + ")*"
_DNS_SUBDOMAIN_RE = re.compile("^" + _DNS_SUBDOMAIN + "$")
_QNAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_RE = re.compile("^" + _QNAME + "$")
_LABEL_VALUE = "(" + _QNAME + ")?"
_LABEL_VALUE_RE = re.compile("^" + _LABEL_VALUE + "$")
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def _regex_error(msg, fmt, *examples):
    if not examples:
        return "%s (regex used for validation is '%s')" % (msg, fmt)
    ex = " or ".join("'%s', " % e for e in examples)
    return "%s (e.g. %sregex used for validation is '%s')" % (msg, ex, fmt)


def _max_len(n):
    return "must be no more than %d characters" % n


def is_dns1123_label(v):
    errs = []
    if len(v) > 63:
        errs.append(_max_len(63))
    if not _DNS_LABEL_RE.match(v):
        errs.append(_regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                                 "or '-', and must start and end with an alphanumeric character",
                                 _DNS_LABEL, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(v):
    errs = []
    if len(v) > 253:
        errs.append(_max_len(253))
    if not _DNS_SUBDOMAIN_RE.match(v):
        errs.append(_regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                                 "characters, '-' or '.', and must start and end with an alphanumeric character",
                                 _DNS_SUBDOMAIN, "example.com"))
    return errs


_QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
              "alphanumeric character")


def is_qualified_name(v):
    errs = []
    parts = v.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in is_dns1123_subdomain(prefix)]
    else:
        return ["a qualified name " + _regex_error(_QNAME_MSG, _QNAME, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len(63))
    if not _QNAME_RE.match(name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME, "MyName", "my.name", "123-abc"))
    return errs


def is_valid_label_value(v):
    errs = []
    if len(v) > 63:
        errs.append(_max_len(63))
    if not _LABEL_VALUE_RE.match(v):
        errs.append(_regex_error("a valid label must be an empty string or consist of alphanumeric characters, "
                                 "'-', '_' or '.', and must start and end with an alphanumeric character",
                                 _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errs


def validate_labels(labels, path):
    errs = []
    for k, v in (labels or {}).items():
        errs += [FieldError("Invalid", path, k, m) for m in is_qualified_name(k)]
        errs += [FieldError("Invalid", path, v, m) for m in is_valid_label_value(v if isinstance(v, str) else "")]
    return errs


def validate_annotations(annotations, path):
    errs, total = [], 0
    for k, v in (annotations or {}).items():
        errs += [FieldError("Invalid", path, k, m) for m in is_qualified_name(k.lower())]
        total += len(k) + len(v or "")
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError("TooLong", path, "", "may not be more than %d bytes" % TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def mask_trailing_dash(name):
    return name[:-1] + "a" if len(name) > 1 and name.endswith("-") else name


def validate_object_meta(meta, path, namespaced, name_fn=is_dns1123_subdomain):
    errs = []
    gen = meta.get("generateName") or ""
    if gen:
        errs += [FieldError("Invalid", path + ".generateName", gen, m) for m in name_fn(mask_trailing_dash(gen))]
    name = meta.get("name") or ""
    if not name:
        errs.append(FieldError("Required", path + ".name", detail="name or generateName is required"))
    else:
        errs += [FieldError("Invalid", path + ".name", name, m) for m in name_fn(name)]
    if namespaced:
        ns = meta.get("namespace") or ""
        if not ns:
            errs.append(FieldError("Required", path + ".namespace"))
        else:
            errs += [FieldError("Invalid", path + ".namespace", ns, m) for m in is_dns1123_label(ns)]
    errs += validate_labels(meta.get("labels"), path + ".labels")
    errs += validate_annotations(meta.get("annotations"), path + ".annotations")
    for i, f in enumerate(meta.get("finalizers") or []):
        errs += [FieldError("Invalid", "%s.finalizers[%d]" % (path, i), f, m) for m in is_qualified_name(f)]
    return errs


def nonnegative(value, path):
    if value is not None and value < 0:
        return [FieldError("Invalid", path, value, "must be greater than or equal to 0")]
    return []


# ---- quantities --------------------------------------------------------------------------------

QUANTITY_REGEX = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QTY_RE = re.compile(QUANTITY_REGEX)
_SUFFIX = {"": Fraction(1), "n": Fraction(1, 10 ** 9), "u": Fraction(1, 10 ** 6), "m": Fraction(1, 1000),
           "k": Fraction(10 ** 3), "M": Fraction(10 ** 6), "G": Fraction(10 ** 9), "T": Fraction(10 ** 12),
           "P": Fraction(10 ** 15), "E": Fraction(10 ** 18), "Ki": Fraction(2 ** 10), "Mi": Fraction(2 ** 20),
           "Gi": Fraction(2 ** 30), "Ti": Fraction(2 ** 40), "Pi": Fraction(2 ** 50), "Ei": Fraction(2 ** 60)}


class QuantityError(ValueError):
    pass


def parse_quantity(raw):
    """resource.ParseQuantity: returns the exact value as a Fraction or raises QuantityError."""
    s = str(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
    if not isinstance(s, str) or not s:
        raise QuantityError("quantities must match the regular expression '%s'" % QUANTITY_REGEX)
    m = _QTY_RE.match(s)
    if not m:
        raise QuantityError("quantities must match the regular expression '%s'" % QUANTITY_REGEX)
    num, suffix = m.groups()
    digits = num.lstrip("+-")
    if digits.count(".") > 1 or not any(c.isdigit() for c in digits):
        raise QuantityError("unable to parse numeric part of quantity")
    value = Fraction(num if not num.endswith(".") else num + "0")
    if suffix in _SUFFIX:
        return value * _SUFFIX[suffix]
    exp = re.match(r"^[eE]([-+]?[0-9]+)$", suffix)
    if not exp:
        raise QuantityError("unable to parse quantity's suffix")
    return value * Fraction(10) ** int(exp.group(1))


# ---- pod template ------------------------------------------------------------------------------

_STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
_ENV_NAME_MSG = "a valid environment variable name must consist only of printable ASCII characters other than '='"


def _validate_env(env, path):
    errs = []
    for i, e in enumerate(env or []):
        p = "%s[%d]" % (path, i)
        name = e.get("name") or ""
        if not name:
            errs.append(FieldError("Required", p + ".name"))
        elif "=" in name or any(not (32 <= ord(c) < 127) for c in name):
            errs.append(FieldError("Invalid", p + ".name", name, _ENV_NAME_MSG))
        src = e.get("valueFrom")
        if src is not None:
            kinds = [k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef") if src.get(k)]
            if len(kinds) == 0:
                errs.append(FieldError("Invalid", p + ".valueFrom", "", "must specify one of: `fieldRef`, "
                                       "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            elif len(kinds) > 1:
                errs.append(FieldError("Invalid", p + ".valueFrom", "", "may not have more than one field "
                                       "specified at a time"))
            if e.get("value"):
                errs.append(FieldError("Invalid", p + ".valueFrom", "", "may not be specified when `value` is "
                                       "not empty"))
    return errs


def _validate_resources(res, path):
    errs, parsed = [], {"limits": {}, "requests": {}}
    for section in ("limits", "requests"):
        for name, q in (res.get(section) or {}).items():
            p = "%s.%s[%s]" % (path, section, name)
            if "/" not in name and name not in _STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
                errs.append(FieldError("Invalid", p, name, "must be a standard resource type or fully qualified"))
                continue
            errs += [FieldError("Invalid", p, name, m) for m in is_qualified_name(name)]
            try:
                value = parse_quantity(q)
            except QuantityError:
                continue  # already rejected while decoding
            parsed[section][name] = (value, str(q))
            if value < 0:
                errs.append(FieldError("Invalid", p, str(q), "must be greater than or equal to 0"))
            if "/" in name and value.denominator != 1:
                errs.append(FieldError("Invalid", p, str(q), "must be an integer"))
    for name, (value, text) in parsed["requests"].items():
        p = "%s.requests[%s]" % (path, name)
        limit = parsed["limits"].get(name)
        if limit is not None and value > limit[0]:
            errs.append(FieldError("Invalid", p, text, "must be less than or equal to %s limit of %s"
                                   % (name, limit[1])))
        if "/" in name and limit is None:
            errs.append(FieldError("Forbidden", p, detail="Limit must be set for non overcommitable resources"))
        elif "/" in name and limit[0] != value:
            errs.append(FieldError("Invalid", p, text, "must be equal to %s limit of %s" % (name, limit[1])))
    return errs


def _validate_container(c, path):
    errs = []
    name = c.get("name") or ""
    if not name:
        errs.append(FieldError("Required", path + ".name"))
    else:
        errs += [FieldError("Invalid", path + ".name", name, m) for m in is_dns1123_label(name)]
    if not c.get("image"):
        errs.append(FieldError("Required", path + ".image"))
    policy = c.get("terminationMessagePolicy")
    if policy not in ("File", "FallbackToLogsOnError"):
        errs.append(not_supported(path + ".terminationMessagePolicy", policy, ["File", "FallbackToLogsOnError"]))
    errs += _validate_env(c.get("env"), path + ".env")
    pull = c.get("imagePullPolicy")
    if pull not in ("Always", "IfNotPresent", "Never"):
        errs.append(not_supported(path + ".imagePullPolicy", pull, ["Always", "IfNotPresent", "Never"]))
    errs += _validate_resources(c.get("resources") or {}, path + ".resources")
    for i, port in enumerate(c.get("ports") or []):
        cp = port.get("containerPort")
        if not cp:
            errs.append(FieldError("Required", "%s.ports[%d].containerPort" % (path, i)))
        elif not 1 <= cp <= 65535:
            errs.append(FieldError("Invalid", "%s.ports[%d].containerPort" % (path, i), cp,
                                   "must be between 1 and 65535, inclusive"))
    return errs


def validate_pod_spec(spec, path):
    errs, names = [], set()
    if not spec.get("containers"):
        errs.append(FieldError("Required", path + ".containers"))
    for group in ("containers", "initContainers"):
        for i, c in enumerate(spec.get(group) or []):
            p = "%s.%s[%d]" % (path, group, i)
            errs += _validate_container(c, p)
            if c.get("name") and c["name"] in names:
                errs.append(FieldError("Duplicate", p + ".name", c["name"]))
            names.add(c.get("name"))
    rp = spec.get("restartPolicy")
    if not rp:
        errs.append(FieldError("Required", path + ".restartPolicy"))
    elif rp not in ("Always", "OnFailure", "Never"):
        errs.append(not_supported(path + ".restartPolicy", rp, ["Always", "OnFailure", "Never"]))
    dns = spec.get("dnsPolicy")
    if dns not in ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        errs.append(not_supported(path + ".dnsPolicy", dns, ["ClusterFirst", "ClusterFirstWithHostNet",
                                                             "Default", "None"]))
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and not 1 <= ads <= 4294967295:
        errs.append(FieldError("Invalid", path + ".activeDeadlineSeconds", ads,
                               "must be between 1 and 4294967295, inclusive"))
    errs += validate_labels(spec.get("nodeSelector"), path + ".nodeSelector")
    san = spec.get("serviceAccountName")
    if san:
        errs += [FieldError("Invalid", path + ".serviceAccountName", san, m) for m in is_dns1123_subdomain(san)]
    return errs


def validate_pod_template(tmpl, path):
    meta = tmpl.get("metadata") or {}
    errs = validate_labels(meta.get("labels"), path + ".labels")
    errs += validate_annotations(meta.get("annotations"), path + ".annotations")
    errs += validate_pod_spec(tmpl.get("spec") or {}, path + ".spec")
    return errs


# ---- Job ---------------------------------------------------------------------------------------

def _has_label(tmpl_labels, key, want):
    p = "spec.template.metadata.labels[%s]" % key
    if key not in tmpl_labels:
        return [FieldError("Required", p, detail="must be '%s'" % want)]
    if tmpl_labels[key] != want:
        return [FieldError("Invalid", p, tmpl_labels[key], "must be '%s'" % want)]
    return []


def validate_job(job):
    """ValidateJob on a defaulted Job whose selector and template labels were already generated."""
    import labelselector  # labelselector imports this module

    meta, spec = job["metadata"], job.get("spec") or {}
    errs = validate_object_meta(meta, "metadata", namespaced=True)
    tmpl = spec.get("template") or {}
    tlabels = (tmpl.get("metadata") or {}).get("labels") or {}
    if not spec.get("manualSelector") and spec.get("selector") is not None:
        uid, name = meta.get("uid", ""), meta.get("name", "")
        for key, want in (("controller-uid", uid), ("job-name", name),
                          ("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name)):
            errs += _has_label(tlabels, key, want)
    for f in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
              "backoffLimitPerIndex", "maxFailedIndexes"):
        errs += nonnegative(spec.get(f), "spec." + f)
    mode = spec.get("completionMode")
    if mode not in ("NonIndexed", "Indexed"):
        errs.append(not_supported("spec.completionMode", mode, ["NonIndexed", "Indexed"]))
    if mode == "Indexed" and spec.get("completions") is None:
        errs.append(FieldError("Required", "spec.completions", detail="when completion mode is Indexed"))
    if mode != "Indexed":
        for f in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(f) is not None:
                errs.append(FieldError("Invalid", "spec." + f, spec[f], "requires indexed completion mode"))
        if spec.get("successPolicy") is not None:
            errs.append(FieldError("Invalid", "spec.successPolicy", "", "requires indexed completion mode"))
    rpp = spec.get("podReplacementPolicy")
    if rpp is not None:
        allowed = ["Failed"] if spec.get("podFailurePolicy") is not None else ["Failed", "TerminatingOrFailed"]
        if rpp not in allowed:
            errs.append(not_supported("spec.podReplacementPolicy", rpp, allowed))
    errs += validate_pod_template(tmpl, "spec.template")
    rp = (tmpl.get("spec") or {}).get("restartPolicy")
    if rp in ("Always", "", None):
        errs.append(FieldError("Required", "spec.template.spec.restartPolicy",
                               detail='valid values: "OnFailure", "Never"'))
    elif rp not in ("OnFailure", "Never"):
        errs.append(not_supported("spec.template.spec.restartPolicy", rp, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and rp != "Never":
        errs.append(FieldError("Invalid", "spec.template.spec.restartPolicy", rp,
                               'only "Never" is supported when podFailurePolicy is specified'))
    if spec.get("selector") is None:
        errs.append(FieldError("Required", "spec.selector"))
    else:
        sel = labelselector.from_label_selector(spec["selector"])
        if not labelselector.matches(sel, tlabels):
            errs.append(FieldError("Invalid", "spec.template.metadata.labels", tlabels,
                                   "`selector` does not match template `labels`"))
    if mode == "Indexed" and (spec.get("completions") or 0) > 0:
        host = "%s-%d" % (meta.get("name", ""), spec["completions"] - 1)
        if is_dns1123_label(host):
            errs.append(FieldError("Invalid", "metadata.name", meta.get("name", ""),
                                   "will not able to create pod with invalid DNS label: " + host))
    return errs


def validate_namespace(ns):
    return validate_object_meta(ns.get("metadata") or {}, "metadata", namespaced=False, name_fn=is_dns1123_label)
