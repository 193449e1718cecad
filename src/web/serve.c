/*
 * NAME
 *   serve - portcullis serve: the analyst console's process
 * SYNOPSIS
 *   portcullis serve [-c FILE] [--db FILE] [--listen ADDR:PORT] [--set K=V]
 * DESCRIPTION
 *   Reads the configuration like every command ([console], [history]
 *   database: the store, [quarantine] directory), opens one store
 *   connection per request thread, and listens (web/server.c). When the
 *   store has no account yet, it makes "admin" with a generated password
 *   and prints it once on standard output (the first login; change it on
 *   the Accounts page, or manage accounts with `portcullis user`).
 *   Every few seconds the main thread brings the quarantine index up to
 *   date and audits finished purges. SIGINT or SIGTERM stops it: running
 *   purges are told to stop (SIGTERM), requests in flight finish.
 */
#include <getopt.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/options.h"
#include "app/password.h"
#include "pipeline/pipeline.h"
#include "web/internal.h"
#include "web/web.h"

static const char usage[] = "usage: portcullis serve [options]\n"
                            "\n"
                            "The analyst console: campaigns, messages, quarantine, indicators, audit,\n"
                            "in a browser (docs/console.md). Plain HTTP on loopback (behind a proxy),\n"
                            "or HTTPS with [console] tls_cert and tls_key.\n"
                            "\n"
                            "Options:\n"
                            "  -c, --config FILE    read settings from FILE\n"
                            "  -d, --db FILE        the store (default: [history] database)\n"
                            "  -l, --listen A:P     listen here (default: [console] listen, 127.0.0.1:8025)\n"
                            "  -s, --set K=V        override one setting\n"
                            "  -h, --help           this text\n";

static int count_user(void *ctx, const pc_user *u)
{
	(void)u;
	(*(long *)ctx)++;
	return 0;
}

static int first_account(pc_store *st)
{
	long n = 0;
	if (pc_store_user_list(st, count_user, &n) != 0) {
		fprintf(stderr, "portcullis serve: store: %s\n", pc_store_error(st));
		return -1;
	}
	if (n > 0)
		return 0;
	char pw[PC_PASSWORD_GEN], hash[PC_PASSWORD_HASH];
	pc_password_generate(pw);
	if (pc_password_hash(pw, hash) != 0) {
		fprintf(stderr, "portcullis serve: cannot hash a password (libsodium)\n");
		return -1;
	}
	time_t now = time(NULL);
	pc_user u = {"admin", "admin", hash, now, now, false};
	if (pc_store_user_put(st, &u) != 0 || pc_store_audit(st, now, "portcullis serve", "account-add", 0, "admin",
	                                                     "first account, password printed once") != 0) {
		fprintf(stderr, "portcullis serve: store: %s\n", pc_store_error(st));
		return -1;
	}
	printf("portcullis serve: no account yet: made \"admin\" with the one-time password %s\n", pw);
	printf("portcullis serve: change it on the Accounts page, or: portcullis user passwd admin\n");
	fflush(stdout);
	return 0;
}

static int read_token(const char *path, char *out, size_t len)
{
	out[0] = '\0';
	if (!path[0])
		return 0;
	gchar *t = NULL;
	if (!g_file_get_contents(path, &t, NULL, NULL)) {
		fprintf(stderr, "portcullis serve: %s: cannot read the metrics token\n", path);
		return -1;
	}
	g_strstrip(t);
	if (strlen(t) < 16 || strlen(t) >= len) {
		fprintf(stderr, "portcullis serve: %s: a metrics token is 16 to %zu characters\n", path, len - 1);
		g_free(t);
		return -1;
	}
	snprintf(out, len, "%s", t);
	g_free(t);
	return 0;
}

