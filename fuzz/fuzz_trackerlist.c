/* Tracker list parser (hosts, hosts files, Adblock rules) on any bytes;
 * every host it accepts must then match itself. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/lib/trackerlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_trackerlist *tl = pc_trackerlist_new();
	if (!tl)
		return 0;
	size_t skipped = 0;
	long added = pc_trackerlist_parse(tl, (const char *)data, size, "fuzz", &skipped);
	if (added < 0 || (size_t)added > size)
		abort();
	/* a plain host line is found again */
	if (size > 0 && size < 200 && !memchr(data, '\n', size)) {
		char h[201];
		memcpy(h, data, size);
		h[size] = '\0';
		if (pc_trackerlist_add(tl, h, "x") == 0 && !pc_trackerlist_match(tl, h)) {
			/* hosts are stored lower-case and matched as given: only
			 * lower-case input must match itself */
			bool lower = true;
			for (size_t i = 0; i < size; i++)
				lower &= !(h[i] >= 'A' && h[i] <= 'Z');
			if (lower)
				abort();
		}
	}
	pc_trackerlist_free(tl);
	return 0;
}
