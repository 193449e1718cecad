/*
 * NAME
 *   cascade - the style sheets of an HTML part applied to its elements
 *   (see cascade.h)
 * DESCRIPTION
 *   Matches are (element, specificity, order, rule) records in one array,
 *   sorted by element then by precedence once the sheets are read; an
 *   element finds its own by binary search. The array is the object's and
 *   is reused from part to part (capped: PC_CASCADE_MATCHES).
 */
#define _GNU_SOURCE
#include "extract/cascade.h"

#include <ctype.h>
#include <modest/finder/finder.h>
#include <mycss/mycss.h>
#include <myhtml/myhtml.h>
#include <mycss/an_plus_b.h>
#include <mycss/selectors/init.h>
#include <mycss/selectors/value.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PC_CASCADE_MATCHES 500000u
#define SELECTOR_CHUNK 32

typedef struct match {
	myhtml_tree_node_t *node;
	uint32_t spec; /* a << 20 | b << 10 | c, each capped */
	uint32_t order;
	const pc_css_style *st;
	unsigned media;
} match;

struct pc_cascade {
	mycss_t *mycss;
	mycss_entry_t *entry;
	modest_finder_t *finder;
	match *v;
	size_t n, cap;
	myhtml_tree_node_t **inert; /* the <style>s inside a <template>, sorted */
	size_t ninert, capinert;
	/* while building */
	pc_arena *arena;
	myhtml_tree_t *tree;
	size_t nodes, fanout, depth; /* elements, the most children of one, the deepest */
	uint64_t *names;             /* hashes of the classes and ids in the tree, sorted */
	size_t nnames;
	bool stats; /* the above were read (at the first rule that needs them) */
	pc_cascade_info *info;
	const pc_css_style *cur_st;
	unsigned cur_media;
	uint32_t order;
	bool nomem;
};

pc_cascade *pc_cascade_new(void)
{
	pc_cascade *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->mycss = mycss_create();
	if (!c->mycss || mycss_init(c->mycss) != MyCSS_STATUS_OK)
		goto fail;
	c->entry = mycss_entry_create();
	if (!c->entry || mycss_entry_init(c->mycss, c->entry) != MyCSS_STATUS_OK)
		goto fail;
	c->finder = modest_finder_create_simple();
	if (!c->finder)
		goto fail;
	return c;
fail:
	pc_cascade_free(c);
	return NULL;
}

void pc_cascade_free(pc_cascade *c)
{
	if (!c)
		return;
	if (c->finder)
		modest_finder_destroy(c->finder, true);
	if (c->entry)
		mycss_entry_destroy(c->entry, true);
	if (c->mycss)
		mycss_destroy(c->mycss, true);
	free(c->v);
	free(c->inert);
	free(c);
}

void pc_cascade_clear(pc_cascade *c)
{
	if (c)
		c->n = c->ninert = 0;
}

bool pc_cascade_any(const pc_cascade *c)
{
	return c && c->n;
}

static uint32_t cap10(unsigned v)
{
	return v > 1023 ? 1023 : v;
}

static void found(modest_finder_t *finder, myhtml_tree_node_t *node, mycss_selectors_list_t *list,
                  mycss_selectors_entry_t *sel, mycss_selectors_specificity_t *spec, void *ctx)
{
	(void)finder;
	(void)list;
	(void)sel;
	pc_cascade *c = ctx;
	if (c->nomem || c->info->over)
		return;
	if (c->n == c->cap) {
		if (c->cap >= PC_CASCADE_MATCHES) {
			c->info->over = true;
			return;
		}
		size_t nc = c->cap ? c->cap * 2 : 1024;
		match *nv = realloc(c->v, nc * sizeof *nv);
		if (!nv) {
			c->nomem = true;
			return;
		}
		c->v = nv;
		c->cap = nc;
	}
	c->v[c->n++] = (match){node, cap10(spec->a) << 20 | cap10(spec->b) << 10 | cap10(spec->c), c->order, c->cur_st,
	                       c->cur_media};
	c->info->matches++;
}

