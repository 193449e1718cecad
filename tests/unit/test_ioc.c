/*
 * Unit tests for hunt/ioc: the text format (types, inference,
 * defanging, comments, errors with FILE:LINE, limits), STIX 2.1 bundles,
 * and every kind of match on hand-built messages and fingerprints, plus
 * one message through the real pipeline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign/fingerprint.h"
#include "hunt/ioc.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/msg.h"
#include "parse/url.h"
#include "pipeline/pipeline.h"

static char err[1024];
static pc_arena *A;
static pc_msg M;
static pc_fingerprint FP;

static pc_ioc *load(const char *text)
{
	err[0] = '\0';
	return pc_ioc_load_mem(text, strlen(text), "t.txt", err, sizeof err);
}

/* Loading fails with exactly this error. */
static void load_fails(const char *text, const char *want)
{
	pc_ioc *ioc = load(text);
	if (ioc || strcmp(err, want) != 0)
		fail_msg("for %s: got %s, want %s", text, ioc ? "(loaded)" : err, want);
}

static void msg_reset(void)
{
	if (!A)
		A = pc_arena_new(1 << 24);
	pc_arena_reset(A);
	memset(&M, 0, sizeof M);
	M.arena = A;
	memset(&FP, 0, sizeof FP);
}

static void add_addr(pc_vec *v, const char *addr)
{
	pc_addr *a = pc_arena_calloc(A, 1, sizeof *a);
	a->name = "";
	a->addr = addr;
	pc_vec_push(A, v, a);
}

static void add_link(const char *url)
{
	pc_link *l = pc_arena_calloc(A, 1, sizeof *l);
	l->url = pc_url_parse(A, url, strlen(url));
	l->tag = "a";
	pc_vec_push(A, &M.links, l);
}

static void add_resource(const char *url)
{
	pc_resource *r = pc_arena_calloc(A, 1, sizeof *r);
	r->url = pc_url_parse(A, url, strlen(url));
	r->element = "img";
	pc_vec_push(A, &M.resources, r);
}

/* Matches, with this reason. */
static void matches(const pc_ioc *ioc, const char *want)
{
	const char *why = NULL;
	int r = pc_ioc_match(ioc, &M, &FP, NULL, &why);
	if (r != 1 || !why || strcmp(why, want) != 0)
		fail_msg("match %d: got %s, want %s", r, why ? why : "(null)", want);
}

static void no_match(const pc_ioc *ioc)
{
	const char *why = "x";
	int r = pc_ioc_match(ioc, &M, &FP, NULL, &why);
	if (r != 0 || why)
		fail_msg("unexpected match: %s", why ? why : "(null)");
}

/* ---- parsing ---- */

static void text_format(void **state)
{
	(void)state;
	pc_ioc *ioc = load("\xef\xbb\xbf# campaign 7\r\n"
	                   "\r\n"
	                   "   # indented comment\n"
	                   "evil.example\n"
	                   "Domain: Other.Example.\n"
	                   "host:cdn.example.net\n"
	                   "Alice@Evil.Example\n"
	                   "email:<bob@example.org>\n"
	                   "https://t.evil.example/o/\n"
	                   "url:ftp://files.example/x\n"
	                   "198.51.100.0/24\n"
	                   "2001:db8::/32\n"
	                   "ip:203.0.113.9\n"
	                   "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n"
	                   "sha256:0000000000000000000000000000000000000000000000000000000000000000\n"
	                   "template:t.example/o/{HEX}?u={ADDRHASH}\n"
	                   "subject: Invitation to speak\n"
	                   "message-id:<abc@mail.example>\n"
	                   "evil.example\n"                /* duplicate */
	                   "EVIL.example\n"                /* duplicate after normalising */
	                   "hxxps://bad[.]example/login\n" /* defanged */
	                   "bad2[.]example\n"
	                   "hxxps[:]//bad3[.]example/x\n"
	                   "spy[@]bad4(.)example\n"
	                   "*.wild.example\n"
	                   "bücher.example\n"
	                   "hxxpfoo.example\n" /* a domain, not a defanged scheme */
	                   "last.example");    /* no final newline */
	assert_non_null(ioc);
	assert_int_equal(pc_ioc_count(ioc), 23);
	const char *first = "x";
	assert_int_equal(pc_ioc_skipped(ioc, &first), 0);
	assert_null(first);
	/* defanged values were refanged, the rest kept */
	msg_reset();
	add_link("https://bad3.example/x/y");
	matches(ioc, "url https://bad3.example/x (t.txt:23) in link URL https://bad3.example/x/y");
	msg_reset();
	add_addr(&M.from, "spy@bad4.example");
	matches(ioc, "email spy@bad4.example (t.txt:24) in From address spy@bad4.example");
	msg_reset();
	add_link("https://hxxpfoo.example/");
	matches(ioc, "domain hxxpfoo.example (t.txt:27) in link host hxxpfoo.example");
	msg_reset();
	add_link("https://a.wild.example/");
	matches(ioc, "domain wild.example (t.txt:25) in link host a.wild.example");
	pc_ioc_free(ioc);
	pc_ioc_free(NULL);
}

