/*
 * Unit tests for detect/lib/names: display-name normalisation and
 * similarity, domains with their skeleton, lookalike transformations
 * (domains in display names: test_domain.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/lib/names.h"

static pc_names *st;
static pc_arena *a;

static int setup(void **state)
{
	(void)state;
	st = pc_names_new();
	a = pc_arena_new(64u << 20);
	return st && a ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pc_names_free(st);
	pc_arena_free(a);
	return 0;
}

static const char *norm(const char *s)
{
	const char *r = pc_names_display(st, a, s, strlen(s));
	assert_non_null(r);
	return r;
}

static double sim(const char *x, const char *y)
{
	return pc_names_similarity(norm(x), norm(y));
}

static void test_display_basic(void **state)
{
	(void)state;
	assert_string_equal(norm("JANE DOE"), "jane doe");
	/* the skeleton is the comparison form: m reads as rn */
	assert_string_equal(norm("John Smith"), "john srnith");
	assert_string_equal(norm("JANE DOE"), norm("jane doe"));
	assert_string_equal(norm("  Jane\t  Doe  "), norm("jane doe"));
	assert_string_equal(norm("\"Jane Doe\""), norm("jane doe"));
	assert_string_equal(norm("Doe, Jane"), norm("jane doe"));
	assert_string_equal(norm("Dr. Jane Doe"), norm("jane doe"));
	assert_string_equal(norm("Mrs Jane Doe (BBC News)"), norm("jane doe"));
	assert_string_equal(norm("José García"), norm("jose garcia"));
	assert_string_equal(norm("Hans Müller"), norm("hans muller"));
	assert_string_equal(norm("Ｊｏｈｎ　Ｓｍｉｔｈ"), norm("john smith")); /* fullwidth: NFKC */
	assert_string_equal(norm("Smith, Jr."), norm("smith jr"));             /* a suffix is no first name */
	assert_string_equal(norm("(John Smith)"), norm("john smith"));         /* nothing outside the comment */
	assert_string_equal(norm("Dr"), norm("dr"));                           /* a title alone stays */
	assert_string_equal(norm(""), "");
	assert_string_equal(norm("!!! ..."), "");
}

static void test_display_homoglyphs(void **state)
{
	(void)state;
	/* Cyrillic о (U+043E) and Greek ο (U+03BF) for the Latin o */
	assert_string_equal(norm("J\xd0\xbehn Smith"), norm("John Smith"));
	assert_string_equal(norm("J\xce\xbfhn Smith"), norm("John Smith"));
	/* a digit zero for the o */
	assert_string_equal(norm("J0hn Smith"), norm("John Smith"));
	/* but a different name stays different */
	assert_string_not_equal(norm("Joan Smith"), norm("John Smith"));
}

static void test_display_scripts(void **state)
{
	(void)state;
	const char *zh = norm("王伟");
	assert_true(strlen(zh) > 0);
	assert_string_equal(zh, norm(" 王伟 "));
	const char *ar = norm("محمد بن سلمان آل سعود");
	assert_true(strlen(ar) > 0);
	assert_non_null(strchr(ar, ' '));
	assert_true(pc_names_similarity(ar, norm("محمد بن سلمان آل سعود")) == 1.0);
	assert_true(pc_names_similarity(ar, norm("John Smith")) < 0.5);
}

static void test_display_hostile(void **state)
{
	(void)state;
	/* invalid UTF-8: no crash, valid output */
	const char bad[] = "J\xff\xfe\xc0\xafohn \xe2\x82 Smith\xf0";
	const char *r = pc_names_display(st, a, bad, sizeof bad - 1);
	assert_non_null(r);
	for (const char *p = r; *p; p++)
		assert_true((unsigned char)*p != 0xff && (unsigned char)*p != 0xfe);
	/* NUL inside */
	r = pc_names_display(st, a, "Jane\0Doe", 8);
	assert_non_null(r);
	/* 10 kB: bounded work, bounded output */
	char *big = malloc(10240);
	assert_non_null(big);
	for (size_t i = 0; i < 10240; i++)
		big[i] = "Ab ,(."[i % 6];
	r = pc_names_display(st, a, big, 10240);
	assert_non_null(r);
	assert_true(strlen(r) <= PC_NAMES_MAX_IN * 4);
	/* U+FDFA grows 18 times under NFKC */
	for (size_t i = 0; i + 3 <= 10240; i += 3)
		memcpy(big + i, "\xef\xb7\xba", 3);
	r = pc_names_display(st, a, big, 10239);
	assert_non_null(r);
	(void)pc_names_similarity(r, r);
	free(big);
}