/* FNV-1a of a class or id name, in lower case (quirks mode compares
 * them without case: a superset is safe, it only skips less). */
static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 1099511628211ull;
	}
	return h;
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static void add_name(pc_cascade *c, size_t *cap, const char *s, size_t n)
{
	if (c->nomem || !n)
		return;
	if (c->nnames == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		uint64_t *nv = pc_arena_alloc(c->arena, nc * sizeof *nv);
		if (!nv) {
			c->nomem = true;
			return;
		}
		if (c->nnames)
			memcpy(nv, c->names, c->nnames * sizeof *nv);
		c->names = nv;
		*cap = nc;
	}
	c->names[c->nnames++] = name_hash(s, n);
}

/* The classes and the id of an element into c->names. */
static void element_names(pc_cascade *c, size_t *cap, myhtml_tree_node_t *node)
{
	size_t l = 0;
	myhtml_tree_attr_t *a = myhtml_attribute_by_key(node, "class", 5);
	const char *v = a ? myhtml_attribute_value(a, &l) : NULL;
	for (size_t i = 0; v && i < l;) {
		while (i < l && isspace((unsigned char)v[i]))
			i++;
		size_t b = i;
		while (i < l && !isspace((unsigned char)v[i]))
			i++;
		add_name(c, cap, v + b, i - b);
	}
	a = myhtml_attribute_by_key(node, "id", 2);
	v = a ? myhtml_attribute_value(a, &l) : NULL;
	if (v)
		add_name(c, cap, v, l);
}

/* Whether every class and id a selector needs outside its parentheses
 * and brackets is on some element: a selector naming one that is not can
 * match nothing (a framework's sheet names hundreds the message never
 * uses). An escape makes the answer "maybe". */
static bool names_present(const pc_cascade *c, const char *s, size_t n)
{
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\\')
			return true;
		if (ch == '(' || ch == '[')
			depth++;
		else if ((ch == ')' || ch == ']') && depth)
			depth--;
		else if (ch == '"' || ch == '\'')
			return true;
		else if ((ch == '.' || ch == '#') && !depth) {
			size_t b = ++i;
			while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' ||
			                 (unsigned char)s[i] >= 0x80))
				i++;
			if (i == b)
				return true;
			uint64_t h = name_hash(s + b, i - b);
			if (!c->nnames || !bsearch(&h, c->names, c->nnames, sizeof h, u64_cmp))
				return false;
			i--;
		}
	}
	return true;
}

static void tree_stats(pc_cascade *c, myhtml_tree_t *tree, size_t *nodes, size_t *fanout, size_t *depth)
{
	size_t n = 0, most = 0, d = 1, deepest = 1, cap = 0;
	c->nnames = 0;
	myhtml_tree_node_t *root = myhtml_tree_get_node_html(tree);
	for (myhtml_tree_node_t *node = root; node;) {
		n++;
		if (myhtml_node_tag_id(node) != MyHTML_TAG__TEXT && myhtml_node_tag_id(node) != MyHTML_TAG__COMMENT)
			element_names(c, &cap, node);
		size_t kids = 0;
		for (myhtml_tree_node_t *k = myhtml_node_child(node); k; k = myhtml_node_next(k))
			kids++;
		if (kids > most)
			most = kids;
		if (myhtml_node_child(node)) {
			node = myhtml_node_child(node);
			if (++d > deepest)
				deepest = d;
			continue;
		}
		while (node && node != root && !myhtml_node_next(node)) {
			node = myhtml_node_parent(node);
			d--;
		}
		node = node && node != root ? myhtml_node_next(node) : NULL;
	}
	*nodes = n ? n : 1;
	*fanout = most ? most : 1;
	*depth = deepest;
	if (c->nnames > 1)
		qsort(c->names, c->nnames, sizeof *c->names, u64_cmp);
}

