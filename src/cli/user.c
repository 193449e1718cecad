/*
 * NAME
 *   user - the user command: the console's accounts
 * SYNOPSIS
 *   portcullis user add NAME --role viewer|analyst|admin [--password-stdin]
 *   portcullis user passwd NAME [--password-stdin]
 *   portcullis user remove NAME
 *   portcullis user list [--json]
 * DESCRIPTION
 *   Accounts live in the store (store.h: console_user), hashed with
 *   argon2id (app/password.h). Without --password-stdin a password of 20
 *   random characters is made and printed once; with it, the first line
 *   of standard input is the password (12 characters at least). Every
 *   change is an audit record naming who ran the command. A running
 *   console sees a new or changed account at the next login; sessions of
 *   an account changed here end when the console restarts or when they
 *   time out (the console's own Accounts page ends them at once).
 */
#include "cli/user.h"

#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/options.h"
#include "app/password.h"
#include "store/store.h"

static const char usage[] = "usage: portcullis user add NAME --role viewer|analyst|admin [--password-stdin]\n"
                            "       portcullis user passwd NAME [--password-stdin]\n"
                            "       portcullis user remove NAME\n"
                            "       portcullis user list [--json]\n"
                            "\n"
                            "The analyst console's accounts (portcullis serve). A password is made and\n"
                            "printed once unless --password-stdin reads one (12 characters or more).\n"
                            "\n"
                            "Options:\n"
                            "  -d, --db FILE          the store (default: [history] database of --config)\n"
                            "  -c, --config FILE      read settings from FILE\n"
                            "  -r, --role ROLE        viewer (reads), analyst (also acts), admin (also accounts)\n"
                            "  -p, --password-stdin   read the password from standard input\n"
                            "  -j, --json             list as JSON\n"
                            "  -h, --help             this text\n";

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 32 && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

typedef struct found {
	bool any;
	char role[16];
	time_t created;
	bool json;
	int n;
} found;

static int on_user(void *ctx, const pc_user *u)
{
	found *f = ctx;
	f->any = true;
	snprintf(f->role, sizeof f->role, "%s", u->role);
	f->created = u->created;
	return 0;
}

static int print_user(void *ctx, const pc_user *u)
{
	found *f = ctx;
	char c[32], p[32];
	pc_cli_time(u->created, c, sizeof c);
	pc_cli_time(u->changed, p, sizeof p);
	if (f->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "name", u->name, "role", u->role, "created", c,
		                      "password_changed", p);
		char *t = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		printf("%s%s", f->n ? "," : "", t ? t : "null");
		free(t);
		json_decref(o);
	} else
		printf("%-20s %-8s created %s, password changed %s\n", u->name, u->role, c, p);
	f->n++;
	return 0;
}

static int password(bool from_stdin, char *out, size_t len, bool *made)
{
	*made = !from_stdin;
	if (!from_stdin) {
		char pw[PC_PASSWORD_GEN];
		pc_password_generate(pw);
		snprintf(out, len, "%s", pw);
		return 0;
	}
	if (!fgets(out, (int)len, stdin)) {
		fprintf(stderr, "portcullis: user: no password on standard input\n");
		return -1;
	}
	out[strcspn(out, "\r\n")] = '\0';
	if (strlen(out) < 12 || strlen(out) > PC_PASSWORD_MAX) {
		fprintf(stderr, "portcullis: user: a password has 12 to %d characters\n", PC_PASSWORD_MAX);
		return -1;
	}
	return 0;
}

int pc_cli_user(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"role", required_argument, NULL, 'r'},
	                                     {"password-stdin", no_argument, NULL, 'p'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *db = NULL, *config = NULL, *role = NULL;
	bool from_stdin = false, json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:r:pjh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'p':
			from_stdin = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : NULL;
	const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
	bool list = sub && !strcmp(sub, "list");
	if (!sub || (!list && (!name || optind + 2 != argc)) || (list && optind + 1 != argc) ||
	    (strcmp(sub, "add") && strcmp(sub, "passwd") && strcmp(sub, "remove") && !list)) {
		fputs(usage, stderr);
		return 2;
	}
	if (name && !name_ok(name)) {
		fprintf(stderr, "portcullis: user: a name is 1 to 32 of a-z 0-9 . _ - starting with a letter\n");
		return 2;
	}
	if (!strcmp(sub, "add") &&
	    (!role || (strcmp(role, "viewer") && strcmp(role, "analyst") && strcmp(role, "admin")))) {
		fprintf(stderr, "portcullis: user add: --role viewer, analyst or admin\n");
		return 2;
	}
	pc_config cfg;
	pc_config_defaults(&cfg);
	int rc = 2;
	pc_store *st = NULL;
	if (pc_cli_config(&cfg, config, NULL, 0) != 0 || !(st = pc_cli_store(&cfg, db)))
		goto out;
	found f = {.json = json};
	if (list) {
		if (json)
			printf("[");
		rc = pc_store_user_list(st, print_user, &f) == 0 ? 0 : 1;
		if (json)
			printf("]\n");
		if (rc)
			fprintf(stderr, "portcullis: user list: %s\n", pc_store_error(st));
		goto done;
	}
	if (pc_store_user_get(st, name, on_user, &f) < 0)
		goto fail;
	time_t now = time(NULL);
	char detail[128];
	if (!strcmp(sub, "remove")) {
		if (!f.any) {
			fprintf(stderr, "portcullis: user remove: no account %s\n", name);
			rc = 1;
			goto out;
		}
		snprintf(detail, sizeof detail, "account %s removed", name);
		if (pc_store_user_remove(st, name) < 0 ||
		    pc_store_audit(st, now, pc_cli_actor(), "account-remove", 0, name, detail) != 0)
			goto fail;
		printf("account %s removed\n", name);
		rc = 0;
		goto out;
	}
	if (!strcmp(sub, "add") && f.any) {
		fprintf(stderr, "portcullis: user add: an account %s exists (user passwd to change its password)\n",
		        name);
		rc = 1;
		goto out;
	}
	if (!strcmp(sub, "passwd") && !f.any) {
		fprintf(stderr, "portcullis: user passwd: no account %s\n", name);
		rc = 1;
		goto out;
	}
	char pw[PC_PASSWORD_MAX + 2], hash[PC_PASSWORD_HASH];
	bool made;
	if (password(from_stdin, pw, sizeof pw, &made) != 0 || pc_password_hash(pw, hash) != 0) {
		rc = 1;
		goto out;
	}
	pc_user u = {name, !strcmp(sub, "add") ? role : f.role, hash, f.any ? f.created : now, now, false};
	snprintf(detail, sizeof detail, "%s %s%s%s", !strcmp(sub, "add") ? "account added:" : "password changed:", name,
	         !strcmp(sub, "add") ? " as " : "", !strcmp(sub, "add") ? role : "");
	if (pc_store_user_put(st, &u) != 0 ||
	    pc_store_audit(st, now, pc_cli_actor(), !strcmp(sub, "add") ? "account-add" : "password-change", 0, name,
	                   detail) != 0)
		goto fail;
	if (made)
		printf("%s: password %s (shown once)\n", name, pw);
	else
		printf("%s: password set\n", name);
	sodium_memzero(pw, sizeof pw);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
	rc = 1;
	goto out;
done:
out:
	if (st)
		pc_store_close(st);
	pc_config_free(&cfg);
	return rc;
}
