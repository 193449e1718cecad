/*
 * Unit tests for parse/url: lenient WHATWG-like splitting, IDNA, registrable
 * domain, percent-decoding, remoteness and relative resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "parse/url.h"

static int setup(void **state)
{
	*state = pc_arena_new(16u << 20);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	pc_arena_free(*state);
	return 0;
}

static pc_url *P(void **state, const char *s)
{
	pc_url *u = pc_url_parse(*state, s, strlen(s));
	assert_non_null(u);
	return u;
}

static void test_basic_split(void **state)
{
	pc_url *u = P(state, "HTTPS://User:Pw@WWW.Example.COM:8443/a/b%20c/d.png?x=1&y=two#frag");
	assert_string_equal(u->raw, "HTTPS://User:Pw@WWW.Example.COM:8443/a/b%20c/d.png?x=1&y=two#frag");
	assert_string_equal(u->scheme, "https");
	assert_string_equal(u->userinfo, "User:Pw");
	assert_string_equal(u->host, "www.example.com");
	assert_string_equal(u->host_ascii, "www.example.com");
	assert_string_equal(u->host_unicode, "www.example.com");
	assert_string_equal(u->domain, "example.com");
	assert_int_equal(u->port, 8443);
	assert_false(u->host_is_ip);
	assert_false(u->idna_error);
	assert_string_equal(u->path, "/a/b%20c/d.png");
	assert_string_equal(u->query, "x=1&y=two");
	assert_string_equal(u->fragment, "frag");
	assert_int_equal(u->nsegments, 3);
	assert_string_equal(u->segments[0], "a");
	assert_string_equal(u->segments[1], "b c");
	assert_string_equal(u->segments[2], "d.png");
	assert_int_equal(u->nparams, 2);
	assert_string_equal(u->params->key, "x");
	assert_string_equal(u->params->value, "1");
	assert_string_equal(u->params->next->key, "y");
	assert_string_equal(u->params->next->value, "two");
	assert_null(u->params->next->next);
	assert_true(pc_url_is_remote(u));
}

static void test_minimal_http(void **state)
{
	pc_url *u = P(state, "http://example.org");
	assert_string_equal(u->scheme, "http");
	assert_null(u->userinfo);
	assert_string_equal(u->host, "example.org");
	assert_int_equal(u->port, -1);
	assert_string_equal(u->path, "");
	assert_null(u->query);
	assert_null(u->fragment);
	assert_int_equal(u->nsegments, 0);
	assert_int_equal(u->nparams, 0);
	assert_null(u->params);
	assert_true(pc_url_is_remote(u));
	/* "?" and "#" present but empty */
	u = P(state, "http://example.org/?#");
	assert_string_equal(u->path, "/");
	assert_string_equal(u->query, "");
	assert_string_equal(u->fragment, "");
	assert_int_equal(u->nsegments, 0);
	assert_int_equal(u->nparams, 0);
}

static void test_path_segments(void **state)
{
	pc_url *u = P(state, "http://h/a//b/");
	/* the empty segment between slashes is kept, the trailing one is not */
	assert_int_equal(u->nsegments, 3);
	assert_string_equal(u->segments[0], "a");
	assert_string_equal(u->segments[1], "");
	assert_string_equal(u->segments[2], "b");
	u = P(state, "http://h/%E2%82%AC/%2Fslash/%zz/%4");
	assert_int_equal(u->nsegments, 4);
	assert_string_equal(u->segments[0], "\xe2\x82\xac"); /* € */
	assert_string_equal(u->segments[1], "/slash");       /* %2F decoded inside the segment */
	assert_string_equal(u->segments[2], "%zz");          /* invalid escape kept */
	assert_string_equal(u->segments[3], "%4");           /* truncated escape kept */
	/* decoded invalid UTF-8 is repaired, %00 dropped */
	u = P(state, "http://h/%FF%00x");
	assert_int_equal(u->nsegments, 1);
	assert_string_equal(u->segments[0], "\xef\xbf\xbdx");
}

static void test_query_params(void **state)
{
	pc_url *u = P(state, "http://h/p?a=1&&b=%20x+y%2B&c&=v&d=e=f&k%26=v%3D");
	assert_string_equal(u->query, "a=1&&b=%20x+y%2B&c&=v&d=e=f&k%26=v%3D");
	assert_int_equal(u->nparams, 6);
	const pc_kv *p = u->params;
	assert_string_equal(p->key, "a");
	assert_string_equal(p->value, "1");
	p = p->next; /* the empty piece between && is skipped */
	assert_string_equal(p->key, "b");
	assert_string_equal(p->value, " x+y+"); /* '+' is kept, not a space */
	p = p->next;
	assert_string_equal(p->key, "c");
	assert_string_equal(p->value, "");
	p = p->next;
	assert_string_equal(p->key, "");
	assert_string_equal(p->value, "v");
	p = p->next;
	assert_string_equal(p->key, "d");
	assert_string_equal(p->value, "e=f"); /* split at the first '=' only */
	p = p->next;
	assert_string_equal(p->key, "k&");
	assert_string_equal(p->value, "v=");
	assert_null(p->next);
}

static void test_base64_token_plus_kept(void **state)
{
	pc_url *u = P(state, "https://t.example/o?u=YWJj+ZGVm/Z2hp==");
	assert_int_equal(u->nparams, 1);
	assert_string_equal(u->params->value, "YWJj+ZGVm/Z2hp==");
}

