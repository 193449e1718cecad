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
 *
 *   The canonical form (pc_url_canonical) is the identity of a remote URL:
 *   one string for every spelling a browser (WHATWG URL, as Chromium reads
 *   it) sends to the same server as the same request, so a tracker written
 *   differently elsewhere in a message is still the tracker. It is
 *   scheme://host[:port]/path[?query]:
 *   - read as pc_url_parse reads (trimmed, tab/LF/CR removed, `\` as `/`,
 *     any number of slashes: "https:host/x", "https:///host" are
 *     "https://host/x"); the scheme lower case; a scheme-relative URL
 *     gets https, the scheme of the webmail page that would fetch it;
 *   - no userinfo: it is not part of what the server serves (a client
 *     sends it, if at all, as credentials; Chromium refuses subresources
 *     that carry it), so "https://x@host/p" is the same beacon;
 *   - the host lower case, percent-decoded, A-labels (parse/domain.h's
 *     IDNA), without its trailing dot(s) (Chromium keeps "host." as a
 *     different origin, but DNS and the server see the same site: here
 *     we want the identity of the beacon); IPv4 in any WHATWG form as a
 *     dotted quad; IPv6 as WHATWG serialises it ("[2001:db8::1]");
 *   - no port when it is the scheme's default (80, 443, 21) or empty;
 *   - the path with "." and ".." segments applied, "%2e" counting as
 *     '.', "/" when empty; the bytes Chromium encodes percent-encoded
 *     (C0, space, " # < > ? ^ ` { | }, DEL, non-ASCII as UTF-8);
 *   - the query with the bytes Chromium encodes there (" # < > ')
 *     percent-encoded; an empty query dropped (the same resource);
 *   - in both, beyond what Chromium sends, the spellings every server
 *     reads as the same bytes are merged (RFC 3986 6.2.2): escapes of
 *     unreserved bytes (A-Z a-z 0-9 - . _ ~) decoded ("/p%2Egif?id=%37"
 *     is "/p.gif?id=7"), the hex of other escapes upper case ("%2f" is
 *     "%2F", never "/": an escape the browser keeps stays one), and a
 *     '%' that starts no escape written "%25" (what the server reads;
 *     it also keeps the form a fixed point);
 *   - no fragment: it is never sent.
 *   NULL for a URL no client fetches from a host (not remote, a host the
 *   browser refuses: IDNA error, forbidden code point, "1.2.3.256", an
 *   invalid port), and when the arena is full: callers then compare the
 *   URL as written. The work is linear in the URL (at most 3 bytes out
 *   per byte in, one pass, dot segments popped over bytes written once);
 *   the host keeps pc_url_parse's DNS bounds. canonical(canonical(x)) is
 *   canonical(x) (fuzz/fuzz_url.c checks it).
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
/* The canonical form above, in the arena; NULL when none. */
const char *pc_url_canonical(pc_arena *a, const pc_url *u);
/* The same for a string (parsed first). */
const char *pc_url_canonical_str(pc_arena *a, const char *s, size_t n);

#endif
