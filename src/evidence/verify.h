/*
 * NAME
 *   verify - re-check a kept message against its custody record, offline
 * SYNOPSIS
 *   json_t *r = pc_evidence_verify(&config, bytes, n, record, err, sizeof err);
 *   if (json_is_true(json_object_get(r, "holds"))) ... everything still holds ...
 *   json_decref(r);
 * DESCRIPTION
 *   The custody record (pipeline/custody.h) says what a message was when
 *   it arrived: the SHA-256 of its bytes, the SMTP envelope, our SPF, DKIM
 *   and DMARC results and every DNS answer they used. Verification
 *   hashes the bytes again, then scans them with a resolver that only
 *   replays the recorded answers (net/dns.h, pc_dns_replay: nothing is
 *   asked of the network, so a rotated or removed DKIM key does not
 *   matter, and nothing the sender controls today can change the answer)
 *   as of the time the message was seen (a signature's x= expiry is
 *   judged then), and compares each recorded check of ours with the same
 *   check now. Upstream results (trusted Authentication-Results) are
 *   reported, not re-checked: their evidence is the other host's.
 *
 *   The report:
 *   {"sha256": {"recorded": HEX, "actual": HEX, "holds": BOOL},
 *    "seen": UNIX, "dns": {"recorded": N, "unrecorded_questions": N},
 *    "checks": [{"method", "domain", "selector", "identity",
 *                "recorded": RESULT, "now": RESULT|null, "reason": S|null,
 *                "holds": BOOL}],
 *    "upstream": [{"method", "result", "domain", "source"}],
 *    "holds": BOOL}
 *   "holds" is true when the bytes are the ones received and every check
 *   gives the result it gave then (a fail that fails again holds too: the
 *   record is reproduced, whatever it said).
 */
#ifndef PC_EVIDENCE_VERIFY_H
#define PC_EVIDENCE_VERIFY_H

#include <jansson.h>
#include <stddef.h>

#include "core/config.h"

/* NULL with err when the record is not a custody record or memory ran
 * out. */
json_t *pc_evidence_verify(const pc_config *cfg, const char *bytes, size_t n, const json_t *record, char *err,
                           size_t errlen);

#endif
