/*
 * Unit tests for act/rewrite: what is replaced, what stays byte-identical,
 * transfer encodings and charsets kept, idempotence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "act/rewrite.h"
#include "core/config.h"
#include "pipeline/pipeline.h"

static pc_config cfg;
static pc_scanner *sc;

static int setup(void **state)
{
	(void)state;
	pc_pipeline_global_init();
	pc_config_defaults(&cfg);
	sc = pc_scanner_new(&cfg);
	if (!sc)
		return -1;
	pc_scanner_keep_for_rewrite(sc, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pc_scanner_free(sc);
	return 0;
}

/* Rewrites eml; returns the output (malloc'd) or NULL when unchanged. */
static char *rewrite(const char *eml, pc_rewrite_stats *st)
{
	const pc_msg *m = pc_scan(sc, eml, strlen(eml), "t.eml", NULL, 0);
	assert_non_null(m);
	char *out = NULL;
	size_t n = 0;
	memset(st, 0, sizeof *st);
	int rc = pc_rewrite(m, eml, strlen(eml), &out, &n, st);
	assert_true(rc >= 0);
	if (rc == 0)
		return NULL;
	char *z = realloc(out, n + 1);
	assert_non_null(z);
	z[n] = '\0';
	/* rewriting the output again changes nothing */
	const pc_msg *m2 = pc_scan(sc, z, n, "t2.eml", NULL, 0);
	char *out2 = NULL;
	size_t n2 = 0;
	pc_rewrite_stats st2 = {0};
	assert_int_equal(pc_rewrite(m2, z, n, &out2, &n2, &st2), 0);
	return z;
}

/* The body: after the header (which names the removed hosts). */
static const char *body(const char *eml)
{
	const char *b = strstr(eml, "\n\n");
	assert_non_null(b);
	return b;
}

static const char *B64_MSG =
    "From: a@news.example\nTo: r@example.org\nSubject: s\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n\n"
    "--XX\nContent-Type: text/plain; charset=utf-8\n\nplain text https://t.example/o/1\n"
    "--XX\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    /* <p>Hi</p><img src="https://t.example/o/1.gif" width="1" height="1"><img src="https://c.example/l.png"
     * alt="L" width="90" height="30"> */
    "PHA+SGk8L3A+PGltZyBzcmM9Imh0dHBzOi8vdC5leGFtcGxlL28vMS5naWYiIHdpZHRoPSIxIiBoZWln\n"
    "aHQ9IjEiPjxpbWcgc3JjPSJodHRwczovL2MuZXhhbXBsZS9sLnBuZyIgYWx0PSJMIiB3aWR0aD0iOTAi\n"
    "IGhlaWdodD0iMzAiPg==\n"
    "--XX\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\n"
    "AAECAwQFBgcICQoLDA0ODw==\n"
    "--XX--\n";

static void base64_part(void **state)
{
	(void)state;
	pc_rewrite_stats st;
	char *out = rewrite(B64_MSG, &st);
	assert_non_null(out);
	assert_int_equal(st.images, 1);
	/* the other parts, byte for byte */
	assert_non_null(
	    strstr(out, "--XX\nContent-Type: text/plain; charset=utf-8\n\nplain text https://t.example/o/1\n"));
	assert_non_null(strstr(out, "--XX\nContent-Type: application/octet-stream; name=a.bin\n"
	                            "Content-Transfer-Encoding: base64\n\nAAECAwQFBgcICQoLDA0ODw==\n--XX--\n"));
	assert_non_null(strstr(out, "X-Portcullis-Trackers: removed 1 image"));
	/* the HTML is base64 again and holds the empty image, not the pixel */
	const pc_msg *m = pc_scan(sc, out, strlen(out), "o.eml", NULL, 0);
	assert_int_equal(m->resources.n, 1); /* the logo is kept */
	assert_string_equal(((pc_resource *)m->resources.v[0])->url->raw, "https://c.example/l.png");
	free(out);
}

static void qp_latin1(void **state)
{
	(void)state;
	const char *eml = "From: a@news.example\nTo: r@example.org\nSubject: s\n"
	                  "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
	                  "<p>Caf=E9</p><img src=3D\"https://t.example/px.gif\" style=3D\"display:none\">\n";
	pc_rewrite_stats st;
	char *out = rewrite(eml, &st);
	assert_non_null(out);
	assert_non_null(strstr(out, "Content-Type: text/html; charset=iso-8859-1\n"));
	assert_non_null(strstr(out, "<p>Caf=E9</p>")); /* still latin-1, still QP */
	assert_null(strstr(body(out), "t.example"));
	assert_non_null(strstr(out, "style=3D\"display:none\""));
	free(out);
}

