/*
 * NAME
 *   case - one campaign gathered as a case file: what every export renders
 * SYNOPSIS
 *   pc_case_opts o = {.recipients = PC_CASE_RCPT_HASHED, .org = "Example CERT"};
 *   char err[256];
 *   json_t *c = pc_case_build(store, 7, &o, err, sizeof err);   NULL: err
 *   char *stix = pc_stix_bundle(c, err, sizeof err);             (evidence/stix.h)
 *   char *misp = pc_misp_event(c, err, sizeof err);              (evidence/misp.h)
 *   char *html = pc_report_html(c, err, sizeof err);             (evidence/report.h)
 *   json_decref(c);
 * DESCRIPTION
 *   The store knows a campaign as counters, values and members; custody
 *   records (evidence/custody.h) add each member's original SHA-256,
 *   envelope, authentication and the findings that made its verdict; the
 *   audit log says what people and the milter did. pc_case_build reads
 *   all of it once into one JSON object, the case file, and every format
 *   (STIX 2.1, MISP, HTML, PDF) is a rendering of that object alone: the
 *   renderers read no store and agree by construction.
 *
 *   Every string in a case is valid UTF-8 (text from mail made valid, with
 *   U+FFFD for bad bytes); renderers must still escape it for their
 *   context: it is attacker-controlled (subjects, names, URLs, headers).
 *   Times are RFC 3339 UTC strings ("2026-12-05T14:03:00Z").
 *   Recipients never appear in clear unless asked (PC_CASE_RCPT_CLEAR):
 *   hashed is "sha256:" + hex of the lower-cased address salted with the
 *   case's salt (random per export, not in the case: two exports cannot be
 *   joined on it; the organisation's own domain counts stay).
 *
 *   The object (members absent when unknown; arrays may be empty):
 *   {
 *    "format": "portcullis-case/1", "generated": TIME, "tool": "portcullis X.Y",
 *    "organisation": {"name": S, "contact": S|null},
 *    "tlp": "clear"|"green"|"amber"|"amber+strict"|"red",
 *    "recipients_mode": "none"|"hashed"|"clear",
 *    "campaign": {"id": N, "status": "malicious"|"benign"|"open",
 *                 "analyst": BOOL, "why": S, "verdict": "accept"|"neutralise"|"quarantine"|"reject",
 *                 "subject": S (normalised: tokens and names removed),
 *                 "size": N, "recipients": N, "tokened": N, "tokens": N,
 *                 "senders": N, "first_contact": N,
 *                 "first_seen": TIME, "last_seen": TIME,
 *                 "subject_sha256": HEX (of "subject" as UTF-8),
 *                 "signature": HEX (the template's MinHash signature, 64 x 32 bits)},
 *    "values": {KIND: [{"value": S, "count": N}, ...]} for KIND sender,
 *              tracker (hosts), template (tracker URL templates), infra
 *              ("from:", "rp:", "dkim:", "ip:", "tracker:", "auth:" keys),
 *              rcpt_domain (registrable domain of recipients: counts only),
 *              per-recipient-token; most frequent first,
 *    "indicators": [{"type": T, "value": S, "count": N, "why": S,
 *                    "regex": S (template only: PCRE matching its URLs)}]
 *        T one of sender-address, sender-domain, lookalike-domain,
 *        reply-to, return-path, tracker-host, url-template, sending-ip,
 *        subject; deduplicated; what the evidence supports, nothing of
 *        the protected organisation's own (its domains never become
 *        indicators),
 *    "members": [{"n": N (1-based arrival order), "source": S,
 *                 "message_id": S, "arrived": TIME, "from": S, "subject": S,
 *                 "rcpt": [S] (clear or hashed; absent for none),
 *                 "rcpt_domains": [S], "verdict": S, "rule": S,
 *                 "token": HEX|null, "sha256": HEX|null (original bytes as
 *                 received), "size": N|null, "client_ip": S|null,
 *                 "helo": S|null, "mail_from": S|null, "sending_ip": S|null
 *                 (first external hop of the Received chain),
 *                 "reply_to": S|null, "return_path": S|null,
 *                 "auth": [{"method": "spf"|"dkim"|"dmarc", "result": S,
 *                           "domain": S|null, "selector": S|null}],
 *                 "multipart": BOOL, "original_kept": BOOL, "quarantine": QID|null,
 *                 "body": S (only with include_bodies: the original
 *                 message text, made valid UTF-8)}],
 *    "timeline": {"unit": "hour"|"day", "start": TIME,
 *                 "counts": [N, ...]} (copies per unit from the first
 *                 copy's unit to the last's, zeros included; day when
 *                 hours would be more than PC_CASE_TIMELINE_MAX),
 *    "findings": [{"detector": S, "summary": S, "score": NUM,
 *                  "evidence": OBJECT, "members": N}] (the findings that
 *                 made members' verdicts, one per detector and summary,
 *                 with how many members had it; most members first),
 *    "actions": {"quarantined": N, "purged": N, "released": N,
 *                "deleted": N, "marked": N},
 *    "audit": [{"at": TIME, "actor": S, "action": S, "source": S|null,
 *               "detail": S|null}]
 *   }
 */
#ifndef PC_EVIDENCE_CASE_H
#define PC_EVIDENCE_CASE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PC_CASE_TIMELINE_MAX 96 /* hour bins; more: day bins */
#define PC_CASE_MEMBERS_MAX 100000

typedef enum { PC_CASE_RCPT_NONE, PC_CASE_RCPT_HASHED, PC_CASE_RCPT_CLEAR } pc_case_rcpt;

struct pc_store;
struct pc_config;

typedef struct pc_case_opts {
	pc_case_rcpt recipients;
	const char *org, *contact;      /* the reporting organisation; NULL: "Portcullis operator" */
	const char *tlp;                /* NULL: "amber" */
	bool include_bodies;            /* the original text of each member kept */
	const struct pc_config *config; /* own/protected domains (never indicators); may be NULL */
	long long now;                  /* the time "generated" says; 0: time(NULL) (tests fix it) */
} pc_case_opts;

/* A case's string member, NULL when missing or not a string. */
const char *pc_case_str(const json_t *o, const char *k);
/* A case time ("2026-12-05T14:03:00Z") as seconds since 1970, 0 when not one. */
long long pc_case_time(const char *s);

json_t *pc_case_build(struct pc_store *st, long long campaign, const pc_case_opts *o, char *err, size_t errlen);

#endif
