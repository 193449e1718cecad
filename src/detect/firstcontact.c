/*
 * NAME
 *   firstcontact - has this sender written here before?
 * DESCRIPTION
 *   A weak signal, from the store's history (store/store.h): the campaign
 *   mail came from addresses and domains that had never written to their
 *   targets, while a real colleague or journalist usually has. Findings
 *   `history.first-contact`: the From domain never wrote to anyone here
 *   (score 1), the address never did though its domain has (0.5), or the
 *   address never wrote to this recipient (0.25). History is recorded
 *   after the verdict (act/history.c), only for delivered mail from an
 *   authenticated From, so quarantined or spoofed mail never makes its
 *   sender familiar. No store, no From
 *   address or no recipient: no finding.
 */
#include <stdio.h>
#include <string.h>

#include "detect/detect.h"
#include "store/store.h"

/* Recipients looked up per message: a campaign message has a few; a
 * message to 5,000 does not need 5,000 lookups to be called familiar. */
#define MAX_RCPT_LOOKUPS 32

void pc_detect_first_contact(pc_detect_ctx *ctx, pc_msg *m)
{
	if (!ctx->store || m->from.n != 1 || !m->rcpt.n)
		return;
	const pc_addr *from = m->from.v[0];
	char sender[328], domain[328];
	if (!from->addr || pc_store_contact_keys(from->addr, sender, sizeof sender, domain, sizeof domain) != 0)
		return;
	pc_contact total = {0, 0, 0, 0};
	long rcpt_known = 0;
	size_t looked = 0;
	for (size_t i = 0; i < m->rcpt.n && looked < MAX_RCPT_LOOKUPS; i++, looked++) {
		pc_contact c;
		if (pc_store_contact(ctx->store, sender, domain, m->rcpt.v[i], &c) != 0) {
			pc_finding *f = pc_msg_finding(m, PC_FINDING_HISTORY_ERROR, "history.error", 0.0,
			                               "history store could not be read");
			pc_finding_ev(
			    m, f, "error",
			    pc_arena_utf8(m->arena, pc_store_error(ctx->store), strlen(pc_store_error(ctx->store))));
			return;
		}
		if (c.addr_rcpt)
			rcpt_known++;
		total.addr_any = c.addr_any;
		total.domain_any = c.domain_any;
	}
	double score;
	const char *summary;
	if (total.domain_any == 0) {
		score = 1.0;
		summary = "first contact: the sender's domain never wrote here before";
	} else if (total.addr_any == 0) {
		score = 0.5;
		summary = "first contact: this address never wrote here before (its domain has)";
	} else if (rcpt_known == 0) {
		score = 0.25;
		summary = "first contact: this address never wrote to this recipient before";
	} else {
		return;
	}
	pc_finding *f = pc_msg_finding(m, PC_FINDING_FIRST_CONTACT, "history.first-contact", score, summary);
	/* evidence values are kept by pointer: they live in the arena */
	pc_finding_ev(m, f, "sender", pc_arena_strdup(m->arena, sender));
	pc_finding_ev(m, f, "domain", pc_arena_strdup(m->arena, domain));
	pc_finding_ev(m, f, "address_messages_before", pc_arena_printf(m->arena, "%ld", total.addr_any));
	pc_finding_ev(m, f, "domain_messages_before", pc_arena_printf(m->arena, "%ld", total.domain_any));
	pc_finding_ev(m, f, "recipients_written_before", pc_arena_printf(m->arena, "%ld of %zu", rcpt_known, looked));
}

const pc_detector pc_detector_first_contact = {
    "first-contact", PC_FINDING_FIRST_CONTACT, NULL, pc_detect_first_contact, NULL, NULL};
