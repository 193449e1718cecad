/*
 * Unit tests for core/config: defaults, "section.key" settings with size
 * suffixes, and portcullis.conf parsing with "FILE:LINE: reason" errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/config.h"
#include "core/hostport.h"

/* Writes `text` to a fresh temp file; the caller unlinks `path`. */
static void write_conf(char *path, size_t pathlen, const char *text)
{
	snprintf(path, pathlen, "/tmp/pc_test_conf_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

/* Loads `text` into c; returns rc and leaves the error in err. */
static int load_text(pc_config *c, const char *text, char *err, size_t errlen, char *path, size_t pathlen)
{
	write_conf(path, pathlen, text);
	int rc = pc_config_load(c, path, err, errlen);
	unlink(path);
	return rc;
}

/* err must be "PATH:LINE: ..." and contain `reason`. */
static void assert_err_at(const char *err, const char *path, unsigned line, const char *reason)
{
	char prefix[256];
	snprintf(prefix, sizeof prefix, "%s:%u: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
	if (reason && !strstr(err, reason))
		fail_msg("error \"%s\" does not mention \"%s\"", err, reason);
}

static void test_defaults_sane(void **state)
{
	(void)state;
	pc_config c;
	memset(&c, 0x5a, sizeof c);
	pc_config_defaults(&c);
	/* every limit has a positive default */
	for (size_t i = 0; i < pc_limit_count; i++) {
		size_t v = *(const size_t *)((const char *)&c.limits + pc_limit_table[i].offset);
		if (v == 0)
			fail_msg("limit %s defaults to 0", pc_limit_table[i].name);
	}
	assert_int_equal(c.limits.nesting_depth, 32);
	assert_int_equal(c.limits.message_size, 64u << 20);
	assert_int_equal(c.limit_action, PC_ACTION_QUARANTINE);
}

static void test_limit_table_complete(void **state)
{
	(void)state;
	assert_int_equal(pc_limit_count, sizeof(pc_limits) / sizeof(size_t));
	for (size_t i = 0; i < pc_limit_count; i++) {
		assert_non_null(pc_limit_table[i].name);
		assert_non_null(pc_limit_table[i].unit);
		assert_non_null(pc_limit_table[i].doc);
		assert_true(pc_limit_table[i].offset < sizeof(pc_limits));
		for (size_t k = 0; k < i; k++)
			assert_int_not_equal(pc_limit_table[i].offset, pc_limit_table[k].offset);
	}
	/* every limit is settable by its table name */
	pc_config c;
	pc_config_defaults(&c);
	char err[256], key[96];
	for (size_t i = 0; i < pc_limit_count; i++) {
		snprintf(key, sizeof key, "limits.%s", pc_limit_table[i].name);
		assert_int_equal(pc_config_set(&c, key, "7", err, sizeof err), 0);
		/* cpu is written in seconds and kept in milliseconds */
		size_t want = strcmp(pc_limit_table[i].name, "cpu") ? 7 : 7000;
		assert_int_equal(*(size_t *)((char *)&c.limits + pc_limit_table[i].offset), want);
	}
	assert_int_equal(pc_config_set(&c, "limits.cpu", "0.25", err, sizeof err), 0);
	assert_int_equal(c.limits.cpu_ms, 250);
	assert_int_equal(pc_config_set(&c, "limits.cpu", "0", err, sizeof err), -1);
	assert_int_equal(pc_config_set(&c, "limits.cpu", "2x", err, sizeof err), -1);
	assert_int_equal(pc_config_set(&c, "limits.cpu", "7200", err, sizeof err), -1);
}

static void test_action_names(void **state)
{
	(void)state;
	assert_string_equal(pc_action_name(PC_ACTION_ACCEPT), "accept");
	assert_string_equal(pc_action_name(PC_ACTION_NEUTRALISE), "neutralise");
	assert_string_equal(pc_action_name(PC_ACTION_QUARANTINE), "quarantine");
	assert_string_equal(pc_action_name(PC_ACTION_REJECT), "reject");
}

static void test_set_sizes_and_suffixes(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[256];
	assert_int_equal(pc_config_set(&c, "limits.urls", "5", err, sizeof err), 0);
	assert_int_equal(c.limits.urls, 5);
	assert_int_equal(pc_config_set(&c, "limits.message_size", "10K", err, sizeof err), 0);
	assert_int_equal(c.limits.message_size, 10240);
	assert_int_equal(pc_config_set(&c, "limits.message_size", "3k", err, sizeof err), 0);
	assert_int_equal(c.limits.message_size, 3072);
	assert_int_equal(pc_config_set(&c, "limits.decoded_size", "2M", err, sizeof err), 0);
	assert_int_equal(c.limits.decoded_size, 2u << 20);
	assert_int_equal(pc_config_set(&c, "limits.arena", "1G", err, sizeof err), 0);
	assert_int_equal(c.limits.arena, (size_t)1 << 30);
	assert_int_equal(pc_config_set(&c, "limits.arena", "4g", err, sizeof err), 0);
	assert_int_equal(c.limits.arena, (size_t)4 << 30);
}

static void test_set_rejects_bad_sizes(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[256];
	static const char *const bad[] = {"0",
	                                  "-1",
	                                  "",
	                                  "abc",
	                                  "10X",
	                                  "10KB",
	                                  " 10",
	                                  "10 K",
	                                  "1.5",
	                                  "+5",
	                                  "0K",
	                                  "18446744073709551616",
	                                  "99999999999999G"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (pc_config_set(&c, "limits.parts", bad[i], err, sizeof err) != -1)
			fail_msg("value \"%s\" was accepted", bad[i]);
		assert_non_null(strstr(err, "limits.parts"));
	}
	/* a refused value leaves the old one */
	assert_int_equal(c.limits.parts, 1000);
	/* nesting beyond what GMime follows is refused */
	assert_int_equal(pc_config_set(&c, "limits.nesting_depth", "1001", err, sizeof err), -1);
	assert_non_null(strstr(err, "at most 1000"));
	assert_int_equal(pc_config_set(&c, "limits.nesting_depth", "1000", err, sizeof err), 0);
}

static void test_set_limit_action(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[256];
	assert_int_equal(pc_config_set(&c, "policy.limit_action", "reject", err, sizeof err), 0);
	assert_int_equal(c.limit_action, PC_ACTION_REJECT);
	assert_int_equal(pc_config_set(&c, "policy.limit_action", "accept", err, sizeof err), 0);
	assert_int_equal(c.limit_action, PC_ACTION_ACCEPT);
	assert_int_equal(pc_config_set(&c, "policy.limit_action", "neutralise", err, sizeof err), 0);
	assert_int_equal(c.limit_action, PC_ACTION_NEUTRALISE);
	assert_int_equal(pc_config_set(&c, "policy.limit_action", "drop", err, sizeof err), -1);
	assert_non_null(strstr(err, "\"drop\""));
	assert_int_equal(c.limit_action, PC_ACTION_NEUTRALISE);
	/* case matters: actions are written in lower case */
	assert_int_equal(pc_config_set(&c, "policy.limit_action", "Reject", err, sizeof err), -1);
}

static void test_set_unknown_keys(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[256];
	assert_int_equal(pc_config_set(&c, "limits.nope", "5", err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown setting"));
	assert_non_null(strstr(err, "limits.nope"));
	assert_int_equal(pc_config_set(&c, "urls", "5", err, sizeof err), -1);
	assert_int_equal(pc_config_set(&c, "policy.urls", "5", err, sizeof err), -1);
	assert_int_equal(pc_config_set(&c, "limits.", "5", err, sizeof err), -1);
	assert_int_equal(pc_config_set(&c, "LIMITS.urls", "5", err, sizeof err), -1);
	/* a prefix of a name is not the name */
	assert_int_equal(pc_config_set(&c, "limits.url", "5", err, sizeof err), -1);
}

/* [milter] metrics: off by default, a numeric ADDR:PORT (core/hostport.h);
 * metrics_token_file an absolute path */
static void test_set_milter_metrics(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[256];
	assert_string_equal(c.milter_metrics, "");
	assert_string_equal(c.milter_metrics_token, "");
	assert_int_equal(pc_config_set(&c, "milter.metrics", "127.0.0.1:9187", err, sizeof err), 0);
	assert_string_equal(c.milter_metrics, "127.0.0.1:9187");
	assert_int_equal(pc_config_set(&c, "milter.metrics", "[::1]:65535", err, sizeof err), 0);
	assert_string_equal(c.milter_metrics, "[::1]:65535");
	assert_int_equal(pc_config_set(&c, "milter.metrics", "off", err, sizeof err), 0);
	assert_string_equal(c.milter_metrics, "");
	static const char *const bad[] = {
	    "9187",           "localhost:9187", "127.0.0.1",     "127.0.0.1:",       "127.0.0.1:0", "127.0.0.1:65536",
	    "127.0.0.1:9x",   "127.1:9187",     "::1:9187",      "[::1]9187",        "[::1:9187",   "[]:9187",
	    "[127.0.0.1]:80", "127.0.0.1:-1",   " 127.0.0.1:80", "127.0.0.1:0009187"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(pc_config_set(&c, "milter.metrics", bad[i], err, sizeof err), -1);
		assert_non_null(strstr(err, "milter.metrics: expected off, IPV4:PORT or [IPV6]:PORT"));
		assert_string_equal(c.milter_metrics, ""); /* unchanged */
	}
	assert_int_equal(
	    pc_config_set(&c, "milter.metrics_token_file", "/etc/portcullis/metrics.token", err, sizeof err), 0);
	assert_string_equal(c.milter_metrics_token, "/etc/portcullis/metrics.token");
	assert_int_equal(pc_config_set(&c, "milter.metrics_token_file", "metrics.token", err, sizeof err), -1);
	assert_non_null(strstr(err, "absolute path"));
	assert_int_equal(pc_config_set(&c, "milter.metrics_token_file", "", err, sizeof err), 0);
	assert_string_equal(c.milter_metrics_token, "");
	/* the address as the listener binds it */
	struct sockaddr_storage ss;
	socklen_t len = 0;
	assert_int_equal(pc_hostport("127.0.0.1:9187", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9187);
	assert_int_equal(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(pc_hostport("[::1]:80", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 80);
	assert_true(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr));
}

static void test_set_error_truncated_safely(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[8];
	memset(err, 'Z', sizeof err);
	assert_int_equal(pc_config_set(&c, "limits.nope", "5", err, sizeof err), -1);
	assert_int_equal(err[7], '\0');
	assert_int_equal(strlen(err), 7);
}

static void test_load_full_file(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	const char *text = "# portcullis.conf\n"
	                   "\n"
	                   "[limits]\n"
	                   "  message_size = 32M   # trailing comment\n"
	                   "nesting_depth=8\n"
	                   "\turls =\t 50\t\n"
	                   "header_size = 16k\n"
	                   "   # indented comment\n"
	                   "[ policy ]\n"
	                   "limit_action = reject\n";
	assert_int_equal(load_text(&c, text, err, sizeof err, path, sizeof path), 0);
	assert_int_equal(c.limits.message_size, 32u << 20);
	assert_int_equal(c.limits.nesting_depth, 8);
	assert_int_equal(c.limits.urls, 50);
	assert_int_equal(c.limits.header_size, 16u << 10);
	assert_int_equal(c.limit_action, PC_ACTION_REJECT);
	/* untouched settings keep their defaults */
	assert_int_equal(c.limits.parts, 1000);
}

static void test_load_crlf_and_no_final_newline(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	assert_int_equal(load_text(&c, "[limits]\r\nparts = 12\r\nheaders = 9", err, sizeof err, path, sizeof path), 0);
	assert_int_equal(c.limits.parts, 12);
	assert_int_equal(c.limits.headers, 9);
}

static void test_load_empty_file(void **state)
{
	(void)state;
	pc_config c, d;
	pc_config_defaults(&c);
	pc_config_defaults(&d);
	char err[512] = "", path[64];
	assert_int_equal(load_text(&c, "", err, sizeof err, path, sizeof path), 0);
	assert_memory_equal(&c, &d, sizeof c);
	assert_int_equal(load_text(&c, "# only a comment\n\n", err, sizeof err, path, sizeof path), 0);
	assert_memory_equal(&c, &d, sizeof c);
}

static void test_load_unknown_key_line(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	int rc = load_text(&c, "[limits]\nparts = 5\n\nbogus = 1\n", err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	assert_err_at(err, path, 4, "unknown setting");
	assert_non_null(strstr(err, "limits.bogus"));
}

static void test_load_unknown_section(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	int rc = load_text(&c, "[limits]\nparts = 5\n[mystery]\nparts = 5\n", err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	assert_err_at(err, path, 4, "mystery.parts");
}

static void test_load_bad_value_line(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	int rc = load_text(&c, "[limits]\n# c\nurls = 12Q\n", err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	assert_err_at(err, path, 3, "limits.urls");
	assert_non_null(strstr(err, "12Q"));
	rc = load_text(&c, "[policy]\nlimit_action = maybe\n", err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	assert_err_at(err, path, 2, "maybe");
}

static void test_load_value_outside_section(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	int rc = load_text(&c, "# header comment\nurls = 5\n[limits]\n", err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	assert_err_at(err, path, 2, "outside any [section]");
	assert_non_null(strstr(err, "\"urls\""));
}

static void test_load_missing_equals(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	int rc = load_text(&c, "[limits]\nurls 5\n", err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	assert_err_at(err, path, 2, "key = value");
}

static void test_load_bad_section_headers(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "[limits\nurls = 5\n", "[]\n", "[limits] x\n",
	    "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pc_config c;
		pc_config_defaults(&c);
		char err[512] = "", path[64];
		int rc = load_text(&c, bad[i], err, sizeof err, path, sizeof path);
		if (rc != -1)
			fail_msg("section line %zu accepted", i);
		assert_err_at(err, path, 1, "bad section header");
	}
}

static void test_load_section_comment_after(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	/* a comment after a section header is stripped before the header check */
	assert_int_equal(load_text(&c, "[limits] # sizes\nparts = 3\n", err, sizeof err, path, sizeof path), 0);
	assert_int_equal(c.limits.parts, 3);
}

static void test_load_line_too_long(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	char text[3000];
	int o = snprintf(text, sizeof text, "[limits]\n# ");
	memset(text + o, 'x', 2000);
	snprintf(text + o + 2000, sizeof text - (size_t)o - 2000, "\nparts = 3\n");
	int rc = load_text(&c, text, err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	assert_err_at(err, path, 2, "line longer than");
}

static void test_load_missing_file(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "";
	assert_int_equal(pc_config_load(&c, "/nonexistent/dir/portcullis.conf", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/dir/portcullis.conf"));
	assert_non_null(strstr(err, "No such file"));
}

static void test_load_stops_at_first_error(void **state)
{
	(void)state;
	pc_config c;
	pc_config_defaults(&c);
	char err[512] = "", path[64];
	int rc = load_text(&c, "[limits]\nparts = 0\nbogus = 1\n", err, sizeof err, path, sizeof path);
	assert_int_equal(rc, -1);
	/* the first bad line is reported, not a later one */
	assert_err_at(err, path, 2, "limits.parts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_sane),
	    cmocka_unit_test(test_limit_table_complete),
	    cmocka_unit_test(test_action_names),
	    cmocka_unit_test(test_set_sizes_and_suffixes),
	    cmocka_unit_test(test_set_rejects_bad_sizes),
	    cmocka_unit_test(test_set_limit_action),
	    cmocka_unit_test(test_set_unknown_keys),
	    cmocka_unit_test(test_set_milter_metrics),
	    cmocka_unit_test(test_set_error_truncated_safely),
	    cmocka_unit_test(test_load_full_file),
	    cmocka_unit_test(test_load_crlf_and_no_final_newline),
	    cmocka_unit_test(test_load_empty_file),
	    cmocka_unit_test(test_load_unknown_key_line),
	    cmocka_unit_test(test_load_unknown_section),
	    cmocka_unit_test(test_load_bad_value_line),
	    cmocka_unit_test(test_load_value_outside_section),
	    cmocka_unit_test(test_load_missing_equals),
	    cmocka_unit_test(test_load_bad_section_headers),
	    cmocka_unit_test(test_load_section_comment_after),
	    cmocka_unit_test(test_load_line_too_long),
	    cmocka_unit_test(test_load_missing_file),
	    cmocka_unit_test(test_load_stops_at_first_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
