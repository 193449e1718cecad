/*
 * NAME
 *   sanitize - a mail's HTML body written again as an inert fragment (see sanitize.h)
 * DESCRIPTION
 *   classify() decides what a node of the attacker's tree becomes; the
 *   writer (open_el, text, leave) keeps a stack of what it has opened and
 *   is the only place that writes markup. Every name and attribute name
 *   it writes is one of ours; every value and text goes through esc().
 */
#include "web/sanitize.h"

#include <myencoding/encoding.h>
#include <myhtml/api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/safetext.h"
#include "parse/htmlcut.h"
#include "parse/mime.h"
#include "parse/url.h"
#include "web/sanitize_impl.h"

#define RESERVE 4096    /* kept for closing tags and the notes (PC_SANITIZE_DEPTH of "</blockquote>" fit) */
#define MARK_SPANS 4096 /* marks written as a span; more as text alone (the nodes of the read-back stay few) */
#define HOST_SHOWN 100  /* characters of an image's host */
#define ALT_SHOWN 80    /* characters of an image's alt text */
#define URL_PARSED 4096 /* bytes of an image URL given to pc_url_parse */
#define ATTR_VALUE_MAX 128
#define EL pc_sanitize_els
#define ATTRS pc_sanitize_attrs
#define NATTRS PC_SANITIZE_NATTRS

/* --- the output --------------------------------------------------------- */

typedef struct out {
	char *p;
	size_t len, cap;
	bool stop; /* content no longer fits: only closing tags and notes from now on */
	bool oom;
} out;

/* Appends s[0, n). Content must leave RESERVE bytes free (else it sets
 * stop and writes nothing); closing writes (force) may use them. */
static bool put_(out *o, const char *s, size_t n, bool force)
{
	if (o->oom || (o->stop && !force))
		return false;
	size_t limit = force ? PC_SANITIZE_OUT_MAX : PC_SANITIZE_OUT_MAX - RESERVE;
	if (n > limit || o->len > limit - n) {
		if (!force)
			o->stop = true;
		return false;
	}
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 16384;
		while (cap < o->len + n + 1)
			cap *= 2; /* PC_SANITIZE_OUT_MAX is far below SIZE_MAX / 2 */
		char *p = realloc(o->p, cap);
		if (!p) {
			o->oom = o->stop = true;
			return false;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
	return true;
}

static bool put(out *o, const char *s, size_t n)
{
	return put_(o, s, n, false);
}

/* Plain ASCII text: as much of it as fits (any byte is a boundary). */
static bool put_ascii(out *o, const char *s, size_t n)
{
	size_t limit = PC_SANITIZE_OUT_MAX - RESERVE;
	if (o->stop || o->oom)
		return false;
	size_t room = o->len < limit ? limit - o->len : 0;
	if (n <= room)
		return put(o, s, n);
	put(o, s, room);
	o->stop = true;
	return false;
}

static bool lit(out *o, const char *s)
{
	return put(o, s, strlen(s));
}

#define E_ATTR 1u  /* in an attribute value: marks without their span, line feeds and tabs marked */
#define E_MARKS 2u /* marks as spans (text in a flow context) */

/* s[0, n) escaped, at most max characters (then "…"); returns false when
 * the output is full. Invalid UTF-8 is U+FFFD; pc_safetext_marked()
 * characters are marks. */
static bool esc(out *o, const char *s, size_t n, size_t max, unsigned f, size_t *marked)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, shown = 0;
	while (i < n) {
		unsigned char c = u[i];
		if (shown >= max) {
			if (!put_ascii(o, s + run, i - run))
				return false;
			return lit(o, "\xe2\x80\xa6");
		}
		bool plain =
		    (c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'' && c != '(') ||
		    (!(f & E_ATTR) && (c == '\n' || c == '\t'));
		if (plain) {
			i++;
			shown++;
			continue;
		}
		if (!put_ascii(o, s + run, i - run))
			return false;
		size_t len;
		bool bad;
		uint32_t cp = pc_utf8_decode(u, n, i, &len, &bad);
		const char *rep = cp == '&'    ? "&amp;"
		                  : cp == '<'  ? "&lt;"
		                  : cp == '>'  ? "&gt;"
		                  : cp == '"'  ? "&quot;"
		                  : cp == '\'' ? "&#39;"
		                  : cp == '('  ? "&#40;"
		                               : NULL;
		bool ok;
		if (rep) {
			ok = lit(o, rep);
		} else if (pc_safetext_marked(cp) || cp == '\n' || cp == '\t') {
			char m[16];
			size_t ml = pc_safetext_mark(cp, m, sizeof m);
			bool span = (f & E_MARKS) && *marked < MARK_SPANS;
			size_t at = o->len;
			ok = (!span || lit(o, "<span class=\"pc-cc\">")) && put(o, m, ml) &&
			     (!span || lit(o, "</span>"));
			if (!ok && o->len > at) /* never half a span */
				o->len = at, o->p[at] = '\0';
			*marked += ok;
		} else if (bad) {
			ok = lit(o, "\xef\xbf\xbd");
		} else {
			ok = put(o, s + i, len);
		}
		if (!ok)
			return false;
		i += len;
		shown++;
		run = i;
	}
	return put_ascii(o, s + run, i - run);
}