static void text_errors(void **state)
{
	(void)state;
	load_fails("evil.example\n\n# c\nnot a domain\n",
	           "t.txt:4: not a domain name, e-mail address, URL, IP address or SHA-256 (character not allowed in a "
	           "domain name); prefix subject:, template: or message-id: for those");
	load_fails("com\n", "t.txt:1: not a valid domain: a public suffix: it would match every domain under it");
	load_fails("a.b\ndomain:co.uk\n",
	           "t.txt:2: not a valid domain: a public suffix: it would match every domain under it");
	load_fails("ip:198.51.100.0/33\n", "t.txt:1: not a valid ip: not an IPv4 or IPv6 address or CIDR block");
	load_fails("0.0.0.0/0\n", "t.txt:1: not a valid ip: a /0 block matches every address");
	load_fails("sha256:abc\n", "t.txt:1: not a valid sha256: not 64 hexadecimal digits");
	load_fails("x.example\ndomain:\n", "t.txt:2: not a valid domain: empty value");
	load_fails("email:nobody\n", "t.txt:1: not a valid email: no '@'");
	load_fails("a@b@\n", "t.txt:1: not a valid email: empty name");
	load_fails("url:https:///path\n", "t.txt:1: not a valid url: no host");
	load_fails("url:evil.example/x\n", "t.txt:1: not a valid url: not scheme://host...");
	load_fails("url:/x\n", "t.txt:1: not a valid url: no scheme");
	load_fails("https://evil.example/a b\n", "t.txt:1: not a valid url: white space or control character in a URL");
	load_fails("message-id:<a b@c>\n", "t.txt:1: not a valid message-id: white space in a Message-ID");
	load_fails("1.2.3.4.5\n",
	           "t.txt:1: not a domain name, e-mail address, URL, IP address or SHA-256 (looks like "
	           "an IP address, not a domain name); prefix subject:, template: or message-id: for those");
	load_fails("evil.example\nbad\x01.example\n", "t.txt:2: not a domain name, e-mail address, URL, IP address or "
	                                              "SHA-256 (control character in the value); prefix subject:, "
	                                              "template: or message-id: for those");
	load_fails("subject:caf\xe9\n", "t.txt:1: not UTF-8");
	load_fails("", "t.txt: no indicators");
	load_fails("# only comments\n\n", "t.txt: no indicators");
	/* NUL bytes and long lines */
	pc_ioc *ioc = pc_ioc_load_mem("a.example\nb\0.example\n", 21, "t.txt", err, sizeof err);
	assert_null(ioc);
	assert_string_equal(err, "t.txt:2: NUL byte in the line");
	char *big = malloc(PC_IOC_LINE_MAX + 100);
	memset(big, 'a', PC_IOC_LINE_MAX + 99);
	memcpy(big, "subject:", 8);
	big[PC_IOC_LINE_MAX] = '\0'; /* exactly 4096 bytes: fine */
	ioc = load(big);
	assert_non_null(ioc);
	pc_ioc_free(ioc);
	big[PC_IOC_LINE_MAX] = 'a';
	big[PC_IOC_LINE_MAX + 1] = '\0';
	load_fails(big, "t.txt:1: line longer than 4096 bytes");
	free(big);
	/* pc_ioc_load: a missing file */
	assert_null(pc_ioc_load("/nonexistent/ioc.txt", err, sizeof err));
	assert_string_equal(err, "/nonexistent/ioc.txt: No such file or directory");
}

