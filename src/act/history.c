/*
 * NAME
 *   history - record delivered, authenticated senders (see history.h)
 */
#include "act/history.h"

#include <string.h>

#include "decide/policy.h"

/* Recipients recorded per message: a campaign message has a few; a
 * message to thousands does not need thousands of rows. */
#define MAX_RCPT_RECORDED 32

int pc_history_remember(pc_store *st, const pc_msg *m, time_t when)
{
	if (!st || m->from.n != 1 || !m->rcpt.n || m->verdict > PC_ACTION_NEUTRALISE)
		return 0;
	/* recipients the MTA named, not the sender's To */
	if (!m->rcpt_source || !strcmp(m->rcpt_source, "To"))
		return 0;
	if (!pc_policy_established(m, PC_SENDER_FAMILIAR, NULL))
		return 0;
	const pc_addr *from = m->from.v[0];
	char sender[328], domain[328];
	if (!from->addr || pc_store_contact_keys(from->addr, sender, sizeof sender, domain, sizeof domain) != 0)
		return 0;
	size_t n = m->rcpt.n < MAX_RCPT_RECORDED ? m->rcpt.n : MAX_RCPT_RECORDED;
	return pc_store_remember(st, sender, domain, (const char *const *)m->rcpt.v, n, when);
}
