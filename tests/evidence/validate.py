#!/usr/bin/python3
"""validate.py - checks what `portcullis evidence export` writes.

  validate.py stix BUNDLE.json [--schemas DIR]   exit 0 valid; 1 with one line per problem
  validate.py misp EVENT.json                    exit 0 valid; 1 with one line per problem
  validate.py pattern 'PATTERN'                  exit 0 if it is a valid STIX 2.1 pattern
  validate.py selftest [--schemas DIR] [-v]      built-in positive and negative cases

DIR is the OASIS cti-stix2-json-schemas checkout (or its schemas/ folder);
default $STIX2_SCHEMAS, else ../shared/stix2-schemas beside the repository.
Exit 2: usage error or unreadable schemas.

Standard library plus jsonschema only: Debian 12's python3-jsonschema 4.10
(RefResolver with a store of every schema file keyed by its $id), or, where
a newer jsonschema with `referencing` is installed, a Registry of the same
files. No $ref is ever fetched from the network: a $ref outside the store
is reported as a problem. See README.md beside this file for what is checked.
"""

import argparse
import base64
import datetime
import ipaddress
import json
import os
import posixpath
import re
import sys
import uuid as uuidlib
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import best_match
except ImportError:  # pragma: no cover - reported at run time
    jsonschema = None

try:  # jsonschema >= 4.18: the legacy RefResolver mis-resolves local "#/..." refs
    import referencing
    import referencing.exceptions
    import referencing.jsonschema
except ImportError:
    referencing = None


def jsonschema_version():
    if jsonschema is None:
        return "none"
    try:
        from importlib.metadata import version
        return version("jsonschema")
    except Exception:
        return getattr(jsonschema, "__version__", "?")


# --------------------------------------------------------------------------
# shared helpers

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# STIX identifier: what common/identifier.json accepts (RFC 4122 version 1-5, variant 10xx)
STIX_ID_RE = re.compile(r"^([a-z][a-z0-9-]+[a-z0-9])--([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$")
SURROGATE_RE = re.compile("[\ud800-\udfff]")
# control characters (Unicode category Cc) other than tab, LF, CR
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def short(value, limit=160):
    s = value if isinstance(value, str) else json.dumps(value, ensure_ascii=True, default=str)
    s = s.encode("ascii", "backslashreplace").decode("ascii")
    return s if len(s) <= limit else s[:limit] + "..."


def load_json_bytes(data, problems):
    """Strict JSON: UTF-8, no BOM, no NaN/Infinity, no duplicate keys."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("file: not UTF-8 (%s)" % e)
        return None
    if text.startswith("\ufeff"):
        problems.append("file: starts with a byte order mark")
        text = text[1:]
    dups = []

    def pairs(kv):
        d = {}
        for k, v in kv:
            if k in d:
                dups.append(k)
            d[k] = v
        return d

    def constant(name):
        raise ValueError("%s is not JSON" % name)

    try:
        obj = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except ValueError as e:
        problems.append("file: not JSON (%s)" % e)
        return None
    for k in dups:
        problems.append("file: duplicate key %s in one object" % short(k))
    return obj


def check_strings(node, path, problems):
    """Every string (keys too): no lone surrogate, no control character but \\t \\n \\r."""
    def one(s, where):
        m = SURROGATE_RE.search(s)
        if m:
            problems.append("%s: lone surrogate U+%04X at offset %d" % (where, ord(m.group()), m.start()))
        m = CONTROL_RE.search(s)
        if m:
            problems.append("%s: control character U+%04X at offset %d" % (where, ord(m.group()), m.start()))

    stack = [(node, path)]
    while stack:
        n, p = stack.pop()
        if isinstance(n, str):
            one(n, p)
        elif isinstance(n, dict):
            for k, v in n.items():
                one(k, "%s key %s" % (p, short(k, 40)))
                stack.append((v, "%s.%s" % (p, k)))
        elif isinstance(n, list):
            for i, v in enumerate(n):
                stack.append((v, "%s[%d]" % (p, i)))


TS_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?Z$")


def parse_timestamp(s):
    """RFC 3339 UTC with Z -> comparable tuple, or None. A leap second only at 23:59:60."""
    if not isinstance(s, str):
        return None
    m = TS_RE.match(s)
    if not m:
        return None
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return None
    if y == 0 or h > 23 or mi > 59 or se > 60 or (se == 60 and (h, mi) != (23, 59)):
        return None
    frac = (m.group(7) or ".")[1:]
    return (y, mo, d, h, mi, se, int(frac.ljust(30, "0")[:30]))


def valid_hostname(s):
    """DNS name: labels of letters, digits and hyphens (or non-ASCII letters for IDN)."""
    if not isinstance(s, str) or not s or len(s) > 253 or s.endswith("."):
        return False
    for label in s.split("."):
        if not label or len(label) > 63 or label[0] == "-" or label[-1] == "-":
            return False
        for ch in label:
            if ch == "-" or ("a" <= ch.lower() <= "z") or ("0" <= ch <= "9"):
                continue
            if ord(ch) > 127 and ch.isalnum():
                continue
            return False
    return True


URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


def valid_uri(s):
    """RFC 3986 absolute URI: scheme ':' and only URI characters (an IRI must be %-encoded)."""
    return isinstance(s, str) and bool(URI_RE.match(s))


def valid_email(s):
    return isinstance(s, str) and bool(re.match(r"^[^@\s]+@[^@\s]+$", s))


# --------------------------------------------------------------------------
# STIX 2.1 patterning (STIX 2.1 spec section 9; grammar STIXPattern.g4)

class PatternError(Exception):
    def __init__(self, msg, pos):
        Exception.__init__(self, msg)
        self.msg = msg
        self.pos = pos


PATTERN_KEYWORDS = {"AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET",
                    "EXISTS", "LAST", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS", "TIMES"}
PATTERN_WS = set(" \t\r\n\u000b\u000c\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
P_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
P_NUM = re.compile(r"[+-]?(?:[0-9]*\.[0-9]+|0|[1-9][0-9]*)")
P_TS = re.compile(r"t'([0-9]{4})-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z'")
P_HEX = re.compile(r"h'(?:[0-9A-Fa-f]{2})*'")
_B = "[A-Za-z0-9+/]"
P_BIN = re.compile(r"b'(?:%s{4})*(?:%s{4}|%s{3}=|%s{2}==)'" % (_B, _B, _B, _B))
P_OPS = [("<=", "LE"), (">=", "GE"), ("<>", "NEQ"), ("!=", "NEQ"), ("==", "EQ"), ("=", "EQ"),
         ("<", "LT"), (">", "GT"), ("[", "LBRACK"), ("]", "RBRACK"), ("(", "LPAREN"), (")", "RPAREN"),
         (":", "COLON"), (",", "COMMA"), ("*", "STAR"), ("+", "PLUS"), ("-", "MINUS"), ("^", "POWER"),
         ("/", "DIVIDE"), (".", "DOT")]


class Tok:
    __slots__ = ("kind", "text", "value", "pos")

    def __init__(self, kind, text, value, pos):
        self.kind, self.text, self.value, self.pos = kind, text, value, pos

    def show(self):
        return "end of pattern" if self.kind == "EOF" else repr(self.text)


def pattern_tokens(s):
    toks = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in PATTERN_WS:
            i += 1
            continue
        if s.startswith("/*", i):
            j = s.find("*/", i + 2)
            if j < 0:
                raise PatternError("unterminated /* comment", i)
            i = j + 2
            continue
        if s.startswith("//", i):
            while i < n and s[i] not in "\r\n":
                i += 1
            continue
        if c == "'":
            j, out = i + 1, []
            while True:
                if j >= n:
                    raise PatternError("unterminated string", i)
                ch = s[j]
                if ch == "'":
                    break
                if ch == "\\":
                    if j + 1 < n and s[j + 1] in "'\\":
                        out.append(s[j + 1])
                        j += 2
                        continue
                    raise PatternError("invalid escape in string (only \\' and \\\\ are allowed)", j)
                out.append(ch)
                j += 1
            toks.append(Tok("STRING", s[i:j + 1], "".join(out), i))
            i = j + 1
            continue
        if c in "thb" and i + 1 < n and s[i + 1] == "'":
            rx, kind, what = {"t": (P_TS, "TS", "timestamp"), "h": (P_HEX, "HEX", "hex"),
                              "b": (P_BIN, "BIN", "binary (base64)")}[c]
            m = rx.match(s, i)
            if not m:
                raise PatternError("malformed %s literal" % what, i)
            text = m.group()
            if kind == "TS":
                if parse_timestamp(text[2:-1]) is None:
                    raise PatternError("timestamp %s is not a real date and time" % text, i)
                value = text[2:-1]
            elif kind == "HEX":
                value = bytes.fromhex(text[2:-1])
            else:
                value = base64.b64decode(text[2:-1])
            toks.append(Tok(kind, text, value, i))
            i = m.end()
            continue
        if c.isascii() and (c.isalpha() or c == "_"):
            m = P_IDENT.match(s, i)
            text = m.group()
            if text in PATTERN_KEYWORDS:
                toks.append(Tok("KW", text, text, i))
            elif text in ("true", "false"):
                toks.append(Tok("BOOL", text, text == "true", i))
            else:
                toks.append(Tok("IDENT", text, text, i))
            i = m.end()
            continue
        m = P_NUM.match(s, i) if (c in "+-." or "0" <= c <= "9") else None
        if m:
            text = m.group()
            if "." in text:
                toks.append(Tok("FLOAT", text, float(text), i))
            else:
                toks.append(Tok("INT", text, int(text), i))
            i = m.end()
            continue
        for op, kind in P_OPS:
            if s.startswith(op, i):
                toks.append(Tok(kind, op, op, i))
                i += len(op)
                break
        else:
            raise PatternError("unexpected character %r" % c, i)
    toks.append(Tok("EOF", "", None, n))
    return toks


HASH_FORMATS = {  # as the OASIS pattern validator checks them
    "MD5": r"[a-fA-F0-9]{32}", "RIPEMD160": r"[a-fA-F0-9]{40}", "SHA1": r"[a-fA-F0-9]{40}",
    "SHA224": r"[a-fA-F0-9]{56}", "SHA256": r"[a-fA-F0-9]{64}", "SHA384": r"[a-fA-F0-9]{96}",
    "SHA512": r"[a-fA-F0-9]{128}", "SHA3224": r"[a-fA-F0-9]{56}", "SHA3256": r"[a-fA-F0-9]{64}",
    "SHA3384": r"[a-fA-F0-9]{96}", "SHA3512": r"[a-fA-F0-9]{128}", "SSDEEP": r"[a-zA-Z0-9/+:.]{1,128}",
    "WHIRLPOOL": r"[a-fA-F0-9]{128}",
}

POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v", "blank": " \\t", "xdigit": "0-9A-Fa-f", "word": "\\w",
    "cntrl": "\\x00-\\x1f\\x7f", "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
}


def pcre_to_python(rx):
    """Minimal PCRE -> Python re translation: (?<n>..) (?'n'..) \\k<n> \\z \\Z \\h \\e \\x{..} \\Q..\\E [:class:]."""
    out, i, n, in_class = [], 0, len(rx), False
    while i < n:
        c = rx[i]
        if c == "\\" and i + 1 < n:
            d = rx[i + 1]
            if d == "Q":
                j = rx.find("\\E", i + 2)
                lit = rx[i + 2:] if j < 0 else rx[i + 2:j]
                out.append(re.escape(lit))
                i = n if j < 0 else j + 2
                continue
            if d == "x" and i + 2 < n and rx[i + 2] == "{":
                j = rx.find("}", i + 3)
                if j > 0 and re.fullmatch(r"[0-9A-Fa-f]{1,6}", rx[i + 3:j]):
                    out.append("\\U%08x" % int(rx[i + 3:j], 16))
                    i = j + 1
                    continue
            if d == "k" and i + 2 < n and rx[i + 2] in "<{'":
                close = {"<": ">", "{": "}", "'": "'"}[rx[i + 2]]
                j = rx.find(close, i + 3)
                if j > 0:
                    out.append("(?P=%s)" % rx[i + 3:j])
                    i = j + 1
                    continue
            if not in_class and d == "z":
                out.append("\\Z")
            elif not in_class and d == "Z":
                out.append("(?=\\n?\\Z)")
            elif d == "h":
                out.append(" \\t" if in_class else "[ \\t]")
            elif d == "e":
                out.append("\\x1b")
            else:
                out.append(rx[i:i + 2])
            i += 2
            continue
        if in_class:
            m = re.match(r"\[:(\^?)([a-z]+):\]", rx[i:])
            if m and m.group(2) in POSIX_CLASSES and not m.group(1):
                out.append(POSIX_CLASSES[m.group(2)])
                i += m.end()
                continue
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and rx[i] == "^":
                out.append("^")
                i += 1
            if i < n and rx[i] == "]":  # a leading ] is a literal
                out.append("\\]")
                i += 1
            continue
        if rx.startswith("(?<", i) and i + 3 < n and rx[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if rx.startswith("(?'", i):
            j = rx.find("'", i + 3)
            if j > 0:
                out.append("(?P<%s>" % rx[i + 3:j])
                i = j + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def check_regex(rx):
    """None when the PCRE compiles in Python re after translation, else the error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(pcre_to_python(rx))
    except (re.error, OverflowError, ValueError) as e:
        return str(e)
    return None