static void limit(void **state)
{
	(void)state;
	size_t cap = (size_t)(PC_IOC_MAX + 1) * 24;
	char *buf = malloc(cap);
	size_t o = 0;
	for (int i = 0; i < PC_IOC_MAX; i++)
		o += (size_t)snprintf(buf + o, cap - o, "d%d.evil.example\n", i);
	buf[o] = '\0';
	pc_ioc *ioc = pc_ioc_load_mem(buf, o, "big.txt", err, sizeof err);
	assert_non_null(ioc);
	assert_int_equal(pc_ioc_count(ioc), PC_IOC_MAX);

	/* matching costs the same with 100,000 indicators */
	msg_reset();
	add_addr(&M.from, "x@sender.example");
	for (int i = 0; i < 30; i++)
		add_link("https://www.harmless.example/a/b/c?d=e");
	add_link("https://www.d99999.evil.example/x"); /* last: every link is looked up */
	clock_t t0 = clock();
	for (int i = 0; i < 10000; i++)
		assert_int_equal(pc_ioc_match(ioc, &M, NULL, NULL, NULL), 1);
	double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
	print_message("10000 matches against %d indicators: %.3f s\n", PC_IOC_MAX, s);
	assert_true(s < 20.0); /* generous: sanitizer builds */
	pc_ioc_free(ioc);

	o += (size_t)snprintf(buf + o, cap - o, "one-more.example\n");
	load_fails(buf, "t.txt:100001: more than 100000 indicators");
	free(buf);
}

static const char *bundle =
    "{\n"
    "  \"type\": \"bundle\", \"id\": \"bundle--1\",\n"
    "  \"objects\": [\n"
    "    {\"type\": \"identity\", \"id\": \"identity--1\", \"name\": \"CERT\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--a\", \"pattern_type\": \"stix\",\n"
    "     \"pattern\": \"[domain-name:value = 'evil.example']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--b\", \"pattern_type\": \"stix\",\n"
    "     \"pattern\": \"[url:value = 'https://t.evil.example/o/' OR email-addr:value = 'Spy@Evil.Example']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--c\",\n"
    "     \"pattern\": \"[ipv4-addr:value = '198.51.100.0/24'] OR [ipv6-addr:value = '2001:db8::1']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--d\", \"pattern_type\": \"stix\",\n"
    "     \"pattern\": \"[email-message:subject = 'It\\\\'s your invitation']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--e\", \"pattern_type\": \"stix\",\n"
    "     \"pattern\": \"[file:hashes.'SHA-256' = "
    "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--f\", \"pattern_type\": \"stix\",\n"
    "     \"pattern\": \"[domain-name:value = 'a.example' AND domain-name:value = 'b.example']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--g\", \"pattern_type\": \"sigma\", \"pattern\": \"x\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--h\", \"revoked\": true,\n"
    "     \"pattern\": \"[domain-name:value = 'revoked.example']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--i\",\n"
    "     \"pattern\": \"[file:name = 'x.exe']\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--j\",\n"
    "     \"pattern\": \"[domain-name:value = 'x.example'] WITHIN 300 SECONDS\"},\n"
    "    {\"type\": \"indicator\", \"id\": \"indicator--k\",\n"
    "     \"pattern\": \"[domain-name:value = 'com']\"},\n"
    "    {\"type\": \"relationship\", \"id\": \"relationship--1\"}\n"
    "  ]\n"
    "}\n";

