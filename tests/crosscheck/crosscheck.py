#!/usr/bin/env python3
"""Cross-check Portcullis against an independent reading by Python's stdlib.

For every .eml file under the corpus, count independently
  (a) the text/html MIME parts (the `email` package, including the parts of
      attached message/rfc822 messages, with the scanner's documented limits:
      nesting deeper than 32 levels and more than 1000 parts are not followed),
  (b) the remote <img src> (html.parser; the src attribute of img tags after
      stripping whitespace starts with http:, https:, ftp: or //, any case;
      srcset is ignored),
then run `portcullis scan -q` over the same files and compare per file:
  ours (a) = parts with "kind": "html"
  ours (b) = resources with "element": "img" and "attr": "src" and no
             "resolved" field (a "resolved" URL was relative and only became
             remote through <base href>: not part of measure (b); such
             resources are counted separately in the report).
A file the scanner splits as an mbox ("path:N" sources) is compared as the sum
of its messages, and listed in the report.

usage: crosscheck.py [--portcullis EXE] [--corpus DIR] [--report FILE]
                     [--policy compat32|default] [--jobs N] [--target PCT]

Prints the number of messages compared, the agreement per measure, and as the
last line `crosscheck: X% html-parts, Y% remote-img agreement (target 99%)`.
Every disagreement (file, ours, theirs) goes to the report file. Exit 1 when
either agreement is below the target, 0 otherwise, and 0 with a message when
the corpus is absent (exit 77: CTest's SKIP_RETURN_CODE). See README.md in this folder.
"""
import argparse
import codecs
import collections
import email
import email.policy
import html.parser
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

MAX_DEPTH = 32     # limits.nesting_depth: parts deeper than this are not followed
MAX_PARTS = 1000   # limits.parts: parts after the 1000th are not followed
REMOTE = re.compile(r"(?:https?:|ftp:|//)", re.IGNORECASE)
# elements whose content an HTML5 parser reads as text (template: inert)
RAW_CONTEXTS = ("title", "textarea", "iframe", "noembed", "noframes", "xmp", "template")
POLICIES = {"compat32": email.policy.compat32, "default": email.policy.default}


# ---------------------------------------------------------------- theirs --

class ImgCounter(html.parser.HTMLParser):
    """Counts <img src> whose value (stripped) starts with a remote scheme.

    It also notes, as hints for the report only, where an HTML5 tree builder
    would see something else than this flat tokenizer (see README.md)."""

    def __init__(self, hints):
        super().__init__(convert_charrefs=True)
        self.remote = 0
        self.hints = hints
        self.open = {}  # raw-text / select contexts currently open

    def handle_starttag(self, tag, attrs):
        if tag in RAW_CONTEXTS or tag == "select":
            if tag == "select" and self.open.get("select"):
                self.open["select"] = 0  # a nested <select> closes the open one
            else:
                self.open[tag] = self.open.get(tag, 0) + 1
        elif tag in ("input", "textarea", "keygen") and self.open.get("select"):
            self.open["select"] = 0
        elif tag == "plaintext":
            self.open[tag] = 1  # never closed
        if tag not in ("img", "image"):
            return
        for k, v in attrs:
            if k == "src":  # the first src counts, as in an HTML5 tree
                v = (v or "").strip()
                remote = bool(REMOTE.match(v))
                if remote and tag == "img":
                    self.remote += 1
                    for ctx, n in self.open.items():
                        if n:
                            self.hints.add(f"img-inside-<{ctx}>")
                elif remote:
                    self.hints.add("<image>-tag")
                if re.match(r"(?:/{3}|[/\\]\\|\\/)", v):
                    self.hints.add("src-slash-backslash")
                break

    def handle_endtag(self, tag):
        if self.open.get(tag):
            self.open[tag] -= 1


