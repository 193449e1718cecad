/* Authentication-Results parser and the header we write: any bytes as a
 * header value (trusted id or not) never crash, never read past the value,
 * keep their bounds; every parsed result is written back as a header that
 * has no bare line break. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "act/authres.h"
#include "core/config.h"
#include "core/msg.h"
#include "extract/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_config cfg;
	static pc_arena *arena;
	if (!arena) {
		char err[128];
		pc_config_defaults(&cfg);
		pc_config_set(&cfg, "auth.trusted_authserv_ids", "mx.example.org", err, sizeof err);
		arena = pc_arena_new(16 << 20);
		if (!arena)
			return 0;
	}
	pc_arena_reset(arena);
	pc_msg m;
	memset(&m, 0, sizeof m);
	m.arena = arena;
	m.config = &cfg;
	/* the value as the MIME parser hands it over: a C string; the first
	 * byte chooses a trusted or an unknown authserv-id in front */
	char *v = malloc(size + 32);
	if (!v)
		return 0;
	size_t k = 0;
	if (size && (data[0] & 1)) {
		memcpy(v, "mx.example.org; ", 16);
		k = 16;
	}
	for (size_t i = size ? 1 : 0; i < size; i++)
		if (data[i])
			v[k++] = (char)data[i];
	v[k] = '\0';
	for (int i = 0; i < 3; i++) {
		pc_kv *kv = pc_arena_calloc(arena, 1, sizeof *kv);
		if (!kv)
			break;
		kv->key = "Authentication-Results";
		kv->value = v;
		pc_vec_push(arena, &m.headers, kv);
	}
	pc_authres_extract(&m);
	if (m.auth.n > (size_t)PC_AUTHRES_HEADERS * PC_AUTHRES_RESULTS)
		abort();
	for (size_t i = 0; i < m.auth.n; i++) {
		pc_auth *a = m.auth.v[i];
		if (!a->method || !a->source || strcmp(a->source, "mx.example.org"))
			abort();
		a->source = NULL; /* written as if they were ours */
	}
	char buf[PC_AUTHRES_HEADER_MAX];
	size_t n = pc_authres_header(&m, "\r\n", buf, sizeof buf);
	if (n >= sizeof buf)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\r' && (i + 1 >= n || buf[i + 1] != '\n'))
			abort();
		if (buf[i] == '\n' && i + 1 < n && buf[i + 1] != '\t')
			abort();
	}
	free(v);
	return 0;
}
