/*
 * NAME
 *   fingerprint - what a message shares with the other copies of its
 *   template (see fingerprint.h)
 * DESCRIPTION
 *   Runs after the detectors: it reads the sketch the extract stage fed,
 *   the links and resources, the trackers (for templates and tokens) and
 *   the headers. Work is bounded: at most FP_MAX_URLS URL templates go into
 *   the sketch, at most 16 Received fields are read.
 */
#include "campaign/fingerprint.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decide/policy.h"
#include "extract/identity.h"
#include "store/store.h"

#define FP_MAX_URLS 256
#define FP_MAX_RECEIVED 16
#define FP_TEMPLATE 512

/* ---- URL templates ---- */

static bool all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, s[i]) || !s[i])
			return false;
	return n > 0;
}

static bool all_digits(const char *s, size_t n)
{
	return all_of(s, n, "0123456789");
}

static bool all_hex(const char *s, size_t n)
{
	return all_of(s, n, "0123456789abcdefABCDEF");
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Whether s (base64 or base64url, padding optional) decodes to something
 * that holds an address: '@' and a '.' after it. */
static bool b64_address(const char *s, size_t n)
{
	char in[256];
	guchar out[200];
	if (n < 8 || n >= sizeof in)
		return false;
	for (size_t i = 0; i < n; i++)
		in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	gint state = 0;
	guint save = 0;
	gsize k = g_base64_decode_step(in, n, out, &state, &save);
	const guchar *at = memchr(out, '@', k);
	return at && at != out && memchr(at, '.', k - (size_t)(at - out));
}

static bool hex_address(const char *s, size_t n)
{
	if (n < 10 || n % 2 || n > 400 || !all_hex(s, n))
		return false;
	bool at = false;
	for (size_t i = 0; i < n; i += 2) {
		int c = g_ascii_xdigit_value(s[i]) * 16 + g_ascii_xdigit_value(s[i + 1]);
		if (c == '@')
			at = true;
		else if (c == '.' && at)
			return true;
	}
	return false;
}

static bool strpbrk_n(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(set, s[i]))
			return true;
	return false;
}

/* The placeholder for a token value, or NULL when the value is text a
 * template keeps. */
static const char *token_class(const char *s, size_t n, bool leak_hash)
{
	if (!n)
		return NULL;
	const char *at = memchr(s, '@', n);
	if (at && at != s && memchr(at, '.', n - (size_t)(at - s)))
		return "{ADDR}";
	if (all_digits(s, n))
		return "{INT}";
	if (is_uuid(s, n))
		return "{UUID}";
	if (all_hex(s, n) && n >= 8) {
		if (hex_address(s, n))
			return "{ADDR}";
		if (leak_hash && (n == 32 || n == 40 || n == 64))
			return "{ADDRHASH}";
		bool letters = false, digits = false;
		for (size_t i = 0; i < n; i++) {
			letters |= isalpha((unsigned char)s[i]) != 0;
			digits |= isdigit((unsigned char)s[i]) != 0;
		}
		if (letters && digits) /* "deadbeef" and "facade" are words */
			return "{HEX}";
	}
	bool up = false, low = false, dig = false, other = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isupper(c))
			up = true;
		else if (islower(c))
			low = true;
		else if (isdigit(c))
			dig = true;
		else if (!strchr("+/=_-", c))
			other = true;
	}
	if (!other && n >= 8 && b64_address(s, n))
		return "{ADDR}";
	if (!other && n >= 16 && up + low + dig >= 2)
		return "{B64}";
	if (n >= 12 && (up || low) && dig)
		return "{TOKEN}";
	if (n >= 10 && !other && !dig && !strpbrk_n(s, n, "-_+/=")) {
		/* random letters have few vowels (about 5 in 26); words have
		 * about 2 in 5: a run of 10+ letters with under 1 in 4 is a token */
		size_t vowels = 0;
		for (size_t i = 0; i < n; i++)
			vowels += strchr("aeiouyAEIOUY", s[i]) != NULL;
		if (vowels * 4 < n)
			return "{TOKEN}";
	}
	if (n > 48) /* long opaque text: no template keeps it */
		return "{TOKEN}";
	return NULL;
}

typedef struct tbuf {
	char *b;
	size_t len, n;
} tbuf;

static void put(tbuf *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n && t->n + 1 < t->len; i++) {
		unsigned char c = (unsigned char)s[i];
		t->b[t->n++] = c < 0x20 || c == 0x7f ? '?' : (char)tolower(c);
	}
	t->b[t->n] = '\0';
}

