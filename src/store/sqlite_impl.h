/*
 * NAME
 *   sqlite_impl - what the SQLite back end's files share (store/sqlite*.c)
 */
#ifndef PC_STORE_SQLITE_IMPL_H
#define PC_STORE_SQLITE_IMPL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store/store_impl.h"

/* The connection; *in_tx true while a transaction (a message's, or a
 * batch) is open, so a write is committed by its owner. */
sqlite3 *pc_sqlite_db(pc_store *st, bool *in_tx);

/* store/sqlite_audit.c: the quarantine's audit records */
int pc_sqlite_audit_quarantine(pc_store *st, const pc_audit_qrec *r);
int pc_sqlite_audit_quarantine_list(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx);

#endif
