/*
 * NAME
 *   pool - start, use, replace and stop scanning worker processes
 * DESCRIPTION
 *   See pool.h. One mutex guards the slots; no I/O happens under it except
 *   starting a worker (posix_spawn, about a millisecond). With
 *   pc_pool_procs the starts, kills and waits go to its functions instead
 *   of posix_spawn, kill and waitpid; nothing else differs.
 */
#define _GNU_SOURCE
#include "milter/pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "milter/spawn.h"

extern char **environ;

enum { SLOT_EMPTY, SLOT_IDLE, SLOT_BUSY };

/* how long a worker may take to become ready outside a request */
#define START_MS 30000

/* A process's CPU time (user + system) in ms from /proc/PID/stat, 0 when
 * it cannot be read. */
static unsigned long long cpu_ms_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after the command name, which may hold spaces and parentheses:
	 * state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	const char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long ut = 0, st = 0;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return (ut + st) * 1000ULL / (unsigned long long)(hz > 0 ? hz : 100);
}

typedef struct slot {
	int state;
	pid_t pid;
	int fd;
	unsigned gen;
	unsigned long long cpu_ms; /* the worker's CPU time at its last answer (PC_W_CPU) */
	long long after_until;     /* PC_W_AFTER: busy with its store after answering until about then */
} slot;

struct pc_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	slot *s;
	unsigned n;
	unsigned gen;
	char **argv; /* of generation `gen` */
	pc_pool_procs procs;
	bool has_procs;
	/* pc_pool_stats_of */
	_Atomic unsigned long long replaced[PC_POOL_R_N];
	_Atomic unsigned long long start_failed;
};

static void argv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **argv_dup(char *const *argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **v = calloc(n + 1, sizeof *v);
	for (size_t i = 0; v && i < n; i++)
		if (!(v[i] = strdup(argv[i]))) {
			argv_free(v);
			return NULL;
		}
	return v;
}

static void reap(const pc_pool *p, slot *s, bool kill_it, char *how, size_t howlen, int *sig);

/* A started worker says it is ready (PC_W_READY) once it has opened what
 * it scans with and is confined: one that ends or says nothing before the
 * deadline did not start, which is the daemon's trouble (a list gone, the
 * store unreadable), not a message's. 0, or -1 with err (the worker is
 * reaped). */
static int await_ready(const pc_pool *p, slot *s, long long deadline, char *err, size_t errlen)
{
	pc_wbuf b = {0};
	int rc = pc_wire_recv(s->fd, &b, 4096, deadline);
	size_t off = 0;
	pc_wire_rec r;
	bool ok = rc == 0 && pc_wire_next(&b, &off, &r) == 1 && r.type == PC_W_READY;
	int e = errno;
	pc_wbuf_free(&b);
	if (ok)
		return 0;
	char how[64] = "";
	reap(p, s, true, how, sizeof how, NULL);
	snprintf(err, errlen, "a worker did not start (%s)",
	         how[0]    ? how
	         : rc == 1 ? "closed"
	         : rc < 0  ? strerror(e)
	                   : "no ready frame");
	return -1;
}

/* Starts a worker into s and waits for it to be ready: 0, or -1 with err. */
static int spawn(const pc_pool *p, slot *s, char *const *argv, unsigned gen, long long deadline, char *err,
                 size_t errlen)
{
	s->cpu_ms = 0;
	s->after_until = 0;
	if (p->has_procs) {
		pid_t pid;
		int fd;
		if (p->procs.start(p->procs.ctx, &pid, &fd, err, errlen) != 0)
			return -1;
		s->pid = pid;
		s->fd = fd;
		s->gen = gen;
		return await_ready(p, s, deadline, err, errlen);
	}
	int fd, e = 0;
	pid_t pid = pc_spawn_on_socket(argv, &fd, &e);
	if (pid < 0) {
		snprintf(err, errlen, "cannot start a worker (%s): %s", argv[0], strerror(e));
		return -1;
	}
	s->pid = pid;
	s->fd = fd;
	s->gen = gen;
	return await_ready(p, s, deadline, err, errlen);
}

/* What became of a worker that was killed or died: "signal 11", and
 * the signal (0 when it exited) in *sig. */
static void reap(const pc_pool *p, slot *s, bool kill_it, char *how, size_t howlen, int *sig)
{
	if (sig)
		*sig = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->pid <= 0)
		return;
	int st = 0;
	pid_t r;
	if (p->has_procs) {
		if (kill_it)
			p->procs.kill(p->procs.ctx, s->pid);
		/* the supervisor reaps it at once; 10 s only if it is gone */
		r = p->procs.wait(p->procs.ctx, s->pid, &st, pc_wire_now_ms() + 10000) == 0 ? s->pid : -1;
	} else {
		if (kill_it)
			kill(s->pid, SIGKILL);
		while ((r = waitpid(s->pid, &st, 0)) < 0 && errno == EINTR)
			;
	}
	if (how && r == s->pid) {
		if (WIFSIGNALED(st)) {
			snprintf(how, howlen, "signal %d", WTERMSIG(st));
			if (sig)
				*sig = WTERMSIG(st);
		} else if (WIFEXITED(st))
			snprintf(how, howlen, "exit %d", WEXITSTATUS(st));
	}
	s->pid = 0;
}

