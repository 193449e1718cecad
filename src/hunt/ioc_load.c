/*
 * NAME
 *   ioc_load - indicator files: the text format and STIX 2.1 bundles
 * DESCRIPTION
 *   See hunt/ioc.h for the formats and what matches, hunt/ioc_impl.h for
 *   the index.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign/template_re.h"
#include "hunt/ioc_impl.h"

/* ---- the text format ---- */

static const struct {
	const char *name;
	int type;
} prefixes[] = {
    {"domain", T_DOMAIN},     {"host", T_HOST},       {"email", T_EMAIL},      {"url", T_URL},    {"ip", T_IP4},
    {"template", T_TEMPLATE}, {"subject", T_SUBJECT}, {"message-id", T_MSGID}, {"sha256", T_SHA},
};

static int infer(const char *s, size_t n)
{
	char buf[PC_IOC_LINE_MAX + 1];
	size_t l = pc_ioc_refang(s, n, buf);
	if (pc_ioc_starts_url(buf, l))
		return T_URL;
	if (pc_ioc_has_at(buf, l))
		return T_EMAIL;
	int fam, plen;
	unsigned char a[16];
	if (pc_ioc_parse_ip(buf, l, &fam, a, &plen) == 0)
		return T_IP4;
	if (pc_ioc_is_hex64(s, n))
		return T_SHA;
	return T_DOMAIN;
}

static int text_line(loader *ld, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n || s[0] == '#')
		return ADD_OK;
	int type = 0;
	bool inferred = false;
	const char *colon = memchr(s, ':', n < 16 ? n : 16);
	if (colon) {
		size_t kl = (size_t)(colon - s);
		for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
			if (strlen(prefixes[i].name) == kl && strncasecmp(s, prefixes[i].name, kl) == 0)
				type = prefixes[i].type;
		if (type) {
			s = colon + 1;
			n -= kl + 1;
			while (n && isspace((unsigned char)*s)) {
				s++;
				n--;
			}
		}
	}
	if (!type) {
		type = infer(s, n);
		inferred = true;
	}
	const char *why;
	int rc = pc_ioc_add_typed(ld, type, s, n, &why);
	if (rc == ADD_BAD) {
		char msg[256];
		if (inferred && type == T_DOMAIN && why != pc_ioc_public_suffix)
			snprintf(msg, sizeof msg,
			         "not a domain name, e-mail address, URL, IP address or SHA-256 (%s); prefix subject:, "
			         "template: or message-id: for those",
			         why);
		else
			snprintf(msg, sizeof msg, "not a valid %s: %s", pc_ioc_type_names[type], why);
		return pc_ioc_fatal(ld, msg);
	}
	return rc;
}

static int load_text(loader *ld, const char *buf, size_t n)
{
	for (size_t i = 0, line = 1; i < n; line++) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - buf) : n;
		size_t len = end - i;
		ld->line = line;
		if (len && buf[i + len - 1] == '\r')
			len--;
		if (len > PC_IOC_LINE_MAX) {
			char why[64];
			snprintf(why, sizeof why, "line longer than %d bytes", PC_IOC_LINE_MAX);
			return pc_ioc_fatal(ld, why);
		}
		if (memchr(buf + i, '\0', len))
			return pc_ioc_fatal(ld, "NUL byte in the line");
		if (!g_utf8_validate(buf + i, (gssize)len, NULL))
			return pc_ioc_fatal(ld, "not UTF-8");
		snprintf(ld->originbuf, sizeof ld->originbuf, "%s:%zu", ld->name, line);
		ld->origin = ld->originbuf;
		if (text_line(ld, buf + i, len) == ADD_FATAL)
			return ADD_FATAL;
		i = end + 1;
	}
	return ADD_OK;
}

/* ---- STIX 2.1 ---- */

typedef struct stix_cmp {
	char path[128]; /* lower case, quotes removed */
	bool matches;   /* MATCHES (a regex), else '=' */
	char *value;    /* malloc'd, unescaped */
	size_t vlen;
} stix_cmp;

static void skip_ws(const char **p)
{
	while (**p && isspace((unsigned char)**p))
		(*p)++;
}

/* The keyword kw (case-insensitive) followed by a non-word character. */
static bool keyword(const char **p, const char *kw)
{
	size_t l = strlen(kw);
	if (strncasecmp(*p, kw, l) != 0 || isalnum((unsigned char)(*p)[l]) || (*p)[l] == '_')
		return false;
	*p += l;
	return true;
}

/* Parses a pattern of '=' comparisons joined by OR; NULL, or why it is
 * not supported. cmp[0..*n) filled (values malloc'd, even on failure). */
