#!/usr/bin/env python3
"""Reading aid for judging labelled.tsv rows (README: How the set was judged).

Independent of Portcullis: it decodes the message with Python's email
package, walks the HTML with html.parser and prints, for a row, what a
reviewer needs to judge it under the tracker definition of issue 15:

- the element that carries the URL, its attributes and inline style, and the
  inline styles of its ancestors (display:none, visibility:hidden, sizes);
- every occurrence of the same URL in the message, with its element and
  rendered size as written (width/height attributes or inline style), so a
  spacer used visibly or as a thin divider elsewhere shows up;
- <style> rules that hide things, and whether the message has other
  invisible remote images (is this one "lone"?);
- for the newsletter pairs of unspy_newsletters (the same issue sent to two
  people, ...u1 / ...u2), the other copy's URL at the same position (the
  occurrence lists of the two copies aligned by URL shape) and which URL
  positions (path segments, query values, fragment) differ;
- the raw HTML around the first occurrence.

It never fetches a URL.

usage: relabel_context.py CORPUS LABELLED.tsv ROW [ROW ...]   (1-based data rows)
       relabel_context.py CORPUS LABELLED.tsv --file PATH       (every row of one message)
       relabel_context.py CORPUS LABELLED.tsv --features        (one TSV line of facts per row)
"""
import difflib
import email
import email.policy
import html
import html.parser
import os
import re
import sys
import urllib.parse

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr"}
URL_ATTRS = {"src", "href", "background", "lowsrc", "dynsrc", "data", "poster", "action"}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.I)
TEXT_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.I)


def norm(u):
    u = html.unescape(u or "")
    u = re.sub(r"[\t\r\n]", "", u).strip()
    return u


