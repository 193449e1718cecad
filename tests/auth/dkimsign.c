/*
 * NAME
 *   dkimsign - test helper: DKIM-sign a message with libopendkim
 * SYNOPSIS
 *   dkimsign KEYFILE SELECTOR DOMAIN < message > signed
 * DESCRIPTION
 *   rsa-sha256, relaxed/relaxed, the library's default header list. The
 *   signature header is written first, then the message unchanged. Only
 *   for tests (opendkim-testmsg in Debian 12 writes a damaged b= tag).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

static char *slurp(FILE *f, size_t *n)
{
	size_t cap = 1 << 16, len = 0;
	char *b = malloc(cap);
	while (b) {
		size_t r = fread(b + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
		if (len == cap) {
			char *nb = cap < (64u << 20) ? realloc(b, cap * 2) : NULL;
			if (!nb) {
				free(b);
				return NULL;
			}
			b = nb;
			cap *= 2;
		}
	}
	*n = len;
	return b;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: dkimsign KEYFILE SELECTOR DOMAIN [TTL [SIGNING-TIME]] < message\n");
		return 2;
	}
	FILE *kf = fopen(argv[1], "r");
	size_t kn = 0, mn = 0;
	char *key = kf ? slurp(kf, &kn) : NULL;
	if (kf)
		fclose(kf);
	char *msg = slurp(stdin, &mn);
	if (!key || !msg) {
		fprintf(stderr, "dkimsign: cannot read the key or the message\n");
		return 2;
	}
	char *k0 = realloc(key, kn + 1);
	if (!k0)
		return 2;
	key = k0;
	key[kn] = '\0';
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF; /* messages with LF line ends */
	if (lib)
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
	if (lib && argc >= 5) { /* x= TTL seconds after signing */
		uint64_t ttl = strtoull(argv[4], NULL, 10);
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof ttl);
	}
	if (lib && argc == 6) { /* t= as if signed then */
		uint64_t when = strtoull(argv[5], NULL, 10);
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &when, sizeof when);
	}
	DKIM_STAT st;
	DKIM *dk = lib ? dkim_sign(lib, (const unsigned char *)"test", NULL, (dkim_sigkey_t)key,
	                           (const unsigned char *)argv[2], (const unsigned char *)argv[3], DKIM_CANON_RELAXED,
	                           DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st)
	               : NULL;
	if (!dk) {
		fprintf(stderr, "dkimsign: dkim_sign failed\n");
		return 1;
	}
	st = dkim_chunk(dk, (unsigned char *)msg, mn);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dk, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dk, NULL);
	unsigned char hdr[8192];
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr(dk, hdr, sizeof hdr, strlen(DKIM_SIGNHEADER) + 2);
	if (st != DKIM_STAT_OK) {
		fprintf(stderr, "dkimsign: %s\n", dkim_geterror(dk) ? dkim_geterror(dk) : "signing failed");
		return 1;
	}
	bool crlf = memchr(msg, '\r', mn) != NULL;
	/* the header folds with "\n\t"; keep the message's line ends */
	printf("%s: ", DKIM_SIGNHEADER);
	for (const unsigned char *p = hdr; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' && crlf)
			putchar('\r');
		putchar(*p);
	}
	fputs(crlf ? "\r\n" : "\n", stdout);
	fwrite(msg, 1, mn, stdout);
	dkim_free(dk);
	dkim_close(lib);
	free(key);
	free(msg);
	return 0;
}
