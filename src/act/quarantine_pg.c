/*
 * NAME
 *   quarantine_pg - the quarantine kept in the shared store (see quarantine_pg.h)
 * DESCRIPTION
 *   The rows and their durability are store/pg_quarantine.c's; this file
 *   is the connections: a thread holds one during a call, or while it
 *   holds a QID lock (a __thread pointer, with a pthread key whose
 *   destructor hands it back when the thread ends), then gives it back to
 *   the pool; at most BUSY_MAX are in use per process (a caller beyond
 *   waits up to the timeout), so SMTP sessions kept open by a sender
 *   cannot hold the server's connection slots; the probe of an idle
 *   connection and the second after a failed connection attempt. Settings and pool are under one
 *   mutex; a connection is only ever used by the thread holding it.
 *   A listing reads a page at a time (QID order, keyset: no cursor stays
 *   open) and calls the caller back only after the page is read and
 *   copied, so a callback may itself use the quarantine.
 */
#define _GNU_SOURCE
#include "act/quarantine_pg.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

#define POOL_MAX 8     /* idle connections kept for threads to come */
#define BUSY_MAX 16    /* connections in use at once (a call, or a QID lock held) */
#define PROBE_MS 10000 /* a connection idle longer is probed before use */
#define DOWN_MS 1000   /* after a failed connection attempt, calls fail at once for this long */
#define PAGE 500       /* entries per listing query */

typedef struct qconn {
	pc_store *st;
	char *dir;
	unsigned gen; /* the settings it was opened with */
	long long used_ms;
	int nlocks; /* QIDs this session has locked */
	struct qconn *next;
} qconn;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* under mu: */
static char *password_file;
static unsigned timeout_ms;
static unsigned gen;
static qconn *pool;
static size_t npool;
static size_t nbusy; /* connections some thread holds */
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static char *down_dir;
static long long down_until;
static char down_why[512];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static __thread qconn *mine;

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void qconn_free(qconn *q)
{
	if (!q)
		return;
	pc_store_close(q->st);
	free(q->dir);
	free(q);
}

/* The thread ends: its connection to the pool, unless it holds a lock
 * (another thread must not inherit it) or is of older settings. */
static void thread_end(void *p)
{
	qconn *q = p;
	if (q == mine)
		mine = NULL;
	pthread_mutex_lock(&mu);
	bool keep = q->nlocks == 0 && q->gen == gen;
	qconn *old = NULL;
	if (keep) {
		if (npool >= POOL_MAX) { /* the pool is full: its oldest goes */
			qconn **pp = &pool;
			while ((*pp)->next)
				pp = &(*pp)->next;
			old = *pp;
			*pp = NULL;
			npool--;
		}
		q->next = pool;
		pool = q;
		npool++;
	}
	if (nbusy)
		nbusy--;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&mu);
	qconn_free(old);
	if (!keep)
		qconn_free(q);
}

/* A call is over: the thread's connection goes back to the pool unless
 * it holds a QID lock. Connections are held only during calls and locks,
 * never for an MTA session's life: a sender keeping many SMTP sessions
 * open cannot take the server's connection slots (at most BUSY_MAX per
 * process, then callers wait up to the timeout). */
static void done(void)
{
	qconn *q = mine;
	if (!q || q->nlocks)
		return;
	mine = NULL;
	pthread_setspecific(key, NULL);
	thread_end(q);
}

/* The process ends (exit, in the thread calling it): say goodbye to
 * the server rather than drop the sockets. */
static void process_end(void)
{
	qconn *q = mine;
	mine = NULL;
	qconn_free(q);
	pthread_mutex_lock(&mu);
	qconn *p = pool;
	pool = NULL;
	npool = 0;
	pthread_mutex_unlock(&mu);
	while (p) {
		qconn *next = p->next;
		qconn_free(p);
		p = next;
	}
}

static void fork_prepare(void)
{
	pthread_mutex_lock(&mu);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&mu);
}

/* The child shares the parent's sockets: it forgets them (closing would
 * end the parent's sessions) */
static void fork_child(void)
{
	mine = NULL;
	pool = NULL;
	npool = 0;
	pthread_mutex_unlock(&mu);
}

static void init(void)
{
	pthread_key_create(&key, thread_end);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	atexit(process_end);
}

void pc_quarantine_pg_settings(const char *pw, unsigned ms)
{
	pthread_once(&once, init);
	if (!pw)
		pw = "";
	pthread_mutex_lock(&mu);
	if (!password_file || strcmp(password_file, pw) || timeout_ms != ms) {
		char *copy = strdup(pw);
		if (copy) {
			free(password_file);
			password_file = copy;
			timeout_ms = ms;
			gen++;
		}
	}
	pthread_mutex_unlock(&mu);
}

