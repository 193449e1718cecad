/*
 * NAME
 *   front - the front end process (libmilter, the pool of workers, reloads) and the config checks (internal.h)
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
#include "milter/worker.h"
#include "store/store.h"
/* ---- config, checks ---- */

int pc_mi_load(pc_config *cfg)
{
	pc_config_defaults(cfg);
	char *sets[PC_CLI_MAX_SETS];
	for (size_t i = 0; i < pc_mi.nsets; i++)
		sets[i] = strdup(pc_mi.sets[i]); /* pc_cli_config modifies them */
	int rc = pc_cli_config(cfg, pc_mi.config_path, sets, pc_mi.nsets);
	for (size_t i = 0; i < pc_mi.nsets; i++)
		free(sets[i]);
	return rc;
}

/* The quarantine directory, as the front end will use it. */
static int check_quarantine(const pc_config *cfg)
{
	if (!cfg->quarantine_dir[0]) {
		fprintf(stderr,
		        "portcullis: milter: [quarantine] directory must be set (quarantined mail is kept there)\n");
		return 1;
	}
	if (pc_store_is_postgresql(cfg->quarantine_dir)) {
		/* [quarantine] location = store: opened as the front end's threads
		 * open it (the store's migration makes the table), then read;
		 * the store's messages name it without the password */
		char err[512];
		pc_store *st = pc_store_open_with(cfg->quarantine_dir, cfg->store_password_file, cfg->store_timeout_ms,
		                                  0, err, sizeof err);
		if (!st) {
			fprintf(stderr, "portcullis: quarantine in the store: %s (as uid %u)\n", err,
			        (unsigned)geteuid());
			return 1;
		}
		long long n;
		char last[PC_QID_MAX];
		int rc = pc_store_quarantine_stamp(st, &n, last, sizeof last);
		if (rc != 0)
			fprintf(stderr, "portcullis: quarantine in the store: %s\n", pc_store_error(st));
		pc_store_close(st);
		return rc != 0;
	}
	struct stat sb;
	if ((stat(cfg->quarantine_dir, &sb) != 0 && mkdir(cfg->quarantine_dir, 0700) != 0) ||
	    access(cfg->quarantine_dir, W_OK | X_OK) != 0) {
		fprintf(stderr, "portcullis: quarantine directory %s: %s (as uid %u)\n", cfg->quarantine_dir,
		        strerror(errno), (unsigned)geteuid());
		return 1;
	}
	return 0;
}

/* The store, lists and resolver, as a worker opens them. */
static int check_resources(const pc_config *cfg)
{
	pc_resources r;
	char err[2048];
	int bad = pc_resources_open(cfg, PC_RES_DNS | PC_RES_STORE, &r, err, sizeof err) != 0;
	if (bad)
		pc_resources_complain(err);
	pc_resources_close(&r);
	return bad;
}

/* fn as `user` ("": as we are): in a child that drops to it first, so that
 * what the check creates (the store) belongs to that user and the check
 * fails where that user would. */