static void value(tbuf *t, const char *s, size_t n, bool leak_hash, void (*token)(void *, const char *, size_t),
                  void *ctx)
{
	const char *cls = token_class(s, n, leak_hash);
	if (cls) {
		size_t l = strlen(cls);
		if (t->n + l < t->len) { /* placeholders keep their case */
			memcpy(t->b + t->n, cls, l);
			t->n += l;
			t->b[t->n] = '\0';
		}
		if (token)
			token(ctx, s, n);
	} else {
		put(t, s, n);
	}
}

static size_t url_template(const pc_url *u, bool leak_hash, char *buf, size_t len,
                           void (*token)(void *, const char *, size_t), void *ctx)
{
	if (!len)
		return 0;
	buf[0] = '\0';
	const char *host = u->host_ascii ? u->host_ascii : u->host;
	if (!host || !*host)
		return 0;
	tbuf t = {buf, len, 0};
	put(&t, host, strlen(host));
	for (size_t i = 0; i < u->nsegments; i++) {
		put(&t, "/", 1);
		value(&t, u->segments[i], strlen(u->segments[i]), leak_hash, token, ctx);
	}
	size_t k = 0;
	for (const pc_kv *p = u->params; p && k < 32; p = p->next, k++) {
		put(&t, k ? "&" : "?", 1);
		if (p->key)
			put(&t, p->key, strlen(p->key));
		if (p->value) {
			put(&t, "=", 1);
			value(&t, p->value, strlen(p->value), leak_hash, token, ctx);
		}
	}
	return t.n;
}

size_t pc_url_template(const pc_url *u, char *buf, size_t len, void (*token)(void *, const char *, size_t), void *ctx)
{
	return url_template(u, false, buf, len, token, ctx);
}

/* ---- the rest of the fingerprint ---- */

static void token_hash(void *ctx, const char *s, size_t n)
{
	uint64_t *h = ctx;
	*h = pc_hash64(s, n, *h + 0x7a);
}

static bool has(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void add_infra(pc_msg *m, pc_fingerprint *fp, const char *kind, const char *v, size_t n)
{
	if (!v || !n || fp->ninfra >= PC_FP_MAX_INFRA)
		return;
	if (n > 253) /* a DNS name is shorter; cut at a character boundary */
		for (n = 253; n && ((unsigned char)v[n] & 0xc0) == 0x80;)
			n--;
	char tmp[300];
	int k = snprintf(tmp, sizeof tmp, "%s:%.*s", kind, (int)n, v);
	if (k < 0)
		return;
	char *s = pc_arena_utf8(m->arena, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
	if (!s)
		return;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!has(fp->infra, fp->ninfra, s))
		fp->infra[fp->ninfra++] = s;
}

/* Whether the message claims someone it is not (an impersonation or
 * lookalike finding): an attacker's own domain, authenticated for itself,
 * is not a sender identity to keep apart; its copies and the freemail
 * copies of the same attack are one campaign. */
static bool claims_other(const pc_msg *m)
{
	for (size_t i = 0; i < m->findings.n; i++)
		if (((const pc_finding *)m->findings.v[i])->kind == PC_FINDING_IMPERSONATION)
			return true;
	return false;
}

/* A domain the configuration protects: [protected] domains, the
 * organisation's own, and the domains of protected people. */
static bool protected_domain(const pc_config *c, const char *d)
{
	for (size_t i = 0; i < c->protected_domains.n; i++)
		if (!strcasecmp(c->protected_domains.v[i], d))
			return true;
	for (size_t i = 0; i < c->own_domains.n; i++)
		if (!strcasecmp(c->own_domains.v[i], d))
			return true;
	for (size_t p = 0; p < c->npeople; p++)
		for (size_t i = 0; i < c->people[p].domains.n; i++)
			if (!strcasecmp(c->people[p].domains.v[i], d))
				return true;
	return false;
}

static void add_domain(pc_msg *m, pc_fingerprint *fp, const char *kind, const char *addr)
{
	char sender[321], domain[256];
	if (addr && pc_store_contact_keys(addr, sender, sizeof sender, domain, sizeof domain) == 0)
		add_infra(m, fp, kind, domain, strlen(domain));
}

static bool public_ip(const char *s, char *net, size_t netlen, char *addr, size_t addrlen)
{
	unsigned char a[16];
	if (!strncasecmp(s, "IPv6:", 5))
		s += 5;
	if (inet_pton(AF_INET, s, a) == 1) {
		inet_ntop(AF_INET, a, addr, (socklen_t)addrlen);
		if (a[0] == 10 || a[0] == 127 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64))
			return false;
		snprintf(net, netlen, "%u.%u.%u.0/24", a[0], a[1], a[2]);
		return true;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		inet_ntop(AF_INET6, a, addr, (socklen_t)addrlen);
		static const unsigned char loop[16] = {[15] = 1};
		if (!memcmp(a, loop, 16) || (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
			return false;
		snprintf(net, netlen, "%x:%x:%x::/48", a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5]);
		return true;
	}
	return false;
}

/* The client address of a Received field's "from" clause: the first
 * [literal] before " by ". */
static bool received_ip(const char *v, char *net, size_t netlen, char *addr, size_t addrlen)
{
	size_t n = strnlen(v, 4096);
	const char *end = v + n;
	for (const char *p = v; p + 4 <= end; p++)
		if ((p[0] == ' ' || p[0] == '\t') && !strncasecmp(p + 1, "by ", 3)) {
			end = p;
			break;
		}
	for (const char *p = v; p < end; p++) {
		if (*p != '[')
			continue;
		const char *q = memchr(p, ']', (size_t)(end - p));
		if (!q || q - p - 1 >= 64)
			continue;
		char ip[64];
		memcpy(ip, p + 1, (size_t)(q - p - 1));
		ip[q - p - 1] = '\0';
		if (public_ip(ip, net, netlen, addr, addrlen))
			return true;
	}
	return false;
}

static time_t parse_date(const char *s)
{
	if (!s)
		return 0;
	GDateTime *d = g_mime_utils_header_decode_date(s);
	if (!d)
		return 0;
	gint64 t = g_date_time_to_unix(d);
	g_date_time_unref(d);
	return t > 0 ? (time_t)t : 0;
}

static void normalise_subject(pc_msg *m, pc_fingerprint *fp)
{
	fp->subject = "";
	const char *s = m->subject;
	if (!s)
		return;
	char out[256];
	size_t k = 0;
	/* reply and forward prefixes, repeated */
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t p = !strncasecmp(s, "re:", 3) || !strncasecmp(s, "fw:", 3) ? 3
		           : !strncasecmp(s, "fwd:", 4)                           ? 4
		                                                                  : 0;
		if (!p)
			break;
		s += p;
	}
	/* words with digits or '@' (dates, numbers, tokens, addresses) go */
	while (*s && k + 1 < sizeof out) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t w = strcspn(s, " \t");
		if (!w)
			break;
		bool drop = false;
		for (size_t i = 0; i < w; i++)
			drop |= isdigit((unsigned char)s[i]) || s[i] == '@';
		if (!drop && k + w + 2 < sizeof out) {
			if (k)
				out[k++] = ' ';
			for (size_t i = 0; i < w; i++)
				out[k++] = (char)tolower((unsigned char)s[i]);
		}
		s += w;
	}
	out[k] = '\0';
	fp->subject = pc_arena_utf8(m->arena, out, k);
	if (!fp->subject)
		fp->subject = "";
}

