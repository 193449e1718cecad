/*
 * NAME
 *   html - the console's markup: escaping by context, the page frame
 * DESCRIPTION
 *   The only writer of markup around text. pc_h escapes for element
 *   content and double-quoted attribute values alike (& < > " ' all
 *   become references), so one function serves both contexts the console
 *   uses; no text from mail is ever put in a URL attribute, a style, an
 *   event handler or a script (there is no script). Links the console
 *   makes carry only numbers, QIDs (validated: [A-Za-z0-9-]) and
 *   percent-encoded query values (pc_hu).
 *   What a reader must see and not be fooled by: invalid UTF-8 becomes
 *   U+FFFD; C0/C1 controls, DEL, bidi embeddings, overrides, isolates and
 *   marks, zero-width and invisible formatting characters, line and
 *   paragraph separators and the BOM are shown as a visible ⟨U+202E⟩
 *   instead of acting on the text around them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/safetext.h"
#include "core/version.h"
#include "web/internal.h"

/* What a page shows as a mark: core/safetext's list (controls, bidi,
 * separators, BOM), line feeds and tabs too, and the invisible
 * formatting characters a name or subject can hide behind (zero-width
 * spaces and joiners, word joiners and invisible operators, soft hyphen,
 * combining grapheme joiner, interlinear annotations, tags). */
static bool hidden(gunichar c)
{
	return pc_safetext_marked(c) || c < 0x20 || (c >= 0x200b && c <= 0x200d) || (c >= 0x2060 && c <= 0x206f) ||
	       c == 0x00ad || c == 0x034f || (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe0000 && c <= 0xe007f);
}

static void escape(GString *o, const char *s, size_t max, bool lines);

void pc_hn(GString *o, const char *s, size_t max)
{
	escape(o, s, max, false);
}

void pc_h_pre(GString *o, const char *s, size_t max)
{
	escape(o, s, max, true);
}

/* lines: line feeds and tabs kept (the content of a <pre>) */
static void escape(GString *o, const char *s, size_t max, bool lines)
{
	if (!s)
		return;
	size_t n = strlen(s);
	bool cut = false;
	if (max && n > max)
		n = max, cut = true;
	const char *p = s, *end = s + n;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append(o, "\xef\xbf\xbd");
			p++;
			continue;
		}
		const char *next = g_utf8_next_char(p);
		switch (c) {
		case '&':
			g_string_append(o, "&amp;");
			break;
		case '<':
			g_string_append(o, "&lt;");
			break;
		case '>':
			g_string_append(o, "&gt;");
			break;
		case '"':
			g_string_append(o, "&quot;");
			break;
		case '\'':
			g_string_append(o, "&#39;");
			break;
		default:
			if (lines && (c == '\n' || c == '\t'))
				g_string_append_c(o, (char)c);
			else if (hidden(c)) {
				char m[16];
				g_string_append_len(o, m, (gssize)pc_safetext_mark(c, m, sizeof m));
			} else
				g_string_append_len(o, p, next - p);
		}
		p = next;
	}
	if (cut)
		g_string_append(o, "\xe2\x80\xa6");
}

void pc_h(GString *o, const char *s)
{
	pc_hn(o, s, 0);
}

