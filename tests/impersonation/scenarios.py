#!/usr/bin/env python3
"""Impersonation scenarios, generated and scored end to end.

usage: scenarios.py PORTCULLIS DKIMSIGN [--n N] [--seed S] [--keep DIR] [--markdown]

Builds the world of world.py: outlets with SPF, DKIM (keys made by
opendkim-genkey for this run) and DMARC records, a mass-mail service, a
freemail provider, an attacker with lookalike and IDN-homoglyph domains of
the outlets (that publish their own SPF/DKIM/DMARC, as real ones do), and
self-hosted trackers with per-recipient tokens. It serves the records from
a loopback dnsmasq (tests/lib/dnstest.py), writes N messages per scenario, DKIM-signs them with
the test tool dkimsign (tests/auth, libopendkim), scans each with the SMTP client IP
and MAIL FROM the scenario gives, and compares the verdict with the one a
mail administrator expects:

  quarantine  impersonation of a protected journalist or outlet + tracker
  neutralise  a real newsletter with ordinary ESP tracking, DMARC aligned
  accept      a real journalist or colleague writing from the real domain

Exit 0 when >= 99% of impersonation+tracker messages are quarantined and
no legitimate one is; 1 otherwise; 77 (skip) without dnsmasq or
opendkim-genkey. Prints the per-scenario table (--markdown for the
README).
"""
import argparse
import base64
import collections
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib")]
import dnstest  # noqa: E402
import world  # noqa: E402

SUFFIXES = ["com", "co", "news", "net", "org", "co.uk", "info", "press"]
WORDS = ["-news", "news-", "-mail", "mail-", "-press", "press-", "-online", "-uk", "secure-", "-media"]
CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
ASCII_SWAPS = [("m", "rn"), ("rn", "m"), ("w", "vv"), ("l", "1"), ("o", "0"), ("i", "l")]


def split_domain(d):
    for suf in ("co.uk", "com.hk", "co", "com", "news", "de", "fr", "net", "org"):
        if d.endswith("." + suf):
            return d[: -len(suf) - 1], suf
    label, _, suf = d.partition(".")
    return label, suf


KINDS = ["edit", "added-word", "tld-swap", "hyphen", "ascii-swap", "subdomain"]


def lookalike(rng, domain, kind=None):
    """A lookalike of `domain` and the transformation that made it."""
    label, suf = split_domain(domain)
    kind = kind or rng.choice(KINDS)
    if kind == "edit":
        i = rng.randrange(1, len(label) - 1)
        op = rng.choice(["swap", "drop", "double", "replace"])
        if op == "swap" and label[i] != label[i + 1] and label[i] != "-" and label[i + 1] != "-":
            new = label[:i] + label[i + 1] + label[i] + label[i + 2:]
        elif op == "drop" and label[i] != "-":
            new = label[:i] + label[i + 1:]
        elif op == "double" and label[i] != "-":
            new = label[:i] + label[i] + label[i:]
        else:
            c = rng.choice("aeiou") if label[i] not in "aeiou" else rng.choice("aeiou".replace(label[i], ""))
            new = label[:i] + c + label[i + 1:]
        return new + "." + suf, "edit"
    if kind == "added-word":
        w = rng.choice(WORDS)
        new = w + label if w.endswith("-") else label + w
        if w == "-uk" and suf == "co.uk":
            suf = "com"
        return new + "." + suf, "added-word"
    if kind == "tld-swap":
        return label + "." + rng.choice([s for s in SUFFIXES if s != suf]), "tld-swap"
    if kind == "hyphen":
        if "-" in label:
            return label.replace("-", "", 1) + "." + suf, "hyphen"
        i = rng.randrange(3, len(label) - 2)
        return label[:i] + "-" + label[i:] + "." + suf, "hyphen"
    if kind == "ascii-swap":
        for a, b in rng.sample(ASCII_SWAPS, len(ASCII_SWAPS)):
            if a in label:
                return label.replace(a, b, 1) + "." + suf, "ascii-swap"
        return label + "s." + suf, "edit"
    return domain + "." + rng.choice(["secure-mailer.net", "mx-relay.com", "mailcloud.info"]), "subdomain"


