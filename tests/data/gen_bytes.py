#!/usr/bin/env python3
"""Write the golden-test messages whose bytes cannot be typed in an editor.

Usage: python3 tests/data/gen_bytes.py [OUT_DIR]      (default: this folder)

Every message here is hand-written in this file; the script only takes care of
exact bytes: 8-bit charsets (ISO-8859-1, windows-1252, KOI8-R), base64 bodies in
Shift_JIS and UTF-16, bare-CR and mixed line endings, NUL bytes, invalid UTF-8,
an empty file and binary garbage. Output is deterministic: running it again
rewrites byte-identical files. tests/data/MANIFEST.md says what each must parse to.
"""
import base64
import os
import random
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)


def lines(text, eol=b"\n"):
    """ASCII template with \n line ends -> bytes with the wanted line end."""
    return text.encode("ascii").replace(b"\n", eol)


def b64(data):
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


# 21: text/plain in ISO-8859-1, 8bit. Byte 0x80 is a C1 control in ISO-8859-1
# but the euro sign in windows-1252 (the WHATWG decoder for the label
# "iso-8859-1").
write("21-charset-iso-8859-1.eml",
      lines("""From: Bruno Lefevre <bruno@example.net>
To: clara@example.org
Subject: =?iso-8859-1?Q?Fa=E7ade_renovation?=
Date: Mon, 15 Apr 2024 10:00:00 +0000
Message-ID: <latin1.0001@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

""") + "Fa\u00e7ade renovation in \u00c6r\u00f8: na\u00efve plans, \u00bd price, \u00a9 2024.\n".encode("iso-8859-1")
      + b"Euro sign byte: \x8040\n"
      + b"Details: https://build.example.com/fa%C3%A7ade\n")

# 22: text/html in windows-1252, 8bit, CRLF.
write("22-charset-windows-1252.eml",
      lines("""From: Offres Example <offres@example.com>
To: denis@example.org
Subject: =?windows-1252?Q?=93Offre=94_sp=E9ciale?=
Date: Tue, 16 Apr 2024 10:00:00 +0000
Message-ID: <cp1252.0001@example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=windows-1252
Content-Transfer-Encoding: 8bit

""", b"\r\n")
      + "<html><body>\r\n<p>\u201cSmart quotes\u201d, an en dash \u2013 and an ellipsis\u2026</p>\r\n"
        "<p><a href=\"https://example.com/prix\">Voir l\u2019offre \u2013 20 \u20ac</a></p>\r\n"
        "</body></html>\r\n".encode("cp1252"))

# 23: text/plain in KOI8-R, 8bit; subject in KOI8-R B-encoding.
write("23-charset-koi8-r.eml",
      lines("""From: Irina Sokolova <irina@example.org>
To: egor@example.org
Subject: =?koi8-r?B?79Teo9Qg2sEgzcHS1A==?=
Date: Wed, 17 Apr 2024 10:00:00 +0000
Message-ID: <koi8r.0001@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

""") + "\u041f\u0440\u0438\u0432\u0435\u0442! \u041e\u0442\u0447\u0451\u0442 \u0433\u043e\u0442\u043e\u0432: "
        "https://docs.example.org/otchet\n\u0421 \u0443\u0432\u0430\u0436\u0435\u043d\u0438\u0435\u043c, "
        "\u0418\u0440\u0438\u043d\u0430\n".encode("koi8-r"))

# 24: text/plain in Shift_JIS, base64; subject in ISO-2022-JP B-encoding.
# The URL follows a FULLWIDTH COLON (U+FF1A) with no space.
sjis_text = "\u4f1a\u8b70\u306f\u5348\u5f8c3\u6642\u304b\u3089\u3067\u3059\u3002\n\u8cc7\u6599\uff1ahttps://files.example.com/kaigi\n"
write("24-charset-shift-jis.eml",
      lines("""From: Haruto Sato <haruto@example.com>
To: fumi@example.org
Subject: =?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?=
Date: Thu, 18 Apr 2024 10:00:00 +0900
Message-ID: <sjis.0001@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=shift_jis
Content-Transfer-Encoding: base64

""") + b64(sjis_text.encode("shift_jis")).encode() + b"\n")

# 25: UTF-16 with a little-endian BOM (text/plain) and UTF-16BE without BOM
# (text/html), both base64, CRLF.
u16_plain = "Hello from UTF-16 with a BOM.\r\nLink: https://example.org/utf16-plain\r\n"
u16_html = ('<html><body><p>UTF-16BE without BOM</p>'
            '<a href="https://example.org/utf16">UTF-16 link</a>'
            '<img src="https://img.example.org/u16.png" width="1" height="1" alt="">'
            '</body></html>\r\n')
write("25-charset-utf-16.eml",
      lines("""From: Wide Chars <wide@example.org>
To: gabe@example.org
Subject: UTF-16 parts
Date: Fri, 19 Apr 2024 10:00:00 +0000
Message-ID: <utf16.0001@example.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="u16"

--u16
Content-Type: text/plain; charset=utf-16
Content-Transfer-Encoding: base64

""" + b64(b"\xff\xfe" + u16_plain.encode("utf-16-le")) + """
--u16
Content-Type: text/html; charset=utf-16be
Content-Transfer-Encoding: base64

""" + b64(u16_html.encode("utf-16-be")) + """
--u16--
""", b"\r\n"))

