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
} pc_vis;

/* Size in CSS px; PC_SIZE_UNKNOWN when not decided by attributes/CSS. */
#define PC_SIZE_UNKNOWN (-1)
typedef struct pc_size {
	int px;  /* >= 0, or PC_SIZE_UNKNOWN */
	int pct; /* percentage when given as %, else -1 */
} pc_size;

typedef struct pc_resource {
	pc_url *url;
	const char *element;  /* img, css, link, video, input, iframe, object, embed, audio, source, background */
	const char *tag;      /* the HTML element it came from */
	const char *attr;     /* src, srcset, background, style, poster, data, href, <style>, @import */
	const char *resolved; /* absolute URL when a <base href> made a relative one remote */
	pc_size width, height;
	unsigned hidden; /* pc_vis bits */
	const char *alt; /* NULL when no alt attribute */
	size_t part;     /* index into msg->parts */
	size_t order;    /* position among the part's elements */
} pc_resource;

typedef struct pc_link {
	pc_url *url;
	const char *resolved; /* absolute URL when <base href> resolved a relative one */
	const char *text;     /* visible text, whitespace collapsed, bounded */
	const char *tag;      /* a, area, or "text" for plain-text URLs */
	size_t part;
	unsigned hidden;
} pc_link;

typedef enum { PC_PART_TEXT, PC_PART_HTML, PC_PART_MULTIPART, PC_PART_MESSAGE, PC_PART_OTHER } pc_part_kind;

typedef struct pc_part {
	const char *path; /* "1", "1.2", ... */
	const char *content_type;
	const char *charset;
	const char *encoding;
	const char *filename;
	const char *disposition;
	pc_part_kind kind;
	size_t depth;
	size_t decoded_size;
	bool decoded; /* text/html parts are decoded; attachments are not */
	bool attachment;
	bool uuencoded; /* uuencoded block found in a text part */
} pc_part;

typedef struct pc_addr {
	const char *name;  /* display name, RFC 2047 decoded, may be "" */
	const char *addr;  /* local@domain as written (decoded), may be "" */
	const char *group; /* group name when inside a group */
} pc_addr;

typedef struct pc_finding {
	const char *detector;
	double score;
	const char *summary;
	pc_kv *evidence, *evidence_tail;
	bool limit; /* a configured limit was hit: scan incomplete */
} pc_finding;

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
	pc_vec findings; /* pc_finding* */
	size_t nurls;    /* counted against limits.urls */
	size_t decoded_total;
	size_t max_depth;
	pc_action verdict;
	double score;
	bool is_mail; /* false when no header could be parsed */
} pc_msg;

pc_finding *pc_msg_finding(pc_msg *m, const char *detector, double score, const char *summary);
void pc_finding_ev(pc_msg *m, pc_finding *f, const char *key, const char *value);
/* Adds (once per limit name) a finding "parse.limit" for a hit limit. */
pc_finding *pc_msg_limit(pc_msg *m, const char *limit, size_t configured, const char *what);
/* Counts one URL against limits.urls; false (and a limit finding) when over. */
bool pc_msg_url_budget(pc_msg *m);
/* Returns the finding of that detector if present. */
pc_finding *pc_msg_find(const pc_msg *m, const char *detector);
const char *pc_part_kind_name(pc_part_kind k);
/* Name of pc_vis bit number `bit` (0 = display-none ... 8 = size-0). */
#define PC_VIS_COUNT 9
const char *pc_vis_name(size_t bit);

#endif