const char *pc_cut(char *buf, size_t size, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= size) {
		n = size - 1;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

void pc_hf(GString *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_string_append_vprintf(o, fmt, ap);
	va_end(ap);
}

void pc_hu(GString *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')
			g_string_append_c(o, (char)*p);
		else
			g_string_append_printf(o, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

void pc_h_time(GString *o, time_t t)
{
	if (t <= 0) {
		g_string_append(o, "–");
		return;
	}
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
	g_string_append(o, buf);
}

const char *pc_verdict_class(const char *v)
{
	if (!v)
		return "v-none";
	if (!strcmp(v, "quarantine") || !strcmp(v, "reject") || !strcmp(v, "malicious"))
		return "v-bad";
	if (!strcmp(v, "neutralise"))
		return "v-mid";
	if (!strcmp(v, "accept") || !strcmp(v, "benign"))
		return "v-ok";
	return "v-none";
}

const char *pc_js(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

long long pc_jn(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? json_integer_value(v) : json_is_real(v) ? (long long)json_real_value(v) : 0;
}

void pc_form(GString *o, const pc_req *r, const char *action_fmt, ...)
{
	char action[512];
	va_list ap;
	va_start(ap, action_fmt);
	vsnprintf(action, sizeof action, action_fmt, ap);
	va_end(ap);
	g_string_append(o, "<form method=\"post\" action=\"");
	pc_h(o, action);
	g_string_append(o, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
	pc_h(o, r->sess.csrf);
	g_string_append(o, "\">");
}

void pc_page_begin(GString *o, const pc_req *r, const char *title)
{
	g_string_append(o, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	                   "<meta name=\"referrer\" content=\"no-referrer\">"
	                   "<link rel=\"stylesheet\" href=\"/static/console.css\"><title>");
	pc_h(o, title);
	g_string_append(o, " · Portcullis</title></head><body>");
	if (r->sess.id[0]) {
		static const struct {
			const char *href, *label;
			int role;
		} nav[] = {{"/", "Overview", PC_ROLE_VIEWER},
		           {"/campaigns", "Campaigns", PC_ROLE_VIEWER},
		           {"/quarantine", "Quarantine", PC_ROLE_VIEWER},
		           {"/search", "Search", PC_ROLE_VIEWER},
		           {"/ioc", "Indicators", PC_ROLE_VIEWER},
		           {"/audit", "Audit", PC_ROLE_VIEWER},
		           {"/users", "Accounts", PC_ROLE_ADMIN}};
		g_string_append(o, "<header><nav><span class=\"brand\">Portcullis</span>");
		for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++)
			if (r->sess.role >= nav[i].role)
				g_string_append_printf(o, "<a href=\"%s\">%s</a>", nav[i].href, nav[i].label);
		g_string_append(o, "</nav><div class=\"who\">");
		pc_h(o, r->sess.user);
		g_string_append_printf(o, " <span class=\"role\">%s</span>", pc_role_name(r->sess.role));
		pc_form(o, r, "/logout");
		g_string_append(o, "<button type=\"submit\" class=\"link\">Log out</button></form></div></header>");
		if (r->sess.flash[0]) {
			g_string_append(o, "<p class=\"flash\" role=\"status\">");
			pc_h(o, r->sess.flash);
			g_string_append(o, "</p>");
		}
	}
	g_string_append(o, "<main>");
}

void pc_page_end(GString *o)
{
	g_string_append(o, "</main><footer>Portcullis " PC_VERSION "</footer></body></html>\n");
}

/* No script anywhere; every box clips what overflows it (long subjects,
 * URLs and addresses from mail). */
const char pc_console_css[] =
    ":root{--bg:#f7f7f5;--fg:#1d2125;--mut:#5b6670;--line:#d8dcdf;--bad:#a4161a;--mid:#b26b00;--ok:#2b7a3d;"
    "--acc:#1f4e79}\n"
    "*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "background:var(--bg);color:var(--fg)}\n"
    "header{display:flex;justify-content:space-between;align-items:center;background:#14213d;color:#fff;"
    "padding:.4rem 1rem}\n"
    "header a{color:#dfe7f5;margin-right:1rem;text-decoration:none}header a:hover{text-decoration:underline}\n"
    ".brand{font-weight:700;margin-right:1.5rem;letter-spacing:.04em}.who{display:flex;gap:.6rem;align-items:center}"
    ".who form{display:inline}\n"
    ".role{background:#fca311;color:#14213d;border-radius:3px;padding:0 .35rem;font-size:12px}\n"
    "main{padding:1rem 1.4rem;max-width:1400px;margin:auto}footer{color:var(--mut);padding:1rem 1.4rem;"
    "font-size:12px}\n"
    "h1{font-size:1.4rem;margin:.3rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}\n"
    "table{border-collapse:collapse;width:100%;table-layout:fixed;background:#fff}th,td{border-bottom:1px solid "
    "var(--line);padding:.3rem .45rem;text-align:left;vertical-align:top;overflow:hidden;text-overflow:ellipsis;"
    "overflow-wrap:anywhere}\n"
    "th{background:#eef0f2;font-weight:600}td.n,th.n{text-align:right;width:6rem}\n"
    ".clip{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.wrap{overflow-wrap:anywhere}\n"
    ".v-bad{color:var(--bad);font-weight:600}.v-mid{color:var(--mid);font-weight:600}.v-ok{color:var(--ok)}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:.8rem;margin-bottom:1rem}\n"
    ".card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;overflow:hidden}\n"
    ".card b{display:block;font-size:1.5rem}.grid2{display:grid;grid-template-columns:1fr 1fr;gap:1rem}\n"
    ".grid2>*{min-width:0}\n"
    ".flash{background:#e8f3ea;border:1px solid #9bc7a5;padding:.5rem .8rem;border-radius:4px}\n"
    ".error{background:#fbeaea;border:1px solid #e0a3a3;padding:.5rem .8rem;border-radius:4px}\n"
    "form.inline{display:inline}label{display:block;margin:.3rem 0}input,select,textarea{font:inherit;padding:.25rem;"
    "max-width:100%}\n"
    ".filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;background:#fff;border:1px solid var(--line);"
    "padding:.6rem;border-radius:6px;margin-bottom:.8rem}.filters label{margin:0}\n"
    "button{font:inherit;padding:.3rem .8rem;border:1px solid #14213d;background:#14213d;color:#fff;border-radius:4px;"
    "cursor:pointer}button.danger{background:var(--bad);border-color:var(--bad)}button.link{background:none;"
    "border:none;color:#dfe7f5;padding:0;text-decoration:underline}\n"
    ".actions{display:flex;flex-wrap:wrap;gap:1rem;background:#fff;border:1px solid var(--line);padding:.7rem;"
    "border-radius:6px}.actions form{display:flex;gap:.4rem;align-items:end}\n"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid var(--line);padding:.5rem;"
    "max-height:30rem;overflow:auto}\n"
    "iframe.body{width:100%;height:32rem;border:1px solid var(--line);background:#fff}\n"
    ".ev{font-family:ui-monospace,monospace;font-size:12px;color:#333}.mut{color:var(--mut)}\n"
    "svg{max-width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:6px}\n"
    ".login{max-width:22rem;margin:4rem auto;background:#fff;padding:1.5rem;border:1px solid var(--line);"
    "border-radius:8px}.login input{width:100%}\n"
    ".pager{margin:.6rem 0}.pager a{margin-right:1rem}dl.kv{display:grid;grid-template-columns:12rem 1fr;gap:.2rem "
    ".8rem}dl.kv dt{color:var(--mut)}dl.kv dd{margin:0;overflow-wrap:anywhere}\n"
    ".tree{font-family:ui-monospace,monospace;font-size:12px}th.hname{width:14rem}\n"
    "h1,h2,h3,dd,p,label{overflow-wrap:anywhere}.line{display:block}\n"
    "@media (max-width:900px){.grid2{grid-template-columns:1fr}}\n";
