/*
 * NAME
 *   detectors - the table of detectors, in the order they run
 */
#include "detect/detect.h"

void pc_detect_spf(pc_detect_ctx *ctx, pc_msg *m);
void pc_detect_dkim(pc_detect_ctx *ctx, pc_msg *m);
void pc_detect_dmarc(pc_detect_ctx *ctx, pc_msg *m);
void pc_detect_impersonation(pc_detect_ctx *ctx, pc_msg *m);
void pc_detect_lookalike(pc_detect_ctx *ctx, pc_msg *m);
void pc_detect_divergence(pc_detect_ctx *ctx, pc_msg *m);
void pc_detect_trackers(pc_detect_ctx *ctx, pc_msg *m);
void pc_detect_first_contact(pc_detect_ctx *ctx, pc_msg *m);

/* spf, dkim, dmarc first: the detectors after them read m->auth */
const pc_detector pc_detectors[] = {
    {"spf", pc_detect_spf},
    {"dkim", pc_detect_dkim},
    {"dmarc", pc_detect_dmarc},
    {"impersonation", pc_detect_impersonation},
    {"lookalike", pc_detect_lookalike},
    {"divergence", pc_detect_divergence},
    {"first-contact", pc_detect_first_contact},
    {"tracker", pc_detect_trackers},
};
const size_t pc_detector_count = sizeof pc_detectors / sizeof pc_detectors[0];

void pc_detect_all(pc_detect_ctx *ctx, pc_msg *m)
{
	for (size_t i = 0; i < pc_detector_count && !pc_msg_out_of_time(m); i++)
		pc_detectors[i].run(ctx, m);
}

void pc_detect_release(pc_detect_ctx *ctx)
{
	pc_spf_release(ctx->spf);
	pc_dkim_release(ctx->dkim);
	ctx->spf = ctx->dkim = NULL;
}