/* This thread's connection to dir's store, opened or taken from the
 * pool as needed; NULL with err. */
static pc_store *conn(const char *dir, char *err, size_t errlen)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&mu);
	unsigned g = gen;
	pthread_mutex_unlock(&mu);
	if (mine && (strcmp(mine->dir, dir) || mine->gen != g)) {
		qconn_free(mine);
		mine = NULL;
		pthread_setspecific(key, NULL);
		pthread_mutex_lock(&mu);
		if (nbusy)
			nbusy--;
		pthread_cond_signal(&freed);
		pthread_mutex_unlock(&mu);
	}
	long long now = now_ms();
	if (!mine) {
		qconn *q = NULL, **pp;
		char *pw = NULL;
		unsigned ms = 0;
		pthread_mutex_lock(&mu);
		/* BUSY_MAX in use: wait for one to come back, up to the timeout */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (timeout_ms ? timeout_ms : 10000) / 1000 + 1;
		while (nbusy >= BUSY_MAX)
			if (pthread_cond_timedwait(&freed, &mu, &until) != 0)
				break;
		if (nbusy >= BUSY_MAX) {
			pthread_mutex_unlock(&mu);
			snprintf(err, errlen, "quarantine: all %d connections to the store are in use", BUSY_MAX);
			return NULL;
		}
		nbusy++;
		for (pp = &pool; *pp; pp = &(*pp)->next)
			if ((*pp)->gen == g && !strcmp((*pp)->dir, dir)) {
				q = *pp;
				*pp = q->next;
				npool--;
				break;
			}
		bool down = !q && down_dir && !strcmp(down_dir, dir) && now < down_until;
		if (down)
			snprintf(err, errlen, "%s", down_why);
		else if (!q)
			pw = strdup(password_file ? password_file : "");
		ms = timeout_ms;
		if (down && nbusy)
			nbusy--;
		pthread_mutex_unlock(&mu);
		if (down)
			return NULL;
		if (!q) {
			q = calloc(1, sizeof *q);
			if (!pw || !q || !(q->dir = strdup(dir))) {
				free(pw);
				if (q)
					free(q->dir);
				free(q);
				snprintf(err, errlen, "quarantine: out of memory");
				pthread_mutex_lock(&mu);
				nbusy--;
				pthread_mutex_unlock(&mu);
				return NULL;
			}
			q->gen = g;
			q->st = pc_store_open_with(dir, pw, ms, 0, err, errlen);
			free(pw);
			if (!q->st) {
				pthread_mutex_lock(&mu);
				char *d = strdup(dir);
				if (d) {
					free(down_dir);
					down_dir = d;
					down_until = now_ms() + DOWN_MS;
					snprintf(down_why, sizeof down_why, "%s", err);
				}
				nbusy--;
				pthread_cond_signal(&freed);
				pthread_mutex_unlock(&mu);
				free(q->dir);
				free(q);
				return NULL;
			}
			q->used_ms = now;
		}
		q->next = NULL;
		mine = q;
		pthread_setspecific(key, q);
	}
	/* dropped by the server or a firewall while idle: found here, and
	 * re-established by the call that follows (store/pg.c) */
	if (now - mine->used_ms > PROBE_MS)
		pc_store_quarantine_ping(mine->st);
	mine->used_ms = now;
	return mine->st;
}

static int store_fail(pc_store *st, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", pc_store_error(st));
	return -1;
}

static int none(const char *dir, const char *qid, char *err, size_t errlen)
{
	char where[300];
	pc_store_where(dir, where, sizeof where);
	snprintf(err, errlen, "%s: quarantine %s: no such quarantined message", where, qid);
	return 1;
}

int pc_quarantine_pg_put(const char *dir, const char *qid, time_t created, const char *bytes, size_t n,
                         const char *meta, const char *dkey, char *existing, size_t existinglen, char *err,
                         size_t errlen)
{
	pc_store *st = conn(dir, err, errlen);
	if (!st)
		return -1;
	int rc = pc_store_quarantine_put(st, qid, created, bytes, n, meta, dkey, existing, existinglen);
	/* a connection the server dropped (a restart, a failover) is found
	 * broken by the first statement and made again by the next call: a
	 * keyed put can be tried once more, it cannot be kept twice */
	if (rc < 0 && dkey && *dkey)
		rc = pc_store_quarantine_put(st, qid, created, bytes, n, meta, dkey, existing, existinglen);
	rc = rc < 0 ? store_fail(st, err, errlen) : rc;
	done();
	return rc;
}

int pc_quarantine_pg_get(const char *dir, const char *qid, char **bytes, size_t *n, char **meta, time_t *created,
                         char *err, size_t errlen)
{
	pc_store *st = conn(dir, err, errlen);
	if (!st)
		return -1;
	int rc = pc_store_quarantine_get(st, qid, bytes, n, meta, created);
	rc = rc < 0 ? store_fail(st, err, errlen) : rc == 0 ? none(dir, qid, err, errlen) : 0;
	done();
	return rc;
}