static void test_similarity(void **state)
{
	(void)state;
	double t = 0.9;
	assert_true(sim("John Smith", "John Smith") == 1.0);
	assert_true(sim("Smith John", "John Smith") >= t);
	assert_true(sim("Smith, John", "John Smith") >= t);
	assert_true(sim("Jane Q. Doe", "Jane Doe") >= t);
	assert_true(sim("JANE DOE", "Jane Doe") >= t);
	assert_true(sim("Jonathan Smithson", "Jonathon Smithson") >= t); /* typo in a long name */
	assert_true(sim("Jane Doe | BBC News", "Jane Doe") >= t);        /* words around the name */
	assert_true(sim("Jane Dough", "Jane Doe") < t);
	assert_true(sim("John Doe", "Jane Doe") < t);
	assert_true(sim("Jane Dae", "Jane Doe") < t); /* a typo in a short name is another name */
	assert_true(sim("Li Wen", "Li Wei") < t);
	assert_true(sim("Jane", "Jane Doe") < t);
	assert_true(sim("Jane Doe's assistant team lead", "Jane Doe") < t);
	assert_true(sim("", "Jane Doe") == 0);
	/* a hyphenated surname is another person; a spaced dash is a separator */
	assert_true(sim("Chen Xiaoming-Smith", "Chen Xiaoming") < t);
	assert_true(sim("Jean-Pierre Dupont", "Jean Pierre Dupont") >= t);
	/* an initial and a long, exact surname; not a short one */
	assert_true(sim("J. Mueller", "Juergen Mueller") >= t);
	assert_true(sim("H. Dubois", "Hélène Dubois") >= t);
	assert_true(sim("K. Mueller", "Juergen Mueller") < t);
	assert_true(sim("L. Wei", "Li Wei") < t);
	assert_true(sim("J. Smith", "John Smith") < t);
	assert_true(pc_names_similarity(NULL, "x") == 0);
}

/* Reverses the code points of a UTF-8 string (the letters of a name as
 * an attacker writes them behind an override). */
static const char *rev(const char *s)
{
	size_t n = strlen(s);
	char *o = pc_arena_alloc(a, n + 1);
	assert_non_null(o);
	size_t w = n;
	for (size_t i = 0; i < n;) {
		size_t l = 1;
		while (i + l < n && ((unsigned char)s[i + l] & 0xc0) == 0x80)
			l++;
		w -= l;
		memcpy(o + w, s + i, l);
		i += l;
	}
	o[n] = '\0';
	return o;
}

static const char *cat3(const char *x, const char *y, const char *z)
{
	const char *r = pc_arena_printf(a, "%s%s%s", x, y, z);
	assert_non_null(r);
	return r;
}

#define RLO "\xe2\x80\xae"
#define LRO "\xe2\x80\xad"
#define RLE "\xe2\x80\xab"
#define PDF "\xe2\x80\xac"
#define RLI "\xe2\x81\xa7"
#define LRI "\xe2\x81\xa6"
#define FSI "\xe2\x81\xa8"
#define PDI "\xe2\x81\xa9"
#define RLM "\xe2\x80\x8f"
#define LRM "\xe2\x80\x8e"
#define ALM "\xd8\x9c"
#define ARABIC "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xa7\xd9\x84\xd8\xb1\xd8\xa7\xd8\xb4\xd8\xaf" /* محمد الراشد */
#define HEBREW "\xd7\x93\xd7\x95\xd7\x93 \xd7\x9b\xd7\x94\xd7\x9f"                                 /* דוד כהן */

