/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_lease.c — leases (db.h): argument checks and dispatch to the driver,
 * and in-process leases for a driver without its own (rocksdb: one process
 * holds the store, so a lease cannot outlive its holder; it never expires
 * and revoking it deletes the keys that were put with it). */
#include "db_provider.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct db_local_lease {
	struct db_local_lease *next;
	int64_t id;
	unsigned ttl;
	char **keys;
	size_t n_keys;
};

void db_lease_init(struct db *db)
{
	pthread_mutex_init(&db->lease_mu, NULL);
	db->leases = NULL;
	db->next_lease = 1;
}

static void lease_free(struct db_local_lease *l)
{
	for (size_t i = 0; i < l->n_keys; i++)
		free(l->keys[i]);
	free(l->keys);
	free(l);
}

void db_lease_fini(struct db *db)
{
	struct db_local_lease *l, *n;

	for (l = db->leases; l; l = n) {
		n = l->next;
		lease_free(l);
	}
	db->leases = NULL;
	pthread_mutex_destroy(&db->lease_mu);
}

/* Caller holds lease_mu. */
static struct db_local_lease *lease_find(struct db *db, int64_t id)
{
	struct db_local_lease *l;

	for (l = db->leases; l && l->id != id; l = l->next)
		;
	return l;
}

int db_lease_grant(struct db *db, unsigned ttl_s, int64_t *id)
{
	struct db_local_lease *l;

	if (!db || !id || ttl_s == 0)
		return -EINVAL;
	if (db->drv->lease_grant)
		return db->drv->lease_grant(db, ttl_s, id);
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ttl = ttl_s;
	pthread_mutex_lock(&db->lease_mu);
	l->id = db->next_lease++;
	l->next = db->leases;
	db->leases = l;
	*id = l->id;
	pthread_mutex_unlock(&db->lease_mu);
	return 0;
}

int db_lease_keepalive(struct db *db, int64_t id, unsigned *ttl_left)
{
	struct db_local_lease *l;
	int rc = 0;

	if (!db)
		return -EINVAL;
	if (db->drv->lease_keepalive)
		return db->drv->lease_keepalive(db, id, ttl_left);
	pthread_mutex_lock(&db->lease_mu);
	l = lease_find(db, id);
	if (!l)
		rc = -ENOENT;
	else if (ttl_left)
		*ttl_left = l->ttl;
	pthread_mutex_unlock(&db->lease_mu);
	return rc;
}

int db_lease_revoke(struct db *db, int64_t id)
{
	struct db_local_lease **pp, *l = NULL;

	if (!db)
		return -EINVAL;
	if (db->drv->lease_revoke)
		return db->drv->lease_revoke(db, id);
	pthread_mutex_lock(&db->lease_mu);
	for (pp = &db->leases; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			l = *pp;
			*pp = l->next;
			break;
		}
	}
	pthread_mutex_unlock(&db->lease_mu);
	if (!l)
		return -ENOENT;
	for (size_t i = 0; i < l->n_keys; i++) {
		int rc = db_delete(db, l->keys[i], NULL);

		if (rc && rc != -ENOENT) {
			lease_free(l);
			return rc;
		}
	}
	lease_free(l);
	return 0;
}

int db_put_lease(struct db *db, const char *key, const void *value, size_t len, int64_t lease,
		 uint64_t *revision)
{
	struct db_local_lease *l;
	char *k, **nk;
	int rc;

	if (!db || !key || !key[0] || (!value && len))
		return -EINVAL;
	if (db->drv->put_lease)
		return db->drv->put_lease(db, key, value ? value : "", len, lease, revision);
	k = strdup(key);
	if (!k)
		return -ENOMEM;
	pthread_mutex_lock(&db->lease_mu);
	l = lease_find(db, lease);
	if (!l) {
		pthread_mutex_unlock(&db->lease_mu);
		free(k);
		return -ENOENT;
	}
	for (size_t i = 0; i < l->n_keys; i++) {
		if (!strcmp(l->keys[i], key)) {
			free(k);
			k = NULL;
			break;
		}
	}
	if (k) {
		nk = realloc(l->keys, (l->n_keys + 1) * sizeof(*nk));
		if (!nk) {
			pthread_mutex_unlock(&db->lease_mu);
			free(k);
			return -ENOMEM;
		}
		l->keys = nk;
		l->keys[l->n_keys++] = k;
	}
	pthread_mutex_unlock(&db->lease_mu);
	rc = db_put(db, key, value, len, revision);
	return rc;
}
