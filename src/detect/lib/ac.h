/*
 * NAME
 *   ac - Aho-Corasick multi-pattern matcher over bytes
 * SYNOPSIS
 *   pc_ac *ac = pc_ac_new();
 *   pc_ac_add(ac, "alice@example.org", 17, 0);   // pattern id 0
 *   pc_ac_build(ac);
 *   pc_ac_match(ac, text, n, on_match, ctx);      // every occurrence
 *   pc_ac_reset(ac);                               // reuse for new patterns
 *   pc_ac_free(ac);
 * DESCRIPTION
 *   Patterns and text are compared ASCII case-insensitively; callers that
 *   need exact case check the bytes of a hit themselves. All patterns are
 *   found in one pass over the text (time linear in text plus hits), which
 *   is why the identity-leak search uses it: a recipient yields ~150
 *   encodings and hashes, and every URL is searched for all at once.
 *   Memory is reused across reset/build cycles; sizes are bounded by the
 *   patterns added (pc_ac_add fails past PC_AC_MAX_NODES).
 */
#ifndef PC_AC_H
#define PC_AC_H

#include <stdbool.h>
#include <stddef.h>

#define PC_AC_MAX_NODES (1u << 20)

typedef struct pc_ac pc_ac;
/* Called for each hit: pattern id, and the offset just past the match.
 * Return false to stop matching. */
typedef bool (*pc_ac_hit)(void *ctx, unsigned id, size_t end);

pc_ac *pc_ac_new(void);
void pc_ac_free(pc_ac *ac);
void pc_ac_reset(pc_ac *ac);
/* 0, or -1 when out of memory / too many nodes (the pattern is dropped). */
int pc_ac_add(pc_ac *ac, const char *pat, size_t n, unsigned id);
int pc_ac_build(pc_ac *ac);
void pc_ac_match(const pc_ac *ac, const char *text, size_t n, pc_ac_hit cb, void *ctx);

#endif
