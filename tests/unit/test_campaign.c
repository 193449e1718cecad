/*
 * Unit tests for campaign/ and the campaign part of store/: the sketch
 * ignores what varies per recipient, URL templates name each token kind,
 * copies of one template to different recipients are one campaign while
 * another template is another, campaign.targeted appears once the
 * template reached enough recipients with distinct tokens, marking a
 * campaign malicious quarantines every member (earlier ones too), benign
 * stops escalation, the same message scanned twice is recorded once, and
 * a schema 1 store is upgraded in place with its history kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "campaign/cluster.h"
#include "campaign/fingerprint.h"
#include "core/sketch.h"
#include "parse/url.h"
#include "pipeline/pipeline.h"
#include "store/store.h"
#include "storetest.h"

static char path[PC_TEST_STORE_MAX];
static pc_config cfg;

static void rm_store(void)
{
	pc_test_store_drop(path);
}

static int setup(void **state)
{
	(void)state;
	pc_test_store_new(path, sizeof path, "campaign");
	rm_store();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_store();
	return 0;
}

static void sig_of(const char *text, uint32_t *sig)
{
	pc_sketch s;
	pc_sketch_init(&s);
	pc_sketch_text(&s, text, strlen(text));
	pc_sketch_finish(&s, sig);
}

static const char lure[] =
    "I am writing a piece on the committee's work on foreign investment screening and would value your view "
    "before publication. The draft is attached below; the questions are at the end and should take only a few "
    "minutes. Our readers follow this closely and your perspective as a member would add a great deal. ";

static void test_sketch_ignores_tokens(void **state)
{
	(void)state;
	char a[1024], b[1024];
	uint32_t sa[PC_SKETCH_K], sb[PC_SKETCH_K], sc[PC_SKETCH_K];
	snprintf(a, sizeof a, "Dear member, %s Reference 48213, sent to alice.morgan@example-parliament.org on 3/5",
	         lure);
	snprintf(b, sizeof b, "Dear member, %s Reference 99120, sent to bilal.hussain@example-parliament.org on 4/5",
	         lure);
	sig_of(a, sa);
	sig_of(b, sb);
	assert_true(pc_sketch_similarity(sa, sb) == 1.0);
	sig_of("Quarterly results are in: revenue grew in every region and the board approved the dividend as "
	       "planned. Thank you all for your work this year, and see you at the party on Friday evening.",
	       sc);
	assert_true(pc_sketch_similarity(sa, sc) < 0.2);
	/* punctuation and case around words do not matter */
	sig_of("HELLO, world! this is THE same text (really).", sa);
	sig_of("hello world this is the same text really", sb);
	assert_true(pc_sketch_similarity(sa, sb) == 1.0);
	/* nothing added: nothing similar */
	pc_sketch e;
	pc_sketch_init(&e);
	pc_sketch_finish(&e, sa);
	assert_true(pc_sketch_similarity(sa, sa) == 0.0);
}

static void tok(void *ctx, const char *s, size_t n)
{
	(void)s;
	(void)n;
	(*(int *)ctx)++;
}

static void check_template(const char *url, const char *want, int tokens)
{
	pc_arena *a = pc_arena_new(1 << 20);
	pc_url *u = pc_url_parse(a, url, strlen(url));
	assert_non_null(u);
	char buf[512];
	int n = 0;
	pc_url_template(u, buf, sizeof buf, tok, &n);
	assert_string_equal(buf, want);
	assert_int_equal(n, tokens);
	pc_arena_free(a);
}

/* The byte-at-a-time word rules pc_sketch_text had before its table
 * and tight loop (issue 19), kept here as the reference: a stored
 * campaign's band keys come from these hashes, so the fast form must
 * give exactly the same sketch, or copies of a template seen before an
 * upgrade would not find their campaign after it. */
#define REF_FNV_OFFSET 0xcbf29ce484222325ULL
#define REF_FNV_PRIME 0x100000001b3ULL
static bool ref_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static bool ref_trim(unsigned char c)
{
	return c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}
