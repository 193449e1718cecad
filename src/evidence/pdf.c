/*
 * NAME
 *   pdf - a report printed to PDF by headless Chromium (see pdf.h)
 */
#define _GNU_SOURCE /* close_range, nftw */
#include "evidence/pdf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PATH_LEN 4096
#define LOG_TAIL 8192 /* bytes of Chromium's stderr searched for its last word */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* name in a directory of PATH, executable; false when none is. */
static bool in_path(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		const char *e = strchr(p, ':');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l && *p == '/') { /* a relative PATH entry would depend on the cwd */
			int k = snprintf(out, outlen, "%.*s/%s", (int)l, p, name);
			if (k > 0 && (size_t)k < outlen && access(out, X_OK) == 0)
				return true;
		}
		if (!e)
			return false;
		p = e + 1;
	}
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path); /* what cannot go stays; the walk goes on */
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* "file://" and the path, percent-encoded but for unreserved bytes and '/' */
static bool file_url(const char *path, char *out, size_t outlen)
{
	static const char HEX[] = "0123456789ABCDEF";
	size_t k = 0;
	const char *pre = "file://";
	if (outlen < strlen(pre) + 1)
		return false;
	memcpy(out, pre, strlen(pre));
	k = strlen(pre);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		             strchr("/-._~", *p);
		if (k + 4 > outlen)
			return false;
		if (plain) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = HEX[*p >> 4];
			out[k++] = HEX[*p & 15];
		}
	}
	out[k] = '\0';
	return true;
}

/* The last line of Chromium's stderr that is not D-Bus noise (a
 * container has no bus), printable ASCII only, into buf. */
static void last_words(const char *log, char *buf, size_t len)
{
	char tail[LOG_TAIL + 1];
	buf[0] = '\0';
	int fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > LOG_TAIL ? end - LOG_TAIL : 0;
	ssize_t n = from >= 0 && lseek(fd, from, SEEK_SET) == from ? read(fd, tail, LOG_TAIL) : -1;
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	const char *best = NULL;
	size_t best_len = 0;
	for (char *p = tail; *p;) {
		char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l && !memmem(p, l, "dbus", 4)) {
			best = p;
			best_len = l;
		}
		if (!e)
			break;
		p = e + 1;
	}
	size_t k = 0;
	for (size_t i = 0; best && i < best_len && k + 1 < len; i++)
		buf[k++] = best[i] >= 0x20 && best[i] < 0x7f ? best[i] : '?';
	buf[k] = '\0';
}

static bool is_pdf(const char *path)
{
	char head[5];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	return n == (ssize_t)sizeof head && !memcmp(head, "%PDF-", 5);
}

/* from copied to out_path: a temporary file beside it, fsync, rename. */
static int install(const char *from, const char *out_path, char *err, size_t errlen)
{
	char tmp[PATH_LEN];
	int k = snprintf(tmp, sizeof tmp, "%s.XXXXXX", out_path);
	if (k < 0 || (size_t)k >= sizeof tmp)
		return fail(err, errlen, "%s: path too long", out_path);
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail(err, errlen, "%s: %s", from, strerror(errno));
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		close(in);
		return fail(err, errlen, "%s: %s", out_path, strerror(e));
	}
	char buf[65536];
	bool ok = true;
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ok = false;
		if (n <= 0)
			break;
		if (!write_all(fd, buf, (size_t)n)) {
			ok = false;
			break;
		}
	}
	int e = errno;
	close(in);
	if (ok && fsync(fd) != 0)
		ok = false, e = errno;
	if (close(fd) != 0 && ok)
		ok = false, e = errno;
	if (ok && rename(tmp, out_path) != 0)
		ok = false, e = errno;
	if (!ok) {
		unlink(tmp);
		return fail(err, errlen, "%s: %s", out_path, strerror(e));
	}
	return 0;
}

