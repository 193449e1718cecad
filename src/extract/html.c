/*
 * NAME
 *   html - MyHTML walk that yields resources and links (see html.h)
 */
#define _GNU_SOURCE
#include "extract/html.h"

#include "core/sketch.h"

#include <ctype.h>
#include <glib.h>
#include <strings.h>
#include <myencoding/encoding.h>
#include <myhtml/api.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "extract/cascade.h"
#include "parse/css.h"
#include "parse/htmlcut.h"
#include "parse/mime.h"
#include "parse/url.h"

#define LINK_TEXT_MAX 200

struct pc_html {
	myhtml_t *myhtml;
	myhtml_tree_t *tree;
	pc_cascade *cascade;
};

/* What an element passes to its descendants, on each screen (0 narrow,
 * 1 wide: extract/cascade.h). */
typedef struct vis_state {
	unsigned inherited[2];    /* PC_VIS_CONTAINER_* bits that descendants carry */
	bool vis_hidden[2];       /* visibility:hidden inherited (a child may undo it) */
	pc_size media_w, media_h; /* a <video>/<audio>'s size, for its <source>/<track> */
	/* a <details> without open: only its first <summary> child is shown */
	bool closed_details;
	myhtml_tree_node_t *summary;
} vis_state;

typedef struct walk {
	pc_msg *m;
	const pc_cascade *cascade; /* the part's style sheets, matched */
	size_t part;
	const char *base;       /* <base href>, absolute */
	const pc_url *base_url; /* the same, split once */
	size_t order;
	/* the element being looked at */
	pc_size width, height;
	unsigned hidden;
	const char *alt;
	const char *tag;
	/* the open link, if any */
	pc_link *link;
	size_t link_depth;
	char text[LINK_TEXT_MAX + 8];
	size_t textn;
	bool text_space;
	bool stop;
	/* where the URLs being reported sit, for pc_span */
	const char *buf; /* the parsed buffer */
	size_t bufn;
	myhtml_tree_node_t *node;     /* element being looked at */
	myhtml_tree_attr_t *cur_attr; /* attribute whose value holds the URL(s) */
	const char *cur_val;          /* its decoded value (MyHTML memory) */
	size_t cur_vallen;
	const char *cur_copy;        /* arena copy of cur_val, made once */
	bool whole;                  /* the URL is the whole attribute value */
	size_t text_base;            /* <style> text: where the text the CSS scan reads starts in buf */
	bool in_style_text;          /* ... and the scan's offsets are offsets from there */
	bool css_span;               /* a CSS URL being reported: where it sits in the CSS input */
	const char *css_prop;        /* ... and the property it is in (valid during the report) */
	const char *rel;             /* the <link>'s rel, lower case, while it is reported */
	myhtml_tree_node_t *picture; /* the open <picture>, and its first resource */
	size_t picture_res;
	size_t css_begin, css_end;
	/* <iframe srcdoc>: the document in it is parsed after this one's walk
	 * (one tree object: parsed in turn), its resources placed in the
	 * srcdoc attribute of the outermost iframe */
	const struct nest *nest; /* set while walking a srcdoc document */
	struct srcdoc *sd;       /* the srcdocs found in this document */
	size_t nsd;
	bool sd_hit; /* SRCDOC_MAX reached */
} walk;

#define SRCDOC_MAX 16  /* srcdoc documents read per document */
#define SRCDOC_DEPTH 2 /* srcdoc inside srcdoc ... */

/* A srcdoc document to read: its text (decoded, arena), the visibility
 * bits of its iframe and where the attribute sits in the outer buffer. */
typedef struct srcdoc {
	const char *text;
	size_t n;
	unsigned hidden;
	bool placed; /* attr_begin/len valid */
	size_t attr_begin, attr_len;
} srcdoc;

typedef struct nest {
	const srcdoc *sd;
	size_t depth;     /* 1: in a srcdoc of the part */
	const char *base; /* the embedding document's base */
	const pc_url *base_url;
} nest;

pc_html *pc_html_new(void)
{
	pc_html *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->myhtml = myhtml_create();
	if (!h->myhtml || myhtml_init(h->myhtml, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0) != MyHTML_STATUS_OK)
		goto fail;
	h->tree = myhtml_tree_create();
	if (!h->tree || myhtml_tree_init(h->tree, h->myhtml) != MyHTML_STATUS_OK)
		goto fail;
	h->cascade = pc_cascade_new();
	if (!h->cascade)
		goto fail;
	return h;
fail:
	pc_html_free(h);
	return NULL;
}

void pc_html_free(pc_html *h)
{
	if (!h)
		return;
	pc_cascade_free(h->cascade);
	if (h->tree)
		myhtml_tree_destroy(h->tree);
	if (h->myhtml)
		myhtml_destroy(h->myhtml);
	free(h);
}

/* An attribute's decoded value ("" when it has none); NULL when absent. */
static const char *attr_value(myhtml_tree_attr_t *a, size_t *len)
{
	if (!a)
		return NULL;
	size_t l = 0;
	const char *v = myhtml_attribute_value(a, &l);
	if (!v) {
		v = "";
		l = 0;
	}
	if (len)
		*len = l;
	return v;
}

static const char *attr(myhtml_tree_node_t *node, const char *key, size_t *len)
{
	return attr_value(myhtml_attribute_by_key(node, key, strlen(key)), len);
}

static void use_attr(walk *w, myhtml_tree_attr_t *a, const char *v, size_t l, bool whole);

static const char *attr_use(walk *w, myhtml_tree_node_t *node, const char *key, size_t *len, bool whole)
{
	myhtml_tree_attr_t *a = myhtml_attribute_by_key(node, key, strlen(key));
	const char *v = attr_value(a, len);
	if (v)
		use_attr(w, a, v, *len, whole);
	return v;
}

