/*
 * NAME
 *   server - the console's HTTP side: libmicrohttpd, routing, headers
 * DESCRIPTION
 *   Every request is read by libmicrohttpd with its limits (connections,
 *   per-IP connections, memory per connection, timeouts); POST bodies go
 *   through its post processor (urlencoded and multipart/form-data) while
 *   they arrive, each field bounded (PC_FIELD_MAX, PC_FIELDS_MAX). What a
 *   body may hold is decided from its headers before it is read: a login
 *   or a POST without a session PC_LOGIN_MAX bytes, a session's form
 *   PC_FORM_MAX, and only an analyst's POST /ioc a file (PC_UPLOAD_MAX);
 *   a body past its cap closes the connection. Any other POST type is
 *   refused (415).
 *
 *   Then, in order: the static style sheet and /metrics (its own bearer
 *   token) answer without a session; /login and /logout; every other path
 *   needs a session (the API answers 401, a page sends to /login); the
 *   route's role (viewer < analyst < admin: 403 below it); and for every
 *   POST the session's CSRF token, from the "csrf" field or the
 *   X-CSRF-Token header, compared in constant time, plus a refusal of any
 *   request a browser marks cross-site (Sec-Fetch-Site) or whose Origin is
 *   not this host. /api/v1/PATH is the same route answering JSON.
 *
 *   Every answer carries the same headers: a Content-Security-Policy with
 *   no script source at all (the console has no script: plots are SVG
 *   made here, actions are forms), frame-ancestors 'none', nosniff,
 *   no-referrer, no-store. The inert message frame gets a stricter one
 *   (default-src 'none', inline style only, CSP sandbox) and may be framed
 *   by the console alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app/password.h"
#include "core/hostport.h"
#include "web/internal.h"
#include "web/web.h"

#define PC_FIELD_MAX (64 * 1024)
#define PC_FIELDS_MAX 64
#define PC_UPLOAD_MAX (16 * 1024 * 1024)
#define PC_FORM_MAX (256 * 1024) /* a session's form POST */
#define PC_LOGIN_MAX (8 * 1024)  /* a login, or a POST without a session */

static const char csp_console[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
                                  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
static const char csp_frame[] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                "form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox";

typedef struct conn {
	struct MHD_PostProcessor *pp;
	GHashTable *form;
	GByteArray *file;
	char file_name[256];
	size_t total;
	size_t cap;      /* body bytes read at most; past it the connection is closed */
	bool allow_file; /* the one route that takes an upload, for an analyst */
	int refused;     /* 0, or the status already decided (413, 415) */
} conn;

enum {
	R_NUM = 1, /* the path has a number: /campaigns/# */
	R_WORD = 2 /* or a word: /quarantine/QID */
};

typedef struct route {
	const char *method;
	const char *pattern; /* '#' a number, '*' a word */
	int role;
	pc_data_fn data;
	pc_render_fn render;
	const char *title;
} route;

static const route routes[] = {
    {"GET", "/", PC_ROLE_VIEWER, pc_page_overview, pc_render_overview, "Overview"},
    {"GET", "/campaigns", PC_ROLE_VIEWER, pc_page_campaigns, pc_render_campaigns, "Campaigns"},
    {"GET", "/campaigns/#", PC_ROLE_VIEWER, pc_page_campaign, pc_render_campaign, "Campaign"},
    {"POST", "/campaigns/#/mark", PC_ROLE_ANALYST, pc_act_campaign_mark, NULL, NULL},
    {"POST", "/campaigns/#/purge", PC_ROLE_ANALYST, pc_act_campaign_purge, NULL, NULL},
    {"GET", "/campaigns/#/export", PC_ROLE_ANALYST, pc_page_export, NULL, NULL},
    {"GET", "/jobs/#", PC_ROLE_VIEWER, pc_page_job, pc_render_job, "Purge"},
    {"GET", "/messages/#", PC_ROLE_VIEWER, pc_page_message, pc_render_message, "Message"},
    {"GET", "/messages/#/body", PC_ROLE_VIEWER, pc_page_message_body, NULL, NULL},
    {"GET", "/quarantine", PC_ROLE_VIEWER, pc_page_quarantine, pc_render_quarantine, "Quarantine"},
    {"GET", "/quarantine/*", PC_ROLE_VIEWER, pc_page_qentry, pc_render_message, "Quarantined message"},
    {"GET", "/quarantine/*/body", PC_ROLE_VIEWER, pc_page_qentry_body, NULL, NULL},
    {"POST", "/quarantine/*/release", PC_ROLE_ANALYST, pc_act_release, NULL, NULL},
    {"POST", "/quarantine/*/delete", PC_ROLE_ANALYST, pc_act_qdelete, NULL, NULL},
    {"GET", "/search", PC_ROLE_VIEWER, pc_page_search, pc_render_search, "Search"},
    {"GET", "/ioc", PC_ROLE_VIEWER, pc_page_ioc, pc_render_ioc, "Indicator sets"},
    {"POST", "/ioc", PC_ROLE_ANALYST, pc_act_ioc_add, NULL, NULL},
    {"POST", "/ioc/*/delete", PC_ROLE_ADMIN, pc_act_ioc_delete, NULL, NULL},
    {"GET", "/audit", PC_ROLE_VIEWER, pc_page_audit, pc_render_audit, "Audit log"},
    {"GET", "/users", PC_ROLE_ADMIN, pc_page_users, pc_render_users, "Accounts"},
    {"POST", "/users", PC_ROLE_ADMIN, pc_act_user_add, NULL, NULL},
    {"POST", "/users/*/delete", PC_ROLE_ADMIN, pc_act_user_delete, NULL, NULL},
    {"POST", "/account/password", PC_ROLE_VIEWER, pc_act_password, NULL, NULL},
};

/* ---- matching ---- */

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.' || c == '@' || c == '+';
}

