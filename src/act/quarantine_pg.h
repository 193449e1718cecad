/*
 * NAME
 *   quarantine_pg - the quarantine kept in the shared store, behind act/quarantine.h
 * SYNOPSIS
 *   act/quarantine.c calls these when pc_store_is_postgresql(dir);
 *   act/qaction.c takes its per-entry lock here:
 *   switch (pc_quarantine_pg_lock(dir, qid, err, sizeof err)) { 0 locked, 1 busy, -1 error }
 *   ... pc_quarantine_pg_locked(dir, qid, err, sizeof err) == 1 before an irreversible step ...
 *   pc_quarantine_pg_unlock(dir, qid);
 * DESCRIPTION
 *   Each thread keeps ONE store connection (pc_store_open_with(dir, the
 *   password file and timeout of pc_quarantine_settings)) for its calls,
 *   kept while the dir string and the settings stay the same: a store is
 *   used by one thread at a time, and the milter's libmilter threads,
 *   the console's and the CLI's all call act/quarantine.h. A thread that
 *   ends hands its connection to a small pool the next thread takes it
 *   from (libmilter starts a thread per connection: a message must not
 *   cost a connection to the server); one holding a lock is closed
 *   instead. A connection idle for a while is probed before use, so one
 *   the server dropped meanwhile is re-established (store/pg.c) rather
 *   than failing the message; after a failed connection attempt, calls
 *   for that store fail at once for a second (the reason kept). A child
 *   of fork() forgets its parent's connections (it never uses them).
 *
 *   Return values: 0 done (put: 1 stored, 0 the QID is taken), 1 no such
 *   entry (lock: held by another), -1 error; err says why and names the
 *   quarantine as "postgresql HOST:PORT/DB", never with a password.
 */
#ifndef PC_ACT_QUARANTINE_PG_H
#define PC_ACT_QUARANTINE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "act/quarantine.h"

/* 1 stored, 2 the delivery dkey names is already kept (its QID in
 * existing), 0 the QID is taken, -1 error */
int pc_quarantine_pg_put(const char *dir, const char *qid, time_t created, const char *bytes, size_t n,
                         const char *meta, const char *dkey, char *existing, size_t existinglen, char *err,
                         size_t errlen);
/* bytes NULL: not read, n then the message's size; created may be NULL */
int pc_quarantine_pg_get(const char *dir, const char *qid, char **bytes, size_t *n, char **meta, time_t *created,
                         char *err, size_t errlen);
/* every entry in QID order; meta read only when with_meta */
int pc_quarantine_pg_list(const char *dir, bool with_meta, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen);
int pc_quarantine_pg_remove(const char *dir, const char *qid, char *err, size_t errlen);
/* a number that changes when an entry comes or goes (count and greatest QID) */
int pc_quarantine_pg_stamp(const char *dir, long long *stamp, char *err, size_t errlen);
int pc_quarantine_pg_lock(const char *dir, const char *qid, char *err, size_t errlen);
/* 1 this thread's connection still holds the lock, 0 lost, -1 error */
int pc_quarantine_pg_locked(const char *dir, const char *qid, char *err, size_t errlen);
void pc_quarantine_pg_unlock(const char *dir, const char *qid);
void pc_quarantine_pg_settings(const char *password_file, unsigned timeout_ms);

#endif
