/* mbox splitter and >From unquoting: every message lies inside the input
 * and unquoting never grows it. */
#include <stdint.h>
#include <stdlib.h>

#include "parse/mbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	pc_mbox mb = {buf, size, 0};
	const char *msg;
	size_t len;
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	while (pc_mbox_next(&mb, &msg, &len)) {
		if (msg < buf || msg + len > buf + size)
			abort();
		if (pc_mbox_quoted(msg, len) && pc_mbox_unquote(copy, msg, len) > len)
			abort();
	}
	free(copy);
	return 0;
}
