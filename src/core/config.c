/*
 * NAME
 *   config - portcullis.conf reader (see config.h)
 * DESCRIPTION
 *   Hand-written rather than GLib's GKeyFile because GKeyFile's errors do
 *   not carry the line number, and an administrator must be told the line.
 */
#include "core/config.h"
#include "core/hostport.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#define OFF(f) offsetof(pc_limits, f)

const pc_limit_info pc_limit_table[] = {
    {"message_size", OFF(message_size), "bytes", "bytes of one message that are parsed"},
    {"nesting_depth", OFF(nesting_depth), "levels", "MIME nesting depth (multipart and message/rfc822)"},
    {"parts", OFF(parts), "parts", "MIME parts per message"},
    {"headers", OFF(headers), "fields", "header fields of a message, all its parts together"},
    {"header_size", OFF(header_size), "bytes", "bytes of one header field"},
    {"decoded_size", OFF(decoded_size), "bytes", "decoded bytes of one text or HTML part"},
    {"decoded_total", OFF(decoded_total), "bytes", "decoded bytes of all text and HTML parts"},
    {"urls", OFF(urls), "urls", "remote resources, links and text URLs per message"},
    {"html_depth", OFF(html_depth), "levels", "HTML nesting tracked for visibility"},
    {"html_nodes", OFF(html_nodes), "nodes", "HTML elements and attributes of one part that are parsed"},
    {"arena", OFF(arena), "bytes", "memory for one message's parse results"},
    {"params", OFF(params), "parameters", "MIME parameters of a message's Content-Type and -Disposition fields"},
    {"addresses", OFF(addresses), "addresses", "addresses in the address fields of a message"},
    {"cpu", OFF(cpu_ms), "ms", "CPU time of one scan"},
    {"memory", OFF(memory), "bytes", "memory of one scanning process"},
};
const size_t pc_limit_count = sizeof pc_limit_table / sizeof pc_limit_table[0];

void pc_config_defaults(pc_config *c)
{
	memset(c, 0, sizeof *c);
	c->limits.message_size = 64u << 20;
	c->limits.nesting_depth = 32;
	c->limits.parts = 1000;
	c->limits.headers = 10000;
	c->limits.header_size = 64u << 10;
	c->limits.decoded_size = 8u << 20;
	c->limits.decoded_total = 32u << 20;
	c->limits.urls = 10000;
	c->limits.html_depth = 512;
	c->limits.html_nodes = 60000;
	c->limits.arena = 64u << 20;
	c->limits.params = 1000;
	c->limits.addresses = 10000;
	c->limits.cpu_ms = 10000;
	c->limits.memory = 1u << 30;
	c->limit_action = PC_ACTION_QUARANTINE;
	c->ioc_action = PC_ACTION_QUARANTINE;
	c->tracker_action = PC_ACTION_NEUTRALISE;
	c->tracker_bundled = 1;
	c->remote_images = PC_REMOTE_KEEP;
	c->freemail_bundled = 1;
	c->auth_spf = c->auth_dkim = c->auth_dmarc = 1;
	snprintf(c->authserv_id, sizeof c->authserv_id, "portcullis");
	snprintf(c->dns_servers, sizeof c->dns_servers, "system");
	c->dns_timeout_ms = 5000;
	c->impersonation_action = PC_ACTION_NEUTRALISE;
	c->impersonation_tracker_action = PC_ACTION_QUARANTINE;
	c->temperror_action = PC_ACTION_ACCEPT;
	c->quarantine_score = 15.0;
	c->name_threshold = 0.9;
	c->lookalike_distance = 2;
	c->campaign_enabled = 1;
	c->evidence_custody = 1;
	c->evidence_keep_originals = 1;
	c->evidence_originals_days = 7;
	snprintf(c->evidence_tlp, sizeof c->evidence_tlp, "amber");
	snprintf(c->console_listen, sizeof c->console_listen, "127.0.0.1:8025");
	c->console_session_idle = 30 * 60;
	c->console_session_max = 12 * 3600;
	c->console_threads = 4;
	c->campaign_window = 30L * 86400;
	c->campaign_similarity = 0.5;
	c->campaign_min_recipients = 5;
	c->campaign_score = 5.0;
	c->campaign_auto = 1;
	c->campaign_action = PC_ACTION_QUARANTINE;
	c->campaign_error_action = PC_ACTION_ACCEPT;
	c->store_timeout_ms = 10000;
	c->store_on_error = -1;
	snprintf(c->quarantine_sendmail, sizeof c->quarantine_sendmail, "/usr/sbin/sendmail");
	snprintf(c->quarantine_postsuper, sizeof c->quarantine_postsuper, "/usr/sbin/postsuper");
	snprintf(c->quarantine_postqueue, sizeof c->quarantine_postqueue, "/usr/sbin/postqueue");
	snprintf(c->milter_socket, sizeof c->milter_socket, "unix:/run/portcullis/milter.sock");
	c->milter_timeout_ms = 30000;
	c->milter_max_message = 64u << 20;
	c->milter_max_buffered = (size_t)1 << 30;
	c->milter_drain_ms = 30000;
	c->milter_sandbox = 1;
	c->log_facility = LOG_MAIL;
}

