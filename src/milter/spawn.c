/*
 * NAME
 *   spawn - the supervisor's side and the front end's side of the worker channel
 * DESCRIPTION
 *   See spawn.h. The server is driven by the supervisor's single loop and
 *   never blocks on the channel (MSG_DONTWAIT; a front end that stops
 *   reading loses answers, not the supervisor). The client's reader thread
 *   is the only one that reads the channel; requests are sent by the
 *   calling threads (one message per send: SOCK_SEQPACKET keeps them
 *   whole). Exit statuses nobody has waited for are kept, 256 at most,
 *   the oldest dropped first; one for a pid that starts again (pids are
 *   reused only after the supervisor has reaped, so EXITED comes first)
 *   is dropped when the new STARTED arrives.
 */
#define _GNU_SOURCE
#include "milter/spawn.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "milter/wire.h"

extern char **environ;

enum { OP_START = 1, OP_STARTED, OP_KILL, OP_EXITED };

typedef struct msg {
	uint32_t op;
	uint32_t id;    /* START, STARTED: the request */
	int32_t pid;    /* STARTED, KILL, EXITED */
	int32_t status; /* STARTED: 0 or an errno; EXITED: the wait status */
} msg;

/* One message, and a descriptor with it when fd >= 0. */
static int send_msg(int sock, const msg *m, int fd, int flags)
{
	struct iovec iov = {(void *)m, sizeof *m};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	ssize_t r;
	while ((r = sendmsg(sock, &mh, MSG_NOSIGNAL | flags)) < 0 && errno == EINTR)
		;
	return r == (ssize_t)sizeof *m ? 0 : -1;
}

/* 1 with a message (and *fd: a descriptor that came with it, or -1), 0 at
 * the end of the channel, -1 on error (EAGAIN: nothing waiting). A
 * message of the wrong size is an error. */
static int recv_msg(int sock, msg *m, int *fd, int flags)
{
	*fd = -1;
	struct iovec iov = {m, sizeof *m};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	ssize_t r;
	while ((r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags)) < 0 && errno == EINTR)
		;
	if (r <= 0)
		return (int)r;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
	if (r != (ssize_t)sizeof *m || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EPROTO;
		return -1;
	}
	return 1;
}

/* ---- the supervisor's side ---- */

struct pc_spawn_server {
	int fd;
	char **argv;
	unsigned max;
	pid_t *live;
	unsigned nlive;
};

pc_spawn_server *pc_spawn_server_new(char *const *argv, unsigned max_workers)
{
	pc_spawn_server *s = calloc(1, sizeof *s);
	size_t n = 0;
	while (argv[n])
		n++;
	if (!s || !(s->argv = calloc(n + 1, sizeof *s->argv)) ||
	    !(s->live = calloc(max_workers ? max_workers : 1, sizeof *s->live))) {
		if (s)
			free(s->argv);
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!(s->argv[i] = strdup(argv[i]))) {
			s->fd = -1;
			pc_spawn_server_free(s);
			return NULL;
		}
	s->fd = -1;
	s->max = max_workers ? max_workers : 1;
	return s;
}

void pc_spawn_server_set_fd(pc_spawn_server *s, int fd)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
}

int pc_spawn_server_fd(const pc_spawn_server *s)
{
	return s->fd;
}

unsigned pc_spawn_server_live(const pc_spawn_server *s)
{
	return s->nlive;
}

pid_t pc_spawn_on_socket(char *const *argv, int *ours, int *e)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		*e = errno;
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawnattr_init(&at);
	/* default signal handling, nothing blocked, whatever the calling thread
	 * has (libmilter blocks SIGTERM/HUP; the supervisor blocks the signals
	 * it reads from its signalfd) */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		*e = rc;
		return -1;
	}
	*ours = sv[0];
	return pid;
}

