/*
 * NAME
 *   msg - the facts parsed from one message, and its findings
 * DESCRIPTION
 *   A pc_msg and everything it points to live in the message's arena.
 *   Strings are NUL-terminated, valid UTF-8 (invalid bytes were replaced by
 *   U+FFFD when copied in), so every front end can print them as they are.
 *   Parsers fill it; detectors read it and append findings; front ends print
 *   it. Nothing here does I/O.
 */
#ifndef PC_MSG_H
#define PC_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/config.h"

/* A growable array in the arena. */
typedef struct pc_vec {
	void **v;
	size_t n, cap;
} pc_vec;
int pc_vec_push(pc_arena *a, pc_vec *vec, void *item);

typedef struct pc_kv {
	const char *key, *value;
	struct pc_kv *next;
} pc_kv;

/* A split URL. `raw` is exactly what the message says (after HTML character
 * references); the other fields are views for detectors. */
typedef struct pc_url {
	const char *raw;
	const char *scheme;     /* lower case, "" when none */
	const char *userinfo;   /* NULL when none */
	const char *host;       /* as written, lower-cased, percent-decoded */
	const char *host_ascii; /* IDNA A-label form (libidn2), NULL if invalid */
	const char *host_unicode;
	const char *domain; /* registrable domain (libpsl), NULL for IPs/unknown */
	int port;           /* -1 when absent, 0..65535, -2 when invalid */
	bool host_is_ip;
	bool idna_error;
	const char *path;      /* raw, "" when none */
	const char *query;     /* raw, NULL when no '?' */
	const char *fragment;  /* raw, NULL when no '#' */
	const char **segments; /* percent-decoded path segments */
	size_t nsegments;
	pc_kv *params; /* percent-decoded query parameters, in order */
	size_t nparams;
} pc_url;

typedef enum {
	PC_VIS_DISPLAY_NONE = 1u << 0,
	PC_VIS_VISIBILITY_HIDDEN = 1u << 1,
	PC_VIS_OPACITY_0 = 1u << 2,
	PC_VIS_MAX_SIZE_0 = 1u << 3,
	PC_VIS_HIDDEN_ATTR = 1u << 4,
	PC_VIS_OFFSCREEN = 1u << 5,
	PC_VIS_CONTAINER_HIDDEN = 1u << 6, /* an ancestor is hidden */
	PC_VIS_CONTAINER_ZERO = 1u << 7,   /* an ancestor is 0-size and clips */
	PC_VIS_SIZE_0 = 1u << 8,           /* width or height is 0 */
	PC_VIS_STYLESHEET = 1u << 9,       /* hidden by a rule of a <style> sheet */
	PC_VIS_CLIP = 1u << 10,            /* clip / clip-path leave nothing */
	PC_VIS_TRANSFORM = 1u << 11,       /* scaled to nothing, zoomed to nothing, or moved out of view */
} pc_vis;

/* Size in CSS px; PC_SIZE_UNKNOWN when not decided by attributes/CSS. */
#define PC_SIZE_UNKNOWN (-1)
typedef struct pc_size {
	int px;  /* >= 0, or PC_SIZE_UNKNOWN */
	int pct; /* percentage when given as %, else -1 */
} pc_size;

/* Where a URL sits in its part's HTML, for the rewriter (act/rewrite.c).
 * Offsets are into the part's UTF-8 text (pc_part.utf8). `begin,len` is the
 * raw attribute value (without quotes), or the URL's own bytes inside a
 * <style> text. `value` is the decoded attribute value when the URL is one
 * of several in it (style, srcset), with the URL at value[sub, sub+sublen);
 * NULL when the URL is the whole value, or the URL's own bytes in a <style>
 * text or a plain-text part (`attr` false). el_* is the element's start tag. */
typedef struct pc_span {
	size_t begin, len;
	const char *value;
	size_t sub, sublen;
	size_t el_begin, el_len;
	bool attr; /* begin,len is an attribute value (escape and quote a replacement) */
	bool ok;
} pc_span;