typedef struct row {
	char qid[PC_QID_MAX];
	char *meta;
} row;

typedef struct page {
	row *rows;
	size_t n;
	bool nomem;
} page;

static int page_add(void *ctx, const pc_qstored *q)
{
	page *p = ctx;
	row *r = &p->rows[p->n];
	if (!pc_quarantine_qid_valid(q->qid))
		return 0; /* put never writes one: not an entry */
	snprintf(r->qid, sizeof r->qid, "%s", q->qid);
	r->meta = NULL;
	if (q->meta && !(r->meta = strdup(q->meta))) {
		p->nomem = true;
		return 1;
	}
	p->n++;
	return 0;
}

int pc_quarantine_pg_list(const char *dir, bool with_meta, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen)
{
	page p = {calloc(PAGE, sizeof *p.rows), 0, false};
	if (!p.rows) {
		snprintf(err, errlen, "quarantine: out of memory");
		return -1;
	}
	char after[PC_QID_MAX] = "";
	int rc = 0;
	bool stop = false;
	while (!stop) {
		pc_store *st = conn(dir, err, errlen); /* a callback may have used another */
		if (!st) {
			rc = -1;
			break;
		}
		p.n = 0;
		size_t seen = 0;
		if (pc_store_quarantine_list(st, after, PAGE, with_meta, page_add, &p) != 0) {
			rc = store_fail(st, err, errlen);
			done();
			break;
		}
		done(); /* before the callbacks, which may use the quarantine */
		if (p.nomem) {
			snprintf(err, errlen, "quarantine: out of memory");
			rc = -1;
		}
		seen = p.n;
		for (size_t i = 0; i < p.n; i++) {
			if (!stop && rc == 0)
				stop = cb(ctx, p.rows[i].qid, p.rows[i].meta) != 0;
			free(p.rows[i].meta);
		}
		if (rc != 0 || seen < PAGE)
			break;
		snprintf(after, sizeof after, "%s", p.rows[seen - 1].qid);
	}
	free(p.rows);
	return rc;
}

int pc_quarantine_pg_remove(const char *dir, const char *qid, char *err, size_t errlen)
{
	pc_store *st = conn(dir, err, errlen);
	if (!st)
		return -1;
	int rc = pc_store_quarantine_remove(st, qid);
	rc = rc < 0 ? store_fail(st, err, errlen) : rc == 0 ? none(dir, qid, err, errlen) : 0;
	done();
	return rc;
}

int pc_quarantine_pg_stamp(const char *dir, long long *stamp, char *err, size_t errlen)
{
	pc_store *st = conn(dir, err, errlen);
	if (!st)
		return -1;
	long long count;
	char max[PC_QID_MAX + 8];
	int got = pc_store_quarantine_stamp(st, &count, max, sizeof max);
	if (got != 0)
		store_fail(st, err, errlen);
	done();
	if (got != 0)
		return -1;
	/* FNV-1a over both */
	uint64_t h = 14695981039346656037ULL;
	char buf[PC_QID_MAX + 40];
	int l = snprintf(buf, sizeof buf, "%lld:%s", count, max);
	for (int i = 0; i < l && (size_t)i < sizeof buf; i++)
		h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
	*stamp = (long long)(h >> 1);
	return 0;
}

int pc_quarantine_pg_lock(const char *dir, const char *qid, char *err, size_t errlen)
{
	pc_store *st = conn(dir, err, errlen);
	if (!st)
		return -1;
	int rc = pc_store_quarantine_lock(st, qid);
	if (rc > 0) {
		mine->nlocks++; /* the connection stays this thread's until unlocked */
		return 0;
	}
	rc = rc < 0 ? store_fail(st, err, errlen) : 1;
	done();
	return rc;
}

int pc_quarantine_pg_locked(const char *dir, const char *qid, char *err, size_t errlen)
{
	pc_store *st = conn(dir, err, errlen);
	if (!st)
		return -1;
	int rc = pc_store_quarantine_locked(st, qid);
	rc = rc < 0 ? store_fail(st, err, errlen) : rc;
	done();
	return rc;
}

void pc_quarantine_pg_unlock(const char *dir, const char *qid)
{
	char err[512];
	/* the connection that took it: gone (and the lock with it) when this
	 * thread has changed stores since */
	if (!mine || strcmp(mine->dir, dir))
		return;
	pc_store *st = conn(dir, err, sizeof err);
	if (!st)
		return;
	/* held or already gone with a lost connection: either way this
	 * entry's lock is over */
	pc_store_quarantine_unlock(st, qid);
	if (mine->nlocks > 0)
		mine->nlocks--;
	done();
}
