/*
 * NAME
 *   pdf - a report (evidence/report.h) printed to PDF by headless Chromium
 * SYNOPSIS
 *   char err[256];
 *   if (pc_report_pdf(html, strlen(html), "campaign-7.pdf", NULL, err, sizeof err) != 0)
 *           warn("%s", err);
 * DESCRIPTION
 *   Writes the HTML into a private directory (mkdtemp, 0700) and runs
 *   Chromium on it (chromium: its path; NULL searches "chromium",
 *   "chromium-browser", "google-chrome" in PATH) headless, with a
 *   profile, HOME and caches in that directory, nothing of the network:
 *   no background, sync, component, extension or network-time traffic,
 *   no QUIC, and every host name resolving to nothing
 *   (--host-resolver-rules): what Chromium 156 still tries on its own
 *   (an update check, Google's account list) fails before a packet is
 *   sent. The report itself requests nothing (its CSP is default-src
 *   'none'; tests/evidence/report_render_test.py reads the net log).
 *   The sandbox is turned off only when running as root, where Chromium
 *   refuses it. Chromium's own header and footer (a date, the temporary
 *   URL) are off: --no-pdf-header-footer (Chromium 156 knows no
 *   --print-to-pdf-no-header, its older name); the report's print CSS
 *   puts the TLP label and page numbers in the margins.
 *
 *   Chromium runs in its own process group with stdin and stdout on
 *   /dev/null and stderr kept in the directory; after PC_PDF_TIMEOUT
 *   seconds the whole group is killed. The PDF must exist and start with
 *   "%PDF-"; it is then written to out_path through a temporary file in
 *   the same directory and rename(2), mode 0600 (a TLP-marked document).
 *   The directory is removed whatever happened. 0, or -1 with err (on a
 *   failed run, the last line Chromium wrote to stderr).
 */
#ifndef PC_EVIDENCE_PDF_H
#define PC_EVIDENCE_PDF_H

#include <stddef.h>

#define PC_PDF_TIMEOUT 60 /* seconds */

int pc_report_pdf(const char *html, size_t n, const char *out_path, const char *chromium, char *err, size_t errlen);

#endif