typedef struct pc_resource {
	pc_url *url;
	const char *element;  /* img, css, link, video, input, iframe, object, embed, audio, source, background */
	const char *tag;      /* the HTML element it came from */
	const char *attr;     /* src, srcset, background, style, poster, data, href, <style>, @import */
	const char *prop;     /* the CSS property that loads it (background-image, cursor, src in @font-face ...) */
	const char *role;     /* what the request is for (pc_resource_role) */
	const char *resolved; /* absolute URL when a <base href> made a relative one remote */
	pc_size width, height;
	unsigned hidden; /* pc_vis bits */
	const char *alt; /* NULL when no alt attribute */
	size_t part;     /* index into msg->parts */
	size_t order;    /* position among the part's elements */
	size_t index;    /* its own index in msg->resources */
	pc_span span;
} pc_resource;

typedef struct pc_link {
	pc_url *url;
	const char *resolved; /* absolute URL when <base href> resolved a relative one */
	const char *text;     /* visible text, whitespace collapsed, bounded */
	const char *tag;      /* a, area, or "text" for plain-text URLs */
	size_t part;
	unsigned hidden;
	pc_span span;
} pc_link;

typedef enum { PC_PART_TEXT, PC_PART_HTML, PC_PART_MULTIPART, PC_PART_MESSAGE, PC_PART_OTHER } pc_part_kind;

typedef struct pc_part {
	const char *path; /* "1", "1.2", ... */
	const char *content_type;
	const char *charset;
	const char *encoding;
	const char *filename;
	const char *disposition;
	const char *base; /* Content-Base, else an absolute Content-Location: the base of relative URLs (NULL: none) */
	pc_part_kind kind;
	size_t depth;
	size_t size; /* bytes of the content in the message, transfer-encoded (leaf parts; 0 for containers) */
	size_t decoded_size;
	bool decoded; /* text/html parts are decoded; attachments are not */
	bool attachment;
	bool uuencoded; /* uuencoded block found in a text part */
	/* For the rewriter: byte offsets in the scanned input. body_* is the
	 * transfer-encoded content; hdr_* are whole header lines (with their
	 * line end) of this part's Content-Type and -Transfer-Encoding
	 * (begin == end when absent); hdr_end is where the part's header ends. */
	bool has_offsets;
	size_t body_begin, body_end;
	size_t ct_begin, ct_end, cte_begin, cte_end, hdr_begin;
	/* The UTF-8 text or HTML the extract stage read (kept only when
	 * rewriting) and the charset it was converted from (NULL: none). */
	const char *utf8;
	size_t utf8n;
	const char *converted_from;
	size_t html_elements; /* elements in the part, for "last element" */
} pc_part;

typedef struct pc_addr {
	const char *name;  /* display name, RFC 2047 decoded, may be "" */
	const char *addr;  /* local@domain as written (decoded), may be "" */
	const char *group; /* group name when inside a group */
} pc_addr;

/* What a finding is about, set by whoever makes it. The policy, the
 * campaign and the history read the kind, never the name; the JSON shows
 * the name only. */
typedef enum pc_finding_kind {
	PC_FINDING_DAMAGE,             /* malformed or ambiguous structure (parse.*) */
	PC_FINDING_LIMIT,              /* a configured limit was hit: the scan is incomplete (parse.limit) */
	PC_FINDING_HEADER,             /* header fields that disagree (header.divergence, .multiple-from) */
	PC_FINDING_IMPERSONATION,      /* someone else's name or domain (impersonation.*); sender-side
	                                * when it scores enough (decide/policy.h) */
	PC_FINDING_AUTH,               /* authentication failed or broken (auth.spf, .dkim, .dmarc, .permerror) */
	PC_FINDING_AUTH_TEMPERROR,     /* authentication not checked: DNS failed (auth.temperror) */
	PC_FINDING_TRACKER,            /* reports the reading of the message (tracker.*) */
	PC_FINDING_FIRST_CONTACT,      /* the sender never wrote to the recipients (history.first-contact) */
	PC_FINDING_HISTORY_ERROR,      /* the history store failed (history.error) */
	PC_FINDING_CAMPAIGN,           /* what the campaign shows (campaign.targeted, .contested) */
	PC_FINDING_CAMPAIGN_MALICIOUS, /* the campaign is judged malicious (campaign.malicious) */
	PC_FINDING_CAMPAIGN_ERROR,     /* the campaign store failed (campaign.error) */
	PC_FINDING_IOC,                /* an indicator of a shared set matched (ioc.match) */
} pc_finding_kind;

