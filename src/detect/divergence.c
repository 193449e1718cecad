/*
 * NAME
 *   divergence - Reply-To, Sender and Return-Path on another domain than From
 * SYNOPSIS
 *   pc_detector_divergence    (listed in detectors.c)
 * DESCRIPTION
 *   header.divergence: the registrable domain of a Reply-To, Sender or
 *   Return-Path address differs from the From address's. Much legitimate
 *   mail does that (bounce domains of mailing services in Return-Path,
 *   lists in Sender and Reply-To), so alone it weighs little: 0.5 for
 *   Return-Path and Sender, 1 for Reply-To; 4 when Reply-To goes to a
 *   freemail provider while From does not; 5 when the diverging domain is
 *   a lookalike of a protected one or mixes scripts in a label
 *   (pc_protect_lookalike). One finding per
 *   header and domain; MAX_ADDRS addresses per header.
 */
#include <string.h>

#include "detect/detect.h"
#include "detect/lib/protect.h"

#define MAX_ADDRS 16

static bool freemail(const pc_detect_ctx *ctx, const pc_domain *d)
{
	return ctx->freemail && pc_trackerlist_match(ctx->freemail, d->ascii);
}

static void diverge(pc_detect_ctx *ctx, pc_msg *m, const pc_domain *from, const char *addr, const char *header,
                    const char **done, size_t *ndone)
{
	pc_domain d;
	if (pc_protect_addr_domain(ctx->protect, m->arena, addr, &d) != 0)
		return;
	if (!strcmp(d.reg, from->reg))
		return;
	for (size_t i = 0; i < *ndone; i++)
		if (!strcmp(done[i], d.reg))
			return;
	if (*ndone < MAX_ADDRS)
		done[(*ndone)++] = d.reg;
	double score = !strcmp(header, "reply-to") ? 1 : 0.5;
	const char *why = "different domain";
	const pc_protected_domain *im = NULL;
	const char *t = pc_protect_lookalike(ctx->protect, &d, &im);
	if (t) {
		score = 5;
		why = im ? pc_arena_printf(m->arena, "lookalike of %s (%s)", im->d.unicode, t)
		         : pc_arena_printf(m->arena, "%s label (%s)", t, d.scripts ? d.scripts : "?");
	} else if (!strcmp(header, "reply-to") && freemail(ctx, &d) && !freemail(ctx, from)) {
		score = 4;
		why = "replies go to freemail";
	}
	pc_finding *f = pc_msg_finding(
	    m, PC_FINDING_HEADER, "header.divergence", score,
	    pc_arena_printf(m->arena, "%s domain %s differs from From's %s", header, d.unicode, from->unicode));
	if (!f)
		return;
	pc_finding_ev(m, f, "header", header);
	pc_finding_ev(m, f, "domain", d.reg);
	pc_finding_ev(m, f, "from_domain", from->reg);
	pc_finding_ev(m, f, "why", why);
}

void pc_detect_divergence(pc_detect_ctx *ctx, pc_msg *m)
{
	if (!ctx->protect || !m->from.n)
		return;
	const pc_addr *fa = m->from.v[0];
	pc_domain from;
	if (pc_protect_addr_domain(ctx->protect, m->arena, fa->addr, &from) != 0)
		return;
	const char *done[MAX_ADDRS];
	size_t ndone = 0;
	for (size_t i = 0; i < m->reply_to.n && i < MAX_ADDRS; i++)
		diverge(ctx, m, &from, ((const pc_addr *)m->reply_to.v[i])->addr, "reply-to", done, &ndone);
	ndone = 0;
	for (size_t i = 0; i < m->sender.n && i < MAX_ADDRS; i++)
		diverge(ctx, m, &from, ((const pc_addr *)m->sender.v[i])->addr, "sender", done, &ndone);
	ndone = 0;
	if (m->return_path && *m->return_path)
		diverge(ctx, m, &from, m->return_path, "return-path", done, &ndone);
}

const pc_detector pc_detector_divergence = {"divergence", PC_FINDING_HEADER, NULL, pc_detect_divergence, NULL, NULL};