static void test_fragment_and_query_order(void **state)
{
	pc_url *u = P(state, "http://h/p#frag?notquery");
	assert_null(u->query);
	assert_string_equal(u->fragment, "frag?notquery");
	assert_string_equal(u->path, "/p");
	u = P(state, "http://h?q=1");
	assert_string_equal(u->host, "h");
	assert_string_equal(u->path, "");
	assert_string_equal(u->query, "q=1");
	u = P(state, "http://h#f");
	assert_string_equal(u->host, "h");
	assert_string_equal(u->fragment, "f");
}

static void test_userinfo_last_at(void **state)
{
	pc_url *u = P(state, "http://trusted.example@evil.example/");
	assert_string_equal(u->userinfo, "trusted.example");
	assert_string_equal(u->host, "evil.example");
	assert_string_equal(u->domain, "evil.example");
	u = P(state, "http://a@b@c.example:81/x");
	assert_string_equal(u->userinfo, "a@b");
	assert_string_equal(u->host, "c.example");
	assert_int_equal(u->port, 81);
	/* '@' after the path start is not userinfo */
	u = P(state, "http://h.example/x@y");
	assert_null(u->userinfo);
	assert_string_equal(u->host, "h.example");
	assert_string_equal(u->path, "/x@y");
}

static void test_ports(void **state)
{
	assert_int_equal(P(state, "http://h:0/")->port, 0);
	assert_int_equal(P(state, "http://h:65535/")->port, 65535);
	assert_int_equal(P(state, "http://h:65536/")->port, -2);
	assert_int_equal(P(state, "http://h:99999999999999999999/")->port, -2);
	assert_int_equal(P(state, "http://h:8a/")->port, -2);
	assert_int_equal(P(state, "http://h:-1/")->port, -2);
	assert_int_equal(P(state, "http://h: 80/")->port, -2);
	/* empty port is "absent" */
	pc_url *u = P(state, "http://h:/x");
	assert_int_equal(u->port, -1);
	assert_string_equal(u->host, "h");
	assert_string_equal(u->path, "/x");
	/* the host is still split when the port is invalid */
	u = P(state, "http://example.com:http/");
	assert_int_equal(u->port, -2);
	assert_string_equal(u->host, "example.com");
	assert_string_equal(u->domain, "example.com");
}

static void test_idn_to_ascii(void **state)
{
	pc_url *u = P(state, "http://b\xc3\xbc"
	                     "cher.example/");
	assert_string_equal(u->host, "b\xc3\xbc"
	                             "cher.example");
	assert_string_equal(u->host_ascii, "xn--bcher-kva.example");
	assert_string_equal(u->host_unicode, "b\xc3\xbc"
	                                     "cher.example");
	assert_false(u->idna_error);
	assert_false(u->host_is_ip);
	/* percent-encoded UTF-8 in the host is decoded first */
	u = P(state, "http://b%C3%BCcher.example/");
	assert_string_equal(u->host, "b\xc3\xbc"
	                             "cher.example");
	assert_string_equal(u->host_ascii, "xn--bcher-kva.example");
}

static void test_idn_uppercase_nonascii_mapped(void **state)
{
	/* BÜCHER: UTS #46 maps Ü to ü */
	pc_url *u = P(state, "http://B\xc3\x9c"
	                     "CHER.example/");
	assert_string_equal(u->host_ascii, "xn--bcher-kva.example");
	assert_string_equal(u->host_unicode, "b\xc3\xbc"
	                                     "cher.example");
}

static void test_punycode_back_to_unicode(void **state)
{
	pc_url *u = P(state, "http://XN--BCHER-KVA.example/");
	assert_string_equal(u->host, "xn--bcher-kva.example");
	assert_string_equal(u->host_ascii, "xn--bcher-kva.example");
	assert_string_equal(u->host_unicode, "b\xc3\xbc"
	                                     "cher.example");
	assert_false(u->idna_error);
}

static void test_idna_error(void **state)
{
	/* "xn--" with an invalid Punycode label */
	pc_url *u = P(state, "http://xn--a.example/");
	assert_true(u->idna_error);
	assert_null(u->host_ascii);
	assert_null(u->domain);
	assert_string_equal(u->host, "xn--a.example");
}

static void test_registrable_domain(void **state)
{
	assert_string_equal(P(state, "http://news.example.co.uk/x")->domain, "example.co.uk");
	assert_string_equal(P(state, "http://a.b.c.example.com/")->domain, "example.com");
	assert_string_equal(P(state, "http://example.com./")->domain, "example.com"); /* root dot */
	assert_string_equal(P(state, "http://example.com./")->host_ascii, "example.com");
	assert_string_equal(P(state, "http://www.b\xc3\xbc"
	                             "cher.de/")
	                        ->domain,
	                    "xn--bcher-kva.de");
	/* a public suffix alone has no registrable domain */
	assert_null(P(state, "http://co.uk/")->domain);
	/* a host of one label under no known suffix */
	assert_null(P(state, "http://localhost/")->domain);
}

