/*
 * NAME
 *   leak - find a recipient's identity in a string, in any common encoding
 * SYNOPSIS
 *   pc_leak *lk = pc_leak_new();
 *   pc_leak_prepare(lk, rcpts, nrcpt);      // once per message (cached)
 *   pc_leak_hit h;
 *   if (pc_leak_find(lk, s, n, &h)) ... h.encoding, h.detail
 *   pc_leak_free(lk);
 * DESCRIPTION
 *   For each recipient address and its local part, as written, lower and
 *   upper case, the matcher holds: the plain text, percent-encoding, base64
 *   (standard and URL-safe, padding optional), hex, and MD5 / SHA-1 /
 *   SHA-224 / SHA-256 / SHA-384 / SHA-512 digests as hex, base64 and
 *   base64url. All of them are searched at once (Aho-Corasick, ac.h).
 *   Local parts shorter than PC_LEAK_MIN_LOCAL are not searched as plain
 *   text (too common inside other words), only as the full address.
 *   Decoding a URL before searching (percent, base64) is the caller's job.
 */
#ifndef PC_LEAK_H
#define PC_LEAK_H

#include <stdbool.h>
#include <stddef.h>

#define PC_LEAK_MAX_IDENTITIES 64
#define PC_LEAK_MIN_LOCAL 4

typedef struct pc_leak pc_leak;

typedef struct pc_leak_hit {
	const char *encoding; /* plain urlenc b64 hex md5 sha1 sha224 sha256 sha384 sha512 */
	const char *identity; /* the recipient address the hit belongs to */
	const char *form;     /* "address" or "local part", and the case: "address, lower case" */
	const char *repr;     /* digests: "hex", "base64", "base64url"; b64: "standard"/"url-safe"; else NULL */
	size_t begin, len;    /* where in the searched string */
} pc_leak_hit;

pc_leak *pc_leak_new(void);
void pc_leak_free(pc_leak *lk);
/* Builds the patterns for these addresses; a no-op when they are the same
 * as last time. Returns the number of patterns, -1 when out of memory. */
int pc_leak_prepare(pc_leak *lk, const char *const *addrs, size_t n);
/* The longest hit in s[0..n), if any. */
bool pc_leak_find(pc_leak *lk, const char *s, size_t n, pc_leak_hit *hit);

#endif
