/*
 * NAME
 *   auth - findings shared by the SPF, DKIM and DMARC detectors
 * SYNOPSIS
 *   pc_auth_finding(msg, auth);
 * DESCRIPTION
 *   One place decides what an authentication result is worth:
 *   spf fail 2, softfail 1; dkim fail 2; permerror of any method 1
 *   (auth.permerror); temperror 0 (auth.temperror, once per method, for the
 *   policy's temperror_action). Passes, none and neutral are no findings.
 *   DMARC's own finding (auth.dmarc) is made by detect/dmarc.c; an
 *   upstream dmarc=fail scores 3, or 5 with policy.dmarc quarantine/reject.
 */
#ifndef PC_DETECT_AUTH_H
#define PC_DETECT_AUTH_H

#include "core/msg.h"

void pc_auth_finding(pc_msg *m, const pc_auth *a);
/* Findings for the trusted upstream results of `method`, for a detector
 * that did not check it itself (spf, dkim, dmarc). */
void pc_auth_upstream_findings(pc_msg *m, const char *method);

#endif