static void test_ipv4_forms(void **state)
{
	static const char *const ips[] = {"http://127.0.0.1/", "http://2130706433/", "http://0x7f000001/",
	                                  "http://0x7F.1/",    "http://0177.0.0.1/", "http://10.0.0.1./",
	                                  "http://127.1/"};
	for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
		pc_url *u = P(state, ips[i]);
		if (!u->host_is_ip)
			fail_msg("%s: host_is_ip is false", ips[i]);
		if (u->domain)
			fail_msg("%s: domain %s", ips[i], u->domain);
		assert_true(pc_url_is_remote(u));
	}
	assert_string_equal(P(state, "http://0X7F000001/")->host, "0x7f000001");
	/* every IPv4 form is normalised to the dotted quad a client connects to */
	assert_string_equal(P(state, "http://2130706433/")->host_ascii, "127.0.0.1");
	assert_string_equal(P(state, "http://0x7f000001/")->host_ascii, "127.0.0.1");
	assert_string_equal(P(state, "http://0177.0.0.1/")->host_ascii, "127.0.0.1");
	assert_string_equal(P(state, "http://127.1/")->host_ascii, "127.0.0.1");
	assert_string_equal(P(state, "http://0xC0.0.2.1/")->host_ascii, "192.0.2.1");
	assert_string_equal(P(state, "http://3221225985/")->host_ascii, "192.0.2.1");
	/* out of range: not an address */
	assert_false(P(state, "http://256.0.0.1/")->host_is_ip);
	assert_false(P(state, "http://4294967296/")->host_is_ip);
	assert_false(P(state, "http://08.0.0.1/")->host_is_ip); /* 8 is not octal */
	/* not IPv4: five parts, letters, numeric-looking labels with a TLD */
	static const char *const not_ips[] = {"http://1.2.3.4.5/", "http://1e100.net/", "http://0xdeadbeef.com/",
	                                      "http://123abc/"};
	for (size_t i = 0; i < sizeof not_ips / sizeof not_ips[0]; i++)
		if (P(state, not_ips[i])->host_is_ip)
			fail_msg("%s: read as an IP", not_ips[i]);
	assert_string_equal(P(state, "http://1e100.net/")->domain, "1e100.net");
}

static void test_ipv6_literal(void **state)
{
	pc_url *u = P(state, "http://[2001:DB8::1]:8080/p");
	assert_true(u->host_is_ip);
	assert_null(u->domain);
	assert_string_equal(u->host, "[2001:db8::1]");
	assert_int_equal(u->port, 8080);
	assert_string_equal(u->path, "/p");
	assert_true(pc_url_is_remote(u));
	u = P(state, "http://[::1]/");
	assert_true(u->host_is_ip);
	assert_int_equal(u->port, -1);
	assert_string_equal(u->host, "[::1]");
}

static void test_backslashes_special(void **state)
{
	pc_url *u = P(state, "http:\\\\evil.example\\a\\b.png");
	assert_string_equal(u->scheme, "http");
	assert_string_equal(u->host, "evil.example");
	assert_int_equal(u->nsegments, 2);
	assert_string_equal(u->segments[0], "a");
	assert_string_equal(u->segments[1], "b.png");
	assert_true(pc_url_is_remote(u));
	u = P(state, "http:/\\evil.example/x");
	assert_string_equal(u->host, "evil.example");
	assert_string_equal(u->path, "/x");
	u = P(state, "https:evil.example/x"); /* no slashes at all */
	assert_string_equal(u->host, "evil.example");
	u = P(state, "http:////evil.example/x"); /* any number of slashes */
	assert_string_equal(u->host, "evil.example");
	/* the host ends at a backslash */
	u = P(state, "http://good.example\\@evil.example/");
	assert_string_equal(u->host, "good.example");
	assert_null(u->userinfo);
}

static void test_backslash_not_special_for_other_schemes(void **state)
{
	pc_url *u = P(state, "foo://h\\x/y");
	assert_string_equal(u->host, "h\\x");
	assert_string_equal(u->path, "/y");
	assert_false(pc_url_is_remote(u));
}

static void test_whitespace_and_controls(void **state)
{
	pc_url *u = P(state, "  \t\x01http://example.com/x \r\n\x1f ");
	assert_string_equal(u->raw, "http://example.com/x");
	assert_string_equal(u->host, "example.com");
	assert_string_equal(u->path, "/x");
	/* tab, CR and LF inside are removed */
	u = P(state, "ht\ttp://exa\nmple.com/p\r\nath");
	assert_string_equal(u->scheme, "http");
	assert_string_equal(u->host, "example.com");
	assert_string_equal(u->path, "/path");
	assert_true(pc_url_is_remote(u));
	/* raw keeps what the message said (inner characters not removed) */
	assert_string_equal(u->raw, "ht\ttp://exa\nmple.com/p\r\nath");
	/* only spaces */
	u = P(state, "   ");
	assert_string_equal(u->raw, "");
	assert_string_equal(u->scheme, "");
	assert_false(pc_url_is_remote(u));
}

static void test_scheme_relative(void **state)
{
	pc_url *u = P(state, "//cdn.example.net/a.gif");
	assert_string_equal(u->scheme, "");
	assert_string_equal(u->host, "cdn.example.net");
	assert_string_equal(u->domain, "example.net");
	assert_string_equal(u->path, "/a.gif");
	assert_true(pc_url_is_remote(u));
	/* a run of slashes and backslashes leads to a host, as in an http(s) page */
	u = P(state, "\\\\cdn.example.net\\b.gif");
	assert_string_equal(u->host, "cdn.example.net");
	assert_string_equal(u->scheme, "");
	assert_true(pc_url_is_remote(u));
	u = P(state, "/\\cdn.example.net/c.gif");
	assert_string_equal(u->host, "cdn.example.net");
	assert_string_equal(u->path, "/c.gif");
	/* relative paths have no host */
	u = P(state, "/a/b.gif");
	assert_null(u->host);
	assert_false(pc_url_is_remote(u));
	assert_string_equal(u->path, "/a/b.gif");
	u = P(state, "images/x.png");
	assert_null(u->host);
	assert_false(pc_url_is_remote(u));
	assert_string_equal(u->path, "images/x.png");
}

