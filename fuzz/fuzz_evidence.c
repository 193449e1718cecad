/* Evidence on any bytes: the first byte picks what the rest is.
 *   0: a URL template regex read back (campaign/template_re.h); what reads
 *      back must write and read back to itself.
 *   1: a custody record (JSON) re-verified against a fixed message with a
 *      replaying resolver fed from the record's own answers.
 *   2: a case file (JSON) rendered as STIX, MISP and HTML; every output is
 *      JSON that parses (STIX, MISP) or HTML without "<script".
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/template_re.h"
#include "core/config.h"
#include "evidence/export.h"
#include "evidence/report.h"
#include "evidence/verify.h"
#include "pipeline/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char msg[] = "From: a@example.org\r\nTo: b@example.net\r\nSubject: x\r\n"
                          "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AA==; b=AA==\r\n"
                          "\r\nhello\r\n";

static void check_json(char *s)
{
	if (!s)
		return;
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		abort();
	json_decref(j);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 200000)
		return 0;
	static pc_config cfg;
	static int init;
	if (!init) {
		pc_config_defaults(&cfg);
		pc_pipeline_global_init();
		init = 1;
	}
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	char err[256];
	switch (data[0] % 3) {
	case 0: {
		char t[4096], re[16384], back[4096];
		if (pc_template_from_regex(s, t, sizeof t)) {
			if (!pc_template_regex(t, re, sizeof re) || !pc_template_from_regex(re, back, sizeof back) ||
			    strcmp(back, t))
				abort();
		}
		pc_template_regex(s, re, sizeof re);
		break;
	}
	case 1: {
		json_error_t e;
		json_t *rec = json_loads(s, 0, &e);
		if (rec) {
			json_t *r = pc_evidence_verify(&cfg, msg, sizeof msg - 1, rec, err, sizeof err);
			json_decref(r);
			json_decref(rec);
		}
		break;
	}
	default: {
		json_error_t e;
		json_t *c = json_loads(s, 0, &e);
		if (c) {
			check_json(pc_stix_bundle(c, err, sizeof err));
			check_json(pc_misp_event(c, err, sizeof err));
			char *h = pc_report_html(c, err, sizeof err);
			if (h && strstr(h, "<script"))
				abort();
			free(h);
			json_decref(c);
		}
		break;
	}
	}
	free(s);
	return 0;
}
