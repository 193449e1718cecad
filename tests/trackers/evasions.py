#!/usr/bin/env python3
"""Evasions of the tracker detector and the rewriter, one per message.

Each positive message comes from a protected journalist's name on a
freemail address (impersonation) and hides one beacon carrying a short id
(?id=77311) in a way a reader of our code might try: style sheets with
descendant, attribute and @media selectors, size from a class, clip,
transforms, zoom, filters, <noscript>, SVG, srcset and <picture>, and
requests that are not images at all (style sheets, @import, fonts,
cursors, bullets, borders, masks, image-set(), <track>, prefetch). Each
must be quarantined with the beacon reported, and after --rewrite no
form of the beacon's URL may be left in the HTML.

Each negative message is an ordinary newsletter from its own domain with
the same constructions used as a mail designer would (content hidden only
for print or only on phones, a web font, a decorative background, a
spacer also used as a divider): no tracker may be reported.

usage: evasions.py PORTCULLIS [--write DIR]   (config: docs/demo.conf)
"""
import email, email.policy, json, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.join(HERE, "..", "..", "docs", "demo.conf")
ID = "77311"


def msg(head, body, sender='"Hannah Reyes" <hannah.reyes.ledger@gmail.com>', extra=""):
    return ("From: %s\nTo: Jane Doe <jane.doe@parliament.example>\nSubject: Interview request\n"
            "Message-ID: <ev-%d@mail.example>\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n%s"
            "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
            "<html><head>%s</head><body><p>Dear Jane, could we talk this week about the committee?</p>\n"
            "<img src=\"https://cdn.dailyledger.example/logo.png\" width=\"200\" height=\"60\" alt=\"Daily Ledger\">\n"
            "%s\n<p>Best, Hannah</p></body></html>\n") % (sender, abs(hash(head + body)) % 10**9, extra, head, body)


def px(name):
    """The beacon of one case: its own path, the short id."""
    return "https://img.example.net/%s/p.gif?id=%s" % (name, ID)


