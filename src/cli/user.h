/*
 * NAME
 *   user - the user command (the console's accounts): see user.c
 */
#ifndef PC_CLI_USER_H
#define PC_CLI_USER_H

int pc_cli_user(int argc, char **argv);

#endif
