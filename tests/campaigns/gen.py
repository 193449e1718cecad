#!/usr/bin/env python3
"""Campaign world generator: tracking campaigns, newsletters and ordinary mail.

usage: gen.py OUTDIR [--seed S] [--preset quick|full|scale10k|scale100k]
              [--sizes 5,20,300] [--newsletters N] [--issues N] [--subscribers N]
              [--ham N] [--format eml|mbox] [--per-mbox N]

Writes OUTDIR/mail/ (the messages: .eml files in hashed sub-folders whose
names say nothing about what they are, or mbox files with the messages in
shuffled order) and OUTDIR/labels.tsv (tab-separated, with a header line):

  file       path under OUTDIR/mail ("box-003.mbox:17" for the 17th message
             of an mbox, counted from 1 as `portcullis scan` does)
  kind       malicious | newsletter | ham
  campaign   the campaign it belongs to: "mal-07", "nl-03", or "-" for ham
  issue      newsletters: the issue ("nl-03/2024-03-12"); otherwise "-"

Also OUTDIR/portcullis.conf: the protected journalists, outlets and
organisation domains of the world (tests/impersonation/world.py), DNS off,
the receiving MX's Authentication-Results trusted.

The threat modelled (APT31, 2021-2024): one lure template sent to hundreds
or thousands of parliamentarians, officials, journalists' contacts and
company staff, looking as if a known journalist or outlet wrote it
(the journalist's name on freemail, lookalike and IDN domains of the outlet,
the attacker's own "news" domains, a mass-mail service), each copy carrying
a hidden pixel, CSS background or link with a token unique to the
recipient (random or derived from the address). Per-recipient variation:
salutation, name in the subject, address in the footer, dates, reference
numbers. Legitimate newsletters do the same mechanically (per-recipient open
pixel, click tokens, List-Unsubscribe) from the outlet's real domain through
an ESP; ham is one-off person-to-person mail with no template.

Deterministic: the same seed and parameters give the same bytes.
Python 3 standard library only.
"""
import argparse
import base64
import binascii
import datetime as dt
import hashlib
import os
import random
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "impersonation"))
import world  # noqa: E402

MX = "mx." + world.ORG
UTC = dt.timezone.utc

# --------------------------------------------------------------------------- people

FIRST_F = ["Alice", "Amelia", "Anna", "Aisha", "Beatriz", "Camille", "Chloe", "Claire", "Daniela", "Eleanor",
           "Elena", "Emma", "Fatima", "Fiona", "Grace", "Hannah", "Helen", "Ingrid", "Isabel", "Jana", "Jessica",
           "Julia", "Karin", "Katarzyna", "Laura", "Leila", "Lucy", "Maja", "Maria", "Marta", "Mei", "Nadia",
           "Natalia", "Nora", "Olivia", "Priya", "Rachel", "Rosa", "Sara", "Sofia", "Tamara", "Ursula",
           "Victoria", "Yasmin", "Zofia", "Agnieszka", "Birgit", "Lotte", "Sinead", "Siobhan", "Aoife", "Keiko",
           "Yuna", "Ana", "Irene", "Margaret", "Joanna", "Ewa", "Veronika", "Ilse", "Hélène", "Zoë"]
FIRST_M = ["Adam", "Ahmed", "Aleksander", "Andrew", "Antonio", "Ben", "Bilal", "Carlos", "Christopher", "Daniel",
           "David", "Dmitri", "Edward", "Erik", "Felix", "Gareth", "George", "Hans", "Henrik", "Hugo", "Ian",
           "Ivan", "Jakub", "James", "Jan", "Javier", "John", "Jonas", "Kenji", "Kwame", "Lars", "Luca", "Lukas",
           "Marco", "Mark", "Martin", "Matteo", "Michael", "Mohammed", "Nikolai", "Oliver", "Omar", "Patrick",
           "Paul", "Pedro", "Peter", "Rafael", "Richard", "Robert", "Samuel", "Sebastian", "Simon", "Stefan",
           "Thomas", "Tomas", "Viktor", "William", "Yusuf", "Zoltan", "Rhys", "Ciaran", "Liam", "Jörg", "François"]
LAST = ["Morgan", "Hussain", "Dupont", "Okafor", "Whitfield", "McAllister", "Papadopoulos", "Schmidt", "Petrov",
        "Zhao", "Mensah", "Rossi", "Al-Farsi", "Grant", "Andersson", "Bakker", "Baranowski", "Bennett", "Bianchi",
        "Brennan", "Brown", "Campbell", "Carter", "Castillo", "Chen", "Clarke", "Costa", "Cruz", "Davies",
        "De Vries", "Dimitrov", "Doherty", "Edwards", "Evans", "Fischer", "Fitzgerald", "Fontaine", "Garcia",
        "Gallagher", "Gonzalez", "Green", "Gruber", "Hall", "Hansen", "Harris", "Hoffmann", "Horvath", "Hughes",
        "Ibrahim", "Iversen", "Jackson", "Jansen", "Jensen", "Johansson", "Jones", "Kaur", "Kelly", "Khan", "Kim",
        "Kovacs", "Kruger", "Larsen", "Laurent", "Lee", "Lewis", "Lindgren", "Lopez", "Lund", "Mahmood", "Marino",
        "Martin", "Meyer", "Moreau", "Murphy", "Nakamura", "Nielsen", "Novak", "Nowak", "O'Brien", "O'Neill",
        "Olsen", "Park", "Patel", "Pereira", "Perez", "Phillips", "Popescu", "Quinn", "Reid", "Richter",
        "Roberts", "Robinson", "Rodriguez", "Romano", "Russo", "Sato", "Schneider", "Scott", "Shah", "Silva",
        "Singh", "Smith", "Sorensen", "Stewart", "Suzuki", "Svensson", "Tanaka", "Taylor", "Thomas", "Thompson",
        "Turner", "Van Dijk", "Varga", "Vogel", "Walker", "Wagner", "Watson", "Weber", "White", "Williams",
        "Wilson", "Wojcik", "Wright", "Yamamoto", "Young", "Ziegler", "Nguyen", "Tran", "Haddad", "Mansour",
        "Demir", "Yilmaz", "Kaya", "Sahin", "Byrne", "Lynch", "Müller", "Łukasik", "Søndergaard", "Ó Briain"]

# (domain, address format, weight, salutation title when formal)
ORGS = [
    (world.ORG, "first.last", 30, "parl"),
    ("lords." + world.ORG, "lastf", 6, "parl"),
    ("interparl-alliance.org", "first.last", 4, "plain"),
    ("fco-example.gov", "first.last", 8, "plain"),
    ("eastasia-policy.org", "flast", 5, "dr"),
    ("northwind-defence.com", "first.last", 10, "plain"),
    ("helix-semiconductors.com", "flast", 8, "plain"),
    ("contoso-energy.co.uk", "first_last", 6, "plain"),
    ("westbridge-gazette.com", "first.last", 6, "plain"),
    ("uni-northbridge.ac.uk", "f.last", 8, "dr"),
]
ORG_DOMAINS = [o[0] for o in ORGS]


def ascii_fold(s):
    table = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ç": "c", "ë": "e", "ł": "l",
             "Ł": "L", "ø": "o", "Ø": "O", "å": "a", "ó": "o", "Ó": "O", "ñ": "n", "á": "a", "í": "i"}
    return "".join(table.get(c, c) for c in s)


def local_part(fmt, first, last):
    f = re.sub(r"[^a-z]", "", ascii_fold(first).lower())
    la = re.sub(r"[^a-z]", "", ascii_fold(last).lower())
    return {"first.last": f + "." + la, "lastf": la + f[0], "flast": f[0] + la, "first_last": f + "_" + la,
            "f.last": f[0] + "." + la}[fmt]


class Person:
    __slots__ = ("first", "last", "female", "addr", "domain", "style", "title")

    def __init__(self, first, last, female, addr, domain, style, title):
        self.first, self.last, self.female, self.addr = first, last, female, addr
        self.domain, self.style, self.title = domain, style, title

    @property
    def name(self):
        return "%s %s" % (self.first, self.last)


def recipients(rng, n):
    """n distinct plausible recipients on the organisation domains; the
    world's MPs first."""
    out, seen = [], set()
    for mp in world.MPS:
        first, last = (w.capitalize() for w in mp.split(".", 1))
        last = {"Alfarsi": "Al-Farsi", "Mcallister": "McAllister"}.get(last, last)
        female = first in FIRST_F or first in ("Jing",)
        out.append(Person(first, last, female, mp + "@" + world.ORG, world.ORG, "parl", "MP"))
        seen.add(out[-1].addr)
    weights = [o[2] for o in ORGS]
    while len(out) < n:
        female = rng.random() < 0.5
        first = rng.choice(FIRST_F if female else FIRST_M)
        last = rng.choice(LAST)
        dom, fmt, _, style = rng.choices(ORGS, weights)[0]
        lp = local_part(fmt, first, last)
        addr = lp + "@" + dom
        k = 2
        while addr in seen:
            addr = "%s%d@%s" % (lp, k, dom)
            k += 1
        seen.add(addr)
        title = {"parl": "MP" if "lords" not in dom else "Lord", "dr": "Dr"}.get(style, "")
        if title == "Lord" and female:
            title = "Baroness"
        out.append(Person(first, last, female, addr, dom, style, title))
    return out[:n]


def honorific(p):
    if p.style == "dr":
        return "Dr"
    if p.title in ("Lord", "Baroness"):
        return p.title
    return "Ms" if p.female else "Mr"


SALUTATIONS = [
    lambda p: "Dear %s %s," % (honorific(p), p.last),
    lambda p: "Dear %s," % p.first,
    lambda p: "Dear %s %s," % (p.first, p.last),
    lambda p: "Hello %s," % p.first,
    lambda p: "Hi %s," % p.first,
    lambda p: "Dear %s %s %s," % (honorific(p), p.first, p.last),
    lambda p: "Good morning %s," % p.first,
    lambda p: "%s," % p.first,
    lambda p: "Dear Colleague,",
    lambda p: "Dear %s," % ("Member" if p.style == "parl" else "Sir or Madam"),
]

# --------------------------------------------------------------------------- text

TOPICS = ["export controls on dual-use technology", "the security of undersea cables",
          "foreign influence in universities", "Hong Kong's national security law", "tensions in the Taiwan Strait",
          "forced labour in solar supply chains", "restrictions on 5G equipment vendors",
          "semiconductor export rules", "critical minerals", "infrastructure lending in Europe",
          "cyber attacks on parliaments", "transnational repression", "election interference",
          "data access by video-sharing apps", "the investment screening regime", "sanctions enforcement",
          "Arctic shipping routes", "rare earth supply chains", "academic freedom",
          "exports of surveillance technology", "foreign ownership of ports", "satellite internet",
          "pharmaceutical supply security", "battery subsidies", "the plastics treaty", "climate finance",
          "fisheries disputes in the South Pacific", "visa rules for researchers", "the human rights dialogue",
          "overseas police stations", "Tibetan language schools", "the South China Sea arbitration",
          "intellectual property theft", "energy grid resilience", "drone exports", "the lobbying register",
          "whistleblower protection", "media freedom in Asia", "AI governance", "quantum computing research",
          "biotech partnerships", "the Uyghur tribunal", "debt relief for small island states",
          "grain export corridors", "hydrogen pipelines", "space debris regulation"]
