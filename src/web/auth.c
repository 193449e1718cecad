/*
 * NAME
 *   auth - the console's accounts, sessions and the brake on guessing
 * DESCRIPTION
 *   Accounts live in the store (console_user; `portcullis user` and the
 *   admin's page write them), passwords as argon2id hashes
 *   (app/password.h). One verification runs at a time (each takes 64 MiB
 *   and about 0.1 s): a flood of logins queues instead of exhausting
 *   memory. An unknown user is verified against a dummy hash, so the time
 *   does not tell which accounts exist.
 *
 *   Guessing is slowed per client address (an IPv6 client per /64) and
 *   per account name: after PC_FREE_TRIES failures within PC_WINDOW
 *   seconds each further attempt
 *   must wait 2^(failures - PC_FREE_TRIES) seconds after the last failure
 *   (at most PC_MAX_WAIT), timed in milliseconds; an attempt inside the
 *   wait is refused (429, with the seconds left) without a verification
 *   and without changing the count, so a guesser gets one verification
 *   per wait, and the waits double with each real failure. Success
 *   clears the account's count (not the address's). Entries are made at
 *   a failure, never at a refusal; the table is bounded (PC_RL_SLOTS) and
 *   an entry still in its wait is never reused, so filling the table does
 *   not lift a brake: with no slot left, every login waits 5 s. At most
 *   PC_VERIFY_QUEUE verifications wait for the one running; more are
 *   refused. A refusal is audited once per wait, not per attempt.
 *
 *   Sessions live in this process (PC_WEB_SESSIONS; a restart logs
 *   everyone out): 32 random bytes for the identifier and another 32 for
 *   the CSRF token, both made at login, never taken from the client (no
 *   fixation: a cookie sent before login is ignored and replaced). A
 *   session ends at logout, after console.session_idle_minutes unused, or
 *   console.session_max_hours after login; when the table is full the
 *   least recently used session ends. Every login, failure and lockout is
 *   in the audit log.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/password.h"
#include "web/internal.h"

#define PC_FREE_TRIES 5
#define PC_WINDOW 900
#define PC_MAX_WAIT 300
#define PC_RL_SLOTS 4096
#define PC_VERIFY_QUEUE 4 /* verifications waiting at most; more get 429 */

typedef struct rl_entry {
	char key[96]; /* "ip:ADDR" or "user:NAME" */
	int failures;
	long long first, last;     /* ms, CLOCK_MONOTONIC */
	long long refusal_audited; /* the `last` whose wait has its audit record */
} rl_entry;

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct pc_ratelimit {
	rl_entry e[PC_RL_SLOTS];
};

struct pc_ratelimit *pc_ratelimit_new(void)
{
	return calloc(1, sizeof(struct pc_ratelimit));
}

void pc_ratelimit_free(struct pc_ratelimit *rl)
{
	free(rl);
}

