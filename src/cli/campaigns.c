/*
 * NAME
 *   campaigns - the campaigns command: list, show, mark
 * SYNOPSIS
 *   portcullis campaigns [--db FILE] [--json] [--min-size N]
 *   portcullis campaigns show ID [--json]
 *   portcullis campaigns mark ID malicious|benign|open [--reason TEXT]
 * DESCRIPTION
 *   Reads the store that `scan --db` and the milter write. The JSON list
 *   follows DESIGN.md's contract (id, size, recipients, first_seen,
 *   last_seen, senders, tracker_hosts, verdict, members) plus status, why,
 *   subject, distinct_tokens and templates. `show` is the evidence an
 *   analyst reads: why it is (or is not) malicious, the timeline, the
 *   recipients, senders, tracker templates, infrastructure and the audit
 *   log. `mark` records the analyst's judgement with an audit record;
 *   malicious makes every member quarantine.
 *   Text from the store came from mail: it is printed with control
 *   characters replaced, and made valid UTF-8 for JSON.
 */
#include "cli/campaigns.h"

#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/jsonw.h"
#include "app/options.h"
#include "store/store.h"

static const char usage[] = "usage: portcullis campaigns [options]                 list campaigns\n"
                            "       portcullis campaigns show ID [options]         the evidence of one campaign\n"
                            "       portcullis campaigns mark ID malicious|benign|open [--reason TEXT]\n"
                            "\n"
                            "A campaign is one template sent to several recipients (see `scan --db`).\n"
                            "Marking one malicious makes every member quarantine (`hunt --campaign ID\n"
                            "--purge` removes delivered copies); benign stops campaign-level escalation.\n"
                            "\n"
                            "Options:\n"
                            "  -d, --db FILE        the store (default: [history] database of --config)\n"
                            "  -c, --config FILE    read settings from FILE\n"
                            "  -j, --json           JSON instead of text\n"
                            "  -m, --min-size N     list campaigns of at least N messages (default 2)\n"
                            "  -r, --reason TEXT    mark: why, kept in the audit log\n"
                            "  -h, --help           this text\n";

/* Valid UTF-8 with no control characters (C0, DEL, C1) and no bidi
 * overrides or isolates (which reorder what a terminal shows), for
 * terminals and JSON. */