/* Work a selector costs the finder, in element visits. The finder reads
 * left to right: a walk of the tree per compound; per element, its
 * siblings for the structural pseudo-classes (:nth-child, :last-child ...
 * count them) and its subtree for :has() (all subtrees together hold each
 * element once per ancestor: elements x depth). The sibling combinator
 * multiplies: for each element the left side matches, the finder walks
 * its following siblings, and for each of those that matches the next
 * compound it walks theirs again (".s ~ .s ~ .s ~ img" over 500 siblings
 * took 30 s), so each '~' costs the widest fan-out again. Saturates. */
static size_t selector_work(const char *s, size_t n, size_t nodes, size_t fanout, size_t depth)
{
	size_t compounds = 1, per = 0, mult = 1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == ' ' || ch == '>' || ch == '+')
			compounds++;
		else if (ch == '~' && !(i + 1 < n && s[i + 1] == '=')) {
			compounds++;
			mult = mult > PC_CASCADE_WORK / fanout ? PC_CASCADE_WORK : mult * fanout;
		} else if (ch == ':' && i + 4 < n && !strncasecmp(s + i, ":has(", 5))
			per += depth;
		else if (ch == ':' && i + 5 < n &&
		         (!strncasecmp(s + i, ":nth-", 5) || !strncasecmp(s + i, ":last-", 6) ||
		          !strncasecmp(s + i, ":only-", 6) || !strncasecmp(s + i, ":first-of", 9)))
			per += fanout;
		else if (ch == '(')
			per += 8; /* :not( :is( :where( : compounds inside */
	}
	if (compounds > 64)
		compounds = 64;
	if (per > nodes)
		per = nodes;
	size_t w = nodes * (compounds + per);
	return mult > 1 && w > PC_CASCADE_WORK / mult ? (size_t)PC_CASCADE_WORK + 1 : w * mult;
}

/* The end of the selector starting at s[i]: the next comma outside
 * parentheses, brackets and strings. */
static size_t selector_end(const char *s, size_t n, size_t i)
{
	int depth = 0;
	for (; i < n; i++) {
		char ch = s[i];
		if (ch == '\\') {
			i++;
		} else if (ch == '"' || ch == '\'') {
			for (i++; i < n && s[i] != ch; i++)
				if (s[i] == '\\')
					i++;
		} else if (ch == '(' || ch == '[')
			depth++;
		else if ((ch == ')' || ch == ']') && depth)
			depth--;
		else if (ch == ',' && !depth)
			break;
	}
	return i;
}

/* Whether a declaration block names a property pc_css_style keeps: most
 * rules of a newsletter's sheet (fonts, colours, padding) do not, and are
 * neither parsed nor matched. One pass: the name before each ':' that
 * starts a declaration, looked up by its length and first letter. */
static bool known_property(const char *p, size_t n)
{
	static const char *const props[] = {"display",
	                                    "visibility",
	                                    "opacity",
	                                    "width",
	                                    "height",
	                                    "max-width",
	                                    "max-height",
	                                    "overflow",
	                                    "position",
	                                    "left",
	                                    "top",
	                                    "right",
	                                    "bottom",
	                                    "margin",
	                                    "margin-left",
	                                    "margin-top",
	                                    "clip",
	                                    "clip-path",
	                                    "-webkit-clip-path",
	                                    "transform",
	                                    "-webkit-transform",
	                                    "scale",
	                                    "translate",
	                                    "filter",
	                                    "-webkit-filter",
	                                    "text-indent",
	                                    "zoom"};
	for (size_t k = 0; k < sizeof props / sizeof props[0]; k++)
		if (strlen(props[k]) == n && !strncasecmp(p, props[k], n))
			return true;
	return false;
}

static bool relevant(const char *s, size_t n)
{
	size_t b = 0;
	bool name = true; /* at the start of a declaration */
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == ';' || ch == '{' || ch == '}') {
			name = true;
			b = i + 1;
		} else if (ch == ':' && name) {
			size_t x = b, e = i;
			while (x < e && isspace((unsigned char)s[x]))
				x++;
			while (e > x && isspace((unsigned char)s[e - 1]))
				e--;
			if (e > x && e - x <= 17 && known_property(s + x, e - x))
				return true;
			name = false;
		} else if (ch == '/' && i + 1 < n && s[i + 1] == '*') {
			return true; /* a comment may hide a name from this scan: parse it */
		} else if (ch == '\\') {
			return true; /* an escaped name: parse it */
		}
	}
	return false;
}

