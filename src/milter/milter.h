/*
 * NAME
 *   milter - `portcullis milter`: the daemon beside Postfix or Sendmail
 * SYNOPSIS
 *   portcullis milter [-c FILE] [-s KEY=VALUE]... [--check]
 * DESCRIPTION
 *   Three kinds of process. The supervisor (the process started, the one
 *   to signal) handles SIGTERM/SIGINT (drain and stop), SIGHUP (check
 *   the new config, then reload) and restarts the front end if it ever
 *   dies. The front end speaks the milter protocol (libmilter, a thread
 *   per SMTP connection), buffers each message within [milter]
 *   max_message, hands it to a worker (milter/pool.h) and applies the
 *   worker's answer: header edits, a new body, discard, hold, reject, or
 *   on any fault [milter] fault_action. Workers (milter/worker.h) scan.
 *   Started as root, the supervisor stays root and starts, kills and
 *   reaps the workers for the front end (milter/spawn.h); the front end
 *   runs as [milter] user once it listens, the workers as [milter]
 *   worker_user, confined (milter/sandbox.h). `--check` checks the
 *   quarantine as user and opens the store as worker_user.
 *   One log line per message goes to stderr or syslog, text or JSON.
 */
#ifndef PC_MILTER_H
#define PC_MILTER_H

int pc_cli_milter(int argc, char **argv);

#endif
