/*
 * Unit tests for the impersonation, lookalike and divergence detectors
 * through pc_scan, with people and domains from a config file, and for
 * pc_protect and the freemail list loader.
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

#include "core/config.h"
#include "core/msg.h"
#include "detect/detect.h"
#include "detect/lib/protect.h"
#include "detect/lib/trackerlist.h"
#include "pipeline/pipeline.h"

void pc_detect_impersonation(pc_detect_ctx *ctx, pc_msg *m);

static pc_config cfg;
static pc_scanner *sc;
static pc_trackerlist *fm;
static char buf[16384];

static const char conf[] = "[organisation]\n"
                           "domains = example-org.org\n"
                           "[protected]\n"
                           "domains = bbc.co.uk, theguardian.com, nytimes.com, reuters.com\n"
                           "[person]\n"
                           "name = John Smith\n"
                           "name = Smith, John\n"
                           "addresses = john.smith@bbc.co.uk\n"
                           "domains = bbc.co.uk\n"
                           "[person]\n"
                           "name = Jane Doe\n"
                           "addresses = jane.doe@theguardian.com, janedoe.writes@gmail.com\n"
                           "[person]\n"
                           "name = 王伟\n"
                           "name = Wang Wei\n"
                           "domains = scmp.com\n";

static int setup(void **state)
{
	(void)state;
	char path[] = "/tmp/pc-test-impersonation-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, conf, sizeof conf - 1) != (ssize_t)(sizeof conf - 1))
		return -1;
	close(fd);
	char err[512];
	pc_pipeline_global_init();
	pc_config_defaults(&cfg);
	int rc = pc_config_load(&cfg, path, err, sizeof err);
	unlink(path);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	fm = pc_trackerlist_freemail_from_config(&cfg, err, sizeof err);
	sc = pc_scanner_new(&cfg);
	if (!sc || !fm)
		return -1;
	pc_scanner_set_freemail(sc, fm);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pc_scanner_free(sc);
	pc_trackerlist_free(fm);
	pc_config_free(&cfg);
	return 0;
}

static const pc_msg *scan(const char *headers, const char *html)
{
	snprintf(buf, sizeof buf, "%sTo: victim@example-org.org\nSubject: s\nContent-Type: text/html\n\n%s\n", headers,
	         html ? html : "<p>hello</p>");
	const pc_msg *m = pc_scan(sc, buf, strlen(buf), "t.eml", NULL, 0);
	assert_non_null(m);
	return m;
}

static size_t count(const pc_msg *m, const char *detector)
{
	size_t n = 0;
	for (size_t i = 0; i < m->findings.n; i++)
		n += !strcmp(((const pc_finding *)m->findings.v[i])->detector, detector);
	return n;
}

static const char *ev(const pc_finding *f, const char *key)
{
	for (const pc_kv *k = f->evidence; k; k = k->next)
		if (!strcmp(k->key, key))
			return k->value;
	return NULL;
}

/* The finding of detector whose evidence key has value (NULL: any). */
static const pc_finding *find(const pc_msg *m, const char *detector, const char *key, const char *value)
{
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		if (strcmp(f->detector, detector))
			continue;
		if (!key || (ev(f, key) && !strcmp(ev(f, key), value)))
			return f;
	}
	return NULL;
}

static void test_display_name_freemail(void **state)
{
	(void)state;
	const pc_msg *m = scan("From: \"John Smith\" <john.smith.bbc@gmail.com>\n", NULL);
	const pc_finding *f = find(m, "impersonation.display-name", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 8);
	assert_string_equal(ev(f, "why"), "freemail");
	assert_string_equal(ev(f, "person"), "John Smith");
	/* the reversed and Cyrillic forms too */
	m = scan("From: \"Smith, J\xd0\xbehn\" <x@gmail.com>\n", NULL);
	assert_non_null(find(m, "impersonation.display-name", "why", "freemail"));
	/* Chinese variant */
	m = scan("From: =?UTF-8?B?546L5Lyf?= <wang@163.com>\n", NULL);
	f = find(m, "impersonation.display-name", NULL, NULL);
	assert_non_null(f);
	assert_string_equal(ev(f, "variant"), "王伟");
}

