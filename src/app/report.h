/*
 * NAME
 *   report - print a scanned message: JSON Lines, or --explain for people
 * DESCRIPTION
 *   pc_report_json writes the data contract of DESIGN.md (one object,
 *   one line) with the streaming writer in jsonw.c. pc_report_explain writes the parsed tree,
 *   resources, links and findings as indented text.
 */
#ifndef PC_REPORT_H
#define PC_REPORT_H

#include <stdio.h>

#include "core/msg.h"

int pc_report_json(FILE *out, const pc_msg *m);
void pc_report_explain(FILE *out, const pc_msg *m);

#endif
