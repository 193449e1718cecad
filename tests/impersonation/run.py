#!/usr/bin/env python3
"""CLI test of the impersonation detectors: scans each .eml here with
portcullis.conf and checks the findings listed in EXPECT (detector, key,
value) are there and those in ABSENT are not.

usage: run.py PORTCULLIS DIR
"""
import json
import os
import subprocess
import sys

EXPECT = {
    "01-name-on-freemail.eml": [("impersonation.display-name", "why", "freemail")],
    "02-homoglyph-domain.eml": [
        ("impersonation.display-name", "person", "John Smith"),
        ("impersonation.lookalike", "transformation", "idn-homoglyph"),
        ("impersonation.lookalike", "transformation", "subdomain-trick"),
        ("impersonation.lookalike", "where", "dkim"),
        ("impersonation.lookalike", "transformation", "confusable-skeleton"),
        ("header.divergence", "header", "reply-to"),
    ],
    "03-legit.eml": [],
    "04-lookalike-from.eml": [
        ("impersonation.display-name", "address", "jane.doe@theguardian-news.com"),
        ("impersonation.lookalike", "transformation", "added-word"),
        ("header.divergence", "why", "replies go to freemail"),
    ],
    "05-name-address.eml": [("impersonation.name-address", "named_domain", "example.com")],
    "06-newsletter-legit.eml": [("header.divergence", "header", "return-path")],
    # issue 15: a name written backwards behind U+202E, shown as "Hannah Reyes"
    "07-bidi-reversed.eml": [
        ("impersonation.display-name", "shown", "Hannah Reyes"),
        ("impersonation.display-name", "bidi_controls", "U+202E at 0"),
        ("impersonation.bidi-name", "shown", "Hannah Reyes"),
    ],
    "08-on-behalf-of.eml": [
        ("impersonation.display-name", "form", "on behalf of"),
        ("impersonation.display-name", "person", "Hannah Reyes"),
    ],
    "09-forms-other-people.eml": [],
}
ABSENT = {
    "03-legit.eml": ["impersonation.", "header."],
    "06-newsletter-legit.eml": ["impersonation."],
    "01-name-on-freemail.eml": ["impersonation.lookalike"],
    "09-forms-other-people.eml": ["impersonation."],
}


def main():
    exe, d = sys.argv[1], sys.argv[2]
    conf = os.path.join(d, "portcullis.conf")
    failed = 0
    for name in sorted(EXPECT):
        out = subprocess.run([exe, "scan", "-q", "--config", conf, os.path.join(d, name)],
                             stdout=subprocess.PIPE, check=True).stdout
        msg = json.loads(out.decode("utf-8").splitlines()[0])
        findings = msg.get("findings", [])
        for det, key, value in EXPECT[name]:
            if not any(f["detector"] == det and (f.get("evidence") or {}).get(key) == value for f in findings):
                print("FAIL %s: no %s with %s=%s" % (name, det, key, value))
                failed += 1
        for prefix in ABSENT.get(name, []):
            for f in findings:
                if f["detector"].startswith(prefix):
                    print("FAIL %s: unexpected %s: %s" % (name, f["detector"], f.get("summary")))
                    failed += 1
    print("impersonation cli: %s" % ("ok" if not failed else "%d failures" % failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