static void test_display_name_lookalike_and_unrelated(void **state)
{
	(void)state;
	const pc_msg *m = scan("From: Jane Doe <jane.doe@theguardian-news.com>\n", NULL);
	const pc_finding *f = find(m, "impersonation.display-name", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 10);
	assert_non_null(strstr(ev(f, "why"), "theguardian.com"));
	m = scan("From: Jane Doe <jd@unrelated.example>\n", NULL);
	f = find(m, "impersonation.display-name", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 6);
	/* Reply-To names count too */
	m = scan("From: a@unrelated.example\nReply-To: \"Jane Doe\" <jd@gmail.com>\n", NULL);
	assert_non_null(find(m, "impersonation.display-name", "header", "reply-to"));
	/* the organisation after a separator, and "Last, First" before it */
	m = scan("From: \"Doe, Jane | The Guardian Weekly Edition\" <jd@unrelated.example>\n", NULL);
	f = find(m, "impersonation.display-name", NULL, NULL);
	assert_non_null(f);
	assert_string_equal(ev(f, "matched_part"), "Doe, Jane");
	m = scan("From: \"The Guardian Weekly Edition - Jane Doe\" <jd@unrelated.example>\n", NULL);
	assert_non_null(find(m, "impersonation.display-name", NULL, NULL));
	m = scan("From: \"Jane Doe-Whitaker\" <jd@unrelated.example>\n", NULL);
	assert_null(find(m, "impersonation.display-name", NULL, NULL));
}

static void test_display_name_legit(void **state)
{
	(void)state;
	assert_int_equal(
	    count(scan("From: \"Smith, John\" <john.smith@bbc.co.uk>\n", NULL), "impersonation.display-name"), 0);
	assert_int_equal(count(scan("From: John Smith <js@news.bbc.co.uk>\n", NULL), "impersonation.display-name"), 0);
	/* her own freemail address is hers; other gmail addresses are not */
	assert_int_equal(count(scan("From: Jane Doe <JaneDoe.Writes@gmail.com>\n", NULL), "impersonation.display-name"),
	                 0);
	assert_int_equal(count(scan("From: Jane Doe <jane.doe@gmail.com>\n", NULL), "impersonation.display-name"), 1);
	/* other names */
	assert_int_equal(count(scan("From: Jane Dough <x@gmail.com>\n", NULL), "impersonation.display-name"), 0);
	assert_int_equal(count(scan("From: John Smithers-Jones <x@gmail.com>\n", NULL), "impersonation.display-name"),
	                 0);
}

static void test_name_address(void **state)
{
	(void)state;
	const pc_msg *m = scan("From: \"test@example.com\" <test1@gmail.com>\n", NULL);
	const pc_finding *f = find(m, "impersonation.name-address", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 4);
	assert_string_equal(ev(f, "named_domain"), "example.com");
	m = scan("From: \"news@bbc.co.uk\" <x@mailer.example>\n", NULL);
	f = find(m, "impersonation.name-address", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 6);
	/* a brand's domain in the name, mail from its mass-mailer: weak */
	m = scan("From: \"CNET News.com Daily\" <x@newsletter.online.example>\n", NULL);
	f = find(m, "impersonation.name-address", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 2);
	assert_string_equal(ev(f, "form"), "domain");
	/* a whole "Name <address>" inside the name */
	m = scan("From: \"Doe, John <ceo@example.com>\" <attacker@example.net>\n", NULL);
	f = find(m, "impersonation.name-address", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 4);
	/* an address inside longer text: a forwarder naming the original sender */
	m = scan("From: \"Newsletter news@site.com [via fwd]\" <t1@forwarder.net>\n", NULL);
	f = find(m, "impersonation.name-address", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 3);
	/* the sender's own domain in the name is fine */
	assert_int_equal(count(scan("From: \"Amazon.com\" <ship@amazon.com>\n", NULL), "impersonation.name-address"),
	                 0);
	assert_int_equal(
	    count(scan("From: \"Craig R.Hughes\" <craig@x.example>\n", NULL), "impersonation.name-address"), 0);
}

