/*
 * NAME
 *   protect - own, protected and people's domains and names (see protect.h)
 * DESCRIPTION
 *   Everything is normalised into an arena of its own at pc_protect_new and
 *   only read afterwards. A domain that cannot be normalised (config
 *   validation lets through what is not IDNA-valid) is left out.
 */
#include "detect/lib/protect.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/lib/trackerlist.h"

#define PROTECT_ARENA (16u << 20)
#define MAX_PROTECTED_DOMAINS 4096

struct pc_protect {
	const pc_config *config;
	pc_names *names;
	const pc_trackerlist *freemail;
	pc_arena *arena;
	pc_protected_domain *domains;
	size_t ndomains, cap;
	pc_protected_person *people;
	size_t npeople;
};

static int add_domain(pc_protect *p, const char *s, pc_protect_kind kind, size_t person, bool from_address)
{
	if (p->ndomains >= MAX_PROTECTED_DOMAINS)
		return 0;
	pc_domain d;
	if (pc_names_domain(p->names, p->arena, s, strlen(s), &d) != 0)
		return 0;
	for (size_t i = 0; i < p->ndomains; i++) /* the first listing wins: own before protected */
		if (!strcmp(p->domains[i].d.ascii, d.ascii))
			return 0;
	if (p->ndomains == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		pc_protected_domain *v = realloc(p->domains, cap * sizeof *v);
		if (!v)
			return -1;
		p->domains = v;
		p->cap = cap;
	}
	p->domains[p->ndomains++] = (pc_protected_domain){d, kind, person, from_address};
	return 0;
}

static int person_domain(pc_protect *p, pc_protected_person *pp, size_t cap, const char *s)
{
	if (pp->ndomains >= cap)
		return 0;
	pc_domain d;
	if (pc_names_domain(p->names, p->arena, s, strlen(s), &d) != 0)
		return 0;
	for (size_t i = 0; i < pp->ndomains; i++)
		if (!strcmp(pp->domains[i].ascii, d.ascii))
			return 0;
	pp->domains[pp->ndomains++] = d;
	return 0;
}

pc_protect *pc_protect_new(const pc_config *c)
{
	pc_protect *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->config = c;
	p->names = pc_names_new();
	p->arena = pc_arena_new(PROTECT_ARENA);
	p->people = c->npeople ? calloc(c->npeople, sizeof *p->people) : NULL;
	if (!p->names || !p->arena || (c->npeople && !p->people)) {
		pc_protect_free(p);
		return NULL;
	}
	int rc = 0;
	for (size_t i = 0; i < c->own_domains.n; i++)
		rc |= add_domain(p, c->own_domains.v[i], PC_PROTECT_OWN, 0, false);
	for (size_t i = 0; i < c->protected_domains.n; i++)
		rc |= add_domain(p, c->protected_domains.v[i], PC_PROTECT_PROTECTED, 0, false);
	for (size_t i = 0; i < c->npeople; i++) {
		const pc_person *cp = &c->people[i];
		pc_protected_person *pp = &p->people[i];
		pp->cfg = cp;
		pp->variants = pc_arena_calloc(p->arena, cp->names.n + 1, sizeof *pp->variants);
		size_t cap = cp->domains.n + cp->addresses.n;
		pp->domains = pc_arena_calloc(p->arena, cap + 1, sizeof *pp->domains);
		if (!pp->variants || !pp->domains) {
			pc_protect_free(p);
			return NULL;
		}
		for (size_t k = 0; k < cp->names.n; k++) {
			const char *v = pc_names_display(p->names, p->arena, cp->names.v[k], strlen(cp->names.v[k]));
			pp->variants[k] = v ? v : "";
		}
		for (size_t k = 0; k < cp->domains.n; k++)
			rc |= person_domain(p, pp, cap, cp->domains.v[k]);
		pp->nexplicit = pp->ndomains;
		for (size_t k = 0; k < cp->addresses.n; k++) {
			const char *d = pc_addr_domain(cp->addresses.v[k]);
			if (d)
				rc |= person_domain(p, pp, cap, d);
		}
		p->npeople++;
		for (size_t k = 0; k < pp->ndomains; k++)
			rc |= add_domain(p, pp->domains[k].ascii, PC_PROTECT_PERSON, i, k >= pp->nexplicit);
	}
	if (rc || pc_arena_full(p->arena)) {
		pc_protect_free(p);
		return NULL;
	}
	return p;
}