static bool html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static const char *trim(const char *v, size_t *n)
{
	while (*n && html_space(*v))
		v++, (*n)--;
	while (*n && html_space(v[*n - 1]))
		(*n)--;
	return v;
}

/* --- the writer ---------------------------------------------------------- */

typedef struct entry {
	int kind;
	size_t owner;  /* depth of the source node that opened it */
	int p, li, dd; /* the open p in button scope, li and dd/dt the parser would close (-1: none) */
} entry;

struct pc_sanitize {
	myhtml_t *myhtml;
	myhtml_tree_t *tree, *check;
	pc_arena *arena;
	GString *style;
};

typedef struct writer {
	pc_sanitize *s;
	out o;
	entry st[PC_SANITIZE_DEPTH];
	size_t n;
	pc_sanitize_stats *stats;
	bool text_only; /* the fallback: text, and <br> between blocks */
} writer;

static int top_kind(const writer *w)
{
	return w->n ? w->st[w->n - 1].kind : -1;
}

/* Text and flow content may be written here (not directly in a table,
 * row group or row). */
static bool flow(const writer *w)
{
	return !w->n || !(EL[top_kind(w)].flags & F_TABLE);
}

static void pop(writer *w)
{
	const char *name = EL[w->st[--w->n].kind].name;
	put_(&w->o, "</", 2, true);
	put_(&w->o, name, strlen(name), true);
	put_(&w->o, ">", 1, true);
}

static void close_to(writer *w, int idx)
{
	while (idx >= 0 && w->n > (size_t)idx)
		pop(w);
}

/* Leaving the source node at depth d closes what it opened. */
static void leave(writer *w, size_t d)
{
	while (w->n && w->st[w->n - 1].owner >= d)
		pop(w);
}

/* The table part k may be written in the current parent. */
static bool fits_table(const writer *w, int k)
{
	int t = top_kind(w);
	if (k == O_CAPTION || k == O_THEAD || k == O_TBODY || k == O_TFOOT)
		return t == O_TABLE;
	if (k == O_TR)
		return t == O_THEAD || t == O_TBODY || t == O_TFOOT;
	return t == O_TR; /* td, th */
}

/* The closes an HTML parser would make before a start tag of kind k,
 * made explicitly (HTML "in body": li, dd/dt, blocks closing a p,
 * headings), so that what is written is what is parsed. */
