/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_apply.c — northbound: nb_apply — a batch of creates/updates/deletes as one
 * db transaction (see nb.h for the compares, db/DESIGN.md for the keys).
 *
 * One attempt = build (read the old objects, the CIDR sets and the refs of
 * deleted objects; validate; turn claims and references into compares and
 * ops) + db_txn.  When the txn fails or its outcome is unknown, verify()
 * re-reads the objects: if every one is as some attempt wrote it (a create's
 * JSON carries its unique dp_key), the batch is done.  Otherwise the next
 * attempt builds "fresh": lookups read the db instead of the index and each
 * new claim is read, so a real conflict is reported with its owner. */
#include "nb_priv.h"
#include "mdl_addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NB_ATTEMPTS 32
#define NB_UNKNOWN_MAX 8        /* unknown outcomes in a row before giving up */

/* A chassis has no datapath key (nothing is compiled from its dp_key), and
 * its creates must not meet on the shared counter: every host registers
 * its own chassis, a thousand of them at once when a cloud starts. */
static bool needs_dp_key(const struct mdl_hdr *obj)
{
	return obj->type != MDL_CHASSIS;
}

struct seen {                   /* object read by validation, for exact compares */
	enum mdl_type type;
	char id[MDL_ID_SIZE];
	uint64_t mod;
};

struct work {
	char key[NB_KEY_SIZE];
	struct mdl_hdr *old;            /* UPDATE/DELETE: stored version */
	uint64_t old_mod;
	uint32_t block_key;             /* CREATE with a dp_key block */
	char *json;                     /* this attempt's value */
	char *tried[NB_ATTEMPTS];       /* every value sent, for verify() */
	uint32_t tried_key[NB_ATTEMPTS];
	size_t n_tried;
	bool gen_mac;                   /* CREATE port: its MAC was generated here */
};

struct build {
	struct nb *nb;
	struct nb_op *ops;
	size_t n;
	struct work *w;
	bool fresh;
	struct nb_txn t;
	struct seen *seen;
	size_t n_seen;
	char *err;
	size_t es;
	long mac_taken;                 /* op whose generated MAC was taken, else -1 */
};

static const char *op_type_name(const struct nb_op *op)
{
	return mdl_type_name(op->kind == NB_OP_DELETE ? op->type : op->obj->type);
}

static const char *op_id(const struct nb_op *op)
{
	return op->kind == NB_OP_DELETE ? op->id : op->obj->id;
}

static enum mdl_type op_type(const struct nb_op *op)
{
	return op->kind == NB_OP_DELETE ? op->type : op->obj->type;
}

/* Index of the batch op on (type, id), or -1. */
static int batch_find(const struct build *b, enum mdl_type type, const char *id)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (op_type(&b->ops[i]) == type && !strcmp(op_id(&b->ops[i]), id))
			return (int)i;
	return -1;
}

/* ---- lookup for mdl_validate_against: batch, then index, then db ---- */

static void remember(struct build *b, enum mdl_type type, const char *id, uint64_t mod)
{
	struct seen *ns = realloc(b->seen, (b->n_seen + 1) * sizeof(*ns));

	if (!ns)
		return;                 /* only costs an exact compare */
	b->seen = ns;
	ns[b->n_seen].type = type;
	snprintf(ns[b->n_seen].id, MDL_ID_SIZE, "%s", id);
	ns[b->n_seen++].mod = mod;
}

static const struct seen *seen_find(const struct build *b, enum mdl_type type,
				    const char *id)
{
	size_t i;

	for (i = 0; i < b->n_seen; i++)
		if (b->seen[i].type == type && !strcmp(b->seen[i].id, id))
			return &b->seen[i];
	return NULL;
}

static struct mdl_hdr *lk_get(void *ctx, enum mdl_type type, const char *id)
{
	struct build *b = ctx;
	struct mdl_hdr *o = NULL;
	uint64_t mod;
	int i = batch_find(b, type, id), rc;

