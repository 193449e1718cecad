/*
 * Unit tests for parse/mime (GMime 3 wrapper): headers, RFC 2047,
 * addresses and groups, transfer decoding, charset conversion, damage
 * findings and limits. Bodies are captured with pc_mime_parse's callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/msg.h"
#include "parse/mime.h"
#include "pipeline/pipeline.h"

#define MAXB 16

typedef struct body {
	size_t part;
	char *bytes;
	size_t n;
	char charset[32];
	bool charset_null;
} body;

typedef struct fixture {
	pc_config config;
	pc_mime *mp;
	pc_msg msg;
	body bodies[MAXB];
	size_t nbodies;
	int rc;
} fixture;

static void on_body(void *ctx, pc_msg *m, size_t part, const char *bytes, size_t n, const char *charset)
{
	fixture *fx = ctx;
	(void)m;
	if (fx->nbodies >= MAXB)
		return;
	body *b = &fx->bodies[fx->nbodies++];
	b->part = part;
	b->bytes = malloc(n + 1);
	if (n)
		memcpy(b->bytes, bytes, n);
	b->bytes[n] = '\0';
	b->n = n;
	b->charset_null = charset == NULL;
	snprintf(b->charset, sizeof b->charset, "%s", charset ? charset : "");
}

static void clear_bodies(fixture *fx)
{
	for (size_t i = 0; i < fx->nbodies; i++)
		free(fx->bodies[i].bytes);
	fx->nbodies = 0;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	pc_config_defaults(&fx->config);
	fx->mp = pc_mime_new();
	fx->msg.arena = pc_arena_new(fx->config.limits.arena);
	*state = fx;
	return fx->mp && fx->msg.arena ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	clear_bodies(fx);
	pc_arena_free(fx->msg.arena);
	pc_mime_free(fx->mp);
	free(fx);
	return 0;
}

/* Parses n bytes as a fresh message. */
static pc_msg *PN(void **state, const char *bytes, size_t n)
{
	fixture *fx = *state;
	clear_bodies(fx);
	pc_arena *a = fx->msg.arena;
	pc_arena_reset(a);
	memset(&fx->msg, 0, sizeof fx->msg);
	fx->msg.arena = a;
	fx->msg.config = &fx->config;
	fx->rc = pc_mime_parse(fx->mp, &fx->msg, bytes, n, on_body, fx);
	return &fx->msg;
}

static pc_msg *P(void **state, const char *s)
{
	return PN(state, s, strlen(s));
}

static const body *B(void **state, size_t i)
{
	fixture *fx = *state;
	if (i >= fx->nbodies)
		fail_msg("body %zu requested, %zu captured", i, fx->nbodies);
	return &fx->bodies[i];
}

static const pc_part *PART(const pc_msg *m, size_t i)
{
	if (i >= m->parts.n)
		fail_msg("part %zu requested, %zu parsed", i, m->parts.n);
	return m->parts.v[i];
}

static const pc_addr *ADDR(const pc_vec *v, size_t i)
{
	if (i >= v->n)
		fail_msg("address %zu requested, %zu parsed", i, v->n);
	return v->v[i];
}

static const char *EV(const pc_finding *f, const char *key)
{
	for (const pc_kv *kv = f->evidence; kv; kv = kv->next)
		if (!strcmp(kv->key, key))
			return kv->value;
	return NULL;
}

/* True when some finding's detector starts with prefix. */
static bool has_prefix(const pc_msg *m, const char *prefix)
{
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		if (!strncmp(f->detector, prefix, strlen(prefix)))
			return true;
	}
	return false;
}

/* The first top-level header field `name`, white space trimmed (values are
 * kept raw and unfolded, so a leading space or a trailing one from the line
 * break may remain). */
static const char *HDR(const pc_msg *m, const char *name)
{
	static char buf[1024];
	for (size_t i = 0; i < m->headers.n; i++) {
		const pc_kv *kv = m->headers.v[i];
		if (strcasecmp(kv->key, name))
			continue;
		const char *v = kv->value;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t n = strlen(v);
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		snprintf(buf, sizeof buf, "%.*s", (int)n, v);
		return buf;
	}
	return NULL;
}

