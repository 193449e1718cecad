/*
 * NAME
 *   ioc - the `portcullis ioc` command (see ioc.c)
 */
#ifndef PC_CLI_IOC_H
#define PC_CLI_IOC_H

int pc_cli_ioc(int argc, char **argv);

#endif