def parts(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    htmls, texts = [], []
    for p in msg.walk():
        if p.is_multipart():
            continue
        ct = p.get_content_type()
        if ct not in ("text/html", "text/plain"):
            continue
        raw = p.get_payload(decode=True) or b""
        cs = p.get_content_charset() or "latin-1"
        try:
            s = raw.decode(cs, "replace")
        except LookupError:
            s = raw.decode("latin-1", "replace")
        if ct == "text/plain" and re.search(r"<html|<body|<table|<img", s, re.I):
            ct = "text/html"  # plain parts that are really HTML (old spam)
        (htmls if ct == "text/html" else texts).append(s)
    if not htmls and not texts:  # a non-MIME message with HTML in the body
        body = msg.get_payload(decode=True) or b""
        s = body.decode("latin-1", "replace")
        (htmls if re.search(r"<html|<body|<table|<img", s, re.I) else texts).append(s)
    return msg, htmls, texts


def css_len(v):
    if v is None:
        return None
    v = str(v).strip().lower()
    m = re.match(r"^(-?[0-9.]+)\s*(px)?$", v)
    if m:
        try:
            return float(m.group(1))
        except ValueError:
            return None
    if v.endswith("%"):
        return v
    return v or None


def style_map(s):
    out = {}
    for decl in (s or "").split(";"):
        if ":" in decl:
            k, v = decl.split(":", 1)
            out[k.strip().lower()] = v.strip().lower()
    return out


class Walker(html.parser.HTMLParser):
    def __init__(self, src, part):
        super().__init__(convert_charrefs=True)
        self.src, self.part = src, part
        self.stack, self.occ, self.styles = [], [], []
        self.in_style = False

    def hidden_by(self, tag, attrs, st):
        why = []
        if "hidden" in attrs:
            why.append(tag + "[hidden]")
        d = st.get("display", "")
        if d.startswith("none"):
            why.append(tag + " display:none")
        if st.get("visibility", "").startswith("hidden"):
            why.append(tag + " visibility:hidden")
        if st.get("opacity", "").strip() in ("0", "0.0"):
            why.append(tag + " opacity:0")
        for k in ("max-height", "max-width", "height", "width"):
            if tag not in ("img",) and st.get(k, "").replace("!important", "").strip() in ("0", "0px") \
                    and "overflow:hidden" in re.sub(r"\s", "", ";".join("%s:%s" % i for i in st.items())):
                why.append("%s %s:0+overflow" % (tag, k))
        if "mso-hide" in st and not why:
            pass  # Outlook only
        return why

    def handle_starttag(self, tag, attrs_l):
        attrs = {k.lower(): (v if v is not None else "") for k, v in attrs_l}
        st = style_map(attrs.get("style"))
        line, col = self.getpos()
        node = {"tag": tag, "attrs": attrs, "style": st, "hid": self.hidden_by(tag, attrs, st), "pos": (line, col)}
        anc_hidden = [h for n in self.stack for h in n["hid"]]
        urls = []
        for k in URL_ATTRS:
            if k in attrs and attrs[k]:
                urls.append((k, attrs[k]))
        if "srcset" in attrs:
            for c in attrs["srcset"].split(","):
                c = c.strip().split()
                if c:
                    urls.append(("srcset", c[0]))
        for m in CSS_URL.finditer(attrs.get("style", "") or ""):
            urls.append(("style-url", m.group(1)))
        for k, u in urls:
            w = attrs.get("width")
            h = attrs.get("height")
            sw, sh = st.get("width"), st.get("height")
            self.occ.append({
                "url": norm(u), "raw": u, "attr": k, "tag": tag, "attrs": attrs,
                "w": css_len(sw) if sw else css_len(w), "h": css_len(sh) if sh else css_len(h),
                "hidden": node["hid"] + anc_hidden, "pos": (self.part, line, col),
                "anc": [(n["tag"], n["attrs"].get("style", ""), n["attrs"].get("class", "")) for n in self.stack[-4:]],
            })
        if tag == "style":
            self.in_style = True
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1]["tag"] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)
            for m in CSS_URL.finditer(data):
                line, col = self.getpos()
                self.occ.append({"url": norm(m.group(1)), "raw": m.group(1), "attr": "css", "tag": "style",
                                 "attrs": {}, "w": None, "h": None, "hidden": [], "pos": (self.part, line, col),
                                 "anc": []})
            for m in re.finditer(r"@import\s+['\"]([^'\"]+)['\"]", data):
                line, col = self.getpos()
                self.occ.append({"url": norm(m.group(1)), "raw": m.group(1), "attr": "import", "tag": "style",
                                 "attrs": {}, "w": None, "h": None, "hidden": [], "pos": (self.part, line, col),
                                 "anc": []})
        elif not any(n["tag"] in ("script",) for n in self.stack):
            for m in TEXT_URL.finditer(data):
                line, col = self.getpos()
                self.occ.append({"url": norm(m.group(0)), "raw": m.group(0), "attr": "text", "tag": "#text",
                                 "attrs": {}, "w": None, "h": None,
                                 "hidden": [h for n in self.stack for h in n["hid"]],
                                 "pos": (self.part, line, col), "anc": []})


_cache = {}


def load(corpus, f):
    if f in _cache:
        return _cache[f]
    msg, htmls, texts = parts(os.path.join(corpus, f))
    occ, styles = [], []
    for i, s in enumerate(htmls):
        w = Walker(s, i)
        try:
            w.feed(s)
            w.close()
        except Exception as e:  # html.parser is lenient; keep what we have
            print("parse error", f, e, file=sys.stderr)
        occ += w.occ
        styles += w.styles
    for i, s in enumerate(texts):
        for m in TEXT_URL.finditer(s):
            occ.append({"url": norm(m.group(0)), "raw": m.group(0), "attr": "text", "tag": "#plain", "attrs": {},
                        "w": None, "h": None, "hidden": [], "pos": ("t%d" % i, 0, m.start()), "anc": []})
    d = {"msg": msg, "htmls": htmls, "texts": texts, "occ": occ, "styles": "\n".join(styles)}
    _cache[f] = d
    return d


def same(a, b):
    a, b = a.rstrip("/"), b.rstrip("/")
    if a == b:
        return True
    strip = lambda u: re.sub(r"^(https?:)?//", "", u, flags=re.I).lower()
    return strip(a) == strip(b)