static void implicit_closes(writer *w, int k)
{
	if (!w->n)
		return;
	if (k == O_LI)
		close_to(w, w->st[w->n - 1].li);
	else if ((k == O_DD || k == O_DT) && w->n)
		close_to(w, w->st[w->n - 1].dd);
	if ((EL[k].flags & F_CLOSES_P) && w->n)
		close_to(w, w->st[w->n - 1].p);
	if ((EL[k].flags & F_HEADING) && w->n && (EL[top_kind(w)].flags & F_HEADING))
		pop(w);
}

/* Writes " name=\"value\"" with the value escaped. */
static bool attr_out(writer *w, const char *name, const char *v, size_t n, size_t max)
{
	return lit(&w->o, " ") && lit(&w->o, name) && lit(&w->o, "=\"") &&
	       esc(&w->o, v, n, max, E_ATTR, &w->stats->marked) && lit(&w->o, "\"");
}

/* The attacker's attributes that are on our list, with values they may
 * hold; each name at most once. */
static bool attrs_out(writer *w, myhtml_tree_node_t *node)
{
	bool seen[NATTRS] = {false};
	for (myhtml_tree_attr_t *a = myhtml_node_attribute_first(node); a; a = myhtml_attribute_next(a)) {
		size_t kl = 0, vl = 0;
		const char *k = myhtml_attribute_key(a, &kl);
		const char *v = myhtml_attribute_value(a, &vl);
		size_t i = 0;
		while (k && i < NATTRS && !(strlen(ATTRS[i].name) == kl && !strncasecmp(ATTRS[i].name, k, kl)))
			i++;
		if (!k || i == NATTRS || seen[i] ||
		    (myhtml_attribute_namespace(a) != MyHTML_NAMESPACE_UNDEF &&
		     myhtml_attribute_namespace(a) != MyHTML_NAMESPACE_HTML)) {
			w->stats->attributes_dropped++;
			continue;
		}
		seen[i] = true;
		if (!v)
			v = "", vl = 0;
		v = trim(v, &vl);
		if (ATTRS[i].kind == V_STYLE) {
			if (vl > PC_SANITIZE_STYLE_MAX) {
				w->stats->styles_dropped++;
				continue;
			}
			g_string_truncate(w->s->style, 0);
			w->stats->styles_dropped += pc_sanitize_style(v, vl, w->s->style);
			if (w->s->style->len && !attr_out(w, "style", w->s->style->str, w->s->style->len, SIZE_MAX))
				return false;
			continue;
		}
		if (vl > ATTR_VALUE_MAX || !pc_sanitize_value_ok(ATTRS[i].kind, v, vl)) {
			w->stats->attributes_dropped++;
			continue;
		}
		if (ATTRS[i].kind == V_BOOL)
			vl = 0;
		char low[ATTR_VALUE_MAX];
		for (size_t c = 0; c < vl; c++) /* keywords and colours in lower case: one spelling */
			low[c] = (char)(v[c] >= 'A' && v[c] <= 'Z' ? v[c] - 'A' + 'a' : v[c]);
		if (!attr_out(w, ATTRS[i].name, ATTRS[i].kind == V_FACE ? v : low, vl, SIZE_MAX))
			return false;
	}
	return true;
}

/* Opens an element of kind k for the source node at depth d; extra
 * writes our class and title (a link). False when it was not opened
 * (the caller then unwraps or drops). */