static void test_display_bidi(void **state)
{
	(void)state;
	const char *hr = norm("Hannah Reyes");
	/* the header of issue 15: =?utf-8?B?4oCuc2V5ZVIgaGFubmFI?= */
	assert_string_equal(norm(RLO "seyeR hannaH"), hr);
	assert_string_equal(norm(RLO "seyeR hannaH" PDF), hr);
	/* reversed only partly, the override never closed or closed */
	assert_string_equal(norm("Hannah " RLO "seyeR"), hr);
	assert_string_equal(norm("Hannah " RLO "seyeR" PDF), hr);
	assert_string_equal(norm("Han" RLO "hanxx" PDF), norm("Hanxxnah")); /* mid-word */
	/* two overrides with a space between: one right-to-left run, shown
	 * "Reyes Hannah" (UAX #9 N1), which is her name too */
	assert_string_equal(norm(RLO "hannaH" PDF " " RLO "seyeR" PDF), norm("Reyes Hannah"));
	assert_true(pc_names_similarity(norm(RLO "hannaH" PDF " " RLO "seyeR" PDF), hr) >= 0.9);
	/* overrides nested in an embedding and in an isolate */
	assert_string_equal(norm(RLE RLO "seyeR hannaH" PDF PDF), hr);
	assert_string_equal(norm(LRI RLO "seyeR hannaH" PDF PDI), hr);
	/* embeddings, isolates and marks do not turn Latin letters round: the
	 * name reads as written (with the words swapped at most) */
	assert_string_equal(norm(RLE "Hannah Reyes" PDF), hr);
	assert_true(pc_names_similarity(norm(RLI "Reyes Hannah" PDI), hr) >= 0.9);
	assert_true(pc_names_similarity(norm(FSI "Hannah Reyes" PDI), hr) == 1.0);
	assert_string_equal(norm(RLM "Hannah" LRM " " ALM "Reyes" RLM), hr);
	assert_string_not_equal(norm(RLI "seyeR hannaH" PDI), hr); /* shown backwards: not her name */
	/* a genuine right-to-left name matches itself, with and without marks,
	 * and written backwards behind LRO it is shown, and matched, as itself */
	const char *ar = norm(ARABIC);
	assert_true(strlen(ar) > 0);
	assert_string_equal(norm(RLM ARABIC RLM), ar);
	assert_string_equal(norm(RLI ARABIC PDI), ar);
	assert_string_equal(norm(LRO "\xe2\x80\x8e" ARABIC PDF),
	                    norm(LRO ARABIC PDF)); /* marks inside change nothing */
	assert_string_equal(norm(cat3(LRO, rev(ARABIC), PDF)), ar);
	assert_string_not_equal(norm(rev(ARABIC)), ar); /* backwards without the override: shown backwards */
	assert_true(pc_names_similarity(norm(ARABIC), norm(ARABIC)) == 1.0);
	assert_string_equal(norm(cat3(LRO, rev(HEBREW), PDF)), norm(HEBREW));
	/* "Last، First" in Arabic is the same person */
	assert_string_equal(
	    norm("\xd8\xa7\xd9\x84\xd8\xb1\xd8\xa7\xd8\xb4\xd8\xaf\xd8\x8c \xd9\x85\xd8\xad\xd9\x85\xd8\xaf"), ar);
	/* mixed: an Arabic name and a Latin outlet */
	assert_true(pc_names_similarity(norm(ARABIC " | Reuters"), ar) >= 0.9);
}

