/*
 * NAME
 *   jobs - purges the console starts: `portcullis hunt --purge` as a child
 * DESCRIPTION
 *   A purge reads every mailbox of [console] mail_store, scans each
 *   message (hostile bytes) and moves the campaign's copies into the
 *   quarantine: the CLI's hunt does exactly that, so the console runs it
 *   (this same program, no shell) rather than parsing mail in its own
 *   process: `portcullis hunt --config C --db DB --campaign ID --purge
 *   --quarantine QDIR PATH...`, with USER set to the console's user so
 *   hunt's own audit records name who asked. A thread per job reads the
 *   child's output: each JSON line on stdout is one copy found (with
 *   "action": "purged" when moved), and stderr's progress line
 *   ("hunt: N messages, M matched, P purged") gives the counts while it
 *   runs. At most PC_JOBS jobs are remembered and one purge runs per
 *   campaign at a time. The job's output is kept (the last PC_JOB_LOG
 *   bytes) and shown on its page, which reloads itself while it runs.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "web/internal.h"

#define PC_JOBS 64
#define PC_JOB_LOG 16384

extern char **environ;

typedef struct job {
	long id;
	long long campaign;
	char actor[192];
	pid_t pid;
	bool running, audited;
	int exit;
	long scanned, matches, purged;
	time_t started, ended;
	GString *log;
	pthread_t thread;
	int out, err;
	pc_web *w;
} job;

struct pc_jobs {
	job j[PC_JOBS];
	long next;
};

struct pc_jobs *pc_jobs_new(void)
{
	struct pc_jobs *j = calloc(1, sizeof *j);
	if (j)
		j->next = 1;
	return j;
}

void pc_jobs_free(struct pc_jobs *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < PC_JOBS; i++) {
		if (j->j[i].running && j->j[i].pid > 0)
			kill(j->j[i].pid, SIGTERM);
		if (j->j[i].id && j->j[i].thread)
			pthread_join(j->j[i].thread, NULL);
		if (j->j[i].log)
			g_string_free(j->j[i].log, TRUE);
	}
	free(j);
}

static void keep_log(job *jb, const char *s, size_t n)
{
	g_string_append_len(jb->log, s, (gssize)n);
	if (jb->log->len > PC_JOB_LOG)
		g_string_erase(jb->log, 0, (gssize)(jb->log->len - PC_JOB_LOG));
}

/* the reader: stdout lines (copies) and stderr progress, under w->lock */
static void *reader(void *arg)
{
	job *jb = arg;
	pc_web *w = jb->w;
	GString *line = g_string_new(""), *prog = g_string_new("");
	struct pollfd p[2] = {{jb->out, POLLIN, 0}, {jb->err, POLLIN, 0}};
	int open = 2;
	char buf[4096];
	while (open > 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < 2; k++) {
			if (p[k].fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[k].fd, buf, sizeof buf);
			if (n <= 0) {
				close(p[k].fd);
				p[k].fd = -1;
				open--;
				continue;
			}
			pthread_mutex_lock(&w->lock);
			if (k == 0) {
				for (ssize_t i = 0; i < n; i++) {
					if (buf[i] != '\n') {
						if (line->len < 65536)
							g_string_append_c(line, buf[i]);
						continue;
					}
					jb->matches++;
					if (strstr(line->str, "\"purged\""))
						jb->purged++;
					g_string_truncate(line, 0);
				}
			} else {
				for (ssize_t i = 0; i < n; i++) {
					char c = buf[i];
					if (c == '\r' || c == '\n') {
						long a, b, cc;
						if (sscanf(prog->str, "hunt: %ld messages, %ld matched, %ld purged", &a,
						           &b, &cc) == 3)
							jb->scanned = a;
						else if (sscanf(prog->str, "portcullis: hunt: %ld messages in", &a) ==
						         1)
							jb->scanned = a, keep_log(jb, prog->str, prog->len),
							keep_log(jb, "\n", 1);
						else if (prog->len)
							keep_log(jb, prog->str, prog->len), keep_log(jb, "\n", 1);
						g_string_truncate(prog, 0);
					} else if (prog->len < 4096) {
						g_string_append_c(prog, c);
					}
				}
			}
			pthread_mutex_unlock(&w->lock);
		}
	}
	int status = 0;
	while (waitpid(jb->pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&w->lock);
	if (prog->len)
		keep_log(jb, prog->str, prog->len);
	jb->exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	jb->running = false;
	jb->ended = time(NULL);
	pthread_mutex_unlock(&w->lock);
	g_string_free(line, TRUE);
	g_string_free(prog, TRUE);
	return NULL;
}