	if (i >= 0) {
		if (b->ops[i].kind == NB_OP_DELETE) {
			errno = ENOENT;
			return NULL;
		}
		return mdl_obj_dup(b->ops[i].obj);
	}
	if (!b->fresh && b->nb->idx) {
		o = nbi_get(b->nb->idx, type, id, &mod);
		if (o) {
			remember(b, type, id, mod);
			return o;
		}
	}
	rc = nb_get(b->nb->db, type, id, &o, &mod);      /* index may lag */
	if (rc) {
		errno = rc == -EINVAL ? ENOENT : -rc;
		return NULL;
	}
	remember(b, type, id, mod);
	return o;
}

/* Ports and subnets: uniqueness is the claims' and CIDR sets' job (exact,
 * in the txn), so the model's scans are skipped.  Other types: iterate. */
static int lk_foreach(void *ctx, enum mdl_type type,
		      int (*fn)(const struct mdl_hdr *, void *), void *arg)
{
	struct build *b = ctx;
	struct mdl_hdr **objs;
	size_t n, i;
	int rc;

	if (type == MDL_PORT || type == MDL_SUBNET)
		return 0;
	rc = nb_find(b->nb, type, NULL, &objs, &n);
	for (i = 0; !rc && i < n; i++)
		rc = fn(objs[i], arg);
	nb_list_free(objs, n);
	return rc;
}

/* ---- steps of build() ---- */

static bool is_ours(const struct work *w, const struct db_kv *kv, uint32_t *dp_key)
{
	size_t i;

	for (i = 0; i < w->n_tried; i++)
		if (kv->value_len == strlen(w->tried[i]) &&
		    !memcmp(kv->value, w->tried[i], kv->value_len)) {
			if (dp_key)
				*dp_key = w->tried_key[i];
			return true;
		}
	return false;
}

/* Reads old objects, sets dp_key/version, compares the object keys. */
static int step_objects(struct build *b)
{
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		struct nb_op *op = &b->ops[i];
		struct work *w = &b->w[i];
		struct db_kv kv;

		if (batch_find(b, op_type(op), op_id(op)) != (int)i)
			return nb_errf(b->err, b->es, -EINVAL, "%s %s appears twice in one "
				       "transaction", op_type_name(op), op_id(op));
		mdl_obj_free(w->old);
		w->old = NULL;
		if (op->kind == NB_OP_CREATE) {
			if (b->fresh) {
				rc = db_get(b->nb->db, w->key, &kv);
				if (rc && rc != -ENOENT)
					return rc;
				if (!rc) {
					uint32_t key;
					bool mine = is_ours(w, &kv, &key);

					db_kv_clear(&kv);
					if (mine) {     /* an earlier attempt landed late */
						op->obj->dp_key = key;
						return 1;
					}
					return nb_errf(b->err, b->es, -EEXIST, "%s %s already exists",
						       op_type_name(op), op_id(op));
				}
			}
			if ((rc = nb_txn_cmp(&b->t, w->key, DB_CMP_EQUAL, 0)))
				return rc;
			continue;
		}
		rc = nb_get(b->nb->db, op_type(op), op_id(op), &w->old, &w->old_mod);
		if (rc == -EINVAL)
			return nb_errf(b->err, b->es, rc, "id: '%s' is not a valid UUID",
				       op_id(op));
		if (rc)
			return rc;
		if (op->expected_mod_revision && op->expected_mod_revision != w->old_mod)
			return -EAGAIN;
		if (op->kind == NB_OP_UPDATE) {
			op->obj->dp_key = w->old->dp_key;       /* immutable */
			op->obj->version = w->old->version + 1;
		}
		if ((rc = nb_txn_cmp(&b->t, w->key, DB_CMP_EQUAL, w->old_mod)))
			return rc;
		if (op->kind == NB_OP_DELETE && (rc = nb_txn_del(&b->t, w->key)))
			return rc;
	}
	return 0;
}