static void stix(void **state)
{
	(void)state;
	pc_ioc *ioc = pc_ioc_load_mem(bundle, strlen(bundle), "b.json", err, sizeof err);
	if (!ioc)
		fail_msg("%s", err);
	assert_int_equal(pc_ioc_count(ioc), 7);
	const char *first;
	assert_int_equal(pc_ioc_skipped(ioc, &first), 6);
	assert_string_equal(first, "b.json: indicator--f: pattern: AND of comparisons");

	msg_reset();
	add_addr(&M.from, "spy@evil.example");
	matches(ioc, "email spy@evil.example (b.json: indicator--b) in From address spy@evil.example");
	msg_reset();
	M.subject = "Re: IT'S YOUR   invitation!";
	matches(ioc, "subject \"It's your invitation\" (b.json: indicator--d) in Subject");
	msg_reset();
	add_resource("http://[2001:db8::1]/p.gif");
	matches(ioc, "ip 2001:db8::1 (b.json: indicator--c) in resource host [2001:db8::1]");
	msg_reset();
	unsigned char empty[32];
	for (int i = 0; i < 32; i++) {
		static const char hex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		empty[i] = (unsigned char)v;
	}
	const char *why;
	assert_int_equal(pc_ioc_match(ioc, &M, NULL, empty, &why), 1);
	assert_string_equal(why, "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 (b.json: "
	                         "indicator--e) in message SHA-256");
	pc_ioc_free(ioc);

	/* one indicator object on its own */
	const char *one = "{\"type\":\"indicator\",\"id\":\"indicator--z\",\"pattern\":\"[domain-name:value = "
	                  "'z.example']\"}";
	ioc = pc_ioc_load_mem(one, strlen(one), "one.json", err, sizeof err);
	assert_non_null(ioc);
	assert_int_equal(pc_ioc_count(ioc), 1);
	pc_ioc_free(ioc);

	/* malformed JSON: the line of the error */
	const char *bad = "{\"type\": \"bundle\",\n \"objects\": [\n {\"type\": \"indicator\",}\n]}";
	assert_null(pc_ioc_load_mem(bad, strlen(bad), "bad.json", err, sizeof err));
	assert_non_null(strstr(err, "bad.json:3: "));
	const char *notstix = "{\"hello\": 1}";
	assert_null(pc_ioc_load_mem(notstix, strlen(notstix), "x.json", err, sizeof err));
	assert_string_equal(err, "x.json: JSON but not a STIX 2.1 bundle or indicator, nor a MISP event");
	const char *none = "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\",\"pattern\":\"[a:b = 'c']\"}]}";
	assert_null(pc_ioc_load_mem(none, strlen(none), "n.json", err, sizeof err));
	assert_string_equal(err, "n.json: no supported indicators (1 skipped; first: n.json: objects[0]: pattern: "
	                         "object path a:b not supported)");
}

/* ---- matching ---- */

static void match_addresses(void **state)
{
	(void)state;
	pc_ioc *ioc = load("evil.example\nspy@mail.example\nhost:exact.example\n");
	assert_non_null(ioc);
	msg_reset();
	add_addr(&M.from, "Alice@Mail.EVIL.example");
	matches(ioc, "domain evil.example (t.txt:1) in From domain Mail.EVIL.example");
	msg_reset();
	add_addr(&M.from, "x@notevil.example"); /* not at a label boundary */
	add_addr(&M.reply_to, "SPY@mail.example");
	matches(ioc, "email spy@mail.example (t.txt:2) in Reply-To address SPY@mail.example");
	msg_reset();
	add_addr(&M.sender, "a@exact.example");
	matches(ioc, "host exact.example (t.txt:3) in Sender domain exact.example");
	msg_reset();
	add_addr(&M.sender, "a@sub.exact.example"); /* host: is the host only */
	no_match(ioc);
	msg_reset();
	M.return_path = "<bounce@bounces.evil.example>";
	matches(ioc, "domain evil.example (t.txt:1) in Return-Path domain bounces.evil.example");
	msg_reset();
	M.return_path = "<spy@mail.example>";
	matches(ioc, "email spy@mail.example (t.txt:2) in Return-Path address spy@mail.example");
	msg_reset();
	add_addr(&M.from, "");
	add_addr(&M.from, "no-at-sign");
	M.return_path = "<>";
	no_match(ioc);
	pc_ioc_free(ioc);
}