static bool attr_is(myhtml_tree_node_t *node, const char *key, const char *val)
{
	size_t l;
	const char *v = attr(node, key, &l);
	if (!v)
		return false;
	while (l && isspace((unsigned char)*v)) {
		v++;
		l--;
	}
	while (l && isspace((unsigned char)v[l - 1]))
		l--;
	return l == strlen(val) && strncasecmp(v, val, l) == 0;
}

static void set_span_doc(walk *w, pc_span *sp, const char *u, size_t n);

/* Records where the URL u[0..n) sits in the parsed buffer (see pc_span).
 * In a srcdoc document that is a place in the srcdoc attribute's decoded
 * value (the rewriter edits it there and escapes it again); nested
 * deeper, or when the inner attribute had character references, there
 * is none. */
static void set_span(walk *w, pc_span *sp, const char *u, size_t n)
{
	set_span_doc(w, sp, u, n);
	if (!w->nest)
		return;
	const srcdoc *d = w->nest->sd;
	pc_span in = *sp;
	memset(sp, 0, sizeof *sp);
	if (!in.ok || w->nest->depth > 1 || !d->placed)
		return;
	size_t off = in.begin, len = in.len;
	if (in.value) {
		size_t vl = strlen(in.value);
		if (in.len != vl || in.begin > w->bufn || vl > w->bufn - in.begin ||
		    memcmp(w->buf + in.begin, in.value, vl))
			return;
		off = in.begin + in.sub;
		len = in.sublen;
	}
	if (off > d->n || len > d->n - off)
		return;
	sp->begin = d->attr_begin;
	sp->len = d->attr_len;
	sp->value = d->text;
	sp->sub = off;
	sp->sublen = len;
	sp->attr = true;
	sp->ok = true;
}

static void set_span_doc(walk *w, pc_span *sp, const char *u, size_t n)
{
	memset(sp, 0, sizeof *sp);
	if (w->node) {
		myhtml_position_t ep = myhtml_node_element_position(w->node);
		if (ep.begin <= w->bufn && ep.length <= w->bufn - ep.begin) {
			sp->el_begin = ep.begin;
			sp->el_len = ep.length;
		}
	}
	if (w->in_style_text) {
		/* the CSS scan said where the URL is in the text it read */
		if (w->css_span && n) {
			sp->begin = w->text_base + w->css_begin;
			sp->len = w->css_end - w->css_begin;
			sp->ok = true;
		}
		return;
	}
	if (!w->cur_attr)
		return;
	myhtml_position_t vp = myhtml_attribute_value_raw_position(w->cur_attr);
	if (vp.begin > w->bufn || vp.length > w->bufn - vp.begin)
		return;
	/* An attribute a later <body> or <html> tag gave the first one (the
	 * tree builder merges them) has no place in this element's tag: MyHTML
	 * reports 0 for it. Not edited here; the rewriter finds it by its
	 * text (act/rewrite.c). */
	if (sp->el_len && (vp.begin < sp->el_begin || vp.begin + vp.length > sp->el_begin + sp->el_len))
		return;
	sp->begin = vp.begin;
	sp->len = vp.length;
	sp->attr = true;
	if (w->whole) {
		sp->ok = true;
		return;
	}
	if (!w->cur_copy)
		w->cur_copy = pc_arena_strndup(w->m->arena, w->cur_val, w->cur_vallen);
	if (!w->cur_copy)
		return;
	sp->value = w->cur_copy;
	if (w->css_span && w->css_end <= w->cur_vallen) {
		/* a style attribute's url(): the CSS scan read the value itself */
		sp->sub = w->css_begin;
		sp->sublen = w->css_end - w->css_begin;
	} else if (u >= w->cur_val && u + n <= w->cur_val + w->cur_vallen) {
		sp->sub = (size_t)(u - w->cur_val);
		sp->sublen = n;
	} else {
		sp->sub = 0;
		sp->sublen = w->cur_vallen; /* not found: the whole value */
	}
	sp->ok = true;
}

static void use_attr(walk *w, myhtml_tree_attr_t *a, const char *v, size_t l, bool whole)
{
	w->cur_attr = a;
	w->cur_val = v;
	w->cur_vallen = l;
	w->cur_copy = NULL;
	w->whole = whole;
}

static void add_resource(walk *w, const char *u, size_t n, const char *element, const char *attrname)
{
	if (w->stop)
		return;
	pc_arena *a = w->m->arena;
	pc_url *url = pc_url_parse(a, u, n);
	if (!url)
		return;
	const char *resolved = NULL;
	if (!pc_url_is_remote(url)) {
		/* A relative reference under <base href="http://..."> is remote. */
		if (!w->base || url->scheme[0] || !url->raw[0] || url->raw[0] == '#')
			return;
		resolved = pc_url_resolve_url(a, w->base_url, url->raw);
		if (!resolved)
			return;
		pc_url *r = pc_url_parse(a, resolved, strlen(resolved));
		if (!r || !pc_url_is_remote(r))
			return;
		/* keep raw as written; the split fields describe what is fetched */
		r->raw = url->raw;
		url = r;
	}
	if (!pc_msg_url_budget(w->m)) {
		w->stop = true;
		return;
	}
	pc_resource *r = pc_arena_calloc(a, 1, sizeof *r);
	if (!r)
		return;
	r->url = url;
	r->resolved = resolved;
	r->element = element;
	r->tag = w->tag;
	r->attr = attrname;
	r->prop = w->css_prop && *w->css_prop ? pc_arena_utf8(a, w->css_prop, strlen(w->css_prop)) : NULL;
	r->role = pc_resource_role(element, w->rel, r->prop);
	r->width = w->width;
	r->height = w->height;
	r->hidden = w->hidden;
	r->alt = w->alt;
	r->part = w->part;
	r->order = w->order;
	set_span(w, &r->span, u, n);
	r->index = w->m->resources.n;
	pc_vec_push(a, &w->m->resources, r);
}