static void strlist_free(pc_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void pc_config_free(pc_config *c)
{
	strlist_free(&c->own_domains);
	strlist_free(&c->protected_domains);
	strlist_free(&c->trusted_authserv_ids);
	for (size_t i = 0; i < c->npeople; i++) {
		strlist_free(&c->people[i].names);
		strlist_free(&c->people[i].addresses);
		strlist_free(&c->people[i].domains);
	}
	free(c->people);
	c->people = NULL;
	c->npeople = c->cap_people = 0;
	for (size_t i = 0; i < c->ndetector_settings; i++) {
		free(c->detector_settings[i].key);
		free(c->detector_settings[i].value);
		free(c->detector_settings[i].where);
	}
	free(c->detector_settings);
	c->detector_settings = NULL;
	c->ndetector_settings = c->cap_detector_settings = 0;
}

const pc_rawsetting *pc_config_detector_setting(const pc_config *c, const char *key)
{
	for (size_t i = c->ndetector_settings; i-- > 0;)
		if (!strcmp(c->detector_settings[i].key, key))
			return &c->detector_settings[i];
	return NULL;
}

/* A [detector.NAME] setting, kept for its detector to check (pc_detect_check_settings). */
static int keep_detector_setting(pc_config *c, const char *key, const char *value, const char *where, char *err,
                                 size_t errlen)
{
	const char *name = key + 9, *dot = strchr(name, '.');
	if (dot == name || !dot || !dot[1] || strlen(key) > 200) {
		snprintf(err, errlen, "\"%s\": a detector's setting is detector.NAME.KEY", key);
		return -1;
	}
	if (c->ndetector_settings == c->cap_detector_settings) {
		size_t cap = c->cap_detector_settings ? 2 * c->cap_detector_settings : 8;
		pc_rawsetting *v = realloc(c->detector_settings, cap * sizeof *v);
		if (!v) {
			snprintf(err, errlen, "%s: out of memory", key);
			return -1;
		}
		c->detector_settings = v;
		c->cap_detector_settings = cap;
	}
	pc_rawsetting *r = &c->detector_settings[c->ndetector_settings];
	r->key = strdup(key);
	r->value = strdup(value);
	r->where = strdup(where ? where : "--set");
	if (!r->key || !r->value || !r->where) {
		free(r->key);
		free(r->value);
		free(r->where);
		snprintf(err, errlen, "%s: out of memory", key);
		return -1;
	}
	c->ndetector_settings++;
	return 0;
}

/* Appends a copy of s[0..n) (lower-cased when `lower`); -1 when out of memory. */
static int strlist_add(pc_strlist *l, const char *s, size_t n, int lower)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	char *d = malloc(n + 1);
	if (!d)
		return -1;
	for (size_t i = 0; i < n; i++)
		d[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
	d[n] = '\0';
	l->v[l->n++] = d;
	return 0;
}

/* Whether s[0..n) is made of host-name characters (authserv-ids are host
 * names; a single label is allowed). */
static bool host_name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

typedef enum { LIST_DOMAIN, LIST_ADDRESS, LIST_HOST } list_kind;

/* A list of domains, addresses or host names separated by commas or white
 * space. Domains and addresses must be printable, without '<', '>', '"';
 * a domain has a dot and no '@', an address is local@domain; a host name
 * is letters, digits, '.', '-' and '_'. Each is added lower-cased. */
static int set_list(pc_strlist *l, const char *key, const char *value, list_kind kind, char *err, size_t errlen)
{
	const char *p = value;
	while (*p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *b = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - b);
		if (kind == LIST_HOST) {
			if (!host_name_ok(b, n)) {
				snprintf(err, errlen, "%s: \"%.*s\" is not a host name", key, (int)(n > 80 ? 80 : n),
				         b);
				return -1;
			}
		} else {
			bool want_at = kind == LIST_ADDRESS;
			const char *at = memchr(b, '@', n);
			if (n > 253 + 65 || (want_at && (!at || at == b || at == b + n - 1)) ||
			    (!want_at && (at || !memchr(b, '.', n) || b[0] == '.' || b[n - 1] == '.'))) {
				snprintf(err, errlen, "%s: \"%.*s\" is not %s", key, (int)(n > 80 ? 80 : n), b,
				         want_at ? "an address (local@domain)" : "a domain (example.org)");
				return -1;
			}
			for (size_t i = 0; i < n; i++) {
				unsigned char ch = (unsigned char)b[i];
				if (ch < 0x21 || ch == 0x7f || ch == '<' || ch == '>' || ch == '"') {
					snprintf(err, errlen,
					         "%s: \"%.*s\" contains a space, quote or control character", key,
					         (int)(n > 80 ? 80 : n), b);
					return -1;
				}
			}
		}
		if (strlist_add(l, b, n, 1) != 0) {
			snprintf(err, errlen, "%s: out of memory", key);
			return -1;
		}
	}
	return 0;
}