/* dp_keys of the creates: from the handle's block, or the counter in this
 * txn (compare-and-swap on its mod_revision). */
static int step_dp_keys(struct build *b)
{
	uint64_t cur = 0, seen = 0;
	char ckey[128], val[32];
	struct db_kv kv;
	size_t i, k = 0;
	int rc;

	for (i = 0; i < b->n; i++)
		if (b->ops[i].kind == NB_OP_CREATE && b->w[i].block_key)
			b->ops[i].obj->dp_key = b->w[i].block_key;
		else if (b->ops[i].kind == NB_OP_CREATE && needs_dp_key(b->ops[i].obj))
			k++;
	if (!k)
		return 0;
	db_alloc_counter_key(NB_DP_NS, ckey, sizeof(ckey));
	rc = db_get(b->nb->db, ckey, &kv);
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc) {
		cur = strtoull(kv.value, NULL, 10);
		seen = kv.mod_revision;
		db_kv_clear(&kv);
	}
	if (cur + k > UINT32_MAX)
		return nb_errf(b->err, b->es, -ENOSPC, "dp_key space exhausted");
	for (i = 0; i < b->n; i++)
		if (b->ops[i].kind == NB_OP_CREATE && !b->w[i].block_key &&
		    needs_dp_key(b->ops[i].obj))
			b->ops[i].obj->dp_key = (uint32_t)++cur;
	snprintf(val, sizeof(val), "%llu", (unsigned long long)cur);
	if ((rc = nb_txn_cmp(&b->t, ckey, DB_CMP_EQUAL, seen)))
		return rc;
	return nb_txn_put(&b->t, ckey, val);
}

static int step_validate_and_put(struct build *b)
{
	struct mdl_lookup lk = { lk_get, lk_foreach, b };
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		struct nb_op *op = &b->ops[i];
		struct work *w = &b->w[i];

		if (op->kind == NB_OP_DELETE)
			continue;
		if ((rc = mdl_validate_against(op->obj, &lk, b->err, b->es)))
			return rc;
		free(w->json);
		w->json = mdl_obj_to_string(op->obj);
		if (!w->json)
			return -ENOMEM;
		if ((rc = nb_txn_put(&b->t, w->key, w->json)))
			return rc;
	}
	return 0;
}

static bool claim_in(const struct nb_claim *v, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return true;
	return false;
}

struct claimsets {
	struct nb_claim *old, *new;
	size_t n_old, n_new;
};

