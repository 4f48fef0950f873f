/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_cidrs.c — northbound: the CIDR sets of a batch.  A network's set
 * (`_uniq/cidrs/<network>`) holds the prefixes of its subnets, a subnet
 * pool's (`_uniq/poolcidrs/<pool>`) those of the subnets allocated from it
 * (any network).  A subnet change reads the sets it touches, checks its
 * prefix against every other line, compares each set's mod_revision and
 * puts the new set (deleted when empty): two overlapping subnets written at
 * once conflict on the set key, whatever an index holds. */
#include "nb_priv.h"
#include "mdl_addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nb_cidrs_key(const char *network_id, char *buf, size_t size)
{
	snprintf(buf, size, NB_PREFIX "_uniq/cidrs/%s", network_id);
}

void nb_pool_cidrs_key(const char *pool_id, char *buf, size_t size)
{
	snprintf(buf, size, NB_PREFIX "_uniq/poolcidrs/%s", pool_id);
}

/* Set text: one "<subnet id> <cidr>\n" line per subnet.  Removes id's line. */
void nb_cidrs_remove(char *set, const char *id)
{
	char *p = set, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		nl = nl ? nl + 1 : p + strlen(p);
		if (!strncmp(p, id, strlen(id)) && p[strlen(id)] == ' ') {
			memmove(p, nl, strlen(nl) + 1);
			continue;
		}
		p = nl;
	}
}

int nb_cidrs_add(char **set, const struct mdl_subnet *sn, const char *pool, char *err,
		 size_t es)
{
	struct mdl_prefix me, other;
	char id[MDL_ID_SIZE], cidr[MDL_CIDR_SIZE], *nv;
	const char *p = *set;
	size_t len;

	if (mdl_prefix_parse(sn->cidr, &me))
		return nb_errf(err, es, -EINVAL, "cidr: '%s' is not a valid CIDR", sn->cidr);
	while (*p) {
		if (sscanf(p, "%36s %63s", id, cidr) == 2 && !mdl_prefix_parse(cidr, &other) &&
		    me.addr.family == other.addr.family && mdl_prefix_overlap(&me, &other)) {
			if (pool)
				return nb_errf(err, es, -EADDRINUSE, "cidr: %s overlaps subnet %s "
					       "(%s) of subnetpool %s", sn->cidr, id, cidr, pool);
			return nb_errf(err, es, -EADDRINUSE,
				       "cidr: %s overlaps subnet %s (%s) in network %s",
				       sn->cidr, cidr, id, sn->network_id);
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : "";
	}
	len = strlen(*set);
	nv = realloc(*set, len + MDL_ID_SIZE + MDL_CIDR_SIZE + 2);
	if (!nv)
		return -ENOMEM;
	*set = nv;
	snprintf(nv + len, MDL_ID_SIZE + MDL_CIDR_SIZE + 2, "%s %s\n", sn->hdr.id, sn->cidr);
	return 0;
}

struct cset {
	char key[NB_KEY_SIZE];
	char *val;
	uint64_t mod;
};

struct csets {
	struct db *db;
	struct cset *v;
	size_t n;
};

static struct cset *cset_get(struct csets *c, const char *key, int *rc)
{
	struct cset *ns;
	struct db_kv kv;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	*rc = db_get(c->db, key, &kv);
	if (*rc && *rc != -ENOENT)
		return NULL;
	ns = realloc(c->v, (c->n + 1) * sizeof(*ns));
	if (!ns) {
		db_kv_clear(&kv);
		*rc = -ENOMEM;
		return NULL;
	}
	c->v = ns;
	ns = &c->v[c->n++];
	snprintf(ns->key, sizeof(ns->key), "%s", key);
	ns->val = *rc ? strdup("") : kv.value;
	ns->mod = *rc ? 0 : kv.mod_revision;
	kv.value = NULL;
	db_kv_clear(&kv);
	*rc = ns->val ? 0 : -ENOMEM;
	return *rc ? NULL : ns;
}

/* Moves subnet o (old, NULL on create) to nw (new, NULL on delete) in the
 * set of owner id (network or pool: which, by pool != NULL). */
static int cset_move(struct csets *c, const struct mdl_subnet *o, const char *oid,
		     const struct mdl_subnet *nw, const char *nid, bool pool, char *err,
		     size_t es)
{
	char key[NB_KEY_SIZE];
	struct cset *s;
	int rc = 0;

	if (o && nw && !strcmp(oid, nid) && !strcmp(o->cidr, nw->cidr))
		return 0;
	if (o && oid[0]) {
		(pool ? nb_pool_cidrs_key : nb_cidrs_key)(oid, key, sizeof(key));
		if (!(s = cset_get(c, key, &rc)))
			return rc;
		nb_cidrs_remove(s->val, o->hdr.id);
	}
	if (nw && nid[0]) {
		(pool ? nb_pool_cidrs_key : nb_cidrs_key)(nid, key, sizeof(key));
		if (!(s = cset_get(c, key, &rc)))
			return rc;
		nb_cidrs_remove(s->val, nw->hdr.id);
		rc = nb_cidrs_add(&s->val, nw, pool ? nid : NULL, err, es);
	}
	return rc;
}

int nb_cidrs_txn(struct db *db, struct nb_txn *t, const struct mdl_subnet *const *olds,
		 const struct mdl_subnet *const *news, size_t n, char *err, size_t es)
{
	struct csets c = { db, NULL, 0 };
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < n; i++) {
		const struct mdl_subnet *o = olds[i], *nw = news[i];

		rc = cset_move(&c, o, o ? o->network_id : "", nw, nw ? nw->network_id : "",
			       false, err, es);
		if (!rc)
			rc = cset_move(&c, o, o ? o->subnetpool_id : "", nw,
				       nw ? nw->subnetpool_id : "", true, err, es);
	}
	for (i = 0; !rc && i < c.n; i++) {
		rc = nb_txn_cmp(t, c.v[i].key, DB_CMP_EQUAL, c.v[i].mod);
		if (!rc && c.v[i].val[0])
			rc = nb_txn_put(t, c.v[i].key, c.v[i].val);
		else if (!rc && c.v[i].mod)
			rc = nb_txn_del(t, c.v[i].key);
	}
	for (i = 0; i < c.n; i++)
		free(c.v[i].val);
	free(c.v);
	return rc;
}

int nb_pool_cidrs_get(struct db *db, const char *pool_id, char **set)
{
	char key[NB_KEY_SIZE];
	struct db_kv kv;
	int rc;

	*set = NULL;
	if (!db || !pool_id)
		return -EINVAL;
	nb_pool_cidrs_key(pool_id, key, sizeof(key));
	rc = db_get(db, key, &kv);
	if (rc == -ENOENT) {
		*set = strdup("");
		return *set ? 0 : -ENOMEM;
	}
	if (rc)
		return rc;
	*set = kv.value;
	kv.value = NULL;
	db_kv_clear(&kv);
	return 0;
}
