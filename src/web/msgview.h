/*
 * NAME
 *   msgview - a stored message as the JSON object the console's message page renders
 * SYNOPSIS
 *   pc_mime_global_init();                         once per process
 *   pc_msgview *v = pc_msgview_new(&cfg.limits);   one per thread, reused (NULL: default limits)
 *   json_t *o = pc_msgview_json(v, bytes, n);      NULL: out of memory
 *   json_t *r = pc_msgview_json(v, rewritten, rn); the rewritten copy: the same call
 *   json_decref(o); json_decref(r);
 *   pc_msgview_free(v);
 * DESCRIPTION
 *   Every byte of the message is the attacker's. It is parsed as the scan
 *   parses it, by parse/mime.h (GMime 3 behind parse/mimescan.h, so every
 *   configured limit holds while parsing, and the CPU budget limits.cpu),
 *   and the object says what an analyst needs to see:
 *
 *   {"size": bytes, "subject", "date", "message_id": strings or null,
 *    "from", "to": [{"name", "addr"}],
 *    "headers": [{"name", "value"}]   top-level fields in order, values
 *        unfolded and RFC 2047 decoded to UTF-8; at most PC_MSGVIEW_HEADERS
 *        fields of PC_MSGVIEW_VALUE_MAX bytes ("cut": true on a cut value);
 *    "headers_total": fields read,
 *    "received": [{"raw", "from", "from_ip", "by", "via", "with", "id",
 *        "for", "date", "time"}]  the Received fields, newest first (the
 *        order of the header), each clause as written (comments kept,
 *        missing ones null), "from_ip" the first address literal of the
 *        from clause, "time" the date in UTC ISO 8601 when it reads as a
 *        date; at most PC_MSGVIEW_RECEIVED; "received_total";
 *    "mime": [{"path": "1.2", "depth", "kind": "multipart" | "message" |
 *        "text" | "html" | "other", "content_type", "charset",
 *        "disposition", "filename", "encoding", "size": bytes of the
 *        content in the message (transfer-encoded; 0 for containers),
 *        "decoded_size" (text and HTML parts)}]  in tree order;
 *    "text": the first text/plain body that is no attachment, decoded to
 *        UTF-8, line ends as LF, its first PC_MSGVIEW_TEXT_MAX bytes; null
 *        when none ("text_part": its path, "text_cut": true when cut);
 *    "html": the first text/html body that is no attachment, through
 *        web/sanitize.h (an inert fragment); null when none ("html_part");
 *    "html_stats": {"elements_dropped", "elements_unwrapped",
 *        "attributes_dropped", "links_defused", "images_replaced",
 *        "styles_dropped", "marked", "input_cut", "depth_cut",
 *        "output_cut", "charset_unknown", "fallback"} or null;
 *    "attachments": [{"path", "filename", "content_type", "disposition",
 *        "size", "encoding"}]  leaf parts that are not the bodies shown:
 *        a disposition of attachment, a filename, a type other than text,
 *        or an attached message; at most PC_MSGVIEW_ATTACHMENTS;
 *    "parse": [{"detector", "summary", "evidence": {}}]  what parse/mime
 *        found damaged and every limit reached (the view is then
 *        partial), at most PC_MSGVIEW_FINDINGS}
 *
 *   Every string is valid UTF-8 and shown-safe text (core/safetext.h's
 *   pc_safetext_marks): invalid bytes are U+FFFD and C0/C1 controls,
 *   bidi controls, U+FEFF ... are visible marks "⟨U+202E⟩"; line feeds are
 *   kept in "text" only (a value with a line feed could fake another
 *   header line), tabs in "text" and header values. Strings are cut at a
 *   character boundary with "…". The page escapes them as text; "html"
 *   alone is markup, and goes in the sandboxed frame.
 *
 *   Work is linear in the message (each part and field read once, the HTML
 *   as web/sanitize.h bounds it); the object holds at most the caps above.
 *   Not thread-safe: one pc_msgview per thread.
 */
#ifndef PC_WEB_MSGVIEW_H
#define PC_WEB_MSGVIEW_H

#include <jansson.h>
#include <stddef.h>

#include "core/config.h"

#define PC_MSGVIEW_HEADERS 500         /* header fields listed */
#define PC_MSGVIEW_VALUE_MAX 8192      /* bytes of one header value decoded and shown */
#define PC_MSGVIEW_RECEIVED 64         /* Received fields read as hops */
#define PC_MSGVIEW_CLAUSE_MAX 512      /* characters of one Received clause */
#define PC_MSGVIEW_PARTS 1000          /* MIME parts listed */
#define PC_MSGVIEW_NAME_MAX 256        /* characters of a filename or a type */
#define PC_MSGVIEW_TEXT_MAX (1u << 20) /* bytes of the text body */
#define PC_MSGVIEW_ATTACHMENTS 200     /* attachments listed */
#define PC_MSGVIEW_FINDINGS 50         /* parse findings listed, 16 evidence values each */

typedef struct pc_msgview pc_msgview;

pc_msgview *pc_msgview_new(const pc_limits *limits);
void pc_msgview_free(pc_msgview *v);
json_t *pc_msgview_json(pc_msgview *v, const char *bytes, size_t n);

#endif
