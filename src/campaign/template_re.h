/*
 * NAME
 *   template_re - a tracker URL template as a regular expression, and back
 * SYNOPSIS
 *   char re[2048], t[1024];
 *   pc_template_regex("t.example/o/{HEX}?u={ADDRHASH}", re, sizeof re);
 *   pc_template_from_regex(re, t, sizeof t);     the template again
 * DESCRIPTION
 *   A URL template (campaign/fingerprint.h; {COPY} from campaign/copies.h)
 *   names the per-recipient token's place, not its value: shared with a
 *   peer it must match that peer's copies, whatever their tokens. STIX
 *   expresses it as url:value MATCHES a PCRE, MISP as pattern-in-traffic;
 *   both carry the regex written here:
 *     (?i)^https?://HOST/PATH(?=[^#]*[?&]KEY=VALUE(?:[&#]|$))...(?:\?[^#]*)?(?:#.*)?$
 *   Literal text has every character but letters and digits escaped with
 *   a backslash; each placeholder becomes the one regex of what it stands
 *   for (the table in template_re.c); query parameters are lookaheads, so
 *   their order in a copy does not matter; case is ignored (the template
 *   is lower case). A template with a fragment ends in \#TEXT$ instead.
 *
 *   pc_template_from_regex reads back exactly what pc_template_regex
 *   writes, and nothing else (it never guesses at someone else's regex):
 *   the template, or 0. Both return the length written, 0 when the result
 *   does not fit or the input is not a template / such a regex.
 */
#ifndef PC_TEMPLATE_RE_H
#define PC_TEMPLATE_RE_H

#include <stddef.h>

size_t pc_template_regex(const char *tmpl, char *buf, size_t len);
size_t pc_template_from_regex(const char *re, char *buf, size_t len);

#endif
