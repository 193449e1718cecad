/*
 * NAME
 *   ac - Aho-Corasick automaton (see ac.h)
 * DESCRIPTION
 *   A trie with first-child/next-sibling edges (patterns are few hundred,
 *   so most nodes have one child), a dense 256-entry table at the root (the
 *   state the search returns to most), failure links computed breadth
 *   first, and per node the nearest node on the failure chain that ends a
 *   pattern ("dict" link), so hits are listed without walking every
 *   failure. Written here because no Debian library offers a reusable
 *   in-memory multi-pattern matcher for C (libahocorasick is not packaged;
 *   Hyperscan is x86-only and heavy for ~150 literals).
 */
#include "detect/lib/ac.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
	uint32_t child, sibling; /* 0 = none (node 0 is the root, never a child) */
	uint32_t fail, dict;     /* dict: nearest node with outputs on the fail chain, 0 if none */
	uint32_t out;            /* first output index + 1, 0 if none */
	unsigned char c;
} node;

typedef struct output {
	unsigned id;
	uint32_t next; /* next output of the same node, index + 1 */
} output;

struct pc_ac {
	node *nodes;
	size_t nnodes, cap;
	output *outs;
	size_t nouts, outcap;
	uint32_t root[256];
	uint32_t *queue;
	size_t qcap;
};

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

pc_ac *pc_ac_new(void)
{
	pc_ac *ac = calloc(1, sizeof *ac);
	if (!ac)
		return NULL;
	pc_ac_reset(ac);
	return ac;
}

void pc_ac_free(pc_ac *ac)
{
	if (!ac)
		return;
	free(ac->nodes);
	free(ac->outs);
	free(ac->queue);
	free(ac);
}

static uint32_t new_node(pc_ac *ac, unsigned char c)
{
	if (ac->nnodes >= PC_AC_MAX_NODES)
		return 0;
	if (ac->nnodes == ac->cap) {
		size_t nc = ac->cap ? ac->cap * 2 : 1024;
		node *nn = realloc(ac->nodes, nc * sizeof *nn);
		if (!nn)
			return 0;
		ac->nodes = nn;
		ac->cap = nc;
	}
	node *n = &ac->nodes[ac->nnodes];
	memset(n, 0, sizeof *n);
	n->c = c;
	return (uint32_t)ac->nnodes++;
}

void pc_ac_reset(pc_ac *ac)
{
	ac->nnodes = 0;
	ac->nouts = 0;
	memset(ac->root, 0, sizeof ac->root);
	new_node(ac, 0); /* the root; may fail only when out of memory */
}

static uint32_t child(const pc_ac *ac, uint32_t s, unsigned char c)
{
	for (uint32_t k = ac->nodes[s].child; k; k = ac->nodes[k].sibling)
		if (ac->nodes[k].c == c)
			return k;
	return 0;
}

int pc_ac_add(pc_ac *ac, const char *pat, size_t n, unsigned id)
{
	if (!ac->nnodes || n == 0)
		return -1;
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = fold((unsigned char)pat[i]);
		uint32_t k = child(ac, s, c);
		if (!k) {
			k = new_node(ac, c);
			if (!k)
				return -1;
			ac->nodes[k].sibling = ac->nodes[s].child;
			ac->nodes[s].child = k;
		}
		s = k;
	}
	if (ac->nouts == ac->outcap) {
		size_t nc = ac->outcap ? ac->outcap * 2 : 256;
		output *no = realloc(ac->outs, nc * sizeof *no);
		if (!no)
			return -1;
		ac->outs = no;
		ac->outcap = nc;
	}
	ac->outs[ac->nouts] = (output){id, ac->nodes[s].out};
	ac->nodes[s].out = (uint32_t)++ac->nouts;
	return 0;
}

/* goto function with failure fallback, for build and match alike */
static uint32_t step(const pc_ac *ac, uint32_t s, unsigned char c)
{
	for (;;) {
		if (s == 0)
			return ac->root[c];
		uint32_t k = child(ac, s, c);
		if (k)
			return k;
		s = ac->nodes[s].fail;
	}
}

int pc_ac_build(pc_ac *ac)
{
	if (!ac->nnodes)
		return -1;
	if (ac->qcap < ac->nnodes) {
		uint32_t *q = realloc(ac->queue, ac->nnodes * sizeof *q);
		if (!q)
			return -1;
		ac->queue = q;
		ac->qcap = ac->nnodes;
	}
	size_t head = 0, tail = 0;
	memset(ac->root, 0, sizeof ac->root);
	for (uint32_t k = ac->nodes[0].child; k; k = ac->nodes[k].sibling) {
		ac->root[ac->nodes[k].c] = k;
		ac->nodes[k].fail = 0;
		ac->nodes[k].dict = 0;
		ac->queue[tail++] = k;
	}
	while (head < tail) {
		uint32_t s = ac->queue[head++];
		for (uint32_t k = ac->nodes[s].child; k; k = ac->nodes[k].sibling) {
			uint32_t f = step(ac, ac->nodes[s].fail, ac->nodes[k].c);
			if (f == k)
				f = 0;
			ac->nodes[k].fail = f;
			ac->nodes[k].dict = ac->nodes[f].out ? f : ac->nodes[f].dict;
			ac->queue[tail++] = k;
		}
	}
	return 0;
}

void pc_ac_match(const pc_ac *ac, const char *text, size_t n, pc_ac_hit cb, void *ctx)
{
	if (!ac->nnodes || !ac->nodes[0].child)
		return;
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++) {
		s = step(ac, s, fold((unsigned char)text[i]));
		for (uint32_t t = ac->nodes[s].out ? s : ac->nodes[s].dict; t; t = ac->nodes[t].dict)
			for (uint32_t o = ac->nodes[t].out; o; o = ac->outs[o - 1].next)
				if (!cb(ctx, ac->outs[o - 1].id, i + 1))
					return;
	}
}