# 26: an unknown charset name and an alias spelling ("utf8").
write("26-charset-unknown.eml",
      lines("""From: Mystery Charset <mystery@example.net>
To: hana@example.org
Subject: Unknown charset
Date: Sat, 20 Apr 2024 10:00:00 +0000
Message-ID: <unknowncs.0001@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="ucs"

--ucs
Content-Type: text/plain; charset="x-unknown-8bit-zz"
Content-Transfer-Encoding: 8bit

""") + b"Caf\xe9 menu: https://menu.example.com/today\n"
      + lines("""--ucs
Content-Type: text/plain; charset="utf8"
Content-Transfer-Encoding: 8bit

""") + b"Caf\xc3\xa9 (utf8 alias)\n"
      + b"--ucs--\n")

# 34: bare CR line endings only (classic Mac OS).
write("34-cr-only.eml",
      lines("""From: Old Mac <oldmac@example.com>
To: pete@example.org
Subject: Classic Mac line endings
Date: Sun, 21 Apr 2024 10:00:00 +0000
Message-ID: <cronly.0001@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Every line ends with a bare CR.
Link: https://example.com/cr-only
""", b"\r"))

# 35: CRLF, LF and CR CR LF mixed in one message, including boundary lines.
write("35-mixed-line-endings.eml",
      b"From: Mixed Endings <mixed@example.com>\r\n"
      b"To: quinn@example.org\n"
      b"Subject: Mixed line endings\r\n"
      b"Date: Mon, 22 Apr 2024 10:00:00 +0000\r\n"
      b"Message-ID: <mixed.0001@example.com>\n"
      b"MIME-Version: 1.0\r\n"
      b"Content-Type: multipart/alternative; boundary=\"mle\"\r\n"
      b"\n"
      b"--mle\r\n"
      b"Content-Type: text/plain; charset=us-ascii\n"
      b"\r\n"
      b"Plain part, this line ends in CRLF.\r\n"
      b"This one in LF.\n"
      b"--mle\n"
      b"Content-Type: text/html; charset=us-ascii\r\n"
      b"\r\n"
      b"<p><a href=\"https://example.com/mixed\">mixed</a></p>\r\r\n"
      b"--mle--\n")

# 36: NUL bytes in a header value, in a text/plain body and in HTML text, CRLF.
write("36-nul-bytes.eml",
      b"From: Billing <billing@example.net>\r\n"
      b"To: rhea@example.org\r\n"
      b"Subject: Invoice\x00 4711\r\n"
      b"Date: Tue, 23 Apr 2024 10:00:00 +0000\r\n"
      b"Message-ID: <nul.0001@example.net>\r\n"
      b"MIME-Version: 1.0\r\n"
      b"Content-Type: multipart/alternative; boundary=\"nul\"\r\n"
      b"\r\n"
      b"--nul\r\n"
      b"Content-Type: text/plain; charset=us-ascii\r\n"
      b"\r\n"
      b"Amount due:\x00 120 EUR\r\n"
      b"Pay at https://pay.example.net/inv/4711/plain\r\n"
      b"--nul\r\n"
      b"Content-Type: text/html; charset=us-ascii\r\n"
      b"\r\n"
      b"<p>Pay\x00ment due</p><a href=\"https://pay.example.net/inv/4711\">Pay now</a>\r\n"
      b"--nul--\r\n")

# 37: invalid UTF-8 in a raw header and in bodies that declare utf-8.
write("37-invalid-utf8.eml",
      b"From: Broken Bytes <broken@example.com>\n"
      b"To: sara@example.org\n"
      b"Subject: Caf\xff menu\n"
      b"Date: Wed, 24 Apr 2024 10:00:00 +0000\n"
      b"Message-ID: <badutf8.0001@example.com>\n"
      b"MIME-Version: 1.0\n"
      b"Content-Type: multipart/alternative; boundary=\"bad\"\n"
      b"\n"
      b"--bad\n"
      b"Content-Type: text/plain; charset=utf-8\n"
      b"Content-Transfer-Encoding: 8bit\n"
      b"\n"
      b"bad1 \xc3\x28 bad2 \xc0\xaf bad3 \x80 bad4 \xed\xa0\x80 bad5 \xf5\x80\x80\x80 end\n"
      b"Link: https://example.com/after-invalid\n"
      b"--bad\n"
      b"Content-Type: text/html; charset=utf-8\n"
      b"Content-Transfer-Encoding: 8bit\n"
      b"\n"
      b"<p><a href=\"https://example.com/inv\">Caf\xe9 \xe2\x82 link</a></p>\n"
      b"--bad--\n")

# 38: an empty file.
write("38-empty.eml", b"")

# 39: 4096 bytes of deterministic binary garbage (starts like no text format).
rng = random.Random(5322)
garbage = b"\x89\x00\xff\xfe" + bytes(rng.randrange(256) for _ in range(4092))
assert b"http" not in garbage.lower() and b"www." not in garbage.lower()
write("39-binary-garbage.eml", garbage)
