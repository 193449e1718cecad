/*
 * NAME
 *   password - the console's password hashes and random secrets (libsodium)
 * SYNOPSIS
 *   char hash[PC_PASSWORD_HASH];
 *   if (pc_password_hash("correct horse", hash) != 0) ... out of memory ...
 *   bool ok = pc_password_verify(hash, typed);
 *   char pw[PC_PASSWORD_GEN]; pc_password_generate(pw);
 *   char tok[PC_TOKEN_LEN]; pc_random_token(tok);
 * DESCRIPTION
 *   Hashes are libsodium's crypto_pwhash_str: argon2id with a random salt,
 *   the parameters in the encoded string ("$argon2id$v=19$m=65536,t=2,
 *   p=1$..."), so a stored hash stays verifiable when the defaults change.
 *   The cost is libsodium's INTERACTIVE limits (64 MiB, 2 passes: about
 *   0.1 s here), which is also what slows a guesser who has the store.
 *   pc_password_verify takes the same time whether the account exists or
 *   not when given PC_PASSWORD_DUMMY (a hash of nothing anyone types).
 *   Generated passwords are 20 characters of a 31-letter alphabet without
 *   look-alikes (99 bits); tokens are 32 random bytes in base64url
 *   (43 characters), for session identifiers and CSRF tokens.
 *   Used by the `user` command (cli/) and the console (web/).
 */
#ifndef PC_APP_PASSWORD_H
#define PC_APP_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PC_PASSWORD_HASH 128 /* crypto_pwhash_STRBYTES */
#define PC_PASSWORD_GEN 21
#define PC_PASSWORD_MAX 256 /* longer passwords are refused, not hashed */
#define PC_TOKEN_LEN 44

/* 0, or -1 (libsodium could not start, or out of memory). */
int pc_password_init(void);
int pc_password_hash(const char *password, char out[PC_PASSWORD_HASH]);
/* hash NULL or "" verifies against a dummy hash (same time) and fails. */
bool pc_password_verify(const char *hash, const char *password);
void pc_password_generate(char out[PC_PASSWORD_GEN]);
void pc_random_token(char out[PC_TOKEN_LEN]);
/* Constant-time comparison of two NUL-terminated strings. */
bool pc_secret_equal(const char *a, const char *b);

#endif