static char *clean(const char *s)
{
	char *v = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(strlen(v));
	for (const char *p = v; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			g_string_append_c(out, '?');
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	g_free(v);
	return g_string_free(out, FALSE);
}

static void jstr(pc_jsonw *w, const char *s)
{
	char *c = clean(s);
	pc_jsonw_str(w, c);
	g_free(c);
}

static void kjstr(pc_jsonw *w, const char *k, const char *s)
{
	pc_jsonw_key(w, k);
	jstr(w, s);
}

static void ktime(pc_jsonw *w, const char *k, long long t)
{
	char b[32];
	pc_jsonw_key(w, k);
	pc_jsonw_str(w, pc_cli_time(t, b, sizeof b));
}

typedef struct ctx {
	pc_store *st;
	pc_jsonw *w;
	FILE *out;
	int err;
	size_t n;
} ctx;

static int json_value(void *c, const char *v, long count)
{
	(void)count;
	jstr(((ctx *)c)->w, v);
	return 0;
}

static int json_member_source(void *c, const pc_member_row *r)
{
	jstr(((ctx *)c)->w, r->source);
	return 0;
}

static void json_values(ctx *c, long long id, const char *key, const char *kind, size_t max)
{
	pc_jsonw_key(c->w, key);
	pc_jsonw_arr(c->w);
	if (pc_store_campaign_values(c->st, id, kind, max, json_value, c) != 0)
		c->err = 1;
	pc_jsonw_end(c->w);
}

static void json_campaign(ctx *c, const pc_campaign_rec *r)
{
	pc_jsonw *w = c->w;
	pc_jsonw_obj(w);
	char id[32];
	snprintf(id, sizeof id, "%lld", r->id);
	kjstr(w, "id", id);
	pc_jsonw_key(w, "size");
	pc_jsonw_int(w, r->size);
	pc_jsonw_key(w, "recipients");
	pc_jsonw_int(w, r->recipients);
	ktime(w, "first_seen", (long long)r->first_seen);
	ktime(w, "last_seen", (long long)r->last_seen);
	json_values(c, r->id, "senders", "sender", 0);
	json_values(c, r->id, "tracker_hosts", "tracker", 0);
	kjstr(w, "verdict", pc_action_name(r->verdict));
	kjstr(w, "status", pc_campaign_status_name(r->status));
	kjstr(w, "why", r->why);
	kjstr(w, "subject", r->subject);
	pc_jsonw_key(w, "distinct_tokens");
	pc_jsonw_int(w, r->tokens);
	json_values(c, r->id, "templates", "template", 0);
	pc_jsonw_key(w, "members");
	pc_jsonw_arr(w);
	if (pc_store_campaign_members(c->st, r->id, json_member_source, c) != 0)
		c->err = 1;
	pc_jsonw_end(w);
}

static int list_json(void *vc, const pc_campaign_rec *r)
{
	ctx *c = vc;
	if (c->n)
		fputc(',', c->out);
	json_campaign(c, r);
	pc_jsonw_end(c->w);
	/* one campaign at a time: a list of large campaigns is not held */
	fwrite(c->w->buf, 1, c->w->len, c->out);
	pc_jsonw_reset(c->w);
	c->n++;
	return 0;
}

static int first_value(void *vc, const char *v, long count)
{
	char **out = vc;
	(void)count;
	*out = clean(v);
	return 1;
}

static int list_text(void *vc, const pc_campaign_rec *r)
{
	ctx *c = vc;
	char a[32], b[32];
	char *sender = NULL, *tracker = NULL, *subject = clean(r->subject);
	pc_store_campaign_values(c->st, r->id, "sender", 1, first_value, &sender);
	pc_store_campaign_values(c->st, r->id, "tracker", 1, first_value, &tracker);
	if (!c->n)
		fprintf(c->out, "%-6s %6s %6s %-20s %-20s %-10s %-9s %-30s %-24s %s\n", "ID", "SIZE", "RCPTS",
		        "FIRST SEEN", "LAST SEEN", "VERDICT", "STATUS", "SENDER (first)", "TRACKER (first)", "SUBJECT");
	fprintf(c->out, "%-6lld %6ld %6ld %-20s %-20s %-10s %-9s %-30.30s %-24.24s %.60s\n", r->id, r->size,
	        r->recipients, pc_cli_time((long long)r->first_seen, a, sizeof a),
	        pc_cli_time((long long)r->last_seen, b, sizeof b), pc_action_name(r->verdict),
	        pc_campaign_status_name(r->status), sender ? sender : "-", tracker ? tracker : "-", subject);
	g_free(sender);
	g_free(tracker);
	g_free(subject);
	c->n++;
	return 0;
}

/* ---- show ---- */

static int text_value(void *vc, const char *v, long count)
{
	ctx *c = vc;
	char *s = clean(v);
	fprintf(c->out, "    %6ld  %s\n", count, s);
	g_free(s);
	return 0;
}

typedef struct timeline {
	ctx *c;
	char day[32];
	long n, quarantined;
	long long first, last;
	long rows;
} timeline;

static void day_line(timeline *t)
{
	if (!t->n)
		return;
	char a[32], b[32];
	fprintf(t->c->out, "    %s  %5ld messages (%s .. %s), %ld quarantine\n", t->day, t->n,
	        pc_cli_time(t->first, a, sizeof a) + 11, pc_cli_time(t->last, b, sizeof b) + 11, t->quarantined);
}

static int timeline_row(void *vt, const pc_member_row *r)
{
	timeline *t = vt;
	char d[32];
	pc_cli_time((long long)r->when, d, sizeof d);
	d[10] = '\0';
	if (strcmp(d, t->day)) {
		day_line(t);
		snprintf(t->day, sizeof t->day, "%s", d);
		t->n = t->quarantined = 0;
		t->first = (long long)r->when;
	}
	t->n++;
	t->last = (long long)r->when;
	t->quarantined += r->verdict >= PC_ACTION_QUARANTINE;
	return 0;
}

static int member_line(void *vc, const pc_member_row *r)
{
	ctx *c = vc;
	if (c->n++ >= 50)
		return 1;
	char t[32];
	char *src = clean(r->source), *from = clean(r->sender), *subj = clean(r->subject), *rc = clean(r->rcpt);
	fprintf(c->out, "    %s  %-10s %-22s %s -> %s  \"%.60s\"  %s\n", pc_cli_time((long long)r->when, t, sizeof t),
	        pc_action_name(r->verdict), *r->rule ? r->rule : "-", from, rc, subj, src);
	g_free(src);
	g_free(from);
	g_free(subj);
	g_free(rc);
	return 0;
}

static int audit_line(void *vc, const pc_audit_row *r)
{
	ctx *c = vc;
	char t[32];
	char *actor = clean(r->actor), *action = clean(r->action), *detail = clean(r->detail), *src = clean(r->source);
	fprintf(c->out, "    %s  %s %s%s%s  %s\n", pc_cli_time((long long)r->when, t, sizeof t), actor, action,
	        *src ? " " : "", src, detail);
	g_free(actor);
	g_free(action);
	g_free(detail);
	g_free(src);
	return 0;
}

static int audit_json(void *vc, const pc_audit_row *r)
{
	ctx *c = vc;
	pc_jsonw_obj(c->w);
	ktime(c->w, "time", (long long)r->when);
	kjstr(c->w, "actor", r->actor);
	kjstr(c->w, "action", r->action);
	kjstr(c->w, "source", r->source);
	kjstr(c->w, "detail", r->detail);
	pc_jsonw_end(c->w);
	return 0;
}

static int member_json(void *vc, const pc_member_row *r)
{
	ctx *c = vc;
	pc_jsonw *w = c->w;
	pc_jsonw_obj(w);
	kjstr(w, "source", r->source);
	kjstr(w, "message_id", r->message_id);
	ktime(w, "time", (long long)r->when);
	kjstr(w, "from", r->sender);
	kjstr(w, "rcpt", r->rcpt);
	kjstr(w, "subject", r->subject);
	kjstr(w, "verdict", pc_action_name(r->verdict));
	kjstr(w, "rule", r->rule);
	kjstr(w, "token", r->token);
	pc_jsonw_end(w);
	return 0;
}

static int json_count_value(void *vc, const char *v, long count)
{
	ctx *c = vc;
	pc_jsonw_obj(c->w);
	kjstr(c->w, "value", v);
	pc_jsonw_key(c->w, "messages");
	pc_jsonw_int(c->w, count);
	pc_jsonw_end(c->w);
	return 0;
}

static int show(pc_store *st, long long id, bool json)
{
	pc_campaign_rec r;
	int got = pc_store_campaign_get(st, id, &r);
	if (got < 0) {
		fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
		return 2;
	}
	if (!got) {
		fprintf(stderr, "portcullis: no campaign %lld\n", id);
		return 2;
	}
	ctx c = {st, NULL, stdout, 0, 0};
	static const struct {
		const char *kind, *key, *title;
	} kinds[] = {{"rcpt", "recipients", "Recipients"},
	             {"sender", "senders", "Senders"},
	             {"template", "templates", "Tracker URL templates"},
	             {"tracker", "tracker_hosts", "Tracker hosts"},
	             {"infra", "infrastructure", "Infrastructure (from:, rp:, dkim:, ip:, tracker:)"}};
	if (json) {
		pc_jsonw w;
		pc_jsonw_init(&w);
		c.w = &w;
		json_campaign(&c, &r);
		pc_jsonw_key(&w, "tokened");
		pc_jsonw_int(&w, r.tokened);
		pc_jsonw_key(&w, "first_contact");
		pc_jsonw_int(&w, r.first_contact);
		pc_jsonw_key(&w, "evidence");
		pc_jsonw_obj(&w);
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
			pc_jsonw_key(&w, kinds[i].key);
			pc_jsonw_arr(&w);
			if (pc_store_campaign_values(st, id, kinds[i].kind, 0, json_count_value, &c) != 0)
				c.err = 1;
			pc_jsonw_end(&w);
		}
		pc_jsonw_end(&w);
		pc_jsonw_key(&w, "timeline");
		pc_jsonw_arr(&w);
		if (pc_store_campaign_members(st, id, member_json, &c) != 0)
			c.err = 1;
		pc_jsonw_end(&w);
		pc_jsonw_key(&w, "audit");
		pc_jsonw_arr(&w);
		if (pc_store_audit_list(st, id, audit_json, &c) != 0)
			c.err = 1;
		pc_jsonw_end(&w);
		pc_jsonw_end(&w);
		if (!w.err) {
			fwrite(w.buf, 1, w.len, stdout);
			fputc('\n', stdout);
		}
		c.err |= w.err;
		pc_jsonw_free(&w);
	} else {
		char a[32], b[32];
		char *subject = clean(r.subject), *why = clean(r.why);
		printf("Campaign %lld: %s, verdict %s\n", r.id, pc_campaign_status_name(r.status),
		       pc_action_name(r.verdict));
		if (*why)
			printf("  Why: %s\n", why);
		printf("  Subject (normalised, first message): %s\n", subject);
		printf("  %ld messages to %ld distinct recipients from %ld senders, %s .. %s\n", r.size, r.recipients,
		       r.senders, pc_cli_time((long long)r.first_seen, a, sizeof a),
		       pc_cli_time((long long)r.last_seen, b, sizeof b));
		printf(
		    "  Tracking tokens: %ld messages carry one, %ld distinct; first-contact senders in %ld messages\n",
		    r.tokened, r.tokens, r.first_contact);
		g_free(subject);
		g_free(why);
		printf("\n  Timeline (UTC, per day):\n");
		timeline t;
		memset(&t, 0, sizeof t);
		t.c = &c;
		if (pc_store_campaign_members(st, id, timeline_row, &t) != 0)
			c.err = 1;
		day_line(&t);
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
			printf("\n  %s (messages, value; top 20):\n", kinds[i].title);
			if (pc_store_campaign_values(st, id, kinds[i].kind, 20, text_value, &c) != 0)
				c.err = 1;
		}
		printf("\n  Messages (first 50: time, verdict, rule, from -> rcpt, subject, source):\n");
		c.n = 0;
		if (pc_store_campaign_members(st, id, member_line, &c) != 0)
			c.err = 1;
		printf("\n  Audit:\n");
		if (pc_store_audit_list(st, id, audit_line, &c) != 0)
			c.err = 1;
	}
	if (c.err) {
		fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
		return 2;
	}
	return 0;
}

