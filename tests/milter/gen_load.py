#!/usr/bin/env python3
"""Write N varied, ordinary test messages (the milter load set).

usage: gen_load.py OUTDIR N [--seed S]

Deterministic for a given seed. Kinds: plain text notes, plain text with a
quoted reply, HTML newsletters with remote content images (sized, with alt
text, links to the sender's own site), multipart/alternative, newsletters
with inline (cid:) images, and a few messages with base64 attachments (PDF,
PNG, CSV, ICS). Sizes from about 1 kB to 90 kB, all under 100 kB. From
various senders at example.org / example.net, To user@example.test. Nothing
phishing-like: no credential requests, no link text that differs from its
target, no urgency, no executables or archives. Files are OUTDIR/NNNNN.eml
with CRLF line ends.
"""
import argparse, base64, os, quopri, random, struct, sys, textwrap, zlib
from email.header import Header
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

WORDS = ("the a of and to in for on with at from by about as into over after "
         "garden meeting report quarter budget team project schedule library "
         "volunteer season harvest recipe bicycle route weekend concert choir "
         "update draft review notes minutes agenda coffee lunch train station "
         "museum exhibition photos community council park river trail weather "
         "spring autumn winter summer planning committee newsletter member "
         "event workshop class student teacher school bakery market fresh local "
         "tomatoes apples bread cheese music evening morning afternoon thanks "
         "please attached shared document figures numbers chapter book reading "
         "discussion question answer idea proposal version changes comments "
         "office building room floor parking map directions ticket seats").split()

PEOPLE = [("Alice Martin", "alice.martin@example.org"), ("Bruno Keller", "bruno@example.org"),
          ("Chloé Dubois", "chloe.dubois@example.net"), ("Dmitri Ivanov", "d.ivanov@example.net"),
          ("Erin O'Neill", "erin@example.org"), ("Farah Haddad", "farah.haddad@example.net"),
          ("Gustav Lind", "gustav@example.org"), ("Hana Sato", "hana.sato@example.net")]
LISTS = [("Riverside Garden Club", "news@garden.example.org", "https://garden.example.org"),
         ("City Library Events", "events@library.example.net", "https://library.example.net"),
         ("Hill Street Bakery", "hello@bakery.example.org", "https://bakery.example.org"),
         ("Chamber Choir Friends", "friends@choir.example.net", "https://choir.example.net")]
RCPT = "user@example.test"


def sentence(r, lo=6, hi=16):
    w = r.choices(WORDS, k=r.randint(lo, hi))
    return " ".join(w).capitalize() + r.choice(".....?!")


def paragraph(r, n=None):
    return " ".join(sentence(r) for _ in range(n or r.randint(2, 6)))


def text_body(r, size):
    out, n = [], 0
    while n < size:
        out.append(textwrap.fill(paragraph(r), 72))
        n += len(out[-1]) + 2
    return "\n\n".join(out)


def qp(s):
    # quoted-printable, soft line breaks at 76
    return quopri.encodestring(s.encode("utf-8")).decode("ascii")


def text_part(s):
    """(Content-Type and CTE header lines, body) for a text/plain part."""
    if s.isascii():
        return ["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"], s
    return ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], qp(s)


def b64(data):
    return "\n".join(textwrap.wrap(base64.b64encode(data).decode("ascii"), 76))


