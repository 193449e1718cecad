/*
 * NAME
 *   store - what Portcullis remembers between messages
 * SYNOPSIS
 *   pc_store *st = pc_store_open("portcullis.db", err, sizeof err);
 *   pc_contact c;
 *   pc_store_contact(st, "a@news.example", "news.example", "me@org.example", &c);
 *   pc_store_remember(st, "a@news.example", "news.example", rcpts, n, time(NULL));
 *   pc_store_close(st);
 * DESCRIPTION
 *   One interface, back ends behind it: SQLite (store/sqlite.c, the
 *   default: one file, embedded) and PostgreSQL (store/pg.c: several
 *   filter nodes, one store). Detectors see a store only through the detector context;
 *   only front ends open one. Calls return 0, or -1 with the reason kept
 *   for pc_store_error(). A store is used by one thread at a time.
 */
#ifndef PC_STORE_H
#define PC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/config.h"

typedef struct pc_store pc_store;

/* How often a sender wrote before: the address to this recipient, the
 * address to anyone, and the sender's domain to anyone here (the last two
 * summed over at most 10 recipients: "never" or "some" is what counts). first is the
 * earliest message of the address to the recipient (0: none). */
typedef struct pc_contact {
	long addr_rcpt;
	long addr_any;
	long domain_any;
	time_t first;
} pc_contact;

/* The keys the history is kept under for a From address: the address
 * lower-cased, and its registrable domain (libpsl; the domain itself when
 * it has none). -1 when `addr` is not local@domain or is too long. */
int pc_store_contact_keys(const char *addr, char *sender, size_t senderlen, char *domain, size_t domainlen);

/* Opens or creates the store at `path`: a file name (SQLite), or
 * PostgreSQL's "postgresql://..." URI or "postgresql:KEY=VALUE ..."
 * connection string (store/pg.c). NULL with err on failure. */
pc_store *pc_store_open(const char *path, char *err, size_t errlen);
/* The same with [store]'s password file ("" or NULL: none) and timeout
 * in ms (0: 10 s); pc_store_open_cfg takes both, and path (NULL: the
 * configured store), from a configuration. */
#define PC_STORE_LAZY 1 /* PostgreSQL: a server not reachable yet is connected on first use */
pc_store *pc_store_open_with(const char *path, const char *password_file, unsigned timeout_ms, unsigned flags,
                             char *err, size_t errlen);
pc_store *pc_store_open_cfg(const pc_config *cfg, const char *path, unsigned flags, char *err, size_t errlen);
/* Whether path names a PostgreSQL store; the open store's back end name
 * ("sqlite", "postgresql") */
bool pc_store_is_postgresql(const char *path);
/* A store's name fit to print: a file as it is, a PostgreSQL store as
 * "postgresql HOST:PORT/DB" (never its connection string, which may hold
 * secrets); "(none)" for NULL or "". */
void pc_store_where(const char *path, char *out, size_t outlen);
const char *pc_store_backend(const pc_store *st);
void pc_store_close(pc_store *st);
const char *pc_store_error(const pc_store *st);

/* The history of sender (local@domain, lower-cased domain) and its
 * registrable domain with recipient `rcpt`. */
int pc_store_contact(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out);
/* Records that sender wrote to each of rcpt[0..n) at time `when`. */
int pc_store_remember(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
                      time_t when);

/* ---- campaigns (campaign/cluster.c decides; the store keeps) ---- */

#define PC_STORE_SIG 64   /* MinHash bins per signature (PC_SKETCH_K) */
#define PC_STORE_BANDS 16 /* LSH band keys per message (PC_FP_BANDS) */

typedef enum { PC_CAMPAIGN_OPEN = 0, PC_CAMPAIGN_MALICIOUS = 1, PC_CAMPAIGN_BENIGN = 2 } pc_campaign_status;
/* "open", "malicious", "benign" */
const char *pc_campaign_status_name(pc_campaign_status s);

typedef struct pc_campaign_rec {
	long long id;
	long size;          /* members */
	long recipients;    /* distinct recipients */
	long tokened;       /* members with a tracker token */
	long tokens;        /* distinct tracker tokens */
	long senders;       /* distinct From addresses */
	long first_contact; /* members whose sender was first contact */
	time_t first_seen, last_seen;
	pc_action verdict; /* strictest member verdict; quarantine when malicious */
	pc_campaign_status status;
	bool analyst;               /* marked by a person (campaigns mark), not automatically */
	char why[512];              /* why malicious or benign: rule and member, or who marked it */
	char subject[256];          /* the first member's normalised subject */
	uint32_t sig[PC_STORE_SIG]; /* the first member's signature */
} pc_campaign_rec;

