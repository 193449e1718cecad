/*
 * NAME
 *   rewrite - neutralise a scanned message's trackers (act stage)
 * SYNOPSIS
 *   pc_scanner_keep_for_rewrite(sc, 1);
 *   const pc_msg *m = pc_scan(sc, bytes, n, ...);
 *   char *out; size_t outn; pc_rewrite_stats st;
 *   int rc = pc_rewrite(m, bytes, n, &out, &outn, &st);   // 1 changed, 0 not, -1 error
 *   ... free(out);
 * DESCRIPTION
 *   Edits only what must change and copies every other byte of the input:
 *   - tracking images and CSS: the URL is replaced by an inline empty image
 *     (data: URI), so no request is made and the element keeps its size and
 *     place in the layout;
 *   - click trackers: the href becomes the decoded destination when the
 *     tracker wraps one; otherwise query values and fragments that carry
 *     the recipient's identity are removed (never path segments, which
 *     would break the link, and never on unsubscribe links);
 *   - with rewrite.remote_images = block, every other remote image is
 *     replaced by its alt text (CSS images by the empty image);
 *   - read-receipt request headers are removed;
 *   - an X-Portcullis-Trackers header says what was removed (earlier ones
 *     are dropped when the message changes).
 *   Only the inline text/html and text/plain parts that were edited are
 *   re-encoded (same transfer encoding, same charset when it can represent
 *   the text, else UTF-8); attachments, all other parts and headers stay
 *   byte-identical. Links in plain text are edited like those in HTML. Rewriting the output again changes
 *   nothing. Parts cut short by a decoding limit are left as they are.
 */
#ifndef PC_REWRITE_H
#define PC_REWRITE_H

#include <stddef.h>

#include "core/msg.h"

#define PC_REWRITE_SUMMARY_MAX 2048

typedef struct pc_rewrite_stats {
	size_t images, css, other, links, headers, blocked;
	/* the value of the X-Portcullis-Trackers field the rewrite wrote
	 * (after the colon, folds as written, without its last line end),
	 * so a milter adds it without reading the message again; left as it
	 * was when a pass writes none; "" when no pass has */
	char trackers[PC_REWRITE_SUMMARY_MAX];
} pc_rewrite_stats;

/* `st` is added to (so the header of a later pass counts earlier ones);
 * start from {0}. */
int pc_rewrite(const pc_msg *m, const char *bytes, size_t n, char **out, size_t *outn, pc_rewrite_stats *st);

#endif
