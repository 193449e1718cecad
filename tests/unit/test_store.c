/*
 * Unit tests for store/ (both back ends: unit.store, unit.store.pg) and act/history: counts by
 * address, recipient and domain; keys; reopening; a bad file; the policy
 * rule that spoofed or quarantined senders are never remembered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "act/history.h"
#include "store/store.h"
#include "storetest.h"

static char path[PC_TEST_STORE_MAX];

static int setup(void **state)
{
	(void)state;
	pc_test_store_new(path, sizeof path, "store");
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pc_test_store_drop(path);
	return 0;
}

static void test_keys(void **state)
{
	(void)state;
	char s[64], d[64];
	assert_int_equal(pc_store_contact_keys("Jane.Doe@Mail.News.Example.CO.UK", s, sizeof s, d, sizeof d), 0);
	assert_string_equal(s, "jane.doe@mail.news.example.co.uk");
	assert_string_equal(d, "example.co.uk");
	assert_int_equal(pc_store_contact_keys("nobody", s, sizeof s, d, sizeof d), -1);
	assert_int_equal(pc_store_contact_keys("@x.org", s, sizeof s, d, sizeof d), -1);
	assert_int_equal(pc_store_contact_keys("a@", s, sizeof s, d, sizeof d), -1);
	char tiny[8];
	assert_int_equal(pc_store_contact_keys("longer@example.org", tiny, sizeof tiny, d, sizeof d), -1);
}

static void test_counts_and_reopen(void **state)
{
	(void)state;
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_contact c;
	assert_int_equal(pc_store_contact(st, "a@news.example", "news.example", "me@org.example", &c), 0);
	assert_int_equal(c.addr_rcpt + c.addr_any + c.domain_any, 0);
	const char *r1[] = {"me@org.example", "you@org.example"};
	assert_int_equal(pc_store_remember(st, "a@news.example", "news.example", r1, 2, 1000), 0);
	assert_int_equal(pc_store_remember(st, "a@news.example", "news.example", r1, 1, 2000), 0);
	assert_int_equal(pc_store_contact(st, "a@news.example", "news.example", "me@org.example", &c), 0);
	assert_int_equal(c.addr_rcpt, 2);
	assert_int_equal(c.addr_any, 3);
	assert_int_equal(c.domain_any, 3);
	assert_int_equal((long)c.first, 1000);
	/* another address of the same domain: the domain is known, it is not */
	assert_int_equal(pc_store_contact(st, "b@news.example", "news.example", "me@org.example", &c), 0);
	assert_int_equal(c.addr_rcpt, 0);
	assert_int_equal(c.addr_any, 0);
	assert_int_equal(c.domain_any, 3);
	pc_store_close(st);
	st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(pc_store_contact(st, "a@news.example", "news.example", "you@org.example", &c), 0);
	assert_int_equal(c.addr_rcpt, 1);
	pc_store_close(st);
}

/* Message i's custody record with an original of n bytes (orig, filled
 * here: different for each i), in a transaction of its own. */
static void put_original(pc_store *st, int i, char *orig, size_t n)
{
	for (size_t k = 0; k < n; k++)
		orig[k] = (char)('a' + (k * 7 + (size_t)i) % 26);
	char src[32], sha[65];
	snprintf(src, sizeof src, "m%d", i);
	snprintf(sha, sizeof sha, "%064d", i);
	pc_custody cu = {sha, 0, src, "<id@x>", 1000 + i, "{}", orig, n, true};
	assert_int_equal(pc_store_begin(st), 0);
	assert_int_equal(pc_store_custody_put(st, &cu), 0);
	assert_int_equal(pc_store_commit(st), 0);
}

/* Issue 19, a milter worker's mode (pc_store_hold): a message's writes
 * (here its history and a custody record) are one transaction that
 * another process sees only after pc_store_sync, the answer's moment; the
 * WAL is checkpointed by pc_store_idle when due, not inside a commit. On
 * PostgreSQL all of it does nothing: each write commits. */
