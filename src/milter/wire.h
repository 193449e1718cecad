/*
 * NAME
 *   wire - the frames the milter front end and its scanning workers exchange
 * SYNOPSIS
 *   pc_wbuf b = {0};
 *   pc_wire_put(&b, PC_W_RCPT, "a@example.org", 13);  ...
 *   pc_wire_send(fd, &b, deadline_ms);                   // one frame
 *   pc_wire_recv(fd, &b, max, deadline_ms);              // the next frame
 *   pc_wire_rec r; size_t off = 0;
 *   while (pc_wire_next(&b, &off, &r) == 1) ... r.type, r.data, r.len ...
 * DESCRIPTION
 *   A frame is a 4-byte big-endian length and that many bytes of records;
 *   a record is a type byte, a 4-byte big-endian length and the data.
 *   Both ends are our own processes, but a worker has just parsed hostile
 *   mail and may be damaged, so the front end checks every length against
 *   the frame and the frame against a maximum before it trusts anything,
 *   and a malformed frame is a fault of that worker, never of the daemon.
 *   send/recv handle EINTR and short transfers, never raise SIGPIPE, and
 *   give up at the deadline (CLOCK_MONOTONIC milliseconds; 0 = none).
 */
#ifndef PC_MILTER_WIRE_H
#define PC_MILTER_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* request: front end -> worker */
#define PC_W_REF 'R'     /* our reference id */
#define PC_W_QUEUEID 'q' /* the MTA's queue id */
#define PC_W_CLIENT 'c'  /* client IP */
#define PC_W_CLNAME 'n'  /* client host name */
#define PC_W_HELO 'h'
#define PC_W_FROM 'f'    /* MAIL FROM without <>; empty: null sender */
#define PC_W_RCPT 'r'    /* one per RCPT TO */
#define PC_W_MSG 'm'     /* the message: header, blank line, body */
#define PC_W_DROPPED 'T' /* decimal: RCPT TOs beyond the ones sent */
/* reply: worker -> front end */
#define PC_W_ACTION 'A'  /* accept | neutralise | quarantine | hold | reject | limit | fault */
#define PC_W_SCORE 'S'   /* decimal */
#define PC_W_VERDICT 'V' /* the scan's verdict name */
#define PC_W_REASONS 'W' /* detectors that made the verdict, comma-separated */
#define PC_W_CAMPAIGN 'C'
#define PC_W_ERROR 'E'  /* what went wrong (fault) */
#define PC_W_HDEL 'd'   /* "name\0index": delete the index-th (1-based) field of that name */
#define PC_W_HCHG 'x'   /* "name\0index\0value": replace its value */
#define PC_W_HADD 'a'   /* "name\0value": insert at the top (in record order) */
#define PC_W_BODY 'b'   /* the new body */
#define PC_W_DETAIL 'D' /* a line of detail for the log (the summary of the top finding) */
#define PC_W_META 'M'   /* quarantine / hold: the metadata (JSON) the front end stores with the message */
#define PC_W_LIMIT 'L'  /* action limit: which budget the scan ran out of (cpu, memory) */
#define PC_W_CPU 'U'    /* decimal: the worker's CPU time so far, in ms (after this request) */
#define PC_W_SCANUS 'u' /* decimal: microseconds the worker spent on this request (metrics) */
#define PC_W_DBERR 'e'  /* decimal: store operations that failed during its scan (metrics) */
#define PC_W_DKEY 'k'   /* the delivery's key (core/msg.h): a quarantined retry is kept once */
/* "1": after this answer the worker checkpoints its store (pc_store_idle):
 * another worker, if one is idle, should have the next message */
#define PC_W_AFTER 'z'
/* the worker's first frame, once it is confined and can scan */
#define PC_W_READY 'Y'

typedef struct pc_wbuf {
	unsigned char *p;
	size_t n, cap;
	int err; /* sticky: out of memory or over the maximum */
} pc_wbuf;

typedef struct pc_wire_rec {
	unsigned char type;
	const char *data;
	size_t len;
} pc_wire_rec;

#define PC_WIRE_HDR 4
#define PC_WIRE_REC 5

void pc_wbuf_reset(pc_wbuf *b);
void pc_wbuf_free(pc_wbuf *b);
/* Appends one record; sets b->err on failure (checked by send). */
void pc_wire_put(pc_wbuf *b, unsigned char type, const void *data, size_t len);
void pc_wire_puts(pc_wbuf *b, unsigned char type, const char *s); /* NULL: nothing */
/* Appends up to three NUL-separated strings as one record. */
void pc_wire_put3(pc_wbuf *b, unsigned char type, const char *a, const char *bs, const char *c);
/* Frames and writes the records in b. 0, or -1 (errno; ETIMEDOUT). */
int pc_wire_send(int fd, pc_wbuf *b, long long deadline_ms);
/* Reads one frame into b (replacing its records). 0; 1 at a clean end
 * of stream before a frame; -1 on error, over max, or a truncated frame
 * (errno; ETIMEDOUT, EPROTO, EMSGSIZE). */
int pc_wire_recv(int fd, pc_wbuf *b, size_t max, long long deadline_ms);
/* The record at *off: 1 and *r, 0 at the end, -1 when a length points
 * past the frame. */
int pc_wire_next(const pc_wbuf *b, size_t *off, pc_wire_rec *r);
/* Splits "a\0b\0c" of a record into at most n strings (copied into buf,
 * NUL-terminated); the number found, -1 when it does not fit or a part
 * holds a NUL it should not. */
int pc_wire_split(const pc_wire_rec *r, char *buf, size_t buflen, const char **parts, int n);
/* A record holding a decimal number: 0 and *v, or -1 when it is empty,
 * holds anything but digits, or is over max (nothing is assumed about
 * what a worker sends). */
int pc_wire_uint(const pc_wire_rec *r, unsigned long long max, unsigned long long *v);
long long pc_wire_now_ms(void);
/* CLOCK_MONOTONIC now + ms, for pthread_cond_timedwait on a condition
 * that uses that clock. */
struct timespec;
void pc_wire_deadline_ts(long long ms, struct timespec *ts);

#endif