def png(r, w, h):
    """A real PNG: a colour gradient (compresses like a photo-less graphic)."""
    c0 = [r.randrange(256) for _ in range(3)]
    s = r.randrange(1, 251)  # texture: cheap deterministic noise
    rows = b"".join(b"\0" + bytes(((c0[k] + x * (k + 1) + y * 2 + (x * 31 + y * 17 + k) * s % 23) & 255)
                                  for x in range(w) for k in range(3)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def fit_png(r, budget):
    """A PNG of at most budget bytes (largest square tried first)."""
    w = max(8, int((budget / 1.2) ** 0.5))
    while True:
        data = png(r, w, w * 2 // 3 or 1)
        if len(data) <= budget or w <= 8:
            return data
        w = w * 4 // 5


def pdf(r, size):
    """A small, valid text PDF (uncompressed content stream)."""
    lines, n = [], 0
    while n < size:
        lines.append("BT /F1 11 Tf 72 %d Td (%s) Tj ET\n" % (720 - 14 * (len(lines) % 48), sentence(r)))
        n += len(lines[-1])
    stream = "".join(lines)
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length %d >>\nstream\n%sendstream" % (len(stream), stream),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offs = "%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += "%d 0 obj\n%s\nendobj\n" % (i, o)
    xref = len(out)
    out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += "".join("%010d 00000 n \n" % o for o in offs)
    out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out.encode("latin-1")


def csv_data(r, size):
    rows = ["date,item,quantity,amount"]
    d, n = datetime(2026, 1, 1), 0
    while n < size:
        d += timedelta(days=1)
        rows.append("%s,%s,%d,%.2f" % (d.date(), r.choice(WORDS), r.randint(1, 40), r.uniform(1, 500)))
        n += len(rows[-1]) + 2
    return ("\r\n".join(rows) + "\r\n").encode()


def ics(r, when, who):
    start = when + timedelta(days=r.randint(2, 20), hours=r.randint(0, 6))
    f = "%Y%m%dT%H%M%SZ"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Portcullis load//EN\r\nBEGIN:VEVENT\r\n"
            "UID:%d@example.org\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n"
            "ORGANIZER;CN=%s:mailto:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" % (
                r.randrange(10**9), when.strftime(f), start.strftime(f),
                (start + timedelta(hours=1)).strftime(f), sentence(r, 3, 5), who[0], who[1])).encode()


def html_newsletter(r, name, site, size, cids=()):
    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head>' % name,
             '<body style="font-family:Georgia,serif;max-width:640px;margin:auto">',
             '<h1 style="color:#2a5d3c">%s</h1>' % name]
    if cids:
        parts.append('<img src="cid:%s" alt="%s" width="600" height="120">' % (cids[0], name))
    else:
        parts.append('<img src="%s/img/header.png" alt="%s" width="600" height="120">' % (site, name))
    i = 0
    while sum(map(len, parts)) < size:  # a few dozen parts at most
        i += 1
        slug = "-".join(r.choice(WORDS) for _ in range(3))
        parts.append('<h2>%s</h2>' % sentence(r, 3, 6).rstrip(".?!"))
        if i < len(cids):
            parts.append('<img src="cid:%s" alt="%s" width="300" height="200">' % (cids[i], slug))
        elif r.random() < 0.6:
            parts.append('<img src="%s/photos/%s.jpg" alt="%s" width="300" height="200">' % (site, slug, slug))
        parts.append('<p>%s</p>' % paragraph(r))
        parts.append('<p><a href="%s/articles/%s">%s/articles/%s</a></p>' % (site, slug, site, slug))
    parts.append('<hr><p style="font-size:small">You receive this newsletter as a member. '
                 '<a href="%s/newsletter/settings">Newsletter settings</a></p></body></html>' % site)
    return "\n".join(parts)


def make(r, n, when):
    kind = r.choices(["plain", "reply", "newsletter", "alternative", "inline", "attachment"],
                     weights=[22, 14, 20, 22, 10, 12])[0]
    target = int(1000 * (85 ** r.random()))  # log-uniform, 1 kB .. ~85 kB before framing
    if kind in ("newsletter", "alternative", "inline"):
        name, frm, site = r.choice(LISTS)
    else:
        name, frm = r.choice(PEOPLE)
        site = None
    h = ["From: %s <%s>" % (('"%s"' % name) if "'" in name else name, frm), "To: %s" % RCPT,
         "Subject: %s" % sentence(r, 3, 8).rstrip(".?!"), "Date: %s" % format_datetime(when),
         "Message-ID: <load.%d.%d@%s>" % (n, r.randrange(10**8), frm.split("@")[1]), "MIME-Version: 1.0"]
    if site:
        h.append("List-Unsubscribe: <%s/newsletter/settings>" % site)
    body = []
    bnd = "=_b%08x" % r.randrange(1 << 32)
    if kind == "plain":
        t = text_body(r, target)
        t += ("\n\nMerci et à bientôt,\n" if r.random() < 0.3 else "\n\n-- \n") + name
        ph, pb = text_part(t)
        h += ph
        body.append(pb)
    elif kind == "reply":
        p = r.choice(PEOPLE)
        h[2] = "Subject: Re: %s" % sentence(r, 3, 6).rstrip(".?!")
        h.append("In-Reply-To: <prev.%d@%s>" % (n, p[1].split("@")[1]))
        quoted = "\n".join("> " + ln for ln in text_body(r, target // 2).splitlines())
        ph, pb = text_part("%s\n\nOn %s, %s wrote:\n%s" % (
            text_body(r, target // 2), format_datetime(when - timedelta(days=1)), p[0], quoted))
        h += ph
        body.append(pb)
    elif kind == "newsletter":
        h += ["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
        body.append(qp(html_newsletter(r, name, site, target)))
    elif kind == "alternative":
        html = html_newsletter(r, name, site, target * 2 // 3)
        h.append('Content-Type: multipart/alternative; boundary="%s"' % bnd)
        body += ["This is a multi-part message in MIME format.", "--" + bnd,
                 "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
                 qp(text_body(r, len(html) // 3)), "--" + bnd,
                 "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
                 qp(html), "--%s--" % bnd]
    elif kind == "inline":
        k = r.randint(1, 3)
        imgs = [fit_png(r, max(300, target // (2 * k))) for _ in range(k)]
        cids = ["img%d.%d@%s" % (i, n, frm.split("@")[1]) for i in range(len(imgs))]
        html = html_newsletter(r, name, site, max(800, target - sum(len(x) * 4 // 3 for x in imgs)), cids)
        h.append('Content-Type: multipart/related; boundary="%s"; type="text/html"' % bnd)
        body += ["--" + bnd, "Content-Type: text/html; charset=utf-8",
                 "Content-Transfer-Encoding: quoted-printable", "", qp(html)]
        for i, (img, cid) in enumerate(zip(imgs, cids)):
            body += ["--" + bnd, 'Content-Type: image/png; name="image%d.png"' % i,
                     "Content-Transfer-Encoding: base64", "Content-ID: <%s>" % cid,
                     'Content-Disposition: inline; filename="image%d.png"' % i, "", b64(img)]
        body.append("--%s--" % bnd)
    else:  # attachment
        note = text_body(r, r.randint(300, 1500))
        room = max(500, (target - len(note) - 600) * 3 // 4)
        sort = r.choice(["pdf", "png", "csv", "ics"])
        if sort == "pdf":
            data, ctype, fname = pdf(r, room), "application/pdf", "minutes-%d.pdf" % n
        elif sort == "png":
            data, ctype, fname = fit_png(r, room), "image/png", "photo-%d.png" % n
        elif sort == "csv":
            data, ctype, fname = csv_data(r, room), "text/csv", "figures-%d.csv" % n
        else:
            data, ctype, fname = ics(r, when, (name, frm)), "text/calendar", "invite.ics"
        ph, pb = text_part(note + "\n\nThe file is attached.\n\n" + name)
        h.append('Content-Type: multipart/mixed; boundary="%s"' % bnd)
        body += ["This is a multi-part message in MIME format.", "--" + bnd] + ph + ["", pb, "--" + bnd,
                 'Content-Type: %s; name="%s"' % (ctype, fname), "Content-Transfer-Encoding: base64",
                 'Content-Disposition: attachment; filename="%s"' % fname, "", b64(data), "--%s--" % bnd]
    text = "\n".join(h) + "\n\n" + "\n".join(body) + "\n"
    # header values are ASCII except display names: encode those (RFC 2047)
    lines = text.split("\n")
    for i, ln in enumerate(lines):
        if not ln:
            break
        if ln.startswith("From: ") and any(ord(c) > 127 for c in ln):
            dn, addr = ln[6:].rsplit(" <", 1)
            lines[i] = "From: %s <%s" % (Header(dn, "utf-8").encode(), addr)
    return "\r\n".join(lines).encode("ascii")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    r = random.Random(a.seed)
    when = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    for n in range(a.n):
        when += timedelta(minutes=r.randint(1, 90))
        data = make(r, n, when)
        if len(data) >= 100_000:
            sys.exit("message %d is %d bytes" % (n, len(data)))
        with open(os.path.join(a.outdir, "%05d.eml" % n), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