CITIES = ["Brussels", "Geneva", "Prague", "Vilnius", "Taipei", "Tokyo", "London", "Berlin", "Copenhagen",
          "Warsaw", "Ottawa", "Canberra", "Stockholm", "Tallinn", "Dublin", "Vienna", "Lisbon", "The Hague",
          "Helsinki", "Riga", "Seoul", "Wellington"]
COMMITTEES = ["Foreign Affairs Committee", "Intelligence and Security Committee", "Business and Trade Committee",
              "Science, Innovation and Technology Committee", "Defence Committee", "Home Affairs Committee",
              "Joint Committee on Human Rights", "Energy Security Committee", "Culture, Media and Sport Committee"]
ACTORS = ["a state-owned conglomerate", "a consultancy with ties to a foreign ministry", "two shell companies",
          "a think tank funded from abroad", "a telecoms supplier", "a port operator", "an overseas lobbying firm",
          "a university partnership office", "a private intelligence firm", "a shipping group",
          "a trade association", "a venture fund"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

ALT = re.compile(r"\[\[([^\[\]]*)\]\]")
TIDY_2 = re.compile(r"  +")
TIDY_SP = re.compile(r" ([.,;:?])")


def expand(rng, s, **kw):
    """Resolve [[a|b|c]] alternations (innermost first) and {slot}s present in kw;
    other {slots} stay for later."""
    while True:
        s2 = ALT.sub(lambda m: rng.choice(m.group(1).split("|")), s)
        if s2 == s:
            break
        s = s2
    for k, v in kw.items():
        s = s.replace("{" + k + "}", str(v))
    return TIDY_SP.sub(r"\1", TIDY_2.sub(" ", s)).strip()


def long_date(d):
    return "%s %d %s %d" % (WEEKDAYS[d.weekday()], d.day, MONTHS[d.month - 1], d.year)


def short_date(d):
    return "%d %s" % (d.day, MONTHS[d.month - 1])


# Each lure kind: list of paragraph slots; each slot a list of alternatives.
# Campaign-level {slots}: outlet, topic, topic2, city, event, eventdate,
# organiser, committee, actor, award, briefing, n1, n2.
# Per-recipient {slots}: date (sending day), deadline, ref, num, pages.
LURES = {
    "press": [
        ["[[I am|I'm]] [[a reporter|a correspondent|a political correspondent|an investigations reporter|"
         "the foreign affairs editor|a senior writer]] at {outlet} [[and am|, currently|, and I am]] "
         "[[working on|preparing|researching|writing]] [[a piece|an article|a longer feature|a report|an explainer]] "
         "[[about|on|looking at|examining]] {topic}.",
         "{outlet} is [[preparing|working on|about to publish]] [[a series|an investigation|a feature|a special report]] "
         "on {topic}, and [[I am leading it|I am one of the reporters|I have been asked to contact you]]."],
        ["[[Given your work on|As a member of|Following your remarks on|Because of your role in|Having read your "
         "recent statement on]] [[the {committee}|{topic}|this issue|these questions]], [[I would value|we would be "
         "grateful for|I would very much appreciate|it would be helpful to have]] [[your perspective|a short comment|"
         "your view|a few lines from you|an on-the-record comment]].",
         "[[Several|A number of|Some]] [[sources|officials|colleagues of yours|experts]] [[have pointed us to|"
         "mentioned|suggested we speak to]] [[you|your office]] [[as someone who knows|as the person to ask about|"
         "because of your work on]] [[{topic}|the {committee}'s inquiry|{topic2}]]."],
        ["[[Would you be available for|Could we arrange|Might you have time for]] [[a short call|a 15-minute "
         "interview|a brief phone conversation|a video call]] [[this week|before {deadline}|in the coming days|on "
         "{deadline}]]? [[Alternatively|If that is difficult|Otherwise]], [[a written reply|a short statement|"
         "answers by email]] [[would be enough|works just as well|is perfectly fine]].",
         "[[I have|We have]] [[put together|prepared|drafted]] [[three|four|a few|five]] questions, [[which you "
         "can find|available|listed]] [[at the link below|on our secure page|in the document linked below]]. "
         "[[Answers by|A reply before|Anything by]] {deadline} [[would be ideal|would be very helpful|would let "
         "us include your view]]."],
        ["[[Our|The]] [[deadline|publication date]] is {deadline}[[, and|;|. In the meantime,]] [[I am happy to|"
         "we can|I would be glad to]] [[treat the conversation as background|share the relevant passages with "
         "you beforehand|send you the draft for fact-checking]].",
         "[[For context|For your information|As background]], [[the piece|our reporting|the article]] "
         "[[draws on|is based on|cites]] [[{n1} interviews|{n1} documents|data from {n1} countries]] "
         "[[and will run|and is planned|scheduled]] [[in our weekend edition|online first|in print and online]]."],
    ],
    "invite": [
        ["On behalf of {organiser}, [[it is my pleasure to|I am delighted to|we would like to|I have the honour "
         "to]] invite you to [[the|our|this year's]] {event}, [[which will take place|to be held|taking place]] "
         "in {city} on {eventdate}.",
         "[[We are pleased|It is a pleasure|I am writing]] to invite you[[, on behalf of {organiser},|]] to "
         "[[speak at|join|take part in]] the {event} ({city}, {eventdate})."],
        ["This [[year's edition|meeting|programme|year's session]] [[focuses on|is devoted to|will address|"
         "centres on]] {topic} [[and brings together|, bringing together|with]] [[parliamentarians|legislators|"
         "policy makers]], [[journalists|editors|researchers]] and [[industry representatives|civil society|"
         "experts]] from [[over|more than|some]] {n1} countries.",
         "[[Discussions|Sessions|The panels]] will [[cover|examine|look at]] {topic} and {topic2}, "
         "[[under the Chatham House Rule|in a closed-door format|with a public opening session]]."],
        ["[[Travel and accommodation|Economy travel and two nights' accommodation|Accommodation]] [[will be "
         "covered|are covered|can be arranged]] by the organisers. [[Please confirm|Kindly let us know|We would "
         "be grateful if you could confirm]] your [[attendance|participation]] by {deadline} [[using the "
         "registration page|via the link below|on the RSVP form]].",
         "[[Places are limited|Seats are limited to {n2} participants|The number of places is small]], "
         "[[so please|we kindly ask you to]] [[register|reply|confirm]] [[before|by]] {deadline}."],
        ["[[The draft agenda|A provisional programme|The list of confirmed speakers]] [[is available|can be "
         "consulted|is attached|is online]][[ on the event page| below|]]. [[Do not hesitate to|Please]] "
         "[[contact me|get in touch|write to me]] [[with any questions|if you need further information|if you "
         "would like to propose a topic]] (ref. {ref})."],
    ],
    "digest": [
        ["[[Good morning|Welcome to|Here is]] [[the|your|today's]] {briefing} [[for {date}|]]. [[Today|This "
         "week|In this edition]]: {topic}, {topic2} and [[what it means for|the view from|the debate in]] "
         "[[parliament|Westminster|Brussels|{city}]]."],
        ["[[EXCLUSIVE|ANALYSIS|REVEALED|INSIDE]]: [[How|Why]] {actor} [[quietly|]] [[lobbied|courted|pressed]] "
         "[[MPs|officials|ministers]] over {topic}[[ - and what happens next|| ahead of a key vote]]."],
        ["[[Sources say|Documents seen by {outlet} show|Officials confirm]] that [[the {committee}|a cross-party "
         "group|ministers]] [[will|is expected to|may]] [[reopen|review|fast-track]] [[its inquiry into|the rules "
         "on|a report on]] {topic2} [[next month|after the recess|before the summer]]."],
        ["[[Also|Elsewhere|Plus]]: [[{n1} things to know about|a reader's guide to|the numbers behind]] {topic} "
         "[[, and|;|-]] [[our correspondent in {city} on|a podcast on|a long read on]] [[{topic2}|"
         "what comes next]]."],
    ],
    "report": [
        ["[[We have just published|Our team has released|Today we publish|This morning we released]] [[an "
         "investigation|a report|new research|a dossier]] [[into|on]] {topic}[[, the result of|, based on|"
         " after]] [[{n1} months of work|interviews in {n1} countries|a year of reporting]]."],
        ["[[It names|It documents|It reveals|It maps]] [[{n2} companies|{n2} officials|a network of "
         "intermediaries|the role of {actor}]] [[and|,]] [[raises questions about|sheds light on|documents "
         "gaps in]] [[oversight|the rules|procurement]][[ in your constituency| in several member states|]]."],
        ["[[Because|Since|As]] [[your committee|your office|the {committee}|your name]] [[is mentioned|appears|"
         "is referenced]] on page {pages}, [[we wanted you to see it before publication|we are giving you the "
         "opportunity to respond|I thought you would want to see it first]]."],
        ["[[The full report|The document|A summary and the full text]] [[can be downloaded|is available|can be "
         "read]] [[below|via the secure link|from our press page]]. [[Comments received by|Any response "
         "before|A statement by]] {deadline} [[will be reflected|will be included|will be published "
         "alongside]]."],
    ],
    "survey": [
        ["[[We are conducting|{organiser} is running|Together with {outlet} we are carrying out]] [[a short "
         "survey|a confidential survey|a study]] of [[parliamentarians'|legislators'|decision makers'|senior "
         "officials']] [[views on|attitudes to|experience with]] {topic}."],
        ["[[It takes|Completing it takes|The questionnaire takes]] [[about|around|no more than]] {n1} minutes"
         "[[, and|. All]] [[answers are anonymous|responses are confidential|results are reported only in "
         "aggregate]]."],
        ["[[The results will be|Findings will be|We will]] [[published|presented|shared]] [[at the {event} in "
         "{city}|in our {briefing}|in a report to the {committee}]][[ on {eventdate}|]]. [[Participants|Every "
         "respondent|You]] will [[receive|get]] [[an advance copy|the full data|a personal briefing]]."],
        ["[[Please|Kindly]] [[complete the survey|take part|fill in the questionnaire]] by {deadline} "
         "[[using your personal link|via the button below|at the address below]]. [[Your reference|Respondent "
         "number|Your code]] is {ref}."],
    ],
    "award": [
        ["[[I am pleased to inform you|It is my pleasure to tell you|We are delighted to let you know]] that "
         "[[you have been nominated|you have been shortlisted|your name has been put forward]] for the {award} "
         "[[in recognition of|for|honouring]] your work on {topic}."],
        ["[[The jury|The selection committee|Our panel]] [[of|comprising]] [[former ministers|editors|"
         "academics]] and [[journalists|civil society leaders|diplomats]] [[reviewed|considered|assessed]] "
         "[[{n2} nominations|nominations from {n1} countries|over {n2} candidates]] this year."],
        ["[[The ceremony|The award dinner|The presentation]] [[will be held|takes place]] in {city} on "
         "{eventdate}[[. We would be honoured if you could attend| and we hope you will join us|]]."],
        ["[[To accept the nomination|To confirm|To proceed]], [[please|kindly]] [[complete the short form|"
         "confirm your details|update your biography]] [[by {deadline}|before {deadline}]]. [[Reference|"
         "Nomination no.|File]] {ref}."],
    ],
    "leak": [
        ["[[We have obtained|A source has shared with us|Our newsroom has received|I have seen]] [[internal "
         "documents|a leaked memo|correspondence|meeting notes]] [[that appear to show|suggesting|indicating]] "
         "that {actor} [[sought to influence|monitored|attempted to approach|compiled profiles of]] [[members of "
         "the {committee}|several parliamentarians|your office|staff working on {topic}]]."],
        ["[[Your name|Your office|A member of your staff]] [[appears|is listed|is mentioned]] [[in|on page "
         "{pages} of]] [[the material|one of the documents|the annex]][[, dated {date}|]]."],
        ["[[Before we publish|Ahead of publication|Before our story runs]], [[we would like to|I want to|we "
         "would be grateful to]] [[give you the chance to comment|ask you about this|share the relevant pages "
         "with you]]. [[The extract|The relevant pages|The page in question]] [[is|are]] [[available at the "
         "link below|on our secure viewer|here]]."],
        ["[[We intend to publish|The story is planned|Publication is scheduled]] [[on|for]] {deadline}. "
         "[[This email is confidential|Please treat this as confidential|I would ask you not to share this]]."],
    ],
}

SUBJECTS = {
    "press": ["[[Request for comment|Interview request|Press enquiry|Media request|Quick question]]: {topic}",
              "{outlet}: [[your view on|question about|comment on]] {topic}",
              "[[Time for a short call|Could we speak]] [[this week|before {deadline}]]?",
              "[[Our piece on|Article on|Feature:]] {topic}"],
    "invite": ["Invitation: {event}", "[[Invitation to speak|Speaker invitation]] - {event}, {city}",
               "{event} ({city}, {eventdate})", "[[Save the date|Your invitation]]: {event}"],
    "digest": ["{briefing}: {topic}", "{briefing} | [[EXCLUSIVE|ANALYSIS]]: {topic}",
               "[[Today|This week]] in {briefing}", "{outlet} {briefing} - [[{topic2}|{topic}]]"],
    "report": ["[[New report|Investigation|Published today]]: {topic}", "[[Embargoed|Advance copy]]: {topic}",
               "[[Your office is mentioned in|Report on]] {topic}", "{outlet} [[investigation|dossier]]: {topic2}"],
    "survey": ["[[Survey|Short survey|Questionnaire]]: {topic}", "[[Your views on|Help us understand]] {topic}",
               "{organiser} [[survey|study]] on {topic}", "[[Reminder|Last chance]]: survey on {topic}"],
    "award": ["[[Nomination|Shortlist]]: {award}", "{award} [[- your nomination|- congratulations]]",
              "[[Congratulations|Good news]] - {award}", "{award} {year}"],
    "leak": ["[[Confidential|Urgent]]: {topic}", "[[Documents|Material]] [[mentioning|about]] your office",
             "[[Before we publish|Ahead of publication]]: {topic}", "[[Right of reply|Request for comment]] - {topic2}"],
}

AWARDS = ["[[Democracy|Transparency|Open Society|Press Freedom|Civic Courage]] [[Award|Prize|Medal]]",
          "[[Annual|International]] [[Parliamentarian|Legislator|Public Servant]] of the Year [[Award|Prize]]",
          "[[Vaclav|Marie|Andrei|Liu]] [[Fellowship|Prize]] for [[Human Rights|Free Expression|Good Governance]]"]
EVENTS = ["[[Annual|International|Inter-parliamentary|Nordic-Baltic|Indo-Pacific|Transatlantic|European]] "
          "[[Forum|Dialogue|Roundtable|Summit|Conference|Policy Workshop]] on [[Democratic Resilience|Economic "
          "Security|Technology and Freedom|Supply Chain Integrity|Media Freedom|Maritime Security|Research "
          "Security]]"]
ORGANISERS = ["the [[Centre|Institute|Foundation|Council]] for [[Democratic|Strategic|Asia-Pacific|Open|Maritime]] "
              "[[Studies|Affairs|Dialogue|Policy]]", "{outlet} [[Events|Live|Forum]]",
              "the [[Parliamentary|Legislators'|Young Leaders']] [[Network|Exchange|Caucus]] on {topic_short}"]
BRIEFINGS = ["[[Morning|Evening|Weekly|Westminster|Asia|Security|Policy]] [[Briefing|Digest|Dispatch|Bulletin|"
             "Memo|Note]]"]

# ------------------------------------------------------------------ URLs / tokens

TOKEN_STYLES = ["hex", "uuid", "b64url", "int", "plain", "urlenc", "b64", "hexaddr", "md5", "sha1", "sha256",
                "saltedmd5"]


def make_token(rng, style, addr, idx, salt):
    if style == "hex":
        return "%0*x" % (salt[1], rng.getrandbits(4 * salt[1]))
    if style == "uuid":
        h = "%032x" % rng.getrandbits(128)
        return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[rng.randrange(4)], h[17:20], h[20:32])
    if style == "b64url":
        return base64.urlsafe_b64encode(rng.getrandbits(8 * salt[1]).to_bytes(salt[1], "big")).decode().rstrip("=")
    if style == "int":
        return str(salt[2] + idx * salt[3])
    if style == "plain":
        return addr
    if style == "urlenc":
        return urllib.parse.quote(addr, safe="")
    if style == "b64":
        return urllib.parse.quote(base64.b64encode(addr.encode()).decode(), safe="")
    if style == "hexaddr":
        return addr.encode().hex()
    if style == "md5":
        return hashlib.md5(addr.encode()).hexdigest()
    if style == "sha1":
        return hashlib.sha1(addr.encode()).hexdigest()
    if style == "sha256":
        return hashlib.sha256(addr.encode()).hexdigest()
    return hashlib.md5((salt[0] + addr).encode()).hexdigest()  # saltedmd5: looks random