static int step_claims(struct build *b)
{
	struct claimsets *cs = calloc(b->n ? b->n : 1, sizeof(*cs));
	char owner[128];
	size_t i, j, k;
	int rc = cs ? 0 : -ENOMEM;

	for (i = 0; !rc && i < b->n; i++) {
		if (b->w[i].old)
			rc = nb_obj_claims(b->w[i].old, &cs[i].old, &cs[i].n_old);
		if (!rc && b->ops[i].kind != NB_OP_DELETE)
			rc = nb_obj_claims(b->ops[i].obj, &cs[i].new, &cs[i].n_new);
	}
	/* new claims: absent, or released by another op of the batch */
	for (i = 0; !rc && i < b->n; i++) {
		for (j = 0; !rc && j < cs[i].n_new; j++) {
			const struct nb_claim *c = &cs[i].new[j];
			bool released = false;

			if (claim_in(cs[i].old, cs[i].n_old, c->key))
				continue;       /* held already */
			for (k = 0; k < b->n && !released; k++)
				released = k != i && claim_in(cs[k].old, cs[k].n_old, c->key) &&
					   !claim_in(cs[k].new, cs[k].n_new, c->key);
			if (nb_txn_find(&b->t, c->key)) {       /* two ops, one address */
				for (k = 0; k < i && !claim_in(cs[k].new, cs[k].n_new, c->key); k++)
					;
				nb_owner(b->ops[k < i ? k : i].obj, owner, sizeof(owner));
				rc = nb_claim_err(b->ops[i].obj, c, owner, b->err, b->es);
				if (c->kind == NB_CLAIM_MAC && b->w[i].gen_mac)
					b->mac_taken = (long)i;
				break;
			}
			nb_owner(b->ops[i].obj, owner, sizeof(owner));
			if (!released && b->fresh) {
				struct db_kv kv;

				rc = db_get(b->nb->db, c->key, &kv);
				if (rc == -ENOENT) {
					rc = 0;
				} else if (!rc) {
					bool mine = !strcmp(kv.value, owner);

					rc = mine ? nb_txn_cmp(&b->t, c->key, DB_CMP_EQUAL,
							       kv.mod_revision) :
						    nb_claim_err(b->ops[i].obj, c, kv.value, b->err,
								 b->es);
					if (!mine && c->kind == NB_CLAIM_MAC && b->w[i].gen_mac)
						b->mac_taken = (long)i;
					db_kv_clear(&kv);
					if (!rc)
						rc = nb_txn_put(&b->t, c->key, owner);
					continue;
				}
			}
			if (!rc && !released)
				rc = nb_txn_cmp(&b->t, c->key, DB_CMP_EQUAL, 0);
			if (!rc)
				rc = nb_txn_put(&b->t, c->key, owner);
		}
	}
	/* released and not taken over: delete */
	for (i = 0; !rc && i < b->n; i++)
		for (j = 0; !rc && j < cs[i].n_old; j++)
			if (!claim_in(cs[i].new, cs[i].n_new, cs[i].old[j].key) &&
			    !nb_txn_find(&b->t, cs[i].old[j].key))
				rc = nb_txn_del(&b->t, cs[i].old[j].key);
	for (i = 0; cs && i < b->n; i++) {
		free(cs[i].old);
		free(cs[i].new);
	}
	free(cs);
	return rc;
}

static bool ref_in(const struct nb_ref *v, size_t n, const struct nb_ref *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].type == r->type && !strcmp(v[i].id, r->id))
			return true;
	return false;
}

static int busy(struct build *b, enum mdl_type t, const char *id, const char *by_type,
		const char *by_id)
{
	return nb_errf(b->err, b->es, -EBUSY, "%s %s is in use by %s %s",
		       mdl_type_name(t), id, by_type, by_id);
}

/* References: back-reference keys + guard puts for new ones, presence (or
 * exact revision) compares on the referenced objects. */
static int step_refs(struct build *b)
{
	char key[NB_KEY_SIZE], guard[NB_KEY_SIZE];
	size_t i, j;
	int rc = 0;

	for (i = 0; !rc && i < b->n; i++) {
		struct nb_op *op = &b->ops[i];
		struct nb_ref *o = NULL, *nw = NULL;
		size_t n_o = 0, n_nw = 0;

		if (b->w[i].old)
			rc = nb_obj_refs(b->w[i].old, &o, &n_o);
		if (!rc && op->kind != NB_OP_DELETE)
			rc = nb_obj_refs(op->obj, &nw, &n_nw);
		for (j = 0; !rc && j < n_nw; j++) {
			const struct nb_ref *r = &nw[j];
			const struct seen *s = seen_find(b, r->type, r->id);
			int k = batch_find(b, r->type, r->id);
			bool added = !ref_in(o, n_o, r);

			if (k >= 0 && b->ops[k].kind == NB_OP_DELETE) {
				rc = busy(b, r->type, r->id, mdl_type_name(op->obj->type),
					  op->obj->id);
				break;
			}
			if (k < 0 && r->exact && s)
				rc = nb_txn_cmp(&b->t, nb_key(r->type, r->id, key, sizeof(key)) > 0 ?
						key : "", DB_CMP_EQUAL, s->mod);
			else if (k < 0 && added)
				rc = nb_txn_cmp(&b->t, nb_key(r->type, r->id, key, sizeof(key)) > 0 ?
						key : "", DB_CMP_GREATER, 0);
			if (rc || !added)
				continue;
			nb_ref_key(r->id, op->obj->type, op->obj->id, key, sizeof(key));
			rc = nb_txn_put(&b->t, key, "");
			nb_ref_guard_key(r->id, guard, sizeof(guard));
			if (!rc && !nb_txn_find(&b->t, guard))
				rc = nb_txn_put(&b->t, guard, op->obj->id);
		}
		for (j = 0; !rc && j < n_o; j++)
			if (!ref_in(nw, n_nw, &o[j])) {
				nb_ref_key(o[j].id, op_type(op), op_id(op), key, sizeof(key));
				rc = nb_txn_del(&b->t, key);
			}
		free(o);
		free(nw);
	}
	return rc;
}