POSITIVE = [
    # no hiding at all: an image of no declared size with an id
    ("unsized", '', '<img src="{u}">'),
    # style sheets the detector must apply with a selector engine
    ("descendant", '<style>.foot img{display:none}</style>', '<div class="foot"><img src="{u}"></div>'),
    ("attribute", '<style>img[alt=""]{display:none}</style>', '<img alt="" src="{u}">'),
    ("attribute-prefix", '<style>img[src^="https://img.example.net"]{visibility:hidden}</style>', '<img src="{u}">'),
    ("child-combinator", '<style>div > span > img{opacity:0}</style>', '<div><span><img src="{u}"></span></div>'),
    ("sibling", '<style>p + img{display:none}</style>', '<p>x</p><img src="{u}">'),
    ("pseudo-class", '<style>img:last-child{display:none}</style>', '<div><img src="{u}"></div>'),
    ("media-screen", '<style>@media screen{.t{display:none}}</style>', '<img class="t" src="{u}">'),
    ("media-all", '<style>@media all{.t{display:none}}</style>', '<img class="t" src="{u}">'),
    ("media-width", '<style>@media (min-width:1px){.t{display:none}}</style>', '<img class="t" src="{u}">'),
    ("media-range", '<style>@media (width >= 100px){.t{display:none}}</style>', '<img class="t" src="{u}">'),
    ("supports", '<style>@supports (display:grid){.t{display:none}}</style>', '<img class="t" src="{u}">'),
    ("class-size", '<style>.t{width:1px;height:1px}</style>', '<img class="t" src="{u}">'),
    ("id-size", '<style>#b{width:0;height:0}</style>', '<img id="b" src="{u}">'),
    ("important", '<style>.t{display:none !important}</style>', '<img class="t" style="display:block" src="{u}">'),
    ("clip", '', '<img style="position:absolute;clip:rect(0,0,0,0)" src="{u}">'),
    ("clip-path", '', '<img style="clip-path:inset(50%)" src="{u}">'),
    ("scale0", '', '<img style="transform:scale(0)" src="{u}">'),
    ("translate-out", '', '<img style="transform:translateX(-9999px)" src="{u}">'),
    ("zoom", '', '<img style="zoom:0.01" src="{u}">'),
    ("filter", '', '<img style="filter:opacity(0)" src="{u}">'),
    ("width-0pct", '', '<img width="0%" height="0%" src="{u}">'),
    ("text-indent", '', '<div style="text-indent:-9999px;overflow:hidden"><img src="{u}"></div>'),
    ("noscript", '<style>.n{display:none}</style>', '<noscript><img class="n" src="{u}"></noscript>'),
    ("svg-image", '', '<svg width="1" height="1"><image xlink:href="{u}" width="1" height="1"/></svg>'),
    ("srcset-only", '<style>.s{display:none}</style>', '<img class="s" srcset="{u} 1x">'),
    ("picture", '', '<picture><source srcset="{u}"><img width="1" height="1" alt=""></picture>'),
    ("class-background", '<style>.b{background-image:url({u})}</style>', '<div class="b"></div>'),
    # requests that are not images: judged by what they are for
    ("link-stylesheet", '<link rel="stylesheet" href="{u}">', ''),
    ("import-url", '<style>@import url({u});</style>', ''),
    ("import-string", '<style>@import "{u}";</style>', ''),
    ("body-background", '', '</body><body background="{u}">'),
    ("list-style", '<style>ul{list-style-image:url({u})}</style>', '<ul><li>a</li></ul>'),
    ("border-image", '', '<div style="border-image:url({u}) 30">x</div>'),
    ("cursor", '', '<div style="cursor:url({u}),auto">x</div>'),
    ("mask", '', '<div style="mask-image:url({u});-webkit-mask-image:url({u})">x</div>'),
    ("image-set", '', '<div style="background-image:image-set(\'{u}\' 1x)">x</div>'),
    ("font-face", '<style>@font-face{font-family:X;src:url({u})} p{font-family:X}</style>', ''),
    ("track", '', '<video width="1" height="1"><track src="{u}"></video>'),
    ("prefetch", '<link rel="prefetch" href="{u}">', ''),
    ("preload", '<link rel="preload" as="image" href="{u}">', ''),
    # the name as the reader sees it: written backwards behind U+202E, and
    # as "X on behalf of Y" (a 1x1 pixel: the sender is the evasion here)
    # issue 15: CSS strings and escapes as a browser tokenizes them; <style media>; the UA
    # sheet's hidden containers; requests from attributes that were not read
    ("css-escaped-quote", '<style>.q{content:"a\\"b"} .b{background:url({u})}</style>', '<div class="b">x</div>'),
    ("css-bad-string", '<style>.q{content:"open\n} .b{background:url({u})}</style>', '<div class="b">x</div>'),
    ("css-comment-in-string", '<style>.q{content:"/*"} .b{background:url({u})} .r{content:"*/"}</style>',
     '<div class="b">x</div>'),
    ("style-media-print", '<style media="print">.t{width:600px;height:300px}</style>',
     '<img class="t" width="1" height="1" src="{u}">'),
    ("details-closed", '', '<details><summary>More</summary><img src="{u}" width="40" height="40"></details>'),
    ("dialog-closed", '', '<dialog><img src="{u}" width="40" height="40"></dialog>'),
    ("preload-imagesrcset", '<link rel="preload" as="image" imagesrcset="{u} 1x">', ''),
    ("svg-feimage", '', '<svg width="1" height="1"><filter id="f"><feImage href="{u}"/></filter>'
     '<rect filter="url(#f)" width="1" height="1"/></svg>'),
    ("svg-fill", '', '<svg width="1" height="1"><rect fill="url({u}#p)" width="1" height="1"/></svg>'),
    ("iframe-srcdoc", '', '<iframe width="1" height="1" frameborder="0" srcdoc="<img src=\'{u}\'>"></iframe>'),
    ("content-base", '', '<img src="content-base/p.gif?id=%s">' % ID, None,
     "Content-Base: https://img.example.net/\n"),
    ("bidi-name", '', '<img src="{u}" width="1" height="1">', '=?utf-8?B?4oCuc2V5ZVIgaGFubmFI?= <h.r.ledger@gmail.com>'),
    ("on-behalf-of", '', '<img src="{u}" width="1" height="1">', '"Hannah Reyes on behalf of Ledger" <ledger.desk@gmail.com>'),
]

