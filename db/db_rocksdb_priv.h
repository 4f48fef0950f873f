/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_rocksdb_priv.h — rocksdb driver internals shared by db_rocksdb.c (kv, txn) and
 * db_rocksdb_watch.c (change log readers).  See db/DESIGN.md for the layout.
 *
 * Lock: `mu` serialises all writers (txn, compact) and guards rev,
 * compact_rev, the watch list and the `changed` condition.  Readers (get,
 * scan, watch threads) use RocksDB snapshots and never take `mu` while
 * reading or calling back. */
#ifndef WYV_DB_DB_ROCKSDB_PRIV_H
#define WYV_DB_DB_ROCKSDB_PRIV_H

#include "db_provider.h"

#include <pthread.h>
#include <rocksdb/c.h>
#include <string.h>

#define RDB_REV_KEY "\0rev"
#define RDB_REV_KEY_LEN 4
#define RDB_COMPACT_KEY "\0compact"
#define RDB_COMPACT_KEY_LEN 8
#define RDB_LOG_PREFIX "\0log/"
#define RDB_LOG_PREFIX_LEN 5
#define RDB_LOG_KEY_LEN (RDB_LOG_PREFIX_LEN + 8 + 4)   /* + be64 rev + be32 seq */
#define RDB_WRITE_BUFFER (4u << 20)                     /* memtable bytes */
#define RDB_BLOCK_CACHE (4u << 20)                      /* block cache bytes */
#define RDB_HDR_LEN 16                                  /* be64 mod_rev, be64 create_rev */

struct rdb_watch;

struct rdb {
	struct db up;
	rocksdb_t *db;
	rocksdb_options_t *opts;
	rocksdb_block_based_table_options_t *topts;
	rocksdb_cache_t *cache;
	rocksdb_readoptions_t *ropts;
	rocksdb_writeoptions_t *wopts;
	pthread_mutex_t mu;
	pthread_cond_t changed;
	uint64_t rev;                   /* current revision */
	uint64_t compact_rev;           /* log holds revisions >= this (0 = all) */
	bool no_log;                    /* db_opts.no_log: no change log at all */
	uint64_t log_keep;              /* revisions of log kept (db_opts.log_keep) */
	struct rdb_watch *watches;      /* active watches, under mu */
};

static inline void rdb_put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t rdb_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline void rdb_log_key(uint8_t *out, uint64_t rev, uint32_t seq)
{
	memcpy(out, RDB_LOG_PREFIX, RDB_LOG_PREFIX_LEN);
	rdb_put_be64(out + RDB_LOG_PREFIX_LEN, rev);
	out[13] = (uint8_t)(seq >> 24);
	out[14] = (uint8_t)(seq >> 16);
	out[15] = (uint8_t)(seq >> 8);
	out[16] = (uint8_t)seq;
}

/* Reads a raw key; *val is malloc'd (rocksdb_free-compatible free()).
 * 0, -ENOENT, -EIO. */
int rdb_raw_get(struct rdb *r, const rocksdb_readoptions_t *ro, const char *key,
		size_t klen, char **val, size_t *vlen);
/* Reads an 8-byte counter key; absent = 0. */
int rdb_read_u64(struct rdb *r, const rocksdb_readoptions_t *ro, const char *key,
		 size_t klen, uint64_t *out);

struct db_watch *rdb_watch(struct db *db, const char *prefix, uint64_t from,
			   void (*cb)(const struct db_event *, void *), void *arg);
void rdb_watch_cancel(struct db_watch *w);

#endif