def token_salt(rng):
    return ("%x" % rng.getrandbits(40), rng.choice([16, 20, 24, 32]), rng.randrange(10000, 900000),
            rng.choice([1, 1, 3, 7]))


# path/query shapes: {T} the token, {C} a campaign constant, {H} host
URL_SHAPES_PIXEL = ["https://{H}/i/{T}.gif", "https://{H}/open/{T}", "https://{H}/p.gif?id={T}",
                    "https://{H}/{C}/{T}/logo.png", "https://{H}/t?e={T}&c={C}", "https://{H}/wf/open?upn={T}",
                    "https://{H}/media/{C}/{T}/spacer.png", "https://{H}/img/{T}", "https://{H}/track?uid={T}&cid={C}",
                    "https://{H}/s/{C}.png?r={T}", "https://{H}/v1/o/{T}/{C}.gif"]
URL_SHAPES_LINK = ["https://{H}/r/{T}", "https://{H}/read/{C}?u={T}", "https://{H}/c/{C}/{T}",
                   "https://{H}/article/{C}?ref={T}", "https://{H}/doc/{C}/view?token={T}",
                   "https://{H}/l/{T}?c={C}", "https://{H}/go?id={T}&dest={C}"]
PIXEL_HIDING = ["attr1x1", "style1x1", "display", "visibility", "opacity", "zero", "container", "offscreen",
                "classrule", "attr1x1-noalt", "max0"]
WORDS = ["media", "news", "press", "cdn", "static", "content", "feed", "reader", "stats", "assets", "img", "cache",
         "delivery", "insight", "brief", "digest", "wire", "report", "global", "daily", "asia", "policy", "world",
         "forum", "review", "monitor", "analytics", "mail", "link", "secure", "docs", "cloud", "view", "share"]
TLDS = ["com", "net", "org", "info", "io", "biz", "co", "news", "online", "site"]


def gen_host(rng, prefix=True):
    d = "%s-%s.%s" % (rng.choice(WORDS), rng.choice(WORDS), rng.choice(TLDS))
    if prefix and rng.random() < 0.6:
        d = rng.choice(["cdn", "img", "t", "px", "static", "assets", "s", "go", "links"]) + "." + d
    return d


def pixel_html(rng, url, hiding):
    if hiding == "attr1x1":
        return '<img src="%s" width="1" height="1" alt="" border="0">' % url
    if hiding == "attr1x1-noalt":
        return '<img src="%s" width="1" height="1">' % url
    if hiding == "style1x1":
        return '<img src="%s" style="width:1px;height:1px;border:0" alt="">' % url
    if hiding == "display":
        return '<img src="%s" style="display:none" alt="">' % url
    if hiding == "visibility":
        return '<img src="%s" style="visibility:hidden;width:20px" alt="">' % url
    if hiding == "opacity":
        return '<img src="%s" style="opacity:0" width="40" height="20" alt="">' % url
    if hiding == "zero":
        return '<img src="%s" width="0" height="0" alt="">' % url
    if hiding == "container":
        return '<div style="display:none;max-height:0;overflow:hidden"><img src="%s" alt="" width="100"></div>' % url
    if hiding == "offscreen":
        return '<img src="%s" style="position:absolute;left:-9999px;top:-9999px" alt="">' % url
    if hiding == "max0":
        return '<img src="%s" style="max-width:0;max-height:0" alt="">' % url
    return '<img class="%s" src="%s" alt="">' % (rng.choice(["sp", "trk", "spacer", "x"]), url)  # classrule


def css_html(rng, url, inner):
    s = rng.choice(["div", "td", "attr"])
    if s == "div":
        return '<div style="background-image:url(\'%s\');background-repeat:no-repeat">%s</div>' % (url, inner)
    if s == "td":
        return '<table role="presentation" width="100%%"><tr><td style="background:url(%s) no-repeat">%s</td></tr></table>' % (url, inner)
    return '<table role="presentation" width="100%%" background="%s"><tr><td>%s</td></tr></table>' % (url, inner)


# ------------------------------------------------------------------ senders

FREEMAILS = [("gmail.com", "mail-sor-f{a}.google.com", "209.85.220.{a}", 0),
             ("outlook.com", "mail-{x}.outbound.protection.outlook.com", "40.92.{b}.{a}", 1),
             ("proton.me", "mail-{a}.proton.ch", "185.70.40.{a}", 0),
             ("yahoo.com", "sonic{a}-{b}.consmr.mail.ir2.yahoo.com", "77.238.176.{a}", 0),
             ("gmx.net", "mout.gmx.net", "212.227.17.{a}", 0)]
ATTACKER_NET = "198.51.100."
CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}


def split_domain(d):
    for suf in ("co.uk", "com.hk", "com", "news", "de", "fr", "net", "org"):
        if d.endswith("." + suf):
            return d[: -len(suf) - 1], suf
    label, _, suf = d.partition(".")
    return label, suf


def lookalike(rng, domain):
    label, suf = split_domain(domain)
    k = rng.choice(["edit", "word", "tld", "hyphen", "swap", "idn", "sub", "idn"])
    if k == "edit":
        i = rng.randrange(1, len(label) - 1)
        return label[:i] + label[i + 1:] + "." + suf if label[i] != "-" else label + "s." + suf
    if k == "word":
        w = rng.choice(["-news", "news-", "-online", "-press", "the", "-uk", "-mail", "-global"])
        return (w + label if w.endswith("-") or w == "the" else label + w) + "." + (suf if w != "-uk" else "com")
    if k == "tld":
        return label + "." + rng.choice([s for s in ("com", "co", "news", "net", "org", "info", "press") if s != suf])
    if k == "hyphen":
        i = rng.randrange(3, len(label) - 2)
        return label.replace("-", "") + "." + suf if "-" in label else label[:i] + "-" + label[i:] + "." + suf
    if k == "swap":
        for a, b in (("m", "rn"), ("l", "1"), ("o", "0"), ("w", "vv"), ("i", "l")):
            if a in label:
                return label.replace(a, b, 1) + "." + suf
        return label + "s." + suf
    if k == "sub":
        return domain + "." + rng.choice(["secure-mailer.net", "mx-relay.com", "mailcloud.info", "press-mail.org"])
    spots = [i for i, c in enumerate(label) if c in CYR]
    if not spots:
        return label + "-news." + suf
    i = rng.choice(spots)
    return (label[:i] + CYR[label[i]] + label[i + 1:]).encode("idna").decode() + "." + suf