static bool open_el(writer *w, int k, myhtml_tree_node_t *node, size_t d, const char *cls, const char *title,
                    size_t titlen)
{
	implicit_closes(w, k);
	size_t at = w->o.len;
	const char *name = EL[k].name;
	bool ok = lit(&w->o, "<") && lit(&w->o, name);
	if (ok && cls)
		ok = lit(&w->o, " class=\"") && lit(&w->o, cls) && lit(&w->o, "\"");
	if (ok && title)
		ok = attr_out(w, "title", title, titlen, PC_SANITIZE_URL_SHOWN);
	if (ok && node)
		ok = attrs_out(w, node);
	ok = ok && lit(&w->o, k == O_PRE ? ">\n" : ">");
	if (!ok) { /* no half tag */
		if (w->o.p && w->o.len > at)
			w->o.len = at, w->o.p[at] = '\0';
		return false;
	}
	if (EL[k].flags & F_VOID)
		return true;
	entry *parent = w->n ? &w->st[w->n - 1] : NULL;
	entry *e = &w->st[w->n];
	int self = (int)w->n++;
	e->kind = k;
	e->owner = d;
	bool stop_search = (EL[k].flags & F_SPECIAL) && k != O_DIV && k != O_P;
	e->p = k == O_P ? self : (EL[k].flags & F_BSCOPE) || !parent ? -1 : parent->p;
	e->li = k == O_LI ? self : stop_search || !parent ? -1 : parent->li;
	e->dd = k == O_DD || k == O_DT ? self : stop_search || !parent ? -1 : parent->dd;
	return true;
}

/* The levels an element of kind k needs below it: a table its parts and
 * a cell, anything else one more for a mark or a placeholder. */
static bool room_for(const writer *w, int k)
{
	return w->n + (k == O_TABLE ? 5 : 2) <= PC_SANITIZE_DEPTH;
}

/* A note of ours in a flow context: "[iframe removed]". */
static void note(writer *w, const char *cls, const char *a, const char *b, const char *c)
{
	if (!flow(w) || w->text_only || w->n + 1 > PC_SANITIZE_DEPTH)
		return;
	size_t at = w->o.len;
	size_t none = 0;
	if (!(lit(&w->o, "<span class=\"") && lit(&w->o, cls) && lit(&w->o, "\">[") && lit(&w->o, a) &&
	      esc(&w->o, b, strlen(b), HOST_SHOWN, 0, &none) && lit(&w->o, c) && lit(&w->o, "]</span>")) &&
	    w->o.p && w->o.len > at)
		w->o.len = at, w->o.p[at] = '\0';
}

static void text(writer *w, const char *s, size_t n)
{
	if (flow(w))
		esc(&w->o, s, n, SIZE_MAX, w->text_only || w->n + 1 > PC_SANITIZE_DEPTH ? 0 : E_MARKS,
		    &w->stats->marked);
}

/* --- placeholders --------------------------------------------------------- */

static const char *attr(myhtml_tree_node_t *node, const char *key, size_t *len)
{
	myhtml_tree_attr_t *a = myhtml_attribute_by_key(node, key, strlen(key));
	const char *v = a ? myhtml_attribute_value(a, len) : NULL;
	if (a && !v)
		v = "", *len = 0;
	return a ? trim(v, len) : NULL;
}

/* "[image: HOST WxH "alt"]" in a span whose title is the URL. */
static void image(writer *w, myhtml_tree_node_t *node)
{
	w->stats->images_replaced++;
	if (!flow(w) || w->n + 1 > PC_SANITIZE_DEPTH || w->text_only)
		return;
	size_t ul = 0, wl = 0, hl = 0, al = 0;
	const char *u = attr(node, "src", &ul);
	if (!u || !ul) { /* the first candidate of a srcset */
		u = attr(node, "srcset", &ul);
		size_t k = 0;
		while (u && k < ul && !html_space(u[k]) && u[k] != ',')
			k++;
		ul = k;
	}
	const char *wd = attr(node, "width", &wl), *ht = attr(node, "height", &hl), *alt = attr(node, "alt", &al);
	pc_url *url = u && ul ? pc_url_parse(w->s->arena, u, ul < URL_PARSED ? ul : URL_PARSED) : NULL;
	const char *host = url && url->host && *url->host ? url->host : NULL;
	size_t at = w->o.len, none = 0;
	bool ok = lit(&w->o, "<span class=\"pc-img\"");
	if (ok && u && ul)
		ok = attr_out(w, "title", u, ul, PC_SANITIZE_URL_SHOWN);
	ok = ok && lit(&w->o, ">[image: ");
	if (host) {
		ok = ok && esc(&w->o, host, strlen(host), HOST_SHOWN, 0, &none);
	} else if (u && ul) { /* data:image/png;base64 (up to the ','), cid:..., a relative URL */
		size_t k = 0;
		while (k < ul && u[k] != ',')
			k++;
		ok = ok && (url && url->scheme && *url->scheme ? true : lit(&w->o, "relative ")) &&
		     esc(&w->o, u, k, 60, 0, &none);
	} else {
		ok = ok && lit(&w->o, "no source");
	}
	if (ok && (wd || ht)) {
		ok = lit(&w->o, " ") &&
		     (wd && pc_sanitize_value_ok(V_LEN, wd, wl) ? esc(&w->o, wd, wl, 10, 0, &none) : lit(&w->o, "?")) &&
		     lit(&w->o, "x") &&
		     (ht && pc_sanitize_value_ok(V_LEN, ht, hl) ? esc(&w->o, ht, hl, 10, 0, &none) : lit(&w->o, "?"));
	}
	if (ok && alt && al)
		ok = lit(&w->o, " \"") && esc(&w->o, alt, al, ALT_SHOWN, 0, &none) && lit(&w->o, "\"");
	ok = ok && lit(&w->o, "]</span>");
	if (!ok && w->o.p && w->o.len > at)
		w->o.len = at, w->o.p[at] = '\0';
}

