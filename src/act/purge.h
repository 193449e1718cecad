/*
 * NAME
 *   purge - remove quarantined messages from users' Maildirs and mboxes
 * SYNOPSIS
 *   unsigned char sha[32];
 *   const char *msg; size_t len;
 *   pc_purge_mbox_message(mbox, mboxlen, 3, &msg, &len, sha);   "path:3"
 *   ... pc_quarantine_put(qdir, msg, len, meta, ...) succeeded ...
 *   size_t which[] = {3};
 *   pc_purge_mbox("/var/mail/alice", which, 1, &sha, err, sizeof err);
 *   pc_purge_file("/home/bob/Maildir/cur/1700000000.M1P2.host:2,S", err, sizeof err);
 * DESCRIPTION
 *   Called only after the message is durably in the quarantine: nothing
 *   is ever lost.
 *
 *   Maildir messages (and single .eml files) are files of their own:
 *   pc_purge_file unlinks one and fsyncs its directory. A symbolic link is
 *   refused (unlinking it would leave the message where it is).
 *
 *   mbox: messages are numbered from 1 in the order parse/mbox.h's
 *   pc_mbox_next splits the file, exactly as cli/source.c numbers
 *   "path:N"; the one message of a single-message mbox (source "path")
 *   is number 1. A file whose name ends in .eml is one message to
 *   source.c whatever it holds, and a file that does not start with a
 *   From_ line is no mbox: pc_purge_mbox refuses both (use pc_purge_file).
 *   pc_purge_mbox takes the locks mail delivery agents take (a PATH.lock
 *   dotlock created O_EXCL, then an fcntl write lock on PATH), giving up
 *   after PC_PURGE_LOCK_WAIT seconds; reads the file again under the lock
 *   and checks that each message to remove still has the SHA-256 the
 *   caller computed (pc_purge_mbox_message: the bytes pc_mbox_next
 *   returns, before mboxrd unquoting) -- if any differs, or is missing, it
 *   removes nothing. Otherwise it writes the other messages to a temporary
 *   file beside PATH (".NAME.purge-*", O_EXCL; hidden, so a scan of the
 *   folder skips it), fsyncs it, gives it PATH's mode and owner (best
 *   effort), renames it over PATH, fsyncs the directory and unlocks.
 *
 *   Every kept message keeps its bytes exactly, From_ line and separator
 *   included, so any mbox reader sees the same messages. Two adjustments
 *   keep the split identical where removal would change it: when the last
 *   messages go, the new last message loses the blank separator line that
 *   pc_mbox_next had not counted as its own; and where two kept messages
 *   become neighbours and the first had no blank line before the next
 *   From_ line, one is added (a From_ line not shaped like one is only
 *   recognised after a blank line). The result is split again and
 *   compared with the kept messages before anything is written.
 *
 *   A delivery agent that opens PATH before locking and honours only
 *   fcntl locks (not the dotlock) may append to the replaced file after
 *   the rename; the usual agents (Postfix local, Dovecot LDA, procmail)
 *   take the dotlock first. The whole mbox is held in memory (twice).
 *   Calls return 0, or -1 with err ("PATH: reason").
 */
#ifndef PC_PURGE_H
#define PC_PURGE_H

#include <stddef.h>

#include "core/sha256.h" /* the digests purge checks are pc_sha256's */

#define PC_PURGE_LOCK_WAIT 5 /* seconds to wait for the mbox locks */

/* Unlinks one message file and fsyncs its directory. */
int pc_purge_file(const char *path, char *err, size_t errlen);
/* The same, after checking that the file still has this SHA-256 (of its
 * whole content); a file that differs is kept. */
int pc_purge_file_checked(const char *path, const unsigned char sha256[32], char *err, size_t errlen);
/* Message n (1-based, pc_mbox_next order) of an mbox in buf: *msg points
 * into buf, *msglen its length, sha256 (when not NULL) its digest.
 * 0, or -1 when buf holds fewer than n messages (or n is 0). */
int pc_purge_mbox_message(const char *buf, size_t len, size_t n, const char **msg, size_t *msglen,
                          unsigned char sha256[32]);
/* Removes messages which[0..n) (numbers as above, any order; a number
 * given twice is removed once) whose digests are sha256[0..n), or nothing. */
int pc_purge_mbox(const char *path, const size_t *which, size_t n, const unsigned char (*sha256)[32], char *err,
                  size_t errlen);

#endif
