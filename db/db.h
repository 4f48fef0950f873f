/* SPDX-License-Identifier: BSD-3-Clause
 * db/db.h — a key/value store with revisions, behind pluggable drivers.
 *
 * Model (the same as etcd v3): one global revision counter per database.
 * Every successful write (put, delete, or transaction with at least one
 * change) creates exactly one new revision; all changes of a transaction share
 * it.  A key carries the revision that created it and the revision that last
 * modified it (mod_revision); an absent key has mod_revision 0.  A fresh
 * database is at revision 1.
 *
 * URLs: "rocksdb:/path/to/dir" (embedded, single process),
 * "etcd://host:port[,host:port...]" (etcd v3 JSON gateway over plain HTTP;
 * requests fail over across the endpoints) and "etcds://host:port[,...]"
 * (the same over HTTPS: server certificate checked against db_opts.ca_file or
 * the system's CAs, optional client certificate).  Authentication and TLS
 * files come in struct db_opts (db_open_opts), never in the URL.
 *
 * Keys are non-empty NUL-terminated strings (no key may start with "\x00" —
 * that space is reserved); values are arbitrary bytes.
 *
 * Ownership: results (struct db_kv, struct db_kv_list) are owned by the
 * caller and released with db_kv_clear()/db_kv_list_clear().  Arguments are
 * only borrowed for the duration of a call.
 *
 * Threads: a struct db may be used from any number of threads at once, except
 * db_close(), which must be called once, after every watch was cancelled (any
 * left over are cancelled by it) and when no other call is in progress.
 * Watch callbacks run on a thread owned by the watch, one callback at a time,
 * in revision order, with no db lock held.  A callback may call any db_*
 * function except db_close() and db_watch_cancel() of its own watch (which
 * joins the thread that runs the callback).
 *
 * Errors: 0 or -errno.  -ENOENT missing key, -EINVAL bad argument,
 * -ERANGE revision compacted, -EIO/-ECONNREFUSED/-ETIMEDOUT backend failures,
 * -EACCES permission denied or authentication failed (etcd roles, TLS
 * certificate refused); db_last_error() has the detail.
 */
#ifndef WYV_DB_DB_H
#define WYV_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_watch;

struct db_kv {
	char *key;
	void *value;            /* NUL-terminated for convenience (not counted) */
	size_t value_len;
	uint64_t mod_revision;
	uint64_t create_revision;
};

struct db_kv_list {
	struct db_kv *kvs;      /* sorted by key (bytewise) */
	size_t n;
	uint64_t revision;      /* revision the scan is a snapshot of */
};

enum db_cmp_result { DB_CMP_EQUAL, DB_CMP_NOT_EQUAL, DB_CMP_GREATER, DB_CMP_LESS };

/* "mod_revision(key) <result> mod_revision".  EQUAL 0 = key absent,
 * GREATER 0 = key present. */
struct db_cmp {
	const char *key;
	enum db_cmp_result result;
	uint64_t mod_revision;
};

enum db_op_type { DB_OP_PUT, DB_OP_DELETE };

struct db_op {
	enum db_op_type type;
	const char *key;
	const void *value;      /* DB_OP_PUT only */
	size_t value_len;
};

enum db_event_type {
	DB_EV_PUT,
	DB_EV_DELETE,
	DB_EV_COMPACTED,        /* from_revision is gone; revision = oldest kept.
				 * Last event of the watch: resync and re-watch. */
	DB_EV_RESYNC,           /* the watch cannot guarantee exactly-once any
				 * more: the store was restored or replaced
				 * (cluster id changed, revision went backwards)
				 * or an event was lost (allocation failure).
				 * revision = the store's revision as seen.  Last
				 * event of the watch: resync and re-watch. */
};

struct db_event {
	enum db_event_type type;
	const char *key;        /* NULL for DB_EV_COMPACTED */
	const void *value;      /* DB_EV_PUT only; valid during the callback */
	size_t value_len;
	uint64_t revision;      /* mod_revision of the change */
	bool rev_end;           /* PUT/DELETE: the last event of its revision
				 * under the watched prefix.  A transaction's
				 * events share a revision; a consumer that
				 * applies in batches cuts a batch only after
				 * one with rev_end, never inside a revision. */
};

/* The database wyctl uses when given none, and the one the example
 * configuration gives wyvernd: the embedded store of a single host. */
