/*
 * NAME
 *   ioc_sets - the indicator sets kept in the store (see ioc_sets.h)
 */
#include "hunt/ioc_sets.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/ioc.h"
#include "store/store.h"

typedef struct one {
	char *name, *label;
	pc_ioc *ioc;
} one;

struct pc_ioc_sets {
	struct pc_store *st;
	GArray *sets; /* one */
	char *stamp;  /* names and times of the sets loaded */
	GHashTable *complained;
};

pc_ioc_sets *pc_ioc_sets_new(struct pc_store *st)
{
	pc_ioc_sets *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->st = st;
	s->sets = g_array_new(FALSE, TRUE, sizeof(one));
	s->complained = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return s;
}

static void clear(pc_ioc_sets *s)
{
	for (guint i = 0; i < s->sets->len; i++) {
		one *o = &g_array_index(s->sets, one, i);
		pc_ioc_free(o->ioc);
		g_free(o->name);
		g_free(o->label);
	}
	g_array_set_size(s->sets, 0);
}

void pc_ioc_sets_free(pc_ioc_sets *s)
{
	if (!s)
		return;
	clear(s);
	g_array_free(s->sets, TRUE);
	g_hash_table_destroy(s->complained);
	g_free(s->stamp);
	free(s);
}

size_t pc_ioc_sets_count(const pc_ioc_sets *s)
{
	return s ? s->sets->len : 0;
}

static int on_stamp(void *ctx, const pc_ioc_set *set)
{
	g_string_append_printf(ctx, "%s\n%lld\n", set->name, (long long)set->added);
	return 0;
}

static int on_set(void *ctx, const pc_ioc_set *set)
{
	pc_ioc_sets *s = ctx;
	char err[512];
	pc_ioc *ioc = pc_ioc_load_mem(set->body, set->n, set->name, err, sizeof err);
	if (!ioc) {
		if (!g_hash_table_contains(s->complained, set->name)) {
			fprintf(stderr, "portcullis: indicator set %s no longer loads, skipped: %s\n", set->name, err);
			g_hash_table_add(s->complained, g_strdup(set->name));
		}
		return 0;
	}
	one o = {g_strdup(set->name), NULL, ioc};
	char when[32];
	time_t t = set->added;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof when, "?");
	o.label = g_strdup_printf("added by %s at %s", set->actor ? set->actor : "?", when);
	g_array_append_val(s->sets, o);
	return 0;
}

/* Reloads when the store's sets are not the ones loaded. */
static void refresh(pc_ioc_sets *s)
{
	GString *stamp = g_string_new(NULL);
	if (pc_store_ioc_list(s->st, false, on_stamp, stamp) != 0) {
		g_string_free(stamp, TRUE);
		return; /* keep what is loaded */
	}
	if (s->stamp && !strcmp(s->stamp, stamp->str)) {
		g_string_free(stamp, TRUE);
		return;
	}
	clear(s);
	g_free(s->stamp);
	s->stamp = g_string_free(stamp, FALSE);
	pc_store_ioc_list(s->st, true, on_set, s);
}

void pc_ioc_sets_check(void *ctx, pc_msg *m, const struct pc_fingerprint *fp, const unsigned char *sha256)
{
	pc_ioc_sets *s = ctx;
	if (!s || !s->st)
		return;
	refresh(s);
	if (!s->sets->len)
		return;
	for (guint i = 0; i < s->sets->len; i++) {
		one *o = &g_array_index(s->sets, one, i);
		const char *why = NULL;
		if (!pc_ioc_match(o->ioc, m, fp, sha256, &why))
			continue;
		pc_finding *f = pc_msg_finding(m, PC_FINDING_IOC, "ioc.match", 0.0,
		                               pc_arena_printf(m->arena, "matches an indicator of set %s", o->name));
		pc_finding_ev(m, f, "set", pc_arena_utf8(m->arena, o->name, strlen(o->name)));
		pc_finding_ev(m, f, "set_added", pc_arena_utf8(m->arena, o->label, strlen(o->label)));
		if (why)
			pc_finding_ev(m, f, "indicator", why);
	}
}
