#!/usr/bin/env python3
"""False positives of impersonation on real mail: ../shared/corpus.

usage: corpus_fp.py PORTCULLIS CORPUS_DIR [--markdown]

The hardest configuration for real mail is one that protects the very
people and domains the mail comes from. So the config protects the 25
most frequent From display names of the corpus's ham and ham-newsletter
(with their real addresses), the 25 most frequent From domains, and ten
real news outlets. Then every ham and ham-newsletter message is scanned
(no DNS: stored mail, dns.servers = off) and none may be quarantined.
The real display-name spoofing fixtures (rspamd, spamassassin_tdata) and
the phishing are scanned with the same config and reported.
Exit 0, 1 when a ham message is quarantined, 77 without the corpus.
"""
import collections
import email.header
import email.parser
import email.policy
import email.utils
import json
import os
import subprocess
import sys
import tempfile

NEWS = ["bbc.co.uk", "theguardian.com", "nytimes.com", "reuters.com", "ft.com", "washingtonpost.com",
        "economist.com", "spiegel.de", "lemonde.fr", "scmp.com"]
FIXTURES = ["spamassassin_tdata/t/data/spam/fromnamespoof/spoof1.eml", "rspamd/phish_sender.eml",
            "rspamd/phish_sender3.eml", "rspamd/phish_sender6.eml", "rspamd/from/from_dn_base64.eml"]


def from_of(path):
    try:
        with open(path, "rb") as f:
            hdr = email.parser.BytesHeaderParser(policy=email.policy.compat32).parse(f)
        v = hdr.get("From")
        if not v:
            return None, None
        v = str(email.header.make_header(email.header.decode_header(str(v))))
        name, addr = email.utils.parseaddr(v)
        return name.strip(), addr.strip().lower()
    except Exception:
        return None, None


def scan(bin_, conf, files):
    out = []
    for i in range(0, len(files), 400):
        r = subprocess.run([bin_, "scan", "-q", "--config", conf] + files[i:i + 400], capture_output=True)
        out += [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    bin_, corpus = sys.argv[1], sys.argv[2]
    md = "--markdown" in sys.argv
    index = os.path.join(corpus, "index.tsv")
    if not os.path.exists(index):
        print("SKIP: no corpus at " + corpus)
        return 77
    rows = [l.rstrip("\n").split("\t") for l in open(index, encoding="utf-8")][1:]
    ham = [os.path.join(corpus, r[0]) for r in rows if r[2] in ("ham", "ham-newsletter")]
    phish = [os.path.join(corpus, r[0]) for r in rows if r[2] == "phish"]
    names, domains, addr_of = collections.Counter(), collections.Counter(), {}
    for p in ham:
        name, addr = from_of(p)
        if not addr or "@" not in addr:
            continue
        domains[addr.rsplit("@", 1)[1]] += 1
        if name and len(name.split()) >= 2 and "@" not in name:
            names[name] += 1
            addr_of.setdefault(name, set()).add(addr)
    people = [n for n, _ in names.most_common(25)]
    prot = [d for d, _ in domains.most_common(25) if "." in d] + NEWS
    conf_lines = ["[organisation]", "domains = example-parliament.org", "[protected]",
                  "domains = " + ", ".join(sorted(set(prot))), "[dns]", "servers = off"]
    for n in people:
        conf_lines += ["[person]", "name = " + n, "addresses = " + ", ".join(sorted(addr_of[n])[:5])]
    tmp = tempfile.mkdtemp(prefix="pc-fp-")
    conf = os.path.join(tmp, "fp.conf")
    with open(conf, "w") as f:
        f.write("\n".join(conf_lines) + "\n")

    res = scan(bin_, conf, ham)
    verdicts = collections.Counter(j["verdict"] for j in res)
    rules = collections.Counter(j.get("rule") for j in res)
    det = collections.Counter()
    bad = []
    for j in res:
        for d in set(f["detector"] for f in j["findings"]):
            if d.startswith(("impersonation.", "header.", "auth.")):
                det[d] += 1
        if j["verdict"] == "quarantine" and j.get("rule") != "limit":
            bad.append(j)
    ph = scan(bin_, conf, phish)
    pdet = collections.Counter()
    for j in ph:
        for d in set(f["detector"] for f in j["findings"]):
            if d.startswith(("impersonation.", "header.")):
                pdet[d] += 1
    fx = scan(bin_, conf, [os.path.join(corpus, f) for f in FIXTURES if os.path.exists(os.path.join(corpus, f))])

    print("config: %d protected people, %d protected domains (the ham's own most frequent senders)"
          % (len(people), len(set(prot))))
    print("ham + ham-newsletter: %d messages: %s" % (len(res), dict(verdicts)))
    print("  by rule: %s" % dict(rules))
    print("  quarantined by an impersonation/score rule: %d" % len(bad))
    for d, c in sorted(det.items()):
        print("  %-32s %5d ham messages   %5d of %d phish" % (d, c, pdet.get(d, 0), len(ph)))
    for j in fx:
        print("fixture %s: %s (rule %s) %s" % (os.path.relpath(j["source"], corpus), j["verdict"], j.get("rule"),
                                                 ", ".join(sorted(set(f["detector"] for f in j["findings"])))))
    for j in bad[:10]:
        print("QUARANTINED HAM %s: %s" % (j["source"], [(f["detector"], f["summary"]) for f in j["findings"]
                                                        if f["score"] > 0][:6]), file=sys.stderr)
    limit = [j for j in res if j["verdict"] == "quarantine" and j.get("rule") == "limit"]
    if limit:
        print("  (%d ham quarantined by a limit rule: malformed or oversized, not impersonation)" % len(limit))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
