/*
 * NAME
 *   safetext - text from mail made safe to show a person
 * SYNOPSIS
 *   char *c = pc_safetext(s, n, false);   g_free(c)
 *   char *d = pc_safetext_str(s);         NULL gives ""
 * DESCRIPTION
 *   Subjects, addresses, findings and a command's output were written by
 *   whoever sent the mail: any bytes become valid UTF-8 (U+FFFD for an
 *   invalid byte) and the characters a terminal must not get from mail
 *   become '?': C0 and C1 controls, DEL, bidi overrides, isolates and
 *   marks (they reorder what is shown), line and paragraph separators.
 *   Tabs are kept when keep_tab (folded header lines).
 */
#ifndef PC_CORE_SAFETEXT_H
#define PC_CORE_SAFETEXT_H

#include <stdbool.h>
#include <stddef.h>

char *pc_safetext(const char *s, size_t n, bool keep_tab);
char *pc_safetext_str(const char *s);

#endif