/* Starts a worker of the current command into s (whose old worker, if
 * any, is gone): 0, or -1 with err. The command is copied under the lock
 * and started outside it. */
static int respawn(pc_pool *p, slot *s, long long deadline, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	char **argv = argv_dup(p->argv);
	unsigned gen = p->gen;
	pthread_mutex_unlock(&p->mu);
	if (!argv) {
		snprintf(err, errlen, "out of memory starting a worker");
		return -1;
	}
	int rc = spawn(p, s, argv, gen, deadline, err, errlen);
	argv_free(argv);
	if (rc != 0)
		atomic_fetch_add(&p->start_failed, 1);
	return rc;
}

pc_pool *pc_pool_new(unsigned n, char *const *argv, char *err, size_t errlen)
{
	return pc_pool_new_with(n, argv, NULL, err, errlen);
}

pc_pool *pc_pool_new_with(unsigned n, char *const *argv, const pc_pool_procs *procs, char *err, size_t errlen)
{
	pc_pool *p = calloc(1, sizeof *p);
	if (!p || !(p->s = calloc(n ? n : 1, sizeof *p->s)) || !(p->argv = argv_dup(argv))) {
		snprintf(err, errlen, "out of memory");
		if (p)
			free(p->s);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	p->n = n ? n : 1;
	if (procs) {
		p->procs = *procs;
		p->has_procs = true;
	}
	for (unsigned i = 0; i < p->n; i++)
		p->s[i].fd = -1;
	for (unsigned i = 0; i < p->n; i++) {
		if (spawn(p, &p->s[i], p->argv, 0, pc_wire_now_ms() + START_MS, err, errlen) != 0) {
			pc_pool_free(p);
			return NULL;
		}
		p->s[i].state = SLOT_IDLE;
	}
	return p;
}

/* A slot for this request, BUSY, with a live worker of the current
 * command; NULL at the deadline or when no worker could be started
 * (*st and why say which). */
static slot *acquire(pc_pool *p, long long deadline, pc_pool_status *st, char *why, size_t whylen)
{
	pthread_mutex_lock(&p->mu);
	for (;;) {
		slot *pick = NULL, *fresh = NULL, *later = NULL;
		long long now = pc_wire_now_ms();
		for (unsigned i = 0; i < p->n && !pick; i++) {
			slot *s = &p->s[i];
			if (s->state == SLOT_IDLE && s->gen == p->gen) {
				/* one checkpointing after its answer: only if no other is free */
				if (s->after_until > now) {
					if (!later)
						later = s;
				} else
					pick = s;
			} else if (!fresh && (s->state == SLOT_EMPTY || (s->state == SLOT_IDLE && s->gen != p->gen)))
				fresh = s;
		}
		/* a live worker, even one checkpointing, before starting one */
		if (!pick)
			pick = later;
		if (pick) {
			pick->state = SLOT_BUSY;
			pthread_mutex_unlock(&p->mu);
			return pick;
		}
		if (fresh) {
			if (fresh->state == SLOT_IDLE)
				atomic_fetch_add(&p->replaced[PC_POOL_R_RELOAD], 1);
			fresh->state = SLOT_BUSY;
			pthread_mutex_unlock(&p->mu);
			reap(p, fresh, true, NULL, 0, NULL); /* an old command's idle worker, or nothing */
			if (respawn(p, fresh, deadline, why, whylen) == 0)
				return fresh;
			*st = PC_POOL_NOSTART;
			pthread_mutex_lock(&p->mu);
			fresh->state = SLOT_EMPTY;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		long long left = deadline - pc_wire_now_ms();
		if (left <= 0) {
			pthread_mutex_unlock(&p->mu);
			snprintf(why, whylen, "no worker free before the timeout");
			*st = PC_POOL_BUSY;
			return NULL;
		}
		struct timespec ts;
		pc_wire_deadline_ts(left, &ts);
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
}

static void release(pc_pool *p, slot *s, int state)
{
	pthread_mutex_lock(&p->mu);
	s->state = state;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

pc_pool_status pc_pool_run(pc_pool *p, pc_wbuf *req, pc_wbuf *rep, unsigned timeout_ms, size_t max_reply, int *sig,
                           char *why, size_t whylen)
{
	if (sig)
		*sig = 0;
	long long deadline = pc_wire_now_ms() + (timeout_ms ? timeout_ms : 1);
	pc_pool_status st = PC_POOL_BUSY;
	slot *s = acquire(p, deadline, &st, why, whylen);
	if (!s)
		return st;
	/* an idle worker has nothing to say: readable or hung up means it
	 * died between messages (killed by an admin, the OOM killer): start
	 * another for this message instead of failing it */
	struct pollfd pf = {s->fd, POLLIN, 0};
	if (poll(&pf, 1, 0) != 0) {
		char how[64] = "";
		atomic_fetch_add(&p->replaced[PC_POOL_R_IDLE], 1);
		reap(p, s, true, how, sizeof how, NULL);
		if (respawn(p, s, deadline, why, whylen) != 0) {
			release(p, s, SLOT_EMPTY);
			return PC_POOL_NOSTART;
		}
		fprintf(stderr, "portcullis: an idle worker had ended (%s); replaced\n", how[0] ? how : "closed");
	}
	const char *stage = "sending the message";
	int rc = pc_wire_send(s->fd, req, deadline);
	if (rc == 0) {
		stage = "scanning";
		rc = pc_wire_recv(s->fd, rep, max_reply, deadline);
		if (rc == 1) { /* end of stream: it died */
			rc = -1;
			errno = EPIPE;
		}
	}
	if (rc == 0) {
		size_t off = 0;
		pc_wire_rec r;
		int k;
		s->after_until = 0;
		while ((k = pc_wire_next(rep, &off, &r)) == 1)
			if (r.type == PC_W_AFTER)
				s->after_until = pc_wire_now_ms() + PC_POOL_AFTER_MS;
			else if (r.type == PC_W_CPU) {
				char num[24];
				size_t l = r.len < sizeof num - 1 ? r.len : sizeof num - 1;
				memcpy(num, r.data, l);
				num[l] = '\0';
				s->cpu_ms = strtoull(num, NULL, 10);
			}
		if (k == 0) {
			release(p, s, SLOT_IDLE);
			return PC_POOL_OK;
		}
		errno = EPROTO;
	}
	int e = errno;
	char how[64] = "";
	/* before it is killed: how much of the time it spent on the CPU */
	unsigned long long used = e == ETIMEDOUT ? cpu_ms_of(s->pid) : 0;
	used = used > s->cpu_ms ? used - s->cpu_ms : 0;
	reap(p, s, true, how, sizeof how, sig);
	if (e == ETIMEDOUT) {
		bool busy = used * 2 >= (timeout_ms ? timeout_ms : 1);
		snprintf(why, whylen,
		         "timeout: no answer within %u ms while %s, %llu ms of them on the CPU (worker killed)",
		         timeout_ms, stage, used);
		st = busy ? PC_POOL_SLOW : PC_POOL_TIMEOUT;
	} else if (e == EPROTO || e == EMSGSIZE) {
		snprintf(why, whylen, "malformed answer from the worker (%s; worker killed)", strerror(e));
		st = PC_POOL_MALFORMED;
	} else {
		snprintf(why, whylen, "worker died while %s (%s)", stage, how[0] ? how : strerror(e));
		st = PC_POOL_DIED;
	}
	atomic_fetch_add(&p->replaced[st == PC_POOL_SLOW        ? PC_POOL_R_CPU
	                              : st == PC_POOL_TIMEOUT   ? PC_POOL_R_TIMEOUT
	                              : st == PC_POOL_MALFORMED ? PC_POOL_R_MALFORMED
	                                                        : PC_POOL_R_DIED],
	                 1);
	/* replace it now, so the next message finds a ready worker */
	char err[256];
	int ok = respawn(p, s, pc_wire_now_ms() + START_MS, err, sizeof err) == 0;
	if (!ok)
		fprintf(stderr, "portcullis: %s\n", err);
	release(p, s, ok ? SLOT_IDLE : SLOT_EMPTY);
	return st;
}

int pc_pool_reload(pc_pool *p, char *const *argv)
{
	char **v = argv_dup(argv);
	if (!v)
		return -1;
	pthread_mutex_lock(&p->mu);
	argv_free(p->argv);
	p->argv = v;
	p->gen++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void pc_pool_stats_of(pc_pool *p, pc_pool_stats *st)
{
	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&p->mu);
	for (unsigned i = 0; i < p->n; i++) {
		st->idle += p->s[i].state == SLOT_IDLE;
		st->busy += p->s[i].state == SLOT_BUSY;
	}
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < PC_POOL_R_N; i++)
		st->replaced[i] = atomic_load(&p->replaced[i]);
	st->start_failed = atomic_load(&p->start_failed);
}

void pc_pool_free(pc_pool *p)
{
	if (!p)
		return;
	/* close every socket first: each worker ends at its end of stream;
	 * those still alive after 5 s are killed */
	for (unsigned i = 0; i < p->n; i++)
		if (p->s[i].fd >= 0) {
			close(p->s[i].fd);
			p->s[i].fd = -1;
		}
	long long until = pc_wire_now_ms() + 5000;
	for (unsigned i = 0; i < p->n; i++) {
		slot *s = &p->s[i];
		if (s->pid > 0 && p->has_procs) {
			int st;
			if (p->procs.wait(p->procs.ctx, s->pid, &st, until) != 0)
				reap(p, s, true, NULL, 0, NULL);
			s->pid = 0;
			continue;
		}
		while (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == 0 && pc_wire_now_ms() < until)
			usleep(10000);
		if (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == 0)
			reap(p, s, true, NULL, 0, NULL);
		s->pid = 0;
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	argv_free(p->argv);
	free(p->s);
	free(p);
}