long pc_jobs_purge(pc_web *w, long long campaign, const char *actor, char *err, size_t errlen)
{
	if (!w->cfg.console_mail_store[0]) {
		snprintf(err, errlen, "no mail store to purge: set [console] mail_store");
		return -1;
	}
	if (!w->cfg.quarantine_dir[0]) {
		snprintf(err, errlen, "no quarantine: set [quarantine] directory");
		return -1;
	}
	char camp[32];
	snprintf(camp, sizeof camp, "%lld", campaign);
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(argv, g_strdup(w->self));
	g_ptr_array_add(argv, g_strdup("hunt"));
	if (w->config_path[0]) {
		g_ptr_array_add(argv, g_strdup("--config"));
		g_ptr_array_add(argv, g_strdup(w->config_path));
	}
	g_ptr_array_add(argv, g_strdup("--db"));
	g_ptr_array_add(argv, g_strdup(w->cfg.history_db));
	g_ptr_array_add(argv, g_strdup("--campaign"));
	g_ptr_array_add(argv, g_strdup(camp));
	g_ptr_array_add(argv, g_strdup("--purge"));
	g_ptr_array_add(argv, g_strdup("--quarantine"));
	g_ptr_array_add(argv, g_strdup(w->cfg.quarantine_dir));
	g_ptr_array_add(argv, g_strdup("--"));
	gchar **paths = g_strsplit_set(w->cfg.console_mail_store, " \t", -1);
	for (size_t i = 0; paths[i]; i++)
		if (*paths[i])
			g_ptr_array_add(argv, g_strdup(paths[i]));
	g_strfreev(paths);
	g_ptr_array_add(argv, NULL);

	/* the environment, with USER naming the console's user */
	GPtrArray *env = g_ptr_array_new_with_free_func(g_free);
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "USER=", 5) && strncmp(*e, "SUDO_USER=", 10))
			g_ptr_array_add(env, g_strdup(*e));
	g_ptr_array_add(env, g_strdup_printf("USER=%s", actor));
	g_ptr_array_add(env, NULL);

	pthread_mutex_lock(&w->lock);
	struct pc_jobs *js = w->jobs;
	job *slot = NULL;
	for (size_t i = 0; i < PC_JOBS; i++) {
		job *j = &js->j[i];
		if (j->running && j->campaign == campaign) {
			pthread_mutex_unlock(&w->lock);
			snprintf(err, errlen, "a purge of campaign %lld is running (job %ld)", campaign, j->id);
			g_ptr_array_free(argv, TRUE);
			g_ptr_array_free(env, TRUE);
			return -1;
		}
		if (!j->running && (!slot || j->id < slot->id))
			slot = j;
	}
	if (!slot) {
		pthread_mutex_unlock(&w->lock);
		snprintf(err, errlen, "too many purges running");
		g_ptr_array_free(argv, TRUE);
		g_ptr_array_free(env, TRUE);
		return -1;
	}
	if (slot->id && slot->thread)
		pthread_join(slot->thread, NULL);
	if (slot->log)
		g_string_free(slot->log, TRUE);
	memset(slot, 0, sizeof *slot);
	slot->log = g_string_new("");
	int out[2], er[2];
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(er, O_CLOEXEC) != 0) {
		pthread_mutex_unlock(&w->lock);
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		g_ptr_array_free(argv, TRUE);
		g_ptr_array_free(env, TRUE);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	/* serve blocks SIGINT and SIGTERM in every thread (sigtimedwait):
	 * the child gets an empty mask and default handlers, so stopping the
	 * console stops its purges */
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int rc = posix_spawn(&pid, w->self, &fa, &at, (char **)argv->pdata, (char **)env->pdata);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(er[1]);
	g_ptr_array_free(argv, TRUE);
	g_ptr_array_free(env, TRUE);
	if (rc != 0) {
		close(out[0]);
		close(er[0]);
		pthread_mutex_unlock(&w->lock);
		snprintf(err, errlen, "cannot start hunt: %s", strerror(rc));
		return -1;
	}
	slot->id = js->next++;
	slot->campaign = campaign;
	snprintf(slot->actor, sizeof slot->actor, "%s", actor);
	slot->pid = pid;
	slot->running = true;
	slot->started = time(NULL);
	slot->out = out[0];
	slot->err = er[0];
	slot->w = w;
	long id = slot->id;
	if (pthread_create(&slot->thread, NULL, reader, slot) != 0) {
		slot->thread = 0;
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		close(slot->out);
		close(slot->err);
		slot->running = false;
	}
	pthread_mutex_unlock(&w->lock);
	return id;
}

json_t *pc_jobs_get(pc_web *w, long id)
{
	json_t *r = NULL;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < PC_JOBS; i++) {
		job *j = &w->jobs->j[i];
		if (j->id != id || id == 0)
			continue;
		r = json_pack("{s:I,s:I,s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:o}", "id", (json_int_t)j->id, "campaign",
		              (json_int_t)j->campaign, "actor", j->actor, "state",
		              j->running     ? "running"
		              : j->exit == 0 ? "done"
		                             : "failed",
		              "exit", j->exit, "scanned", (json_int_t)j->scanned, "matches", (json_int_t)j->matches,
		              "purged", (json_int_t)j->purged, "started", (json_int_t)j->started, "ended",
		              (json_int_t)j->ended, "log", pc_jstr(j->log ? j->log->str : ""));
	}
	pthread_mutex_unlock(&w->lock);
	return r;
}

void pc_jobs_reap(pc_web *w, pc_store *st)
{
	char detail[256];
	for (size_t i = 0; i < PC_JOBS; i++) {
		pthread_mutex_lock(&w->lock);
		job *j = &w->jobs->j[i];
		bool now = j->id && !j->running && !j->audited;
		long long camp = j->campaign;
		char actor[192];
		snprintf(actor, sizeof actor, "%s", j->actor);
		if (now) {
			j->audited = true;
			snprintf(detail, sizeof detail,
			         "purge job %ld %s: %ld messages read, %ld copies found, %ld moved to "
			         "quarantine (exit %d)",
			         j->id, j->exit == 0 ? "done" : "failed", j->scanned, j->matches, j->purged, j->exit);
		}
		pthread_mutex_unlock(&w->lock);
		if (now)
			pc_store_audit(st, time(NULL), actor, "purge-end", camp, NULL, detail);
	}
}
