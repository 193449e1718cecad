/*
 * NAME
 *   sanitize_props - what the console relies on in a fragment of web/sanitize.h, checked from outside
 * SYNOPSIS
 *   const char *why = sanitize_props(tree, frag, n);   NULL: every property holds
 * DESCRIPTION
 *   Shared by tests/unit/test_sanitize.c and fuzz/fuzz_sanitize.c, and
 *   written without web/sanitize*.c's code: a property checked with the
 *   code under test would prove little.
 *   - the bytes: valid UTF-8, no NUL or other C0 control but tab and line
 *     feed, no bidi control (they are marks), no "<script", no "url("
 *     (any case);
 *   - the tags, read by a small quote-aware tokenizer: element names from
 *     the output list only, attribute names from the output list only (no
 *     on*, src, href, action, srcdoc, background ... at all), class values
 *     ours only;
 *   - the tree, parsed by MyHTML as a browser would (the fragment in the
 *     <body> of a no-quirks document): the same elements and runs of text
 *     in the same order and nesting as the tokenizer read (so nothing is re-interpreted:
 *     no foster parenting, no implied or moved element, no attribute
 *     decoded into markup), no element deeper than PC_SANITIZE_DEPTH, and
 *     no decoded style value holding url(, image-set(, expression(,
 *     '\', '@', a comment, var(, or a property position, top, left,
 *     z-index, transform, unicode-bidi, behavior, -moz-binding ...
 */
#ifndef PC_TEST_SANITIZE_PROPS_H
#define PC_TEST_SANITIZE_PROPS_H

#include <glib.h>
#include <myhtml/api.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web/sanitize.h"

static const char *const props_elements[] = {
    "div",   "p",      "blockquote", "pre",    "center", "h1",      "h2",   "h3",   "h4",  "h5",    "h6",
    "ul",    "ol",     "li",         "dl",     "dt",     "dd",      "hr",   "br",   "wbr", "table", "caption",
    "thead", "tbody",  "tfoot",      "tr",     "td",     "th",      "span", "font", "b",   "i",     "u",
    "s",     "strike", "em",         "strong", "small",  "big",     "sub",  "sup",  "tt",  "code",  "kbd",
    "samp",  "var",    "cite",       "dfn",    "abbr",   "acronym", "q",    "mark", "ins", "del"};
static const char *const props_attributes[] = {"class",       "title",       "style",   "align",   "valign", "width",
                                               "height",      "colspan",     "rowspan", "bgcolor", "color",  "border",
                                               "cellpadding", "cellspacing", "dir",     "face",    "size",   "nowrap",
                                               "noshade",     "start",       "type",    "clear"};
static const char *const props_classes[] = {"pc-link", "pc-img", "pc-cc", "pc-removed", "pc-cut", "pc-fallback"};

static bool props_in(const char *const *list, size_t n, const char *s, size_t l)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == l && !memcmp(list[i], s, l))
			return true;
	return false;
}

#define PROPS_IN(list, s, l) props_in(list, sizeof list / sizeof list[0], s, l)

static bool props_void(const char *s, size_t l)
{
	return (l == 2 && (!memcmp(s, "br", 2) || !memcmp(s, "hr", 2))) || (l == 3 && !memcmp(s, "wbr", 3));
}

static bool props_has(const char *s, size_t n, const char *needle)
{
	size_t l = strlen(needle);
	for (size_t i = 0; i + l <= n; i++)
		if (!strncasecmp(s + i, needle, l))
			return true;
	return false;
}

/* "+name" and "-name" for each start and end of an element, as the
 * tokenizer reads the fragment; NULL when a tag breaks a rule (*why). */
