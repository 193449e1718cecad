/* Whole pipeline on one message: MIME, HTML, CSS, URLs, findings, JSON.
 * The JSON line written must parse back (jansson) as one object. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/report.h"
#include "pipeline/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_config cfg;
	static pc_scanner *sc;
	static FILE *devnull;
	if (!sc) {
		pc_config_defaults(&cfg);
		pc_pipeline_global_init();
		sc = pc_scanner_new(&cfg);
		devnull = fopen("/dev/null", "w");
	}
	const pc_msg *m = pc_scan(sc, (const char *)data, size, "fuzz", NULL, 0);
	if (!m)
		return 0;
	pc_report_explain(devnull, m);
	char *line = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&line, &len);
	if (!mem)
		return 0;
	if (pc_report_json(mem, m) != 0)
		abort();
	fclose(mem);
	json_error_t err;
	json_t *o = json_loadb(line, len, 0, &err);
	if (!o || !json_is_object(o) || len == 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len) != line + len - 1) {
		fprintf(stderr, "invalid JSON line: %s\n", err.text);
		abort();
	}
	json_decref(o);
	free(line);
	return 0;
}