static void test_plain_minimal(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: Alice <alice@example.com>\r\n"
	                     "To: bob@example.org\r\n"
	                     "Subject: Hello\r\n"
	                     "Message-ID: <abc@example.com>\r\n"
	                     "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	                     "\r\n"
	                     "Hi Bob\r\n");
	assert_int_equal(fx->rc, 0);
	assert_true(m->is_mail);
	assert_string_equal(m->subject, "Hello");
	assert_string_equal(m->message_id, "abc@example.com");
	assert_string_equal(m->date, "Mon, 1 Jan 2024 10:00:00 +0000");
	assert_int_equal(m->from.n, 1);
	assert_string_equal(ADDR(&m->from, 0)->name, "Alice");
	assert_string_equal(ADDR(&m->from, 0)->addr, "alice@example.com");
	assert_null(ADDR(&m->from, 0)->group);
	assert_int_equal(m->to.n, 1);
	assert_string_equal(ADDR(&m->to, 0)->addr, "bob@example.org");
	assert_string_equal(ADDR(&m->to, 0)->name, "");
	assert_int_equal(m->parts.n, 1);
	const pc_part *p = PART(m, 0);
	assert_string_equal(p->path, "1");
	assert_string_equal(p->content_type, "text/plain");
	assert_int_equal(p->kind, PC_PART_TEXT);
	assert_int_equal(p->depth, 0);
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "Hi Bob\r\n");
	assert_int_equal(B(state, 0)->part, 0);
	assert_int_equal(m->size, strlen("From: Alice <alice@example.com>\r\n"
	                                 "To: bob@example.org\r\n"
	                                 "Subject: Hello\r\n"
	                                 "Message-ID: <abc@example.com>\r\n"
	                                 "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	                                 "\r\n"
	                                 "Hi Bob\r\n"));
	assert_null(pc_msg_find(m, "parse.not-mail"));
	assert_null(pc_msg_find(m, "parse.line-endings"));
	/* headers in order, decoded */
	assert_int_equal(m->headers.n, 5);
	assert_string_equal(((pc_kv *)m->headers.v[0])->key, "From");
	assert_string_equal(HDR(m, "subject"), "Hello");
}

static void test_folded_headers(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Subject: a folded\n"
	                     "  subject line\n"
	                     "X-Long: one\n\ttwo\n"
	                     "\n"
	                     "x\n");
	/* RFC 5322 unfolding removes the line break only, not the white space */
	assert_string_equal(m->subject, "a folded  subject line");
	const char *v = HDR(m, "X-Long");
	assert_non_null(v);
	assert_non_null(strstr(v, "one"));
	assert_non_null(strstr(v, "two"));
	assert_null(strchr(v, '\n'));
}

static void test_rfc2047_subject(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?= =?ISO-8859-1?Q?caf=E9_au_lait?=\n"
	                     "\n"
	                     "x\n");
	/* adjacent encoded words join without the space between them */
	assert_string_equal(m->subject, "Hello W\xc3\xb6rld"
	                                "caf\xc3\xa9 au lait");
	m = P(state, "From: a@example.com\nSubject: =?koi8-r?B?8NLJ18XU?=\n\nx\n");
	assert_string_equal(m->subject, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"); /* Привет */
}

static void test_rfc2047_display_name(void **state)
{
	pc_msg *m = P(state, "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\n"
	                     "To: \"Quoted, Name\" <q@example.com>\n\nx\n");
	assert_string_equal(ADDR(&m->from, 0)->name, "J\xc3\xb6rg M\xc3\xbcller");
	assert_string_equal(ADDR(&m->from, 0)->addr, "joerg@example.de");
	assert_string_equal(ADDR(&m->to, 0)->name, "Quoted, Name");
}

