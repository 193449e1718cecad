/*
 * NAME
 *   ioc_normalise - an indicator value of a known type to its key, and into the index
 * DESCRIPTION
 *   See hunt/ioc.h for the formats and what matches, hunt/ioc_impl.h for
 *   the index.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hunt/ioc_impl.h"
#include "parse/domain.h"
#include "parse/url.h"

const char pc_ioc_public_suffix[] = "a public suffix: it would match every domain under it";

/* ---- normalising values ---- */

static bool has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* "[.]" "(.)" "[:]" "[@]" and a leading hxxp: defanged indicators, as
 * threat reports print them. out has room for n + 1 (never longer). */
size_t pc_ioc_refang(const char *s, size_t n, char *out)
{
	size_t o = 0, i = 0;
	size_t sch = n >= 5 && (s[4] == 's' || s[4] == 'S') ? 5 : 4; /* "hxxp" or "hxxps" */
	if (n > sch && strncasecmp(s, "hxxp", 4) == 0 && (s[sch] == ':' || s[sch] == '[')) {
		memcpy(out, "http", 4);
		o = i = 4;
	}
	while (i < n) {
		if (i + 3 <= n && ((s[i] == '[' && s[i + 2] == ']') || (s[i] == '(' && s[i + 2] == ')')) &&
		    (s[i + 1] == '.' || s[i + 1] == ':' || s[i + 1] == '@')) {
			out[o++] = s[i + 1];
			i += 3;
		} else
			out[o++] = s[i++];
	}
	out[o] = '\0';
	return o;
}

/* A host or domain name to its key: lower-case, IDNA A-label, without a
 * trailing dot (and, when `wild`, a leading "*."); NULL, or the reason it
 * is not one. out: DOMAIN_MAX + 1 bytes. */
const char *pc_ioc_norm_domain(const char *s, size_t n, bool wild, char *out)
{
	if (wild && n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	while (n && s[n - 1] == '.')
		n--;
	if (!n)
		return "empty name";
	if (n > 1024)
		return "name too long";
	bool ascii = true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = false;
	char tmp[1025];
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!ascii) {
		char a[PC_DOMAIN_KEY_CAP];
		int al = pc_idna_ascii(tmp, a, sizeof a);
		if (al < 0)
			return "not a valid international domain name";
		if (al > DOMAIN_MAX)
			return "name longer than 253 characters";
		memcpy(tmp, a, (size_t)al + 1);
		n = (size_t)al;
	}
	if (n > DOMAIN_MAX)
		return "name longer than 253 characters";
	size_t label = 0;
	bool digits_only = true;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)tmp[i]);
		if (c == '.') {
			if (label == 0)
				return "empty label";
			label = 0;
			digits_only = true;
		} else if (isalnum((unsigned char)c) || c == '-' || c == '_') {
			if (++label > 63)
				return "label longer than 63 characters";
			if (!isdigit((unsigned char)c))
				digits_only = false;
		} else
			return "character not allowed in a domain name";
		out[i] = c;
	}
	out[n] = '\0';
	if (label == 0)
		return "empty label";
	if (digits_only)
		return "looks like an IP address, not a domain name";
	return NULL;
}

/* local@domain: local part lower-cased (ASCII), domain as norm_domain.
 * out: PC_IOC_LINE_MAX + 1 bytes. */
const char *pc_ioc_norm_email(const char *s, size_t n, char *out)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 7 && strncasecmp(s, "mailto:", 7) == 0) {
		s += 7;
		n -= 7;
	}
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (!at)
		return "no '@'";
	size_t ll = (size_t)(at - s);
	if (ll == 0)
		return "empty local part";
	if (ll > 256)
		return "local part too long";
	for (size_t i = 0; i < ll; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == '<' || c == '>' || c == 0x7f)
			return "character not allowed in an address";
		out[i] = (char)tolower(c);
	}
	out[ll] = '@';
	const char *why = pc_ioc_norm_domain(at + 1, n - ll - 1, false, out + ll + 1);
	return why;
}

/* A URL prefix key: scheme and authority lower-cased (ASCII), the rest as
 * given. *in_auth set when it ends inside the authority. out: n + 1. */
static const char *norm_url(const char *s, size_t n, char *out, bool *in_auth)
{
	size_t i = 0;
	if (!n || !isalpha((unsigned char)s[0]))
		return "no scheme";
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	if (i + 3 > n || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
		return "not scheme://host...";
	size_t a = i + 3, e = a;
	while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#' && s[e] != '\\')
		e++;
	size_t hs = a; /* host after any userinfo */
	for (size_t k = a; k < e; k++)
		if (s[k] == '@')
			hs = k + 1;
	if (hs == e || s[hs] == ':')
		return "no host";
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c <= ' ' || c == 0x7f)
			return "white space or control character in a URL";
		out[k] = k < e ? (char)tolower(c) : (char)c;
	}
	out[n] = '\0';
	*in_auth = e == n;
	return NULL;
}

