/*
 * NAME
 *   source - every message under the paths given on the command line
 * SYNOPSIS
 *   pc_source_walk(paths, npaths, on_message, ctx, &stats);
 * DESCRIPTION
 *   A path is "-" (standard input), a file (*.eml: one message; any other
 *   name: an mbox when it starts with a From_ line), a Maildir (cur/ and new/), or a directory, walked
 *   recursively in name order (symlinked directories are not followed;
 *   Maildir tmp/ is skipped). Files are mmap'd read-only. on_message gets
 *   the bytes of one message and its source name ("path", or "path:N" for
 *   the N-th message of an mbox with more than one). An unreadable path is
 *   reported on stderr with its name and counted; the walk goes on.
 */
#ifndef PC_SOURCE_H
#define PC_SOURCE_H

#include <stddef.h>

/* Where a message is, for commands that act on the mailbox (hunt). */
typedef struct pc_source_pos {
	const char *path; /* the file it is in */
	size_t index;     /* its number in an mbox (1-based); 0: the file is the message */
	const char *raw;  /* its bytes in the file, before mboxrd unquoting */
	size_t rawn;
} pc_source_pos;

typedef void (*pc_source_cb)(void *ctx, const char *bytes, size_t n, const char *source, const pc_source_pos *pos);

typedef struct pc_source_stats {
	size_t messages, bytes, errors;
} pc_source_stats;

void pc_source_walk(char *const *paths, size_t npaths, pc_source_cb cb, void *ctx, pc_source_stats *st);
/* Sum of the sizes of the regular files under the paths (for an ETA). */
size_t pc_source_total_bytes(char *const *paths, size_t npaths);

#endif
