/*
 * Unit tests for milter/spawn.h, the worker channel between the root
 * supervisor and the front end, both ends in this process (the server
 * driven by a thread as the supervisor's loop drives it): a started
 * "worker" (a shell echoing its socket back) answers through the
 * descriptor passed with SCM_RIGHTS; KILL ends it and its wait status
 * (SIGKILL) comes back; a worker that exits reports its exit code;
 * starts beyond the maximum are refused; a KILL of a process that is not
 * one of the workers (this one) is ignored; concurrent starts from
 * several threads each get their own worker; when the channel ends,
 * waits and starts fail instead of hanging.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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
#include <unistd.h>

#include "milter/spawn.h"
#include "milter/wire.h"

typedef struct server_loop {
	pc_spawn_server *s;
	atomic_bool stop;
	pthread_t t;
} server_loop;

/* The supervisor's loop: answer requests, reap the workers. */
static void *serve(void *arg)
{
	server_loop *l = arg;
	while (!atomic_load(&l->stop)) {
		struct pollfd pf = {pc_spawn_server_fd(l->s), POLLIN, 0};
		if (pf.fd >= 0 && poll(&pf, 1, 10) > 0)
			pc_spawn_server_serve(l->s);
		else if (pf.fd < 0)
			usleep(10000);
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0)
			pc_spawn_server_exited(l->s, r, st);
	}
	return NULL;
}

static char *const echo_argv[] = {"/bin/sh", "-c", "exec cat <&0 >&0", NULL};

static void setup(server_loop *l, pc_spawn_client **c, unsigned max)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	l->s = pc_spawn_server_new(echo_argv, max);
	assert_non_null(l->s);
	pc_spawn_server_set_fd(l->s, sv[0]);
	atomic_store(&l->stop, false);
	assert_int_equal(pthread_create(&l->t, NULL, serve, l), 0);
	char err[256];
	*c = pc_spawn_client_new(sv[1], err, sizeof err);
	assert_non_null(*c);
}

static void teardown(server_loop *l, pc_spawn_client *c)
{
	pc_spawn_client_free(c);
	atomic_store(&l->stop, true);
	pthread_join(l->t, NULL);
	pc_spawn_server_free(l->s);
}

static void echo(int fd)
{
	assert_int_equal(write(fd, "ping", 4), 4);
	char buf[8];
	size_t got = 0;
	while (got < 4) {
		ssize_t r = read(fd, buf + got, 4 - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(buf, "ping", 4);
}

static void test_start_kill_exit(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	server_loop l;
	pc_spawn_client *c;
	setup(&l, &c, 2);
	char err[256];
	pid_t a, b, x;
	int fa, fb, fx, st;
	assert_int_equal(pc_spawn_client_start(c, &a, &fa, err, sizeof err), 0);
	assert_int_equal(pc_spawn_client_start(c, &b, &fb, err, sizeof err), 0);
	assert_true(a > 0 && b > 0 && a != b);
	echo(fa);
	echo(fb);
	/* the third is over the maximum */
	assert_int_equal(pc_spawn_client_start(c, &x, &fx, err, sizeof err), -1);
	assert_non_null(strstr(err, strerror(EAGAIN)));
	/* not one of the workers: ignored */
	pc_spawn_client_kill(c, getpid());
	/* killed: SIGKILL reported */
	pc_spawn_client_kill(c, a);
	assert_int_equal(pc_spawn_client_wait(c, a, &st, pc_wire_now_ms() + 5000), 0);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(fa);
	/* ends at the end of its stream: exit 0 reported */
	close(fb);
	assert_int_equal(pc_spawn_client_wait(c, b, &st, pc_wire_now_ms() + 5000), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* a wait for a pid that is not ending times out */
	assert_int_equal(pc_spawn_client_wait(c, 1, &st, pc_wire_now_ms() + 100), -1);
	/* room again */
	assert_int_equal(pc_spawn_client_start(c, &x, &fx, err, sizeof err), 0);
	echo(fx);
	close(fx);
	assert_int_equal(pc_spawn_client_wait(c, x, &st, pc_wire_now_ms() + 5000), 0);
	teardown(&l, c);
}

typedef struct starter {
	pc_spawn_client *c;
	int ok;
} starter;

static void *start_one(void *arg)
{
	starter *s = arg;
	char err[256];
	pid_t pid;
	int fd, st;
	for (int i = 0; i < 10; i++) {
		if (pc_spawn_client_start(s->c, &pid, &fd, err, sizeof err) != 0)
			return NULL;
		char buf[4];
		if (write(fd, "abcd", 4) != 4 || read(fd, buf, 4) != 4 || memcmp(buf, "abcd", 4))
			return NULL;
		pc_spawn_client_kill(s->c, pid);
		if (pc_spawn_client_wait(s->c, pid, &st, pc_wire_now_ms() + 5000) != 0 || !WIFSIGNALED(st) ||
		    WTERMSIG(st) != SIGKILL)
			return NULL;
		close(fd);
	}
	s->ok = 1;
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	server_loop l;
	pc_spawn_client *c;
	setup(&l, &c, 8);
	starter s[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		s[i].c = c;
		s[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, start_one, &s[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(s[i].ok, 1);
	}
	teardown(&l, c);
}

static void test_channel_gone(void **state)
{
	(void)state;
	server_loop l;
	pc_spawn_client *c;
	setup(&l, &c, 2);
	char err[256];
	pid_t a;
	int fa, st;
	assert_int_equal(pc_spawn_client_start(c, &a, &fa, err, sizeof err), 0);
	pc_spawn_server_set_fd(l.s, -1); /* the supervisor is gone */
	long long t0 = pc_wire_now_ms();
	assert_int_equal(pc_spawn_client_wait(c, a, &st, 0), -1);
	assert_int_equal(pc_spawn_client_start(c, &a, &fa, err, sizeof err), -1);
	assert_true(pc_wire_now_ms() - t0 < 2000);
	close(fa);
	teardown(&l, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start_kill_exit),
	    cmocka_unit_test(test_concurrent),
	    cmocka_unit_test(test_channel_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
