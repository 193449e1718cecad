/*
 * NAME
 *   web/internal - what the console's files share (the files of web/)
 * DESCRIPTION
 *   A request (pc_req) comes from server.c with its session (auth.c), a
 *   store borrowed for the request, and the POST fields already read
 *   (bounded while reading). A page is a data function and, for the HTML
 *   console, a render function over the same JSON: /api/v1/PATH answers
 *   the data as JSON, PATH the page made from it, so the API and the pages
 *   never disagree. Everything that came from mail is escaped by html.c
 *   for its context; nothing else writes markup.
 */
#ifndef PC_WEB_INTERNAL_H
#define PC_WEB_INTERNAL_H

#include <glib.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/config.h"
#include "store/store.h"

enum pc_role { PC_ROLE_NONE = 0, PC_ROLE_VIEWER = 1, PC_ROLE_ANALYST = 2, PC_ROLE_ADMIN = 3 };
const char *pc_role_name(int role);
int pc_role_parse(const char *s); /* PC_ROLE_NONE when unknown */

typedef struct pc_session {
	char id[48];
	char csrf[48];
	char user[64];
	int role;
	time_t created, seen;
	char flash[256]; /* a message for the next page (Post/Redirect/Get) */
} pc_session;

struct pc_web;
typedef struct pc_req {
	struct pc_web *w;
	void *conn; /* struct MHD_Connection */
	const char *method;
	char path[512]; /* without /api/v1 and without the query */
	bool api;
	char ip[64];
	pc_session sess;  /* a copy: sess.id[0] == 0 when not logged in */
	pc_store *st;     /* borrowed for the request */
	GHashTable *form; /* POST fields: name -> value (first value of each) */
	GByteArray *file; /* the uploaded file ("file" field), NULL when none */
	char file_name[256];
	long long num;  /* the number in the path (/campaigns/7) */
	char word[128]; /* or the word (/quarantine/QID) */
} pc_req;

/* An answer: a status, a body and its type; the server adds the
 * security headers. Set redirect for a 303 (after a form POST). */
typedef struct pc_resp {
	int status;
	GString *body;
	const char *type;
	char redirect[512];
	char disposition[300]; /* Content-Disposition for downloads, "" none */
	bool frame;            /* the inert message frame: its own, stricter CSP */
	char set_cookie[256];
} pc_resp;

/* ---- the server's state (server.c) ---- */
#define PC_WEB_SESSIONS 512
typedef struct pc_web {
	pc_config cfg;
	char config_path[1024];
	char self[1024]; /* this program (for hunt --purge) */
	char listen[256];
	bool tls;
	long session_idle, session_max; /* seconds */
	char metrics_token[128];
	char maildirs[2048];  /* the mail store for purge ([console] mail_store) */
	pthread_mutex_t lock; /* sessions, rate limits, jobs */
	pc_session sessions[PC_WEB_SESSIONS];
	/* stores: one per request at a time */
	pc_store **stores;
	bool *store_busy;
	size_t nstores;
	pthread_cond_t store_free;
	pthread_mutex_t verify_lock; /* one argon2id verification at a time */
	struct pc_ratelimit *rl;
	long long rl_saturated_until, rl_global_audited; /* ms: the brake on everyone */
	int verify_waiting;
	struct pc_jobs *jobs;
	time_t qindex_checked;
	long long qindex_mtime;
	pthread_mutex_t qindex_lock;
	/* counters for /metrics */
	unsigned long requests, logins_ok, logins_failed, csrf_refused;
} pc_web;

/* ---- auth.c ---- */
/* Looks the session cookie up (expired ones removed): true and *s filled. */
bool pc_auth_session(pc_web *w, const char *cookie, pc_session *s);
/* Login: 1 ok (*s a NEW session), 0 wrong (audited), 2 slowed down
 * (*retry seconds), -1 error. */
int pc_auth_login(pc_web *w, pc_store *st, const char *ip, const char *user, const char *password, pc_session *s,
                  long *retry);
void pc_auth_logout(pc_web *w, const char *id);
/* The session's account as the store has it now: false (and the
 * account's sessions ended) when it is gone, disabled, has another role
 * or a password changed since the login (the user command, another
 * console). */