class PatternParser:
    """Recursive descent over the STIX 2.1 pattern grammar (left recursion as loops)."""

    def __init__(self, text):
        self.text = text
        self.toks = pattern_tokens(text)
        self.i = 0
        self.semantic = []

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
        if t.kind != "EOF":
            self.i += 1
        return t

    def fail(self, expected, t=None):
        t = t or self.peek()
        raise PatternError("expected %s, found %s" % (expected, t.show()), t.pos)

    def is_kw(self, word):
        t = self.peek()
        return t.kind == "KW" and t.value == word

    def expect(self, kind, what):
        if self.peek().kind != kind:
            self.fail(what)
        return self.take()

    def expect_kw(self, word):
        if not self.is_kw(word):
            self.fail(word)
        return self.take()

    def parse(self):
        if self.peek().kind not in ("LBRACK", "LPAREN"):
            self.fail("'[' (a pattern is observation expressions in square brackets)")
        self.obs_exprs()
        if self.peek().kind != "EOF":
            self.fail("AND, OR, FOLLOWEDBY, a qualifier or the end")

    def obs_exprs(self):
        self.obs_or()
        while self.is_kw("FOLLOWEDBY"):
            self.take()
            self.obs_or()

    def obs_or(self):
        self.obs_and()
        while self.is_kw("OR"):
            self.take()
            self.obs_and()

    def obs_and(self):
        self.obs_expr()
        while self.is_kw("AND"):
            self.take()
            self.obs_expr()

    def obs_expr(self):
        t = self.peek()
        if t.kind == "LBRACK":
            self.take()
            self.cmp_expr()
            self.expect("RBRACK", "']' closing the observation expression")
            simple = True
        elif t.kind == "LPAREN":
            self.take()
            self.obs_exprs()
            self.expect("RPAREN", "')'")
            simple = False
        else:
            self.fail("'[' or '('")
        seen = set()
        while True:
            q = self.peek()
            if self.is_kw("START"):
                self.take()
                a = self.expect("TS", "a t'...' timestamp after START")
                self.expect_kw("STOP")
                b = self.expect("TS", "a t'...' timestamp after STOP")
                if parse_timestamp(b.value) <= parse_timestamp(a.value):
                    self.semantic.append("STOP %s is not later than START %s" % (b.text, a.text))
                kind = "START/STOP"
            elif self.is_kw("WITHIN"):
                self.take()
                v = self.take()
                if v.kind not in ("INT", "FLOAT") or v.text.startswith("-"):
                    self.fail("a positive number of seconds after WITHIN", v)
                if v.value <= 0:
                    self.semantic.append("WITHIN %s SECONDS: the number must be positive" % v.text)
                self.expect_kw("SECONDS")
                kind = "WITHIN"
            elif self.is_kw("REPEATS"):
                self.take()
                v = self.take()
                if v.kind != "INT" or v.text.startswith("-"):
                    self.fail("a positive integer after REPEATS", v)
                if v.value <= 0:
                    self.semantic.append("REPEATS %s TIMES: the count must be positive" % v.text)
                self.expect_kw("TIMES")
                kind = "REPEATS"
            else:
                break
            if simple:
                if kind in seen:
                    self.semantic.append("duplicate %s qualifier on one observation expression (at offset %d)" % (kind, q.pos))
                seen.add(kind)

    def cmp_expr(self):
        self.cmp_and()
        while self.is_kw("OR"):
            self.take()
            self.cmp_and()

    def cmp_and(self):
        self.prop_test()
        while self.is_kw("AND"):
            self.take()
            self.prop_test()

    def prop_test(self):
        t = self.peek()
        if t.kind == "LPAREN":
            self.take()
            self.cmp_expr()
            self.expect("RPAREN", "')'")
            return
        if self.is_kw("EXISTS"):
            self.take()
            self.object_path()
            return
        path = self.object_path()
        if self.is_kw("NOT"):
            self.take()
        op = self.take()
        if op.kind in ("EQ", "NEQ"):
            lit = self.literal(True)
            self.check_hash(path, [lit])
        elif op.kind in ("LT", "LE", "GT", "GE"):
            self.literal(False)
        elif op.kind == "KW" and op.value == "IN":
            lits = self.set_literal()
            self.check_hash(path, lits)
        elif op.kind == "KW" and op.value in ("LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"):
            s = self.expect("STRING", "a quoted string after %s" % op.value)
            if op.value == "MATCHES":
                err = check_regex(s.value)
                if err:
                    self.semantic.append("MATCHES regex %s does not compile (%s)" % (short(s.value, 80), err))
        else:
            self.fail("a comparison operator (= != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET)", op)

    def object_path(self):
        t = self.take()
        if t.kind != "IDENT":
            self.fail("an object type (e.g. email-message)", t)
        path = [t.value]
        self.expect("COLON", "':' after the object type")
        t = self.take()
        if t.kind == "IDENT" and "-" not in t.value:
            path.append(t.value)
        elif t.kind == "STRING":
            path.append(t.value)
        else:
            self.fail("a property name (quote it if it has a hyphen)", t)
        while True:
            t = self.peek()
            if t.kind == "DOT":
                self.take()
                t = self.take()
                if (t.kind == "IDENT" and "-" not in t.value) or t.kind == "STRING":
                    path.append(t.value)
                else:
                    self.fail("a property name after '.' (quote it if it has a hyphen)", t)
            elif t.kind == "LBRACK":
                self.take()
                t = self.take()
                if t.kind == "INT" or t.kind == "STAR":
                    path.append(None)
                else:
                    self.fail("a list index or '*'", t)
                self.expect("RBRACK", "']' closing the list index")
            else:
                return path

    def literal(self, allow_bool):
        t = self.take()
        kinds = {"INT", "FLOAT", "STRING", "BIN", "HEX", "TS"}
        if allow_bool:
            kinds.add("BOOL")
        if t.kind not in kinds:
            self.fail("a constant" if allow_bool else "an orderable constant (not a boolean)", t)
        return t

    def set_literal(self):
        self.expect("LPAREN", "'(' opening the IN set")
        lits = []
        if self.peek().kind == "RPAREN":
            self.take()
            return lits
        lits.append(self.literal(True))
        while self.peek().kind == "COMMA":
            self.take()
            lits.append(self.literal(True))
        self.expect("RPAREN", "')' closing the IN set")
        return lits

    def check_hash(self, path, lits):
        if "hashes" not in path[1:-1] or path[-1] is None:
            return
        name = path[-1].upper().replace("-", "")
        rx = HASH_FORMATS.get(name)
        if not rx:
            return
        for t in lits:
            if t.kind == "STRING" and not re.fullmatch(rx, t.value):
                self.semantic.append("%s is not a valid %s hash" % (short(t.value, 80), path[-1]))


def check_pattern(text):
    """Problems with a STIX 2.1 pattern; [] when it is valid."""
    if not isinstance(text, str):
        return ["pattern is not a string"]
    try:
        p = PatternParser(text)
        p.parse()
    except PatternError as e:
        return ["at offset %d: %s" % (e.pos, e.msg)]
    return p.semantic


# --------------------------------------------------------------------------
# STIX 2.1 bundles

TLP_MARKINGS = {
    # STIX 2.1 spec, 7.2.1.4 (TLP 1.0)
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "TLP:WHITE",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "TLP:GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "TLP:AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "TLP:RED",
    # TLP 2.0 extension, extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "TLP:CLEAR",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "TLP:GREEN",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "TLP:AMBER",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "TLP:AMBER+STRICT",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "TLP:RED",
}

# what a reference must point to, from the STIX 2.1 spec (None: any object type)
REF_TARGETS = {
    (None, "created_by_ref"): {"identity"},
    (None, "object_marking_refs"): {"marking-definition"},
    (None, "marking_ref"): {"marking-definition"},
    ("email-message", "from_ref"): {"email-addr"},
    ("email-message", "sender_ref"): {"email-addr"},
    ("email-message", "to_refs"): {"email-addr"},
    ("email-message", "cc_refs"): {"email-addr"},
    ("email-message", "bcc_refs"): {"email-addr"},
    ("email-message", "raw_email_ref"): {"artifact"},
    ("email-message", "body_raw_ref"): {"artifact", "file"},
    ("email-addr", "belongs_to_ref"): {"user-account"},
    ("domain-name", "resolves_to_refs"): {"ipv4-addr", "ipv6-addr", "domain-name"},
    ("ipv4-addr", "resolves_to_refs"): {"mac-addr"},
    ("ipv6-addr", "resolves_to_refs"): {"mac-addr"},
    ("ipv4-addr", "belongs_to_refs"): {"autonomous-system"},
    ("ipv6-addr", "belongs_to_refs"): {"autonomous-system"},
    ("file", "parent_directory_ref"): {"directory"},
    ("file", "content_ref"): {"artifact"},
    ("sighting", "where_sighted_refs"): {"identity", "location"},
    ("sighting", "observed_data_refs"): {"observed-data"},
}

# top-level timestamp properties of STIX 2.1 objects (the schemas check the form,
# this checks the date is real and that pairs are in order)
TIMESTAMP_PROPS = {
    "created", "modified", "valid_from", "valid_until", "first_seen", "last_seen", "first_observed",
    "last_observed", "published", "start_time", "stop_time", "object_modified", "date", "ctime", "mtime",
    "atime", "start", "end", "created_time", "account_created", "account_expires",
    "credential_last_changed", "account_first_login", "account_last_login", "validity_not_before",
    "validity_not_after", "modified_time", "analysis_started", "analysis_ended", "submitted",
}
TIMESTAMP_ORDER = [  # (earlier, later, strictly)
    ("created", "modified", False),
    ("first_seen", "last_seen", False),
    ("first_observed", "last_observed", False),
    ("valid_from", "valid_until", True),
    ("start_time", "stop_time", True),
    ("start", "end", False),
]
# subtrees whose keys are not STIX properties (no references, no timestamps)
NOT_PROPERTIES = {"contents", "additional_header_fields", "hashes", "definition"}


