"""Search filters, order_by clauses and page tokens of runs/search and experiments/search.

The filter grammar is MLflow's (mlflow/utils/search_utils.py), a subset of SQL:
    filter     := comparison (AND comparison)*          -- AND only; MLflow has no OR
    comparison := identifier comparator value
    identifier := [entity '.'] key                        -- entity: metrics, params, tags, ...
    key        := word('.'word)* | "double quoted" | `backticked`
    value      := number | 'single' | "double" | ('a', 'b')   -- lists only for attributes.run_id
Storage-agnostic: callers pass a lookup(kind, key) for the run or experiment being tested.
Pure functions, thread-safe.
"""
import base64
import binascii
import collections
import functools
import json
import math
import operator
import re
import shlex

from wire import invalid

Clause = collections.namedtuple("Clause", "kind key op value")

METRIC_OPS = {">", ">=", "!=", "=", "<", "<="}
STRING_OPS = {"!=", "=", "LIKE", "ILIKE"}
STRING_ATTRIBUTE_OPS = STRING_OPS | {"IN", "NOT IN"}


class Schema:
    """What one search endpoint accepts: entity names, attribute keys and their types."""

    def __init__(self, kinds, attributes, numeric, orderable, aliases, canonical_kinds):
        self.kinds = kinds              # written entity name -> canonical kind
        self.attributes = attributes    # attribute keys valid in a filter
        self.numeric = numeric          # attribute keys compared as numbers
        self.orderable = orderable      # attribute keys valid in order_by
        self.aliases = aliases          # attribute key alias -> real key
        self.canonical_kinds = canonical_kinds  # listed in "invalid entity" messages


RUNS = Schema(
    kinds={"metric": "metric", "metrics": "metric",
           "parameter": "parameter", "parameters": "parameter", "param": "parameter",
           "params": "parameter", "tag": "tag", "tags": "tag",
           "attribute": "attribute", "attributes": "attribute", "attr": "attribute",
           "run": "attribute", "dataset": "dataset", "datasets": "dataset"},
    attributes={"artifact_uri", "end_time", "run_id", "run_name", "start_time", "status",
                "user_id", "created", "Created", "run name", "Run name", "Run Name"},
    numeric={"start_time", "end_time", "created", "Created"},
    orderable={"artifact_uri", "end_time", "run_id", "run_name", "start_time", "status",
               "user_id", "created", "Created"},
    aliases={"created": "start_time", "Created": "start_time", "run name": "run_name",
             "Run name": "run_name", "Run Name": "run_name"},
    canonical_kinds=["metric", "parameter", "tag", "attribute", "dataset"],
)

EXPERIMENTS = Schema(
    kinds={"attribute": "attribute", "tag": "tag", "tags": "tag"},
    attributes={"name", "creation_time", "last_update_time"},
    numeric={"creation_time", "last_update_time"},
    orderable={"name", "experiment_id", "creation_time", "last_update_time"},
    aliases={},
    canonical_kinds=["attribute", "tag", "tags"],
)

_TOKEN = re.compile(r"""
     (?P<ws>\s+)
    |(?P<sq>'(?:''|\\.|[^'\\])*')
    |(?P<dq>"(?:""|\\.|[^"\\])*")
    |(?P<bq>`[^`]*`)
    |(?P<num>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)(?![\w.])
    |(?P<op><=|>=|!=|<>|==|=|<|>)
    |(?P<lp>\() |(?P<rp>\)) |(?P<comma>,) |(?P<dot>\.)
    |(?P<word>[^\W\d]\w*)
""", re.VERBOSE)


def _tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise invalid(f"Invalid filter '{text}': unexpected character {text[pos]!r} at "
                          f"position {pos}. Quote keys with special characters: tags.\"my-key\" or "
                          f"tags.`my-key`.")
        if m.lastgroup != "ws":
            tokens.append((m.lastgroup, m.group(), m.start()))
        pos = m.end()
    return tokens


def _unquote(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _trim_backticks(text):
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1]
    return text


def resolve_identifier(entity, key, schema, attribute_keys):
    """(written entity or None, key) -> (canonical kind, key), checked against the schema."""
    if entity is None:
        kind = "attribute"
    else:
        entity = _trim_backticks(entity)
        if entity not in schema.kinds:
            raise invalid(f"Invalid entity type '{entity}'. Valid values are "
                          f"{schema.canonical_kinds}")
        kind = schema.kinds[entity]
    key = _trim_backticks(_unquote(key))
    if kind == "attribute" and key not in attribute_keys:
        raise invalid(f"Invalid attribute key '{key}' specified. Valid keys are "
                      f"'{sorted(attribute_keys)}'")
    if kind == "dataset":
        if key not in ("name", "digest", "context"):
            raise invalid(f"Invalid dataset key '{key}' specified. Valid keys are "
                          "'['context', 'digest', 'name']'")
        raise invalid("Filtering or ordering on datasets is not supported by this fake server")
    if kind == "attribute":
        key = schema.aliases.get(key, key)
    return kind, key