static bool ref_bad(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '@' || c == '/' || c == '=' || c == '%' || c == '&' || c == '?';
}
static void ref_sketch_text(pc_sketch *s, const char *t, size_t n)
{
	const unsigned char *b = (const unsigned char *)t;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		if (ref_space(c) || (c == 0xc2 && i + 1 < n && b[i + 1] == 0xa0)) {
			if (c == 0xc2)
				i++;
			pc_sketch_break(s);
			continue;
		}
		if (c == 0xe2 && i + 2 < n && b[i + 1] == 0x80 && (b[i + 2] >= 0x8b && b[i + 2] <= 0x8f)) {
			i += 2;
			continue;
		}
		if (c == 0xe2 && i + 2 < n && b[i + 1] == 0x81 && b[i + 2] >= 0xa0 && b[i + 2] <= 0xa4) {
			i += 2;
			continue;
		}
		if (c == 0xef && i + 2 < n && b[i + 1] == 0xbb && b[i + 2] == 0xbf) {
			i += 2;
			continue;
		}
		if (c == 0xc2 && i + 1 < n && b[i + 1] == 0xad) {
			i++;
			continue;
		}
		if (ref_bad(c))
			s->cur_bad = 1;
		if (ref_trim(c)) {
			if (s->curlen && s->pend < sizeof s->pendc)
				s->pendc[s->pend++] = c;
			continue;
		}
		for (size_t k = 0; k < s->pend; k++)
			s->cur = (s->cur ^ s->pendc[k]) * REF_FNV_PRIME;
		s->curlen += s->pend;
		s->pend = 0;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		s->cur = (s->cur ^ c) * REF_FNV_PRIME;
		s->curlen++;
	}
}

static void same_sketch(const pc_sketch *a, const pc_sketch *b)
{
	assert_memory_equal(a->bins, b->bins, sizeof a->bins);
	assert_memory_equal(a->tbins, b->tbins, sizeof a->tbins);
	assert_memory_equal(a->words, b->words, sizeof a->words);
	assert_int_equal(a->nwords, b->nwords);
	assert_int_equal(a->features, b->features);
	assert_true(a->cur == b->cur);
	assert_int_equal(a->curlen, b->curlen);
	assert_int_equal(a->cur_bad, b->cur_bad);
	assert_int_equal(a->pend, b->pend);
	assert_memory_equal(a->pendc, b->pendc, a->pend);
}

/* Random text from pieces that exercise every rule (letters of both
 * cases, digits, the bad punctuation, other punctuation, every space,
 * the no-break space, soft hyphen and format characters, whole and cut,
 * other UTF-8, NUL, long words), fed in random chunks with breaks
 * between: the sketch state must be identical byte for byte. */
static void test_sketch_same_as_reference(void **state)
{
	(void)state;
	static const char *const pieces[] = {"Dear",
	                                     "reader",
	                                     "REPORT",
	                                     "x",
	                                     "a1",
	                                     "2024",
	                                     "@",
	                                     "/",
	                                     "=",
	                                     "%",
	                                     "&",
	                                     "?",
	                                     ".",
	                                     ",",
	                                     "--",
	                                     "'",
	                                     "\"",
	                                     "(",
	                                     ")",
	                                     "!",
	                                     ":",
	                                     " ",
	                                     "\t",
	                                     "\n",
	                                     "\r\n",
	                                     "\f",
	                                     "\v",
	                                     "\xc2\xa0",
	                                     "\xc2\xad",
	                                     "\xe2\x80\x8b",
	                                     "\xe2\x80\x8f",
	                                     "\xe2\x80\x8a",
	                                     "\xe2\x81\xa0",
	                                     "\xe2\x81\xa4",
	                                     "\xe2\x81\xa5",
	                                     "\xef\xbb\xbf",
	                                     "\xef\xbb",
	                                     "\xc2",
	                                     "\xe2",
	                                     "\xe2\x80",
	                                     "\xef",
	                                     "\xc3\xa9t\xc3\xa9",
	                                     "\xd0\x9f\xd1\x80\xd0\xb8",
	                                     "\xe4\xb8\xad",
	                                     "\x01",
	                                     "~",
	                                     "_",
	                                     "abcdefghijklmnopqrstuvwxyzABC",
	                                     "wordwithpunct.inside",
	                                     "don't",
	                                     "e-mail",
	                                     "\x7f",
	                                     "\xff",
	                                     "\xfe"};
	const size_t np = sizeof pieces / sizeof pieces[0];
	unsigned seed = 12345;
	char text[4096];
	size_t features = 0; /* words made: the comparison is not of empty sketches */
	for (int round = 0; round < 3000; round++) {
		size_t n = 0;
		size_t want = (size_t)(rand_r(&seed) % 600);
		while (n < want) {
			const char *p = pieces[(size_t)rand_r(&seed) % np];
			size_t l = strlen(p);
			if (n + l >= sizeof text)
				break;
			memcpy(text + n, p, l);
			n += l;
		}
		if (round % 7 == 0 && n) /* a NUL in the text */
			text[(size_t)rand_r(&seed) % n] = '\0';
		pc_sketch a, b;
		pc_sketch_init(&a);
		pc_sketch_init(&b);
		for (size_t off = 0; off < n;) {
			size_t l = 1 + (size_t)rand_r(&seed) % (round % 3 == 0 ? 4 : 200);
			if (l > n - off)
				l = n - off;
			pc_sketch_text(&a, text + off, l);
			ref_sketch_text(&b, text + off, l);
			off += l;
			if (rand_r(&seed) % 5 == 0) {
				pc_sketch_break(&a);
				pc_sketch_break(&b);
			}
			same_sketch(&a, &b);
		}
		pc_sketch_break(&a);
		pc_sketch_break(&b);
		same_sketch(&a, &b);
		features += a.features;
	}
	assert_true(features > 20000);
}