static int mark(pc_store *st, long long id, const char *what, const char *reason, pc_action action)
{
	pc_campaign_status s;
	if (!strcmp(what, "malicious"))
		s = PC_CAMPAIGN_MALICIOUS;
	else if (!strcmp(what, "benign"))
		s = PC_CAMPAIGN_BENIGN;
	else if (!strcmp(what, "open"))
		s = PC_CAMPAIGN_OPEN;
	else {
		fprintf(stderr, "portcullis: campaigns mark: expected malicious, benign or open, got \"%s\"\n", what);
		return 2;
	}
	pc_campaign_rec r;
	int got = pc_store_campaign_get(st, id, &r);
	if (got == 0) {
		fprintf(stderr, "portcullis: no campaign %lld\n", id);
		return 2;
	}
	char why[512];
	snprintf(why, sizeof why, "%s by %s%s%s", what, pc_cli_actor(), reason ? ": " : "", reason ? reason : "");
	time_t now = time(NULL);
	if (got < 0 || pc_store_begin(st) != 0 || pc_store_campaign_mark(st, id, s, true, action, why) != 0 ||
	    pc_store_audit(st, now, pc_cli_actor(), "mark", id, NULL, why) != 0 || pc_store_commit(st) != 0) {
		fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
		pc_store_rollback(st);
		return 2;
	}
	printf("campaign %lld marked %s (%ld messages)%s\n", id, what, r.size,
	       s == PC_CAMPAIGN_MALICIOUS ? ": every member is quarantine; `portcullis hunt --campaign ID --purge "
	                                    "MAILBOXES` removes delivered copies"
	                                  : "");
	return 0;
}