/* Whether a rule's declarations can hide, shrink or size what it
 * selects (so undo a hiding or a small size given elsewhere: the mobile
 * twin sized only by an @media rule). Every rule that names a known
 * property does; kept as the one place to narrow that. */
static bool matters(const pc_css_style *st)
{
	return st->set != 0;
}

/* Modest's [name=""] never matches (its equality test refuses an empty
 * value: modest_finder_match_attribute_eq returns false for value NULL);
 * a browser matches an attribute that is present and empty. Such an
 * attribute selector is read as [name]: broader, so a rule hiding by it
 * hides at least what it would. Returns s itself when there is none. */
static const char *empty_attr_fix(pc_arena *a, const char *s, size_t n, size_t *outn)
{
	*outn = n;
	if (!memmem(s, n, "=\"\"", 3) && !memmem(s, n, "=''", 3) && !memmem(s, n, "= \"\"", 4) &&
	    !memmem(s, n, "= ''", 4))
		return s;
	char *o = pc_arena_alloc(a, n + 1);
	if (!o)
		return s;
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] != '[') {
			o[j++] = s[i++];
			continue;
		}
		/* [ name = "" flags ] */
		size_t k = i + 1;
		while (k < n && s[k] == ' ')
			k++;
		size_t nb = k;
		while (k < n && s[k] != '=' && s[k] != ']' && s[k] != ' ' && s[k] != '^' && s[k] != '$' &&
		       s[k] != '*' && s[k] != '~' && s[k] != '|' && s[k] != '"' && s[k] != '\'')
			k++;
		size_t ne = k;
		while (k < n && s[k] == ' ')
			k++;
		bool hit = false;
		if (k < n && s[k] == '=' && ne > nb) {
			k++;
			while (k < n && s[k] == ' ')
				k++;
			if (k + 1 < n && (s[k] == '"' || s[k] == '\'') && s[k + 1] == s[k]) {
				k += 2;
				while (k < n && s[k] != ']' &&
				       (s[k] == ' ' || s[k] == 'i' || s[k] == 's' || s[k] == 'I' || s[k] == 'S'))
					k++;
				hit = k < n && s[k] == ']';
			}
		}
		if (!hit) {
			o[j++] = s[i++];
			continue;
		}
		o[j++] = '[';
		memcpy(o + j, s + nb, ne - nb);
		j += ne - nb;
		o[j++] = ']';
		i = k + 1;
	}
	*outn = j;
	return o;
}

/* Whether a selector list is well formed enough to hand to MyCSS: valid
 * UTF-8 without control characters, attribute selectors that start with
 * a name and do not nest, strings closed, parentheses balanced (at most
 * 16 deep). MyCSS loops forever on some malformed lists ("[=\"\"[=\"\"]]]",
 * found by fuzz_html; kept in fuzz/corpus/html); a browser drops every
 * list this refuses. */
/* MyCSS reads these functional pseudo-classes safely; any other name
 * (":dir(" frees memory it does not own when the list is destroyed,
 * found by red-teaming) keeps the selector from MyCSS. The name is read
 * with CSS escapes decoded, as MyCSS reads it ("d\\ir(" is ":dir("). */
static bool pseudo_function_known(const char *s, size_t n, size_t i)
{
	static const char *const known[] = {"not",     "nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type",
	                                    "lang",    "has",       "matches",        "is",          "where",
	                                    "contains"};
	char name[24];
	size_t len = 0;
	if (i < n && s[i] == ':')
		i++;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		unsigned cp;
		if (c == '\\') {
			if (++i >= n)
				return false;
			if (isxdigit((unsigned char)s[i])) {
				cp = 0;
				for (int k = 0; k < 6 && i < n && isxdigit((unsigned char)s[i]); k++, i++)
					cp = cp * 16 + (unsigned)(isdigit((unsigned char)s[i])
					                              ? s[i] - '0'
					                              : (tolower((unsigned char)s[i]) - 'a' + 10));
				if (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
					i++;
			} else
				cp = (unsigned char)s[i++];
		} else if (isalnum(c) || c == '-' || c == '_' || c >= 0x80) {
			cp = c;
			i++;
		} else
			break;
		if (len + 1 >= sizeof name)
			return false;
		name[len++] = cp < 0x80 ? (char)tolower((int)cp) : '?';
	}
	if (i >= n || s[i] != '(')
		return true; /* not a function */
	name[len] = 0;
	for (size_t k = 0; k < sizeof known / sizeof *known; k++)
		if (!strcmp(name, known[k]))
			return true;
	return false;
}