static void test_address_groups(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "To: Friends: one@example.com, \"Two\" <two@example.com>;, solo@example.org\n"
	                     "Cc: undisclosed-recipients:;\n"
	                     "Reply-To: r@example.net\n"
	                     "Sender: s@example.net\n"
	                     "\nx\n");
	assert_int_equal(m->to.n, 3);
	assert_string_equal(ADDR(&m->to, 0)->addr, "one@example.com");
	assert_string_equal(ADDR(&m->to, 0)->group, "Friends");
	assert_string_equal(ADDR(&m->to, 1)->addr, "two@example.com");
	assert_string_equal(ADDR(&m->to, 1)->name, "Two");
	assert_string_equal(ADDR(&m->to, 1)->group, "Friends");
	assert_string_equal(ADDR(&m->to, 2)->addr, "solo@example.org");
	assert_null(ADDR(&m->to, 2)->group);
	/* an empty group yields no addresses */
	assert_int_equal(m->cc.n, 0);
	assert_string_equal(ADDR(&m->reply_to, 0)->addr, "r@example.net");
	assert_string_equal(ADDR(&m->sender, 0)->addr, "s@example.net");
}

static void test_multiple_from_and_return_path(void **state)
{
	pc_msg *m = P(state, "From: a@example.com, b@example.com\n"
	                     "Return-Path: <bounce@example.net>\n"
	                     "\nx\n");
	assert_int_equal(m->from.n, 2);
	assert_string_equal(ADDR(&m->from, 1)->addr, "b@example.com");
	assert_string_equal(m->return_path, "bounce@example.net");
	m = P(state, "From: a@example.com\nReturn-Path: <>\n\nx\n");
	assert_non_null(m->return_path);
}

static void test_quoted_printable(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: text/plain; charset=utf-8\n"
	                     "Content-Transfer-Encoding: quoted-printable\n"
	                     "\n"
	                     "caf=C3=A9 =3D equal, soft=\n"
	                     "break http://example.com/?a=3D1\n");
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "caf\xc3\xa9 = equal, softbreak http://example.com/?a=1\n");
	assert_string_equal(PART(m, 0)->encoding, "quoted-printable");
	assert_int_equal(PART(m, 0)->decoded_size, B(state, 0)->n);
	assert_int_equal(m->decoded_total, B(state, 0)->n);
}

static void test_base64(void **state)
{
	fixture *fx = *state;
	/* "Hello, base64 world!\n" */
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: text/plain\n"
	                     "Content-Transfer-Encoding: BASE64\n"
	                     "\n"
	                     "SGVsbG8sIGJhc2U2\n"
	                     "NCB3b3JsZCEK\n");
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "Hello, base64 world!\n");
	assert_string_equal(PART(m, 0)->encoding, "base64");
}

static void test_charset_iso_8859_1(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
	                     "Content-Transfer-Encoding: 8bit\n"
	                     "\n"
	                     "caf\xe9 na\xefve \xa3\n");
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "caf\xc3\xa9 na\xc3\xafve \xc2\xa3\n");
	assert_string_equal(B(state, 0)->charset, "utf-8");
	assert_string_equal(PART(m, 0)->charset, "iso-8859-1");
	assert_null(pc_msg_find(m, "parse.charset"));
}

static void test_charset_koi8_r(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: text/plain; charset=koi8-r\n"
	                     "Content-Transfer-Encoding: 8bit\n"
	                     "\n"
	                     "\xf0\xd2\xc9\xd7\xc5\xd4\n");
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n");
	assert_string_equal(PART(m, 0)->charset, "koi8-r");
}

static void test_charset_qp_windows_1252(void **state)
{
	fixture *fx = *state;
	P(state, "From: a@example.com\n"
	         "Content-Type: text/plain; charset=windows-1252\n"
	         "Content-Transfer-Encoding: quoted-printable\n"
	         "\n"
	         "=93quoted=94 =80\n");
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac\n");
}

static void test_charset_unknown(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: text/plain; charset=x-no-such-charset\n"
	                     "\n"
	                     "plain ascii\n");
	const pc_finding *f = pc_msg_find(m, "parse.charset");
	assert_non_null(f);
	assert_string_equal(EV(f, "charset"), "x-no-such-charset");
	assert_string_equal(EV(f, "part"), "1");
	/* the text is still passed on, read as UTF-8 */
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "plain ascii\n");
}

