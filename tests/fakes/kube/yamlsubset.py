"""A YAML reader for the block-style YAML that Kubernetes manifests use (controller-gen CRDs, kubectl-style
manifests): block mappings and sequences, plain/single/double-quoted scalars (also multi-line), literal
and folded block scalars, simple flow collections, comments and `---` documents. No anchors, tags or
complex keys. Standard library only (the fake must not need PyYAML). Pure functions: thread-safe.
"""

import json
import re

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


class YamlError(ValueError):
    pass


def load_all(text):
    docs, cur = [], []
    for line in text.split("\n"):
        if line.rstrip() == "---" or line.startswith("--- "):
            docs.append(cur)
            cur = []
        elif line.rstrip() == "...":
            continue
        else:
            cur.append(line.rstrip("\r"))
    docs.append(cur)
    out = []
    for lines in docs:
        p = _Parser(lines)
        if p.next_content(0) is None:
            continue
        out.append(p.parse_block(-1))
    return out


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _strip_comment(s):
    """Drop a trailing ' #...' comment outside quotes."""
    q = None
    for i, c in enumerate(s):
        if q:
            if c == q:
                q = None
        elif c in "'\"" and (i == 0 or s[i - 1] in " :[{,-"):
            q = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def scalar(s):
    s = s.strip()
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s) and any(ch.isdigit() for ch in s):
        return float(s)
    return s


def _split_key(s):
    """'key: rest' -> (key, rest) for a mapping entry, else None."""
    if s[:1] in ("'", '"'):
        end = _quote_end(s, 0)
        if end is not None and s[end + 1:end + 2] == ":" and (len(s) == end + 2 or s[end + 2] == " "):
            return _unquote(s[:end + 1]), s[end + 2:].strip()
        return None
    m = re.match(r"^([^\s#'\"\[\]{},][^#]*?):(?:\s+(.*))?$", s)
    if m and not s.startswith("- "):
        return m.group(1).strip(), (m.group(2) or "").strip()
    return None


def _quote_end(s, start):
    q = s[start]
    i = start + 1
    while i < len(s):
        if q == "'" and s[i] == "'":
            if s[i + 1:i + 2] == "'":
                i += 2
                continue
            return i
        if q == '"' and s[i] == "\\":
            i += 2
            continue
        if q == '"' and s[i] == '"':
            return i
        i += 1
    return None


def _unquote(s):
    if s.startswith("'"):
        return s[1:-1].replace("''", "'")
    return json.loads(s.replace("\\/", "/").replace("\t", "\\t"))


def _fold(parts):
    """Multi-line flow scalar: lines joined by spaces, empty lines become newlines."""
    out = ""
    for i, p in enumerate(parts):
        p = p.strip()
        if i == 0:
            out = p
        elif p == "":
            out += "\n"
        elif out.endswith("\n") or out == "":
            out += p
        else:
            out += " " + p
    return out