static bool selector_sane(const char *s, size_t n)
{
	bool in_br = false, br_start = false;
	int paren = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) { /* one UTF-8 sequence, whole */
			size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
			if (!len || (c >= 0xf0 && len != 4) || i + len > n)
				return false;
			for (size_t k = 1; k < len; k++)
				if (((unsigned char)s[i + k] & 0xc0) != 0x80)
					return false;
			i += len - 1;
			br_start = false;
			continue;
		}
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
			return false;
		if (c == 0x7f)
			return false;
		if (c == '\\') {
			if (i + 1 >= n || s[i + 1] == '\n')
				return false;
			i++;
			br_start = false;
			continue;
		}
		if (in_br && br_start && c != ' ' && c != '\t' &&
		    !(isalpha(c) || c == '_' || c == '-' || c == '*' || c == '|'))
			return false;
		if (c != ' ' && c != '\t')
			br_start = false;
		if (c == ':' && !pseudo_function_known(s, n, i + 1))
			return false;
		if (c == '"' || c == '\'') {
			size_t k = i + 1;
			while (k < n && s[k] != (char)c && s[k] != '\n') {
				if (s[k] == '\\')
					k++;
				k++;
			}
			if (k >= n || s[k] != (char)c)
				return false;
			i = k;
		} else if (c == '[') {
			if (in_br)
				return false;
			in_br = br_start = true;
		} else if (c == ']') {
			if (!in_br)
				return false;
			in_br = false;
		} else if (c == '(') {
			/* only a pseudo-class function opens one (":not(",
			 * ":nth-child("), its name in ASCII: MyCSS reads
			 * ":not((a))x" or ":not(\u203e(a))x" into a tree Modest's
			 * :not() follows to NULL (SEGV). An escaped name is refused
			 * too: the rule is dropped, which only hides less. */
			size_t b = i;
			while (b && (isalnum((unsigned char)s[b - 1]) || s[b - 1] == '-' || s[b - 1] == '_'))
				b--;
			if (b == i || !b || s[b - 1] != ':')
				return false;
			if (++paren > 16)
				return false;
		} else if (c == ')') {
			if (--paren < 0)
				return false;
		}
	}
	return !in_br && paren == 0;
}

/* Whether Modest's finder can walk what MyCSS parsed. The finder follows
 * the parsed tree's pointers and indexes its tables by the tree's enums
 * without a check: a ":not(" whose list MyCSS left NULL read address 8
 * (fuzz_html in CI, from a one-bit change of a seed that passed
 * selector_sane). So the tree itself is checked here, whatever text made
 * it: every list and entry present, every type, sub-type and combinator
 * inside its table, every name a finder compares present, nesting at
 * most 16 deep and at most 4096 compounds per selector. A list that fails
 * is dropped, which only hides less. */
static bool sel_list_walkable(const mycss_selectors_list_t *l, int depth);