static void test_url_template(void **state)
{
	(void)state;
	check_template("https://T.Example.net/o/3f9a0c7e21b44d8a/pixel.gif", "t.example.net/o/{HEX}/pixel.gif", 1);
	check_template("https://t.example.net/o/123456.gif?u=alice%40example.org&c=spring",
	               "t.example.net/o/123456.gif?u={ADDR}&c=spring", 1);
	check_template("https://t.example.net/v/550e8400-e29b-41d4-a716-446655440000", "t.example.net/v/{UUID}", 1);
	check_template("https://t.example.net/i/987654321", "t.example.net/i/{INT}", 1);
	/* base64url of "alice.morgan@example-parliament.org" */
	check_template("https://t.example.net/p/YWxpY2UubW9yZ2FuQGV4YW1wbGUtcGFybGlhbWVudC5vcmc",
	               "t.example.net/p/{ADDR}", 1);
	check_template("https://t.example.net/p/aGVsbG8gd29ybGQgdGhpcyBpcyBub3Q", "t.example.net/p/{B64}", 1);
	check_template("https://t.example.net/r?id=ab12cd34ef56gh", "t.example.net/r?id={TOKEN}", 1);
	check_template("https://www.example.org/news/2024/spring-report", "www.example.org/news/{INT}/spring-report",
	               1);
	check_template("mailto:someone@example.org", "", 0);
}

/* A message of the lure template to one recipient, with a pixel carrying
 * a per-recipient token. */
static char *copy(int i, const char *template_text, const char *tracker)
{
	char *m = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&m, &n);
	fprintf(f,
	        "Received: from mail.sendwave.example (mail.sendwave.example [203.0.113.5]) by mx.example.org;"
	        " Tue, 3 Jun 2025 10:%02d:00 +0000\r\n"
	        "From: \"Reporter %d\" <reporter%d@freemail.example>\r\n"
	        "To: \"Member %d\" <member%d@example.org>\r\n"
	        "Subject: A question for your %d comments\r\n"
	        "Message-ID: <m%d-%s@sendwave.example>\r\n"
	        "Date: Tue, 3 Jun 2025 10:%02d:00 +0000\r\n"
	        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	        "<html><body><p>Dear Member %d,</p><p>%s</p>"
	        "<img src=\"https://%s/o/%08x%08x.gif\" width=\"1\" height=\"1\" style=\"display:none\">"
	        "</body></html>\r\n",
	        i % 60, i % 3, i % 3, i, i, i, i, tracker, i % 60, i, template_text, tracker, 0xa1b2c3d4u ^ (unsigned)i,
	        (unsigned)i * 2654435761u);
	fclose(f);
	return m;
}

static pc_scanner *scanner(pc_store *st)
{
	pc_scanner *sc = pc_scanner_new(&cfg);
	assert_non_null(sc);
	pc_scanner_set_store(sc, st);
	return sc;
}

static const pc_msg *scan(pc_scanner *sc, int i, const char *text, const char *tracker)
{
	char *m = copy(i, text, tracker);
	char src[64];
	snprintf(src, sizeof src, "copy-%d", i);
	const pc_msg *msg = pc_scan(sc, m, strlen(m), src, NULL, 0);
	free(m);
	assert_non_null(msg);
	return msg;
}

static const pc_finding *find(const pc_msg *m, const char *det)
{
	return pc_msg_find(m, det);
}

static const char other[] =
    "Thank you for registering for the regional trade conference. Your badge will be at the desk on arrival; "
    "parking is available behind the main hall and lunch is served from noon in the atrium on the ground floor. ";

typedef struct counts {
	int n, quarantined;
} counts;