static void match_urls(void **state)
{
	(void)state;
	pc_ioc *ioc = load("url:https://T.Evil.Example/o/\n"
	                   "https://host-only.example\n"
	                   "tracker.example\n"
	                   "bücher.example\n"
	                   "198.51.100.0/24\n"
	                   "2001:db8:1::/48\n");
	assert_non_null(ioc);
	msg_reset();
	add_link("https://t.evil.EXAMPLE/o/3f2a9c?u=1");
	matches(ioc, "url https://t.evil.example/o/ (t.txt:1) in link URL https://t.evil.EXAMPLE/o/3f2a9c?u=1");
	msg_reset();
	add_link("https://t.evil.example/O/3f2a9c"); /* the path keeps its case */
	no_match(ioc);
	msg_reset();
	add_resource("https://host-only.example/pixel.gif");
	matches(ioc, "url https://host-only.example (t.txt:2) in resource URL https://host-only.example/pixel.gif");
	msg_reset();
	add_resource("https://host-only.example:8443/x");
	matches(ioc, "url https://host-only.example (t.txt:2) in resource URL https://host-only.example:8443/x");
	msg_reset();
	add_resource("https://host-only.example.attacker.test/x"); /* ends at the host */
	no_match(ioc);
	msg_reset();
	add_resource("https://open.tracker.example/o.gif");
	matches(ioc, "domain tracker.example (t.txt:3) in resource host open.tracker.example");
	msg_reset();
	add_link("https://www.bücher.example/");
	matches(ioc, "domain xn--bcher-kva.example (t.txt:4) in link host www.xn--bcher-kva.example");
	msg_reset();
	add_link("https://www.xn--bcher-kva.example/");
	matches(ioc, "domain xn--bcher-kva.example (t.txt:4) in link host www.xn--bcher-kva.example");
	msg_reset();
	add_resource("http://198.51.100.77/p.gif");
	matches(ioc, "ip 198.51.100.0/24 (t.txt:5) in resource host 198.51.100.77");
	msg_reset();
	add_resource("http://3325256909/p.gif"); /* 198.51.100.205 in decimal */
	matches(ioc, "ip 198.51.100.0/24 (t.txt:5) in resource host 198.51.100.205");
	msg_reset();
	add_link("http://[2001:db8:1:2::5]/");
	matches(ioc, "ip 2001:db8:1::/48 (t.txt:6) in link host [2001:db8:1:2::5]");
	msg_reset();
	add_link("http://198.51.101.1/");
	add_link("http://[2001:db8:2::1]/");
	add_link("mailto:someone@tracker.example.org");
	add_link("https://tracker.example.org/");
	no_match(ioc);
	/* a relative link that <base href> made absolute */
	msg_reset();
	add_link("/o/1");
	((pc_link *)M.links.v[0])->resolved = "https://t.evil.example/o/1";
	matches(ioc, "url https://t.evil.example/o/ (t.txt:1) in link URL https://t.evil.example/o/1");
	/* a List-Unsubscribe header tracker */
	msg_reset();
	pc_tracker *t = pc_arena_calloc(A, 1, sizeof *t);
	t->url = "https://u.tracker.example/unsub?id=1";
	t->header = "List-Unsubscribe";
	pc_vec_push(A, &M.trackers, t);
	matches(ioc, "domain tracker.example (t.txt:3) in header URL host u.tracker.example");
	pc_ioc_free(ioc);
}

/* URL indicators and the message's URLs meet in the canonical form
 * (parse/url.h): either may be spelt any way a browser reads as the same
 * request. */
static void match_url_spellings(void **state)
{
	(void)state;
	pc_ioc *ioc = load("url:HTTPS://T.Evil.Example:443/o/./p.gif\n"
	                   "hxxps://host-only[.]example.:443\n"
	                   "https://h.example/%2e%2E/%7Ea%2f\n");
	assert_non_null(ioc);
	static const char *const hits[] = {
	    "https://t.evil.example/o/p.gif?id=77311", "https:t.evil.example/o/p.gif?id=1",
	    "https://T.EVIL.EXAMPLE./o/x/../p.gif#",   "https://t.evil.ex\nample/o/p.gif",
	    "https:\\\\t.evil.example\\o\\p%2Egif",    "//t.evil.example/o/p.gif",
	    "https://u:p@t.evil.example/o/p.gif",
	};
	for (size_t i = 0; i < sizeof hits / sizeof hits[0]; i++) {
		msg_reset();
		add_resource(hits[i]);
		matches(ioc,
		        pc_arena_printf(A, "url https://t.evil.example/o/p.gif (t.txt:1) in resource URL %s", hits[i]));
	}
	msg_reset();
	add_link("https://HOST-ONLY.example.:8443/x");
	matches(ioc, "url https://host-only.example (t.txt:2) in link URL https://HOST-ONLY.example.:8443/x");
	msg_reset();
	add_link("https://h.example/~a%2F");
	matches(ioc, "url https://h.example/~a%2F (t.txt:3) in link URL https://h.example/~a%2F");
	msg_reset();
	add_link("https://h.example/~a/"); /* %2F is no '/' */
	add_link("http://t.evil.example/o/p.gif");
	add_link("https://t.evil.example/o/q/../../p.gif");
	add_link("https://host-only.example.attacker.test/");
	no_match(ioc);
	pc_ioc_free(ioc);
	load_fails("url:https://1.2.3.256/x\n",
	           "t.txt:1: not a valid url: no browser would fetch it (host or port invalid)");
	load_fails("https://e.example:99999/\n",
	           "t.txt:1: not a valid url: no browser would fetch it (host or port invalid)");
}

