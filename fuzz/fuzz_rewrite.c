/* The rewriter (act/rewrite.c) on any input: the neutralised copy must
 * still be mail when the input was, and neutralising it again must change
 * nothing (idempotence). The recipient is fixed so identity leaks are
 * searched too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/rewrite.h"
#include "pipeline/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_config cfg;
	static pc_scanner *sc;
	static const char *const rcpt[] = {"Jane.Doe@example.org"};
	if (!sc) {
		pc_config_defaults(&cfg);
		cfg.limits.message_size = 1 << 20;
		pc_pipeline_global_init();
		sc = pc_scanner_new(&cfg);
		pc_scanner_keep_for_rewrite(sc, 1);
	}
	/* every other input with remote images blocked */
	cfg.remote_images = size && (data[0] & 1) ? PC_REMOTE_BLOCK : PC_REMOTE_KEEP;
	const pc_msg *m = pc_scan(sc, (const char *)data, size, "fuzz", rcpt, 1);
	if (!m)
		return 0;
	bool was_mail = m->is_mail;
	char *out = NULL;
	size_t outn = 0;
	pc_rewrite_stats st = {0};
	int rc = pc_neutralise(sc, m, (const char *)data, size, rcpt, 1, &out, &outn, &st);
	if (rc != 1)
		return 0;
	const pc_msg *m2 = pc_scan(sc, out, outn, "fuzz2", rcpt, 1);
	if (!m2 || (was_mail && !m2->is_mail)) {
		fprintf(stderr, "the rewritten message is no longer mail\n");
		abort();
	}
	char *out2 = NULL;
	size_t outn2 = 0;
	pc_rewrite_stats st2 = {0};
	if (pc_rewrite(m2, out, outn, &out2, &outn2, &st2) != 0) {
		fprintf(stderr, "not idempotent: a second rewrite changed %zu bytes into %zu\n", outn, outn2);
		abort();
	}
	free(out);
	return 0;
}
