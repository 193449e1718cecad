/*
 * NAME
 *   config - named limits and policy settings, read from portcullis.conf
 * SYNOPSIS
 *   pc_config c; pc_config_defaults(&c);
 *   if (pc_config_load(&c, "portcullis.conf", err, sizeof err) != 0) ...
 *   if (pc_config_set(&c, "limits.nesting_depth", "16", err, sizeof err) != 0) ...
 * DESCRIPTION
 *   The file is INI-like: `[section]` lines, `key = value` lines, `#`
 *   comments. Sizes take K/M/G suffixes. Any unknown key, bad value or
 *   syntax error refuses the whole file with "FILE:LINE: reason".
 *   Every limit has a name (used in findings as `parse.limit.<name>`'s
 *   evidence), a default, and a documented meaning (docs/portcullis.conf.md).
 */
#ifndef PC_CONFIG_H
#define PC_CONFIG_H

#include <stddef.h>

typedef enum { PC_ACTION_ACCEPT, PC_ACTION_NEUTRALISE, PC_ACTION_QUARANTINE, PC_ACTION_REJECT } pc_action;

typedef struct pc_limits {
	size_t message_size;  /* bytes of one message scanned; the rest is not parsed */
	size_t nesting_depth; /* MIME nesting (multipart + message/rfc822) */
	size_t parts;         /* MIME parts per message */
	size_t headers;       /* header fields of the whole message */
	size_t header_size;   /* bytes of one header field (name + value) */
	size_t decoded_size;  /* bytes decoded per text/HTML part */
	size_t decoded_total; /* bytes decoded per message, all parts */
	size_t urls;          /* resources + links + text URLs per message */
	size_t html_depth;    /* HTML element nesting that keeps its own visibility state */
	size_t html_nodes;    /* HTML elements + attributes of one part that are parsed */
	size_t arena;         /* memory for one message's parse results */
	size_t params;        /* MIME parameters of all Content-Type/-Disposition fields */
	size_t addresses;     /* addresses in the address fields (From, To, Cc ...) of a message */
	size_t cpu_ms;        /* CPU time of one scan (limits.cpu, in seconds in the file) */
	size_t memory;        /* memory of a scanning process (milter worker) */
} pc_limits;

typedef enum { PC_REMOTE_KEEP, PC_REMOTE_BLOCK } pc_remote_images;

/* A list of strings owned by the config (malloc'd; pc_config_free). */
typedef struct pc_strlist {
	char **v;
	size_t n, cap;
} pc_strlist;

/* A protected person: someone whose name an attacker would put on mail
 * (a journalist, a colleague, an official). `names` are the display-name
 * variants as the administrator wrote them; `addresses` and `domains` are
 * where the person really writes from (lower case). */
typedef struct pc_person {
	pc_strlist names;
	pc_strlist addresses;
	pc_strlist domains;
} pc_person;

/* One "detector.NAME.KEY = VALUE" as written, and where ("FILE:LINE", or
 * "--set"): checked later against what the detector declares. */
typedef struct pc_rawsetting {
	char *key, *value, *where;
} pc_rawsetting;