static const char *stix_parse(const char *p, stix_cmp *cmp, size_t max, size_t *n)
{
	*n = 0;
	skip_ws(&p);
	for (;;) { /* observation expressions */
		if (*p == '(')
			return "parenthesised expression";
		if (*p != '[')
			return "pattern does not start with '['";
		p++;
		for (;;) { /* comparisons */
			skip_ws(&p);
			if (*n == max)
				return "too many comparisons";
			stix_cmp *c = &cmp[*n];
			size_t pl = 0;
			while (*p && !isspace((unsigned char)*p) && !strchr("=!<>]", *p)) {
				if (*p != '\'' && *p != '"') {
					if (pl + 1 >= sizeof c->path)
						return "object path too long";
					c->path[pl++] = (char)tolower((unsigned char)*p);
				}
				p++;
			}
			c->path[pl] = '\0';
			if (!pl || !strchr(c->path, ':'))
				return "no object path";
			skip_ws(&p);
			c->matches = keyword(&p, "MATCHES");
			if (!c->matches) {
				if (p[0] != '=' || p[1] == '=')
					return "operator other than '=' or MATCHES";
				p++;
			}
			skip_ws(&p);
			if (*p != '\'')
				return "value is not a string";
			p++;
			char v[PC_IOC_LINE_MAX + 1];
			size_t vl = 0;
			for (;;) {
				if (!*p)
					return "unterminated string";
				if (*p == '\'')
					break;
				if (*p == '\\') {
					if (p[1] != '\'' && p[1] != '\\')
						return "bad escape in string";
					p++;
				}
				if (vl == PC_IOC_LINE_MAX)
					return "value longer than 4096 bytes";
				v[vl++] = *p++;
			}
			p++;
			if (!(c->value = malloc(vl + 1)))
				return "out of memory";
			memcpy(c->value, v, vl);
			c->value[vl] = '\0';
			c->vlen = vl;
			(*n)++;
			skip_ws(&p);
			if (*p == ']') {
				p++;
				break;
			}
			if (keyword(&p, "OR"))
				continue;
			if (keyword(&p, "AND"))
				return "AND of comparisons";
			return "malformed comparison expression";
		}
		skip_ws(&p);
		if (!*p)
			return NULL;
		if (keyword(&p, "OR")) {
			skip_ws(&p);
			continue;
		}
		if (keyword(&p, "AND"))
			return "AND of observations";
		if (keyword(&p, "FOLLOWEDBY"))
			return "FOLLOWEDBY";
		return "qualifier (WITHIN, REPEATS, START/STOP)";
	}
}

static int stix_type(const char *path)
{
	static const struct {
		const char *path;
		int type;
	} map[] = {
	    {"domain-name:value", T_DOMAIN},
	    {"url:value", T_URL},
	    {"email-addr:value", T_EMAIL},
	    {"email-message:from_ref.value", T_EMAIL},
	    {"email-message:sender_ref.value", T_EMAIL},
	    {"ipv4-addr:value", T_IP4},
	    {"ipv6-addr:value", T_IP6},
	    {"email-message:subject", T_SUBJECT},
	    {"file:hashes.sha-256", T_SHA},
	    {"file:hashes.sha256", T_SHA},
	    {"artifact:hashes.sha-256", T_SHA},
	    {"artifact:hashes.sha256", T_SHA},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(path, map[i].path))
			return map[i].type;
	return 0;
}

static void skip(loader *ld, const char *why)
{
	pc_ioc *ioc = ld->ioc;
	if (!ioc->first_skip)
		ioc->first_skip = pc_arena_printf(ioc->arena, "%s: %s", ld->origin, why);
	ioc->skipped++;
}

