/*
 * NAME
 *   html - remote resources and links of an HTML part, with visibility
 * SYNOPSIS
 *   pc_html *h = pc_html_new();
 *   pc_html_extract(h, msg, part_index, bytes, len, charset);
 *   pc_html_free(h);
 * DESCRIPTION
 *   Parses with MyHTML (libmodest; HTML5 tree construction, so the tree is
 *   the one a browser builds) and walks it once, iteratively. Every element
 *   that makes a mail client fetch something — img src/srcset, background=,
 *   CSS url() in style attributes and <style>, @import, link rel=stylesheet/
 *   icon/preload/prefetch (and a preload's imagesrcset), video poster, input
 *   type=image, iframe/frame, object data, embed/audio/video/source/track
 *   src, svg image and feImage href, url() in SVG fill/stroke/filter/mask/
 *   clip-path/marker/cursor attributes, and the same inside an <iframe
 *   srcdoc> document (parsed in turn, 2 levels, 16 per document) — becomes
 *   a pc_resource with its size and visibility as far as attributes and
 *   inline CSS decide them; ancestors that are hidden or clip to zero size
 *   hide their descendants, as do the UA sheet's closed <details> (but its
 *   first <summary>) and <dialog>. <template> content is inert: nothing in
 *   it is reported or applied. Relative URLs resolve against <base href>,
 *   else the part's Content-Base or absolute Content-Location. Every a/area href becomes a pc_link with its
 *   visible text. `bytes` are transfer-decoded, in `charset` (NULL: <meta>
 *   prescan, else UTF-8); MyHTML converts to UTF-8. The parser object is
 *   reused from message to message. Not thread-safe: one per thread.
 */
#ifndef PC_HTML_H
#define PC_HTML_H

#include <stddef.h>

#include "core/msg.h"

typedef struct pc_html pc_html;

pc_html *pc_html_new(void);
void pc_html_free(pc_html *h);
/* 0 when parsed (findings describe damage or limits), -1 on parser failure. */
int pc_html_extract(pc_html *h, pc_msg *m, size_t part, const char *bytes, size_t n, const char *charset);

#endif