static void test_multipart_tree(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "MIME-Version: 1.0\n"
	                     "Content-Type: multipart/mixed; boundary=\"outer\"\n"
	                     "\n"
	                     "preamble\n"
	                     "--outer\n"
	                     "Content-Type: multipart/alternative; boundary=inner\n"
	                     "\n"
	                     "--inner\n"
	                     "Content-Type: text/plain\n"
	                     "\n"
	                     "plain body\n"
	                     "--inner\n"
	                     "Content-Type: text/html; charset=utf-8\n"
	                     "\n"
	                     "<p>html body</p>\n"
	                     "--inner--\n"
	                     "--outer\n"
	                     "Content-Type: application/pdf; name=\"doc.pdf\"\n"
	                     "Content-Disposition: attachment; filename=\"doc.pdf\"\n"
	                     "Content-Transfer-Encoding: base64\n"
	                     "\n"
	                     "JVBERi0=\n"
	                     "--outer\n"
	                     "Content-Type: text/plain\n"
	                     "Content-Disposition: attachment; filename=notes.txt\n"
	                     "\n"
	                     "attached text is not scanned as a body\n"
	                     "--outer--\n"
	                     "epilogue\n");
	assert_int_equal(fx->rc, 0);
	assert_int_equal(m->parts.n, 6);
	assert_string_equal(PART(m, 0)->path, "1");
	assert_int_equal(PART(m, 0)->kind, PC_PART_MULTIPART);
	assert_string_equal(PART(m, 0)->content_type, "multipart/mixed");
	assert_string_equal(PART(m, 1)->path, "1.1");
	assert_int_equal(PART(m, 1)->depth, 1);
	assert_string_equal(PART(m, 2)->path, "1.1.1");
	assert_int_equal(PART(m, 2)->kind, PC_PART_TEXT);
	assert_int_equal(PART(m, 2)->depth, 2);
	assert_string_equal(PART(m, 3)->path, "1.1.2");
	assert_int_equal(PART(m, 3)->kind, PC_PART_HTML);
	assert_string_equal(PART(m, 4)->path, "1.2");
	assert_int_equal(PART(m, 4)->kind, PC_PART_OTHER);
	assert_true(PART(m, 4)->attachment);
	assert_string_equal(PART(m, 4)->filename, "doc.pdf");
	assert_string_equal(PART(m, 4)->disposition, "attachment");
	assert_string_equal(PART(m, 5)->path, "1.3");
	assert_true(PART(m, 5)->attachment);
	assert_string_equal(PART(m, 5)->filename, "notes.txt");
	assert_int_equal(m->max_depth, 2);
	/* bodies: the text and the HTML, not the attachments */
	assert_int_equal(fx->nbodies, 2);
	assert_int_equal(B(state, 0)->part, 2);
	assert_string_equal(B(state, 0)->bytes, "plain body");
	assert_int_equal(B(state, 1)->part, 3);
	assert_string_equal(B(state, 1)->bytes, "<p>html body</p>");
	assert_string_equal(B(state, 1)->charset, "utf-8");
	assert_false(has_prefix(m, "parse."));
}

static void test_html_without_charset_passed_null(void **state)
{
	fixture *fx = *state;
	P(state, "From: a@example.com\nContent-Type: text/html\n\n<meta charset=koi8-r><p>\xf0</p>\n");
	assert_int_equal(fx->nbodies, 1);
	assert_true(B(state, 0)->charset_null);
	/* bytes untouched: the HTML parser's <meta> prescan decides */
	assert_non_null(strstr(B(state, 0)->bytes, "<p>\xf0</p>"));
}

