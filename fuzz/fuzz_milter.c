/* The milter's two parsers on any bytes: a worker's reply frame as the
 * front end reads it (records, splits, the edit records' fields), and a
 * header block as the worker splits it, with the edits that turn it into
 * the same block without its forged fields, replayed to check that the
 * edits are consistent (every change or deletion names an existing
 * field index). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "act/headers.h"
#include "milter/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct count {
	const pc_hfield *a;
	size_t na;
} count;

static int check_edit(void *ctx, char op, const char *name, size_t namelen, unsigned index, const char *value,
                      size_t valuelen)
{
	count *c = ctx;
	(void)value;
	(void)valuelen;
	if (op == 'a')
		return index != 0;
	unsigned have = 0;
	for (size_t i = 0; i < c->na; i++)
		have += c->a[i].namelen == namelen && !strncasecmp(c->a[i].name, name, namelen);
	if (index < 1 || index > have)
		abort(); /* an edit of a field that is not there */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* as a frame */
	pc_wbuf b = {0};
	b.p = malloc(size + PC_WIRE_HDR);
	if (!b.p)
		return 0;
	memset(b.p, 0, PC_WIRE_HDR);
	memcpy(b.p + PC_WIRE_HDR, data, size);
	b.n = b.cap = size + PC_WIRE_HDR;
	size_t off = 0;
	pc_wire_rec r;
	char buf[512];
	const char *parts[3];
	while (pc_wire_next(&b, &off, &r) == 1) {
		int k = pc_wire_split(&r, buf, sizeof buf, parts, 3);
		for (int i = 0; i < k; i++)
			(void)strlen(parts[i]);
	}
	pc_wbuf_free(&b);

	/* as a header block */
	pc_hfield *f = NULL;
	size_t body, n = pc_hdr_split((const char *)data, size, &f, &body);
	if (n == (size_t)-1)
		return 0;
	if (body > size)
		abort();
	pc_hfield *keep = malloc((n ? n : 1) * sizeof *keep);
	size_t nk = 0;
	for (size_t i = 0; keep && i < n; i++)
		if (!pc_hdr_forged(f[i].name, f[i].namelen, f[i].value, f[i].valuelen, "portcullis"))
			keep[nk++] = f[i];
	count c = {f, n};
	if (keep)
		pc_hdr_diff(f, n, keep, nk, check_edit, &c);
	/* and against the block read backwards: changes, deletions and adds */
	for (size_t i = 0; keep && i < n; i++)
		keep[i] = f[n - 1 - i];
	if (keep)
		pc_hdr_diff(f, n, keep, n, check_edit, &c);
	free(keep);
	free(f);
	return 0;
}
