/*
 * Unit tests for detect/lib/ac (Aho-Corasick) and detect/lib/leak (the recipient's
 * identity in every encoding), and detect/lib/trackerlist (list formats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "detect/lib/ac.h"
#include "detect/lib/leak.h"
#include "detect/lib/trackerlist.h"

typedef struct hits {
	unsigned id[16];
	size_t end[16];
	size_t n;
} hits;

static bool collect(void *ctx, unsigned id, size_t end)
{
	hits *h = ctx;
	if (h->n < 16) {
		h->id[h->n] = id;
		h->end[h->n] = end;
		h->n++;
	}
	return true;
}

static void ac_overlapping(void **state)
{
	(void)state;
	pc_ac *ac = pc_ac_new();
	assert_non_null(ac);
	assert_int_equal(pc_ac_add(ac, "he", 2, 0), 0);
	assert_int_equal(pc_ac_add(ac, "she", 3, 1), 0);
	assert_int_equal(pc_ac_add(ac, "his", 3, 2), 0);
	assert_int_equal(pc_ac_add(ac, "hers", 4, 3), 0);
	assert_int_equal(pc_ac_build(ac), 0);
	hits h = {0};
	pc_ac_match(ac, "uSHErs", 6, collect, &h); /* case-insensitive */
	assert_int_equal(h.n, 3);                  /* she, he (both end at 4), hers */
	bool she = false, he = false, hers = false;
	for (size_t i = 0; i < h.n; i++) {
		she |= h.id[i] == 1 && h.end[i] == 4;
		he |= h.id[i] == 0 && h.end[i] == 4;
		hers |= h.id[i] == 3 && h.end[i] == 6;
	}
	assert_true(she && he && hers);
	/* reuse after reset */
	pc_ac_reset(ac);
	assert_int_equal(pc_ac_add(ac, "abc", 3, 7), 0);
	assert_int_equal(pc_ac_build(ac), 0);
	h.n = 0;
	pc_ac_match(ac, "xxabcabc", 8, collect, &h);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.id[0], 7);
	h.n = 0;
	pc_ac_match(ac, "she", 3, collect, &h);
	assert_int_equal(h.n, 0);
	pc_ac_free(ac);
}

static void ac_empty(void **state)
{
	(void)state;
	pc_ac *ac = pc_ac_new();
	assert_int_equal(pc_ac_build(ac), 0);
	hits h = {0};
	pc_ac_match(ac, "anything", 8, collect, &h);
	assert_int_equal(h.n, 0);
	assert_int_equal(pc_ac_add(ac, "", 0, 1), -1);
	pc_ac_free(ac);
}

static const char *ADDR = "Jane.Doe@example.org";

static pc_leak *prepared(void)
{
	pc_leak *lk = pc_leak_new();
	assert_non_null(lk);
	const char *ids[] = {ADDR};
	assert_true(pc_leak_prepare(lk, ids, 1) > 100);
	return lk;
}

static void expect(pc_leak *lk, const char *s, const char *encoding, const char *form_prefix)
{
	pc_leak_hit h;
	if (!pc_leak_find(lk, s, strlen(s), &h))
		fail_msg("no leak found in \"%s\" (expected %s)", s, encoding);
	if (strcmp(h.encoding, encoding))
		fail_msg("\"%s\": expected %s, got %s", s, encoding, h.encoding);
	if (strncmp(h.form, form_prefix, strlen(form_prefix)))
		fail_msg("\"%s\": expected form %s, got %s", s, form_prefix, h.form);
	assert_string_equal(h.identity, ADDR);
}

static void hexs(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void leak_encodings(void **state)
{
	(void)state;
	pc_leak *lk = prepared();
	expect(lk, "/o?e=Jane.Doe@example.org&x=1", "plain", "address");
	expect(lk, "/o?e=jane.doe@EXAMPLE.ORG", "plain", "address");
	expect(lk, "/o?e=Jane.Doe%40example.org", "urlenc", "address");
	expect(lk, "/o?e=SmFuZS5Eb2VAZXhhbXBsZS5vcmc=", "b64", "address as written");
	expect(lk, "/o?e=amFuZS5kb2VAZXhhbXBsZS5vcmc", "b64", "address in lower case");
	expect(lk, "/o/4a616e652e446f65406578616d706c652e6f7267", "hex", "address as written");
	expect(lk, "/o/4A616E652E446F65406578616D706C652E6F7267", "hex", "address as written");
	expect(lk, "/u/Jane.Doe/p.gif", "plain", "local part");
	/* digests of the lower-case address, as hex and base64 */
	const char *lower = "jane.doe@example.org";
	static const char *const algos[] = {"MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
	static const char *const names[] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"};
	for (size_t a = 0; a < 6; a++) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned dl = 0;
		EVP_MD *md = EVP_MD_fetch(NULL, algos[a], NULL);
		assert_non_null(md);
		assert_true(EVP_Digest(lower, strlen(lower), d, &dl, md, NULL));
		EVP_MD_free(md);
		char hx[2 * EVP_MAX_MD_SIZE + 1], url[300];
		hexs(d, dl, hx);
		snprintf(url, sizeof url, "https://t.example/p?h=%s", hx);
		expect(lk, url, names[a], "address in lower case");
		unsigned char b64[200];
		int bl = EVP_EncodeBlock(b64, d, (int)dl);
		assert_true(bl > 0);
		snprintf(url, sizeof url, "https://t.example/p?h=%s", (char *)b64);
		expect(lk, url, names[a], "address in lower case");
	}
	pc_leak_free(lk);
}

static void leak_no_false_hits(void **state)
{
	(void)state;
	pc_leak *lk = prepared();
	pc_leak_hit h;
	const char *clean[] = {"https://example.org/news/2024/story.html",
	                       "/o?e=john.doe@example.org",
	                       "/img/5d41402abc4b2a76b9719d911017c592.png",
	                       "/u/janexdoe/",   /* not the local part */
	                       "/u/Jane.Doesn/", /* a longer word */
	                       ""};
	for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++)
		if (pc_leak_find(lk, clean[i], strlen(clean[i]), &h))
			fail_msg("false leak in \"%s\": %s (%s)", clean[i], h.encoding, h.form);
	pc_leak_free(lk);
}

