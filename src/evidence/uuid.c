/*
 * NAME
 *   uuid - RFC 4122 version 4 and 5 identifiers (see uuid.h)
 */
#include "evidence/uuid.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static void format(const unsigned char b[16], char out[PC_UUID_LEN])
{
	snprintf(out, PC_UUID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int pc_uuid4(char out[PC_UUID_LEN])
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	format(b, out);
	return 0;
}

static int nibble(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

int pc_uuid5(char out[PC_UUID_LEN], const char *ns, const char *name, size_t n)
{
	unsigned char nsb[16], d[EVP_MAX_MD_SIZE];
	size_t k = 0;
	for (const char *p = ns; *p && k < 16; p++) {
		if (*p == '-')
			continue;
		int hi = nibble(p[0]), lo = p[1] ? nibble(p[1]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		nsb[k++] = (unsigned char)(hi << 4 | lo);
		p++;
	}
	if (k != 16)
		return -1;
	unsigned int dl = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(ctx, nsb, 16) == 1 &&
	         EVP_DigestUpdate(ctx, name, n) == 1 && EVP_DigestFinal_ex(ctx, d, &dl) == 1 && dl >= 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	d[6] = (unsigned char)((d[6] & 0x0f) | 0x50);
	d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
	format(d, out);
	return 0;
}
