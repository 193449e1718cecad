/*
 * NAME
 *   internal - what the milter's files share (not for outside milter/)
 * DESCRIPTION
 *   milter.c: the command, the supervisor and the state; front.c: the
 *   front end process, config loading and checks; session.c: the
 *   libmilter callbacks of one SMTP session; log.c: one line per message.
 */
#ifndef PC_MILTER_INTERNAL_H
#define PC_MILTER_INTERNAL_H

#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/options.h"
#include "core/config.h"
#include "milter/pool.h"

/* What the front end itself reads from the config (the workers read all
 * of it); replaced on reload. */
typedef struct settings {
	unsigned timeout_ms;
	int fail_open;
	int store_tempfail;       /* a scan that met a store error: tempfail ([store] on_error) */
	char store_journal[1024]; /* else such a message is kept here first ([store] journal) */
	pc_action limit_action;
	char quarantine_dir[1024];
	int quarantine_hold;
	size_t cpu_ms;
	size_t max_message;
	size_t max_buffered;
	unsigned drain_ms;
	int log_syslog, log_json;
	char authserv_id[256];
} settings;

/* The front end's state (milter.c). */
typedef struct pc_mi_state {
	const char *config_path;
	char *sets[PC_CLI_MAX_SETS];
	size_t nsets;
	pthread_rwlock_t lock;
	settings s;
	pc_pool *pool;
	char **worker_argv;
	atomic_int inflight;
	atomic_size_t buffered; /* bytes held by all connections' messages */
	atomic_bool draining;
	unsigned front_restarts; /* set by the supervisor before it forks a front end again */
} pc_mi_state;
extern pc_mi_state pc_mi;

/* A copy of the settings in force (they are replaced on reload). */
settings pc_mi_current(void);
void pc_mi_settings_from(settings *s, const pc_config *c);

typedef struct outcome {
	const char *ref, *queue_id, *client, *from;
	size_t nrcpt, size;
	const char *verdict, *action, *score, *qid, *campaign, *reasons, *detail, *error;
	double ms;
	/* for the metrics only (exporter.c) */
	double scan_s;  /* the worker's time on it; < 0: no worker answered */
	unsigned dberr; /* store operations that failed during its scan */
	bool qfailed;   /* it was to be quarantined and could not be */
} outcome;

/* One SMTP connection, and the message in progress on it (session.c). */
#define PC_MI_MAX_RCPT 1000
typedef struct conn {
	char client[INET6_ADDRSTRLEN];
	char *clname, *helo;
	bool leadspc;
	unsigned long nr; /* the SMFIP_NR_* steps the MTA expects no reply to */
	bool failed;      /* out of memory in a step that cannot answer: tempfail at the end */
	bool refused;     /* began while draining: tempfail at the end */
	/* the message in progress */
	bool in_msg;
	char *from;
	char *rcpt[PC_MI_MAX_RCPT];
	size_t nrcpt, rcpt_dropped;
	char *buf;
	size_t n, cap, total;
	bool overflow;
	const char *overflow_why;
	long long t0;
	/* forged fields as they arrived (name, index among fields of that
	 * name), for the fail-open path: known even when the buffer is gone */
	struct forged {
		char *name;
		unsigned idx;
	} forged[64];
	size_t nforged;
	bool forged_overflow;
	unsigned ar_seen; /* Authentication-Results fields so far */
} conn;
conn *pc_mi_conn(SMFICTX *ctx); /* allocated at the first callback */
void pc_mi_msg_end(conn *c);    /* forgets the message in progress */
/* eom.c: the end of a message */
sfsistat pc_mi_eom(SMFICTX *ctx);

/* exporter.c: the metrics, and /metrics on [milter] metrics. Every
 * answer to the MTA is logged with pc_mi_log_outcome, which counts it. */
void pc_mi_count_connection(void);
void pc_mi_count_outcome(const outcome *o);
/* [milter] metrics_token_file read and checked: 0, or -1 with err. */
int pc_mi_exporter_check(const pc_config *cfg, char *err, size_t errlen);
/* Starts the listener when [milter] metrics is set (before the front end
 * drops its privileges): 0, or -1 with err. */
int pc_mi_exporter_start(const pc_config *cfg, char *err, size_t errlen);
void pc_mi_exporter_stop(void);

/* log.c */
void pc_mi_logf(bool error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *pc_mi_clean(const char *s, char *buf, size_t cap);
void pc_mi_log_outcome(const outcome *o);

/* front.c */
int pc_mi_load(pc_config *cfg);
int pc_mi_check(const pc_config *cfg, bool verbose);
unsigned pc_mi_workers_of(const pc_config *cfg);
#define WORKER_ARGV_MAX (8 + 2 * PC_CLI_MAX_SETS)
void pc_mi_worker_argv(char **argv);
int pc_mi_front(int ctl_fd, int spawn_fd, const pc_config *cfg);

/* session.c: the callbacks, for smfi_register */
struct smfiDesc pc_mi_callbacks(void);

#endif
