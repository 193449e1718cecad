/*
 * NAME
 *   report - a campaign's case file as one self-contained HTML5 report
 * SYNOPSIS
 *   char err[256];
 *   char *html = pc_report_html(case_, err, sizeof err);   NULL: err
 *   fwrite(html, 1, strlen(html), f);    or pc_report_pdf (evidence/pdf.h)
 *   free(html);
 * DESCRIPTION
 *   The human reading of a case file (evidence/case.h) for someone who
 *   reads no JSON: page 1 says what happened (title, status and why, TLP
 *   banner, a summary written from the numbers, key facts, copies per
 *   hour or day and recipients per organisation as SVG bar charts);
 *   then why it is malicious (findings and their evidence), senders and
 *   infrastructure, trackers and URL templates, authentication, what was
 *   done (actions and audit), indicators, the copies, every copy's
 *   SHA-256 for copy and paste, and who generated it from what.
 *
 *   The document asks for nothing: no script, no <link>, no <img>, no
 *   url(); plots are inline SVG drawn here; its one <style> block is
 *   allowed by a Content-Security-Policy meta element carrying that
 *   block's SHA-256 ("default-src 'none'"; no style="" attributes). Print
 *   CSS lays it out on A4 (Chromium's print to PDF), the TLP label and
 *   page numbers in the page margins.
 *
 *   Every string of the case was written by the attacker and is shown,
 *   never obeyed: HTML text escaping (& < > " ') wherever it lands, in
 *   element text, <title> and SVG <text>, and it never becomes an
 *   attribute value, a link or CSS. C0 and C1 controls (but tab and line
 *   feed), DEL, the bidi embeddings, overrides, isolates and marks, the
 *   line and paragraph separators and U+FEFF are shown as a visible
 *   marker, ⟨U+202E⟩, so an analyst sees they were there; invalid UTF-8
 *   becomes U+FFFD. Nothing is a live link; what a PDF viewer or mail
 *   client could still turn into one is defanged: "http:", "https:",
 *   "ftp:" become "hxxp:", "hxxps:", "fxp:" wherever they are; at a word
 *   start other schemes that act ("javascript:", "vbscript:", "data:",
 *   "file:", "mailto:", "smb:", "ws:", "wss:") get "[:]" and "www." gets
 *   "[.]" (a scheme counts when a non-space follows its colon); and
 *   in hosts, addresses, IPs and URLs (senders, infrastructure, trackers,
 *   templates, indicators, a copy's envelope) a '.' between letters or
 *   digits is "[.]". Regular expressions are shown verbatim (escaped
 *   only): defanged they would match nothing. The machine-readable
 *   exports (STIX, MISP) carry the values as they are.
 *
 *   Bounded: a string is cut after a number of characters set per place
 *   (at a character boundary, "…" and how much was left out); a table
 *   shows at most PC_REPORT_ROWS rows (copies PC_REPORT_COPIES,
 *   indicators PC_REPORT_INDICATORS) and says how many more there are;
 *   an evidence object shows at most PC_REPORT_EVIDENCE values, nested
 *   at most 4 deep; the timeline at most 120 bars (bins are merged). The
 *   hash list alone has every copy. Work is linear in the size of the
 *   case and the document is at most PC_REPORT_MAX bytes (else NULL).
 *   The output is a function of the case alone: no clock is read (the
 *   time shown is the case's "generated").
 */
#ifndef PC_EVIDENCE_REPORT_H
#define PC_EVIDENCE_REPORT_H

#include <jansson.h>
#include <stddef.h>

#define PC_REPORT_MAX ((size_t)64 << 20)
#define PC_REPORT_ROWS 50
#define PC_REPORT_COPIES 100
#define PC_REPORT_INDICATORS 100
#define PC_REPORT_EVIDENCE 200

/* The report as a malloc'd NUL-terminated HTML5 document; NULL with err
 * set when case_ is not a portcullis-case/1 object, the document would
 * pass PC_REPORT_MAX or memory ran out. */
char *pc_report_html(const json_t *case_, char *err, size_t errlen);

#endif
