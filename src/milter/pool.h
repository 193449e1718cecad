/*
 * NAME
 *   pool - the milter's scanning worker processes
 * SYNOPSIS
 *   pc_pool *p = pc_pool_new(4, argv, err, sizeof err);  argv: the worker command
 *   pc_pool *p = pc_pool_new_with(4, argv, &procs, err, sizeof err);  started by another process
 *   pc_pool_status st = pc_pool_run(p, &req, &rep, 30000, max, &sig, why, sizeof why);
 *   pc_pool_reload(p, argv2);     new workers from now on
 *   pc_pool_free(p);
 * DESCRIPTION
 *   N processes started with posix_spawn (exec of argv, fd 0 a socket to
 *   us), each serving one request at a time. pc_pool_run, safe from any
 *   number of threads, waits for a free worker, sends the request and
 *   reads the reply, all before the deadline (timeout_ms from the call).
 *   A worker that crashes, hangs past the deadline, or answers with a
 *   malformed frame is killed (SIGKILL) and replaced at once; the request
 *   fails with a status that says whether the worker had the message
 *   (the caller holds the message responsible: it died, hung or answered
 *   garbage while scanning it) or never got it (no worker free, none could
 *   be started: the daemon's own trouble), and why in words. Nothing a
 *   message does to a worker reaches the daemon. After pc_pool_reload,
 *   idle workers of the old command are replaced as they are picked, and
 *   busy ones when they finish.
 *
 *   By default the pool starts (posix_spawn), kills and reaps (waitpid)
 *   its workers itself. With pc_pool_procs another process does (the
 *   root supervisor, milter/spawn.h, when this one has no privileges
 *   left): the same statuses, the signal of a dead worker included.
 */
#ifndef PC_MILTER_POOL_H
#define PC_MILTER_POOL_H

#include <stddef.h>
#include <sys/types.h>

#include "milter/wire.h"

typedef struct pc_pool pc_pool;

/* A worker whose answer carried PC_W_AFTER (it checkpoints its store
 * next: 1-50 ms) is passed over for this long while another is idle. */
#define PC_POOL_AFTER_MS 100

pc_pool *pc_pool_new(unsigned n, char *const *argv, char *err, size_t errlen);

/* How workers are started, killed and reaped when not by this process.
 * start: 0 with the new worker's pid and our end of its socket, or -1
 * with err. wait: 0 with the wait status once pid has ended, -1 when it
 * has not by the deadline (CLOCK_MONOTONIC ms). Called from any thread. */
typedef struct pc_pool_procs {
	void *ctx;
	int (*start)(void *ctx, pid_t *pid, int *fd, char *err, size_t errlen);
	void (*kill)(void *ctx, pid_t pid);
	int (*wait)(void *ctx, pid_t pid, int *status, long long deadline_ms);
} pc_pool_procs;
pc_pool *pc_pool_new_with(unsigned n, char *const *argv, const pc_pool_procs *procs, char *err, size_t errlen);
typedef enum {
	PC_POOL_OK = 0,
	PC_POOL_BUSY,      /* no worker became free before the deadline */
	PC_POOL_NOSTART,   /* no worker could be started */
	PC_POOL_DIED,      /* the worker ended while it had the message (*sig: the signal, 0 for an exit) */
	PC_POOL_TIMEOUT,   /* no answer before the deadline while the worker was mostly waiting
	                    * (DNS, the store, a busy host): killed */
	PC_POOL_SLOW,      /* no answer before the deadline while the worker spent at least
	                    * half of it on the CPU (the message kept it busy): killed */
	PC_POOL_MALFORMED, /* the answer was not a valid frame: the worker was killed */
} pc_pool_status;

/* 0 (PC_POOL_OK) with the reply in rep, or the failure; `sig` (may be
 * NULL) gets the signal that ended a worker that died. */
pc_pool_status pc_pool_run(pc_pool *p, pc_wbuf *req, pc_wbuf *rep, unsigned timeout_ms, size_t max_reply, int *sig,
                           char *why, size_t whylen);
/* 0, or -1 when memory for the new command could not be had (the old
 * one stays). */
int pc_pool_reload(pc_pool *p, char *const *argv);
/* What the pool is doing and has done (for metrics): its slots idle (a
 * worker ready) and busy (a worker scanning, or being started), workers
 * replaced since it started, by why, and starts that failed. */
enum {
	PC_POOL_R_DIED,      /* it ended while it had a message (PC_POOL_DIED) */
	PC_POOL_R_TIMEOUT,   /* killed at the deadline, mostly waiting (PC_POOL_TIMEOUT) */
	PC_POOL_R_CPU,       /* killed at the deadline, busy on the CPU (PC_POOL_SLOW) */
	PC_POOL_R_MALFORMED, /* killed for a malformed answer (PC_POOL_MALFORMED) */
	PC_POOL_R_IDLE,      /* found ended between messages */
	PC_POOL_R_RELOAD,    /* replaced by a worker of the command pc_pool_reload gave */
	PC_POOL_R_N
};
typedef struct pc_pool_stats {
	unsigned idle, busy;
	unsigned long long replaced[PC_POOL_R_N];
	unsigned long long start_failed;
} pc_pool_stats;
void pc_pool_stats_of(pc_pool *p, pc_pool_stats *st);
void pc_pool_free(pc_pool *p);

#endif
