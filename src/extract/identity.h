/*
 * NAME
 *   identity - who the message is for
 * SYNOPSIS
 *   pc_identity_recipients(msg, rcpt_or_NULL);
 * DESCRIPTION
 *   The recipient is what the MTA says (--rcpt, or the milter's RCPT TO),
 *   else the X-Original-To header, else Delivered-To (the first, which the
 *   last MTA added), else every address of To. Addresses are lower-cased
 *   in the domain part only (the local part is case-sensitive by RFC 5321,
 *   and tokens may rely on its exact spelling). Fills msg->rcpt and
 *   msg->rcpt_source.
 */
#ifndef PC_IDENTITY_H
#define PC_IDENTITY_H

#include "core/msg.h"

void pc_identity_recipients(pc_msg *m, const char *const *rcpt, size_t nrcpt);
/* The d= tag of a DKIM-Signature header value (the first 8 KB are read):
 * true with the value's bytes (not NUL-terminated) in *out, *outn. */
bool pc_identity_dkim_d(const char *v, const char **out, size_t *outn);

#endif
