/*
 * NAME
 *   history - record delivered senders (see history.h)
 */
#include "act/history.h"

#include <string.h>

int pc_history_remember(pc_store *st, const pc_msg *m, time_t when)
{
	if (!st || m->from.n != 1 || !m->rcpt.n || m->verdict > PC_ACTION_NEUTRALISE)
		return 0;
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		if (!strncmp(f->detector, "impersonation.", 14) || !strcmp(f->detector, "auth.dmarc"))
			return 0;
	}
	const pc_addr *from = m->from.v[0];
	char sender[328], domain[328];
	if (pc_store_contact_keys(from->addr, sender, sizeof sender, domain, sizeof domain) != 0)
		return 0;
	return pc_store_remember(st, sender, domain, (const char *const *)m->rcpt.v, m->rcpt.n, when);
}