/* One message as a campaign member. Strings may be NULL or "". */
typedef struct pc_member {
	const char *source, *message_id, *sender, *subject, *rule;
	const char *token; /* hex, "" when none */
	const char *const *rcpt;
	size_t nrcpt;
	const char *const *infra; /* "kind:value" */
	size_t ninfra;
	const char *const *tracker_hosts;
	size_t ntracker_hosts;
	const char *const *templates;
	size_t ntemplates;
	const uint64_t *bands; /* PC_STORE_BANDS */
	const uint32_t *sig;   /* PC_STORE_SIG */
	time_t when;
	pc_action verdict;
	int first_contact;
	/* an established sender: From authenticated and an own or protected
	 * domain or a sender with history; an automatic malicious mark
	 * spares its members, and a campaign with one is not marked
	 * automatically by a copy from another domain (poisoning) */
	int established;
	const char *from_domain; /* From's registrable domain */
	/* the delivery's key (hex; "" none): the same message to the same
	 * envelope scanned again under another source is the same member */
	const char *dkey;
} pc_member;

/* One write transaction (SQLite: BEGIN IMMEDIATE) around a message's
 * campaign work; nested calls are an error. */
int pc_store_begin(pc_store *st);
int pc_store_commit(pc_store *st);
void pc_store_rollback(pc_store *st);
/* Batching: up to max_messages committed transactions (or max_ms) share
 * one database commit, which is most of a message's store cost. Work of a
 * batch not yet flushed is lost if the process dies (the messages are not:
 * only what the store learnt from them). Other processes wait for the
 * batch (busy timeout 5 s), so keep max_ms well below that. Default: off
 * (every commit is durable at once). pc_store_flush commits now;
 * pc_store_close flushes. */
void pc_store_batch(pc_store *st, size_t max_messages, long max_ms);
int pc_store_flush(pc_store *st);
/* A milter worker's mode (issue 19): everything one message writes
 * (campaign, custody, history) goes into one transaction, committed by
 * pc_store_sync before the message is answered, so a message costs one
 * commit instead of two; and the WAL is checkpointed by pc_store_idle,
 * after the answer, instead of inside the commit of whichever message
 * crossed the threshold (its fsyncs were the milter's slowest answers).
 * pc_store_sync: 0, or -1 when that commit failed (those writes are gone;
 * unlike pc_store_flush, a later sync does not report it again).
 * A held store stays held: pc_store_batch then does nothing.
 * PostgreSQL commits each transaction itself: all four do nothing. */
void pc_store_hold(pc_store *st);
int pc_store_sync(pc_store *st);
/* Whether pc_store_idle has work to do (a checkpoint is due): the worker
 * says so in its answer, and the front end gives the next message to
 * another worker while this one does it. */
bool pc_store_idle_due(pc_store *st);
void pc_store_idle(pc_store *st);

/* Campaigns that have one of the band keys, those sharing the most first:
 * at most `max` ids into ids, *n set. The time window is the caller's to
 * check (last_seen of the campaigns it reads). */
int pc_store_campaign_candidates(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max,
                                 size_t *n);
/* 1 found (rec filled), 0 no such campaign, -1 error. */
int pc_store_campaign_get(pc_store *st, long long id, pc_campaign_rec *rec);
/* How many of infra[0..n) the campaign has; -1 on error. */
int pc_store_campaign_infra(pc_store *st, long long id, const char *const *infra, size_t n);
/* The campaign of the member with this source and Message-ID (both
 * needed: a Message-ID alone proves nothing, senders choose it), or with
 * this delivery key (pc_member.dkey; "" or NULL: not looked up): 1 and
 * *id, 0 none, -1 error. */
int pc_store_member_find(pc_store *st, const char *source, const char *message_id, const char *dkey, long long *id);
/* Starts a campaign with `m` as its first member; *id set. */
int pc_store_campaign_new(pc_store *st, const pc_member *m, long long *id);
/* Adds `m` to campaign id and updates its counters (and band keys while
 * the campaign has fewer than a bounded number of them). */
int pc_store_campaign_add(pc_store *st, long long id, const pc_member *m);
/* The final verdict of the member just added or found (source, message_id)
 * and its own (what its own evidence gave, before the campaign's), and the
 * campaign's verdict raised to it. */
