/*
 * NAME
 *   wire - length-checked frames between the milter and its workers
 * DESCRIPTION
 *   See wire.h. Every length read is checked against what is left of the
 *   frame before use; nothing here trusts the peer.
 */
#include "milter/wire.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WIRE_MAX_FRAME ((size_t)1 << 31)

long long pc_wire_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pc_wire_deadline_ts(long long ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void pc_wbuf_reset(pc_wbuf *b)
{
	b->n = 0;
	b->err = 0;
}

void pc_wbuf_free(pc_wbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
	b->err = 0;
}

static int reserve(pc_wbuf *b, size_t more)
{
	if (b->err)
		return -1;
	if (more > WIRE_MAX_FRAME - b->n) {
		b->err = EMSGSIZE;
		return -1;
	}
	if (b->n + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->n + more)
		cap = cap > WIRE_MAX_FRAME / 2 ? WIRE_MAX_FRAME : cap * 2;
	unsigned char *p = realloc(b->p, cap);
	if (!p) {
		b->err = ENOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void pc_wire_put(pc_wbuf *b, unsigned char type, const void *data, size_t len)
{
	if (len > UINT32_MAX - PC_WIRE_REC) {
		b->err = EMSGSIZE;
		return;
	}
	if (b->n == 0 && reserve(b, PC_WIRE_HDR) == 0)
		b->n = PC_WIRE_HDR; /* room for the frame length, filled by send */
	if (reserve(b, PC_WIRE_REC + len) != 0)
		return;
	b->p[b->n] = type;
	be32(b->p + b->n + 1, (uint32_t)len);
	if (len)
		memcpy(b->p + b->n + PC_WIRE_REC, data, len);
	b->n += PC_WIRE_REC + len;
}

void pc_wire_puts(pc_wbuf *b, unsigned char type, const char *s)
{
	if (s)
		pc_wire_put(b, type, s, strlen(s));
}

void pc_wire_put3(pc_wbuf *b, unsigned char type, const char *a, const char *bs, const char *c)
{
	const char *s[3] = {a, bs, c};
	size_t l[3] = {0, 0, 0}, total = 0;
	int k = 0;
	for (; k < 3 && s[k]; k++) {
		l[k] = strlen(s[k]);
		total += l[k] + (k ? 1 : 0);
	}
	if (b->n == 0 && reserve(b, PC_WIRE_HDR) == 0)
		b->n = PC_WIRE_HDR;
	if (total > UINT32_MAX - PC_WIRE_REC || reserve(b, PC_WIRE_REC + total) != 0) {
		b->err = b->err ? b->err : EMSGSIZE;
		return;
	}
	b->p[b->n] = type;
	be32(b->p + b->n + 1, (uint32_t)total);
	size_t o = b->n + PC_WIRE_REC;
	for (int i = 0; i < k; i++) {
		if (i)
			b->p[o++] = '\0';
		memcpy(b->p + o, s[i], l[i]);
		o += l[i];
	}
	b->n = o;
}

/* Waits for fd to be ready for `ev` until the deadline: 0, or -1. */
static int wait_fd(int fd, short ev, long long deadline_ms)
{
	for (;;) {
		int tmo = -1;
		if (deadline_ms) {
			long long left = deadline_ms - pc_wire_now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			tmo = left > 60000 ? 60000 : (int)left;
		}
		struct pollfd p = {fd, ev, 0};
		int r = poll(&p, 1, tmo);
		if (r > 0)
			return 0; /* readable, writable, or an error the next call reports */
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

int pc_wire_send(int fd, pc_wbuf *b, long long deadline_ms)
{
	if (b->err) {
		errno = b->err;
		return -1;
	}
	if (b->n == 0 && reserve(b, PC_WIRE_HDR) == 0)
		b->n = PC_WIRE_HDR; /* an empty frame */
	if (b->err) {
		errno = b->err;
		return -1;
	}
	be32(b->p, (uint32_t)(b->n - PC_WIRE_HDR));
	size_t off = 0;
	while (off < b->n) {
		if (wait_fd(fd, POLLOUT, deadline_ms) != 0)
			return -1;
		ssize_t w = send(fd, b->p + off, b->n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes: 0; 1 at end of stream before any byte; -1. */
static int read_full(int fd, unsigned char *p, size_t n, long long deadline_ms)
{
	size_t off = 0;
	while (off < n) {
		if (wait_fd(fd, POLLIN, deadline_ms) != 0)
			return -1;
		ssize_t r = recv(fd, p + off, n - off, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (r == 0) {
			if (off == 0)
				return 1;
			errno = EPROTO; /* truncated */
			return -1;
		}
		off += (size_t)r;
	}
	return 0;
}

int pc_wire_recv(int fd, pc_wbuf *b, size_t max, long long deadline_ms)
{
	unsigned char h[PC_WIRE_HDR];
	pc_wbuf_reset(b);
	int r = read_full(fd, h, sizeof h, deadline_ms);
	if (r != 0)
		return r;
	size_t len = rd32(h);
	if (len > max || len > WIRE_MAX_FRAME - PC_WIRE_HDR) {
		errno = EMSGSIZE;
		return -1;
	}
	if (reserve(b, PC_WIRE_HDR + len) != 0) {
		errno = b->err;
		return -1;
	}
	memcpy(b->p, h, sizeof h);
	r = read_full(fd, b->p + PC_WIRE_HDR, len, deadline_ms);
	if (r != 0) {
		if (r == 1)
			errno = EPROTO;
		return -1;
	}
	b->n = PC_WIRE_HDR + len;
	return 0;
}

int pc_wire_next(const pc_wbuf *b, size_t *off, pc_wire_rec *r)
{
	size_t o = *off < PC_WIRE_HDR ? PC_WIRE_HDR : *off;
	if (o >= b->n)
		return 0;
	if (b->n - o < PC_WIRE_REC)
		return -1;
	size_t len = rd32(b->p + o + 1);
	if (len > b->n - o - PC_WIRE_REC)
		return -1;
	r->type = b->p[o];
	r->data = (const char *)b->p + o + PC_WIRE_REC;
	r->len = len;
	*off = o + PC_WIRE_REC + len;
	return 1;
}

int pc_wire_split(const pc_wire_rec *r, char *buf, size_t buflen, const char **parts, int n)
{
	if (n < 1 || r->len >= buflen)
		return -1;
	memcpy(buf, r->data, r->len);
	buf[r->len] = '\0';
	int k = 0;
	char *p = buf, *end = buf + r->len;
	while (k < n - 1) {
		char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z)
			break;
		parts[k++] = p;
		p = z + 1;
	}
	if (memchr(p, '\0', (size_t)(end - p)))
		return -1; /* a NUL in the last part */
	parts[k++] = p;
	return k;
}

int pc_wire_uint(const pc_wire_rec *r, unsigned long long max, unsigned long long *v)
{
	unsigned long long n = 0;
	if (r->len == 0 || r->len > 20)
		return -1;
	for (size_t i = 0; i < r->len; i++) {
		unsigned d = (unsigned char)r->data[i] - (unsigned)'0';
		if (d > 9 || d > max || n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}
