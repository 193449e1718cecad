/*
 * Unit tests for what the console (web/) stands on: the store's schema 6
 * (the message table its trigger fills from custody records, accounts,
 * the quarantine index, searches with every filter, the overview's
 * series and top lists), the escaper every page goes through, and the
 * password hashes and tokens (app/password.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/password.h"
#include "store/store.h"
#include "storetest.h"
#include "web/internal.h"

static char path[PC_TEST_STORE_MAX];

static int setup(void **state)
{
	(void)state;
	pc_test_store_new(path, sizeof path, "console");
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pc_test_store_drop(path);
	return 0;
}

static pc_store *open_store(void)
{
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	return st;
}

static void custody(pc_store *st, const char *sha, long long campaign, const char *source, time_t when,
                    const char *record)
{
	pc_custody c = {sha, campaign, source, "<id@x>", when, record, "bytes", 5, false};
	assert_int_equal(pc_store_custody_put(st, &c), 0);
}

typedef struct rows {
	int n;
	char last_subject[256], last_sender[256], last_lookalike[64], last_verdict[32];
	long long last_id;
} rows;

static int msg_cb(void *ctx, const pc_msg_row *m)
{
	rows *r = ctx;
	r->n++;
	snprintf(r->last_subject, sizeof r->last_subject, "%s", m->subject);
	snprintf(r->last_sender, sizeof r->last_sender, "%s", m->sender);
	snprintf(r->last_lookalike, sizeof r->last_lookalike, "%s", m->lookalike);
	snprintf(r->last_verdict, sizeof r->last_verdict, "%s", m->verdict);
	r->last_id = m->id;
	return 0;
}

static void test_message_table(void **state)
{
	(void)state;
	pc_store *st = open_store();
	time_t now = time(NULL);
	custody(
	    st, "aa", 3, "a.eml", now - 100,
	    "{\"seen\":1000,\"from\":\"Mallory@Dai1yLedger.example\",\"subject\":\"Vote on data retention\","
	    "\"verdict\":\"quarantine\",\"rule\":\"impersonation+tracker\",\"envelope\":{\"rcpt\":[\"a@p.example\","
	    "\"b@p.example\"]},\"reasons\":[{\"detector\":\"tracker.pixel\"},{\"detector\":\"impersonation.lookalike\","
	    "\"evidence\":{\"domain\":\"dai1yledger.example\"}}]}");
	custody(st, "bb", 0, "b.eml", now - 50,
	        "{\"seen\":2000,\"from\":\"news@garden.example\",\"subject\":\"Tomatoes\",\"verdict\":\"neutralise\","
	        "\"envelope\":{\"rcpt\":[\"c@p.example\"]},\"reasons\":[]}");
	custody(st, "cc", 0, "c.eml", now, "not json at all");
	rows r = {0};
	long total = -1;
	pc_query q = {.limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 3);
	assert_int_equal(r.n, 3);
	/* newest (by seen) first: the raw record's seen is its arrival */
	memset(&r, 0, sizeof r);
	q = (pc_query){.sender = "dai1yledger", .limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 1);
	assert_string_equal(r.last_subject, "Vote on data retention");
	assert_string_equal(r.last_lookalike, "dai1yledger.example");
	assert_string_equal(r.last_verdict, "quarantine");
	memset(&r, 0, sizeof r);
	q = (pc_query){.rcpt = "B@P.EXAMPLE", .limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 1);
	memset(&r, 0, sizeof r);
	q = (pc_query){.verdict = "neutralise", .subject = "tomato", .limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 1);
	assert_string_equal(r.last_sender, "news@garden.example");
	memset(&r, 0, sizeof r);
	q = (pc_query){.campaign = 3, .limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 1);
	long long id = r.last_id;
	memset(&r, 0, sizeof r);
	q = (pc_query){.campaign = -1, .limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 2);
	memset(&r, 0, sizeof r);
	q = (pc_query){.id = id, .limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(r.n, 1);
	/* a value with SQL in it is a value */
	memset(&r, 0, sizeof r);
	q = (pc_query){.subject = "' OR 1=1 --", .limit = 10};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 0);
	/* paging */
	memset(&r, 0, sizeof r);
	q = (pc_query){.limit = 1, .offset = 2};
	assert_int_equal(pc_store_message_search(st, &q, msg_cb, &r, &total), 0);
	assert_int_equal(total, 3);
	assert_int_equal(r.n, 1);
	pc_store_close(st);
}

