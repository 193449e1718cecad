/*
 * NAME
 *   replay - the replay command (cli/replay.c)
 */
#ifndef PC_CLI_REPLAY_H
#define PC_CLI_REPLAY_H

int pc_cli_replay(int argc, char **argv);

#endif
