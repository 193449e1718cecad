/*
 * NAME
 *   domain - addresses and domain names: the one home of their rules
 * SYNOPSIS
 *   const char *d = pc_addr_domain("\"a@b\"@Mail.Example.");  ("Mail.Example.")
 *   char key[PC_DOMAIN_KEY_CAP];
 *   int n = pc_domain_key(d, strlen(d), key, sizeof key);     ("mail.example")
 *   int l = pc_idna_ascii("bücher.example", out, sizeof out);  (A-labels)
 *   const char *u = pc_idna_unicode(arena, "xn--bcher-kva.example");
 *   const char *r = pc_domain_registrable("www.bbc.co.uk");    ("bbc.co.uk")
 *   if (pc_domain_at_or_under("news.bbc.co.uk", "bbc.co.uk")) ...
 *   pc_domain dom;
 *   if (pc_domain_parse(arena, host, len, &dom) == 0) ...
 *   const char *named = pc_domain_find(arena, display_name);
 * DESCRIPTION
 *   The ground floor under every stage that looks at a sender, a link or
 *   an indicator: the only module that calls libidn2 and libpsl.
 *   - The domain of an address is what follows its last '@': a quoted
 *     local part may hold an '@' ("a@b"@example.com), a domain never does.
 *   - IDNA has one policy: UTS #46 non-transitional with NFC input (what
 *     browsers do, WHATWG URL), and, when that refuses a name, transitional
 *     (IDNA2003-compatible) processing, as curl and Postfix do: libidn2's
 *     non-transitional mode also applies IDNA2008's stricter repertoire,
 *     which refuses symbols browsers accept (U+2714, U+2019: "joker’s.com"
 *     is xn--jokers-7h0c.com in a browser and in a mail client).
 *   - The key of a domain, the form in which names are compared and looked
 *     up: ASCII lower case, A-labels, no trailing root dot.
 *   - The registrable domain is the public suffix list's (libpsl, built-in
 *     list); a name with none (a bare suffix, a single label) has none.
 *   - "At or under": the same name, or a name ending in "." + the domain;
 *     ASCII case is ignored; no suffix list is involved.
 *   - pc_domain: a host brought to its A-label and U-label forms, its
 *     registrable domain, public suffix and the label left of it. The
 *     detectors' reading of a domain (confusable skeleton, script mixing)
 *     is added by detect/lib/names.h into the two fields named so.
 *   - pc_domain_find: the registrable domain of a domain or an address
 *     written inside a display name ("ceo@example.com", "PayPal.com"),
 *     only when it ends in a listed public suffix.
 *   All input may be hostile: every function is bounded (PC_DOMAIN_FIND_MAX
 *   bytes of a display name, DNS lengths before any per-label work).
 */
#ifndef PC_DOMAIN_H
#define PC_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

#define PC_DOMAIN_MAX 253                  /* octets of a DNS name, without the root dot */
#define PC_DOMAIN_UMAX (4 * PC_DOMAIN_MAX) /* bytes of its Unicode form before IDNA */
#define PC_DOMAIN_KEY_CAP 256              /* room for a key or an A-label form */
#define PC_DOMAIN_FIND_MAX 512             /* bytes of a display name pc_domain_find reads */

/* The domain of an address (after its last '@'), pointing into addr; NULL
 * when addr is NULL or has no '@'. */
const char *pc_addr_domain(const char *addr);

/* IDNA errors (pc_idna_ascii, pc_domain_key). */
enum { PC_IDNA_INVALID = -1, PC_IDNA_TOO_LONG = -2 };

/* The A-label form of a UTF-8 host (NUL-terminated) into out, by the one
 * policy above: its length, or PC_IDNA_TOO_LONG (a label over 63 octets,
 * a name over 255, or no room in out), or PC_IDNA_INVALID. */
int pc_idna_ascii(const char *host, char *out, size_t cap);
/* The U-label form of an A-label host, valid UTF-8 in the arena; NULL when
 * it has none (or the arena is full). */
const char *pc_idna_unicode(pc_arena *a, const char *ascii);

/* The key of a domain name s[0..n) into out: trailing dots dropped, ASCII
 * lower-cased, then, when it holds non-ASCII, A-labels. Returns its length
 * (0 for an empty name), PC_IDNA_TOO_LONG (no room in out, or a Unicode
 * name over PC_DOMAIN_UMAX bytes or whose A-labels are too long) or
 * PC_IDNA_INVALID; on an error out holds the lower-cased name, to show,
 * when it fits (else ""). A name of ASCII is never refused: the caller
 * checks length and characters as its use needs. */
int pc_domain_key(const char *s, size_t n, char *out, size_t cap);

/* The registrable domain of a lower-case A-label host, pointing into it;
 * NULL when the list gives none. */
const char *pc_domain_registrable(const char *ascii);
/* Whether the name is a public suffix, "*" default rule included (nobody
 * owns what is under "example" either). */
bool pc_domain_is_public_suffix(const char *ascii);
/* Whether the name is a suffix the list names explicitly ("com", "co.uk"),
 * not one only the "*" rule makes. */
bool pc_domain_is_listed_suffix(const char *ascii);

/* host is dom or a subdomain of it (ASCII case ignored). */
bool pc_domain_at_or_under(const char *host, const char *dom);

typedef struct pc_domain {
	const char *ascii;   /* whole host, lower-case A-labels, no trailing dot */
	const char *unicode; /* whole host, U-labels */
	const char *reg;     /* registrable domain (A-labels); the host when psl knows none */
	const char *suffix;  /* public suffix of reg ("co.uk"), "" when none */
	const char *label;   /* label of reg left of the suffix, A-label */
	const char *ulabel;  /* the same as U-label */
	bool ascii_only;     /* the label is plain ASCII (no IDN) */
	/* set by pc_names_domain (detect/lib/names.h), NULL from pc_domain_parse */
	const char *skel;    /* confusable skeleton of ulabel, lower case, rn->m, vv->w, 1->l, 0->o */
	const char *scripts; /* "latin+cyrillic" when the label mixes scripts, else NULL */
} pc_domain;

/* 0, or -1 when host is no domain name (empty, too long, IDNA error).
 * Spaces and dots around the host are ignored; a host of ASCII that IDNA
 * refuses (an underscore...) is kept as written, lower-cased. Strings live
 * in the arena. */
int pc_domain_parse(pc_arena *a, const char *host, size_t n, pc_domain *out);
/* Whether d is p or at or under p's registrable domain. */
bool pc_domain_same_site(const pc_domain *d, const pc_domain *p);
/* The registrable domain (lower-case A-labels) of an address or domain
 * written inside a display name, or NULL. Only names ending in a listed
 * public suffix count ("j.smith" is no domain). */
const char *pc_domain_find(pc_arena *a, const char *name);

#endif