static bool sel_entry_walkable(const mycss_selectors_entry_t *e, int depth)
{
	size_t n = 0;
	for (; e; e = e->next) {
		if (++n > 4096 || e->type >= MyCSS_SELECTORS_TYPE_LAST_ENTRY ||
		    (unsigned)e->combinator >= MyCSS_SELECTORS_COMBINATOR_LAST_ENTRY)
			return false;
		switch (e->type) {
		case MyCSS_SELECTORS_TYPE_ELEMENT:
		case MyCSS_SELECTORS_TYPE_ID:
		case MyCSS_SELECTORS_TYPE_CLASS:
			if (!e->key || !e->key->data)
				return false;
			break;
		case MyCSS_SELECTORS_TYPE_ATTRIBUTE: {
			const mycss_selectors_object_attribute_t *a = mycss_selector_value_attribute(e->value);
			if (!e->key || !e->key->data)
				return false;
			if (a && (a->match >= MyCSS_SELECTORS_MATCH_LAST_ENTRY || (a->value && !a->value->data)))
				return false;
			break;
		}
		case MyCSS_SELECTORS_TYPE_PSEUDO_CLASS_FUNCTION:
			switch (e->sub_type) {
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_CURRENT:
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_HAS:
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_MATCHES:
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_NOT:
				if (!sel_list_walkable(e->value, depth + 1))
					return false;
				break;
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_CONTAINS: {
				/* the finder reads key->data of every compound */
				const mycss_selectors_list_t *l = e->value;
				if (!sel_list_walkable(l, depth + 1))
					return false;
				for (size_t i = 0; i < l->entries_list_length; i++)
					for (const mycss_selectors_entry_t *k = l->entries_list[i].entry; k;
					     k = k->next)
						if (!k->key)
							return false;
				break;
			}
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_NTH_CHILD:
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_NTH_LAST_CHILD:
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_NTH_OF_TYPE:
			case MyCSS_SELECTORS_SUB_TYPE_PSEUDO_CLASS_FUNCTION_NTH_LAST_OF_TYPE: {
				const mycss_an_plus_b_entry_t *anb = mycss_selector_value_an_plus_b(e->value);
				if (anb && anb->of && !sel_list_walkable(anb->of, depth + 1))
					return false;
				break;
			}
			default: /* the finder answers false without reading */
				break;
			}
			break;
		default:
			break;
		}
	}
	return true;
}

static bool sel_list_walkable(const mycss_selectors_list_t *l, int depth)
{
	if (!l || depth > 16 || (l->entries_list_length && !l->entries_list))
		return false;
	for (size_t i = 0; i < l->entries_list_length; i++)
		if (!l->entries_list[i].entry || !sel_entry_walkable(l->entries_list[i].entry, depth))
			return false;
	return true;
}

/* Parses one chunk of a selector list and matches each selector. */
static void match_list(pc_cascade *c, const char *sel, size_t seln)
{
	mystatus_t status = 0;
	sel = empty_attr_fix(c->arena, sel, seln, &seln);
	mycss_selectors_list_t *list =
	    mycss_selectors_parse(mycss_entry_selectors(c->entry), MyENCODING_UTF_8, sel, seln, &status);
	if (!list)
		return;
	if (status || (list->flags & MyCSS_SELECTORS_FLAGS_SELECTOR_BAD) || !sel_list_walkable(list, 0)) {
		c->info->dropped++;
		mycss_selectors_list_destroy(mycss_entry_selectors(c->entry), list, true);
		return;
	}
	myhtml_tree_node_t *root = myhtml_tree_get_node_html(c->tree);
	for (size_t i = 0; root && i < list->entries_list_length; i++) {
		mycss_selectors_specificity_t spec = list->entries_list[i].specificity;
		modest_finder_node_combinator_begin(c->finder, root, list, list->entries_list[i].entry, &spec, found,
		                                    c);
		c->info->applied++;
	}
	mycss_selectors_list_destroy(mycss_entry_selectors(c->entry), list, true);
}

