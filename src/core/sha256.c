/*
 * NAME
 *   sha256 - SHA-256 of a message's bytes, and its hex form (see sha256.h)
 */
#include "core/sha256.h"

#include <openssl/evp.h>

int pc_sha256(const void *bytes, size_t n, unsigned char out[PC_SHA256_LEN])
{
	unsigned int len = 0;
	if (EVP_Digest(n ? bytes : "", n, out, &len, EVP_sha256(), NULL) != 1 || len != PC_SHA256_LEN)
		return -1;
	return 0;
}

char *pc_sha256_hex(const unsigned char d[PC_SHA256_LEN], char out[PC_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < PC_SHA256_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * PC_SHA256_LEN] = '\0';
	return out;
}
