/*
 * NAME
 *   copies - per-recipient tokens that only the copies of a campaign show
 * SYNOPSIS
 *   pc_copies cp;
 *   pc_copies_make(m, &cp);                            after detect
 *   char token[17];
 *   pc_copies_judge(st, m, id, &cp, token);            campaign id known
 *   ... the member is added (with token when it has none of its own) ...
 *   pc_copies_record(st, m, id, &cp);                  same transaction
 * DESCRIPTION
 *   One copy cannot tell "/cl/975_md/31/4/71/23/2459859" or "?id=77311"
 *   from a static URL; the copies of one template, sent to different
 *   recipients, differ exactly where the recipient's id is.
 *
 *   Every remote URL a copy has (resources and links, at most
 *   PC_COPIES_MAX_SHAPES shapes) is reduced to its shape: resource or
 *   link, registrable domain, number of path segments, the sorted query
 *   keys, whether it has a fragment. Its positions are the host, the path
 *   segments, the query values (in key order) and the fragment (at most
 *   PC_COPIES_MAX_POS).
 *   At each position a copy keeps the PC_COPIES_KEEP smallest hashes of
 *   the values its URLs of that shape have there (a bottom-k sample: two
 *   copies with the same set keep the same hashes, disjoint sets keep
 *   disjoint ones). The store keeps one row per shape, campaign and
 *   recipient set.
 *
 *   A position is a per-recipient token when at least PC_COPIES_MIN
 *   copies for different recipients (this one included, at most
 *   PC_COPIES_ROWS earlier ones read) have one value there (a value that varies inside one copy, the
 *   articles of a digest, is content) and no value is shared by two of
 *   them: whatever the value looks like. An article id
 *   of a newsletter is the same for every reader and never is one; a
 *   per-message id (a send time) is, and is one by the definition of a
 *   tracker (docs/detection.md). With two copies a difference could be
 *   chance (two articles, an A/B test): three is the least.
 *
 *   What follows from a token at a position of a shape:
 *   - each of this copy's URLs of that shape becomes a tracker (signal
 *     "token-copies", finding tracker.copies: a resource is neutralised
 *     like any beacon, a link is reported as a click tracker);
 *   - the finding campaign.per-recipient-token (the template with {COPY}
 *     at the token, the copies compared);
 *   - the store: the template is one of the campaign's tracker templates
 *     and a "per-recipient-token" value, and the earlier members compared
 *     get the token they had there (member.token: `campaigns show`,
 *     hunt and campaign.targeted count them), this copy too.
 *   A copy without recipients (none known) is neither compared nor kept.
 */
#ifndef PC_COPIES_H
#define PC_COPIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"
#include "store/store.h"

#define PC_COPIES_MAX_SHAPES 48
#define PC_COPIES_MAX_POS 12
#define PC_COPIES_KEEP 4
#define PC_COPIES_MIN 3
#define PC_COPIES_ROWS 32
#define PC_COPIES_OCC 16

typedef struct pc_copy_shape {
	uint64_t skel;
	bool link;
	unsigned npos;
	unsigned nvals[PC_COPIES_MAX_POS];
	uint32_t vals[PC_COPIES_MAX_POS][PC_COPIES_KEEP]; /* ascending */
	const pc_url *first;                              /* its first URL (the template) */
	size_t nocc;
	void *occ[PC_COPIES_OCC]; /* pc_resource* or pc_link* */
	unsigned token;           /* bits: the positions judged tokens */
} pc_copy_shape;

typedef struct pc_copies {
	pc_copy_shape *v;
	size_t n;
	uint64_t rcpt; /* the recipient set, hashed; 0: none known */
} pc_copies;

/* The shapes of m's URLs (in m's arena). 0, or -1 when the arena is full
 * (cp then holds what fitted). */
int pc_copies_make(pc_msg *m, pc_copies *cp);
/* Compares cp with the earlier copies of campaign id (0: none yet) and
 * adds what follows to m and the store (above). token: this copy's token
 * from its copies (hex; "" none). 0, or -1 when the store failed. */
int pc_copies_judge(pc_store *st, pc_msg *m, long long id, pc_copies *cp, char token[17]);
/* Keeps cp's rows in campaign id. 0 or -1. */
int pc_copies_record(pc_store *st, const pc_msg *m, long long id, const pc_copies *cp);

#endif
