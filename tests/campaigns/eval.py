#!/usr/bin/env python3
"""Campaign clustering, measured on a generated world mixed with real mail.

usage: eval.py PORTCULLIS [--quick] [--corpus DIR | --no-corpus] [--require-corpus]
               [--scale] [--seed S] [--keep DIR] [--postgresql]

Generates a world with gen.py (malicious tracking campaigns, newsletters,
one-off ham) into a temporary folder, scans it together with the real
corpus (every folder of ../shared/corpus, when present) in ONE
`portcullis scan --db STORE` run, reads the JSON lines and
`portcullis campaigns --db STORE --json --min-size 1`, and measures:

  malicious   per campaign: the cluster holding most of its members;
              recall = share of members in it (target >= 99%), foreign
              members in it (target 0), splits; share of all malicious
              members whose final verdict is quarantine (target >= 99%)
  newsletter  per newsletter: clusters, foreign members in them (target 0),
              final verdicts (target: none quarantined, >= 99% neutralise);
              whether weekly issues merge into one campaign (reported only)
  corpus      ham / ham-newsletter quarantined (target 0); corpus messages
              in a campaign with a generated malicious one (target 0); the
              7 unspy_newsletters u1/u2 pairs share a campaign (target all)
  concurrency two `scan --db SAME` at once over two halves of one campaign:
              both exit 0, then one cluster holds every member exactly once
  --postgresql  the same on a private PostgreSQL server (tests/lib/pgtest.py)
  --scale     `scan --db` time on 10,000 and 100,000 generated messages
              (fresh store each; ratio target <= 12x), peak RSS, and
              throughput with --db vs without on the same 10,000 (target
              with >= 50% of without)

The final verdict of a message is "quarantine" when its campaign's verdict
in the listing is quarantine (the campaign was judged malicious: every
member is), otherwise its verdict from the scan.

--quick: a few campaigns up to 300 members (CTest); default: 24 campaigns of
5 to 10,000 members. Exit 0 when every target is met, 1 otherwise, 77 when
PORTCULLIS is missing (or with --require-corpus, when the corpus is absent).
"""
import argparse
import collections
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

DEFAULT_CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


class Result:
    def __init__(self):
        self.checks = []  # (name, ok, detail)

    def check(self, name, ok, detail=""):
        self.checks.append((name, bool(ok), detail))
        return ok


def run_timed(cmd, stdout=subprocess.DEVNULL, timeout=7200):
    """Runs cmd; returns (rc, wall seconds, CPU seconds, peak RSS in kB or None, stderr text)."""
    full = ([TIME, "-v"] + cmd) if TIME else cmd
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(full, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
    secs = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    err = p.stderr.decode(errors="replace")
    rss = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    if m:
        rss = int(m.group(1))
        err = err[:err.rfind("\tCommand being timed")] if "\tCommand being timed" in err else err
    elif not TIME:
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max over all children so far
    return p.returncode, secs, cpu, rss, err


def scan_lines(cmd, timeout=7200):
    """Runs a scan, streams its JSON lines; keeps the fields we need.
    Returns (rc, seconds, peak RSS kB, stderr, [dict])."""
    full = ([TIME, "-v"] + cmd) if TIME else cmd
    errf = tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=errf)
    out, bad = [], 0
    for line in p.stdout:
        try:
            j = json.loads(line)
        except ValueError:
            bad += 1
            continue
        camp = j.get("campaign")
        out.append({"source": j.get("source"), "verdict": j.get("verdict"), "rule": j.get("rule"),
                    "campaign": None if camp is None else str(camp), "ntrackers": len(j.get("trackers") or [])})
    rc = p.wait(timeout=timeout)
    secs = time.monotonic() - t0
    errf.seek(0)
    err = errf.read().decode(errors="replace")
    rss = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    if m:
        rss = int(m.group(1))
        err = err[:err.find("\tCommand being timed")] if "\tCommand being timed" in err else err
    return rc, secs, rss, err, out, bad


def campaigns_listing(exe, store):
    """The campaigns listing (list of dicts), or (None, why)."""
    for extra in (["--min-size", "1"], []):
        try:
            p = subprocess.run([exe, "campaigns", "--db", store, "--json"] + extra, capture_output=True, timeout=1800)
        except subprocess.TimeoutExpired:
            return None, "timed out"
        if p.returncode == 0:
            try:
                data = json.loads(p.stdout)
            except ValueError as e:
                return None, "not JSON: %s" % e
            if isinstance(data, list):
                return data, "" if extra else "(without --min-size 1: singletons not listed)"
            return None, "not a JSON array"
        why = p.stderr.decode(errors="replace").strip().splitlines()
        why = why[0] if why else "exit %d" % p.returncode
    return None, why


