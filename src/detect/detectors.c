/*
 * NAME
 *   detectors - the table of detectors, in the order they run
 * DESCRIPTION
 *   Each detector's descriptor lives in its own file (detect.h). Adding
 *   one: its file, a line here (and its extern), its file in
 *   CMakeLists.txt, its tests.
 */
#include "detect/detect.h"

/* one detector a line */
/* clang-format off */
extern const pc_detector pc_detector_spf;
extern const pc_detector pc_detector_dkim;
extern const pc_detector pc_detector_dmarc;
extern const pc_detector pc_detector_impersonation;
extern const pc_detector pc_detector_lookalike;
extern const pc_detector pc_detector_divergence;
extern const pc_detector pc_detector_first_contact;
extern const pc_detector pc_detector_tracker;

/* spf, dkim, dmarc first: the detectors after them read m->auth */
const pc_detector *const pc_detectors[] = {
	&pc_detector_spf,
	&pc_detector_dkim,
	&pc_detector_dmarc,
	&pc_detector_impersonation,
	&pc_detector_lookalike,
	&pc_detector_divergence,
	&pc_detector_first_contact,
	&pc_detector_tracker,
};
/* clang-format on */
const size_t pc_detector_count = sizeof pc_detectors / sizeof pc_detectors[0];
