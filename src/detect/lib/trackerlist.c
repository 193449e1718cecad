/*
 * NAME
 *   trackerlist - tracker host lists (see trackerlist.h)
 */
#include "detect/lib/trackerlist.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

#define MAX_LINE 4096

/* Listed hosts are hashed from their last byte to their first, so a
 * look-up of every suffix of a host, longest last, extends one hash by a
 * byte at a time: linear in the host (issue 13: g_str_hash of each
 * suffix made "a.a.a....example" quadratic). */
typedef struct hkey {
	guint hash;
	size_t n;
	const char *s; /* the host; for stored keys, the bytes after the struct */
} hkey;

#define HASH_SEED 2166136261u /* FNV-1a, run backwards */

static guint hash_step(guint h, char c)
{
	return (h ^ (unsigned char)c) * 16777619u;
}

static guint hkey_hash(gconstpointer k)
{
	return ((const hkey *)k)->hash;
}

static gboolean hkey_equal(gconstpointer a, gconstpointer b)
{
	const hkey *x = a, *y = b;
	return x->n == y->n && !memcmp(x->s, y->s, x->n);
}

struct pc_trackerlist {
	GHashTable *hosts; /* hkey -> list name (interned in names) */
	GPtrArray *names;
};

pc_trackerlist *pc_trackerlist_new(void)
{
	pc_trackerlist *tl = calloc(1, sizeof *tl);
	if (!tl)
		return NULL;
	tl->hosts = g_hash_table_new_full(hkey_hash, hkey_equal, g_free, NULL);
	tl->names = g_ptr_array_new_with_free_func(g_free);
	return tl;
}

void pc_trackerlist_free(pc_trackerlist *tl)
{
	if (!tl)
		return;
	g_hash_table_destroy(tl->hosts);
	g_ptr_array_free(tl->names, TRUE);
	free(tl);
}

size_t pc_trackerlist_size(const pc_trackerlist *tl)
{
	return g_hash_table_size(tl->hosts);
}

static bool host_name(const char *h, size_t n)
{
	if (n == 0 || n > 253 || h[0] == '.' || h[n - 1] == '.' || !memchr(h, '.', n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return false;
	}
	return true;
}

static const char *intern(pc_trackerlist *tl, const char *list)
{
	for (guint i = 0; i < tl->names->len; i++)
		if (!strcmp(g_ptr_array_index(tl->names, i), list))
			return g_ptr_array_index(tl->names, i);
	char *d = g_strdup(list);
	g_ptr_array_add(tl->names, d);
	return d;
}

static int add_n(pc_trackerlist *tl, const char *h, size_t n, const char *name)
{
	if (!host_name(h, n))
		return -1;
	hkey *k = g_malloc(sizeof *k + n + 1);
	char *d = (char *)(k + 1);
	guint hash = HASH_SEED;
	for (size_t i = n; i-- > 0;) {
		d[i] = g_ascii_tolower(h[i]);
		hash = hash_step(hash, d[i]);
	}
	d[n] = '\0';
	*k = (hkey){hash, n, d};
	g_hash_table_replace(tl->hosts, k, (gpointer)name);
	return 0;
}

int pc_trackerlist_add(pc_trackerlist *tl, const char *host, const char *list)
{
	return add_n(tl, host, strlen(host), intern(tl, list ? list : "-"));
}

/* One line: 1 added, 0 comment/blank, -1 not a host rule. */
static int parse_line(pc_trackerlist *tl, char *s, const char *name)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	if (!n || s[0] == '#' || s[0] == '!' || s[0] == '[')
		return 0;
	if (s[0] == '@' || strstr(s, "##") || strstr(s, "#@#") || strstr(s, "#?#"))
		return -1;
	if (s[0] == '|' && s[1] == '|') { /* ||host^ or ||host^$options */
		char *h = s + 2, *e = h;
		while (*e && *e != '^' && *e != '$' && *e != '/' && *e != '*' && *e != '|')
			e++;
		if (*e == '/' || *e == '*')
			return -1; /* a path or wildcard rule */
		if (*e == '^' && e[1] && e[1] != '$' && e[1] != '|')
			return -1; /* something after the separator */
		return add_n(tl, h, (size_t)(e - h), name) == 0 ? 1 : -1;
	}
	/* hosts file: address then one or more names; or a bare host */
	char *tok = s;
	char *sp = tok;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	if (*sp) { /* two or more fields */
		size_t first = (size_t)(sp - tok);
		bool addr = (first == 7 && !strncmp(tok, "0.0.0.0", 7)) ||
		            (first == 9 && !strncmp(tok, "127.0.0.1", 9)) || (first == 3 && !strncmp(tok, "::1", 3)) ||
		            (first == 2 && !strncmp(tok, "::", 2));
		if (!addr)
			return -1;
		int added = 0;
		for (char *p = sp; *p;) {
			while (isspace((unsigned char)*p))
				p++;
			if (*p == '#' || !*p)
				break;
			char *e = p;
			while (*e && !isspace((unsigned char)*e))
				e++;
			if ((size_t)(e - p) == 9 && !strncmp(p, "localhost", 9)) {
				p = e;
				continue;
			}
			if (add_n(tl, p, (size_t)(e - p), name) == 0)
				added++;
			p = e;
		}
		return added ? 1 : -1;
	}
	return add_n(tl, s, n, name) == 0 ? 1 : -1;
}