static const pc_url *tracker_url(const pc_tracker *t)
{
	return t->res ? t->res->url : t->link ? t->link->url : NULL;
}

int pc_fingerprint_make(pc_msg *m, pc_fingerprint *fp)
{
	memset(fp, 0, sizeof *fp);
	fp->sender = "";
	fp->subject = "";
	pc_sketch s;
	if (m->sketch)
		s = *m->sketch;
	else
		pc_sketch_init(&s);
	pc_sketch_break(&s);
	char buf[FP_TEMPLATE];
	size_t nurl = 0;
	/* every link and resource adds its template: the layout of the
	 * template's URLs, tokens replaced */
	for (size_t i = 0; i < m->resources.n && nurl < FP_MAX_URLS; i++, nurl++) {
		size_t l =
		    url_template(((const pc_resource *)m->resources.v[i])->url, false, buf, sizeof buf, NULL, NULL);
		if (l)
			pc_sketch_feature(&s, buf, l, PC_SKETCH_URL);
	}
	for (size_t i = 0; i < m->links.n && nurl < FP_MAX_URLS; i++, nurl++) {
		size_t l = url_template(((const pc_link *)m->links.v[i])->url, false, buf, sizeof buf, NULL, NULL);
		if (l)
			pc_sketch_feature(&s, buf, l, PC_SKETCH_URL);
	}
	/* the text and URLs say which template this is; the HTML structure
	 * only when there is too little of them (an image-only lure) */
	fp->features = s.features;
	if (s.features >= PC_FP_MIN_FEATURES) {
		pc_sketch_finish(&s, fp->sig);
	} else {
		pc_sketch_finish_all(&s, fp->sig);
		fp->structure = true;
		fp->features += s.tag_features;
	}
	fp->usable = fp->features >= PC_FP_MIN_FEATURES;
	for (size_t b = 0; b < PC_FP_BANDS; b++)
		fp->bands[b] = pc_hash64(fp->sig + b * PC_FP_ROWS, PC_FP_ROWS * sizeof fp->sig[0], b + 1);

	/* tracker templates and the per-recipient token */
	uint64_t token = 0;
	bool any_token = false;
	for (size_t i = 0; i < m->trackers.n; i++) {
		const pc_tracker *t = m->trackers.v[i];
		const pc_url *u = tracker_url(t);
		if (!u)
			continue;
		bool leak_hash = t->leak && (!strncmp(t->leak, "md5", 3) || !strncmp(t->leak, "sha", 3));
		uint64_t before = token;
		size_t l = url_template(u, leak_hash, buf, sizeof buf, token_hash, &token);
		any_token |= token != before;
		if (!l)
			continue;
		if (fp->ntemplates < PC_FP_MAX_TEMPLATES && !has(fp->templates, fp->ntemplates, buf)) {
			const char *c = pc_arena_utf8(m->arena, buf, l);
			if (c)
				fp->templates[fp->ntemplates++] = c;
		}
		const char *host = u->domain ? u->domain : u->host_ascii ? u->host_ascii : u->host;
		if (host && *host && fp->ntracker_hosts < PC_FP_MAX_TEMPLATES &&
		    !has(fp->tracker_hosts, fp->ntracker_hosts, host)) {
			fp->tracker_hosts[fp->ntracker_hosts++] = host;
			add_infra(m, fp, "tracker", host, strlen(host));
		}
	}
	if (any_token)
		snprintf(fp->token, sizeof fp->token, "%016llx", (unsigned long long)token);

	/* the sender and its infrastructure */
	const pc_addr *from = m->from.n ? m->from.v[0] : NULL;
	if (from && from->addr) {
		char sender[321], domain[256];
		if (pc_store_contact_keys(from->addr, sender, sizeof sender, domain, sizeof domain) == 0) {
			fp->sender = pc_arena_strdup(m->arena, sender);
			if (!fp->sender)
				fp->sender = "";
			add_infra(m, fp, "from", domain, strlen(domain));
			if (pc_policy_from_authenticated(m) && !claims_other(m)) {
				fp->auth = pc_arena_printf(m->arena, "auth:%s", domain);
				fp->auth_protected = protected_domain(m->config, domain);
			}
		}
	}
	if (!fp->auth)
		fp->auth = "auth:-";
	/* kept with the member's infrastructure (so the store knows each
	 * campaign's identity), but never what makes two copies one campaign */
	if (fp->ninfra < PC_FP_MAX_INFRA && !has(fp->infra, fp->ninfra, fp->auth))
		fp->infra[fp->ninfra++] = fp->auth;
	if (m->return_path) {
		char rp[330];
		size_t k = 0;
		for (const char *p = m->return_path; *p && k + 1 < sizeof rp; p++)
			if (*p != '<' && *p != '>' && *p != ' ' && *p != '\t')
				rp[k++] = *p;
		rp[k] = '\0';
		add_domain(m, fp, "rp", rp);
	} else if (m->env.mail_from && *m->env.mail_from) {
		add_domain(m, fp, "rp", m->env.mail_from);
	}
	char net[64], addr[64];
	bool have_ip = m->env.client_ip && public_ip(m->env.client_ip, net, sizeof net, addr, sizeof addr);
	time_t received = 0;
	size_t nrec = 0, ndkim = 0;
	for (size_t i = 0; i < m->headers.n; i++) {
		const pc_kv *h = m->headers.v[i];
		if (!h->key || !h->value)
			continue;
		if (!strcasecmp(h->key, "Received") && nrec++ < FP_MAX_RECEIVED) {
			if (!received) {
				const char *semi = strrchr(h->value, ';');
				received = semi ? parse_date(semi + 1) : 0;
			}
			if (!have_ip)
				have_ip = received_ip(h->value, net, sizeof net, addr, sizeof addr);
		} else if (!strcasecmp(h->key, "DKIM-Signature") && ndkim++ < 8) {
			const char *d;
			size_t dn;
			if (pc_identity_dkim_d(h->value, &d, &dn))
				add_infra(m, fp, "dkim", d, dn);
		}
	}
	if (have_ip) { /* the block joins campaigns; the address is for indicators */
		add_infra(m, fp, "ip", net, strlen(net));
		add_infra(m, fp, "addr", addr, strlen(addr));
	}
	normalise_subject(m, fp);

	time_t now = time(NULL);
	fp->when = received ? received : parse_date(m->date);
	if (!fp->when || fp->when > now + 86400)
		fp->when = now;
	if (pc_arena_full(m->arena)) {
		fp->usable = false;
		return -1;
	}
	return 0;
}
