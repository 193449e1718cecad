"""Hostile mail for the console (tests/web/hostile_test.py): every string a
sender controls carries markup, script, event handlers, javascript: URLs,
SVG with script, CSS that tries to break out, control characters, bidi
overrides, zero-width characters, invalid UTF-8 (raw bytes and bad RFC
2047) and 10,000-character strings.

Every payload that could run tries to leave a trace the browser test looks
for: window.__pwned set, document.title changed to contain PWNED, or a
request to the sentinel host (sentinel.invalid). Every message names
evil-ledger.example (the indicator that puts them in the quarantine).

campaign(now): 6 copies of one lure (impersonating a protected journalist,
a hidden per-recipient pixel) to 6 people, so they cluster into one
campaign; singles(now): 5 messages, each a kind of damage of its own.
Both return [(file name, bytes)]; file names are hostile too (they become
the "source" the console shows).
"""
import base64
import email.utils
import urllib.parse

SENTINEL = "http://sentinel.invalid"
JS = "window.__pwned=1;document.title='PWNED';fetch('%s/js')" % SENTINEL
SCRIPT = "<script>%s</script>" % JS
IMG = "<img src=x onerror=\"%s\">" % JS
ATTR = "\" onmouseover=\"%s\" x=\"" % JS
ATTR1 = "' onfocus='%s' autofocus x='" % JS
JSURL = "javascript:%s//" % JS
SVG = "<svg onload=\"%s\"><script>%s</script></svg>" % (JS, JS)
CSS = "</style><style>*{position:fixed!important;background:url(%s/css)}</style>" % SENTINEL
STYLE = "\" style=\"position:fixed;top:0;left:0;width:5000px;height:5000px;background:url(%s/style)\" x=\"" % SENTINEL
BIDI = "\u202egpj.exe\u202c"
ZW = "zero\u200bwidth\u200c\u200d\u2060\ufeffjoin"
CTRL = "bell\u0007esc\u001b[2Jnul-ish\u0001del\u007f"
ALL = " ".join([SCRIPT, IMG, ATTR, ATTR1, JSURL, SVG, CSS, STYLE, BIDI, ZW])

RCPT = ["j.novak", "a.okafor", "m.brennan", "s.haddad", "e.fairbanks", "r.castillo"]
ORG = "parliament.example"
MX = "mx." + ORG


def q_encode(s):
    """an RFC 2047 encoded word (UTF-8, base64)"""
    return "=?UTF-8?B?%s?=" % base64.b64encode(s.encode("utf-8")).decode()


def q_words(s, n=40):
    """a long text as several encoded words, folded"""
    b = s.encode("utf-8")
    out, i = [], 0
    while i < len(b):
        j = min(len(b), i + n)
        while j < len(b) and (b[j] & 0xC0) == 0x80:
            j += 1
        out.append("=?UTF-8?B?%s?=" % base64.b64encode(b[i:j]).decode())
        i = j
    return "\r\n ".join(out)


def rfc2231(s):
    return "UTF-8''" + urllib.parse.quote(s, safe="")


def date(t):
    return email.utils.formatdate(t, usegmt=True)


def html_body(rcpt, token):
    """HTML that tries everything; the pixel carries the recipient's token"""
    pixel = ("https://t.dai1yledger.example/o.gif?u=%s&amp;c=hx7&amp;q=&quot;&gt;&lt;script&gt;window.__pwned=1"
             "&lt;/script&gt;" % token)
    return """<html><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=%(sent)s/refresh">
<base href="%(sent)s/base/">
<style>body{background:url(%(sent)s/bg)} .x{position:fixed;top:0;left:0}</style>
<script>%(js)s</script>
<link rel="stylesheet" href="%(sent)s/css.css">
</head>
<body onload="%(js)s" style="font-family:Arial">
<p>Dear colleague,</p>
<p>We are preparing a piece on the committee vote and would like your view:
<a href="https://evil-ledger.example/drafts/7f3a2c?r=%(token)s">the draft</a>,
<a href="javascript:%(js)s">click</a>, <a href="&#106;avascript:%(js)s">entity</a>,
<a href=" javascript:%(js)s">space</a>, <a href="data:text/html,&lt;script&gt;%(js)s&lt;/script&gt;">data</a>.</p>
<img src="x" onerror="%(js)s"><img src="%(sent)s/img.png" width="300" height="50">
<svg width="10" height="10" onload="%(js)s"><script>%(js)s</script><a xlink:href="javascript:%(js)s"><text>svg</text></a></svg>
<iframe src="%(sent)s/frame" srcdoc="&lt;script&gt;%(js)s&lt;/script&gt;"></iframe>
<object data="%(sent)s/object"></object><embed src="%(sent)s/embed">
<form action="%(sent)s/form"><input name="q" autofocus onfocus="%(js)s"><button formaction="javascript:%(js)s">go</button></form>
<div class="x" style="position:fixed;top:0;left:0;width:9999px;height:9999px;background:url('%(sent)s/div')">cover</div>
<div style="width:20000px">%(wide)s</div>
<math><mtext></p><script>%(js)s</script></mtext></math>
<noscript><p title="</noscript><img src=x onerror=%(js)s>"></noscript>
<template><script>%(js)s</script></template>
<p>\u202eright-to-left\u202c and zero\u200bwidth</p>
<p>Kind regards,<br><b>Hannah Reyes</b><br>Senior Political Correspondent, The Daily Ledger</p>
<div style="display:none;max-height:0;overflow:hidden"><img src="%(pixel)s" width="1" height="1" alt=""></div>
</body></html>
""" % {"sent": SENTINEL, "js": JS.replace('"', "&quot;"), "token": token, "pixel": pixel, "wide": "W" * 3000}