static void css_url(void *ctx, const char *u, size_t n, const char *how, const char *prop, size_t begin, size_t end)
{
	walk *w = ctx;
	w->css_span = true;
	w->css_begin = begin;
	w->css_end = end;
	w->css_prop = !strcmp(how, "@import") ? "@import" : prop;
	/* from a style attribute the element is css whatever the tag */
	add_resource(w, u, n, "css", how);
	w->css_span = false;
	w->css_prop = NULL;
}

/* srcset: "url [descriptor], url [descriptor]" (HTML §4.8.4.3.10). */
static void add_srcset(walk *w, const char *s, size_t n, const char *element)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == ','))
			i++;
		size_t st = i;
		while (i < n && !isspace((unsigned char)s[i]))
			i++;
		size_t en = i;
		while (en > st && s[en - 1] == ',')
			en--;
		bool had_comma = en < i;
		if (en > st)
			add_resource(w, s + st, en - st, element, "srcset");
		if (had_comma)
			continue;
		int depth = 0; /* descriptors until the next top-level comma */
		while (i < n && !(s[i] == ',' && depth == 0)) {
			if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && depth)
				depth--;
			i++;
		}
	}
}

static void src_attr(walk *w, myhtml_tree_node_t *node, const char *key, const char *element)
{
	size_t l;
	const char *v = attr_use(w, node, key, &l, true);
	if (v)
		add_resource(w, v, l, element, key);
}

/* The hiding bits of a cascaded style on one screen (size aside). */
static unsigned hiding_bits(const pc_css_style *st)
{
	unsigned b = 0;
	if (st->display_none == 1)
		b |= PC_VIS_DISPLAY_NONE;
	if (st->opacity_zero == 1 || st->filter_hidden == 1)
		b |= PC_VIS_OPACITY_0;
	if (st->max_width.px == 0 || st->max_height.px == 0 || st->max_width.pct == 0 || st->max_height.pct == 0)
		b |= PC_VIS_MAX_SIZE_0;
	if (st->offscreen)
		b |= PC_VIS_OFFSCREEN;
	if (st->clip_zero == 1 || (st->clip_zero == 2 && st->positioned))
		b |= PC_VIS_CLIP;
	if (st->transform_zero == 1 || st->zoom_zero == 1)
		b |= PC_VIS_TRANSFORM;
	return b;
}

/* Bits that hide an element and so its descendants (a zero max size
 * clips them only with overflow:hidden: PC_VIS_CONTAINER_ZERO). */
#define OWN_HIDING                                                                                                     \
	(PC_VIS_DISPLAY_NONE | PC_VIS_HIDDEN_ATTR | PC_VIS_OPACITY_0 | PC_VIS_OFFSCREEN | PC_VIS_STYLESHEET |          \
	 PC_VIS_CLIP | PC_VIS_TRANSFORM)

static bool zero_size(pc_size s)
{
	return s.px == 0 || s.pct == 0;
}

/* Own visibility of an element from attributes, the style sheets and the
 * inline style, on both screens; fills w->width/height/hidden from the
 * screen where the element is most visible (hidden means hidden on both:
 * a phone-only rule hides nothing from a desktop reader) and returns the
 * bits descendants inherit. */