static int rank(const char *type)
{
	static const char *const order[] = { "subnet", "port", "router", "floating_ip",
					     "security_group_rule", "security_group" };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(type, order[i]))
			return (int)i;
	return 50;
}

/* Deletes: the back-reference prefix must be empty (apart from refs this
 * batch drops), and the guard unchanged since that read. */
static int step_deletes(struct build *b)
{
	char guard[NB_KEY_SIZE];
	struct db_kv_list l;
	size_t i, j, gl;
	int rc = 0;

	for (i = 0; !rc && i < b->n; i++) {
		uint64_t guard_mod = 0;
		int best = 100;

		if (b->ops[i].kind != NB_OP_DELETE)
			continue;
		nb_ref_guard_key(b->ops[i].id, guard, sizeof(guard));
		gl = strlen(guard);
		if ((rc = db_scan(b->nb->db, guard, &l)))
			return rc;
		for (j = 0; j < l.n; j++) {
			const char *k = l.kvs[j].key, *t, *id;
			const struct db_op *dop;
			char tbuf[64];
			int r;

			if (!strcmp(k, guard)) {
				guard_mod = l.kvs[j].mod_revision;
				continue;
			}
			dop = nb_txn_find(&b->t, k);
			if (dop && dop->type == DB_OP_DELETE)
				continue;       /* dropped by another op of the batch */
			t = k + gl + 1;
			id = strchr(t, '/');
			snprintf(tbuf, sizeof(tbuf), "%.*s", id ? (int)(id - t) : 0, t);
			r = rank(tbuf);
			if (r < best) {         /* report the most direct referrer */
				best = r;
				rc = busy(b, b->ops[i].type, b->ops[i].id, tbuf, id ? id + 1 : "?");
			}
		}
		db_kv_list_clear(&l);
		if (rc)
			return rc;
		if ((rc = nb_txn_cmp(&b->t, guard, DB_CMP_EQUAL, guard_mod)))
			return rc;
		if (guard_mod && !nb_txn_find(&b->t, guard))
			rc = nb_txn_del(&b->t, guard);
	}
	return rc;
}

/* CIDR sets of the networks and pools whose subnets change (nb_cidrs.c). */
static int step_cidrs(struct build *b)
{
	const struct mdl_subnet **v = calloc(2 * b->n + 1, sizeof(*v));
	size_t i, k = 0;
	int rc;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < b->n; i++) {
		if (op_type(&b->ops[i]) != MDL_SUBNET)
			continue;
		v[k] = (const struct mdl_subnet *)b->w[i].old;
		v[b->n + k++] = b->ops[i].kind == NB_OP_DELETE ? NULL :
				(const struct mdl_subnet *)b->ops[i].obj;
	}
	rc = nb_cidrs_txn(b->nb->db, &b->t, v, v + b->n, k, b->err, b->es);
	free(v);
	return rc;
}

static void build_reset(struct build *b)
{
	nb_txn_clear(&b->t);
	free(b->seen);
	b->seen = NULL;
	b->n_seen = 0;
}

