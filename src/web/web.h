/*
 * NAME
 *   web - the analyst console: portcullis serve
 * SYNOPSIS
 *   portcullis serve [-c FILE] [--db FILE] [--listen ADDR:PORT]
 *   portcullis user add|passwd|remove|list ...   (cli/user.c)
 * DESCRIPTION
 *   A front end over the same store and quarantine the CLI and the milter
 *   use (docs/console.md). web/server.c answers HTTP, web/auth.c keeps
 *   sessions, the page files render, web/html.c escapes.
 */
#ifndef PC_WEB_H
#define PC_WEB_H

#include <glib.h>

struct pc_web;
struct pc_store;
struct MHD_Daemon;

int pc_web_serve(int argc, char **argv);

/* server.c: starts listening ([console] listen, TLS when configured). */
struct MHD_Daemon *pc_web_start(struct pc_web *w, char *err, size_t errlen);
/* metrics.c: the Prometheus text of the console's store-level numbers. */
void pc_web_metrics(struct pc_web *w, struct pc_store *st, GString *out);

#endif