static void element_style(walk *w, myhtml_tree_node_t *node, const vis_state *parent, vis_state *self)
{
	size_t l;
	const char *v;
	pc_size aw = {PC_SIZE_UNKNOWN, -1}, ah = {PC_SIZE_UNKNOWN, -1};
	if ((v = attr(node, "width", &l)))
		aw = pc_css_length(v, l, true);
	if ((v = attr(node, "height", &l)))
		ah = pc_css_length(v, l, true);
	bool hidden_attr = attr(node, "hidden", NULL) != NULL;
	myhtml_tag_id_t id = myhtml_node_tag_id(node);
	/* the UA style sheet: dialog:not([open]) { display: none } (any author
	 * display wins); what a closed <details> holds besides its first
	 * <summary> is not rendered, whatever its own style says */
	bool ua_none = id == MyHTML_TAG_DIALOG && !attr(node, "open", NULL);
	bool in_closed = parent->closed_details && node != parent->summary;
	size_t first_res = w->m->resources.n; /* url()s of this style attribute */
	pc_css_style inl;
	pc_css_style_init(&inl);
	bool has_inline = false;
	if ((v = attr_use(w, node, "style", &l, false)) && l) {
		pc_css_parse_style_spans(w->m->arena, v, l, &inl, css_url, w);
		has_inline = true;
	}
	pc_css_style cs[2];
	if (pc_cascade_any(w->cascade))
		pc_cascade_style(w->cascade, node, has_inline ? &inl : NULL, cs);
	else {
		pc_css_style_init(&cs[0]);
		pc_css_merge(&cs[0], &inl, inl.set);
		pc_css_settle(&cs[0]);
		cs[1] = cs[0];
	}
	unsigned inline_bits = hiding_bits(&inl);
	unsigned hid[2], inh[2];
	pc_size wd[2], ht[2];
	bool vis[2];
	for (int k = 0; k < 2; k++) {
		const pc_css_style *st = &cs[k];
		wd[k] = (st->set & PC_CSS_P_WIDTH) ? st->width : aw;
		ht[k] = (st->set & PC_CSS_P_HEIGHT) ? st->height : ah;
		unsigned own = hiding_bits(st);
		/* [hidden] is display:none from the UA sheet: any display wins */
		if (hidden_attr && !(st->set & PC_CSS_P_DISPLAY))
			own |= PC_VIS_HIDDEN_ATTR;
		/* what the inline style alone does not explain came from a sheet:
		 * reported as that */
		unsigned sheet = own & ~inline_bits & ~(unsigned)PC_VIS_HIDDEN_ATTR;
		if (sheet)
			own = (own & ~sheet) | PC_VIS_STYLESHEET;
		if (ua_none && !(st->set & PC_CSS_P_DISPLAY))
			own |= PC_VIS_DISPLAY_NONE;
		if (in_closed)
			own |= PC_VIS_CONTAINER_HIDDEN;
		vis[k] = (st->set & PC_CSS_P_VISIBILITY) ? st->visibility_hidden == 1 : parent->vis_hidden[k];
		if (vis[k] && (st->set & PC_CSS_P_VISIBILITY) && inl.visibility_hidden != 1)
			own |= PC_VIS_STYLESHEET; /* a sheet's visibility:hidden */
		else if (vis[k])
			own |= PC_VIS_VISIBILITY_HIDDEN;
		bool zero = zero_size(wd[k]) || zero_size(ht[k]);
		if (zero)
			own |= PC_VIS_SIZE_0;
		inh[k] = parent->inherited[k];
		if ((zero || (own & PC_VIS_MAX_SIZE_0)) && st->overflow_hidden == 1)
			inh[k] |= PC_VIS_CONTAINER_ZERO;
		if ((own & OWN_HIDING) || st->indent_out == 1 || in_closed)
			inh[k] |= PC_VIS_CONTAINER_HIDDEN;
		hid[k] = own | parent->inherited[k];
	}
	/* the screen where it is most visible: fewer hiding reasons, then the
	 * larger box; the wide one when equal */
	unsigned h0 = hid[0] & ~(unsigned)PC_VIS_SIZE_0, h1 = hid[1] & ~(unsigned)PC_VIS_SIZE_0;
	int pick = 1;
	if ((h0 == 0) != (h1 == 0))
		pick = h0 == 0 ? 0 : 1;
	else if (!h0 && !h1 && (hid[0] & PC_VIS_SIZE_0) != (hid[1] & PC_VIS_SIZE_0))
		pick = (hid[0] & PC_VIS_SIZE_0) ? 1 : 0;
	w->width = wd[pick];
	w->height = ht[pick];
	w->hidden = hid[pick];
	for (int k = 0; k < 2; k++) {
		self->inherited[k] = inh[k];
		self->vis_hidden[k] = vis[k];
	}
	self->media_w = self->media_h = (pc_size){PC_SIZE_UNKNOWN, -1};
	self->closed_details = false;
	self->summary = NULL;
	if (id == MyHTML_TAG_DETAILS && !attr(node, "open", NULL)) {
		self->closed_details = true;
		for (myhtml_tree_node_t *c = myhtml_node_child(node); c; c = myhtml_node_next(c))
			if (myhtml_node_tag_id(c) == MyHTML_TAG_SUMMARY) {
				self->summary = c;
				break;
			}
	}
	/* the style's url()s were reported while it was read: give them the
	 * element's size and visibility, now known */
	for (size_t i = first_res; i < w->m->resources.n; i++) {
		pc_resource *r = w->m->resources.v[i];
		r->hidden = w->hidden;
		r->width = w->width;
		r->height = w->height;
	}
}

static void link_text_add(walk *w, const char *t, size_t n)
{
	for (size_t i = 0; i < n && w->textn < LINK_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)t[i];
		if (isspace(c)) {
			w->text_space = w->textn > 0;
			continue;
		}
		if (w->text_space) {
			w->text[w->textn++] = ' ';
			w->text_space = false;
			if (w->textn >= LINK_TEXT_MAX)
				break;
		}
		w->text[w->textn++] = (char)c;
	}
}

static void link_close(walk *w)
{
	if (!w->link)
		return;
	/* do not cut a UTF-8 sequence in half: pc_arena_utf8 repairs it anyway */
	w->link->text = pc_arena_utf8(w->m->arena, w->text, w->textn);
	w->link = NULL;
	w->textn = 0;
	w->text_space = false;
}

static void link_open(walk *w, myhtml_tree_node_t *node, size_t depth)
{
	size_t l;
	const char *v = attr_use(w, node, "href", &l, true);
	if (!v || w->stop)
		return;
	if (!pc_msg_url_budget(w->m)) {
		w->stop = true;
		return;
	}
	pc_arena *a = w->m->arena;
	pc_link *lk = pc_arena_calloc(a, 1, sizeof *lk);
	if (!lk)
		return;
	lk->url = pc_url_parse(a, v, l);
	if (!lk->url)
		return;
	if (w->base && !lk->url->scheme[0] && lk->url->raw[0] && lk->url->raw[0] != '#' && !lk->url->host) {
		const char *res = pc_url_resolve_url(a, w->base_url, lk->url->raw);
		pc_url *r = res ? pc_url_parse(a, res, strlen(res)) : NULL;
		if (r) {
			r->raw = lk->url->raw;
			lk->url = r;
			lk->resolved = res;
		}
	}
	lk->tag = w->tag;
	lk->part = w->part;
	lk->hidden = w->hidden;
	lk->text = "";
	set_span(w, &lk->span, v, l);
	if (pc_vec_push(a, &w->m->links, lk) != 0)
		return;
	link_close(w);
	w->link = lk;
	w->link_depth = depth;
}

