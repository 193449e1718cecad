/*
 * NAME
 *   arena - bump allocator with a ceiling (see arena.h)
 */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64u * 1024u)
#define ALIGN 16u
#define OVERDRAFT (256u * 1024u)

typedef struct chunk {
	struct chunk *next;
	size_t size, used;
	unsigned char data[] __attribute__((aligned(ALIGN)));
} chunk;

struct pc_arena {
	chunk *head;  /* current chunk */
	chunk *first; /* kept across resets */
	size_t total, ceiling;
	size_t overdraft; /* bytes allowed past the ceiling for findings */
	bool full;
	unsigned long generation; /* counts resets: what was allocated before is gone */
};

static chunk *chunk_new(size_t size)
{
	chunk *c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

/* Generations are unique in the process, so that a cache keyed by arena
 * and generation cannot mistake a new arena at a freed one's address. */
static _Atomic unsigned long next_generation = 1;

pc_arena *pc_arena_new(size_t ceiling)
{
	pc_arena *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->first = a->head = chunk_new(CHUNK_SIZE);
	if (!a->first) {
		free(a);
		return NULL;
	}
	a->total = CHUNK_SIZE;
	a->ceiling = ceiling;
	a->generation = next_generation++;
	return a;
}

static void free_chain(chunk *c, chunk *stop)
{
	while (c && c != stop) {
		chunk *n = c->next;
		free(c);
		c = n;
	}
}

void pc_arena_free(pc_arena *a)
{
	if (!a)
		return;
	free_chain(a->head, NULL);
	free(a);
}

unsigned long pc_arena_generation(const pc_arena *a)
{
	return a->generation;
}

void pc_arena_reset(pc_arena *a)
{
	a->generation = next_generation++;
	/* Chunks are pushed on the front, so `first` is the tail of the list. */
	free_chain(a->head, a->first);
	a->head = a->first;
	a->first->next = NULL;
	a->first->used = 0;
	a->total = a->first->size;
	a->overdraft = 0;
	a->full = false;
}

void *pc_arena_alloc(pc_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		goto full;
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	chunk *c = a->head;
	if (c->size - c->used < n) {
		size_t sz = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
		if (a->total + sz > a->ceiling || a->total + sz < a->total) {
			/* Past the ceiling, small allocations still succeed from a
			 * bounded overdraft, so the "limit reached" finding itself
			 * can always be recorded. */
			if (n > 1024 || a->overdraft >= OVERDRAFT)
				goto full;
			a->full = true;
			sz = CHUNK_SIZE / 16;
			a->overdraft += sz;
		}
		chunk *nc = chunk_new(sz);
		if (!nc)
			goto full;
		nc->next = a->head;
		a->head = nc;
		a->total += sz;
		c = nc;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
full:
	a->full = true;
	return NULL;
}

void *pc_arena_calloc(pc_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		a->full = true;
		return NULL;
	}
	void *p = pc_arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *pc_arena_strndup(pc_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = pc_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *pc_arena_strdup(pc_arena *a, const char *s)
{
	return s ? pc_arena_strndup(a, s, strlen(s)) : NULL;
}

char *pc_arena_printf(pc_arena *a, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if ((size_t)n < sizeof small)
		return pc_arena_strndup(a, small, (size_t)n);
	char *p = pc_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	uint32_t cp = c & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Bytes of an invalid sequence that one U+FFFD replaces: the lead byte
 * and the continuation bytes that could still have completed it (the
 * "maximal subpart" of Unicode 15 §3.9 / WHATWG UTF-8 decode). */
static size_t maximal_subpart(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return 1;
	size_t i = 1;
	while (i <= need && i < n && s[i] >= lo && s[i] <= hi) {
		i++;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

char *pc_arena_utf8(pc_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	/* Worst case every byte becomes 3 bytes of U+FFFD. */
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	/* fast path: 8 bytes at a time while they are ASCII without NUL */
	while (i + 8 <= n) {
		uint64_t w;
		memcpy(&w, u + i, 8);
		if ((w & 0x8080808080808080ULL) || ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL))
			break;
		i += 8;
	}
	while (i < n) { /* already valid and NUL-free */
		size_t l = u[i] ? utf8_seq(u + i, n - i) : 0;
		if (!l)
			break;
		i += l;
	}
	if (i == n)
		return pc_arena_strndup(a, s, n);
	char *out = pc_arena_alloc(a, n * 3 + 1);
	if (!out)
		return NULL;
	memcpy(out, s, i);
	size_t o = i;
	while (i < n) {
		if (u[i] == 0) {
			i++;
			continue;
		}
		size_t l = utf8_seq(u + i, n - i);
		if (l) {
			memcpy(out + o, u + i, l);
			o += l;
			i += l;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += maximal_subpart(u + i, n - i);
		}
	}
	out[o] = '\0';
	return out;
}

size_t pc_arena_used(const pc_arena *a)
{
	return a->total;
}

bool pc_arena_full(const pc_arena *a)
{
	return a->full;
}

void pc_arena_set_ceiling(pc_arena *a, size_t ceiling)
{
	a->ceiling = ceiling;
}

size_t pc_arena_ceiling(const pc_arena *a)
{
	return a->ceiling;
}
