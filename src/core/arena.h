/*
 * NAME
 *   arena - one bump allocator per scanned message
 * DESCRIPTION
 *   Everything parsed from one message lives in one arena and dies with it
 *   (pc_arena_reset). Allocation never fails silently: on overflow of the
 *   arena's ceiling it returns NULL and sets `full`, which the scanner turns
 *   into a limit finding. Sizes are checked before any arithmetic.
 */
#ifndef PC_ARENA_H
#define PC_ARENA_H

#include <stddef.h>
#include <stdbool.h>

typedef struct pc_arena pc_arena;

pc_arena *pc_arena_new(size_t ceiling);
void pc_arena_free(pc_arena *a);
/* Drops every allocation but keeps the first chunk for reuse. */
void pc_arena_reset(pc_arena *a);
/* Unique in the process, changed by every reset: a cache of arena
 * pointers checks it. */
unsigned long pc_arena_generation(const pc_arena *a);
void *pc_arena_alloc(pc_arena *a, size_t n);
/* n * size, zeroed; NULL on overflow. */
void *pc_arena_calloc(pc_arena *a, size_t n, size_t size);
char *pc_arena_strndup(pc_arena *a, const char *s, size_t n);
char *pc_arena_strdup(pc_arena *a, const char *s);
/* printf into the arena (vsnprintf, never sprintf). */
char *pc_arena_printf(pc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copy with every invalid UTF-8 sequence replaced by U+FFFD and NUL bytes
 * dropped, so that the result is a valid C string for JSON and terminals. */
char *pc_arena_utf8(pc_arena *a, const char *s, size_t n);
size_t pc_arena_used(const pc_arena *a);
/* Sets the ceiling for what is allocated from now on (a reset keeps it). */
void pc_arena_set_ceiling(pc_arena *a, size_t ceiling);
size_t pc_arena_ceiling(const pc_arena *a);
bool pc_arena_full(const pc_arena *a);

#endif