/* An <iframe srcdoc>: kept for parse_doc. */
static void srcdoc_add(walk *w, myhtml_tree_node_t *node)
{
	size_t l;
	const char *v = attr_use(w, node, "srcdoc", &l, true);
	if (!v || !l)
		return;
	if (w->nsd >= SRCDOC_MAX || (w->nest && w->nest->depth >= SRCDOC_DEPTH)) {
		w->sd_hit = true;
		return;
	}
	if (!w->sd && !(w->sd = pc_arena_calloc(w->m->arena, SRCDOC_MAX, sizeof *w->sd)))
		return;
	srcdoc *d = &w->sd[w->nsd];
	memset(d, 0, sizeof *d);
	if (!(d->text = pc_arena_strndup(w->m->arena, v, l)))
		return;
	d->n = l;
	d->hidden = w->hidden;
	myhtml_position_t vp = myhtml_attribute_value_raw_position(w->cur_attr);
	myhtml_position_t ep = myhtml_node_element_position(node);
	if (!w->nest && vp.begin <= w->bufn && vp.length <= w->bufn - vp.begin && ep.begin <= vp.begin &&
	    vp.begin + vp.length <= ep.begin + ep.length) {
		d->placed = true;
		d->attr_begin = vp.begin;
		d->attr_len = vp.length;
	}
	w->nsd++;
}

static void css_url(void *ctx, const char *u, size_t n, const char *how, const char *prop, size_t begin, size_t end);

/* SVG presentation attributes that take a url(): paint servers, filters,
 * masks, clip paths, markers (url(#id) is in the document: not remote). */
static void svg_url_attrs(walk *w, myhtml_tree_node_t *node)
{
	static const char *const names[] = {"fill",         "stroke",     "filter",     "mask",  "clip-path",
	                                    "marker-start", "marker-mid", "marker-end", "cursor"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t l;
		const char *v = attr_use(w, node, names[i], &l, false);
		if (v && l && memchr(v, '(', l))
			pc_css_scan_value_spans(w->m->arena, v, l, names[i], css_url, w);
	}
}

static void element(walk *w, myhtml_tree_t *tree, myhtml_tree_node_t *node, myhtml_tag_id_t id, const vis_state *parent,
                    vis_state *self, size_t depth)
{
	size_t tl = 0;
	w->node = node;
	w->cur_attr = NULL;
	w->tag = myhtml_tag_name_by_id(tree, id, &tl);
	if (!w->tag)
		w->tag = "?";
	else if (id >= MyHTML_TAG_LAST_ENTRY) /* a made-up tag: its name is message bytes */
		w->tag = pc_arena_utf8(w->m->arena, w->tag, tl);
	if (!w->tag)
		w->tag = "?";
	if (w->m->sketch) { /* the template's structure: elements in order */
		pc_sketch_break(w->m->sketch);
		pc_sketch_tag(w->m->sketch, w->tag, strlen(w->tag));
	}
	w->order++;
	size_t l;
	const char *al = attr(node, "alt", &l);
	w->alt = al ? pc_arena_utf8(w->m->arena, al, l) : NULL;
	element_style(w, node, parent, self);
	if (id == MyHTML_TAG_VIDEO || id == MyHTML_TAG_AUDIO) {
		self->media_w = w->width;
		self->media_h = w->height;
	} else if ((id == MyHTML_TAG_SOURCE || id == MyHTML_TAG_TRACK) && w->width.px == PC_SIZE_UNKNOWN &&
	           w->width.pct < 0 && w->height.px == PC_SIZE_UNKNOWN && w->height.pct < 0) {
		/* a source or track is shown in its media element's box */
		w->width = parent->media_w;
		w->height = parent->media_h;
	}
	if (id == MyHTML_TAG_AUDIO && !attr(node, "controls", NULL)) {
		/* UA style sheet: audio:not([controls]) { display: none } — it
		 * still fetches its source */
		w->hidden |= PC_VIS_DISPLAY_NONE;
		self->inherited[0] |= PC_VIS_CONTAINER_HIDDEN;
		self->inherited[1] |= PC_VIS_CONTAINER_HIDDEN;
	}

	if (id >= MyHTML_TAG_LAST_ENTRY && !strcmp(w->tag, "picture")) { /* MyHTML predates <picture> */
		w->picture = node;
		w->picture_res = w->m->resources.n;
	}
	if (myhtml_node_namespace(node) == MyHTML_NAMESPACE_SVG)
		svg_url_attrs(w, node);
	switch (id) { /* the presentational background= that browsers still load */
	case MyHTML_TAG_BODY:
	case MyHTML_TAG_TABLE:
	case MyHTML_TAG_THEAD:
	case MyHTML_TAG_TBODY:
	case MyHTML_TAG_TFOOT:
	case MyHTML_TAG_TR:
	case MyHTML_TAG_TD:
	case MyHTML_TAG_TH:
		src_attr(w, node, "background", "background");
		break;
	default:
		break;
	}
	switch (id) {
	case MyHTML_TAG_IMG:
	case MyHTML_TAG_IMAGE:
		if (myhtml_node_namespace(node) == MyHTML_NAMESPACE_SVG) {
			if (attr(node, "href", NULL))
				src_attr(w, node, "href", "img");
			else
				src_attr(w, node, "xlink:href", "img");
			break;
		}
		src_attr(w, node, "src", "img");
		if ((al = attr_use(w, node, "srcset", &l, false)))
			add_srcset(w, al, l, "img");
		if (w->picture && myhtml_node_parent(node) == w->picture) {
			/* the <source>s before it are drawn in this img's box */
			for (size_t i = w->picture_res; i < w->m->resources.n; i++) {
				pc_resource *r = w->m->resources.v[i];
				if (strcmp(r->element, "source"))
					continue;
				r->width = w->width;
				r->height = w->height;
				r->hidden |= w->hidden;
				if (!r->alt)
					r->alt = w->alt;
			}
			w->picture = NULL;
		}
		if (w->link && w->alt && *w->alt) { /* an image link's text is its alt */
			link_text_add(w, w->alt, strlen(w->alt));
			w->text_space = true;
		}
		break;
	case MyHTML_TAG_INPUT:
		if (attr_is(node, "type", "image"))
			src_attr(w, node, "src", "input");
		break;
	case MyHTML_TAG_VIDEO:
		src_attr(w, node, "poster", "video");
		src_attr(w, node, "src", "video");
		break;
	case MyHTML_TAG_AUDIO:
		src_attr(w, node, "src", "audio");
		break;
	case MyHTML_TAG_SOURCE:
		src_attr(w, node, "src", "source");
		if ((al = attr_use(w, node, "srcset", &l, false)))
			add_srcset(w, al, l, "source");
		break;
	case MyHTML_TAG_TRACK:
		src_attr(w, node, "src", "track");
		break;
	case MyHTML_TAG_IFRAME:
	case MyHTML_TAG_FRAME:
		src_attr(w, node, "src", "iframe");
		if (id == MyHTML_TAG_IFRAME)
			srcdoc_add(w, node);
		break;
	case MyHTML_TAG_FEIMAGE: /* SVG filter input: an image it fetches */
		if (myhtml_node_namespace(node) != MyHTML_NAMESPACE_SVG)
			break;
		if (attr(node, "href", NULL))
			src_attr(w, node, "href", "img");
		else
			src_attr(w, node, "xlink:href", "img");
		break;
	case MyHTML_TAG_EMBED:
		src_attr(w, node, "src", "embed");
		break;
	case MyHTML_TAG_OBJECT:
		src_attr(w, node, "data", "object");
		break;
	case MyHTML_TAG_LINK: {
		const char *rel = attr(node, "rel", &l);
		if (!rel)
			break;
		char *r = pc_arena_strndup(w->m->arena, rel, l);
		if (!r)
			break;
		for (char *p = r; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strstr(r, "stylesheet") || strstr(r, "icon") || strstr(r, "preload") || strstr(r, "prefetch") ||
		    strstr(r, "preconnect") || strstr(r, "prerender")) {
			w->rel = r;
			src_attr(w, node, "href", "link");
			/* <link rel=preload as=image imagesrcset=...> fetches from it */
			if (strstr(r, "preload") && (al = attr_use(w, node, "imagesrcset", &l, false)))
				add_srcset(w, al, l, "link");
			w->rel = NULL;
		}
		break;
	}
	case MyHTML_TAG_A:
		if (myhtml_node_namespace(node) == MyHTML_NAMESPACE_HTML)
			link_open(w, node, depth);
		break;
	case MyHTML_TAG_AREA: /* void: its text is its alt */
		link_open(w, node, depth);
		if (w->link && w->alt)
			link_text_add(w, w->alt, strlen(w->alt));
		link_close(w);
		break;
	default:
		break;
	}
}