static void test_display_invisible(void **state)
{
	(void)state;
	const char *hr = norm("Hannah Reyes");
	static const char *const inv[] = {"\xe2\x80\x8b", /* ZWSP */
	                                  "\xe2\x80\x8c", /* ZWNJ */
	                                  "\xe2\x80\x8d", /* ZWJ */
	                                  "\xe2\x81\xa0", /* WJ U+2060 */
	                                  "\xe2\x81\xa1",
	                                  "\xe2\x81\xa2",
	                                  "\xe2\x81\xa3",
	                                  "\xe2\x81\xa4",
	                                  "\xef\xbb\xbf",     /* BOM U+FEFF */
	                                  "\xc2\xad",         /* soft hyphen */
	                                  "\xef\xb8\x8f",     /* VS16 */
	                                  "\xf3\xa0\x81\xa1", /* TAG LATIN SMALL LETTER A U+E0061 */
	                                  "\xcd\x8f",         /* CGJ U+034F */
	                                  "\xe1\xa0\x8e",     /* Mongolian vowel separator */
	                                  NULL};
	for (size_t i = 0; inv[i]; i++) {
		const char *x = pc_arena_printf(a, "H%sannah Rey%ses%s", inv[i], inv[i], inv[i]);
		assert_string_equal(norm(x), hr);
		pc_names_bidi bi;
		const char *sh = pc_names_shown(st, a, x, strlen(x), &bi);
		assert_string_equal(sh, "Hannah Reyes");
		assert_int_equal(bi.ninvisible, 3);
		assert_int_equal(bi.ncontrols, 0);
	}
	/* a Hangul filler is no space, and no letter a reader sees */
	assert_string_equal(norm("Hannah\xe3\x85\xa4 Reyes"), hr);
	/* no-break and other spaces are spaces */
	assert_string_equal(pc_names_shown(st, a, "Hannah\xc2\xa0Reyes", 13, NULL), "Hannah Reyes");
}

static void test_shown(void **state)
{
	(void)state;
	pc_names_bidi bi;
	const char *s = RLO "seyeR hannaH";
	assert_string_equal(pc_names_shown(st, a, s, strlen(s), &bi), "Hannah Reyes");
	assert_int_equal(bi.ncontrols, 1);
	assert_string_equal(bi.controls, "U+202E at 0");
	assert_true(bi.reordered);
	s = "Hannah " RLO "seyeR" PDF;
	assert_string_equal(pc_names_shown(st, a, s, strlen(s), &bi), "Hannah Reyes");
	assert_string_equal(bi.controls, "U+202E at 7, U+202C at 13");
	assert_true(bi.reordered);
	/* marks around a genuine name: reported, but they reorder nothing */
	s = RLM ARABIC RLM;
	(void)pc_names_shown(st, a, s, strlen(s), &bi);
	assert_int_equal(bi.ncontrols, 2);
	assert_false(bi.reordered);
	s = "Pr" LRM LRM "i" LRM "me";
	assert_string_equal(pc_names_shown(st, a, s, strlen(s), &bi), "Prime");
	assert_int_equal(bi.ncontrols, 3);
	assert_false(bi.reordered);
	/* an embedding changes no letter's order */
	s = RLE "Hannah Reyes" PDF;
	assert_string_equal(pc_names_shown(st, a, s, strlen(s), &bi), "Hannah Reyes");
	assert_false(bi.reordered);
	/* nor an isolate (its Latin words stay in order) */
	s = RLI "Reyes Hannah" PDI;
	assert_string_equal(pc_names_shown(st, a, s, strlen(s), &bi), "Reyes Hannah");
	assert_false(bi.reordered);
	/* a mark that makes the space right-to-left swaps the words */
	s = RLM "Reyes" RLM " " RLM "Hannah";
	(void)pc_names_shown(st, a, s, strlen(s), &bi);
	assert_int_equal(bi.ncontrols, 3);
	/* a plain name: nothing */
	assert_string_equal(pc_names_shown(st, a, "Jane Doe", 8, &bi), "Jane Doe");
	assert_int_equal(bi.ncontrols, 0);
	assert_null(bi.controls);
	assert_false(bi.reordered);
	/* many controls: the first few listed */
	s = LRM LRM LRM LRM LRM LRM "x";
	(void)pc_names_shown(st, a, s, strlen(s), &bi);
	assert_int_equal(bi.ncontrols, 6);
	assert_string_equal(bi.controls, "U+200E at 0, U+200E at 1, U+200E at 2, U+200E at 3, ...");
	/* a reversed address */
	s = RLO "moc.elpmaxe@oec";
	assert_string_equal(pc_names_shown(st, a, s, strlen(s), NULL), "ceo@example.com");
	/* the mirrored brackets of a right-to-left override */
	s = RLO "(regdeL) seyeR hannaH";
	assert_string_equal(pc_names_shown(st, a, s, strlen(s), NULL), "Hannah Reyes (Ledger)");
	assert_string_equal(norm(s), norm("Hannah Reyes"));
}

