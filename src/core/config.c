/*
 * NAME
 *   config - portcullis.conf reader (see config.h)
 * DESCRIPTION
 *   Hand-written rather than GLib's GKeyFile because GKeyFile's errors do
 *   not carry the line number, and an administrator must be told the line.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(pc_limits, f)

const pc_limit_info pc_limit_table[] = {
    {"message_size", OFF(message_size), "bytes", "bytes of one message that are parsed"},
    {"nesting_depth", OFF(nesting_depth), "levels", "MIME nesting depth (multipart and message/rfc822)"},
    {"parts", OFF(parts), "parts", "MIME parts per message"},
    {"headers", OFF(headers), "fields", "header fields per message or part"},
    {"header_size", OFF(header_size), "bytes", "bytes of one header field"},
    {"decoded_size", OFF(decoded_size), "bytes", "decoded bytes of one text or HTML part"},
    {"decoded_total", OFF(decoded_total), "bytes", "decoded bytes of all text and HTML parts"},
    {"urls", OFF(urls), "urls", "remote resources, links and text URLs per message"},
    {"html_depth", OFF(html_depth), "levels", "HTML nesting tracked for visibility"},
    {"arena", OFF(arena), "bytes", "memory for one message's parse results"},
};
const size_t pc_limit_count = sizeof pc_limit_table / sizeof pc_limit_table[0];

void pc_config_defaults(pc_config *c)
{
	memset(c, 0, sizeof *c);
	c->limits.message_size = 64u << 20;
	c->limits.nesting_depth = 32;
	c->limits.parts = 1000;
	c->limits.headers = 1000;
	c->limits.header_size = 64u << 10;
	c->limits.decoded_size = 8u << 20;
	c->limits.decoded_total = 32u << 20;
	c->limits.urls = 10000;
	c->limits.html_depth = 512;
	c->limits.arena = 64u << 20;
	c->limit_action = PC_ACTION_QUARANTINE;
	c->tracker_action = PC_ACTION_NEUTRALISE;
	c->tracker_bundled = 1;
	c->remote_images = PC_REMOTE_KEEP;
}

const char *pc_action_name(pc_action a)
{
	switch (a) {
	case PC_ACTION_ACCEPT:
		return "accept";
	case PC_ACTION_NEUTRALISE:
		return "neutralise";
	case PC_ACTION_QUARANTINE:
		return "quarantine";
	case PC_ACTION_REJECT:
		return "reject";
	}
	return "accept";
}

static int parse_size(const char *v, size_t *out)
{
	errno = 0;
	char *end;
	if (!isdigit((unsigned char)*v))
		return -1;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		return -1;
	if (n > (SIZE_MAX >> shift) || n == 0)
		return -1;
	*out = (size_t)n << shift;
	return 0;
}

int pc_config_set(pc_config *c, const char *key, const char *value, char *err, size_t errlen)
{
	if (strncmp(key, "limits.", 7) == 0) {
		for (size_t i = 0; i < pc_limit_count; i++) {
			if (strcmp(key + 7, pc_limit_table[i].name) == 0) {
				size_t v;
				if (parse_size(value, &v) != 0) {
					snprintf(err, errlen,
					         "%s: expected a positive number (K/M/G suffix allowed), got \"%s\"",
					         key, value);
					return -1;
				}
				if (!strcmp(pc_limit_table[i].name, "nesting_depth") && v > 1000) {
					/* GMime itself stops following at 1024 levels */
					snprintf(err, errlen, "%s: at most 1000, got %zu", key, v);
					return -1;
				}
				*(size_t *)((char *)&c->limits + pc_limit_table[i].offset) = v;
				return 0;
			}
		}
	} else if (strcmp(key, "policy.limit_action") == 0 || strcmp(key, "policy.tracker_action") == 0) {
		static const pc_action acts[] = {PC_ACTION_ACCEPT, PC_ACTION_NEUTRALISE, PC_ACTION_QUARANTINE,
		                                 PC_ACTION_REJECT};
		pc_action *dst = strcmp(key, "policy.limit_action") == 0 ? &c->limit_action : &c->tracker_action;
		for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
			if (strcmp(value, pc_action_name(acts[i])) == 0) {
				*dst = acts[i];
				return 0;
			}
		}
		snprintf(err, errlen, "%s: expected accept, neutralise, quarantine or reject, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "trackers.lists") == 0) {
		if (strlen(value) >= sizeof c->tracker_lists) {
			snprintf(err, errlen, "%s: longer than %zu bytes", key, sizeof c->tracker_lists - 1);
			return -1;
		}
		snprintf(c->tracker_lists, sizeof c->tracker_lists, "%s", value);
		return 0;
	} else if (strcmp(key, "trackers.bundled") == 0) {
		if (!strcmp(value, "yes") || !strcmp(value, "no")) {
			c->tracker_bundled = !strcmp(value, "yes");
			return 0;
		}
		snprintf(err, errlen, "%s: expected yes or no, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "rewrite.remote_images") == 0) {
		if (!strcmp(value, "keep") || !strcmp(value, "block")) {
			c->remote_images = !strcmp(value, "keep") ? PC_REMOTE_KEEP : PC_REMOTE_BLOCK;
			return 0;
		}
		snprintf(err, errlen, "%s: expected keep or block, got \"%s\"", key, value);
		return -1;
	}
	snprintf(err, errlen, "unknown setting \"%s\"", key);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int pc_config_load(pc_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[1024], section[64] = "";
	unsigned lineno = 0;
	char msg[512];
	int rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu bytes", path, lineno, sizeof line - 2);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1] || close - s - 1 <= 0 || (size_t)(close - s - 1) >= sizeof section) {
				snprintf(err, errlen, "%s:%u: bad section header", path, lineno);
				rc = -1;
				break;
			}
			*close = '\0';
			snprintf(section, sizeof section, "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected \"key = value\"", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		char full[160];
		if (!*section) {
			snprintf(err, errlen, "%s:%u: \"%s\" is outside any [section]", path, lineno, k);
			rc = -1;
			break;
		}
		snprintf(full, sizeof full, "%s.%s", section, k);
		if (pc_config_set(c, full, v, msg, sizeof msg) != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}
