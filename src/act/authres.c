/*
 * NAME
 *   authres - the Authentication-Results header we add (see authres.h)
 */
#include "act/authres.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "extract/authres.h"

typedef struct out {
	char *buf;
	size_t cap, len;
	bool over;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (o->over || n >= o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(out *o, const char *s)
{
	put(o, s, strlen(s));
}

static bool token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-/^_`{|}~.@", c);
}

/* A value as an RFC 2045 token when it is one, else a quoted string. */
static void value(out *o, const char *v)
{
	if (!v)
		v = "";
	size_t n = strnlen(v, PC_AUTHRES_HEADER_VALUE);
	bool tok = n > 0;
	for (size_t i = 0; i < n && tok; i++)
		tok = token_char((unsigned char)v[i]);
	if (tok) {
		put(o, v, n);
		return;
	}
	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c == '\\')
			put(o, "\\", 1);
		char ch = (c < 32 || c >= 127) ? '?' : (char)c;
		put(o, &ch, 1);
	}
	put(o, "\"", 1);
}

size_t pc_authres_header(const pc_msg *m, const char *eol, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return 0;
	out o = {buf, cap, 0, false};
	buf[0] = '\0';
	puts_(&o, "Authentication-Results: ");
	value(&o, m->config && m->config->authserv_id[0] ? m->config->authserv_id : "portcullis");
	size_t shown = 0;
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *a = m->auth.v[i];
		if (a->source || !a->method)
			continue; /* upstream results are in the message already */
		puts_(&o, ";");
		puts_(&o, eol);
		puts_(&o, "\t");
		value(&o, a->method);
		puts_(&o, "=");
		puts_(&o, pc_auth_result_name(a->result));
		if (a->reason) {
			puts_(&o, " reason=");
			value(&o, a->reason);
		}
		if (!strcmp(a->method, "spf") && a->identity) {
			puts_(&o, " ");
			puts_(&o, a->property && !strcmp(a->property, "smtp.helo") ? "smtp.helo" : "smtp.mailfrom");
			puts_(&o, "=");
			value(&o, a->identity);
		} else if (!strcmp(a->method, "dkim") && a->domain) {
			puts_(&o, " header.d=");
			value(&o, a->domain);
			if (a->selector) {
				puts_(&o, " header.s=");
				value(&o, a->selector);
			}
		} else if (!strcmp(a->method, "dmarc") && a->domain) {
			puts_(&o, " header.from=");
			value(&o, a->domain);
		}
		shown++;
	}
	if (!shown)
		puts_(&o, "; none");
	puts_(&o, eol);
	return o.over ? 0 : o.len;
}