static void test_hold_sync_idle(void **state)
{
	(void)state;
	char err[256];
	pc_store *w = pc_store_open(path, err, sizeof err);
	pc_store *r = pc_store_open(path, err, sizeof err);
	assert_non_null(w);
	assert_non_null(r);
	pc_store_hold(w);
	const char *rc1[] = {"me@org.example"};
	pc_contact c;
	assert_int_equal(pc_store_remember(w, "a@news.example", "news.example", rc1, 1, 1000), 0);
	assert_int_equal(pc_store_contact(r, "a@news.example", "news.example", "me@org.example", &c), 0);
	assert_int_equal(c.addr_rcpt, pc_test_store_pg() ? 1 : 0); /* SQLite: not yet */
	assert_false(pc_store_idle_due(w));
	assert_int_equal(pc_store_sync(w), 0);
	assert_int_equal(pc_store_contact(r, "a@news.example", "news.example", "me@org.example", &c), 0);
	assert_int_equal(c.addr_rcpt, 1);
	/* about 40 MB of originals, a message (a commit) at a time: past the
	 * checkpoint threshold (32 MB of WAL) */
	size_t n = 1 << 20;
	char *orig = malloc(n);
	assert_non_null(orig);
	bool due = false;
	for (int i = 0; i < 40; i++) {
		put_original(w, i, orig, n);
		assert_int_equal(pc_store_sync(w), 0);
		due |= pc_store_idle_due(w);
		if (due)
			break;
	}
	free(orig);
	if (pc_test_store_pg()) {
		assert_false(due);
	} else {
		/* the commits did not checkpoint (the database file is still
		 * small, the originals are in the WAL); idle copies them in */
		assert_true(due);
		struct stat sb;
		assert_int_equal(stat(path, &sb), 0);
		assert_true(sb.st_size < 4 << 20);
		pc_store_idle(w);
		assert_false(pc_store_idle_due(w));
		assert_int_equal(stat(path, &sb), 0);
		assert_true(sb.st_size > 30 << 20);
	}
	/* batching a held store changes nothing: its WAL hook stays */
	pc_store_batch(w, 1000, 500);
	if (!pc_test_store_pg()) {
		char *big = malloc(32 << 20);
		assert_non_null(big);
		put_original(w, 40, big, 32 << 20);
		assert_int_equal(pc_store_sync(w), 0);
		free(big);
		assert_true(pc_store_idle_due(w));
	}
	pc_store_close(r);
	pc_store_close(w);
}

/* A batch (the CLI's bulk scan) checkpoints per 128 MB of WAL, not per
 * 32 MB: 48 MB of originals, committed a few at a time, stay in the WAL. */
static void test_batch_checkpoint(void **state)
{
	(void)state;
	if (pc_test_store_pg())
		skip(); /* SQLite's WAL */
	char err[256];
	pc_store *w = pc_store_open(path, err, sizeof err);
	assert_non_null(w);
	pc_store_batch(w, 1000, 60000);
	size_t n = 1 << 20;
	char *orig = malloc(n);
	assert_non_null(orig);
	for (int i = 0; i < 48; i++) {
		put_original(w, i, orig, n);
		if (i % 4 == 3)
			assert_int_equal(pc_store_flush(w), 0); /* a commit */
	}
	free(orig);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size < 4 << 20);
	pc_store_close(w); /* the last connection: checkpointed */
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 40 << 20);
}

