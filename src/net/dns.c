/*
 * NAME
 *   dns - a small synchronous resolver (see dns.h)
 * DESCRIPTION
 *   res_nsend returns SERVFAIL answers because pfcode is set (see
 *   pc_dns_new); when it fails, errno ECONNREFUSED means the server's port
 *   was closed (ICMP), which is a server failure too, and anything else a
 *   timeout.
 */
#define _GNU_SOURCE
#include "net/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CACHE_SLOTS 32
#define ANSWER_MAX 65535

typedef struct cache_entry {
	char *name;
	int type;
	pc_dns_status st;
	unsigned char *ans;
	size_t n;
	time_t asked;
} cache_entry;

/* the journal (what this message asked the network) and the replayed
 * answers (pc_dns_replay) are the same record */
typedef struct journal {
	cache_entry *v;
	size_t n, cap, bytes;
	bool cut; /* a query was not kept: over PC_DNS_JOURNAL_MAX or out of memory */
} journal;

struct pc_dns {
	struct __res_state res;
	unsigned timeout_ms;
	cache_entry cache[CACHE_SLOTS];
	size_t next;            /* the slot replaced next when all are used */
	unsigned long spent_ms; /* waited in this phase (pc_dns_phase) */
	unsigned phase_budget;  /* timeouts this phase may wait */
	journal log;            /* this message's queries sent (pc_dns_journal) */
	journal replay;         /* replay mode: the only answers there are */
	bool replaying;
	size_t missing; /* replay: queries with no recorded answer */
	unsigned char buf[ANSWER_MAX];
};

static void journal_clear(journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->v[i].name);
		free(j->v[i].ans);
	}
	j->n = 0;
	j->bytes = 0;
	j->cut = false;
}

static void journal_free(journal *j)
{
	journal_clear(j);
	free(j->v);
	memset(j, 0, sizeof *j);
}

/* Appends a copy; false (and j->cut) when it does not fit the bounds or
 * memory. */
static bool journal_add(journal *j, const char *name, int type, pc_dns_status st, const unsigned char *ans, size_t n,
                        time_t asked)
{
	if (j->n >= PC_DNS_JOURNAL_MAX || n > PC_DNS_JOURNAL_BYTES - j->bytes) {
		j->cut = true;
		return false;
	}
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 8;
		cache_entry *v = realloc(j->v, cap * sizeof *v);
		if (!v) {
			j->cut = true;
			return false;
		}
		j->v = v;
		j->cap = cap;
	}
	cache_entry *e = &j->v[j->n];
	memset(e, 0, sizeof *e);
	e->name = strdup(name);
	e->ans = n ? malloc(n) : NULL;
	if (!e->name || (n && !e->ans)) {
		free(e->name);
		free(e->ans);
		j->cut = true;
		return false;
	}
	if (n)
		memcpy(e->ans, ans, n);
	e->n = n;
	e->type = type;
	e->st = st;
	e->asked = asked;
	j->n++;
	j->bytes += n;
	return true;
}

const char *pc_dns_status_name(pc_dns_status st)
{
	switch (st) {
	case PC_DNS_OK:
		return "ok";
	case PC_DNS_NODATA:
		return "no data";
	case PC_DNS_NXDOMAIN:
		return "no such domain";
	case PC_DNS_SERVFAIL:
		return "server failure";
	case PC_DNS_TIMEOUT:
		return "timeout";
	case PC_DNS_BADNAME:
		return "bad name";
	}
	return "?";
}

/* "IPv4[:PORT]" into sin; 0 or -1. */
static int parse_server(const char *s, size_t len, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = memchr(s, ':', len);
	size_t hl = colon ? (size_t)(colon - s) : len;
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	unsigned port = 53;
	if (colon) {
		const char *p = colon + 1, *end = s + len;
		if (p == end || end - p > 5)
			return -1;
		port = 0;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			port = port * 10 + (unsigned)(*p - '0');
		}
		if (port == 0 || port > 65535)
			return -1;
	}
	sin->sin_port = htons((unsigned short)port);
	return 0;
}

