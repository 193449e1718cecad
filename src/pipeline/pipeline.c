/*
 * NAME
 *   pipeline - one message through every stage (see pipeline.h)
 */
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/rewrite.h"
#include "decide/policy.h"
#include "detect/detect.h"
#include "detect/protect.h"
#include "extract/html.h"
#include "extract/identity.h"
#include "extract/textlinks.h"
#include "parse/mime.h"

struct pc_scanner {
	const pc_config *config;
	pc_arena *arena;
	pc_mime *mime;
	pc_html *html;
	pc_detect_ctx detect;
	bool keep;
	pc_msg msg;
};

void pc_pipeline_global_init(void)
{
	pc_mime_global_init();
}

pc_scanner *pc_scanner_new(const pc_config *config)
{
	pc_scanner *sc = calloc(1, sizeof *sc);
	if (!sc)
		return NULL;
	sc->config = config;
	sc->arena = pc_arena_new(config->limits.arena);
	sc->mime = pc_mime_new();
	sc->html = pc_html_new();
	sc->detect.config = config;
	sc->detect.leak = pc_leak_new();
	sc->detect.protect = pc_protect_new(config);
	if (!sc->arena || !sc->mime || !sc->html || !sc->detect.leak || !sc->detect.protect) {
		pc_scanner_free(sc);
		return NULL;
	}
	return sc;
}

void pc_scanner_free(pc_scanner *sc)
{
	if (!sc)
		return;
	pc_html_free(sc->html);
	pc_mime_free(sc->mime);
	pc_leak_free(sc->detect.leak);
	pc_protect_free(sc->detect.protect);
	pc_arena_free(sc->arena);
	free(sc);
}

void pc_scanner_set_lists(pc_scanner *sc, const pc_trackerlist *lists)
{
	sc->detect.lists = lists;
}

void pc_scanner_set_freemail(pc_scanner *sc, const pc_trackerlist *freemail)
{
	sc->detect.freemail = freemail;
	pc_protect_set_freemail(sc->detect.protect, freemail);
}

void pc_scanner_keep_for_rewrite(pc_scanner *sc, int on)
{
	sc->keep = on != 0;
}

/* Extract stage for each decoded body part, called by the MIME walk. */
static void on_body(void *ctx, pc_msg *m, size_t part, const char *bytes, size_t n, const char *charset)
{
	pc_scanner *sc = ctx;
	const pc_part *p = m->parts.v[part];
	if (p->kind == PC_PART_HTML)
		pc_html_extract(sc->html, m, part, bytes, n, charset);
	else if (p->kind == PC_PART_TEXT) {
		if (m->keep_for_rewrite) /* the rewriter edits links in text too */
			pc_part_keep_text(m, (pc_part *)p, bytes, n);
		pc_textlinks_extract(m, part, bytes, n);
	}
}

const pc_msg *pc_scan(pc_scanner *sc, const char *bytes, size_t n, const char *source, const char *const *rcpt,
                      size_t nrcpt)
{
	pc_arena_reset(sc->arena);
	pc_msg *m = &sc->msg;
	memset(m, 0, sizeof *m);
	m->arena = sc->arena;
	m->config = sc->config;
	m->source = pc_arena_utf8(sc->arena, source ? source : "-", source ? strlen(source) : 1);
	m->keep_for_rewrite = sc->keep;
	pc_mime_parse(sc->mime, m, bytes, n, on_body, sc);
	pc_identity_recipients(m, rcpt, nrcpt);
	pc_detect_all(&sc->detect, m);
	if (pc_arena_full(sc->arena))
		pc_msg_limit(m, "arena", sc->config->limits.arena, "parse results were cut short");
	pc_policy_decide(m);
	return m;
}

int pc_neutralise(pc_scanner *sc, const pc_msg *m, const char *bytes, size_t n, const char *const *rcpt, size_t nrcpt,
                  char **out, size_t *outn, pc_rewrite_stats *st)
{
	*out = NULL;
	*outn = 0;
	int rc = pc_rewrite(m, bytes, n, out, outn, st);
	/* the source name lives in the arena the next scan resets */
	char source[256];
	snprintf(source, sizeof source, "%s", m->source ? m->source : "-");
	for (int pass = 1; rc == 1 && pass < PC_NEUTRALISE_PASSES; pass++) {
		const pc_msg *m2 = pc_scan(sc, *out, *outn, source, rcpt, nrcpt);
		char *out2 = NULL;
		size_t outn2 = 0;
		pc_rewrite_stats st2 = *st;
		int rc2 = m2 ? pc_rewrite(m2, *out, *outn, &out2, &outn2, &st2) : -1;
		if (rc2 != 1) /* converged, or an error: keep what the earlier passes made */
			break;
		free(*out);
		*out = out2;
		*outn = outn2;
		*st = st2;
	}
	return rc;
}
