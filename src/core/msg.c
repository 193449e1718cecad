/*
 * NAME
 *   msg - findings and arrays for the parsed message (see msg.h)
 */
#include "core/msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/sha256.h"

int pc_vec_push(pc_arena *a, pc_vec *vec, void *item)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		if (cap < vec->cap || cap > SIZE_MAX / sizeof(void *))
			return -1;
		void **nv = pc_arena_alloc(a, cap * sizeof(void *));
		if (!nv)
			return -1;
		if (vec->n)
			memcpy(nv, vec->v, vec->n * sizeof(void *));
		vec->v = nv;
		vec->cap = cap;
	}
	vec->v[vec->n++] = item;
	return 0;
}

pc_finding *pc_msg_finding(pc_msg *m, pc_finding_kind kind, const char *detector, double score, const char *summary)
{
	pc_finding *f = pc_arena_calloc(m->arena, 1, sizeof *f);
	if (!f)
		return NULL;
	f->kind = kind;
	f->detector = detector;
	f->score = score;
	f->summary = summary ? summary : "";
	if (pc_vec_push(m->arena, &m->findings, f) != 0)
		return NULL;
	return f;
}

void pc_finding_ev(pc_msg *m, pc_finding *f, const char *key, const char *value)
{
	if (!f || !value)
		return;
	pc_kv *kv = pc_arena_alloc(m->arena, sizeof *kv);
	if (!kv)
		return;
	kv->key = key;
	kv->value = value;
	kv->next = NULL;
	if (f->evidence_tail)
		f->evidence_tail->next = kv;
	else
		f->evidence = kv;
	f->evidence_tail = kv;
}

pc_finding *pc_msg_find(const pc_msg *m, const char *detector)
{
	for (size_t i = 0; i < m->findings.n; i++) {
		pc_finding *f = m->findings.v[i];
		if (strcmp(f->detector, detector) == 0)
			return f;
	}
	return NULL;
}

pc_finding *pc_msg_limit(pc_msg *m, const char *limit, size_t configured, const char *what)
{
	for (size_t i = 0; i < m->findings.n; i++) {
		pc_finding *f = m->findings.v[i];
		if (f->kind == PC_FINDING_LIMIT && f->evidence && strcmp(f->evidence->value, limit) == 0)
			return f;
	}
	char *summary = pc_arena_printf(m->arena, "limit %s (%zu) reached: %s", limit, configured, what);
	pc_finding *f = pc_msg_finding(m, PC_FINDING_LIMIT, "parse.limit", 0.0, summary);
	if (!f)
		return NULL;
	pc_finding_ev(m, f, "limit", limit);
	pc_finding_ev(m, f, "configured", pc_arena_printf(m->arena, "%zu", configured));
	return f;
}

const char *pc_part_kind_name(pc_part_kind k)
{
	switch (k) {
	case PC_PART_TEXT:
		return "text";
	case PC_PART_HTML:
		return "html";
	case PC_PART_MULTIPART:
		return "multipart";
	case PC_PART_MESSAGE:
		return "message";
	case PC_PART_OTHER:
		return "other";
	}
	return "other";
}

static const char *const vis_names[PC_VIS_COUNT] = {
    "display-none",     "visibility-hidden", "opacity-0", "max-size-0", "hidden-attr", "offscreen",
    "container-hidden", "container-zero",    "size-0",    "stylesheet", "clip",        "transform",
};

bool pc_element_is_image(const char *el)
{
	return !strcmp(el, "img") || !strcmp(el, "background") || !strcmp(el, "css") || !strcmp(el, "input") ||
	       !strcmp(el, "video") || !strcmp(el, "source");
}