static void on_rule(void *ctx, const char *sel, size_t seln, const char *decl, size_t decln, unsigned media)
{
	pc_cascade *c = ctx;
	c->info->rules++;
	c->order++;
	if (c->nomem || c->info->over || !relevant(decl, decln))
		return;
	pc_css_style *st = pc_arena_alloc(c->arena, sizeof *st);
	if (!st) {
		c->nomem = true;
		return;
	}
	pc_css_style_init(st);
	pc_css_parse_style(c->arena, decl, decln, st, NULL, NULL);
	if (!st->set || !matters(st))
		return;
	if (!c->stats) { /* one walk of the tree, for a part whose sheets matter */
		tree_stats(c, c->tree, &c->nodes, &c->fanout, &c->depth);
		c->stats = true;
	}
	c->cur_st = st;
	c->cur_media = media;
	/* the list in chunks of SELECTOR_CHUNK selectors: MyCSS's parse of one
	 * long list grows faster than the list (a bomb of 100,000 selectors
	 * took minutes and 230 MB). A selector selector_sane refuses is left
	 * out of its chunk, a chunk MyCSS cannot read is dropped: a browser
	 * would drop the whole list, which only ever hides less. */
	char *chunk = pc_arena_alloc(c->arena, seln + 1);
	if (!chunk) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < seln && !c->info->over;) {
		size_t k = 0, w = 0, cn = 0;
		while (i < seln && k < SELECTOR_CHUNK) {
			size_t e = selector_end(sel, seln, i);
			if (!names_present(c, sel + i, e - i)) {
				/* matches nothing: no work */
			} else if (selector_sane(sel + i, e - i)) {
				w += selector_work(sel + i, e - i, c->nodes, c->fanout, c->depth);
				if (cn)
					chunk[cn++] = ',';
				memcpy(chunk + cn, sel + i, e - i);
				cn += e - i;
				k++;
			} else
				c->info->dropped++;
			i = e < seln ? e + 1 : seln;
		}
		if (c->info->work + w > PC_CASCADE_WORK) {
			c->info->over = true;
			break;
		}
		c->info->work += w;
		if (cn)
			match_list(c, chunk, cn);
	}
}

static int match_cmp(const void *x, const void *y)
{
	const match *a = x, *b = y;
	if (a->node != b->node)
		return (uintptr_t)a->node < (uintptr_t)b->node ? -1 : 1;
	if (a->spec != b->spec)
		return a->spec < b->spec ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static const char *style_attr(myhtml_tree_node_t *node, const char *key, size_t *len)
{
	myhtml_tree_attr_t *a = myhtml_attribute_by_key(node, key, strlen(key));
	if (!a)
		return NULL;
	const char *v = myhtml_attribute_value(a, len);
	if (!v)
		*len = 0;
	return v ? v : "";
}

static int ptr_cmp(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t) * (myhtml_tree_node_t *const *)x, b = (uintptr_t) * (myhtml_tree_node_t *const *)y;
	return a < b ? -1 : a > b;
}

/* The <style>s inside a <template> (its content is inert): one walk of
 * the tree, and only when it has a template. false: out of memory. */
static bool find_inert(pc_cascade *c, myhtml_tree_t *tree)
{
	c->ninert = 0;
	myhtml_collection_t *t = myhtml_get_nodes_by_tag_id(tree, NULL, MyHTML_TAG_TEMPLATE, NULL);
	size_t nt = t ? t->length : 0;
	if (t)
		myhtml_collection_destroy(t);
	if (!nt)
		return true;
	myhtml_tree_node_t *root = myhtml_tree_get_document(tree);
	myhtml_tree_node_t *node = root ? myhtml_node_child(root) : NULL;
	size_t in = 0; /* templates around node */
	while (node) {
		myhtml_tag_id_t id = myhtml_node_tag_id(node);
		if (id == MyHTML_TAG_STYLE && in) {
			if (c->ninert == c->capinert) {
				size_t cap = c->capinert ? 2 * c->capinert : 16;
				myhtml_tree_node_t **v = realloc(c->inert, cap * sizeof *v);
				if (!v)
					return false;
				c->inert = v;
				c->capinert = cap;
			}
			c->inert[c->ninert++] = node;
		}
		myhtml_tree_node_t *child = myhtml_node_child(node);
		if (child) {
			in += id == MyHTML_TAG_TEMPLATE;
			node = child;
			continue;
		}
		while (node) {
			myhtml_tree_node_t *next = myhtml_node_next(node);
			if (next) {
				node = next;
				break;
			}
			node = myhtml_node_parent(node);
			if (!node || node == root) {
				node = NULL;
				break;
			}
			if (myhtml_node_tag_id(node) == MyHTML_TAG_TEMPLATE && in)
				in--;
		}
	}
	if (c->ninert > 1)
		qsort(c->inert, c->ninert, sizeof *c->inert, ptr_cmp);
	return true;
}

