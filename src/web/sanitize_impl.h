/*
 * NAME
 *   sanitize_impl - what sanitize.c shares with its style filter and its read-back check
 * DESCRIPTION
 *   web/sanitize.c is the walk and the writer; sanitize_policy.c says what
 *   every element and attribute becomes; sanitize_css.c judges style
 *   attributes; sanitize_check.c parses the result back.
 *
 *   pc_sanitize_style (sanitize_css.c) judges one style attribute: the
 *   declarations it keeps are appended to dst written again from their
 *   own tokens ("property:value;" ASCII and valid UTF-8 only, no '\',
 *   no comment, no url(), no function but rgb() rgba() hsl() hsla());
 *   returns how many declarations it dropped. Linear in n.
 *
 *   pc_sanitize_reads_back (sanitize_check.c) parses frag[0, n) as the
 *   body of a no-quirks document with `tree` and says whether the tree is
 *   exactly what the fragment spells: the same elements in the same
 *   nesting, the same attributes in the same order with the same values,
 *   the same text (sanitize.c writes a regular form: lower-case names,
 *   double-quoted values, the references &amp; &lt; &gt; &quot; &#39;
 *   &#40;, a line feed after <pre>). Linear in n.
 */
#ifndef PC_WEB_SANITIZE_IMPL_H
#define PC_WEB_SANITIZE_IMPL_H

#include <glib.h>
#include <myhtml/api.h>
#include <stdbool.h>
#include <stddef.h>

/* --- sanitize_policy.c: what becomes what ---------------------------------- */

#define F_CLOSES_P 1u /* a start tag that closes a p in button scope */
#define F_SPECIAL 2u  /* stops the parser's search for an open li, dd or dt */
#define F_BSCOPE 4u   /* a button-scope boundary */
#define F_VOID 8u
#define F_TABLE 16u /* table, thead, tbody, tfoot, tr: no text or flow content in it */
#define F_HEADING 32u
#define F_CELLS 64u /* caption, thead, tbody, tfoot, tr, td, th: written only in their table parent */

enum {
	O_DIV,
	O_P,
	O_BLOCKQUOTE,
	O_PRE,
	O_CENTER,
	O_H1,
	O_H2,
	O_H3,
	O_H4,
	O_H5,
	O_H6,
	O_UL,
	O_OL,
	O_LI,
	O_DL,
	O_DT,
	O_DD,
	O_HR,
	O_BR,
	O_WBR,
	O_TABLE,
	O_CAPTION,
	O_THEAD,
	O_TBODY,
	O_TFOOT,
	O_TR,
	O_TD,
	O_TH,
	O_SPAN,
	O_FONT,
	O_B,
	O_I,
	O_U,
	O_S,
	O_STRIKE,
	O_EM,
	O_STRONG,
	O_SMALL,
	O_BIG,
	O_SUB,
	O_SUP,
	O_TT,
	O_CODE,
	O_KBD,
	O_SAMP,
	O_VAR,
	O_CITE,
	O_DFN,
	O_ABBR,
	O_ACRONYM,
	O_Q,
	O_MARK,
	O_INS,
	O_DEL,
	O_COUNT
};

typedef struct pc_sanitize_el {
	const char *name;
	unsigned flags;
} pc_sanitize_el;
extern const pc_sanitize_el pc_sanitize_els[O_COUNT];

/* What a node of the attacker's tree becomes. */
typedef enum {
	A_KEEP,    /* written as OUT[kind] */
	A_LINK,    /* a span.pc-link */
	A_IMG,     /* a placeholder */
	A_INPUT,   /* "[input: TYPE]" */
	A_UNWRAP,  /* its content alone (counted) */
	A_INSIDE,  /* its content alone, not counted (body, html) */
	A_DROP,    /* nothing (counted) */
	A_REMOVED, /* "[NAME removed]" (counted) */
	A_STYLE,   /* nothing; a <style> (counted as a style) */
} action;

/* What node (of tag id) becomes: an action, and for A_KEEP and A_LINK the
 * kind written, for A_REMOVED the name shown. */
action pc_sanitize_classify(myhtml_tree_node_t *node, myhtml_tag_id_t id, int *kind, const char **what);

/* The attributes written, and what each may hold. */
typedef enum { V_WORD, V_LEN, V_INT, V_COLOR, V_FACE, V_DIR, V_BOOL, V_SIZE, V_LISTTYPE, V_STYLE } vkind;
typedef struct pc_sanitize_attr {
	const char *name;
	vkind kind;
} pc_sanitize_attr;
#define PC_SANITIZE_NATTRS 20
extern const pc_sanitize_attr pc_sanitize_attrs[PC_SANITIZE_NATTRS];
/* Whether v[0, n) (trimmed) is a value of that kind. */
bool pc_sanitize_value_ok(vkind k, const char *v, size_t n);

/* --- sanitize_css.c, sanitize_check.c ---------------------------------------- */

size_t pc_sanitize_style(const char *v, size_t n, GString *dst);
bool pc_sanitize_reads_back(myhtml_tree_t *tree, const char *frag, size_t n);

#endif