static void style_block(walk *w, myhtml_tree_node_t *node)
{
	/* <style type="text/plain"> is no style sheet: nothing in it is
	 * fetched (one for print still is reported: its @import may be) */
	if (!pc_cascade_is_sheet(w->cascade, node))
		return;
	for (myhtml_tree_node_t *c = myhtml_node_child(node); c; c = myhtml_node_next(c)) {
		if (myhtml_node_tag_id(c) != MyHTML_TAG__TEXT)
			continue;
		size_t l = 0;
		const char *t = myhtml_node_text(c, &l);
		if (t && l) {
			/* The scan reads the bytes the rewriter edits, so the offsets
			 * it reports are theirs: the text itself when MyHTML kept it
			 * as written, else (CR LF made LF, NUL made U+FFFD) the raw
			 * bytes of an HTML <style>, which has no character
			 * references; SVG's may: no offsets then. */
			myhtml_position_t rp = myhtml_node_raw_position(c);
			bool raw_ok = rp.begin <= w->bufn && rp.length <= w->bufn - rp.begin;
			const char *src = t;
			size_t srcn = l;
			w->in_style_text = false;
			if (raw_ok && rp.length == l && !memcmp(w->buf + rp.begin, t, l))
				w->in_style_text = true;
			else if (raw_ok && rp.length && myhtml_node_namespace(node) == MyHTML_NAMESPACE_HTML) {
				src = w->buf + rp.begin;
				srcn = rp.length;
				w->in_style_text = true;
			}
			w->text_base = rp.begin;
			w->node = NULL;
			w->cur_attr = NULL;
			w->tag = "style";
			w->width = w->height = (pc_size){PC_SIZE_UNKNOWN, -1};
			w->hidden = 0; /* a style sheet applies whatever surrounds it */
			w->alt = NULL;
			w->order++;
			pc_css_scan_sheet_spans(w->m->arena, src, srcn, css_url, w);
			w->in_style_text = false;
		}
	}
}

/* An absolute remote URL as the base of relative ones. */
static void base_from(walk *w, const char *v, size_t l)
{
	pc_url *u = pc_url_parse(w->m->arena, v, l);
	if (u && pc_url_is_remote(u) && u->scheme[0]) {
		w->base = u->raw;
		w->base_url = u;
	}
}