static bool parse_id(const char *s, long long *id)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0)
		return false;
	*id = v;
	return true;
}

int pc_cli_campaigns(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"min-size", required_argument, NULL, 'm'},
	                                     {"reason", required_argument, NULL, 'r'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *db = NULL, *config = NULL, *reason = NULL;
	bool json = false;
	long min_size = 2;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:jm:r:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'm': {
			char *end = NULL;
			min_size = strtol(optarg, &end, 10);
			if (!*optarg || *end || min_size < 1) {
				fprintf(stderr, "portcullis: --min-size %s: expected a number >= 1\n", optarg);
				return 2;
			}
			break;
		}
		case 'r':
			reason = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : NULL;
	long long id = 0;
	if (sub && strcmp(sub, "show") && strcmp(sub, "mark") && strcmp(sub, "list")) {
		fprintf(stderr, "portcullis: campaigns: unknown subcommand \"%s\"\n%s", sub, usage);
		return 2;
	}
	if (sub && strcmp(sub, "list") && (optind + 1 >= argc || !parse_id(argv[optind + 1], &id))) {
		fprintf(stderr, "portcullis: campaigns %s: expected a campaign ID\n", sub);
		return 2;
	}
	if (sub && !strcmp(sub, "mark") && optind + 2 >= argc) {
		fprintf(stderr, "portcullis: campaigns mark ID: expected malicious, benign or open\n");
		return 2;
	}
	pc_config cfg;
	pc_config_defaults(&cfg);
	int rc = 2;
	pc_store *st = NULL;
	if (pc_cli_config(&cfg, config, NULL, 0) != 0 || !(st = pc_cli_store(&cfg, db)))
		goto out;
	if (sub && !strcmp(sub, "show")) {
		rc = show(st, id, json);
	} else if (sub && !strcmp(sub, "mark")) {
		rc = mark(st, id, argv[optind + 2], reason, cfg.campaign_action);
	} else {
		pc_jsonw w;
		pc_jsonw_init(&w);
		ctx c = {st, &w, stdout, 0, 0};
		if (json)
			fputc('[', stdout);
		int lr = pc_store_campaign_list(st, min_size, json ? list_json : list_text, &c);
		if (json)
			fputs("]\n", stdout);
		pc_jsonw_free(&w);
		if (lr != 0 || c.err) {
			fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
			goto out;
		}
		if (!json && !c.n)
			printf("no campaigns of %ld or more messages\n", min_size);
		rc = 0;
	}
out:
	pc_store_close(st);
	pc_config_free(&cfg);
	return rc;
}
