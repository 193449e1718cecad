/*
 * NAME
 *   domain - addresses and domain names (see domain.h)
 * DESCRIPTION
 *   libidn2 and libpsl are called here and nowhere else, so a host gets
 *   one A-label form and one registrable domain wherever it was found.
 */
#include "parse/domain.h"

#include <ctype.h>
#include <idn2.h>
#include <libpsl.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

const char *pc_addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : NULL;
}

static int idna_rc(int rc)
{
	return rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_TOO_BIG_LABEL ? PC_IDNA_TOO_LONG : PC_IDNA_INVALID;
}

int pc_idna_ascii(const char *host, char *out, size_t cap)
{
	char *o = NULL;
	int rc = idn2_to_ascii_8z(host, &o, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK || !o) {
		idn2_free(o);
		o = NULL;
		if (rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_TOO_BIG_LABEL)
			return PC_IDNA_TOO_LONG;
		rc = idn2_to_ascii_8z(host, &o, IDN2_TRANSITIONAL | IDN2_NFC_INPUT);
		if (rc != IDN2_OK || !o) {
			idn2_free(o);
			return idna_rc(rc);
		}
	}
	size_t n = strlen(o);
	if (n >= cap) {
		idn2_free(o);
		return PC_IDNA_TOO_LONG;
	}
	memcpy(out, o, n + 1);
	idn2_free(o);
	return (int)n;
}

const char *pc_idna_unicode(pc_arena *a, const char *ascii)
{
	char *o = NULL;
	const char *u = NULL;
	if (idn2_to_unicode_8z8z(ascii, &o, 0) == IDN2_OK && o)
		u = pc_arena_utf8(a, o, strlen(o));
	idn2_free(o);
	return u;
}

int pc_domain_key(const char *s, size_t n, char *out, size_t cap)
{
	if (!cap)
		return PC_IDNA_TOO_LONG;
	out[0] = '\0';
	while (n && s[n - 1] == '.')
		n--;
	if (n >= cap)
		return PC_IDNA_TOO_LONG;
	bool ascii = true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		ascii &= c < 0x80;
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	if (ascii)
		return (int)n;
	if (n > PC_DOMAIN_UMAX)
		return PC_IDNA_TOO_LONG;
	char a[PC_DOMAIN_KEY_CAP];
	int l = pc_idna_ascii(out, a, sizeof a);
	if (l < 0)
		return l;
	while (l && a[l - 1] == '.') /* a final U+3002 (ideographic full stop) maps to a dot */
		a[--l] = '\0';
	if ((size_t)l >= cap)
		return PC_IDNA_TOO_LONG;
	memcpy(out, a, (size_t)l + 1);
	return l;
}

/* The answers of psl_registrable_domain for the last hosts asked, per
 * thread: one costs libpsl about 8,000 instructions (a corpus scan spent
 * 2.3% there), and a message names the same few hosts again and again
 * (every link of a newsletter, the sender, its DKIM domain). A slot holds
 * a host of up to REG_HOST bytes and where its registrable domain starts
 * (-1: none); longer hosts go to libpsl each time. The answer depends on
 * the name alone (the built-in list), so a hit is what libpsl would say;
 * an attacker who fills the slots only costs the lookups a miss costs. */
#define REG_SLOTS 256
#define REG_HOST 47

typedef struct reg_slot {
	char host[REG_HOST + 1]; /* "" = free */
	short off;
} reg_slot;

static __thread reg_slot reg_cache[REG_SLOTS];

const char *pc_domain_registrable(const char *ascii)
{
	const psl_ctx_t *psl = psl_builtin();
	if (!psl || !ascii)
		return NULL;
	uint32_t h = 2166136261u;
	size_t n = 0;
	for (; ascii[n] && n <= REG_HOST; n++)
		h = (h ^ (unsigned char)ascii[n]) * 16777619u;
	if (n == 0 || n > REG_HOST)
		return psl_registrable_domain(psl, ascii);
	reg_slot *sl = &reg_cache[h % REG_SLOTS];
	if (memcmp(sl->host, ascii, n + 1) == 0)
		return sl->off < 0 ? NULL : ascii + sl->off;
	const char *rd = psl_registrable_domain(psl, ascii);
	memcpy(sl->host, ascii, n + 1);
	sl->off = rd ? (short)(rd - ascii) : -1;
	return rd;
}

bool pc_domain_is_public_suffix(const char *ascii)
{
	const psl_ctx_t *psl = psl_builtin();
	return psl && ascii && psl_is_public_suffix(psl, ascii);
}

