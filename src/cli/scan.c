/*
 * NAME
 *   scan - portcullis scan: one JSON line per message
 * SYNOPSIS
 *   portcullis scan [options] PATH...
 * DESCRIPTION
 *   A thin shell over pc_scan(): reads the config, walks the inputs, prints
 *   one JSON line (or an --explain report) per message, shows progress on
 *   a terminal, and exits 0 when everything could be read, 2 on usage
 *   errors or unreadable paths (the other paths are still scanned).
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/scan.h"
#include "app/options.h"
#include "app/resources.h"
#include "app/report.h"
#include "cli/source.h"
#include "core/config.h"
#include "act/rewrite.h"
#include "detect/lib/trackerlist.h"
#include "store/store.h"
#include "net/dns.h"
#include "pipeline/pipeline.h"

#define MAX_RCPT 1000

static const char usage_scan[] = "usage: portcullis scan [options] PATH...\n"
                                 "\n"
                                 "Scan .eml files, mbox files, Maildirs and directories (recursively), or\n"
                                 "'-' for standard input. Prints one JSON object per message on stdout\n"
                                 "(JSON Lines) and a summary on stderr.\n"
                                 "\n"
                                 "Options:\n"
                                 "  -c, --config FILE     read settings from FILE (see portcullis.conf(5))\n"
                                 "  -r, --rcpt ADDR       the envelope recipient (repeatable); default:\n"
                                 "                        X-Original-To, Delivered-To, then To\n"
                                 "  -s, --set KEY=VALUE   override one setting, e.g. --set limits.urls=5000\n"
                                 "  -d, --db FILE         the history store (SQLite) for first contact;\n"
                                 "                        default: [history] database, else none\n"
                                 "  -w, --rewrite DIR     write each message, trackers neutralised, into DIR\n"
                                 "                        (one file per message; unchanged ones copied)\n"
                                 "      --client-ip IP    the SMTP client's address (IPv4 or IPv6), for SPF\n"
                                 "      --helo NAME       the client's HELO/EHLO name\n"
                                 "      --mail-from ADDR  the envelope sender (MAIL FROM; '' for the null sender)\n"
                                 "                        (the envelope applies to every scanned message;\n"
                                 "                        DNS checks run when dns.servers is not 'system' or\n"
                                 "                        --client-ip is given; see [auth] and [dns])\n"
                                 "  -e, --explain         a readable report per message instead of JSON\n"
                                 "  -q, --quiet           no progress and no summary on stderr\n"
                                 "  -h, --help            this text\n"
                                 "\n"
                                 "Exit status: 0 all inputs read, 2 usage error or an unreadable path.\n";

typedef struct scan_ctx {
	pc_scanner *sc;
	FILE *out; /* stdout through out_write: the store's batch is committed before each write */
	const char *const *rcpt;
	size_t nrcpt;
	bool explain, progress;
	const char *rewrite_dir;
	size_t rewritten, write_errors;
	size_t done, bytes_done, total_bytes;
	size_t verdicts[4];
	struct timespec start, last;
} scan_ctx;

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* DIR/<file name of the source>[.N].eml, created exclusively, written,
 * fsync'd: a rewrite never replaces an existing file. */
static void write_rewritten(scan_ctx *c, const pc_msg *m, const char *bytes, size_t n, const char *source)
{
	char *out = NULL;
	size_t outn = 0;
	pc_rewrite_stats st = {0};
	int rc = pc_neutralise(c->sc, m, bytes, n, c->rcpt, c->nrcpt, &out, &outn, &st);
	if (rc < 0) {
		fprintf(stderr, "portcullis: %s: could not rewrite; copied unchanged\n", source);
		rc = 0;
	}
	const char *data = rc == 1 ? out : bytes;
	size_t len = rc == 1 ? outn : n;
	c->rewritten += rc == 1;
	const char *base = strrchr(source, '/');
	base = base ? base + 1 : source;
	char name[256];
	size_t k = 0;
	for (const char *p = base; *p && k < 200; p++) /* mbox ":N" and Maildir ":2,S" become "_" */
		name[k++] = (*p == ':' || *p == '/' || (unsigned char)*p < 32) ? '_' : *p;
	name[k] = '\0';
	if (!k || !strcmp(name, ".") || !strcmp(name, ".."))
		snprintf(name, sizeof name, "message");
	bool eml = k > 4 && !strcmp(name + k - 4, ".eml");
	int fd = -1;
	char path[4096];
	for (int i = 0; i < 10000 && fd < 0; i++) {
		if (i == 0)
			snprintf(path, sizeof path, "%s/%s%s", c->rewrite_dir, name, eml ? "" : ".eml");
		else
			snprintf(path, sizeof path, "%s/%s.%d.eml", c->rewrite_dir, name, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	if (ok && fsync(fd) != 0)
		ok = false;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "portcullis: %s: cannot write the rewritten copy: %s\n", path, strerror(errno));
		c->write_errors++;
	}
	free(out);
}