class _Parser:
    def __init__(self, text, schema):
        self.text, self.schema = text, schema
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, what):
        tok = self.peek()
        if tok is None:
            raise invalid(f"Invalid filter '{self.text}': expected {what} at the end of the filter")
        self.i += 1
        return tok

    def parse(self):
        clauses = []
        while True:
            clauses.append(self.comparison())
            tok = self.peek()
            if tok is None:
                return clauses
            if tok[0] == "word" and tok[1].upper() == "AND":
                self.i += 1
                if self.peek() is None:
                    raise invalid(f"Invalid filter '{self.text}': expected a comparison after AND")
                continue
            rest = self.text[tok[2]:]
            hint = " (MLflow search filters support AND only)" if tok[1].upper() == "OR" else ""
            raise invalid(f"Invalid clause(s) in filter string: '{rest}'{hint}")

    def comparison(self):
        kind, text, pos = self.take("an identifier such as metrics.loss")
        if kind not in ("word", "dq", "bq"):
            raise invalid(f"Invalid comparison clause. Expected 'Identifier' found '{text}' at "
                          f"position {pos} of '{self.text}'")
        parts = [text]
        while self.peek() is not None and self.peek()[0] == "dot":
            self.i += 1
            kind, text, pos = self.take("a key after '.'")
            if kind not in ("word", "dq", "bq", "num"):
                raise invalid(f"Invalid identifier in filter '{self.text}': unexpected '{text}' "
                              f"at position {pos}")
            parts.append(text)
        entity = parts[0] if len(parts) > 1 else None
        key = ".".join(parts[1:]) if len(parts) > 1 else parts[0]
        ident = ".".join(parts)
        op = self.comparator(ident)
        value_token = self.value()
        kind, key = resolve_identifier(entity, key, self.schema, self.schema.attributes)
        return Clause(kind, key, op, self._check(kind, key, op, value_token))

    def comparator(self, ident):
        kind, text, pos = self.take(f"a comparison operator after '{ident}'")
        upper = text.upper()
        if kind == "op":
            return text
        if kind == "word" and upper in ("LIKE", "ILIKE", "IN"):
            return upper
        if kind == "word" and upper == "NOT":
            nxt = self.take("IN after NOT")
            if nxt[0] == "word" and nxt[1].upper() == "IN":
                return "NOT IN"
        raise invalid(f"Invalid comparison clause. Expected comparison found '{text}' at "
                      f"position {pos} of '{self.text}'")

    def value(self):
        kind, text, pos = self.take("a value")
        if kind != "lp":
            return kind, text
        items = []
        while True:
            kind, text, pos = self.take("')' closing the list")
            if kind == "rp" and not items:
                raise invalid("While parsing a list in the query, expected a non-empty list of "
                              "string values, but got empty list")
            if kind != "sq":
                raise invalid("While parsing a list in the query, expected string value, "
                              f"punctuation, or whitespace, but got different type in list: {text}")
            items.append(text[1:-1])
            kind, text, pos = self.take("')' closing the list")
            if kind == "rp":
                return "list", items
            if kind != "comma":
                raise invalid("While parsing a list in the query, expected a non-empty list of "
                              "string values, but got ill-formed list.")

    def _check(self, kind, key, op, token):
        vtype, vtext = token
        shown = vtext if vtype != "list" else "(" + ", ".join(repr(v) for v in vtext) + ")"
        numeric = kind == "metric" or (kind == "attribute" and key in self.schema.numeric)
        if numeric:
            if vtype != "num":
                what = "metric" if kind == "metric" else f"numeric attribute: {key}"
                raise invalid(f"Expected numeric value type for {what}. Found {shown}")
            _check_op(op, METRIC_OPS)
            return float(vtext)
        if vtype in ("sq", "dq"):
            value = vtext[1:-1]
        elif vtype in ("word", "bq"):
            raise invalid("Parameter value is either not quoted or unidentified quote types used "
                          f"for string value {vtext}. Use either single or double quotes.")
        elif vtype == "list":
            if kind != "attribute" or key != "run_id":
                raise invalid("Only the 'run_id' attribute supports comparison with a list of "
                              "quoted string values.")
            # MLflow drops ids with upper-case letters (run ids are lower-case hex).
            value = [v for v in vtext if v.islower()]
        else:
            label = "attributes" if kind == "attribute" else kind
            if kind == "attribute":
                raise invalid(f"Expected a quoted string value for attributes. Got value {shown}")
            raise invalid(f"Expected a quoted string value for {label} (e.g. 'my-value'). "
                          f"Got value {shown}")
        _check_op(op, STRING_ATTRIBUTE_OPS if kind == "attribute" else STRING_OPS)
        if (op in ("IN", "NOT IN")) != (vtype == "list"):
            raise invalid(f"Invalid comparison '{op}' with value {shown}: IN and NOT IN take a "
                          "parenthesised list of quoted strings, e.g. ('a', 'b'), and only they do")
        return value


