/*
 * NAME
 *   campaigns - the `portcullis campaigns` command (see campaigns.c)
 */
#ifndef PC_CLI_CAMPAIGNS_H
#define PC_CLI_CAMPAIGNS_H

int pc_cli_campaigns(int argc, char **argv);

#endif
