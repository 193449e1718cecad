/*
 * NAME
 *   ioc_impl - what the indicator modules share (hunt/ioc_*.c only)
 * DESCRIPTION
 *   Every indicator becomes a normalised key (lower-case IDNA A-label
 *   domain, lower-case address, URL with scheme and authority in lower
 *   case, masked address bytes, SHA-256 bytes, case-folded subject) in
 *   one open-addressing hash table keyed by (type, key). FNV-1a is fed
 *   byte by byte, so the hashes of all prefixes of a URL come from one
 *   pass, and a URL is looked up only at the lengths some URL indicator
 *   has. IP blocks are looked up per prefix length present (the block
 *   holding the address) and, for a block in the message (an "ip:" /24
 *   key), by binary search among the sorted indicator addresses (blocks
 *   inside it). Subjects go into one Aho-Corasick automaton
 *   (detect/ac.h). Everything an indicator owns lives in one arena.
 *
 *   The modules: ioc_index.c (the table, adding, lookups, the finished
 *   index), ioc_normalise.c (a typed value to its key), ioc_load.c (the
 *   text and STIX 2.1 formats, files), ioc_match.c (a message against
 *   the index).
 */
#ifndef PC_HUNT_IOC_IMPL_H
#define PC_HUNT_IOC_IMPL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "detect/lib/ac.h"
#include "hunt/ioc.h"

#define FILE_MAX ((size_t)256 << 20)
#define ARENA_MAX ((size_t)1 << 30)
#define STIX_MAX_CMP 64 /* comparisons in one pattern */
#define DOMAIN_MAX 253

enum { T_DOMAIN = 1, T_HOST, T_EMAIL, T_URL, T_IP4, T_IP6, T_TEMPLATE, T_SUBJECT, T_MSGID, T_SHA, T_COUNT };

extern const char *const pc_ioc_type_names[T_COUNT];

typedef struct ind {
	const char *key; /* normalised; for IPs: prefix length byte + address bytes */
	uint32_t keylen;
	uint8_t type;
	uint8_t flag;      /* url: the key ends inside the authority */
	const char *label; /* "domain evil.example (file:3)" */
} ind;

typedef struct slot {
	uint64_t h;
	uint32_t idx; /* index + 1; 0: empty */
} slot;

typedef struct ipent {
	unsigned char addr[16];
	uint32_t idx;
} ipent;

struct pc_ioc {
	pc_arena *arena;
	ind *v;
	size_t n, cap;
	slot *tab;
	size_t tabcap;                                 /* power of two, or 0 */
	unsigned types;                                /* 1 << T_* present */
	unsigned char urllen[PC_IOC_LINE_MAX / 8 + 1]; /* bitmap of URL key lengths */
	size_t urlmax;
	bool v4len[33], v6len[129];
	ipent *ips[2]; /* sorted by address: [0] IPv4, [1] IPv6 */
	size_t nips[2];
	pc_ac *subjects;
	size_t skipped;
	const char *first_skip;
};

/* ---- hashing (FNV-1a fed byte by byte, then mixed) ---- */

static inline uint64_t h_start(int type)
{
	return 0xcbf29ce484222325ULL ^ ((uint64_t)type * 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t h_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

static inline uint64_t h_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* The indicator (type, key) whose key hashes to h; NULL when none. */
const ind *pc_ioc_find_h(const pc_ioc *ioc, int type, const char *p, size_t n, uint64_t h);
const ind *pc_ioc_find(const pc_ioc *ioc, int type, const char *p, size_t n);

/* ---- loading ---- */

typedef struct loader {
	pc_ioc *ioc;
	const char *name;
	size_t line;        /* text: current line (1-based); 0 for STIX */
	const char *origin; /* "FILE:LINE" or "FILE: indicator--..." */
	char *err;
	size_t errlen;
	char originbuf[512];
} loader;

enum { ADD_OK = 0, ADD_BAD = -1, ADD_FATAL = -2 };

/* the reason a domain indicator is refused for being a public suffix
 * (compared by address: the loader words its message differently) */
extern const char pc_ioc_public_suffix[];

/* A fatal error (limit, memory): err set; returns ADD_FATAL. */
int pc_ioc_fatal(loader *ld, const char *why);
/* Adds (type, key) with its label; a duplicate is dropped. */
int pc_ioc_add(loader *ld, int type, const char *key, size_t keylen, uint8_t flag, const char *display);
/* MISP (ioc_misp.c): whether the JSON is a MISP event, list or search
 * result, and its indicators. */
bool pc_ioc_is_misp(json_t *root);
int pc_ioc_load_misp(loader *ld, json_t *root);
/* Sorted address arrays and the subject automaton, once all are added. */
int pc_ioc_finish(pc_ioc *ioc);

/* ---- normalising (ioc_normalise.c) ---- */

/* "[.]" "(.)" "[:]" "[@]" and a leading hxxp: defanged indicators, as
 * threat reports print them. out has room for n + 1 (never longer). */
size_t pc_ioc_refang(const char *s, size_t n, char *out);
/* A host or domain name to its key: lower-case, IDNA A-label, without a
 * trailing dot (and, when `wild`, a leading "*."); NULL, or the reason it
 * is not one. out: DOMAIN_MAX + 1 bytes. */
const char *pc_ioc_norm_domain(const char *s, size_t n, bool wild, char *out);
/* local@domain: local part lower-cased (ASCII), domain as norm_domain.
 * out: PC_IOC_LINE_MAX + 1 bytes. */
const char *pc_ioc_norm_email(const char *s, size_t n, char *out);
/* "a.b.c.d", "v6", "[v6]", each with an optional "/len". fam 4 or 6,
 * addr masked to *plen. -1 when not one. */
int pc_ioc_parse_ip(const char *s, size_t n, int *fam, unsigned char addr[16], int *plen);
/* The first `bytes` bytes of a, masked to plen bits, into out. */
void pc_ioc_mask_to(const unsigned char *a, int bytes, int plen, unsigned char *out);
/* Case-folded, white space runs (and NBSP) as one space, trimmed;
 * g_free it. NULL for invalid UTF-8. */
char *pc_ioc_norm_subject(const char *s, size_t n);
bool pc_ioc_is_hex64(const char *s, size_t n);
bool pc_ioc_has_at(const char *s, size_t n);
bool pc_ioc_starts_url(const char *s, size_t n);
/* Adds one value of a known type. ADD_OK, ADD_FATAL (err set), or ADD_BAD
 * with *why the reason the value is not of that type. */
int pc_ioc_add_typed(loader *ld, int type, const char *s, size_t n, const char **why);

#endif
