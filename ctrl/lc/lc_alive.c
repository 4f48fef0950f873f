/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_alive.c — chassis liveness.
 *
 * A chassis object (/wyvern/v1/chassis/<id>) is configuration: it stays when
 * its wyvernd stops.  Whether that wyvernd is running is a second key,
 * /wyvern/v1/_status/<id>/alive, which the sync thread puts with a lease of
 * `[ctrl] chassis-ttl` seconds and refreshes every third of it: a wyvernd
 * that is killed or cut off from the database loses the key within the
 * ttl, one that stops cleanly revokes it at once.  Every controller watches
 * those keys with the rest (they sit under the synced prefix; the chassis
 * etcd role may write its own _status/<id>/) and keeps the set of live
 * chassis ids (`wyctl show chassis`; gateway election reads it).  rocksdb
 * (one host) has in-process leases that never expire (db.h).
 *
 * Threads: lc_alive_tick/lc_alive_end run on the sync thread with its db;
 * the set (lc_alive_*) belongs to the control thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "lc_priv.h"

#define ALIVE_DIR  LC_PREFIX "_status/"
#define ALIVE_NAME "/alive"

int lc_alive_key_fmt(const char *id, char *buf, size_t size)
{
	return snprintf(buf, size, ALIVE_DIR "%s" ALIVE_NAME, id);
}

bool lc_alive_key(const char *key, char id[MDL_ID_SIZE])
{
	size_t dl = strlen(ALIVE_DIR), nl = strlen(ALIVE_NAME), kl = strlen(key);
	if (kl <= dl + nl || strncmp(key, ALIVE_DIR, dl) || strcmp(key + kl - nl, ALIVE_NAME))
		return false;
	size_t il = kl - dl - nl;
	if (il >= MDL_ID_SIZE || memchr(key + dl, '/', il))
		return false;
	memcpy(id, key + dl, il);
	id[il] = 0;
	return true;
}

/* ---- the set (control thread) ------------------------------------------ */
static ssize_t alive_find(const struct lc *lc, const char *id)
{
	for (size_t i = 0; i < lc->n_alive; i++)
		if (strcmp(lc->alive[i], id) == 0)
			return (ssize_t)i;
	return -1;
}

bool lc_chassis_alive(const struct lc *lc, const char *id)
{
	return alive_find(lc, id) >= 0;
}

bool lc_alive_set(struct lc *lc, const char *id, bool alive)
{
	ssize_t i = alive_find(lc, id);
	if (alive == (i >= 0))
		return false;
	if (!alive) {
		memmove(lc->alive[i], lc->alive[i + 1],
			(lc->n_alive - (size_t)i - 1) * sizeof(lc->alive[0]));
		lc->n_alive--;
		return true;
	}
	if (lc->n_alive == lc->cap_alive) {
		size_t nc = lc->cap_alive ? lc->cap_alive * 2 : 16;
		char (*na)[MDL_ID_SIZE] = realloc(lc->alive, nc * sizeof(*na));
		if (na == NULL)
			return false;   /* shown as not alive; the next event retries */
		lc->alive = na;
		lc->cap_alive = nc;
	}
	snprintf(lc->alive[lc->n_alive++], MDL_ID_SIZE, "%s", id);
	return true;
}

void lc_alive_clear(struct lc *lc)
{
	lc->n_alive = 0;
}

void lc_alive_free(struct lc *lc)
{
	free(lc->alive);
	lc->alive = NULL;
	lc->n_alive = lc->cap_alive = 0;
}

/* ---- the lease (sync thread) ------------------------------------------- */
static uint64_t now_ms(void)
{
	return lc_mono_us() / 1000;
}

static int alive_put(struct db *db, const struct lc_config *cfg, struct lc_alive_lease *a)
{
	char id[MDL_ID_SIZE], key[128], val[256];
	mdl_chassis_id(cfg->chassis, id);
	lc_alive_key_fmt(id, key, sizeof(key));
	int n = snprintf(val, sizeof(val), "{\"name\":\"%s\",\"ttl\":%u}", cfg->chassis,
			 cfg->chassis_ttl_s);
	int rc = db_lease_grant(db, cfg->chassis_ttl_s, &a->lease);
	if (rc)
		return rc;
	rc = db_put_lease(db, key, val, (size_t)n, a->lease, NULL);
	if (rc) {
		db_lease_revoke(db, a->lease);
		a->lease = 0;
	}
	return rc;
}

int lc_alive_tick(struct db *db, const struct lc_config *cfg, struct lc_alive_lease *a)
{
	uint64_t now = now_ms();
	int rc;
	if (cfg->chassis_ttl_s == 0 || (a->lease && now < a->next_ms))
		return 0;
	if (a->lease) {
		rc = db_lease_keepalive(db, a->lease, NULL);
		if (rc == -ENOENT) {
			/* expired (we were cut off for a ttl) or the store was
			 * restored from before we got it: the caller resyncs
			 * first (a restore rewinds revisions, and our own new
			 * writes could carry the store past the revision its
			 * watch compares), the next tick puts the key again */
			a->lease = 0;
			a->renewed++;
			a->next_ms = 0;
			return -ENOENT;
		}
	}
	if (a->lease == 0)
		rc = alive_put(db, cfg, a);
	/* every third of the ttl; after a failure, retry in a second */
	unsigned step = cfg->chassis_ttl_s * 1000 / 3;
	a->next_ms = now + (rc ? 1000 : (step ? step : 1000));
	return rc;
}

void lc_alive_end(struct db *db, struct lc_alive_lease *a)
{
	if (a->lease)
		db_lease_revoke(db, a->lease);
	a->lease = 0;
}

size_t lc_chassis_list(struct lc *lc, struct lc_chassis_info *out, size_t max)
{
	size_t n = 0, total = 0;
	struct lc_obj **v = lc_obj_all(lc, &n);
	char me[MDL_ID_SIZE];
	mdl_chassis_id(lc->cfg.chassis, me);
	for (size_t i = 0; i < n; i++) {
		if (v[i]->type != MDL_CHASSIS || !v[i]->present || v[i]->o == NULL)
			continue;
		const struct mdl_chassis *c = mdl_hdr_to_chassis(v[i]->o);
		if (total < max) {
			struct lc_chassis_info *e = &out[total];
			memset(e, 0, sizeof(*e));
			snprintf(e->id, sizeof(e->id), "%s", v[i]->o->id);
			snprintf(e->name, sizeof(e->name), "%s", c->name);
			snprintf(e->vtep_ip, sizeof(e->vtep_ip), "%s", c->vtep_ip);
			for (size_t k = 0; k < c->n_encap_types; k++)
				snprintf(e->encap + strlen(e->encap), sizeof(e->encap) - strlen(e->encap),
					 "%s%s", k ? "," : "", c->encap_types[k]);
			e->alive = lc_chassis_alive(lc, e->id);
			e->gateway = c->gateway;
			e->gateway_priority = (unsigned)c->gateway_priority;
			e->is_gateway = lc->gw_id[0] && strcmp(lc->gw_id, e->id) == 0;
			e->self = strcmp(e->id, me) == 0;
		}
		total++;
	}
	return total;
}
