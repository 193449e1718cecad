/*
 * NAME
 *   verify - re-check a kept message against its custody record (see verify.h)
 */
#include "evidence/verify.h"

#include <arpa/nameser.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/qmeta.h"
#include "core/sha256.h"
#include "extract/authres.h"
#include "net/dns.h"
#include "pipeline/pipeline.h"

static int type_of(const json_t *t)
{
	if (json_is_integer(t))
		return (int)json_integer_value(t);
	const char *s = json_string_value(t);
	static const struct {
		const char *n;
		int t;
	} types[] = {{"TXT", ns_t_txt}, {"A", ns_t_a},     {"AAAA", ns_t_aaaa},
	             {"MX", ns_t_mx},   {"PTR", ns_t_ptr}, {"CNAME", ns_t_cname}};
	for (size_t i = 0; s && i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(s, types[i].n))
			return types[i].t;
	return -1;
}

/* The recorded answers into a replaying resolver; how many. */
static long load_dns(pc_dns *d, const json_t *arr)
{
	long count = 0;
	size_t i;
	const json_t *e;
	json_array_foreach(arr, i, e)
	{
		pc_dns_record r = {.name = pc_qmeta_str(e, "name"), .type = type_of(json_object_get(e, "type"))};
		const char *st = pc_qmeta_str(e, "status"), *b64 = pc_qmeta_str(e, "answer");
		if (!r.name || r.type < 0 || !st || pc_dns_status_parse(st, &r.status) != 0)
			continue;
		gsize len = 0;
		guchar *ans = b64 ? g_base64_decode(b64, &len) : NULL;
		r.ans = ans;
		r.n = ans ? len : 0;
		if (pc_dns_replay_add(d, &r) == 0)
			count++;
		g_free(ans);
	}
	return count;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !g_ascii_strcasecmp(a, b));
}

/* The i-th of m's own results matching a recorded one (method, domain,
 * selector, identity), not used before. */
static const pc_auth *find_now(const pc_msg *m, const json_t *rec, bool *used)
{
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *a = m->auth.v[i];
		if (used[i] || a->source || !same(a->method, pc_qmeta_str(rec, "method")) ||
		    !same(a->domain, pc_qmeta_str(rec, "domain")) ||
		    !same(a->selector, pc_qmeta_str(rec, "selector")) ||
		    !same(a->identity, pc_qmeta_str(rec, "identity")))
			continue;
		used[i] = true;
		return a;
	}
	return NULL;
}

static json_t *nullable(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *pc_evidence_verify(const pc_config *cfg, const char *bytes, size_t n, const json_t *record, char *err,
                           size_t errlen)
{
	const char *want = pc_qmeta_str(record, "sha256");
	const json_t *env = json_object_get(record, "envelope");
	if (!json_is_object(record) || !want || !json_is_array(json_object_get(record, "auth"))) {
		snprintf(err, errlen, "not a custody record (no sha256 or auth)");
		return NULL;
	}
	unsigned char d[PC_SHA256_LEN];
	char hex[PC_SHA256_HEX];
	if (pc_sha256(bytes, n, d) != 0) {
		snprintf(err, errlen, "sha256 failed (out of memory)");
		return NULL;
	}
	pc_sha256_hex(d, hex);
	bool bytes_hold = !g_ascii_strcasecmp(hex, want);

	pc_dns *dns = pc_dns_replay();
	pc_scanner *sc = dns ? pc_scanner_new(cfg) : NULL;
	json_t *out = json_object(), *checks = json_array(), *upstream = json_array();
	if (!sc || !out || !checks || !upstream) {
		snprintf(err, errlen, "out of memory");
		json_decref(out);
		json_decref(checks);
		json_decref(upstream);
		pc_scanner_free(sc);
		pc_dns_free(dns);
		return NULL;
	}
	long recorded = load_dns(dns, json_object_get(record, "dns"));
	json_int_t seen = json_integer_value(json_object_get(record, "seen"));
	pc_envelope e = {pc_qmeta_str(env, "client_ip"), pc_qmeta_str(env, "helo"), pc_qmeta_str(env, "mail_from")};
	const json_t *rj = json_object_get(env, "rcpt");
	size_t nr = json_is_array(rj) ? json_array_size(rj) : 0;
	const char **rcpt = calloc(nr + 1, sizeof *rcpt);
	size_t k = 0;
	for (size_t i = 0; rcpt && i < nr; i++)
		if (json_is_string(json_array_get(rj, i)))
			rcpt[k++] = json_string_value(json_array_get(rj, i));
	pc_scanner_set_dns(sc, dns);
	pc_scanner_set_envelope(sc, &e);
	pc_scanner_set_clock(sc, seen);
	const pc_msg *m = pc_scan(sc, bytes, n, pc_qmeta_str(record, "source"), rcpt, k);
	bool *used = m ? calloc(m->auth.n + 1, sizeof *used) : NULL;
	bool all = bytes_hold && m && used;
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(record, "auth"), i, a)
	{
		if (pc_qmeta_str(a, "source")) { /* a trusted host's result: its evidence, not ours */
			json_array_append_new(upstream, json_pack("{s:o,s:o,s:o,s:o}", "method",
			                                          nullable(pc_qmeta_str(a, "method")), "result",
			                                          nullable(pc_qmeta_str(a, "result")), "domain",
			                                          nullable(pc_qmeta_str(a, "domain")), "source",
			                                          nullable(pc_qmeta_str(a, "source"))));
			continue;
		}
		const pc_auth *now = m && used ? find_now(m, a, used) : NULL;
		const char *was = pc_qmeta_str(a, "result");
		const char *is = now ? pc_auth_result_name(now->result) : NULL;
		bool holds = was && is && !strcmp(was, is);
		all = all && holds;
		json_array_append_new(checks, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "method",
		                                        nullable(pc_qmeta_str(a, "method")), "domain",
		                                        nullable(pc_qmeta_str(a, "domain")), "selector",
		                                        nullable(pc_qmeta_str(a, "selector")), "identity",
		                                        nullable(pc_qmeta_str(a, "identity")), "recorded",
		                                        nullable(was), "now", nullable(is), "reason",
		                                        nullable(now ? now->reason : NULL), "holds", holds));
	}
	json_object_set_new(out, "sha256",
	                    json_pack("{s:s,s:s,s:b}", "recorded", want, "actual", hex, "holds", bytes_hold));
	json_object_set_new(out, "seen", json_integer(seen));
	json_object_set_new(out, "dns",
	                    json_pack("{s:I,s:I}", "recorded", (json_int_t)recorded, "unrecorded_questions",
	                              (json_int_t)pc_dns_replay_missing(dns)));
	json_object_set_new(out, "checks", checks);
	json_object_set_new(out, "upstream", upstream);
	json_object_set_new(out, "holds", json_boolean(all));
	free(used);
	free(rcpt);
	pc_scanner_free(sc);
	pc_dns_free(dns);
	return out;
}
