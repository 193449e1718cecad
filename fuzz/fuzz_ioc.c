/* IOC lists (text and STIX 2.1) on any bytes; what loads is matched
 * against a fixed message and one made from the input itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/fingerprint.h"
#include "hunt/ioc.h"
#include "core/arena.h"
#include "core/msg.h"
#include "parse/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void push_addr(pc_arena *a, pc_vec *v, const char *addr)
{
	pc_addr *p = pc_arena_calloc(a, 1, sizeof *p);
	if (p) {
		p->name = "";
		p->addr = addr;
		pc_vec_push(a, v, p);
	}
}

static void push_link(pc_arena *a, pc_vec *v, const char *url, size_t n)
{
	pc_link *l = pc_arena_calloc(a, 1, sizeof *l);
	if (l && (l->url = pc_url_parse(a, url, n)))
		pc_vec_push(a, v, l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_arena *a;
	if (!a)
		a = pc_arena_new(64u << 20);
	char err[512];
	pc_ioc *ioc = pc_ioc_load_mem((const char *)data, size, "fuzz", err, sizeof err);
	if (!ioc) {
		if (!err[0] || !memchr(err, '\0', sizeof err))
			abort(); /* a failure always says why */
		return 0;
	}
	if (pc_ioc_count(ioc) == 0 || pc_ioc_count(ioc) > PC_IOC_MAX)
		abort();
	const char *first;
	if (pc_ioc_skipped(ioc, &first) && !first)
		abort();

	pc_arena_reset(a);
	pc_msg m;
	memset(&m, 0, sizeof m);
	m.arena = a;
	m.subject = "Re: Invitation to speak";
	m.message_id = "<x1@mail.example>";
	m.return_path = "<bounce@rp.evil.example>";
	push_addr(a, &m.from, "Alice@Evil.Example");
	push_addr(a, &m.reply_to, "desk@xn--bcher-kva.example");
	push_link(a, &m.links, "https://t.evil.example/o/3f2a9c?u=1", 35);
	push_link(a, &m.resources, "http://198.51.100.7/p.gif", 25);
	push_link(a, &m.links, "http://[2001:db8::1]/", 21);
	pc_fingerprint fp;
	memset(&fp, 0, sizeof fp);
	fp.infra[fp.ninfra++] = "ip:203.0.113.0/24";
	fp.infra[fp.ninfra++] = "ip:2001:db8:1::/48";
	fp.infra[fp.ninfra++] = "dkim:esp.example";
	fp.infra[fp.ninfra++] = "tracker:198.51.100.9";
	fp.templates[fp.ntemplates++] = "t.example/o/{HEX}";
	unsigned char sha[32] = {0};
	const char *why = NULL;
	if (pc_ioc_match(ioc, &m, &fp, sha, &why) && !why)
		abort();

	/* the input's own first line as subject, address and link */
	size_t n = size < 512 ? size : 512;
	const char *nl = memchr(data, '\n', n);
	if (nl)
		n = (size_t)(nl - (const char *)data);
	const char *s = pc_arena_utf8(a, (const char *)data, n);
	if (s) {
		pc_msg m2;
		memset(&m2, 0, sizeof m2);
		m2.arena = a;
		m2.subject = s;
		m2.message_id = s;
		m2.return_path = s;
		push_addr(a, &m2.from, s);
		push_link(a, &m2.links, s, strlen(s));
		fp.infra[0] = pc_arena_printf(a, "ip:%s", s);
		fp.infra[1] = pc_arena_printf(a, "from:%s", s);
		pc_ioc_match(ioc, &m2, fp.infra[0] && fp.infra[1] ? &fp : NULL, NULL, &why);
	}
	pc_ioc_free(ioc);
	return 0;
}