static int count_member(void *ctx, const pc_member_row *r)
{
	counts *c = ctx;
	c->n++;
	c->quarantined += r->verdict == PC_ACTION_QUARANTINE;
	return 0;
}

static void test_clustering(void **state)
{
	(void)state;
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_scanner *sc = scanner(st);
	char first[32] = "";
	for (int i = 0; i < 12; i++) {
		const pc_msg *m = scan(sc, i, lure, "img.newsfeed-cache.example");
		if (!m->campaign)
			fprintf(stderr, "no campaign: %s\n", pc_store_error(st));
		assert_non_null(m->campaign);
		if (!i)
			snprintf(first, sizeof first, "%s", m->campaign);
		assert_string_equal(m->campaign, first);
		/* the 5th distinct recipient with a distinct token from a
		 * first-contact sender shows the targeting */
		if (i >= 4)
			assert_non_null(find(m, "campaign.targeted"));
		else
			assert_null(find(m, "campaign.targeted"));
		assert_int_not_equal(m->verdict, PC_ACTION_QUARANTINE);
	}
	/* another template, same infrastructure: another campaign */
	const pc_msg *m = scan(sc, 100, other, "img.newsfeed-cache.example");
	assert_non_null(m->campaign);
	assert_string_not_equal(m->campaign, first);
	char second[32];
	snprintf(second, sizeof second, "%s", m->campaign);

	long long id = strtoll(first, NULL, 10);
	pc_campaign_rec r;
	assert_int_equal(pc_store_campaign_get(st, id, &r), 1);
	assert_int_equal(r.size, 12);
	assert_int_equal(r.recipients, 12);
	assert_int_equal(r.tokens, 12);
	assert_int_equal(r.tokened, 12);
	assert_int_equal(r.senders, 3);
	assert_int_equal(r.status, PC_CAMPAIGN_OPEN);

	/* scanned again: recorded once */
	m = scan(sc, 3, lure, "img.newsfeed-cache.example");
	assert_string_equal(m->campaign, first);
	assert_int_equal(pc_store_campaign_get(st, id, &r), 1);
	assert_int_equal(r.size, 12);

	/* malicious: earlier members and new ones are quarantine */
	assert_int_equal(pc_store_campaign_mark(st, id, PC_CAMPAIGN_MALICIOUS, true, PC_ACTION_QUARANTINE, "test"), 0);
	counts c = {0, 0};
	assert_int_equal(pc_store_campaign_members(st, id, count_member, &c), 0);
	assert_int_equal(c.n, 12);
	assert_int_equal(c.quarantined, 12);
	m = scan(sc, 20, lure, "img.newsfeed-cache.example");
	assert_string_equal(m->campaign, first);
	assert_int_equal(m->verdict, PC_ACTION_QUARANTINE);
	assert_string_equal(m->rule, "campaign");
	assert_non_null(find(m, "campaign.malicious"));

	/* benign: no escalation, members decided on their own, earlier ones
	 * given their own verdicts back */
	assert_int_equal(pc_store_campaign_mark(st, id, PC_CAMPAIGN_BENIGN, true, PC_ACTION_QUARANTINE, "analyst"), 0);
	c.n = c.quarantined = 0;
	assert_int_equal(pc_store_campaign_members(st, id, count_member, &c), 0);
	assert_int_equal(c.n, 13);
	assert_int_equal(c.quarantined, 0);
	assert_int_equal(pc_store_campaign_get(st, id, &r), 1);
	assert_int_not_equal(r.verdict, PC_ACTION_QUARANTINE);
	m = scan(sc, 21, lure, "img.newsfeed-cache.example");
	assert_int_not_equal(m->verdict, PC_ACTION_QUARANTINE);
	assert_null(find(m, "campaign.targeted"));

	/* read-only matching (hunt) finds the campaign without recording */
	m = scan(sc, 22, lure, "img.newsfeed-cache.example");
	pc_fingerprint fp;
	assert_int_equal(pc_scan_fingerprint(sc, &fp), 0);
	assert_true(fp.usable);
	long long found = 0;
	assert_int_equal(pc_campaign_match(st, &cfg, &fp, 0, &found), 0);
	assert_int_equal(found, id);
	assert_int_equal(pc_campaign_match(st, &cfg, &fp, strtoll(second, NULL, 10), &found), 0);
	assert_int_equal(found, 0);
	pc_scanner_free(sc);
	pc_store_close(st);
}