static bool match(const char *pattern, const char *path, pc_req *r)
{
	const char *p = pattern, *s = path;
	while (*p) {
		if (*p == '#') {
			long long v = 0;
			int n = 0;
			while (*s >= '0' && *s <= '9' && n < 18)
				v = v * 10 + (*s++ - '0'), n++;
			if (n == 0 || (*s >= '0' && *s <= '9'))
				return false;
			r->num = v;
			p++;
		} else if (*p == '*') {
			size_t n = 0;
			if (*s == '.')
				return false; /* no "." or ".." */
			while (word_char(*s) && n + 1 < sizeof r->word)
				r->word[n++] = *s++;
			r->word[n] = '\0';
			if (n == 0 || word_char(*s))
				return false;
			p++;
		} else if (*p++ != *s++) {
			return false;
		}
	}
	return *s == '\0';
}

/* ---- answers ---- */

static void headers(pc_web *w, struct MHD_Response *m, bool frame)
{
	MHD_add_response_header(m, "Content-Security-Policy", frame ? csp_frame : csp_console);
	MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(m, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(m, "X-Frame-Options", frame ? "SAMEORIGIN" : "DENY");
	MHD_add_response_header(m, "Cache-Control", "no-store");
	MHD_add_response_header(m, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(m, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(m, "Permissions-Policy",
	                        "camera=(), microphone=(), geolocation=(), interest-cohort=()");
	if (w->tls)
		MHD_add_response_header(m, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result answer(pc_web *w, struct MHD_Connection *c, pc_resp *resp)
{
	GString *b = resp->body ? resp->body : g_string_new("");
	resp->body = NULL;
	size_t n = b->len;
	struct MHD_Response *m = MHD_create_response_from_buffer(n, g_string_free(b, FALSE), MHD_RESPMEM_MUST_FREE);
	if (!m)
		return MHD_NO;
	headers(w, m, resp->frame);
	MHD_add_response_header(m, "Content-Type", resp->type ? resp->type : "text/html; charset=utf-8");
	if (resp->redirect[0])
		MHD_add_response_header(m, "Location", resp->redirect);
	if (resp->disposition[0])
		MHD_add_response_header(m, "Content-Disposition", resp->disposition);
	if (resp->set_cookie[0])
		MHD_add_response_header(m, "Set-Cookie", resp->set_cookie);
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)resp->status, m);
	MHD_destroy_response(m);
	return rc;
}

static void json_body(pc_resp *resp, json_t *data)
{
	char *t = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);
	resp->body = g_string_new(t ? t : "{}");
	g_string_append_c(resp->body, '\n');
	free(t);
	resp->type = "application/json";
}

static void error_page(pc_req *r, pc_resp *resp, int status, const char *msg)
{
	resp->status = status;
	if (r->api) {
		json_t *d = json_pack("{s:b,s:s}", "ok", 0, "error", msg);
		json_body(resp, d);
		json_decref(d);
		return;
	}
	GString *o = g_string_new("");
	pc_page_begin(o, r, "Error");
	g_string_append(o, "<h1>");
	pc_hf(o, "%d", status);
	g_string_append(o, "</h1><p class=\"error\">");
	pc_h(o, msg);
	g_string_append(o, "</p>");
	pc_page_end(o);
	resp->body = o;
}

/* ---- helpers the pages use ---- */

const char *pc_arg(const pc_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND, name);
	return v && *v ? v : NULL;
}

long pc_arg_long(const pc_req *r, const char *name, long dflt, long min, long max)
{
	const char *v = pc_arg(r, name);
	if (!v)
		return dflt;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || end == v)
		return dflt;
	return n < min ? min : n > max ? max : n;
}

