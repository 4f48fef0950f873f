/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_provider.h — driver side: the function table every driver provides (in the
 * manner of OVS's dpif/ofproto providers).  Drivers embed `struct db` /
 * `struct db_watch` as their first member.  db.c checks arguments before
 * calling a driver, so drivers see non-NULL pointers and valid keys.
 * Optional entries (NULL) are emulated by db.c: put and delete through txn.
 * Threads: the same rules as db.h; drivers do their own locking. */
#ifndef WYV_DB_DB_PROVIDER_H
#define WYV_DB_DB_PROVIDER_H

#include <pthread.h>

#include "db.h"

struct db_driver {
	const char *scheme;     /* text before ':' in the URL */
	struct db *(*open)(const char *url, const struct db_opts *opts);
	void (*close)(struct db *db);
	int (*get)(struct db *db, const char *key, struct db_kv *out);
	int (*put)(struct db *db, const char *key, const void *value, size_t len,
		   uint64_t *revision);
	int (*del)(struct db *db, const char *key, uint64_t *revision);
	int (*scan)(struct db *db, const char *prefix, struct db_kv_list *out);
	/* NULL: db.c's scan_each over scan */
	int (*scan_each)(struct db *db, const char *prefix,
			 int (*cb)(const struct db_kv *kv, void *arg), void *arg,
			 uint64_t *revision);
	/* NULL: db.c's pages over scan_each (or scan) */
	int (*scan_pages)(struct db *db, const char *prefix,
			  int (*page)(struct db_kv_list *l, bool start, void *arg), void *arg,
			  uint64_t *revision);
	int (*txn)(struct db *db, const struct db_cmp *cmps, size_t n_cmps,
		   const struct db_op *ops, size_t n_ops, bool *succeeded,
		   uint64_t *revision);
	int (*revision)(struct db *db, uint64_t *revision);
	int (*compact)(struct db *db, uint64_t revision);
	struct db_watch *(*watch)(struct db *db, const char *prefix, uint64_t from,
				  void (*cb)(const struct db_event *, void *), void *arg);
	void (*watch_cancel)(struct db_watch *w);
	/* leases (db.h); NULL: db.c's in-process leases over put/del */
	int (*lease_grant)(struct db *db, unsigned ttl_s, int64_t *id);
	int (*lease_keepalive)(struct db *db, int64_t id, unsigned *ttl_left);
	int (*lease_revoke)(struct db *db, int64_t id);
	int (*put_lease)(struct db *db, const char *key, const void *value, size_t len,
			 int64_t lease, uint64_t *revision);
	/* memory held in the process, and its flush (db.h); NULL: none */
	int (*mem)(struct db *db, struct db_mem *out);
	int (*flush)(struct db *db);
};

struct db_local_lease;

struct db {
	const struct db_driver *drv;
	/* db.c's leases for drivers without their own (rocksdb): the keys put
	 * with each, deleted on revoke */
	pthread_mutex_t lease_mu;
	struct db_local_lease *leases;
	int64_t next_lease;
	unsigned page_keys;     /* db_opts.scan_page_keys or DB_ETCD_PAGE_KEYS */
};

struct db_watch {
	struct db *db;
};

extern const struct db_driver db_rocksdb_driver;
extern const struct db_driver db_etcd_driver;   /* etcd:// (HTTP) */
extern const struct db_driver db_etcds_driver;  /* etcds:// (HTTPS) */

/* db_lease.c: set up / free struct db's lease fields (db_open, db_close). */
void db_lease_init(struct db *db);
void db_lease_fini(struct db *db);

/* Helpers for drivers. */
bool db_cmp_holds(enum db_cmp_result r, uint64_t have, uint64_t want);
bool db_ops_have_duplicates(const struct db_op *ops, size_t n_ops);
void *db_memdup0(const void *p, size_t len);    /* copy + NUL; NULL + errno */
/* Sets this thread's db_last_error() sentence. */
void db_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
