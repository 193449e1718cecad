/*
 * NAME
 *   spawn - workers started by the supervisor for an unprivileged front end
 * SYNOPSIS
 *   int sv[2]; socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);  // before the fork
 *   supervisor (root):
 *     pc_spawn_server *s = pc_spawn_server_new(argv, max_workers);
 *     pc_spawn_server_set_fd(s, sv[0]);          // a new front end: its channel
 *     poll pc_spawn_server_fd(s) -> pc_spawn_server_serve(s);
 *     waitpid(-1, &st, WNOHANG) = pid -> pc_spawn_server_exited(s, pid, st);
 *   front end:
 *     pc_spawn_client *c = pc_spawn_client_new(sv[1], err, sizeof err);
 *     pc_pool_procs procs; pc_spawn_client_procs(c, &procs);
 *     pc_pool_new_with(n, argv, &procs, err, sizeof err);
 * DESCRIPTION
 *   Started as root, the milter's supervisor stays root (as Postfix's
 *   master does) and the front end runs as [milter] user: it can no
 *   longer start a worker as another user, nor kill or reap one. It asks
 *   the supervisor over a SOCK_SEQPACKET socket pair, one fixed-size
 *   message per request or answer:
 *     START id           -> STARTED id pid err, and the front end's end of
 *                           the worker's socket pair with SCM_RIGHTS
 *     KILL pid           -> SIGKILL, if pid is a live worker it started
 *     (a worker ends)    -> EXITED pid wait-status, once it is reaped
 *   The supervisor runs only its own worker command (argv, fixed when it
 *   starts: the front end names no program), kills only its own live
 *   workers, and starts at most max_workers at once. The client is safe
 *   from any number of threads: a reader thread matches STARTED answers to
 *   their requests by id and keeps EXITED statuses until they are waited
 *   for (the pool classifies a dead worker by its signal).
 */
#ifndef PC_MILTER_SPAWN_H
#define PC_MILTER_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "milter/pool.h"

typedef struct pc_spawn_server pc_spawn_server;
typedef struct pc_spawn_client pc_spawn_client;

pc_spawn_server *pc_spawn_server_new(char *const *argv, unsigned max_workers);
/* The channel of the current front end (the previous one is closed); -1: none. */
void pc_spawn_server_set_fd(pc_spawn_server *s, int fd);
int pc_spawn_server_fd(const pc_spawn_server *s);
/* Answers every request waiting on the channel; closes it at its end. */
void pc_spawn_server_serve(pc_spawn_server *s);
/* A reaped child: 1 when it was one of the workers (reported to the
 * front end), 0 otherwise. */
int pc_spawn_server_exited(pc_spawn_server *s, pid_t pid, int status);
/* Workers still running. */
unsigned pc_spawn_server_live(const pc_spawn_server *s);
void pc_spawn_server_free(pc_spawn_server *s);

pc_spawn_client *pc_spawn_client_new(int fd, char *err, size_t errlen);
/* 0 with the worker's pid and our end of its socket, or -1 with err. */
int pc_spawn_client_start(pc_spawn_client *c, pid_t *pid, int *fd, char *err, size_t errlen);
void pc_spawn_client_kill(pc_spawn_client *c, pid_t pid);
/* 0 with the wait status once pid has ended; -1 when it has not by the
 * deadline (CLOCK_MONOTONIC ms), or the supervisor is gone. */
int pc_spawn_client_wait(pc_spawn_client *c, pid_t pid, int *status, long long deadline_ms);
/* The pool's process operations through this client. */
void pc_spawn_client_procs(pc_spawn_client *c, pc_pool_procs *procs);
/* Ends the reader thread and frees the client (after the pool is freed). */
void pc_spawn_client_free(pc_spawn_client *c);

/* The command argv with fd 0 one end of a new socket pair, default
 * signal handling and nothing blocked: its pid and our end in *ours, or -1
 * with an errno in *e. */
pid_t pc_spawn_on_socket(char *const *argv, int *ours, int *e);

#endif
