/*
 * NAME
 *   authres - upstream Authentication-Results (see authres.h)
 * DESCRIPTION
 *   RFC 8601 section 2.2: authserv-id [version] ( "none" / *( ";" method
 *   ["/" version] "=" result [reason=value] *( ptype.property=value ) ) ),
 *   with CFWS anywhere between tokens. Values are tokens or quoted strings.
 *   A header that breaks the grammar keeps the results read before the
 *   break.
 */
#include "extract/authres.h"

#include <string.h>
#include <strings.h>

#include "parse/domain.h"

typedef struct lexer {
	const char *p, *end;
} lexer;

/* Skips white space and (nested, bounded) comments. */
static void skip_cfws(lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->p++;
			continue;
		}
		if (c != '(')
			return;
		int depth = 0;
		while (lx->p < lx->end) {
			c = *lx->p++;
			if (c == '\\' && lx->p < lx->end)
				lx->p++;
			else if (c == '(') {
				if (++depth > 16) { /* absurd nesting: treat the rest as a comment */
					lx->p = lx->end;
					return;
				}
			} else if (c == ')' && --depth == 0)
				break;
		}
	}
}

static bool special(char c)
{
	return c == ';' || c == '=' || c == '(' || c == ')' || c == '"' || c == ' ' || c == '\t' || c == '\r' ||
	       c == '\n' || c == ',' || (unsigned char)c < 32;
}

/* A token (stopping also at '/' and '.' when asked) or a quoted string,
 * copied into out (cut at outlen - 1). false when there is none. */
static bool word(lexer *lx, char *out, size_t outlen, const char *stops)
{
	skip_cfws(lx);
	size_t k = 0;
	if (lx->p < lx->end && *lx->p == '"') {
		lx->p++;
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			if (k + 1 < outlen)
				out[k++] = *lx->p;
			lx->p++;
		}
		if (lx->p < lx->end)
			lx->p++;
		out[k] = '\0';
		return true;
	}
	const char *b = lx->p;
	while (lx->p < lx->end && !special(*lx->p) && !strchr(stops, *lx->p)) {
		if (k + 1 < outlen)
			out[k++] = *lx->p;
		lx->p++;
	}
	out[k] = '\0';
	return lx->p > b;
}