def find(d, url):
    u = norm(url)
    hits = [o for o in d["occ"] if same(o["url"], u)]
    if not hits:  # detector may have trimmed or resolved differently: prefix match
        hits = [o for o in d["occ"] if o["url"].startswith(u) or u.startswith(o["url"]) and len(o["url"]) > 20]
    return hits


def size_of(o):
    def f(v):
        if v is None:
            return "?"
        if isinstance(v, float):
            return "%g" % v
        return str(v)
    return "%sx%s" % (f(o["w"]), f(o["h"]))


def small(v):
    return isinstance(v, float) and v <= 3


def big(v):
    return (isinstance(v, float) and v > 3) or (isinstance(v, str) and v.endswith("%") and v not in ("0%",))


def visibility(o):
    """'hidden', 'tiny' (both dims <= 3 or one 0), 'thin' (one dim <= 3, other > 3), 'visible', 'unsized'."""
    if o["hidden"]:
        return "hidden"
    w, h = o["w"], o["h"]
    if (isinstance(w, float) and w == 0) or (isinstance(h, float) and h == 0):
        return "tiny"
    if small(w) and small(h):
        return "tiny"
    if (small(w) and big(h)) or (small(h) and big(w)):
        return "thin"
    if small(w) or small(h):
        return "tiny"  # one dim <= 3, other unsized: natural size of a pixel gif
    if big(w) or big(h):
        return "visible"
    return "unsized"


def url_positions(u):
    p = urllib.parse.urlsplit(u)
    pos = [("host", p.netloc.lower())]
    for i, s in enumerate(p.path.split("/")):
        pos.append(("seg%d" % i, s))
    if p.query and "=" not in p.query:  # a bare token: ?o0c3tol00bmx...
        pos.append(("query", p.query))
    else:
        for k, v in urllib.parse.parse_qsl(p.query, keep_blank_values=True):
            pos.append(("q:" + k, v))
    if p.fragment:
        pos.append(("frag", p.fragment))
    return pos


def shape(u):
    p = urllib.parse.urlsplit(u)
    path = re.sub(r"[A-Za-z0-9_\-=.%]{12,}", "*", p.path)
    path = re.sub(r"\d+", "9", path)
    keys = ",".join(sorted(k for k, _ in urllib.parse.parse_qsl(p.query, keep_blank_values=True)))
    return p.netloc.lower() + path + "?" + keys


def partner(f):
    m = re.match(r"(.*[.\-]u)([12])(\.eml)$", f)
    if not m:
        return None
    return m.group(1) + ("2" if m.group(2) == "1" else "1") + m.group(3)


def pair_view(corpus, f, url):
    g = partner(f)
    if not g or not os.path.exists(os.path.join(corpus, g)):
        return None
    a, b = load(corpus, f), load(corpus, g)
    la = [o["url"] for o in a["occ"]]
    lb = [o["url"] for o in b["occ"]]
    sm = difflib.SequenceMatcher(None, [shape(x) for x in la], [shape(x) for x in lb], autojunk=False)
    amap = {}
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                amap[i1 + k] = j1 + k
    out = []
    for i, x in enumerate(la):
        if same(x, norm(url)) and i in amap:
            out.append((x, lb[amap[i]]))
    if not out:
        return {"partner": g, "other": None, "diff": None}
    x, y = out[0]
    pa, pb = dict(url_positions(x)), dict(url_positions(y))
    diff = [k for k in list(pa) + [k for k in pb if k not in pa] if pa.get(k) != pb.get(k)]
    alld = set()
    for x2, y2 in out:
        qa, qb = dict(url_positions(x2)), dict(url_positions(y2))
        alld |= {k for k in list(qa) + list(qb) if qa.get(k) != qb.get(k)}
    return {"partner": g, "other": y, "diff": diff, "n": len(out), "alldiff": sorted(alld)}


