/*
 * NAME
 *   url - split a URL found in a message, as leniently as a browser reads it
 * SYNOPSIS
 *   pc_url *u = pc_url_parse(arena, s, len);
 *   if (pc_url_is_remote(u)) ...
 * DESCRIPTION
 *   Follows the WHATWG URL reading of hostile input where it matters for
 *   what a browser would contact: leading/trailing spaces and C0 controls
 *   trimmed, tabs and newlines removed anywhere, `\` read as `/` for the
 *   special schemes, any number of slashes after `http:`, userinfo dropped
 *   from the host, IPv4 in decimal/hex/octal forms recognised. The host goes
 *   through IDNA and the public suffix list (registrable domain) as
 *   parse/domain.h reads every name. Query parameters and path segments are
 *   percent-decoded (`+` is kept: it is data in base64 tokens). Nothing is
 *   ever fetched or resolved.
 *   Returns NULL only when the arena is full.
 *   A host longer than DNS allows (253 octets, labels of 63; the Unicode
 *   form at most 4 bytes per A-label octet before IDNA) cannot be looked
 *   up: the URL keeps its raw text, its host is "" with no host_ascii,
 *   host_unicode or domain, and idna_error is set. Checked while the host
 *   is split, before IDNA or the public suffix list see it, so nothing
 *   downstream works per label of an unbounded host. An IPv4 address in
 *   any WHATWG form is not a name and has no such bound.
 */
#ifndef PC_URL_H
#define PC_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"

pc_url *pc_url_parse(pc_arena *a, const char *s, size_t n);
/* http, https, ftp, or scheme-relative with a host: a client would fetch it. */
bool pc_url_is_remote(const pc_url *u);
/* Percent-decode into the arena (valid UTF-8 result, invalid bytes → U+FFFD). */
char *pc_url_pct_decode(pc_arena *a, const char *s, size_t n);
/* Resolve a relative reference against an absolute base (RFC 3986 §5.2,
 * with dot-segment removal; a reference starting with two of / and \ is
 * scheme-relative); NULL if base is not absolute or ref is. */
char *pc_url_resolve(pc_arena *a, const char *base, const char *ref);
/* The same against a base already split (a <base href> used for every
 * relative URL of a part is parsed once). The result is built in buffers
 * sized and taken from the arena first, so once the arena is full a
 * resolution costs nothing. */
char *pc_url_resolve_url(pc_arena *a, const pc_url *base, const char *ref);

#endif
