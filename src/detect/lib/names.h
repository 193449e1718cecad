/*
 * NAME
 *   names - display names and domains as a reader confuses them
 * SYNOPSIS
 *   pc_names *st = pc_names_new();            (one per thread)
 *   const char *a = pc_names_display(st, arena, name, strlen(name));
 *   pc_names_bidi bi;
 *   const char *shown = pc_names_shown(st, arena, name, strlen(name), &bi);
 *   const char *b = pc_names_display_shown(st, arena, shown, strlen(shown));
 *   n = pc_names_parts(st, arena, b, part, form, 4);
 *   double s = pc_names_similarity(a, b);      (0..1)
 *   pc_domain d;
 *   if (pc_names_domain(st, arena, host, strlen(host), &d) == 0) ...
 *   const char *t = pc_names_lookalike(&d, &protected_d, 2);
 *   pc_names_free(st);
 * DESCRIPTION
 *   A display name is first put in the order a reader sees it: the Unicode
 *   bidi algorithm (UAX #9, ICU ubidi) in a left-to-right paragraph, as a
 *   mail client shows a From line, with mirroring; the bidi controls go
 *   (embeddings, overrides, isolates, marks), and so do the invisible
 *   characters (Default_Ignorable_Code_Point: zero-width space and joiners,
 *   U+2060..U+2064, U+FEFF, soft hyphen, variation selectors, tags, Hangul
 *   fillers). "\u202Eseyer hannaH" is shown, and compared, as "Hannah
 *   Reyes". A right-to-left name is kept in visual order too, on both
 *   sides of a comparison, so that "\u202D" with the letters of an Arabic
 *   name written backwards reads as the name itself, and a genuine Arabic
 *   name still matches itself. pc_names_shown returns that visual string
 *   (spaces made U+0020) and says which controls there were and whether
 *   they change the order of the letters shown.
 *   Then the name is reduced to what a reader confuses: Unicode NFKC with
 *   case folding, accents stripped, quotes, punctuation and symbols made
 *   spaces, "(comments)" and titles (Dr, Mr, Mrs, Ms, ...) dropped,
 *   "Last, First" turned into "first last", and finally the ICU confusable
 *   skeleton (UTS #39), so that "Jоhn Smith" with a Cyrillic о reads as
 *   "john smith". Input is any bytes (invalid UTF-8 becomes U+FFFD) and
 *   only the first PC_NAMES_MAX_IN bytes are looked at: a display name
 *   longer than that is not a person's name.
 *   pc_names_parts cuts a normalised name at the connecting words of a
 *   name form ("X on behalf of Y", "X via Y", "Y for X", "X from Y", "X at
 *   Y", "X by Y", "c/o"), written in any case or with look-alike letters,
 *   so that each part can be compared whole: "hannah reyes on behalf of
 *   ledger" has the part "hannah reyes" (form "on behalf of").
 *   pc_names_similarity compares two normalised names: it tolerates token
 *   order ("smith john"), a middle initial, extra words around the name
 *   ("jane doe bbc news") and a typo in a long name.
 *   A domain is read by pc_domain_parse (parse/domain.h: A-label and
 *   U-label, registrable domain, the label left of the public suffix);
 *   this module adds the confusable skeleton of that label and whether it
 *   mixes Latin with Cyrillic or Greek (or Cyrillic with Greek).
 *   pc_names_lookalike names the transformation that turns a protected
 *   domain into the candidate, or NULL; a domain is never a lookalike of
 *   itself or of a domain it is a subdomain of. All work is bounded:
 *   labels are compared up to 63 code points.
 *   The state holds the ICU spoof checker and scratch buffers; the
 *   functions are otherwise pure. Strings returned live in the arena.
 */
#ifndef PC_DETECT_NAMES_H
#define PC_DETECT_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "parse/domain.h"

#define PC_NAMES_MAX_IN 512

typedef struct pc_names pc_names;

pc_names *pc_names_new(void);
void pc_names_free(pc_names *st);

/* The normalised display name ("" when nothing of a name is left); NULL
 * only when the arena is full or ICU failed. */
const char *pc_names_display(pc_names *st, pc_arena *a, const char *s, size_t n);
/* What the bidi algorithm and the invisible characters did to a name. */
#define PC_NAMES_MAX_CONTROLS 4 /* controls listed in `controls` */
typedef struct pc_names_bidi {
	unsigned ncontrols;   /* bidi controls (UCD Bidi_Control: LRE..RLO, PDF, LRI..PDI, LRM, RLM, ALM) */
	const char *controls; /* "U+202E at 0, U+202C at 12": the first ones, code point offsets; NULL if none */
	bool reordered;       /* the controls change the order of the letters and digits shown */
	unsigned ninvisible;  /* other invisible characters removed (Default_Ignorable_Code_Point) */
} pc_names_bidi;

/* The name as a mail client shows it (see DESCRIPTION), UTF-8 in the
 * arena; NULL when the arena is full, "" when ICU failed. bi may be NULL. */
const char *pc_names_shown(pc_names *st, pc_arena *a, const char *s, size_t n, pc_names_bidi *bi);
/* pc_names_display of a name that is already shown (pc_names_shown): the
 * bidi algorithm is not applied a second time (it would turn a
 * right-to-left name back). */
const char *pc_names_display_shown(pc_names *st, pc_arena *a, const char *s, size_t n);

/* Cuts a normalised name at name-form connecting words: at most max
 * parts (arena strings) with, for each, the connecting word next to it
 * ("on behalf of", "via", "for", "from", "at", "by", "c/o", ...). 0 when
 * the name has no such word, or has nothing on either side of it. */
#define PC_NAMES_MAX_PARTS 4
size_t pc_names_parts(pc_names *st, pc_arena *a, const char *norm, const char **part, const char **form, size_t max);

/* Similarity 0..1 of two normalised names (pc_names_display). */
double pc_names_similarity(const char *a, const char *b);
/* The same when it is at least `floor`, else 0 (cheaper: the edit
 * distance stops as soon as it cannot reach the floor). */
double pc_names_similarity_min(const char *a, const char *b, double floor);

/* pc_domain_parse (parse/domain.h) with the reader's view added: the
 * confusable skeleton and the script mix of the label. 0, or -1 when host
 * is no domain name (empty, too long, IDNA error). Cached per message. */
int pc_names_domain(pc_names *st, pc_arena *a, const char *host, size_t n, pc_domain *out);
/* The transformation that makes cand look like prot ("idn-homoglyph",
 * "confusable-skeleton", "edit-distance-1", "edit-distance-2",
 * "added-word", "tld-swap", "subdomain-trick"), or NULL. */
const char *pc_names_lookalike(const pc_domain *cand, const pc_domain *prot, unsigned maxdist);
/* Optimal-string-alignment Damerau-Levenshtein distance of two UTF-8
 * strings in code points (each cut at 63), capped at cap + 1. */
unsigned pc_names_distance(const char *a, const char *b, unsigned cap);

#endif