static void input(writer *w, myhtml_tree_node_t *node)
{
	static const char *const types[] = {"button", "checkbox", "color", "date",   "datetime-local", "email",
	                                    "file",   "hidden",   "image", "month",  "number",         "password",
	                                    "radio",  "range",    "reset", "search", "submit",         "tel",
	                                    "text",   "time",     "url",   "week"};
	size_t tl = 0;
	const char *t = attr(node, "type", &tl), *shown = "text";
	for (size_t i = 0; t && i < sizeof types / sizeof types[0]; i++)
		if (strlen(types[i]) == tl && !strncasecmp(types[i], t, tl))
			shown = types[i];
	if (!strcmp(shown, "image"))
		w->stats->images_replaced++;
	else
		w->stats->elements_dropped++;
	note(w, "pc-removed", "input: ", shown, "");
}

/* --- the walk ------------------------------------------------------------- */

/* Writes the node at depth d; whether its children are to be walked. */
static bool visit(writer *w, myhtml_tree_node_t *node, size_t d)
{
	myhtml_tag_id_t id = myhtml_node_tag_id(node);
	if (id == MyHTML_TAG__TEXT) {
		size_t l = 0;
		const char *t = myhtml_node_text(node, &l);
		if (t)
			text(w, t, l);
		return false;
	}
	if (id == MyHTML_TAG__COMMENT || id == MyHTML_TAG__DOCTYPE)
		return false;
	int k = O_SPAN;
	const char *what;
	action a = pc_sanitize_classify(node, id, &k, &what);
	pc_sanitize_stats *st = w->stats;
	switch (a) {
	case A_DROP:
	case A_STYLE:
		if (a == A_STYLE)
			st->styles_dropped++;
		else
			st->elements_dropped++;
		return false;
	case A_REMOVED:
		st->elements_dropped++;
		note(w, "pc-removed", "", what, " removed");
		return false;
	case A_IMG:
		image(w, node);
		return false;
	case A_INPUT:
		input(w, node);
		return false;
	case A_INSIDE:
		return true;
	case A_UNWRAP:
		st->elements_unwrapped++;
		return true;
	case A_KEEP:
	case A_LINK:
		break;
	}
	size_t ul = 0;
	const char *url = a == A_LINK ? attr(node, "href", &ul) : NULL;
	if (a == A_LINK)
		st->links_defused++;
	if (w->text_only) {
		if ((EL[k].flags & (F_SPECIAL | F_CLOSES_P)) && !(EL[k].flags & F_TABLE))
			put(&w->o, "<br>", 4);
		return !(EL[k].flags & F_VOID);
	}
	bool table_part = EL[k].flags & F_CELLS;
	if (!flow(w) && !(table_part && fits_table(w, k))) {
		st->elements_dropped++; /* inside a table, outside a cell: the parser puts nothing there */
		return false;
	}
	if (table_part && !fits_table(w, k)) {
		st->elements_unwrapped++; /* a cell without its table: its content in the flow */
		if (k != O_TBODY && k != O_THEAD && k != O_TFOOT)
			text(w, " ", 1);
		return true;
	}
	if (!table_part && !room_for(w, k)) {
		st->elements_unwrapped++;
		st->depth_cut = true;
		return !(EL[k].flags & F_VOID);
	}
	if (!open_el(w, k, node, d, a == A_LINK ? "pc-link" : NULL, url, ul))
		return false; /* the output is full */
	return !(EL[k].flags & F_VOID);
}