static void test_bidi_hostile(void **state)
{
	(void)state;
	/* deep nesting (past the 125 levels of UAX #9), unmatched terminators,
	 * paragraph separators, all at the input bound */
	char *big = malloc(3 * 400 + 64);
	assert_non_null(big);
	static const char *const units[] = {RLO, RLE, RLI, PDF, PDI, LRO, "\xe2\x80\xa9", "\n", ALM, NULL};
	for (size_t u = 0; units[u]; u++) {
		size_t n = 0;
		for (size_t i = 0; i < 400; i++) {
			memcpy(big + n, i % 3 ? units[u] : "a", i % 3 ? strlen(units[u]) : 1);
			n += i % 3 ? strlen(units[u]) : 1;
		}
		pc_names_bidi bi;
		const char *r = pc_names_shown(st, a, big, n, &bi);
		assert_non_null(r);
		assert_non_null(pc_names_display(st, a, big, n));
		assert_true(strlen(r) <= PC_NAMES_MAX_IN);
	}
	/* a paragraph separator splits the paragraphs; each is shown */
	const char *s = RLO "hannaH"
	                    "\xe2\x80\xa9" RLO "seyeR";
	assert_string_equal(norm(s), norm("Hannah Reyes"));
	free(big);
}

static void parts(const char *name, const char *want_part, const char *want_form)
{
	const char *n = norm(name), *part[PC_NAMES_MAX_PARTS], *form[PC_NAMES_MAX_PARTS];
	size_t k = pc_names_parts(st, a, n, part, form, PC_NAMES_MAX_PARTS);
	if (!want_part) {
		assert_int_equal(k, 0);
		return;
	}
	for (size_t i = 0; i < k; i++)
		if (!strcmp(part[i], norm(want_part))) {
			assert_string_equal(form[i], want_form);
			return;
		}
	fail_msg("%s: no part %s", name, want_part);
}

static void test_parts(void **state)
{
	(void)state;
	parts("Hannah Reyes on behalf of Ledger", "Hannah Reyes", "on behalf of");
	parts("Hannah Reyes on behalf of Ledger", "Ledger", "on behalf of");
	parts("On Behalf Of Hannah Reyes", "Hannah Reyes", "on behalf of");
	parts("HANNAH REYES VIA THE DAILY LEDGER", "Hannah Reyes", "via");
	parts("Ledger for Hannah Reyes", "Hannah Reyes", "for");
	parts("Hannah Reyes from Ledger", "Hannah Reyes", "from");
	parts("Hannah Reyes c/o Ledger", "Hannah Reyes", "c/o");
	parts("Hannah Reyes (Ledger) sent by Mailer", "Hannah Reyes", "sent by");
	/* look-alike letters in the connective: Cyrillic а in "behalf" */
	parts("Hannah Reyes on beh\xd0\xb0lf of Ledger", "Hannah Reyes", "on behalf of");
	/* no connective, or nothing around it */
	parts("Hannah Reyes", NULL, NULL);
	parts("Hannah Reyes Ledger Desk", NULL, NULL);
	parts("via", NULL, NULL);
	/* a connective inside a word is no connective */
	parts("Hannah Forbes", NULL, NULL);
	parts("Viana Reyes", NULL, NULL);
	const char *part[2], *form[2];
	assert_int_equal(pc_names_parts(st, a, "a via b via c via d", part, form, 2), 2);
	assert_int_equal(pc_names_parts(st, a, NULL, part, form, 2), 0);
}