static bool prefix(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

const char *pc_resource_role(const char *element, const char *rel, const char *prop)
{
	if (!strcmp(element, "css")) {
		if (!prop || !*prop)
			return "background";
		if (!strcmp(prop, "src"))
			return "font";
		if (!strcmp(prop, "cursor"))
			return "cursor";
		if (prefix(prop, "list-style"))
			return "bullet";
		if (prefix(prop, "border-image") || prefix(prop, "-webkit-border-image"))
			return "border";
		if (prefix(prop, "mask") || prefix(prop, "-webkit-mask"))
			return "mask";
		if (!strcmp(prop, "content"))
			return "image";
		if (!strcmp(prop, "@import"))
			return "stylesheet";
		return "background";
	}
	if (!strcmp(element, "link")) {
		/* prefetch and prerender fetch for a page that may never be
		 * opened: fetched only to be fetched; preload fetches what the page
		 * uses, preconnect and dns-prefetch only reach a host */
		if (rel && (strstr(rel, "dns-prefetch") || strstr(rel, "preconnect")))
			return "preconnect";
		if (rel && (strstr(rel, "prefetch") || strstr(rel, "prerender")))
			return "prefetch";
		if (rel && strstr(rel, "preload"))
			return "preload";
		if (rel && strstr(rel, "stylesheet"))
			return "stylesheet";
		return "icon";
	}
	if (!strcmp(element, "background"))
		return "background";
	if (!strcmp(element, "track"))
		return "track";
	if (!strcmp(element, "iframe"))
		return "frame";
	if (!strcmp(element, "audio") || !strcmp(element, "embed") || !strcmp(element, "object"))
		return "media";
	return "image"; /* img, input, source, video (poster) */
}

bool pc_role_invisible(const char *role)
{
	static const char *const r[] = {"font",    "cursor", "mask",       "stylesheet", "prefetch",
	                                "preload", "icon",   "preconnect", "track"};
	for (size_t i = 0; role && i < sizeof r / sizeof r[0]; i++)
		if (!strcmp(role, r[i]))
			return true;
	return false;
}

bool pc_role_decorative(const char *role)
{
	return role && (!strcmp(role, "background") || !strcmp(role, "bullet") || !strcmp(role, "border"));
}

void pc_part_keep_text(pc_msg *m, pc_part *p, const char *bytes, size_t n)
{
	char *keep = pc_arena_alloc(m->arena, n ? n : 1);
	if (!keep)
		return;
	if (n) /* an empty part may come with no buffer at all */
		memcpy(keep, bytes, n);
	p->utf8 = keep;
	p->utf8n = n;
}

const char *pc_vis_name(size_t bit)
{
	return bit < PC_VIS_COUNT ? vis_names[bit] : "?";
}

bool pc_msg_url_budget(pc_msg *m)
{
	if (m->nurls >= m->config->limits.urls) {
		pc_msg_limit(m, "urls", m->config->limits.urls, "further URLs were not extracted");
		return false;
	}
	m->nurls++;
	return true;
}

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

void pc_msg_budget_start(pc_msg *m)
{
	size_t ms = m->config ? m->config->limits.cpu_ms : 0;
	unsigned long long now = thread_cpu_ns();
	m->cpu_deadline_ns = ms && now ? now + (unsigned long long)ms * 1000000ULL : 0;
	m->out_of_time = false;
}

bool pc_msg_out_of_time(pc_msg *m)
{
	if (m->out_of_time)
		return true;
	if (!m->cpu_deadline_ns || thread_cpu_ns() < m->cpu_deadline_ns)
		return false;
	m->out_of_time = true;
	pc_finding *f = pc_msg_limit(m, "cpu", m->config->limits.cpu_ms, "the scan was stopped at its CPU budget");
	pc_finding_ev(m, f, "unit", "ms");
	return true;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The delivery's key (msg.h): SHA-256 over the Message-ID, the envelope sender,
 * the recipients (sorted) and the message's bytes after the receiving
 * MTA's own Received field on top (the sender's header and the body: two
 * messages differing only in From or Subject are two deliveries, a red
 * team's finding); hex, the first 32 digits. It is what stays the same when an MTA
 * delivers one message again after a 451 or a node's crash (the queue id,
 * the receiving MTA's Received line and the time change), so the retry
 * is the member it was, not a second one (nothing counted twice). Two
 * copies of a campaign differ in their recipients, so a sender cannot
 * merge copies by reusing a Message-ID or a body. NULL when out of memory. */
void pc_msg_delivery_key(pc_msg *m)
{
	m->dkey = NULL;
	const char *raw = m->raw ? m->raw : "";
	size_t n = m->raw ? m->rawn : 0, body = 0;
	/* the receiving MTA's own trace field on top (Postfix gives its
	 * milters the Received: line it adds, with its queue id) is not the
	 * sender's: everything after it is */
	if (n >= 9 && !strncasecmp(raw, "Received:", 9)) {
		size_t i = 9;
		for (;;) {
			while (i < n && raw[i] != '\n')
				i++;
			if (i >= n || i + 1 >= n || (raw[i + 1] != ' ' && raw[i + 1] != '\t'))
				break;
			i++;
		}
		body = i < n ? i + 1 : n;
	}
	unsigned char d[PC_SHA256_LEN];
	char bodyhex[PC_SHA256_HEX];
	if (pc_sha256(raw + body, n - body, d) != 0) /* the rest of the header and the body */
		return;
	pc_sha256_hex(d, bodyhex);
	const char **r = m->rcpt.n ? pc_arena_alloc(m->arena, m->rcpt.n * sizeof *r) : NULL;
	if (m->rcpt.n && !r)
		return;
	for (size_t i = 0; i < m->rcpt.n; i++)
		r[i] = m->rcpt.v[i];
	if (m->rcpt.n)
		qsort(r, m->rcpt.n, sizeof *r, cmp_str);
	size_t len = strlen((m->message_id ? m->message_id : "")) + (m->env.mail_from ? strlen(m->env.mail_from) : 0) +
	             sizeof bodyhex + 4;
	for (size_t i = 0; i < m->rcpt.n; i++)
		len += strlen(r[i]) + 1;
	char *buf = pc_arena_alloc(m->arena, len);
	if (!buf)
		return;
	size_t k = (size_t)snprintf(buf, len, "%s%c%s%c", (m->message_id ? m->message_id : ""), 0,
	                            m->env.mail_from ? m->env.mail_from : "", 0);
	for (size_t i = 0; i < m->rcpt.n; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%c", r[i], 0);
	k += (size_t)snprintf(buf + k, len - k, "%s", bodyhex);
	if (pc_sha256(buf, k, d) != 0)
		return;
	char hex[PC_SHA256_HEX];
	pc_sha256_hex(d, hex);
	char *out = pc_arena_alloc(m->arena, 33);
	if (!out)
		return;
	memcpy(out, hex, 32);
	out[32] = '\0';
	m->dkey = out;
}