typedef struct series {
	long n[4];
} series;

static int series_cb(void *ctx, time_t bucket, const char *verdict, long n)
{
	(void)bucket;
	series *s = ctx;
	s->n[!strcmp(verdict, "quarantine") ? 0 : !strcmp(verdict, "neutralise") ? 1 : 2] += n;
	return 0;
}

static int top_cb(void *ctx, const char *value, long count)
{
	snprintf(ctx, 64, "%s=%ld", value, count);
	return 1;
}

static void test_overview(void **state)
{
	(void)state;
	pc_store *st = open_store();
	custody(st, "aa", 0, "a.eml", 100,
	        "{\"seen\":1000,\"verdict\":\"quarantine\",\"reasons\":[{\"detector\":"
	        "\"impersonation.lookalike\",\"evidence\":{\"domain\":\"x.example\"}}]}");
	custody(st, "ab", 0, "b.eml", 100,
	        "{\"seen\":1100,\"verdict\":\"quarantine\",\"reasons\":[{\"detector\":"
	        "\"impersonation.lookalike\",\"evidence\":{\"domain\":\"x.example\"}}]}");
	custody(st, "ac", 0, "c.eml", 100, "{\"seen\":4000,\"verdict\":\"neutralise\"}");
	custody(st, "ad", 0, "d.eml", 100, "{\"seen\":10,\"verdict\":\"accept\"}");
	series s = {{0}};
	assert_int_equal(pc_store_verdict_series(st, 900, 3600, series_cb, &s), 0);
	assert_int_equal(s.n[0], 2);
	assert_int_equal(s.n[1], 1);
	assert_int_equal(s.n[2], 0); /* before the window */
	char top[64] = "";
	assert_int_equal(pc_store_top(st, "lookalike", 0, 5, top_cb, top), 0);
	assert_string_equal(top, "x.example=2");
	assert_int_equal(pc_store_top(st, "nonsense", 0, 5, top_cb, top), -1);
	pc_store_close(st);
}

static int user_cb(void *ctx, const pc_user *u)
{
	snprintf(ctx, 64, "%s:%s", u->name, u->role);
	return 0;
}

static void test_users(void **state)
{
	(void)state;
	pc_store *st = open_store();
	char got[64] = "";
	assert_int_equal(pc_store_user_get(st, "alice", user_cb, got), 0);
	pc_user u = {"alice", "analyst", "$argon2id$x", 1, 1, false};
	assert_int_equal(pc_store_user_put(st, &u), 0);
	assert_int_equal(pc_store_user_get(st, "alice", user_cb, got), 1);
	assert_string_equal(got, "alice:analyst");
	u.role = "admin";
	assert_int_equal(pc_store_user_put(st, &u), 0);
	assert_int_equal(pc_store_user_get(st, "alice", user_cb, got), 1);
	assert_string_equal(got, "alice:admin");
	assert_int_equal(pc_store_user_remove(st, "alice"), 1);
	assert_int_equal(pc_store_user_remove(st, "alice"), 0);
	pc_store_close(st);
}

static int q_cb(void *ctx, const pc_qindex *q)
{
	snprintf(ctx, 64, "%s", q->qid);
	return 0;
}