const char *pc_field(const pc_req *r, const char *name)
{
	GString *v = r->form ? g_hash_table_lookup(r->form, name) : NULL;
	return v ? v->str : NULL;
}

int pc_fail(pc_resp *resp, json_t **data, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	*data = json_pack("{s:b,s:o}", "ok", 0, "error", pc_jstr(msg));
	resp->status = status;
	return status;
}

int pc_done(pc_req *r, pc_resp *resp, json_t **data, const char *back, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	*data = json_pack("{s:b,s:o}", "ok", 1, "message", pc_jstr(msg));
	if (!r->api) {
		pc_auth_flash(r->w, r->sess.id, msg);
		snprintf(resp->redirect, sizeof resp->redirect, "%s", back);
		resp->status = 303;
	} else {
		resp->status = 200;
	}
	return resp->status;
}

void pc_audit(pc_req *r, const char *action, long long campaign, const char *source, const char *detail)
{
	char actor[192];
	snprintf(actor, sizeof actor, "%s (console, %s)", r->sess.user, r->ip);
	if (pc_store_audit(r->st, time(NULL), actor, action, campaign, source, detail) != 0)
		fprintf(stderr, "portcullis serve: audit record not written: %s\n", pc_store_error(r->st));
}

json_t *pc_jstr(const char *s)
{
	if (!s)
		return json_null();
	if (g_utf8_validate(s, -1, NULL))
		return json_string(s);
	char *v = g_utf8_make_valid(s, -1);
	json_t *j = json_string(v);
	g_free(v);
	return j;
}

/* ---- stores: one per request at a time ---- */

static pc_store *borrow(pc_web *w, size_t *slot)
{
	pthread_mutex_lock(&w->lock);
	for (;;) {
		for (size_t i = 0; i < w->nstores; i++)
			if (!w->store_busy[i]) {
				w->store_busy[i] = true;
				*slot = i;
				pthread_mutex_unlock(&w->lock);
				return w->stores[i];
			}
		pthread_cond_wait(&w->store_free, &w->lock);
	}
}

static void give_back(pc_web *w, size_t slot)
{
	pthread_mutex_lock(&w->lock);
	w->store_busy[slot] = false;
	pthread_cond_signal(&w->store_free);
	pthread_mutex_unlock(&w->lock);
}