def qname(name):
    if all(32 <= ord(c) < 127 for c in name):
        if re.search(r"[^A-Za-z0-9 !#$%&'*+/=?^_`{|}~-]", name):
            return '"%s"' % name.replace("\\", "").replace('"', "")
        return name
    return "=?UTF-8?B?%s?=" % base64.b64encode(name.encode()).decode()


def qsubject(s):
    if all(32 <= ord(c) < 127 for c in s):
        return s
    return "=?utf-8?Q?%s?=" % "".join(
        c if c.isalnum() and ord(c) < 128 else ("_" if c == " " else "".join("=%02X" % b for b in c.encode()))
        for c in s)


def name_variant(rng, names, outlet_name):
    n = rng.choice(names)
    v = rng.choice(["plain", "plain", "plain", "outlet", "upper", "homoglyph", "initial"])
    if v == "outlet":
        return "%s | %s" % (n, outlet_name)
    if v == "upper":
        return n.upper()
    if v == "homoglyph":
        spots = [i for i, c in enumerate(n) if c in "aeocpi"]
        if spots:
            i = rng.choice(spots)
            return n[:i] + CYR[n[i]] + n[i + 1:]
    if v == "initial" and " " in n and "," not in n:
        f, la = n.split(" ", 1)
        return "%s. %s" % (f[0], la)
    return n


class Sender:
    """One From identity of a campaign and how it is delivered."""

    def __init__(self, display, addr, via, reply_to=None, dkim=None, esp=None):
        self.display, self.addr, self.via, self.reply_to = display, addr, via, reply_to
        self.dkim = dkim  # d= of our fake signature
        self.esp = esp

    @property
    def domain(self):
        return self.addr.rsplit("@", 1)[1]


ESPS = [dict(world.ESP, name="SendWave", helo="mta{a}.sendwave-mail.com", ipfmt="203.0.113.{a}"),
        {"domain": "mailfleet.io", "bounce": "bnc.mailfleet.io", "open": "o.mailfleet.io", "click": "l.mailfleet.io",
         "name": "MailFleet", "helo": "out-{a}.smtp.mailfleet.io", "ipfmt": "198.18.7.{a}"},
        {"domain": "postwire-esp.net", "bounce": "rp.postwire-esp.net", "open": "trk.postwire-esp.net",
         "click": "trk.postwire-esp.net", "name": "Postwire", "helo": "mx{a}.postwire-esp.net",
         "ipfmt": "198.19.44.{a}"}]


# ------------------------------------------------------------------ MIME

def encode_body(text, cte):
    """text (str, \n line ends) -> (cte header value, bytes with \n line ends)"""
    b = text.encode("utf-8")
    if cte == "quoted-printable":
        return cte, binascii.b2a_qp(b, istext=True)
    if cte == "base64":
        e = base64.b64encode(b)
        return cte, b"\n".join(e[i:i + 76] for i in range(0, len(e), 76)) + b"\n"
    if cte == "7bit" and any(c > 127 for c in b):
        return encode_body(text, "quoted-printable")
    return cte, b


def part(ctype, text, cte, extra=""):
    cte, body = encode_body(text, cte)
    return ("Content-Type: %s\nContent-Transfer-Encoding: %s\n%s\n" % (ctype, cte, extra)).encode() + body


def multipart(rng, sub, parts):
    b = rng.choice(["----=_Part_%d_%d.%d" % (rng.randrange(10**6), rng.randrange(10**9), rng.randrange(10**12)),
                    "=_%032x" % rng.getrandbits(128), "000000000000%012x" % rng.getrandbits(48),
                    "b1_%032x" % rng.getrandbits(128)])
    body = b"".join(b"--" + b.encode() + b"\n" + p + (b"" if p.endswith(b"\n") else b"\n") for p in parts)
    return ('multipart/%s; boundary="%s"' % (sub, b)), body + b"--" + b.encode() + b"--\n"


def finish(headers, ctype, body, crlf):
    h = "".join("%s: %s\n" % (k, v) for k, v in headers)
    h += "MIME-Version: 1.0\nContent-Type: %s\n" % ctype
    raw = h.encode("utf-8") + b"\n" + body
    return raw.replace(b"\n", b"\r\n") if crlf else raw


def body_for(rng, style, text, html, cte_text, cte_html, ics=None):
    """MIME structure: alt (text+html), html only, related-less variants, mixed with an .ics."""
    if style == "html":
        cte, b = encode_body(html, cte_html)
        return 'text/html; charset="utf-8"', b, cte
    parts = [part('text/plain; charset="utf-8"', text, cte_text), part('text/html; charset="utf-8"', html, cte_html)]
    ct, body = multipart(rng, "alternative", parts)
    if ics:
        inner = ("Content-Type: %s\n\n" % ct).encode() + body
        att = part('text/calendar; charset="utf-8"; method=REQUEST; name="invite.ics"', ics, "base64",
                   'Content-Disposition: attachment; filename="invite.ics"\n')
        ct, body = multipart(rng, "mixed", [inner, att])
    return ct, body, None


def with_cte(ct_body):
    ct, body, cte = ct_body
    return ct + ("\nContent-Transfer-Encoding: " + cte if cte else ""), body


def qid(rng):
    return "".join(rng.choice("0123456789BCDFGHJKLMNPQRSTVWXYZ") for _ in range(rng.choice([10, 11, 12])))


def rfc_date(t, tzh=0):
    tz = dt.timezone(dt.timedelta(minutes=int(tzh * 60)))
    return t.astimezone(tz).strftime("%a, %d %b %Y %H:%M:%S %z")


def received(rng, helo, rdns, ip, rcpt, t, tls=True):
    return ("Received", "from %s (%s [%s])\n\tby %s (Postfix) with %s id %s\n\tfor <%s>; %s"
            % (helo, rdns, ip, MX, "ESMTPS" if tls else "ESMTP", qid(rng), rcpt, rfc_date(t)))


def fake_dkim(rng, d, s, hdrs="from:to:subject:date:message-id"):
    sig = base64.b64encode(rng.getrandbits(1024).to_bytes(128, "big")).decode()
    bh = base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode()
    return ("DKIM-Signature", "v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s;\n\tt=%d; h=%s;\n\tbh=%s;\n\tb=%s"
            % (d, s, rng.randrange(1600000000, 1730000000), hdrs, bh, "\n\t ".join(
                sig[i:i + 70] for i in range(0, len(sig), 70))))


def delivery_headers(rng, p, t_arr, snd, mailfrom, auth, crlf_dummy=None):
    """Return-Path, Delivered-To/X-Original-To, our Received and Authentication-Results
    plus the sender side's Received hops. snd: dict(helo, rdns, ip, inner=[(k, v)...])."""
    h = [("Return-Path", "<%s>" % mailfrom)]
    r = rng.random()
    if r < 0.6:
        h.append(("Delivered-To", p.addr))
    elif r < 0.85:
        h.append(("X-Original-To", p.addr))
        h.append(("Delivered-To", p.addr))
    h.append(received(rng, snd["helo"], snd["rdns"], snd["ip"], p.addr, t_arr, tls=rng.random() < 0.9))
    h.append(("Authentication-Results", "%s;\n\t%s" % (MX, auth)))
    h += snd.get("inner", [])
    return h


# ------------------------------------------------------------------ malicious campaigns

LAYOUTS = ["plain", "branded", "gmail", "outlook", "card"]


def outlet_pick(rng, i):
    o = world.OUTLETS[i % len(world.OUTLETS)]
    names, local = rng.choice(o["people"])
    return o, names, local


class Campaign:
    pass


