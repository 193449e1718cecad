/*
 * NAME
 *   act - the act step: what to do with a scanned message, as one outcome
 * SYNOPSIS
 *   const pc_msg *m = pc_scan(sc, bytes, n, source, rcpt, nrcpt);
 *   pc_act_in in = {bytes, n, rcpt, nrcpt, .edits = true, .ref = ref, ...};
 *   pc_outcome o;
 *   if (pc_act(sc, m, &in, &o) != 0) ... o.why: out of memory ...
 *   ... apply o: the milter as header edits and a body, the CLI as a file ...
 *   pc_outcome_free(&o);
 * DESCRIPTION
 *   The one entry point of the act stage (DESIGN.md): from the verdict, the
 *   action (accept, neutralise, quarantine, hold, reject), the quarantine
 *   metadata when the message is kept, the header fields we add, the
 *   neutralised message (pc_neutralise), and the header edits that turn
 *   the message as it came into the one to deliver: forged X-Portcullis-*
 *   and our Authentication-Results removed, the rewriter's changes, our
 *   fields on top. Each front end applies the outcome its own way; none
 *   computes any of it. `m` is invalid afterwards (pc_neutralise rescans).
 */
#ifndef PC_PIPELINE_ACT_H
#define PC_PIPELINE_ACT_H

#include <stdbool.h>
#include <stddef.h>

#include "act/qmeta.h"
#include "pipeline/pipeline.h"

#define PC_REASONS_MAX 900 /* bytes of the X-Portcullis-Reasons value */

typedef struct pc_act_in {
	const char *bytes; /* the message as it came (what m was scanned from) */
	size_t n;
	const char *const *rcpt;
	size_t nrcpt;
	bool edits;              /* compute the header edits and our fields (the milter) */
	const char *ref;         /* the X-Portcullis-Ref value (with edits) */
	const char *authserv_id; /* ours: an incoming A-R with it is forged */
	bool hold;               /* [quarantine] action = hold */
	const pc_qmeta_env *env; /* the envelope for the quarantine metadata; NULL: no metadata */
	const char *meta_reason; /* its "reason" ("milter") */
	const char *scan_json;   /* the scan's JSON (app/report.h) for the metadata */
} pc_act_in;

/* One header edit: 'a' add on top (index 0), 'x' change the index-th
 * field of that name (1-based), 'd' delete it. value: the raw bytes after
 * the colon, folds included, NUL-terminated (NULL for 'd'). */
typedef struct pc_hedit {
	char op;
	char *name;
	unsigned index;
	char *value;
	size_t valuelen;
} pc_hedit;

typedef struct pc_outcome {
	pc_action verdict;
	const char *action; /* "accept", "neutralise", "quarantine", "hold", "reject" */
	char score[32];
	char reasons[PC_REASONS_MAX + 8]; /* the detectors the verdict rests on, each once, bounded */
	char *campaign;                   /* the message's campaign id, or NULL (malloc'd) */
	char *detail;                     /* the summary of the first reason, or NULL (malloc'd) */
	char *meta;                       /* quarantine metadata (JSON) when kept; malloc'd */
	pc_hedit *edits;                  /* in the order to apply */
	size_t nedits, cap;
	char *message;         /* the neutralised message (malloc'd); NULL: unchanged */
	size_t messagen, body; /* its length and where its body starts */
	const char *why;       /* on failure: what ran out */
} pc_outcome;

/* 0, or -1 with o->why (out of memory). o is filled as far as it got
 * either way: pc_outcome_free it. */
int pc_act(pc_scanner *sc, const pc_msg *m, const pc_act_in *in, pc_outcome *o);
void pc_outcome_free(pc_outcome *o);

#endif