/* ---- the request ---- */

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                  const char *content_type, const char *transfer_encoding, const char *data,
                                  uint64_t off, size_t size)
{
	(void)kind, (void)content_type, (void)transfer_encoding;
	conn *k = cls;
	if (!key || k->refused)
		return MHD_YES;
	if (filename && !strcmp(key, "file")) {
		if (!k->allow_file)
			return MHD_YES; /* not kept: the route or the role will refuse the request */
		if (!k->file) {
			k->file = g_byte_array_new();
			snprintf(k->file_name, sizeof k->file_name, "%s", filename);
		}
		if (k->file->len + size > PC_UPLOAD_MAX) {
			k->refused = 413;
			return MHD_YES;
		}
		g_byte_array_append(k->file, (const guint8 *)data, (guint)size);
		return MHD_YES;
	}
	GString *v = g_hash_table_lookup(k->form, key);
	if (!v) {
		if (g_hash_table_size(k->form) >= PC_FIELDS_MAX || off > 0) {
			k->refused = 413;
			return MHD_YES;
		}
		v = g_string_new("");
		g_hash_table_insert(k->form, g_strdup(key), v);
	} else if (off == 0) {
		return MHD_YES; /* a second field of the name: the first counts */
	}
	if (v->len + size > PC_FIELD_MAX) {
		k->refused = 413;
		return MHD_YES;
	}
	g_string_append_len(v, data, (gssize)size);
	return MHD_YES;
}

static void free_gstring(gpointer p)
{
	g_string_free(p, TRUE);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	conn *k = *con_cls;
	if (!k)
		return;
	if (k->pp)
		MHD_destroy_post_processor(k->pp);
	if (k->form)
		g_hash_table_destroy(k->form);
	if (k->file)
		g_byte_array_free(k->file, TRUE);
	free(k);
	*con_cls = NULL;
}

static void client_ip(pc_web *w, struct MHD_Connection *c, char *out, size_t len)
{
	snprintf(out, len, "?");
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			          (socklen_t)len);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			          (socklen_t)len);
	}
	/* a proxy we were told to believe: the last address it added */
	if (w->cfg.console_trusted_proxy[0] && !strcmp(out, w->cfg.console_trusted_proxy)) {
		const char *x = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
		if (x) {
			const char *last = strrchr(x, ',');
			last = last ? last + 1 : x;
			while (*last == ' ')
				last++;
			unsigned char buf[16];
			if (inet_pton(AF_INET, last, buf) == 1 || inet_pton(AF_INET6, last, buf) == 1)
				snprintf(out, len, "%s", last);
		}
	}
}

/* A browser's own word that the request came from another site
 * (Sec-Fetch-Site), or an Origin that is not this host: refused for
 * every POST, login included (it has no session yet for SameSite to
 * protect). "Origin: null" alone is refused: Chromium sends it for every
 * form of a page with Referrer-Policy no-referrer (ours), but then with
 * Sec-Fetch-Site: same-origin, which lets it through. */
static bool cross_site(struct MHD_Connection *c)
{
	const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
		return true;
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (origin && strcmp(origin, "null")) {
		const char *p = strstr(origin, "://");
		if (!p || !host || strcmp(p + 3, host))
			return true;
	} else if (origin && !(site && !strcmp(site, "same-origin"))) {
		return true; /* null, and no browser vouching for it */
	}
	return false;
}

static const char *cookie_session(struct MHD_Connection *c)
{
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "pc_session");
}