void pc_protect_free(pc_protect *p)
{
	if (!p)
		return;
	pc_names_free(p->names);
	pc_arena_free(p->arena);
	free(p->domains);
	free(p->people);
	free(p);
}

pc_names *pc_protect_names(pc_protect *p)
{
	return p->names;
}

void pc_protect_set_freemail(pc_protect *p, const pc_trackerlist *freemail)
{
	p->freemail = freemail;
}

/* A person's freemail provider is not theirs to protect. */
static bool ignored(const pc_protect *p, const pc_protected_domain *pd)
{
	return pd->from_address && p->freemail && pc_trackerlist_match(p->freemail, pd->d.ascii);
}

size_t pc_protect_npeople(const pc_protect *p)
{
	return p->npeople;
}

const pc_protected_person *pc_protect_person(const pc_protect *p, size_t i)
{
	return i < p->npeople ? &p->people[i] : NULL;
}

size_t pc_protect_ndomains(const pc_protect *p)
{
	return p->ndomains;
}

const pc_protected_domain *pc_protect_domain_of(const pc_protect *p, const pc_domain *d)
{
	for (size_t i = 0; i < p->ndomains; i++)
		if (!ignored(p, &p->domains[i]) && pc_domain_same_site(d, &p->domains[i].d))
			return &p->domains[i];
	return NULL;
}

const char *pc_protect_lookalike(const pc_protect *p, const pc_domain *d, const pc_protected_domain **imitated)
{
	*imitated = NULL;
	if (!d->ascii || pc_protect_domain_of(p, d))
		return NULL;
	for (size_t i = 0; i < p->ndomains; i++) {
		if (ignored(p, &p->domains[i]))
			continue;
		const char *t = pc_names_lookalike(d, &p->domains[i].d, p->config->lookalike_distance);
		if (t) {
			*imitated = &p->domains[i];
			return t;
		}
	}
	return d->scripts ? "mixed-script" : NULL;
}

bool pc_protect_person_owns(const pc_protect *p, size_t person, const char *addr, const pc_domain *d)
{
	const pc_protected_person *pp = pc_protect_person(p, person);
	if (!pp)
		return false;
	for (size_t i = 0; addr && i < pp->cfg->addresses.n; i++)
		if (!strcasecmp(addr, pp->cfg->addresses.v[i]))
			return true;
	for (size_t i = 0; d && i < pp->ndomains; i++) {
		if (i >= pp->nexplicit && p->freemail && pc_trackerlist_match(p->freemail, pp->domains[i].ascii))
			continue;
		if (pc_domain_same_site(d, &pp->domains[i]))
			return true;
	}
	return false;
}

int pc_protect_addr_domain(pc_protect *p, pc_arena *a, const char *addr, pc_domain *out)
{
	memset(out, 0, sizeof *out);
	if (!addr)
		return -1;
	const char *dom = pc_addr_domain(addr);
	if (!dom)
		dom = addr;
	size_t n = strlen(dom);
	while (n && (dom[n - 1] == '>' || dom[n - 1] == ' '))
		n--;
	if (!n || !memchr(dom, '.', n))
		return -1;
	return pc_names_domain(p->names, a, dom, n, out);
}

const char *pc_protect_display(pc_protect *p, pc_arena *a, const char *name)
{
	return name ? pc_names_display(p->names, a, name, strlen(name)) : NULL;
}
