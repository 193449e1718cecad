/*
 * NAME
 *   htmlcut - where MyHTML must stop reading a hostile HTML document
 * SYNOPSIS
 *   const char *which;
 *   size_t cut = pc_html_cut(bytes, n, max_depth, max_nodes, &which);
 *   if (which) ... a limit finding: which ("html_depth" or "html_nodes")
 *   n = pc_html_eof_in_tag(bytes, cut);
 *   myhtml_parse(tree, MyENCODING_UTF_8, bytes, n);
 * DESCRIPTION
 *   MyHTML (libmodest) builds the whole tree before anyone can look at it,
 *   so its cost is bounded here, on the bytes, before it parses them
 *   (extract/html.c for the scan, web/sanitize.c for the console).
 *
 *   MyHTML's tree construction slows down sharply with depth (200 kB of
 *   nested <div> takes seconds). Browsers cap the DOM depth (Blink: 512).
 *   pc_html_cut is a linear pre-scan that estimates depth from start and
 *   end tags and returns the offset where it passes `max_depth`; the rest
 *   of the document is not to be parsed. Elements whose end tag may be
 *   left out (p, li, td, tr, ...) and void elements do not count. It also
 *   counts the nodes MyHTML will build, a start tag and each of its
 *   attributes (each '=' in the tag: a quoted '=' counts too, which only
 *   errs on the safe side): MyHTML takes about half a kilobyte for each
 *   (measured: 8 MB of "<p>word " took 500 MB, 7 MB of attributes
 *   100 MB), so the document is parsed only up to the tag past
 *   `max_nodes`, and the clones the parser makes of open formatting
 *   elements (a b big code em font i nobr s small strike strong tt u,
 *   "reconstruct the active formatting elements") count as nodes too.
 *   MyHTML also copies a text node each time it appends text to it (text
 *   after an ignored tag, an end tag, or a table's fostered text after a
 *   row): N appends to a node of L bytes cost N x L bytes. That cost is
 *   estimated from the bytes, erring on the large side (see merge_cut),
 *   and counted against `max_nodes` at half a kilobyte a node.
 *   *which names the limit that cut, NULL when none (then the result is n).
 *
 *   pc_html_eof_in_tag: a document that ends inside a start or end tag
 *   ("...<br\xb2Y" at the end): browsers drop such a tag (HTML
 *   "eof-in-tag"), and MyHTML 0.0.6 copies overlapping memory when its
 *   tokenizer ends in the tag-name state (memcpy-param-overlap under
 *   ASan, fuzz/corpus/html/crash-570fd59a...). The length without the
 *   unfinished tag: what a browser keeps. Call it on the cut length.
 */
#ifndef PC_PARSE_HTMLCUT_H
#define PC_PARSE_HTMLCUT_H

#include <stddef.h>

size_t pc_html_cut(const char *s, size_t n, size_t max_depth, size_t max_nodes, const char **which);
size_t pc_html_eof_in_tag(const char *s, size_t n);

#endif