def make_campaign(rng, idx, size, start):
    c = Campaign()
    c.label = "mal-%02d" % idx
    c.kind = list(LURES)[(idx + rng.randrange(len(LURES))) % len(LURES)] if idx >= len(LURES) else list(LURES)[idx]
    o, names, local = outlet_pick(rng, rng.randrange(100))
    c.outlet, c.jnames, c.jlocal = o, names, local
    fake_outlet = rng.random() < 0.25
    c.outlet_name = o["name"] if not fake_outlet else expand(
        rng, "[[The|]] [[Asia|Global|Policy|Strategic|Capital|Parliament]] [[Review|Monitor|Observer|Insight|Dispatch]]").strip()
    topic, topic2 = rng.sample(TOPICS, 2)
    kw = dict(outlet=c.outlet_name, topic=topic, topic2=topic2, city=rng.choice(CITIES),
              committee=rng.choice(COMMITTEES), actor=rng.choice(ACTORS), n1=rng.randrange(3, 40),
              n2=rng.randrange(12, 300), year=start.year)
    ev_day = start + dt.timedelta(days=rng.randrange(20, 70))
    kw["eventdate"] = short_date(ev_day) + " " + str(ev_day.year)
    kw["topic_short"] = topic.split(" ")[-1].capitalize()
    kw["organiser"] = expand(rng, rng.choice(ORGANISERS), **kw)
    kw["event"] = expand(rng, rng.choice(EVENTS), **kw)
    kw["award"] = expand(rng, rng.choice(AWARDS), **kw)
    kw["briefing"] = expand(rng, rng.choice(BRIEFINGS), **kw)
    c.kw = kw
    paras = []
    for slot in LURES[c.kind]:
        if len(paras) >= 2 and rng.random() < 0.2:
            continue  # some campaigns are shorter
        paras.append(expand(rng, rng.choice(slot), **kw))
    if c.kind == "press" and rng.random() < 0.5:
        qs = ["How do you assess {topic}?", "Has the {committee} discussed {topic2} with the government?",
              "What should ministers do about {topic} in the next year?",
              "Have you been approached by {actor}?", "Would you support an inquiry into {topic2}?",
              "What is the view in your party on {topic}?"]
        c.questions = [expand(rng, q, **kw) for q in rng.sample(qs, rng.randrange(2, 5))]
    else:
        c.questions = []
    if c.kind == "invite":
        c.agenda = [expand(rng, "[[Panel|Session|Keynote]] %d: [[{topic}|{topic2}|Resilience and "
                                "%s|The role of parliaments]]" % (i + 1, rng.choice(["trust", "trade", "technology", "security"])), **kw)
                    for i in range(rng.randrange(2, 5))]
    else:
        c.agenda = []
    c.paras = paras
    c.subjects = [expand(rng, s, **kw) for s in rng.sample(SUBJECTS[c.kind], rng.randrange(2, 5))]
    c.subject_name = rng.choice([None, None, "prefix", "suffix"])
    c.salutations = rng.sample(range(len(SALUTATIONS)), rng.choice([1, 1, 2, 3]))
    c.closing = expand(rng, "[[Best regards|Kind regards|Many thanks|With best wishes|Thank you in advance|"
                            "Yours sincerely|Warm regards]],")
    c.footer_addr = rng.random() < 0.5
    c.footer_text = expand(rng, rng.choice([
        "This message was sent to {addr}. [[If you received it in error|If you are not the intended recipient]], "
        "[[please delete it|please let us know]].",
        "[[Confidential|Private and confidential]]: [[intended for|for the attention of]] {addr} only.",
        "You are receiving this [[because of your role|as a member of our contact list|as a registered "
        "participant]] ({addr}).", "Sent to {addr} [[on {date}|]]"]))
    c.phone = "+44 20 7946 0%03d" % rng.randrange(1000)
    c.layout = rng.choice(LAYOUTS)
    c.mime = rng.choice(["alt", "alt", "html", "html"]) if c.kind != "invite" else rng.choice(["alt", "ics", "html"])
    c.cte_html = rng.choice(["quoted-printable", "quoted-printable", "base64", "8bit", "7bit"])
    c.cte_text = rng.choice(["quoted-printable", "8bit", "7bit"])
    c.crlf = rng.random() < 0.3
    # trackers: host, shapes, token style, carrier
    own = rng.random() < 0.55
    c.tracker_host = rng.choice(world.TRACKER_HOSTS) if own else gen_host(rng)
    c.const = rng.choice(["%d" % rng.randrange(100, 99999), "%x" % rng.getrandbits(24), "c%d" % rng.randrange(10, 999),
                          "%s%d" % (rng.choice(["nl", "pr", "ev", "q"]), rng.randrange(100, 999))])
    c.trackers = []
    rotate = rng.random() < 0.25
    n_tr = rng.choice([1, 1, 2, 2, 3])
    carriers = rng.sample(["pixel", "pixel", "css", "link"], n_tr) if n_tr < 4 else ["pixel", "css", "link"]
    for car in carriers:
        t = {"carrier": car, "style": rng.choice(TOKEN_STYLES), "salt": token_salt(rng)}
        t["shape"] = rng.choice(URL_SHAPES_LINK if car == "link" else URL_SHAPES_PIXEL)
        t["hiding"] = rng.choice(PIXEL_HIDING)
        t["host"] = c.tracker_host if rng.random() < 0.8 else gen_host(rng)
        # a quarter of the campaigns rotate their copies over 2-3 tracking hosts
        t["hosts"] = [t["host"]] + ([gen_host(rng) for _ in range(rng.randrange(1, 3))] if rotate else [])
        t["pos"] = rng.choice(["top", "end", "footer", "middle"])
        c.trackers.append(t)
    c.share_token = rng.random() < 0.5  # one token for every tracker of a message
    c.logo = rng.random() < 0.6
    c.logo_w = rng.choice([160, 180, 200, 240])
    c.color = "#%06x" % rng.getrandbits(24)
    c.logo_url = "https://%s/static/%s/%s.png" % (
        c.tracker_host if rng.random() < 0.5 else lookalike(rng, o["domain"]), c.const,
        rng.choice(["logo", "masthead", "header", "banner"]))
    c.article_link = "https://%s/%s/%s" % (rng.choice([lookalike(rng, o["domain"]), gen_host(rng, False)]),
                                           rng.choice(["politics", "world", "analysis", "events", "docs"]),
                                           re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-"))
    c.real_link = "https://www.%s/%s" % (o["domain"], rng.choice(["politics", "world", "about", "contact", ""]))
    # senders
    c.senders = []
    esp = ESPS[0] if rng.random() < 0.7 else rng.choice(ESPS)
    own_domains = [gen_host(rng, False) for _ in range(rng.randrange(1, 3))]
    kinds = rng.sample(["freemail", "lookalike", "lookalike-esp", "own", "own-esp", "espshared", "outletname"],
                       rng.randrange(2, 5))
    for k in kinds:
        disp = name_variant(rng, names, o["name"])
        if k == "freemail":
            fm = rng.choice(FREEMAILS)
            lp = local.replace(".", rng.choice(["", ".", "_"])) + rng.choice(["", str(rng.randrange(10, 99)),
                                                                             ".press", ".news", ".journalist"])
            la = lookalike(rng, o["domain"])
            c.senders.append(Sender(disp, "%s@%s" % (lp, fm[0]), "freemail:%d" % FREEMAILS.index(fm),
                                    reply_to=("%s@%s" % (local, la)) if rng.random() < 0.5 else None, dkim=fm[0]))
        elif k in ("lookalike", "lookalike-esp"):
            la = lookalike(rng, o["domain"])
            c.senders.append(Sender(disp, "%s@%s" % (rng.choice([local, "newsdesk", "press", local]), la),
                                    "esp" if k == "lookalike-esp" else "attacker", dkim=la, esp=esp))
        elif k in ("own", "own-esp"):
            d = rng.choice(own_domains)
            nm = rng.choice([disp, "%s %s" % (rng.choice(FIRST_F + FIRST_M), rng.choice(LAST)),
                             c.outlet_name, c.outlet_name + " Newsdesk"])
            c.senders.append(Sender(nm, "%s@%s" % (rng.choice(["news", "editor", "events", "info", "desk",
                                                               local.split(".")[0]]), d),
                                    "esp" if k == "own-esp" else "attacker", dkim=d, esp=esp))
        elif k == "espshared":
            c.senders.append(Sender(disp, "%s-%x@%s" % (rng.choice(["newsroom", "press", "news"]), rng.getrandbits(20),
                                                        esp["domain"]), "esp", dkim=esp["domain"], esp=esp))
        else:
            la = lookalike(rng, o["domain"])
            c.senders.append(Sender(rng.choice([o["name"], o["name"] + " Newsdesk", "Press Office"]),
                                    "%s@%s" % (rng.choice(["newsdesk", "press", "editor", "politics"]), la),
                                    rng.choice(["attacker", "esp"]), dkim=la, esp=esp))
    c.sender_weights = [rng.randrange(1, 10) for _ in c.senders]
    c.attacker_ips = ["%s%d" % (ATTACKER_NET, rng.randrange(2, 250)) for _ in range(rng.randrange(1, 3))]
    c.list_unsub = rng.random() < 0.6
    c.xmailer = rng.choice([None, "PHPMailer 6.5.0 (https://github.com/PHPMailer/PHPMailer)",
                            "Microsoft Outlook 16.0", "SendWave Campaigns", None])
    c.size = size
    c.start = start
    c.span = dt.timedelta(hours=rng.uniform(2, 96))
    c.tz = rng.choice([0, 0, 1, 8, -5, 2])
    return c


def fill(s, p, t, rng, c):
    ref = "%s-%d" % (c.const[:3].upper(), rng.randrange(10000, 99999))
    dl = t + dt.timedelta(days=rng.randrange(2, 9))
    return (s.replace("{date}", long_date(t)).replace("{deadline}", long_date(dl)).replace("{ref}", ref)
            .replace("{num}", str(rng.randrange(2, 60))).replace("{pages}", str(rng.randrange(3, 180)))
            .replace("{addr}", p.addr))


def h(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def layout_html(rng, layout, c, head, body_html, foot, brand_color):
    if layout == "plain":
        return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n<body style="font-family:Arial,'
                'sans-serif;font-size:14px">\n%s\n%s\n%s\n</body></html>\n' % (head, body_html, foot))
    if layout == "gmail":
        return ('<div dir="ltr">\n%s\n%s\n<div class="gmail_signature">%s</div>\n</div>\n' % (head, body_html, foot))
    if layout == "outlook":
        return ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>\n<meta http-equiv="Content-Type" '
                'content="text/html; charset=utf-8">\n<style><!-- p.MsoNormal {margin:0cm;font-size:11.0pt;'
                'font-family:"Calibri",sans-serif} --></style></head>\n<body lang="EN-GB">\n<div class="WordSection1">'
                '\n%s\n%s\n%s\n</div>\n</body></html>\n' % (head, body_html.replace("<p>", '<p class="MsoNormal">'), foot))
    if layout == "card":
        return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
                '</head>\n<body style="background:#f4f4f4;margin:0">\n<div style="max-width:620px;margin:0 auto;'
                'background:#fff;padding:24px;border-top:4px solid %s">\n%s\n%s\n<hr>\n<div style="font-size:11px;'
                'color:#777">%s</div>\n</div>\n</body></html>\n' % (brand_color, head, body_html, foot))
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n<body style="margin:0">\n<table width="100%%" '
            'cellpadding="0" cellspacing="0" role="presentation"><tr><td align="center">\n<table width="600" '
            'cellpadding="0" cellspacing="0" role="presentation">\n<tr><td style="background:%s;padding:12px">%s</td>'
            '</tr>\n<tr><td style="padding:20px;font-family:Georgia,serif">\n%s\n</td></tr>\n<tr><td style="font-size:'
            '11px;color:#666;padding:12px">%s</td></tr>\n</table>\n</td></tr></table>\n</body></html>\n'
            % (brand_color, head, body_html, foot))


