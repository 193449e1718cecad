/*
 * NAME
 *   sketch - a MinHash sketch of a message's template (see sketch.h)
 * DESCRIPTION
 *   Words are runs of bytes between white space (ASCII, and U+00A0 as
 *   HTML's &nbsp; gives it), with ASCII punctuation trimmed from both
 *   ends. A word is hashed as it is read, so nothing is buffered; a word
 *   that turns out to hold a digit, '@', '/', '=', '%', '&' or '?' or to be
 *   longer than PC_WORD_MAX is dropped and breaks nothing: the shingle
 *   window simply closes over it, so "Dear Alice Smith, ..." and "Dear Bob
 *   Jones, ..." differ in the shingles that hold the name only.
 */
#include "core/sketch.h"

#include <string.h>

#define PC_WORD_MAX 24
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

uint64_t pc_hash64(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t h = FNV_OFFSET ^ fmix64(seed + 0x9e3779b97f4a7c15ULL);
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return fmix64(h ^ n);
}

void pc_sketch_init(pc_sketch *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < PC_SKETCH_K; i++)
		s->bins[i] = s->tbins[i] = PC_SKETCH_EMPTY;
	s->cur = FNV_OFFSET;
}

static void add_to(uint32_t *bins, uint64_t h)
{
	size_t bin = (size_t)(h >> 58); /* top 6 bits: PC_SKETCH_K == 64 bins */
	uint32_t v = (uint32_t)h;
	if (v == PC_SKETCH_EMPTY)
		v--;
	if (v < bins[bin])
		bins[bin] = v;
}

static void add_hash(pc_sketch *s, uint64_t h)
{
	add_to(s->bins, h);
	s->features++;
}

static void add_word(pc_sketch *s, uint64_t w)
{
	if (s->nwords >= 2)
		add_hash(s, fmix64(s->words[0] * 0x9e3779b97f4a7c15ULL ^ fmix64(s->words[1] + 1) ^ fmix64(w + 2) ^
		                   PC_SKETCH_WORDS));
	s->words[0] = s->words[1];
	s->words[1] = w;
	if (s->nwords < 2)
		s->nwords++;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_trim(unsigned char c)
{
	return c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}

static bool is_bad(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '@' || c == '/' || c == '=' || c == '%' || c == '&' || c == '?';
}

/* Ends the word being read: trailing punctuation was never hashed (see
 * below), so the hash is the trimmed word's. */
void pc_sketch_break(pc_sketch *s)
{
	if (s->curlen && !s->cur_bad && s->curlen <= PC_WORD_MAX)
		add_word(s, fmix64(s->cur));
	s->cur = FNV_OFFSET;
	s->curlen = 0;
	s->cur_bad = 0;
	s->pend = 0;
}

void pc_sketch_text(pc_sketch *s, const char *t, size_t n)
{
	const unsigned char *b = (const unsigned char *)t;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		if (is_space(c) || (c == 0xc2 && i + 1 < n && b[i + 1] == 0xa0)) {
			if (c == 0xc2)
				i++;
			pc_sketch_break(s);
			continue;
		}
		/* format characters inside words (zero-width space, joiners,
		 * word joiner, BOM, soft hyphen) are invisible: skipped, so
		 * they cannot make one word many */
		if (c == 0xe2 && i + 2 < n && b[i + 1] == 0x80 && (b[i + 2] >= 0x8b && b[i + 2] <= 0x8f)) {
			i += 2;
			continue;
		}
		if (c == 0xe2 && i + 2 < n && b[i + 1] == 0x81 && b[i + 2] >= 0xa0 && b[i + 2] <= 0xa4) {
			i += 2;
			continue;
		}
		if (c == 0xef && i + 2 < n && b[i + 1] == 0xbb && b[i + 2] == 0xbf) {
			i += 2;
			continue;
		}
		if (c == 0xc2 && i + 1 < n && b[i + 1] == 0xad) {
			i++;
			continue;
		}
		if (is_bad(c))
			s->cur_bad = 1;
		if (is_trim(c)) {
			/* leading punctuation is skipped; inner punctuation is
			 * hashed once a letter follows it, trailing never */
			if (s->curlen && s->pend < sizeof s->pendc)
				s->pendc[s->pend++] = c;
			continue;
		}
		for (size_t k = 0; k < s->pend; k++)
			s->cur = (s->cur ^ s->pendc[k]) * FNV_PRIME;
		s->curlen += s->pend;
		s->pend = 0;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		s->cur = (s->cur ^ c) * FNV_PRIME;
		s->curlen++;
	}
}

void pc_sketch_tag(pc_sketch *s, const char *tag, size_t n)
{
	uint64_t h = pc_hash64(tag, n, PC_SKETCH_TAGS);
	if (s->ntags >= 3) {
		add_to(s->tbins, fmix64(s->tags[0] ^ fmix64(s->tags[1] + 1) ^ fmix64(s->tags[2] + 2) ^ fmix64(h + 3)));
		s->tag_features++;
	}
	s->tags[0] = s->tags[1];
	s->tags[1] = s->tags[2];
	s->tags[2] = h;
	if (s->ntags < 3)
		s->ntags++;
}

void pc_sketch_feature(pc_sketch *s, const char *f, size_t n, uint64_t salt)
{
	add_hash(s, pc_hash64(f, n, salt));
}

static void densify(const uint32_t *bins, uint32_t sig[PC_SKETCH_K])
{
	size_t full = 0;
	for (size_t i = 0; i < PC_SKETCH_K; i++)
		full += bins[i] != PC_SKETCH_EMPTY;
	for (size_t i = 0; i < PC_SKETCH_K; i++) {
		sig[i] = bins[i];
		if (sig[i] != PC_SKETCH_EMPTY || !full)
			continue;
		/* optimal densification: borrow from the bin a hash of (i,
		 * attempt) names, the same for every sketch, so two sets with
		 * the same full bins borrow the same values */
		for (uint64_t attempt = 0;; attempt++) {
			uint64_t j = fmix64(((uint64_t)i << 32 | attempt) + 0x51ed27) % PC_SKETCH_K;
			if (bins[j] != PC_SKETCH_EMPTY) {
				sig[i] = bins[j];
				break;
			}
			if (attempt > 4096) { /* cannot happen with a full bin; bounded anyway */
				for (size_t k = 0; k < PC_SKETCH_K; k++)
					if (bins[k] != PC_SKETCH_EMPTY) {
						sig[i] = bins[k];
						break;
					}
				break;
			}
		}
	}
}

void pc_sketch_finish(const pc_sketch *s, uint32_t sig[PC_SKETCH_K])
{
	densify(s->bins, sig);
}

void pc_sketch_finish_all(const pc_sketch *s, uint32_t sig[PC_SKETCH_K])
{
	uint32_t all[PC_SKETCH_K];
	for (size_t i = 0; i < PC_SKETCH_K; i++)
		all[i] = s->bins[i] < s->tbins[i] ? s->bins[i] : s->tbins[i];
	densify(all, sig);
}

double pc_sketch_similarity(const uint32_t *a, const uint32_t *b)
{
	size_t eq = 0;
	for (size_t i = 0; i < PC_SKETCH_K; i++)
		eq += a[i] == b[i] && a[i] != PC_SKETCH_EMPTY;
	return (double)eq / PC_SKETCH_K;
}