def corpus_labels(corpus):
    labels = {}
    idx = os.path.join(corpus, "index.tsv")
    if os.path.exists(idx):
        with open(idx, newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                labels[row["file"]] = row["label"]
    return labels


def unspy_pairs(corpus):
    pairs = collections.defaultdict(dict)
    base = os.path.join(corpus, "unspy_newsletters")
    for root, dirs, names in os.walk(base):
        for n in names:
            m = re.match(r"(.*)[.-]u([12])\.eml$", n)
            if m:
                pairs[os.path.join(root, m.group(1))][m.group(2)] = os.path.relpath(os.path.join(root, n), corpus)
    return sorted((v["1"], v["2"]) for v in pairs.values() if "1" in v and "2" in v)


def pct(a, b):
    return "%.1f%%" % (100.0 * a / b) if b else "-"


# ------------------------------------------------------------------ main evaluation

def new_store(args, tmp, name):
    """A new, empty store: a SQLite file, or with --postgresql a new
    database on the private server main() started."""
    if args.pg:
        return "postgresql:" + args.pg.create_db(name)
    return os.path.join(tmp, name + ".sqlite")


def evaluate(args, res, tmp):
    wdir = os.path.join(tmp, "world")
    preset = "quick" if args.quick else "full"
    t0 = time.monotonic()
    rows = gen.generate(wdir, seed=args.seed, preset=preset)
    print("generated %d messages (%s preset, seed %d) in %.1f s" % (len(rows), preset, args.seed,
                                                                     time.monotonic() - t0))
    maildir = os.path.join(wdir, "mail")
    conf = os.path.join(wdir, "portcullis.conf")
    store = new_store(args, tmp, "store")
    label = {r[0]: r for r in rows}  # rel -> (file, kind, campaign, issue)

    corpus = None if args.no_corpus else args.corpus
    if corpus and not os.path.isdir(corpus):
        print("corpus not found at %s: synthetic only" % corpus)
        corpus = None
    cpaths, clabels, pairs = [], {}, []
    if corpus:
        corpus = os.path.abspath(corpus)
        cpaths = [os.path.join(corpus, d) for d in sorted(os.listdir(corpus))
                  if os.path.isdir(os.path.join(corpus, d))]
        clabels = corpus_labels(corpus)
        pairs = unspy_pairs(corpus)
    cmd = [args.portcullis, "scan", "--db", store, "--config", conf, "--quiet"] + cpaths + [maildir]
    rc, secs, rss, err, lines, bad = scan_lines(cmd)
    print("scan --db: %d messages in %.1f s (%.0f msg/s), peak RSS %s, exit %d"
          % (len(lines), secs, len(lines) / secs if secs else 0, "%d MB" % (rss // 1024) if rss else "?", rc))
    res.check("scan --db exits 0", rc == 0, err.strip()[-300:])
    res.check("scan --db: every output line is JSON", bad == 0, "%d lines were not" % bad)

    # who is who
    info = {}  # source -> dict(origin, kind, camp, issue)
    seen_gen = collections.Counter()
    for ln in lines:
        s = ln["source"] or ""
        if s.startswith(maildir + os.sep):
            rel = s[len(maildir) + 1:]
            r = label.get(rel)
            if r is None:
                continue
            seen_gen[rel] += 1
            info[s] = {"origin": "gen", "kind": r[1], "camp": r[2], "issue": r[3], "rel": rel}
        elif corpus and s.startswith(corpus + os.sep):
            rel = s[len(corpus) + 1:]
            base = re.sub(r":\d+$", "", rel)
            info[s] = {"origin": "corpus", "kind": clabels.get(rel, clabels.get(base, "?")), "camp": None,
                       "issue": None, "rel": rel}
        else:
            info[s] = {"origin": "other", "kind": "?", "camp": None, "issue": None, "rel": s}
    missing = [r for r in label if seen_gen[r] != 1]
    res.check("every generated message scanned once", not missing,
              "%d missing or repeated, e.g. %s" % (len(missing), missing[:3]) if missing else "%d" % len(label))

    listing, why = campaigns_listing(args.portcullis, store)
    res.check("campaigns --json works", listing is not None, why)
    member_of, camp_verdict, camp_size = {}, {}, {}
    dup_members = 0
    if listing:
        for c in listing:
            cid = str(c.get("id"))
            camp_verdict[cid] = c.get("verdict")
            camp_size[cid] = c.get("size")
            for m in c.get("members") or []:
                if m in member_of:
                    dup_members += 1
                member_of[m] = cid
        res.check("no message listed in two campaigns", dup_members == 0, "%d" % dup_members)
    scan_verdict = {ln["source"]: ln["verdict"] for ln in lines}
    cluster = {}
    for ln in lines:
        s = ln["source"]
        cluster[s] = member_of.get(s, ln["campaign"])
    for rel, r in label.items():  # generated messages with no output line count as missed
        s = os.path.join(maildir, rel)
        if s not in info:
            info[s] = {"origin": "gen", "kind": r[1], "camp": r[2], "issue": r[3], "rel": rel}
            cluster[s] = member_of.get(s)
            scan_verdict[s] = "(no output)"
    final = {s: ("quarantine" if camp_verdict.get(cluster[s]) == "quarantine" else scan_verdict[s]) for s in cluster}
    members = collections.defaultdict(list)  # cluster id -> sources
    for s, cid in cluster.items():
        if cid is not None:
            members[cid].append(s)
    n_with = sum(1 for s in cluster if cluster[s] is not None)
    print("%d of %d messages have a campaign; %d campaigns (%d with 2+ members)%s"
          % (n_with, len(cluster), len(members), sum(1 for v in members.values() if len(v) > 1),
             "; listing: %d" % len(listing) if listing is not None else ""))

    def group_of(s):
        i = info.get(s)
        if not i:
            return "?"
        if i["origin"] == "corpus":
            return "corpus"
        return i["camp"] if i["kind"] != "ham" else "ham"

    # ---- malicious campaigns
    by_camp = collections.defaultdict(list)
    for s, i in info.items():
        if i["origin"] == "gen" and i["kind"] == "malicious":
            by_camp[i["camp"]].append(s)
    print("\nmalicious campaigns (target: recall >= 99%, 0 foreign; final verdict quarantine)")
    print("%-7s %6s %8s %8s %7s %6s %6s %10s  %s" % ("label", "size", "cluster", "recall", "foreign", "splits",
                                                     "null", "quarant.", "foreign by kind"))
    mal_total = mal_quar = 0
    rec_ok = pur_ok = True
    for camp in sorted(by_camp):
        ms = by_camp[camp]
        ids = collections.Counter(cluster[s] for s in ms if cluster[s] is not None)
        nulls = sum(1 for s in ms if cluster[s] is None)
        main, got = ids.most_common(1)[0] if ids else (None, 0)
        foreign = [s for s in members.get(main, []) if group_of(s) != camp] if main else []
        fk = collections.Counter(group_of(s) if group_of(s) in ("corpus", "ham") else
                                 ("newsletter" if info[s]["kind"] == "newsletter" else "other-malicious")
                                 for s in foreign)
        q = sum(1 for s in ms if final[s] == "quarantine")
        mal_total += len(ms)
        mal_quar += q
        recall = got / len(ms)
        rec_ok &= recall >= 0.99
        pur_ok &= not foreign
        print("%-7s %6d %8s %8s %7d %6d %6d %10s  %s" % (camp, len(ms), (main or "-")[:8], pct(got, len(ms)),
                                                         len(foreign), len(ids) + nulls, nulls, pct(q, len(ms)),
                                                         ", ".join("%s %d" % kv for kv in sorted(fk.items()))))
    res.check("malicious: every campaign recall >= 99%", rec_ok)
    res.check("malicious: no foreign member in any campaign's cluster", pur_ok)
    res.check("malicious: >= 99% of members finally quarantined", mal_total and mal_quar >= 0.99 * mal_total,
              "%d/%d = %s" % (mal_quar, mal_total, pct(mal_quar, mal_total)))
    scan_q = sum(1 for s in info if info[s]["origin"] == "gen" and info[s]["kind"] == "malicious"
                 and scan_verdict[s] == "quarantine")
    print("malicious quarantined: %s at scan time, %s finally" % (pct(scan_q, mal_total), pct(mal_quar, mal_total)))

    # ---- newsletters
    by_nl = collections.defaultdict(list)
    for s, i in info.items():
        if i["origin"] == "gen" and i["kind"] == "newsletter":
            by_nl[i["camp"]].append(s)
    print("\nnewsletters (target: 0 foreign in their clusters, 0 quarantined, >= 99% neutralise)")
    print("%-6s %6s %7s %9s %9s %7s %9s %9s  %s" % ("label", "size", "issues", "clusters", "clustered", "foreign",
                                                    "neutral.", "quarant.", "issues -> clusters"))
    nl_ok = True
    for nl in sorted(by_nl):
        ms = by_nl[nl]
        issues = sorted({info[s]["issue"] for s in ms})
        ids = collections.Counter(cluster[s] for s in ms if cluster[s] is not None)
        clustered = sum(c for cid, c in ids.items() if len(members[cid]) > 1)
        foreign = {s for cid in ids for s in members[cid] if group_of(s) != nl}
        neut = sum(1 for s in ms if final[s] == "neutralise")
        quar = sum(1 for s in ms if final[s] == "quarantine")
        main_of_issue = []
        for iss in issues:
            c = collections.Counter(cluster[s] for s in ms if info[s]["issue"] == iss and cluster[s] is not None)
            main_of_issue.append(c.most_common(1)[0][0] if c else None)
        distinct = len(set(x for x in main_of_issue if x))
        how = ("merged into one" if distinct == 1 and len(issues) > 1 else
               "one per issue" if distinct == len(issues) else "%d for %d issues" % (distinct, len(issues)))
        ok = not foreign and quar == 0 and neut >= 0.99 * len(ms)
        nl_ok &= ok
        print("%-6s %6d %7d %9d %9s %7d %9s %9d  %s" % (nl, len(ms), len(issues), len(ids), pct(clustered, len(ms)),
                                                        len(foreign), pct(neut, len(ms)), quar, how))
    res.check("newsletters: own clusters, neutralised, none quarantined", nl_ok)

    # ---- generated ham
    ham = [s for s, i in info.items() if i["origin"] == "gen" and i["kind"] == "ham"]
    ham_in = sum(1 for s in ham if cluster[s] is not None and len(members[cluster[s]]) > 1)
    ham_q = sum(1 for s in ham if final[s] == "quarantine")
    print("\ngenerated one-off ham: %d, in a campaign of 2+: %d, quarantined: %d" % (len(ham), ham_in, ham_q))
    res.check("generated ham: none quarantined", ham_q == 0, "%d" % ham_q)

    # ---- corpus
    if corpus:
        cs = [s for s, i in info.items() if i["origin"] == "corpus"]
        hamc = [s for s in cs if info[s]["kind"] in ("ham", "ham-newsletter")]
        hq = [s for s in hamc if final[s] == "quarantine"]
        hq_scan = sum(1 for s in hamc if scan_verdict[s] == "quarantine")
        mal_ids = {cluster[s] for s, i in info.items() if i["origin"] == "gen" and i["kind"] == "malicious"
                   and cluster[s] is not None}
        with_mal = [s for s in cs if cluster[s] in mal_ids]
        c_camps = {cluster[s] for s in cs if cluster[s] is not None and len(members[cluster[s]]) > 1}
        print("\ncorpus: %d messages, %d in a campaign of 2+ (%d campaigns)" % (
            len(cs), sum(1 for s in cs if cluster[s] is not None and len(members[cluster[s]]) > 1), len(c_camps)))
        print("corpus ham + ham-newsletter: %d, quarantined %d (at scan time %d)%s" % (
            len(hamc), len(hq), hq_scan, (": " + ", ".join(info[s]["rel"] for s in hq[:5])) if hq else ""))
        print("corpus messages in a campaign with a generated malicious message: %d%s" % (
            len(with_mal), (": " + ", ".join(info[s]["rel"] for s in with_mal[:5])) if with_mal else ""))
        res.check("corpus: no ham quarantined", not hq, "%d" % len(hq))
        res.check("corpus: none in a generated malicious campaign", not with_mal, "%d" % len(with_mal))
        byrel = {info[s]["rel"]: s for s in cs}
        print("\nunspy_newsletters pairs (target: each pair shares one campaign)")
        ok_pairs = 0
        for a, b in pairs:
            ca, cb = cluster.get(byrel.get(a)), cluster.get(byrel.get(b))
            ok = ca is not None and ca == cb
            ok_pairs += ok
            print("  %-60s %s %s %s" % (re.sub(r"[.-]u1\.eml$", "", a), ca, cb, "ok" if ok else "SPLIT"))
        res.check("unspy pairs share a campaign", pairs and ok_pairs == len(pairs),
                  "%d/%d" % (ok_pairs, len(pairs)))
    if args.keep:
        with open(os.path.join(tmp, "clusters.tsv"), "w") as f:
            for s in sorted(cluster):
                i = info.get(s, {})
                f.write("%s\t%s\t%s\t%s\t%s\t%s\n" % (s, i.get("kind"), i.get("camp"), cluster[s], scan_verdict[s],
                                                        final[s]))


# ------------------------------------------------------------------ concurrency

def concurrency(args, res, tmp):
    n = 200 if args.quick else 1000
    d = os.path.join(tmp, "conc")
    rows = gen.generate(d, seed=args.seed + 101, preset="quick", sizes=[n], newsletters=0, ham=0)
    mail = os.path.join(d, "mail")
    halves = [os.path.join(d, "a"), os.path.join(d, "b")]
    for k, r in enumerate(sorted(rows)):
        dst = os.path.join(halves[k % 2], r[0])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.rename(os.path.join(mail, r[0]), dst)
    store = new_store(args, tmp, "conc")
    conf = os.path.join(d, "portcullis.conf")
    # output to files, not pipes: a scan blocked on a full pipe would hold the
    # store's write lock and stall the other one
    files = [(open(os.path.join(tmp, "conc-%d.out" % k), "w+b"), open(os.path.join(tmp, "conc-%d.err" % k), "w+b"))
             for k in range(2)]
    t0 = time.monotonic()
    procs = [subprocess.Popen([args.portcullis, "scan", "--db", store, "--config", conf, "--quiet", h],
                              stdout=f[0], stderr=f[1]) for h, f in zip(halves, files)]
    rcs = []
    for p in procs:
        try:
            rcs.append(p.wait(timeout=900))
        except subprocess.TimeoutExpired:
            p.kill()
            rcs.append("timeout")
    secs = time.monotonic() - t0
    outs = []
    for fo, fe in files:
        fo.seek(0)
        fe.seek(0)
        outs.append((fo.read(), fe.read()))
        fo.close()
        fe.close()
    nlines = [len(o[0].splitlines()) for o in outs]
    errs = collections.Counter()
    for o in outs:
        for ln in o[0].splitlines():
            try:
                j = json.loads(ln)
            except ValueError:
                errs["(line not JSON)"] += 1
                continue
            errs.update(f.get("detector") for f in j.get("findings") or []
                        if str(f.get("detector")).startswith("campaign."))
    listing, why = campaigns_listing(args.portcullis, store)
    want = {os.path.join(halves[k % 2], r[0]) for k, r in enumerate(sorted(rows))}
    holding = collections.Counter()
    dup = 0
    if listing:
        for c in listing:
            ms = c.get("members") or []
            dup += len(ms) - len(set(ms))
            for m in ms:
                if m in want:
                    holding[str(c.get("id"))] += 1
    total = sum(holding.values())
    print("\nconcurrency: 2 x scan --db on halves of one %d-member campaign: exit %s, lines %s, %.1f s; "
          "clusters holding it: %s; members listed %d, duplicates %d; campaign findings: %s"
          % (n, rcs, nlines, secs, dict(holding) if holding else why, total, dup, dict(errs)))
    res.check("concurrency: both scans exit 0", rcs == [0, 0], " ".join(o[1].decode(errors="replace")[-200:]
                                                                         for o in outs if o[1]))
    res.check("concurrency: one cluster, every member once", len(holding) == 1 and total == n and dup == 0,
              "%d clusters, %d/%d members, %d duplicates" % (len(holding), total, n, dup))


# ------------------------------------------------------------------ scale

def scale(args, res, tmp):
    d = os.path.join(tmp, "scale")
    t0 = time.monotonic()
    gen.write(d, args.seed + 7, gen.plan(args.seed + 7, **gen.PRESETS["scale100k"]), fmt="mbox", per_mbox=10000,
              limit=100000)
    boxes = sorted(os.path.join(d, "mail", f) for f in os.listdir(os.path.join(d, "mail")))
    size = sum(os.path.getsize(b) for b in boxes)
    print("\nscale: generated 100,000 messages in %d mboxes (%.0f MB) in %.0f s"
          % (len(boxes), size / 1e6, time.monotonic() - t0))
    conf = os.path.join(d, "portcullis.conf")
    base = [args.portcullis, "scan", "--config", conf, "--quiet"]
    runs = {}
    for name, cmd in (("10k without --db", base + boxes[:1]),
                      ("10k --db", base + ["--db", new_store(args, tmp, "s10k")] + boxes[:1]),
                      ("100k --db", base + ["--db", new_store(args, tmp, "s100k")] + boxes)):
        load = os.getloadavg()[0]
        rc, secs, cpu, rss, err = run_timed(cmd)
        runs[name] = (rc, secs, cpu, rss)
        n = 10000 if name.startswith("10k") else 100000
        print("  %-18s exit %d  %7.1f s (CPU %6.1f s)  %7.0f msg/s  peak RSS %s  (load before: %.1f)"
              % (name, rc, secs, cpu, n / secs if secs else 0, "%d MB" % (rss // 1024) if rss else "?", load))
        if load > 0.7:
            print("  (the machine was busy: wall-clock times are inflated; compare the CPU times)")
        res.check("scale: %s exits 0" % name, rc == 0, err.strip()[-200:])
    if os.path.exists(os.path.join(tmp, "s100k.sqlite")):
        print("  store after 100k: %.0f MB" % (os.path.getsize(os.path.join(tmp, "s100k.sqlite")) / 1e6))
    ratio = runs["100k --db"][1] / runs["10k --db"][1]
    keep = runs["10k without --db"][1] / runs["10k --db"][1]
    cratio = runs["100k --db"][2] / max(runs["10k --db"][2], 1e-9)
    ckeep = runs["10k without --db"][2] / max(runs["10k --db"][2], 1e-9)
    print("  100k/10k time ratio: %.1fx (target <= 12x); throughput with --db = %.0f%% of without (target >= 50%%)"
          % (ratio, 100 * keep))
    print("  the same from CPU time: %.1fx; %.0f%%" % (cratio, 100 * ckeep))
    res.check("scale: 100k/10k <= 12x", ratio <= 12, "%.1fx" % ratio)
    res.check("scale: --db throughput >= 50% of without", keep >= 0.5, "%.0f%%" % (100 * keep))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("portcullis")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--require-corpus", action="store_true", help="exit 77 (skip) when the corpus is absent")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--scale", action="store_true")
    ap.add_argument("--no-concurrency", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the generated world, stores and clusters.tsv in this new directory")
    ap.add_argument("--postgresql", action="store_true",
                    help="the stores on a private PostgreSQL server (tests/lib/pgtest.py) instead of SQLite files")
    args = ap.parse_args()
    args.pg = None
    if not (os.path.isfile(args.portcullis) and os.access(args.portcullis, os.X_OK)):
        print("portcullis not found at %s: skipped" % args.portcullis)
        return 77
    args.portcullis = os.path.abspath(args.portcullis)
    if args.require_corpus and not os.path.isdir(args.corpus):
        print("corpus not found at %s: skipped" % args.corpus)
        return 77
    if args.keep:
        os.makedirs(args.keep)
        tmp = os.path.abspath(args.keep)
    else:
        tmp = tempfile.mkdtemp(prefix="pc-campaigns-", dir="/tmp")
    res = Result()
    try:
        if args.postgresql:
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
            import pgtest
            if not pgtest.available():
                print("PostgreSQL 15 not installed: skipped")
                return 77
            args.pg = pgtest.PgServer().init().start()
        evaluate(args, res, tmp)
        if not args.no_concurrency:
            concurrency(args, res, tmp)
        if args.scale:
            scale(args, res, tmp)
    finally:
        if args.pg:
            args.pg.close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\n%-60s %s" % ("target", "result"))
    for name, ok, detail in res.checks:
        print("%-60s %s%s" % (name, "ok" if ok else "FAIL", ("  (" + detail + ")") if detail and not ok or
                              (ok and detail and len(detail) < 40) else ""))
    failed = sum(1 for _, ok, _ in res.checks if not ok)
    print("\ncampaigns: %d targets met, %d failed" % (len(res.checks) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