static void test_not_remote_schemes(void **state)
{
	static const char *const local[] = {"mailto:a@example.com",
	                                    "javascript:alert(1)",
	                                    "javascript://example.com/%0aalert(1)",
	                                    "cid:part1.abc@example.com",
	                                    "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
	                                    "tel:+1555",
	                                    "file:///etc/passwd",
	                                    "about:blank",
	                                    "#top",
	                                    "",
	                                    "http://",
	                                    "http:///"};
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		if (pc_url_is_remote(P(state, local[i])))
			fail_msg("\"%s\" is remote", local[i]);
	assert_false(pc_url_is_remote(NULL));
	pc_url *u = P(state, "mailto:Someone@Example.com?subject=hi%20there");
	assert_string_equal(u->scheme, "mailto");
	assert_null(u->host);
	assert_string_equal(u->path, "Someone@Example.com");
	assert_int_equal(u->nparams, 1);
	assert_string_equal(u->params->value, "hi there");
	u = P(state, "CID:Part1@Example");
	assert_string_equal(u->scheme, "cid");
	/* remote schemes */
	static const char *const remote[] = {"https://a.example", "ftp://a.example/f", "ws://a.example",
	                                     "wss://a.example", "HTTP://A.EXAMPLE"};
	for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
		if (!pc_url_is_remote(P(state, remote[i])))
			fail_msg("\"%s\" is not remote", remote[i]);
}

static void test_scheme_edge_cases(void **state)
{
	/* a scheme starts with a letter: "1http:" is not one */
	pc_url *u = P(state, "1http://x.example/");
	assert_string_equal(u->scheme, "");
	/* scheme chars + - . */
	u = P(state, "web+foo.bar-baz:thing");
	assert_string_equal(u->scheme, "web+foo.bar-baz");
	assert_string_equal(u->path, "thing");
	/* no colon: no scheme */
	u = P(state, "example.com/path");
	assert_string_equal(u->scheme, "");
	assert_null(u->host);
}

