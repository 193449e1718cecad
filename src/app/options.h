/*
 * NAME
 *   options - what every command reads the same way: the config file,
 *   --set overrides, and the store
 * SYNOPSIS
 *   if (pc_cli_config(&cfg, config_path, sets, nsets) != 0) return 2;
 *   pc_store *st = pc_cli_store(&cfg, db_path);     NULL: message printed
 */
#ifndef PC_CLI_OPTIONS_H
#define PC_CLI_OPTIONS_H

#include <stddef.h>

#include "core/config.h"

struct pc_store;

/* Loads `path` (NULL: defaults only) and applies "KEY=VALUE" overrides
 * (the strings are modified). 0, or -1 after printing why. */
int pc_cli_config(pc_config *cfg, const char *path, char **sets, size_t nsets);
/* Keeps one --set KEY=VALUE in sets (PC_CLI_MAX_SETS of them): 0, or -1
 * after saying there are too many. */
#define PC_CLI_MAX_SETS 64
int pc_cli_add_set(char **sets, size_t *nsets, char *arg);
/* Opens the store named by db_path, else by [history] database; NULL
 * after printing why (also when neither names one). */
struct pc_store *pc_cli_store(const pc_config *cfg, const char *db_path);
/* Who runs the command, for the audit log: $SUDO_USER, $USER, or the uid. */
const char *pc_cli_actor(void);
/* "2026-11-26T07:15:03Z" into buf. */
const char *pc_cli_time(long long t, char *buf, size_t len);

#endif