static void cookie(pc_web *w, pc_resp *resp, const char *id, bool clear)
{
	if (clear)
		snprintf(resp->set_cookie, sizeof resp->set_cookie,
		         "pc_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
	else
		snprintf(resp->set_cookie, sizeof resp->set_cookie,
		         "pc_session=%s; Path=/; HttpOnly; Secure; SameSite=Strict", id);
	(void)w;
}

static void login_page(pc_req *r, pc_resp *resp, const char *msg)
{
	GString *o = g_string_new("");
	pc_page_begin(o, r, "Log in");
	g_string_append(o, "<main class=\"login\"><h1>Portcullis</h1>");
	if (msg) {
		g_string_append(o, "<p class=\"error\" role=\"alert\">");
		pc_h(o, msg);
		g_string_append(o, "</p>");
	}
	g_string_append(o,
	                "<form method=\"post\" action=\"/login\">"
	                "<label>User <input name=\"user\" autocomplete=\"username\" required autofocus></label>"
	                "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\""
	                " required></label><button type=\"submit\">Log in</button></form></main>");
	pc_page_end(o);
	resp->body = o;
}

static void do_login(pc_req *r, pc_resp *resp, struct MHD_Connection *c)
{
	if (!strcmp(r->method, "GET")) {
		if (r->api)
			return error_page(r, resp, 405, "POST user and password");
		resp->status = 200;
		return login_page(r, resp, NULL);
	}
	if (cross_site(c))
		return error_page(r, resp, 403, "cross-site request refused");
	const char *user = pc_field(r, "user"), *pw = pc_field(r, "password");
	if (!user || !pw)
		return error_page(r, resp, 400, "user and password are needed");
	size_t slot;
	r->st = borrow(r->w, &slot);
	long retry = 0;
	pc_session s;
	int rc = pc_auth_login(r->w, r->st, r->ip, user, pw, &s, &retry);
	give_back(r->w, slot);
	r->st = NULL;
	if (rc == 1) {
		cookie(r->w, resp, s.id, false);
		if (r->api) {
			json_t *d = json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "user", s.user, "role",
			                      pc_role_name(s.role), "csrf", s.csrf);
			resp->status = 200;
			json_body(resp, d);
			json_decref(d);
		} else {
			resp->status = 303;
			snprintf(resp->redirect, sizeof resp->redirect, "/");
		}
		return;
	}
	char msg[128];
	if (rc == 2) {
		snprintf(msg, sizeof msg, "Too many failed attempts: try again in %ld s.", retry);
		resp->status = 429;
	} else if (rc == 0) {
		snprintf(msg, sizeof msg, "Wrong user or password.");
		resp->status = 403;
	} else {
		snprintf(msg, sizeof msg, "The store is not available.");
		resp->status = 500;
	}
	if (r->api) {
		int st = resp->status;
		error_page(r, resp, st, msg);
		return;
	}
	login_page(r, resp, msg);
}

static bool csrf_ok(pc_req *r, struct MHD_Connection *c)
{
	const char *t = pc_field(r, "csrf");
	if (!t)
		t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	return t && pc_secret_equal(t, r->sess.csrf);
}

/* /metrics: the bearer token of [console] metrics_token_file */
static void metrics(pc_web *w, pc_req *r, pc_resp *resp, struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!w->metrics_token[0] || !a || strncmp(a, "Bearer ", 7) || !pc_secret_equal(a + 7, w->metrics_token)) {
		resp->status = w->metrics_token[0] ? 401 : 404;
		resp->type = "text/plain; charset=utf-8";
		resp->body = g_string_new(w->metrics_token[0] ? "a bearer token is needed\n" : "not found\n");
		return;
	}
	size_t slot;
	r->st = borrow(w, &slot);
	resp->body = g_string_new("");
	pc_web_metrics(w, r->st, resp->body);
	give_back(w, slot);
	r->st = NULL;
	resp->status = 200;
	resp->type = "text/plain; version=0.0.4; charset=utf-8";
}