def text_body(rcpt):
    return ("Dear colleague,\r\n\r\n%s\r\n%s\r\n%s\r\nhttps://evil-ledger.example/drafts/7f3a2c\r\n%s\r\n\r\n"
            "Kind regards,\r\nHannah Reyes\r\nSenior Political Correspondent, The Daily Ledger\r\n"
            % (ALL, CTRL, JSURL, "L" * 10000))


def message(headers, parts, boundary):
    """headers: [(name, str or bytes)]; parts: [(header lines, body bytes)]"""
    out = bytearray()
    for k, v in headers:
        out += k.encode() + b": " + (v if isinstance(v, bytes) else v.encode("utf-8")) + b"\r\n"
    out += b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + boundary.encode() + b"\"\r\n\r\n"
    for h, body in parts:
        out += b"--" + boundary.encode() + b"\r\n" + h.encode() + b"\r\n\r\n" + body + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return bytes(out)


def alternative(text, html, boundary="alt-b2"):
    body = ("--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" % boundary).encode()
    body += text if isinstance(text, bytes) else text.encode("utf-8")
    body += ("\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" % boundary).encode()
    body += html.encode("utf-8")
    body += ("\r\n--%s--" % boundary).encode()
    return ("Content-Type: multipart/alternative; boundary=\"%s\"" % boundary, body)


def attachment(name, data=b"%PDF-1.4 not really\n"):
    h = ("Content-Type: application/octet-stream; name*=%s\r\nContent-Disposition: attachment; filename*=%s\r\n"
         "Content-Transfer-Encoding: base64" % (rfc2231(name), rfc2231(name)))
    return (h, base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip())


def delivery(rcpt_addr, t, n):
    return [
        ("Return-Path", "<bounces+%s=%s@mail.evil-ledger.example>" % (rcpt_addr.split("@")[0].strip('"'), ORG)),
        ("Delivered-To", rcpt_addr),
        ("Received", "from o3.mail.evil-ledger.example (o3.mail.evil-ledger.example [203.0.113.44])\r\n"
                     "\tby %s (Postfix) with ESMTPS id 4VbW2c6L%02d\r\n\tfor <%s>; %s" % (MX, n, rcpt_addr, date(t))),
        ("Received", "from %s ([203.0.113.66]) by \"%s with ESMTP id %s; %s" % (SCRIPT, ATTR, IMG, date(t - 5))),
        ("Authentication-Results", "%s;\r\n\tspf=pass smtp.mailfrom=mail.evil-ledger.example;\r\n"
                                   "\tdkim=pass header.d=evil-ledger.example;\r\n\tdmarc=none header.from=dai1yledger.example"
         % MX),
    ]


