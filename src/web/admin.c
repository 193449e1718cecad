/*
 * NAME
 *   admin - the console's search, indicator sets, audit log and accounts
 * DESCRIPTION
 *   Search reads the store's message table (one row per custody record:
 *   every message scanned with the store), newest first, filtered by the
 *   same fields as the quarantine. Indicator sets are the store's (the
 *   `ioc` command's): an upload is read by hunt/ioc.h first, so a file it
 *   cannot read is refused, not stored; adding and deleting are audited.
 *   The audit log lists every record, newest first, a page at a time.
 *   Accounts (admin only): add with a role and a generated password shown
 *   once, remove; anyone may change their own password (the old one
 *   asked again). A removed account or a changed password ends the
 *   account's sessions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/password.h"
#include "hunt/ioc.h"
#include "web/internal.h"

/* ---- search ---- */

static int msg_cb(void *ctx, const pc_msg_row *m)
{
	json_array_append_new(
	    ctx, json_pack("{s:I,s:I,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:b}", "id", (json_int_t)m->id, "campaign",
	                   (json_int_t)m->campaign, "sha256", m->sha256, "source", pc_jstr(m->source), "message_id",
	                   pc_jstr(m->message_id), "verdict", m->verdict, "rule", pc_jstr(m->rule), "sender",
	                   pc_jstr(m->sender), "subject", pc_jstr(m->subject), "rcpt", pc_jstr(m->rcpt), "lookalike",
	                   pc_jstr(m->lookalike), "seen", (json_int_t)m->seen, "kept", m->kept));
	return 0;
}

