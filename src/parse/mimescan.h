/*
 * NAME
 *   mimescan - where a message's MIME structure reaches a limit, found before GMime builds it
 * SYNOPSIS
 *   pc_mimescan s;
 *   pc_mimescan_run(bytes, n, &config->limits, &s);
 *   ... GMime parses only bytes[0, s.cut) ...
 *   if (s.limit) ... a parse.limit finding: s.limit, s.configured, s.found, s.part, s.cut
 * DESCRIPTION
 *   GMime builds a message's whole part tree before anyone can look at it,
 *   and each object costs it memory out of all proportion to the bytes
 *   that made it (measured with GMime 3.2.13: about 2 kB per part, 350
 *   bytes per header field, 650 bytes per MIME parameter; five bytes of
 *   "--B\n\n" make a part, so 5 MB of them took 2.2 GB). The configured
 *   limits therefore cannot be applied to GMime's result. They are applied
 *   here, in one pass over the bytes that follows GMime 3.2's own parser
 *   (gmime-parser.c): header blocks and their field-name rules, the stack
 *   of boundaries every "--" line is compared with, prologue and epilogue,
 *   parts without headers, a header block cut short by a boundary (whose
 *   last field GMime carries into the next part), message/rfc822 and its
 *   kin (not when base64, quoted-printable or uuencoded), the default type
 *   of a multipart/digest's parts, and the nesting at which GMime stops
 *   (1024). It counts what GMime will build and what parse/mime.c's walk
 *   will visit: parts (numbered and nested as the walk numbers them),
 *   header fields of the whole message, the bytes of each field, and the
 *   MIME parameters of every Content-Type and Content-Disposition field.
 *   At the first limit it stops: `cut` is the start of the line where the
 *   object over the limit begins (a part: its boundary line), and GMime is
 *   given only the bytes before it. The rest stays in the message as
 *   opaque bytes for the rewriter and the quarantine.
 *
 *   Work is linear: every line is looked at once, and a line that starts
 *   with "--" is compared with at most nesting_depth + 1 boundaries (as
 *   GMime itself does). Memory: the boundary stack and two header values,
 *   each bounded by header_size.
 *
 *   Why by hand: GMime has no hook that stops it, and feeding it a bounded
 *   piece needs to know where the piece ends, which is this. It uses
 *   GMime's own functions for what decides the structure inside a field
 *   (header unfolding and RFC 2047 decoding, the Content-Type parameter
 *   list that yields the boundary, the transfer encoding's name).
 *   Not modelled: GMime also compares the text where its 4 kB read buffer
 *   splits a longer line with the boundaries, so a "--B" placed exactly
 *   there is a boundary to GMime. Such parts cost an attacker 4 kB each,
 *   stay linear, and parse/mime.c's walk still stops at every limit.
 */
#ifndef PC_MIMESCAN_H
#define PC_MIMESCAN_H

#include <stddef.h>

#include "core/config.h"

typedef struct pc_mimescan {
	size_t cut;        /* GMime is given bytes [0, cut) */
	const char *limit; /* the limit that set the cut (a pc_limit_table name), NULL when none */
	size_t configured; /* its configured value */
	size_t found;      /* header_size: the field's size so far; others: the count reached */
	char part[96];     /* the part where it was hit ("1.2.3"; "" for the top header) */
	char field[64];    /* header_size, headers, params: the field's name (cut at 63 bytes) */
	size_t parts;      /* counted before the cut */
	size_t headers;
	size_t params;
	size_t addresses; /* in the address fields of message headers */
	size_t depth;     /* deepest part */
	int not_mail;     /* GMime will not find a top-level header (nothing was modelled) */
} pc_mimescan;

void pc_mimescan_run(const char *bytes, size_t n, const pc_limits *lim, pc_mimescan *out);

#endif
