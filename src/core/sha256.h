/*
 * NAME
 *   sha256 - the digest that names a message's bytes (quarantine, purge,
 *   indicators)
 * SYNOPSIS
 *   unsigned char d[PC_SHA256_LEN];
 *   char hex[PC_SHA256_HEX];
 *   if (pc_sha256(bytes, n, d) == 0) pc_sha256_hex(d, hex);
 * DESCRIPTION
 *   OpenSSL's EVP SHA-256. The quarantine metadata and the audit log
 *   record it as 64 lower-case hex digits; purge checks a message still
 *   has it before removing it; hunt matches it against indicators.
 */
#ifndef PC_CORE_SHA256_H
#define PC_CORE_SHA256_H

#include <stddef.h>

#define PC_SHA256_LEN 32
#define PC_SHA256_HEX 65 /* 64 hex digits and a NUL */

/* SHA-256 of n bytes (bytes may be NULL when n is 0); 0, or -1 when the
 * digest failed (OpenSSL allocates: out of memory). */
int pc_sha256(const void *bytes, size_t n, unsigned char out[PC_SHA256_LEN]);
/* The digest as lower-case hex, NUL-terminated; returns out. */
char *pc_sha256_hex(const unsigned char d[PC_SHA256_LEN], char out[PC_SHA256_HEX]);

#endif