/* A URL indicator of a scheme a browser fetches (http, https, ws, wss,
 * ftp) to its key: the canonical form (parse/url.h), the form the
 * message's URLs are matched in, so "HTTPS://E.x:443/a/./b" and
 * "https://e.x/a/b" are one indicator and match the same spellings. One
 * that ends in its authority (in_auth) keeps no final '/': it matches
 * any port and path of the host. Other schemes keep norm_url's key. key
 * holds norm_url's form on entry (length *kl); NULL or the reason. */
static const char *canon_url_key(const char *s, size_t n, bool in_auth, char *key, size_t *kl)
{
	pc_arena *a = pc_arena_new(1u << 20);
	if (!a)
		return "out of memory";
	pc_url *u = pc_url_parse(a, s, n);
	const char *c = u ? pc_url_canonical(a, u) : NULL;
	const char *why = NULL;
	if (c) {
		size_t cl = strlen(c);
		if (in_auth && cl && c[cl - 1] == '/')
			cl--;
		if (cl > PC_IOC_LINE_MAX)
			why = "longer than 4096 bytes once canonical";
		else {
			memcpy(key, c, cl);
			key[cl] = '\0';
			*kl = cl;
		}
	} else if (u && pc_url_is_remote(u))
		why = "no browser would fetch it (host or port invalid)";
	pc_arena_free(a);
	return why;
}

/* "a.b.c.d", "v6", "[v6]", each with an optional "/len". fam 4 or 6,
 * addr masked to *plen. -1 when not one. */
int pc_ioc_parse_ip(const char *s, size_t n, int *fam, unsigned char addr[16], int *plen)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *slash = strchr(tmp, '/');
	long len = -1;
	if (slash) {
		*slash = '\0';
		const char *d = slash + 1;
		if (!*d || strlen(d) > 3)
			return -1;
		len = 0;
		for (; *d; d++) {
			if (!isdigit((unsigned char)*d))
				return -1;
			len = len * 10 + (*d - '0');
		}
	}
	char *a = tmp;
	size_t al = strlen(a);
	if (al >= 2 && a[0] == '[' && a[al - 1] == ']') {
		a[al - 1] = '\0';
		a++;
	}
	if (inet_pton(AF_INET, a, addr) == 1)
		*fam = 4;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		*fam = 6;
	else
		return -1;
	int max = *fam == 4 ? 32 : 128;
	if (len < 0)
		len = max;
	if (len > max)
		return -1;
	*plen = (int)len;
	for (int b = 0; b < max / 8; b++) {
		int keep = (int)len - b * 8;
		if (keep <= 0)
			addr[b] = 0;
		else if (keep < 8)
			addr[b] &= (unsigned char)(0xff00u >> keep);
	}
	return 0;
}

void pc_ioc_mask_to(const unsigned char *a, int bytes, int plen, unsigned char *out)
{
	for (int b = 0; b < bytes; b++) {
		int keep = plen - b * 8;
		out[b] = keep <= 0 ? 0 : keep < 8 ? (unsigned char)(a[b] & (0xff00u >> keep)) : a[b];
	}
}

/* Case-folded, white space runs (and NBSP) as one space, trimmed;
 * g_free it. NULL for invalid UTF-8. */
char *pc_ioc_norm_subject(const char *s, size_t n)
{
	if (!g_utf8_validate(s, (gssize)n, NULL))
		return NULL;
	char *f = g_utf8_casefold(s, (gssize)n);
	if (!f)
		return NULL;
	size_t o = 0;
	bool space = true; /* drops leading white space */
	for (size_t i = 0; f[i];) {
		unsigned char c = (unsigned char)f[i];
		size_t w = 0;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
			w = 1;
		else if (c == 0xc2 && (unsigned char)f[i + 1] == 0xa0)
			w = 2;
		if (w) {
			if (!space)
				f[o++] = ' ';
			space = true;
			i += w;
		} else {
			f[o++] = f[i++];
			space = false;
		}
	}
	if (o && f[o - 1] == ' ')
		o--;
	f[o] = '\0';
	return f;
}

bool pc_ioc_is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

bool pc_ioc_has_at(const char *s, size_t n)
{
	return memchr(s, '@', n) != NULL;
}

bool pc_ioc_starts_url(const char *s, size_t n)
{
	return (n >= 7 && strncasecmp(s, "http://", 7) == 0) || (n >= 8 && strncasecmp(s, "https://", 8) == 0);
}

/* Adds one value of a known type. ADD_OK, ADD_FATAL (err set), or ADD_BAD
 * with *why the reason the value is not of that type. */
