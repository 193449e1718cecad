/*
 * NAME
 *   copies - per-recipient tokens that only the copies of a campaign show
 * SYNOPSIS
 *   pc_copies cp;
 *   pc_copies_make(m, fp.when, &cp);                   after detect
 *   char token[17];
 *   pc_copies_judge(st, m, id, &cp, token);            campaign id known
 *   ... the member is added (with token when it has none of its own) ...
 *   pc_copies_record(st, m, id, &cp, token[0] != 0);   same transaction
 * DESCRIPTION
 *   One copy cannot tell "/cl/975_md/31/4/71/23/2459859" or "?id=77311"
 *   from a static URL; the copies of one template, sent to different
 *   recipients, differ exactly where the recipient's id is.
 *
 *   Every remote URL a copy has (resources and links, at most
 *   PC_COPIES_MAX_SHAPES shapes) is reduced to its shape: resource or
 *   link, registrable domain, number of path segments, whether it has a
 *   fragment. Its positions (at most PC_COPIES_MAX_POS, each with an id so
 *   that copies line up): the whole URL, the host, the fragment, the set
 *   of query keys, each path segment, each query value by its key. At each
 *   position a copy keeps the PC_COPIES_KEEP smallest hashes of the values
 *   its URLs of that shape have there (a bottom-k sample: two copies with
 *   the same set keep the same hashes). The store keeps one row per shape,
 *   campaign and recipient set, with its arrival time.
 *
 *   A position is a per-recipient token when at least PC_COPIES_MIN
 *   copies for different recipients (this one included, at most
 *   PC_COPIES_ROWS earlier ones read) have it, and at least PC_COPIES_MIN
 *   distinct samples are among them, one for every two copies at least:
 *   whatever the values look like. So an article id, the same for every
 *   reader, never is one; an id shared by two readers to poison the rule
 *   still is (sharing by threes blurs the attacker's own attribution as
 *   much); an id split over two segments, a random key added per copy, a
 *   token in a host label are caught by the whole URL, the key set and
 *   the host positions. A position where a copy has several values (the
 *   articles of a digest, or a decoy URL beside the tracker) is compared
 *   only between copies that arrived within PC_COPIES_BURST seconds of
 *   each other: the copies of one send, not yesterday's issue. With two
 *   copies a difference could be chance (an A/B test): three is the least.
 *   A per-message id (a send time) is one too, as the definition of a
 *   tracker has it (docs/detection.md).
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
#include <time.h>

#include "core/msg.h"
#include "store/store.h"

#define PC_COPIES_MAX_SHAPES 48
#define PC_COPIES_MAX_POS 16
#define PC_COPIES_KEEP 4
#define PC_COPIES_MIN 3
#define PC_COPIES_ROWS 32
#define PC_COPIES_OCC 16
#define PC_COPIES_BURST (12 * 3600)

/* position ids */
#define PC_COPY_WHOLE 0u
#define PC_COPY_HOST 1u
#define PC_COPY_FRAGMENT 2u
#define PC_COPY_KEYS 3u
#define PC_COPY_SEGMENT 0x100u    /* + the segment's index */
#define PC_COPY_PARAM 0x80000000u /* | the key's hash */

typedef struct pc_copy_pos {
	uint32_t id;
	unsigned n;
	uint32_t vals[PC_COPIES_KEEP]; /* ascending */
} pc_copy_pos;

typedef struct pc_copy_shape {
	uint64_t skel;
	bool link;
	unsigned npos;
	pc_copy_pos pos[PC_COPIES_MAX_POS];
	const pc_url *first; /* its first URL (the template) */
	size_t nocc;
	void *occ[PC_COPIES_OCC]; /* pc_resource* or pc_link* */
	uint32_t token;           /* bits: the positions (indexes into pos) judged tokens */
	uint32_t varies;          /* bits: positions whose values differ between copies */
} pc_copy_shape;

typedef struct pc_copies {
	pc_copy_shape *v;
	size_t n;
	uint64_t rcpt; /* the recipient set, hashed; 0: none known */
	time_t when;   /* arrival */
} pc_copies;

/* The shapes of m's URLs (in m's arena), arrived at `when`. 0, or -1
 * when the arena is full (cp then holds what fitted). */
int pc_copies_make(pc_msg *m, time_t when, pc_copies *cp);
/* Compares cp with the earlier copies of campaign id (0: none yet) and
 * adds what follows to m and the store (above). token: this copy's token
 * from its copies (hex; "" none). 0, or -1 when the store failed. */
int pc_copies_judge(pc_store *st, pc_msg *m, long long id, pc_copies *cp, char token[17]);
/* Keeps cp's rows in campaign id; tokened: the member was stored with a
 * token (its own or its copies'), so later copies need not give it one.
 * 0 or -1. */
int pc_copies_record(pc_store *st, const pc_msg *m, long long id, const pc_copies *cp, bool tokened);

#endif
