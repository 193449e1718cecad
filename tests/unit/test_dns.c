/*
 * Unit tests for net/dns: the dns.servers syntax (what the CLI refuses to
 * start with), "off", and queries that never leave the process (bad names;
 * a closed port on loopback is a server failure, not a hang).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <arpa/nameser.h>
#include <cmocka.h>

#include "net/dns.h"

static void test_servers_syntax(void **state)
{
	(void)state;
	char err[256];
	const char *bad[] = {"300.1.1.1",    "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:",
	                     "127.0.0.1:5x", "::1",         "localhost",       "1.2.3.4 5.6.7.8 9.9.9.9 1.1.1.1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pc_dns *d = pc_dns_new(bad[i], 2000, err, sizeof err);
		assert_null(d);
		assert_true(err[0] != '\0');
		assert_non_null(strstr(err, "dns.servers"));
	}
	assert_null(pc_dns_new("127.0.0.1", 61000, err, sizeof err));
	assert_non_null(strstr(err, "dns.timeout"));
	pc_dns *d = pc_dns_new("127.0.0.1", 100, err, sizeof err);
	assert_non_null(d);
	assert_int_equal(pc_dns_timeout_ms(d), 1000);
	pc_dns_free(d);
	d = pc_dns_new("off", 2000, err, sizeof err);
	assert_null(d);
	assert_string_equal(err, "");
	d = pc_dns_new("127.0.0.1:5353, 10.0.0.1", 2000, err, sizeof err);
	assert_non_null(d);
	assert_int_equal(pc_dns_timeout_ms(d), 2000);
	pc_dns_free(d);
}

static void test_bad_names(void **state)
{
	(void)state;
	char err[256];
	pc_dns *d = pc_dns_new("127.0.0.1:9", 1000, err, sizeof err);
	assert_non_null(d);
	const unsigned char *ans;
	size_t n;
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(pc_dns_query(d, "", ns_t_txt, &ans, &n), PC_DNS_BADNAME);
	assert_int_equal(pc_dns_query(d, "a b.example", ns_t_txt, &ans, &n), PC_DNS_BADNAME);
	assert_int_equal(pc_dns_query(d, "\xc3\xa9.example", ns_t_txt, &ans, &n), PC_DNS_BADNAME);
	assert_int_equal(pc_dns_query(d, longname, ns_t_txt, &ans, &n), PC_DNS_BADNAME);
	assert_int_equal(pc_dns_query(NULL, "example.org", ns_t_txt, &ans, &n), PC_DNS_BADNAME);
	pc_dns_free(d);
}

static void test_closed_port_fails_fast(void **state)
{
	(void)state;
	char err[256];
	/* port 9 (discard) on loopback is closed here: ICMP port unreachable */
	pc_dns *d = pc_dns_new("127.0.0.1:9", 1000, err, sizeof err);
	assert_non_null(d);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const unsigned char *ans;
	size_t n;
	pc_dns_status st = pc_dns_query(d, "example.org", ns_t_txt, &ans, &n);
	assert_true(st == PC_DNS_SERVFAIL || st == PC_DNS_TIMEOUT);
	/* cached: the second ask does not wait */
	assert_int_equal(pc_dns_query(d, "EXAMPLE.org", ns_t_txt, &ans, &n), st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took < 2.5);
	pc_dns_forget(d);
	pc_dns_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_servers_syntax),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_closed_port_fails_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