typedef struct pc_config {
	pc_limits limits;
	pc_action limit_action;   /* verdict when a limit was hit */
	pc_action tracker_action; /* verdict when trackers were found (and nothing worse) */
	/* [trackers] */
	char tracker_lists[1024]; /* comma-separated files, "" for none */
	int tracker_bundled;      /* also load the list shipped with Portcullis */
	/* [rewrite] */
	pc_remote_images remote_images; /* other remote images: keep, or replace by alt text */
	/* [organisation] */
	pc_strlist own_domains; /* the organisation's own domains (lower case) */
	/* [protected] */
	pc_strlist protected_domains; /* partner domains (news outlets ...) */
	/* [person] sections, in file order */
	pc_person *people;
	size_t npeople, cap_people;
	/* [freemail] */
	char freemail_lists[1024]; /* comma-separated files, "" for none */
	int freemail_bundled;      /* also load data/freemail.txt */
	/* [auth] */
	int auth_spf, auth_dkim, auth_dmarc; /* verify these ourselves */
	pc_strlist trusted_authserv_ids;     /* upstream Authentication-Results we believe */
	char authserv_id[256];               /* ours, in the header we add */
	/* [dns] */
	char dns_servers[256];   /* "system" (resolv.conf), "off", or "IP[:PORT] ..." */
	unsigned dns_timeout_ms; /* per query, all retries included */
	/* [history] */
	char history_db[1024]; /* the store: a SQLite file, or "postgresql:" + a libpq connection string
	                        * (set from [store] backend/conninfo); "" = none */
	/* [store] */
	int store_postgresql;           /* backend = postgresql */
	char store_conninfo[1024];      /* libpq connection string or URI */
	char store_password_file[1024]; /* the password, first line ("" = libpq's own: .pgpass, none) */
	unsigned store_timeout_ms;      /* connect, statement and lock timeout (PostgreSQL) */
	int store_on_error;             /* -1: by backend (tempfail for postgresql, deliver for sqlite);
	                                 * 1: tempfail a message whose scan met a store error; 0: deliver */
	char store_journal[1024];       /* on_error = deliver: such messages kept here for `store replay` */
	/* [policy] thresholds */
	pc_action impersonation_action;         /* impersonation, no tracker */
	pc_action impersonation_tracker_action; /* impersonation + hidden tracker or token */
	pc_action temperror_action;             /* DNS failed during authentication */
	double quarantine_score;                /* score at which any message is quarantined; 0 = off */
	double name_threshold;                  /* display-name similarity (0..1) that counts as a match */
	unsigned lookalike_distance;            /* max Damerau-Levenshtein distance on the label */
	/* [quarantine] */
	char quarantine_dir[1024];       /* act/quarantine.h directory, or the shared store's name
	                                  * ([quarantine] location = store); "" = none */
	int quarantine_in_store;         /* [quarantine] location = store */
	int quarantine_hold;             /* milter: also hold the message in Postfix's hold queue (smfi_quarantine) */
	char quarantine_sendmail[1024];  /* release: the command re-injecting a message (split on blanks) */
	char quarantine_postsuper[1024]; /* release of a held message: postsuper command (split on blanks) */
	char quarantine_postqueue[1024]; /* then: postqueue -i QUEUEID, delivery now */
	/* [milter] */
	char milter_socket[1024];   /* libmilter connection spec: inet:PORT@HOST, inet6:..., unix:PATH */
	unsigned milter_workers;    /* scanning worker processes; 0 = one per CPU */
	unsigned milter_timeout_ms; /* one message's scan; a worker over it is killed */
	int milter_fail_open;       /* on a fault: 1 accept with a header, 0 tempfail (451) */
	size_t milter_max_message;  /* bytes buffered per message; more is a fault */
	size_t milter_max_buffered; /* bytes buffered by all messages in flight; more is a fault */
	unsigned milter_drain_ms;   /* SIGTERM: how long in-flight messages may take */
	/* [milter] who runs what, and how confined (milter/sandbox.h) */
	char milter_user[33];        /* the front end, once it listens; "" = the user started as */
	char milter_worker_user[33]; /* the workers (they own the store); "" = the user started as */
	int milter_sandbox;          /* workers under rlimits and the system call filter */
	/* [milter] its Prometheus /metrics (milter/exporter.c) */
	char milter_metrics[64];         /* "ADDR:PORT" (core/hostport.h) the front end serves it on; "" = off */
	char milter_metrics_token[1024]; /* a file holding the bearer token it requires; "" = none */
	/* [log] */
	int log_syslog;   /* 1 syslog (mail facility unless set), 0 stderr */
	int log_json;     /* one JSON object per line instead of text */
	int log_facility; /* syslog facility (LOG_MAIL ...) */
	/* [campaign] (campaign/cluster.h; needs a store) */
	int campaign_enabled;            /* group messages into campaigns when a store is open */
	long campaign_window;            /* seconds: a campaign ends this long after its last message */
	double campaign_similarity;      /* template similarity (0..1, MinHash Jaccard) to join */
	long campaign_min_recipients;    /* distinct recipients before a campaign shows targeting */
	double campaign_score;           /* score of campaign.targeted */
	int campaign_auto;               /* a member quarantined for impersonation/score makes it malicious */
	pc_action campaign_action;       /* verdict of every member of a malicious campaign */
	pc_action campaign_error_action; /* at least this verdict when the store fails during a scan */
	pc_action ioc_action;            /* [policy] ioc_action: a shared indicator matched (hunt/ioc_sets.h) */
	/* [evidence] (pipeline/custody.h, evidence/; needs a store) */
	int evidence_custody;         /* keep a custody record of every message scanned with a store */
	int evidence_keep_originals;  /* and its original bytes */
	long evidence_originals_days; /* drop originals of messages older than this unless their
	                               * campaign is malicious (kept while it is); 0: only those */
	char evidence_org[128];       /* the reporting organisation named in exports */
	char evidence_contact[256];   /* its contact (e-mail, URL), "" = none */
	char evidence_tlp[16];        /* default TLP of exports: clear, green, amber, amber+strict, red */
	char evidence_chromium[1024]; /* the Chromium that renders PDF; "" = search PATH */
	/* [console] (web/: portcullis serve) */
	char console_listen[256];          /* ADDR:PORT, [V6]:PORT */
	char console_tls_cert[1024];       /* PEM certificate chain; "" = plain HTTP */
	char console_tls_key[1024];        /* its private key (PEM) */
	long console_session_idle;         /* seconds a session lives unused */
	long console_session_max;          /* seconds a session lives at most */
	char console_metrics_token[1024];  /* file holding the /metrics bearer token; "" = no /metrics */
	char console_mail_store[2048];     /* Maildirs/mboxes purge hunts through (blank-separated) */
	char console_trusted_proxy[64];    /* a reverse proxy's address: its X-Forwarded-For is believed */
	char console_milter_metrics[1024]; /* other milter nodes' metrics listeners (ADDR:PORT ...) */
	unsigned console_threads;          /* request threads (and store connections) */
	/* [detector.NAME] sections: a detector's own settings, kept as written
	 * here and declared, checked and read in the detector's file
	 * (detect/detect.h: pc_setting); core knows nothing of detectors */
	pc_rawsetting *detector_settings;
	size_t ndetector_settings, cap_detector_settings;
} pc_config;

