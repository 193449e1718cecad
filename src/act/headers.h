/*
 * NAME
 *   headers - the header edits that turn one message into another (for a milter, which cannot send a whole message)
 * SYNOPSIS
 *   size_t body;
 *   pc_hfield *a = NULL; size_t na = pc_hdr_split(orig, n, &a, &body);   free(a)
 *   pc_hdr_diff(a, na, b, nb, on_edit, ctx);
 *   if (pc_hdr_forged(name, namelen, value, valuelen, "portcullis")) ...
 * DESCRIPTION
 *   A milter cannot send a whole new message: it deletes, changes and
 *   adds header fields by name and index (1-based among fields of that
 *   name) and replaces the body. pc_hdr_diff says which edits make header
 *   list `a` into `b`: for each field name (case-insensitive), the i-th
 *   field of that name is changed when its value differs, fields `a` has
 *   beyond `b` are deleted (highest index first, so earlier indexes stay
 *   valid whether or not the MTA renumbers), and fields `b` has beyond `a`
 *   are added. Values are the raw bytes after the colon up to the field's
 *   last line end, folds included.
 *
 *   A field is forged when a message arrives with it: every X-Portcullis-*
 *   field (only we write those) and an Authentication-Results field whose
 *   authserv-id is ours (RFC 8601 section 5 asks us to remove those).
 */
#ifndef PC_ACT_HEADERS_H
#define PC_ACT_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pc_hfield {
	const char *name, *value;
	size_t namelen, valuelen;
} pc_hfield;

/* The fields of the header block at the start of msg (up to the first
 * empty line, or the end), into *out (malloc'd; free it; NULL when none).
 * *body is where the body starts (after the empty line; n when none).
 * Lines without a colon are skipped. Returns the count; (size_t)-1 when
 * memory could not be had. */
size_t pc_hdr_split(const char *msg, size_t n, pc_hfield **out, size_t *body);

/* op 'x' change (value), 'd' delete (value NULL), 'a' add (index 0).
 * Return non-zero to stop. */
typedef int (*pc_hdr_edit_cb)(void *ctx, char op, const char *name, size_t namelen, unsigned index, const char *value,
                              size_t valuelen);
/* 0, -1 when memory could not be had, or the callback's non-zero. */
int pc_hdr_diff(const pc_hfield *a, size_t na, const pc_hfield *b, size_t nb, pc_hdr_edit_cb cb, void *ctx);

bool pc_hdr_forged(const char *name, size_t namelen, const char *value, size_t valuelen, const char *authserv_id);

#endif
