/*
 * NAME
 *   session - the libmilter callbacks of one SMTP session: the envelope, the message buffered (its end: eom.c)
 * (internal.h)
 */
#define _GNU_SOURCE
#include "milter/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "act/qmeta.h"
#include "act/quarantine.h"
#include "app/jsonw.h"
#include "app/options.h"
#include "app/resources.h"
#include "core/config.h"
#include "core/sha256.h"
#include "act/headers.h"
#include "milter/pool.h"
#include "milter/sandbox.h"
#include "milter/spawn.h"
#include "milter/wire.h"
#include "milter/worker.h"

void pc_mi_msg_end(conn *c)
{
	if (c->in_msg)
		atomic_fetch_sub(&pc_mi.inflight, 1);
	c->in_msg = false;
	free(c->from);
	c->from = NULL;
	for (size_t i = 0; i < c->nrcpt; i++)
		free(c->rcpt[i]);
	c->nrcpt = c->rcpt_dropped = 0;
	free(c->buf);
	atomic_fetch_sub(&pc_mi.buffered, c->cap);
	c->buf = NULL;
	c->n = c->cap = c->total = 0;
	c->overflow = false;
	c->overflow_why = NULL;
	for (size_t i = 0; i < c->nforged; i++)
		free(c->forged[i].name);
	c->nforged = 0;
	c->forged_overflow = false;
	c->ar_seen = 0;
}

/* Every step but the end of data goes without a reply when the MTA
 * allows it: one round trip per message instead of one per command. */
#define NR_STEPS                                                                                                       \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

static sfsistat cont(const conn *c, unsigned long step)
{
	return c->nr & step ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

conn *pc_mi_conn(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);
	if (!c && (c = calloc(1, sizeof *c)))
		smfi_setpriv(ctx, c);
	return c;
}

static void overflow(conn *c, const char *why)
{
	c->overflow = true;
	c->overflow_why = why;
	free(c->buf);
	atomic_fetch_sub(&pc_mi.buffered, c->cap);
	c->buf = NULL;
	c->n = c->cap = 0;
}

/* Appends to the message within max_message, and all messages in
 * flight within max_buffered: past either the message is only counted
 * (a fault at the end of data). */
