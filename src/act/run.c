/*
 * NAME
 *   run - a configured command, run without a shell (see run.h)
 */
#define _GNU_SOURCE /* pipe2 */
#include "act/run.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv (argv[0] absolute, no PATH search, no shell) with in[0..inn)
 * on its standard input and its standard output and error collected
 * (first PC_RUN_OUTPUT_KEEP bytes), and waits for it. Input and output are
 * served together (poll), so a command that writes much before it reads
 * cannot deadlock with us. */
void pc_run(char *const argv[], const char *in, size_t inn, pc_run_result *r)
{
	memset(r, 0, sizeof *r);
	int inp[2] = {-1, -1}, outp[2] = {-1, -1};
	if (pipe2(inp, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
		snprintf(r->why, sizeof r->why, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 2);
	sigset_t dflt;
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE); /* ignored here while we write; the command gets the default */
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	struct sigaction ign, old;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	pid_t pid;
	int e = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(inp[0]);
	close(outp[1]);
	inp[0] = outp[1] = -1;
	if (e != 0) {
		snprintf(r->why, sizeof r->why, "cannot run %s: %s", argv[0], strerror(e));
		sigaction(SIGPIPE, &old, NULL);
		goto out;
	}
	r->ran = true;
	fcntl(inp[1], F_SETFL, O_NONBLOCK);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	size_t off = 0;
	if (inn == 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	long long deadline = now_ms() + PC_RUN_TIMEOUT_MS;
	for (;;) {
		if (!r->reaped) {
			pid_t w = waitpid(pid, &r->status, WNOHANG);
			r->reaped = w == pid;
		}
		/* done when it exited and has nothing more to say (a process it
		 * left behind holding the pipe is not waited for) */
		if (r->reaped || outp[0] < 0) {
			if (outp[0] >= 0) {
				char b[4096];
				ssize_t k;
				while ((k = read(outp[0], b, sizeof b)) > 0) {
					size_t keep = (size_t)k < PC_RUN_OUTPUT_KEEP - r->outn
					                  ? (size_t)k
					                  : PC_RUN_OUTPUT_KEEP - r->outn;
					memcpy(r->out + r->outn, b, keep);
					r->outn += keep;
				}
			}
			if (r->reaped)
				break;
		}
		long long left = deadline - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			r->timed_out = true;
			while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
				;
			r->reaped = true;
			break;
		}
		struct pollfd p[2];
		nfds_t np = 0;
		int pi = -1, po = -1;
		if (inp[1] >= 0) {
			p[np] = (struct pollfd){inp[1], POLLOUT, 0};
			pi = (int)np++;
		}
		if (outp[0] >= 0) {
			p[np] = (struct pollfd){outp[0], POLLIN, 0};
			po = (int)np++;
		}
		/* short slices: the exit of the command is noticed by waitpid */
		int k = poll(p, np, left < 100 ? (int)left : 100);
		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		if (pi >= 0 && p[pi].revents) {
			size_t chunk = inn - off < 65536 ? inn - off : 65536;
			ssize_t w = write(inp[1], in + off, chunk);
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == inn) {
				close(inp[1]); /* EOF, or EPIPE: it stopped reading */
				inp[1] = -1;
			}
		}
		if (po >= 0 && p[po].revents) {
			char b[4096];
			ssize_t rd = read(outp[0], b, sizeof b);
			if (rd > 0) {
				size_t keep = (size_t)rd < PC_RUN_OUTPUT_KEEP - r->outn ? (size_t)rd
				                                                        : PC_RUN_OUTPUT_KEEP - r->outn;
				memcpy(r->out + r->outn, b, keep);
				r->outn += keep;
			} else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(outp[0]);
				outp[0] = -1;
			}
		}
	}
	if (!r->reaped) { /* poll failed: still collect the status, pipes closed */
		if (inp[1] >= 0)
			close(inp[1]);
		if (outp[0] >= 0)
			close(outp[0]);
		inp[1] = outp[0] = -1;
		while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
			;
		r->reaped = true;
	}
	r->short_in = off < inn;
	sigaction(SIGPIPE, &old, NULL);
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	r->out[r->outn] = '\0';
}

/* The configured command line split on blanks, then the extra arguments:
 * a NULL-terminated argv (g_free the words, free the array). */
char **pc_run_argv(const char *cmdline, const char *const *extra, size_t nextra, char ***words)
{
	*words = g_strsplit_set(cmdline, " \t", -1);
	size_t nw = g_strv_length(*words);
	char **av = calloc(nw + nextra + 1, sizeof *av);
	if (!av)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < nw; i++)
		if ((*words)[i][0])
			av[n++] = (*words)[i];
	for (size_t i = 0; i < nextra; i++)
		av[n++] = (char *)extra[i];
	if (!n || av[0][0] != '/') { /* config.c checks this; an empty setting is refused here */
		free(av);
		return NULL;
	}
	return av;
}