class SchemaStore:
    """Every *.json under DIR keyed by its $id; validators that never leave the store."""

    def __init__(self, directory):
        if os.path.isdir(os.path.join(directory, "schemas")):
            directory = os.path.join(directory, "schemas")
        self.dir = directory
        self.by_id = {}
        self.by_rel = {}
        self.errors = []
        for root, _dirs, files in os.walk(directory):
            for f in sorted(files):
                if not f.endswith(".json"):
                    continue
                path = os.path.join(root, f)
                rel = os.path.relpath(path, directory).replace(os.sep, "/")
                try:
                    with open(path, "rb") as fh:
                        s = json.loads(fh.read().decode("utf-8"))
                except (OSError, ValueError) as e:
                    self.errors.append("%s: %s" % (rel, e))
                    continue
                sid = s.get("$id") if isinstance(s, dict) else None
                if not sid:
                    self.errors.append("%s: no $id" % rel)
                    continue
                self.by_id[sid] = s
                self.by_rel[rel] = s
        if "common/bundle.json" not in self.by_rel:
            raise ValueError("no common/bundle.json under %s" % directory)
        self.bundle = self.by_rel["common/bundle.json"]
        # object type -> schema: the single value of "type"'s enum/const, at the
        # top level or in an allOf member (titles agree; not a hard-coded list)
        self.types = {}
        for rel, s in sorted(self.by_rel.items()):
            found = set()
            for part in [s] + [x for x in s.get("allOf", []) if isinstance(x, dict)]:
                t = part.get("properties", {}).get("type", {})
                vals = t.get("enum") if isinstance(t.get("enum"), list) else ([t["const"]] if "const" in t else [])
                if len(vals) == 1:
                    found.add(vals[0])
            if len(found) == 1:
                (t,) = found
                if t != "bundle":
                    self.types[t] = (rel, s)
        # types bundle.json's objects.items lists by $ref; the rest (note, opinion,
        # grouping, location, incident, extension-definition in the shipped files)
        # fall into its custom-object branch, which no SDO can pass: oneOf core /
        # cyber-observable-core matches both. Those are checked by their own schema.
        rel_type = {rel: t for t, (rel, _s) in self.types.items()}
        self.bundle_types = set()
        stack = [self.bundle.get("properties", {}).get("objects", {})]
        while stack:
            n = stack.pop()
            if isinstance(n, dict):
                ref = n.get("$ref")
                if isinstance(ref, str):
                    rel = posixpath.normpath(posixpath.join("common", ref.split("#")[0]))
                    if rel in rel_type:
                        self.bundle_types.add(rel_type[rel])
                stack.extend(n.values())
            elif isinstance(n, list):
                stack.extend(n)
        self.bundle_omits = set(self.types) - self.bundle_types
        # the same bundle.json with each "$ref" alternative of objects.items guarded
        # by the type that schema fixes: {"if": type == T, "then": $ref, "else": false}.
        # Same result (the referenced schema requires type T), without validating
        # every object against all 36 alternatives (30x faster on big bundles).
        self.bundle_fast = json.loads(json.dumps(self.bundle))

        def guard(n):
            if isinstance(n, dict):
                for k, v in n.items():
                    if k in ("oneOf", "anyOf") and isinstance(v, list):
                        for j, alt in enumerate(v):
                            ref = alt.get("$ref") if isinstance(alt, dict) else None
                            rel = posixpath.normpath(posixpath.join("common", ref)) if isinstance(ref, str) and "#" not in ref else None
                            if rel in rel_type and len(alt) == 1:
                                v[j] = {"if": {"properties": {"type": {"const": rel_type[rel]}}},
                                        "then": alt, "else": False}
                            else:
                                guard(alt)
                    else:
                        guard(v)
            elif isinstance(n, list):
                for x in n:
                    guard(x)

        guard(self.bundle_fast.get("properties", {}).get("objects", {}))
        self.format_checker = self._formats()
        self._validators = {}
        if referencing is not None:
            spec = referencing.jsonschema.DRAFT202012
            self.registry = referencing.Registry().with_resources(
                (sid, referencing.Resource.from_contents(s, default_specification=spec))
                for sid, s in self.by_id.items())

    @staticmethod
    def _formats():
        fc = FormatChecker(formats=())
        fc.checks("email")(valid_email)
        fc.checks("idn-hostname")(valid_hostname)
        fc.checks("hostname")(valid_hostname)
        fc.checks("uri")(valid_uri)
        return fc

    def validator(self, schema):
        key = id(schema)
        v = self._validators.get(key)
        if v is None:
            if referencing is not None:
                v = Draft202012Validator(schema, registry=self.registry, format_checker=self.format_checker)
            else:
                v = Draft202012Validator(schema, resolver=self.resolver(schema),
                                         format_checker=self.format_checker)
            self._validators[key] = v
        return v

    def resolver(self, schema):
        from jsonschema import RefResolver
        from jsonschema.exceptions import RefResolutionError

        class LocalResolver(RefResolver):
            def resolve_remote(self, uri):
                raise RefResolutionError("%s is not in the local schema store (nothing is fetched)" % uri)

        return LocalResolver(schema["$id"], schema, store=dict(self.by_id))

    def check_refs(self):
        """Every $ref of every schema resolves inside the store (selftest)."""
        bad = []
        for rel, s in sorted(self.by_rel.items()):
            refs = []
            stack = [s]
            while stack:
                n = stack.pop()
                if isinstance(n, dict):
                    if isinstance(n.get("$ref"), str):
                        refs.append(n["$ref"])
                    stack.extend(n.values())
                elif isinstance(n, list):
                    stack.extend(n)
            for ref in refs:
                try:
                    if referencing is not None:
                        self.registry.resolver(base_uri=s["$id"]).lookup(ref)
                    else:
                        self.resolver(s).resolve(ref)
                except Exception as e:
                    bad.append("%s: $ref %s: %s" % (rel, ref, e))
        return bad


def schema_errors(validator, instance):
    """(path, message) for each error; a failed oneOf/anyOf names its closest branch."""
    out = []
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    except Exception as e:  # an unresolvable $ref (never fetched)
        return [("", "schema reference not resolvable: %s" % e)]
    for e in errors:
        path = list(e.absolute_path)
        msg = e.message
        if e.validator in ("oneOf", "anyOf"):  # their messages repeat the whole instance
            n = len(e.validator_value) if isinstance(e.validator_value, list) else 0
            if e.context or e.validator == "anyOf":
                msg = "matches none of the %d %s alternatives" % (n, e.validator)
            else:
                msg = "matches more than one of the %d oneOf alternatives" % n
        elif len(msg) > 200:
            msg = msg[:200] + "..."
        if e.context:
            b = best_match(e.context)
            if b is not None:
                bp = "".join("[%d]" % p if isinstance(p, int) else ".%s" % p
                             for p in list(b.absolute_path)[len(path):])
                msg += " (closest: %s%s%s)" % (bp.lstrip("."), ": " if bp else "", short(b.message, 160))
        out.append((path, msg))
    return out


def fmt_path(path):
    s = ""
    for p in path:
        s += "[%d]" % p if isinstance(p, int) else ".%s" % p
    return s.lstrip(".")


def iter_refs(node, path, skip_subtrees=True):
    """(path, key, value) for every *_ref / *_refs value (list items one by one)."""
    if isinstance(node, dict):
        for k, v in node.items():
            p = "%s.%s" % (path, k) if path else k
            if k.endswith("_ref"):
                yield p, k, v
            elif k.endswith("_refs"):
                if isinstance(v, list):
                    for i, x in enumerate(v):
                        yield "%s[%d]" % (p, i), k, x
                else:
                    yield p, k, v
            elif skip_subtrees and k in NOT_PROPERTIES:
                continue
            elif k == "objects" and path == "" and isinstance(v, dict):
                continue  # observed-data's deprecated objects: refs there are local keys
            else:
                yield from iter_refs(v, p, skip_subtrees)
    elif isinstance(node, list):
        for i, x in enumerate(node):
            yield from iter_refs(x, "%s[%d]" % (path, i), skip_subtrees)


def validate_stix(bundle, store):
    problems = []
    check_strings(bundle, "bundle", problems)
    if not isinstance(bundle, dict):
        return problems + ["bundle: not a JSON object"]

    deferred = {}
    for path, msg in schema_errors(store.validator(store.bundle_fast), bundle):
        if len(path) >= 2 and path[0] == "objects" and isinstance(path[1], int):
            deferred.setdefault(path[1], []).append((path[2:], msg))
        else:
            problems.append("bundle%s: %s (common/bundle.json)" % (("." + fmt_path(path)) if path else "", msg))
    bid = bundle.get("id")
    if isinstance(bid, str) and not (STIX_ID_RE.match(bid) and bid.startswith("bundle--")):
        problems.append("bundle.id: %s is not bundle--UUID" % short(bid))
    objects = bundle.get("objects")
    if objects is None:
        return problems
    if not isinstance(objects, list):
        return problems + ["bundle.objects: not a list"]

    ids = {}
    for i, o in enumerate(objects):
        if isinstance(o, dict) and isinstance(o.get("id"), str):
            if o["id"] in ids:
                problems.append("objects[%d]: id %s repeats objects[%d]'s" % (i, o["id"], ids[o["id"]]))
            else:
                ids[o["id"]] = i

    for i, o in enumerate(objects):
        if not isinstance(o, dict):
            problems.append("objects[%d]: not a JSON object" % i)
            continue
        otype = o.get("type")
        oid = o.get("id")
        where = "objects[%d] %s" % (i, short(oid, 90) if isinstance(oid, str) else "(no id)")
        if not isinstance(otype, str):
            problems.append("%s: no type" % where)
            continue
        # identifier
        if not isinstance(oid, str):
            problems.append("%s: no id" % where)
        else:
            m = STIX_ID_RE.match(oid)
            if not m:
                problems.append("%s: id is not TYPE--UUID (RFC 4122 version 1-5)" % where)
            elif m.group(1) != otype:
                problems.append("%s: id's type %s is not the object's type %s" % (where, m.group(1), otype))
        # schema of its type
        entry = store.types.get(otype)
        if entry is None and otype.startswith("x-"):
            # a custom object: an SDO/SRO (it has created/modified) by core.json, else
            # an SCO by cyber-observable-core.json (bundle.json's oneOf of the two
            # rejects every custom SDO, as both match it)
            rel = "common/core.json" if ("created" in o or "modified" in o) else "common/cyber-observable-core.json"
            entry = (rel, store.by_rel[rel]) if rel in store.by_rel else None
        if entry is None:
            if not otype.startswith("x-"):
                problems.append("%s: type %s has no STIX 2.1 schema (custom types must start with x-)"
                                % (where, short(otype, 60)))
        else:
            rel, schema = entry
            errs = schema_errors(store.validator(schema), o)
            for path, msg in errs:
                problems.append("%s%s: %s (%s)" % (where, (" " + fmt_path(path)) if path else "", msg, rel))
            if not errs and otype in store.bundle_types:
                for path, msg in deferred.get(i, []):
                    problems.append("%s%s: %s (common/bundle.json)" % (where, (" " + fmt_path(path)) if path else "", msg))
        if "spec_version" in o and o["spec_version"] != "2.1":
            problems.append("%s: spec_version %s in a STIX 2.1 bundle" % (where, short(o["spec_version"])))
        # references
        for path, key, val in iter_refs(o, ""):
            if otype == "language-content" and path.startswith("contents"):
                continue
            if not isinstance(val, str):
                problems.append("%s %s: reference is not a string" % (where, path))
                continue
            m = STIX_ID_RE.match(val)
            if not m:
                problems.append("%s %s: %s is not a STIX identifier" % (where, path, short(val, 90)))
                continue
            if val not in ids and val not in TLP_MARKINGS:
                problems.append("%s %s: %s is not in the bundle" % (where, path, val))
            want = REF_TARGETS.get((otype, key)) or REF_TARGETS.get((None, key))
            if want and m.group(1) not in want:
                problems.append("%s %s: points to a %s, must be %s" % (where, path, m.group(1), " or ".join(sorted(want))))
        # timestamps: real dates, in order
        parsed = {}
        for k in TIMESTAMP_PROPS:
            if k in o:
                ts = parse_timestamp(o[k])
                if ts is None:
                    problems.append("%s %s: %s is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z, a real date)"
                                    % (where, k, short(o[k], 60)))
                else:
                    parsed[k] = ts
        for a, b, strict in TIMESTAMP_ORDER:
            if a in parsed and b in parsed:
                if parsed[b] < parsed[a] or (strict and parsed[b] == parsed[a]):
                    problems.append("%s: %s %s is %s %s %s" % (where, b, o[b], "not after" if strict else "before", a, o[a]))
        # type-specific
        if otype == "sighting" and "count" in o:
            c = o["count"]
            if not isinstance(c, int) or isinstance(c, bool) or c < 0:
                problems.append("%s count: %s is not an integer >= 0" % (where, short(c)))
        if otype == "indicator" and o.get("pattern_type") == "stix":
            if "pattern_version" in o and o["pattern_version"] != "2.1":
                problems.append("%s pattern_version: %s (only 2.1 patterns are checked)" % (where, short(o["pattern_version"])))
            for p in check_pattern(o.get("pattern")):
                problems.append("%s pattern: %s" % (where, p))
    return problems