def idn_lookalike(rng, domain):
    label, suf = split_domain(domain)
    spots = [i for i, c in enumerate(label) if c in CYRILLIC]
    i = rng.choice(spots)
    u = label[:i] + CYRILLIC[label[i]] + label[i + 1:]
    return u.encode("idna").decode() + "." + suf, "idn-homoglyph"


def token_for(rng, rcpt):
    kind = rng.choice(["md5", "sha1", "sha256", "b64", "hex", "urlenc", "plain", "random"])
    if kind == "md5":
        return hashlib.md5(rcpt.encode()).hexdigest()
    if kind == "sha1":
        return hashlib.sha1(rcpt.encode()).hexdigest()
    if kind == "sha256":
        return hashlib.sha256(rcpt.encode()).hexdigest()
    if kind == "b64":
        return base64.urlsafe_b64encode(rcpt.encode()).decode().rstrip("=")
    if kind == "hex":
        return rcpt.encode().hex()
    if kind == "urlenc":
        return urllib.parse.quote(rcpt, safe="")
    if kind == "plain":
        return rcpt
    return "%032x" % rng.getrandbits(128)


def tracker_html(rng, rcpt):
    host = rng.choice(world.TRACKER_HOSTS)
    tok = token_for(rng, rcpt)
    form = rng.choice(["pixel", "hidden", "zero", "css", "link", "pixel-query"])
    if form == "pixel":
        return '<img src="https://%s/i/%s.gif" width="1" height="1" alt="">' % (host, tok)
    if form == "pixel-query":
        return '<img src="https://%s/open?id=%s&c=%d" style="width:1px;height:1px;border:0">' % (
            host, tok, rng.randrange(10**6))
    if form == "hidden":
        return '<img src="https://%s/media/%s/banner.png" style="display:none">' % (host, tok)
    if form == "zero":
        return '<img src="https://%s/p/%s" width="0" height="0">' % (host, tok)
    if form == "css":
        return '<div style="background-image:url(https://%s/bg/%s.png);width:1px;height:1px"></div>' % (host, tok)
    return ('<p>The full questions are <a href="https://%s/r/%s?to=%s">here</a>.</p>'
            % (host, "%024x" % rng.getrandbits(96), tok))


PRESS_BODIES = [
    "I am working on a piece about {topic} and would value your perspective. Would you be available "
    "for a short call this week, or could you send a brief comment by Thursday?",
    "Following your remarks in the chamber on {topic}, our readers have asked a number of questions. "
    "I have put three of them together below; a few lines in reply would be enough.",
    "We are preparing an investigation into {topic}. Before publication we would like to give you the "
    "opportunity to respond to the points raised.",
]
TOPICS = ["supply-chain security", "foreign influence in universities", "the new data protection bill",
          "export controls on dual-use technology", "hospital waiting lists", "energy subsidies"]


def html_doc(inner):
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font-family:Arial\">"
            + inner + "</body></html>")


def mime_message(hdrs, text, html):
    b = "=_b%08x" % random.getrandbits(32)
    head = "".join("%s: %s\r\n" % (k, v) for k, v in hdrs)
    return (head + "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n" % b
            + "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
            % (b, text) + "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "%s\r\n--%s--\r\n" % (b, html, b)).encode()


HOMOGLYPH_NAME = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "i": "і"}


def name_variant(rng, names, outlet):
    """How an attacker writes a journalist's name."""
    n = rng.choice(names)
    v = rng.choice(["plain", "plain", "outlet", "upper", "reversed", "homoglyph", "initial"])
    if v == "outlet":
        return "%s | %s" % (n, outlet["name"])
    if v == "upper":
        return n.upper()
    if v == "reversed" and "," not in n and " " in n:
        first, last = n.split(" ", 1)
        return "%s, %s" % (last, first)
    if v == "homoglyph":
        spots = [i for i, c in enumerate(n) if c in HOMOGLYPH_NAME]
        if spots:
            i = rng.choice(spots)
            return n[:i] + HOMOGLYPH_NAME[n[i]] + n[i + 1:]
    if v == "initial" and " " in n and "," not in n:
        first, last = n.split(" ", 1)
        return "%s. %s" % (first[0], last)
    return n