static void dispatch(pc_web *w, pc_req *r, pc_resp *resp, struct MHD_Connection *c)
{
	if (!strcmp(r->path, "/static/console.css") && !strcmp(r->method, "GET")) {
		resp->status = 200;
		resp->type = "text/css; charset=utf-8";
		resp->body = g_string_new(pc_console_css);
		return;
	}
	if (!strcmp(r->path, "/favicon.ico")) { /* browsers ask; there is none */
		resp->status = 204;
		resp->type = "text/plain";
		resp->body = g_string_new("");
		return;
	}
	if (!strcmp(r->path, "/metrics") && !r->api)
		return metrics(w, r, resp, c);
	bool have = pc_auth_session(w, cookie_session(c), &r->sess);
	if (!strcmp(r->path, "/login"))
		return do_login(r, resp, c);
	if (!strcmp(r->path, "/logout")) {
		if (strcmp(r->method, "POST"))
			return error_page(r, resp, 405, "log out with POST");
		if (have && (cross_site(c) || !csrf_ok(r, c)))
			return error_page(r, resp, 403, "CSRF token missing or wrong");
		if (have) {
			size_t slot;
			r->st = borrow(w, &slot);
			pc_audit(r, "logout", 0, NULL, NULL);
			give_back(w, slot);
			r->st = NULL;
			pc_auth_logout(w, r->sess.id);
		}
		cookie(w, resp, "", true);
		memset(&r->sess, 0, sizeof r->sess);
		if (r->api) {
			json_t *d = json_pack("{s:b}", "ok", 1);
			resp->status = 200;
			json_body(resp, d);
			json_decref(d);
		} else {
			resp->status = 303;
			snprintf(resp->redirect, sizeof resp->redirect, "/login");
		}
		return;
	}
	if (!have) {
		if (r->api)
			return error_page(r, resp, 401, "log in first (POST /api/v1/login)");
		resp->status = 303;
		snprintf(resp->redirect, sizeof resp->redirect, "/login");
		return;
	}
	const route *rt = NULL;
	bool path_known = false;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!match(routes[i].pattern, r->path, r))
			continue;
		path_known = true;
		if (!strcmp(routes[i].method, r->method)) {
			rt = &routes[i];
			break;
		}
	}
	if (!rt)
		return error_page(r, resp, path_known ? 405 : 404, path_known ? "method not allowed" : "no such page");
	if (r->sess.role < rt->role)
		return error_page(r, resp, 403, "your role may not do this");
	if (!strcmp(r->method, "POST") && (cross_site(c) || !csrf_ok(r, c))) {
		pthread_mutex_lock(&w->lock);
		w->csrf_refused++;
		pthread_mutex_unlock(&w->lock);
		return error_page(r, resp, 403, "CSRF token missing or wrong");
	}
	size_t slot;
	r->st = borrow(w, &slot);
	if (!pc_auth_recheck(w, r->st, &r->sess)) {
		give_back(w, slot);
		r->st = NULL;
		cookie(w, resp, "", true);
		if (r->api)
			return error_page(r, resp, 401, "the session ended: the account changed");
		resp->status = 303;
		snprintf(resp->redirect, sizeof resp->redirect, "/login");
		return;
	}
	json_t *data = NULL;
	resp->status = 200;
	int status = rt->data(r, &data, resp);
	if (status == 200 && resp->body == NULL && data && !r->api && rt->render) {
		GString *o = g_string_new("");
		if (r->sess.id[0])
			pc_auth_take_flash(w, r->sess.id, r->sess.flash, sizeof r->sess.flash);
		pc_page_begin(o, r, rt->title);
		rt->render(r, data, o);
		pc_page_end(o);
		resp->body = o;
	} else if (resp->body == NULL && (r->api || status != 303)) {
		if (status >= 400 && !r->api) {
			const char *e = data ? pc_js(data, "error") : NULL;
			error_page(r, resp, status, e ? e : "failed");
		} else if (data) {
			json_body(resp, data);
		}
	}
	resp->status = status;
	json_decref(data);
	give_back(w, slot);
	r->st = NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	pc_web *w = cls;
	conn *k = *con_cls;
	if (!k) {
		k = calloc(1, sizeof *k);
		if (!k)
			return MHD_NO;
		*con_cls = k;
		if (!strcmp(method, "POST")) {
			/* what a body may hold is decided before it is read: a
			 * login a few fields, an analyst's IOC upload a file, any
			 * other POST of a session its form; no session, nothing */
			const char *path = !strncmp(url, "/api/v1/", 8) ? url + 7 : url;
			pc_session sess;
			bool login = !strcmp(path, "/login"), have = pc_auth_session(w, cookie_session(c), &sess);
			k->allow_file = !strcmp(path, "/ioc") && have && sess.role >= PC_ROLE_ANALYST;
			k->cap = login           ? PC_LOGIN_MAX
			         : k->allow_file ? PC_UPLOAD_MAX + 65536
			         : have          ? PC_FORM_MAX
			                         : PC_LOGIN_MAX;
			k->form = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_gstring);
			k->pp = MHD_create_post_processor(c, 16 * 1024, post_field, k);
			const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
			const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
			if (!k->pp && type && *type)
				k->refused = 415;
			if (len && strtoull(len, NULL, 10) > k->cap)
				return MHD_NO; /* announced too large: closed unread */
		} else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
			k->refused = 405;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		k->total += *upload_size;
		if (k->total > k->cap)
			return MHD_NO; /* past what this request may send: closed */
		if (!k->refused && k->pp && MHD_post_process(k->pp, upload, *upload_size) != MHD_YES)
			k->refused = 400;
		*upload_size = 0;
		return MHD_YES;
	}
	pc_req r = {.w = w, .conn = c, .method = method};
	pc_resp resp = {0};
	const char *path = url;
	if (!strncmp(path, "/api/v1/", 8) || !strcmp(path, "/api/v1")) {
		r.api = true;
		path += 7;
		if (!*path)
			path = "/";
	}
	snprintf(r.path, sizeof r.path, "%s", path);
	client_ip(w, c, r.ip, sizeof r.ip);
	pthread_mutex_lock(&w->lock);
	w->requests++;
	pthread_mutex_unlock(&w->lock);
	if (strlen(path) >= sizeof r.path) {
		error_page(&r, &resp, 414, "path too long");
	} else if (k->refused) {
		error_page(&r, &resp, k->refused,
		           k->refused == 413   ? "request too large"
		           : k->refused == 415 ? "POST urlencoded or multipart/form-data"
		           : k->refused == 405 ? "method not allowed"
		                               : "malformed request");
	} else {
		r.form = k->form;
		r.file = k->file;
		snprintf(r.file_name, sizeof r.file_name, "%s", k->file_name);
		dispatch(w, &r, &resp, c);
	}
	enum MHD_Result rc = answer(w, c, &resp);
	if (resp.body)
		g_string_free(resp.body, TRUE);
	return rc;
}

