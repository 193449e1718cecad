/*
 * NAME
 *   textlinks - URLs written in plain text
 * SYNOPSIS
 *   pc_textlinks_extract(msg, part_index, utf8_text, len);
 * DESCRIPTION
 *   Finds http://, https://, ftp:// and www. URLs the way mail clients
 *   auto-link them: a URL ends at white space, a control character, <, >,
 *   " or `; trailing . , ; : ! ? ' and unbalanced ) ] are not part of it.
 *   Each becomes a pc_link with tag "text". Bounded by limits.urls.
 */
#ifndef PC_TEXTLINKS_H
#define PC_TEXTLINKS_H

#include <stddef.h>

#include "core/msg.h"

void pc_textlinks_extract(pc_msg *m, size_t part, const char *text, size_t n);

#endif
