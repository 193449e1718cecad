/*
 * NAME
 *   evidence - the `portcullis evidence` command (see evidence.c)
 */
#ifndef PC_CLI_EVIDENCE_H
#define PC_CLI_EVIDENCE_H

int pc_cli_evidence(int argc, char **argv);

#endif