static void append(conn *c, const char *p, size_t n, size_t max)
{
	c->total += n;
	if (c->overflow)
		return;
	if (n > max - c->n || c->total > max) {
		overflow(c, "message over milter.max_message");
		return;
	}
	if (c->n + n > c->cap) {
		size_t cap = c->cap ? c->cap : 16384;
		while (cap < c->n + n)
			cap = cap > max / 2 ? max : cap * 2;
		size_t more = cap - c->cap;
		if (atomic_fetch_add(&pc_mi.buffered, more) + more > pc_mi_current().max_buffered) {
			atomic_fetch_sub(&pc_mi.buffered, more);
			overflow(c, "messages in flight over milter.max_buffered");
			return;
		}
		char *b = realloc(c->buf, cap);
		if (!b) {
			atomic_fetch_sub(&pc_mi.buffered, more);
			overflow(c, "out of memory buffering the message");
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->n, p, n);
	c->n += n;
}

/* An envelope address longer than this is cut (RFC 5321 paths are at most
 * 256 octets): a request to a worker holds 1,000 of them beside the
 * message, within the worker's bound (worker.c). */
#define ADDR_MAX 1024

static char *cap_addr(char *a)
{
	if (a && strlen(a) > ADDR_MAX)
		a[ADDR_MAX] = '\0';
	return a;
}

/* "<a@b>" -> "a@b" (malloc'd): the '>' that ends it is the first one
 * outside a quoted local part ("a>b"@x is one address). */
static char *addr_of_raw(const char *s);
static char *addr_of(const char *s)
{
	return cap_addr(addr_of_raw(s));
}

static char *addr_of_raw(const char *s)
{
	if (!s)
		return strdup("");
	while (*s == ' ')
		s++;
	if (*s == '<') {
		bool q = false;
		for (const char *p = s + 1; *p; p++) {
			if (q && *p == '\\' && p[1])
				p++;
			else if (*p == '"')
				q = !q;
			else if (!q && *p == '>')
				return strndup(s + 1, (size_t)(p - s - 1));
		}
	}
	const char *sp = strchr(s, ' '); /* ESMTP parameters after the address */
	return strndup(s, sp ? (size_t)(sp - s) : strlen(s));
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2, unsigned long f3,
                             unsigned long *pf0, unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE);
	/* the exact header bytes (DKIM verification needs them), and no
	 * round trip per header line or body chunk */
	/* No reply to any step but the end of data: one round trip per
	 * message. (Over TCP, Postfix's writes without a reply between them
	 * wait for our delayed ACK, about 40 ms per message whatever we
	 * negotiate — measured; a unix socket has no such delay: README.) */
	unsigned long nr = NR_STEPS;
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | nr | SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = *pf3 = 0;
	c->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
	c->nr = f1 & nr;
	return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	free(c->clname);
	c->clname = host ? strdup(host) : NULL;
	c->client[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, c->client, sizeof c->client);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, c->client, sizeof c->client);
	pc_mi_count_connection();
	return cont(c, SMFIP_NR_CONN);
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	free(c->helo);
	c->helo = helo ? strndup(helo, 255) : NULL;
	return cont(c, SMFIP_NR_HELO);
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	pc_mi_msg_end(c);
	c->failed = false;
	/* while draining a new message is refused at its end (the step may
	 * not answer): it never counts as in flight */
	c->refused = atomic_load(&pc_mi.draining);
	if (!c->refused) {
		c->in_msg = true;
		atomic_fetch_add(&pc_mi.inflight, 1);
	}
	c->from = addr_of(argv ? argv[0] : NULL);
	c->failed = !c->from;
	return cont(c, SMFIP_NR_MAIL);
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	if (c->nrcpt == PC_MI_MAX_RCPT)
		c->rcpt_dropped++;
	else if ((c->rcpt[c->nrcpt] = addr_of(argv ? argv[0] : NULL)))
		c->nrcpt++;
	else
		c->failed = true;
	return cont(c, SMFIP_NR_RCPT);
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	settings st = pc_mi_current();
	size_t max = st.max_message;
	size_t nl0 = strlen(name);
	bool ar = !strcasecmp(name, "Authentication-Results");
	c->ar_seen += ar;
	if (pc_hdr_forged(name, nl0, value ? value : "", value ? strlen(value) : 0, st.authserv_id)) {
		unsigned idx = 1;
		if (ar)
			idx = c->ar_seen;
		else /* every X-Portcullis-* field is forged: count the earlier ones */
			for (size_t i = 0; i < c->nforged; i++)
				idx += !strcasecmp(c->forged[i].name, name);
		if (c->nforged == sizeof c->forged / sizeof c->forged[0] ||
		    !(c->forged[c->nforged].name = strdup(name)))
			c->forged_overflow = true;
		else
			c->forged[c->nforged++].idx = idx;
	}
	append(c, name, nl0, max);
	append(c, ":", 1, max);
	if (!c->leadspc)
		append(c, " ", 1, max);
	/* the MTA folds with a bare LF: the message we scan uses CRLF */
	for (const char *p = value; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l && p[l - 1] == '\r')
			l--;
		append(c, p, l, max);
		if (!nl)
			break;
		append(c, "\r\n", 2, max);
		p = nl + 1;
	}
	append(c, "\r\n", 2, max);
	return cont(c, SMFIP_NR_HDR);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	append(c, "\r\n", 2, pc_mi_current().max_message);
	return cont(c, SMFIP_NR_EOH);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	append(c, (const char *)chunk, len, pc_mi_current().max_message);
	return cont(c, SMFIP_NR_BODY);
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);
	if (c)
		pc_mi_msg_end(c);
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);
	if (c) {
		pc_mi_msg_end(c);
		free(c->clname);
		free(c->helo);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc pc_mi_callbacks(void)
{
	struct smfiDesc desc = {
	    .xxfi_name = "portcullis",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE,
	    .xxfi_connect = cb_connect,
	    .xxfi_helo = cb_helo,
	    .xxfi_envfrom = cb_envfrom,
	    .xxfi_envrcpt = cb_envrcpt,
	    .xxfi_header = cb_header,
	    .xxfi_eoh = cb_eoh,
	    .xxfi_body = cb_body,
	    .xxfi_eom = pc_mi_eom,
	    .xxfi_abort = cb_abort,
	    .xxfi_close = cb_close,
	    .xxfi_negotiate = cb_negotiate,
	};
	return desc;
}