int pc_store_member_verdict(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
                            const char *rule, pc_action own, const char *own_rule);
/* Marks a campaign malicious, benign or open, with why. Malicious raises
 * every member to `action` (rule "campaign"), but for an automatic mark
 * (analyst false) the members of established senders (pc_member); benign
 * and open give every member its own verdict back. */
int pc_store_campaign_mark(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action,
                           const char *why);

/* Listing, for the CLI and the dashboard. Callbacks return 0 to go on. */
typedef int (*pc_campaign_cb)(void *ctx, const pc_campaign_rec *rec);
/* Campaigns with at least min_size members, most recent first. */
int pc_store_campaign_list(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx);
/* The campaign's values of one kind: "sender", "rcpt", "tracker", "template",
 * "infra", each with its count of members, most frequent first, at most max
 * (0: all). */
typedef int (*pc_value_cb)(void *ctx, const char *value, long count);
int pc_store_campaign_values(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx);
typedef struct pc_member_row {
	const char *source, *message_id, *sender, *subject, *rcpt, *rule, *token;
	time_t when;
	pc_action verdict;
} pc_member_row;
typedef int (*pc_member_cb)(void *ctx, const pc_member_row *row);
/* Members in arrival order. */
int pc_store_campaign_members(pc_store *st, long long id, pc_member_cb cb, void *ctx);

/* ---- the URLs of a campaign's copies (campaign/copies.c decides) ----
 * One row per URL shape (skel), campaign and recipient set (rcpt, a
 * hash): when that copy arrived, the hashed values at each position of that shape in it
 * (vals, an opaque blob copies.c writes and reads), and which member
 * (source, Message-ID) it came from. */
typedef struct pc_copy_row {
	uint64_t rcpt;
	time_t when;
	const unsigned char *vals;
	size_t len;
	const char *source, *message_id;
} pc_copy_row;
typedef int (*pc_copy_cb)(void *ctx, const pc_copy_row *row);
/* At most max rows of the campaign's shape skel, the most recently
 * stored first (whatever their times: an archive is not in date order). */
int pc_store_copies_get(pc_store *st, long long id, uint64_t skel, size_t max, pc_copy_cb cb, void *ctx);
/* Adds one (a recipient set already there keeps its first copy's row). */
int pc_store_copies_add(pc_store *st, long long id, uint64_t skel, uint64_t rcpt, time_t when, const void *vals,
                        size_t len, const char *source, const char *message_id);
/* A per-recipient token found at a position of one shape: the template
 * (its URL with {COPY} there) becomes one of the campaign's tracker
 * templates and a "per-recipient-token" value, and each earlier member
 * listed gets the token it had there (when it had none): the campaign's
 * token counts follow. */
typedef struct pc_copy_token {
	const char *source, *message_id;
	const char *token; /* hex */
} pc_copy_token;
int pc_store_copies_found(pc_store *st, long long id, const char *template_, const pc_copy_token *tokens, size_t n);

/* ---- custody: what proves what a message was (pipeline/custody.h) ----
 * One row per message scanned with the store (source, Message-ID and
 * SHA-256 of the bytes as received: the same message scanned again adds
 * nothing): its campaign (0: none), arrival, the custody record (JSON
 * text: envelope, DNS answers, authentication, the verdict's findings)
 * and, while retention keeps them, the original bytes. */
typedef struct pc_custody {
	const char *sha256; /* hex */
	long long campaign;
	const char *source, *message_id;
	time_t arrived;
	const char *record;
	const void *original; /* NULL: not kept (or no longer), or not asked for */
	size_t n;
	bool kept; /* listing: the original is still kept (whether read or not) */
} pc_custody;
int pc_store_custody_put(pc_store *st, const pc_custody *c);
typedef int (*pc_custody_cb)(void *ctx, const pc_custody *c);
/* The rows of campaign (when > 0) in arrival order, or else those whose
 * SHA-256 is sha256; original bytes read only when with_original. */
int pc_store_custody_list(pc_store *st, long long campaign, const char *sha256, bool with_original, pc_custody_cb cb,
                          void *ctx);
/* Retention: drops the original bytes of messages that arrived before
 * `before` unless their campaign is marked malicious (kept while it is);
 * at most max rows per call (bounded work); *dropped set. */
int pc_store_custody_prune(pc_store *st, time_t before, long max, long *dropped);

/* ---- indicator sets the milter and scan match at delivery ----
 * A set is a named indicator file as given (text, STIX 2.1, MISP;
 * hunt/ioc.h reads it), with who added it and when; adding a name again
 * replaces the set. */
