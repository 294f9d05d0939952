"""The Job's spec.podFailurePolicy and spec.successPolicy rules, matched the way the 1.32 Job controller does.

match() decides what a failed pod means (FailJob, FailIndex, Ignore, Count, or None when no rule
matches: counted as usual); success_rule() says which successPolicy rule, if any, the succeeded
indexes of an Indexed Job now satisfy. Pure functions on dicts: thread-safe.
"""


def _exit_code_match(req, pod):
    """The first container (init containers too) that terminated non-zero and satisfies onExitCodes."""
    st = pod.get("status") or {}
    statuses = (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])
    values = set(req.get("values") or [])
    for cs in statuses:
        if req.get("containerName") and cs.get("name") != req["containerName"]:
            continue
        term = (cs.get("state") or {}).get("terminated")
        if not term or term.get("exitCode", 0) == 0:
            continue
        code = term["exitCode"]
        if (req.get("operator") == "In") == (code in values):
            return cs["name"], code
    return None


def _condition_match(patterns, pod):
    have = {(c.get("type"), c.get("status")) for c in (pod.get("status") or {}).get("conditions") or []}
    for pat in patterns or []:
        if (pat.get("type"), pat.get("status") or "True") in have:
            return pat["type"]
    return None


def match(policy, pod):
    """(action, message) of the first matching rule, or (None, None)."""
    meta = pod["metadata"]
    who = "%s/%s" % (meta.get("namespace"), meta.get("name"))
    for i, rule in enumerate((policy or {}).get("rules") or []):
        action = rule.get("action")
        if action not in ("FailJob", "FailIndex", "Ignore", "Count"):
            continue  # clients skip rules with actions they do not know
        if rule.get("onExitCodes") is not None:
            hit = _exit_code_match(rule["onExitCodes"], pod)
            if hit:
                return action, ("Container %s for pod %s failed with exit code %d matching %s rule at index %d"
                                % (hit[0], who, hit[1], action, i))
        elif rule.get("onPodConditions"):
            ctype = _condition_match(rule["onPodConditions"], pod)
            if ctype:
                return action, "Pod %s has condition %s matching %s rule at index %d" % (who, ctype, action, i)
    return None, None


def success_rule(spec, succeeded_indexes):
    """Index of the first spec.successPolicy rule met by the succeeded indexes (Indexed Jobs), or None."""
    import jobcontroller  # parse_indexes lives there; imported late (jobcontroller imports this module)

    if spec.get("completionMode") != "Indexed":
        return None
    for i, rule in enumerate((spec.get("successPolicy") or {}).get("rules") or []):
        wanted = rule.get("succeededIndexes")
        count = rule.get("succeededCount")
        pool = succeeded_indexes if wanted is None else succeeded_indexes & jobcontroller.parse_indexes(wanted)
        if count is not None:
            if len(pool) >= count:
                return i
        elif wanted is not None and jobcontroller.parse_indexes(wanted) <= succeeded_indexes:
            return i
    return None