# --------------------------------------------------------------------------
# MISP core format (draft-dulaunoy-misp-core-format; MISP/misp-objects templates)

MISP_CATEGORIES = {  # category -> types, from the core format draft's table
    "Antivirus detection": "link comment text hex attachment other anonymised",
    "Artifacts dropped": "md5 sha1 sha224 sha256 sha384 sha512 sha512/224 sha512/256 sha3-224 sha3-256 "
    "sha3-384 sha3-512 ssdeep imphash telfhash impfuzzy authentihash vhash cdhash filename filename|md5 "
    "filename|sha1 filename|sha224 filename|sha256 filename|sha384 filename|sha512 filename|sha512/224 "
    "filename|sha512/256 filename|sha3-224 filename|sha3-256 filename|sha3-384 filename|sha3-512 "
    "filename|authentihash filename|vhash filename|ssdeep filename|tlsh filename|imphash filename|impfuzzy "
    "filename|pehash regkey regkey|value pattern-in-file pattern-in-memory filename-pattern pdb stix2-pattern "
    "yara sigma attachment malware-sample named_pipe mutex process-state windows-scheduled-task "
    "windows-service-name windows-service-displayname comment text hex x509-fingerprint-sha1 "
    "x509-fingerprint-md5 x509-fingerprint-sha256 other cookie gene kusto-query mime-type anonymised "
    "pgp-public-key pgp-private-key",
    "Attribution": "threat-actor campaign-name campaign-id whois-registrant-phone whois-registrant-email "
    "whois-registrant-name whois-registrant-org whois-registrar whois-creation-date comment text "
    "x509-fingerprint-sha1 x509-fingerprint-md5 x509-fingerprint-sha256 other dns-soa-email anonymised email",
    "External analysis": "md5 sha1 sha256 sha3-224 sha3-256 sha3-384 sha3-512 filename filename|md5 "
    "filename|sha1 filename|sha256 filename|sha3-224 filename|sha3-256 filename|sha3-384 filename|sha3-512 "
    "ip-src ip-dst ip-dst|port ip-src|port mac-address mac-eui-64 hostname domain domain|ip url user-agent "
    "regkey regkey|value AS snort bro zeek pattern-in-file pattern-in-traffic pattern-in-memory "
    "filename-pattern vulnerability cpe weakness attachment malware-sample link comment text "
    "x509-fingerprint-sha1 x509-fingerprint-md5 x509-fingerprint-sha256 ja3-fingerprint-md5 "
    "jarm-fingerprint hassh-md5 hasshserver-md5 github-repository other cortex anonymised community-id "
    "dom-hash onion-address",
    "Financial fraud": "btc dash xmr iban bic bank-account-nr aba-rtn bin cc-number prtn phone-number "
    "comment text other hex anonymised",
    "Internal reference": "text link comment other hex anonymised git-commit-id",
    "Network activity": "ip-src ip-dst ip-dst|port ip-src|port port hostname domain domain|ip mac-address "
    "mac-eui-64 email email-dst email-src eppn url uri user-agent http-method AS snort pattern-in-file "
    "filename-pattern stix2-pattern pattern-in-traffic attachment comment text x509-fingerprint-md5 "
    "x509-fingerprint-sha1 x509-fingerprint-sha256 ja3-fingerprint-md5 jarm-fingerprint hassh-md5 "
    "hasshserver-md5 other hex cookie hostname|port bro zeek anonymised community-id email-subject "
    "favicon-mmh3 dkim dkim-signature ssh-fingerprint dom-hash onion-address",
    "Other": "comment text other size-in-bytes counter integer datetime cpe port float hex phone-number "
    "boolean anonymised pgp-public-key pgp-private-key uuid",
    "Payload delivery": "md5 sha1 sha224 sha256 sha384 sha512 sha512/224 sha512/256 sha3-224 sha3-256 "
    "sha3-384 sha3-512 ssdeep imphash telfhash impfuzzy authentihash vhash pehash tlsh cdhash filename "
    "filename|md5 filename|sha1 filename|sha224 filename|sha256 filename|sha384 filename|sha512 "
    "filename|sha512/224 filename|sha512/256 filename|sha3-224 filename|sha3-256 filename|sha3-384 "
    "filename|sha3-512 filename|authentihash filename|vhash filename|ssdeep filename|tlsh filename|imphash "
    "filename|impfuzzy filename|pehash mac-address mac-eui-64 ip-src ip-dst ip-dst|port ip-src|port hostname "
    "domain email email-src email-dst email-subject email-attachment email-body url user-agent AS "
    "pattern-in-file pattern-in-traffic filename-pattern stix2-pattern yara sigma mime-type attachment "
    "malware-sample link malware-type comment text hex vulnerability cpe weakness x509-fingerprint-sha1 "
    "x509-fingerprint-md5 x509-fingerprint-sha256 ja3-fingerprint-md5 jarm-fingerprint hassh-md5 "
    "hasshserver-md5 other hostname|port email-dst-display-name email-src-display-name email-header "
    "email-reply-to email-x-mailer email-mime-boundary email-thread-index email-message-id "
    "azure-application-id mobile-application-id chrome-extension-id whois-registrant-email anonymised "
    "onion-address",
    "Payload installation": "md5 sha1 sha224 sha256 sha384 sha512 sha512/224 sha512/256 sha3-224 sha3-256 "
    "sha3-384 sha3-512 ssdeep imphash telfhash impfuzzy authentihash vhash pehash tlsh cdhash filename "
    "filename|md5 filename|sha1 filename|sha224 filename|sha256 filename|sha384 filename|sha512 "
    "filename|sha512/224 filename|sha512/256 filename|sha3-224 filename|sha3-256 filename|sha3-384 "
    "filename|sha3-512 filename|authentihash filename|vhash filename|ssdeep filename|tlsh filename|imphash "
    "filename|impfuzzy filename|pehash pattern-in-file pattern-in-traffic pattern-in-memory filename-pattern "
    "stix2-pattern yara sigma vulnerability cpe weakness attachment malware-sample malware-type comment text "
    "hex x509-fingerprint-sha1 x509-fingerprint-md5 x509-fingerprint-sha256 azure-application-id "
    "mobile-application-id chrome-extension-id other mime-type anonymised",
    "Payload type": "comment text other anonymised",
    "Persistence mechanism": "filename regkey regkey|value comment text other hex anonymised",
    "Person": "first-name middle-name last-name full-name date-of-birth place-of-birth gender passport-number "
    "passport-country passport-expiration redress-number nationality visa-number issue-date-of-the-visa "
    "primary-residence country-of-residence special-service-request frequent-flyer-number travel-details "
    "payment-details place-port-of-original-embarkation place-port-of-clearance "
    "place-port-of-onward-foreign-destination passenger-name-record-locator-number comment text other "
    "phone-number identity-card-number anonymised email pgp-public-key pgp-private-key",
    "Social network": "github-username github-repository github-organisation jabber-id twitter-id email "
    "email-src email-dst eppn comment text other whois-registrant-email anonymised pgp-public-key "
    "pgp-private-key",
    "Support Tool": "link text attachment comment other hex anonymised",
    "Targeting data": "target-user target-email target-machine target-org target-location target-external "
    "comment anonymised",
}
MISP_TYPE_CATEGORIES = {}
for _cat, _types in MISP_CATEGORIES.items():
    for _t in _types.split():
        MISP_TYPE_CATEGORIES.setdefault(_t.replace("named_pipe", "named pipe"), set()).add(_cat)

_HASH_LEN = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
             "sha512/224": 56, "sha512/256": 64, "sha3-224": 56, "sha3-256": 64, "sha3-384": 96,
             "sha3-512": 128, "x509-fingerprint-md5": 32, "x509-fingerprint-sha1": 40,
             "x509-fingerprint-sha256": 64, "ja3-fingerprint-md5": 32, "hassh-md5": 32,
             "hasshserver-md5": 32, "imphash": 32}


def _ip(v):
    try:
        ipaddress.ip_network(v, strict=False)
        return True
    except ValueError:
        return False


def _port(v):
    return v.isdigit() and v.isascii() and int(v) <= 65535


def _iso(v):
    try:
        datetime.datetime.fromisoformat(v.replace("Z", "+00:00") if v.endswith("Z") else v)
        return True
    except ValueError:
        return False


def misp_value_problem(atype, value):
    """A reason the value does not fit the type (MISP checks these on import), or None."""
    v = value
    if atype in _HASH_LEN:
        return None if re.fullmatch("[0-9a-fA-F]{%d}" % _HASH_LEN[atype], v) else "not a %d-hex-digit hash" % _HASH_LEN[atype]
    if atype.startswith("filename|") and atype[9:] in _HASH_LEN:
        name, _, h = v.rpartition("|")
        ok = name and re.fullmatch("[0-9a-fA-F]{%d}" % _HASH_LEN[atype[9:]], h)
        return None if ok else "not filename|%s" % atype[9:]
    if atype in ("ip-src", "ip-dst"):
        return None if _ip(v) else "not an IP address or network"
    if atype in ("ip-src|port", "ip-dst|port"):
        ip, _, port = v.rpartition("|")
        return None if _ip(ip) and _port(port) else "not IP|port"
    if atype in ("domain", "hostname"):
        return None if valid_hostname(v) else "not a domain name"
    if atype == "domain|ip":
        d, _, ip = v.partition("|")
        return None if valid_hostname(d) and _ip(ip) else "not domain|IP"
    if atype == "hostname|port":
        h, _, port = v.rpartition("|")
        return None if valid_hostname(h) and _port(port) else "not hostname|port"
    if atype in ("email", "email-src", "email-dst", "email-reply-to", "whois-registrant-email",
                 "dns-soa-email", "target-email"):
        return None if valid_email(v) else "not an email address"
    if atype == "port":
        return None if _port(v) else "not a port number"
    if atype == "AS":
        return None if re.fullmatch(r"(?:AS)?[0-9]+", v) else "not an AS number (AS64500 or 64500)"
    if atype in ("counter", "size-in-bytes"):
        return None if re.fullmatch(r"[0-9]+", v) else "not a non-negative integer"
    if atype == "integer":
        return None if re.fullmatch(r"-?[0-9]+", v) else "not an integer"
    if atype == "float":
        try:
            float(v)
            return None
        except ValueError:
            return "not a number"
    if atype == "boolean":
        return None if v in ("0", "1", "true", "false") else "not 0, 1, true or false"
    if atype == "datetime":
        return None if _iso(v) else "not an ISO 8601 date and time"
    if atype == "uuid":
        return None if UUID_RE.match(v) else "not a UUID"
    if atype in ("url", "uri", "link"):
        return None if not re.search(r"\s", v) else "contains whitespace"
    return None