def _check_op(op, valid):
    if op not in valid:
        raise invalid(f"Invalid comparator '{op}' not one of '{sorted(valid)}'")


def parse_filter(text, schema=RUNS):
    """The filter as a list of Clause; any problem raises MlflowError(INVALID_PARAMETER_VALUE)."""
    if not text or not text.strip():
        return []
    return _Parser(text, schema).parse()


def _like(value, pattern, ignore_case):
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


_COMPARE = {">": operator.gt, ">=": operator.ge, "=": operator.eq, "!=": operator.ne,
            "<": operator.lt, "<=": operator.le}


def matches(clauses, lookup):
    """Whether one item satisfies every clause; lookup(kind, key) gives its value or None.

    An item without the key never matches, not even '!='. NaN metrics match only '!='.
    """
    for c in clauses:
        lhs = lookup(c.kind, c.key)
        if lhs is None:
            return False
        if c.op in ("LIKE", "ILIKE"):
            ok = _like(lhs, c.value, c.op == "ILIKE")
        elif c.op == "IN":
            ok = lhs in c.value
        elif c.op == "NOT IN":
            ok = lhs not in c.value
        else:
            ok = _COMPARE[c.op](lhs, c.value)
        if not ok:
            return False
    return True


def parse_order_by(text, schema=RUNS):
    """'metrics.loss DESC' -> ('metric', 'loss', False). Backticks and double quotes quote keys."""
    bad = invalid(f"Invalid order_by clause '{text}'. Could not be parsed.")
    if not isinstance(text, str):
        raise bad
    try:
        tokens = shlex.split(text.replace("`", '"'))
    except ValueError:
        raise bad from None
    if not tokens or len(tokens) > 2:
        raise bad
    ascending = True
    if len(tokens) == 2:
        direction = tokens[1].lower()
        if direction not in ("asc", "desc"):
            raise invalid(f"Invalid ordering key in order_by clause '{text}'.")
        ascending = direction == "asc"
    ident = tokens[0].strip()
    entity, _, key = ident.partition(".")
    if not _:
        entity, key = None, ident
    kind, key = resolve_identifier(entity, key, schema, schema.orderable)
    return kind, key, ascending


def _rank(value):
    if value is None:
        return 2
    if isinstance(value, float) and math.isnan(value):
        return 1
    return 0


def _compare_for_order(a, b, ascending):
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return -1 if ra < rb else 1     # values, then NaN, then missing, in both directions
    if ra:
        return 0
    c = (a > b) - (a < b)
    return c if ascending else -c


def sort(items, order_by, lookup, schema=RUNS, base_key=None):
    """Items sorted by each order_by clause in turn, ties kept in base_key order.

    lookup(item, kind, key) gives the sort value or None. Like MLflow, items missing the key sort
    last and NaN metrics just before them, whether ascending or descending.
    """
    parsed = [parse_order_by(clause, schema) for clause in order_by]
    items = sorted(items, key=base_key) if base_key else list(items)
    for kind, key, ascending in reversed(parsed):
        decorated = [(lookup(item, kind, key), item) for item in items]
        decorated.sort(key=functools.cmp_to_key(
            lambda x, y, asc=ascending: _compare_for_order(x[0], y[0], asc)))
        items = [item for _, item in decorated]
    return items


def encode_page_token(offset):
    """MLflow's token: base64 of the JSON {"offset": N}."""
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8")).decode("ascii")


def decode_page_token(token):
    if not token:
        return 0
    try:
        raw = base64.b64decode(token)
    except (binascii.Error, ValueError, TypeError):
        raise invalid("Invalid page token, could not base64-decode") from None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise invalid(f"Invalid page token, decoded value={raw!r}") from None
    offset = parsed.get("offset") if isinstance(parsed, dict) else None
    if not offset:
        raise invalid(f"Invalid page token, parsed value={parsed}")
    try:
        offset = int(offset)
    except (TypeError, ValueError):
        raise invalid(f"Invalid page token, not stringable {offset}") from None
    if offset < 0:
        raise invalid(f"Invalid page token, parsed value={parsed}")
    return offset
