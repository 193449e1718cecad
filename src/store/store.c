/*
 * NAME
 *   store - dispatch to the configured back end (see store.h)
 */
#include "store/store.h"

#include <ctype.h>
#include <libpsl.h>
#include <stdio.h>
#include <string.h>

#include "store/store_impl.h"

pc_store *pc_store_open(const char *path, char *err, size_t errlen)
{
	if (!path || !*path) {
		snprintf(err, errlen, "no store path given");
		return NULL;
	}
	if (!strncmp(path, "postgresql:", 11) || !strncmp(path, "postgres:", 9)) {
		snprintf(err, errlen, "%s: the PostgreSQL store is not built yet; use a file name", path);
		return NULL;
	}
	return pc_store_sqlite_open(path, err, errlen);
}

void pc_store_close(pc_store *st)
{
	if (st)
		st->ops->close(st);
}

const char *pc_store_error(const pc_store *st)
{
	return st->error;
}

int pc_store_contact(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out)
{
	memset(out, 0, sizeof *out);
	return st->ops->contact(st, sender, domain, rcpt, out);
}

int pc_store_remember(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
                      time_t when)
{
	return st->ops->remember(st, sender, domain, rcpt, n, when);
}

int pc_store_contact_keys(const char *addr, char *sender, size_t senderlen, char *domain, size_t domainlen)
{
	if (!addr)
		return -1;
	size_t n = strlen(addr);
	const char *at = strrchr(addr, '@');
	if (!at || at == addr || !at[1] || n >= senderlen)
		return -1;
	for (size_t i = 0; i <= n; i++)
		sender[i] = (char)tolower((unsigned char)addr[i]);
	const char *host = sender + (at - addr) + 1;
	const char *reg = psl_registrable_domain(psl_builtin(), host);
	const char *d = reg ? reg : host;
	if (strlen(d) >= domainlen)
		return -1;
	snprintf(domain, domainlen, "%s", d);
	return 0;
}