# templates of MISP/misp-objects: relation -> (MISP attribute type, categories or None, multiple)
_P, _N, _E, _O = ["Payload delivery"], ["Network activity", "External analysis"], ["External analysis"], ["Other"]
MISP_TEMPLATES = {
    "email": {
        "uuid": "a0c666e0-fc65-4be8-b48f-3423d788b552", "version": 19, "meta-category": "network",
        "attributes": {
            "attachment": ("email-attachment", _P, True), "bcc": ("email-dst", _P, True),
            "bcc-display-name": ("email-dst-display-name", _P, True), "cc": ("email-dst", _P, True),
            "cc-display-name": ("email-dst-display-name", _P, True), "email-body": ("email-body", _P, True),
            "email-body-attachment": ("attachment", None, False), "eml": ("attachment", None, False),
            "from": ("email-src", _P, True), "from-display-name": ("email-src-display-name", _P, True),
            "from-domain": ("domain", _P, True), "header": ("email-header", _P, True),
            "ip-src": ("ip-src", None, True), "message-id": ("email-message-id", _P, False),
            "mime-boundary": ("email-mime-boundary", _P, False), "msg": ("attachment", None, False),
            "received-header-hostname": ("hostname", None, True), "received-header-ip": ("ip-src", None, True),
            "reply-to": ("email-reply-to", _P, True), "reply-to-display-name": ("email-dst-display-name", _P, True),
            "return-path": ("email-src", _P, False), "screenshot": ("attachment", _E, False),
            "send-date": ("datetime", _O, False), "subject": ("email-subject", _P, True),
            "thread-index": ("email-thread-index", _P, False), "to": ("email-dst", _P, True),
            "to-display-name": ("email-dst-display-name", _P, True), "user-agent": ("text", None, False),
            "x-mailer": ("email-x-mailer", _P, False),
        },
        "requiredOneOf": ["from", "from-display-name", "to", "to-display-name", "subject", "attachment",
                          "message-id", "reply-to", "send-date", "mime-boundary", "thread-index", "header",
                          "x-mailer", "return-path", "email-body", "email-body-attachment", "eml", "msg"],
    },
    "domain-ip": {
        "uuid": "43b3b146-77eb-4931-b4cc-b66c60f28734", "version": 11, "meta-category": "network",
        "attributes": {
            "domain": ("domain", _N, True), "first-seen": ("datetime", None, False),
            "hostname": ("hostname", None, False), "ip": ("ip-dst", _N, True),
            "last-seen": ("datetime", None, False), "port": ("port", _N, True),
            "registration-date": ("datetime", None, False), "text": ("text", None, False),
        },
        "requiredOneOf": ["ip", "domain", "hostname"],
    },
    "url": {
        "uuid": "60efb77b-40b5-4c46-871b-ed1ed999fce5", "version": 10, "meta-category": "network",
        "attributes": {
            "credential": ("text", None, False), "dom-hash": ("dom-hash", None, False),
            "domain": ("domain", None, False), "domain_without_tld": ("text", None, False),
            "first-seen": ("datetime", None, False), "fragment": ("text", None, True),
            "host": ("hostname", None, False), "ip": ("ip-dst", None, True),
            "last-seen": ("datetime", None, False), "port": ("port", None, False),
            "query_string": ("text", None, True), "resource_path": ("text", None, True),
            "scheme": ("text", None, False), "subdomain": ("text", None, False),
            "text": ("text", None, False), "tld": ("text", None, False), "url": ("url", None, False),
        },
        "requiredOneOf": ["url", "resource_path"],
    },
}

MISP_DIGITS = re.compile(r"^[0-9]+$")