def campaign(now):
    """6 copies of one hostile lure to 6 recipients (one with a hostile but
    valid quoted local part), minutes apart, ending now"""
    out = []
    display = "Hannah Reyes %s %s %s" % (ATTR, IMG, BIDI)
    # the store keeps the first 40 characters of a subject: the worst first
    subject = "%s %s %s %s %s" % (BIDI, SCRIPT, ZW, CSS, "Request for comment")
    rcpts = ["%s@%s" % (r, ORG) for r in RCPT[:5]] + ['"%s"@%s' % ("<script>x</script>", ORG)]
    for i, rcpt in enumerate(rcpts):
        t = now - (len(rcpts) - i) * 120
        token = base64.urlsafe_b64encode(rcpt.encode()).decode().rstrip("=")
        h = delivery(rcpt, t, i) + [
            ("From", "%s <hannah.reyes@dai1yledger.example>" % q_words(display)),
            ("Reply-To", "\"<svg onload=window.__pwned=1>\" <desk@evil-ledger.example>"),
            ("To", "%s <%s>" % (q_encode(IMG + BIDI), rcpt)),
            ("Subject", q_words(subject)),
            ("Date", date(t)),
            ("Message-ID", "<%d.%s.hx7@mail.evil-ledger.example>" % (i, token[:12])),
            ("X-Hostile", "%s %s %s" % (SCRIPT, ATTR, JSURL)),
            ("X-Control", CTRL.encode("utf-8")),
            ("List-Unsubscribe", "<%s>" % JSURL),
        ]
        parts = [alternative(text_body(rcpt), html_body(rcpt, token)),
                 attachment("%s%s" % (IMG, "\u202efdp.exe"))]
        name = "c%d-%s.eml" % (i, "<img src=x onerror=window.__pwned=1>" if i == 3 else "copy")
        out.append((name, message(h, parts, "mixed-b1-%d" % i)))
    return out


def singles(now):
    """one message per kind of damage"""
    out = []

    def single(n, subject, display, extra_headers, text, html, attach=None):
        rcpt = "t.lindqvist@%s" % ORG
        t = now - 900 - n * 60
        h = delivery(rcpt, t, 20 + n) + [
            ("From", display + (b" <news@evil-ledger.example>" if isinstance(display, bytes) else " <news@evil-ledger.example>")),
            ("To", rcpt),
            ("Subject", subject),
            ("Date", date(t)),
            ("Message-ID", "<single-%d@evil-ledger.example>" % n),
        ] + extra_headers
        parts = [alternative(text, html, "alt-s%d" % n)] + ([attachment(attach)] if attach else [])
        return message(h, parts, "mixed-s%d" % n)

    # raw invalid UTF-8 in headers and body
    bad = b"Invalid \xff\xfe\xc3\x28 bytes \xe2\x80 <script>window.__pwned=1</script> \xed\xa0\x80 end"
    out.append(("s1-invalid-utf8.eml", single(1, bad, b"Bad \xc0\xaf Sender \xf8\x88\x80\x80\x80", [("X-Raw", bad)],
                                              bad + b"\r\n", "<p>%s</p>" % SCRIPT)))
    # bad RFC 2047: invalid base64, invalid UTF-8 inside, unknown charset, markup inside
    out.append(("s2-bad-2047.eml", single(
        2, "=?UTF-8?B?/+8=?= =?UTF-8?Q?=C3=28=3Cscript=3Ewindow.__pwned=3D1=3C/script=3E?= "
           "=?x-unknown?Q?=3Csvg/onload=3Dwindow.__pwned=3D1=3E?= =?UTF-8?B?invalid!!?=",
        "=?UTF-8?B?PGltZyBzcmM9eCBvbmVycm9yPXdpbmRvdy5fX3B3bmVkPTE+?= =?UTF-8?Q?=FF=FE?=",
        [("X-Bad", "=?UTF-8?B?" + base64.b64encode(b"\xff" + SCRIPT.encode()).decode() + "?=")],
        "plain", "<p>%s</p>" % IMG, attach="=?UTF-8?B?PHNjcmlwdD4=?=.pdf")))
    # 10,000-character strings without a break: subject, display name, URL, attachment name
    long_url = "https://evil-ledger.example/" + "p" * 10000
    out.append(("s3-overlong.eml", single(
        3, "W" * 10000, "N" * 10000, [("X-Long", "H" * 10000)], "see " + long_url,
        '<p><a href="%s">%s</a></p><img src="%s/%s" width="1" height="1">' % (long_url, "T" * 10000, SENTINEL, "i" * 10000),
        attach="a" * 10000 + ".pdf")))
    # controls, bidi and zero-width characters everywhere
    cb = "Invoice %s %s %s \u2028line\u2029para \u061c\u00ad\u034f" % (BIDI, ZW, CTRL)
    out.append(("s4-controls-\u202e-bidi.eml", single(
        4, q_words(cb), q_encode("Accounts \u202eevil\u202c \u200bdesk\u0007"), [("X-Bidi", q_encode(cb))],
        cb, "<p>%s</p>" % cb, attach="report\u202efdp.exe")))
    # CSS breaking out of every box
    out.append(("s5-css.eml", single(
        5, q_words("Styles %s %s" % (CSS, STYLE)), q_encode("Desk %s" % STYLE), [("X-Style", STYLE)],
        CSS, '<style>%s</style><p style="%s">x</p>' % (CSS, STYLE.replace('"', "")))))
    return out
