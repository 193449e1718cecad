/*
 * NAME
 *   options - config, overrides and store for every command (see options.h)
 */
#include "app/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "act/quarantine.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

int pc_cli_add_set(char **sets, size_t *nsets, char *arg)
{
	if (*nsets == PC_CLI_MAX_SETS) {
		fprintf(stderr, "portcullis: too many --set\n");
		return -1;
	}
	sets[(*nsets)++] = arg;
	return 0;
}

int pc_cli_config(pc_config *cfg, const char *path, char **sets, size_t nsets)
{
	char err[512];
	if (path && pc_config_load(cfg, path, err, sizeof err) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');
		if (!eq) {
			fprintf(stderr, "portcullis: --set %s: expected KEY=VALUE\n", sets[i]);
			return -1;
		}
		*eq = '\0';
		if (pc_config_set(cfg, sets[i], eq + 1, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis: --set: %s\n", err);
			return -1;
		}
	}
	if (nsets && pc_config_store_finish(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "portcullis: --set: %s\n", err);
		return -1;
	}
	/* the detectors' own settings, checked against what they declare */
	if (pc_pipeline_check_config(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		return -1;
	}
	pc_quarantine_settings(cfg->store_password_file, cfg->store_timeout_ms);
	return 0;
}

struct pc_store *pc_cli_store(const pc_config *cfg, const char *db_path)
{
	const char *path = db_path ? db_path : cfg->history_db;
	if (!path || !*path) {
		fprintf(stderr, "portcullis: no store: give --db FILE (or a postgresql:// URI) or set [history] "
		                "database or [store]\n");
		return NULL;
	}
	char err[512];
	pc_store *st = pc_store_open_cfg(cfg, path, 0, err, sizeof err);
	if (!st)
		fprintf(stderr, "portcullis: store: %s\n", err);
	return st;
}

const char *pc_cli_actor(void)
{
	static char buf[64];
	const char *u = getenv("SUDO_USER");
	if (!u || !*u)
		u = getenv("USER");
	if (u && *u && strlen(u) < sizeof buf) {
		snprintf(buf, sizeof buf, "%s", u);
		for (char *p = buf; *p; p++) /* an audit name is a word */
			if ((unsigned char)*p < 0x21 || *p == 0x7f)
				*p = '_';
	} else {
		snprintf(buf, sizeof buf, "uid %ld", (long)getuid());
	}
	return buf;
}

const char *pc_cli_time(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", t);
	return buf;
}
