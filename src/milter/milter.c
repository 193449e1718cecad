/*
 * NAME
 *   milter - portcullis milter: the command, the supervisor, the front end's state
 * DESCRIPTION
 *   See milter.h; the front end is front.c, a session's callbacks session.c,
 *   the log log.c (internal.h). Memory per message is bounded by [milter] max_message
 *   (a longer message is a fault, not a truncated scan) and 1,000
 *   recipients; memory per connection by that plus its strings.
 */
#define _GNU_SOURCE
#include "milter/milter.h"

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

#include "act/purge.h"
#include "act/quarantine.h"
#include "app/jsonw.h"
#include "app/options.h"
#include "app/resources.h"
#include "core/config.h"
#include "act/headers.h"
#include "milter/pool.h"
#include "milter/sandbox.h"
#include "milter/spawn.h"
#include "milter/wire.h"
#include "store/store.h"
#include "milter/worker.h"
#include "milter/internal.h"

static const char usage[] = "usage: portcullis milter [-c FILE] [-s KEY=VALUE]... [--check]\n"
                            "\n"
                            "Run the mail filter (milter) for Postfix or Sendmail in the foreground on\n"
                            "[milter] socket. Every message is scanned by a worker process and then\n"
                            "delivered with headers added, delivered neutralised, quarantined (stored\n"
                            "in [quarantine] directory, then discarded or held) or rejected. See\n"
                            "portcullis(8) and portcullis.conf(5).\n"
                            "\n"
                            "Options:\n"
                            "  -c, --config FILE     read settings from FILE\n"
                            "  -s, --set KEY=VALUE   override one setting (repeatable)\n"
                            "      --check           check the settings, lists, store and quarantine; exit\n"
                            "  -h, --help            this text\n"
                            "\n"
                            "Signals: TERM/INT finish the messages in flight (up to [milter] drain_timeout)\n"
                            "and stop; HUP re-reads the settings and lists (the socket stays).\n"
                            "Exit status: 0 stopped cleanly, 1 a fatal error, 2 bad settings.\n";

pc_mi_state pc_mi = {.lock = PTHREAD_RWLOCK_INITIALIZER};

settings pc_mi_current(void)
{
	pthread_rwlock_rdlock(&pc_mi.lock);
	settings s = pc_mi.s;
	pthread_rwlock_unlock(&pc_mi.lock);
	return s;
}

void pc_mi_settings_from(settings *s, const pc_config *c)
{
	s->timeout_ms = c->milter_timeout_ms;
	s->fail_open = c->milter_fail_open;
	s->store_tempfail = c->store_on_error == 1 || (c->store_on_error < 0 && pc_store_is_postgresql(c->history_db));
	s->limit_action = c->limit_action;
	snprintf(s->quarantine_dir, sizeof s->quarantine_dir, "%s", c->quarantine_dir);
	snprintf(s->store_journal, sizeof s->store_journal, "%s", c->store_journal);
	s->quarantine_hold = c->quarantine_hold;
	s->cpu_ms = c->limits.cpu_ms;
	s->max_message = c->milter_max_message;
	s->max_buffered = c->milter_max_buffered;
	s->drain_ms = c->milter_drain_ms;
	s->log_syslog = c->log_syslog;
	s->log_json = c->log_json;
	snprintf(s->authserv_id, sizeof s->authserv_id, "%s", c->authserv_id);
}

/* ---- the supervisor ---- */

/* The supervisor's descriptors, which a front end it forks closes. */
static struct {
	int sig_fd;             /* signalfd: TERM, INT, HUP, CHLD */
	pc_spawn_server *spawn; /* started as root: it starts the workers */
} S = {-1, NULL};

static pid_t start_front(int *ctl_w, const pc_config *cfg)
{
	int p[2], ch[2] = {-1, -1};
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if (S.spawn && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* TERM, INT and HUP stay blocked in every thread of the front
		 * end: libmilter's signal thread takes them with sigwait (TERM:
		 * stop listening, then we drain). A thread with them unblocked
		 * would take the default action instead and kill the process. */
		close(p[1]);
		close(S.sig_fd);
		if (S.spawn) {
			close(ch[0]);
			pc_spawn_server_set_fd(S.spawn, -1);
		}
		_exit(pc_mi_front(p[0], ch[1], cfg));
	}
	close(p[0]);
	if (ch[1] >= 0)
		close(ch[1]);
	if (pid < 0) {
		close(p[1]);
		if (ch[0] >= 0)
			close(ch[0]);
		return -1;
	}
	*ctl_w = p[1];
	if (S.spawn)
		pc_spawn_server_set_fd(S.spawn, ch[0]); /* the old front end's channel is closed */
	return pid;
}

/* Stopping: the workers end at the end of their sockets, which the front
 * end closed; reap them (up to 5 s) so that none outlives us. */
static void reap_workers(void)
{
	long long until = pc_wire_now_ms() + 5000;
	while (S.spawn && pc_spawn_server_live(S.spawn) > 0 && pc_wire_now_ms() < until) {
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);
		if (r > 0)
			pc_spawn_server_exited(S.spawn, r, st);
		else if (r < 0)
			break;
		else
			usleep(10000);
	}
}

