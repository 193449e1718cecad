/*
 * NAME
 *   dkim_sign - DKIM-sign a message for the tests, with libopendkim
 * SYNOPSIS
 *   dkim_sign KEYFILE DOMAIN SELECTOR [HEADER,...] < in.eml > out.eml
 * DESCRIPTION
 *   Test tool (not installed): signs standard input with relaxed/relaxed
 *   rsa-sha256 and writes the message with its DKIM-Signature in front,
 *   with CRLF line ends. The optional comma list names the header fields
 *   to sign (default: libopendkim's). Debian's opendkim-testmsg 2.11
 *   fails on every input with "dkim_chunk(): Syntax error", hence this.
 */
#include <opendkim/dkim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(FILE *f, size_t *n)
{
	size_t cap = 1 << 16, len = 0;
	char *b = malloc(cap);
	size_t r;
	while (b && (r = fread(b + len, 1, cap - len, f)) > 0) {
		len += r;
		if (len == cap) {
			char *nb = realloc(b, cap *= 2);
			if (!nb) {
				free(b);
				return NULL;
			}
			b = nb;
		}
	}
	*n = len;
	return b;
}

/* The input with every line ending in CRLF. */
static char *crlf(const char *in, size_t n, size_t *outn)
{
	char *o = malloc(2 * n + 3);
	size_t k = 0;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			o[k++] = '\r';
		o[k++] = in[i];
	}
	if (k < 2 || o[k - 1] != '\n') {
		o[k++] = '\r';
		o[k++] = '\n';
	}
	*outn = k;
	return o;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: dkim_sign KEYFILE DOMAIN SELECTOR [HEADER,...] < in > out\n");
		return 2;
	}
	FILE *kf = fopen(argv[1], "r");
	size_t kn = 0, rn = 0, n = 0;
	char *key = kf ? slurp(kf, &kn) : NULL;
	if (kf)
		fclose(kf);
	char *raw = slurp(stdin, &rn);
	if (!key || !raw) {
		fprintf(stderr, "dkim_sign: cannot read %s or standard input\n", key ? "" : argv[1]);
		return 2;
	}
	key = realloc(key, kn + 1);
	key[kn] = '\0';
	char *msg = crlf(raw, rn, &n);
	if (!msg)
		return 2;
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	if (argc == 5) {
		const char *hdrs[64];
		size_t nh = 0;
		for (char *t = strtok(argv[4], ","); t && nh < 63; t = strtok(NULL, ","))
			hdrs[nh++] = t;
		hdrs[nh] = NULL;
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, hdrs, sizeof(char **));
	}
	DKIM_STAT st;
	DKIM *d = dkim_sign(lib, (const unsigned char *)"test", NULL, (dkim_sigkey_t)key,
	                    (const unsigned char *)argv[3], (const unsigned char *)argv[2], DKIM_CANON_RELAXED,
	                    DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
	if (!d) {
		fprintf(stderr, "dkim_sign: dkim_sign failed: %d\n", st);
		return 1;
	}
	/* header fields: a line and its continuation lines, without the last CRLF */
	size_t i = 0, body = n;
	while (i < n) {
		if (msg[i] == '\r' && i + 1 < n && msg[i + 1] == '\n') { /* empty line: end of header */
			body = i + 2;
			break;
		}
		size_t b = i;
		for (;;) {
			char *e = memchr(msg + i, '\n', n - i);
			i = e ? (size_t)(e - msg) + 1 : n;
			if (i >= n || (msg[i] != ' ' && msg[i] != '\t'))
				break;
		}
		size_t len = i - b;
		while (len && (msg[b + len - 1] == '\n' || msg[b + len - 1] == '\r'))
			len--;
		if ((st = dkim_header(d, (unsigned char *)msg + b, len)) != DKIM_STAT_OK) {
			fprintf(stderr, "dkim_sign: dkim_header: %s\n", dkim_geterror(d));
			return 1;
		}
	}
	if (dkim_eoh(d) != DKIM_STAT_OK ||
	    (body < n && dkim_body(d, (unsigned char *)msg + body, n - body) != DKIM_STAT_OK) ||
	    dkim_eom(d, NULL) != DKIM_STAT_OK) {
		fprintf(stderr, "dkim_sign: %s\n", dkim_geterror(d));
		return 1;
	}
	unsigned char sig[8192];
	if (dkim_getsighdr(d, sig, sizeof sig, strlen(DKIM_SIGNHEADER) + 2) != DKIM_STAT_OK) {
		fprintf(stderr, "dkim_sign: dkim_getsighdr: %s\n", dkim_geterror(d));
		return 1;
	}
	printf("%s: ", DKIM_SIGNHEADER);
	for (const unsigned char *c = sig; *c; c++) { /* libopendkim folds with LF alone */
		if (*c == '\n' && (c == sig || c[-1] != '\r'))
			putchar('\r');
		putchar(*c);
	}
	printf("\r\n");
	fwrite(msg, 1, n, stdout);
	dkim_free(d);
	dkim_close(lib);
	free(msg);
	free(raw);
	free(key);
	return 0;
}
