/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_priv.h — etcd driver internals shared by db_etcd.c (unary requests) and
 * db_etcd_watch.c (watch streams).
 *
 * The endpoint list is fixed at open.  `cur` is the endpoint that answered
 * last (an atomic hint, not a lock): requests start there and rotate on
 * failure.  Each request uses its own curl easy handle, so any number of
 * threads may issue requests at once. */
#ifndef WYV_DB_DB_ETCD_PRIV_H
#define WYV_DB_DB_ETCD_PRIV_H

#include "db_provider.h"

#include <jansson.h>
#include <pthread.h>

struct etcd_watch;

struct etcd {
	struct db up;
	char **endpoints;               /* "host:port" */
	size_t n_endpoints;
	unsigned cur;                   /* atomic: preferred endpoint */
	pthread_mutex_t mu;             /* guards watches */
	struct etcd_watch *watches;
};

/* Base64 (standard alphabet, padded).  Encode returns a malloc'd string;
 * decode returns malloc'd bytes + NUL and their length.  NULL on failure. */
char *etcd_b64_encode(const void *data, size_t len);
void *etcd_b64_decode(const char *text, size_t *len);
/* A revision from an int64 JSON field (the gateway sends strings); 0 if absent. */
uint64_t etcd_json_u64(const json_t *j);
/* POSTs `req` to http://<endpoint>/v3/<path>, failing over across endpoints
 * and retrying while the cluster has no leader.  *resp is a new reference.
 * 0, -ERANGE (compacted), -EINVAL (rejected), -ETIMEDOUT/-EIO. */
int etcd_call(struct etcd *e, const char *path, json_t *req, json_t **resp);
/* The range_end that selects every key starting with prefix ("AA==" for all). */
char *etcd_prefix_end_b64(const char *prefix);

struct db_watch *etcd_watch(struct db *db, const char *prefix, uint64_t from,
			    void (*cb)(const struct db_event *, void *), void *arg);
void etcd_watch_cancel(struct db_watch *w);

#endif
