/*
 * NAME
 *   sketch - a MinHash sketch of a message's template, fed by the extract stage
 * SYNOPSIS
 *   pc_sketch s; pc_sketch_init(&s);
 *   pc_sketch_text(&s, "Dear reader, our report ...", n);   visible text
 *   pc_sketch_tag(&s, "table");                              HTML elements in order
 *   pc_sketch_feature(&s, "t.example/o/{HEX}", n, PC_SKETCH_URL);
 *   uint32_t sig[PC_SKETCH_K]; pc_sketch_finish(&s, sig);
 *   double j = pc_sketch_similarity(sig, other);             ~ Jaccard
 * DESCRIPTION
 *   What stays the same when one template is sent to many people with a
 *   different token, name and address each: word 3-shingles of the text
 *   with numbers, tokens and addresses dropped; 4-shingles of the HTML
 *   element sequence; URL templates. Text and URLs form one set, the
 *   structure another (a layout many senders share must not make their
 *   mails look alike), each summarised by
 *   one-permutation MinHash with optimal densification (Shrivastava 2017):
 *   one 64-bit hash per feature, its top 6 bits pick one of 64 bins, the
 *   bin keeps the least low 32 bits. O(1) per feature, no per-feature
 *   storage, so a message of any size costs the same memory. The fraction
 *   of equal bins of two signatures estimates the Jaccard similarity of
 *   the two sets. Nothing here allocates.
 */
#ifndef PC_SKETCH_H
#define PC_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_SKETCH_K 64
#define PC_SKETCH_EMPTY UINT32_MAX

/* Salts that keep feature kinds apart in the one set. */
enum { PC_SKETCH_WORDS = 1, PC_SKETCH_TAGS = 2, PC_SKETCH_URL = 3 };

typedef struct pc_sketch {
	uint32_t bins[PC_SKETCH_K];  /* text and URL features */
	uint32_t tbins[PC_SKETCH_K]; /* HTML structure, kept apart: a shared layout is not a shared text */
	size_t tag_features;
	uint64_t words[2]; /* the two words before the next one */
	size_t nwords;
	uint64_t tags[3];
	size_t ntags;
	size_t features; /* features added (with repeats) */
	/* inside a word being read across calls */
	uint64_t cur;
	size_t curlen;
	int cur_bad;            /* the word has digits, '@', or is too long: dropped */
	unsigned char pendc[8]; /* inner punctuation not hashed until a letter follows */
	size_t pend;
} pc_sketch;

void pc_sketch_init(pc_sketch *s);
/* Tokenizes text (UTF-8; bytes >= 0x80 count as letters, ASCII is folded
 * to lower case) into words and adds each word 3-shingle. Words containing
 * a digit or '@', or longer than 24 bytes, are dropped (numbers, dates,
 * tokens, addresses). A word may continue across calls. */
void pc_sketch_text(pc_sketch *s, const char *t, size_t n);
/* Ends the current word (call between text blocks that do not touch). */
void pc_sketch_break(pc_sketch *s);
/* One HTML element (its lower-case tag name), in document order. */
void pc_sketch_tag(pc_sketch *s, const char *tag, size_t n);
/* One feature of its own (a URL template, ...). */
void pc_sketch_feature(pc_sketch *s, const char *f, size_t n, uint64_t salt);
/* The densified signature of the text and URL features; every bin is set
 * when any was added. With `with_tags`, the HTML structure is in it too
 * (for messages with too little text to tell templates apart). */
void pc_sketch_finish(const pc_sketch *s, uint32_t sig[PC_SKETCH_K]);
void pc_sketch_finish_all(const pc_sketch *s, uint32_t sig[PC_SKETCH_K]);
/* Fraction of equal bins (0..1). */
double pc_sketch_similarity(const uint32_t *a, const uint32_t *b);
/* The 64-bit hash used throughout (not cryptographic; not for secrets). */
uint64_t pc_hash64(const void *p, size_t n, uint64_t seed);

#endif