static pc_domain dom(const char *h)
{
	pc_domain d;
	assert_int_equal(pc_names_domain(st, a, h, strlen(h), &d), 0);
	return d;
}

static const char *look(const char *cand, const char *prot)
{
	pc_domain c = dom(cand), p = dom(prot);
	return pc_names_lookalike(&c, &p, 2);
}

static void test_domain(void **state)
{
	(void)state;
	pc_domain d = dom("WWW.BBC.CO.UK.");
	assert_string_equal(d.ascii, "www.bbc.co.uk");
	assert_string_equal(d.reg, "bbc.co.uk");
	assert_string_equal(d.suffix, "co.uk");
	assert_string_equal(d.label, "bbc");
	assert_null(d.scripts);
	assert_true(d.ascii_only);
	/* Cyrillic с (U+0441) */
	d = dom("bb\xd1\x81.co.uk");
	assert_string_equal(d.ascii, "xn--bb-pmc.co.uk");
	assert_string_equal(d.unicode, "bb\xd1\x81.co.uk");
	assert_string_equal(d.skel, "bbc");
	assert_string_equal(d.scripts, "latin+cyrillic");
	assert_false(d.ascii_only);
	/* the A-label in, the same out */
	d = dom("xn--bb-pmc.co.uk");
	assert_string_equal(d.ulabel, "bb\xd1\x81");
	/* Greek omicron in a Latin label */
	d = dom("g\xce\xbf"
	        "ogle.com");
	assert_string_equal(d.scripts, "latin+greek");
	/* all Cyrillic: one script, not mixed */
	d = dom("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84");
	assert_null(d.scripts);
	pc_domain bad;
	assert_int_equal(pc_names_domain(st, a, "", 0, &bad), -1);
	assert_int_equal(pc_names_domain(st, a, "a\0b.com", 7, &bad), -1);
	char longh[400];
	memset(longh, 'a', sizeof longh);
	assert_int_equal(pc_names_domain(st, a, longh, sizeof longh, &bad), -1);
}

static void test_lookalike_positive(void **state)
{
	(void)state;
	assert_string_equal(look("bb\xd1\x81.co.uk", "bbc.co.uk"), "idn-homoglyph");
	assert_string_equal(look("g\xce\xbf"
	                         "ogle.com",
	                         "google.com"),
	                    "idn-homoglyph");
	assert_string_equal(look("bbc.com", "bbc.co.uk"), "tld-swap");
	assert_string_equal(look("bbc.co", "bbc.co.uk"), "tld-swap");
	assert_string_equal(look("bbc.news", "bbc.co.uk"), "tld-swap");
	assert_string_equal(look("google.com.gi", "google.com"), "tld-swap"); /* not a subdomain trick */
	assert_string_equal(look("bbc.co.uk.evil.example", "bbc.co.uk"), "subdomain-trick");
	assert_string_equal(look("www.bbc.co.uk.evil.example", "bbc.co.uk"), "subdomain-trick");
	assert_string_equal(look("bbc-co-uk.evil.example", "bbc.co.uk"), "subdomain-trick");
	assert_string_equal(look("bbc.co.uk-secure.example", "bbc.co.uk"), "subdomain-trick");
	assert_string_equal(look("bbcnews.com", "bbc.co.uk"), "added-word");
	assert_string_equal(look("theguardian-news.com", "theguardian.com"), "added-word");
	assert_string_equal(look("the-guardian.com", "theguardian.com"), "added-word");
	assert_string_equal(look("asiapost-media.com.hk", "asiapost.com.hk"), "added-word");
	assert_string_equal(look("group-reuters-desk.net", "reuters.com"), "added-word");
	assert_string_equal(look("secure-nytimes-login.com", "nytimes.com"), "added-word");
	assert_string_equal(look("nytimes24.com", "nytimes.com"), "added-word");
	assert_string_equal(look("nytirnes.com", "nytimes.com"), "confusable-skeleton");
	assert_string_equal(look("paypa1.com", "paypal.com"), "confusable-skeleton");
	assert_string_equal(look("vvashingtonpost.com", "washingtonpost.com"), "confusable-skeleton");
	assert_string_equal(look("reutres.com", "reuters.com"), "edit-distance-1"); /* transposition */
	assert_string_equal(look("reuter.com", "reuters.com"), "edit-distance-1");
	assert_string_equal(look("economst.co", "economist.com"), "edit-distance-1");
	assert_string_equal(look("washngtonpst.com", "washingtonpost.com"), "edit-distance-2");
	assert_string_equal(look("scmq.com", "scmp.com"), "edit-distance-1");
}

