/*
 * NAME
 *   cascade - the style sheets of an HTML part applied to its elements
 * SYNOPSIS
 *   pc_cascade *c = pc_cascade_new();              once per thread
 *   pc_cascade_build(c, arena, tree, &info);      after parsing a part
 *   pc_css_style st[2];
 *   pc_cascade_style(c, node, &inline_style, st);  per element, both screens
 *   pc_cascade_clear(c);                            before the tree changes
 *   pc_cascade_free(c);
 * DESCRIPTION
 *   Every rule of every <style> of the part (parse/css.h pc_css_sheet_each:
 *   with the screens its @media and the <style>'s media attribute apply
 *   on; not a <style type> other than text/css, not one in a <template>) whose declarations size, hide,
 *   clip, move or transform what they select is matched against the tree
 *   with Modest's selector engine (MyCSS parses the selector list, the
 *   Modest finder walks the tree: descendant, child and sibling
 *   combinators, attribute selectors, pseudo-classes). A list MyCSS cannot
 *   read is dropped whole, as a browser drops it.
 *
 *   pc_cascade_style gives an element's cascaded style on the narrow and
 *   the wide screen: sheet declarations by specificity then order, then the
 *   inline style, then !important sheet declarations, then !important
 *   inline ones (CSS Cascade 4, author origin). Inheritance is the
 *   caller's (extract/html.c keeps what descendants inherit).
 *
 *   Bounded: a selector costs the finder one walk of the tree per compound,
 *   and per element its siblings for ~ and the structural pseudo-classes,
 *   its subtree for :has(). The work is counted before each walk (one walk
 *   of the tree gives the element count and the widest fan-out) against
 *   PC_CASCADE_WORK; past it the
 *   remaining rules are not applied and info.over says so (the caller
 *   reports a limit: the scan is incomplete).
 */
#ifndef PC_CASCADE_H
#define PC_CASCADE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "parse/css.h"

#define PC_CASCADE_WORK 40000000u /* element visits per part */
#define PC_CASCADE_RULES 20000u   /* rules read per part */

typedef struct pc_cascade pc_cascade;
/* MyHTML's tree and node (myhtml/api.h and the finder's headers cannot be
 * included together: each declares the library's enums) */
struct myhtml_tree;
struct myhtml_tree_node;

typedef struct pc_cascade_info {
	size_t rules;   /* rules read */
	size_t applied; /* selectors matched against the tree */
	size_t matches; /* (element, selector) pairs */
	size_t dropped; /* selector lists MyCSS could not read */
	size_t work;    /* element visits counted */
	bool over;      /* PC_CASCADE_WORK or PC_CASCADE_RULES reached */
} pc_cascade_info;

pc_cascade *pc_cascade_new(void);
void pc_cascade_free(pc_cascade *c);
/* Reads every <style> of tree and matches its rules. 0, or -1 when out
 * of memory. */
int pc_cascade_build(pc_cascade *c, pc_arena *a, struct myhtml_tree *tree, pc_cascade_info *info);
/* The cascaded style of node on each screen (out[0] narrow, out[1] wide),
 * inline style `inl` (may be NULL) weighed in; pc_css_settle applied. */
void pc_cascade_style(const pc_cascade *c, struct myhtml_tree_node *node, const pc_css_style *inl, pc_css_style out[2]);
/* Whether a <style> element holds CSS a browser applies: its type is
 * absent, empty or text/css (HTML: any other type is not CSS, applied and
 * fetched from never) and it is not inside a <template> (inert; known
 * after pc_cascade_build, until pc_cascade_clear). */
bool pc_cascade_is_sheet(const pc_cascade *c, struct myhtml_tree_node *style);
/* Where the sheet of a <style> applies: its media attribute evaluated as
 * an @media prelude (parse/css.h pc_css_media; absent: both screens). */
unsigned pc_cascade_sheet_media(struct myhtml_tree_node *style);
/* Whether any sheet rule matched anything (cheap test for the walk). */
bool pc_cascade_any(const pc_cascade *c);
void pc_cascade_clear(pc_cascade *c);

#endif
