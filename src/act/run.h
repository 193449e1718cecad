/*
 * NAME
 *   run - run a configured command (sendmail, postsuper) with a message on
 *   its standard input, without a shell
 * SYNOPSIS
 *   char **words;
 *   char **argv = pc_run_argv("/usr/sbin/sendmail -C /etc/pf", extra, nextra, &words);
 *   pc_run_result r;
 *   pc_run(argv, bytes, n, &r);        r.reaped, r.status, r.out (first output)
 *   free(argv); g_strfreev(words);
 * DESCRIPTION
 *   The command line is split on blanks and must start with an absolute
 *   path (no PATH search, no shell). pc_run spawns it (posix_spawn), feeds
 *   the input and collects its standard output and error together (poll),
 *   so a command that writes much before it reads cannot deadlock with us,
 *   and kills it after PC_RUN_TIMEOUT_MS.
 */
#ifndef PC_ACT_RUN_H
#define PC_ACT_RUN_H

#include <stdbool.h>
#include <stddef.h>

#define PC_RUN_TIMEOUT_MS (300 * 1000) /* a command taking longer is killed */
#define PC_RUN_OUTPUT_KEEP 4096        /* bytes of the command's output kept */

typedef struct pc_run_result {
	bool ran;       /* the program was started */
	bool reaped;    /* and its status collected */
	bool timed_out; /* killed after PC_RUN_TIMEOUT_MS */
	bool short_in;  /* it did not read the whole message */
	int status;     /* waitpid status */
	char out[PC_RUN_OUTPUT_KEEP + 1];
	size_t outn;   /* first bytes of its stdout and stderr */
	char why[256]; /* why it did not start */
} pc_run_result;

/* Runs argv (argv[0] absolute) with in[0..inn) on its standard input and
 * waits for it; r says what happened. */
void pc_run(char *const argv[], const char *in, size_t inn, pc_run_result *r);
/* The configured command line split on blanks, then the extra arguments:
 * a NULL-terminated argv (g_strfreev the words, free the array); NULL when
 * the command is empty or not absolute, or out of memory. */
char **pc_run_argv(const char *cmdline, const char *const *extra, size_t nextra, char ***words);

#endif