def decode_text(payload, charset):
    try:
        if charset:
            codecs.lookup(charset)
            return payload.decode(charset, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        pass
    return payload.decode("utf-8", errors="replace")


def count_imgs(part, notes, hints):
    try:
        payload = part.get_payload(decode=True)
    except Exception as e:  # noqa: BLE001 - broken mail must not stop the run
        notes.append(f"payload: {type(e).__name__}")
        return 0
    if payload is None:
        return 0
    if isinstance(payload, str):
        text = payload
    else:
        try:
            charset = part.get_content_charset()
        except Exception:  # noqa: BLE001
            charset = None
        text = decode_text(payload, charset)
    p = ImgCounter(hints)
    try:
        p.feed(text)
        p.close()
    except Exception as e:  # noqa: BLE001
        notes.append(f"html.parser: {type(e).__name__}")
    return p.remote


def header_hints(part, hints):
    """Header facts behind known html-part disagreements (README.md)."""
    try:
        cts = part.get_all("content-type") or []
        if len(cts) > 1:
            hints.add("duplicate-content-type")
        if any("\n" in str(v) for v in cts) and "\n" in str(part.get_param("boundary") or ""):
            hints.add("folded-boundary")
    except Exception:  # noqa: BLE001
        pass


def analyse_message(msg):
    """(html parts, remote img src, notes, hints) of one email Message."""
    state = {"parts": 0, "html": 0, "img": 0}
    notes, hints = [], set()

    def walk(part, depth):
        if depth > MAX_DEPTH or state["parts"] >= MAX_PARTS:
            return
        state["parts"] += 1
        header_hints(part, hints)
        try:
            ctype = part.get_content_type()
        except Exception:  # noqa: BLE001
            ctype = "text/plain"
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            if ctype.startswith("message/"):
                # message/rfc822 (and message/global ...): one inner message
                for inner in payload[:1]:
                    walk(inner, depth + 1)
            else:
                for child in payload:
                    walk(child, depth + 1)
                    if state["parts"] >= MAX_PARTS:
                        break
            return
        if ctype == "text/html":
            state["html"] += 1
            state["img"] += count_imgs(part, notes, hints)

    walk(msg, 0)
    return state["html"], state["img"], notes, hints


def analyse_file(args):
    path, policy_name = args
    try:
        with open(path, "rb") as f:
            data = f.read()
        msg = email.message_from_bytes(data, policy=POLICIES[policy_name])
        html_n, img_n, notes, hints = analyse_message(msg)
        # a first header line (after an mbox From_ line) that starts with white space
        first = data.split(b"\n", 2)
        first = first[1] if first[0].startswith(b"From ") and len(first) > 1 else first[0]
        if first[:1] in (b" ", b"\t"):
            hints.add("leading-whitespace-line")
        defects = {type(d).__name__ for p in msg.walk() for d in getattr(p, "defects", [])}
        if "MissingHeaderBodySeparatorDefect" in defects:
            hints.add("non-header-line-in-headers")
        return path, html_n, img_n, sorted(set(notes)), sorted(hints)
    except Exception as e:  # noqa: BLE001
        return path, 0, 0, [f"email: {type(e).__name__}: {e}"], []


# ------------------------------------------------------------------ ours --

def run_scanner(exe, files, chunk=1000):
    """{file: [html parts, remote img src, base-resolved img src, messages]}"""
    ours = {f: None for f in files}
    for i in range(0, len(files), chunk):
        part = files[i:i + chunk]
        p = subprocess.run([exe, "scan", "-q", "--"] + part, capture_output=True)
        if p.returncode not in (0,):
            err = p.stderr.decode(errors="replace")[-2000:]
            raise SystemExit(f"crosscheck: {exe} exited {p.returncode}: {err}")
        for line in p.stdout.decode("utf-8", errors="replace").splitlines():
            o = json.loads(line)
            src = o["source"]
            if src not in ours:
                base, _, n = src.rpartition(":")
                if base in ours and n.isdigit():
                    src = base
                else:
                    raise SystemExit(f"crosscheck: scanner reported an unknown source {src!r}")
            html_n = sum(1 for p_ in o.get("parts", []) if p_.get("kind") == "html")
            img = [r for r in o.get("resources", []) if r.get("element") == "img" and r.get("attr") == "src"]
            lit = sum(1 for r in img if "resolved" not in r)
            cur = ours[src] or [0, 0, 0, 0]
            ours[src] = [cur[0] + html_n, cur[1] + lit, cur[2] + len(img) - lit, cur[3] + 1]
    missing = [f for f, v in ours.items() if v is None]
    if missing:
        raise SystemExit(f"crosscheck: no scanner output for {len(missing)} files, e.g. {missing[:3]}")
    return ours


# ------------------------------------------------------------------ main --

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--portcullis", default=os.path.join(REPO, "build", "portcullis"))
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus"))
    ap.add_argument("--report", default="crosscheck-report.txt",
                    help="disagreement list (default: ./crosscheck-report.txt)")
    ap.add_argument("--policy", choices=sorted(POLICIES), default="compat32",
                    help="email policy for the reference parse (default compat32)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--target", type=float, default=99.0)
    a = ap.parse_args()

    corpus = os.path.normpath(a.corpus)
    if not os.path.isdir(corpus):
        print(f"crosscheck: corpus not found at {corpus}: skipped")
        return 77
    if not os.access(a.portcullis, os.X_OK):
        print(f"crosscheck: scanner {a.portcullis} not found or not executable", file=sys.stderr)
        return 2
    exe = os.path.abspath(a.portcullis)
    files = []
    for root, dirs, names in os.walk(corpus):
        dirs.sort()
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".eml")]
    if not files:
        print(f"crosscheck: no .eml files under {corpus}: skipped")
        return 77

    t0 = time.time()
    jobs = [(f, a.policy) for f in files]
    if a.jobs > 1:
        with multiprocessing.Pool(a.jobs) as pool:
            theirs_list = pool.map(analyse_file, jobs, chunksize=16)
    else:
        theirs_list = [analyse_file(j) for j in jobs]
    theirs = {t[0]: t[1:] for t in theirs_list}
    t1 = time.time()
    ours = run_scanner(exe, files)
    t2 = time.time()

    n = len(files)
    html_bad, img_bad, both_ok = [], [], 0
    based, multi = [], []
    tally_html, tally_img = collections.Counter(), collections.Counter()
    for f in files:
        o_html, o_img, o_based, o_msgs = ours[f]
        t_html, t_img, notes, hints = theirs[f]
        rel = os.path.relpath(f, corpus)
        hints = list(hints)
        if o_msgs > 1:
            multi.append(f"{rel} ({o_msgs} messages)")
            hints.append(f"mbox-split-{o_msgs}")
        extra = ",".join(hints or ["-"]) + ("\t" + "; ".join(notes) if notes else "")
        if o_based:
            based.append(f"{rel} ({o_based})")
        ok = True
        if o_html != t_html:
            html_bad.append((rel, o_html, t_html, extra))
            tally_html.update(hints or ["(no hint)"])
            ok = False
        if o_img != t_img:
            img_bad.append((rel, o_img, t_img, extra))
            tally_img.update(hints or ["(no hint)"])
            ok = False
        both_ok += ok

    html_pct = 100.0 * (n - len(html_bad)) / n
    img_pct = 100.0 * (n - len(img_bad)) / n
    with open(a.report, "w", encoding="utf-8") as r:
        r.write(f"# crosscheck report: {n} messages under {corpus}\n")
        r.write(f"# scanner {exe}; reference: email (policy {a.policy}) + html.parser\n")
        r.write(f"# html-parts agreement {html_pct:.2f}% ({len(html_bad)} differ); "
                f"remote-img agreement {img_pct:.2f}% ({len(img_bad)} differ); "
                f"{both_ok} agree on both\n")
        r.write("# columns: file, ours (portcullis), theirs (Python), hints (README.md), reference errors\n")
        for title, bad, tally in (("html-parts", html_bad, tally_html), ("remote-img", img_bad, tally_img)):
            r.write(f"\n## {title} disagreements: {len(bad)}\n")
            for hint, k in sorted(tally.items(), key=lambda x: (-x[1], x[0])):
                r.write(f"#   hint {hint}: {k}\n")
            for rel, o, t, extra in bad:
                r.write(f"{rel}\t{o}\t{t}\t{extra}\n")
        r.write(f"\n## files split by the scanner into several messages (compared as their sum): {len(multi)}\n")
        for m in multi:
            r.write(m + "\n")
        r.write(f"\n## files with <img src> made remote by <base href> (not counted in measure b): {len(based)}\n")
        for b in based:
            r.write(b + "\n")

    print(f"crosscheck: {n} messages compared (reference {t1 - t0:.1f}s, scanner {t2 - t1:.1f}s)")
    print(f"crosscheck: html-parts agreement {html_pct:.2f}% ({len(html_bad)} differ)")
    print(f"crosscheck: remote-img agreement {img_pct:.2f}% ({len(img_bad)} differ)")
    print(f"crosscheck: {both_ok} agree on both; disagreements listed in {a.report}")
    failing = html_pct < a.target or img_pct < a.target
    if failing:  # what ctest --output-on-failure should show
        for title, bad in (("html-parts", html_bad), ("remote-img", img_bad)):
            for rel, o, t, extra in bad[:20]:
                print(f"  {title}: {rel} ours={o} theirs={t} {extra}")
            if len(bad) > 20:
                print(f"  {title}: ... {len(bad) - 20} more in {a.report}")
    print(f"crosscheck: {html_pct:.2f}% html-parts, {img_pct:.2f}% remote-img agreement (target {a.target:g}%)")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
