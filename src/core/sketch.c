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

/* Byte classes. A letter, a digit and a byte >= 0x80 are word bytes; a
 * digit also makes the word bad; other ASCII is punctuation, trimmed (and
 * '@', '/', '=', '%', '&' and '?' make the word bad); LEAD bytes start
 * the sequences pc_sketch_text looks at (no-break space, soft hyphen,
 * invisible format characters); the rest of them are word bytes too. */
enum { K_WORD = 0, K_SPACE = 1, K_TRIM = 2, K_BAD = 4, K_LEAD = 8 };
#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f' || (c) == '\v')
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_BADP(c) ((c) == '@' || (c) == '/' || (c) == '=' || (c) == '%' || (c) == '&' || (c) == '?')
#define CLS(c)                                                                                                         \
	(IS_SPACE(c)                                 ? K_SPACE                                                         \
	 : (c) == 0xc2 || (c) == 0xe2 || (c) == 0xef ? K_LEAD                                                          \
	 : (c) >= 0x80 || IS_ALPHA(c)                ? K_WORD                                                          \
	 : IS_DIGIT(c)                               ? K_BAD                                                           \
	                                             : K_TRIM | (IS_BADP(c) ? K_BAD : 0))
#define LOW(c) ((c) + ((c) >= 'A' && (c) <= 'Z' ? 32 : 0))
#define R4(f, b) f(b), f((b) + 1), f((b) + 2), f((b) + 3)
#define R16(f, b) R4(f, b), R4(f, (b) + 4), R4(f, (b) + 8), R4(f, (b) + 12)
#define R64(f, b) R16(f, b), R16(f, (b) + 16), R16(f, (b) + 32), R16(f, (b) + 48)
#define R256(f) R64(f, 0), R64(f, 64), R64(f, 128), R64(f, 192)
static const unsigned char cls[256] = {R256(CLS)};
static const unsigned char low[256] = {R256(LOW)};

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

/* How many bytes at b[i] (a LEAD byte) to skip as an invisible format
 * character (zero-width space, joiners, word joiner, BOM, soft hyphen),
 * -1 for a no-break space (a word break), 0 for a plain word byte. */
static int lead(const unsigned char *b, size_t i, size_t n)
{
	unsigned char c = b[i];
	if (c == 0xc2 && i + 1 < n && b[i + 1] == 0xa0)
		return -1;
	if (c == 0xe2 && i + 2 < n && b[i + 1] == 0x80 && (b[i + 2] >= 0x8b && b[i + 2] <= 0x8f))
		return 3;
	if (c == 0xe2 && i + 2 < n && b[i + 1] == 0x81 && b[i + 2] >= 0xa0 && b[i + 2] <= 0xa4)
		return 3;
	if (c == 0xef && i + 2 < n && b[i + 1] == 0xbb && b[i + 2] == 0xbf)
		return 3;
	if (c == 0xc2 && i + 1 < n && b[i + 1] == 0xad)
		return 2;
	return 0;
}

/* The hot loop of a scan (a byte at a time over all visible text): the
 * word being read is kept in locals, not in *s, which the compiler would
 * otherwise store back for every byte (t may alias it), and bytes are
 * classed by table. The hashes are those of the byte-by-byte rules above
 * (tests/unit/test_campaign.c compares it with them on random text). */
void pc_sketch_text(pc_sketch *s, const char *t, size_t n)
{
	const unsigned char *b = (const unsigned char *)t;
	uint64_t cur = s->cur;
	size_t curlen = s->curlen, pend = s->pend;
	int bad = s->cur_bad;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		unsigned k = cls[c];
		if (k == K_LEAD) {
			int skip = lead(b, i, n);
			if (skip > 0) {
				i += (size_t)skip - 1;
				continue;
			}
			if (skip < 0) {
				i++;
				k = K_SPACE;
			} else
				k = K_WORD;
		}
		if (k == K_SPACE) {
			s->cur = cur;
			s->curlen = curlen;
			s->cur_bad = bad;
			s->pend = pend;
			pc_sketch_break(s);
			cur = FNV_OFFSET;
			curlen = pend = 0;
			bad = 0;
			continue;
		}
		if (k & K_BAD)
			bad = 1;
		if (k & K_TRIM) {
			/* leading punctuation is skipped; inner punctuation is
			 * hashed once a letter follows it, trailing never */
			if (curlen && pend < sizeof s->pendc)
				s->pendc[pend++] = c;
			continue;
		}
		if (pend) {
			for (size_t j = 0; j < pend; j++)
				cur = (cur ^ s->pendc[j]) * FNV_PRIME;
			curlen += pend;
			pend = 0;
		}
		/* this byte and the plain word bytes after it, in a tight loop */
		size_t j = i;
		cur = (cur ^ low[c]) * FNV_PRIME;
		while (++j < n && cls[b[j]] == K_WORD)
			cur = (cur ^ low[b[j]]) * FNV_PRIME;
		curlen += j - i;
		i = j - 1;
	}
	s->cur = cur;
	s->curlen = curlen;
	s->cur_bad = bad;
	s->pend = pend;
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