static int supervise(pc_config *cfg)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pc_mi_settings_from(&pc_mi.s, cfg);
	if (pc_mi.s.log_syslog)
		openlog("portcullis", LOG_PID | LOG_NDELAY, cfg->log_facility);
	if ((S.sig_fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "portcullis: signalfd: %s\n", strerror(errno));
		return 1;
	}
	/* started as root, the supervisor stays root and starts the workers
	 * for the front end, which drops to [milter] user (milter/spawn.h):
	 * at most twice the pool, for workers of a front end that died */
	if (geteuid() == 0) {
		char *argv[WORKER_ARGV_MAX];
		pc_mi_worker_argv(argv);
		if (!(S.spawn = pc_spawn_server_new(argv, 2 * pc_mi_workers_of(cfg) + 2))) {
			fprintf(stderr, "portcullis: out of memory\n");
			return 1;
		}
	}
	int ctl = -1;
	pid_t fe = start_front(&ctl, cfg);
	if (fe < 0) {
		fprintf(stderr, "portcullis: cannot start the front end: %s\n", strerror(errno));
		return 1;
	}
	bool stopping = false;
	time_t restarts[5] = {0};
	for (;;) {
		struct pollfd pf[2] = {{S.sig_fd, POLLIN, 0}, {S.spawn ? pc_spawn_server_fd(S.spawn) : -1, POLLIN, 0}};
		if (poll(pf, 2, -1) < 0)
			continue;
		if (pf[1].revents)
			pc_spawn_server_serve(S.spawn);
		if (!pf[0].revents)
			continue;
		struct signalfd_siginfo si;
		if (read(S.sig_fd, &si, sizeof si) != (ssize_t)sizeof si)
			continue;
		int sig = (int)si.ssi_signo;
		if (sig == SIGHUP) {
			pc_config n;
			if (pc_mi_load(&n) != 0 || pc_mi_check(&n, false) != 0) {
				pc_mi_logf(
				    true,
				    "SIGHUP: the new settings are refused (see above); running with the old ones");
			} else {
				pc_mi_settings_from(&pc_mi.s, &n);
				if (write(ctl, "R", 1) != 1)
					pc_mi_logf(true, "SIGHUP: cannot reach the front end");
				/* a restarted front end starts from these */
				pc_config_free(cfg);
				*cfg = n;
				pc_config_defaults(&n);
			}
			pc_config_free(&n);
		} else if (sig == SIGTERM || sig == SIGINT) {
			/* the first: the front end drains, then stops; a second one:
			 * libmilter's stop at once */
			if (fe > 0 && (stopping || ctl < 0 || write(ctl, "T", 1) != 1))
				kill(fe, SIGTERM);
			stopping = true;
		} else if (sig == SIGCHLD) {
			int st;
			pid_t r;
			while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
				if (r != fe) {
					if (S.spawn)
						pc_spawn_server_exited(S.spawn, r, st); /* told to the front end */
					continue;
				}
				fe = -1;
				close(ctl);
				ctl = -1;
				if (stopping) {
					reap_workers();
					return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
				}
				/* it died: start it again, unless it keeps dying */
				time_t now = time(NULL);
				if (restarts[0] && now - restarts[0] < 60) {
					pc_mi_logf(true, "the front end died 5 times within a minute; giving up");
					return 1;
				}
				memmove(restarts, restarts + 1, sizeof restarts - sizeof restarts[0]);
				restarts[4] = now;
				pc_mi_logf(true, "the front end ended (%s %d); starting it again",
				           WIFSIGNALED(st) ? "signal" : "exit",
				           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				sleep(1);
				pc_mi.front_restarts++; /* the new front end's metrics say so */
				if ((fe = start_front(&ctl, cfg)) < 0) {
					pc_mi_logf(true, "cannot start the front end: %s", strerror(errno));
					return 1;
				}
			}
		}
	}
}

int pc_cli_milter(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
	    {"check", no_argument, NULL, 'k'},        {"worker", no_argument, NULL, 'W'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	bool check_only = false;
	bool worker = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			pc_mi.config_path = optarg;
			break;
		case 's':
			if (pc_cli_add_set(pc_mi.sets, &pc_mi.nsets, optarg) != 0)
				return 2;
			break;
		case 'k':
			check_only = true;
			break;
		case 'W':
			worker = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	pc_config cfg;
	if (pc_mi_load(&cfg) != 0) {
		pc_config_free(&cfg);
		return 2;
	}
	int rc;
	if (worker) {
		/* a worker: ends at the end of stream on fd 0, which comes when the
		 * front end closes it or dies (not PR_SET_PDEATHSIG: that fires
		 * when the *thread* that started it ends, and libmilter's threads
		 * come and go); holds nothing it inherited, writes nothing to
		 * stdout, and becomes [milter] worker_user before it opens anything
		 * (milter/sandbox.h) */
		close_range(3, ~0U, 0);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0 && null != STDOUT_FILENO) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
		signal(SIGPIPE, SIG_IGN);
		char err[256];
		if (pc_sandbox_drop(cfg.milter_worker_user, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis worker: %s\n", err);
			rc = 1;
		} else {
			rc = pc_milter_worker(&cfg, 0);
		}
	} else if (check_only) {
		rc = pc_mi_check(&cfg, true) ? 2 : 0;
	} else {
		rc = pc_mi_check(&cfg, false) ? 2 : supervise(&cfg);
	}
	pc_config_free(&cfg);
	return rc;
}