def render_malicious(rng, c, p, t_arr, i):
    """One copy of campaign c for person p, arriving at t_arr. -> bytes"""
    t_sent = t_arr - dt.timedelta(seconds=rng.randrange(1, 400))
    sal = SALUTATIONS[rng.choice(c.salutations)](p)
    paras = [fill(x, p, t_sent, rng, c) for x in c.paras]
    shared = None
    toks = []
    for k, tr in enumerate(c.trackers):
        if c.share_token and shared is not None:
            toks.append(shared)
            continue
        tok = make_token(rng, tr["style"], p.addr, i, tr["salt"])
        toks.append(tok)
        shared = tok if shared is None else shared
    urls = [tr["shape"].replace("{H}", tr["hosts"][i % len(tr["hosts"])]).replace("{C}", c.const).replace("{T}", tok)
            for tr, tok in zip(c.trackers, toks)]
    sender = rng.choices(c.senders, c.sender_weights)[0]
    sign = rng.choice(c.jnames) if sender.display not in (c.outlet["name"], "Press Office") else sender.display
    # text
    tl = [sal, ""]
    for x in paras:
        tl += [x, ""]
    for q in c.questions:
        tl.append("  - " + q)
    for a in c.agenda:
        tl.append("  * " + fill(a, p, t_sent, rng, c))
    if c.questions or c.agenda:
        tl.append("")
    links_text = []
    for tr, u in zip(c.trackers, urls):
        if tr["carrier"] == "link":
            links_text.append(u)
    if links_text:
        tl += [rng.choice(["Read more: ", "Details: ", "Link: ", ""]) + links_text[0], ""]
    tl += [c.closing, sign, c.outlet_name, c.phone, ""]
    if c.footer_addr:
        tl.append(fill(c.footer_text, p, t_sent, rng, c))
    text = "\n".join(tl) + "\n"
    # html
    color = c.color
    head = ""
    if c.logo:
        head = '<img src="%s" width="%d" height="48" alt="%s">' % (c.logo_url, c.logo_w, h(c.outlet_name))
    blocks = ["<p>%s</p>" % h(sal)] + ["<p>%s</p>" % h(x) for x in paras]
    if c.questions:
        blocks.append("<ol>" + "".join("<li>%s</li>" % h(q) for q in c.questions) + "</ol>")
    if c.agenda:
        blocks.append("<ul>" + "".join("<li>%s</li>" % h(a) for a in c.agenda) + "</ul>")
    link_label = {"press": "See the questions", "invite": "Register here", "digest": "Read the full story",
                  "report": "Download the report (PDF)", "survey": "Start the survey", "award": "Accept the nomination",
                  "leak": "View the documents"}[c.kind]
    has_link = False
    foot_extra = []
    for tr, u in zip(c.trackers, urls):
        if tr["carrier"] == "link":
            blocks.append('<p><a href="%s" style="color:%s">%s</a></p>' % (h(u), color, link_label))
            has_link = True
        elif tr["carrier"] == "css":
            pos = 1 if tr["pos"] in ("top", "middle") else len(blocks) - 1
            blocks[pos] = css_html(rng, h(u), blocks[pos])
        else:
            px = pixel_html(rng, h(u), tr["hiding"])
            if tr["hiding"] == "classrule":
                cls = re.search(r'class="([^"]+)"', px).group(1)
                head = "<style>.%s{display:none !important}</style>" % cls + head
            if tr["pos"] == "top":
                head = head + px
            elif tr["pos"] == "middle":
                blocks.insert(len(blocks) // 2, px)
            elif tr["pos"] == "footer":
                foot_extra.append(px)
            else:
                blocks.append(px)
    if not has_link:
        blocks.append('<p><a href="%s">%s</a></p>' % (h(c.article_link), link_label))
    blocks.append("<p>%s<br>%s<br>%s<br>%s</p>" % (h(c.closing), h(sign), h(c.outlet_name), h(c.phone)))
    foot = ""
    if c.footer_addr:
        foot = h(fill(c.footer_text, p, t_sent, rng, c))
    if rng.random() < 0.7:
        foot += ' <a href="%s">%s</a>' % (h(c.real_link), h(c.outlet["name"]))
    foot += "".join(foot_extra)
    html = layout_html(rng, c.layout, c, head, "\n".join(blocks), foot, color)
    # subject
    subj = fill(rng.choice(c.subjects), p, t_sent, rng, c)
    if c.subject_name == "prefix" and rng.random() < 0.7:
        subj = "%s, %s" % (p.first, subj[0].lower() + subj[1:])
    elif c.subject_name == "suffix" and rng.random() < 0.7:
        subj = "%s - for %s %s" % (subj, honorific(p), p.last)
    # headers
    hdrs = []
    mid_dom = sender.domain
    if sender.via.startswith("freemail"):
        fm = FREEMAILS[int(sender.via.split(":")[1])]
        a = rng.randrange(1, 250)
        helo = fm[1].format(a=a, b=rng.randrange(1, 250), x="%s%02d%s" % (rng.choice(["db5", "am6", "vi1"]), rng.randrange(100), "eur03"))
        ip = fm[2].format(a=a, b=rng.randrange(1, 250))
        mailfrom = sender.addr
        inner = [("Received", "by 2002:a05:%04x:%x:b0:%x:%x with SMTP id %s;\n\t%s"
                  % (rng.getrandbits(16), rng.getrandbits(12), rng.getrandbits(12), rng.getrandbits(16),
                     "%x" % rng.getrandbits(40), rfc_date(t_sent, c.tz)))] if fm[0] == "gmail.com" else []
        auth = "dkim=pass header.i=@%s header.s=%s header.b=%s;\n\tspf=pass (%s: domain of %s designates %s as permitted sender) smtp.mailfrom=%s;\n\tdmarc=pass (p=NONE) header.from=%s" % (
            fm[0], rng.choice(["20230601", "s1024", "selector1"]), base64.b64encode(rng.getrandbits(48).to_bytes(6, "big")).decode(),
            MX, sender.addr, ip, sender.addr, fm[0])
        hdrs_dkim = [fake_dkim(rng, fm[0], "20230601")]
        mid_dom = "mail.gmail.com" if fm[0] == "gmail.com" else fm[0]
    elif sender.via == "esp":
        esp = sender.esp
        a = rng.randrange(2, 60)
        helo = esp["helo"].format(a=a)
        ip = esp["ipfmt"].format(a=a)
        mailfrom = "b-%x.%x@%s" % (rng.getrandbits(32), rng.getrandbits(24), esp["bounce"])
        inner = [("Received", "from app-%d.internal.%s (unknown [10.%d.%d.%d])\n\tby %s with ESMTP id %x;\n\t%s"
                  % (rng.randrange(1, 40), esp["domain"], rng.randrange(256), rng.randrange(256), rng.randrange(256),
                     helo, rng.getrandbits(48), rfc_date(t_sent)))]
        aligned = sender.domain == esp["domain"]
        auth = "spf=pass smtp.mailfrom=%s;\n\tdkim=pass header.d=%s%s;\n\tdmarc=%s header.from=%s" % (
            mailfrom, esp["domain"], "" if aligned or rng.random() < 0.5 else "; dkim=pass header.d=" + sender.domain,
            "pass" if aligned else "none", sender.domain)
        hdrs_dkim = [fake_dkim(rng, esp["domain"], "sw1")]
        if not aligned and rng.random() < 0.5:
            hdrs_dkim.insert(0, fake_dkim(rng, sender.domain, "s1"))
        mid_dom = esp["domain"]
        if c.list_unsub:
            hdrs.append(("List-Unsubscribe", "<https://%s/u/%x>, <mailto:unsub-%x@%s>" % (
                esp["click"], rng.getrandbits(64), rng.getrandbits(32), esp["bounce"])))
    else:
        ip = rng.choice(c.attacker_ips)
        helo = rng.choice(["mail." + sender.domain, "vps-%x" % rng.getrandbits(24), sender.domain])
        mailfrom = sender.addr
        inner = []
        auth = "spf=pass smtp.mailfrom=%s;\n\tdkim=pass header.d=%s;\n\tdmarc=pass (p=NONE) header.from=%s" % (
            sender.addr, sender.domain, sender.domain)
        hdrs_dkim = [fake_dkim(rng, sender.domain, "default")]
        helo_r = helo if "." in helo else "unknown"
        helo = (helo, helo_r)
    if isinstance(helo, tuple):
        snd = {"helo": helo[0], "rdns": helo[1], "ip": ip}
    else:
        snd = {"helo": helo, "rdns": helo, "ip": ip}
    snd["inner"] = inner
    top = delivery_headers(rng, p, t_arr, snd, mailfrom, auth)
    to = "%s <%s>" % (qname(p.name), p.addr) if rng.random() < 0.8 else p.addr
    if rng.random() < 0.1:
        to = "undisclosed-recipients:;"
        if not any(k == "Delivered-To" for k, _ in top):
            top.insert(1, ("Delivered-To", p.addr))
    msg = top + hdrs_dkim + [("From", "%s <%s>" % (qname(sender.display), sender.addr)), ("To", to),
                             ("Subject", qsubject(subj)), ("Date", rfc_date(t_sent, c.tz)),
                             ("Message-ID", "<%x.%x@%s>" % (rng.getrandbits(48), rng.getrandbits(32), mid_dom))]
    if sender.reply_to:
        msg.append(("Reply-To", sender.reply_to))
    msg += hdrs
    if c.xmailer:
        msg.append(("X-Mailer", c.xmailer))
    ics = None
    if c.mime == "ics":
        ev = t_sent + dt.timedelta(days=30)
        ics = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//%s//EN\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:%x@%s\n"
               "DTSTART:%s\nSUMMARY:%s\nLOCATION:%s\nATTENDEE;CN=%s:mailto:%s\nEND:VEVENT\nEND:VCALENDAR\n"
               % (c.outlet_name, rng.getrandbits(64), sender.domain, ev.strftime("%Y%m%dT090000Z"),
                  c.kw["event"], c.kw["city"], p.name, p.addr))
    ct, body = with_cte(body_for(rng, "html" if c.mime == "html" else "alt", text, html, c.cte_text, c.cte_html, ics))
    return finish(msg, ct, body, c.crlf)


# ------------------------------------------------------------------ newsletters

HEADLINE = ["[[Why|How|What]] {topic} [[matters for|will change|could reshape]] [[your business|the economy|"
            "Europe|the next election|households]]",
            "[[Minister|Regulator|Watchdog|Court]] [[unveils|delays|rejects|backs]] [[plan|rules|deal|bill]] on {topic}",
            "[[The week in|Five things about|Explained:|Opinion:]] {topic}",
            "[[Inside the|The hidden|The real]] [[cost|story|battle]] [[of|behind]] {topic}",
            "{n} [[charts|numbers|people]] [[that explain|shaping]] {topic}",
            "[[Live|Watch|Listen]]: [[our panel|the debate|the podcast]] on {topic}"]
BLURB = ["[[Our|The]] [[correspondent|reporter|economics editor|data team]] [[looks at|explains|asks]] "
         "[[what comes next|who gains|why it took so long|what it costs]][[.| and why it matters.]]",
         "[[Analysis|Reporting]] from {city} [[on the latest|on new|after]] [[figures|talks|protests|votes]].",
         "[[A|The]] [[short|long|weekend]] read: [[{n} minutes|everything you need to know]]."]
COMPANY_NL = [("contoso-energy.co.uk", "Contoso Energy", "insights@contoso-energy.co.uk", "Energy Insights"),
              ("northwind-defence.com", "Northwind", "news@northwind-defence.com", "Northwind Update"),
              ("think-eurasia.org", "Think Eurasia", "newsletter@think-eurasia.org", "Eurasia Monitor"),
              ("bookhaven.shop", "Bookhaven", "hello@bookhaven.shop", "Weekly Picks"),
              ("parlnews-digest.org", "Parliament Digest", "digest@parlnews-digest.org", "The Sitting Week")]


class Newsletter:
    pass


