/*
 * NAME
 *   ioc_index - the indicator index: the hash table, adding, lookups, the finished index
 * DESCRIPTION
 *   See hunt/ioc.h for the formats and what matches, hunt/ioc_impl.h for
 *   the index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/ioc_impl.h"

const char *const pc_ioc_type_names[T_COUNT] = {
    NULL, "domain", "host", "email", "url", "ip", "ip", "template", "subject", "message-id", "sha256",
};

/* ---- hashing and the table ---- */

static uint64_t hash(int type, const char *p, size_t n)
{
	uint64_t h = h_start(type);
	for (size_t i = 0; i < n; i++)
		h = h_step(h, (unsigned char)p[i]);
	return h_final(h);
}

const ind *pc_ioc_find_h(const pc_ioc *ioc, int type, const char *p, size_t n, uint64_t h)
{
	if (!ioc->tabcap || !(ioc->types & (1u << type)))
		return NULL;
	size_t mask = ioc->tabcap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		const slot *s = &ioc->tab[i];
		if (!s->idx)
			return NULL;
		if (s->h == h) {
			const ind *d = &ioc->v[s->idx - 1];
			if (d->type == type && d->keylen == n && memcmp(d->key, p, n) == 0)
				return d;
		}
	}
}

const ind *pc_ioc_find(const pc_ioc *ioc, int type, const char *p, size_t n)
{
	return pc_ioc_find_h(ioc, type, p, n, hash(type, p, n));
}

static void tab_put(slot *tab, size_t cap, uint64_t h, uint32_t idx)
{
	size_t mask = cap - 1;
	size_t i = (size_t)h & mask;
	while (tab[i].idx)
		i = (i + 1) & mask;
	tab[i].h = h;
	tab[i].idx = idx;
}

static int tab_grow(pc_ioc *ioc)
{
	size_t cap = ioc->tabcap ? ioc->tabcap * 2 : 1024;
	slot *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < ioc->tabcap; i++)
		if (ioc->tab[i].idx)
			tab_put(t, cap, ioc->tab[i].h, ioc->tab[i].idx);
	free(ioc->tab);
	ioc->tab = t;
	ioc->tabcap = cap;
	return 0;
}

/* A fatal error (limit, memory): err set. */
int pc_ioc_fatal(loader *ld, const char *why)
{
	if (ld->line)
		snprintf(ld->err, ld->errlen, "%s:%zu: %s", ld->name, ld->line, why);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->name, why);
	return ADD_FATAL;
}

/* Adds (type, key) with its label; a duplicate is dropped. */
int pc_ioc_add(loader *ld, int type, const char *key, size_t keylen, uint8_t flag, const char *display)
{
	pc_ioc *ioc = ld->ioc;
	uint64_t h = hash(type, key, keylen);
	if (pc_ioc_find_h(ioc, type, key, keylen, h))
		return ADD_OK;
	if (ioc->n >= PC_IOC_MAX) {
		char why[64];
		snprintf(why, sizeof why, "more than %d indicators", PC_IOC_MAX);
		return pc_ioc_fatal(ld, why);
	}
	if ((ioc->n + 1) * 2 > ioc->tabcap && tab_grow(ioc) != 0)
		return pc_ioc_fatal(ld, "out of memory");
	if (ioc->n == ioc->cap) {
		size_t cap = ioc->cap ? ioc->cap * 2 : 256;
		ind *nv = realloc(ioc->v, cap * sizeof *nv);
		if (!nv)
			return pc_ioc_fatal(ld, "out of memory");
		ioc->v = nv;
		ioc->cap = cap;
	}
	char *k = pc_arena_alloc(ioc->arena, keylen + 1);
	const char *label = pc_arena_printf(ioc->arena, "%s %s (%s)", pc_ioc_type_names[type], display, ld->origin);
	if (!k || !label)
		return pc_ioc_fatal(ld, "out of memory (indicators too large)");
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	ioc->v[ioc->n] = (ind){k, (uint32_t)keylen, (uint8_t)type, flag, label};
	ioc->n++;
	tab_put(ioc->tab, ioc->tabcap, h, (uint32_t)ioc->n);
	ioc->types |= 1u << type;
	return ADD_OK;
}

/* ---- loading ---- */

static int ipent_cmp(const void *a, const void *b)
{
	return memcmp(((const ipent *)a)->addr, ((const ipent *)b)->addr, 16);
}

/* Sorted address arrays and the subject automaton. */
int pc_ioc_finish(pc_ioc *ioc)
{
	for (int f = 0; f < 2; f++) {
		int type = f ? T_IP6 : T_IP4, bytes = f ? 16 : 4;
		size_t k = 0;
		for (size_t i = 0; i < ioc->n; i++)
			k += ioc->v[i].type == type;
		if (!k)
			continue;
		if (!(ioc->ips[f] = calloc(k, sizeof(ipent))))
			return -1;
		for (size_t i = 0; i < ioc->n; i++)
			if (ioc->v[i].type == type) {
				ipent *e = &ioc->ips[f][ioc->nips[f]++];
				memcpy(e->addr, ioc->v[i].key + 1, (size_t)bytes);
				e->idx = (uint32_t)i;
			}
		qsort(ioc->ips[f], k, sizeof(ipent), ipent_cmp);
	}
	if (ioc->subjects && pc_ac_build(ioc->subjects) != 0)
		return -1;
	return 0;
}

void pc_ioc_free(pc_ioc *ioc)
{
	if (!ioc)
		return;
	free(ioc->v);
	free(ioc->tab);
	free(ioc->ips[0]);
	free(ioc->ips[1]);
	pc_ac_free(ioc->subjects);
	pc_arena_free(ioc->arena);
	free(ioc);
}

size_t pc_ioc_count(const pc_ioc *ioc)
{
	return ioc ? ioc->n : 0;
}

size_t pc_ioc_skipped(const pc_ioc *ioc, const char **first)
{
	if (first)
		*first = ioc ? ioc->first_skip : NULL;
	return ioc ? ioc->skipped : 0;
}