static void test_invalid_utf8_in_raw(void **state)
{
	pc_url *u = P(state, "http://h/\xff\x80");
	assert_string_equal(u->raw, "http://h/\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(u->path, "/\xef\xbf\xbd\xef\xbf\xbd");
	/* NUL in the middle of the input is dropped from raw */
	u = pc_url_parse(*state, "http://h/a\0b", 12);
	assert_non_null(u);
	assert_string_equal(u->raw, "http://h/ab");
}

static void test_many_pieces_bounded(void **state)
{
	/* more than 512 segments and parameters: bounded, no crash */
	char buf[8192];
	size_t o = (size_t)snprintf(buf, sizeof buf, "http://h");
	for (int i = 0; i < 700; i++)
		buf[o++] = '/', buf[o++] = 'a';
	buf[o++] = '?';
	for (int i = 0; i < 700; i++) {
		memcpy(buf + o, "k=v&", 4);
		o += 4;
	}
	buf[o] = '\0';
	pc_url *u = pc_url_parse(*state, buf, o);
	assert_non_null(u);
	assert_int_equal(u->nsegments, 512);
	assert_int_equal(u->nparams, 512);
}

static void test_pct_decode(void **state)
{
	assert_string_equal(pc_url_pct_decode(*state, "a%20b%2fc%2F", 12), "a b/c/");
	assert_string_equal(pc_url_pct_decode(*state, "%", 1), "%");
	assert_string_equal(pc_url_pct_decode(*state, "%4", 2), "%4");
	assert_string_equal(pc_url_pct_decode(*state, "%41", 3), "A");
	assert_string_equal(pc_url_pct_decode(*state, "%g1%1g", 6), "%g1%1g");
	assert_string_equal(pc_url_pct_decode(*state, "100%25", 6), "100%");
	assert_string_equal(pc_url_pct_decode(*state, "%C3%A9", 6), "\xc3\xa9");
	assert_string_equal(pc_url_pct_decode(*state, "%C3", 3), "\xef\xbf\xbd");
	assert_string_equal(pc_url_pct_decode(*state, "a%00b", 5), "ab");
	assert_string_equal(pc_url_pct_decode(*state, "a+b", 3), "a+b");
	/* n bounds the read: "%41" cut to "%4" */
	assert_string_equal(pc_url_pct_decode(*state, "%41", 2), "%4");
	assert_string_equal(pc_url_pct_decode(*state, "", 0), "");
}

static void test_resolve(void **state)
{
	pc_arena *a = *state;
	const char *base = "http://example.com/dir/page.html?q=1#f";
	assert_string_equal(pc_url_resolve(a, base, "img.png"), "http://example.com/dir/img.png");
	assert_string_equal(pc_url_resolve(a, base, "sub/img.png"), "http://example.com/dir/sub/img.png");
	assert_string_equal(pc_url_resolve(a, base, "/abs.png"), "http://example.com/abs.png");
	assert_string_equal(pc_url_resolve(a, base, "//cdn.example.net/x.png"), "http://cdn.example.net/x.png");
	assert_string_equal(pc_url_resolve(a, base, "?x=2"), "http://example.com/dir/page.html?x=2");
	assert_string_equal(pc_url_resolve(a, base, "#top"), "http://example.com/dir/page.html#top");
	assert_string_equal(pc_url_resolve(a, base, ""), "http://example.com/dir/page.html");
	assert_string_equal(pc_url_resolve(a, base, "  img.png"), "http://example.com/dir/img.png");
	/* dot segments are removed (RFC 3986 5.2.4) */
	assert_string_equal(pc_url_resolve(a, base, "../up.png"), "http://example.com/up.png");
	assert_string_equal(pc_url_resolve(a, base, "./here.png"), "http://example.com/dir/here.png");
	assert_string_equal(pc_url_resolve(a, base, "a/./b/../c.png"), "http://example.com/dir/a/c.png");
	assert_string_equal(pc_url_resolve(a, base, "../../../../root.png"), "http://example.com/root.png");
	assert_string_equal(pc_url_resolve(a, base, "/x/../y.png?q=../z"), "http://example.com/y.png?q=../z");
	/* two of / and \ make a scheme-relative reference (BUGS.md #1, fixed) */
	assert_string_equal(pc_url_resolve(a, base, "\\\\evil.example\\x.png"), "http://evil.example\\x.png");
	assert_string_equal(pc_url_resolve(a, base, "/\\evil.example/y.png"), "http://evil.example/y.png");
	/* "10:30.png" has no scheme (a scheme starts with a letter) */
	assert_string_equal(pc_url_resolve(a, base, "10:30.png"), "http://example.com/dir/10:30.png");
	/* already absolute: nothing to resolve */
	assert_null(pc_url_resolve(a, base, "https://other.example/x"));
	assert_null(pc_url_resolve(a, base, "cid:abc"));
	assert_null(pc_url_resolve(a, base, "data:image/png;base64,AAAA"));
}

static void test_resolve_base_forms(void **state)
{
	pc_arena *a = *state;
	assert_string_equal(pc_url_resolve(a, "https://example.com", "a.png"), "https://example.com/a.png");
	assert_string_equal(pc_url_resolve(a, "https://example.com/", "a.png"), "https://example.com/a.png");
	assert_string_equal(pc_url_resolve(a, "http://example.com:8080/d/", "a.png"),
	                    "http://example.com:8080/d/a.png");
	assert_string_equal(pc_url_resolve(a, "HTTP://User@Example.COM/d/x", "/a.png"), "http://example.com/a.png");
	/* an IDN base host is written in its A-label form */
	assert_string_equal(pc_url_resolve(a,
	                                   "http://b\xc3\xbc"
	                                   "cher.example/",
	                                   "a.png"),
	                    "http://xn--bcher-kva.example/a.png");
	assert_string_equal(pc_url_resolve(a, "https://example.com/d/", "//cdn.example/x"), "https://cdn.example/x");
	/* a base that is not absolute and remote resolves nothing */
	assert_null(pc_url_resolve(a, "//example.com/", "a.png"));
	assert_null(pc_url_resolve(a, "/dir/", "a.png"));
	assert_null(pc_url_resolve(a, "cid:foo", "a.png"));
	assert_null(pc_url_resolve(a, "mailto:a@b.example", "a.png"));
	assert_null(pc_url_resolve(a, "", "a.png"));
}

/* A URL whose host is longer than DNS allows ("a." x 50000, issue 13) */
static pc_url *host_of_len(void **state, const char *label, size_t labels, const char *tail)
{
	size_t ll = strlen(label), tl = strlen(tail), n = 8 + labels * (ll + 1) + tl + 3;
	char *b = pc_arena_alloc(*state, n);
	assert_non_null(b);
	size_t o = 0;
	memcpy(b, "https://", 8);
	o += 8;
	for (size_t i = 0; i < labels; i++) {
		memcpy(b + o, label, ll);
		o += ll;
		b[o++] = '.';
	}
	memcpy(b + o, tail, tl);
	o += tl;
	memcpy(b + o, "/x", 2);
	o += 2;
	return pc_url_parse(*state, b, o);
}

static void assert_too_long(const pc_url *u)
{
	assert_non_null(u);
	assert_true(u->idna_error);
	assert_string_equal(u->host, "");
	assert_null(u->host_ascii);
	assert_null(u->host_unicode);
	assert_null(u->domain);
	assert_false(u->host_is_ip);
	assert_false(pc_url_is_remote(u));
	assert_string_equal(u->path, "/x"); /* the rest is still split */
}

static void test_host_dns_bounds(void **state)
{
	/* 50,000 labels: no host, and fast (no per-label work) */
	pc_url *u = host_of_len(state, "a", 50000, "example.com");
	assert_too_long(u);
	assert_int_equal(strlen(u->raw), 8 + 100000 + 11 + 2);
	/* 253 octets is a name; 254 is not */
	u = host_of_len(state, "a", 121, "example.com"); /* 242 + 11 */
	assert_int_equal(strlen(u->host), 253);
	assert_false(u->idna_error);
	assert_string_equal(u->domain, "example.com");
	assert_too_long(host_of_len(state, "ab", 81, "example.com")); /* 243 + 11 */
	/* the root dot does not count */
	u = host_of_len(state, "a", 121, "example.com.");
	assert_int_equal(strlen(u->host_ascii), 253);
	/* a label of 63 octets is one; 64 is not */
	char l64[65];
	memset(l64, 'x', 64);
	l64[64] = '\0';
	assert_too_long(host_of_len(state, l64, 1, "example.com"));
	l64[63] = '\0';
	u = host_of_len(state, l64, 1, "example.com");
	assert_false(u->idna_error);
	assert_string_equal(u->domain, "example.com");
	/* percent-encoded: the bounds are on the decoded host */
	assert_too_long(host_of_len(state, "%61", 130, "example.com"));
	/* Unicode before IDNA: 4 bytes per A-label octet at most */
	assert_too_long(host_of_len(state, "\xc3\xa9", 2000, "example.com"));
	char ulabel[2 * 127 + 1]; /* 127 x U+00E9: 254 bytes in one label */
	for (int i = 0; i < 127; i++)
		memcpy(ulabel + 2 * i, "\xc3\xa9", 2);
	ulabel[254] = '\0';
	assert_too_long(host_of_len(state, ulabel, 1, "example.com"));
	/* short in UTF-8, too long as A-labels (100 x "xn--9ca.") */
	assert_too_long(host_of_len(state, "\xc3\xa9", 100, "example.com"));
	/* an IPv4 address in any form is no name: leading zeros are fine */
	pc_url *ip =
	    P(state, "http://00000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	             "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	             "0000000000000000000000000000000000000000000000000000000000000000000000000000000000300.0.2.1/");
	assert_true(ip->host_is_ip);
	assert_string_equal(ip->host_ascii, "192.0.2.1");
	/* an IPv6 literal is at most 47 characters */
	assert_too_long(P(state, "http://[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]/x"));
	assert_true(P(state, "http://[2001:db8::1]/x")->host_is_ip);
}

/* The canonical form (url.h): expected values are what Chromium's URL
 * parser gives (new URL(x).href, checked with Debian's chromium 1xx) and
 * WHATWG's urltestdata.json, except where the column "why" names a rule
 * of ours: no trailing dot, no userinfo, no fragment or empty query,
 * RFC 3986 6.2.2 merging (unreserved escapes decoded, hex upper case, a
 * lone '%' as %25), and NULL for hosts no DNS name can be (Chromium
 * escapes them and then fails to resolve them). */
static const struct {
	const char *in, *want, *why;
} canon_cases[] = {
    /* the evasions of issue 15: each is the same beacon */
    {"HTTPS://Tracker.Example/p.gif?id=77311", "https://tracker.example/p.gif?id=77311", NULL},
    {"https://tracker.example:443/p.gif?id=77311", "https://tracker.example/p.gif?id=77311", NULL},
    {"https://tracker.example./p.gif?id=77311", "https://tracker.example/p.gif?id=77311", "trailing dot"},
    {"https://tracker.example/./p.gif?id=77311", "https://tracker.example/p.gif?id=77311", NULL},
    {"https://tracker.example/x/../p.gif?id=77311", "https://tracker.example/p.gif?id=77311", NULL},
    {"https://tracker.ex\nample/p.gif?id=77\t311", "https://tracker.example/p.gif?id=77311", NULL},
    {"https:tracker.example/p.gif?id=77311", "https://tracker.example/p.gif?id=77311", NULL},
    {"https://tracker.example/p.gif?id=77311#", "https://tracker.example/p.gif?id=77311", "fragment"},
    {"https://tracker.example/p.gif?id=77311#top", "https://tracker.example/p.gif?id=77311", "fragment"},
    {"https:///tracker.example/p", "https://tracker.example/p", NULL},
    {"https:/tracker.example/p", "https://tracker.example/p", NULL},
    {"https:\\\\tracker.example\\p.gif", "https://tracker.example/p.gif", NULL},
    {" \x01\thttps://tracker.example/p \x1f", "https://tracker.example/p", NULL},
    {"//Tracker.Example/p", "https://tracker.example/p", "scheme-relative on a webmail page"},
    {"https://user:pw@host.example/p", "https://host.example/p", "userinfo"},
    {"https://a@b@host.example/", "https://host.example/", "userinfo"},
    /* ports */
    {"http://h.example:0080/", "http://h.example/", NULL},
    {"http://h.example:/", "http://h.example/", NULL},
    {"http://h.example:8080", "http://h.example:8080/", NULL},
    {"ftp://h.example:21/x", "ftp://h.example/x", NULL},
    {"ws://h.example:443/", "ws://h.example:443/", NULL},
    {"wss://h.example:443/", "wss://h.example/", NULL},
    {"http://h.example:99999/", NULL, NULL},
    {"http://h.example:8a/", NULL, NULL},
    /* IPv4 in WHATWG's forms */
    {"http://2130706433/", "http://127.0.0.1/", NULL},
    {"http://0x7f.1/", "http://127.0.0.1/", NULL},
    {"http://0177.0.0.1/", "http://127.0.0.1/", NULL},
    {"http://127.1/", "http://127.0.0.1/", NULL},
    {"http://0x7F000001/", "http://127.0.0.1/", NULL},
    {"http://192.168.257/", "http://192.168.1.1/", NULL},
    {"http://0x7f.0.0.1./", "http://127.0.0.1/", NULL},
    {"http://0x/", "http://0.0.0.0/", NULL},
    {"http://1.2.3.256/", NULL, NULL},
    {"http://1.2.3.4.5/", NULL, NULL},
    {"http://foo.09/", NULL, NULL},
    {"http://foo.0x4/", NULL, NULL},
    /* IPv6 */
    {"http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]/", NULL},
    {"http://[::127.0.0.1]/", "http://[::7f00:1]/", NULL},
    {"http://[0:0:0:0:0:ffff:1.2.3.4]/", "http://[::ffff:102:304]/", NULL},
    {"http://[1:0:0:2:0:0:0:3]/", "http://[1:0:0:2::3]/", NULL},
    {"http://[1:0:0:2:0:0:3:4]/", "http://[1::2:0:0:3:4]/", NULL},
    {"http://[1:0::]/", "http://[1::]/", NULL},
    {"http://[0:1:0:1:0:1:0:1]/", "http://[0:1:0:1:0:1:0:1]/", NULL},
    {"http://[::1]:443/", "http://[::1]:443/", NULL},
    {"http://[::1%25eth0]/", NULL, NULL},
    /* host: case, IDNA, percent-decoding, dots */
    {"https://B\xc3\x9c"
     "CHER.example/",
     "https://xn--bcher-kva.example/", NULL},
    {"https://xn--BCHER-KVA.example/", "https://xn--bcher-kva.example/", NULL},
    {"https://%62%C3%BCcher.example/", "https://xn--bcher-kva.example/", NULL},
    {"https://\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85.com/",
     "https://example.com/", NULL},
    {"https://example%2Ecom/", "https://example.com/", NULL},
    {"https://example\xe3\x80\x82"
     "com/",
     "https://example.com/", NULL},
    {"http://exa_mple.com/", "http://exa_mple.com/", NULL},
    {"http://a<b/", NULL, NULL},
    {"http://exa%25mple/", NULL, NULL},
    {"http://a%20b/", NULL, "no DNS name"},
    /* path */
    {"http://h.example", "http://h.example/", NULL},
    {"http://h.example/a/b/../c", "http://h.example/a/c", NULL},
    {"http://h.example/a/..", "http://h.example/", NULL},
    {"http://h.example/a/.", "http://h.example/a/", NULL},
    {"http://h.example/..", "http://h.example/", NULL},
    {"http://h.example/../../a", "http://h.example/a", NULL},
    {"http://h.example/%2e%2E/a", "http://h.example/a", NULL},
    {"http://h.example/a/.%2e/b", "http://h.example/b", NULL},
    {"http://h.example/a/%2e/b", "http://h.example/a/b", NULL},
    {"http://h.example/a//b", "http://h.example/a//b", NULL},
    {"http://h.example/a\\b", "http://h.example/a/b", NULL},
    {"http://h.example/..%2fx", "http://h.example/..%2Fx", "hex case"},
    {"http://h.example/a b", "http://h.example/a%20b", NULL},
    {"http://h.example/\xc3\xbc", "http://h.example/%C3%BC", NULL},
    {"http://h.example/%c3%bc", "http://h.example/%C3%BC", "hex case"},
    {"http://h.example/%41%7a%2d%2E", "http://h.example/Az-.", "unreserved"},
    {"http://h.example/p%2Egif", "http://h.example/p.gif", "unreserved"},
    {"http://h.example/%2f", "http://h.example/%2F", "hex case"},
    {"http://h.example/a%", "http://h.example/a%25", "lone %"},
    {"http://h.example/%zz", "http://h.example/%25zz", "lone %"},
    {"http://h.example/{x}^`|", "http://h.example/%7Bx%7D%5E%60%7C", NULL},
    {"http://h.example/\"<>", "http://h.example/%22%3C%3E", NULL},
    {"http://h.example/'", "http://h.example/'", NULL},
    {"http://h.example/a\x7f"
     "b",
     "http://h.example/a%7Fb", NULL},
    /* query */
    {"http://h.example/?'", "http://h.example/?%27", NULL},
    {"http://h.example/?a b", "http://h.example/?a%20b", NULL},
    {"http://h.example/?a\x7f", "http://h.example/?a%7F", NULL},
    {"http://h.example/?{}|^`", "http://h.example/?{}|^`", NULL},
    {"http://h.example/?%7e%41", "http://h.example/?~A", "unreserved"},
    {"http://h.example/?a=%2f&b=%2B", "http://h.example/?a=%2F&b=%2B", "hex case"},
    {"http://h.example/?/../x", "http://h.example/?/../x", NULL},
    {"http://h.example/?", "http://h.example/", "empty query"},
    {"http://h.example/?#x", "http://h.example/", "empty query"},
    /* what no client fetches from a host */
    {"mailto:a@b.example", NULL, NULL},
    {"data:,x", NULL, NULL},
    {"javascript:alert(1)", NULL, NULL},
    {"/relative/p.gif", NULL, NULL},
    {"file:///etc/passwd", NULL, NULL},
    {"https://", NULL, NULL},
};

static void test_canonical_table(void **state)
{
	for (size_t i = 0; i < sizeof canon_cases / sizeof canon_cases[0]; i++) {
		const char *in = canon_cases[i].in, *want = canon_cases[i].want;
		const char *got = pc_url_canonical_str(*state, in, strlen(in));
		if (!want != !got || (want && strcmp(want, got)))
			fail_msg("%zu: \"%s\": want %s, got %s", i, in, want ? want : "NULL", got ? got : "NULL");
		if (got) { /* a fixed point */
			const char *again = pc_url_canonical_str(*state, got, strlen(got));
			assert_non_null(again);
			assert_string_equal(again, got);
		}
	}
}

/* Every spelling of one beacon gives one form; different beacons stay
 * different. */
static void test_canonical_identity(void **state)
{
	static const char *const same[] = {
	    "https://t.example/o/p.gif?id=77311",     "HTTPS://T.EXAMPLE/o/p.gif?id=77311",
	    "https://t.example:443/o/p.gif?id=77311", "https://t.example./o/p.gif?id=77311",
	    "https://t.example/o/./p.gif?id=77311",   "https://t.example/o/x/../p.gif?id=77311",
	    "https://t.exa\nmple/o/p.gif?id=77311",   "https:t.example/o/p.gif?id=77311",
	    "https://t.example/o/p.gif?id=77311#",    "https://t.example/o/p%2Egif?id=%377311",
	    "https:\\\\t.example\\o\\p.gif?id=77311", "  https://x:y@t.example/o/%2e/p.gif?id=77311#a",
	};
	const char *first = pc_url_canonical_str(*state, same[0], strlen(same[0]));
	assert_non_null(first);
	for (size_t i = 1; i < sizeof same / sizeof same[0]; i++) {
		const char *c = pc_url_canonical_str(*state, same[i], strlen(same[i]));
		assert_non_null(c);
		assert_string_equal(c, first);
	}
	static const char *const other[] = {
	    "https://t.example/o/p.gif?id=77312",      "http://t.example/o/p.gif?id=77311",
	    "https://t.example:8443/o/p.gif?id=77311", "https://t.example/O/p.gif?id=77311",
	    "https://t.example/o/p.gif%3Fid=77311",    "https://t.example/o%2Fp.gif?id=77311",
	    "https://u.t.example/o/p.gif?id=77311",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		const char *c = pc_url_canonical_str(*state, other[i], strlen(other[i]));
		assert_non_null(c);
		assert_string_not_equal(c, first);
	}
}

/* Linear and bounded: a long path of ".." segments and escapes, and a
 * full arena gives NULL, not a crash. */
static void test_canonical_bounded(void **state)
{
	size_t n = 1u << 20;
	char *s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, "http://h.example", 16);
	for (size_t i = 16; i + 3 <= n; i += 3)
		memcpy(s + i, i % 2 ? "/.." : "/%7", 3);
	s[n] = '\0';
	const char *c = pc_url_canonical_str(*state, s, strlen(s));
	assert_non_null(c);
	assert_true(strlen(c) <= 3 * n);
	pc_arena *small = pc_arena_new(64 * 1024);
	assert_non_null(small);
	for (int i = 0; i < 100; i++)
		(void)pc_url_canonical_str(small, s, strlen(s));
	pc_arena_free(small);
	free(s);
}