static GString *props_tokens(const char *s, size_t n, const char **why)
{
	GString *ev = g_string_new(NULL);
	bool text = false;
	for (size_t i = 0; i < n;) {
		if (s[i] != '<') {
			if (!text)
				g_string_append(ev, "# ");
			text = true;
			i++;
			continue;
		}
		text = false;
		bool end = i + 1 < n && s[i + 1] == '/';
		size_t b = i + 1 + end, e = b;
		while (e < n && ((s[e] >= 'a' && s[e] <= 'z') || (s[e] >= '0' && s[e] <= '9')))
			e++;
		if (e == b || !PROPS_IN(props_elements, s + b, e - b)) {
			*why = "an element not on the output list";
			goto bad;
		}
		if (!end || !props_void(s + b, e - b)) {
			g_string_append_c(ev, end ? '-' : '+');
			g_string_append_len(ev, s + b, (gssize)(e - b));
			g_string_append_c(ev, ' ');
		}
		i = e;
		struct name {
			const char *s;
			size_t n;
		} seen[64];
		size_t nseen = 0;
		for (;;) { /* attributes */
			while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '/'))
				i++;
			if (i >= n) {
				*why = "a tag that never ends";
				goto bad;
			}
			if (s[i] == '>') {
				i++;
				if (!end && e - b == 3 && !memcmp(s + b, "pre", 3) && i < n && s[i] == '\n')
					i++; /* the parser drops it */
				break;
			}
			size_t ab = i;
			while (i < n && s[i] != '=' && s[i] != ' ' && s[i] != '>' && s[i] != '/')
				i++;
			if (end || !PROPS_IN(props_attributes, s + ab, i - ab)) {
				*why = "an attribute not on the output list (or on an end tag)";
				goto bad;
			}
			for (size_t k = 0; k < nseen; k++)
				if (seen[k].n == i - ab && !memcmp(seen[k].s, s + ab, i - ab)) {
					*why = "an attribute twice (a browser keeps the first)";
					goto bad;
				}
			if (nseen < sizeof seen / sizeof seen[0])
				seen[nseen++] = (struct name){s + ab, i - ab};
			bool cls = i - ab == 5 && !memcmp(s + ab, "class", 5);
			if (i < n && s[i] == '=') {
				i++;
				char q = i < n && (s[i] == '"' || s[i] == '\'') ? s[i++] : 0;
				size_t vb = i;
				while (i < n && (q ? s[i] != q : (s[i] != ' ' && s[i] != '>')))
					i++;
				if (cls && !PROPS_IN(props_classes, s + vb, i - vb)) {
					*why = "a class that is not ours";
					goto bad;
				}
				if (q && i < n)
					i++;
			}
		}
	}
	return ev;
bad:
	g_string_free(ev, TRUE);
	return NULL;
}

/* A decoded style value: nothing that loads or escapes anywhere, and no
 * property that moves or reorders out of the element's box. */
static const char *props_style(const char *v, size_t l)
{
	static const char *const bad[] = {"url(", "image-set(", "image(", "expression(", "\\",
	                                  "@",    "/*",         "var(",   "attr("};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
		if (props_has(v, l, bad[k]))
			return "a style value that loads or escapes";
	static const char *const props[] = {"position", "top",       "left",         "right",    "bottom",      "inset",
	                                    "z-index",  "transform", "unicode-bidi", "behavior", "-moz-binding"};
	for (size_t i = 0; i < l;) {
		while (i < l && (v[i] == ' ' || v[i] == ';'))
			i++;
		size_t b = i;
		while (i < l && v[i] != ':' && v[i] != ';')
			i++;
		size_t e = i;
		while (e > b && v[e - 1] == ' ')
			e--;
		for (size_t k = 0; k < sizeof props / sizeof props[0]; k++)
			if (strlen(props[k]) == e - b && !strncasecmp(v + b, props[k], e - b))
				return "a style property that moves or reorders out of its box";
		while (i < l && v[i] != ';')
			i++;
	}
	return NULL;
}