static int stix_indicator(loader *ld, json_t *o)
{
	json_t *rev = json_object_get(o, "revoked");
	if (json_is_true(rev)) {
		skip(ld, "revoked");
		return ADD_OK;
	}
	json_t *pt = json_object_get(o, "pattern_type");
	if (pt && (!json_is_string(pt) || strcmp(json_string_value(pt), "stix") != 0)) {
		skip(ld, "pattern_type is not stix");
		return ADD_OK;
	}
	json_t *pat = json_object_get(o, "pattern");
	if (!json_is_string(pat)) {
		skip(ld, "no pattern");
		return ADD_OK;
	}
	const char *ps = json_string_value(pat);
	if (json_string_length(pat) != strlen(ps)) {
		skip(ld, "NUL in pattern");
		return ADD_OK;
	}
	const char *tmpl = json_string_value(json_object_get(o, "x_portcullis_template"));
	if (tmpl) { /* the same template the pattern carries as a regex */
		const char *bad;
		if (pc_ioc_add_typed(ld, T_TEMPLATE, tmpl, strlen(tmpl), &bad) == ADD_FATAL)
			return ADD_FATAL;
	}
	stix_cmp cmp[STIX_MAX_CMP];
	size_t n = 0;
	const char *why = stix_parse(ps, cmp, STIX_MAX_CMP, &n);
	int rc = ADD_OK;
	if (why) {
		char msg[128];
		snprintf(msg, sizeof msg, "pattern: %s", why);
		skip(ld, msg);
	} else {
		for (size_t i = 0; i < n && rc != ADD_FATAL; i++) {
			int type = stix_type(cmp[i].path);
			if (cmp[i].matches) { /* only a URL template's regex (campaign/template_re.h) */
				char t[PC_IOC_LINE_MAX + 1];
				if (type != T_URL || !pc_template_from_regex(cmp[i].value, t, sizeof t)) {
					skip(ld, "pattern: MATCHES other than a Portcullis URL template on url:value");
					continue;
				}
				const char *bad;
				rc = pc_ioc_add_typed(ld, T_TEMPLATE, t, strlen(t), &bad);
				if (rc == ADD_BAD) {
					skip(ld, "pattern: template not valid");
					rc = ADD_OK;
				}
				continue;
			}
			if (!type) {
				char msg[200];
				snprintf(msg, sizeof msg, "pattern: object path %.100s not supported", cmp[i].path);
				skip(ld, msg);
				continue;
			}
			const char *bad;
			rc = pc_ioc_add_typed(ld, type, cmp[i].value, cmp[i].vlen, &bad);
			if (rc == ADD_BAD) {
				char msg[256];
				snprintf(msg, sizeof msg, "%.100s: not a valid %s: %.100s", cmp[i].path,
				         pc_ioc_type_names[type], bad);
				skip(ld, msg);
				rc = ADD_OK;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(cmp[i].value);
	return rc;
}

/* The object's id for messages, if it is a short printable string. */
static void stix_origin(loader *ld, json_t *o, size_t index)
{
	char *buf = ld->originbuf;
	size_t len = sizeof ld->originbuf;
	const char *id = json_string_value(json_object_get(o, "id"));
	bool ok = id && strlen(id) <= 100;
	for (const char *p = id; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
	if (ok)
		snprintf(buf, len, "%s: %s", ld->name, id);
	else
		snprintf(buf, len, "%s: objects[%zu]", ld->name, index);
	ld->origin = buf;
}

static int load_stix(loader *ld, const char *buf, size_t n)
{
	json_error_t je;
	json_t *root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		ld->line = je.line > 0 ? (size_t)je.line : 0;
		return pc_ioc_fatal(ld, je.text);
	}
	int rc = ADD_OK;
	const char *type = json_string_value(json_object_get(root, "type"));
	if (!type && pc_ioc_is_misp(root)) {
		rc = pc_ioc_load_misp(ld, root);
	} else if (type && !strcmp(type, "indicator")) {
		stix_origin(ld, root, 0);
		rc = stix_indicator(ld, root);
	} else if (type && !strcmp(type, "bundle")) {
		json_t *objs = json_object_get(root, "objects");
		if (!json_is_array(objs))
			rc = pc_ioc_fatal(ld, "STIX bundle without an \"objects\" array");
		for (size_t i = 0; rc != ADD_FATAL && i < json_array_size(objs); i++) {
			json_t *o = json_array_get(objs, i);
			const char *ot = json_string_value(json_object_get(o, "type"));
			if (!ot || strcmp(ot, "indicator") != 0)
				continue; /* identities, relationships, malware, ... */
			stix_origin(ld, o, i);
			rc = stix_indicator(ld, o);
		}
	} else
		rc = pc_ioc_fatal(ld, "JSON but not a STIX 2.1 bundle or indicator, nor a MISP event");
	json_decref(root);
	return rc;
}

pc_ioc *pc_ioc_load_mem(const char *buf, size_t n, const char *name, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (!name)
		name = "-";
	if (!buf && n) {
		snprintf(err, errlen, "%s: invalid arguments", name);
		return NULL;
	}
	if (n > FILE_MAX) {
		snprintf(err, errlen, "%s: larger than 256 MB", name);
		return NULL;
	}
	pc_ioc *ioc = calloc(1, sizeof *ioc);
	if (!ioc || !(ioc->arena = pc_arena_new(ARENA_MAX))) {
		free(ioc);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	loader ld = {ioc, name, 0, name, err, errlen, {0}};
	size_t i = 0;
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* byte order mark */
	size_t j = i;
	while (j < n && isspace((unsigned char)buf[j]))
		j++;
	bool json = j < n && (buf[j] == '{' || (buf[j] == '[' && j + 1 < n && strchr("{[ \t\r\n]", buf[j + 1])));
	int rc = json ? load_stix(&ld, buf + i, n - i) : load_text(&ld, buf + i, n - i);
	if (rc == ADD_OK && ioc->n == 0) {
		ld.line = 0;
		if (ioc->skipped)
			snprintf(err, errlen, "%s: no supported indicators (%zu skipped; first: %s)", name,
			         ioc->skipped, ioc->first_skip ? ioc->first_skip : "?");
		else
			snprintf(err, errlen, "%s: no indicators", name);
		rc = ADD_FATAL;
	}
	if (rc == ADD_OK && pc_ioc_finish(ioc) != 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		rc = ADD_FATAL;
	}
	if (rc != ADD_OK) {
		pc_ioc_free(ioc);
		return NULL;
	}
	return ioc;
}

pc_ioc *pc_ioc_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			snprintf(err, errlen, "%s: out of memory", path);
			fclose(f);
			return NULL;
		}
		if (n == cap) {
			if (cap > FILE_MAX) {
				snprintf(err, errlen, "%s: larger than 256 MB", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
			continue;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	bool ioerr = ferror(f);
	int e = errno;
	fclose(f);
	if (ioerr) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		free(buf);
		return NULL;
	}
	pc_ioc *ioc = pc_ioc_load_mem(buf, n, path, err, errlen);
	free(buf);
	return ioc;
}