NEWSLETTER = '"Daily Ledger" <news@dailyledger.example>'
NEGATIVE = [
    ("print-only", '<style>@media print{.hero{display:none}}</style>',
     '<img class="hero" src="https://cdn.dailyledger.example/hero.jpg" width="600" height="300" alt="Today">'),
    ("phone-only", '<style>@media only screen and (max-width:480px){.wide{display:none!important}}</style>',
     '<img class="wide" src="https://cdn.dailyledger.example/wide.jpg" width="600" height="300" alt="Chart">'),
    ("desktop-twin", '<style>.mob{display:none;max-height:0;overflow:hidden}'
     '@media (max-width:600px){.mob{display:block!important;max-height:none!important}.desk{display:none}}</style>',
     '<div class="desk"><img src="https://cdn.dailyledger.example/d.jpg" width="600" height="200" alt="A"></div>'
     '<div class="mob"><img src="https://cdn.dailyledger.example/m.jpg" width="320" height="200" alt="A"></div>'),
    ("web-font", '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto:400,700&display=swap">',
     '<p style="font-family:Roboto">x</p>'),
    ("background", '<style>.band{background-image:url(https://cdn.dailyledger.example/band.png)}</style>',
     '<table class="band" width="600"><tr><td height="40">Weekly</td></tr></table>'),
    ("spacer-divider", '',
     '<img src="https://cdn.dailyledger.example/dot.gif" width="1" height="1" alt="">'
     '<img src="https://cdn.dailyledger.example/dot.gif" width="560" height="1" alt="">'
     '<img src="https://cdn.dailyledger.example/dot.gif" width="459" height="20" alt="">'),
    ("bullet", '<style>ul.x{list-style-image:url(https://cdn.dailyledger.example/bullet.png)}</style>',
     '<ul class="x"><li>one</li></ul>'),
    ("article-image", '',
     '<a href="https://www.dailyledger.example/a/1"><img src="https://cdn.dailyledger.example/img?id=48213" '
     'width="600" height="300" alt="Budget vote"></a>'),
    # sheets a browser does not apply on screen size nothing there (issue 15)
    ("style-print-attr", '<style media="print">.hero{width:1px;height:1px}</style>',
     '<img class="hero" src="https://cdn.dailyledger.example/img?id=48214" width="600" height="300" alt="Today">'),
    ("style-type-plain", '<style type="text/plain">.hero{width:1px;height:1px}</style>',
     '<img class="hero" src="https://cdn.dailyledger.example/img?id=48215" width="600" height="300" alt="Today">'),
    ("template-style", '<template><style>.hero{width:1px;height:1px}</style></template>',
     '<img class="hero" src="https://cdn.dailyledger.example/img?id=48216" width="600" height="300" alt="Today">'),
    ("details-open", '', '<details open><summary>Read</summary>'
     '<img src="https://cdn.dailyledger.example/img?id=48217" width="600" height="300" alt="Chart"></details>'),
]


def cases():
    out = []
    for name, head, body, *rest in POSITIVE:
        u = px(name)
        kw = {"sender": rest[0]} if rest and rest[0] else {}
        if len(rest) > 1:
            kw["extra"] = rest[1]
        out.append((name, True, msg(head.replace("{u}", u), body.replace("{u}", u), **kw)))
    for name, head, body in NEGATIVE:
        out.append(("ok-" + name, False, msg(head, body, sender=NEWSLETTER,
                                             extra="Authentication-Results: mx.parliament.example; dmarc=pass "
                                                   "header.from=dailyledger.example\n")))
    return out


def html_of(data):
    m = email.message_from_bytes(data, policy=email.policy.default)
    return "\n".join(p.get_content() for p in m.walk() if p.get_content_type() == "text/html")


def main():
    exe = sys.argv[1]
    cs = cases()
    if "--write" in sys.argv:
        d = sys.argv[sys.argv.index("--write") + 1]
        os.makedirs(d, exist_ok=True)
        for name, _, text in cs:
            open(os.path.join(d, "ev-%s.eml" % name), "w").write(text)
        return 0
    work = tempfile.mkdtemp(prefix="pc-evasions-")
    src, out = os.path.join(work, "in"), os.path.join(work, "out")
    os.mkdir(src)
    for name, _, text in cs:
        open(os.path.join(src, "%s.eml" % name), "w").write(text)
    r = subprocess.run([exe, "scan", "-q", "-c", CONF, "--rewrite", out, src], capture_output=True, text=True)
    reps = {os.path.basename(j["source"])[:-4]: j for j in map(json.loads, r.stdout.splitlines())}
    fails = 0
    for name, positive, _ in cs:
        j = reps.get(name)
        if not j:
            print("FAIL %s: no report" % name)
            fails += 1
            continue
        found = [t for t in j["trackers"] if ID in t["url"]]
        if positive:
            why = []
            if j["verdict"] != "quarantine":
                why.append("verdict %s (rule %s)" % (j["verdict"], j.get("rule")))
            if not found:
                why.append("beacon not reported")
            left = re.findall(r"[^\s\"'()]*%s[^\s\"'()]*" % ID, html_of(open(os.path.join(out, name + ".eml"), "rb").read()))
            if left:
                why.append("left after rewriting: %s" % left[0])
            if why:
                fails += 1
                print("FAIL %s: %s" % (name, "; ".join(why)))
            else:
                print("ok   %-18s %s" % (name, " ".join(found[0]["signals"])))
        else:
            if j["trackers"]:
                fails += 1
                print("FAIL %s: tracker on an ordinary newsletter: %s %s"
                      % (name, j["trackers"][0]["url"], j["trackers"][0]["signals"]))
            else:
                print("ok   %s" % name)
    npos = sum(1 for c in cs if c[1])
    print("evasions: %d beacons, %d ordinary newsletters; %d failed" % (npos, len(cs) - npos, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