void pc_config_defaults(pc_config *c);
/* Frees the lists a load or set allocated (the struct itself is the caller's). */
void pc_config_free(pc_config *c);
/* The value of a "detector.NAME.KEY" setting as written (the last one
 * wins), and where it was written; NULL when not set. */
const pc_rawsetting *pc_config_detector_setting(const pc_config *c, const char *key);
/* 0 on success, -1 with `err` filled ("FILE:LINE: reason"). */
int pc_config_load(pc_config *c, const char *path, char *err, size_t errlen);
/* [store] backend = postgresql: checks [store] and sets history_db to the
 * store's name ("postgresql:" + conninfo, or the URI); pc_config_load
 * calls it, a caller setting keys one by one calls it after. */
int pc_config_store_finish(pc_config *c, char *err, size_t errlen);
/* Sets "section.key" to value: 0 or -1 with err. */
int pc_config_set(pc_config *c, const char *key, const char *value, char *err, size_t errlen);
const char *pc_action_name(pc_action a);

/* Name of the limit for a pointer into c->limits (for findings). */
typedef struct pc_limit_info {
	const char *name;
	size_t offset;
	const char *unit;
	const char *doc;
} pc_limit_info;
extern const pc_limit_info pc_limit_table[];
extern const size_t pc_limit_count;

#endif
