/* Campaign fingerprint of one message: the sketch tokenizer over the raw
 * bytes, then the whole pipeline and the fingerprint (URL templates,
 * Received and DKIM-Signature readers, subject normaliser, dates). Checks
 * the invariants the store relies on: every infra key and template is
 * valid UTF-8 and bounded, the token is "" or 16 hex digits, a sketch of
 * any text is similar to itself. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/fingerprint.h"
#include "pipeline/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_config cfg;
	static pc_scanner *sc;
	if (!sc) {
		pc_config_defaults(&cfg);
		pc_pipeline_global_init();
		sc = pc_scanner_new(&cfg);
	}
	pc_sketch s;
	pc_sketch_init(&s);
	pc_sketch_text(&s, (const char *)data, size);
	pc_sketch_tag(&s, (const char *)data, size < 16 ? size : 16);
	uint32_t sig[PC_SKETCH_K];
	pc_sketch_finish(&s, sig);
	if (s.features && pc_sketch_similarity(sig, sig) != 1.0)
		abort();
	if (!pc_scan(sc, (const char *)data, size, "fuzz", NULL, 0))
		return 0;
	pc_fingerprint fp;
	pc_scan_fingerprint(sc, &fp);
	for (size_t i = 0; i < fp.ninfra; i++)
		if (!g_utf8_validate(fp.infra[i], -1, NULL) || strlen(fp.infra[i]) > 300)
			abort();
	for (size_t i = 0; i < fp.ntemplates; i++)
		if (!g_utf8_validate(fp.templates[i], -1, NULL) ||
		    strlen(fp.templates[i]) >= 3 * 512) /* U+FFFD for invalid bytes */
			abort();
	if (!g_utf8_validate(fp.subject, -1, NULL) || !g_utf8_validate(fp.sender, -1, NULL))
		abort();
	size_t tl = strlen(fp.token);
	if (tl != 0 && tl != 16)
		abort();
	return 0;
}