#define DB_DEFAULT_URL "rocksdb:/var/lib/wyvern/db"

/* Connection options (etcd; rocksdb ignores them).  Strings are borrowed
 * for the call only; NULL or "" = not set. */
struct db_opts {
	const char *ca_file;            /* PEM CA bundle for etcds:// (else system CAs) */
	const char *cert_file;          /* PEM client certificate (etcds://) */
	const char *key_file;           /* its PEM private key */
	const char *user;               /* etcd user: authenticate, send the token */
	const char *password_file;      /* first line = the password (with user) */
	unsigned watch_idle_ms;         /* a watch with no message and no good
					 * liveness probe for this long moves to
					 * the next endpoint; 0 = DB_WATCH_IDLE_MS */
	unsigned scan_page_keys;        /* keys per page of db_scan_pages (etcd:
					 * per range request of any scan; one
					 * snapshot whatever the count); 0 =
					 * DB_ETCD_PAGE_KEYS */
	/* rocksdb: */
	bool no_log;                    /* keep no change log (a store nobody
					 * watches: the controller's replica);
					 * db_watch fails with ENOTSUP, and a log
					 * left from before is dropped at open;
					 * a write reads nothing first, so a
					 * key's create_revision is its last
					 * write's and deleting an absent key
					 * moves the revision */
	uint64_t log_keep;              /* keep the change log of this many
					 * revisions; older records are compacted
					 * on their own, a watch further behind
					 * gets DB_EV_COMPACTED.  0 =
					 * DB_ROCKSDB_LOG_KEEP */
};

#define DB_WATCH_IDLE_MS 5000u
#define DB_ETCD_PAGE_KEYS 5000u
#define DB_ROCKSDB_LOG_KEEP 100000u

/* Opens a database.  NULL + errno (EINVAL for an unknown URL scheme). */
struct db *db_open(const char *url);
/* The same with options.  With a user, authenticates before returning
 * (EACCES: wrong user or password; ECONNREFUSED/ETIMEDOUT: no endpoint
 * answered).  Files that cannot be read: EINVAL.  On failure a sentence
 * saying why is left in err (may be NULL). */
struct db *db_open_opts(const char *url, const struct db_opts *opts, char *err,
			size_t err_size);
/* Options from the environment, as command-line tools take them:
 * WYVERN_DB_CA, WYVERN_DB_CERT, WYVERN_DB_KEY, WYVERN_DB_USER,
 * WYVERN_DB_PASSWORD_FILE (pointers into the environment). */
void db_opts_from_env(struct db_opts *opts);
/* A sentence about the last failure the driver saw on this thread (HTTP/TLS
 * error, etcd's message: "permission denied", "authentication failed", ...),
 * or "" if none since db_open_opts.  Later successful calls do not clear it:
 * read it right after the call that failed. */
const char *db_last_error(void);
/* Cancels remaining watches and frees the handle.  NULL is fine. */
void db_close(struct db *db);

/* Reads one key.  Fills *out (caller clears with db_kv_clear()), -ENOENT. */
int db_get(struct db *db, const char *key, struct db_kv *out);
/* Writes one key; *revision (may be NULL) gets the new revision. */
int db_put(struct db *db, const char *key, const void *value, size_t len,
	   uint64_t *revision);
/* Deletes one key; -ENOENT if it was absent. */
int db_delete(struct db *db, const char *key, uint64_t *revision);
/* All keys starting with prefix ("" = all), sorted, as one snapshot. */
int db_scan(struct db *db, const char *prefix, struct db_kv_list *out);
/* db_scan one pair at a time, without the list: cb gets each pair in key
 * order from one snapshot (key and value NUL-terminated, valid during the
 * call only); a non-zero return from cb ends the scan and is returned.
 * *revision (may be NULL) gets the snapshot's revision.  A store read
 * whole at start (the controller's replica) needs no copy of itself. */
int db_scan_each(struct db *db, const char *prefix,
		 int (*cb)(const struct db_kv *kv, void *arg), void *arg, uint64_t *revision);