/* Everything one run names, in its private directory. */
typedef struct run {
	char dir[PATH_LEN], page[PATH_LEN], pdf[PATH_LEN], log[PATH_LEN], url[3 * PATH_LEN + 8];
	char a_profile[PATH_LEN + 16], a_pdf[PATH_LEN + 16];
	char e_home[PATH_LEN + 8], e_config[PATH_LEN + 24], e_cache[PATH_LEN + 24];
} run;

static bool fmt(char *out, size_t len, const char *a, const char *b)
{
	int k = snprintf(out, len, "%s%s", a, b);
	return k > 0 && (size_t)k < len;
}

/* environ without HOME and the XDG directories, which point into the
 * run's directory instead (Debian's launcher and Chromium write there). */
static char **child_env(run *r)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + 4, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "HOME=", 5) && strncmp(environ[i], "XDG_CONFIG_HOME=", 16) &&
		    strncmp(environ[i], "XDG_CACHE_HOME=", 15))
			env[k++] = environ[i];
	env[k++] = r->e_home;
	env[k++] = r->e_config;
	env[k++] = r->e_cache;
	env[k] = NULL;
	return env;
}

/* Runs exe to its end or PC_PDF_TIMEOUT; 0 when it exited 0. */
static int spawn(const char *exe, char *const argv[], char **env, run *r, char *err, size_t errlen)
{
	int logfd = open(r->log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (logfd < 0)
		return fail(err, errlen, "%s: %s", r->log, strerror(errno));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		close(logfd);
		return fail(err, errlen, "/dev/null: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* its own process group: on a timeout the renderer, GPU and
		 * zygote processes go with the browser */
		setpgid(0, 0);
		if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(126);
		close_range(3, ~0U, 0);
		execve(exe, argv, env);
		_exit(127);
	}
	int e = errno;
	close(null);
	close(logfd);
	if (pid < 0)
		return fail(err, errlen, "fork: %s", strerror(e));
	setpgid(pid, pid); /* either of the two calls wins the race */

	struct timespec start, now, nap = {0, 20 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &start);
	int status = 0;
	bool timed_out = false;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			status = -1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= PC_PDF_TIMEOUT) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			timed_out = true;
			break;
		}
		nanosleep(&nap, NULL);
	}
	/* helpers the browser left behind are of its group: ours to end */
	kill(-pid, SIGKILL);
	if (timed_out)
		return fail(err, errlen, "%s did not finish within %d s: killed", exe, PC_PDF_TIMEOUT);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char words[256];
		last_words(r->log, words, sizeof words);
		if (status != -1 && WIFSIGNALED(status))
			return fail(err, errlen, "%s: killed by signal %d%s%s", exe, WTERMSIG(status),
			            *words ? ": " : "", words);
		return fail(err, errlen, "%s: exit %d%s%s", exe, status == -1 ? -1 : WEXITSTATUS(status),
		            *words ? ": " : "", words);
	}
	return 0;
}