static void find_base(walk *w, myhtml_tree_t *tree)
{
	myhtml_collection_t *c = myhtml_get_nodes_by_tag_id(tree, NULL, MyHTML_TAG_BASE, NULL);
	if (!c)
		return;
	for (size_t i = 0; i < c->length; i++) {
		size_t l;
		const char *v = attr(c->list[i], "href", &l);
		if (!v)
			continue;
		base_from(w, v, l);
		break; /* only the first <base href> counts */
	}
	myhtml_collection_destroy(c);
}

/* MyHTML follows the pre-2025 HTML rules that drop every tag inside
 * <select> but <option>/<optgroup>; browsers now keep them (whatwg/html
 * #10548, shipped in Chromium), so an <img> or <a> hidden in a <select>
 * loads there and was invisible to us. Renaming select to a same-length
 * neutral element ("<span  ") before parsing keeps its content. Returns
 * bytes itself when there is no <select>, NULL when out of memory. */
static const char *select_as_span(pc_arena *a, const char *b, size_t n)
{
	char *copy = NULL;
	for (const char *p = b; (p = memchr(p, '<', n - (size_t)(p - b))); p++) {
		size_t rest = n - (size_t)(p - b);
		size_t off = rest > 1 && p[1] == '/' ? 2 : 1;
		if (rest < off + 7 || strncasecmp(p + off, "select", 6) != 0)
			continue;
		char after = p[off + 6];
		if (!isspace((unsigned char)after) && after != '>' && after != '/')
			continue; /* <selection>, <select-x> are other elements */
		if (!copy) {
			copy = pc_arena_alloc(a, n ? n : 1);
			if (!copy)
				return NULL;
			memcpy(copy, b, n);
		}
		memcpy(copy + (p - b) + off, "span  ", 6);
	}
	return copy ? copy : b;
}

/* Parses one document (the part, or a srcdoc in it: ns) and walks it,
 * then the srcdoc documents it holds. */
static int parse_doc(pc_html *h, pc_msg *m, size_t part, const char *bytes, size_t n, const nest *ns)
{
	pc_part *pp = m->parts.v[part];
	bytes = select_as_span(m->arena, bytes, n);
	if (!bytes)
		return -1;
	const char *which;
	size_t cut = pc_html_cut(bytes, n, 4 * m->config->limits.html_depth, m->config->limits.html_nodes, &which);
	if (which) {
		bool depth = !strcmp(which, "html_depth");
		pc_finding *f =
		    pc_msg_limit(m, which, depth ? m->config->limits.html_depth : m->config->limits.html_nodes,
		                 depth ? "HTML nested too deep: the rest of the part was not parsed"
		                       : "too many HTML elements and attributes: the rest of the part was not parsed");
		pc_finding_ev(m, f, "part", ((pc_part *)m->parts.v[part])->path);
		pc_finding_ev(m, f, "offset", pc_arena_printf(m->arena, "%zu", cut));
		n = cut;
	}
	n = pc_html_eof_in_tag(bytes, n);
	myhtml_tree_clean(h->tree);
	if (myhtml_parse(h->tree, MyENCODING_UTF_8, bytes, n) != MyHTML_STATUS_OK) {
		pc_finding *f =
		    pc_msg_finding(m, PC_FINDING_DAMAGE, "parse.html", 0.0, "HTML parser failed on this part");
		pc_finding_ev(m, f, "part", ((pc_part *)m->parts.v[part])->path);
		return -1;
	}
	walk w;
	memset(&w, 0, sizeof w);
	w.m = m;
	w.part = part;
	w.buf = bytes;
	w.bufn = n;
	find_base(&w, h->tree);
	if (!w.base && ns) { /* a srcdoc document has its embedder's base */
		w.base = ns->base;
		w.base_url = ns->base_url;
	}
	if (!w.base && !ns && pp->base) /* Content-Base, Content-Location (parse/mime.c) */
		base_from(&w, pp->base, strlen(pp->base));
	w.nest = ns;
	pc_cascade_info ci;
	if (pc_cascade_build(h->cascade, m->arena, h->tree, &ci) != 0)
		pc_msg_limit(m, "arena", m->config->limits.arena, "parse results were cut short");
	if (ci.over) {
		pc_finding *f =
		    pc_msg_limit(m, "css_work", PC_CASCADE_WORK,
		                 "style sheets too costly to apply: the rest of their rules were not applied");
		pc_finding_ev(m, f, "part", ((pc_part *)m->parts.v[part])->path);
		pc_finding_ev(m, f, "rules", pc_arena_printf(m->arena, "%zu", ci.rules));
		pc_finding_ev(m, f, "selectors_applied", pc_arena_printf(m->arena, "%zu", ci.applied));
		pc_finding_ev(m, f, "work", pc_arena_printf(m->arena, "%zu", ci.work));
	}
	w.cascade = h->cascade;

	size_t maxd = m->config->limits.html_depth;
	vis_state *st = pc_arena_calloc(m->arena, maxd + 2, sizeof *st);
	if (!st)
		return -1;
	bool depth_hit = false;
	myhtml_tree_node_t *root = myhtml_tree_get_document(h->tree);
	myhtml_tree_node_t *node = root ? myhtml_node_child(root) : NULL;
	size_t depth = 1; /* st[0] is the document: visible, unless its iframe is not */
	if (ns)
		for (int k = 0; k < 2; k++) {
			if (ns->sd->hidden & ~(unsigned)PC_VIS_SIZE_0)
				st[0].inherited[k] |= PC_VIS_CONTAINER_HIDDEN;
			if (ns->sd->hidden & PC_VIS_SIZE_0)
				st[0].inherited[k] |= PC_VIS_CONTAINER_ZERO;
		}
	while (node && !w.stop) {
		/* A full arena refuses all but small allocations, from an
		 * overdraft kept for the findings: stop while the limit finding
		 * can still be written (walking on used the overdraft up, and
		 * the scan's own finding at the end was lost). */
		if (pc_arena_full(m->arena)) {
			pc_msg_limit(m, "arena", m->config->limits.arena, "parse results were cut short");
			break;
		}
		myhtml_tag_id_t id = myhtml_node_tag_id(node);
		bool descend = true;
		size_t si = depth <= maxd ? depth : maxd + 1;
		if (depth > maxd && !depth_hit) {
			depth_hit = true;
			pc_msg_limit(m, "html_depth", maxd,
			             "deeper elements inherit the visibility of the last tracked level");
		}
		const vis_state *parent = &st[si - 1 < maxd ? si - 1 : maxd];
		if (id == MyHTML_TAG__TEXT) {
			size_t l = 0;
			const char *t = myhtml_node_text(node, &l);
			if (t && w.link)
				link_text_add(&w, t, l);
			/* text no reader sees (a hidden or zero-size container)
			 * is not the template: random words there must not make
			 * each copy look different */
			if (t && m->sketch &&
			    (!(parent->inherited[0] & (PC_VIS_CONTAINER_HIDDEN | PC_VIS_CONTAINER_ZERO)) ||
			     !(parent->inherited[1] & (PC_VIS_CONTAINER_HIDDEN | PC_VIS_CONTAINER_ZERO))) &&
			    !(parent->vis_hidden[0] && parent->vis_hidden[1]))
				pc_sketch_text(m->sketch, t, l);
			descend = false;
		} else if (id == MyHTML_TAG__COMMENT || id == MyHTML_TAG__DOCTYPE || id == MyHTML_TAG_SCRIPT ||
		           id == MyHTML_TAG_TEMPLATE || id == MyHTML_TAG_TITLE) {
			descend = false;
		} else if (id == MyHTML_TAG_STYLE) {
			style_block(&w, node);
			descend = false;
		} else {
			vis_state self;
			element(&w, h->tree, node, id, parent, &self, depth);
			if (si <= maxd)
				st[si] = self;
		}
		myhtml_tree_node_t *child = descend ? myhtml_node_child(node) : NULL;
		if (child) {
			node = child;
			if (depth < (size_t)-2)
				depth++;
			continue;
		}
		/* climb until a sibling exists, closing links we leave */
		while (node) {
			if (w.link && depth <= w.link_depth)
				link_close(&w);
			myhtml_tree_node_t *next = myhtml_node_next(node);
			if (next) {
				node = next;
				break;
			}
			node = myhtml_node_parent(node);
			depth--;
			if (!node || node == root || depth == 0) {
				node = NULL;
				break;
			}
		}
	}
	link_close(&w);
	pc_cascade_clear(h->cascade);
	if (!ns)
		pp->html_elements = w.order;
	if (w.sd_hit) {
		pc_finding *f = pc_msg_limit(m, "srcdoc", SRCDOC_MAX * SRCDOC_DEPTH,
		                             "too many or too deeply nested <iframe srcdoc>: the rest were not read");
		pc_finding_ev(m, f, "part", pp->path);
	}
	/* the srcdoc documents, now that the tree is free */
	for (size_t i = 0; i < w.nsd && !w.stop; i++) {
		nest inner = {&w.sd[i], ns ? ns->depth + 1 : 1, w.base, w.base_url};
		parse_doc(h, m, part, w.sd[i].text, w.sd[i].n, &inner);
	}
	return 0;
}