/* The person that person.* keys apply to: the last [person] section. */
static pc_person *current_person(pc_config *c, int start_new)
{
	if (!start_new && c->npeople)
		return &c->people[c->npeople - 1];
	if (c->npeople == c->cap_people) {
		size_t cap = c->cap_people ? c->cap_people * 2 : 8;
		pc_person *v = realloc(c->people, cap * sizeof *v);
		if (!v)
			return NULL;
		c->people = v;
		c->cap_people = cap;
	}
	pc_person *p = &c->people[c->npeople++];
	memset(p, 0, sizeof *p);
	return p;
}

static int set_yesno(int *dst, const char *key, const char *value, char *err, size_t errlen)
{
	if (!strcmp(value, "yes") || !strcmp(value, "no")) {
		*dst = !strcmp(value, "yes");
		return 0;
	}
	snprintf(err, errlen, "%s: expected yes or no, got \"%s\"", key, value);
	return -1;
}

static int set_string(char *dst, size_t dstlen, const char *key, const char *value, char *err, size_t errlen)
{
	if (strlen(value) >= dstlen) {
		snprintf(err, errlen, "%s: longer than %zu bytes", key, dstlen - 1);
		return -1;
	}
	snprintf(dst, dstlen, "%s", value);
	return 0;
}

static int set_number(double *dst, double lo, double hi, const char *key, const char *value, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double d = strtod(value, &end);
	if (errno || end == value || *end || !(d >= lo && d <= hi)) {
		snprintf(err, errlen, "%s: expected a number from %g to %g, got \"%s\"", key, lo, hi, value);
		return -1;
	}
	*dst = d;
	return 0;
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

static int set_size(size_t *dst, size_t lo, size_t hi, const char *key, const char *value, char *err, size_t errlen)
{
	size_t v;
	if (parse_size(value, &v) != 0 || v < lo || v > hi) {
		snprintf(err, errlen, "%s: expected a size from %zu to %zu bytes (K/M/G suffix allowed), got \"%s\"",
		         key, lo, hi, value);
		return -1;
	}
	*dst = v;
	return 0;
}

/* A command line run without a shell: an absolute program path, then
 * arguments separated by blanks (no quoting). */
static int set_command(char *dst, size_t dstlen, const char *key, const char *value, char *err, size_t errlen)
{
	if (value[0] != '/') {
		snprintf(err, errlen, "%s: expected an absolute program path and arguments, got \"%s\"", key, value);
		return -1;
	}
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			snprintf(err, errlen, "%s: contains a control character", key);
			return -1;
		}
	return set_string(dst, dstlen, key, value, err, errlen);
}

