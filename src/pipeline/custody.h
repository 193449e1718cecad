/*
 * NAME
 *   custody - what proves what a message was when it arrived
 * SYNOPSIS
 *   char *rec = pc_custody_record(m, dns, &c);   JSON text, malloc'd
 *   ... pc_store_custody_put / quarantine metadata "custody" ...
 *   free(rec);
 * DESCRIPTION
 *   A custody record is made from the scan of the bytes as received
 *   (before any rewrite) and holds what a third party needs to check the
 *   verdict without trusting us, months later:
 *     {"v": 1, "sha256": HEX, "size": N, "seen": UNIX (when we had it),
 *      "arrived": UNIX (its Received date, else seen), "source", "message_id",
 *      "envelope": {"client_ip", "helo", "mail_from", "rcpt": [..]},
 *      "sending_ip": the first external hop of the Received chain,
 *      "from", "reply_to", "return_path", "subject", "multipart",
 *      "auth": [{"method", "result", "domain", "selector", "identity",
 *                "reason", "source" (null: ours), "aligned"}],
 *      "dns": [{"name", "type" ("TXT", "A", ...), "status" (pc_dns),
 *               "asked": UNIX, "answer": base64 of the answer message,
 *               "txt": [the TXT strings, for people]}],
 *      "dns_cut": BOOL (the journal was full),
 *      "verdict", "rule", "campaign": N|null,
 *      "reasons": [{"detector", "score", "summary", "evidence": {K: V}}]}
 *   With "dns", "envelope" and the bytes, evidence/verify.h re-runs SPF,
 *   DKIM (as of "seen") and DMARC offline on the answers they had.
 *   Strings from mail are valid UTF-8 (the scan made them so).
 */
#ifndef PC_PIPELINE_CUSTODY_H
#define PC_PIPELINE_CUSTODY_H

#include <stddef.h>

#include "core/msg.h"

struct pc_dns;

typedef struct pc_custody_facts {
	const char *sha256; /* hex of the bytes as received */
	size_t size;
	long long seen, arrived;
	const char *sending_ip; /* NULL: none found */
	long long campaign;     /* 0: none */
} pc_custody_facts;

/* The record of m (just scanned; dns the resolver its checks used, NULL
 * for none) as compact JSON, malloc'd; NULL when out of memory. */
char *pc_custody_record(const pc_msg *m, const struct pc_dns *dns, const pc_custody_facts *f);

#endif