/* A store as an older Portcullis left it: sql run in a new file. */
static void old_store(const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_migration_from_v1(void **state)
{
	(void)state;
	if (pc_test_store_pg())
		skip(); /* SQLite's schema history */
	old_store("CREATE TABLE contact (sender TEXT NOT NULL, domain TEXT NOT NULL, rcpt TEXT NOT "
	          "NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT "
	          "NULL, PRIMARY KEY (sender, rcpt)) WITHOUT ROWID;"
	          "INSERT INTO contact VALUES ('a@news.example', 'news.example', 'me@org.example', "
	          "10, 20, 3); PRAGMA user_version=1;");
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_contact c;
	assert_int_equal(pc_store_contact(st, "a@news.example", "news.example", "me@org.example", &c), 0);
	assert_int_equal(c.addr_rcpt, 3);
	pc_campaign_rec r;
	assert_int_equal(pc_store_campaign_get(st, 1, &r), 0);
	pc_store_close(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 9); /* the current schema */
	sqlite3_finalize(s);
	sqlite3_close(db);
}

typedef struct copy_rows {
	int n;
	time_t seen[8];
	uint64_t rcpt[8];
	char source[8][16];
	unsigned char vals0[8];
} copy_rows;

static int on_copy(void *ctx, const pc_copy_row *r)
{
	copy_rows *c = ctx;
	if (c->n < 8) {
		c->seen[c->n] = r->when;
		c->rcpt[c->n] = r->rcpt;
		snprintf(c->source[c->n], sizeof c->source[0], "%s", r->source);
		c->vals0[c->n] = r->len ? ((const unsigned char *)r->vals)[0] : 0;
	}
	c->n++;
	return 0;
}

/* The copy window of (campaign, shape), at most max rows, into c. */
static void copies_of(pc_store *st, long long campaign, uint64_t skel, size_t max, copy_rows *c)
{
	memset(c, 0, sizeof *c);
	assert_int_equal(pc_store_copies_get(st, campaign, skel, max, on_copy, c), 0);
}

/* The window of (campaign, shape), at most max rows, into c: exactly the
 * recipients want[0..n), in that order. */
static void expect_window(pc_store *st, long long campaign, uint64_t skel, size_t max, const uint64_t *want, int n,
                          copy_rows *c)
{
	copies_of(st, campaign, skel, max, c);
	assert_int_equal(c->n, n);
	for (int i = 0; i < n && i < (int)(sizeof c->rcpt / sizeof *c->rcpt); i++)
		assert_int_equal(c->rcpt[i], want[i]);
}

/* Schemas 8 and 9 reorder copy_url: a store of schema 7 keeps its rows
 * (numbered in their time order, so the newest come first; blobs whole),
 * and a recipient set seen again still keeps its first row. */
static void test_copy_url_v8(void **state)
{
	(void)state;
	if (pc_test_store_pg())
		skip(); /* SQLite's schema history */
	old_store("CREATE TABLE copy_url (campaign INTEGER NOT NULL, skel INTEGER NOT NULL, rcpt INTEGER NOT NULL,"
	          " seen INTEGER NOT NULL, vals BLOB NOT NULL, source TEXT NOT NULL, message_id TEXT NOT NULL,"
	          " PRIMARY KEY (campaign, skel, rcpt)) WITHOUT ROWID;"
	          "CREATE INDEX copy_url_seen ON copy_url (campaign, skel, seen);"
	          "INSERT INTO copy_url VALUES (5, 9, 300, 1000, x'81aa', 'a', '<a@x>');"
	          "INSERT INTO copy_url VALUES (5, 9, 100, 3000, x'02bb', 'c', '<c@x>');"
	          "INSERT INTO copy_url VALUES (5, 9, 200, 2000, x'03cc', 'b', '<b@x>');"
	          "INSERT INTO copy_url VALUES (5, 8, 400, 9000, x'04dd', 'z', '<z@x>');"
	          "PRAGMA user_version=7;");
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	copy_rows c;
	copies_of(st, 5, 9, 33, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.seen[0], 3000);
	assert_int_equal(c.seen[1], 2000);
	assert_int_equal(c.seen[2], 1000);
	assert_string_equal(c.source[0], "c");
	assert_int_equal(c.rcpt[2], 300);
	assert_int_equal(c.vals0[2], 0x81);
	/* recipient set 200 again, later: its first row stays */
	assert_int_equal(pc_store_copies_add(st, 5, 9, 200, 4000, "\x05", 1, "d", "<d@x>"), 0);
	/* a new one, and the limit */
	assert_int_equal(pc_store_copies_add(st, 5, 9, 500, 5000, "\x06", 1, "e", "<e@x>"), 0);
	copies_of(st, 5, 9, 2, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.seen[0], 5000);
	assert_int_equal(c.seen[1], 3000);
	copies_of(st, 5, 9, 33, &c);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.source[2], "b");
	assert_int_equal(c.seen[2], 2000);
	pc_store_close(st);
	/* a store of schema 8 (time order) the same, ties by recipient as
	 * that schema read them */
	pc_test_store_drop(path);
	old_store("CREATE TABLE copy_url (campaign INTEGER NOT NULL, skel INTEGER NOT NULL, seen INTEGER NOT NULL,"
	          " rcpt INTEGER NOT NULL, vals BLOB NOT NULL, source TEXT NOT NULL, message_id TEXT NOT NULL,"
	          " PRIMARY KEY (campaign, skel, seen, rcpt)) WITHOUT ROWID;"
	          "CREATE UNIQUE INDEX copy_url_rcpt ON copy_url (campaign, skel, rcpt);"
	          "INSERT INTO copy_url VALUES (5, 9, 2000, 50, x'01', 'b', '<b@x>');"
	          "INSERT INTO copy_url VALUES (5, 9, 1000, 70, x'02', 'a', '<a@x>');"
	          "INSERT INTO copy_url VALUES (5, 9, 2000, 90, x'03', 'c', '<c@x>');"
	          "PRAGMA user_version=8;");
	assert_non_null(st = pc_store_open(path, err, sizeof err));
	expect_window(st, 5, 9, 33, (const uint64_t[]){90, 50, 70}, 3, &c);
	assert_int_equal(c.seen[2], 1000);
	/* the next copy goes after them, whatever its time */
	assert_int_equal(pc_store_copies_add(st, 5, 9, 10, 500, "\x04", 1, "d", "<d@x>"), 0);
	expect_window(st, 5, 9, 2, (const uint64_t[]){10, 90}, 2, &c);
	assert_int_equal(c.seen[0], 500);
	pc_store_close(st);
}