static int build(struct build *b)
{
	int rc;

	build_reset(b);
	nb_txn_init(&b->t);
	b->mac_taken = -1;
	if ((rc = step_objects(b)) || (rc = step_dp_keys(b)) ||
	    (rc = step_validate_and_put(b)) || (rc = step_claims(b)) ||
	    (rc = step_refs(b)) || (rc = step_deletes(b)) || (rc = step_cidrs(b)))
		return rc;
	return 0;
}

/* 1 if the batch is in the db as some attempt wrote it, 0 if not, -errno. */
static int verify(struct build *b, uint64_t *rev)
{
	size_t i, match = 0;
	bool create_ours = false;
	uint32_t key;
	int rc;

	for (i = 0; i < b->n; i++) {
		struct work *w = &b->w[i];
		struct db_kv kv;

		rc = db_get(b->nb->db, w->key, &kv);
		if (rc && rc != -ENOENT)
			return rc;
		if (b->ops[i].kind == NB_OP_DELETE) {
			match += rc == -ENOENT;
			if (!rc)
				db_kv_clear(&kv);
			continue;
		}
		if (!rc && is_ours(w, &kv, &key)) {
			match++;
			b->ops[i].obj->dp_key = key;
			create_ours |= b->ops[i].kind == NB_OP_CREATE;
			if (rev && kv.mod_revision > *rev)
				*rev = kv.mod_revision;
		}
		if (!rc)
			db_kv_clear(&kv);
	}
	return match == b->n || create_ours;
}

static int prepare(struct nb *nb, struct nb_op *ops, size_t n, struct work *w,
		   char *err, size_t es)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct nb_op *op = &ops[i];

		if (op->kind == NB_OP_DELETE) {
			if (!mdl_uuid_valid(op->id) ||
			    nb_key(op->type, op->id, w[i].key, sizeof(w[i].key)) < 0)
				return nb_errf(err, es, -EINVAL, "invalid arguments");
			continue;
		}
		if (!op->obj || !mdl_type_name(op->obj->type) ||
		    (op->kind != NB_OP_CREATE && op->kind != NB_OP_UPDATE))
			return nb_errf(err, es, -EINVAL, "invalid arguments");
		if (op->kind == NB_OP_CREATE) {
			if (!op->obj->id[0] && (rc = mdl_uuid_generate(op->obj->id)))
				return rc;
			if (op->obj->type == MDL_PORT &&
			    !mdl_hdr_to_port(op->obj)->mac_address[0]) {
				if ((rc = nb_gen_mac(nb, mdl_hdr_to_port(op->obj))))
					return rc;
				w[i].gen_mac = true;
			}
			op->obj->version = 1;
		}
		if ((rc = mdl_obj_validate(op->obj, err, es)))
			return rc;
		if (nb_key(op->obj->type, op->obj->id, w[i].key, sizeof(w[i].key)) < 0)
			return nb_errf(err, es, -EINVAL, "invalid arguments");
	}
	for (i = 0; i < n; i++)         /* only once everything looks valid */
		if (ops[i].kind == NB_OP_CREATE && (nb->flags & NB_F_DP_BLOCK) &&
		    needs_dp_key(ops[i].obj) && (rc = nb_block_key(nb, &w[i].block_key)))
			return rc;
	return 0;
}

/* After the n-th lost compare of an operation: sleep a random time below
 * 2^(n-2) ms (at most 64 ms), none after the first.  Many writers on one
 * key (creates on the dp_key counter, claims of one name) would otherwise
 * retry in lock step and some would run out of attempts. */
static void contention_backoff(int lost)
{
	static __thread unsigned seed;
	if (lost < 2)
		return;
	if (seed == 0)
		seed = (unsigned)time(NULL) ^ (unsigned)pthread_self() ^ (unsigned)getpid();
	int shift = lost - 2 < 6 ? lost - 2 : 6;
	usleep((useconds_t)((unsigned)rand_r(&seed) % (1000u << shift)));
}