static void test_qindex(void **state)
{
	(void)state;
	pc_store *st = open_store();
	for (int i = 0; i < 30; i++) {
		char qid[32], subject[64];
		snprintf(qid, sizeof qid, "q%02d", i);
		snprintf(subject, sizeof subject, "%s %d", i % 3 ? "Budget" : "Hearing", i);
		pc_qindex q = {"/q",
		               qid,
		               i % 2 ? "a@evil.example" : "b@news.example",
		               "t@p.example",
		               subject,
		               "milter tracker.pixel",
		               "",
		               i % 5,
		               100,
		               (time_t)(1000 + i)};
		assert_int_equal(pc_store_qindex_put(st, &q), 0);
	}
	pc_qindex other = {"/other", "z", "a@evil.example", "", "Budget", "", "", 0, 1, 5000};
	assert_int_equal(pc_store_qindex_put(st, &other), 0);
	char last[64] = "";
	long total = 0;
	pc_query q = {.limit = 5};
	assert_int_equal(pc_store_qindex_search(st, "/q", &q, q_cb, last, &total), 0);
	assert_int_equal(total, 30);
	assert_string_equal(last, "q25"); /* newest first: q29..q25 */
	q = (pc_query){.sender = "EVIL", .subject = "hearing", .limit = 50};
	assert_int_equal(pc_store_qindex_search(st, "/q", &q, q_cb, last, &total), 0);
	assert_int_equal(total, 5); /* odd and a multiple of 3: 3 9 15 21 27 */
	q = (pc_query){.from = 1010, .to = 1020, .limit = 50};
	assert_int_equal(pc_store_qindex_search(st, "/q", &q, q_cb, last, &total), 0);
	assert_int_equal(total, 10);
	q = (pc_query){.campaign = 4, .reason = "PIXEL", .limit = 50};
	assert_int_equal(pc_store_qindex_search(st, "/q", &q, q_cb, last, &total), 0);
	assert_int_equal(total, 6);
	assert_int_equal(pc_store_qindex_remove(st, "/q", "q04"), 0);
	assert_int_equal(pc_store_qindex_search(st, "/q", &q, q_cb, last, &total), 0);
	assert_int_equal(total, 5);
	pc_store_close(st);
}

static void escaped(const char *in, const char *want)
{
	GString *o = g_string_new("");
	pc_h(o, in);
	assert_string_equal(o->str, want);
	g_string_free(o, TRUE);
}

static void test_escape(void **state)
{
	(void)state;
	escaped("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	escaped("\" onmouseover=\"x", "&quot; onmouseover=&quot;x");
	escaped("a&b", "a&amp;b");
	escaped("evil\xe2\x80\xae"
	        "fdp.exe",
	        "evil\xe2\x9f\xa8U+202E\xe2\x9f\xa9"
	        "fdp.exe");
	escaped("a\x01\x7f"
	        "b",
	        "a\xe2\x9f\xa8U+0001\xe2\x9f\xa9\xe2\x9f\xa8U+007F\xe2\x9f\xa9"
	        "b");
	escaped("zero\xe2\x80\x8bwidth", "zero\xe2\x9f\xa8U+200B\xe2\x9f\xa9width");
	escaped("bad \xff\xfe utf8 \xc0\xaf", "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd");
	escaped("Hannah Reyes", "Hannah Reyes");
	escaped(NULL, "");
	GString *o = g_string_new("");
	pc_hn(o, "abcdef", 3);
	assert_string_equal(o->str, "abc\xe2\x80\xa6");
	g_string_truncate(o, 0);
	pc_hu(o, "a b&c=d/\xc3\xa9");
	assert_string_equal(o->str, "a%20b%26c%3Dd%2F%C3%A9");
	g_string_free(o, TRUE);
}

static void test_password(void **state)
{
	(void)state;
	char hash[PC_PASSWORD_HASH], pw[PC_PASSWORD_GEN];
	assert_int_equal(pc_password_init(), 0);
	pc_password_generate(pw);
	assert_int_equal(strlen(pw), PC_PASSWORD_GEN - 1);
	assert_int_equal(pc_password_hash(pw, hash), 0);
	assert_true(!strncmp(hash, "$argon2id$", 10));
	assert_true(pc_password_verify(hash, pw));
	assert_false(pc_password_verify(hash, "wrong"));
	assert_false(pc_password_verify(NULL, pw));
	assert_false(pc_password_verify("", ""));
	char a[PC_TOKEN_LEN], b[PC_TOKEN_LEN];
	pc_random_token(a);
	pc_random_token(b);
	assert_int_equal(strlen(a), PC_TOKEN_LEN - 1);
	assert_true(strcmp(a, b) != 0);
	assert_true(pc_secret_equal(a, a));
	assert_false(pc_secret_equal(a, b));
	assert_false(pc_secret_equal("", ""));
	assert_false(pc_secret_equal(a, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_message_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overview, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_users, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qindex, setup, teardown),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