int pc_page_search(pc_req *r, json_t **data, pc_resp *resp)
{
	pc_query q;
	pc_query_from_args(r, &q);
	json_t *arr = json_array();
	long total = 0;
	if (pc_store_message_search(r->st, &q, msg_cb, arr, &total) != 0) {
		json_decref(arr);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = json_pack("{s:o,s:i,s:i,s:i,s:b}", "messages", arr, "total", (int)total, "offset", (int)q.offset,
	                  "limit", (int)q.limit, "total_capped", total >= PC_QUERY_COUNT_MAX);
	return 200;
}

void pc_render_search(pc_req *r, json_t *d, GString *o)
{
	g_string_append(o, "<h1>Search all messages</h1>");
	pc_search_form(o, r, "/search", true);
	g_string_append_printf(o, "<p class=\"mut\">%s%lld messages match.</p>",
	                       json_is_true(json_object_get(d, "total_capped")) ? "at least " : "", pc_jn(d, "total"));
	g_string_append(o, "<table><thead><tr><th>Seen</th><th>From</th><th>To</th><th>Subject</th><th>Verdict</th>"
	                   "<th>Rule</th><th class=\"n\">Campaign</th></tr></thead><tbody>");
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(d, "messages"), i, m)
	{
		long long id = pc_jn(m, "id");
		g_string_append_printf(o, "<tr><td><a href=\"/messages/%lld\">", id);
		pc_h_time(o, (time_t)pc_jn(m, "seen"));
		g_string_append(o, "</a></td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "sender"), 200);
		g_string_append(o, "</td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "rcpt"), 200);
		g_string_append_printf(o, "</td><td class=\"clip\"><a href=\"/messages/%lld\">", id);
		const char *s = pc_js(m, "subject");
		pc_hn(o, s && *s ? s : "(no subject)", 200);
		const char *v = pc_js(m, "verdict");
		g_string_append_printf(o, "</a></td><td class=\"%s\">", pc_verdict_class(v));
		pc_h(o, v);
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(m, "rule"));
		long long c = pc_jn(m, "campaign");
		if (c > 0)
			g_string_append_printf(o, "</td><td class=\"n\"><a href=\"/campaigns/%lld\">%lld</a></td></tr>",
			                       c, c);
		else
			g_string_append(o, "</td><td class=\"n\">–</td></tr>");
	}
	if (!json_array_size(json_object_get(d, "messages")))
		g_string_append(o, "<tr><td colspan=\"7\" class=\"mut\">none</td></tr>");
	g_string_append(o, "</tbody></table>");
	pc_pager(o, r, "/search", d);
}

/* ---- indicator sets ---- */

static int set_cb(void *ctx, const pc_ioc_set *s)
{
	json_array_append_new(ctx, json_pack("{s:o,s:o,s:I,s:i}", "name", pc_jstr(s->name), "actor", pc_jstr(s->actor),
	                                     "added", (json_int_t)s->added, "count", (int)s->count));
	return 0;
}

int pc_page_ioc(pc_req *r, json_t **data, pc_resp *resp)
{
	json_t *arr = json_array();
	if (pc_store_ioc_list(r->st, false, set_cb, arr) != 0) {
		json_decref(arr);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = json_pack("{s:o}", "sets", arr);
	return 200;
}

void pc_render_ioc(pc_req *r, json_t *d, GString *o)
{
	g_string_append(o,
	                "<h1>Indicator sets</h1><p class=\"mut\">Every scanner with this store matches these at "
	                "delivery ([policy] ioc_action).</p><table><thead><tr><th>Name</th><th class=\"n\">Indicators"
	                "</th><th>Added</th><th>By</th><th></th></tr></thead><tbody>");
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(d, "sets"), i, s)
	{
		g_string_append(o, "<tr><td>");
		pc_h(o, pc_js(s, "name"));
		g_string_append_printf(o, "</td><td class=\"n\">%lld</td><td>", pc_jn(s, "count"));
		pc_h_time(o, (time_t)pc_jn(s, "added"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(s, "actor"));
		g_string_append(o, "</td><td>");
		const char *name = pc_js(s, "name");
		bool plain = name &&
		             strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@+") ==
		                 strlen(name) &&
		             name[0] != '.';
		if (r->sess.role >= PC_ROLE_ADMIN && plain) {
			GString *a = g_string_new("");
			pc_hu(a, name);
			pc_form(o, r, "/ioc/%s/delete", a->str);
			g_string_free(a, TRUE);
			g_string_append(o, "<button type=\"submit\" class=\"danger\">Delete</button></form>");
		}
		g_string_append(o, "</td></tr>");
	}
	if (!json_array_size(json_object_get(d, "sets")))
		g_string_append(o, "<tr><td colspan=\"5\" class=\"mut\">none</td></tr>");
	g_string_append(o, "</tbody></table>");
	if (r->sess.role >= PC_ROLE_ANALYST) {
		g_string_append(
		    o,
		    "<h2>Add or replace a set</h2><form method=\"post\" action=\"/ioc\" "
		    "enctype=\"multipart/form-data\" class=\"filters\"><input type=\"hidden\" name=\"csrf\" value=\"");
		pc_h(o, r->sess.csrf);
		g_string_append(
		    o, "\"><label>name <input name=\"name\" required pattern=\"[A-Za-z0-9._@+\\-]{1,100}\"></label>"
		       "<label>file (text, STIX 2.1, MISP) <input type=\"file\" name=\"file\" required></label>"
		       "<button type=\"submit\">Upload</button></form>");
	}
}

static bool set_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= 100 && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@+") == n;
}

typedef struct exists_ctx {
	const char *name;
	bool found;
} exists_ctx;

static int set_exists(void *ctx, const pc_ioc_set *s)
{
	exists_ctx *e = ctx;
	e->found = e->found || !strcmp(s->name, e->name);
	return 0;
}

int pc_act_ioc_add(pc_req *r, json_t **data, pc_resp *resp)
{
	const char *name = pc_field(r, "name");
	if (!set_name_ok(name))
		return pc_fail(resp, data, 400, "a set name is 1 to 100 of A-Z a-z 0-9 . _ @ + -");
	if (!r->file || r->file->len == 0)
		return pc_fail(resp, data, 400, "no file uploaded (field \"file\")");
	exists_ctx ex = {name, false};
	if (pc_store_ioc_list(r->st, false, set_exists, &ex) != 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	if (ex.found && r->sess.role < PC_ROLE_ADMIN)
		return pc_fail(resp, data, 403, "a set named %s exists: replacing it is an admin's", name);
	char err[512];
	pc_ioc *ioc = pc_ioc_load_mem((const char *)r->file->data, r->file->len, r->file_name[0] ? r->file_name : name,
	                              err, sizeof err);
	if (!ioc)
		return pc_fail(resp, data, 400, "not an indicator file: %s", err);
	size_t count = pc_ioc_count(ioc), skipped = pc_ioc_skipped(ioc, NULL);
	pc_ioc_free(ioc);
	char actor[192];
	snprintf(actor, sizeof actor, "%s (console, %s)", r->sess.user, r->ip);
	time_t now = time(NULL);
	pc_ioc_set set = {name, actor, now, (long)count, r->file->data, r->file->len};
	char detail[600];
	char f200[201];
	snprintf(detail, sizeof detail, "added %s from upload %s: %zu indicators, %zu skipped", name,
	         pc_cut(f200, sizeof f200, r->file_name), count, skipped);
	if (pc_store_begin(r->st) != 0 || pc_store_ioc_put(r->st, &set) != 0 ||
	    pc_store_audit(r->st, now, actor, "ioc-add", 0, name, detail) != 0 || pc_store_commit(r->st) != 0) {
		pc_store_rollback(r->st);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	int st = pc_done(r, resp, data, "/ioc", "Set %s: %zu indicators (%zu skipped).", name, count, skipped);
	json_object_set_new(*data, "count", json_integer((json_int_t)count));
	return st;
}

int pc_act_ioc_delete(pc_req *r, json_t **data, pc_resp *resp)
{
	if (!set_name_ok(r->word))
		return pc_fail(resp, data, 404, "no such set");
	int rc = pc_store_ioc_remove(r->st, r->word);
	if (rc == 0)
		return pc_fail(resp, data, 404, "no such set");
	if (rc < 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	pc_audit(r, "ioc-remove", 0, r->word, "removed in the console");
	return pc_done(r, resp, data, "/ioc", "Set %s deleted.", r->word);
}

/* ---- the audit log ---- */

typedef struct audit_ctx {
	GPtrArray *rows; /* json_t *, newest kept */
	size_t keep, next;
	long total;
	const char *actor, *action;
} audit_ctx;

static int audit_cb(void *ctx, const pc_audit_row *a)
{
	audit_ctx *c = ctx;
	if (c->action && (!a->action || strcmp(a->action, c->action)))
		return 0;
	if (c->actor && (!a->actor || !strstr(a->actor, c->actor)))
		return 0;
	c->total++;
	json_t *j = json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)a->id, "when", (json_int_t)a->when,
	                      "campaign", (json_int_t)a->campaign, "actor", pc_jstr(a->actor), "action",
	                      pc_jstr(a->action), "source", pc_jstr(a->source), "detail", pc_jstr(a->detail));
	/* the newest `keep`: a ring, oldest overwritten */
	if (c->rows->len < c->keep) {
		g_ptr_array_add(c->rows, j);
	} else {
		json_decref(g_ptr_array_index(c->rows, c->next));
		g_ptr_array_index(c->rows, c->next) = j;
		c->next = (c->next + 1) % c->keep;
	}
	return 0;
}

/* the quarantine's records carry the message, the person's reason and
 * the recipients: joined to the rows by id */
static int qrec_cb(void *ctx, const pc_audit_qrec *q)
{
	json_t *rcpt = json_array();
	for (size_t i = 0; i < q->nrcpt; i++)
		json_array_append_new(rcpt, pc_jstr(q->rcpt[i]));
	char key[32];
	snprintf(key, sizeof key, "%lld", q->id);
	json_object_set_new(
	    ctx, key, json_pack("{s:o,s:o,s:o}", "qid", pc_jstr(q->qid), "reason", pc_jstr(q->reason), "rcpt", rcpt));
	return 0;
}

int pc_page_audit(pc_req *r, json_t **data, pc_resp *resp)
{
	long limit = pc_arg_long(r, "limit", 200, 1, 5000);
	audit_ctx c = {g_ptr_array_new(), (size_t)limit, 0, 0, pc_arg(r, "actor"), pc_arg(r, "action")};
	int rc = pc_store_audit_list(r->st, pc_arg_long(r, "campaign", 0, 0, 1L << 40), audit_cb, &c);
	json_t *q = json_object();
	if (rc == 0 && r->w->cfg.quarantine_dir[0])
		rc = pc_store_audit_quarantine_list(r->st, r->w->cfg.quarantine_dir, qrec_cb, q);
	json_t *arr = json_array();
	/* newest first: the ring read backwards from the slot before next */
	for (guint k = 0; k < c.rows->len; k++) {
		guint i = (guint)((c.next + c.rows->len - 1 - k) % c.rows->len);
		json_t *row = g_ptr_array_index(c.rows, i);
		char key[32];
		snprintf(key, sizeof key, "%lld", pc_jn(row, "id"));
		json_t *x = json_object_get(q, key);
		if (x)
			json_object_update(row, x);
		json_array_append_new(arr, row);
	}
	json_decref(q);
	g_ptr_array_free(c.rows, TRUE);
	if (rc != 0) {
		json_decref(arr);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = json_pack("{s:o,s:i}", "records", arr, "total", (int)c.total);
	return 200;
}

void pc_render_audit(pc_req *r, json_t *d, GString *o)
{
	g_string_append(o, "<h1>Audit log</h1><form class=\"filters\" method=\"get\" action=\"/audit\"><label>who "
	                   "<input name=\"actor\" value=\"");
	pc_h(o, pc_arg(r, "actor"));
	g_string_append(o, "\"></label><label>action <input name=\"action\" value=\"");
	pc_h(o, pc_arg(r, "action"));
	g_string_append(o, "\"></label><button type=\"submit\">Filter</button></form>");
	g_string_append_printf(o, "<p class=\"mut\">%lld records; the newest %zu shown.</p>", pc_jn(d, "total"),
	                       json_array_size(json_object_get(d, "records")));
	g_string_append(o, "<table id=\"audit\"><thead><tr><th>When</th><th>Who</th><th>Action</th><th class=\"n\">"
	                   "Campaign</th><th>Object</th><th>Detail</th></tr></thead><tbody>");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(d, "records"), i, a)
	{
		g_string_append(o, "<tr><td>");
		pc_h_time(o, (time_t)pc_jn(a, "when"));
		g_string_append(o, "</td><td class=\"wrap\">");
		pc_h(o, pc_js(a, "actor"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(a, "action"));
		long long c = pc_jn(a, "campaign");
		if (c > 0)
			g_string_append_printf(o, "</td><td class=\"n\"><a href=\"/campaigns/%lld\">%lld</a>", c, c);
		else
			g_string_append(o, "</td><td class=\"n\">–");
		g_string_append(o, "</td><td class=\"wrap\">");
		pc_hn(o, pc_js(a, "qid") ? pc_js(a, "qid") : pc_js(a, "source"), 300);
		g_string_append(o, "</td><td class=\"wrap\">");
		if (pc_js(a, "reason")) {
			g_string_append(o, "<span class=\"line\"><b>reason:</b> ");
			pc_hn(o, pc_js(a, "reason"), 600);
			g_string_append(o, "</span>");
		}
		json_t *rc = json_object_get(a, "rcpt");
		if (json_array_size(rc)) {
			g_string_append(o, "<span class=\"line\"><b>to:</b>");
			size_t k;
			json_t *x;
			json_array_foreach(rc, k, x)
			{
				g_string_append_c(o, ' ');
				pc_hn(o, json_string_value(x), 320);
			}
			g_string_append(o, "</span>");
		}
		pc_hn(o, pc_js(a, "detail"), 600);
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</tbody></table>");
}

/* ---- accounts ---- */

static int user_cb(void *ctx, const pc_user *u)
{
	json_array_append_new(ctx, json_pack("{s:s,s:s,s:I,s:I,s:b}", "name", u->name, "role", u->role, "created",
	                                     (json_int_t)u->created, "changed", (json_int_t)u->changed, "disabled",
	                                     u->disabled));
	return 0;
}

int pc_page_users(pc_req *r, json_t **data, pc_resp *resp)
{
	json_t *arr = json_array();
	if (pc_store_user_list(r->st, user_cb, arr) != 0) {
		json_decref(arr);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = json_pack("{s:o}", "users", arr);
	return 200;
}

void pc_render_users(pc_req *r, json_t *d, GString *o)
{
	g_string_append(o, "<h1>Accounts</h1><table><thead><tr><th>Name</th><th>Role</th><th>Created</th>"
	                   "<th>Password changed</th><th></th></tr></thead><tbody>");
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(d, "users"), i, u)
	{
		g_string_append(o, "<tr><td>");
		pc_h(o, pc_js(u, "name"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(u, "role"));
		g_string_append(o, "</td><td>");
		pc_h_time(o, (time_t)pc_jn(u, "created"));
		g_string_append(o, "</td><td>");
		pc_h_time(o, (time_t)pc_jn(u, "changed"));
		g_string_append(o, "</td><td>");
		if (strcmp(pc_js(u, "name"), r->sess.user)) {
			pc_form(o, r, "/users/%s/delete", pc_js(u, "name"));
			g_string_append(o, "<button type=\"submit\" class=\"danger\">Remove</button></form>");
		}
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</tbody></table><h2>Add an account</h2>");
	pc_form(o, r, "/users");
	g_string_append(o, "<label>name <input name=\"name\" required pattern=\"[a-z][a-z0-9._\\-]{0,31}\"></label>"
	                   "<label>role <select name=\"role\"><option>viewer</option><option>analyst</option>"
	                   "<option>admin</option></select></label><button type=\"submit\">Add</button></form>"
	                   "<h2>Your password</h2>");
	pc_form(o, r, "/account/password");
	g_string_append(o, "<label>current <input type=\"password\" name=\"old\" autocomplete=\"current-password\" "
	                   "required></label><label>new (12 or more characters) <input type=\"password\" name=\"new\" "
	                   "autocomplete=\"new-password\" minlength=\"12\" required></label><button type=\"submit\">"
	                   "Change</button></form>");
}

bool pc_user_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 1 && n <= 32 && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

typedef struct one {
	bool found;
	char hash[PC_PASSWORD_HASH];
	char role[16];
	time_t created;
	bool disabled;
} one;

static int one_cb(void *ctx, const pc_user *u)
{
	one *o = ctx;
	o->found = true;
	snprintf(o->hash, sizeof o->hash, "%s", u->hash);
	snprintf(o->role, sizeof o->role, "%s", u->role);
	o->created = u->created;
	o->disabled = u->disabled;
	return 0;
}

int pc_act_user_add(pc_req *r, json_t **data, pc_resp *resp)
{
	const char *name = pc_field(r, "name"), *role = pc_field(r, "role");
	if (!pc_user_name_ok(name))
		return pc_fail(resp, data, 400, "a name is 1 to 32 of a-z 0-9 . _ - starting with a letter");
	if (pc_role_parse(role) == PC_ROLE_NONE)
		return pc_fail(resp, data, 400, "role: viewer, analyst or admin");
	one ex = {0};
	if (pc_store_user_get(r->st, name, one_cb, &ex) < 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	if (ex.found)
		return pc_fail(resp, data, 409, "an account %s exists", name);
	char pw[PC_PASSWORD_GEN], hash[PC_PASSWORD_HASH];
	pc_password_generate(pw);
	pthread_mutex_lock(&r->w->verify_lock);
	int hrc = pc_password_hash(pw, hash);
	pthread_mutex_unlock(&r->w->verify_lock);
	if (hrc != 0)
		return pc_fail(resp, data, 500, "password hash failed");
	time_t now = time(NULL);
	pc_user u = {name, role, hash, now, now, false};
	char detail[96];
	snprintf(detail, sizeof detail, "account %s added with role %s", name, role);
	if (pc_store_user_put(r->st, &u) != 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	pc_audit(r, "account-add", 0, name, detail);
	/* the password is shown once, to the admin who made it */
	int st =
	    pc_done(r, resp, data, "/users", "Account %s (%s) added; its password, shown once: %s", name, role, pw);
	json_object_set_new(*data, "password", json_string(pw));
	return st;
}

int pc_act_user_delete(pc_req *r, json_t **data, pc_resp *resp)
{
	if (!strcmp(r->word, r->sess.user))
		return pc_fail(resp, data, 400, "you cannot remove your own account");
	int rc = pc_store_user_remove(r->st, r->word);
	if (rc == 0)
		return pc_fail(resp, data, 404, "no such account");
	if (rc < 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	pc_auth_end_user(r->w, r->word);
	pc_audit(r, "account-remove", 0, r->word, "removed in the console");
	return pc_done(r, resp, data, "/users", "Account %s removed.", r->word);
}

int pc_act_password(pc_req *r, json_t **data, pc_resp *resp)
{
	const char *old = pc_field(r, "old"), *nw = pc_field(r, "new");
	if (!old || !nw || strlen(nw) < 12 || strlen(nw) > PC_PASSWORD_MAX)
		return pc_fail(resp, data, 400, "the new password needs 12 to %d characters", PC_PASSWORD_MAX);
	one me = {0};
	if (pc_store_user_get(r->st, r->sess.user, one_cb, &me) <= 0)
		return pc_fail(resp, data, 500, "your account is gone");
	pthread_mutex_lock(&r->w->verify_lock);
	bool ok = pc_password_verify(me.hash, old);
	char hash[PC_PASSWORD_HASH];
	int hrc = ok ? pc_password_hash(nw, hash) : -1;
	pthread_mutex_unlock(&r->w->verify_lock);
	if (!ok) {
		pc_audit(r, "password-failed", 0, r->sess.user, "wrong current password");
		return pc_fail(resp, data, 403, "the current password is wrong");
	}
	if (hrc != 0)
		return pc_fail(resp, data, 500, "password hash failed");
	pc_user u = {r->sess.user, me.role, hash, me.created, time(NULL), me.disabled};
	if (pc_store_user_put(r->st, &u) != 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	pc_audit(r, "password-change", 0, r->sess.user, "changed in the console; sessions ended");
	pc_auth_end_user(r->w, r->sess.user);
	return pc_done(r, resp, data, "/login", "Password changed: log in again.");
}