static void match_auth_and_infra(void **state)
{
	(void)state;
	pc_ioc *ioc = load("esp.example\n"
	                   "203.0.113.5\n"
	                   "192.0.2.0/23\n"
	                   "2001:db8:aa::/48\n"
	                   "infra.example\n");
	assert_non_null(ioc);
	msg_reset();
	pc_auth *a = pc_arena_calloc(A, 1, sizeof *a);
	a->method = "dkim";
	a->domain = "mail.esp.example";
	pc_vec_push(A, &M.auth, a);
	matches(ioc, "domain esp.example (t.txt:1) in DKIM d= mail.esp.example");
	/* fingerprint keys: the sending address itself, not its /24 (an
	 * indicator address is no evidence against its neighbours) */
	msg_reset();
	FP.infra[FP.ninfra++] = "ip:203.0.113.0/24";
	FP.infra[FP.ninfra++] = "addr:203.0.113.17";
	no_match(ioc);
	msg_reset();
	FP.infra[FP.ninfra++] = "addr:203.0.113.5";
	matches(ioc, "ip 203.0.113.5 (t.txt:2) in infrastructure addr: 203.0.113.5");
	/* an indicator block holding the address */
	msg_reset();
	FP.infra[FP.ninfra++] = "addr:192.0.3.9";
	matches(ioc, "ip 192.0.2.0/23 (t.txt:3) in infrastructure addr: 192.0.3.9");
	msg_reset();
	FP.infra[FP.ninfra++] = "addr:2001:db8:aa:1::7";
	matches(ioc, "ip 2001:db8:aa::/48 (t.txt:4) in infrastructure addr: 2001:db8:aa:1::7");
	msg_reset();
	FP.infra[FP.ninfra++] = "ip:2001:db8::/40"; /* a block key is not matched */
	no_match(ioc);
	msg_reset();
	FP.infra[FP.ninfra++] = "ip:203.0.114.0/24";
	FP.infra[FP.ninfra++] = "ip:192.0.4.0/24";
	FP.infra[FP.ninfra++] = "ip:2001:db8:ab::/48";
	FP.infra[FP.ninfra++] = "from:other.example";
	FP.infra[FP.ninfra++] = "odd";
	no_match(ioc);
	const char *keys[] = {"from:infra.example", "rp:infra.example", "dkim:infra.example", "tracker:infra.example"};
	for (size_t i = 0; i < 4; i++) {
		msg_reset();
		FP.infra[FP.ninfra++] = keys[i];
		char want[256];
		snprintf(want, sizeof want, "domain infra.example (t.txt:5) in infrastructure %.*s: infra.example",
		         (int)(strchr(keys[i], ':') - keys[i]), keys[i]);
		matches(ioc, want);
	}
	msg_reset();
	FP.infra[FP.ninfra++] = "tracker:203.0.113.5";
	matches(ioc, "ip 203.0.113.5 (t.txt:2) in infrastructure tracker: 203.0.113.5");
	pc_ioc_free(ioc);
}

