/*
 * NAME
 *   quarantine - messages taken out of the mail, kept durably: in a
 *   directory, or in the shared store
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
 *   `dir` names the quarantine: a directory, or the shared store's name
 *   (pc_store_is_postgresql: "postgresql:KEY=VALUE ..." or
 *   "postgresql://...", [quarantine] location = store). The calls and
 *   what they promise are the same for both.
 *
 *   A directory: DIR/tmp/ holds files being written, DIR/msg/QID.eml the
 *   message (the bytes given, unchanged) and DIR/msg/QID.json the
 *   caller's metadata (a JSON text the caller made; stored as given).
 *   Both are written to tmp/ with O_CREAT|O_EXCL, fsync'd, then moved
 *   into msg/ without replacing anything (renameat2 RENAME_NOREPLACE, or
 *   link+unlink where the file system lacks it): the .json first, the
 *   .eml last. The .eml in msg/ is the commit point: a message is in the
 *   quarantine exactly when its .eml is, and a crash can leave at most a
 *   file in tmp/ or a .json without its .eml, which listing ignores. msg/
 *   and tmp/ are then fsync'd, so a successful put survives a crash and
 *   the caller may remove the original. DIR and its tmp/ and msg/ are
 *   created as needed (0700; DIR's parent must exist); files are 0600.
 *
 *   The store (PostgreSQL): one row per message in the table quarantine
 *   (store/pg_quarantine.c: the QID, when it was put, the metadata as
 *   given -- made valid UTF-8 --, the bytes unchanged), so every node,
 *   the CLI and the console list, read, release and purge the same
 *   quarantine. A put is its own transaction, committed with
 *   synchronous_commit on: when it returns 0 the row survives a crash of
 *   the server, and the caller may remove the original. Each thread uses
 *   one connection of its own (act/quarantine_pg.h), opened with the
 *   password file and timeout given to pc_quarantine_settings.
 *
 *   A QID is unique, sorts by time and is safe as a file name:
 *   "20261126T071503Z-0000a3f1-9c1e...", UTC second, process id (8 hex
 *   digits), 64 random bits (getrandom); the same in both places.
 *   Functions that take a QID refuse one that is not [A-Za-z0-9-] (so a
 *   QID can never name a file outside DIR/msg). Calls return 0, or -1
 *   with err naming the path (for the store: "postgresql HOST:PORT/DB",
 *   never a password) and the reason. Safe to use from several processes
 *   and threads at once.
 */
#ifndef PC_QUARANTINE_H
#define PC_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define PC_QID_MAX 64 /* buffer size for a QID, with its NUL */

/* Stores the message (n bytes, any content) and meta_json (NULL: "{}")
 * durably; the new QID into qid (qidlen >= 43). */
int pc_quarantine_put(const char *dir, const char *bytes, size_t n, const char *meta_json, char *qid, size_t qidlen,
                      char *err, size_t errlen);
/* The same for one delivery named by key (the member's delivery key,
 * store.h; NULL: none): in the store, a delivery already kept is not kept
 * again and its first QID comes back (the MTA retrying after a node died
 * between the write and its answer). A directory keeps no such index:
 * there the key is not used. */
int pc_quarantine_put_once(const char *dir, const char *key, const char *bytes, size_t n, const char *meta_json,
                           char *qid, size_t qidlen, char *err, size_t errlen);
/* Reads a quarantined message back: *bytes (malloc'd, n bytes, plus a NUL
 * not counted) and *meta (malloc'd NUL-terminated; NULL when the entry has
 * no metadata file). bytes/n or meta may be NULL when not wanted. */
int pc_quarantine_get(const char *dir, const char *qid, char **bytes, size_t *n, char **meta, char *err, size_t errlen);
/* Called for each quarantined message in QID order (oldest first) with
 * its metadata (NULL when none); return 0 to go on, non-zero to stop. */
typedef int (*pc_quarantine_cb)(void *ctx, const char *qid, const char *meta);
/* An existing DIR without msg/ is an empty quarantine. */
int pc_quarantine_list(const char *dir, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen);
/* Deletes the message (the .eml first: the commit point) and its
 * metadata; in the store, its row (durably, as a put). An entry another
 * process or node removed first is "no such quarantined message". */
int pc_quarantine_remove(const char *dir, const char *qid, char *err, size_t errlen);
/* True when qid has the shape this module accepts: 1..63 of [A-Za-z0-9-],
 * not starting with '-'. */
bool pc_quarantine_qid_valid(const char *qid);

/* The password file ("" or NULL: none) and timeout (ms; 0: the store's
 * default) a store quarantine is opened with, for the whole process:
 * [store] password_file and timeout (app/options.c sets them from the
 * configuration). Connections opened with other settings are replaced. */
void pc_quarantine_settings(const char *password_file, unsigned timeout_ms);
/* Where the quarantine is, for messages: dir itself, or for the store
 * "postgresql HOST:PORT/DB" (never the password a connection string may
 * hold). */
void pc_quarantine_where(const char *dir, char *out, size_t outlen);

/* For an index of the quarantine (the console's): */
/* A number that changes when entries come or go: msg/'s mtime (ns), or
 * for the store one from the count and the greatest QID. 0, 1 when there
 * is nothing yet (a directory without msg/), -1 error. */
int pc_quarantine_stamp(const char *dir, long long *stamp, char *err, size_t errlen);
/* Every QID, as pc_quarantine_list, without reading the metadata (cb's
 * meta is NULL). */
int pc_quarantine_ids(const char *dir, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen);
/* An entry's size in bytes, when it was put (the .eml's mtime, or the
 * store row's time) and its metadata (*meta malloc'd, NULL when none;
 * meta may be NULL). */
int pc_quarantine_info(const char *dir, const char *qid, long long *size, time_t *put, char **meta, char *err,
                       size_t errlen);

#endif
