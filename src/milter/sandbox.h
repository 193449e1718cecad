/*
 * NAME
 *   sandbox - what a milter process keeps: its user, its limits, its system calls
 * SYNOPSIS
 *   pc_sandbox_drop("portcullis-scan", err, sizeof err);  // root: become that user for good
 *   pc_sandbox_limits(1u << 30, err, sizeof err);         // a worker's rlimits
 *   pc_sandbox_filter(err, sizeof err);                   // no new privileges, not dumpable,
 *                                                         // the system call allow-list
 * DESCRIPTION
 *   The process that parses hostile mail holds as little as it can
 *   (OpenSMTPD's and Postfix's model). A worker of `portcullis milter`
 *   drops to [milter] worker_user first, then opens its store, lists and
 *   resolver, then calls pc_sandbox_limits and pc_sandbox_filter and only
 *   then reads a message. Each returns 0, or -1 with a sentence in err;
 *   a worker that cannot be confined does not serve.
 *
 *   pc_sandbox_drop: "" keeps the current user. As root: the user's
 *   groups (initgroups), then its gid and uid, real, effective and saved
 *   alike; then checks that root cannot be had back. Not as root: only
 *   the current user is accepted (anything else is an error saying so).
 *   pc_sandbox_lookup gives the ids without changing anything.
 *
 *   pc_sandbox_limits: no core files, 32 descriptors, no new processes
 *   (RLIMIT_NPROC 0: fork and thread creation fail; root is exempt, the
 *   filter is not), and `memory` bytes of data (RLIMIT_DATA; 0: none;
 *   not under AddressSanitizer). Hard limits equal the soft ones, so they
 *   cannot be raised again.
 *
 *   pc_sandbox_filter: PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0, and a
 *   seccomp filter (libseccomp) allowing only the system calls a scan
 *   makes; any other kills the process with SIGSYS, which the pool reports
 *   as the signal that ended the worker. It is for a single-threaded
 *   process that never starts another: clone, fork and exec all kill.
 *   pc_sandbox_active says whether this process installed it.
 */
#ifndef PC_MILTER_SANDBOX_H
#define PC_MILTER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PC_SANDBOX_NOFILE 32

int pc_sandbox_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);
int pc_sandbox_drop(const char *user, char *err, size_t errlen);
int pc_sandbox_limits(size_t memory, char *err, size_t errlen);
int pc_sandbox_filter(char *err, size_t errlen);
bool pc_sandbox_active(void);

#endif
