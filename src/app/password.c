/*
 * NAME
 *   password - argon2id hashes, generated passwords, random tokens
 * DESCRIPTION
 *   See password.h. Everything here is libsodium's; this file only fixes
 *   the parameters and the encodings in one place.
 */
#include "app/password.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc = -1;
static char dummy[crypto_pwhash_STRBYTES];

static void init(void)
{
	if (sodium_init() < 0)
		return;
	/* a hash of 32 random bytes no one knows, for unknown accounts */
	unsigned char r[32];
	char pw[65];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(pw, sizeof pw, r, sizeof r);
	if (crypto_pwhash_str(dummy, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return;
	init_rc = 0;
}

int pc_password_init(void)
{
	pthread_once(&once, init);
	return init_rc;
}

int pc_password_hash(const char *password, char out[PC_PASSWORD_HASH])
{
	_Static_assert(PC_PASSWORD_HASH >= crypto_pwhash_STRBYTES, "hash buffer");
	if (pc_password_init() != 0 || strlen(password) > PC_PASSWORD_MAX)
		return -1;
	return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                         crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
	           ? 0
	           : -1;
}

bool pc_password_verify(const char *hash, const char *password)
{
	if (pc_password_init() != 0)
		return false;
	size_t n = strlen(password);
	if (n > PC_PASSWORD_MAX)
		n = PC_PASSWORD_MAX; /* same work as a refused one, then fails */
	bool known = hash && *hash && strlen(hash) < crypto_pwhash_STRBYTES;
	int rc = crypto_pwhash_str_verify(known ? hash : dummy, password, n);
	return known && rc == 0 && strlen(password) <= PC_PASSWORD_MAX;
}

void pc_password_generate(char out[PC_PASSWORD_GEN])
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789"; /* 31: no i l o 0 1 */
	pc_password_init();
	for (int i = 0; i < PC_PASSWORD_GEN - 1; i++)
		out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	out[PC_PASSWORD_GEN - 1] = '\0';
}

void pc_random_token(char out[PC_TOKEN_LEN])
{
	unsigned char r[32];
	pc_password_init();
	randombytes_buf(r, sizeof r);
	sodium_bin2base64(out, PC_TOKEN_LEN, r, sizeof r, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool pc_secret_equal(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t n = strlen(a);
	if (n != strlen(b) || n == 0)
		return false;
	return sodium_memcmp(a, b, n) == 0;
}