static int check_as(const char *user, int (*fn)(const pc_config *), const pc_config *cfg)
{
	if (!user[0])
		return fn(cfg);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "portcullis: milter: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		char err[256];
		if (pc_sandbox_drop(user, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis: milter: %s\n", err);
			_exit(1);
		}
		int bad = fn(cfg);
		fflush(NULL);
		_exit(bad ? 1 : 0);
	}
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	return r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* What a worker needs must work before the daemon answers anyone: the
 * quarantine as [milter] user (the front end writes it), the store and
 * lists as [milter] worker_user. */
int pc_mi_check(const pc_config *cfg, bool verbose)
{
	/* the process that parses hostile mail never runs as root */
	if (geteuid() == 0 && (!cfg->milter_worker_user[0] || !strcmp(cfg->milter_worker_user, "root"))) {
		fprintf(stderr, "portcullis: milter: started as root, [milter] worker_user must name the unprivileged "
		                "user the scanning workers run as (e.g. portcullis-scan; it owns the store)\n");
		return 1;
	}
	int bad = check_as(cfg->milter_user, check_quarantine, cfg);
	bad |= check_as(cfg->milter_worker_user, check_resources, cfg);
	/* the token as the front end reads it: before it drops to user */
	char err[512];
	if (pc_mi_exporter_check(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "portcullis: milter: %s\n", err);
		bad = 1;
	}
	if (verbose && !bad) {
		/* where, never a password a connection string may hold */
		char q[1100], st[1100];
		pc_quarantine_where(cfg->quarantine_dir, q, sizeof q);
		pc_store_where(cfg->history_db[0] ? cfg->history_db : "none", st, sizeof st);
		printf("portcullis: settings ok: socket %s, %u workers, quarantine %s%s%s, store %s\n",
		       cfg->milter_socket, cfg->milter_workers,
		       pc_store_is_postgresql(cfg->quarantine_dir) ? "in " : "", q,
		       cfg->quarantine_hold ? " (hold)" : "", st);
	}
	return bad;
}

unsigned pc_mi_workers_of(const pc_config *cfg)
{
	if (cfg->milter_workers)
		return cfg->milter_workers;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* ---- the front end process ---- */

/* libmilter writes each header edit and the final reply as its own small
 * packet; on TCP, Nagle's algorithm holds the second until the MTA's
 * delayed ACK comes (40 ms on Linux) — measured: +44 ms per message at
 * 50 messages/s. Accepted sockets inherit TCP_NODELAY from the listening
 * one, which libmilter does not expose: it is the one socket in LISTEN
 * state this process has when this runs. */
static void nodelay_listener(void)
{
	for (int fd = 0; fd < 1024; fd++) {
		int on = 0;
		socklen_t l = sizeof on;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l) != 0 || !on ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		on = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	}
}

static void *control_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char ch;
	for (;;) {
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == 'T')
			break; /* asked to stop, or the supervisor is gone: drain and stop */
		if (ch != 'R' || atomic_load(&pc_mi.draining))
			continue;
		pc_config cfg;
		if (pc_mi_load(&cfg) != 0) {
			pc_mi_logf(true, "reload: settings refused; the old ones stay");
			pc_config_free(&cfg);
			continue;
		}
		if (!cfg.milter_sandbox)
			pc_mi_logf(true,
			           "reload: milter.sandbox = no: new workers scan without rlimits or the system call "
			           "filter (for diagnosing only)");
		settings s;
		pc_mi_settings_from(&s, &cfg);
		pthread_rwlock_wrlock(&pc_mi.lock);
		pc_mi.s = s;
		pthread_rwlock_unlock(&pc_mi.lock);
		pc_config_free(&cfg);
		if (pc_pool_reload(pc_mi.pool, pc_mi.worker_argv) != 0)
			pc_mi_logf(true, "reload: out of memory; workers keep the old settings");
		else
			pc_mi_logf(false, "reload: settings and lists re-read; workers replaced as they become free");
	}
	/* Drain while libmilter still serves every connection: messages in
	 * flight go on to their end (libmilter's own stop would leave half-sent
	 * ones unserved); new ones are refused with 451 at their end of data. */
	atomic_store(&pc_mi.draining, true);
	pc_mi_logf(false, "stopping: draining messages in flight");
	long long until = pc_wire_now_ms() + pc_mi_current().drain_ms;
	while (atomic_load(&pc_mi.inflight) > 0 && pc_wire_now_ms() < until)
		usleep(20000);
	usleep(200000); /* the last replies are written after their callbacks return */
	smfi_stop();
	return NULL;
}

/* The worker command: this program, --worker, the same settings. */
void pc_mi_worker_argv(char **argv)
{
	size_t k = 0;
	argv[k++] = "/proc/self/exe";
	argv[k++] = "milter";
	argv[k++] = "--worker";
	if (pc_mi.config_path) {
		argv[k++] = "-c";
		argv[k++] = (char *)pc_mi.config_path;
	}
	for (size_t i = 0; i < pc_mi.nsets; i++) {
		argv[k++] = "-s";
		argv[k++] = pc_mi.sets[i];
	}
	argv[k] = NULL;
}

/* The listening socket's file, when it is one, goes to `user` (Postfix
 * reaches it through that user's group); then the front end becomes
 * `user` for good. The supervisor stays root. */
static int drop_front(const pc_config *cfg, const char *sock)
{
	const char *user = cfg->milter_user;
	char err[256];
	if (!user[0]) {
		if (geteuid() == 0)
			pc_mi_logf(true, "the front end runs as root: set [milter] user");
		return 0;
	}
	uid_t uid;
	gid_t gid;
	if (pc_sandbox_lookup(user, &uid, &gid, err, sizeof err) != 0) {
		pc_mi_logf(true, "%s", err);
		return -1;
	}
	const char *path = !strncmp(sock, "unix:", 5) ? sock + 5 : !strncmp(sock, "local:", 6) ? sock + 6 : NULL;
	if (path && geteuid() == 0 && chown(path, uid, gid) != 0) {
		pc_mi_logf(true, "cannot give %s to %s: %s", path, user, strerror(errno));
		return -1;
	}
	pid_t parent = getppid();
	if (pc_sandbox_drop(user, err, sizeof err) != 0) {
		pc_mi_logf(true, "%s", err);
		return -1;
	}
	/* a new user clears the parent-death signal: set it again, and make
	 * sure the supervisor did not end in between */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return -1;
	return 0;
}