typedef struct pc_ioc_set {
	const char *name, *actor;
	time_t added;
	long count; /* indicators loaded when it was added */
	const void *body;
	size_t n;
} pc_ioc_set;
int pc_store_ioc_put(pc_store *st, const pc_ioc_set *s);
typedef int (*pc_ioc_set_cb)(void *ctx, const pc_ioc_set *s);
/* Every set, by name; bodies read only when with_body. */
int pc_store_ioc_list(pc_store *st, bool with_body, pc_ioc_set_cb cb, void *ctx);
/* 1 removed, 0 no such set, -1 error. */
int pc_store_ioc_remove(pc_store *st, const char *name);

/* ---- audit log: what was done to which message, by whom ---- */
/* action: "mark", "purge", "quarantine", "release", ...; campaign 0 when
 * none; the strings may be NULL. */
int pc_store_audit(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
                   const char *source, const char *detail);
typedef struct pc_audit_row {
	long long id, campaign;
	time_t when;
	const char *actor, *action, *source, *detail;
} pc_audit_row;
typedef int (*pc_audit_cb)(void *ctx, const pc_audit_row *row);
/* Audit records (campaign 0: all), oldest first. */
int pc_store_audit_list(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx);

/* A record of what was done to a quarantined message (release,
 * release-failed, delete), in the same log: which quarantine directory,
 * the message's id and SHA-256 (hex), why (reason: the person's words),
 * and the envelope it went to. reason and mail_from may be NULL (none
 * given, none recorded; "" is the null sender). Durable when it returns
 * 0 outside a transaction (SQLite: synchronous=FULL for that commit). */
typedef struct pc_audit_qrec {
	long long id;
	time_t when;
	const char *actor, *action, *dir, *qid, *reason, *mail_from, *sha256, *detail;
	const char *const *rcpt;
	size_t nrcpt;
} pc_audit_qrec;
int pc_store_audit_quarantine(pc_store *st, const pc_audit_qrec *r);
typedef int (*pc_audit_qcb)(void *ctx, const pc_audit_qrec *r);
/* The records of quarantine directory `dir`, oldest first. */
int pc_store_audit_quarantine_list(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx);

/* ---- the console (web/): accounts, the quarantine index, search ----
 * Accounts: name, role ("viewer", "analyst", "admin") and the password
 * hash (app/password.h: argon2id, libsodium's encoded string). */
typedef struct pc_user {
	const char *name, *role, *hash;
	time_t created, changed;
	bool disabled;
} pc_user;
typedef int (*pc_user_cb)(void *ctx, const pc_user *u);
/* Adds or replaces the account. */
int pc_store_user_put(pc_store *st, const pc_user *u);
/* 1 found (cb called once), 0 none, -1 error. */
int pc_store_user_get(pc_store *st, const char *name, pc_user_cb cb, void *ctx);
int pc_store_user_list(pc_store *st, pc_user_cb cb, void *ctx);
/* 1 removed, 0 none, -1 error. */
int pc_store_user_remove(pc_store *st, const char *name);

/* The index of a quarantine directory (act/quarantine.h keeps the
 * messages; web/qindex.c keeps this in step with it): one row per QID. */
typedef struct pc_qindex {
	const char *dir, *qid, *sender, *rcpt, *subject, *reason, *sha256;
	long long campaign, size;
	time_t arrived;
} pc_qindex;
typedef int (*pc_qindex_cb)(void *ctx, const pc_qindex *q);
int pc_store_qindex_put(pc_store *st, const pc_qindex *q);
int pc_store_qindex_remove(pc_store *st, const char *dir, const char *qid);
/* Every row of dir, in QID order. */
int pc_store_qindex_list(pc_store *st, const char *dir, pc_qindex_cb cb, void *ctx);

/* A search: every field set narrows it (NULL/"" and 0: any). Text fields
 * match a substring, case-insensitively for ASCII; from/to bound the
 * time (seen for messages, arrived for the quarantine); newest first,
 * `limit` rows from `offset`. *total: matching rows, counted up to
 * PC_QUERY_COUNT_MAX (more reads as that). */
#define PC_QUERY_COUNT_MAX 10000
typedef struct pc_query {
	const char *sender, *rcpt, *subject, *reason, *verdict, *sha256;
	long long campaign; /* 0 any, -1 none */
	long long id;       /* messages: this one (0 any) */
	time_t from, to;
	long offset, limit;
} pc_query;
int pc_store_qindex_search(pc_store *st, const char *dir, const pc_query *q, pc_qindex_cb cb, void *ctx, long *total);

