/*
 * NAME
 *   jsonw - streaming JSON writer for the JSON Lines output
 * SYNOPSIS
 *   pc_jsonw w; pc_jsonw_init(&w);
 *   pc_jsonw_obj(&w); pc_jsonw_key(&w, "a"); pc_jsonw_str(&w, "x"); pc_jsonw_end(&w);
 *   fwrite(w.buf, 1, w.len, out); pc_jsonw_free(&w);
 * DESCRIPTION
 *   Writes compact JSON straight into one growing buffer (or, with a sink,
 *   a bounded one written out as it fills), commas and nesting tracked
 *   here. Hand-written instead of building a jansson tree:
 *   jansson's object model (build, dump, free) cost 27% of the instructions
 *   of a corpus scan (callgrind, issue 2 note) for output alone. Strings
 *   must be valid UTF-8 (every string in pc_msg is, see pc_arena_utf8);
 *   `"`, `\` and control characters are escaped. The fuzz target parses
 *   every document written back with jansson. On allocation failure `err`
 *   is set and further calls do nothing.
 */
#ifndef PC_JSONW_H
#define PC_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#define PC_JSONW_DEPTH 32
#define PC_JSONW_FLUSH 65536

typedef struct pc_jsonw {
	char *buf;
	size_t len, cap;
	/* When set, the buffer is written out to it whenever it passes
	 * PC_JSONW_FLUSH bytes (the caller writes what is left): a message
	 * with megabytes of URLs does not hold its whole line in memory
	 * besides its parse results. On a write error `err` is set. */
	void *sink;                  /* FILE * */
	bool first[PC_JSONW_DEPTH];  /* nothing written yet at this level */
	char closer[PC_JSONW_DEPTH]; /* '}' or ']' for each open level */
	int depth;
	bool after_key;
	bool err;
} pc_jsonw;

void pc_jsonw_init(pc_jsonw *w);
void pc_jsonw_reset(pc_jsonw *w);
void pc_jsonw_free(pc_jsonw *w);
void pc_jsonw_obj(pc_jsonw *w);
void pc_jsonw_arr(pc_jsonw *w);
void pc_jsonw_end(pc_jsonw *w); /* closes the innermost object or array */
void pc_jsonw_key(pc_jsonw *w, const char *key);
void pc_jsonw_str(pc_jsonw *w, const char *s); /* NULL writes null */
void pc_jsonw_int(pc_jsonw *w, long long v);
void pc_jsonw_real(pc_jsonw *w, double v);
void pc_jsonw_bool(pc_jsonw *w, bool v);
void pc_jsonw_null(pc_jsonw *w);

#endif
