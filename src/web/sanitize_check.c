/*
 * NAME
 *   sanitize_check - does a written fragment parse back as written? (see sanitize_impl.h)
 * DESCRIPTION
 *   The fragment is read twice: by a small tokenizer for the regular form
 *   sanitize.c writes (every '<' in it starts one of our tags: text and
 *   values have theirs escaped), and by MyHTML as a browser would, inside
 *   "<!DOCTYPE html><html><head></head><body>". The tree is walked in
 *   document order and every element start and end must meet the same
 *   tag from the tokenizer, with the same attributes (none twice); the text between
 *   two tags must be the same characters. A tokenizer that meets anything
 *   outside that form says no. One pass over each; memory is the copy
 *   with its prefix and the text of one run, twice.
 */
#include "web/sanitize_impl.h"

#include <stdlib.h>
#include <string.h>

#define PREFIX "<!DOCTYPE html><html><head></head><body>"
#define MAX_ATTRS 32 /* we write fewer on any element */

typedef struct tok {
	const char *s;
	size_t n, i;
	GString *text; /* the text read since the last tag, unescaped */
	bool bad;
} tok;

static bool is_void(const char *name, size_t n)
{
	return (n == 2 && (!memcmp(name, "br", 2) || !memcmp(name, "hr", 2))) || (n == 3 && !memcmp(name, "wbr", 3));
}

/* The character a reference at s[i] ('&') stands for, and its length. */
static bool entity(const tok *t, size_t i, char *c, size_t *len)
{
	static const struct {
		const char *ref;
		char c;
	} refs[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&#40;", '('}};
	for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
		size_t l = strlen(refs[k].ref);
		if (t->n - i >= l && !memcmp(t->s + i, refs[k].ref, l)) {
			*c = refs[k].c;
			*len = l;
			return true;
		}
	}
	return false;
}

/* Reads text up to the next '<' (or the end) into t->text; the '<' is
 * found once, then each reference in between (linear). */
