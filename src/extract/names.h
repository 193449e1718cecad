/*
 * NAME
 *   names - display names and domains in a form that can be compared
 * SYNOPSIS
 *   pc_names *st = pc_names_new();            (one per thread)
 *   const char *a = pc_names_display(st, arena, name, strlen(name));
 *   double s = pc_names_similarity(a, b);      (0..1)
 *   pc_domain d;
 *   if (pc_names_domain(st, arena, host, strlen(host), &d) == 0) ...
 *   const char *t = pc_names_lookalike(&d, &protected_d, 2);
 *   const char *named = pc_names_find_domain(arena, name);
 *   pc_names_free(st);
 * DESCRIPTION
 *   A display name is reduced to what a reader sees: Unicode NFKC with
 *   case folding, accents stripped, quotes, punctuation and symbols made
 *   spaces, "(comments)" and titles (Dr, Mr, Mrs, Ms, ...) dropped,
 *   "Last, First" turned into "first last", and finally the ICU confusable
 *   skeleton (UTS #39), so that "Jоhn Smith" with a Cyrillic о reads as
 *   "john smith". Input is any bytes (invalid UTF-8 becomes U+FFFD) and
 *   only the first PC_NAMES_MAX_IN bytes are looked at: a display name
 *   longer than that is not a person's name.
 *   pc_names_similarity compares two normalised names: it tolerates token
 *   order ("smith john"), a middle initial, extra words around the name
 *   ("jane doe bbc news") and a typo in a long name.
 *   A domain is brought to its lower-case A-label and U-label (libidn2),
 *   its registrable domain and the label left of the public suffix
 *   (libpsl), the confusable skeleton of that label, and whether the label
 *   mixes Latin with Cyrillic or Greek (or Cyrillic with Greek).
 *   pc_names_lookalike names the transformation that turns a protected
 *   domain into the candidate, or NULL; a domain is never a lookalike of
 *   itself or of a domain it is a subdomain of. All work is bounded:
 *   labels are compared up to 63 code points.
 *   The state holds the ICU spoof checker and scratch buffers; the
 *   functions are otherwise pure. Strings returned live in the arena.
 */
#ifndef PC_NAMES_H
#define PC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

#define PC_NAMES_MAX_IN 512

typedef struct pc_names pc_names;

pc_names *pc_names_new(void);
void pc_names_free(pc_names *st);

/* The normalised display name ("" when nothing of a name is left); NULL
 * only when the arena is full or ICU failed. */
const char *pc_names_display(pc_names *st, pc_arena *a, const char *s, size_t n);
/* Similarity 0..1 of two normalised names (pc_names_display). */
double pc_names_similarity(const char *a, const char *b);
/* The same when it is at least `floor`, else 0 (cheaper: the edit
 * distance stops as soon as it cannot reach the floor). */
double pc_names_similarity_min(const char *a, const char *b, double floor);

typedef struct pc_domain {
	const char *ascii;   /* whole host, lower-case A-labels, no trailing dot */
	const char *unicode; /* whole host, U-labels */
	const char *reg;     /* registrable domain (A-labels); the host when psl knows none */
	const char *suffix;  /* public suffix of reg ("co.uk"), "" when none */
	const char *label;   /* label of reg left of the suffix, A-label */
	const char *ulabel;  /* the same as U-label */
	const char *skel;    /* confusable skeleton of ulabel, lower case, rn->m, vv->w, 1->l, 0->o */
	const char *scripts; /* "latin+cyrillic" when the label mixes scripts, else NULL */
	bool ascii_only;     /* the label is plain ASCII (no IDN) */
} pc_domain;

/* 0, or -1 when host is no domain name (empty, too long, IDNA error). */
int pc_names_domain(pc_names *st, pc_arena *a, const char *host, size_t n, pc_domain *out);
/* Whether d is p or a subdomain of p's registrable domain. */
bool pc_names_same_site(const pc_domain *d, const pc_domain *p);
/* The transformation that makes cand look like prot ("idn-homoglyph",
 * "confusable-skeleton", "edit-distance-1", "edit-distance-2",
 * "added-word", "tld-swap", "subdomain-trick"), or NULL. */
const char *pc_names_lookalike(const pc_domain *cand, const pc_domain *prot, unsigned maxdist);
/* Optimal-string-alignment Damerau-Levenshtein distance of two UTF-8
 * strings in code points (each cut at 63), capped at cap + 1. */
unsigned pc_names_distance(const char *a, const char *b, unsigned cap);
/* The registrable domain (lower-case A-labels) of an address or domain
 * written inside a display name ("ceo@example.com", "example.com via",
 * "PayPal.com"), or NULL. Only names ending in a listed public suffix
 * count ("j.smith" is no domain). */
const char *pc_names_find_domain(pc_arena *a, const char *name);

#endif