def validate_misp(doc):
    problems = []
    check_strings(doc, "root", problems)
    if not isinstance(doc, dict) or not isinstance(doc.get("Event"), dict):
        return problems + ['root: not {"Event": {...}}']
    for k in doc:
        if k != "Event":
            problems.append("root: unexpected key %s beside Event" % short(k, 60))
    ev = doc["Event"]
    uuids = {}
    refs = []

    def need_str(obj, key, where, nonempty=True):
        v = obj.get(key)
        if not isinstance(v, str) or (nonempty and not v):
            problems.append("%s: %s %s" % (where, key, "missing" if key not in obj else "is not a non-empty string"))
            return None
        return v

    def need_uuid(obj, where):
        v = need_str(obj, "uuid", where)
        if v is None:
            return
        if not UUID_RE.match(v):
            problems.append("%s: uuid %s is not a UUID" % (where, short(v, 60)))
        elif v.lower() in uuids:
            problems.append("%s: uuid %s repeats %s's" % (where, v, uuids[v.lower()]))
        else:
            uuids[v.lower()] = where

    def enum(obj, key, allowed, where, required=True):
        if key not in obj:
            if required:
                problems.append("%s: %s missing" % (where, key))
            return
        if obj[key] not in allowed:
            problems.append("%s: %s %s is not one of %s" % (where, key, short(obj[key], 40), ", ".join(allowed)))

    def digits(obj, key, where, required):
        if key not in obj:
            if required:
                problems.append("%s: %s missing" % (where, key))
            return
        v = obj[key]
        if not isinstance(v, str) or not MISP_DIGITS.match(v):
            problems.append("%s: %s %s is not a string of digits" % (where, key, short(v, 40)))

    def boolean(obj, key, where, required):
        if key not in obj:
            if required:
                problems.append("%s: %s missing" % (where, key))
        elif not isinstance(obj[key], bool):
            problems.append("%s: %s %s is not true or false" % (where, key, short(obj[key], 40)))

    def tags(obj, where, required):
        if "Tag" not in obj:
            if required:
                problems.append("%s: Tag list missing" % where)
            return
        if not isinstance(obj["Tag"], list):
            problems.append("%s: Tag is not a list" % where)
            return
        for j, t in enumerate(obj["Tag"]):
            if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"].strip():
                problems.append("%s.Tag[%d]: no name" % (where, j))

    def attribute(a, where, template=None):
        if not isinstance(a, dict):
            problems.append("%s: not an object" % where)
            return None
        need_uuid(a, where)
        atype = need_str(a, "type", where)
        cat = need_str(a, "category", where)
        if atype is not None:
            cats = MISP_TYPE_CATEGORIES.get(atype)
            if cats is None:
                problems.append("%s: type %s is not a MISP attribute type" % (where, short(atype, 60)))
            elif cat is not None and cat not in MISP_CATEGORIES:
                problems.append("%s: category %s is not a MISP category" % (where, short(cat, 60)))
            elif cat is not None and cat not in cats:
                problems.append("%s: category %s is not allowed for type %s (allowed: %s)"
                                % (where, cat, atype, ", ".join(sorted(cats))))
        v = a.get("value")
        if not isinstance(v, str) or not v.strip():
            problems.append("%s: value %s" % (where, "missing" if "value" not in a else "is not a non-empty string"))
        elif atype in MISP_TYPE_CATEGORIES:
            why = misp_value_problem(atype, v)
            if why:
                problems.append("%s: value %s: %s" % (where, short(v, 80), why))
        boolean(a, "to_ids", where, True)
        digits(a, "timestamp", where, True)
        enum(a, "distribution", ["0", "1", "2", "3", "4", "5"], where, False)
        boolean(a, "deleted", where, False)
        boolean(a, "disable_correlation", where, False)
        if "comment" in a and not isinstance(a["comment"], str):
            problems.append("%s: comment is not a string" % where)
        for k in ("first_seen", "last_seen"):
            if a.get(k) is not None and not (isinstance(a[k], str) and _iso(a[k])):
                problems.append("%s: %s %s is not an ISO 8601 date and time" % (where, k, short(a[k], 40)))
        if atype in ("attachment", "malware-sample"):
            d = a.get("data")
            try:
                ok = isinstance(d, str) and d and base64.b64decode(d, validate=True) is not None
            except ValueError:
                ok = False
            if not ok:
                problems.append("%s: type %s needs base64 data" % (where, atype))
        tags(a, where, False)
        if template is not None:
            rel = a.get("object_relation")
            if not isinstance(rel, str) or not rel:
                problems.append("%s: object_relation missing" % where)
            elif template and rel not in template["attributes"]:
                problems.append("%s: object_relation %s is not in the template (%s)"
                                % (where, short(rel, 60), ", ".join(sorted(template["attributes"]))))
            elif template:
                ttype, tcats, _multi = template["attributes"][rel]
                if atype is not None and atype != ttype:
                    problems.append("%s: relation %s has type %s, the template says %s" % (where, rel, atype, ttype))
                if tcats and cat is not None and cat not in tcats:
                    problems.append("%s: relation %s has category %s, the template says %s"
                                    % (where, rel, cat, " or ".join(tcats)))
            return rel
        return None

    where = "Event"
    need_uuid(ev, where)
    need_str(ev, "info", where)
    d = ev.get("date")
    if not isinstance(d, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", d):
        problems.append("Event: date %s is not YYYY-MM-DD" % ("missing" if d is None else short(d, 40)))
    else:
        try:
            datetime.date.fromisoformat(d)
        except ValueError:
            problems.append("Event: date %s is not a real date" % d)
    enum(ev, "threat_level_id", ["1", "2", "3", "4"], where)
    enum(ev, "analysis", ["0", "1", "2"], where)
    enum(ev, "distribution", ["0", "1", "2", "3", "4"], where)  # 5 (inherit) is for attributes and objects
    digits(ev, "timestamp", where, False)
    digits(ev, "publish_timestamp", where, False)
    digits(ev, "sharing_group_id", where, False)
    boolean(ev, "published", where, False)
    for org in ("Org", "Orgc"):
        if org in ev:
            o = ev[org]
            if not isinstance(o, dict):
                problems.append("Event.%s: not an object" % org)
            else:
                need_str(o, "name", "Event." + org)
                if "uuid" in o and not (isinstance(o["uuid"], str) and UUID_RE.match(o["uuid"])):
                    problems.append("Event.%s: uuid is not a UUID" % org)
    tags(ev, where, True)

    attrs = ev.get("Attribute")
    if not isinstance(attrs, list):
        problems.append("Event: Attribute list %s" % ("missing" if attrs is None else "is not a list"))
    else:
        for i, a in enumerate(attrs):
            attribute(a, "Event.Attribute[%d]" % i)

    objs = ev.get("Object")
    if not isinstance(objs, list):
        problems.append("Event: Object list %s" % ("missing" if objs is None else "is not a list"))
        objs = []
    for i, o in enumerate(objs):
        w = "Event.Object[%d]" % i
        if not isinstance(o, dict):
            problems.append("%s: not an object" % w)
            continue
        name = need_str(o, "name", w)
        if name:
            w = "%s (%s)" % (w, name)
        need_str(o, "meta-category", w)
        need_uuid(o, w)
        tu = need_str(o, "template_uuid", w)
        if tu is not None and not UUID_RE.match(tu):
            problems.append("%s: template_uuid %s is not a UUID" % (w, short(tu, 60)))
        digits(o, "template_version", w, True)
        digits(o, "timestamp", w, False)
        enum(o, "distribution", ["0", "1", "2", "3", "4", "5"], w, False)
        template = MISP_TEMPLATES.get(name, {})
        if template:
            if tu is not None and tu.lower() != template["uuid"]:
                problems.append("%s: template_uuid %s is not the %s template's %s" % (w, tu, name, template["uuid"]))
            if o.get("meta-category") not in (None, template["meta-category"]):
                problems.append("%s: meta-category %s is not %s" % (w, short(o["meta-category"], 40), template["meta-category"]))
        oattrs = o.get("Attribute")
        rels = []
        if not isinstance(oattrs, list) or not oattrs:
            problems.append("%s: Attribute list %s" % (w, "missing" if oattrs is None else "is not a non-empty list"))
        else:
            for j, a in enumerate(oattrs):
                rels.append(attribute(a, "%s.Attribute[%d]" % (w, j), template))
        if template and rels:
            if not any(r in template["requiredOneOf"] for r in rels):
                problems.append("%s: none of the relations the template requires one of (%s)"
                                % (w, ", ".join(template["requiredOneOf"])))
            for r in sorted(set(x for x in rels if x)):
                if r in template["attributes"] and not template["attributes"][r][2] and rels.count(r) > 1:
                    problems.append("%s: relation %s appears %d times, the template allows one" % (w, r, rels.count(r)))
        orefs = o.get("ObjectReference", [])
        if not isinstance(orefs, list):
            problems.append("%s: ObjectReference is not a list" % w)
            orefs = []
        for j, r in enumerate(orefs):
            rw = "%s.ObjectReference[%d]" % (w, j)
            if not isinstance(r, dict):
                problems.append("%s: not an object" % rw)
                continue
            if "uuid" in r:
                need_uuid(r, rw)
            need_str(r, "relationship_type", rw)
            ru = need_str(r, "referenced_uuid", rw)
            if ru is not None:
                refs.append((rw, ru))
    for rw, ru in refs:
        if ru.lower() not in uuids:
            problems.append("%s: referenced_uuid %s is not in the event" % (rw, short(ru, 60)))
    return problems


# --------------------------------------------------------------------------
# selftest

NS = uuidlib.UUID("6f0f5d4e-2a61-4b0e-9d3c-6c1f2e7a9b10")


def sid(t, name):
    return "%s--%s" % (t, uuidlib.uuid5(NS, t + "/" + name))


def muid(name):
    return str(uuidlib.uuid5(NS, "misp/" + name))


TS0, TS1, TS2 = "2026-12-05T14:03:00.000Z", "2026-12-05T18:40:12.250Z", "2026-12-06T09:00:00.000Z"
TLP_AMBER2 = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


def sample_bundle():
    ident, camp, ind = sid("identity", "org"), sid("campaign", "7"), sid("indicator", "from")
    mark = sid("marking-definition", "statement")
    addr, rcpt, dom = sid("email-addr", "from"), sid("email-addr", "rcpt"), sid("domain-name", "d")
    url, ip, f = sid("url", "u"), sid("ipv4-addr", "ip"), sid("file", "att")
    msg, obs = sid("email-message", "m1"), sid("observed-data", "o1")
    common = {"spec_version": "2.1", "created": TS0, "modified": TS1}
    markings = {"object_marking_refs": [TLP_AMBER2, mark]}
    pattern = (r"[email-message:from_ref.value = 'billing@examp1e-pay.example' AND "
               r"email-message:subject = 'Invoice \'Q4\' overdue'] OR "
               r"[url:value MATCHES '^https://t\\.examp1e-pay\\.example/o/[A-Za-z0-9]{16}$'] "
               r"FOLLOWEDBY ([ipv4-addr:value = '203.0.113.9'] REPEATS 2 TIMES WITHIN 3600 SECONDS)")
    return {
        "type": "bundle", "id": sid("bundle", "b"),
        "objects": [
            dict(common, type="identity", id=ident, name="Example CERT", identity_class="organization",
                 contact_information="cert@example.org"),
            dict(common, type="marking-definition", id=mark, created=TS0, definition_type="statement",
                 definition={"statement": "Copyright 2026 Example CERT"}, modified=None),
            dict(common, **markings, type="campaign", id=camp, created_by_ref=ident,
                 name="Invoice lure (campaign 7)", description="12 copies, tracked per recipient",
                 first_seen=TS0, last_seen=TS2, x_portcullis_campaign=7, x_portcullis_verdict="quarantine"),
            dict(common, **markings, type="indicator", id=ind, created_by_ref=ident, name="Campaign 7 sender",
                 indicator_types=["malicious-activity"], pattern=pattern, pattern_type="stix",
                 pattern_version="2.1", valid_from=TS0),
            dict(common, type="relationship", id=sid("relationship", "r"), relationship_type="indicates",
                 source_ref=ind, target_ref=camp, created_by_ref=ident),
            dict(common, type="observed-data", id=obs, first_observed=TS0, last_observed=TS2,
                 number_observed=12, object_refs=[msg, addr, url, ip, f]),
            dict(common, type="sighting", id=sid("sighting", "s"), sighting_of_ref=ind,
                 where_sighted_refs=[ident], observed_data_refs=[obs], count=12, first_seen=TS0,
                 last_seen=TS2, created_by_ref=ident),
            dict(common, type="note", id=sid("note", "n"), abstract="Why", content="Lookalike domain + tracker.\n",
                 authors=["portcullis"], object_refs=[camp]),
            {"type": "email-addr", "spec_version": "2.1", "id": addr, "value": "billing@examp1e-pay.example",
             "display_name": "Billing | Example Pay"},
            {"type": "email-addr", "spec_version": "2.1", "id": rcpt,
             "value": "sha256-3f1a@hashed.invalid"},
            {"type": "domain-name", "spec_version": "2.1", "id": dom, "value": "examp1e-pay.example",
             "resolves_to_refs": [ip]},
            {"type": "url", "spec_version": "2.1", "id": url,
             "value": "https://t.examp1e-pay.example/o/AbCdEfGh12345678?r=%C3%A9"},
            {"type": "ipv4-addr", "spec_version": "2.1", "id": ip, "value": "203.0.113.9"},
            {"type": "file", "spec_version": "2.1", "id": f, "name": "invoice.pdf.html", "size": 2048,
             "mime_type": "text/html", "hashes": {"SHA-256": "ab" * 32}},
            {"type": "email-message", "spec_version": "2.1", "id": msg, "is_multipart": False,
             "date": "2026-12-05T14:03:00Z", "from_ref": addr, "to_refs": [rcpt],
             "subject": "Invoice 'Q4' overdue \u2013 \u00e9t\u00e9", "message_id": "<a1@mx.examp1e-pay.example>",
             "additional_header_fields": {"Reply-To": "pay@examp1e-pay.example",
                                          "X-Mailer": "PHPMailer 6.8"},
             "body": "Dear customer,\r\n\tplease pay.\n", "object_marking_refs": [TLP_AMBER2]},
        ],
    }


def _clean(b):
    for o in b["objects"]:
        if o.get("modified", 1) is None:
            del o["modified"]
    return b


def stix_cases():
    """(name, mutate(bundle) or raw text, expect_valid, expected substring of a problem)."""
    def obj(b, t):
        return next(o for o in b["objects"] if o["type"] == t)

    def setp(t, k, v):
        def f(b):
            obj(b, t)[k] = v
        return f

    def delp(t, k):
        def f(b):
            del obj(b, t)[k]
        return f

    def add(o):
        def f(b):
            b["objects"].append(o)
        return f

    tlp2 = {"type": "marking-definition", "spec_version": "2.1", "id": TLP_AMBER2,
            "created": "2022-10-01T00:00:00.000Z", "name": "TLP:AMBER",
            "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
                           {"extension_type": "property-extension", "tlp_2_0": "amber"}}}
    tlp1 = {"type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            "created": "2017-01-20T00:00:00.000Z", "name": "TLP:AMBER", "definition_type": "tlp",
            "definition": {"tlp": "amber"}}
    custom_sco = {"type": "x-portcullis-token", "spec_version": "2.1", "id": sid("x-portcullis-token", "t"),
                  "value": "3f9a0c"}
    return [
        ("valid: the sample bundle", None, True, None),
        ("valid: TLP 2.0 marking object in the bundle", add(tlp2), True, None),
        ("valid: TLP 1.0 marking object in the bundle", add(tlp1), True, None),
        ("valid: custom x- observable", add(custom_sco), True, None),
        ("valid: custom x_ property on an observable", setp("url", "x_portcullis_copies", 12), True, None),
        ("invalid: bad pattern", setp("indicator", "pattern", "[email-addr:value = 'a@b.example'"), False,
         "pattern: at offset"),
        ("invalid: pattern with a bad MATCHES regex", setp("indicator", "pattern", "[url:value MATCHES '(a']"),
         False, "does not compile"),
        ("invalid: dangling ref", setp("relationship", "target_ref", sid("campaign", "nope")), False,
         "is not in the bundle"),
        ("invalid: dangling marking ref",
         setp("campaign", "object_marking_refs", [sid("marking-definition", "nope")]), False, "is not in the bundle"),
        ("invalid: created_by_ref to a campaign", setp("indicator", "created_by_ref", sid("campaign", "7")), False,
         "must be identity"),
        ("invalid: from_ref to a url", setp("email-message", "from_ref", sid("url", "u")), False,
         "must be email-addr"),
        ("invalid: bad id", setp("identity", "id", "identity--not-a-uuid"), False, "is not TYPE--UUID"),
        ("invalid: id of another type", setp("note", "id", sid("campaign", "x")), False, "is not the object's type"),
        ("invalid: duplicate id", add(dict(_clean(sample_bundle())["objects"][0])), False, "repeats"),
        ("invalid: bad bundle id", lambda b: b.__setitem__("id", "bundle--1234"), False, "bundle.id"),
        ("invalid: unknown type", add({"type": "email-campaign", "spec_version": "2.1",
                                       "id": sid("email-campaign", "x"), "value": "x"}), False, "has no STIX 2.1 schema"),
        ("invalid: bundle inside objects", add({"type": "bundle", "id": sid("bundle", "inner")}), False,
         "has no STIX 2.1 schema"),
        ("valid: custom x- SDO (bundle.json's oneOf alone rejects it)",
         add(dict(custom_sco, created=TS0, modified=TS0)), True, None),
        ("invalid: custom x- SDO without modified", add(dict(custom_sco, created=TS0)), False, "modified"),
        ("invalid: custom x- observable with a bad id", add(dict(custom_sco, id="x-portcullis-token--1")), False,
         "TYPE--UUID"),
        ("invalid: bad timestamp (no T)", setp("campaign", "first_seen", "2026-12-05 14:03:00Z"), False,
         "first_seen"),
        ("invalid: bad timestamp (offset, not Z)", setp("sighting", "last_seen", "2026-12-06T09:00:00+01:00"),
         False, "last_seen"),
        ("invalid: timestamp not a real date", setp("indicator", "valid_from", "2026-02-30T00:00:00.000Z"),
         False, "not an RFC 3339 UTC timestamp"),
        ("invalid: created without milliseconds", setp("identity", "created", "2026-12-05T14:03:00Z"), False,
         "does not match"),
        ("invalid: created after modified", setp("note", "created", TS2), False, "modified"),
        ("invalid: sighting first_seen after last_seen", setp("sighting", "first_seen", "2026-12-07T00:00:00Z"),
         False, "before first_seen"),
        ("invalid: sighting count -1", setp("sighting", "count", -1), False, "count"),
        ("invalid: email-message without is_multipart", delp("email-message", "is_multipart"), False,
         "is_multipart"),
        ("invalid: indicator without valid_from", delp("indicator", "valid_from"), False, "valid_from"),
        ("invalid: custom property with a capital", setp("campaign", "x_Portcullis", 1), False, "x_Portcullis"),
        ("invalid: empty list", setp("indicator", "indicator_types", []), False, "indicator_types"),
        ("invalid: null property", setp("campaign", "description", None), False, "description"),
        ("invalid: SHA-256 of the wrong length", setp("file", "hashes", {"SHA-256": "abc"}), False, "hashes"),
        ("invalid: URL with a space", setp("url", "value", "https://example.org/a b"), False, "uri"),
        ("invalid: lone surrogate", setp("note", "content", "bad \ud800 half"), False, "lone surrogate"),
        ("invalid: control character", setp("email-message", "subject", "bell \x07"), False, "control character"),
        ("invalid: spec_version 2.0", setp("url", "spec_version", "2.0"), False, "spec_version"),
        ("invalid: duplicate JSON key", '{"type": "bundle", "type": "bundle", "id": "%s"}' % sid("bundle", "b"),
         False, "duplicate key"),
        ("invalid: NaN", '{"type": "bundle", "id": "%s", "x": NaN}' % sid("bundle", "b"), False, "not JSON"),
    ]