static void test_multiple_from(void **state)
{
	(void)state;
	assert_int_equal(count(scan("From: a@x.example, b@y.example\n", NULL), "header.multiple-from"), 1);
	assert_int_equal(
	    count(scan("From: a@x.example, b@y.example\nSender: a@x.example\n", NULL), "header.multiple-from"), 0);
	assert_int_equal(count(scan("From: a@x.example\n", NULL), "header.multiple-from"), 0);
}

static void test_exact_domain(void **state)
{
	(void)state;
	pc_msg *m = (pc_msg *)scan("From: editor@bbc.co.uk\n", NULL);
	assert_int_equal(count(m, "impersonation.exact-domain"), 0);
	pc_auth *au = pc_arena_calloc(m->arena, 1, sizeof *au);
	assert_non_null(au);
	au->method = "dmarc";
	au->result = PC_AUTH_FAIL;
	au->domain = "bbc.co.uk";
	pc_vec_push(m->arena, &m->auth, au);
	pc_protect *p = pc_protect_new(&cfg);
	assert_non_null(p);
	pc_detect_ctx ctx = {.config = &cfg, .protect = p, .freemail = fm};
	pc_detect_impersonation(&ctx, m);
	const pc_finding *f = find(m, "impersonation.exact-domain", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 8);
	/* a pass is no finding; nor is a failure on an unrelated domain */
	m = (pc_msg *)scan("From: editor@unrelated.example\n", NULL);
	pc_vec_push(m->arena, &m->auth, au);
	pc_detect_impersonation(&ctx, m);
	assert_int_equal(count(m, "impersonation.exact-domain"), 0);
	m = (pc_msg *)scan("From: editor@bbc.co.uk\n", NULL);
	au->result = PC_AUTH_PASS;
	pc_vec_push(m->arena, &m->auth, au);
	pc_detect_impersonation(&ctx, m);
	assert_int_equal(count(m, "impersonation.exact-domain"), 0);
	pc_protect_free(p);
}

static void test_lookalike_where(void **state)
{
	(void)state;
	const pc_msg *m =
	    scan("From: a@xn--bb-pmc.co.uk\nReply-To: b@bbc-news.com\nReturn-Path: <c@bbc.co.uk.evil.example>\n"
	         "DKIM-Signature: v=1; a=rsa-sha256;\n d = theguardian-news.com ; s=x; b=abc\n",
	         "<a href=\"https://www.nytirnes.com/x\">x</a><a href=\"https://www.bbc.co.uk/\">b</a>"
	         "<a href=\"https://example-org.org/\">o</a><a href=\"https://mail.example-org.org/\">o</a>");
	const pc_finding *f = find(m, "impersonation.lookalike", "where", "from");
	assert_non_null(f);
	assert_string_equal(ev(f, "transformation"), "idn-homoglyph");
	assert_true(f->score == 6);
	f = find(m, "impersonation.lookalike", "where", "reply-to");
	assert_non_null(f);
	assert_string_equal(ev(f, "transformation"), "added-word");
	assert_true(f->score == 5);
	f = find(m, "impersonation.lookalike", "where", "return-path");
	assert_non_null(f);
	assert_string_equal(ev(f, "transformation"), "subdomain-trick");
	f = find(m, "impersonation.lookalike", "where", "dkim");
	assert_non_null(f);
	assert_string_equal(ev(f, "imitated"), "theguardian.com");
	f = find(m, "impersonation.lookalike", "where", "link");
	assert_non_null(f);
	assert_string_equal(ev(f, "transformation"), "confusable-skeleton");
	assert_true(f->score == 2);
	assert_int_equal(count(m, "impersonation.lookalike"), 5); /* not bbc.co.uk, not the own domain */
	/* mixed script without a protected original */
	m = scan("From: a@xn--pypal-4ve.com\n", NULL); /* pаypal: Cyrillic а */
	f = find(m, "impersonation.lookalike", "where", "from");
	assert_non_null(f);
	assert_string_equal(ev(f, "transformation"), "mixed-script");
}