static void test_message_rfc822(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: outer@example.com\n"
	                     "Content-Type: multipart/mixed; boundary=b\n"
	                     "\n"
	                     "--b\n"
	                     "Content-Type: message/rfc822\n"
	                     "\n"
	                     "From: inner@example.com\n"
	                     "Subject: inner\n"
	                     "\n"
	                     "inner body\n"
	                     "--b--\n");
	assert_int_equal(m->parts.n, 3);
	assert_int_equal(PART(m, 1)->kind, PC_PART_MESSAGE);
	assert_string_equal(PART(m, 1)->path, "1.1");
	assert_string_equal(PART(m, 2)->path, "1.1.1");
	assert_int_equal(PART(m, 2)->depth, 2);
	/* top-level facts come from the outer message only */
	assert_string_equal(ADDR(&m->from, 0)->addr, "outer@example.com");
	assert_null(m->subject);
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "inner body");
}

static void test_missing_closing_boundary(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: multipart/mixed; boundary=\"b\"\n"
	                     "\n"
	                     "--b\n"
	                     "Content-Type: text/plain\n"
	                     "\n"
	                     "the text is still read\n");
	assert_true(has_prefix(m, "parse."));
	assert_non_null(pc_msg_find(m, "parse.truncated"));
	assert_int_equal(fx->nbodies, 1);
	assert_non_null(strstr(B(state, 0)->bytes, "the text is still read"));
}

static void test_boundary_never_appears(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: multipart/mixed; boundary=\"nothere\"\n"
	                     "\n"
	                     "--other\n"
	                     "Content-Type: text/plain\n"
	                     "\n"
	                     "x\n"
	                     "--other--\n");
	assert_true(has_prefix(m, "parse."));
	assert_int_equal(PART(m, 0)->kind, PC_PART_MULTIPART);
}

static void test_multipart_without_boundary(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\nContent-Type: multipart/mixed\n\nbody\n");
	assert_true(has_prefix(m, "parse."));
}

static void test_nesting_limit(void **state)
{
	fixture *fx = *state;
	fx->config.limits.nesting_depth = 2;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: multipart/mixed; boundary=l0\n\n"
	                     "--l0\n"
	                     "Content-Type: multipart/mixed; boundary=l1\n\n"
	                     "--l1\n"
	                     "Content-Type: multipart/mixed; boundary=l2\n\n"
	                     "--l2\n"
	                     "Content-Type: multipart/mixed; boundary=l3\n\n"
	                     "--l3\n"
	                     "Content-Type: text/plain\n\n"
	                     "too deep\n"
	                     "--l3--\n"
	                     "--l2--\n"
	                     "--l1--\n"
	                     "--l0--\n");
	const pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_int_equal(f->kind, PC_FINDING_LIMIT);
	assert_string_equal(EV(f, "limit"), "nesting_depth");
	assert_string_equal(EV(f, "configured"), "2");
	assert_string_equal(EV(f, "part"), "1.1.1.1");
	/* depth 0, 1, 2 were parsed; the deeper text was not */
	assert_int_equal(m->parts.n, 3);
	assert_int_equal(m->max_depth, 2);
	assert_int_equal(fx->nbodies, 0);
}

static void test_parts_limit(void **state)
{
	fixture *fx = *state;
	fx->config.limits.parts = 3;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "Content-Type: multipart/mixed; boundary=b\n\n"
	                     "--b\nContent-Type: text/plain\n\none\n"
	                     "--b\nContent-Type: text/plain\n\ntwo\n"
	                     "--b\nContent-Type: text/plain\n\nthree\n"
	                     "--b\nContent-Type: text/plain\n\nfour\n"
	                     "--b--\n");
	const pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_string_equal(EV(f, "limit"), "parts");
	assert_string_equal(EV(f, "configured"), "3");
	assert_int_equal(m->parts.n, 3);
	assert_int_equal(fx->nbodies, 2);
	assert_string_equal(B(state, 0)->bytes, "one");
	assert_string_equal(B(state, 1)->bytes, "two");
	/* exactly one limit finding */
	size_t n = 0;
	for (size_t i = 0; i < m->findings.n; i++)
		n += !strcmp(((pc_finding *)m->findings.v[i])->detector, "parse.limit");
	assert_int_equal(n, 1);
}

