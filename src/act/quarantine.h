/*
 * NAME
 *   quarantine - a directory of messages taken out of the mail, kept durably
 * SYNOPSIS
 *   char qid[PC_QID_MAX], err[512];
 *   if (pc_quarantine_put("/var/lib/portcullis/quarantine", bytes, n,
 *                         "{\"campaign\":7}", qid, sizeof qid, err, sizeof err) < 0)
 *       ... the message is NOT quarantined: keep the original ...
 *   ... only now remove or reject the original ...
 *   pc_quarantine_get(dir, qid, &bytes, &n, &meta, err, sizeof err);   free both
 *   pc_quarantine_list(dir, cb, ctx, err, sizeof err);                  oldest first
 *   pc_quarantine_remove(dir, qid, err, sizeof err);
 * DESCRIPTION
 *   DIR/tmp/ holds files being written, DIR/msg/QID.eml the message (the
 *   bytes given, unchanged) and DIR/msg/QID.json the caller's metadata (a
 *   JSON text the caller made; stored as given). Both are written to tmp/
 *   with O_CREAT|O_EXCL, fsync'd, then moved into msg/ without replacing
 *   anything (renameat2 RENAME_NOREPLACE, or link+unlink where the file
 *   system lacks it): the .json first, the .eml last. The .eml in msg/ is
 *   the commit point: a message is in the quarantine exactly when its .eml
 *   is, and a crash can leave at most a file in tmp/ or a .json without
 *   its .eml, which listing ignores. msg/ and tmp/ are then fsync'd, so a
 *   successful put survives a crash and the caller may remove the original.
 *
 *   DIR and its tmp/ and msg/ are created as needed (0700; DIR's parent
 *   must exist); files are 0600. A QID is unique, sorts by time and is
 *   safe as a file name: "20261126T071503Z-0000a3f1-9c1e...", UTC second,
 *   process id (8 hex digits), 64 random bits (getrandom). Functions that
 *   take a QID refuse one that is not [A-Za-z0-9-] (so a QID can never
 *   name a file outside DIR/msg). Calls return 0, or -1 with err naming
 *   the path and the reason. Safe to use from several processes at once.
 */
#ifndef PC_QUARANTINE_H
#define PC_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>

#define PC_QID_MAX 64 /* buffer size for a QID, with its NUL */

/* Stores the message (n bytes, any content) and meta_json (NULL: "{}")
 * durably; the new QID into qid (qidlen >= 43). */
int pc_quarantine_put(const char *dir, const char *bytes, size_t n, const char *meta_json, char *qid, size_t qidlen,
                      char *err, size_t errlen);
/* Reads a quarantined message back: *bytes (malloc'd, n bytes, plus a NUL
 * not counted) and *meta (malloc'd NUL-terminated; NULL when the entry has
 * no metadata file). bytes/n or meta may be NULL when not wanted. */
int pc_quarantine_get(const char *dir, const char *qid, char **bytes, size_t *n, char **meta, char *err, size_t errlen);
/* Called for each quarantined message in QID order (oldest first) with
 * its metadata (NULL when none); return 0 to go on, non-zero to stop. */
typedef int (*pc_quarantine_cb)(void *ctx, const char *qid, const char *meta);
/* An existing DIR without msg/ is an empty quarantine. */
int pc_quarantine_list(const char *dir, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen);
/* Deletes the message (the .eml first: the commit point) and its metadata. */
int pc_quarantine_remove(const char *dir, const char *qid, char *err, size_t errlen);
/* True when qid has the shape this module accepts: 1..63 of [A-Za-z0-9-],
 * not starting with '-'. */
bool pc_quarantine_qid_valid(const char *qid);

#endif