int pc_mi_front(int ctl_fd, int spawn_fd, const pc_config *cfg)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	pc_mi_settings_from(&pc_mi.s, cfg);
	if (pc_mi.s.log_syslog)
		openlog("portcullis", LOG_PID | LOG_NDELAY, cfg->log_facility);
	char *argv[WORKER_ARGV_MAX];
	pc_mi_worker_argv(argv);
	pc_mi.worker_argv = argv;
	char err[1400]; /* a path of 1,023 bytes in it */
	unsigned nw = pc_mi_workers_of(cfg);
	/* started as root: the supervisor starts, kills and reaps the workers
	 * (milter/spawn.h), since this process will not be root for long */
	pc_pool_procs procs;
	pc_spawn_client *sc = NULL;
	if (spawn_fd >= 0) {
		if (!(sc = pc_spawn_client_new(spawn_fd, err, sizeof err))) {
			pc_mi_logf(true, "%s", err);
			return 1;
		}
		pc_spawn_client_procs(sc, &procs);
	}
	if (!(pc_mi.pool = pc_pool_new_with(nw, argv, sc ? &procs : NULL, err, sizeof err))) {
		pc_mi_logf(true, "cannot start the workers: %s", err);
		pc_spawn_client_free(sc);
		return 1;
	}
	struct smfiDesc desc = pc_mi_callbacks();
	/* libmilter starts a thread per connection (Postfix connects once per
	 * message): with glibc's default 8 MB stacks each start maps and
	 * unmaps its stack (TLB shootdowns on every CPU); small stacks come
	 * from glibc's stack cache instead. Nothing here needs deep stacks. */
	pthread_attr_t ta;
	if (pthread_attr_init(&ta) == 0) {
		pthread_attr_setstacksize(&ta, 256 * 1024);
		pthread_setattr_default_np(&ta);
		pthread_attr_destroy(&ta);
	}
	char sock[sizeof cfg->milter_socket];
	snprintf(sock, sizeof sock, "%s", cfg->milter_socket);
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(sock) != MI_SUCCESS ||
	    smfi_setbacklog(128) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
		pc_mi_logf(true, "cannot listen on %s (is the address valid and free? the directory writable?)", sock);
		pc_pool_free(pc_mi.pool);
		pc_spawn_client_free(sc);
		return 1;
	}
	nodelay_listener();
	/* /metrics binds (and reads its token) with the privileges we start with */
	err[0] = '\0';
	if (pc_mi_exporter_start(cfg, err, sizeof err) != 0 || drop_front(cfg, sock) != 0) {
		if (err[0])
			pc_mi_logf(true, "%s", err);
		pc_mi_exporter_stop();
		pc_pool_free(pc_mi.pool);
		pc_spawn_client_free(sc);
		return 1;
	}
	if (!cfg->milter_sandbox)
		pc_mi_logf(true, "milter.sandbox = no: workers scan without rlimits or the system call filter (for "
		                 "diagnosing only)");
	pthread_t ct;
	if (pthread_create(&ct, NULL, control_thread, (void *)(intptr_t)ctl_fd) == 0)
		pthread_detach(ct);
	pc_mi_logf(false, "listening on %s with %u workers (timeout %.1f s, fault action %s)", sock, nw,
	           pc_mi.s.timeout_ms / 1000.0, pc_mi.s.fail_open ? "accept" : "tempfail");
	int rc = smfi_main();
	/* stopped (drained by the control thread, or libmilter's own stop on
	 * a signal sent to this process directly): what is still in flight
	 * gets the rest of the drain time */
	atomic_store(&pc_mi.draining, true);
	long long until = pc_wire_now_ms() + pc_mi_current().drain_ms;
	int left;
	while ((left = atomic_load(&pc_mi.inflight)) > 0 && pc_wire_now_ms() < until)
		usleep(20000);
	if (left > 0) {
		/* threads still use the pool: it is not freed under them; the exit
		 * closes the workers' sockets and they end */
		pc_mi_logf(true, "stopping with %d messages in flight after %u ms (the MTA applies its default action)",
		           left, pc_mi_current().drain_ms);
		return 1;
	}
	pc_mi_logf(false, "stopped: every message in flight finished");
	pc_mi_exporter_stop(); /* it reads the pool */
	pc_pool_free(pc_mi.pool);
	pc_spawn_client_free(sc);
	return rc == MI_SUCCESS ? 0 : 1;
}