static void serve_start(pc_spawn_server *s, const msg *q)
{
	msg a = {OP_STARTED, q->id, -1, 0};
	int ours = -1;
	if (s->nlive >= s->max) {
		a.status = EAGAIN; /* more than the pool can have: refused */
	} else {
		int e = 0;
		pid_t pid = pc_spawn_on_socket(s->argv, &ours, &e);
		if (pid < 0) {
			a.status = e;
		} else {
			a.pid = pid;
			s->live[s->nlive++] = pid;
		}
	}
	if (send_msg(s->fd, &a, ours, MSG_DONTWAIT) != 0 && a.pid > 0)
		kill(a.pid, SIGKILL); /* nobody will use it; reaped with the others */
	if (ours >= 0)
		close(ours);
}

void pc_spawn_server_serve(pc_spawn_server *s)
{
	while (s->fd >= 0) {
		msg q;
		int fd;
		int r = recv_msg(s->fd, &q, &fd, MSG_DONTWAIT);
		if (fd >= 0)
			close(fd); /* the front end sends none */
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r == 0 || (r < 0 && errno != EPROTO)) {
			pc_spawn_server_set_fd(s, -1); /* the front end is gone */
			return;
		}
		if (r < 0)
			continue; /* a malformed request: ignored */
		if (q.op == OP_START) {
			serve_start(s, &q);
		} else if (q.op == OP_KILL) {
			for (unsigned i = 0; i < s->nlive; i++)
				if (s->live[i] == q.pid && q.pid > 0)
					kill(q.pid, SIGKILL);
		}
	}
}

int pc_spawn_server_exited(pc_spawn_server *s, pid_t pid, int status)
{
	for (unsigned i = 0; i < s->nlive; i++)
		if (s->live[i] == pid) {
			s->live[i] = s->live[--s->nlive];
			msg a = {OP_EXITED, 0, pid, status};
			if (s->fd >= 0)
				send_msg(s->fd, &a, -1, MSG_DONTWAIT);
			return 1;
		}
	return 0;
}

void pc_spawn_server_free(pc_spawn_server *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; s->argv && s->argv[i]; i++)
		free(s->argv[i]);
	free(s->argv);
	free(s->live);
	free(s);
}

/* ---- the front end's side ---- */

#define EXITS_MAX 256

typedef struct pending {
	uint32_t id;
	bool done;
	pid_t pid;
	int fd, err;
	struct pending *next;
} pending;

struct pc_spawn_client {
	int fd;
	pthread_t reader;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool dead; /* the channel ended: the supervisor is gone */
	uint32_t next_id;
	pending *waiting;
	struct {
		pid_t pid;
		int status;
	} exits[EXITS_MAX];
	size_t nexits;
};

static void drop_exit(pc_spawn_client *c, size_t i)
{
	memmove(&c->exits[i], &c->exits[i + 1], (c->nexits - i - 1) * sizeof c->exits[0]);
	c->nexits--;
}

static void *reader(void *arg)
{
	pc_spawn_client *c = arg;
	for (;;) {
		msg m;
		int fd;
		int r = recv_msg(c->fd, &m, &fd, 0);
		if (r < 0 && errno == EPROTO)
			continue;
		if (r <= 0)
			break;
		pthread_mutex_lock(&c->mu);
		if (m.op == OP_STARTED) {
			pending *p = c->waiting;
			while (p && p->id != m.id)
				p = p->next;
			for (size_t i = 0; m.pid > 0 && i < c->nexits; i++)
				if (c->exits[i].pid == m.pid) {
					drop_exit(c, i); /* an earlier process with this pid */
					break;
				}
			if (p) {
				p->done = true;
				p->pid = m.pid;
				p->fd = fd;
				p->err = m.status;
				fd = -1;
			}
			pthread_cond_broadcast(&c->cv);
		} else if (m.op == OP_EXITED) {
			if (c->nexits == EXITS_MAX)
				drop_exit(c, 0);
			c->exits[c->nexits].pid = m.pid;
			c->exits[c->nexits].status = m.status;
			c->nexits++;
			pthread_cond_broadcast(&c->cv);
		}
		pthread_mutex_unlock(&c->mu);
		if (fd >= 0)
			close(fd); /* an answer nobody waits for any more: the worker ends at end of stream */
	}
	pthread_mutex_lock(&c->mu);
	c->dead = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

pc_spawn_client *pc_spawn_client_new(int fd, char *err, size_t errlen)
{
	pc_spawn_client *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = fd;
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&c->reader, NULL, reader, c);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the channel's reader: %s", strerror(rc));
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
		return NULL;
	}
	return c;
}

