/*
 * NAME
 *   authres - upstream Authentication-Results (RFC 8601) from trusted hosts
 * SYNOPSIS
 *   pc_authres_extract(msg);          (after the header is parsed)
 *   const char *id = pc_authres_parse(msg, value, add);
 * DESCRIPTION
 *   Anyone can write an Authentication-Results header, so only those whose
 *   authserv-id is in auth.trusted_authserv_ids (case-insensitive) count:
 *   each of their resinfo entries becomes a pc_auth with `source` set to
 *   the id. The parser is tolerant (comments, quoted strings, unknown
 *   methods and properties are skipped) and bounded: at most
 *   PC_AUTHRES_HEADERS headers per message, PC_AUTHRES_RESULTS results per
 *   header, values cut at PC_AUTHRES_VALUE bytes.
 */
#ifndef PC_AUTHRES_H
#define PC_AUTHRES_H

#include <stdbool.h>

#include "core/msg.h"

#define PC_AUTHRES_HEADERS 16
#define PC_AUTHRES_RESULTS 32
#define PC_AUTHRES_VALUE 512

/* Parses one header value. Returns its authserv-id (lower case, in the
 * arena), NULL when there is none; with `add`, appends every result to
 * m->auth with `source` = the id. */
const char *pc_authres_parse(pc_msg *m, const char *value, bool add);
/* Every trusted Authentication-Results header of m's top-level header. */
void pc_authres_extract(pc_msg *m);
/* Result keyword (pass, fail, ...) and back; -1 for an unknown keyword. */
const char *pc_auth_result_name(pc_auth_result r);
int pc_auth_result_parse(const char *s);

#endif
