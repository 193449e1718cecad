/*
 * NAME
 *   identity - recipient selection (see identity.h)
 */
#include "extract/identity.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "parse/domain.h"

/* "<a@B.example>" or " a@B.example " → "a@b.example"; NULL if no '@'. */
static const char *clean_addr(pc_arena *a, const char *s)
{
	while (*s && (isspace((unsigned char)*s) || *s == '<'))
		s++;
	size_t n = strlen(s);
	while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '>'))
		n--;
	const char *dom = pc_addr_domain(s); /* only spaces and '>' follow s[n - 1] */
	if (!dom || dom == s + 1 || dom >= s + n)
		return NULL;
	char *d = pc_arena_strndup(a, s, n);
	if (!d)
		return NULL;
	for (char *p = d + (dom - s); *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static const char *header(const pc_msg *m, const char *name)
{
	for (size_t i = 0; i < m->headers.n; i++) {
		const pc_kv *kv = m->headers.v[i];
		if (!strcasecmp(kv->key, name))
			return kv->value;
	}
	return NULL;
}

void pc_identity_recipients(pc_msg *m, const char *const *rcpt, size_t nrcpt)
{
	pc_arena *a = m->arena;
	if (nrcpt) {
		for (size_t i = 0; i < nrcpt; i++) {
			const char *c = clean_addr(a, rcpt[i]);
			pc_vec_push(a, &m->rcpt, (void *)(c ? c : pc_arena_strdup(a, rcpt[i])));
		}
		m->rcpt_source = "envelope";
		return;
	}
	static const char *const hdrs[] = {"X-Original-To", "Delivered-To"};
	for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
		const char *v = header(m, hdrs[i]);
		const char *c = v ? clean_addr(a, v) : NULL;
		if (c) {
			pc_vec_push(a, &m->rcpt, (void *)c);
			m->rcpt_source = hdrs[i];
			return;
		}
	}
	for (size_t i = 0; i < m->to.n; i++) {
		const pc_addr *ad = m->to.v[i];
		const char *c = clean_addr(a, ad->addr);
		if (c)
			pc_vec_push(a, &m->rcpt, (void *)c);
	}
	m->rcpt_source = m->rcpt.n ? "To" : NULL;
}

/* The d= tag of a DKIM-Signature value: tags are "name = value" separated
 * by ';', folding white space anywhere around them (RFC 6376 3.2). */
bool pc_identity_dkim_d(const char *v, const char **out, size_t *outn)
{
	size_t n = strnlen(v, 8192);
	for (size_t i = 0; i < n;) {
		while (i < n && (isspace((unsigned char)v[i]) || v[i] == ';'))
			i++;
		size_t nb = i;
		while (i < n && v[i] != '=' && v[i] != ';')
			i++;
		size_t ne = i;
		while (ne > nb && isspace((unsigned char)v[ne - 1]))
			ne--;
		if (i >= n || v[i] == ';')
			continue;
		i++; /* '=' */
		while (i < n && isspace((unsigned char)v[i]))
			i++;
		size_t vb = i;
		while (i < n && v[i] != ';')
			i++;
		size_t ve = i;
		while (ve > vb && isspace((unsigned char)v[ve - 1]))
			ve--;
		if (ne - nb == 1 && (v[nb] == 'd' || v[nb] == 'D') && ve > vb) {
			*out = v + vb;
			*outn = ve - vb;
			return true;
		}
	}
	return false;
}