static void test_headers_limit(void **state)
{
	fixture *fx = *state;
	fx->config.limits.headers = 3;
	pc_msg *m = P(state, "From: a@example.com\nX-1: a\nX-2: b\nX-3: c\nX-4: d\n\nbody\n");
	const pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_string_equal(EV(f, "limit"), "headers");
	/* counted while reading: the parse stops at the fourth field */
	assert_string_equal(EV(f, "found"), "4");
	assert_string_equal(EV(f, "header"), "X-3");
	assert_int_equal(m->headers.n, 3);
}

static void test_headers_limit_whole_message(void **state)
{
	/* the fields of every part count: 2 on top, 2 in each part */
	fixture *fx = *state;
	fx->config.limits.headers = 5;
	pc_msg *m = P(state, "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
	                     "--b\nContent-Type: text/plain\nX-A: 1\n\none\n"
	                     "--b\nContent-Type: text/plain\nX-B: 2\n\ntwo\n--b--\n");
	const pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_string_equal(EV(f, "limit"), "headers");
	assert_string_equal(EV(f, "header"), "X-B");
	assert_string_equal(EV(f, "part"), "1.2");
	/* part 1.2 is there, its header cut before X-B, its body empty */
	assert_int_equal(m->parts.n, 3);
	assert_int_equal(fx->nbodies, 2);
	assert_string_equal(B(state, 1)->bytes, "");
}

static void test_header_size_limit(void **state)
{
	fixture *fx = *state;
	fx->config.limits.header_size = 40;
	pc_msg *m = P(state, "From: a@example.com\n"
	                     "X-Big: 0123456789012345678901234567890123456789\n"
	                     "Subject: ok\n\nbody\n");
	const pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_string_equal(EV(f, "limit"), "header_size");
	assert_string_equal(EV(f, "header"), "X-Big");
	assert_string_equal(EV(f, "offset"), "20");
	/* the parse stops before the oversized field: what came before is kept */
	assert_null(HDR(m, "X-Big"));
	assert_null(HDR(m, "Subject"));
	assert_string_equal(HDR(m, "From"), "a@example.com");
}

static void test_decoded_size_limit(void **state)
{
	fixture *fx = *state;
	fx->config.limits.decoded_size = 10;
	pc_msg *m = P(state, "From: a@example.com\n\n0123456789abcdefghij\n");
	const pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_string_equal(EV(f, "limit"), "decoded_size");
	assert_int_equal(fx->nbodies, 1);
	assert_int_equal(B(state, 0)->n, 10);
	assert_string_equal(B(state, 0)->bytes, "0123456789");
	assert_int_equal(PART(m, 0)->decoded_size, 10);
}

static void test_message_size_limit(void **state)
{
	fixture *fx = *state;
	fx->config.limits.message_size = 40;
	static const char eml[] = "From: a@example.com\nSubject: s\n\n0123456789012345678901234567890123456789\n";
	char size[16];
	snprintf(size, sizeof size, "%zu", sizeof eml - 1);
	pc_msg *m = P(state, eml);
	const pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_string_equal(EV(f, "limit"), "message_size");
	assert_string_equal(EV(f, "size"), size);
	assert_int_equal(m->size, sizeof eml - 1);
	assert_int_equal(fx->nbodies, 1);
	assert_true(B(state, 0)->n < 40);
}

/* Lines before the header that are not fields are skipped (with a
 * finding) instead of hiding the whole message from the scan. */
static void test_leading_junk_lines(void **state)
{
	char spaces[300];
	memset(spaces, ' ', 255);
	snprintf(spaces + 255, sizeof spaces - 255, "\n");
	char eml[1024];
	snprintf(eml, sizeof eml,
	         "%sX-Foo bar\nFrom: a@example.com\nSubject: after junk\nContent-Type: text/html\n\n"
	         "<img src=\"http://t.example/p.gif\">\n",
	         spaces);
	pc_msg *m = P(state, eml);
	assert_true(m->is_mail);
	assert_string_equal(m->subject, "after junk");
	const pc_finding *f = pc_msg_find(m, "parse.leading-junk");
	assert_non_null(f);
	assert_string_equal(EV(f, "bytes"), "266");
	assert_int_equal(PART(m, 0)->kind, PC_PART_HTML);
	/* a header field within 16 lines is required: otherwise nothing skipped */
	m = P(state, "just text\nmore text\n");
	assert_null(pc_msg_find(m, "parse.leading-junk"));
}