static void read_text(tok *t)
{
	const char *lt = memchr(t->s + t->i, '<', t->n - t->i);
	size_t stop = lt ? (size_t)(lt - t->s) : t->n;
	while (t->i < stop) {
		const char *amp = memchr(t->s + t->i, '&', stop - t->i);
		size_t end = amp ? (size_t)(amp - t->s) : stop;
		g_string_append_len(t->text, t->s + t->i, (gssize)(end - t->i));
		t->i = end;
		if (!amp)
			break;
		char c;
		size_t l;
		if (!entity(t, t->i, &c, &l)) {
			t->bad = true;
			return;
		}
		g_string_append_c(t->text, c);
		t->i += l;
	}
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* At a '<': the tag's name, whether it is an end tag; t->i after the name. */
static bool tag_name(tok *t, const char **name, size_t *nl, bool *end)
{
	if (t->i >= t->n || t->s[t->i] != '<')
		return false;
	t->i++;
	*end = t->i < t->n && t->s[t->i] == '/';
	if (*end)
		t->i++;
	*name = t->s + t->i;
	while (t->i < t->n && name_char(t->s[t->i]))
		t->i++;
	*nl = (size_t)(t->s + t->i - *name);
	return *nl > 0;
}

/* The next attribute of a start tag as it compares with a: ' k="v"'. */
static bool same_attr(tok *t, myhtml_tree_attr_t *a, GString *scratch)
{
	size_t kl = 0, vl = 0;
	const char *k = myhtml_attribute_key(a, &kl);
	const char *v = myhtml_attribute_value(a, &vl);
	if (!k || t->i >= t->n || t->s[t->i] != ' ')
		return false;
	t->i++;
	if (t->n - t->i < kl + 2 || memcmp(t->s + t->i, k, kl) || t->s[t->i + kl] != '=' || t->s[t->i + kl + 1] != '"')
		return false;
	t->i += kl + 2;
	g_string_truncate(scratch, 0);
	while (t->i < t->n && t->s[t->i] != '"') {
		if (t->s[t->i] == '<')
			return false;
		if (t->s[t->i] == '&') {
			char c;
			size_t l;
			if (!entity(t, t->i, &c, &l))
				return false;
			g_string_append_c(scratch, c);
			t->i += l;
		} else {
			g_string_append_c(scratch, t->s[t->i++]);
		}
	}
	if (t->i >= t->n)
		return false;
	t->i++;
	return scratch->len == (v ? vl : 0) && (!vl || !memcmp(scratch->str, v, vl));
}

typedef struct walk {
	myhtml_tree_t *tree;
	tok t;
	GString *tree_text, *scratch;
} walk;

/* At an element boundary: the text before it must agree. */
static bool text_agrees(walk *w)
{
	read_text(&w->t);
	bool ok = !w->t.bad && w->t.text->len == w->tree_text->len &&
	          !memcmp(w->t.text->str, w->tree_text->str, w->tree_text->len);
	g_string_truncate(w->t.text, 0);
	g_string_truncate(w->tree_text, 0);
	return ok;
}

static bool start_agrees(walk *w, myhtml_tree_node_t *node)
{
	const char *name;
	size_t nl, tl = 0;
	bool end;
	if (!text_agrees(w) || !tag_name(&w->t, &name, &nl, &end) || end)
		return false;
	const char *tn = myhtml_tag_name_by_id(w->tree, myhtml_node_tag_id(node), &tl);
	if (myhtml_node_namespace(node) != MyHTML_NAMESPACE_HTML || !tn || tl != nl || memcmp(tn, name, nl))
		return false;
	/* a name twice: MyHTML keeps both, a browser the first */
	myhtml_tree_attr_t *seen[MAX_ATTRS];
	size_t na = 0;
	for (myhtml_tree_attr_t *a = myhtml_node_attribute_first(node); a; a = myhtml_attribute_next(a)) {
		size_t kl = 0, ol = 0;
		const char *k = myhtml_attribute_key(a, &kl);
		for (size_t i = 0; i < na; i++) {
			const char *o = myhtml_attribute_key(seen[i], &ol);
			if (k && o && ol == kl && !memcmp(o, k, kl))
				return false;
		}
		if (na == MAX_ATTRS || !same_attr(&w->t, a, w->scratch))
			return false;
		seen[na++] = a;
	}
	if (w->t.i >= w->t.n || w->t.s[w->t.i] != '>')
		return false; /* an attribute MyHTML did not keep */
	w->t.i++;
	if (nl == 3 && !memcmp(name, "pre", 3) && w->t.i < w->t.n && w->t.s[w->t.i] == '\n')
		w->t.i++; /* the parser drops the line feed after <pre> */
	return true;
}

static bool end_agrees(walk *w, myhtml_tree_node_t *node)
{
	const char *name;
	size_t nl, tl = 0;
	bool end;
	const char *tn = myhtml_tag_name_by_id(w->tree, myhtml_node_tag_id(node), &tl);
	if (tn && is_void(tn, tl))
		return true;
	if (!text_agrees(w) || !tag_name(&w->t, &name, &nl, &end) || !end || !tn || tl != nl || memcmp(tn, name, nl))
		return false;
	if (w->t.i >= w->t.n || w->t.s[w->t.i] != '>')
		return false;
	w->t.i++;
	return true;
}

bool pc_sanitize_reads_back(myhtml_tree_t *tree, const char *frag, size_t n)
{
	size_t pl = strlen(PREFIX);
	char *doc = malloc(pl + n + 1);
	if (!doc)
		return false;
	memcpy(doc, PREFIX, pl);
	memcpy(doc + pl, frag, n);
	myhtml_tree_clean(tree);
	bool ok = myhtml_parse(tree, MyENCODING_UTF_8, doc, pl + n) == MyHTML_STATUS_OK;
	walk w = {tree, {frag, n, 0, g_string_new(NULL), false}, g_string_new(NULL), g_string_new(NULL)};
	myhtml_tree_node_t *body = ok ? myhtml_tree_get_node_body(tree) : NULL;
	myhtml_tree_node_t *node = body ? myhtml_node_child(body) : NULL;
	ok = ok && body;
	while (node && ok) {
		myhtml_tag_id_t id = myhtml_node_tag_id(node);
		myhtml_tree_node_t *child = NULL;
		if (id == MyHTML_TAG__TEXT) {
			size_t l = 0;
			const char *s = myhtml_node_text(node, &l);
			g_string_append_len(w.tree_text, s ? s : "", (gssize)(s ? l : 0));
		} else if (id == MyHTML_TAG__COMMENT || id == MyHTML_TAG__DOCTYPE) {
			ok = false; /* we write neither */
		} else {
			ok = start_agrees(&w, node);
			child = myhtml_node_child(node);
			if (ok && !child)
				ok = end_agrees(&w, node);
		}
		if (child) {
			node = child;
			continue;
		}
		while (node && ok) {
			myhtml_tree_node_t *next = myhtml_node_next(node);
			if (next) {
				node = next;
				break;
			}
			node = myhtml_node_parent(node);
			if (!node || node == body) {
				node = NULL;
				break;
			}
			ok = end_agrees(&w, node);
		}
	}
	ok = ok && text_agrees(&w) && w.t.i == w.t.n;
	g_string_free(w.t.text, TRUE);
	g_string_free(w.tree_text, TRUE);
	g_string_free(w.scratch, TRUE);
	myhtml_tree_clean(tree);
	free(doc);
	return ok;
}