static void test_lookalike_negative(void **state)
{
	(void)state;
	assert_null(look("bbc.co.uk", "bbc.co.uk"));          /* itself */
	assert_null(look("news.bbc.co.uk", "bbc.co.uk"));     /* a subdomain */
	assert_null(look("a.b.news.bbc.co.uk", "bbc.co.uk")); /* a deeper one */
	assert_null(look("example.com", "bbc.co.uk"));
	assert_null(look("cnn.com", "bbc.co.uk")); /* short labels: no edit distance */
	assert_null(look("fr.com", "ft.com"));
	assert_null(look("abc.co.uk", "bbc.co.uk"));
	assert_null(look("washingtonian.com", "washingtonpost.com"));
	assert_null(look("economy.com", "economist.com"));
	/* letters added around the whole name that are no known word */
	assert_null(look("msou.onmicrosoft.com", "microsoft.com"));
	assert_null(look("reutersx.com", "reuters.com"));
	assert_null(look("gmail.com", "bbc.co.uk"));
	/* a subdomain trick needs the whole protected domain as a prefix */
	assert_null(look("bbc.co.evil.example", "bbc.co.uk"));
	/* distance 2 only for labels of 8 or more (real outlets and words on
	 * the corpus) */
	assert_null(look("www.latimes.com", "nytimes.com"));
	assert_null(look("ranters.net", "reuters.com"));
	assert_string_equal(look("ecomomist.com", "economist.com"), "edit-distance-1");
	assert_string_equal(look("econimst.com", "economist.com"), "edit-distance-2");
	pc_domain c = dom("scnq.com"), p = dom("scmp.com");
	assert_null(pc_names_lookalike(&c, &p, 2));
	c = dom("reutres.com");
	p = dom("reuters.com");
	assert_null(pc_names_lookalike(&c, &p, 0)); /* distance 0: edit distance off */
}

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(pc_names_distance("reuters", "reuters", 2), 0);
	assert_int_equal(pc_names_distance("reuters", "reutres", 2), 1);
	assert_int_equal(pc_names_distance("abc", "xyz", 2), 3); /* capped at cap + 1 */
	assert_int_equal(pc_names_distance("bb\xd1\x81", "bbc", 2), 1);
	char l1[200], l2[200];
	memset(l1, 'a', sizeof l1 - 1);
	memset(l2, 'a', sizeof l2 - 1);
	l1[199] = l2[199] = '\0';
	l2[150] = 'b'; /* beyond the 63 code points compared */
	assert_int_equal(pc_names_distance(l1, l2, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_display_basic),      cmocka_unit_test(test_display_homoglyphs),
	    cmocka_unit_test(test_display_scripts),    cmocka_unit_test(test_display_hostile),
	    cmocka_unit_test(test_similarity),         cmocka_unit_test(test_domain),
	    cmocka_unit_test(test_lookalike_positive), cmocka_unit_test(test_lookalike_negative),
	    cmocka_unit_test(test_distance),           cmocka_unit_test(test_display_bidi),
	    cmocka_unit_test(test_display_invisible),  cmocka_unit_test(test_shown),
	    cmocka_unit_test(test_bidi_hostile),       cmocka_unit_test(test_parts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