def q(name):
    """A display name as a header phrase (RFC 2047 when not ASCII)."""
    if all(ord(c) < 128 for c in name):
        return '"%s"' % name.replace('"', '')
    return "=?UTF-8?B?%s?=" % base64.b64encode(name.encode()).decode()


class Gen:
    def __init__(self, rng, tmp, sign_tool):
        self.rng, self.tmp, self.sign_tool = rng, tmp, sign_tool
        self.txt = collections.defaultdict(list)
        self.a = {}
        self.zones = set()
        self.keys = {}
        self.n = 0

    def zone(self, domain):
        self.zones.add(domain)

    def dkim_key(self, domain, selector, bits=1024):
        if (domain, selector) in self.keys:
            return self.keys[(domain, selector)]
        key, rec = dnstest.genkey(os.path.join(self.tmp, "keys"), domain, selector, bits)
        self.txt["%s._domainkey.%s" % (selector, domain)].append(rec)
        self.keys[(domain, selector)] = key
        return key

    def publish(self, domain, spf=None, dmarc=None):
        self.zone(domain)
        if spf:
            self.txt[domain].append(spf)
        if dmarc:
            self.txt["_dmarc." + domain].append("v=DMARC1; p=%s; rua=mailto:dmarc@%s" % (dmarc, domain))

    def sign(self, raw, domain, selector):
        key = self.dkim_key(domain, selector)
        r = subprocess.run([self.sign_tool, key, selector, domain], input=raw, capture_output=True, check=True)
        return r.stdout

    def msgid(self, domain):
        self.n += 1
        return "<%d.%x@%s>" % (self.n, self.rng.getrandbits(48), domain)