int pc_web_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"db", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'}, {"set", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	const char *config = NULL, *db = NULL, *listen = NULL;
	char *sets[PC_CLI_MAX_SETS];
	size_t nsets = 0;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:l:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 's':
			if (pc_cli_add_set(sets, &nsets, optarg) != 0)
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	pc_web *w = calloc(1, sizeof *w);
	if (!w)
		return 1;
	pc_config_defaults(&w->cfg);
	int rc = 2;
	if (pc_cli_config(&w->cfg, config, sets, nsets) != 0)
		goto out;
	if (db)
		snprintf(w->cfg.history_db, sizeof w->cfg.history_db, "%s", db);
	if (listen)
		snprintf(w->cfg.console_listen, sizeof w->cfg.console_listen, "%s", listen);
	if (!w->cfg.history_db[0]) {
		fprintf(stderr, "portcullis serve: no store: give --db FILE (or a postgresql:// URI) or set [history] "
		                "database or [store]\n");
		goto out;
	}
	if (config && !realpath(config, w->config_path))
		snprintf(w->config_path, sizeof w->config_path, "%s", config);
	ssize_t sl = readlink("/proc/self/exe", w->self, sizeof w->self - 1);
	if (sl <= 0) {
		fprintf(stderr, "portcullis serve: cannot find this program (/proc/self/exe)\n");
		goto out;
	}
	w->self[sl] = '\0';
	if (read_token(w->cfg.console_metrics_token, w->metrics_token, sizeof w->metrics_token) != 0)
		goto out;
	pc_pipeline_global_init(); /* GMime for the message pages */
	if (pc_password_init() != 0) {
		fprintf(stderr, "portcullis serve: libsodium did not start\n");
		goto out;
	}
	w->session_idle = w->cfg.console_session_idle;
	w->session_max = w->cfg.console_session_max;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->verify_lock, NULL);
	pthread_mutex_init(&w->qindex_lock, NULL);
	pthread_cond_init(&w->store_free, NULL);
	w->nstores = w->cfg.console_threads ? w->cfg.console_threads : 4;
	w->stores = calloc(w->nstores, sizeof *w->stores);
	w->store_busy = calloc(w->nstores, sizeof *w->store_busy);
	w->rl = pc_ratelimit_new();
	w->jobs = pc_jobs_new();
	if (!w->stores || !w->store_busy || !w->rl || !w->jobs)
		goto out;
	char err[512];
	for (size_t i = 0; i < w->nstores; i++)
		if (!(w->stores[i] = pc_store_open_cfg(&w->cfg, NULL, 0, err, sizeof err))) {
			fprintf(stderr, "portcullis serve: %s\n", err);
			goto out;
		}
	pc_qindex_sync(w, w->stores[0], true);

	/* signals: taken by sigtimedwait below, blocked in every thread */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_Daemon *d = pc_web_start(w, err, sizeof err);
	if (!d) {
		fprintf(stderr, "portcullis serve: %s\n", err);
		goto out;
	}
	/* after the listener: a configuration that cannot start makes no
	 * account (its password would be printed to nobody) */
	if (first_account(w->stores[0]) != 0) {
		MHD_stop_daemon(d);
		goto out;
	}
	char where[300]; /* a connection string is not printed: it may hold secrets */
	pc_store_where(w->cfg.history_db, where, sizeof where);
	printf("portcullis serve: the console is at %s://%s/ (store %s)\n", w->tls ? "https" : "http",
	       w->cfg.console_listen, where);
	fflush(stdout);
	struct timespec tick = {5, 0};
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		/* the main thread's turn with store 0 */
		pthread_mutex_lock(&w->lock);
		while (w->store_busy[0])
			pthread_cond_wait(&w->store_free, &w->lock);
		w->store_busy[0] = true;
		pthread_mutex_unlock(&w->lock);
		pc_qindex_sync(w, w->stores[0], false);
		pc_jobs_reap(w, w->stores[0]);
		pthread_mutex_lock(&w->lock);
		w->store_busy[0] = false;
		pthread_cond_signal(&w->store_free);
		pthread_mutex_unlock(&w->lock);
	}
	fprintf(stderr, "portcullis serve: stopping\n");
	MHD_stop_daemon(d);
	pc_jobs_free(w->jobs);
	w->jobs = NULL;
	rc = 0;
out:
	if (w->stores)
		for (size_t i = 0; i < w->nstores; i++)
			if (w->stores[i])
				pc_store_close(w->stores[i]);
	free(w->stores);
	free(w->store_busy);
	pc_ratelimit_free(w->rl);
	pc_jobs_free(w->jobs);
	pc_config_free(&w->cfg);
	free(w);
	return rc;
}