static void test_lookalike_never_own(void **state)
{
	(void)state;
	const pc_msg *m =
	    scan("From: a@example-org.org\nReply-To: b@mail.example-org.org\nReturn-Path: <x@bounce.bbc.co.uk>\n",
	         "<a href=\"https://www.example-org.org/\">a</a><a href=\"https://news.bbc.co.uk/\">b</a>"
	         "<a href=\"https://www.theguardian.com/\">c</a><a href=\"https://example.com/\">d</a>");
	assert_int_equal(count(m, "impersonation.lookalike"), 0);
	assert_int_equal(count(m, "impersonation.display-name"), 0);
}

static void test_divergence(void **state)
{
	(void)state;
	const pc_msg *m =
	    scan("From: a@shop.example\nReply-To: b@gmail.com\nReturn-Path: <bounce@esp.example>\n", NULL);
	const pc_finding *f = find(m, "header.divergence", "header", "reply-to");
	assert_non_null(f);
	assert_true(f->score == 4);
	f = find(m, "header.divergence", "header", "return-path");
	assert_non_null(f);
	assert_true(f->score == 0.5);
	m = scan("From: a@shop.example\nReply-To: b@other.example\nSender: list@lists.example\n", NULL);
	assert_true(find(m, "header.divergence", "header", "reply-to")->score == 1);
	assert_true(find(m, "header.divergence", "header", "sender")->score == 0.5);
	m = scan("From: a@shop.example\nReply-To: b@reuters-online.com\n", NULL);
	assert_true(find(m, "header.divergence", "header", "reply-to")->score == 5);
	m = scan("From: a@shop.example\nReply-To: b@xn--pypal-4ve.com\n", NULL); /* mixed scripts */
	assert_true(find(m, "header.divergence", "header", "reply-to")->score == 5);
	/* the same registrable domain does not diverge */
	m = scan("From: a@shop.example\nReply-To: b@mail.shop.example\nReturn-Path: <c@bounce.shop.example>\n", NULL);
	assert_int_equal(count(m, "header.divergence"), 0);
	/* freemail to freemail is no signal of its own */
	m = scan("From: a@gmail.com\nReply-To: b@yahoo.com\n", NULL);
	assert_true(find(m, "header.divergence", "header", "reply-to")->score == 1);
}

static void test_freemail_list(void **state)
{
	(void)state;
	assert_true(pc_trackerlist_size(fm) >= 150);
	assert_non_null(pc_trackerlist_match(fm, "gmail.com"));
	assert_non_null(pc_trackerlist_match(fm, "mail.ru"));
	assert_non_null(pc_trackerlist_match(fm, "smtp.qq.com"));
	assert_null(pc_trackerlist_match(fm, "bbc.co.uk"));
	pc_config c2;
	pc_config_defaults(&c2);
	c2.freemail_bundled = 0;
	char err[256];
	pc_trackerlist *none = pc_trackerlist_freemail_from_config(&c2, err, sizeof err);
	assert_non_null(none);
	assert_int_equal(pc_trackerlist_size(none), 0);
	pc_trackerlist_free(none);
	snprintf(c2.freemail_lists, sizeof c2.freemail_lists, "/nonexistent/list.txt");
	assert_null(pc_trackerlist_freemail_from_config(&c2, err, sizeof err));
	pc_config_free(&c2);
}

static void test_protect(void **state)
{
	(void)state;
	pc_protect *p = pc_protect_new(&cfg);
	assert_non_null(p);
	/* own + 4 protected + scmp.com; theguardian.com and gmail.com from
	 * addresses come once each */
	assert_int_equal(pc_protect_npeople(p), 3);
	const pc_protected_person *jd = pc_protect_person(p, 1);
	assert_string_equal(jd->variants[0], "jane doe");
	assert_int_equal(jd->ndomains, 2);
	assert_int_equal(pc_protect_ndomains(p), 7);
	pc_protect_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_display_name_freemail),
	    cmocka_unit_test(test_display_name_lookalike_and_unrelated),
	    cmocka_unit_test(test_display_name_legit),
	    cmocka_unit_test(test_name_address),
	    cmocka_unit_test(test_multiple_from),
	    cmocka_unit_test(test_exact_domain),
	    cmocka_unit_test(test_lookalike_where),
	    cmocka_unit_test(test_lookalike_never_own),
	    cmocka_unit_test(test_divergence),
	    cmocka_unit_test(test_freemail_list),
	    cmocka_unit_test(test_protect),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