PATTERNS_VALID = [
    "[file:size = 1280]",
    "[file:size != 1280]",
    "[file:size < 1024]",
    "[file:size <= 1024]",
    "[file:size > -1]",
    "[file:size >= +1024]",
    "[file:size <> 0]",
    "[file:name == 'x']",
    r"[email-message:subject = 'it\'s due']",
    r"[file:name = 'C:\\Windows\\evil.exe']",
    r"[file:name = 'a \\\' b']",
    "[email-message:subject = '']",
    "[email-message:subject = 'multi\nline, \"double\" quotes, \u00fcn\u00efc\u00f6d\u00e9 \u2013 ok']",
    "[email-message:from_ref.value = 'a@example.com']",
    "[email-message:to_refs[*].value = 'x@example.org']",
    "[email-message:to_refs[0].value = 'x@example.org']",
    "[email-message:body_multipart[-1].body_raw_ref.name = 'a.zip']",
    "[file:hashes.'SHA-256' = '" + "a" * 64 + "']",
    "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
    "[email-message:additional_header_fields.'Reply-To' = 'a@b.example']",
    "[email-message:'subject' = 'x']",
    r"[url:value MATCHES '^https?://t\\.example\\.com/[a-z0-9]{16}(\\?.*)?$']",
    r"[url:value MATCHES '(?<tok>[a-f0-9]{32})\\z']",
    r"[file:name MATCHES '^[[:alpha:]]+\\.exe$']",
    r"[email-message:subject MATCHES '(?i)^invoice\\s+\\d+']",
    "[domain-name:value IN ('a.example', 'b.example')]",
    "[file:size IN (1024, 2048, 4096)]",
    "[file:size NOT IN ()]",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']",
    "[ipv4-addr:value ISSUPERSET '198.51.100.7']",
    "[email-message:subject LIKE 'Invoice%']",
    "[email-message:subject NOT LIKE 'Invoice_%']",
    "[email-message:is_multipart = true]",
    "[email-message:is_multipart != false]",
    "[x-portcullis-campaign:score >= 7.5]",
    "[x-portcullis-campaign:score < -.5]",
    "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
    "[file:magic_number_hex = h'ffd8']",
    "[email-message:date > t'2026-12-05T14:03:00Z']",
    "[email-message:date <= t'2026-12-05T14:03:00.123456Z']",
    "[EXISTS email-message:x_portcullis_token]",
    "[email-addr:value = 'a@b.example'] AND [domain-name:value = 'b.example']",
    "[email-addr:value = 'a'] OR [email-addr:value = 'b'] FOLLOWEDBY [url:value = 'c']",
    "([email-addr:value = 'a'] OR [email-addr:value = 'b']) FOLLOWEDBY [url:value = 'c']",
    "[(email-addr:value = 'a' OR email-addr:value = 'b') AND email-addr:display_name = 'c']",
    "[((email-addr:value = 'a'))]",
    "(([email-addr:value = 'a']))",
    "((([email-addr:value = 'a'] AND [url:value = 'b']) OR [file:name = 'c']) FOLLOWEDBY [file:size = 1])",
    "( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])",
    "[email-addr:value = 'a'] WITHIN 300 SECONDS",
    "[email-addr:value = 'a'] WITHIN 1.5 SECONDS",
    "[email-addr:value = 'a'] REPEATS 5 TIMES WITHIN 3600 SECONDS",
    "[email-addr:value = 'a'] START t'2026-12-05T00:00:00Z' STOP t'2026-12-06T00:00:00Z'",
    "([email-addr:value = 'a']) WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[email-message:from_ref.value = 'a'] AND [email-message:subject = 'b'] WITHIN 60 SECONDS",
    "[file:name NOT = 'x']",
    r"[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\System\\Foo']",
    "[file:name = 'a'] /* a comment */ AND [file:name = 'b'] // trailing comment",
    "\t[file:name = 'a']\n",
]

PATTERNS_INVALID = [
    "",
    "file:size = 1280",
    "[]",
    "[file:size = ]",
    "[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]",
    "[file.size = 1280]",
    "[file:name MATCHES /.*\\.dll/]",
    "[file:name = 'x'] WITHIN ]",
    "[file:name = 'x'] WITHIN 5 HOURS",
    "[file:name = 'x'] WITHIN -5 SECONDS",
    "[network-traffic:dst_ref.value ISSUBSET ]",
    "[file:hashes.MD5 =? 'x']",
    "[x:detected = t'2457-73-22T32:81:84.1Z']",
    "[artifact:payload_bin = b'====']",
    "[artifact:payload_bin = b'']",
    "[foo:bar=1] within 2 seconds",
    "[file:hashes.'SHA-256' = 'f00']",
    "[file:name = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[file:name = 'x'] REPEATS 2 TIMES REPEATS 3 TIMES",
    "[email-message:subject = 'it's']",
    r"[file:name = 'a\.b']",
    "[file:name = 'unterminated]",
    "[file:name = 'a'",
    "[file:name = 'a']]",
    "[(file:name = 'a']",
    "[file:name = 'a'] AND",
    "[file:name = 'a'] FOLLOWEDBY",
    "[file:name = 'a' AND]",
    "[file:name MATCHES '(unclosed']",
    "[file:name MATCHES 'a{2,1}']",
    "[email-message:date > t'2026-02-30T00:00:00Z']",
    "[email-message:date > t'2026-12-05T14:03:00+01:00']",
    "[file:name = 'a'] REPEATS 0 TIMES",
    "[file:name = 'a'] REPEATS 1.5 TIMES",
    "[file:name = 'a'] START t'2026-12-06T00:00:00Z' STOP t'2026-12-05T00:00:00Z'",
    "[file:name = 'a'] START '2026-12-05T00:00:00Z' STOP t'2026-12-06T00:00:00Z'",
    "[file:parent-dir = 'x']",
    "[file:hashes.SHA-256 = 'x']",
    "[file:name IN 'a']",
    "[file:size > true]",
    "[file:name LIKE 5]",
    "[EXISTS]",
    "[file:name EXISTS]",
    "[file:size = 007]",
    "[file:size = 1.]",
    "[file:magic_number_hex = h'abc']",
    "[file:list[x] = 'a']",
    "[file:name = 'a'] AND [file:name = 'b'] WITHIN 5 MINUTES",
    "[file:name = 'a'] /* unterminated comment",
    "[:name = 'a']",
    "[file: = 'a']",
    "[file:name = 'a'] and [file:name = 'b']",
    "[file:name = 'a'] [file:name = 'b']",
    "[file:name = 'a'] LAST 5 SECONDS",
]


def sample_misp():
    ts = "1796479380"

    def attr(name, atype, cat, value, rel=None, to_ids=False, **kw):
        a = {"uuid": muid(name), "type": atype, "category": cat, "value": value, "to_ids": to_ids,
             "timestamp": ts, "distribution": "5", "comment": "", "deleted": False}
        if rel:
            a["object_relation"] = rel
        a.update(kw)
        return a

    t_email, t_dip, t_url = MISP_TEMPLATES["email"], MISP_TEMPLATES["domain-ip"], MISP_TEMPLATES["url"]
    return {"Event": {
        "uuid": muid("event"), "info": "Portcullis campaign 7: Invoice lure (12 copies)", "date": "2026-12-05",
        "threat_level_id": "2", "analysis": "2", "distribution": "1", "published": False, "timestamp": ts,
        "Orgc": {"name": "Example CERT", "uuid": muid("org")},
        "Tag": [{"name": "tlp:amber"}, {"name": "portcullis:verdict=\"quarantine\""}],
        "Attribute": [
            attr("a1", "email-src", "Payload delivery", "billing@examp1e-pay.example", to_ids=True),
            attr("a2", "domain", "Network activity", "examp1e-pay.example", to_ids=True),
            attr("a3", "url", "Network activity", "https://t.examp1e-pay.example/o/AbCdEfGh12345678"),
            attr("a4", "ip-src", "Network activity", "203.0.113.9", to_ids=True),
            attr("a5", "sha256", "Payload delivery", "ab" * 32),
            attr("a6", "email-subject", "Payload delivery", "Invoice 'Q4' overdue \u2013 \u00e9t\u00e9"),
            attr("a7", "pattern-in-traffic", "Network activity", r"^https://t\.examp1e-pay\.example/o/[A-Za-z0-9]{16}$"),
            attr("a8", "counter", "Other", "12"),
            attr("a9", "text", "Other", "Lookalike domain\nand a per-recipient tracker"),
            attr("a10", "AS", "Network activity", "AS64500"),
            attr("a11", "whois-registrant-email", "Attribution", "reg@examp1e-pay.example"),
            attr("a12", "datetime", "Other", "2026-12-05T14:03:00.000000+0000"),
            attr("a13", "email-reply-to", "Payload delivery", "pay@examp1e-pay.example"),
            attr("a14", "email-header", "Payload delivery", "X-Mailer: PHPMailer 6.8\r\n\tcontinued"),
            attr("a15", "email-message-id", "Payload delivery", "<a1@mx.examp1e-pay.example>"),
            attr("a16", "hostname", "Network activity", "mx.examp1e-pay.example"),
            attr("a17", "link", "External analysis", "https://example.org/report/7"),
            attr("a18", "comment", "Other", "Made by portcullis evidence export"),
            attr("a19", "filename", "Payload delivery", "invoice.pdf.html", Tag=[{"name": "tlp:green"}]),
            attr("a20", "email-dst", "Payload delivery", "sha256-3f1a@hashed.invalid"),
            attr("a21", "uri", "Network activity", "/o/AbCdEfGh12345678"),
            attr("a22", "md5", "Payload delivery", "cead3f77f6cda6ec00f57d76c9a6879f"),
            attr("a23", "sha1", "Payload delivery", "a" * 40),
        ],
        "Object": [
            {"name": "email", "meta-category": "network", "template_uuid": t_email["uuid"],
             "template_version": "19", "uuid": muid("o-email"), "timestamp": ts, "distribution": "5",
             "description": "One copy, as received",
             "Attribute": [
                 attr("e1", "email-src", "Payload delivery", "billing@examp1e-pay.example", "from", True),
                 attr("e2", "email-src-display-name", "Payload delivery", "Billing | Example Pay", "from-display-name"),
                 attr("e3", "email-dst", "Payload delivery", "sha256-3f1a@hashed.invalid", "to"),
                 attr("e4", "email-subject", "Payload delivery", "Invoice 'Q4' overdue", "subject"),
                 attr("e5", "email-message-id", "Payload delivery", "<a1@mx.examp1e-pay.example>", "message-id"),
                 attr("e6", "datetime", "Other", "2026-12-05T14:03:00+00:00", "send-date"),
                 attr("e7", "ip-src", "Network activity", "203.0.113.9", "received-header-ip"),
                 attr("e8", "email-reply-to", "Payload delivery", "pay@examp1e-pay.example", "reply-to"),
                 attr("e9", "email-x-mailer", "Payload delivery", "PHPMailer 6.8", "x-mailer"),
                 attr("e10", "email-src", "Payload delivery", "bounce@examp1e-pay.example", "return-path"),
                 attr("e11", "attachment", "Payload delivery", "message.eml", "eml",
                      data=base64.b64encode(b"From: x\r\n\r\nbody\r\n").decode()),
             ],
             "ObjectReference": [{"uuid": muid("ref1"), "referenced_uuid": muid("o-dip"),
                                  "relationship_type": "related-to"}]},
            {"name": "domain-ip", "meta-category": "network", "template_uuid": t_dip["uuid"],
             "template_version": "11", "uuid": muid("o-dip"), "timestamp": ts,
             "Attribute": [
                 attr("d1", "domain", "Network activity", "examp1e-pay.example", "domain", True),
                 attr("d2", "ip-dst", "Network activity", "203.0.113.9", "ip"),
                 attr("d3", "datetime", "Other", "2026-12-05T14:03:00Z", "first-seen"),
             ]},
            {"name": "url", "meta-category": "network", "template_uuid": t_url["uuid"],
             "template_version": "10", "uuid": muid("o-url"), "timestamp": ts,
             "Attribute": [
                 attr("u1", "url", "Network activity", "https://t.examp1e-pay.example/o/AbCdEfGh12345678", "url"),
                 attr("u2", "domain", "Network activity", "examp1e-pay.example", "domain"),
                 attr("u3", "text", "Other", "https", "scheme"),
                 attr("u4", "text", "Other", "/o/AbCdEfGh12345678", "resource_path"),
             ]},
        ],
    }}


