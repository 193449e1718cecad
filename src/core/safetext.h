/*
 * NAME
 *   safetext - text from mail made safe to show a person
 * SYNOPSIS
 *   char *c = pc_safetext(s, n, false);   g_free(c)
 *   char *d = pc_safetext_str(s);         NULL gives ""
 *   char *e = pc_safetext_marks(s, n, PC_MARK_KEEP_LF | PC_MARK_KEEP_TAB);   g_free(e)
 *   size_t len; bool bad;
 *   uint32_t c = pc_utf8_decode(u, n, i, &len, &bad);
 *   if (pc_safetext_marked(c)) ... show ⟨U+XXXX⟩
 * DESCRIPTION
 *   Subjects, addresses, findings and a command's output were written by
 *   whoever sent the mail: any bytes become valid UTF-8 (U+FFFD for an
 *   invalid byte) and the characters a reader must not get from mail
 *   unseen are those of pc_safetext_marked(): C0 controls (but tab and
 *   line feed), DEL and C1 controls, the bidi embeddings, overrides,
 *   isolates and marks (they reorder what is shown: U+202E before
 *   "fdp.exe" shows "exe.pdf"), the Arabic letter mark, the line and
 *   paragraph separators and U+FEFF.
 *
 *   For a terminal, pc_safetext() writes each of them, and tab and line
 *   feed, as '?' (tabs kept when keep_tab: folded header lines).
 *
 *   For a page (HTML reports, the console), they are shown as a visible
 *   mark instead, "⟨U+202E⟩", so that the reader sees they were there:
 *   pc_safetext_marks() writes such text (for JSON, to be HTML-escaped
 *   where it is shown); line feed and tab are marked too unless kept.
 *   Writers that escape as they go (evidence/report.c, web/sanitize.c)
 *   read with pc_utf8_decode() and ask pc_safetext_marked().
 *
 *   pc_utf8_decode() reads the code point at s[i] (i < n) and its
 *   length; a byte that starts no valid, shortest UTF-8 sequence is
 *   U+FFFD for that one byte (*bad set). Work is linear everywhere.
 */
#ifndef PC_CORE_SAFETEXT_H
#define PC_CORE_SAFETEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

char *pc_safetext(const char *s, size_t n, bool keep_tab);
char *pc_safetext_str(const char *s);

uint32_t pc_utf8_decode(const unsigned char *s, size_t n, size_t i, size_t *len, bool *bad);
bool pc_safetext_marked(uint32_t c);

#define PC_MARK_KEEP_LF 1u  /* line feeds stay line feeds */
#define PC_MARK_KEEP_TAB 2u /* tabs stay tabs */
/* The mark of c, "⟨U+XXXX⟩" (at least 4 hex digits), into buf (16 bytes
 * are enough); its length. */
size_t pc_safetext_mark(uint32_t c, char *buf, size_t len);
char *pc_safetext_marks(const char *s, size_t n, unsigned keep);

#endif