def build(gen, n):
    rng = gen.rng
    out = []  # (scenario, expected, raw, envelope)
    # the real world
    gen.publish(world.ORG, "v=spf1 ip4:%s -all" % world.ORG_IP, "reject")
    gen.dkim_key(world.ORG, "mail")
    for o in world.OUTLETS:
        gen.publish(o["domain"], "v=spf1 ip4:%s include:%s -all" % (o["ip"], world.ESP["domain"]), o["dmarc"])
        gen.dkim_key(o["domain"], "news2026", 2048)  # 2048 bits: a TXT record of several strings
    esp = world.ESP
    gen.publish(esp["domain"], "v=spf1 ip4:%s -all" % esp["net"], "none")
    gen.publish(esp["bounce"], "v=spf1 ip4:%s -all" % esp["net"])
    gen.dkim_key(esp["domain"], "sw1")
    fm = world.FREEMAIL
    gen.publish(fm["domain"], "v=spf1 ip4:209.85.128.0/17 ~all", "none")
    gen.dkim_key(fm["domain"], "20230601")
    for h in world.TRACKER_HOSTS:
        gen.zone(h)

    def person():
        o = rng.choice(world.OUTLETS)
        names, local = rng.choice(o["people"])
        return o, names, local

    def mp():
        return rng.choice(world.MPS) + "@" + world.ORG

    def press_parts(name, outlet, rcpt, tracker, logo=False):
        topic = rng.choice(TOPICS)
        body = rng.choice(PRESS_BODIES).format(topic=topic)
        first = rcpt.split("@")[0].split(".")[0].capitalize()
        text = "Dear %s,\r\n\r\n%s\r\n\r\nBest regards,\r\n%s\r\n%s\r\n" % (first, body, name, outlet["name"])
        inner = "<p>Dear %s,</p><p>%s</p><p>Best regards,<br>%s<br>%s</p>" % (first, body, name, outlet["name"])
        if logo:
            inner += ('<p><img src="https://www.%s/static/img/logo-email.png" width="180" height="48" alt="%s"></p>'
                      % (outlet["domain"], outlet["name"]))
            inner += '<p><a href="https://www.%s/politics">Read our politics coverage</a></p>' % outlet["domain"]
        if tracker:
            inner += tracker_html(rng, rcpt)
            if rng.random() < 0.4:
                inner += tracker_html(rng, rcpt)
        return text, html_doc(inner), "Request for comment: " + topic

    def attack(scenario, from_domain, display, local, outlet, envelope, sign_as=None, reply_to=None,
               return_path=None):
        rcpt = mp()
        text, html, subj = press_parts(display, outlet, rcpt, tracker=True)
        hdrs = [("From", "%s <%s@%s>" % (q(display), local, from_domain)), ("To", rcpt), ("Subject", subj),
                ("Date", "Thu, 26 Nov 2026 09:%02d:00 +0000" % rng.randrange(60)),
                ("Message-ID", gen.msgid(from_domain))]
        if reply_to:
            hdrs.append(("Reply-To", reply_to))
        if return_path:
            hdrs.insert(0, ("Return-Path", "<%s>" % return_path))
        raw = mime_message(hdrs, text, html)
        if sign_as:
            raw = gen.sign(raw, *sign_as)
        envelope = dict(envelope, rcpt=rcpt)
        return (scenario, "quarantine", raw, envelope)

    for i in range(n):
        # journalist's name on a lookalike of the outlet, attacker's own SPF/DKIM/DMARC pass
        o, names, local = person()
        dom, how = lookalike(rng, o["domain"], KINDS[i % len(KINDS)])
        gen.publish(dom, "v=spf1 ip4:%s -all" % world.ATTACKER_IP, "none")
        out.append(attack("lookalike domain (" + how + ")", dom, name_variant(rng, names, o), local, o,
                          {"ip": world.ATTACKER_IP, "mail_from": "%s@%s" % (local, dom)},
                          sign_as=(dom, "s1")))
        # the outlet's name only (no journalist) on a lookalike: the domain alone must tell
        o = rng.choice(world.OUTLETS)
        dom, how = lookalike(rng, o["domain"], KINDS[(i + 3) % len(KINDS)])
        gen.publish(dom, "v=spf1 ip4:%s -all" % world.ATTACKER_IP, "none")
        box = rng.choice(["newsdesk", "press", "editor", "politics"])
        out.append(attack("outlet name on lookalike, no person", dom, rng.choice([o["name"], o["name"] + " Newsdesk",
                                                                                 "Press Office"]), box, o,
                          {"ip": world.ATTACKER_IP, "mail_from": "%s@%s" % (box, dom)}, sign_as=(dom, "s1")))
        # IDN homoglyph of the outlet
        o, names, local = person()
        dom, how = idn_lookalike(rng, o["domain"])
        gen.publish(dom, "v=spf1 ip4:%s -all" % world.ATTACKER_IP, "none")
        out.append(attack("IDN homoglyph domain", dom, name_variant(rng, names, o), local, o,
                          {"ip": world.ATTACKER_IP, "mail_from": "%s@%s" % (local, dom)}, sign_as=(dom, "s1")))
        # freemail account in the journalist's name, Reply-To on a lookalike
        o, names, local = person()
        dom, _ = lookalike(rng, o["domain"])
        gen.zone(dom)
        fl = local.replace(".", "") + str(rng.randrange(10, 99))
        out.append(attack("freemail + Reply-To lookalike", fm["domain"], name_variant(rng, names, o), fl, o,
                          {"ip": fm["ip"], "mail_from": "%s@%s" % (fl, fm["domain"])},
                          sign_as=(fm["domain"], "20230601"), reply_to="%s@%s" % (local, dom)))
        # mass-mail service: DKIM and SPF pass for the service's domain, From on a lookalike
        o, names, local = person()
        dom, _ = lookalike(rng, o["domain"])
        gen.zone(dom)
        bounce = "b-%x@%s" % (rng.getrandbits(40), esp["bounce"])
        out.append(attack("mass-mail service, From lookalike", dom, name_variant(rng, names, o), local, o,
                          {"ip": esp["ip"], "mail_from": bounce}, sign_as=(esp["domain"], "sw1"),
                          return_path=bounce))
        # mass-mail service's own shared domain with the journalist's name
        o, names, local = person()
        bounce = "b-%x@%s" % (rng.getrandbits(40), esp["bounce"])
        out.append(attack("mass-mail service, shared domain", esp["domain"], name_variant(rng, names, o),
                          "newsroom-%x" % rng.getrandbits(20), o, {"ip": esp["ip"], "mail_from": bounce},
                          sign_as=(esp["domain"], "sw1"), return_path=bounce))
        # the real outlet's address, forged: SPF fails, no outlet signature, DMARC fails
        o, names, local = person()
        out.append(attack("exact outlet address, forged", o["domain"], name_variant(rng, names, o), local, o,
                          {"ip": world.ATTACKER_IP, "mail_from": "%s@%s" % (local, o["domain"])}))

        # legitimate: the outlet's newsletter through the mass-mail service, DKIM d=outlet
        o = rng.choice(world.OUTLETS)
        rcpt = mp()
        tok = "%032x" % rng.getrandbits(128)
        items = "".join('<h2><a href="https://%s/c/%s/%d?u=%s">%s</a></h2><p>%s</p>' % (
            esp["click"], tok, i, urllib.parse.quote("https://www.%s/%s" % (o["domain"], t.replace(" ", "-")),
                                                     safe=""), t.capitalize(), "Our reporters on " + t + ".")
            for i, t in enumerate(rng.sample(TOPICS, 3)))
        html = html_doc('<img src="https://www.%s/static/masthead.png" width="600" height="90" alt="%s">%s'
                        '<p><a href="https://%s/unsubscribe/%s">Unsubscribe</a></p>'
                        '<img src="https://%s/o/%s.gif" width="1" height="1" alt="">'
                        % (o["domain"], o["name"], items, esp["click"], tok, esp["open"], tok))
        bounce = "nl-%x@%s" % (rng.getrandbits(40), esp["bounce"])
        hdrs = [("Return-Path", "<%s>" % bounce), ("From", "%s <newsletter@%s>" % (q(o["name"]), o["domain"])),
                ("To", rcpt), ("Subject", "%s: your morning briefing" % o["name"]),
                ("Date", "Thu, 26 Nov 2026 06:00:00 +0000"), ("Message-ID", gen.msgid(esp["domain"])),
                ("List-Unsubscribe", "<https://%s/unsubscribe/%s>" % (esp["click"], tok))]
        raw = mime_message(hdrs, "Your morning briefing from %s." % o["name"], html)
        raw = gen.sign(gen.sign(raw, o["domain"], "news2026"), esp["domain"], "sw1")
        out.append(("legitimate newsletter via ESP", "neutralise", raw,
                    {"ip": esp["ip"], "mail_from": bounce, "rcpt": rcpt}))

        # legitimate: a journalist writes from the outlet's own servers
        o, names, local = person()
        rcpt = mp()
        text, html, subj = press_parts(names[0], o, rcpt, tracker=False, logo=rng.random() < 0.5)
        hdrs = [("From", "%s <%s@%s>" % (q(names[0]), local, o["domain"])), ("To", rcpt), ("Subject", subj),
                ("Date", "Thu, 26 Nov 2026 10:00:00 +0000"), ("Message-ID", gen.msgid(o["domain"]))]
        raw = gen.sign(mime_message(hdrs, text, html), o["domain"], "news2026")
        out.append(("legitimate press enquiry", "accept", raw,
                    {"ip": o["ip"], "mail_from": "%s@%s" % (local, o["domain"]), "rcpt": rcpt}))

        # legitimate: the same journalist's enquiry sent through the mass-mail service, signed by both
        o, names, local = person()
        rcpt = mp()
        text, html, subj = press_parts(names[0], o, rcpt, tracker=False)
        bounce = "b-%x@%s" % (rng.getrandbits(40), esp["bounce"])
        hdrs = [("Return-Path", "<%s>" % bounce), ("From", "%s <%s@%s>" % (q(names[0]), local, o["domain"])),
                ("To", rcpt), ("Subject", subj), ("Date", "Thu, 26 Nov 2026 11:00:00 +0000"),
                ("Message-ID", gen.msgid(o["domain"]))]
        raw = gen.sign(gen.sign(mime_message(hdrs, text, html), o["domain"], "news2026"), esp["domain"], "sw1")
        out.append(("legitimate press enquiry via ESP", "accept", raw,
                    {"ip": esp["ip"], "mail_from": bounce, "rcpt": rcpt}))

        # legitimate: a journalist's own newsletter through the mass-mail service, ESP tracking, DKIM d=outlet
        o, names, local = person()
        rcpt = mp()
        tok = "%032x" % rng.getrandbits(128)
        html = html_doc('<p>%s</p><p><a href="https://%s/c/%s/1?u=%s">Read this week\'s column</a></p>'
                        '<img src="https://%s/o/%s.gif" width="1" height="1" alt="">'
                        % (rng.choice(PRESS_BODIES).format(topic=rng.choice(TOPICS)), esp["click"], tok,
                           urllib.parse.quote("https://www.%s/columns/%s" % (o["domain"], local), safe=""),
                           esp["open"], tok))
        bounce = "nl-%x@%s" % (rng.getrandbits(40), esp["bounce"])
        hdrs = [("Return-Path", "<%s>" % bounce), ("From", "%s <%s@%s>" % (q(names[0]), local, o["domain"])),
                ("To", rcpt), ("Subject", "This week's column"), ("Date", "Thu, 26 Nov 2026 07:00:00 +0000"),
                ("Message-ID", gen.msgid(esp["domain"]))]
        raw = gen.sign(gen.sign(mime_message(hdrs, "This week's column.", html), o["domain"], "news2026"),
                       esp["domain"], "sw1")
        out.append(("journalist's own newsletter via ESP", "neutralise", raw,
                    {"ip": esp["ip"], "mail_from": bounce, "rcpt": rcpt}))

        # legitimate: someone else whose name resembles a journalist's, from their own company
        o, names, local = person()
        first, _, last = names[0].partition(" ")
        other = rng.choice(["%s %sson" % (first, last), "%s %s-Smith" % (first, last),
                            "%s %s" % (rng.choice(["Mary", "Peter", "Ahmed", "Yuki"]), last)])
        rcpt = mp()
        text, html, subj = press_parts(other, {"name": "Harbour Logistics Ltd"}, rcpt, tracker=False)
        hdrs = [("From", "%s <info@harbour-logistics.co.uk>" % q(other)), ("To", rcpt), ("Subject", "Site visit"),
                ("Date", "Thu, 26 Nov 2026 13:00:00 +0000"), ("Message-ID", gen.msgid("harbour-logistics.co.uk"))]
        gen.publish("harbour-logistics.co.uk", "v=spf1 ip4:192.0.2.77 -all", "none")
        raw = gen.sign(mime_message(hdrs, text, html), "harbour-logistics.co.uk", "k1")
        out.append(("another person, similar name", "accept", raw,
                    {"ip": "192.0.2.77", "mail_from": "info@harbour-logistics.co.uk", "rcpt": rcpt}))

        # legitimate: a colleague inside the organisation
        a, b = rng.sample(world.MPS, 2)
        hdrs = [("From", "%s <%s@%s>" % (q(a.replace(".", " ").title()), a, world.ORG)),
                ("To", "%s@%s" % (b, world.ORG)), ("Subject", "Committee papers"),
                ("Date", "Thu, 26 Nov 2026 12:00:00 +0000"), ("Message-ID", gen.msgid(world.ORG))]
        raw = gen.sign(mime_message(hdrs, "Papers for Tuesday attached in the shared folder.",
                                    html_doc("<p>Papers for Tuesday are in the shared folder.</p>")),
                       world.ORG, "mail")
        out.append(("legitimate colleague", "accept", raw,
                    {"ip": world.ORG_IP, "mail_from": "%s@%s" % (a, world.ORG), "rcpt": "%s@%s" % (b, world.ORG)}))
    return out


