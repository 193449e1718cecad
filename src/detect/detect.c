/*
 * NAME
 *   detect - a scanner's detectors: their states and their context (see
 *   detect.h)
 */
#include "detect/detect.h"

#include <stdlib.h>

#include "detect/lib/protect.h"

struct pc_detect {
	const pc_detector *const *table;
	size_t n;
	void **states; /* parallel to table */
	pc_detect_ctx ctx;
};

pc_detect *pc_detect_new(const pc_config *config, const pc_detector *const *table, size_t n)
{
	pc_detect *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->table = table;
	d->n = n;
	d->ctx.config = config;
	d->states = calloc(n ? n : 1, sizeof *d->states);
	d->ctx.protect = pc_protect_new(config);
	if (!d->states || !d->ctx.protect) {
		pc_detect_free(d);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (table[i]->init && !(d->states[i] = table[i]->init(config))) {
			pc_detect_free(d);
			return NULL;
		}
	}
	return d;
}

void pc_detect_free(pc_detect *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->states && i < d->n; i++)
		if (d->states[i] && d->table[i]->free)
			d->table[i]->free(d->states[i]);
	free(d->states);
	pc_protect_free(d->ctx.protect);
	free(d);
}

pc_detect_ctx *pc_detect_context(pc_detect *d)
{
	return &d->ctx;
}

void pc_detect_set_freemail(pc_detect *d, const pc_trackerlist *freemail)
{
	d->ctx.freemail = freemail;
	pc_protect_set_freemail(d->ctx.protect, freemail);
}

void pc_detect_run(pc_detect *d, pc_msg *m)
{
	for (size_t i = 0; i < d->n && !pc_msg_out_of_time(m); i++) {
		d->ctx.state = d->states[i];
		d->table[i]->run(&d->ctx, m);
	}
	d->ctx.state = NULL;
}