class _Parser:
    def __init__(self, lines):
        self.lines, self.i = lines, 0

    def next_content(self, i):
        while i < len(self.lines):
            s = self.lines[i].strip()
            if s and not s.startswith("#"):
                return i
            i += 1
        return None

    def parse_block(self, parent_indent):
        j = self.next_content(self.i)
        if j is None:
            return None
        self.i = j
        ind = _indent(self.lines[j])
        if ind <= parent_indent and not self.lines[j].strip().startswith("- "):
            return None
        text = self.lines[j].strip()
        if text == "-" or text.startswith("- "):
            return self.parse_seq(ind)
        return self.parse_map(ind)

    def parse_map(self, ind, first=None):
        out = {}
        while True:
            if first is not None:
                text, first = first, None
            else:
                j = self.next_content(self.i)
                if j is None or _indent(self.lines[j]) != ind:
                    return out
                self.i = j
                text = self.lines[j].strip()
                if text.startswith("- ") or text == "-":
                    return out
            kv = _split_key(_strip_comment(text) if not text.startswith(("'", '"')) else text)
            if kv is None:
                raise YamlError("line %d: expected 'key: value': %s" % (self.i + 1, text))
            key, rest = kv
            self.i += 1
            out[key] = self.value(rest, ind)

    def parse_seq(self, ind):
        out = []
        while True:
            j = self.next_content(self.i)
            if j is None or _indent(self.lines[j]) != ind:
                return out
            text = self.lines[j].strip()
            if not (text == "-" or text.startswith("- ")):
                return out
            self.i = j
            rest = text[1:].strip()
            if not rest:
                self.i += 1
                out.append(self.parse_block(ind))
                continue
            item_ind = ind + (len(text) - len(rest))
            if rest == "-" or rest.startswith("- "):  # "- - x": a sequence inside the item
                self.lines[j] = " " * item_ind + rest
                out.append(self.parse_seq(item_ind))
                continue
            if _split_key(rest) is not None and not rest.startswith(("[", "{")):
                out.append(self.parse_map(item_ind, first=rest))
            else:
                self.i += 1
                out.append(self.value(rest, ind))

    def value(self, rest, ind):
        """The value after 'key:' or '- ' whose line had indentation ind; self.i is the next line."""
        rest_nc = _strip_comment(rest) if rest[:1] not in ("'", '"') else rest
        if rest_nc == "":
            j = self.next_content(self.i)
            if j is None:
                return None
            nind = _indent(self.lines[j])
            ntext = self.lines[j].strip()
            if nind > ind or (nind == ind and (ntext.startswith("- ") or ntext == "-")):
                return self.parse_block(ind - 1 if nind == ind else ind)
            return None
        if rest_nc[:1] in ("|", ">"):
            return self.block_scalar(rest_nc, ind)
        if rest[:1] in ("'", '"'):
            return self.quoted(rest, ind)
        if rest_nc[:1] in ("[", "{"):
            text = rest_nc
            while not _balanced(text):
                text += " " + self.lines[self.i].strip()
                self.i += 1
            return _flow(text)
        parts = [rest_nc]
        while True:  # a plain scalar may continue on more-indented lines
            j = self.i
            if j >= len(self.lines):
                break
            line = self.lines[j]
            if line.strip() == "":
                k = self.next_content(j)
                if k is None or _indent(self.lines[k]) <= ind:
                    break
                parts.append("")
                self.i += 1
                continue
            if _indent(line) <= ind or line.strip().startswith("#"):
                break
            parts.append(_strip_comment(line.strip()))
            self.i += 1
        return scalar(_fold(parts)) if len(parts) > 1 else scalar(rest_nc)

    def quoted(self, rest, ind):
        text = rest
        while _quote_end(text, 0) is None:
            if self.i >= len(self.lines):
                raise YamlError("unterminated quoted scalar")
            text += "\n" + self.lines[self.i]
            self.i += 1
        end = _quote_end(text, 0)
        body = text[1:end]
        if "\n" in body:
            body = _fold(body.split("\n"))
        return _unquote(text[0] + body + text[0]) if text[0] == "'" else json.loads(
            '"' + body.replace("\t", "\\t").replace("\n", "\\n") + '"')

    def block_scalar(self, header, ind):
        style, chomp = header[0], "clip"
        if "-" in header:
            chomp = "strip"
        elif "+" in header:
            chomp = "keep"
        digits = [c for c in header if c.isdigit()]
        lines, block_ind = [], None
        if digits:
            block_ind = ind + int(digits[0])
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() == "":
                lines.append("")
                self.i += 1
                continue
            li = _indent(line)
            if block_ind is None:
                if li <= ind:
                    break
                block_ind = li
            if li < block_ind:
                break
            lines.append(line[block_ind:])
            self.i += 1
        trailing = 0
        while lines and lines[-1] == "":
            lines.pop()
            trailing += 1
        if style == "|":
            text = "\n".join(lines)
        else:
            text, prev_more = "", False
            for k, ln in enumerate(lines):
                more = ln.startswith(" ") or ln == ""
                if k == 0:
                    text = ln
                elif ln == "":
                    text += "\n"
                elif more or prev_more or text.endswith("\n"):
                    text += ("\n" if not text.endswith("\n") else "") + ln if more or prev_more else ln
                else:
                    text += " " + ln
                prev_more = ln.startswith(" ")
        if not lines:
            return ""
        if chomp == "strip":
            return text
        if chomp == "keep":
            return text + "\n" * (trailing + 1)
        return text + "\n"


def _balanced(s):
    depth, q = 0, None
    for c in s:
        if q:
            if c == q:
                q = None
        elif c in "'\"":
            q = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
    return depth == 0


def _flow(s):
    s = s.strip()
    pos = [0]

    def ws():
        while pos[0] < len(s) and s[pos[0]] in " \t\n":
            pos[0] += 1

    def item():
        ws()
        c = s[pos[0]]
        if c == "[":
            pos[0] += 1
            out = []
            ws()
            while s[pos[0]] != "]":
                out.append(item())
                ws()
                if s[pos[0]] == ",":
                    pos[0] += 1
                    ws()
            pos[0] += 1
            return out
        if c == "{":
            pos[0] += 1
            out = {}
            ws()
            while s[pos[0]] != "}":
                k = item()
                ws()
                v = None
                if s[pos[0]] == ":":
                    pos[0] += 1
                    v = item()
                out[k] = v
                ws()
                if s[pos[0]] == ",":
                    pos[0] += 1
                    ws()
            pos[0] += 1
            return out
        if c in "'\"":
            end = _quote_end(s, pos[0])
            tok = s[pos[0]:end + 1]
            pos[0] = end + 1
            return _unquote(tok)
        start = pos[0]
        while pos[0] < len(s) and s[pos[0]] not in ",]}" and not (s[pos[0]] == ":" and s[pos[0] + 1:pos[0] + 2] in
                                                                  (" ", "")):
            pos[0] += 1
        return scalar(s[start:pos[0]])
    return item()