static void on_message(void *ctx, const char *bytes, size_t n, const char *source, const pc_source_pos *pos)
{
	(void)pos;
	scan_ctx *c = ctx;
	const pc_msg *m = pc_scan(c->sc, bytes, n, source, c->rcpt, c->nrcpt);
	if (!m) {
		fprintf(stderr, "portcullis: %s: out of memory\n", source);
		return;
	}
	if (c->explain)
		pc_report_explain(c->out, m);
	else
		pc_report_json(c->out, m);
	c->done++;
	c->bytes_done += n;
	c->verdicts[m->verdict]++;
	if (c->rewrite_dir) /* last: it scans the rewritten copy, m is gone after */
		write_rewritten(c, m, bytes, n, source);
	if (c->progress && (c->done & 63) == 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (elapsed(&c->last, &now) >= 0.5) {
			c->last = now;
			double t = elapsed(&c->start, &now);
			double rate = t > 0 ? (double)c->done / t : 0;
			double brate = t > 0 ? (double)c->bytes_done / t : 0;
			double eta = brate > 0 && c->total_bytes > c->bytes_done
			                 ? (double)(c->total_bytes - c->bytes_done) / brate
			                 : 0;
			fprintf(stderr, "\r%zu messages, %.0f msg/s, %.1f MB/s, ETA %.0f s   ", c->done, rate,
			        brate / 1e6, eta);
		}
	}
}

/* The results go to standard output through this: a write to a pipe can
 * block for as long as the reader is slow, and the store's batch (a write
 * transaction other scanners wait for) must not be held meanwhile. */
static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
	pc_store *store = cookie;
	static bool warned; /* once: the end of the scan says it again, with the total */
	if (store && pc_store_flush(store) != 0 && !warned) {
		fprintf(stderr, "portcullis: store: %s\n", pc_store_error(store));
		warned = true;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(STDOUT_FILENO, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return off ? (ssize_t)off : -1;
		off += (size_t)w;
	}
	return (ssize_t)n;
}

/* The config's lists ([person], domains) are freed on every return. */
static void config_cleanup(pc_config *c)
{
	pc_config_free(c);
}

