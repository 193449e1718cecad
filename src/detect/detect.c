/*
 * NAME
 *   detect - a scanner's detectors: their states and their context (see
 *   detect.h)
 */
#include "detect/detect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- settings a detector declares (detect.h: pc_setting) ---- */

static const pc_setting *setting_of(const pc_detector *d, const char *key)
{
	for (const pc_setting *s = d->settings; s && s->key; s++)
		if (!strcmp(s->key, key))
			return s;
	return NULL;
}

/* NULL when v is a valid value of s, else why not. */
static const char *bad_value(const pc_setting *s, const char *v, char *why, size_t whylen)
{
	if (s->type == PC_SETTING_YESNO) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return snprintf(why, whylen, "expected yes or no, got \"%s\"", v), why;
		return NULL;
	}
	if (s->type == PC_SETTING_NUMBER) {
		char *end;
		errno = 0;
		double x = strtod(v, &end);
		if (errno || end == v || *end || !(x >= s->lo && x <= s->hi))
			return snprintf(why, whylen, "expected a number between %g and %g, got \"%s\"", s->lo, s->hi,
			                v),
			       why;
	}
	return NULL;
}

int pc_detect_check_settings(const pc_config *c, const pc_detector *const *table, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->ndetector_settings; i++) {
		const pc_rawsetting *r = &c->detector_settings[i];
		const char *name = r->key + strlen("detector."), *dot = strchr(name, '.');
		const pc_detector *d = NULL;
		for (size_t k = 0; k < n && !d; k++)
			if (strlen(table[k]->name) == (size_t)(dot - name) &&
			    !strncmp(table[k]->name, name, (size_t)(dot - name)))
				d = table[k];
		const pc_setting *s = d ? setting_of(d, dot + 1) : NULL;
		char why[256];
		const char *bad = !d   ? "no such detector"
		                  : !s ? "that detector has no such setting"
		                       : bad_value(s, r->value, why, sizeof why);
		if (bad) {
			snprintf(err, errlen, "%s: %s: %s", r->where, r->key, bad);
			return -1;
		}
	}
	return 0;
}

const char *pc_setting_str(const pc_config *c, const pc_detector *d, const pc_setting *s)
{
	char key[256];
	snprintf(key, sizeof key, "detector.%s.%s", d->name, s->key);
	const pc_rawsetting *r = pc_config_detector_setting(c, key);
	return r ? r->value : s->def;
}

double pc_setting_number(const pc_config *c, const pc_detector *d, const pc_setting *s)
{
	const char *v = pc_setting_str(c, d, s);
	return v ? strtod(v, NULL) : 0.0;
}

bool pc_setting_yes(const pc_config *c, const pc_detector *d, const pc_setting *s)
{
	const char *v = pc_setting_str(c, d, s);
	return v && !strcmp(v, "yes");
}
