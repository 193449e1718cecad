/*
 * NAME
 *   ioc_misp - indicators from MISP events (MISP core format)
 * DESCRIPTION
 *   A file is a MISP event when its JSON is {"Event": {...}}, a bare event
 *   (an object with "Attribute" or "Object"), a list of either, or a REST
 *   search result {"response": [...]}. Every attribute of the event and of
 *   its objects is read; what is loaded:
 *     email-src, email-reply-to, email, email-dst?no  -> email
 *       (email-dst is a recipient: a victim, never an indicator)
 *     domain, hostname, domain|ip (both halves)        -> domain / host / ip
 *     url, uri, link                                   -> url
 *     ip-src, ip-dst, ip-src|port, ip-dst|port         -> ip
 *     email-subject                                    -> subject
 *     email-message-id                                 -> message-id
 *     sha256                                           -> sha256
 *     pattern-in-traffic whose regex is a Portcullis URL template
 *       (campaign/template_re.h)                       -> template
 *   An object attribute counts by its type whatever its object_relation,
 *   but a "to"/"cc" relation (recipients) is never loaded. Attributes with
 *   to_ids false (MISP's "not for detection"), deleted ones and every
 *   other type are skipped and counted (pc_ioc_skipped). At most
 *   MISP_EVENTS events and the usual PC_IOC_MAX indicators.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "campaign/template_re.h"
#include "hunt/ioc_impl.h"

#define MISP_EVENTS 10000

static const struct {
	const char *misp;
	int type;
} types[] = {
    {"email-src", T_EMAIL},
    {"email-reply-to", T_EMAIL},
    {"email", T_EMAIL},
    {"whois-registrant-email", T_EMAIL},
    {"domain", T_DOMAIN},
    {"hostname", T_HOST},
    {"url", T_URL},
    {"uri", T_URL},
    {"link", T_URL},
    {"ip-src", T_IP4},
    {"ip-dst", T_IP4},
    {"email-subject", T_SUBJECT},
    {"email-message-id", T_MSGID},
    {"sha256", T_SHA},
};

static void skip(loader *ld, const char *why)
{
	pc_ioc *ioc = ld->ioc;
	if (!ioc->first_skip)
		ioc->first_skip = pc_arena_printf(ioc->arena, "%s: %s", ld->origin, why);
	ioc->skipped++;
}

static int add(loader *ld, int type, const char *v, size_t n)
{
	const char *bad;
	int rc = pc_ioc_add_typed(ld, type, v, n, &bad);
	if (rc == ADD_BAD) {
		char msg[200];
		snprintf(msg, sizeof msg, "not a valid %s: %.100s", pc_ioc_type_names[type], bad ? bad : "?");
		skip(ld, msg);
		return ADD_OK;
	}
	return rc;
}

static int attribute(loader *ld, json_t *a)
{
	const char *type = json_string_value(json_object_get(a, "type"));
	const char *value = json_string_value(json_object_get(a, "value"));
	const char *rel = json_string_value(json_object_get(a, "object_relation"));
	json_t *ids = json_object_get(a, "to_ids");
	if (!type || !value || !*value) {
		skip(ld, "attribute without type or value");
		return ADD_OK;
	}
	if (json_is_true(json_object_get(a, "deleted"))) {
		skip(ld, "deleted attribute");
		return ADD_OK;
	}
	if (json_is_false(ids) || (json_is_string(ids) && !strcmp(json_string_value(ids), "0"))) {
		skip(ld, "to_ids is false");
		return ADD_OK;
	}
	if (rel && (!strcmp(rel, "to") || !strcmp(rel, "cc") || !strcmp(rel, "to-display-name"))) {
		skip(ld, "a recipient");
		return ADD_OK;
	}
	size_t n = json_string_length(json_object_get(a, "value"));
	if (!strcmp(type, "pattern-in-traffic")) {
		char t[PC_IOC_LINE_MAX + 1];
		if (!pc_template_from_regex(value, t, sizeof t)) {
			skip(ld, "pattern-in-traffic other than a Portcullis URL template");
			return ADD_OK;
		}
		return add(ld, T_TEMPLATE, t, strlen(t));
	}
	const char *bar = strchr(value, '|');
	if (!strcmp(type, "domain|ip") && bar) {
		int rc = add(ld, T_DOMAIN, value, (size_t)(bar - value));
		return rc == ADD_FATAL ? rc : add(ld, T_IP4, bar + 1, strlen(bar + 1));
	}
	if ((!strcmp(type, "ip-src|port") || !strcmp(type, "ip-dst|port")) && bar)
		return add(ld, T_IP4, value, (size_t)(bar - value));
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(type, types[i].misp))
			return add(ld, types[i].type, value, n);
	char msg[120];
	snprintf(msg, sizeof msg, "attribute type %.60s not used", type);
	skip(ld, msg);
	return ADD_OK;
}

static void origin(loader *ld, json_t *ev, size_t index)
{
	const char *u = json_string_value(json_object_get(ev, "uuid"));
	const char *info = json_string_value(json_object_get(ev, "info"));
	bool ok = u && strlen(u) <= 64;
	for (const char *p = u; ok && *p; p++)
		ok = g_ascii_isxdigit(*p) || *p == '-';
	if (ok)
		snprintf(ld->originbuf, sizeof ld->originbuf, "%s: MISP event %s", ld->name, u);
	else
		snprintf(ld->originbuf, sizeof ld->originbuf, "%s: MISP event %zu", ld->name, index);
	(void)info;
	ld->origin = ld->originbuf;
}

static int event(loader *ld, json_t *ev, size_t index)
{
	if (json_is_object(json_object_get(ev, "Event")))
		ev = json_object_get(ev, "Event");
	if (!json_is_object(ev))
		return ADD_OK;
	origin(ld, ev, index);
	int rc = ADD_OK;
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(ev, "Attribute"), i, a)
	{
		if ((rc = attribute(ld, a)) == ADD_FATAL)
			return rc;
	}
	json_t *o;
	json_array_foreach(json_object_get(ev, "Object"), i, o)
	{
		if (json_is_true(json_object_get(o, "deleted")))
			continue;
		size_t k;
		json_array_foreach(json_object_get(o, "Attribute"), k, a)
		{
			if ((rc = attribute(ld, a)) == ADD_FATAL)
				return rc;
		}
	}
	return rc;
}

bool pc_ioc_is_misp(json_t *root)
{
	if (json_is_array(root))
		return true;
	return json_is_object(root) &&
	       (json_object_get(root, "Event") || json_object_get(root, "response") ||
	        json_is_array(json_object_get(root, "Attribute")) || json_is_array(json_object_get(root, "Object")));
}

int pc_ioc_load_misp(loader *ld, json_t *root)
{
	json_t *list = json_is_array(root) ? root : json_object_get(root, "response");
	if (!json_is_array(list))
		return event(ld, root, 0);
	if (json_array_size(list) > MISP_EVENTS)
		return pc_ioc_fatal(ld, "more than 10000 MISP events");
	size_t i;
	json_t *ev;
	json_array_foreach(list, i, ev)
	{
		int rc = event(ld, ev, i);
		if (rc == ADD_FATAL)
			return rc;
	}
	return ADD_OK;
}
