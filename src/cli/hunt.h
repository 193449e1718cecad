/*
 * NAME
 *   hunt - the `portcullis hunt` command (see hunt.c)
 */
#ifndef PC_CLI_HUNT_H
#define PC_CLI_HUNT_H

int pc_cli_hunt(int argc, char **argv);

#endif