static const char *sanitize_props(myhtml_tree_t *tree, const char *frag, size_t n)
{
	if (!g_utf8_validate_len(frag, n, NULL))
		return "invalid UTF-8";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)frag[i];
		if (c < 0x20 && c != '\t' && c != '\n')
			return "a control character";
		if (c == 0xe2 && i + 2 < n &&
		    ((frag[i + 1] == '\x80' &&
		      ((unsigned char)frag[i + 2] >= 0xaa && (unsigned char)frag[i + 2] <= 0xae)) ||
		     (frag[i + 1] == '\x81' &&
		      ((unsigned char)frag[i + 2] >= 0xa6 && (unsigned char)frag[i + 2] <= 0xa9)) ||
		     (frag[i + 1] == '\x80' && (frag[i + 2] == '\x8e' || frag[i + 2] == '\x8f'))))
			return "a bidi control character";
	}
	if (props_has(frag, n, "<script"))
		return "<script";
	if (props_has(frag, n, "url("))
		return "url(";
	const char *why = NULL;
	GString *tok = props_tokens(frag, n, &why);
	if (!tok)
		return why;
	static const char prefix[] = "<!DOCTYPE html><html><head></head><body>";
	char *doc = malloc(sizeof prefix + n);
	memcpy(doc, prefix, sizeof prefix - 1);
	memcpy(doc + sizeof prefix - 1, frag, n);
	myhtml_tree_clean(tree);
	GString *ev = g_string_new(NULL);
	if (myhtml_parse(tree, MyENCODING_UTF_8, doc, sizeof prefix - 1 + n) != MyHTML_STATUS_OK)
		why = "MyHTML failed";
	myhtml_tree_node_t *body = why ? NULL : myhtml_tree_get_node_body(tree);
	myhtml_tree_node_t *node = body ? myhtml_node_child(body) : NULL;
	size_t depth = 1;
	while (node && !why) {
		myhtml_tag_id_t id = myhtml_node_tag_id(node);
		size_t tl = 0;
		const char *tn = myhtml_tag_name_by_id(tree, id, &tl);
		bool el = id != MyHTML_TAG__TEXT && id != MyHTML_TAG__COMMENT;
		if (id == MyHTML_TAG__COMMENT)
			why = "a comment";
		if (id == MyHTML_TAG__TEXT && (ev->len < 2 || ev->str[ev->len - 2] != '#'))
			g_string_append(ev, "# ");
		if (el) {
			if (depth > PC_SANITIZE_DEPTH)
				why = "deeper than PC_SANITIZE_DEPTH";
			g_string_append_c(ev, '+');
			g_string_append_len(ev, tn, (gssize)tl);
			g_string_append_c(ev, ' ');
			for (myhtml_tree_attr_t *a = myhtml_node_attribute_first(node); a && !why;
			     a = myhtml_attribute_next(a)) {
				size_t kl = 0, vl = 0;
				const char *k = myhtml_attribute_key(a, &kl);
				const char *v = myhtml_attribute_value(a, &vl);
				if (!k || !PROPS_IN(props_attributes, k, kl))
					why = "the parser found an attribute that is not on the output list";
				else if (kl == 5 && !memcmp(k, "style", 5) && v)
					why = props_style(v, vl);
			}
		}
		myhtml_tree_node_t *child = el ? myhtml_node_child(node) : NULL;
		if (child) {
			node = child;
			depth++;
			continue;
		}
		if (el && !props_void(tn, tl)) {
			g_string_append_c(ev, '-');
			g_string_append_len(ev, tn, (gssize)tl);
			g_string_append_c(ev, ' ');
		}
		while (node) {
			myhtml_tree_node_t *next = myhtml_node_next(node);
			if (next) {
				node = next;
				break;
			}
			node = myhtml_node_parent(node);
			depth--;
			if (!node || node == body) {
				node = NULL;
				break;
			}
			tn = myhtml_tag_name_by_id(tree, myhtml_node_tag_id(node), &tl);
			g_string_append_c(ev, '-');
			g_string_append_len(ev, tn, (gssize)tl);
			g_string_append_c(ev, ' ');
		}
	}
	if (!why && !g_string_equal(ev, tok))
		why = "the parser builds another tree than the tags say (mXSS)";
	g_string_free(ev, TRUE);
	g_string_free(tok, TRUE);
	myhtml_tree_clean(tree);
	free(doc);
	return why;
}

#endif