pc_dns *pc_dns_new(const char *servers, unsigned timeout_ms, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	while (*servers == ' ' || *servers == '\t')
		servers++;
	if (!strcasecmp(servers, "off"))
		return NULL;
	if (timeout_ms > 60000) {
		snprintf(err, errlen, "dns.timeout: %u ms is over 60 seconds", timeout_ms);
		return NULL;
	}
	if (timeout_ms < 1000)
		timeout_ms = 1000; /* glibc waits in whole seconds */
	struct sockaddr_in list[MAXNS];
	int nlist = 0;
	bool system = !strcasecmp(servers, "system") || !*servers;
	if (!system) {
		for (const char *p = servers; *p;) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (!*p)
				break;
			const char *b = p;
			while (*p && *p != ' ' && *p != '\t' && *p != ',')
				p++;
			if (nlist == MAXNS) {
				snprintf(err, errlen, "dns.servers: at most %d servers", MAXNS);
				return NULL;
			}
			if (parse_server(b, (size_t)(p - b), &list[nlist]) != 0) {
				snprintf(err, errlen,
				         "dns.servers: '%.*s' is not an IPv4 address with an optional :PORT "
				         "(or system, off)",
				         (int)((size_t)(p - b) > 64 ? 64 : (size_t)(p - b)), b);
				return NULL;
			}
			nlist++;
		}
		if (nlist == 0) {
			snprintf(err, errlen, "dns.servers: no server given");
			return NULL;
		}
	}
	pc_dns *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (res_ninit(&d->res) != 0) {
		snprintf(err, errlen, "dns: res_ninit failed");
		free(d);
		return NULL;
	}
	if (!system) {
		for (int i = 0; i < nlist; i++)
			d->res.nsaddr_list[i] = list[i];
		d->res.nscount = nlist;
	}
	if (d->res.nscount < 1)
		d->res.nscount = 1; /* resolv.conf without servers: glibc's default */
	/* One try per server; each try waits retrans seconds (the first try is
	 * not divided by the server count in glibc), so all tries together
	 * stay within the timeout, rounded to whole seconds, at least 1 s each. */
	int per = (int)(timeout_ms / 1000u) / d->res.nscount;
	d->res.retrans = per < 1 ? 1 : per;
	d->res.retry = 1;
	/* glibc retries the next server on SERVFAIL/REFUSED and, when none is
	 * left, fails like a timeout; with pfcode set (meant for dig) it hands
	 * the error answer back, so SERVFAIL can be told from a timeout. The
	 * price: no failover to a second server after an error answer. */
	d->res.pfcode = RES_PRF_REPLY;
	d->res.options |= RES_USE_EDNS0;
	d->res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	d->timeout_ms = timeout_ms;
	return d;
}

void pc_dns_forget(pc_dns *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(d->cache[i].name);
		free(d->cache[i].ans);
		memset(&d->cache[i], 0, sizeof d->cache[i]);
	}
	d->next = 0;
	d->spent_ms = 0;
	d->phase_budget = 1;
	journal_clear(&d->log);
	d->missing = 0;
}

void pc_dns_phase(pc_dns *d, unsigned timeouts)
{
	if (!d)
		return;
	d->spent_ms = 0;
	d->phase_budget = timeouts;
}

void pc_dns_free(pc_dns *d)
{
	if (!d)
		return;
	pc_dns_forget(d);
	journal_free(&d->log);
	journal_free(&d->replay);
	if (!d->replaying)
		res_nclose(&d->res);
	free(d);
}

unsigned pc_dns_timeout_ms(const pc_dns *d)
{
	return d ? d->timeout_ms : 0;
}

/* The answer's rcode and how many answer records have `type`. */
static pc_dns_status classify(const unsigned char *ans, size_t n, int type)
{
	ns_msg msg;
	if (ns_initparse(ans, (int)n, &msg) != 0)
		return PC_DNS_SERVFAIL;
	switch (ns_msg_getflag(msg, ns_f_rcode)) {
	case ns_r_noerror:
		break;
	case ns_r_nxdomain:
		return PC_DNS_NXDOMAIN;
	default:
		return PC_DNS_SERVFAIL;
	}
	int count = ns_msg_count(msg, ns_s_an);
	for (int i = 0; i < count; i++) {
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			return PC_DNS_SERVFAIL;
		if ((int)ns_rr_type(rr) == type)
			return PC_DNS_OK;
	}
	return PC_DNS_NODATA;
}

static bool name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 253)
		return false;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127)
			return false;
	return true;
}