bool pc_auth_recheck(pc_web *w, pc_store *st, const pc_session *s);
/* Ends every session of user (password changed, account removed). */
void pc_auth_end_user(pc_web *w, const char *user);
void pc_auth_flash(pc_web *w, const char *id, const char *msg);
void pc_auth_take_flash(pc_web *w, const char *id, char *out, size_t len);
struct pc_ratelimit *pc_ratelimit_new(void);
void pc_ratelimit_free(struct pc_ratelimit *rl);

/* ---- html.c: markup with escaping by context ---- */
/* Text for an element's content or a double-quoted attribute: & < > " '
 * escaped, invalid UTF-8 as U+FFFD, controls, bidi and invisible
 * formatting characters shown as ⟨U+202E⟩; at most max bytes of the
 * input (0: all), "…" when cut. */
void pc_h(GString *o, const char *s);
void pc_hn(GString *o, const char *s, size_t max);
void pc_h_pre(GString *o, const char *s, size_t max); /* the same, line feeds and tabs kept (<pre>) */
void pc_hf(GString *o, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* own text only */
/* A query-string or path component, percent-encoded (unreserved kept). */
void pc_hu(GString *o, const char *s);
/* s cut to fit buf (size bytes with the NUL) at a character boundary,
 * for text put into a record (a cut inside a character is not UTF-8) */
const char *pc_cut(char *buf, size_t size, const char *s);
void pc_h_time(GString *o, time_t t);
/* The page frame: head, navigation by role, the flash message, the body
 * the caller wrote, the foot. */
void pc_page_begin(GString *o, const pc_req *r, const char *title);
void pc_page_end(GString *o);
/* <form method=post action=...> with the CSRF field; close with </form>. */
void pc_form(GString *o, const pc_req *r, const char *action_fmt, ...) __attribute__((format(printf, 3, 4)));
const char *pc_verdict_class(const char *verdict);
/* A JSON value's string (NULL when absent or not a string). */
const char *pc_js(const json_t *o, const char *key);
long long pc_jn(const json_t *o, const char *key);
extern const char pc_console_css[];

/* ---- svg.c: plots as SVG, no script ---- */
typedef struct pc_series {
	const char *name;  /* legend */
	const char *color; /* our own constant */
	const double *y;
} pc_series;
/* Stacked bars: n buckets starting at t0, step seconds each. */
void pc_svg_bars(GString *o, const char *title, time_t t0, long step, size_t n, const pc_series *s, size_t ns);
/* Horizontal bars of labelled counts (labels escaped). */
void pc_svg_hbars(GString *o, const char *title, const char *const *labels, const long *v, size_t n);

/* ---- the pages: data (JSON) and render (HTML) ---- */
typedef int (*pc_data_fn)(pc_req *r, json_t **data, pc_resp *resp);
typedef void (*pc_render_fn)(pc_req *r, json_t *data, GString *o);

int pc_page_overview(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_overview(pc_req *r, json_t *data, GString *o);
int pc_page_campaigns(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_campaigns(pc_req *r, json_t *data, GString *o);
int pc_page_campaign(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_campaign(pc_req *r, json_t *data, GString *o);
int pc_act_campaign_mark(pc_req *r, json_t **data, pc_resp *resp);
int pc_act_campaign_purge(pc_req *r, json_t **data, pc_resp *resp);
int pc_page_export(pc_req *r, json_t **data, pc_resp *resp);
int pc_page_job(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_job(pc_req *r, json_t *data, GString *o);
int pc_page_message(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_message(pc_req *r, json_t *data, GString *o);
int pc_page_message_body(pc_req *r, json_t **data, pc_resp *resp);
int pc_page_quarantine(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_quarantine(pc_req *r, json_t *data, GString *o);
int pc_page_qentry(pc_req *r, json_t **data, pc_resp *resp);
int pc_page_qentry_body(pc_req *r, json_t **data, pc_resp *resp);
int pc_act_release(pc_req *r, json_t **data, pc_resp *resp);
int pc_act_qdelete(pc_req *r, json_t **data, pc_resp *resp);
int pc_page_search(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_search(pc_req *r, json_t *data, GString *o);
int pc_page_ioc(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_ioc(pc_req *r, json_t *data, GString *o);
int pc_act_ioc_add(pc_req *r, json_t **data, pc_resp *resp);
int pc_act_ioc_delete(pc_req *r, json_t **data, pc_resp *resp);
int pc_page_audit(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_audit(pc_req *r, json_t *data, GString *o);
int pc_page_users(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_users(pc_req *r, json_t *data, GString *o);
int pc_act_user_add(pc_req *r, json_t **data, pc_resp *resp);
int pc_act_user_delete(pc_req *r, json_t **data, pc_resp *resp);
int pc_act_password(pc_req *r, json_t **data, pc_resp *resp);
void pc_render_message_view(pc_req *r, json_t *data, GString *o); /* message.c: shared by both message pages */

/* ---- helpers the pages share ---- */
/* A query argument (NULL when absent). */
const char *pc_arg(const pc_req *r, const char *name);
long pc_arg_long(const pc_req *r, const char *name, long dflt, long min, long max);
/* A POST field (NULL when absent). */
const char *pc_field(const pc_req *r, const char *name);
/* Sets a JSON error answer; returns status. */
int pc_fail(pc_resp *resp, json_t **data, int status, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An action's answer: {"ok":true,"message":...}; the HTML console is sent
 * to `back` (303) with the message shown there. */
int pc_done(pc_req *r, pc_resp *resp, json_t **data, const char *back, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Audits an action of the console's user. */
void pc_audit(pc_req *r, const char *action, long long campaign, const char *source, const char *detail);
/* JSON string from mail: valid UTF-8 (json_string would refuse it). */
json_t *pc_jstr(const char *s);

/* message.c: the view of one message (msgview's parts and the facts
 * `decided` holds: a custody record or quarantine metadata) and its
 * inert body frame (?v=original|rewritten&part=html|text) */
json_t *pc_message_view(pc_req *r, const char *bytes, size_t n, const json_t *decided);
int pc_message_body(pc_req *r, const char *bytes, size_t n, json_t **data, pc_resp *resp);
/* campaigns.c: what the overview shares with the campaign list: the
 * filter over pc_store_campaign_list, its rows, and a values callback
 * appending {"value","count"} to a JSON array */
typedef struct pc_campaign_filter {
	json_t *arr;
	size_t max;
	long total, malicious, open;
	const char *status, *verdict, *q;
	long min_size;
	time_t since;
	long offset;
	time_t window; /* count those with a copy since */
	long active;
} pc_campaign_filter;
int pc_campaign_filter_cb(void *ctx, const pc_campaign_rec *c);
void pc_campaign_rows(GString *o, json_t *arr);
int pc_values_cb(void *ctx, const char *value, long count);
/* quarantine.c: the search form and query both search pages share */
void pc_query_from_args(const pc_req *r, pc_query *q);
void pc_search_form(GString *o, const pc_req *r, const char *action, bool verdict);
void pc_pager(GString *o, const pc_req *r, const char *base, json_t *d);

/* ---- quarantine.c: the quarantine directory's index in the store ---- */
/* Brings the index of [quarantine] directory up to date when the
 * directory changed since the last look (cheap otherwise). */
int pc_qindex_sync(pc_web *w, pc_store *st, bool force);

/* ---- health.c: the milter nodes' /metrics, for the overview ---- */
json_t *pc_health(pc_web *w);

/* ---- jobs.c: purges running as `portcullis hunt --purge` ---- */
struct pc_jobs *pc_jobs_new(void);
void pc_jobs_free(struct pc_jobs *j);
/* Starts a purge of campaign over the configured mail store: job id, or
 * -1 with err. */
long pc_jobs_purge(pc_web *w, long long campaign, const char *actor, char *err, size_t errlen);
/* The job as JSON (NULL: no such job). */
json_t *pc_jobs_get(pc_web *w, long id);
/* Reaps finished jobs (audit their outcome with st). */
void pc_jobs_reap(pc_web *w, pc_store *st);

#endif
