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
                           "domains = scmp.com\n"
                           "[person]\n"
                           "name = Hannah Reyes\n"
                           "addresses = hannah.reyes@dailyledger.example\n"
                           "domains = dailyledger.example\n"
                           "[person]\n"
                           "name = Mohammed Al-Rashid\n"
                           "name = \xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xa7\xd9\x84\xd8\xb1\xd8\xa7\xd8\xb4\xd8\xaf\n"
                           "domains = reuters.com\n";

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

/* The display-name finding for a From header, or NULL. */
static const pc_finding *dn(const char *from)
{
	const pc_msg *m = scan(from, NULL);
	return find(m, "impersonation.display-name", NULL, NULL);
}

/* RFC 2047 B-encoding of a UTF-8 name, as a From header on addr. */
static const char *from_b(const char *name, const char *addr)
{
	static char h[1024];
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(name), o = 0;
	o += (size_t)snprintf(h, sizeof h, "From: =?utf-8?B?");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)name[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)name[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)name[i + 2];
		h[o++] = b64[v >> 18 & 63];
		h[o++] = b64[v >> 12 & 63];
		h[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		h[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	snprintf(h + o, sizeof h - o, "?= <%s>\n", addr);
	return h;
}

#define ARABIC "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xa7\xd9\x84\xd8\xb1\xd8\xa7\xd8\xb4\xd8\xaf"
#define ARABIC_REV "\xd8\xaf\xd8\xb4\xd8\xa7\xd8\xb1\xd9\x84\xd8\xa7 \xd8\xaf\xd9\x85\xd8\xad\xd9\x85"

static void test_display_name_bidi(void **state)
{
	(void)state;
	/* issue 15's header, exactly: shows as "Hannah Reyes" */
	const pc_msg *m = scan("From: =?utf-8?B?4oCuc2V5ZVIgaGFubmFI?= <x@gmail.com>\n", NULL);
	const pc_finding *f = find(m, "impersonation.display-name", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 8);
	assert_string_equal(ev(f, "person"), "Hannah Reyes");
	assert_string_equal(ev(f, "shown"), "Hannah Reyes");
	assert_string_equal(ev(f, "bidi_controls"), "U+202E at 0");
	f = find(m, "impersonation.bidi-name", NULL, NULL);
	assert_non_null(f);
	assert_true(f->score == 3);
	assert_string_equal(ev(f, "shown"), "Hannah Reyes");
	assert_string_equal(ev(f, "header"), "from");
	/* RLO closed by PDF, reversed only partly, LRO around RLO, an isolate
	 * around an override, an embedding (no reversal) */
	static const char *const rlo[] = {"\xe2\x80\xaeseyeR hannaH\xe2\x80\xac",
	                                  "Hannah \xe2\x80\xaeseyeR",
	                                  "Hannah \xe2\x80\xaeseyeR\xe2\x80\xac",
	                                  "\xe2\x80\xad\xe2\x80\xaeseyeR hannaH\xe2\x80\xac\xe2\x80\xac",
	                                  "\xe2\x81\xa7\xe2\x80\xaeseyeR hannaH\xe2\x80\xac\xe2\x81\xa9",
	                                  "\xe2\x80\xabHannah Reyes\xe2\x80\xac",
	                                  "\xe2\x80\x8fHannah\xe2\x80\x8b Re\xc2\xadyes\xe2\x80\x8f",
	                                  NULL};
	for (size_t i = 0; rlo[i]; i++) {
		f = dn(from_b(rlo[i], "x@gmail.com"));
		assert_non_null(f);
		assert_string_equal(ev(f, "person"), "Hannah Reyes");
		assert_non_null(ev(f, "bidi_controls"));
	}
	/* her own address, written backwards: hers */
	assert_null(dn(from_b("\xe2\x80\xaeseyeR hannaH", "hannah.reyes@dailyledger.example")));
	/* backwards without an override is shown backwards: not her name */
	assert_null(dn(from_b("seyeR hannaH", "x@gmail.com")));
	/* Reply-To and Sender names are shown the same way */
	m = scan("From: a@unrelated.example\nReply-To: =?utf-8?B?4oCuc2V5ZVIgaGFubmFI?= <r@gmail.com>\n", NULL);
	assert_non_null(find(m, "impersonation.display-name", "header", "reply-to"));
	assert_non_null(find(m, "impersonation.bidi-name", "header", "reply-to"));
	/* a reversed address in the name is read as the address */
	m = scan(from_b("\xe2\x80\xaemoc.elpmaxe@oec", "x@gmail.com"), NULL);
	f = find(m, "impersonation.name-address", NULL, NULL);
	assert_non_null(f);
	assert_string_equal(ev(f, "named_domain"), "example.com");
	/* a plain name: no bidi finding */
	m = scan("From: Someone Else <x@gmail.com>\n", NULL);
	assert_null(find(m, "impersonation.bidi-name", NULL, NULL));
}

static void test_display_name_rtl(void **state)
{
	(void)state;
	/* the genuine Arabic name on freemail, with and without marks */
	const pc_finding *f = dn(from_b(ARABIC, "m@gmail.com"));
	assert_non_null(f);
	assert_string_equal(ev(f, "person"), "Mohammed Al-Rashid");
	assert_null(ev(f, "shown")); /* nothing reordered */
	f = dn(from_b("\xe2\x80\x8f" ARABIC "\xe2\x80\x8f", "m@gmail.com"));
	assert_non_null(f);
	assert_string_equal(ev(f, "bidi_controls"), "U+200F at 0, U+200F at 12");
	const pc_msg *m = scan(from_b("\xe2\x80\x8f" ARABIC "\xe2\x80\x8f", "m@gmail.com"), NULL);
	assert_null(find(m, "impersonation.bidi-name", NULL, NULL)); /* marks that reorder nothing */
	/* written backwards behind LRO: shown as the name */
	m = scan(from_b("\xe2\x80\xad" ARABIC_REV "\xe2\x80\xac", "m@gmail.com"), NULL);
	assert_non_null(find(m, "impersonation.display-name", "person", "Mohammed Al-Rashid"));
	assert_non_null(find(m, "impersonation.bidi-name", NULL, NULL));
	/* on his own domain, with or without marks: his */
	assert_null(dn(from_b(ARABIC, "m@reuters.com")));
	assert_null(dn(from_b("\xe2\x80\x8f" ARABIC "\xe2\x80\x8f", "m@reuters.com")));
	/* backwards without an override: another string */
	assert_null(dn(from_b(ARABIC_REV, "m@gmail.com")));
}

static void test_display_name_forms(void **state)
{
	(void)state;
	static const struct {
		const char *from, *form;
	} pos[] = {{"From: \"Hannah Reyes on behalf of Ledger\" <x@gmail.com>\n", "on behalf of"},
	           {"From: \"On Behalf Of Hannah Reyes\" <x@gmail.com>\n", "on behalf of"},
	           {"From: \"Hannah Reyes on behalf of The Daily Ledger Newsroom\" <x@gmail.com>\n", "on behalf of"},
	           {"From: \"Hannah Reyes VIA The Daily Ledger Newsroom\" <x@gmail.com>\n", "via"},
	           {"From: \"Hannah Reyes via Ledger\" <x@gmail.com>\n", "via"},
	           {"From: \"The Daily Ledger Newsroom for Hannah Reyes\" <x@gmail.com>\n", "for"},
	           {"From: \"Hannah Reyes | Ledger\" <x@gmail.com>\n", "|"},
	           {"From: \"Hannah Reyes - The Daily Ledger Newsroom\" <x@gmail.com>\n", "-"},
	           {"From: \"Hannah Reyes c/o The Daily Ledger Newsroom\" <x@gmail.com>\n", "c/o"},
	           /* Cyrillic а in "behalf": the form still cut */
	           {"From: \"Hannah Reyes on beh\xd0\xb0lf of The Daily Ledger\" <x@gmail.com>\n", "on behalf of"},
	           {NULL, NULL}};
	for (size_t i = 0; pos[i].from; i++) {
		const pc_finding *f = dn(pos[i].from);
		if (!f)
			fail_msg("no finding for %s", pos[i].from);
		assert_string_equal(ev(f, "person"), "Hannah Reyes");
		assert_non_null(ev(f, "matched_part"));
		assert_string_equal(ev(f, "form"), pos[i].form);
	}
	/* "X (via Y)": the comment goes, the name is whole */
	assert_non_null(dn("From: \"Hannah Reyes (via Ledger)\" <x@gmail.com>\n"));
	/* from her own address, any form is hers */
	assert_null(dn("From: \"Hannah Reyes on behalf of Ledger\" <hannah.reyes@dailyledger.example>\n"));
	/* other people whose names hold her first name or surname, and forms
	 * with no protected name */
	static const char *const neg[] = {"From: \"Hannah Smith via Ledger\" <x@gmail.com>\n",
	                                  "From: \"Hannah Smith on behalf of The Daily Ledger\" <x@gmail.com>\n",
	                                  "From: \"Hannah Reyesdottir\" <x@gmail.com>\n",
	                                  "From: \"Hannah-Reyes Foundation for Children\" <x@gmail.com>\n",
	                                  "From: \"Newsletter via Ledger\" <x@gmail.com>\n",
	                                  "From: \"Hannah Montana for President\" <x@gmail.com>\n",
	                                  "From: \"Reyes Plumbing for Hannah\" <x@gmail.com>\n",
	                                  "From: \"Hannah on behalf of Reyes Plumbing Services\" <x@gmail.com>\n",
	                                  NULL};
	for (size_t i = 0; neg[i]; i++)
		if (dn(neg[i]))
			fail_msg("finding for %s", neg[i]);
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
	/* own + 4 protected + scmp.com + dailyledger.example; theguardian.com
	 * and gmail.com from addresses, reuters.com of a person, come once each */
	assert_int_equal(pc_protect_npeople(p), 5);
	const pc_protected_person *jd = pc_protect_person(p, 1);
	assert_string_equal(jd->variants[0], "jane doe");
	assert_int_equal(jd->ndomains, 2);
	assert_int_equal(pc_protect_ndomains(p), 8);
	pc_protect_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_display_name_freemail), cmocka_unit_test(test_display_name_lookalike_and_unrelated),
	    cmocka_unit_test(test_display_name_legit),    cmocka_unit_test(test_name_address),
	    cmocka_unit_test(test_multiple_from),         cmocka_unit_test(test_exact_domain),
	    cmocka_unit_test(test_display_name_bidi),     cmocka_unit_test(test_display_name_rtl),
	    cmocka_unit_test(test_display_name_forms),    cmocka_unit_test(test_lookalike_where),
	    cmocka_unit_test(test_lookalike_never_own),   cmocka_unit_test(test_divergence),
	    cmocka_unit_test(test_freemail_list),         cmocka_unit_test(test_protect),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