pc_dns_status pc_dns_query(pc_dns *d, const char *name, int type, const unsigned char **ans, size_t *n)
{
	*ans = NULL;
	*n = 0;
	if (!d || !name || !name_ok(name))
		return PC_DNS_BADNAME;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		cache_entry *e = &d->cache[i];
		if (e->name && e->type == type && !strcasecmp(e->name, name)) {
			*ans = e->ans;
			*n = e->n;
			return e->st;
		}
	}
	if (d->replaying) {
		for (size_t i = 0; i < d->replay.n; i++) {
			cache_entry *e = &d->replay.v[i];
			if (e->type == type && !strcasecmp(e->name, name)) {
				*ans = e->ans;
				*n = e->n;
				return e->st;
			}
		}
		d->missing++;
		return PC_DNS_TIMEOUT; /* never asked then: nothing to replay */
	}
	unsigned char q[NS_PACKETSZ];
	pc_dns_status st;
	/* The message's budget: a query that could wait longer than what is
	 * left of the phase's timeouts is not sent (answered as a timeout),
	 * so all the checks of one message wait at most that long in total. */
	unsigned long budget = (unsigned long)d->phase_budget * d->timeout_ms;
	if (d->spent_ms + d->timeout_ms > budget)
		return PC_DNS_TIMEOUT;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ql = res_nmkquery(&d->res, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, q, sizeof q);
	int len = -1;
	if (ql < 0)
		st = PC_DNS_BADNAME;
	else {
		errno = 0;
		len = res_nsend(&d->res, q, ql, d->buf, sizeof d->buf);
		if (len < 0)
			st = errno == ECONNREFUSED ? PC_DNS_SERVFAIL : PC_DNS_TIMEOUT;
		else
			st = classify(d->buf, (size_t)len, type);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (st != PC_DNS_BADNAME)
		journal_add(&d->log, name, type, st, len > 0 ? d->buf : NULL, len > 0 ? (size_t)len : 0, time(NULL));
	long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	d->spent_ms += ms > 0 ? (unsigned long)ms : 0;
	cache_entry *e = NULL;
	for (size_t i = 0; i < CACHE_SLOTS && !e; i++)
		if (!d->cache[i].name)
			e = &d->cache[i];
	if (!e) {
		e = &d->cache[d->next];
		d->next = (d->next + 1) % CACHE_SLOTS;
		free(e->name);
		free(e->ans);
		memset(e, 0, sizeof *e);
	}
	e->name = strdup(name);
	e->type = type;
	e->st = st;
	if (len > 0) {
		e->ans = malloc((size_t)len);
		if (e->ans) {
			memcpy(e->ans, d->buf, (size_t)len);
			e->n = (size_t)len;
		}
	}
	if (!e->name || (len > 0 && !e->ans)) { /* out of memory: answer from buf, not cached */
		free(e->name);
		free(e->ans);
		memset(e, 0, sizeof *e);
		*ans = len > 0 ? d->buf : NULL;
		*n = len > 0 ? (size_t)len : 0;
		return st;
	}
	*ans = e->ans;
	*n = e->n;
	return st;
}

pc_dns_status pc_dns_txt(pc_dns *d, const char *name, void (*each)(void *ctx, const char *txt, size_t n), void *ctx)
{
	const unsigned char *ans;
	size_t n;
	pc_dns_status st = pc_dns_query(d, name, ns_t_txt, &ans, &n);
	if (st != PC_DNS_OK)
		return st;
	ns_msg msg;
	if (ns_initparse(ans, (int)n, &msg) != 0)
		return PC_DNS_SERVFAIL;
	int count = ns_msg_count(msg, ns_s_an);
	char txt[PC_DNS_TXT_MAX + 1];
	for (int i = 0; i < count; i++) {
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			break;
		if (ns_rr_type(rr) != ns_t_txt)
			continue;
		const unsigned char *p = ns_rr_rdata(rr), *end = p + ns_rr_rdlen(rr);
		size_t len = 0;
		bool fits = true;
		while (p < end) {
			size_t l = *p++;
			if (l > (size_t)(end - p)) {
				fits = false; /* a character-string runs past the record */
				break;
			}
			if (l > PC_DNS_TXT_MAX - len) {
				fits = false;
				break;
			}
			memcpy(txt + len, p, l);
			len += l;
			p += l;
		}
		if (!fits)
			continue;
		txt[len] = '\0';
		each(ctx, txt, len);
	}
	return PC_DNS_OK;
}

pc_dns *pc_dns_replay(void)
{
	pc_dns *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->replaying = true;
	d->timeout_ms = 1000;
	d->phase_budget = 1;
	return d;
}

int pc_dns_replay_add(pc_dns *d, const pc_dns_record *r)
{
	if (!d || !d->replaying || !r->name || !name_ok(r->name))
		return -1;
	/* an answer that does not parse replays as the failure it was */
	pc_dns_status st = r->status;
	if (r->n && st != PC_DNS_TIMEOUT && classify(r->ans, r->n, r->type) != st)
		st = PC_DNS_SERVFAIL;
	return journal_add(&d->replay, r->name, r->type, st, r->ans, r->n, r->asked) ? 0 : -1;
}

size_t pc_dns_replay_missing(const pc_dns *d)
{
	return d ? d->missing : 0;
}

int pc_dns_journal(const pc_dns *d, int (*each)(void *ctx, const pc_dns_record *r), void *ctx)
{
	if (!d)
		return 0;
	const journal *j = d->replaying ? &d->replay : &d->log;
	for (size_t i = 0; i < j->n; i++) {
		pc_dns_record r = {.name = j->v[i].name,
		                   .type = j->v[i].type,
		                   .status = j->v[i].st,
		                   .ans = j->v[i].ans,
		                   .n = j->v[i].n,
		                   .asked = j->v[i].asked};
		int rc = each(ctx, &r);
		if (rc)
			return rc;
	}
	return j->cut ? 1 : 0;
}

int pc_dns_status_parse(const char *s, pc_dns_status *st)
{
	for (int i = PC_DNS_OK; i <= PC_DNS_BADNAME; i++)
		if (!strcmp(s, pc_dns_status_name((pc_dns_status)i))) {
			*st = (pc_dns_status)i;
			return 0;
		}
	return -1;
}
