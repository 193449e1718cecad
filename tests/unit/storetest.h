/*
 * NAME
 *   storetest - the store a unit test opens, on either back end
 * SYNOPSIS
 *   static char path[PC_TEST_STORE_MAX];
 *   pc_test_store_new(path, sizeof path, "campaign");   // in a setup
 *   pc_store *st = pc_store_open(path, err, sizeof err);
 *   pc_test_store_drop(path);                           // in a teardown
 *   if (pc_test_store_pg()) skip();                     // a test of SQLite's files
 * DESCRIPTION
 *   Without PC_TEST_PG: a new SQLite file under /tmp (removed with its
 *   -wal and -shm by pc_test_store_drop). With PC_TEST_PG (a libpq
 *   connection string; tests/lib/pgtest.py run sets it to a private
 *   server): a new, empty database on that server for each call, named
 *   "postgresql:DSN dbname=NAME". So one test file checks both back ends
 *   (ctest's unit.NAME and unit.NAME.pg).
 */
#ifndef PC_TEST_STORETEST_H
#define PC_TEST_STORETEST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PC_TEST_STORE_MAX 512

static inline bool pc_test_store_pg(void)
{
	const char *pg = getenv("PC_TEST_PG");
	return pg && *pg;
}

static inline void pc_test_store_new(char *path, size_t n, const char *tag)
{
	static unsigned counter;
	counter++;
	if (!pc_test_store_pg()) {
		snprintf(path, n, "/tmp/pc-%s-test-%ld-%u.db", tag, (long)getpid(), counter);
		unlink(path);
		return;
	}
	const char *dsn = getenv("PC_TEST_PG");
	char name[96], sql[160];
	snprintf(name, sizeof name, "pc_%s_%ld_%u", tag, (long)getpid(), counter);
	PGconn *c = PQconnectdb(dsn);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "storetest: %s: %s", dsn, PQerrorMessage(c));
		abort();
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "storetest: %s: %s", sql, PQresultErrorMessage(r));
		abort();
	}
	PQclear(r);
	PQfinish(c);
	snprintf(path, n, "postgresql:%s dbname=%s", dsn, name);
}

static inline void pc_test_store_drop(const char *path)
{
	if (!strncmp(path, "postgresql:", 11))
		return; /* the server and its databases go when the test run ends */
	char p[PC_TEST_STORE_MAX + 8];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

#endif
