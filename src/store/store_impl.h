/*
 * NAME
 *   store_impl - what a store back end provides (store/sqlite.c, ...)
 */
#ifndef PC_STORE_IMPL_H
#define PC_STORE_IMPL_H

#include "store/store.h"

typedef struct pc_store_ops {
	const char *name;
	void (*close)(pc_store *st);
	int (*contact)(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out);
	int (*remember)(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
	                time_t when);
} pc_store_ops;

struct pc_store {
	const pc_store_ops *ops;
	void *impl;
	char error[256];
};

pc_store *pc_store_sqlite_open(const char *path, char *err, size_t errlen);

#endif
