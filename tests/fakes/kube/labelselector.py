"""Label selectors (labels.Parse syntax) and field selectors (fields.ParseSelector syntax).

Label grammar: comma-separated requirements, each one of
  key | !key | key=v | key==v | key!=v | key in (a,b) | key notin (a,b) | key>n | key<n
Keys are validated as qualified names and values as label values, like the apiserver.
Also converts a metav1.LabelSelector object (matchLabels/matchExpressions).
Pure functions: thread-safe.
"""

import validation

_SPECIAL = "!=(),<>"


class SelectorError(ValueError):
    pass


class Requirement:
    def __init__(self, key, op, values=()):
        self.key, self.op, self.values = key, op, list(values)

    def matches(self, labels):
        has = self.key in labels
        val = labels.get(self.key)
        if self.op in ("=", "==", "in"):
            return has and val in self.values
        if self.op in ("!=", "notin"):
            return not has or val not in self.values
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if self.op in (">", "<"):
            try:
                lv = int(val)
            except (TypeError, ValueError):
                return False
            return lv > int(self.values[0]) if self.op == ">" else lv < int(self.values[0])
        return False

    def __repr__(self):
        return "Requirement(%r, %r, %r)" % (self.key, self.op, self.values)


def _tokens(s):
    i, out = 0, []
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c in _SPECIAL:
            two = s[i:i + 2]
            if two in ("!=", "=="):
                out.append(("op", two))
                i += 2
            else:
                out.append(("op", c))
                i += 1
        else:
            j = i
            while j < len(s) and not s[j].isspace() and s[j] not in _SPECIAL:
                j += 1
            word = s[i:j]
            out.append(("kw" if word in ("in", "notin") else "id", word))
            i = j
    out.append(("eos", ""))
    return out


def _check_key(key):
    msgs = validation.is_qualified_name(key)
    if msgs:
        raise SelectorError('unable to parse requirement: key: Invalid value: "%s": %s' % (key, "; ".join(msgs)))


def _check_values(key, op, values):
    if op in ("in", "notin") and not values:
        raise SelectorError("unable to parse requirement: values: Invalid value: []: "
                            "for 'in', 'notin' operators, values set can't be empty")
    if op in ("=", "==", "!=") and len(values) != 1:
        raise SelectorError("unable to parse requirement: values: Invalid value: %s: exact-match compatibility "
                            "requires one single value" % values)
    for i, v in enumerate(values):
        if op in (">", "<"):
            try:
                int(v)
            except ValueError:
                raise SelectorError("unable to parse requirement: values[%d]: Invalid value: \"%s\": for 'Gt', "
                                    "'Lt' operators, the value must be an integer" % (i, v))
            continue
        msgs = validation.is_valid_label_value(v)
        if msgs:
            raise SelectorError('unable to parse requirement: values[%d][%s]: Invalid value: "%s": %s'
                                % (i, key, v, "; ".join(msgs)))


def parse(selector):
    """Parse a labelSelector query string into a list of Requirements ([] matches everything)."""
    toks = _tokens(selector or "")
    pos = 0

    def peek():
        return toks[pos]

    def take():
        nonlocal pos
        t = toks[pos]
        pos += 1
        return t

    reqs = []
    if peek()[0] == "eos":
        return reqs
    while True:
        kind, val = take()
        if kind == "op" and val == "!":
            kind, key = take()
            if kind != "id":
                raise SelectorError("found '%s', expected: identifier after '!'" % key)
            _check_key(key)
            reqs.append(Requirement(key, "!"))
        elif kind == "id":
            key = val
            _check_key(key)
            kind, val = peek()
            if kind == "eos" or (kind == "op" and val == ","):
                reqs.append(Requirement(key, "exists"))
            elif kind == "kw":
                op = take()[1]
                if take() != ("op", "("):
                    raise SelectorError("found '%s', expected: '('" % toks[pos - 1][1])
                values = []
                if peek() == ("op", ")"):
                    take()
                else:
                    while True:
                        kind, val = take()
                        if kind == "id":
                            values.append(val)
                            kind, val = take()
                        else:
                            values.append("")
                        if (kind, val) == ("op", ")"):
                            break
                        if (kind, val) != ("op", ","):
                            raise SelectorError("found '%s', expected: ',' or ')'" % val)
                _check_values(key, op, values)
                reqs.append(Requirement(key, op, values))
            elif kind == "op" and val in ("=", "==", "!=", ">", "<"):
                take()
                kind, v = peek()
                if kind == "id":
                    take()
                elif kind in ("eos",) or (kind, v) == ("op", ","):
                    v = ""
                else:
                    raise SelectorError("found '%s', expected: identifier" % v)
                _check_values(key, val, [v])
                reqs.append(Requirement(key, val, [v]))
            else:
                raise SelectorError("found '%s', expected: '=', '!=', '==', 'in', notin'" % val)
        else:
            raise SelectorError("found '%s', expected: !, identifier, or 'end of string'" % val)
        kind, val = take()
        if kind == "eos":
            return reqs
        if (kind, val) != ("op", ","):
            raise SelectorError("found '%s', expected: ',' or 'end of string'" % val)


def from_label_selector(sel):
    """metav1.LabelSelectorAsSelector: None selects nothing, {} selects everything."""
    if sel is None:
        return None
    reqs = [Requirement(k, "=", [v]) for k, v in sorted((sel.get("matchLabels") or {}).items())]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for e in sel.get("matchExpressions") or []:
        reqs.append(Requirement(e.get("key", ""), ops.get(e.get("operator"), "in"), e.get("values") or []))
    return reqs


def to_string(reqs):
    parts = []
    for r in reqs:
        if r.op == "exists":
            parts.append(r.key)
        elif r.op == "!":
            parts.append("!" + r.key)
        elif r.op in ("in", "notin"):
            parts.append("%s %s (%s)" % (r.key, r.op, ",".join(r.values)))
        else:
            parts.append("%s%s%s" % (r.key, r.op, r.values[0]))
    return ",".join(parts)


def matches(reqs, labels):
    if reqs is None:
        return False
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


# ---- field selectors ----------------------------------------------------------------------------

def _split_unescaped(s, sep):
    parts, cur, i = [], [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if s[i] == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(s[i])
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            if v[i + 1] not in "\\,=":
                raise SelectorError("invalid field selector: invalid escape sequence: \\%s" % v[i + 1])
            out.append(v[i + 1])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse_fields(selector):
    """fields.ParseSelector: returns [(field, op, value)] with op in '=', '!='."""
    terms = []
    if not selector:
        return terms
    for term in _split_unescaped(selector, ","):
        if term == "":
            continue
        for op in ("!=", "==", "="):
            idx = term.find(op)
            if idx > 0:
                terms.append((term[:idx], "!=" if op == "!=" else "=", _unescape(term[idx + len(op):])))
                break
        else:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (selector, term))
    return terms


def fields_match(terms, field_values):
    for f, op, v in terms:
        actual = field_values.get(f, "")
        if (actual == v) != (op == "="):
            return False
    return True
