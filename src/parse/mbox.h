/*
 * NAME
 *   mbox - split an mbox file into messages, undo >From quoting
 * SYNOPSIS
 *   pc_mbox mb = {buf, len, 0};
 *   const char *msg; size_t n;
 *   while (pc_mbox_next(&mb, &msg, &n)) {
 *       if (pc_mbox_quoted(msg, n)) n = pc_mbox_unquote(copy, msg, n);
 *   }
 * DESCRIPTION
 *   A message starts at a "From " line at the start of the buffer or after
 *   an empty line, or at any "From " line shaped like a From_ line
 *   ("From sender Www Mmm ..."), so mboxes written without the blank line
 *   still split. The From_ line is not part of the message; the blank line
 *   mbox writers put before the next From_ is dropped. Unquoting follows
 *   mboxrd: one '>' is removed from lines matching ^>+From .
 */
#ifndef PC_MBOX_H
#define PC_MBOX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pc_mbox {
	const char *buf;
	size_t n, pos;
} pc_mbox;

/* True when buf looks like an mbox (starts with a From_ line). */
bool pc_mbox_detect(const char *buf, size_t n);
bool pc_mbox_next(pc_mbox *mb, const char **msg, size_t *len);
/* True when some line needs unquoting. */
bool pc_mbox_quoted(const char *msg, size_t n);
/* Writes at most n bytes to dst; returns the new length. */
size_t pc_mbox_unquote(char *dst, const char *src, size_t n);

#endif
