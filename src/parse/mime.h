/*
 * NAME
 *   mime - one message's bytes into headers, addresses and a part tree (GMime 3)
 * SYNOPSIS
 *   pc_mime *mp = pc_mime_new();
 *   pc_mime_parse(mp, msg, bytes, len, on_body, ctx);
 *   pc_mime_free(mp);
 * DESCRIPTION
 *   Uses GMime 3 for headers (folding, RFC 2047), address lists (groups,
 *   broken lists), the part tree and transfer decoding (base64, quoted-
 *   printable, uuencode). The message is parsed in place (the bytes are not
 *   copied; GMime keeps references into them), so `bytes` must outlive the
 *   call only. A leading mbox "From " line is skipped; CR-only line endings
 *   are converted. For every text/plain and text/html part, on_body is
 *   called with the transfer-decoded bytes converted to UTF-8 from the
 *   declared charset (charset "utf-8"); a text/html part without a MIME
 *   charset is passed as it is with charset NULL (its <meta> decides). Damage GMime reports becomes parse.* findings;
 *   every configured limit hit becomes a parse.limit finding.
 *   The parser objects are reused; one pc_mime per thread.
 */
#ifndef PC_MIME_H
#define PC_MIME_H

#include <stddef.h>

#include "core/msg.h"

typedef struct pc_mime pc_mime;
typedef void (*pc_mime_body_cb)(void *ctx, pc_msg *m, size_t part, const char *bytes, size_t n, const char *charset);

/* Call once per process before any pc_mime_new (wraps g_mime_init). */
void pc_mime_global_init(void);
pc_mime *pc_mime_new(void);
void pc_mime_free(pc_mime *mp);
/* Converts bytes in `charset` to UTF-8 into the arena with GMime's
 * charset filter (iconv; invalid input bytes are skipped, never fatal).
 * Returns NULL when the charset is unknown. */
char *pc_mime_to_utf8(pc_arena *a, const char *bytes, size_t n, const char *charset, size_t *outn);
/* 0 when something was parsed, -1 when the input is not a message at all
 * (then msg->is_mail is false and a parse.not-mail finding says why). */
int pc_mime_parse(pc_mime *mp, pc_msg *m, const char *bytes, size_t n, pc_mime_body_cb cb, void *ctx);

#endif