def lone_invisible(d, url):
    """Other remote images in the message that are invisible (hidden/tiny) and used only invisibly."""
    by = {}
    for o in d["occ"]:
        if o["tag"] in ("img", "input", "image") and o["url"].lower().startswith(("http", "//")):
            by.setdefault(o["url"], []).append(visibility(o))
    inv = [u for u, vs in by.items() if all(v in ("hidden", "tiny") for v in vs)]
    return inv


def describe(corpus, rows, col, i):
    r = rows[i]
    f, url = r[col["file"]], r[col["url"]]
    d = load(corpus, f)
    hits = find(d, url)
    print("=" * 100)
    print("row %d  %s  %s  %s/%s  [old: %s | %s]" % (i + 1, f, r[col["kind"]], r[col["element"]], r[col["tag"]],
                                                     r[col["judgement"]], r[col["why"]]))
    print("url:", url)
    print("from:", d["msg"].get("From"), "| subject:", d["msg"].get("Subject"))
    print("occurrences: %d" % len(hits))
    sizes = {}
    for o in hits:
        k = (o["tag"], o["attr"], size_of(o), visibility(o), ",".join(o["hidden"]))
        sizes[k] = sizes.get(k, 0) + 1
    for k, n in sorted(sizes.items(), key=lambda x: -x[1]):
        print("   %3d x  <%s %s>  size %s  %s %s" % (n, k[0], k[1], k[2], k[3], k[4]))
    if hits:
        o = hits[0]
        a = {k: v for k, v in o["attrs"].items() if k not in URL_ATTRS}
        print("element:", o["tag"], a)
        for t, s, c in o["anc"]:
            print("   in <%s class=%r style=%r>" % (t, c[:40], s[:120]))
        part, line, colno = o["pos"]
        if isinstance(part, int):
            src = d["htmls"][part]
            lines = src.splitlines(True)
            off = sum(len(x) for x in lines[:line - 1]) + colno
            print("html:", re.sub(r"\s+", " ", src[max(0, off - 250):off + 350]))
    hid = [s.strip() for s in re.findall(r"[^{}]+\{[^{}]*display\s*:\s*none[^{}]*\}", d["styles"])]
    if hid:
        print("style rules hiding:", " | ".join(h[:100] for h in hid[:6]))
    inv = lone_invisible(d, url)
    print("invisible-only remote images in message: %d %s" % (len(inv), inv[:4]))
    pv = pair_view(corpus, f, url)
    if pv:
        print("pair:", pv["partner"])
        print("  other copy:", pv["other"])
        print("  differs at:", pv["diff"], "| over %s occurrences: %s" % (pv.get("n"), pv.get("alldiff")))
    print("positions:", [(k, v[:40]) for k, v in url_positions(norm(url))][:14])


def features(corpus, rows, col):
    print("row\tn\tvis\tsizes\tlone_inv\tpair_diff\turl")
    for i, r in enumerate(rows):
        f, url = r[col["file"]], r[col["url"]]
        d = load(corpus, f)
        hits = find(d, url)
        vis = sorted({visibility(o) for o in hits})
        sz = sorted({size_of(o) for o in hits})
        inv = lone_invisible(d, url)
        pv = pair_view(corpus, f, url)
        pd = "-" if not pv else ("nomatch" if pv["other"] is None else ",".join(pv["alldiff"]) or "same")
        print("%d\t%d\t%s\t%s\t%d\t%s\t%s" % (i + 1, len(hits), ",".join(vis), " ".join(sz[:6]), len(inv), pd,
                                             url[:100]))


def main():
    corpus, labelled = sys.argv[1], sys.argv[2]
    rows = [l.rstrip("\n").split("\t") for l in open(labelled, encoding="utf-8")]
    col = {h: i for i, h in enumerate(rows[0])}
    rows = rows[1:]
    args = sys.argv[3:]
    if args and args[0] == "--features":
        features(corpus, rows, col)
    elif args and args[0] == "--file":
        for i, r in enumerate(rows):
            if r[col["file"]] == args[1]:
                describe(corpus, rows, col, i)
    else:
        for a in args:
            describe(corpus, rows, col, int(a) - 1)


if __name__ == "__main__":
    main()
