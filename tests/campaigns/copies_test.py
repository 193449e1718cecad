#!/usr/bin/env python3
"""Tokens from the copies (issue 15, item 5).

Attack templates, one per token shape one copy cannot tell from a static
URL, each sent to 3, 12 or 50 recipients from a protected journalist's name
on a freemail address (scanned into one store, `scan --db` as the milter
does); and newsletters whose per-article ids are the same for every reader
(two issues interleaved, 20 readers each), with no per-recipient id at all.

Checks:
- attack: from the third copy on (copies.h: PC_COPIES_MIN), every copy has
  its token URL among its trackers (tracker.copies unless a one-copy rule
  found it first), the finding campaign.per-recipient-token, and is
  quarantined; the store's campaign lists the template with {COPY} and the
  earlier copies' tokens (campaigns show: distinct_tokens covers every
  copy);
- newsletters: no copy gets tracker.copies or campaign.per-recipient-token,
  and none is quarantined; nor a daily digest whose issues (five articles
  each) reach one reader a day (several values in a copy are compared only
  within one send).
- evasions of a reader of copies.c: a decoy second URL of the same shape,
  a random query key per copy, an id split over two parts that each
  repeat, ids shared by pairs of readers (found from the fifth copy),
  Message-IDs longer than the store keeps (the earlier copies must still
  be given their tokens).

usage: copies_test.py PORTCULLIS   (config: docs/demo.conf + a store)
"""
import json, os, random, string, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "docs", "demo.conf")

ATTACK_TEXT = ("<p>Dear colleague, I am preparing a piece on the procurement inquiry and would value your "
               "view on the committee's findings before it reports on Friday.</p><p>The draft is below; "
               "could we speak this week? Best regards, Hannah</p>")