typedef struct pc_finding {
	pc_finding_kind kind;
	const char *detector;
	double score;
	const char *summary;
	pc_kv *evidence, *evidence_tail;
} pc_finding;

/* A tracker: a resource, link or header that reports the reading of the
 * message (see detect/tracker.c). */
typedef struct pc_tracker {
	const char *url;     /* the URL as the message has it, or the header value */
	const char *element; /* img, css, link, background, ..., a (click), header */
	const char **signals;
	size_t nsignals;
	const char *leak;        /* NULL, or the encoding the identity leaks in */
	const char *leak_detail; /* which identity and form, e.g. "address lower, hex of sha256" */
	const char *destination; /* click trackers: the wrapped URL, decoded */
	const char *stripped;    /* click trackers without one: the URL without the query
	                          * values / fragment that leak the identity (NULL: none safe) */
	const char *header;      /* header trackers: the field name */
	pc_resource *res;        /* exactly one of res, link, header is set */
	pc_link *link;
	bool click;
} pc_tracker;

/* One authentication result: our own check, or an upstream
 * Authentication-Results entry from a trusted authserv-id. */
typedef enum {
	PC_AUTH_NONE, /* no policy / no signature / no record */
	PC_AUTH_PASS,
	PC_AUTH_FAIL,
	PC_AUTH_SOFTFAIL,  /* spf */
	PC_AUTH_NEUTRAL,   /* spf, dkim */
	PC_AUTH_POLICY,    /* dkim: valid but unacceptable (e.g. key too short) */
	PC_AUTH_TEMPERROR, /* DNS timeout or SERVFAIL: try again later */
	PC_AUTH_PERMERROR, /* broken record or signature syntax */
} pc_auth_result;

typedef struct pc_auth {
	const char *method; /* "spf", "dkim", "dmarc", "arc" */
	pc_auth_result result;
	const char *domain;   /* spf: the checked identity's domain; dkim: d=; dmarc: header.from */
	const char *selector; /* dkim: s=, else NULL */
	const char *identity; /* spf: smtp.mailfrom or smtp.helo ("mailfrom"/"helo" in property) */
	const char *property; /* RFC 8601 ptype.property, e.g. "smtp.mailfrom", "header.d" */
	const char *reason;   /* one line for people, may be NULL */
	const char *source;   /* NULL: Portcullis checked it; else the trusted authserv-id */
	const char *policy;   /* dmarc: the published p= (none, quarantine, reject), else NULL */
	bool aligned;         /* spf, dkim: the domain aligns (relaxed) with From's */
} pc_auth;

/* What the MTA knows about the SMTP session; all may be NULL (a stored
 * message scanned by the CLI). */
typedef struct pc_envelope {
	const char *client_ip; /* the connecting client's address */
	const char *helo;      /* HELO/EHLO name */
	const char *mail_from; /* MAIL FROM, without <>; "" for the null sender */
} pc_envelope;

typedef struct pc_msg {
	pc_arena *arena;
	const pc_config *config;
	const char *source;
	size_t size;
	const char *message_id, *subject, *date;
	pc_vec from, sender, reply_to, to, cc; /* pc_addr* */
	const char *return_path;
	pc_vec rcpt; /* const char* */
	const char *rcpt_source;
	pc_vec headers; /* pc_kv* of the top-level header: raw values, unfolded */
	pc_vec parts;   /* pc_part* */
	pc_vec resources;
	pc_vec links;
	pc_vec findings;  /* pc_finding* */
	pc_vec trackers;  /* pc_tracker* */
	pc_vec auth;      /* pc_auth*: our checks and trusted upstream results */
	pc_envelope env;  /* copied in by the pipeline (strings in the arena) */
	pc_vec reasons;   /* pc_finding*: the findings that made the verdict */
	const char *rule; /* the policy rule that decided it (decide/policy.h) */
	/* for the rewriter: offsets of the top-level header fields (pc_hdrpos*)
	 * and where the scanned bytes start in the input (after a From_ line) */
	pc_vec header_pos;
	size_t raw_base, header_end;
	/* the scanned bytes (after any From_ line), valid during pc_scan only:
	 * detectors that verify signatures over them (DKIM) copy what they keep */
	const char *raw;
	size_t rawn;
	bool keep_for_rewrite; /* set by the pipeline when a rewrite will follow */
	bool rescan;           /* pc_neutralise rescanning its own output: no auth results */
	size_t nurls;          /* counted against limits.urls */
	size_t decoded_total;
	size_t max_depth;
	pc_action verdict;
	double score;
	bool is_mail; /* false when no header could be parsed */
	/* the scan's CPU budget (limits.cpu): CLOCK_THREAD_CPUTIME_ID in ns
	 * when it is spent, 0 for none; see pc_msg_out_of_time */
	unsigned long long cpu_deadline_ns;
	bool out_of_time;
	/* the template sketch the extract stage feeds (core/sketch.h) */
	struct pc_sketch *sketch;
	/* the campaign the message was recorded in (campaign/cluster.h), a
	 * decimal id; NULL when none */
	const char *campaign;
	/* the delivery's key (pc_msg_delivery_key): 32 hex digits; NULL when
	 * not made */
	const char *dkey;
} pc_msg;