def config_text():
    lines = ["[organisation]", "domains = " + world.ORG, "", "[protected]",
             "domains = " + ", ".join(o["domain"] for o in world.OUTLETS), ""]
    for o in world.OUTLETS:
        for names, local in o["people"]:
            lines.append("[person]")
            for nm in names:
                lines.append("name = " + nm)
            lines.append("addresses = %s@%s" % (local, o["domain"]))
            lines.append("domains = " + o["domain"])
            lines.append("")
    lines += ["[auth]", "authserv_id = mx.%s" % world.ORG, "", "[dns]", "timeout = 2", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portcullis")
    ap.add_argument("dkim_sign")
    ap.add_argument("--n", type=int, default=25, help="messages per scenario")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--keep", help="write the messages and config into this directory")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--target", type=float, default=99.0,
                    help="%% of impersonation+tracker to quarantine (0: only check that every scan worked,"
                         " as the sanitizer build does)")
    args = ap.parse_args()
    if not dnstest.available():
        print("SKIP: dnsmasq or opendkim-genkey not installed (apt-get install dnsmasq-base opendkim-tools)")
        return 77
    tmp = tempfile.mkdtemp(prefix="pc-scen-")
    rng = random.Random(args.seed)
    random.seed(args.seed)
    gen = Gen(rng, tmp, args.dkim_sign)
    msgs = build(gen, args.n)
    conf = os.path.join(tmp, "portcullis.conf")
    with open(conf, "w") as f:
        f.write(config_text())
    server = dnstest.DNS(gen.zones, gen.txt, gen.a)
    results = collections.defaultdict(collections.Counter)
    failures = []
    try:
        for i, (scen, want, raw, env) in enumerate(msgs):
            path = os.path.join(tmp, "%04d.eml" % i)
            with open(path, "wb") as f:
                f.write(raw)
            cmd = [args.portcullis, "scan", "-q", "--config", conf, "--set", "dns.servers=127.0.0.1:%d" % server.port,
                   "--client-ip", env["ip"], "--mail-from", env["mail_from"], "--rcpt", env["rcpt"], path]
            r = subprocess.run(cmd, capture_output=True, timeout=60)
            if r.returncode != 0 or not r.stdout.strip():
                results[scen]["error"] += 1
                failures.append((scen, want, "error", path, r.stderr.decode(errors="replace")[-300:]))
                continue
            j = json.loads(r.stdout.splitlines()[0])
            got = j["verdict"]
            results[scen][got] += 1
            results[scen]["_want_" + want] += 1
            if got != want:
                failures.append((scen, want, got, path, "rule %s; %s" % (j.get("rule"), ", ".join(
                    "%s(%g)" % (x["detector"], x["score"]) for x in j["findings"][:8]))))
    finally:
        server.stop()
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        shutil.copytree(tmp, args.keep)
    shutil.rmtree(tmp, ignore_errors=True)

    order = list(dict.fromkeys(s for s, _, _, _ in msgs))
    hdr = "| scenario | expected | messages | quarantine | neutralise | accept | as expected |"
    print(hdr if args.markdown else "%-38s %-10s %5s %5s %5s %5s %7s" % (
        "scenario", "expected", "n", "quar", "neut", "acc", "ok"))
    if args.markdown:
        print("|---|---|---:|---:|---:|---:|---:|")
    tot = collections.Counter()
    for s in order:
        c = results[s]
        want = [k[6:] for k in c if k.startswith("_want_")][0] if any(k.startswith("_want_") for k in c) else "?"
        n = sum(v for k, v in c.items() if not k.startswith("_"))
        ok = c[want]
        kind = "attack" if want == "quarantine" else "legit"
        tot[kind + "_n"] += n
        tot[kind + "_ok"] += ok
        row = (s, want, n, c["quarantine"], c["neutralise"], c["accept"], "%d/%d" % (ok, n))
        print(("| %s | %s | %d | %d | %d | %d | %s |" if args.markdown else "%-38s %-10s %5d %5d %5d %5d %7s") % row)
    for scen, want, got, path, why in failures[:20]:
        print("MISS %s: want %s got %s (%s) %s" % (scen, want, got, os.path.basename(path), why), file=sys.stderr)
    rate = 100.0 * tot["attack_ok"] / max(1, tot["attack_n"])
    print("impersonation+tracker quarantined: %d/%d (%.1f%%); legitimate as expected: %d/%d" % (
        tot["attack_ok"], tot["attack_n"], rate, tot["legit_ok"], tot["legit_n"]))
    errors = sum(c["error"] for c in results.values())
    if errors:
        print("%d scans failed" % errors)
        return 1
    if args.target <= 0:
        return 0
    return 0 if rate >= args.target and tot["legit_ok"] == tot["legit_n"] else 1


if __name__ == "__main__":
    sys.exit(main())