bool pc_cascade_is_sheet(const pc_cascade *c, myhtml_tree_node_t *style)
{
	size_t l;
	const char *t = style_attr(style, "type", &l);
	if (t) {
		while (l && isspace((unsigned char)*t)) { /* browsers accept " text/css " */
			t++;
			l--;
		}
		while (l && isspace((unsigned char)t[l - 1]))
			l--;
		if (l && !(l == 8 && !strncasecmp(t, "text/css", 8)))
			return false;
	}
	return !(c && c->ninert && bsearch(&style, c->inert, c->ninert, sizeof *c->inert, ptr_cmp));
}

unsigned pc_cascade_sheet_media(myhtml_tree_node_t *style)
{
	size_t l;
	const char *m = style_attr(style, "media", &l);
	return m ? pc_css_media(m, l) : PC_CSS_MEDIA_ALL;
}

/* Elements of the tree, the most children one has and the depth: one walk. */
int pc_cascade_build(pc_cascade *c, pc_arena *a, myhtml_tree_t *tree, pc_cascade_info *info)
{
	memset(info, 0, sizeof *info);
	c->n = 0;
	c->arena = a;
	c->tree = tree;
	c->nnames = 0;
	c->stats = false;
	c->info = info;
	c->order = 0;
	c->nomem = !find_inert(c, tree);
	myhtml_collection_t *styles = myhtml_get_nodes_by_tag_id(tree, NULL, MyHTML_TAG_STYLE, NULL);
	if (styles) {
		for (size_t i = 0; i < styles->length && !info->over && !c->nomem; i++) {
			if (!pc_cascade_is_sheet(c, styles->list[i]))
				continue;
			unsigned media = pc_cascade_sheet_media(styles->list[i]);
			for (myhtml_tree_node_t *t = myhtml_node_child(styles->list[i]); t; t = myhtml_node_next(t)) {
				size_t l = 0;
				const char *txt =
				    myhtml_node_tag_id(t) == MyHTML_TAG__TEXT ? myhtml_node_text(t, &l) : NULL;
				if (!txt || !l)
					continue;
				size_t left = PC_CASCADE_RULES > info->rules ? PC_CASCADE_RULES - info->rules : 0;
				if (!left || pc_css_sheet_each_in(txt, l, left, media, on_rule, c) >= left)
					info->over = info->over || info->rules >= PC_CASCADE_RULES;
			}
		}
		myhtml_collection_destroy(styles);
	}
	mycss_entry_clean_all(c->entry);
	if (c->n > 1)
		qsort(c->v, c->n, sizeof *c->v, match_cmp);
	c->info = NULL;
	return c->nomem ? -1 : 0;
}

void pc_cascade_style(const pc_cascade *c, myhtml_tree_node_t *node, const pc_css_style *inl, pc_css_style out[2])
{
	pc_css_style_init(&out[0]);
	pc_css_style_init(&out[1]);
	size_t lo = 0, hi = c ? c->n : 0;
	while (lo < hi) { /* the first match of node */
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)c->v[mid].node < (uintptr_t)node)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (c && end < c->n && c->v[end].node == node)
		end++;
	for (int scr = 0; scr < 2; scr++) {
		pc_css_style *o = &out[scr];
		unsigned bit = 1u << scr;
		for (size_t i = lo; i < end; i++) /* normal declarations, by precedence */
			if (c->v[i].media & bit)
				pc_css_merge(o, c->v[i].st, c->v[i].st->set & ~c->v[i].st->important);
		if (inl)
			pc_css_merge(o, inl, inl->set & ~inl->important);
		for (size_t i = lo; i < end; i++)
			if (c->v[i].media & bit)
				pc_css_merge(o, c->v[i].st, c->v[i].st->important);
		if (inl)
			pc_css_merge(o, inl, inl->important);
		pc_css_settle(o);
	}
}