int pc_ioc_add_typed(loader *ld, int type, const char *s, size_t n, const char **why)
{
	*why = NULL;
	if (!n)
		return (*why = "empty value"), ADD_BAD;
	if (n > PC_IOC_LINE_MAX)
		return (*why = "value longer than 4096 bytes"), ADD_BAD;
	if (has_ctl(s, n))
		return (*why = "control character in the value"), ADD_BAD;
	if (!g_utf8_validate(s, (gssize)n, NULL))
		return (*why = "not UTF-8"), ADD_BAD;
	char buf[PC_IOC_LINE_MAX + 1];
	char key[PC_IOC_LINE_MAX + 2];
	switch (type) {
	case T_DOMAIN:
	case T_HOST: {
		size_t l = pc_ioc_refang(s, n, buf);
		if ((*why = pc_ioc_norm_domain(buf, l, true, key)))
			return ADD_BAD;
		if (type == T_DOMAIN) {
			if (pc_domain_is_public_suffix(key))
				return (*why = pc_ioc_public_suffix), ADD_BAD;
		}
		return pc_ioc_add(ld, type, key, strlen(key), 0, key);
	}
	case T_EMAIL: {
		size_t l = pc_ioc_refang(s, n, buf);
		if ((*why = pc_ioc_norm_email(buf, l, key)))
			return ADD_BAD;
		return pc_ioc_add(ld, type, key, strlen(key), 0, key);
	}
	case T_URL: {
		size_t l = pc_ioc_refang(s, n, buf);
		bool in_auth = false;
		if ((*why = norm_url(buf, l, key, &in_auth)))
			return ADD_BAD;
		size_t kl = l;
		if ((*why = canon_url_key(buf, l, in_auth, key, &kl)))
			return ADD_BAD;
		int rc = pc_ioc_add(ld, type, key, kl, in_auth, key);
		if (rc == ADD_OK) {
			ld->ioc->urllen[kl / 8] |= (unsigned char)(1u << (kl % 8));
			if (kl > ld->ioc->urlmax)
				ld->ioc->urlmax = kl;
		}
		return rc;
	}
	case T_IP4:
	case T_IP6: {
		size_t l = pc_ioc_refang(s, n, buf);
		int fam, plen;
		unsigned char a[16];
		if (pc_ioc_parse_ip(buf, l, &fam, a, &plen) != 0)
			return (*why = "not an IPv4 or IPv6 address or CIDR block"), ADD_BAD;
		if (plen == 0)
			return (*why = "a /0 block matches every address"), ADD_BAD;
		int bytes = fam == 4 ? 4 : 16;
		key[0] = (char)plen;
		memcpy(key + 1, a, (size_t)bytes);
		char text[INET6_ADDRSTRLEN + 8];
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, text, INET6_ADDRSTRLEN);
		if (plen != bytes * 8)
			snprintf(text + strlen(text), 8, "/%d", plen);
		int rc = pc_ioc_add(ld, fam == 4 ? T_IP4 : T_IP6, key, (size_t)bytes + 1, 0, text);
		if (rc == ADD_OK)
			(fam == 4 ? ld->ioc->v4len : ld->ioc->v6len)[plen] = true;
		return rc;
	}
	case T_SHA: {
		if (!pc_ioc_is_hex64(s, n))
			return (*why = "not 64 hexadecimal digits"), ADD_BAD;
		for (size_t i = 0; i < 32; i++)
			key[i] = (char)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
		for (size_t i = 0; i < 64; i++)
			buf[i] = (char)tolower((unsigned char)s[i]);
		buf[64] = '\0';
		return pc_ioc_add(ld, type, key, 32, 0, buf);
	}
	case T_MSGID: {
		if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
			s++;
			n -= 2;
		}
		if (!n)
			return (*why = "empty Message-ID"), ADD_BAD;
		for (size_t i = 0; i < n; i++)
			if (isspace((unsigned char)s[i]))
				return (*why = "white space in a Message-ID"), ADD_BAD;
		memcpy(buf, s, n);
		buf[n] = '\0';
		return pc_ioc_add(ld, type, buf, n, 0, buf);
	}
	case T_TEMPLATE:
		memcpy(buf, s, n);
		buf[n] = '\0';
		return pc_ioc_add(ld, type, buf, n, 0, buf);
	case T_SUBJECT: {
		char *f = pc_ioc_norm_subject(s, n);
		if (!f)
			return pc_ioc_fatal(ld, "out of memory");
		size_t fl = strlen(f);
		if (!fl) {
			g_free(f);
			return (*why = "empty subject"), ADD_BAD;
		}
		pc_ioc *ioc = ld->ioc;
		size_t before = ioc->n;
		char disp[PC_IOC_LINE_MAX + 3];
		snprintf(disp, sizeof disp, "\"%.*s\"", (int)n, s);
		int rc = pc_ioc_add(ld, type, f, fl, 0, disp);
		if (rc == ADD_OK && ioc->n > before) {
			if (!ioc->subjects && !(ioc->subjects = pc_ac_new()))
				rc = pc_ioc_fatal(ld, "out of memory");
			else if (pc_ac_add(ioc->subjects, f, fl, (unsigned)(ioc->n - 1)) != 0)
				rc = pc_ioc_fatal(ld, "too many subject indicators (matcher full)");
		}
		g_free(f);
		return rc;
	}
	}
	return (*why = "unknown type"), ADD_BAD;
}