/* A line inside the header block that is not a field. */
static void test_header_line_without_colon(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\nThis is not a header\nSubject: s\n\nbody\n");
	const pc_finding *f = pc_msg_find(m, "parse.header");
	assert_non_null(f);
	assert_string_equal(EV(f, "line"), "This is not a header");
}

static void test_leading_from_line(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From sender@example.com Mon Jan  1 00:00:00 2024\n"
	                     "From: real@example.com\n"
	                     "Subject: mbox style\n"
	                     "\n"
	                     "body\n");
	assert_int_equal(fx->rc, 0);
	assert_true(m->is_mail);
	assert_string_equal(m->subject, "mbox style");
	assert_int_equal(m->from.n, 1);
	assert_string_equal(ADDR(&m->from, 0)->addr, "real@example.com");
	assert_false(has_prefix(m, "parse.header"));
	assert_string_equal(((pc_kv *)m->headers.v[0])->key, "From");
}

static void test_cr_only_line_endings(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\rSubject: old mac\rTo: b@example.org\r\rline one\rline two\r");
	const pc_finding *f = pc_msg_find(m, "parse.line-endings");
	assert_non_null(f);
	assert_string_equal(EV(f, "cr"), "6");
	assert_true(m->is_mail);
	assert_string_equal(m->subject, "old mac");
	assert_string_equal(ADDR(&m->to, 0)->addr, "b@example.org");
	assert_int_equal(fx->nbodies, 1);
	assert_string_equal(B(state, 0)->bytes, "line one\nline two\n");
}

static void test_mixed_line_endings(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\r\nSubject: mixed\n\rbody\r\n");
	const pc_finding *f = pc_msg_find(m, "parse.line-endings");
	assert_non_null(f);
	assert_string_equal(EV(f, "crlf"), "2");
	assert_string_equal(EV(f, "lf"), "1");
	assert_string_equal(EV(f, "cr"), "1");
	/* pure CRLF or pure LF is not a finding */
	m = P(state, "From: a@example.com\r\nSubject: crlf\r\n\r\nbody\r\n");
	assert_null(pc_msg_find(m, "parse.line-endings"));
	m = P(state, "From: a@example.com\nSubject: lf\n\nbody\n");
	assert_null(pc_msg_find(m, "parse.line-endings"));
}

static void test_nul_bytes(void **state)
{
	static const char eml[] = "From: a@example.com\nSubject: nul\n\nbefore\0after\0\n";
	pc_msg *m = PN(state, eml, sizeof eml - 1);
	const pc_finding *f = pc_msg_find(m, "parse.nul");
	assert_non_null(f);
	assert_string_equal(EV(f, "count"), "2");
	assert_true(m->is_mail);
	assert_string_equal(m->subject, "nul");
}

static void test_invalid_utf8_headers_repaired(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\nSubject: bad \xff\xfe bytes\n\nx\n");
	assert_non_null(m->subject);
	/* whatever GMime makes of it, the result is valid UTF-8 without raw 0xff */
	assert_null(strchr(m->subject, '\xff'));
	assert_non_null(strstr(m->subject, "bytes"));
}

static void test_empty_input(void **state)
{
	fixture *fx = *state;
	pc_msg *m = PN(state, "", 0);
	assert_false(m->is_mail);
	assert_non_null(pc_msg_find(m, "parse.not-mail"));
	assert_int_equal(fx->nbodies, 0);
	assert_int_equal(m->size, 0);
}

static void test_binary_garbage(void **state)
{
	unsigned char junk[512];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (unsigned char)(x >> 16);
	}
	junk[0] = 0x89; /* not a header name character */
	pc_msg *m = PN(state, (const char *)junk, sizeof junk);
	assert_false(m->is_mail);
	assert_non_null(pc_msg_find(m, "parse.not-mail"));
}