static void test_resolve_long_base_bounded(void **state)
{
	(void)state;
	/* a long base path resolved for many links stops at the arena's
	 * ceiling, then costs nothing */
	pc_arena *a = pc_arena_new(4u << 20);
	size_t bl = 300 * 1024;
	char *base = malloc(bl + 1);
	assert_non_null(base);
	memcpy(base, "http://example.com/", 19);
	memset(base + 19, 'd', bl - 19);
	base[bl - 1] = '/';
	base[bl] = '\0';
	pc_url *b = pc_url_parse(a, base, bl);
	assert_non_null(b);
	int made = 0;
	for (int i = 0; i < 100000; i++)
		made += pc_url_resolve_url(a, b, "x.png") != NULL;
	assert_true(made >= 1 && made <= 8);
	assert_true(pc_arena_full(a));
	free(base);
	pc_arena_free(a);
}

/* An arena that fills while a URL is split: the pieces that fitted, never
 * a NULL path, segment or parameter (the detectors strlen them: the scan
 * crashed on a message that filled the arena with such URLs). */
static void test_arena_full_midway(void **state)
{
	(void)state;
	const char *url = "http://h.example/a%41/b%42/c%43/d%44/e%45/f%46/g%47/h%48/i%49/j%4a/k%4b/l%4c"
	                  "?a=%41&b=%42&c=%43&d=%44&e=%45&f=%46&g=%47&h=%48&i=%49&j=%4a&k=%4b";
	size_t partial = 0;
	for (size_t fill = 16; fill <= 1024; fill += 16) {
		pc_arena *a = pc_arena_new(64 * 1024);
		while (pc_arena_alloc(a, fill)) /* the ceiling, then the overdraft: a little is left */
			;
		pc_url *u = pc_url_parse(a, url, strlen(url));
		if (u) {
			assert_non_null(u->path);
			for (size_t i = 0; i < u->nsegments; i++)
				assert_non_null(u->segments[i]);
			for (const pc_kv *p = u->params; p; p = p->next) {
				assert_non_null(p->key);
				assert_non_null(p->value);
			}
			partial += u->nsegments < 12 || u->nparams < 11;
		}
		pc_arena_free(a);
	}
	assert_true(partial > 0); /* some runs did stop midway */
}

static void test_arena_full_returns_null(void **state)
{
	(void)state;
	pc_arena *tiny = pc_arena_new(64 * 1024);
	/* use up the arena (including the overdraft) */
	while (pc_arena_alloc(tiny, 1024))
		;
	assert_true(pc_arena_full(tiny));
	char big[4096];
	memset(big, 'a', sizeof big);
	memcpy(big, "http://", 7);
	assert_null(pc_url_parse(tiny, big, sizeof big));
	pc_arena_free(tiny);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_basic_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_minimal_http, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_path_segments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_params, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_base64_token_plus_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fragment_and_query_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_userinfo_last_at, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idn_to_ascii, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idn_uppercase_nonascii_mapped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_punycode_back_to_unicode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idna_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registrable_domain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv4_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_literal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backslashes_special, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backslash_not_special_for_other_schemes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whitespace_and_controls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scheme_relative, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_remote_schemes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scheme_edge_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_utf8_in_raw, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_pieces_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pct_decode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolve_base_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_dns_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canonical_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canonical_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canonical_bounded, setup, teardown),
	    cmocka_unit_test(test_resolve_long_base_bounded),
	    cmocka_unit_test(test_arena_full_midway),
	    cmocka_unit_test(test_arena_full_returns_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