/* PostgreSQL's schema 2: a store of schema 1 keeps its copy_url rows,
 * read after the numbered ones in their time order (ties by recipient,
 * as schema 1 read them), and the next copy goes before them whatever
 * its time. */
static void test_copy_url_pg2(void **state)
{
	(void)state;
	if (!pc_test_store_pg())
		skip(); /* PostgreSQL's schema history */
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st); /* schema 2 */
	pc_store_close(st);
	/* back to schema 1, as its part of pg_copies.c made it, with rows */
	PGconn *c = PQconnectdb(path + strlen("postgresql:"));
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, "ALTER TABLE copy_url DROP COLUMN ord;"
	                        "CREATE INDEX copy_url_seen ON copy_url (campaign, skel, seen, rcpt);"
	                        "INSERT INTO copy_url VALUES (5, 9, 50, 2000, '\\x01', 'b', '<b@x>');"
	                        "INSERT INTO copy_url VALUES (5, 9, 70, 1000, '\\x02', 'a', '<a@x>');"
	                        "INSERT INTO copy_url VALUES (5, 9, 90, 2000, '\\x03', 'c', '<c@x>');"
	                        "INSERT INTO copy_url VALUES (5, 8, 10, 3000, '\\x04', 'd', '<d@x>');"
	                        "UPDATE portcullis_schema SET version = 1");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	assert_non_null(st = pc_store_open(path, err, sizeof err));
	copy_rows w;
	expect_window(st, 5, 9, 33, (const uint64_t[]){90, 50, 70}, 3, &w);
	assert_int_equal(w.seen[2], 1000);
	assert_int_equal(w.vals0[2], 0x02);
	assert_string_equal(w.source[2], "a");
	assert_int_equal(pc_store_copies_add(st, 5, 9, 20, 500, "\x05", 1, "e", "<e@x>"), 0);
	expect_window(st, 5, 9, 2, (const uint64_t[]){20, 90}, 2, &w);
	expect_window(st, 5, 8, 33, (const uint64_t[]){10}, 1, &w);
	/* a node of the previous version adds a row during an upgrade: read
	 * after the numbered ones, by its time */
	r = PQexec(c, "INSERT INTO copy_url (campaign, skel, rcpt, vals, source, message_id, seen)"
	              " VALUES (5, 9, 40, '\\x06', 'f', '<f@x>', 9000)");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	assert_int_equal(pc_store_copies_add(st, 5, 9, 30, 100, "\x07", 1, "g", "<g@x>"), 0);
	expect_window(st, 5, 9, 33, (const uint64_t[]){30, 20, 40, 90, 50, 70}, 6, &w);
	pc_store_close(st);
	r = PQexec(c, "SELECT (SELECT version FROM portcullis_schema), (SELECT count(*) FROM pg_indexes"
	              " WHERE indexname = 'copy_url_seen'), (SELECT count(*) FROM pg_indexes"
	              " WHERE indexname = 'copy_url_ord'), (SELECT count(*) FROM copy_url WHERE ord IS NULL)");
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "2");
	assert_string_equal(PQgetvalue(r, 0, 1), "0");
	assert_string_equal(PQgetvalue(r, 0, 2), "1");
	assert_string_equal(PQgetvalue(r, 0, 3), "5"); /* 4 from schema 1, 1 from the old node */
	PQclear(r);
	PQfinish(c);
}