/* db_scan in pages, for a reader that works on one page while the next is
 * read (etcd: range requests of db_opts.scan_page_keys; others: pages of
 * as many pairs, read from one snapshot).  page(l, start, arg) gets each
 * page's pairs in key order; it may take them (set key / value NULL), the
 * rest is freed after the call.  start is true for the first page, and
 * again if the scan starts over (etcd compacted the snapshot's revision
 * while paging): the pages before it are void.  page is called at least
 * once (an empty page for an empty prefix).  A non-zero return from page
 * ends the scan and is returned.  On 0, the pages since the last start
 * are one snapshot, at *revision (may be NULL). */
int db_scan_pages(struct db *db, const char *prefix,
		  int (*page)(struct db_kv_list *l, bool start, void *arg), void *arg,
		  uint64_t *revision);
/* If every compare holds, applies every op atomically (*succeeded = true),
 * otherwise changes nothing (*succeeded = false).  *revision gets the
 * revision after the call.  Deleting an absent key inside a transaction is a
 * no-op; naming one key in two ops is -EINVAL.  Returns 0 in both outcomes;
 * -errno only when the outcome is unknown or the request is invalid. */
int db_txn(struct db *db, const struct db_cmp *cmps, size_t n_cmps,
	   const struct db_op *ops, size_t n_ops, bool *succeeded, uint64_t *revision);
/* Current revision. */
int db_revision(struct db *db, uint64_t *revision);
/* Drops history before `revision` (watches from older revisions get
 * DB_EV_COMPACTED).  -ERANGE if already compacted past it, -EINVAL if it is
 * in the future. */
int db_compact(struct db *db, uint64_t revision);
/* What a store keeps in this process's memory, in bytes: RocksDB's
 * memtables, block cache and table readers (index and filter blocks).  A
 * driver whose data lives elsewhere (etcd) has none: -ENOTSUP. */
struct db_mem {
	uint64_t memtables, block_cache, table_readers;
};
int db_mem(struct db *db, struct db_mem *out);
/* Starts writing what the store holds in memory (RocksDB's memtables) to
 * its files, so that memory goes once written (in the background: does not
 * wait).  0 also for a driver that holds nothing (etcd). */
int db_flush(struct db *db);
/* Allocates a unique 32-bit key (1, 2, 3, ...; never reused) in namespace
 * `ns`, using a counter at db_alloc_counter_key(ns) updated by
 * compare-and-swap.  -ENOSPC when exhausted, -EAGAIN after too much
 * contention. */
int db_alloc_key(struct db *db, const char *ns, uint32_t *key);
/* The counter key of namespace ns: "/wyvern/v1/_alloc/<ns>".  Returns
 * snprintf's value. */
int db_alloc_counter_key(const char *ns, char *buf, size_t size);

/* ---- leases: keys that live only while their writer does ----------------
 * A lease is granted with a time to live; keys put with it are deleted (a
 * DB_EV_DELETE for watchers) when it expires — when its holder stopped
 * calling db_lease_keepalive() for ttl seconds (crashed, cut off) — or is
 * revoked.  A chassis registers its key this way, so the others learn it
 * is gone within the ttl.  etcd: the server's leases.  rocksdb (one
 * process holds the store, nobody else can observe it): leases never
 * expire; keepalive reports the full ttl; revoke deletes the keys put
 * with the lease.  Errors: -ENOENT the lease expired or is unknown (grant
 * a new one and put the keys again), the others as above. */
int db_lease_grant(struct db *db, unsigned ttl_s, int64_t *id);
/* Refreshes a lease; *ttl_left (may be NULL) gets the seconds it now has. */
int db_lease_keepalive(struct db *db, int64_t id, unsigned *ttl_left);
/* Ends a lease now, deleting its keys. */
int db_lease_revoke(struct db *db, int64_t id);
/* db_put, attached to a lease (-ENOENT: it expired). */
int db_put_lease(struct db *db, const char *key, const void *value, size_t len, int64_t lease,
		 uint64_t *revision);

/* Delivers every change under `prefix` with revision >= from_revision
 * (0 = changes after the current revision), first the history, then live
 * changes, in revision order, each exactly once.  NULL + errno. */
struct db_watch *db_watch(struct db *db, const char *prefix, uint64_t from_revision,
			  void (*cb)(const struct db_event *ev, void *arg), void *arg);
/* Stops the watch and joins its thread; no callback runs after it returns.
 * NULL is fine. */
void db_watch_cancel(struct db_watch *w);

void db_kv_clear(struct db_kv *kv);
void db_kv_list_clear(struct db_kv_list *list);

#endif