static bool peek(lexer *lx, char c)
{
	skip_cfws(lx);
	if (lx->p < lx->end && *lx->p == c) {
		lx->p++;
		return true;
	}
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static const char *const result_names[] = {"none",    "pass",   "fail",      "softfail",
                                           "neutral", "policy", "temperror", "permerror"};

const char *pc_auth_result_name(pc_auth_result r)
{
	return (size_t)r < sizeof result_names / sizeof result_names[0] ? result_names[r] : "none";
}

int pc_auth_result_parse(const char *s)
{
	for (size_t i = 0; i < sizeof result_names / sizeof result_names[0]; i++)
		if (!strcasecmp(s, result_names[i]))
			return (int)i;
	if (!strcasecmp(s, "hardfail"))
		return PC_AUTH_FAIL;
	return -1;
}

static const char *domain_of(pc_msg *m, const char *v)
{
	const char *d = pc_addr_domain(v);
	return pc_arena_strdup(m->arena, d ? d : v);
}

/* One property of a result: keeps the ones pc_auth has room for. */
static void property(pc_msg *m, pc_auth *a, const char *prop, const char *v)
{
	const char *val = pc_arena_utf8(m->arena, v, strlen(v));
	if (!val)
		return;
	if (!strcmp(a->method, "spf") && (!strcmp(prop, "smtp.mailfrom") || !strcmp(prop, "smtp.helo"))) {
		if (a->property && !strcmp(a->property, "smtp.mailfrom"))
			return; /* mailfrom wins over helo */
		a->property = pc_arena_strdup(m->arena, prop);
		a->identity = val;
		a->domain = domain_of(m, val);
	} else if (!strcmp(a->method, "dkim") && !strcmp(prop, "header.d")) {
		a->domain = val;
		a->property = "header.d";
	} else if (!strcmp(a->method, "dkim") && !strcmp(prop, "header.s"))
		a->selector = val;
	else if (!strcmp(a->method, "dkim") && !strcmp(prop, "header.i")) {
		a->identity = val;
		if (!a->domain)
			a->domain = domain_of(m, val);
	} else if (!strcmp(a->method, "dmarc") && !strcmp(prop, "header.from")) {
		a->domain = val;
		a->property = "header.from";
	} else if (!strcmp(a->method, "dmarc") && !strcmp(prop, "policy.dmarc"))
		a->policy = val;
	else if (!a->property) {
		a->property = pc_arena_strdup(m->arena, prop);
		a->identity = val;
	}
}

const char *pc_authres_parse(pc_msg *m, const char *value, bool add)
{
	if (!value)
		return NULL;
	lexer lx = {value, value + strlen(value)};
	char id[256], w[PC_AUTHRES_VALUE], v[PC_AUTHRES_VALUE];
	if (!word(&lx, id, sizeof id, ""))
		return NULL;
	lower(id);
	const char *rid = pc_arena_utf8(m->arena, id, strlen(id));
	if (!rid || !add)
		return rid;
	size_t results = 0;
	while (results < PC_AUTHRES_RESULTS) {
		/* to the next ';' (skips a version and whatever we cannot read) */
		while (!peek(&lx, ';')) {
			if (lx.p >= lx.end)
				return rid;
			if (!word(&lx, w, sizeof w, "") && lx.p < lx.end)
				lx.p++;
		}
		if (!word(&lx, w, sizeof w, "/"))
			continue;
		lower(w);
		if (peek(&lx, '/'))
			word(&lx, v, sizeof v, ""); /* method version */
		if (!peek(&lx, '='))
			continue;
		if (!word(&lx, v, sizeof v, ""))
			continue;
		int r = pc_auth_result_parse(v);
		pc_auth *a = NULL;
		if (r >= 0 && (a = pc_arena_calloc(m->arena, 1, sizeof *a)) != NULL) {
			a->method = pc_arena_utf8(m->arena, w, strlen(w));
			a->result = (pc_auth_result)r;
			a->source = rid;
		}
		if (a && !a->method)
			a = NULL;
		/* reason and properties, up to the next ';' */
		for (;;) {
			skip_cfws(&lx);
			if (lx.p >= lx.end || *lx.p == ';')
				break;
			if (!word(&lx, w, sizeof w, "")) {
				lx.p++;
				continue;
			}
			if (!peek(&lx, '=')) /* e.g. "none" or junk */
				continue;
			word(&lx, v, sizeof v, "");
			if (!a)
				continue;
			lower(w);
			if (!strcmp(w, "reason"))
				a->reason = pc_arena_utf8(m->arena, v, strlen(v));
			else if (strchr(w, '.'))
				property(m, a, w, v);
		}
		if (a && pc_vec_push(m->arena, &m->auth, a) == 0)
			results++;
	}
	return rid;
}

static bool trusted(const pc_config *c, const char *id)
{
	for (size_t i = 0; i < c->trusted_authserv_ids.n; i++)
		if (!strcasecmp(c->trusted_authserv_ids.v[i], id))
			return true;
	return false;
}

void pc_authres_extract(pc_msg *m)
{
	if (!m->config || !m->config->trusted_authserv_ids.n)
		return;
	/* Only the topmost header of each trusted authserv-id: that host adds
	 * its own above everything the message arrived with, so a lower one
	 * with the same id came from the sender (RFC 8601 5 asks the border
	 * to remove those; not every MTA does). */
	const char *used[PC_AUTHRES_HEADERS];
	size_t nused = 0, seen = 0;
	for (size_t i = 0; i < m->headers.n && seen < PC_AUTHRES_HEADERS; i++) {
		const pc_kv *h = m->headers.v[i];
		if (!h->key || strcasecmp(h->key, "Authentication-Results"))
			continue;
		seen++;
		const char *id = pc_authres_parse(m, h->value, false);
		if (!id || !trusted(m->config, id))
			continue;
		bool again = false;
		for (size_t k = 0; k < nused && !again; k++)
			again = !strcasecmp(used[k], id);
		if (again)
			continue;
		used[nused++] = id;
		pc_authres_parse(m, h->value, true);
	}
}
