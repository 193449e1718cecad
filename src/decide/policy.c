/*
 * NAME
 *   policy - verdict from findings (see policy.h)
 */
#include "decide/policy.h"

void pc_policy_decide(pc_msg *m)
{
	double score = 0;
	bool limit = false;
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		score += f->score;
		limit |= f->limit;
	}
	m->score = score;
	/* Issue 4 brings impersonation and the full policy; until then a
	 * tracker alone means: deliver the neutralised copy. */
	pc_action v = PC_ACTION_ACCEPT;
	if (m->trackers.n)
		v = m->config->tracker_action;
	if (limit && m->config->limit_action > v)
		v = m->config->limit_action;
	m->verdict = v;
}