static void attributes(void **state)
{
	(void)state;
	const char *eml =
	    "From: a@news.example\nTo: r@example.org\nSubject: s\nContent-Type: text/html\n\n"
	    "<img src=https://t.example/o/aa width=1 height=1>"
	    "<div style=\"color:red;background:url('https://t.example/b.gif?a=1&amp;b=2');display:none\">x</div>"
	    "<img srcset=\"https://t.example/o/1.gif 1x, https://t.example/o/2.gif 2x\" width=1 height=1 alt=\"\">\n";
	pc_rewrite_stats st;
	char *out = rewrite(eml, &st);
	assert_non_null(out);
	assert_null(strstr(body(out), "t.example"));
	assert_non_null(strstr(out, "<img src=\"data:image/gif;base64,"));
	assert_non_null(strstr(out, "style=\"color:red;background:url('data:image/gif;base64,"));
	assert_non_null(strstr(out, "');display:none\""));
	assert_non_null(strstr(out, " 1x, data:image/gif;base64,"));
	free(out);
}

static void links_and_headers(void **state)
{
	(void)state;
	const char *eml = "From: a@news.example\nTo: r@example.org\nSubject: s\n"
	                  "X-Portcullis-Trackers: forged\nDisposition-Notification-To: a@news.example\n"
	                  "Content-Type: text/html\n\n"
	                  "<a href=\"https://click.esp.example/c?u=https%3A%2F%2Fshop.example%2Fsale\">sale</a>"
	                  "<a href=\"https://shop.example/p?e=r%40example.org&amp;id=4\">p</a>"
	                  "<a href=\"https://shop.example/unsub?e=r%40example.org\">Unsubscribe</a>\n";
	pc_rewrite_stats st;
	char *out = rewrite(eml, &st);
	assert_non_null(out);
	assert_non_null(strstr(out, "<a href=\"https://shop.example/sale\">sale</a>"));
	assert_non_null(strstr(out, "<a href=\"https://shop.example/p?id=4\">p</a>"));
	assert_non_null(strstr(out, "unsub?e=r%40example.org")); /* unsubscribe links are never changed */
	assert_null(strstr(out, "Disposition-Notification-To"));
	assert_null(strstr(out, "forged"));
	assert_int_equal(st.headers, 1);
	assert_int_equal(st.links, 2);
	free(out);
}

static void plain_text_and_attachments(void **state)
{
	(void)state;
	const char *eml = "From: a@news.example\nTo: r@example.org\nSubject: s\nMIME-Version: 1.0\n"
	                  "Content-Type: multipart/mixed; boundary=\"B\"\n\n"
	                  "--B\nContent-Type: text/plain\n\n"
	                  "Sale: https://click.esp.example/c?u=https%3A%2F%2Fshop.example%2Fsale&id=1.\n"
	                  "--B\nContent-Type: text/html\nContent-Disposition: attachment; filename=a.html\n\n"
	                  "<img src=\"https://t.example/o/1.gif\" width=1 height=1>\n"
	                  "--B--\n";
	pc_rewrite_stats st;
	char *out = rewrite(eml, &st);
	assert_non_null(out);
	assert_non_null(strstr(out, "\nSale: https://shop.example/sale.\n--B\n"));
	/* the attached page is reported but left as the sender made it */
	assert_non_null(
	    strstr(out, "filename=a.html\n\n<img src=\"https://t.example/o/1.gif\" width=1 height=1>\n--B--"));
	assert_int_equal(st.links, 1);
	assert_int_equal(st.images, 0);
	free(out);
}

static void block_mode(void **state)
{
	(void)state;
	cfg.remote_images = PC_REMOTE_BLOCK;
	const char *eml = "From: a@news.example\nTo: r@example.org\nSubject: s\nContent-Type: text/html\n\n"
	                  "<p><img src=\"https://c.example/l.png\" alt=\"Logo &amp; Co\" width=90></p>"
	                  "<table><tr><td background=\"https://c.example/bg.jpg\">x</td></tr></table>\n";
	pc_rewrite_stats st;
	char *out = rewrite(eml, &st);
	cfg.remote_images = PC_REMOTE_KEEP;
	assert_non_null(out);
	assert_non_null(strstr(out, "<p>[Logo &amp; Co]</p>"));
	assert_null(strstr(body(out), "c.example"));
	assert_int_equal(st.blocked, 2);
	free(out);
}

static void nothing_to_do(void **state)
{
	(void)state;
	const char *eml = "From: a@news.example\nTo: r@example.org\nSubject: s\nContent-Type: text/html\n\n"
	                  "<p><img src=\"https://c.example/l.png\" alt=\"Logo\" width=90 height=30></p>\n";
	pc_rewrite_stats st;
	assert_null(rewrite(eml, &st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(base64_part),
	    cmocka_unit_test(qp_latin1),
	    cmocka_unit_test(attributes),
	    cmocka_unit_test(links_and_headers),
	    cmocka_unit_test(block_mode),
	    cmocka_unit_test(nothing_to_do),
	    cmocka_unit_test(plain_text_and_attachments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
