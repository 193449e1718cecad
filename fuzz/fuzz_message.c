/* Whole pipeline on one message: MIME, HTML, CSS, URLs, findings, JSON. */
#include <stdint.h>
#include <stdio.h>

#include "cli/report.h"
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
	if (m) {
		pc_report_json(devnull, m);
		pc_report_explain(devnull, m);
	}
	return 0;
}