typedef struct pc_hdrpos {
	const char *name;
	size_t begin, end; /* whole field with its line end, offsets in the input */
} pc_hdrpos;

pc_finding *pc_msg_finding(pc_msg *m, pc_finding_kind kind, const char *detector, double score, const char *summary);
/* Appends evidence; key and value are kept by pointer: pass literals or
 * strings in the message's arena, never a stack buffer. */
void pc_finding_ev(pc_msg *m, pc_finding *f, const char *key, const char *value);
/* Adds (once per limit name) a finding "parse.limit" (PC_FINDING_LIMIT) for a hit limit. */
pc_finding *pc_msg_limit(pc_msg *m, const char *limit, size_t configured, const char *what);
/* Starts the scan's CPU budget (limits.cpu) now. */
void pc_msg_budget_start(pc_msg *m);
/* True once the scan has used its CPU budget (then a parse.limit finding
 * "cpu" says so, once). Stages call it between units of work (a MIME
 * part, a detector, a batch of resources) and stop when it is true: what
 * was found so far stays, and the incomplete scan gets policy.limit_action.
 * A system call per check: call it per unit, not per byte. */
bool pc_msg_out_of_time(pc_msg *m);
/* Counts one URL against limits.urls; false (and a limit finding) when over. */
bool pc_msg_url_budget(pc_msg *m);
/* Returns the finding of that detector if present. */
pc_finding *pc_msg_find(const pc_msg *m, const char *detector);
/* Sets m->dkey, the delivery's key: SHA-256 of the Message-ID, the
 * envelope sender, the recipients (sorted) and the bytes after the
 * receiving MTA's own Received field on top, what an MTA's retry of one delivery keeps (its queue id, its
 * Received line and the time change). The store counts such a retry once
 * (a campaign member, a quarantined original); copies of a campaign differ
 * in their recipients, so a sender cannot merge them. Call after the
 * parse, while m->raw is valid (pc_scan does). */
void pc_msg_delivery_key(pc_msg *m);
const char *pc_part_kind_name(pc_part_kind k);
/* Whether a pc_resource element draws an image (img, CSS and background
 * images, input type=image, video posters and sources). */
bool pc_element_is_image(const char *element);
/* What a request is for, from the element, its rel and the CSS property
 * that loads it: "image" (drawn as content: img, input, SVG image,
 * picture source, poster, CSS content), "background", "bullet" (list-style),
 * "border" (border-image), "mask", "cursor", "font", "stylesheet" (link
 * rel=stylesheet, @import), "prefetch" (rel=prefetch/prerender: fetched and
 * never used), "preload", "preconnect" (and dns-prefetch), "icon",
 * "media" (audio, video, embed, object), "track", "frame". */
const char *pc_resource_role(const char *element, const char *rel, const char *prop);
/* Roles whose response the reader never sees as a picture. */
bool pc_role_invisible(const char *role);
/* Roles that decorate (backgrounds, bullets, borders): not content. */
bool pc_role_decorative(const char *role);
/* Keeps a copy of the part's UTF-8 text for the rewriter (pc_part.utf8). */
void pc_part_keep_text(pc_msg *m, pc_part *p, const char *bytes, size_t n);
/* Name of pc_vis bit number `bit` (0 = display-none ... 11 = transform). */
#define PC_VIS_COUNT 12
const char *pc_vis_name(size_t bit);

#endif