def make_newsletter(rng, idx, subscribers, issues, start):
    n = Newsletter()
    n.label = "nl-%02d" % idx
    if idx % 2 == 0:
        o = world.OUTLETS[(idx // 2) % len(world.OUTLETS)]
        n.domain, n.org = o["domain"], o["name"]
        if idx % 4 == 2:  # a journalist's own newsletter
            names, local = o["people"][0]
            n.display, n.addr = names[0], "%s@%s" % (local, o["domain"])
            n.title = expand(rng, "%s's [[Westminster|Politics|World|Week]] [[Notes|Letter|Column]]" % names[0])
        else:
            n.display = o["name"]
            n.addr = "%s@%s" % (rng.choice(["newsletter", "news", "briefing", "noreply"]), o["domain"])
            n.title = expand(rng, "[[Morning|Evening|Weekend|Daily|Politics]] [[Briefing|Edition|Digest]]")
    else:
        d, org, addr, title = COMPANY_NL[(idx // 2) % len(COMPANY_NL)]
        n.domain, n.org, n.display, n.addr, n.title = d, org, org, addr, title
    n.esp = ESPS[idx % len(ESPS)]
    n.subs = subscribers
    n.issues = [start + dt.timedelta(days=7 * k, hours=rng.uniform(-1, 1)) for k in range(issues)]
    n.color = "#%06x" % rng.getrandbits(24)
    n.layout = rng.choice(["table", "card"])
    n.greeting = rng.random() < 0.5
    n.cte = rng.choice(["quoted-printable", "base64", "8bit"])
    n.crlf = rng.random() < 0.5
    n.link_shape = rng.choice(["https://{click}/c/{T}/{n}?u={u}", "https://{click}/ls/click?upn={T}-{n}",
                               "https://{click}/r/{n}/{T}"])
    n.open_shape = rng.choice(["https://{open}/o/{T}.gif", "https://{open}/wf/open?upn={T}", "https://{open}/t/{T}"])
    n.addr_footer = rng.random() < 0.7
    # every third one is a real organisation's event invitations (RSVP link per recipient):
    # legitimate mail that reads like the "invite" lures
    n.invite = idx % 3 == 1
    if n.invite:
        n.greeting = True
    return n


def invitation(rng, n, t0):
    """One invitation mailing of n: (subject, paragraphs with {deadline} left)."""
    kw = dict(outlet=n.org, organiser=n.org, city=rng.choice(CITIES), n1=rng.randrange(5, 40),
              n2=rng.randrange(20, 200), committee=rng.choice(COMMITTEES), actor=rng.choice(ACTORS))
    kw["topic"], kw["topic2"] = rng.sample(TOPICS, 2)
    ev = t0 + dt.timedelta(days=rng.randrange(20, 60))
    kw["eventdate"] = "%s %d" % (short_date(ev), ev.year)
    kw["topic_short"] = kw["topic"].split(" ")[-1].capitalize()
    kw["event"] = expand(rng, rng.choice(EVENTS), **kw)
    paras = [expand(rng, rng.choice(slot), **kw) for slot in LURES["invite"]]
    return "Invitation: %s (%s, %s)" % (kw["event"], kw["city"], kw["eventdate"]), paras


def render_newsletter(rng, n, issue_no, articles, p, t_arr):
    tok = "%024x" % rng.getrandbits(96)
    esp = n.esp
    rows = []
    text = []
    if n.greeting:
        sal = ("Dear %s %s," % (honorific(p), p.last)) if n.invite else "Hi %s," % p.first
        rows.append("<tr><td><p>%s</p></td></tr>" % h(sal))
        text += [sal, ""]
    if n.invite:
        subject, paras = articles
        dl = long_date(t_arr + dt.timedelta(days=14))
        for x in paras:
            rows.append("<tr><td><p>%s</p></td></tr>" % h(x.replace("{deadline}", dl).replace("{ref}", tok[:8])))
            text += [x.replace("{deadline}", dl).replace("{ref}", tok[:8]), ""]
        u = n.link_shape.replace("{click}", esp["click"]).replace("{T}", tok).replace("{n}", "1").replace(
            "{u}", urllib.parse.quote("https://www.%s/events/rsvp" % n.domain, safe=""))
        rows.append('<tr><td style="padding:12px 0"><a href="%s" style="background:%s;color:#fff;padding:10px 18px;'
                    'text-decoration:none">RSVP</a></td></tr>' % (h(u), n.color))
        text += ["RSVP: " + u, ""]
        articles = []
    else:
        subject = "%s: %s" % (n.title, articles[0][0])
    for k, (hl, bl, slug) in enumerate(articles):
        u = n.link_shape.replace("{click}", esp["click"]).replace("{T}", tok).replace("{n}", str(k + 1)).replace(
            "{u}", urllib.parse.quote("https://www.%s/%s" % (n.domain, slug), safe=""))
        rows.append('<tr><td style="padding:10px 0"><h2 style="font-size:18px;margin:0"><a href="%s" '
                    'style="color:%s;text-decoration:none">%s</a></h2><p style="margin:4px 0">%s</p></td></tr>'
                    % (h(u), n.color, h(hl), h(bl)))
        text += [hl, bl, u, ""]
    unsub = "https://%s/unsubscribe/%s" % (esp["click"], tok)
    opn = n.open_shape.replace("{open}", esp["open"]).replace("{T}", tok)
    footer = '%s &middot; <a href="%s">Unsubscribe</a> &middot; <a href="https://www.%s/privacy">Privacy</a>' % (
        h(n.org), h(unsub), n.domain)
    if n.addr_footer:
        footer = "This email was sent to %s. " % h(p.addr) + footer
    html = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>%s</title></head>\n<body style="margin:0;'
            'background:#eee">\n<table width="100%%" role="presentation"><tr><td align="center">\n<table width="640" '
            'style="background:#fff" role="presentation">\n<tr><td style="background:%s;padding:16px"><img src="https://'
            'www.%s/email/masthead.png" width="300" height="60" alt="%s"></td></tr>\n<tr><td style="padding:8px 16px;'
            'font-size:12px">%s &middot; No. %d &middot; <a href="https://%s/view/%s">View in browser</a></td></tr>\n'
            '<tr><td style="padding:0 16px"><table role="presentation" width="100%%">\n%s\n</table></td></tr>\n'
            '<tr><td style="padding:16px;font-size:11px;color:#888">%s</td></tr>\n</table>\n</td></tr></table>\n'
            '<img src="%s" width="1" height="1" alt="" style="display:block">\n</body></html>\n'
            % (h(n.title), n.color, n.domain, h(n.org), short_date(t_arr), issue_no, esp["click"], tok,
               "\n".join(rows), footer, h(opn)))
    text += ["Unsubscribe: " + unsub]
    if n.addr_footer:
        text.append("This email was sent to %s." % p.addr)
    a = rng.randrange(2, 60)
    helo = esp["helo"].format(a=a)
    ip = esp["ipfmt"].format(a=a)
    mailfrom = "bounce-%x-%s=%s@%s" % (rng.getrandbits(32), p.addr.split("@")[0], p.domain, esp["bounce"])
    t_sent = t_arr - dt.timedelta(seconds=rng.randrange(1, 90))
    auth = ("spf=pass smtp.mailfrom=%s;\n\tdkim=pass header.d=%s header.s=news;\n\tdkim=pass header.d=%s;\n\t"
            "dmarc=pass (p=REJECT) header.from=%s" % (esp["bounce"], n.domain, esp["domain"], n.domain))
    snd = {"helo": helo, "rdns": helo, "ip": ip, "inner": []}
    hdrs = delivery_headers(rng, p, t_arr, snd, mailfrom, auth)
    hdrs += [fake_dkim(rng, n.domain, "news"), fake_dkim(rng, esp["domain"], "sw1"),
             ("From", "%s <%s>" % (qname(n.display), n.addr)), ("To", p.addr),
             ("Subject", qsubject(subject)), ("Date", rfc_date(t_sent)),
             ("Message-ID", "<%s.%x@%s>" % (tok, rng.getrandbits(24), esp["domain"])),
             ("List-Unsubscribe", "<%s>, <mailto:unsub-%s@%s>" % (unsub, tok, esp["bounce"])),
             ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
             ("List-Id", "%s <%s.%s>" % (qname(n.title), re.sub(r"[^a-z]", "", n.title.lower()), n.domain)),
             ("Precedence", "bulk"), ("Feedback-ID", "%d:%s:%s" % (issue_no, n.label, esp["name"].lower()))]
    ct, body = with_cte(body_for(rng, "alt", "\n".join(text) + "\n", html, "quoted-printable", n.cte))
    return finish(hdrs, ct, body, n.crlf)


# ------------------------------------------------------------------ ham

HAM_OPEN = ["Thanks for [[your note|the papers|getting back to me|yesterday's meeting|the call earlier]].",
            "[[Quick|Short]] [[update|question|follow-up]] on [[{thing}|the {thing}|our {thing}]].",
            "I hope [[you had a good weekend|the trip went well|you are keeping well|the recess was restful]].",
            "[[Sorry|Apologies]] for the [[slow reply|delay|late notice]] - [[it has been a busy week|I was away|"
            "the {thing} took longer than expected]].", "Following up on [[{thing}|what we discussed|your question]]:"]
HAM_MID = ["[[Could you|Can you|Would you mind if we]] [[move|push|bring forward]] [[the {thing}|our meeting]] to "
           "[[{day}|next week|{day} afternoon|{day} at {hour}]]?",
           "I've [[attached|put in the shared drive|printed]] the [[draft|latest version|notes|figures]] for "
           "[[the {thing}|you to look at|{day}]].", "The [[room|venue|call]] is [[booked|confirmed|sorted]] for "
           "{day} at {hour}[[, room {room}|]].",
           "[[Can you|Could you]] [[check|confirm|send me]] the [[numbers|dates|names|costs]] [[for|on]] the {thing}?",
           "[[My|Our]] [[constituent|neighbour|landlord|daughter's school]] [[has asked about|is worried about|wrote "
           "about]] [[the {thing}|{street}|parking on {street}|the bus route past {street}]].",
           "[[The|Our]] [[contractor|plumber|council|GP surgery]] [[said|told me|confirmed]] [[it would be|they can "
           "come]] [[{day}|next month|after the {n}th]].", "[[Lunch|Coffee|A quick call]] [[on|this]] {day}?",
           "[[I think|I reckon|My sense is]] [[we should|it would be better to]] [[wait for|ask about|drop]] the "
           "[[{thing}|second option|amendment]] [[before|until]] {day}.",
           "[[The|My]] [[train|flight|bus]] [[gets in|arrives|is]] at {hour}, [[so|and]] [[I'll|I can]] [[come "
           "straight over|call you from the station|join remotely]].", "There are {n} [[people|items|points|"
           "responses]] [[so far|on the list|in the spreadsheet]].",
           "[[Re|About]] the {thing}: [[fine by me|agreed|not sure|let's discuss]].",
           "[[Please|Kindly]] [[find|see]] [[below|attached]] [[my|the]] [[comments|receipt|invoice {n}]]."]
HAM_CLOSE = ["Thanks[[!|,|.]]", "Cheers,", "Best,", "[[Many thanks|Thanks again]],", "Speak soon,", "All the best,",
             "Regards,", "[[See you|Talk]] {day},", "x"]
THINGS = ["committee papers", "site visit", "budget line", "constituency surgery", "press release", "rota",
          "invoice", "grant application", "newsletter draft", "reception", "briefing note", "delegation",
          "consultation response", "school visit", "planning application", "speech", "minutes", "car share",
          "book club", "team lunch", "conference abstract", "visa letter", "tender documents", "quarterly report"]
STREETS = ["Mill Lane", "Station Road", "Church Street", "Victoria Road", "Kings Avenue", "Park Terrace",
           "Harbour View", "Elm Grove", "Queens Walk", "Bridge End"]


def render_ham(rng, people, t_arr, i):
    p = rng.choice(people)
    kind = rng.choice(["colleague", "colleague", "constituent", "journalist", "vendor", "reply"])
    kw = dict(thing=rng.choice(THINGS), day=rng.choice(WEEKDAYS[:5]), hour="%d:%02d" % (rng.randrange(8, 19),
                                                                                       rng.choice([0, 15, 30, 45])),
              room=rng.randrange(1, 400), street=rng.choice(STREETS), n=rng.randrange(2, 90))
    sents = [expand(rng, rng.choice(HAM_OPEN), **kw)]
    sents += [expand(rng, s, **kw) for s in rng.sample(HAM_MID, rng.randrange(1, 5))]
    if rng.random() < 0.4:
        sents.append(expand(rng, "[[Also|Oh and|PS]][[,|:|-]] [[{thing}|{street}|the {thing}]] [[is|was]] "
                                 "[[sorted|on hold|cancelled|moved to {day}]].", **kw))
    if kind == "colleague":
        s = rng.choice([q for q in people if q.domain == p.domain] or people)
        sname, saddr, sdom = s.name, s.addr, s.domain
        snd = {"helo": "smtp-int." + world.ORG, "rdns": "smtp-int." + world.ORG, "ip": world.ORG_IP, "inner": []}
    elif kind == "journalist":
        o = rng.choice(world.OUTLETS)
        names, local = rng.choice(o["people"])
        sname, saddr, sdom = names[0], "%s@%s" % (local, o["domain"]), o["domain"]
        snd = {"helo": "mail." + o["domain"], "rdns": "mail." + o["domain"], "ip": o["ip"], "inner": []}
        sents.insert(1, expand(rng, "[[Might|Could]] I [[ask|check]] [[one thing|a detail]] [[about|on]] "
                                    "[[your|the]] {thing} [[for a piece|for tomorrow's story|for background]]?", **kw))
    else:
        fm = rng.choice(FREEMAILS)
        female = rng.random() < 0.5
        first, last = rng.choice(FIRST_F if female else FIRST_M), rng.choice(LAST)
        sdom = fm[0] if kind != "vendor" else rng.choice(["harbour-logistics.co.uk", "greenleaf-catering.com",
                                                          "printworks-ltd.co.uk", "civic-av.com"])
        sname = "%s %s" % (first, last)
        saddr = "%s%s@%s" % (local_part(rng.choice(["first.last", "flast", "first_last"]), first, last),
                             rng.choice(["", "", str(rng.randrange(1, 99))]), sdom)
        a = rng.randrange(1, 250)
        helo = fm[1].format(a=a, b=1, x="am6p%03deur03" % a) if kind != "vendor" else "mail." + sdom
        ip = fm[2].format(a=a, b=rng.randrange(1, 250)) if kind != "vendor" else "192.0.2.%d" % rng.randrange(60, 120)
        snd = {"helo": helo, "rdns": helo, "ip": ip, "inner": []}
    rng.shuffle(sents[1:])
    close = expand(rng, rng.choice(HAM_CLOSE), **kw)
    text = "%s\n\n%s\n\n%s\n%s\n" % (rng.choice(["Hi %s," % p.first, "%s," % p.first, "Dear %s," % p.first, "Hello,"]),
                                     "\n".join(sents) if rng.random() < 0.5 else "\n\n".join(sents), close,
                                     sname.split(" ")[0])
    subj = expand(rng, rng.choice(["[[Re: |RE: |Fwd: |]]{thing}", "[[Re: |]]{day}", "{thing} - {day}",
                                   "[[Quick question|Question|Update]]", "[[Re: |]][[{street}|{thing} ({day})]]",
                                   "[[Re: |]]{thing} {n}"]), **kw)
    t_sent = t_arr - dt.timedelta(seconds=rng.randrange(1, 120))
    if subj.startswith(("Re", "RE")) and rng.random() < 0.7:
        text += "\nOn %s, %s <%s> wrote:\n> %s\n" % (rfc_date(t_sent - dt.timedelta(hours=rng.randrange(1, 72))),
                                                     p.name, p.addr, expand(rng, rng.choice(HAM_MID), **kw))
    auth = "spf=pass smtp.mailfrom=%s;\n\tdkim=pass header.d=%s;\n\tdmarc=pass header.from=%s" % (saddr, sdom, sdom)
    hdrs = delivery_headers(rng, p, t_arr, snd, saddr, auth)
    hdrs += [("From", "%s <%s>" % (qname(sname), saddr)), ("To", "%s <%s>" % (qname(p.name), p.addr)),
             ("Subject", qsubject(subj)), ("Date", rfc_date(t_sent, rng.choice([0, 1, 0]))),
             ("Message-ID", "<%x%x@%s>" % (rng.getrandbits(40), rng.getrandbits(20), sdom))]
    if rng.random() < 0.3:  # HTML client with a signature logo on the sender's site
        paras = "".join("<p>%s</p>" % h(x) for x in text.split("\n\n"))
        html = '<div dir="ltr">%s<p><img src="https://www.%s/img/sig-logo.png" width="120" height="40" alt="logo">' \
               '</p></div>\n' % (paras, sdom)
        ct, body = with_cte(body_for(rng, "alt", text, html, "quoted-printable", "quoted-printable"))
        return finish(hdrs, ct, body, rng.random() < 0.3)
    cte, b = encode_body(text, rng.choice(["8bit", "quoted-printable", "7bit"]))
    hdrs.append(("Content-Transfer-Encoding", cte))
    return finish(hdrs, 'text/plain; charset="utf-8"; format=flowed' if rng.random() < 0.3 else
                  'text/plain; charset="utf-8"', b, rng.random() < 0.3)


# ------------------------------------------------------------------ world

PRESETS = {
    "quick": dict(sizes=[5, 9, 20, 45, 120, 300], newsletters=3, issues=2, subscribers=60, ham=300),
    "full": dict(sizes=[5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 300, 400, 500, 750, 1000,
                        1500, 2500, 10000], newsletters=6, issues=4, subscribers=250, ham=2000),
    # scale sets: mostly campaign traffic + one-off ham
    "scale10k": dict(sizes=[5, 10, 20, 40, 80, 150, 300, 600, 1200, 2500], newsletters=4, issues=2,
                     subscribers=300, ham=2200),
    "scale100k": dict(sizes=[5, 10, 20, 40, 80, 150, 300, 600, 1200, 2500, 5000, 8000, 10000, 10000, 10000, 10000],
                      newsletters=8, issues=4, subscribers=1200, ham=22000),
}
EPOCH = dt.datetime(2024, 2, 5, 8, 0, tzinfo=UTC)


def plan(seed, sizes, newsletters, issues, subscribers, ham, period_days=56):
    """All messages as (label-kind, campaign, issue, render thunk args), with arrival times."""
    rng = random.Random(seed)
    npeople = max(4000, int(max(sizes + [subscribers]) * 1.2))
    people = recipients(random.Random(seed * 7 + 1), npeople)
    items = []  # (t_arr, kind, campaign, issue, fn, args)
    for k, size in enumerate(sizes):
        start = EPOCH + dt.timedelta(days=rng.uniform(0, period_days), hours=rng.uniform(0, 10))
        c = make_campaign(random.Random("%d:mal:%d" % (seed, k)), k, size, start)
        crng = random.Random("%d:malrcpt:%d" % (seed, k))
        targets = crng.sample(people, min(size, len(people)))
        for i, p in enumerate(targets):
            # bursts: most copies early, a tail later
            frac = crng.random() ** crng.choice([1, 2, 3])
            t = start + c.span * frac + dt.timedelta(seconds=crng.randrange(60))
            items.append((t, "malicious", c.label, "-", render_malicious, (c, p, t, i)))
    for k in range(newsletters):
        nrng = random.Random("%d:nl:%d" % (seed, k))
        start = EPOCH + dt.timedelta(days=nrng.uniform(0, 7), hours=nrng.uniform(5, 8))
        n = make_newsletter(nrng, k, subscribers, issues, start)
        subs = nrng.sample(people, min(len(people), int(subscribers * nrng.uniform(0.7, 1.3))))
        for j, t0 in enumerate(n.issues):
            ar = random.Random("%d:nl:%d:%d" % (seed, k, j))
            issue = "%s/%s" % (n.label, t0.strftime("%Y-%m-%d"))
            if n.invite:
                inv = invitation(ar, n, t0)
                for p in subs:
                    t = t0 + dt.timedelta(seconds=ar.randrange(0, 3 * 3600))
                    items.append((t, "newsletter", n.label, issue, render_newsletter, (n, j + 1, inv, p, t)))
                continue
            topics = ar.sample(TOPICS, ar.randrange(3, 6))
            articles = []
            for tp in topics:
                kw = dict(topic=tp, n=ar.randrange(3, 12), city=ar.choice(CITIES))
                hl = expand(ar, ar.choice(HEADLINE), **kw)
                hl = hl[0].upper() + hl[1:]
                articles.append((hl, expand(ar, ar.choice(BLURB), **kw),
                                 "%d/%s" % (t0.year, re.sub(r"[^a-z0-9]+", "-", hl.lower()).strip("-")[:60])))
            issue = "%s/%s" % (n.label, t0.strftime("%Y-%m-%d"))
            for p in subs:
                t = t0 + dt.timedelta(seconds=ar.randrange(0, 3 * 3600))
                items.append((t, "newsletter", n.label, issue, render_newsletter, (n, j + 1, articles, p, t)))
    for i in range(ham):
        t = EPOCH + dt.timedelta(seconds=rng.randrange(0, (period_days + 7) * 86400))
        items.append((t, "ham", "-", "-", render_ham, (people, t, i)))
    return items


def write(outdir, seed, items, fmt="eml", per_mbox=10000, limit=None):
    """Render and write (in shuffled order; only the first `limit` when
    given); returns the label rows. Rendering uses a per-message rng derived
    from the seed and the message's index, so output is deterministic."""
    mail = os.path.join(outdir, "mail")
    os.makedirs(mail, exist_ok=True)
    order = list(range(len(items)))
    random.Random("%d:order" % seed).shuffle(order)
    order = order[:limit]
    rows = []
    box = None
    try:
        for pos, k in enumerate(order):
            t, kind, camp, issue, fn, args = items[k]
            rng = random.Random("%d:msg:%d" % (seed, k))
            raw = fn(rng, *args)
            if fmt == "mbox":
                if pos % per_mbox == 0:
                    if box:
                        box.close()
                    name = "box-%03d.mbox" % (pos // per_mbox)
                    box = open(os.path.join(mail, name), "wb")
                data = raw.replace(b"\r\n", b"\n")
                data = re.sub(rb"(?m)^(>*From )", rb">\1", data)
                box.write(b"From MAILER-DAEMON " + t.strftime("%a %b %d %H:%M:%S %Y").encode() + b"\n" + data
                          + (b"" if data.endswith(b"\n") else b"\n") + b"\n")
                rel = "%s:%d" % (name, pos % per_mbox + 1)
            else:
                hx = hashlib.sha1(("%d/%d" % (seed, k)).encode()).hexdigest()
                sub = os.path.join(mail, hx[:2])
                os.makedirs(sub, exist_ok=True)
                rel = "%s/%s.eml" % (hx[:2], hx[2:18])
                with open(os.path.join(mail, rel), "wb") as f:
                    f.write(raw)
            rows.append((rel, kind, camp, issue))
    finally:
        if box:
            box.close()
    with open(os.path.join(outdir, "labels.tsv"), "w") as f:
        f.write("file\tkind\tcampaign\tissue\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    with open(os.path.join(outdir, "portcullis.conf"), "w") as f:
        f.write(config_text())
    return rows


def config_text():
    lines = ["# written by tests/campaigns/gen.py: the world of tests/impersonation/world.py",
             "[organisation]", "domains = " + ", ".join(ORG_DOMAINS), "", "[protected]",
             "domains = " + ", ".join(o["domain"] for o in world.OUTLETS), ""]
    for o in world.OUTLETS:
        for names, local in o["people"]:
            lines.append("[person]")
            lines += ["name = " + nm for nm in names]
            lines.append("addresses = %s@%s" % (local, o["domain"]))
            lines.append("domains = " + o["domain"])
            lines.append("")
    lines += ["[auth]", "trusted_authserv_ids = " + MX, "", "[dns]", "servers = off", ""]
    return "\n".join(lines)


def generate(outdir, seed=1, preset="quick", fmt="eml", per_mbox=10000, **over):
    p = dict(PRESETS[preset])
    p.update({k: v for k, v in over.items() if v is not None})
    items = plan(seed, p["sizes"], p["newsletters"], p["issues"], p["subscribers"], p["ham"])
    return write(outdir, seed, items, fmt, per_mbox)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--preset", default="quick", choices=sorted(PRESETS))
    ap.add_argument("--sizes", help="malicious campaign sizes, comma-separated")
    ap.add_argument("--newsletters", type=int)
    ap.add_argument("--issues", type=int)
    ap.add_argument("--subscribers", type=int)
    ap.add_argument("--ham", type=int)
    ap.add_argument("--format", default="eml", choices=["eml", "mbox"])
    ap.add_argument("--per-mbox", type=int, default=10000)
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else None
    rows = generate(a.outdir, a.seed, a.preset, a.format, a.per_mbox, sizes=sizes, newsletters=a.newsletters,
                    issues=a.issues, subscribers=a.subscribers, ham=a.ham)
    kinds = {}
    for r in rows:
        kinds[r[1]] = kinds.get(r[1], 0) + 1
    print("%d messages in %s (%s)" % (len(rows), os.path.join(a.outdir, "mail"),
                                       ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
