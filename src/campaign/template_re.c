/*
 * NAME
 *   template_re - a tracker URL template as a regular expression (see template_re.h)
 */
#include "campaign/template_re.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* what each placeholder stands for (campaign/fingerprint.c token_class,
 * campaign/copies.c) */
static const struct {
	const char *name, *re;
} ph[] = {
    {"{ADDRHASH}", "(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})"},
    {"{UUID}", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"},
    {"{HEX}", "[0-9a-f]{8,}"},
    {"{INT}", "[0-9]+"},
    {"{B64}", "[a-z0-9+/_%=-]{16,}"},
    {"{TOKEN}", "[a-z0-9._~%+=-]{12,}"},
    {"{ADDR}", "[^/?#&]+"},
    {"{COPY}", "[^/?#&]*"},
};

#define PREFIX "(?i)^https?://"
#define QUERY "(?:\\?[^#]*)?"
#define NOFRAG "(?:#.*)?$"
#define LA_OPEN "(?=[^#]*[?&]"
#define LA_CLOSE_VAL "(?:[&#]|$))"
#define LA_CLOSE_KEY "(?:[=&#]|$))"

typedef struct out {
	char *b;
	size_t len, n;
	bool full;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (o->full || n >= o->len - o->n) {
		o->full = true;
		return;
	}
	memcpy(o->b + o->n, s, n);
	o->n += n;
	o->b[o->n] = '\0';
}

static void puts_(out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Literal text of s[0..n), placeholders as their regex. */
static void text(out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		bool done = false;
		for (size_t k = 0; s[i] == '{' && k < sizeof ph / sizeof ph[0] && !done; k++) {
			size_t l = strlen(ph[k].name);
			if (l <= n - i && !memcmp(s + i, ph[k].name, l)) {
				puts_(o, ph[k].re);
				i += l;
				done = true;
			}
		}
		if (done)
			continue;
		unsigned char c = (unsigned char)s[i++];
		if (c < 0x20 || c == 0x7f) {
			o->full = true; /* a template has none */
			return;
		}
		if (c < 0x80 && !isalnum(c))
			put(o, "\\", 1);
		put(o, (const char *)&c, 1);
	}
}

size_t pc_template_regex(const char *tmpl, char *buf, size_t len)
{
	if (!tmpl || !*tmpl || !len)
		return 0;
	out o = {buf, len, 0, false};
	buf[0] = '\0';
	size_t tl = strlen(tmpl);
	const char *q = memchr(tmpl, '?', tl), *h = memchr(tmpl, '#', tl);
	if (q && h && h < q)
		q = NULL; /* a '?' in the fragment */
	size_t pathend = q ? (size_t)(q - tmpl) : h ? (size_t)(h - tmpl) : tl;
	puts_(&o, PREFIX);
	text(&o, tmpl, pathend);
	if (q) {
		const char *p = q + 1, *end = h && h > q ? h : tmpl + tl;
		while (p < end) {
			const char *amp = memchr(p, '&', (size_t)(end - p));
			const char *e = amp ? amp : end;
			const char *eq = memchr(p, '=', (size_t)(e - p));
			puts_(&o, LA_OPEN);
			text(&o, p, (size_t)((eq ? eq : e) - p));
			if (eq) {
				put(&o, "=", 1);
				text(&o, eq + 1, (size_t)(e - eq - 1));
				puts_(&o, LA_CLOSE_VAL);
			} else
				puts_(&o, LA_CLOSE_KEY);
			p = e + (amp != NULL);
		}
	}
	puts_(&o, QUERY);
	if (h) {
		put(&o, "\\#", 2);
		text(&o, h + 1, tl - (size_t)(h + 1 - tmpl));
		put(&o, "$", 1);
	} else
		puts_(&o, NOFRAG);
	return o.full ? 0 : o.n;
}

/* Reads literal text and placeholders up to (not including) the first
 * unescaped character that is neither; *p advanced. */
static bool untext(const char **p, out *o)
{
	while (**p) {
		bool done = false;
		for (size_t k = 0; k < sizeof ph / sizeof ph[0] && !done; k++) {
			size_t l = strlen(ph[k].re);
			if (!strncmp(*p, ph[k].re, l)) {
				puts_(o, ph[k].name);
				*p += l;
				done = true;
			}
		}
		if (done)
			continue;
		unsigned char c = (unsigned char)**p;
		if (c == '\\') {
			unsigned char e = (unsigned char)(*p)[1];
			if (e <= 0x20 || e >= 0x7f || e == '#' || isalnum(e))
				return true; /* "\#" starts the fragment; \d, escaped controls and bytes are not ours */
			put(o, (const char *)&e, 1);
			*p += 2;
		} else if (c >= 0x80 || isalnum(c)) {
			put(o, (const char *)&c, 1);
			(*p)++;
		} else
			return true;
	}
	return true;
}

static bool eat(const char **p, const char *s)
{
	size_t l = strlen(s);
	if (strncmp(*p, s, l))
		return false;
	*p += l;
	return true;
}

size_t pc_template_from_regex(const char *re, char *buf, size_t len)
{
	if (!re || !len)
		return 0;
	out o = {buf, len, 0, false};
	buf[0] = '\0';
	const char *p = re;
	if (!eat(&p, PREFIX))
		return 0;
	untext(&p, &o);
	if (!o.n)
		return 0;
	bool first = true;
	while (eat(&p, LA_OPEN)) {
		put(&o, first ? "?" : "&", 1);
		first = false;
		size_t before = o.n;
		untext(&p, &o);
		if (o.n == before)
			return 0;
		if (*p == '=') {
			p++;
			put(&o, "=", 1);
			untext(&p, &o);
			if (!eat(&p, LA_CLOSE_VAL))
				return 0;
		} else if (!eat(&p, LA_CLOSE_KEY))
			return 0;
	}
	if (!eat(&p, QUERY))
		return 0;
	if (eat(&p, "\\#")) {
		put(&o, "#", 1);
		p += 0;
		/* the fragment: literal text, then the end; "\#" inside is a '#' */
		for (;;) {
			untext(&p, &o);
			if (p[0] == '\\' && p[1] == '#') {
				put(&o, "#", 1);
				p += 2;
				continue;
			}
			break;
		}
		if (!eat(&p, "$"))
			return 0;
	} else if (!eat(&p, NOFRAG))
		return 0;
	return *p || o.full ? 0 : o.n;
}