static int attempts(struct build *b, uint64_t *revision)
{
	int lost = 0;
	int attempt, unknown = 0, draws = 0, rc = 0, v;
	uint64_t rev = 0;
	bool ok = false;
	size_t i;

	for (attempt = 0; attempt < NB_ATTEMPTS; attempt++) {
		b->fresh = attempt > 0;
		if ((rc = build(b)) > 0)
			b->nb->n_resolved++;    /* a late commit of an earlier attempt */
		if (rc == -EADDRINUSE && b->mac_taken >= 0 && draws < NB_MAC_DRAWS) {
			/* a generated MAC another port holds: draw again (an earlier
			 * try with it cannot commit: it compared the claim absent) */
			if ((rc = nb_gen_mac(b->nb, mdl_hdr_to_port(b->ops[b->mac_taken].obj))))
				return rc;
			if (b->err && b->es)
				b->err[0] = '\0';
			draws++;
			b->nb->n_mac_regen++;
			attempt--;      /* not contention: does not use up an attempt */
			continue;
		}
		if (rc)
			return rc > 0 ? 0 : rc;         /* 1: found done */
		for (i = 0; i < b->n; i++) {
			struct work *w = &b->w[i];

			if (w->json && w->n_tried < NB_ATTEMPTS) {
				w->tried_key[w->n_tried] = b->ops[i].obj->dp_key;
				w->tried[w->n_tried++] = strdup(w->json);
			}
		}
		rc = nb_db_txn(b->nb->db, b->t.cmps, b->t.n_cmps, b->t.ops, b->t.n_ops, &ok, &rev);
		b->nb->n_txns++;
		if (!rc && ok) {
			if (revision)
				*revision = rev;
			return 0;
		}
		if (rc == -EINVAL || rc == -EACCES)
			return rc;      /* refused (bad request, permission): not applied */
		unknown = rc ? unknown + 1 : 0;
		if (rc)
			b->nb->n_unknown++;
		rev = 0;
		do {            /* the outcome of an unknown write: re-read */
			v = verify(b, &rev);
			if (v < 0)
				usleep(100000);
		} while (v < 0 && ++unknown < NB_UNKNOWN_MAX);
		if (v == 1) {
			b->nb->n_resolved++;
			if (revision && !rev)
				db_revision(b->nb->db, &rev);
			if (revision)
				*revision = rev;
			return 0;
		}
		if (v < 0 || unknown >= NB_UNKNOWN_MAX)
			return rc ? rc : v;
		if (rc) {
			usleep(20000 * unknown);
		} else {
			b->nb->n_retries++;
			contention_backoff(++lost);
		}
	}
	return nb_errf(b->err, b->es, -EAGAIN, "too much contention, try again");
}

int nb_apply(struct nb *nb, struct nb_op *ops, size_t n, uint64_t *revision,
	     char *err, size_t es)
{
	struct build b = { .nb = nb, .ops = ops, .n = n, .err = err, .es = es };
	size_t i, k;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!nb || (!ops && n) || !n)
		return nb_errf(err, es, -EINVAL, "invalid arguments");
	nb->n_ops++;
	b.w = calloc(n, sizeof(*b.w));
	if (!b.w)
		return -ENOMEM;
	rc = prepare(nb, ops, n, b.w, err, es);
	if (!rc)
		rc = attempts(&b, revision);
	build_reset(&b);
	for (i = 0; i < n; i++) {
		mdl_obj_free(b.w[i].old);
		free(b.w[i].json);
		for (k = 0; k < b.w[i].n_tried; k++)
			free(b.w[i].tried[k]);
		if (rc && ops[i].kind == NB_OP_CREATE && ops[i].obj)
			ops[i].obj->dp_key = 0;
	}
	free(b.w);
	return rc;
}