static void walk(writer *w, myhtml_tree_t *tree)
{
	myhtml_tree_node_t *body = myhtml_tree_get_node_body(tree);
	myhtml_tree_node_t *node = body ? myhtml_node_child(body) : NULL;
	size_t d = 1;
	while (node && !w->o.stop) {
		myhtml_tree_node_t *child = visit(w, node, d) ? myhtml_node_child(node) : NULL;
		if (child) {
			node = child;
			d++;
			continue;
		}
		leave(w, d);
		while (node) {
			myhtml_tree_node_t *next = myhtml_node_next(node);
			if (next) {
				node = next;
				break;
			}
			node = myhtml_node_parent(node);
			if (!node || node == body || --d == 0) {
				node = NULL;
				break;
			}
			leave(w, d);
		}
	}
	while (w->n)
		pop(w);
}

/* --- the entry points ------------------------------------------------------ */

pc_sanitize *pc_sanitize_new(void)
{
	pc_sanitize *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->myhtml = myhtml_create();
	if (!s->myhtml || myhtml_init(s->myhtml, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0) != MyHTML_STATUS_OK)
		goto fail;
	s->tree = myhtml_tree_create();
	if (!s->tree || myhtml_tree_init(s->tree, s->myhtml) != MyHTML_STATUS_OK)
		goto fail;
	s->check = myhtml_tree_create();
	if (!s->check || myhtml_tree_init(s->check, s->myhtml) != MyHTML_STATUS_OK)
		goto fail;
	/* a charset conversion (3 bytes per input byte at most) and the
	 * image URLs read for their host */
	s->arena = pc_arena_new(4 * (size_t)PC_SANITIZE_INPUT_MAX);
	s->style = g_string_new(NULL);
	if (!s->arena)
		goto fail;
	return s;
fail:
	pc_sanitize_free(s);
	return NULL;
}

void pc_sanitize_free(pc_sanitize *s)
{
	if (!s)
		return;
	if (s->check)
		myhtml_tree_destroy(s->check);
	if (s->tree)
		myhtml_tree_destroy(s->tree);
	if (s->myhtml)
		myhtml_destroy(s->myhtml);
	pc_arena_free(s->arena);
	if (s->style)
		g_string_free(s->style, TRUE);
	free(s);
}

/* The bytes as UTF-8, as extract/html.c reads a part: the declared
 * charset, else a <meta> in the first kilobyte, else UTF-8. */
static const char *to_utf8(pc_sanitize *s, const char *b, size_t *n, const char *charset, pc_sanitize_stats *st)
{
	char name[64];
	if (!charset || !*charset) {
		myencoding_t enc = myencoding_prescan_stream_to_determine_encoding(b, *n < 1024 ? *n : 1024);
		size_t l = 0;
		const char *nm = enc != MyENCODING_NOT_DETERMINED ? myencoding_name_by_id(enc, &l) : NULL;
		if (nm && l && l < sizeof name) {
			memcpy(name, nm, l);
			name[l] = '\0';
			charset = name;
		}
	}
	if (!charset || !*charset || !g_ascii_strcasecmp(charset, "utf-8") || !g_ascii_strcasecmp(charset, "utf8") ||
	    !g_ascii_strcasecmp(charset, "us-ascii"))
		return b;
	size_t on = 0;
	char *conv = pc_mime_to_utf8(s->arena, b, *n, charset, &on);
	if (!conv) {
		st->charset_unknown = true;
		return b;
	}
	*n = on;
	return conv;
}