void pc_spawn_client_free(pc_spawn_client *c)
{
	if (!c)
		return;
	shutdown(c->fd, SHUT_RDWR); /* the reader sees the end */
	pthread_join(c->reader, NULL);
	close(c->fd);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

/* Waits on the condition until the deadline (0: none): false when it passed. */
static bool wait_until(pc_spawn_client *c, long long deadline_ms)
{
	if (!deadline_ms) {
		pthread_cond_wait(&c->cv, &c->mu);
		return true;
	}
	long long left = deadline_ms - pc_wire_now_ms();
	if (left <= 0)
		return false;
	struct timespec ts;
	pc_wire_deadline_ts(left, &ts);
	pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	return true;
}

int pc_spawn_client_start(pc_spawn_client *c, pid_t *pid, int *fd, char *err, size_t errlen)
{
	pending p = {.fd = -1};
	pthread_mutex_lock(&c->mu);
	p.id = ++c->next_id;
	p.next = c->waiting;
	c->waiting = &p;
	bool dead = c->dead;
	pthread_mutex_unlock(&c->mu);
	msg q = {OP_START, p.id, 0, 0};
	bool sent = !dead && send_msg(c->fd, &q, -1, 0) == 0;
	/* the supervisor answers within a posix_spawn; it may be busy with a
	 * SIGHUP check (opening the store) for a few seconds */
	long long deadline = pc_wire_now_ms() + 30000;
	pthread_mutex_lock(&c->mu);
	while (sent && !p.done && !c->dead && wait_until(c, deadline))
		;
	for (pending **pp = &c->waiting; *pp; pp = &(*pp)->next)
		if (*pp == &p) {
			*pp = p.next;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	if (!p.done) {
		snprintf(err, errlen, "cannot start a worker: %s",
		         !sent || dead ? "the supervisor is gone" : "no answer from the supervisor");
		return -1;
	}
	if (p.err || p.pid <= 0 || p.fd < 0) {
		if (p.fd >= 0)
			close(p.fd);
		snprintf(err, errlen, "cannot start a worker: %s", strerror(p.err ? p.err : EPROTO));
		return -1;
	}
	*pid = p.pid;
	*fd = p.fd;
	return 0;
}

void pc_spawn_client_kill(pc_spawn_client *c, pid_t pid)
{
	msg q = {OP_KILL, 0, pid, 0};
	send_msg(c->fd, &q, -1, 0);
}

int pc_spawn_client_wait(pc_spawn_client *c, pid_t pid, int *status, long long deadline_ms)
{
	pthread_mutex_lock(&c->mu);
	for (;;) {
		for (size_t i = 0; i < c->nexits; i++)
			if (c->exits[i].pid == pid) {
				*status = c->exits[i].status;
				drop_exit(c, i);
				pthread_mutex_unlock(&c->mu);
				return 0;
			}
		if (c->dead || !wait_until(c, deadline_ms))
			break;
	}
	pthread_mutex_unlock(&c->mu);
	return -1;
}

static int procs_start(void *ctx, pid_t *pid, int *fd, char *err, size_t errlen)
{
	return pc_spawn_client_start(ctx, pid, fd, err, errlen);
}

static void procs_kill(void *ctx, pid_t pid)
{
	pc_spawn_client_kill(ctx, pid);
}

static int procs_wait(void *ctx, pid_t pid, int *status, long long deadline_ms)
{
	return pc_spawn_client_wait(ctx, pid, status, deadline_ms);
}

void pc_spawn_client_procs(pc_spawn_client *c, pc_pool_procs *procs)
{
	procs->ctx = c;
	procs->start = procs_start;
	procs->kill = procs_kill;
	procs->wait = procs_wait;
}
