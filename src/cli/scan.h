/*
 * NAME
 *   scan - portcullis scan (see scan.c and portcullis(8))
 */
#ifndef PC_CLI_SCAN_H
#define PC_CLI_SCAN_H

/* argv[0] is "scan": exit status 0, or 2 after a usage error or an
 * unreadable path. */
int pc_cli_scan(int argc, char **argv);

#endif