static int render(run *r, const char *exe, const char *html, size_t n, const char *out_path, char *err, size_t errlen)
{
	if (!fmt(r->page, sizeof r->page, r->dir, "/report.html") ||
	    !fmt(r->pdf, sizeof r->pdf, r->dir, "/report.pdf") ||
	    !fmt(r->log, sizeof r->log, r->dir, "/chromium.log") ||
	    !fmt(r->a_profile, sizeof r->a_profile, "--user-data-dir=", r->dir) ||
	    !fmt(r->a_pdf, sizeof r->a_pdf, "--print-to-pdf=", r->pdf) ||
	    !fmt(r->e_home, sizeof r->e_home, "HOME=", r->dir) ||
	    !fmt(r->e_config, sizeof r->e_config, "XDG_CONFIG_HOME=", r->dir) ||
	    !fmt(r->e_cache, sizeof r->e_cache, "XDG_CACHE_HOME=", r->dir) || !file_url(r->page, r->url, sizeof r->url))
		return fail(err, errlen, "%s: path too long", r->dir);
	/* the profile in a directory of its own under the run's */
	if (strlen(r->a_profile) + 8 >= sizeof r->a_profile)
		return fail(err, errlen, "%s: path too long", r->dir);
	memcpy(r->a_profile + strlen(r->a_profile), "/profile", 9);

	int fd = open(r->page, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(err, errlen, "%s: %s", r->page, strerror(errno));
	bool ok = write_all(fd, html, n);
	int e = errno;
	if (close(fd) != 0 && ok)
		ok = false, e = errno;
	if (!ok)
		return fail(err, errlen, "%s: %s", r->page, strerror(e));

	char *argv[32];
	size_t k = 0;
	argv[k++] = (char *)exe;
	argv[k++] = "--headless";
	if (geteuid() == 0)
		argv[k++] = "--no-sandbox"; /* Chromium will not start its sandbox as root */
	argv[k++] = "--disable-gpu";
	argv[k++] = "--disable-quic";
	argv[k++] = "--no-first-run";
	argv[k++] = "--no-default-browser-check";
	argv[k++] = "--disable-background-networking";
	argv[k++] = "--disable-component-update";
	argv[k++] = "--disable-sync";
	argv[k++] = "--disable-extensions";
	argv[k++] = "--disable-default-apps";
	argv[k++] = "--disable-breakpad";
	argv[k++] = "--disable-dev-shm-usage";
	argv[k++] = "--mute-audio";
	argv[k++] = "--disable-features=NetworkTimeServiceQuerying";
	argv[k++] = "--host-resolver-rules=MAP * ~NOTFOUND";
	argv[k++] = r->a_profile;
	argv[k++] = "--no-pdf-header-footer";
	argv[k++] = r->a_pdf;
	argv[k++] = r->url;
	argv[k] = NULL;
	char **env = child_env(r);
	if (!env)
		return fail(err, errlen, "out of memory");
	int rc = spawn(exe, argv, env, r, err, errlen);
	free(env);
	if (rc != 0)
		return rc;
	if (!is_pdf(r->pdf)) {
		char words[256];
		last_words(r->log, words, sizeof words);
		return fail(err, errlen, "%s wrote no PDF%s%s", exe, *words ? ": " : "", words);
	}
	return install(r->pdf, out_path, err, errlen);
}

int pc_report_pdf(const char *html, size_t n, const char *out_path, const char *chromium, char *err, size_t errlen)
{
	static const char *const NAMES[] = {"chromium", "chromium-browser", "google-chrome"};
	char exe[PATH_LEN];
	if (!html || !out_path || !*out_path)
		return fail(err, errlen, "no report or no output path");
	if (chromium && *chromium) {
		if (access(chromium, X_OK) != 0)
			return fail(err, errlen, "%s: %s", chromium, strerror(errno));
		if (!fmt(exe, sizeof exe, chromium, ""))
			return fail(err, errlen, "chromium path too long");
	} else {
		size_t i = 0;
		while (i < sizeof NAMES / sizeof *NAMES && !in_path(NAMES[i], exe, sizeof exe))
			i++;
		if (i == sizeof NAMES / sizeof *NAMES)
			return fail(err, errlen, "no chromium, chromium-browser or google-chrome in PATH");
	}
	run *r = calloc(1, sizeof *r);
	if (!r)
		return fail(err, errlen, "out of memory");
	const char *tmp = getenv("TMPDIR");
	if (!tmp || *tmp != '/')
		tmp = "/tmp";
	if (!fmt(r->dir, sizeof r->dir, tmp, "/pc-report-XXXXXX") || !mkdtemp(r->dir)) {
		int e = errno;
		free(r);
		return fail(err, errlen, "temporary directory in %s: %s", tmp, strerror(e));
	}
	int rc = render(r, exe, html, n, out_path, err, errlen);
	rm_tree(r->dir);
	free(r);
	return rc;
}