static void finish(writer *w, const char *input_cut)
{
	while (w->n)
		pop(w);
	static const char open[] = "<div class=\"pc-cut\">[cut: ";
	if (w->o.stop && !w->o.oom) {
		static const char m[] = "the rest of the message is not shown: the view is full]</div>";
		put_(&w->o, open, sizeof open - 1, true);
		put_(&w->o, m, sizeof m - 1, true);
	}
	if (input_cut) {
		static const char m[] = "the HTML was read only up to the limit ";
		static const char e[] = "]</div>";
		put_(&w->o, open, sizeof open - 1, true);
		put_(&w->o, m, sizeof m - 1, true);
		put_(&w->o, input_cut, strlen(input_cut), true);
		put_(&w->o, e, sizeof e - 1, true);
	}
}

char *pc_sanitize_html(pc_sanitize *s, const char *bytes, size_t n, const char *charset, size_t *outn,
                       pc_sanitize_stats *st)
{
	memset(st, 0, sizeof *st);
	*outn = 0;
	if (!bytes)
		bytes = "", n = 0;
	pc_arena_reset(s->arena);
	if (n > PC_SANITIZE_INPUT_MAX) {
		n = PC_SANITIZE_INPUT_MAX;
		st->input_cut = "input_size";
	}
	bytes = to_utf8(s, bytes, &n, charset, st);
	const char *which = NULL;
	size_t cut = pc_html_cut(bytes, n, PC_SANITIZE_PARSE_DEPTH, PC_SANITIZE_NODES, &which);
	if (which)
		st->input_cut = which;
	n = pc_html_eof_in_tag(bytes, cut);
	myhtml_tree_clean(s->tree);
	if (myhtml_parse(s->tree, MyENCODING_UTF_8, bytes, n) != MyHTML_STATUS_OK)
		return NULL;
	writer w = {.s = s, .stats = st};
	walk(&w, s->tree);
	/* the style sheets of the <head> (only the body is read) */
	myhtml_tree_node_t *head = myhtml_tree_get_node_head(s->tree);
	for (myhtml_tree_node_t *c = head ? myhtml_node_child(head) : NULL; c; c = myhtml_node_next(c))
		st->styles_dropped += myhtml_node_tag_id(c) == MyHTML_TAG_STYLE;
	st->output_cut = w.o.stop && !w.o.oom;
	finish(&w, st->input_cut);
	if (!w.o.oom && !pc_sanitize_reads_back(s->check, w.o.p ? w.o.p : "", w.o.len)) {
		/* a bug of the writer: the text alone, which reads back trivially */
		pc_sanitize_stats scratch = {0};
		writer t = {.s = s, .stats = &scratch, .text_only = true};
		st->fallback = true;
		open_el(&t, O_DIV, NULL, 0, "pc-fallback", NULL, 0);
		walk(&t, s->tree);
		finish(&t, st->input_cut);
		free(w.o.p);
		w = t;
		if (!w.o.oom && !pc_sanitize_reads_back(s->check, w.o.p ? w.o.p : "", w.o.len))
			w.o.len = 0; /* nothing rather than something we cannot vouch for */
	}
	myhtml_tree_clean(s->tree);
	if (w.o.oom) {
		free(w.o.p);
		return NULL;
	}
	char *r = w.o.p ? w.o.p : calloc(1, 1);
	if (r && w.o.p)
		r[w.o.len] = '\0';
	*outn = r ? w.o.len : 0;
	return r;
}
