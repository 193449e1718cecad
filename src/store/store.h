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
 *   default: one file, embedded) today; PostgreSQL for several filter
 *   nodes later. Detectors see a store only through the detector context;
 *   only front ends open one. Calls return 0, or -1 with the reason kept
 *   for pc_store_error(). A store is used by one thread at a time.
 */
#ifndef PC_STORE_H
#define PC_STORE_H

#include <stddef.h>
#include <time.h>

typedef struct pc_store pc_store;

/* How often a sender wrote before: the address to this recipient, the
 * address to anyone, and the sender's domain to anyone here. first is the
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

/* Opens or creates the store at `path` (a file name; "postgresql://..."
 * is reserved for the shared back end). NULL with err on failure. */
pc_store *pc_store_open(const char *path, char *err, size_t errlen);
void pc_store_close(pc_store *st);
const char *pc_store_error(const pc_store *st);

/* The history of sender (local@domain, lower-cased domain) and its
 * registrable domain with recipient `rcpt`. */
int pc_store_contact(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out);
/* Records that sender wrote to each of rcpt[0..n) at time `when`. */
int pc_store_remember(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
                      time_t when);

#endif