def misp_cases():
    def ev(b):
        return b["Event"]

    def setp(path, value):
        def f(b):
            node = b
            for p in path[:-1]:
                node = node[p]
            node[path[-1]] = value
        return f

    def delp(path):
        def f(b):
            node = b
            for p in path[:-1]:
                node = node[p]
            del node[path[-1]]
        return f

    A = ["Event", "Attribute"]
    O = ["Event", "Object"]
    return [
        ("valid: the sample event", None, True, None),
        ("valid: empty lists", lambda b: ev(b).update(Attribute=[], Object=[], Tag=[]), True, None),
        ("invalid: no Event wrapper", lambda b: b.update(b.pop("Event")), False, "Event"),
        ("invalid: bad date", setp(["Event", "date"], "2026-13-01"), False, "date"),
        ("invalid: date with time", setp(["Event", "date"], "2026-12-05T00:00:00Z"), False, "date"),
        ("invalid: threat_level_id 5", setp(["Event", "threat_level_id"], "5"), False, "threat_level_id"),
        ("invalid: threat_level_id as a number", setp(["Event", "threat_level_id"], 2), False, "threat_level_id"),
        ("invalid: analysis 3", setp(["Event", "analysis"], "3"), False, "analysis"),
        ("invalid: event distribution 5", setp(["Event", "distribution"], "5"), False, "distribution"),
        ("invalid: no info", delp(["Event", "info"]), False, "info"),
        ("invalid: no Tag list", delp(["Event", "Tag"]), False, "Tag"),
        ("invalid: tag without name", setp(["Event", "Tag", 0], {"colour": "#fff"}), False, "no name"),
        ("invalid: event uuid not a UUID", setp(["Event", "uuid"], "1234"), False, "not a UUID"),
        ("invalid: duplicate uuid", setp(A + [1, "uuid"], muid("a1")), False, "repeats"),
        ("invalid: unknown type", setp(A + [0, "type"], "email-source"), False, "not a MISP attribute type"),
        ("invalid: category not allowed for type", setp(A + [1, "category"], "Payload type"), False,
         "not allowed for type"),
        ("invalid: unknown category", setp(A + [1, "category"], "Network Activity"), False, "not a MISP category"),
        ("invalid: empty value", setp(A + [0, "value"], ""), False, "value"),
        ("invalid: to_ids as a string", setp(A + [0, "to_ids"], "true"), False, "to_ids"),
        ("invalid: timestamp not digits", setp(A + [0, "timestamp"], "2026-12-05"), False, "timestamp"),
        ("invalid: ip-src not an IP", setp(A + [3, "value"], "203.0.113.300"), False, "not an IP"),
        ("invalid: sha256 too short", setp(A + [4, "value"], "abc"), False, "hash"),
        ("invalid: attachment without data", delp(O + [0, "Attribute", 10, "data"]), False, "base64 data"),
        ("invalid: relation not in the template", setp(O + [0, "Attribute", 0, "object_relation"], "sender"),
         False, "not in the template"),
        ("invalid: no object_relation", delp(O + [1, "Attribute", 0, "object_relation"]), False, "object_relation"),
        ("invalid: relation with the wrong type", setp(O + [2, "Attribute", 0, "type"], "link"), False,
         "the template says"),
        ("invalid: template_uuid of another template", setp(O + [2, "template_uuid"], MISP_TEMPLATES["email"]["uuid"]),
         False, "template_uuid"),
        ("invalid: object without template_version", delp(O + [1, "template_version"]), False, "template_version"),
        ("invalid: object without meta-category", delp(O + [1, "meta-category"]), False, "meta-category"),
        ("invalid: single relation twice", lambda b: ev(b)["Object"][0]["Attribute"].append(
            dict(ev(b)["Object"][0]["Attribute"][4], uuid=muid("dup-mid"))), False, "appears 2 times"),
        ("invalid: dangling ObjectReference", setp(O + [0, "ObjectReference", 0, "referenced_uuid"], muid("nope")),
         False, "not in the event"),
        ("invalid: control character", setp(A + [8, "value"], "a\x1bb"), False, "control character"),
    ]


def run_selftest(store, verbose):
    passed, failed = 0, 0

    def report(name, ok, detail):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
        if verbose or not ok:
            print("%s %s%s" % ("ok  " if ok else "FAIL", name, (": " + detail) if detail else ""))

    def judge(name, problems, expect_valid, needle):
        if expect_valid:
            report(name, not problems, "; ".join(problems[:5]))
        elif not problems:
            report(name, False, "accepted")
        elif needle and not any(needle in p for p in problems):
            report(name, False, "failed for another reason: " + "; ".join(problems[:3]))
        else:
            report(name, True, problems[0] if verbose else "")

    # the schema store
    report("schemas: every file has an $id", not store.errors, "; ".join(store.errors))
    bad = store.check_refs()
    report("schemas: every $ref resolves in the local store", not bad, "; ".join(bad[:3]))
    for rel, _s in sorted(store.by_rel.items()):
        if rel.split("/")[0] in ("sdos", "sros", "observables"):
            t = rel.split("/")[1][:-5]
            got = store.types.get(t)
            report("schemas: type %s maps to %s" % (t, rel), got is not None and got[0] == rel,
                   "got %s" % (got and got[0]))
    for t in ("marking-definition", "language-content", "extension-definition"):
        report("schemas: type %s has a schema" % t, t in store.types, "")
    report("schemas: bundle.json lists the email evidence types",
           {"identity", "campaign", "indicator", "relationship", "sighting", "observed-data", "email-addr",
            "email-message", "domain-name", "url", "ipv4-addr", "file", "marking-definition"} <= store.bundle_types,
           "lists %s" % sorted(store.bundle_types))
    report("schemas: types bundle.json leaves out (own schema used): %s" % ", ".join(sorted(store.bundle_omits)),
           True, "")

    for name, mutate, valid, needle in stix_cases():
        if isinstance(mutate, str):
            problems = []
            doc = load_json_bytes(mutate.encode(), problems)
            if doc is not None:
                problems += validate_stix(doc, store)
        else:
            b = _clean(sample_bundle())
            if mutate:
                mutate(b)
            b = json.loads(json.dumps(b))
            problems = validate_stix(b, store)
            slow = [(p, m) for p, m in schema_errors(store.validator(store.bundle), b)]
            fast = [(p, m) for p, m in schema_errors(store.validator(store.bundle_fast), b)]
            report("stix %s: guarded bundle.json agrees with bundle.json" % name,
                   [p for p, _ in slow] == [p for p, _ in fast], "bundle.json %s, guarded %s" % (slow, fast))
        judge("stix " + name, problems, valid, needle)

    for p in PATTERNS_VALID:
        judge("pattern valid %r" % p, check_pattern(p), True, None)
    for p in PATTERNS_INVALID:
        judge("pattern invalid %r" % p, check_pattern(p), False, None)

    for name, mutate, valid, needle in misp_cases():
        e = sample_misp()
        if mutate:
            mutate(e)
        judge("misp " + name, validate_misp(json.loads(json.dumps(e))), valid, needle)

    print("selftest (jsonschema %s%s, %d patterns): %d passed, %d failed"
          % (jsonschema_version(), ", referencing" if referencing else ", RefResolver",
             len(PATTERNS_VALID) + len(PATTERNS_INVALID), passed, failed))
    return 0 if failed == 0 else 1


# --------------------------------------------------------------------------
# command line

def default_schemas():
    env = os.environ.get("STIX2_SCHEMAS")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "stix2-schemas"))


def open_store(directory):
    if jsonschema is None:
        print("validate.py: jsonschema is not installed (apt-get install python3-jsonschema)", file=sys.stderr)
        sys.exit(2)
    try:
        return SchemaStore(directory)
    except (OSError, ValueError) as e:
        print("validate.py: schemas: %s" % e, file=sys.stderr)
        sys.exit(2)


def read_json_file(path, problems):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        print("validate.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    return load_json_bytes(data, problems)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="validate.py", description="Check Portcullis evidence exports.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stix", help="a STIX 2.1 bundle")
    s.add_argument("file")
    s.add_argument("--schemas", default=None, help="OASIS STIX 2.1 JSON schemas (repository or schemas/)")
    m = sub.add_parser("misp", help="a MISP event")
    m.add_argument("file")
    p = sub.add_parser("pattern", help="a STIX 2.1 pattern")
    p.add_argument("pattern")
    t = sub.add_parser("selftest", help="built-in cases")
    t.add_argument("--schemas", default=None)
    t.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)

    if a.cmd == "pattern":
        problems = check_pattern(a.pattern)
    elif a.cmd == "selftest":
        d = a.schemas or default_schemas()
        if not d or not os.path.isdir(d):
            print("SKIP: no STIX 2.1 schemas at %s" % d)  # ../shared absent: skipped, like the corpus
            return 77
        return run_selftest(open_store(d), a.verbose)
    elif a.cmd == "stix":
        store = open_store(a.schemas or default_schemas())
        problems = []
        doc = read_json_file(a.file, problems)
        if doc is not None:
            problems += validate_stix(doc, store)
    else:
        problems = []
        doc = read_json_file(a.file, problems)
        if doc is not None:
            problems += validate_misp(doc)
    for line in problems:
        print(line.replace("\n", "\\n"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