static void match_template_subject_msgid_sha(void **state)
{
	(void)state;
	pc_ioc *ioc = load("template:t.example/o/{HEX}?u={ADDRHASH}\n"
	                   "subject:Über   die Einladung\n"
	                   "message-id:abc.123@mail.example\n"
	                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n");
	assert_non_null(ioc);
	msg_reset();
	FP.templates[FP.ntemplates++] = "t.example/o/{HEX}";
	FP.templates[FP.ntemplates++] = "t.example/o/{HEX}?u={ADDRHASH}";
	matches(ioc, "template t.example/o/{HEX}?u={ADDRHASH} (t.txt:1) in tracker template");
	msg_reset();
	M.subject = "Fwd: ÜBER die\tEINLADUNG nach Berlin";
	matches(ioc, "subject \"Über   die Einladung\" (t.txt:2) in Subject");
	msg_reset();
	M.subject = "über die Ein-ladung";
	no_match(ioc);
	msg_reset();
	M.message_id = "<abc.123@mail.example>";
	matches(ioc, "message-id abc.123@mail.example (t.txt:3) in Message-ID");
	msg_reset();
	M.message_id = "abc.123@mail.example";
	matches(ioc, "message-id abc.123@mail.example (t.txt:3) in Message-ID");
	msg_reset();
	M.message_id = "ABC.123@mail.example"; /* Message-IDs compare exactly */
	no_match(ioc);
	unsigned char sha[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	                         0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	                         0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	const char *why;
	assert_int_equal(pc_ioc_match(ioc, &M, NULL, sha, &why), 1);
	sha[0] ^= 1;
	assert_int_equal(pc_ioc_match(ioc, &M, NULL, sha, &why), 0);
	/* without a fingerprint, templates are not checked */
	msg_reset();
	FP.templates[FP.ntemplates++] = "t.example/o/{HEX}?u={ADDRHASH}";
	assert_int_equal(pc_ioc_match(ioc, &M, NULL, NULL, &why), 0);
	/* without an arena, why is the indicator's label */
	M.arena = NULL;
	assert_int_equal(pc_ioc_match(ioc, &M, &FP, NULL, &why), 1);
	assert_string_equal(why, "template t.example/o/{HEX}?u={ADDRHASH} (t.txt:1)");
	assert_int_equal(pc_ioc_match(ioc, &M, &FP, NULL, NULL), 1);
	pc_ioc_free(ioc);
}

static void through_the_pipeline(void **state)
{
	(void)state;
	pc_pipeline_global_init();
	pc_config cfg;
	pc_config_defaults(&cfg);
	pc_scanner *sc = pc_scanner_new(&cfg);
	assert_non_null(sc);
	const char *eml = "From: \"Daily Ledger\" <news@dai1yledger.example>\n"
	                  "Reply-To: desk@lookalike.example\n"
	                  "To: mp@parliament.example\n"
	                  "Subject: Interview request\n"
	                  "Message-ID: <x1@dai1yledger.example>\n"
	                  "Content-Type: text/html\n\n"
	                  "<p>Dear MP, <a href=\"https://news.example/story\">story</a>"
	                  "<img src=\"https://px.tracking.example/o/5d41402abc4b2a76b9719d911017c592.gif\" width=1 "
	                  "height=1></p>\n";
	const pc_msg *m = pc_scan(sc, eml, strlen(eml), "t.eml", NULL, 0);
	assert_non_null(m);
	const char *why;
	pc_ioc *ioc = load("tracking.example\n");
	assert_int_equal(pc_ioc_match(ioc, m, NULL, NULL, &why), 1);
	assert_string_equal(why, "domain tracking.example (t.txt:1) in resource host px.tracking.example");
	pc_ioc_free(ioc);
	ioc = load("lookalike.example\n");
	assert_int_equal(pc_ioc_match(ioc, m, NULL, NULL, &why), 1);
	assert_string_equal(why, "domain lookalike.example (t.txt:1) in Reply-To domain lookalike.example");
	pc_ioc_free(ioc);
	ioc = load("subject:interview REQUEST\nmessage-id:other@x.example\nnews.example.org\n");
	assert_int_equal(pc_ioc_match(ioc, m, NULL, NULL, &why), 1);
	assert_string_equal(why, "subject \"interview REQUEST\" (t.txt:1) in Subject");
	pc_ioc_free(ioc);
	ioc = load("unrelated.example\n");
	assert_int_equal(pc_ioc_match(ioc, m, NULL, NULL, &why), 0);
	pc_ioc_free(ioc);
	pc_scanner_free(sc);
}

static int teardown_all(void **state)
{
	(void)state;
	pc_arena_free(A);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(text_format),
	    cmocka_unit_test(text_errors),
	    cmocka_unit_test(limit),
	    cmocka_unit_test(stix),
	    cmocka_unit_test(match_addresses),
	    cmocka_unit_test(match_urls),
	    cmocka_unit_test(match_url_spellings),
	    cmocka_unit_test(match_auth_and_infra),
	    cmocka_unit_test(match_template_subject_msgid_sha),
	    cmocka_unit_test(through_the_pipeline),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