long pc_trackerlist_parse(pc_trackerlist *tl, const char *buf, size_t n, const char *name, size_t *skipped)
{
	const char *nm = intern(tl, name ? name : "-");
	char line[MAX_LINE];
	long added = 0;
	size_t bad = 0;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - buf) : n;
		size_t len = end - i;
		if (len >= sizeof line) {
			bad++; /* an overlong line is no host rule */
		} else {
			memcpy(line, buf + i, len);
			line[len] = '\0'; /* a NUL inside ends the line early */
			int r = parse_line(tl, line, nm);
			if (r > 0)
				added++;
			else if (r < 0)
				bad++;
		}
		i = end + 1;
	}
	if (skipped)
		*skipped = bad;
	return added;
}

long pc_trackerlist_load(pc_trackerlist *tl, const char *path, size_t *skipped, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* lists are small (EasyPrivacy: ~2 MB); read whole, bounded */
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	bool ioerr = buf == NULL;
	while (!ioerr) {
		if (n == cap) {
			if (cap >= (256u << 20)) {
				snprintf(err, errlen, "%s: larger than 256 MB", path);
				free(buf);
				fclose(f);
				return -1;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				ioerr = true;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	ioerr = ioerr || ferror(f);
	fclose(f);
	if (ioerr) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		return -1;
	}
	const char *base = strrchr(path, '/');
	long added = pc_trackerlist_parse(tl, buf, n, base ? base + 1 : path, skipped);
	free(buf);
	return added;
}

/* The host itself, then every suffix after a dot that still holds a dot
 * (never a bare TLD); the longest listed one wins. Read from the right
 * with one running hash, and no further than the longest name a list can
 * hold (253 octets): linear in the host, whatever its length. */
const char *pc_trackerlist_match(const pc_trackerlist *tl, const char *host)
{
	if (!tl || !host || !*host || !g_hash_table_size(tl->hosts))
		return NULL;
	size_t n = strlen(host);
	const char *best = NULL;
	guint h = HASH_SEED;
	bool dot = false; /* the suffix read so far holds a dot */
	for (size_t i = n; i-- > 0 && n - i <= 253;) {
		h = hash_step(h, host[i]);
		dot |= host[i] == '.';
		if (i == 0 || (host[i - 1] == '.' && dot)) {
			hkey k = {h, n - i, host + i};
			const char *v = g_hash_table_lookup(tl->hosts, &k);
			if (v)
				best = v;
		}
	}
	return best;
}

const char *pc_trackerlist_data_path(const char *file)
{
	static char found[4][1024];
	static const char *const dirs[] = {
#ifdef PC_DATADIR
	    PC_DATADIR,
#endif
#ifdef PC_SOURCE_DATADIR
	    PC_SOURCE_DATADIR,
#endif
	    NULL};
	static const char *const files[] = {"trackers.txt", "freemail.txt", NULL};
	size_t slot = 0;
	while (files[slot] && strcmp(files[slot], file))
		slot++;
	if (!files[slot])
		return NULL; /* only the files Portcullis ships */
	for (size_t i = 0; dirs[i]; i++) {
		snprintf(found[slot], sizeof found[slot], "%s/%s", dirs[i], file);
		if (access(found[slot], R_OK) == 0)
			return found[slot];
	}
	return NULL;
}

const char *pc_trackerlist_bundled_path(void)
{
	return pc_trackerlist_data_path("trackers.txt");
}

pc_trackerlist *pc_trackerlist_from_files(const char *lists, const char *bundled, char *err, size_t errlen)
{
	pc_trackerlist *tl = pc_trackerlist_new();
	if (!tl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (bundled && pc_trackerlist_load(tl, bundled, NULL, err, errlen) < 0) {
		pc_trackerlist_free(tl);
		return NULL;
	}
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", lists ? lists : "");
	for (char *p = buf; p && *p;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			p[--n] = '\0';
		if (n && pc_trackerlist_load(tl, p, NULL, err, errlen) < 0) {
			pc_trackerlist_free(tl);
			return NULL;
		}
		p = comma ? comma + 1 : NULL;
	}
	return tl;
}

pc_trackerlist *pc_trackerlist_from_config(const pc_config *c, char *err, size_t errlen)
{
	return pc_trackerlist_from_files(c->tracker_lists, c->tracker_bundled ? pc_trackerlist_bundled_path() : NULL,
	                                 err, errlen);
}

pc_trackerlist *pc_trackerlist_freemail_from_config(const pc_config *c, char *err, size_t errlen)
{
	return pc_trackerlist_from_files(
	    c->freemail_lists, c->freemail_bundled ? pc_trackerlist_data_path("freemail.txt") : NULL, err, errlen);
}
