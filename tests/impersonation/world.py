"""The test world of the impersonation scenarios: an organisation, the
journalists and outlets it deals with, a mass-mail service, a freemail
provider and an attacker. Everything here is fictional; the domains live
only in the loopback DNS server the test starts (dnsd.py)."""

ORG = "example-parliament.org"
ORG_IP = "192.0.2.200"
MPS = ["alice.morgan", "bilal.hussain", "claire.dupont", "david.okafor", "eleanor.whitfield",
       "fiona.mcallister", "george.papadopoulos", "hannah.schmidt", "ivan.petrov", "jing.zhao",
       "kwame.mensah", "laura.rossi", "mohammed.alfarsi", "nadia.kowalska", "oliver.grant"]

# (display name variants, address local part); the first variant is how they sign
OUTLETS = [
    {"domain": "dailyherald.co.uk", "name": "The Daily Herald", "ip": "192.0.2.10", "dmarc": "reject",
     "people": [(["Sarah O'Connor", "O'Connor, Sarah"], "sarah.oconnor"), (["Tom Whitaker"], "tom.whitaker")]},
    {"domain": "northerntimes.com", "name": "The Northern Times", "ip": "192.0.2.11", "dmarc": "quarantine",
     "people": [(["Rebecca Lindqvist"], "rebecca.lindqvist"), (["James Abernethy"], "j.abernethy")]},
    {"domain": "globalwire.news", "name": "GlobalWire", "ip": "192.0.2.12", "dmarc": "none",
     "people": [(["Priya Raghunathan"], "priya"), (["Marcus Feldman"], "marcus.feldman")]},
    {"domain": "der-kurier.de", "name": "Der Kurier", "ip": "192.0.2.13", "dmarc": "reject",
     "people": [(["Jürgen Müller", "Juergen Mueller"], "juergen.mueller")]},
    {"domain": "asiapost.com.hk", "name": "Asia Post", "ip": "192.0.2.14", "dmarc": "reject",
     "people": [(["Li Wei", "李伟"], "li.wei"), (["Chen Xiaoming"], "xiaoming.chen")]},
    {"domain": "lemonde-diplomatique.fr", "name": "Le Monde diplomatique", "ip": "192.0.2.15",
     "dmarc": "quarantine", "people": [(["Hélène Dubois"], "helene.dubois")]},
]

ESP = {"domain": "sendwave-mail.com", "net": "203.0.113.0/24", "ip": "203.0.113.5",
       "bounce": "bounce.sendwave-mail.com", "open": "open.sendwave-mail.com",
       "click": "click.sendwave-mail.com"}
FREEMAIL = {"domain": "gmail.com", "ip": "209.85.220.41"}
ATTACKER_IP = "198.51.100.23"
# self-hosted tracking infrastructure no block list knows
TRACKER_HOSTS = ["static-media-cdn.net", "img.newsfeed-cache.com", "cdn.pressimages.info",
                 "assets.mediastatic.org", "t.readerstats.io", "px.content-delivery.biz"]
