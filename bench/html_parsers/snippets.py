#!/usr/bin/env python3
"""Tricky HTML snippets: what does an HTML5 browser build, and which parser agrees?

Usage: snippets.py [--chromium] [WORKDIR]
  Writes WORKDIR/snippets/NN-name.html (default WORKDIR /tmp/html_snippets).
  --chromium: compute ground truth with local headless Chromium (DOMParser,
      i.e. HTML5 tree construction with scripting disabled, as in a mail
      client) and save it to expected_chromium.json next to this script.
      Only these local snippets are ever given to Chromium, no corpus HTML,
      and all networking is off.
  Without --chromium the saved expected_chromium.json is used.
  Then runs `./html_parsers snip` for each parser and prints a Markdown table.

Compared per snippet: the list of HTML <img src> values and HTML <a href>
values, in document order, walking template contents too (like the C walker).
"""
import base64
import html
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PARSERS = ["myhtml", "gumbo", "libxml2"]

S = []  # (name, what it tests, bytes)


def add(name, what, data):
    S.append((name, what, data if isinstance(data, bytes) else data.encode()))


add("unclosed", "unclosed <p>/<a>, no html/body",
    '<p>text<a href="http://a.example/1">one<p>two<img src="http://i.example/1.png">')
add("table-img", "<img> in <table> before <td> (foster parenting)",
    '<table><img src="http://i.example/t.png"><tr><td><a href="http://a.example/td">x</a></td></tr></table>')
add("image-alias", "<image> start tag is turned into <img>",
    '<div><image src="http://i.example/alias.png"></div>')
add("unquoted", "unquoted attribute values",
    '<img src=http://i.example/u.png alt=x><a href=http://a.example/u?x=1&y=2>x</a>')
add("dup-attr", "duplicate attributes: first wins",
    '<img src="cid:part1" src="http://i.example/second.png">'
    '<a href="http://a.example/first" href="http://a.example/second">x</a>')
add("entities", "character references in URLs (&amp; &#x2F; &colon; &copy= legacy rule)",
    '<img src="http&#x3a;&sol;/i.example/e.png">'
    '<a href="http://a.example/p?x=1&amp;y=2&#x2F;z">a</a>'
    '<a href="http://a.example/q?x=1&copy=2&not;">b</a>')
add("nul-bytes", "NUL bytes in attribute value and tag name",
    b'<img src="http://i.exa\x00mple/n.png"><a\x00 href="http://a.example/n">x</a>'
    b'<a href="http://a.example/ok">y\x00</a>')
add("ws-src", "src with leading/trailing whitespace and newlines",
    '<img src="  \n http://i.example/ws.png \n "><img src="\thttps://i.example/tab.png">'
    '<img src="ht\ntp://i.example/inner-nl.png">')
add("comment-abrupt", "<!--> and <!---> are complete (empty) comments",
    '<!--><img src="http://i.example/c1.png"> --><!---><img src="http://i.example/c2.png">')
add("comment-bang", "--!> closes a comment; -- > does not",
    '<!-- x --!><img src="http://i.example/c3.png">'
    '<!-- y -- ><img src="http://i.example/hidden.png"> -->')
add("noscript", "<noscript> content (scripting disabled, as in mail)",
    '<noscript><img src="http://i.example/ns.png"><a href="http://a.example/ns">n</a></noscript>')
add("template", "<template> content (inert, in template.content)",
    '<template><img src="http://i.example/tpl.png"></template><p>x</p>')
add("svg", "svg <image href>, svg <a>, and <img> breaking out of <svg>",
    '<svg><image href="http://i.example/svg.png"/><a href="http://a.example/svg">s</a>'
    '<img src="http://i.example/breakout.png"></svg>')
add("img-slash", "malformed <img/src=...>",
    '<img/src="http://i.example/slash.png"><a/href="http://a.example/slash">x</a>')
add("title-rcdata", "markup inside <title> is text",
    '<title><img src="http://i.example/title.png"></title><p>x</p>')
add("iframe-rawtext", "markup inside <iframe> is text",
    '<iframe><img src="http://i.example/ifr.png"></iframe><p>x</p>')
add("textarea-noframes", "markup inside <textarea>/<noframes> is text (used by phish to hide links)",
    '<textarea><a href="http://a.example/ta">x</a></textarea><noframes><img src="http://i.example/nf.png"></noframes>')
add("select-unclosed", "tags inside an unclosed <select> (dropped by the pre-2025 spec; kept since the 2025 select-parser change in Chromium)",
    '<select><option>o<a href="http://a.example/sel">x</a><img src="http://i.example/sel.png">')
add("reconstruct", "</p> pops an open <a>; following text re-creates it",
    '<p><a href="http://a.example/re">one</p>two')
add("deep-nesting", "img/link after 300 nested <div> (libxml2 stops at depth 256)",
    '<div>' * 300 + '<img src="http://i.example/deep.png"><a href="http://a.example/deep">x</a>')