bool pc_domain_is_listed_suffix(const char *ascii)
{
	const psl_ctx_t *psl = psl_builtin();
	return psl && ascii && psl_is_public_suffix2(psl, ascii, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
}

bool pc_domain_at_or_under(const char *host, const char *dom)
{
	if (!host || !dom)
		return false;
	size_t hn = strlen(host), dn = strlen(dom);
	return hn >= dn && !strcasecmp(host + hn - dn, dom) && (hn == dn || host[hn - dn - 1] == '.');
}

static const char *lower_dup(pc_arena *a, const char *s, size_t n)
{
	char *d = pc_arena_strndup(a, s, n);
	if (d)
		for (char *p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

int pc_domain_parse(pc_arena *a, const char *host, size_t n, pc_domain *out)
{
	memset(out, 0, sizeof *out);
	if (!host)
		return -1;
	while (n && (host[n - 1] == '.' || host[n - 1] == ' '))
		n--;
	while (n && (host[0] == '.' || host[0] == ' ')) {
		host++;
		n--;
	}
	if (!n || n > PC_DOMAIN_MAX || memchr(host, '\0', n))
		return -1;
	bool ascii = true;
	for (size_t i = 0; i < n; i++)
		ascii &= (unsigned char)host[i] < 0x80;
	if (ascii) {
		/* IDNA gives an ASCII name back lower-cased, or refuses it (an
		 * underscore, a bad "xn--" label) and it is kept as written */
		out->ascii = lower_dup(a, host, n);
	} else {
		char in[PC_DOMAIN_MAX + 1], o[PC_DOMAIN_KEY_CAP];
		memcpy(in, host, n);
		in[n] = '\0';
		int l = pc_idna_ascii(in, o, sizeof o);
		if (l < 0)
			return -1;
		out->ascii = lower_dup(a, o, (size_t)l);
	}
	if (!out->ascii || !*out->ascii || strlen(out->ascii) > PC_DOMAIN_MAX)
		return -1;
	out->unicode = pc_idna_unicode(a, out->ascii);
	if (!out->unicode)
		out->unicode = out->ascii;
	const char *rd = pc_domain_registrable(out->ascii);
	out->reg = rd ? rd : out->ascii;
	const char *dot = strchr(out->reg, '.');
	out->suffix = dot ? dot + 1 : "";
	out->label = pc_arena_strndup(a, out->reg, dot ? (size_t)(dot - out->reg) : strlen(out->reg));
	if (!out->label)
		return -1;
	out->ulabel = out->label;
	if (!strncmp(out->label, "xn--", 4)) {
		const char *u = pc_idna_unicode(a, out->label);
		if (u)
			out->ulabel = u;
		else if (pc_arena_full(a))
			return -1;
	}
	out->ascii_only = true;
	for (const char *p = out->ulabel; *p; p++)
		out->ascii_only &= (unsigned char)*p < 0x80;
	return 0;
}

bool pc_domain_same_site(const pc_domain *d, const pc_domain *p)
{
	if (!d->ascii || !p->reg)
		return false;
	return !strcmp(d->reg, p->reg) || pc_domain_at_or_under(d->ascii, p->ascii);
}

static bool stop_char(unsigned char c)
{
	return c <= ' ' || strchr("<>()\"',;:[]!?|/\\{}*&=#$%^~`", c);
}

const char *pc_domain_find(pc_arena *a, const char *name)
{
	if (!name)
		return NULL;
	size_t n = strnlen(name, PC_DOMAIN_FIND_MAX);
	for (size_t i = 0; i < n;) {
		while (i < n && stop_char((unsigned char)name[i]))
			i++;
		size_t b = i;
		while (i < n && !stop_char((unsigned char)name[i]))
			i++;
		size_t e = i;
		const char *at = memchr(name + b, '@', e - b);
		if (at)
			b = (size_t)(at - name) + 1;
		while (e > b && (name[e - 1] == '.' || name[e - 1] == '-'))
			e--;
		if (e - b < 4 || e - b > PC_DOMAIN_MAX || !memchr(name + b, '.', e - b) || name[b] == '.')
			continue;
		char word[PC_DOMAIN_MAX + 1], ascii[PC_DOMAIN_KEY_CAP];
		memcpy(word, name + b, e - b);
		word[e - b] = '\0';
		int l = pc_idna_ascii(word, ascii, sizeof ascii);
		if (l < 0)
			continue;
		const char *low = lower_dup(a, ascii, (size_t)l);
		if (!low)
			return NULL;
		const char *rd = pc_domain_registrable(low);
		if (!rd)
			continue;
		const char *sfx = strchr(rd, '.');
		/* a listed suffix ("com", "co.uk"), not the "*" default rule:
		 * "j.smith" or "st.john" are no domains; nor is an initial
		 * before a brand TLD ("Craig R.Hughes": .hughes is one) */
		if (sfx && sfx - rd >= 2 && pc_domain_is_listed_suffix(sfx + 1))
			return rd;
	}
	return NULL;
}
