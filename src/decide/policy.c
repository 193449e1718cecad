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
	m->verdict = limit ? m->config->limit_action : PC_ACTION_ACCEPT;
}