static void leak_short_local_part(void **state)
{
	(void)state;
	pc_leak *lk = pc_leak_new();
	const char *ids[] = {"bob@example.org"};
	assert_true(pc_leak_prepare(lk, ids, 1) > 0);
	pc_leak_hit h;
	/* "bob" alone is too common to mean the recipient */
	assert_false(pc_leak_find(lk, "/bob/x", 6, &h));
	assert_true(pc_leak_find(lk, "/x?e=bob@example.org", 20, &h));
	/* the same set again is cached; a different set replaces it */
	assert_true(pc_leak_prepare(lk, ids, 1) > 0);
	const char *ids2[] = {"carol@example.net"};
	assert_true(pc_leak_prepare(lk, ids2, 1) > 0);
	assert_false(pc_leak_find(lk, "/x?e=bob@example.org", 20, &h));
	assert_int_equal(pc_leak_prepare(lk, NULL, 0), 0);
	assert_false(pc_leak_find(lk, "/x?e=carol@example.net", 22, &h));
	pc_leak_free(lk);
}

static void list_formats(void **state)
{
	(void)state;
	char path[] = "/tmp/pc-listXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\n"
	      "[Adblock Plus 2.0]\n"
	      "! comment\n"
	      "plain.example\n"
	      "0.0.0.0 hosts.example other.example\n"
	      "127.0.0.1 localhost\n"
	      "||adblock.example^\n"
	      "||opts.example^$third-party,image\n"
	      "||path.example/track/*\n"
	      "@@||allowed.example^\n"
	      "example.com##.banner\n"
	      "not a host\n",
	      f);
	fclose(f);
	pc_trackerlist *tl = pc_trackerlist_new();
	size_t skipped = 0;
	char err[256];
	long n = pc_trackerlist_load(tl, path, &skipped, err, sizeof err);
	unlink(path);
	assert_int_equal(n, 4); /* plain, hosts (one line), adblock, opts */
	assert_int_equal(pc_trackerlist_size(tl), 5);
	assert_true(skipped >= 4);
	assert_non_null(pc_trackerlist_match(tl, "plain.example"));
	assert_non_null(pc_trackerlist_match(tl, "a.b.plain.example")); /* subdomains */
	assert_non_null(pc_trackerlist_match(tl, "other.example"));
	assert_non_null(pc_trackerlist_match(tl, "opts.example"));
	assert_null(pc_trackerlist_match(tl, "path.example"));
	assert_null(pc_trackerlist_match(tl, "allowed.example"));
	assert_null(pc_trackerlist_match(tl, "example"));
	assert_null(pc_trackerlist_match(tl, "xplain.example"));
	assert_true(pc_trackerlist_load(tl, "/nonexistent/list.txt", NULL, err, sizeof err) < 0);
	assert_non_null(strstr(err, "/nonexistent/list.txt"));
	pc_trackerlist_free(tl);
}

/* Suffix matching: the longest listed suffix wins, never a bare TLD, and
 * a host of 500,000 labels costs one pass (issue 13). */
static void list_match_suffixes(void **state)
{
	(void)state;
	pc_trackerlist *tl = pc_trackerlist_new();
	assert_int_equal(pc_trackerlist_add(tl, "t.example", "short"), 0);
	assert_int_equal(pc_trackerlist_add(tl, "deep.t.example", "long"), 0);
	assert_int_equal(pc_trackerlist_add(tl, "Upper.Example", "upper"), 0);
	assert_int_equal(pc_trackerlist_add(tl, "com", "tld"), -1); /* not a host name */
	assert_string_equal(pc_trackerlist_match(tl, "t.example"), "short");
	assert_string_equal(pc_trackerlist_match(tl, "x.t.example"), "short");
	assert_string_equal(pc_trackerlist_match(tl, "deep.t.example"), "long");
	assert_string_equal(pc_trackerlist_match(tl, "a.deep.t.example"), "long");
	assert_string_equal(pc_trackerlist_match(tl, "a..t.example"), "short");
	assert_string_equal(pc_trackerlist_match(tl, "upper.example"), "upper");
	assert_null(pc_trackerlist_match(tl, "xt.example"));
	assert_null(pc_trackerlist_match(tl, "t.example.org"));
	assert_null(pc_trackerlist_match(tl, "example"));
	assert_null(pc_trackerlist_match(tl, ""));
	assert_null(pc_trackerlist_match(tl, "t.example."));
	size_t labels = 500000;
	char *h = malloc(2 * labels + 10);
	assert_non_null(h);
	for (size_t i = 0; i < labels; i++)
		memcpy(h + 2 * i, "a.", 2);
	memcpy(h + 2 * labels, "t.example", 10);
	clock_t t0 = clock();
	for (int i = 0; i < 20; i++)
		assert_string_equal(pc_trackerlist_match(tl, h), "short");
	/* a suffix walk that rehashes would take minutes */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	free(h);
	pc_trackerlist_free(tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ac_overlapping),        cmocka_unit_test(ac_empty),
	    cmocka_unit_test(leak_encodings),        cmocka_unit_test(leak_no_false_hits),
	    cmocka_unit_test(leak_short_local_part), cmocka_unit_test(list_formats),
	    cmocka_unit_test(list_match_suffixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