def shapes(rng):
    """Per shape: a function of the copy's index giving (html, token_url)."""
    def path_numbers(i):
        u = "https://links.brief-mail.example/cl/975_md/31/4/%d/23/2459859" % (71 + i * 13)
        return '<a href="%s">Read the draft</a>' % u, u

    def hex10(i):
        u = "https://brief-mail.example/read?u=%010x" % rng.getrandbits(40)
        return '<a href="%s">Read the draft</a>' % u, u

    def six_digits_text(i):  # a plain-text part (attack() sees "text:")
        u = "https://brief-mail.example/d/%06d" % rng.randrange(100000, 999999)
        return "text:The draft: %s" % u, u

    def mixed22(i):
        tok = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22))
        u = "https://img.brief-mail.example/b/%s/banner.png" % tok
        return '<img src="%s" alt="The inquiry">' % u, u

    def short_id_banner(i):
        u = "https://cdn.neutral-host.example/header.jpg?id=%d" % (77311 + i * 37)
        return '<img src="%s" width="600" height="200" alt="Inquiry">' % u, u

    def fragment(i):
        u = "https://brief-mail.example/draft#%d" % (4000 + i * 11)
        return '<a href="%s">the draft</a>' % u, u

    def host_label(i):
        u = "https://u%d.brief-mail.example/logo.png" % (5000 + i * 7)
        return '<img src="%s" width="200" height="80" alt="Brief">' % u, u

    # evasions of a reader of copies.c
    def decoy_second_value(i):  # a second URL of the same shape, random value
        u = "https://cdn.neutral-host.example/h.jpg?id=%d" % (55000 + i * 41)
        d = "https://cdn.neutral-host.example/h.jpg?id=%d" % rng.randrange(10000, 99999)
        return ('<img src="%s" width="600" height="200" alt="Inquiry"><img src="%s" width="600" height="20" alt="">'
                % (u, d)), u

    def random_key(i):  # a new query key in every copy
        u = "https://cdn.neutral-host.example/h.jpg?id=%d&%s=1" % (61000 + i * 29, "".join(
            rng.choice(string.ascii_lowercase) for _ in range(6)))
        return '<img src="%s" width="600" height="200" alt="Inquiry">' % u, u

    def split_id(i):  # each part repeats, the pair does not
        u = "https://cdn.neutral-host.example/h/%d/%d.jpg" % (i % 3, i // 3)
        return '<img src="%s" width="600" height="200" alt="Inquiry">' % u, u

    def shared_by_pairs(i):  # two readers get each id, to poison "no two share"
        u = "https://cdn.neutral-host.example/p.jpg?id=%d" % (72000 + (i // 2) * 13)
        return '<img src="%s" width="600" height="200" alt="Inquiry">' % u, u

    def long_message_id(i):  # attack() gives these copies a 1,500-byte Message-ID
        u = "https://brief-mail.example/look?u=%010x" % rng.getrandbits(40)
        return '<a href="%s">Read the draft</a>' % u, u

    return {"decoy-second-value": decoy_second_value, "long-message-id": long_message_id, "random-key": random_key, "split-id": split_id,
            "shared-by-pairs": shared_by_pairs,
            "host-label": host_label, "path-numbers": path_numbers, "hex10": hex10, "six-digits-text": six_digits_text,
            "mixed22-unsized": mixed22, "short-id-visible": short_id_banner, "fragment": fragment}


def attack(shape, i, part):
    html, url = part
    # over the store's 1,000-byte cut: the earlier copies must still be
    # found by the token a later copy shows
    mid = shape + ("-" + "x" * 1500 if shape == "long-message-id" else "")
    if html.startswith("text:"):
        ctype = "text/plain"
        body = "%s\n\n%s\n" % (ATTACK_TEXT.replace("<p>", "").replace("</p>", "\n\n"), html[5:])
    else:
        ctype = "text/html"
        body = "<html><body>%s%s</body></html>" % (ATTACK_TEXT, html)
    return ('From: "Hannah Reyes" <hannah.reyes.ledger@gmail.com>\nTo: <m%s-%d@parliament.example>\n'
            "Subject: Interview request: procurement inquiry\nMessage-ID: <%s-%d@mail.example>\n"
            "Date: Mon, 1 Jul 2024 10:%02d:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: %s; charset=utf-8\n\n%s\n" % (shape, i, mid, i, i % 60, ctype, body)), url


def newsletter(issue, i):
    arts = [(issue * 100 + k, "Story %d of issue %d about the budget, housing and energy" % (k, issue))
            for k in range(8)]
    items = "".join('<h2><a href="https://www.gazette-news.example/article/%d?utm_source=nl&amp;utm_campaign=%d">'
                    "%s</a></h2><img src=\"https://cdn.gazette-news.example/img/%d.jpg\" width=\"600\" "
                    "height=\"300\" alt=\"\"><p>%s. Read on for the committee's view.</p>"
                    % (a, issue, t, a, t) for a, t in arts)
    body = ("<html><body><h1>The Gazette</h1>%s<p><a href=\"https://www.gazette-news.example/prefs\">"
            "Preferences</a></p></body></html>" % items)
    return ("Authentication-Results: mx.parliament.example; dmarc=pass header.from=gazette-news.example\n"
            'From: "The Gazette" <news@gazette-news.example>\nTo: <reader%d@parliament.example>\n'
            "Subject: The Gazette, issue %d\nMessage-ID: <g%d-%d@gazette-news.example>\n"
            "Date: Mon, 1 Jul 2024 11:%02d:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: text/html; charset=utf-8\n\n%s\n" % (i, issue, issue, i, i % 60, body))


def digest(day, i):
    """A daily digest: each day's issue to its own reader, five articles each."""
    items = "".join('<li><a href="https://digest-news.example/article.pl?sid=%d">Story %d of day %d on the '
                    "budget and the energy bill</a></li>" % (day * 1000 + k, k, day) for k in range(5))
    body = ("<html><body><h1>Daily headlines</h1><ul>%s</ul><img src=\"https://digest-news.example/logo.png\" "
            "width=\"120\" height=\"40\" alt=\"\"></body></html>" % items)
    return ("Authentication-Results: mx.parliament.example; dmarc=pass header.from=digest-news.example\n"
            'From: "Daily headlines" <digest@digest-news.example>\nTo: <subscriber%d@parliament.example>\n'
            "Subject: Daily headlines\nMessage-ID: <d%d@digest-news.example>\n"
            "Date: %02d Jul 2024 06:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: text/html; charset=utf-8\n\n%s\n" % (i, day, day, body))


def scan(exe, conf, files):
    out = subprocess.run([exe, "scan", "-c", conf, *files], capture_output=True, text=True)
    return [json.loads(l) for l in out.stdout.splitlines()]


def detectors(r):
    return {f.get("detector") for f in r["findings"]}


def campaign_of(r):
    c = r.get("campaign")
    return c.get("id") if isinstance(c, dict) else c


def fresh(work, name):
    d = os.path.join(work, name)
    os.makedirs(d)
    conf = os.path.join(d, "pc.conf")
    open(conf, "w").write(open(DEMO).read() + "\n[history]\ndatabase = %s/store.db\n" % d)
    return d, conf


# the copy from which each shape is found (0-based): the third, but ids
# shared by pairs need three distinct among at most twice as many copies
FROM = {"shared-by-pairs": 4}


def run_attack(exe, work, name, make, n):
    d, conf = fresh(work, "%s-%d" % (name, n))
    files, urls = [], {}
    for i in range(n):
        text, url = attack(name, i, make(i))
        p = os.path.join(d, "%03d.eml" % i)
        open(p, "w").write(text)
        files.append(p)
        urls[p] = url
    reps = scan(exe, conf, files)
    fails = []
    if len(reps) != n:
        return ["%d reports for %d copies" % (len(reps), n)]
    found = 0
    for k, r in enumerate(reps):
        has = any(t["url"] == urls[r["source"]] for t in r.get("trackers", []))
        if k >= FROM.get(name, 2):
            if not has:
                fails.append("copy %d: token URL not a tracker" % (k + 1))
            if "campaign.per-recipient-token" not in detectors(r):
                fails.append("copy %d: no campaign.per-recipient-token" % (k + 1))
            if r["verdict"] != "quarantine":
                fails.append("copy %d: %s" % (k + 1, r["verdict"]))
        found += has
    ids = {campaign_of(r) for r in reps}
    if len(ids) != 1 or None in ids:
        fails.append("copies in campaigns %s" % sorted(map(str, ids)))
    else:
        out = subprocess.run([exe, "campaigns", "show", str(ids.pop()), "-c", conf, "--json"],
                             capture_output=True, text=True)
        show = json.loads(out.stdout) if out.returncode == 0 else {}
        tmpl = [t for t in show.get("templates", []) if "{COPY}" in json.dumps(t)]
        if not tmpl:
            fails.append("the campaign has no {COPY} template")
        ids = len(set(urls.values()))
        if show.get("distinct_tokens", 0) < ids:
            fails.append("distinct_tokens %s for %d distinct ids (earlier copies not given theirs)"
                         % (show.get("distinct_tokens"), ids))
    return fails, found


def run_newsletters(exe, work):
    d, conf = fresh(work, "newsletters")
    files = []
    for i in range(20):
        for issue in (1, 2):
            p = os.path.join(d, "i%d-%02d.eml" % (issue, i))
            open(p, "w").write(newsletter(issue, i))
            files.append(p)
    reps = scan(exe, conf, files)
    fails = []
    for r in reps:
        bad = detectors(r) & {"tracker.copies", "campaign.per-recipient-token"}
        if bad:
            fails.append("%s: %s" % (os.path.basename(r["source"]), ",".join(sorted(bad))))
        if r["verdict"] == "quarantine":
            fails.append("%s quarantined (%s)" % (os.path.basename(r["source"]), r.get("rule")))
    sizes = {}
    for r in reps:
        sizes[campaign_of(r)] = sizes.get(campaign_of(r), 0) + 1
    return fails, len(reps), sizes


def run_digest(exe, work):
    d, conf = fresh(work, "digest")
    files = []
    for day in range(1, 9):
        p = os.path.join(d, "d%d.eml" % day)
        open(p, "w").write(digest(day, day))
        files.append(p)
    reps = scan(exe, conf, files)
    fails = ["%s: %s" % (os.path.basename(r["source"]), ",".join(sorted(detectors(r) & {"tracker.copies",
                                                                                     "campaign.per-recipient-token"})))
             for r in reps if detectors(r) & {"tracker.copies", "campaign.per-recipient-token"}]
    return fails, len(reps), len({campaign_of(r) for r in reps})


def main():
    exe = sys.argv[1]
    work = tempfile.mkdtemp(prefix="pc-copies-")
    rng = random.Random(15)
    failed = 0
    for name, make in shapes(rng).items():
        for n in (max(3, FROM.get(name, 2) + 1), 12) + ((50,) if name in ("path-numbers", "short-id-visible") else ()):
            r = run_attack(exe, work, name, make, n)
            fails, found = r if isinstance(r, tuple) else (r, 0)
            start = FROM.get(name, 2)
            print("%-18s %3d copies: token URL a tracker in %2d (from copy %d on: %d) %s"
                  % (name, n, found, start + 1, max(n - start, 0), "ok" if not fails else "FAIL: " + "; ".join(fails[:4])))
            failed += bool(fails)
    fails, n, sizes = run_newsletters(exe, work)
    print("newsletters        %3d copies, campaigns %s: %s"
          % (n, sorted(sizes.values()), "ok" if not fails else "FAIL: " + "; ".join(fails[:4])))
    failed += bool(fails)
    fails, n, ncamp = run_digest(exe, work)
    print("daily digest       %3d issues a day apart, one reader each, %d campaign(s): %s"
          % (n, ncamp, "ok" if not fails else "FAIL: " + "; ".join(fails[:4])))
    failed += bool(fails)
    print("copies: %d failed" % failed)
    return 1 if failed else 0


sys.exit(main())