/* ---- the daemon ---- */

static char *slurp(const char *path, char *err, size_t errlen)
{
	gchar *t = NULL;
	GError *e = NULL;
	if (!g_file_get_contents(path, &t, NULL, &e)) {
		snprintf(err, errlen, "%s", e ? e->message : path);
		g_clear_error(&e);
		return NULL;
	}
	return t;
}

struct MHD_Daemon *pc_web_start(pc_web *w, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	if (pc_hostport(w->cfg.console_listen, &ss, NULL) != 0) {
		snprintf(err, errlen, "console.listen: expected ADDRESS:PORT (numeric; [IPv6]:PORT), got \"%s\"",
		         w->cfg.console_listen);
		return NULL;
	}
	bool loopback =
	    (ss.ss_family == AF_INET && (ntohl(((struct sockaddr_in *)(void *)&ss)->sin_addr.s_addr) >> 24) == 127) ||
	    (ss.ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)(void *)&ss)->sin6_addr));
	if (!loopback && !w->cfg.console_tls_cert[0] && !w->cfg.console_trusted_proxy[0]) {
		snprintf(err, errlen,
		         "console: plain HTTP on %s would carry passwords over the network: listen on loopback "
		         "behind a TLS proxy (and set trusted_proxy), or set tls_cert and tls_key",
		         w->cfg.console_listen);
		return NULL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	char *cert = NULL, *key = NULL;
	if (w->cfg.console_tls_cert[0] || w->cfg.console_tls_key[0]) {
		if (!w->cfg.console_tls_cert[0] || !w->cfg.console_tls_key[0]) {
			snprintf(err, errlen, "console: tls_cert and tls_key go together");
			return NULL;
		}
		if (!(cert = slurp(w->cfg.console_tls_cert, err, errlen)) ||
		    !(key = slurp(w->cfg.console_tls_key, err, errlen))) {
			g_free(cert);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		w->tls = true;
	}
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
	    {MHD_OPTION_END, 0, NULL},
	};
	struct MHD_Daemon *d = MHD_start_daemon(
	    flags, 0, NULL, NULL, handler, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)w->nstores, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)(w->cfg.console_trusted_proxy[0] ? 256 : 32), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_NOTIFY_COMPLETED, completed, w,
	    MHD_OPTION_ARRAY, w->tls ? tls : tls + 2, MHD_OPTION_END);
	if (key) {
		/* libmicrohttpd has copied what it needs into GnuTLS by now */
		memset(key, 0, strlen(key));
		g_free(key);
	}
	g_free(cert);
	if (!d)
		snprintf(err, errlen, "console: cannot listen on %s (%s)", w->cfg.console_listen,
		         errno ? strerror(errno) : "libmicrohttpd refused the settings");
	return d;
}