/* The copy window is the shape's most recently stored rows, whatever the
 * copies' times (mail scanned out of date order), each with its own time;
 * a recipient set stored again keeps its first row and place; shapes and
 * campaigns keep their own order. Both back ends. */
static void test_copy_window_order(void **state)
{
	(void)state;
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	static const struct {
		uint64_t rcpt;
		time_t when;
	} add[] = {{20, 6000}, {90, 6000}, {50, 6000}, {30, 100}, {80, 9000}, {90, 9500}, {40, 5000}};
	for (size_t i = 0; i < sizeof add / sizeof *add; i++)
		assert_int_equal(pc_store_copies_add(st, 5, 7, add[i].rcpt, add[i].when, "\x01", 1, "s", "<m@x>"), 0);
	/* another shape and another campaign in between change nothing */
	assert_int_equal(pc_store_copies_add(st, 5, 8, 99, 1, "\x01", 1, "s", "<m@x>"), 0);
	assert_int_equal(pc_store_copies_add(st, 6, 7, 98, 1, "\x01", 1, "s", "<m@x>"), 0);
	assert_int_equal(pc_store_copies_add(st, 5, 7, 60, 7000, "\x01", 1, "s", "<m@x>"), 0);
	copy_rows c;
	expect_window(st, 5, 7, 33, (const uint64_t[]){60, 40, 80, 30, 50, 90, 20}, 7, &c);
	static const time_t when[] = {7000, 5000, 9000, 100, 6000, 6000, 6000};
	for (int i = 0; i < 7; i++)
		assert_int_equal(c.seen[i], when[i]);
	expect_window(st, 5, 7, 3, (const uint64_t[]){60, 40, 80}, 3, &c);
	expect_window(st, 5, 8, 33, (const uint64_t[]){99}, 1, &c);
	expect_window(st, 6, 7, 33, (const uint64_t[]){98}, 1, &c);
	pc_store_close(st);
}

/* A milter worker's store (held): when the commit after the scan fails
 * (here the WAL cannot grow, as on a full disk), the message names no
 * campaign and says campaign.error; nothing of it is in the store, and the
 * next message is recorded as usual. */
static void test_store_lost(void **state)
{
	(void)state;
	if (pc_test_store_pg())
		skip(); /* SQLite's commit */
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_store_hold(st);
	pc_scanner *sc = scanner(st);
	const pc_msg *m = scan(sc, 1, lure, "img.newsfeed-cache.example");
	assert_non_null(m->campaign);
	assert_int_equal(pc_store_sync(st), 0);
	char wal[PC_TEST_STORE_MAX + 8];
	snprintf(wal, sizeof wal, "%s-wal", path);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	struct rlimit old, cap;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	cap = old;
	cap.rlim_cur = (rlim_t)sb.st_size; /* the WAL may not grow */
	void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &cap), 0);
	m = scan(sc, 100, other, "img.newsfeed-cache.example"); /* a new campaign */
	assert_non_null(m->campaign);
	int synced = pc_store_sync(st);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, was);
	assert_int_equal(synced, -1);
	pc_scan_store_lost(sc);
	assert_null(m->campaign);
	assert_non_null(find(m, "campaign.error"));
	/* the next message: recorded, and the lost one is not a member */
	m = scan(sc, 101, other, "img.newsfeed-cache.example");
	assert_non_null(m->campaign);
	assert_int_equal(pc_store_sync(st), 0);
	pc_campaign_rec r;
	assert_int_equal(pc_store_campaign_get(st, strtoll(m->campaign, NULL, 10), &r), 1);
	assert_int_equal(r.size, 1);
	pc_scanner_free(sc);
	pc_store_close(st);
}