static void test_json_document_not_mail(void **state)
{
	pc_msg *m = P(state, "{\"hello\": \"world\", \"n\": [1, 2, 3]}\n");
	assert_false(m->is_mail);
	assert_non_null(pc_msg_find(m, "parse.not-mail"));
}

static void test_uuencode_in_text(void **state)
{
	pc_msg *m = P(state, "From: a@example.com\n\n"
	                     "Here it is:\n"
	                     "begin 644 invoice.exe\n"
	                     "#86)C\n"
	                     "`\n"
	                     "end\n");
	assert_true(PART(m, 0)->uuencoded);
	assert_string_equal(PART(m, 0)->filename, "invoice.exe");
}

static void test_no_content_type_defaults_text_plain(void **state)
{
	fixture *fx = *state;
	pc_msg *m = P(state, "From: a@example.com\n\nhello\n");
	assert_string_equal(PART(m, 0)->content_type, "text/plain");
	assert_null(PART(m, 0)->charset);
	assert_int_equal(fx->nbodies, 1);
}

static void test_parser_reuse(void **state)
{
	/* warnings and limits of one message do not leak into the next */
	fixture *fx = *state;
	fx->config.limits.parts = 1;
	pc_msg *m = P(state, "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
	                     "--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: text/plain\n\ny\n");
	assert_non_null(pc_msg_find(m, "parse.limit"));
	assert_non_null(pc_msg_find(m, "parse.truncated"));
	fx->config.limits.parts = 1000;
	m = P(state, "From: a@example.com\nSubject: clean\n\nbody\n");
	assert_int_equal(m->findings.n, 0);
	assert_int_equal(fx->nbodies, 1);
}

static void test_through_pipeline(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	pc_scanner *sc = pc_scanner_new(&c);
	assert_non_null(sc);
	const pc_msg *m = pc_scan(sc, "", 0, NULL, NULL, 0);
	assert_non_null(m);
	assert_false(m->is_mail);
	assert_string_equal(m->source, "-");
	assert_non_null(pc_msg_find(m, "parse.not-mail"));
	static const char eml[] =
	    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nFrom: x@example.com\n\nsee http://a.example/\n";
	m = pc_scan(sc, eml, sizeof eml - 1, "dir/file.eml", NULL, 0);
	assert_true(m->is_mail);
	assert_string_equal(m->source, "dir/file.eml");
	assert_string_equal(m->subject, "Gr\xc3\xbc\xc3\x9f"
	                                "e");
	assert_int_equal(m->links.n, 1);
	assert_int_equal(m->verdict, PC_ACTION_ACCEPT);
	pc_scanner_free(sc);
}

int main(void)
{
	pc_pipeline_global_init();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_plain_minimal),
	    T(test_folded_headers),
	    T(test_rfc2047_subject),
	    T(test_rfc2047_display_name),
	    T(test_address_groups),
	    T(test_multiple_from_and_return_path),
	    T(test_quoted_printable),
	    T(test_base64),
	    T(test_charset_iso_8859_1),
	    T(test_charset_koi8_r),
	    T(test_charset_qp_windows_1252),
	    T(test_charset_unknown),
	    T(test_multipart_tree),
	    T(test_html_without_charset_passed_null),
	    T(test_message_rfc822),
	    T(test_missing_closing_boundary),
	    T(test_boundary_never_appears),
	    T(test_multipart_without_boundary),
	    T(test_nesting_limit),
	    T(test_parts_limit),
	    T(test_headers_limit),
	    T(test_headers_limit_whole_message),
	    T(test_header_size_limit),
	    T(test_decoded_size_limit),
	    T(test_message_size_limit),
	    T(test_leading_from_line),
	    T(test_cr_only_line_endings),
	    T(test_mixed_line_endings),
	    T(test_nul_bytes),
	    T(test_invalid_utf8_headers_repaired),
	    T(test_empty_input),
	    T(test_binary_garbage),
	    T(test_json_document_not_mail),
	    T(test_uuencode_in_text),
	    T(test_no_content_type_defaults_text_plain),
	    T(test_parser_reuse),
	    T(test_leading_junk_lines),
	    T(test_header_line_without_colon),
	    T(test_through_pipeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