const char *pc_role_name(int role)
{
	switch (role) {
	case PC_ROLE_VIEWER:
		return "viewer";
	case PC_ROLE_ANALYST:
		return "analyst";
	case PC_ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

int pc_role_parse(const char *s)
{
	if (!s)
		return PC_ROLE_NONE;
	if (!strcmp(s, "viewer"))
		return PC_ROLE_VIEWER;
	if (!strcmp(s, "analyst"))
		return PC_ROLE_ANALYST;
	if (!strcmp(s, "admin"))
		return PC_ROLE_ADMIN;
	return PC_ROLE_NONE;
}

static long long rl_wait(const rl_entry *e, long long now);

/* with w->lock held: the entry of key; with create, a new one in a free
 * slot or in place of the entry idle longest whose wait is over -- never
 * one still in its wait (filling the table must not reset a brake); NULL
 * when every slot is braking (the caller then brakes everyone) */
static rl_entry *rl_find(struct pc_ratelimit *rl, const char *key, long long now, bool create)
{
	rl_entry *victim = NULL;
	for (size_t i = 0; i < PC_RL_SLOTS; i++) {
		rl_entry *e = &rl->e[i];
		if (e->key[0] && !strcmp(e->key, key)) {
			if (now - e->last > PC_WINDOW * 1000LL && rl_wait(e, now) == 0)
				e->failures = 0, e->first = now;
			return e;
		}
		if (!e->key[0])
			victim = victim && !victim->key[0] ? victim : e;
		else if ((!victim || (victim->key[0] && e->last < victim->last)) && rl_wait(e, now) == 0)
			victim = e;
	}
	if (!create || !victim)
		return NULL;
	memset(victim, 0, sizeof *victim);
	snprintf(victim->key, sizeof victim->key, "%s", key);
	victim->first = victim->last = now;
	return victim;
}

/* milliseconds left to wait */
static long long rl_wait(const rl_entry *e, long long now)
{
	if (!e || e->failures < PC_FREE_TRIES)
		return 0;
	int k = e->failures - PC_FREE_TRIES;
	long long wait = (k >= 9 ? PC_MAX_WAIT : 1LL << k) * 1000LL;
	if (wait > PC_MAX_WAIT * 1000LL)
		wait = PC_MAX_WAIT * 1000LL;
	long long left = e->last + wait - now;
	return left > 0 ? left : 0;
}

typedef struct found {
	char hash[PC_PASSWORD_HASH];
	char role[16];
	bool disabled, any;
} found;

static int got_user(void *ctx, const pc_user *u)
{
	found *f = ctx;
	snprintf(f->hash, sizeof f->hash, "%s", u->hash);
	snprintf(f->role, sizeof f->role, "%s", u->role);
	f->disabled = u->disabled;
	f->any = true;
	return 0;
}

static void audit_login(pc_store *st, const char *user, const char *ip, const char *action, const char *detail)
{
	char actor[160];
	snprintf(actor, sizeof actor, "%s (console, %s)", user, ip);
	pc_store_audit(st, time(NULL), actor, action, 0, NULL, detail);
}

/* with w->lock held: a new session for user; the least recently used
 * slot when all are taken */
static void session_new(pc_web *w, const char *user, int role, pc_session *out)
{
	time_t now = time(NULL);
	pc_session *slot = &w->sessions[0];
	for (size_t i = 0; i < PC_WEB_SESSIONS; i++) {
		pc_session *s = &w->sessions[i];
		if (!s->id[0]) {
			slot = s;
			break;
		}
		if (s->seen < slot->seen)
			slot = s;
	}
	memset(slot, 0, sizeof *slot);
	pc_random_token(slot->id);
	pc_random_token(slot->csrf);
	snprintf(slot->user, sizeof slot->user, "%s", user);
	slot->role = role;
	slot->created = slot->seen = now;
	*out = *slot;
}

int pc_auth_login(pc_web *w, pc_store *st, const char *ip, const char *user, const char *password, pc_session *s,
                  long *retry)
{
	long long now = now_ms();
	char kip[96], kuser[96];
	/* an IPv6 client holds a /64: its addresses are one key */
	struct in6_addr a6;
	if (strchr(ip, ':') && inet_pton(AF_INET6, ip, &a6) == 1) {
		memset(a6.s6_addr + 8, 0, 8);
		char net[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &a6, net, sizeof net);
		snprintf(kip, sizeof kip, "ip:%s/64", net);
	} else {
		snprintf(kip, sizeof kip, "ip:%s", ip);
	}
	char u80[81];
	snprintf(kuser, sizeof kuser, "user:%s", pc_cut(u80, sizeof u80, user));
	char shown[80];
	pc_cut(shown, 65, user);
	for (char *p = shown; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';

	pthread_mutex_lock(&w->lock);
	rl_entry *a = rl_find(w->rl, kip, now, false), *b = rl_find(w->rl, kuser, now, false);
	long long wa = rl_wait(a, now), wb = rl_wait(b, now), left = wa > wb ? wa : wb;
	/* the table full of braking entries, or too many verifications
	 * already waiting: everyone waits (one verification at a time, each
	 * ~0.1 s and 64 MiB; a flood must not hold every request thread) */
	if (left <= 0 && (w->rl_saturated_until > now || w->verify_waiting >= PC_VERIFY_QUEUE))
		left = w->rl_saturated_until > now ? w->rl_saturated_until - now : 1000;
	*retry = (long)((left + 999) / 1000);
	bool audit_refusal = false;
	if (left > 0) {
		/* one audit record per key and wait, not one per attempt */
		rl_entry *e = wa >= wb ? a : b;
		if (e && e->refusal_audited != e->last)
			e->refusal_audited = e->last, audit_refusal = true;
		else if (!e && now - w->rl_global_audited > 60000)
			w->rl_global_audited = now, audit_refusal = true;
		pthread_mutex_unlock(&w->lock);
		if (audit_refusal)
			audit_login(st, shown, ip, "login-refused", "too many failed attempts: slowed down");
		return 2;
	}
	w->verify_waiting++;
	pthread_mutex_unlock(&w->lock);

	found f = {0};
	int rc = strlen(user) < 64 ? pc_store_user_get(st, user, got_user, &f) : 0;
	bool ok = false;
	if (rc >= 0) {
		pthread_mutex_lock(&w->verify_lock);
		ok = pc_password_verify(f.any ? f.hash : NULL, password);
		pthread_mutex_unlock(&w->verify_lock);
	}
	pthread_mutex_lock(&w->lock);
	w->verify_waiting--;
	pthread_mutex_unlock(&w->lock);
	if (rc < 0)
		return -1;
	int role = pc_role_parse(f.role);
	ok = ok && f.any && !f.disabled && role != PC_ROLE_NONE;

	pthread_mutex_lock(&w->lock);
	now = now_ms();
	a = rl_find(w->rl, kip, now, true);
	b = rl_find(w->rl, kuser, now, true);
	if (ok) {
		if (b)
			b->failures = 0;
		w->logins_ok++;
		session_new(w, user, role, s);
	} else {
		if (a)
			a->failures++, a->last = now;
		if (b)
			b->failures++, b->last = now;
		if (!a || !b) /* no slot to remember it in: brake everyone a while */
			w->rl_saturated_until = now + 5000;
		w->logins_failed++;
	}
	pthread_mutex_unlock(&w->lock);
	audit_login(st, shown, ip, ok ? "login" : "login-failed",
	            ok ? pc_role_name(role)
	               : (f.any ? (f.disabled ? "account disabled" : "wrong password") : "no such user"));
	return ok ? 1 : 0;
}

bool pc_auth_session(pc_web *w, const char *cookie, pc_session *out)
{
	memset(out, 0, sizeof *out);
	if (!cookie || strlen(cookie) != PC_TOKEN_LEN - 1)
		return false;
	time_t now = time(NULL);
	bool ok = false;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < PC_WEB_SESSIONS; i++) {
		pc_session *s = &w->sessions[i];
		if (!s->id[0] || !pc_secret_equal(s->id, cookie))
			continue;
		if (now - s->seen > w->session_idle || now - s->created > w->session_max) {
			memset(s, 0, sizeof *s);
			break;
		}
		s->seen = now;
		*out = *s;
		out->flash[0] = '\0';
		ok = true;
		break;
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

void pc_auth_logout(pc_web *w, const char *id)
{
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < PC_WEB_SESSIONS; i++)
		if (w->sessions[i].id[0] && !strcmp(w->sessions[i].id, id))
			memset(&w->sessions[i], 0, sizeof w->sessions[i]);
	pthread_mutex_unlock(&w->lock);
}

void pc_auth_end_user(pc_web *w, const char *user)
{
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < PC_WEB_SESSIONS; i++)
		if (w->sessions[i].id[0] && !strcmp(w->sessions[i].user, user))
			memset(&w->sessions[i], 0, sizeof w->sessions[i]);
	pthread_mutex_unlock(&w->lock);
}

void pc_auth_flash(pc_web *w, const char *id, const char *msg)
{
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < PC_WEB_SESSIONS; i++)
		if (w->sessions[i].id[0] && !strcmp(w->sessions[i].id, id))
			snprintf(w->sessions[i].flash, sizeof w->sessions[i].flash, "%s", msg);
	pthread_mutex_unlock(&w->lock);
}

void pc_auth_take_flash(pc_web *w, const char *id, char *out, size_t len)
{
	out[0] = '\0';
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < PC_WEB_SESSIONS; i++)
		if (w->sessions[i].id[0] && !strcmp(w->sessions[i].id, id)) {
			snprintf(out, len, "%s", w->sessions[i].flash);
			w->sessions[i].flash[0] = '\0';
		}
	pthread_mutex_unlock(&w->lock);
}

typedef struct now_user {
	bool found, disabled;
	char role[16];
	time_t changed;
} now_user;

static int got_now(void *ctx, const pc_user *u)
{
	now_user *n = ctx;
	n->found = true;
	n->disabled = u->disabled;
	n->changed = u->changed;
	snprintf(n->role, sizeof n->role, "%s", u->role);
	return 0;
}

bool pc_auth_recheck(pc_web *w, pc_store *st, const pc_session *s)
{
	now_user n = {0};
	int rc = pc_store_user_get(st, s->user, got_now, &n);
	if (rc < 0)
		return true; /* the store failing is not the account's doing: the page will say */
	bool ok = rc == 1 && n.found && !n.disabled && pc_role_parse(n.role) == s->role && n.changed <= s->created;
	if (!ok)
		pc_auth_end_user(w, s->user);
	return ok;
}