static pc_action *action_field(pc_config *c, const char *key)
{
	if (!strcmp(key, "policy.limit_action"))
		return &c->limit_action;
	if (!strcmp(key, "policy.ioc_action"))
		return &c->ioc_action;
	if (!strcmp(key, "policy.tracker_action"))
		return &c->tracker_action;
	if (!strcmp(key, "policy.impersonation_action"))
		return &c->impersonation_action;
	if (!strcmp(key, "policy.impersonation_tracker_action"))
		return &c->impersonation_tracker_action;
	if (!strcmp(key, "policy.temperror_action"))
		return &c->temperror_action;
	if (!strcmp(key, "campaign.action"))
		return &c->campaign_action;
	if (!strcmp(key, "campaign.error_action"))
		return &c->campaign_error_action;
	return NULL;
}

static int set_at(pc_config *c, const char *key, const char *value, const char *where, char *err, size_t errlen);

int pc_config_set(pc_config *c, const char *key, const char *value, char *err, size_t errlen)
{
	return set_at(c, key, value, NULL, err, errlen);
}

static int set_at(pc_config *c, const char *key, const char *value, const char *where, char *err, size_t errlen)
{
	if (strncmp(key, "detector.", 9) == 0)
		return keep_detector_setting(c, key, value, where, err, errlen);
	if (strncmp(key, "limits.", 7) == 0) {
		for (size_t i = 0; i < pc_limit_count; i++) {
			if (strcmp(key + 7, pc_limit_table[i].name) == 0) {
				size_t v;
				if (!strcmp(pc_limit_table[i].name, "cpu")) {
					/* seconds, as milter.timeout: "2.5" */
					char *end;
					errno = 0;
					double sec = strtod(value, &end);
					if (errno || end == value || *end || !(sec >= 0.01 && sec <= 3600)) {
						snprintf(err, errlen,
						         "%s: expected seconds between 0.01 and 3600, got \"%s\"", key,
						         value);
						return -1;
					}
					c->limits.cpu_ms = (size_t)(sec * 1000 + 0.5);
					return 0;
				}
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
	} else if (action_field(c, key)) {
		static const pc_action acts[] = {PC_ACTION_ACCEPT, PC_ACTION_NEUTRALISE, PC_ACTION_QUARANTINE,
		                                 PC_ACTION_REJECT};
		pc_action *dst = action_field(c, key);
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
		return set_yesno(&c->tracker_bundled, key, value, err, errlen);
	} else if (strcmp(key, "rewrite.remote_images") == 0) {
		if (!strcmp(value, "keep") || !strcmp(value, "block")) {
			c->remote_images = !strcmp(value, "keep") ? PC_REMOTE_KEEP : PC_REMOTE_BLOCK;
			return 0;
		}
		snprintf(err, errlen, "%s: expected keep or block, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "organisation.domains") == 0) {
		return set_list(&c->own_domains, key, value, LIST_DOMAIN, err, errlen);
	} else if (strcmp(key, "protected.domains") == 0) {
		return set_list(&c->protected_domains, key, value, LIST_DOMAIN, err, errlen);
	} else if (strncmp(key, "person.", 7) == 0) {
		const char *k = key + 7;
		if (strcmp(k, "name") && strcmp(k, "addresses") && strcmp(k, "domains"))
			goto unknown;
		pc_person *p = current_person(c, 0);
		if (!p) {
			snprintf(err, errlen, "%s: out of memory", key);
			return -1;
		}
		if (!strcmp(k, "addresses"))
			return set_list(&p->addresses, key, value, LIST_ADDRESS, err, errlen);
		if (!strcmp(k, "domains"))
			return set_list(&p->domains, key, value, LIST_DOMAIN, err, errlen);
		size_t n = strlen(value);
		if (n == 0 || n > 256) {
			snprintf(err, errlen, "%s: a name of 1 to 256 bytes, got %zu", key, n);
			return -1;
		}
		if (strlist_add(&p->names, value, n, 0) != 0) {
			snprintf(err, errlen, "%s: out of memory", key);
			return -1;
		}
		return 0;
	} else if (strcmp(key, "freemail.lists") == 0) {
		return set_string(c->freemail_lists, sizeof c->freemail_lists, key, value, err, errlen);
	} else if (strcmp(key, "freemail.bundled") == 0) {
		return set_yesno(&c->freemail_bundled, key, value, err, errlen);
	} else if (strcmp(key, "auth.spf") == 0) {
		return set_yesno(&c->auth_spf, key, value, err, errlen);
	} else if (strcmp(key, "auth.dkim") == 0) {
		return set_yesno(&c->auth_dkim, key, value, err, errlen);
	} else if (strcmp(key, "auth.dmarc") == 0) {
		return set_yesno(&c->auth_dmarc, key, value, err, errlen);
	} else if (strcmp(key, "auth.trusted_authserv_ids") == 0) {
		return set_list(&c->trusted_authserv_ids, key, value, LIST_HOST, err, errlen);
	} else if (strcmp(key, "auth.authserv_id") == 0) {
		if (!host_name_ok(value, strlen(value))) {
			snprintf(err, errlen, "%s: \"%s\" is not a host name", key, value);
			return -1;
		}
		if (!*value) {
			snprintf(err, errlen, "%s: empty", key);
			return -1;
		}
		return set_string(c->authserv_id, sizeof c->authserv_id, key, value, err, errlen);
	} else if (strcmp(key, "dns.servers") == 0) {
		/* checked for syntax when the resolver is made (net/dns.c) */
		return set_string(c->dns_servers, sizeof c->dns_servers, key, value, err, errlen);
	} else if (strcmp(key, "dns.timeout") == 0) {
		double s;
		if (set_number(&s, 0.1, 60, key, value, err, errlen) != 0)
			return -1;
		c->dns_timeout_ms = (unsigned)(s * 1000 + 0.5);
		return 0;
	} else if (strcmp(key, "history.database") == 0) {
		return set_string(c->history_db, sizeof c->history_db, key, value, err, errlen);
	} else if (strcmp(key, "store.backend") == 0) {
		if (strcmp(value, "sqlite") && strcmp(value, "postgresql")) {
			snprintf(err, errlen, "%s: expected sqlite or postgresql, got \"%s\"", key, value);
			return -1;
		}
		c->store_postgresql = !strcmp(value, "postgresql");
		return 0;
	} else if (strcmp(key, "store.conninfo") == 0) {
		return set_string(c->store_conninfo, sizeof c->store_conninfo, key, value, err, errlen);
	} else if (strcmp(key, "store.journal") == 0) {
		return set_string(c->store_journal, sizeof c->store_journal, key, value, err, errlen);
	} else if (strcmp(key, "store.password_file") == 0) {
		return set_string(c->store_password_file, sizeof c->store_password_file, key, value, err, errlen);
	} else if (strcmp(key, "store.timeout") == 0) {
		double sec;
		if (set_number(&sec, 1, 300, key, value, err, errlen) != 0)
			return -1;
		c->store_timeout_ms = (unsigned)(sec * 1000 + 0.5);
		return 0;
	} else if (strcmp(key, "store.on_error") == 0) {
		if (strcmp(value, "tempfail") && strcmp(value, "deliver")) {
			snprintf(err, errlen, "%s: expected tempfail or deliver, got \"%s\"", key, value);
			return -1;
		}
		c->store_on_error = !strcmp(value, "tempfail");
		return 0;
	} else if (strcmp(key, "policy.quarantine_score") == 0) {
		return set_number(&c->quarantine_score, 0, 1000, key, value, err, errlen);
	} else if (strcmp(key, "policy.name_threshold") == 0) {
		return set_number(&c->name_threshold, 0.5, 1, key, value, err, errlen);
	} else if (strcmp(key, "policy.lookalike_distance") == 0) {
		double d;
		if (set_number(&d, 0, 3, key, value, err, errlen) != 0)
			return -1;
		if (d != (double)(unsigned)d) {
			snprintf(err, errlen, "%s: expected 0, 1, 2 or 3, got \"%s\"", key, value);
			return -1;
		}
		c->lookalike_distance = (unsigned)d;
		return 0;
	} else if (strcmp(key, "quarantine.directory") == 0) {
		return set_string(c->quarantine_dir, sizeof c->quarantine_dir, key, value, err, errlen);
	} else if (strcmp(key, "quarantine.location") == 0) {
		if (strcmp(value, "directory") && strcmp(value, "store")) {
			snprintf(err, errlen, "%s: expected directory or store, got \"%s\"", key, value);
			return -1;
		}
		c->quarantine_in_store = !strcmp(value, "store");
		return 0;
	} else if (strcmp(key, "quarantine.action") == 0) {
		if (!strcmp(value, "discard") || !strcmp(value, "hold")) {
			c->quarantine_hold = !strcmp(value, "hold");
			return 0;
		}
		snprintf(err, errlen, "%s: expected discard or hold, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "quarantine.sendmail") == 0) {
		return set_command(c->quarantine_sendmail, sizeof c->quarantine_sendmail, key, value, err, errlen);
	} else if (strcmp(key, "quarantine.postsuper") == 0) {
		return set_command(c->quarantine_postsuper, sizeof c->quarantine_postsuper, key, value, err, errlen);
	} else if (strcmp(key, "quarantine.postqueue") == 0) {
		return set_command(c->quarantine_postqueue, sizeof c->quarantine_postqueue, key, value, err, errlen);
	} else if (strcmp(key, "milter.socket") == 0) {
		if (strncmp(value, "inet:", 5) && strncmp(value, "inet6:", 6) && strncmp(value, "unix:", 5) &&
		    strncmp(value, "local:", 6)) {
			snprintf(err, errlen, "%s: expected inet:PORT@HOST, inet6:PORT@HOST or unix:PATH, got \"%s\"",
			         key, value);
			return -1;
		}
		return set_string(c->milter_socket, sizeof c->milter_socket, key, value, err, errlen);
	} else if (strcmp(key, "milter.workers") == 0) {
		double d;
		if (set_number(&d, 0, 256, key, value, err, errlen) != 0)
			return -1;
		c->milter_workers = (unsigned)d;
		return 0;
	} else if (strcmp(key, "milter.timeout") == 0 || strcmp(key, "milter.drain_timeout") == 0) {
		double s;
		if (set_number(&s, 0.1, 3600, key, value, err, errlen) != 0)
			return -1;
		*(key[7] == 't' ? &c->milter_timeout_ms : &c->milter_drain_ms) = (unsigned)(s * 1000 + 0.5);
		return 0;
	} else if (strcmp(key, "milter.fault_action") == 0) {
		if (!strcmp(value, "tempfail") || !strcmp(value, "accept")) {
			c->milter_fail_open = !strcmp(value, "accept");
			return 0;
		}
		snprintf(err, errlen, "%s: expected tempfail or accept, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "milter.max_message") == 0) {
		return set_size(&c->milter_max_message, 4096, (size_t)1 << 31, key, value, err, errlen);
	} else if (strcmp(key, "milter.max_buffered") == 0) {
		return set_size(&c->milter_max_buffered, 65536, (size_t)1 << 40, key, value, err, errlen);
	} else if (strcmp(key, "milter.user") == 0 || strcmp(key, "milter.worker_user") == 0) {
		/* a user name as useradd takes it: no path, no shell, no spaces */
		for (const char *p = value; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '_' || *p == '-' || *p == '.') ||
			    (p == value && *p == '-')) {
				snprintf(err, errlen, "%s: \"%s\" is not a user name", key, value);
				return -1;
			}
		if (key[7] == 'u')
			return set_string(c->milter_user, sizeof c->milter_user, key, value, err, errlen);
		return set_string(c->milter_worker_user, sizeof c->milter_worker_user, key, value, err, errlen);
	} else if (strcmp(key, "milter.sandbox") == 0) {
		return set_yesno(&c->milter_sandbox, key, value, err, errlen);
	} else if (strcmp(key, "milter.metrics") == 0) {
		bool off = !strcmp(value, "off") || !value[0];
		if (!off && pc_hostport(value, NULL, NULL) != 0) {
			snprintf(err, errlen, "%s: expected off, IPV4:PORT or [IPV6]:PORT, got \"%s\"", key, value);
			return -1;
		}
		return set_string(c->milter_metrics, sizeof c->milter_metrics, key, off ? "" : value, err, errlen);
	} else if (strcmp(key, "milter.metrics_token_file") == 0) {
		if (value[0] && value[0] != '/') {
			snprintf(err, errlen, "%s: expected an absolute path, got \"%s\"", key, value);
			return -1;
		}
		return set_string(c->milter_metrics_token, sizeof c->milter_metrics_token, key, value, err, errlen);
	} else if (strcmp(key, "log.destination") == 0) {
		if (!strcmp(value, "stderr") || !strcmp(value, "syslog")) {
			c->log_syslog = !strcmp(value, "syslog");
			return 0;
		}
		snprintf(err, errlen, "%s: expected stderr or syslog, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "log.format") == 0) {
		if (!strcmp(value, "text") || !strcmp(value, "json")) {
			c->log_json = !strcmp(value, "json");
			return 0;
		}
		snprintf(err, errlen, "%s: expected text or json, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "log.facility") == 0) {
		static const struct {
			const char *name;
			int fac;
		} facs[] = {{"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
		            {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
		            {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
		            {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
		for (size_t i = 0; i < sizeof facs / sizeof facs[0]; i++)
			if (!strcmp(value, facs[i].name)) {
				c->log_facility = facs[i].fac;
				return 0;
			}
		snprintf(err, errlen, "%s: expected mail, daemon, user or local0..local7, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "evidence.custody") == 0) {
		return set_yesno(&c->evidence_custody, key, value, err, errlen);
	} else if (strcmp(key, "evidence.keep_originals") == 0) {
		return set_yesno(&c->evidence_keep_originals, key, value, err, errlen);
	} else if (strcmp(key, "evidence.originals_days") == 0) {
		double d;
		if (set_number(&d, 0, 36500, key, value, err, errlen) != 0)
			return -1;
		c->evidence_originals_days = (long)d;
		return 0;
	} else if (strcmp(key, "evidence.organisation") == 0) {
		return set_string(c->evidence_org, sizeof c->evidence_org, key, value, err, errlen);
	} else if (strcmp(key, "evidence.contact") == 0) {
		return set_string(c->evidence_contact, sizeof c->evidence_contact, key, value, err, errlen);
	} else if (strcmp(key, "console.listen") == 0) {
		return set_string(c->console_listen, sizeof c->console_listen, key, value, err, errlen);
	} else if (strcmp(key, "console.tls_cert") == 0) {
		return set_string(c->console_tls_cert, sizeof c->console_tls_cert, key, value, err, errlen);
	} else if (strcmp(key, "console.tls_key") == 0) {
		return set_string(c->console_tls_key, sizeof c->console_tls_key, key, value, err, errlen);
	} else if (strcmp(key, "console.metrics_token_file") == 0) {
		return set_string(c->console_metrics_token, sizeof c->console_metrics_token, key, value, err, errlen);
	} else if (strcmp(key, "console.mail_store") == 0) {
		return set_string(c->console_mail_store, sizeof c->console_mail_store, key, value, err, errlen);
	} else if (strcmp(key, "console.milter_metrics") == 0) {
		return set_string(c->console_milter_metrics, sizeof c->console_milter_metrics, key, value, err, errlen);
	} else if (strcmp(key, "console.trusted_proxy") == 0) {
		return set_string(c->console_trusted_proxy, sizeof c->console_trusted_proxy, key, value, err, errlen);
	} else if (strcmp(key, "console.session_idle_minutes") == 0) {
		double d;
		if (set_number(&d, 1, 10080, key, value, err, errlen) != 0)
			return -1;
		c->console_session_idle = (long)d * 60;
		return 0;
	} else if (strcmp(key, "console.session_max_hours") == 0) {
		double d;
		if (set_number(&d, 1, 720, key, value, err, errlen) != 0)
			return -1;
		c->console_session_max = (long)d * 3600;
		return 0;
	} else if (strcmp(key, "console.threads") == 0) {
		double d;
		if (set_number(&d, 1, 64, key, value, err, errlen) != 0)
			return -1;
		c->console_threads = (unsigned)d;
		return 0;
	} else if (strcmp(key, "evidence.chromium") == 0) {
		return set_string(c->evidence_chromium, sizeof c->evidence_chromium, key, value, err, errlen);
	} else if (strcmp(key, "evidence.tlp") == 0) {
		static const char *const tlps[] = {"clear", "green", "amber", "amber+strict", "red"};
		for (size_t i = 0; i < sizeof tlps / sizeof tlps[0]; i++)
			if (!strcasecmp(value, tlps[i]))
				return set_string(c->evidence_tlp, sizeof c->evidence_tlp, key, tlps[i], err, errlen);
		snprintf(err, errlen, "%s: expected clear, green, amber, amber+strict or red, got \"%s\"", key, value);
		return -1;
	} else if (strcmp(key, "campaign.enabled") == 0) {
		return set_yesno(&c->campaign_enabled, key, value, err, errlen);
	} else if (strcmp(key, "campaign.auto_malicious") == 0) {
		return set_yesno(&c->campaign_auto, key, value, err, errlen);
	} else if (strcmp(key, "campaign.window") == 0) {
		/* a number with an optional unit: s, m, h, d */
		char *end = NULL;
		errno = 0;
		double v = strtod(value, &end);
		double unit = 1;
		if (end && *end && !end[1])
			unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
		else if (end && *end)
			unit = 0;
		if (errno || end == value || unit == 0 || !(v * unit >= 60) || v * unit > 3650.0 * 86400) {
			snprintf(err, errlen, "%s: expected a duration from 1m to 3650d (e.g. 30d, 12h), got \"%s\"",
			         key, value);
			return -1;
		}
		c->campaign_window = (long)(v * unit);
		return 0;
	} else if (strcmp(key, "campaign.similarity") == 0) {
		return set_number(&c->campaign_similarity, 0.1, 1, key, value, err, errlen);
	} else if (strcmp(key, "campaign.score") == 0) {
		return set_number(&c->campaign_score, 0, 1000, key, value, err, errlen);
	} else if (strcmp(key, "campaign.min_recipients") == 0) {
		double d;
		if (set_number(&d, 2, 1e6, key, value, err, errlen) != 0)
			return -1;
		c->campaign_min_recipients = (long)d;
		return 0;
	}
unknown:
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
			/* every [person] section is a new person */
			if (!strcmp(section, "person") && !current_person(c, 1)) {
				snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
				rc = -1;
				break;
			}
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
		char where[1100];
		snprintf(where, sizeof where, "%s:%u", path, lineno);
		if (set_at(c, full, v, where, msg, sizeof msg) != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	fclose(f);
	for (size_t i = 0; rc == 0 && i < c->npeople; i++) {
		if (!c->people[i].names.n) {
			snprintf(err, errlen, "%s: [person] number %zu has no name", path, i + 1);
			rc = -1;
		}
	}
	if (rc == 0 && pc_config_store_finish(c, msg, sizeof msg) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		rc = -1;
	}
	return rc;
}

static int store_finish(pc_config *c, char *err, size_t errlen);

static int quarantine_finish(pc_config *c, char *err, size_t errlen)
{
	if (!c->quarantine_in_store)
		return 0;
	if (strncmp(c->history_db, "postgres", 8)) {
		snprintf(err, errlen,
		         "[quarantine] location = store needs the shared store ([store] backend = postgresql)");
		return -1;
	}
	if (c->quarantine_dir[0] && strcmp(c->quarantine_dir, c->history_db)) {
		snprintf(err, errlen, "[quarantine] location = store and a directory: name one");
		return -1;
	}
	snprintf(c->quarantine_dir, sizeof c->quarantine_dir, "%s", c->history_db);
	return 0;
}

int pc_config_store_finish(pc_config *c, char *err, size_t errlen)
{
	int rc = store_finish(c, err, errlen);
	return rc ? rc : quarantine_finish(c, err, errlen);
}

static int store_finish(pc_config *c, char *err, size_t errlen)
{
	if (!c->store_postgresql) {
		if (c->store_conninfo[0]) {
			snprintf(err, errlen, "[store] conninfo is for backend = postgresql");
			return -1;
		}
		return 0;
	}
	if (!strncmp(c->store_journal, "postgres", 8)) {
		snprintf(err, errlen, "[store] journal: a local directory (it keeps what the store could not)");
		return -1;
	}
	if (!c->store_conninfo[0]) {
		snprintf(err, errlen, "[store] backend = postgresql needs [store] conninfo");
		return -1;
	}
	if (c->history_db[0] && strncmp(c->history_db, "postgres", 8)) {
		snprintf(err, errlen, "[history] database names a file but [store] backend = postgresql: name one");
		return -1;
	}
	bool uri = !strncmp(c->store_conninfo, "postgresql://", 13) || !strncmp(c->store_conninfo, "postgres://", 11);
	int n = snprintf(c->history_db, sizeof c->history_db, "%s%s", uri ? "" : "postgresql:", c->store_conninfo);
	if (n < 0 || (size_t)n >= sizeof c->history_db) {
		snprintf(err, errlen, "[store] conninfo: too long");
		return -1;
	}
	return 0;
}
