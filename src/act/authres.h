/*
 * NAME
 *   authres - the Authentication-Results header we add (RFC 8601)
 * SYNOPSIS
 *   char buf[PC_AUTHRES_HEADER_MAX];
 *   size_t n = pc_authres_header(m, "\r\n", buf, sizeof buf);
 * DESCRIPTION
 *   "Authentication-Results: <auth.authserv_id>;" followed by one folded
 *   line per result of our own checks (upstream results are not repeated:
 *   they are already in the message), or "none" when we checked nothing.
 *   Every value is made safe for a header: control characters and bytes
 *   outside ASCII become '?', values that are not plain tokens are quoted,
 *   each value is cut at PC_AUTHRES_HEADER_VALUE bytes, and the whole
 *   header is bounded by the buffer. The header ends with `eol`.
 */
#ifndef PC_ACT_AUTHRES_H
#define PC_ACT_AUTHRES_H

#include <stddef.h>

#include "core/msg.h"

#define PC_AUTHRES_HEADER_MAX 4096
#define PC_AUTHRES_HEADER_VALUE 200

/* Length written (without a NUL... buf is NUL-terminated too), 0 when it
 * did not fit (nothing should be added then). */
size_t pc_authres_header(const pc_msg *m, const char *eol, char *buf, size_t cap);

#endif
