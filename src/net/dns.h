/*
 * NAME
 *   dns - a small synchronous resolver for the sender's SPF, DKIM and DMARC names
 * SYNOPSIS
 *   char err[256];
 *   pc_dns *d = pc_dns_new("127.0.0.1:5353", 2000, err, sizeof err);
 *   if (!d && err[0]) refuse to start: err names the problem
 *   if (!d) DNS is "off": no DNS checks at all
 *   pc_dns_status st = pc_dns_query(d, "example.org", ns_t_txt, &ans, &n);
 *   pc_dns_txt(d, "_dmarc.example.org", each, ctx);
 *   pc_dns_forget(d);     (between messages: empties the cache)
 *   pc_dns_free(d);
 * DESCRIPTION
 *   glibc libresolv with an own struct __res_state (res_ninit), so the
 *   process-wide resolver is never touched and one pc_dns can serve one
 *   thread. "system" keeps the servers of /etc/resolv.conf; a list of
 *   "IPv4[:PORT]" replaces them. retrans/retry are chosen so that one query
 *   over all servers takes at most about the timeout (glibc counts whole
 *   seconds, so at least one second per server).
 *   Answers are kept in a small cache until pc_dns_forget (SPF, DKIM and
 *   DMARC ask overlapping names within one message); answer bytes stay
 *   valid until then. A timed-out or failed name is cached too, so one
 *   message never waits twice for the same dead name, and one message
 *   waits at most PC_DNS_MESSAGE_BUDGET timeouts in all.
 */
#ifndef PC_DNS_H
#define PC_DNS_H

#include <stddef.h>
#include <time.h>

typedef struct pc_dns pc_dns;

typedef enum {
	PC_DNS_OK,       /* NOERROR with at least one answer of the type asked */
	PC_DNS_NODATA,   /* NOERROR, no answer of that type */
	PC_DNS_NXDOMAIN, /* the name does not exist */
	PC_DNS_SERVFAIL, /* SERVFAIL, REFUSED or another error answer from every server */
	PC_DNS_TIMEOUT,  /* no server answered in time */
	PC_DNS_BADNAME,  /* the name cannot be asked (syntax, length) */
} pc_dns_status;

/* Queries wait at most a budget of whole timeouts per phase of a
 * message's checks: a query is sent only while a whole timeout still fits
 * (after that it is answered PC_DNS_TIMEOUT without being sent). Each
 * check starts its own phase, so a sender whose SPF record leads to slow
 * servers cannot use up the time of the DMARC lookup of the From domain:
 * SPF 2 timeouts, DKIM 2, DMARC 2 (its two lookups); a message waits at most
 * PC_DNS_MESSAGE_BUDGET timeouts in all. */
#define PC_DNS_BUDGET_SPF 2
#define PC_DNS_BUDGET_DKIM 2
#define PC_DNS_BUDGET_DMARC 2
#define PC_DNS_MESSAGE_BUDGET (PC_DNS_BUDGET_SPF + PC_DNS_BUDGET_DKIM + PC_DNS_BUDGET_DMARC)

/* NULL with err "" for "off"; NULL with err filled for a bad setting. */
pc_dns *pc_dns_new(const char *servers, unsigned timeout_ms, char *err, size_t errlen);
void pc_dns_free(pc_dns *d);
/* Empties the per-message cache (answers handed out become invalid). */
void pc_dns_forget(pc_dns *d);
/* Starts a phase of `timeouts` whole timeouts (see above). */
void pc_dns_phase(pc_dns *d, unsigned timeouts);
/* The whole DNS answer message (for ns_initparse) in *ans, *n. */
pc_dns_status pc_dns_query(pc_dns *d, const char *name, int type, const unsigned char **ans, size_t *n);
/* Each TXT record of name, its character-strings concatenated (at most
 * PC_DNS_TXT_MAX bytes; longer records are skipped), NUL-terminated. */
#define PC_DNS_TXT_MAX 4096
pc_dns_status pc_dns_txt(pc_dns *d, const char *name, void (*each)(void *ctx, const char *txt, size_t n), void *ctx);
/* The timeout of one query in milliseconds: as configured, at least 1000
 * (glibc waits in whole seconds). */
unsigned pc_dns_timeout_ms(const pc_dns *d);
const char *pc_dns_status_name(pc_dns_status st);
/* The name back into *st; -1 for an unknown one. */
int pc_dns_status_parse(const char *s, pc_dns_status *st);

/* ---- custody: what was asked, and asking it again offline ----
 * Every query this message sent to a server (not cache hits, not names
 * refused unasked) is journalled with its whole answer and the time it
 * was asked, until pc_dns_forget: the evidence that the SPF record, the
 * DKIM key and the DMARC record were what the verdict used. At most
 * PC_DNS_JOURNAL_MAX queries and PC_DNS_JOURNAL_BYTES of answers are
 * kept (a sender's SPF include chain is bounded at 10 lookups by RFC
 * 7208, so this holds a whole message's checks; beyond it the journal
 * says it was cut). */
#define PC_DNS_JOURNAL_MAX 64
#define PC_DNS_JOURNAL_BYTES ((size_t)256 << 10)
typedef struct pc_dns_record {
	const char *name;
	int type;
	pc_dns_status status;
	const unsigned char *ans; /* the answer message as received; NULL when none */
	size_t n;
	time_t asked;
} pc_dns_record;
/* Each journalled query, in the order asked; each returns non-zero to
 * stop (that value is returned). 1 when queries were left out (cut),
 * else 0. A replaying resolver lists its recorded answers. */
int pc_dns_journal(const pc_dns *d, int (*each)(void *ctx, const pc_dns_record *r), void *ctx);
/* A resolver that never sends a query: it answers only from records
 * added with pc_dns_replay_add (kept across pc_dns_forget); any other
 * question is answered PC_DNS_TIMEOUT and counted (pc_dns_replay_missing):
 * the checks re-run exactly as they ran, on the answers they had then.
 * A record whose answer bytes do not give its recorded status replays as
 * SERVFAIL. */
pc_dns *pc_dns_replay(void);
int pc_dns_replay_add(pc_dns *d, const pc_dns_record *r);
size_t pc_dns_replay_missing(const pc_dns *d);

#endif
