/*
 * NAME
 *   resources - a scanner with everything it consults (see resources.h)
 */
#include "app/resources.h"

#include <stdio.h>
#include <string.h>

#include "detect/lib/trackerlist.h"
#include "hunt/ioc_sets.h"
#include "net/dns.h"
#include "store/store.h"

/* appends "what: why" as one line of err */
static void add_line(char *err, size_t errlen, const char *what, const char *why)
{
	size_t n = strlen(err);
	if (n < errlen)
		snprintf(err + n, errlen - n, "%s%s: %s", n ? "\n" : "", what, why);
}

int pc_resources_open(const pc_config *cfg, unsigned what, pc_resources *r, char *err, size_t errlen)
{
	char e[512];
	memset(r, 0, sizeof *r);
	if (errlen)
		err[0] = '\0';
	int bad = 0;
	if (what & PC_RES_DNS) {
		e[0] = '\0';
		if (!(r->dns = pc_dns_new(cfg->dns_servers, cfg->dns_timeout_ms, e, sizeof e)) && e[0]) {
			add_line(err, errlen, "dns", e);
			bad = 1;
		}
	}
	if (!(r->lists = pc_trackerlist_from_config(cfg, e, sizeof e))) {
		add_line(err, errlen, "tracker list", e);
		bad = 1;
	}
	if (!(r->freemail = pc_trackerlist_freemail_from_config(cfg, e, sizeof e))) {
		add_line(err, errlen, "freemail list", e);
		bad = 1;
	}
	if ((what & PC_RES_STORE) && cfg->history_db[0] &&
	    !(r->store = pc_store_open_cfg(cfg, NULL, (what & PC_RES_STORE_LAZY) ? PC_STORE_LAZY : 0, e, sizeof e))) {
		add_line(err, errlen, "store", e);
		bad = 1;
	}
	if (r->store && !(r->iocs = pc_ioc_sets_new(r->store))) {
		add_line(err, errlen, "indicator sets", "out of memory");
		bad = 1;
	}
	return bad ? -1 : 0;
}

void pc_resources_close(pc_resources *r)
{
	pc_dns_free(r->dns);
	pc_trackerlist_free(r->lists);
	pc_trackerlist_free(r->freemail);
	pc_ioc_sets_free(r->iocs);
	pc_store_close(r->store);
	memset(r, 0, sizeof *r);
}

pc_scanner *pc_resources_scanner(const pc_config *cfg, const pc_resources *r)
{
	pc_pipeline_global_init();
	pc_scanner *sc = pc_scanner_new(cfg);
	if (!sc)
		return NULL;
	pc_scanner_set_lists(sc, r->lists);
	pc_scanner_set_freemail(sc, r->freemail);
	pc_scanner_set_dns(sc, r->dns);
	pc_scanner_set_store(sc, r->store);
	if (r->iocs)
		pc_scanner_set_check(sc, pc_ioc_sets_check, r->iocs);
	return sc;
}

void pc_resources_complain(const char *err)
{
	const char *p = err;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(stderr, "portcullis: %.*s\n", (int)n, p);
		p += n + (nl != NULL);
	}
}