static void test_bad_file(void **state)
{
	if (pc_test_store_pg())
		skip(); /* SQLite's file */
	(void)state;
	char err[256];
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a database, it is a text file with enough bytes to look like one..........\n", f);
	fclose(f);
	assert_null(pc_store_open(path, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_null(pc_store_open("/nonexistent-dir/x.db", err, sizeof err));
	/* a PostgreSQL server that is not there: the error names it */
	assert_null(pc_store_open("postgresql://127.0.0.1:1/x", err, sizeof err));
	assert_non_null(strstr(err, "postgresql 127.0.0.1:1/x"));
	assert_null(pc_store_open("postgresql:host=127.0.0.1 port=1 dbname=y", err, sizeof err));
	assert_non_null(strstr(err, "postgresql 127.0.0.1:1/y"));
}

static void test_history_rules(void **state)
{
	(void)state;
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_config cfg;
	pc_config_defaults(&cfg);
	pc_arena *a = pc_arena_new(1 << 20);
	pc_msg m;
	memset(&m, 0, sizeof m);
	m.arena = a;
	m.config = &cfg;
	pc_addr from = {"Jane", "Jane@News.Example", NULL};
	pc_vec_push(a, &m.from, &from);
	pc_vec_push(a, &m.rcpt, (void *)"me@org.example");
	m.rcpt_source = "envelope";
	pc_auth dmarc = {.method = "dmarc", .result = PC_AUTH_PASS, .domain = "news.example"};
	pc_vec_push(a, &m.auth, &dmarc);
	pc_contact c;
	/* quarantined: not remembered */
	m.verdict = PC_ACTION_QUARANTINE;
	assert_int_equal(pc_history_remember(st, &m, 5), 0);
	pc_store_contact(st, "jane@news.example", "news.example", "me@org.example", &c);
	assert_int_equal(c.addr_any, 0);
	/* delivered, but impersonating: not remembered */
	m.verdict = PC_ACTION_NEUTRALISE;
	pc_msg_finding(&m, PC_FINDING_IMPERSONATION, "impersonation.lookalike", 6, "x");
	assert_int_equal(pc_history_remember(st, &m, 5), 0);
	pc_store_contact(st, "jane@news.example", "news.example", "me@org.example", &c);
	assert_int_equal(c.addr_any, 0);
	/* delivered, DMARC passed, but an SPF failure stands: not remembered */
	m.findings.n = 0;
	pc_msg_finding(&m, PC_FINDING_AUTH, "auth.spf", 2, "x");
	assert_int_equal(pc_history_remember(st, &m, 5), 0);
	pc_store_contact(st, "jane@news.example", "news.example", "me@org.example", &c);
	assert_int_equal(c.addr_any, 0);
	m.findings.n = 0;
	/* not authenticated (no DMARC pass, nothing aligned): not remembered */
	m.verdict = PC_ACTION_ACCEPT;
	dmarc.result = PC_AUTH_NONE;
	assert_int_equal(pc_history_remember(st, &m, 5), 0);
	pc_store_contact(st, "jane@news.example", "news.example", "me@org.example", &c);
	assert_int_equal(c.addr_any, 0);
	/* recipients from the sender's To: not remembered */
	dmarc.result = PC_AUTH_PASS;
	m.rcpt_source = "To";
	assert_int_equal(pc_history_remember(st, &m, 5), 0);
	pc_store_contact(st, "jane@news.example", "news.example", "me@org.example", &c);
	assert_int_equal(c.addr_any, 0);
	/* a NULL address (arena full) is skipped */
	m.rcpt_source = "envelope";
	from.addr = NULL;
	assert_int_equal(pc_history_remember(st, &m, 5), 0);
	from.addr = "Jane@News.Example";
	/* delivered, authenticated, clean: remembered, address lower-cased */
	assert_int_equal(pc_history_remember(st, &m, 5), 0);
	pc_store_contact(st, "jane@news.example", "news.example", "me@org.example", &c);
	assert_int_equal(c.addr_rcpt, 1);
	pc_arena_free(a);
	pc_store_close(st);
}

static mode_t mode_of(const char *suffix)
{
	char p[PC_TEST_STORE_MAX + 8];
	snprintf(p, sizeof p, "%s%s", path, suffix);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	return sb.st_mode & 0777;
}

/* The store holds sender, subject and recipients of every message: it
 * and its -wal and -shm are the owner's only, whatever the umask (issue
 * 13); an existing store keeps its mode, a world-readable one is said. */
static void test_private_files(void **state)
{
	if (pc_test_store_pg())
		skip(); /* SQLite's file */
	(void)state;
	char err[256];
	mode_t old = umask(022);
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	const char *r[] = {"me@org.example"};
	assert_int_equal(pc_store_remember(st, "a@news.example", "news.example", r, 1, 1000), 0);
	assert_int_equal(mode_of(""), 0600);
	assert_int_equal(mode_of("-wal"), 0600);
	assert_int_equal(mode_of("-shm"), 0600);
	pc_store_close(st);
	/* an existing store keeps the mode its administrator gave it */
	assert_int_equal(chmod(path, 0640), 0);
	st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(mode_of(""), 0640);
	pc_store_close(st);
	umask(old);
}

/* Several nodes (processes, each with its own connection) assigning
 * copies of one template at once make ONE campaign holding exactly every
 * copy, with exact counters: the store serialises the copies of one
 * template (PostgreSQL: advisory locks on the band keys, then the
 * campaign's row; SQLite: its write lock). A copy stored twice (the MTA
 * retrying after a tempfail) counts once. */
static int count_campaign(void *ctx, const pc_campaign_rec *r)
{
	pc_campaign_rec *out = ctx;
	out[0].size++; /* campaigns seen */
	out[1] = *r;
	return 0;
}

static void test_nodes_one_campaign(void **state)
{
	(void)state;
	enum { NODES = 4, EACH = 60 };
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_store_close(st);
	uint64_t bands[PC_STORE_BANDS];
	for (int i = 0; i < PC_STORE_BANDS; i++)
		bands[i] = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1); /* high bit set: a negative bigint */
	uint32_t sig[PC_STORE_SIG];
	memset(sig, 3, sizeof sig);
	pid_t kids[NODES];
	for (int n = 0; n < NODES; n++) {
		kids[n] = fork();
		assert_true(kids[n] >= 0);
		if (kids[n])
			continue;
		pc_store *s = pc_store_open(path, err, sizeof err);
		if (!s)
			_exit(2);
		for (int i = 0; i < EACH; i++) {
			char src[16], mid[32], rc0[48], tok[17];
			snprintf(src, sizeof src, "node%d", n);
			snprintf(mid, sizeof mid, "<%d.%d@x.example>", n, i);
			snprintf(rc0, sizeof rc0, "r%d.%d@org.example", n, i);
			snprintf(tok, sizeof tok, "%016x", n * 1000 + i);
			const char *rcpt[] = {rc0, "shared@org.example"};
			pc_member m = {.source = src,
			               .message_id = mid,
			               .sender = "s@x.example",
			               .token = tok,
			               .rcpt = rcpt,
			               .nrcpt = 2,
			               .bands = bands,
			               .sig = sig,
			               .when = 1000 + i};
			for (int again = 0; again < 2; again++) { /* the second time: a replay */
				long long ids[4], id = 0;
				size_t k = 0;
				if (pc_store_begin(s) != 0)
					_exit(3);
				int known = pc_store_member_find(s, src, mid, NULL, &id);
				if (known < 0 || (!known && pc_store_campaign_candidates(s, bands, PC_STORE_BANDS, ids,
				                                                         4, &k) != 0)) {
					fprintf(stderr, "node %d: %s\n", n, pc_store_error(s));
					_exit(4);
				}
				if (!known) {
					id = k ? ids[0] : 0;
					if ((id ? pc_store_campaign_add(s, id, &m)
					        : pc_store_campaign_new(s, &m, &id)) != 0) {
						fprintf(stderr, "node %d: %s\n", n, pc_store_error(s));
						_exit(5);
					}
				}
				if (pc_store_commit(s) != 0) {
					fprintf(stderr, "node %d: %s\n", n, pc_store_error(s));
					_exit(6);
				}
			}
		}
		pc_store_close(s);
		_exit(0);
	}
	for (int n = 0; n < NODES; n++) {
		int status = 0;
		assert_int_equal(waitpid(kids[n], &status, 0), kids[n]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	pc_campaign_rec seen[2];
	memset(seen, 0, sizeof seen);
	assert_int_equal(pc_store_campaign_list(st, 0, count_campaign, seen), 0);
	assert_int_equal(seen[0].size, 1);            /* one campaign */
	assert_int_equal(seen[1].size, NODES * EACH); /* every copy, once */
	assert_int_equal(seen[1].recipients, NODES * EACH + 1);
	assert_int_equal(seen[1].tokens, NODES * EACH);
	assert_int_equal(seen[1].tokened, NODES * EACH);
	pc_store_close(st);
}

typedef struct vals {
	int n;
	long sum, max;
} vals;

static int count_value(void *ctx, const char *value, long count)
{
	vals *v = ctx;
	v->n++;
	v->sum += count;
	if (count > v->max)
		v->max = count;
	return 0;
}

/* A member's values go to the store several to a statement: more than
 * one statement's worth (40 recipients), a value twice in one member,
 * empty ones, and a second member sharing some; the counters count the
 * new ones of each kind, and every value keeps its count. */
static void test_member_values(void **state)
{
	(void)state;
	char err[256];
	pc_store *st = pc_store_open(path, err, sizeof err);
	assert_non_null(st);
	char buf[40][32];
	const char *rcpt[44];
	for (int i = 0; i < 40; i++) {
		snprintf(buf[i], sizeof buf[i], "r%02d@org.example", i);
		rcpt[i] = buf[i];
	}
	rcpt[40] = buf[7]; /* twice, in another statement than the first */
	rcpt[41] = "";     /* none */
	/* over 1,000 bytes that the cut at a character boundary empties: a
	 * value all the same (the envelope's bytes are not checked) */
	char odd[1012];
	odd[0] = 'A';
	memset(odd + 1, 0x80, 1000);
	snprintf(odd + 1001, sizeof odd - 1001, "@x.example");
	rcpt[42] = odd;
	rcpt[43] = buf[39]; /* twice in one statement: values 42 and 45, both in the third */
	const char *infra[] = {"198.51.100.7", "", "mail.sendwave.example"};
	const char *tmpl[] = {"t.example/o/{TOKEN}.gif", "t.example/c?u={ADDR}"};
	pc_member a = {.source = "a",
	               .message_id = "<1@x.example>",
	               .sender = "s@x.example",
	               .token = "00000000000000aa",
	               .rcpt = rcpt,
	               .nrcpt = 44,
	               .infra = infra,
	               .ninfra = 3,
	               .templates = tmpl,
	               .ntemplates = 2,
	               .when = 1000};
	long long id = 0;
	assert_int_equal(pc_store_begin(st), 0);
	assert_int_equal(pc_store_campaign_new(st, &a, &id), 0);
	/* the second: 10 of the same recipients (r01, r04 ... r28) and 5 new, the same sender,
	 * a new token, one infrastructure value again */
	const char *rcpt2[15];
	for (int i = 0; i < 15; i++)
		rcpt2[i] = i < 10 ? buf[i * 3 + 1]
		                  : (i == 10   ? "n0@org.example"
		                     : i == 11 ? "n1@org.example"
		                     : i == 12 ? "n2@org.example"
		                     : i == 13 ? "n3@org.example"
		                               : "n4@org.example");
	pc_member b = a;
	b.message_id = "<2@x.example>";
	b.token = "00000000000000bb";
	b.rcpt = rcpt2;
	b.nrcpt = 15;
	b.ninfra = 1;
	b.ntemplates = 0;
	assert_int_equal(pc_store_campaign_add(st, id, &b), 0);
	assert_int_equal(pc_store_commit(st), 0);
	pc_campaign_rec r;
	assert_int_equal(pc_store_campaign_get(st, id, &r), 1);
	assert_int_equal(r.size, 2);
	assert_int_equal(r.recipients, 46); /* 40, the odd one, 5 of b's */
	assert_int_equal(r.senders, 1);
	assert_int_equal(r.tokens, 2);
	assert_int_equal(r.tokened, 2);
	vals v = {0, 0, 0};
	assert_int_equal(pc_store_campaign_values(st, id, "rcpt", 0, count_value, &v), 0);
	assert_int_equal(v.n, 46);
	assert_int_equal(v.sum, 43 + 15); /* every one given, the empty one not */
	assert_int_equal(v.max, 3);       /* r07: twice in a, once in b */
	memset(&v, 0, sizeof v);
	assert_int_equal(pc_store_campaign_values(st, id, "rcpt", 1, count_value, &v), 0);
	assert_int_equal(v.max, 3);
	memset(&v, 0, sizeof v);
	assert_int_equal(pc_store_campaign_values(st, id, "infra", 0, count_value, &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.sum, 3);
	memset(&v, 0, sizeof v);
	assert_int_equal(pc_store_campaign_values(st, id, "template", 0, count_value, &v), 0);
	assert_int_equal(v.n, 2);
	memset(&v, 0, sizeof v);
	assert_int_equal(pc_store_campaign_values(st, id, "sender", 0, count_value, &v), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.sum, 2);
	pc_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test_setup_teardown(test_counts_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_sync_idle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_checkpoint, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_private_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nodes_one_campaign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_member_values, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