int pc_cli_scan(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"rcpt", required_argument, NULL, 'r'},
	                                     {"set", required_argument, NULL, 's'},
	                                     {"explain", no_argument, NULL, 'e'},
	                                     {"rewrite", required_argument, NULL, 'w'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"client-ip", required_argument, NULL, 'I'},
	                                     {"helo", required_argument, NULL, 'H'},
	                                     {"mail-from", required_argument, NULL, 'M'},
	                                     {NULL, 0, NULL, 0}};
	pc_envelope env = {NULL, NULL, NULL};
	pc_config cfg __attribute__((cleanup(config_cleanup)));
	pc_config_defaults(&cfg);
	const char *rcpt[MAX_RCPT];
	size_t nrcpt = 0;
	bool explain = false, quiet = false;
	char err[1024];
	const char *config_path = NULL;
	const char *rewrite_dir = NULL;
	const char *db_path = NULL;
	char *sets[PC_CLI_MAX_SETS];
	size_t nsets = 0;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:r:s:w:d:eqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'r':
			if (nrcpt == MAX_RCPT) {
				fprintf(stderr, "portcullis: at most %d --rcpt\n", MAX_RCPT);
				return 2;
			}
			rcpt[nrcpt++] = optarg;
			break;
		case 's':
			if (pc_cli_add_set(sets, &nsets, optarg) != 0)
				return 2;
			break;
		case 'e':
			explain = true;
			break;
		case 'w':
			rewrite_dir = optarg;
			break;
		case 'd':
			db_path = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'I': {
			unsigned char buf[sizeof(struct in6_addr)];
			if (inet_pton(strchr(optarg, ':') ? AF_INET6 : AF_INET, optarg, buf) != 1) {
				fprintf(stderr, "portcullis: --client-ip %s: not an IPv4 or IPv6 address\n", optarg);
				return 2;
			}
			env.client_ip = optarg;
			break;
		}
		case 'H':
			env.helo = optarg;
			break;
		case 'M':
			if (optarg[0] == '<') { /* <addr> as in the SMTP command */
				size_t l = strlen(optarg);
				if (l >= 2 && optarg[l - 1] == '>') {
					optarg[l - 1] = '\0';
					optarg++;
				}
			}
			env.mail_from = optarg;
			break;
		case 'h':
			fputs(usage_scan, stdout);
			return 0;
		default:
			fputs(usage_scan, stderr);
			return 2;
		}
	}
	if (pc_cli_config(&cfg, config_path, sets, nsets) != 0)
		return 2;
	if (optind >= argc) {
		fputs(usage_scan, stderr);
		return 2;
	}
	if (db_path && pc_config_set(&cfg, "history.database", db_path, err, sizeof err) != 0) {
		fprintf(stderr, "portcullis: --db: %s\n", err);
		return 2;
	}
	if (rewrite_dir) {
		struct stat sb;
		if (stat(rewrite_dir, &sb) != 0 && mkdir(rewrite_dir, 0750) != 0) {
			fprintf(stderr, "portcullis: --rewrite %s: %s\n", rewrite_dir, strerror(errno));
			return 2;
		}
		if (stat(rewrite_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "portcullis: --rewrite %s: not a directory\n", rewrite_dir);
			return 2;
		}
	}
	/* A stored message scanned with the machine's resolver is checked by
	 * DNS only when an envelope says where it came from: keys rotate and
	 * records change after delivery, and a corpus scan should not send a
	 * DNS query per message. Naming servers (dns.servers) asks for the
	 * checks explicitly. */
	pc_resources res;
	int rc = 2;
	scan_ctx c;
	memset(&c, 0, sizeof c);
	unsigned what = PC_RES_STORE;
	if (strcasecmp(cfg.dns_servers, "system") || env.client_ip)
		what |= PC_RES_DNS;
	if (pc_resources_open(&cfg, what, &res, err, sizeof err) != 0) {
		pc_resources_complain(err);
		goto out;
	}
	pc_store *store = res.store;
	/* a scan of stored mail commits its campaign work in batches (one
	 * commit per 1,000 messages or 500 ms): most of the store's cost */
	if (store)
		pc_store_batch(store, 1000, 500);
	/* Parsing allocates and frees many blocks per message; keeping freed
	 * memory in the process (instead of trimming and unmapping after each
	 * message) saves the page faults and TLB flushes that showed up as the
	 * largest kernel cost in perf. Peak memory is still bounded by limits. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	c.sc = pc_resources_scanner(&cfg, &res);
	if (!c.sc) {
		fprintf(stderr, "portcullis: cannot create scanner (out of memory)\n");
		goto out;
	}
	pc_scanner_set_envelope(c.sc, &env);
	pc_scanner_keep_for_rewrite(c.sc, rewrite_dir != NULL);
	c.rewrite_dir = rewrite_dir;
	c.rcpt = rcpt;
	c.nrcpt = nrcpt;
	c.explain = explain;
	c.progress = !quiet && isatty(STDERR_FILENO);
	static char outbuf[1 << 20];
	c.out = fopencookie(store, "w", (cookie_io_functions_t){NULL, out_write, NULL, NULL});
	if (!c.out) {
		fprintf(stderr, "portcullis: cannot set up the output: %s\n", strerror(errno));
		goto out;
	}
	setvbuf(c.out, outbuf, _IOFBF, sizeof outbuf);
	if (c.progress)
		c.total_bytes = pc_source_total_bytes(argv + optind, (size_t)(argc - optind));
	clock_gettime(CLOCK_MONOTONIC, &c.start);
	c.last = c.start;
	pc_source_stats st = {0, 0, 0};
	pc_source_walk(argv + optind, (size_t)(argc - optind), on_message, &c, &st);
	if (fflush(c.out) != 0 || ferror(c.out)) {
		fprintf(stderr, "portcullis: cannot write the results to standard output\n");
		c.write_errors++;
	}
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (!quiet) {
		double t = elapsed(&c.start, &end);
		fprintf(stderr,
		        "%sportcullis: %zu messages (%.1f MB) in %.2f s: %zu accept, %zu neutralise, %zu quarantine, "
		        "%zu reject; %zu unreadable\n",
		        c.progress ? "\r\033[K" : "", c.done, (double)st.bytes / 1e6, t, c.verdicts[PC_ACTION_ACCEPT],
		        c.verdicts[PC_ACTION_NEUTRALISE], c.verdicts[PC_ACTION_QUARANTINE],
		        c.verdicts[PC_ACTION_REJECT], st.errors);
	}
	if (rewrite_dir && !quiet)
		fprintf(stderr, "portcullis: %zu messages rewritten into %s\n", c.rewritten, rewrite_dir);
	rc = st.errors || c.write_errors ? 2 : 0;
	if (store && pc_store_flush(store) != 0) {
		fprintf(stderr, "portcullis: store: %s\n", pc_store_error(store));
		rc = 2;
	}
out:
	if (c.out)
		fclose(c.out);
	/* the scanner first: it holds the DNS resolver's and lists' users */
	pc_scanner_free(c.sc);
	pc_resources_close(&res);
	return rc;
}