/* Every message scanned with the store (one row per custody record). */
typedef struct pc_msg_row {
	long long id, campaign;
	const char *sha256, *source, *message_id, *verdict, *rule, *sender, *subject, *rcpt, *lookalike;
	time_t seen, arrived;
	bool kept; /* the original bytes are still kept */
} pc_msg_row;
typedef int (*pc_msg_cb)(void *ctx, const pc_msg_row *m);
int pc_store_message_search(pc_store *st, const pc_query *q, pc_msg_cb cb, void *ctx, long *total);
/* Messages per verdict per `step` seconds since `from` (bucket = the
 * start of its step), oldest first. */
typedef int (*pc_series_cb)(void *ctx, time_t bucket, const char *verdict, long n);
int pc_store_verdict_series(pc_store *st, time_t from, long step, pc_series_cb cb, void *ctx);
/* The most frequent values since `from`: "lookalike" (lookalike domains
 * of messages), "tracker" (tracker hosts of the campaigns that had a
 * message in the window), "sender_domain" (From domains of quarantined
 * messages). */
int pc_store_top(pc_store *st, const char *what, time_t from, size_t max, pc_value_cb cb, void *ctx);

/* ---- the quarantine kept in the store (PostgreSQL only) ----
 * [quarantine] location = store: act/quarantine.h keeps each quarantined
 * original as one row (its QID, when it was put, the caller's metadata
 * as given, the bytes unchanged), so every node, the CLI and the console
 * reach it. Every function refuses on SQLite (-1, "the quarantine is kept
 * in the store only on PostgreSQL"). */
typedef struct pc_qstored {
	const char *qid;
	const char *meta; /* NULL: none, or not asked for */
	time_t created;
	long long size; /* bytes of the original */
} pc_qstored;
typedef int (*pc_qstored_cb)(void *ctx, const pc_qstored *q);
/* Stores one entry durably: its own transaction, committed with
 * synchronous_commit on, so it survives the server's crash when this
 * returns 1. key (NULL or "": none) names the delivery (pc_member.dkey):
 * a delivery already kept is not kept twice (the MTA retrying after a
 * node died between the write and its answer, or after a COMMIT whose
 * reply was lost) and its QID comes back in existing. 1 stored, 2
 * already kept (existing set), 0 the QID is taken (nothing written), -1
 * error (also inside a message's transaction: that commit is not this
 * one's). */
int pc_store_quarantine_put(pc_store *st, const char *qid, time_t created, const void *bytes, size_t n,
                            const char *meta, const char *key, char *existing, size_t existinglen);
/* One entry: *bytes (malloc'd, *n bytes and a NUL not counted; bytes
 * NULL: not read, *n still the size), *meta (malloc'd, NULL when none;
 * meta NULL: not read), *created. n, meta and created may be NULL.
 * 1 found, 0 none, -1 error. */
int pc_store_quarantine_get(pc_store *st, const char *qid, char **bytes, size_t *n, char **meta, time_t *created);
/* At most max entries with a QID after `after` ("" : from the first), in
 * QID order (bytewise), with their metadata when with_meta. */
int pc_store_quarantine_list(pc_store *st, const char *after, size_t max, bool with_meta, pc_qstored_cb cb, void *ctx);
/* 1 removed (exactly one row), 0 no such entry (another node removed
 * it first), -1 error. */
int pc_store_quarantine_remove(pc_store *st, const char *qid);
/* What changes when an entry comes or goes: how many there are and the
 * greatest QID ("" when none), both from the primary key's index. */
int pc_store_quarantine_stamp(pc_store *st, long long *count, char *max_qid, size_t len);
/* An exclusive lock on one QID for this connection's session (an
 * advisory lock: not a row lock, it holds across transactions and is
 * dropped with the connection): 1 taken, 0 held by another session,
 * -1 error. Never waits. */
int pc_store_quarantine_lock(pc_store *st, const char *qid);
/* 1 released, 0 this session did not hold it, -1 error. */
int pc_store_quarantine_unlock(pc_store *st, const char *qid);
/* 1 when this session still holds the lock (a connection re-established
 * since has lost it), 0 not, -1 error. */
int pc_store_quarantine_locked(pc_store *st, const char *qid);
/* A round trip that reads nothing: a connection broken while idle fails
 * here, and the next call re-establishes it. */
int pc_store_quarantine_ping(pc_store *st);

#endif