add("attr-no-space", "attributes glued together after a quoted value",
    '<img alt="x"src="http://i.example/glued.png"><a title=\'t\'href="http://a.example/glued">g</a>')

JS = r"""
<script>
function esc(s){let o='';for(const ch of s){const c=ch.codePointAt(0);
 if(c<0x20||c==0x7f||ch=='"'||ch=='\\')o+='\\x'+c.toString(16).padStart(2,'0');else o+=ch;}return o;}
const HTML='http://www.w3.org/1999/xhtml';
function walk(n,r){for(const k of n.childNodes){if(k.nodeType!==1)continue;r.elems++;
 if(k.namespaceURI===HTML&&k.localName==='img'&&k.hasAttribute('src'))r.v.push('img="'+esc(k.getAttribute('src'))+'"');
 if(k.namespaceURI===HTML&&k.localName==='a'&&k.hasAttribute('href'))r.v.push('href="'+esc(k.getAttribute('href'))+'"');
 walk(k,r); if(k.localName==='template'&&k.content)walk(k.content,r);}}
const out={};
for(const [name,b64] of DATA){const bytes=Uint8Array.from(atob(b64),c=>c.charCodeAt(0));
 const s=new TextDecoder('utf-8').decode(bytes);
 const d=new DOMParser().parseFromString(s,'text/html');const r={elems:0,v:[]};walk(d,r);out[name]=r;}
document.getElementById('out').textContent=JSON.stringify(out);
</script>
"""


def run_chromium(workdir):
    data = [[n, base64.b64encode(b).decode()] for n, _w, b in S]
    page = os.path.join(workdir, "truth.html")
    with open(page, "w") as fh:
        fh.write('<!doctype html><meta charset="utf-8"><pre id="out"></pre>'
                 "<script>const DATA=%s;</script>%s" % (json.dumps(data), JS))
    prof = tempfile.mkdtemp(prefix="chr-")
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", "--user-data-dir=" + prof,
           "--dump-dom", "file://" + page]
    dom = subprocess.run(cmd, capture_output=True, timeout=120).stdout.decode()
    m = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    if not m:
        sys.exit("chromium gave no result")
    truth = json.loads(html.unescape(m.group(1)))
    ver = subprocess.run(["chromium", "--version"], capture_output=True,
                         text=True).stdout.strip().splitlines()[0]
    truth["_browser"] = ver
    with open(os.path.join(HERE, "expected_chromium.json"), "w") as fh:
        json.dump(truth, fh, indent=1, ensure_ascii=False)
    return truth


def parser_values(parser, files):
    exe = os.path.join(HERE, "html_parsers")
    out = subprocess.run([exe, "snip", parser] + files, capture_output=True).stdout
    res = {}
    for line in out.decode("utf-8", "replace").splitlines():
        name, _p, rest = line.split("\t", 2)
        vals, _t, tail = rest.rpartition("\t")
        m = re.search(r"elems=(\d+)", tail)
        res[name[:-5]] = {"elems": int(m.group(1)) if m else -1,
                          "v": re.findall(r'((?:img|href)="[^"]*")', vals)}
    return res


def short(v):
    return " ".join(x.replace("http://i.example/", "").replace("http://a.example/", "")
                    for x in v) or "(none)"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    workdir = args[0] if args else "/tmp/html_snippets"
    sdir = os.path.join(workdir, "snippets")
    os.makedirs(sdir, exist_ok=True)
    files = []
    for i, (n, _w, b) in enumerate(S, 1):
        p = os.path.join(sdir, "%s.html" % n)
        with open(p, "wb") as fh:
            fh.write(b)
        files.append(p)
    if "--chromium" in sys.argv:
        truth = run_chromium(workdir)
    else:
        with open(os.path.join(HERE, "expected_chromium.json")) as fh:
            truth = json.load(fh)
    got = {p: parser_values(p, files) for p in PARSERS}
    score = {p: 0 for p in PARSERS}
    print("Ground truth: %s, DOMParser (HTML5 tree construction, scripting off).\n"
          % truth.get("_browser", "chromium"))
    print("| # | snippet | tests | browser: img src / a href (i.example/, a.example/ elided) | "
          + " | ".join(PARSERS) + " |")
    print("|---|---|---|---|" + "---|" * len(PARSERS))
    for i, (n, w, b) in enumerate(S, 1):
        t = truth[n]["v"]
        cells = []
        for p in PARSERS:
            g = got[p].get(n, {"v": ["(crash)"]})["v"]
            if g == t:
                score[p] += 1
                cells.append("ok")
            else:
                cells.append("WRONG: " + short(g))
        print("| %d | %s | %s | %s | %s |" % (i, n, html.escape(w).replace("|", "\\|"),
                                             short(t).replace("|", "\\|"),
                                             " | ".join(c.replace("|", "\\|") for c in cells)))
    print("| | **correct** | | | " + " | ".join("**%d/%d**" % (score[p], len(S))
                                                for p in PARSERS) + " |")


if __name__ == "__main__":
    main()
