/*
 * NAME
 *   quarantine - the `portcullis quarantine` command (see quarantine.c)
 */
#ifndef PC_CLI_QUARANTINE_H
#define PC_CLI_QUARANTINE_H

/* argv[0] is "quarantine"; returns the exit status (0 ok, 1 no such
 * entry, 2 usage or other error). */
int pc_cli_quarantine(int argc, char **argv);

#endif