int pc_html_extract(pc_html *h, pc_msg *m, size_t part, const char *bytes, size_t n, const char *charset)
{
	if (!bytes || !n) { /* an empty part may come with no buffer at all */
		bytes = "";
		n = 0;
	}
	/* Always hand MyHTML UTF-8: its own decoders crash when a tree that
	 * parsed UTF-16 is reused (bench/html_parsers/RESULTS.md), and GMime's
	 * iconv filter knows more charsets (UTF-7) than MyHTML does. */
	const char *cs = charset;
	char namebuf[64];
	if (!cs || !*cs) {
		myencoding_t enc = myencoding_prescan_stream_to_determine_encoding(bytes, n < 1024 ? n : 1024);
		size_t l = 0;
		const char *name = enc != MyENCODING_NOT_DETERMINED ? myencoding_name_by_id(enc, &l) : NULL;
		if (name && l && l < sizeof namebuf) {
			memcpy(namebuf, name, l);
			namebuf[l] = '\0';
			cs = namebuf;
		}
	}
	if (cs && *cs && g_ascii_strcasecmp(cs, "utf-8") && g_ascii_strcasecmp(cs, "utf8") &&
	    g_ascii_strcasecmp(cs, "us-ascii")) {
		size_t on = 0;
		char *conv = pc_mime_to_utf8(m->arena, bytes, n, cs, &on);
		if (conv) {
			bytes = conv;
			n = on;
			((pc_part *)m->parts.v[part])->converted_from = pc_arena_strndup(m->arena, cs, strlen(cs));
		} else {
			pc_finding *f = pc_msg_find(m, "parse.charset");
			if (!f)
				f = pc_msg_finding(m, PC_FINDING_DAMAGE, "parse.charset", 0.0,
				                   "unknown charset: text read as UTF-8");
			pc_finding_ev(m, f, "charset", pc_arena_utf8(m->arena, cs, strlen(cs)));
			pc_finding_ev(m, f, "part", ((pc_part *)m->parts.v[part])->path);
		}
	}
	pc_part *pp = m->parts.v[part];
	if (m->keep_for_rewrite) /* the rewriter edits these bytes (before renaming) */
		pc_part_keep_text(m, pp, bytes, n);
	return parse_doc(h, m, part, bytes, n, NULL);
}
