/*
 * NAME
 *   trackerlist - host lists of known trackers, in the common formats
 * SYNOPSIS
 *   pc_trackerlist *tl = pc_trackerlist_new();
 *   if (pc_trackerlist_load(tl, "easyprivacy.txt", err, sizeof err) < 0) ...
 *   const char *list = pc_trackerlist_match(tl, "t.sidekickopen.com");
 * DESCRIPTION
 *   Each line of a file is one of: a host name ("tracker.example"); a
 *   hosts-file entry ("0.0.0.0 tracker.example", "127.0.0.1 ..."); an
 *   Adblock/EasyPrivacy host rule ("||tracker.example^", options after
 *   '$' accepted). Comments ("#", "!", "[Adblock ...]"), exception rules
 *   ("@@"), element-hiding rules ("##") and rules with a path are skipped:
 *   a path rule names a resource, not a host, and a host list must not
 *   claim a whole host for it. A listed host matches itself and its
 *   subdomains. Bad lines are counted, not fatal (published lists carry
 *   rules of many dialects); an unreadable file is an error.
 */
#ifndef PC_TRACKERLIST_H
#define PC_TRACKERLIST_H

#include <stddef.h>

typedef struct pc_trackerlist pc_trackerlist;

pc_trackerlist *pc_trackerlist_new(void);
void pc_trackerlist_free(pc_trackerlist *tl);
/* Number of hosts added, or -1 with err ("FILE: reason"). `skipped`, when
 * not NULL, receives the number of lines that were not host rules. */
long pc_trackerlist_load(pc_trackerlist *tl, const char *path, size_t *skipped, char *err, size_t errlen);
/* The same from bytes in memory (any bytes: lines are cut at 4 KB, NUL
 * ends a line); `name` names the list in signals. */
long pc_trackerlist_parse(pc_trackerlist *tl, const char *buf, size_t n, const char *name, size_t *skipped);
/* Adds one host (lower-cased); 0 or -1 when it is not a host name. */
int pc_trackerlist_add(pc_trackerlist *tl, const char *host, const char *list);
/* The name of the list (file base name) holding host or a parent of it. */
const char *pc_trackerlist_match(const pc_trackerlist *tl, const char *host);
size_t pc_trackerlist_size(const pc_trackerlist *tl);
/* The lists a configuration names (trackers.lists), plus the bundled list
 * (data/trackers.txt, installed as PC_DATADIR/trackers.txt) unless
 * trackers.bundled = no. NULL with err when a named file cannot be read. */
struct pc_config;
pc_trackerlist *pc_trackerlist_from_config(const struct pc_config *c, char *err, size_t errlen);
/* The same for freemail providers: freemail.lists plus the bundled
 * data/freemail.txt unless freemail.bundled = no. */
pc_trackerlist *pc_trackerlist_freemail_from_config(const struct pc_config *c, char *err, size_t errlen);
/* The loader both use: the comma-separated files in `lists` after the
 * file `bundled` (NULL: none). */
pc_trackerlist *pc_trackerlist_from_files(const char *lists, const char *bundled, char *err, size_t errlen);
/* Where the bundled list was found, or NULL. */
const char *pc_trackerlist_bundled_path(void);
/* Where a file shipped with Portcullis ("trackers.txt", "freemail.txt")
 * was found (installed data directory, then the source tree), or NULL. */
const char *pc_trackerlist_data_path(const char *file);

#endif