static void test_batch_and_rollback(void **state)
{
	(void)state;
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_store_batch(st, 100, 10000);
	uint64_t bands[PC_STORE_BANDS] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	uint32_t sig[PC_STORE_SIG];
	memset(sig, 7, sizeof sig);
	pc_member mem = {
	    .source = "a", .message_id = "<a@x>", .sender = "s@x.example", .bands = bands, .sig = sig, .when = 1000};
	long long id = 0;
	assert_int_equal(pc_store_begin(st), 0);
	assert_int_equal(pc_store_begin(st), -1); /* nested */
	assert_int_equal(pc_store_campaign_new(st, &mem, &id), 0);
	assert_int_equal(pc_store_commit(st), 0);
	/* a rolled-back message leaves nothing, the batch keeps the first */
	assert_int_equal(pc_store_begin(st), 0);
	mem.source = "b";
	assert_int_equal(pc_store_campaign_add(st, id, &mem), 0);
	pc_store_rollback(st);
	assert_int_equal(pc_store_flush(st), 0);
	pc_campaign_rec r;
	assert_int_equal(pc_store_campaign_get(st, id, &r), 1);
	assert_int_equal(r.size, 1);
	size_t n = 0;
	long long ids[4];
	assert_int_equal(pc_store_campaign_candidates(st, bands, PC_STORE_BANDS, ids, 4, &n), 0);
	assert_int_equal(n, 1);
	/* the window is checked by the clustering on the campaign it reads */
	pc_store_close(st);
}

/* The same delivery scanned again under another source (the MTA retried
 * after a 451: a new queue id) is the member it was, on both back ends;
 * another recipient of the same bytes, or another body for the same
 * recipient, is another member (a sender cannot merge copies). */
static void test_delivery_key(void **state)
{
	(void)state;
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_scanner *sc = scanner(st);
	char *c0 = copy(0, lure, "img.newsfeed-cache.example");
	char *m1 = copy(1, lure, "img.newsfeed-cache.example");
	const char *r0[] = {"a@parliament.example"}, *r1[] = {"b@parliament.example"};
	char id[32];
	/* as a milter sees it: the receiving Postfix's Received line on top
	 * (its queue id), then the sender's message */
	size_t cn = strlen(c0), n = cn + 64;
	char *m0 = malloc(n), *again = malloc(n);
	assert_true(m0 && again);
	int k = snprintf(m0, n, "Received: from mx by us with ESMTP id QUEUE1;\r\n");
	memcpy(m0 + k, c0, cn + 1);
	k = snprintf(again, n, "Received: from mx2 by us with ESMTP id QUEUE2;\r\n");
	memcpy(again + k, c0, cn + 1);
	const pc_msg *m = pc_scan(sc, m0, strlen(m0), "milter:QUEUE1", r0, 1);
	assert_non_null(m->campaign);
	snprintf(id, sizeof id, "%s", m->campaign);
	/* the retry: new queue id, its own Received line on top */
	m = pc_scan(sc, again, strlen(again), "milter:QUEUE2", r0, 1);
	assert_string_equal(m->campaign, id);
	m = pc_scan(sc, m0, strlen(m0), "milter:QUEUE3", r1, 1); /* the same bytes to someone else */
	m = pc_scan(sc, m1, strlen(m1), "milter:QUEUE4", r0, 1); /* another copy to the first */
	/* the same Message-ID, envelope and body with another Subject: another
	 * delivery, not a retry to be dropped as one */
	char *subj = strstr(m0, "Subject: ");
	assert_non_null(subj);
	subj[9] = subj[9] == 'X' ? 'Y' : 'X';
	m = pc_scan(sc, m0, strlen(m0), "milter:QUEUE5", r0, 1);
	counts c = {0, 0};
	assert_int_equal(pc_store_campaign_members(st, strtoll(id, NULL, 10), count_member, &c), 0);
	assert_int_equal(c.n, 4);
	free(again);
	free(m0);
	free(c0);
	free(m1);
	pc_scanner_free(sc);
	pc_store_close(st);
}

int main(void)
{
	pc_config_defaults(&cfg);
	pc_pipeline_global_init();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sketch_ignores_tokens),
	    cmocka_unit_test(test_sketch_same_as_reference),
	    cmocka_unit_test(test_url_template),
	    cmocka_unit_test_setup_teardown(test_clustering, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_url_v8, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_window_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_url_pg2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_lost, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_and_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delivery_key, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
