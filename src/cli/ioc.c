/*
 * NAME
 *   ioc - the ioc command: indicator sets the milter and scan match at delivery
 * SYNOPSIS
 *   portcullis ioc add NAME FILE [--replace]   text, STIX 2.1 or MISP (hunt/ioc.h)
 *   portcullis ioc list [--json]
 *   portcullis ioc remove NAME
 *   (each with [-c FILE] [-s KEY=VALUE]... [--db FILE])
 * DESCRIPTION
 *   A set is checked by loading it (a file hunt --ioc would refuse is
 *   refused here, with its reason) and kept whole in the store
 *   (hunt/ioc_sets.h), so every filter node sharing the store matches it
 *   from the next message on; a hit is an ioc.match finding naming the
 *   set and the indicator, decided by [policy] ioc_action. Adding and
 *   removing are audited (action "ioc-add", "ioc-remove"). A NAME is 1 to
 *   64 of [A-Za-z0-9._-]; adding an existing name needs --replace.
 */
#include "cli/ioc.h"

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/options.h"
#include "hunt/ioc.h"
#include "store/store.h"

static const char usage[] = "usage: portcullis ioc add NAME FILE [--replace]\n"
                            "       portcullis ioc list [--json]\n"
                            "       portcullis ioc remove NAME\n"
                            "  options: [-c FILE] [-s KEY=VALUE]... [--db FILE]\n";

static bool name_ok(const char *n)
{
	size_t k = 0;
	for (; n[k]; k++)
		if (!g_ascii_isalnum(n[k]) && n[k] != '.' && n[k] != '_' && n[k] != '-')
			return false;
	return k > 0 && k <= 64 && n[0] != '-';
}

typedef struct lctx {
	bool json, any;
	const char *find;
	bool found;
} lctx;

static int on_list(void *ctx, const pc_ioc_set *s)
{
	lctx *l = ctx;
	if (l->find) {
		l->found |= !strcmp(l->find, s->name);
		return 0;
	}
	char when[32];
	time_t t = s->added;
	pc_cli_time((long long)t, when, sizeof when);
	if (l->json) {
		json_t *o =
		    json_pack("{s:s,s:s,s:s,s:I,s:I}", "name", s->name, "added", when, "actor",
		              s->actor ? s->actor : "", "indicators", (json_int_t)s->count, "bytes", (json_int_t)s->n);
		char *text = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		printf("%s%s", l->any ? "," : "", text ? text : "{}");
		free(text);
		json_decref(o);
	} else {
		if (!l->any)
			printf("%-24s %10s  %-20s %s\n", "NAME", "INDICATORS", "ADDED", "BY");
		printf("%-24s %10ld  %-20s %s\n", s->name, s->count, when, s->actor ? s->actor : "");
	}
	l->any = true;
	return 0;
}

static int add(pc_store *st, const char *name, const char *path, bool replace)
{
	char err[512];
	pc_ioc *ioc = pc_ioc_load(path, err, sizeof err);
	if (!ioc) {
		fprintf(stderr, "portcullis: ioc add: %s\n", err);
		return 1;
	}
	size_t count = pc_ioc_count(ioc);
	const char *first = NULL;
	size_t skipped = pc_ioc_skipped(ioc, &first);
	pc_ioc_free(ioc);
	gchar *body = NULL;
	gsize n = 0;
	GError *ge = NULL;
	if (!g_file_get_contents(path, &body, &n, &ge)) {
		fprintf(stderr, "portcullis: ioc add: %s\n", ge->message);
		g_error_free(ge);
		return 1;
	}
	lctx l = {.find = name};
	if (pc_store_ioc_list(st, false, on_list, &l) != 0) {
		fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
		g_free(body);
		return 1;
	}
	if (l.found && !replace) {
		fprintf(stderr, "portcullis: ioc add: a set named %s exists (--replace to replace it)\n", name);
		g_free(body);
		return 1;
	}
	time_t now = time(NULL);
	pc_ioc_set set = {name, pc_cli_actor(), now, (long)count, body, n};
	char detail[600];
	snprintf(detail, sizeof detail, "%s %s from %.400s: %zu indicators, %zu skipped",
	         l.found ? "replaced" : "added", name, path, count, skipped);
	int rc = pc_store_begin(st) != 0 || pc_store_ioc_put(st, &set) != 0 ||
	         pc_store_audit(st, now, pc_cli_actor(), "ioc-add", 0, name, detail) != 0 || pc_store_commit(st) != 0;
	g_free(body);
	if (rc) {
		pc_store_rollback(st);
		fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
		return 1;
	}
	printf("%s: %zu indicators kept in the store", name, count);
	if (skipped)
		printf(" (%zu skipped, first: %s)", skipped, first ? first : "?");
	printf("\n");
	return 0;
}

int pc_cli_ioc(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"set", required_argument, NULL, 's'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"replace", no_argument, NULL, 'r'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *db = NULL, *config = NULL;
	char *sets[PC_CLI_MAX_SETS];
	size_t nsets = 0;
	bool json = false, replace = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:s:jrh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			if (pc_cli_add_set(sets, &nsets, optarg) != 0)
				return 2;
			break;
		case 'j':
			json = true;
			break;
		case 'r':
			replace = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : "list";
	int need = !strcmp(sub, "add") ? 2 : !strcmp(sub, "remove") ? 1 : !strcmp(sub, "list") ? 0 : -1;
	if (need < 0 || argc - optind - 1 < need || (need && !name_ok(argv[optind + 1]))) {
		fprintf(stderr, "portcullis: ioc: %s\n%s",
		        need < 0                   ? "expected add, list or remove"
		        : argc - optind - 1 < need ? "missing arguments"
		                                   : "NAME is 1-64 of A-Za-z0-9._-",
		        usage);
		return 2;
	}
	pc_config cfg;
	pc_config_defaults(&cfg);
	int rc = 2;
	pc_store *st = NULL;
	if (pc_cli_config(&cfg, config, sets, nsets) != 0 || !(st = pc_cli_store(&cfg, db)))
		goto out;
	if (!strcmp(sub, "add")) {
		rc = add(st, argv[optind + 1], argv[optind + 2], replace);
	} else if (!strcmp(sub, "remove")) {
		const char *name = argv[optind + 1];
		char detail[128];
		snprintf(detail, sizeof detail, "removed %s", name);
		int r = -1;
		if (pc_store_begin(st) == 0 && (r = pc_store_ioc_remove(st, name)) >= 0 &&
		    (r == 0 || pc_store_audit(st, time(NULL), pc_cli_actor(), "ioc-remove", 0, name, detail) == 0) &&
		    pc_store_commit(st) == 0) {
			if (r == 0)
				fprintf(stderr, "portcullis: ioc remove: no set named %s\n", name);
			else
				printf("%s: removed\n", name);
			rc = r == 0 ? 1 : 0;
		} else {
			pc_store_rollback(st);
			fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
			rc = 1;
		}
	} else {
		lctx l = {.json = json};
		if (json)
			fputc('[', stdout);
		int r = pc_store_ioc_list(st, false, on_list, &l);
		if (json)
			fputs("]\n", stdout);
		else if (!l.any)
			printf("no indicator sets\n");
		rc = r == 0 ? 0 : 1;
		if (r)
			fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
	}
out:
	pc_store_close(st);
	pc_config_free(&cfg);
	return rc;
}
