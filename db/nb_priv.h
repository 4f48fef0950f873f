/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_priv.h — northbound, internal: the handle, the transaction builder
 * (nb_txn.c), claims/references of an object (nb_claims.c) and the
 * in-memory index (nb_index.c).  Not installed; db/ only. */
#ifndef WYV_DB_NB_PRIV_H
#define WYV_DB_NB_PRIV_H

#include "nb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define NB_PREFIX "/wyvern/v1/"
#define NB_DP_NS "dp_key"
#define NB_KEY_SIZE 512

struct nb_index;

struct nb {
	struct db *db;
	struct nb_index *idx;           /* NULL = lookups read the db */
	unsigned flags;
	pthread_mutex_t mu;             /* dp_key block */
	uint32_t next_key, end_key;     /* reserved [next_key, end_key) */
	_Atomic uint64_t n_ops, n_txns, n_retries, n_unknown, n_resolved, n_mac_regen;
	int (*mac_gen)(void *arg, char *mac, size_t size);     /* NULL: random */
	void *mac_gen_arg;
};

/* Initialises a stack handle without index or block (the db-level API). */
void nb_init_plain(struct nb *nb, struct db *db);
/* One dp_key from the handle's block (reserving a new block by CAS when it
 * is used up).  0/-errno. */
int nb_block_key(struct nb *nb, uint32_t *key);

/* A port's generated MAC: fa:16:3e + 24 random bits, or the handle's
 * generator (nb_set_mac_generator).  0/-errno. */
int nb_gen_mac(struct nb *nb, struct mdl_port *p);

/* db_get through the thread's read memo (nb.h): a key read before in this
 * command is answered from the copy. */
int nb_memo_get(struct db *db, const char *key, struct db_kv *kv);
/* db_txn for this module's writes: forgets the thread's read memo first
 * (nb.h nb_memo_begin). */
int nb_db_txn(struct db *db, const struct db_cmp *cmps, size_t n_cmps, const struct db_op *ops,
	      size_t n_ops, bool *succeeded, uint64_t *revision);
int nb_errf(char *err, size_t es, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- transaction builder (nb_txn.c) ---- */

struct nb_txn {
	struct db_cmp *cmps;
	size_t n_cmps, cap_cmps;
	struct db_op *ops;
	size_t n_ops, cap_ops;
	char **strs;                    /* keys/values owned by the builder */
	size_t n_strs, cap_strs;
};

void nb_txn_init(struct nb_txn *t);
void nb_txn_clear(struct nb_txn *t);
/* Keys and values are copied.  A second compare of the same key and result
 * is dropped.  0/-ENOMEM. */
int nb_txn_cmp(struct nb_txn *t, const char *key, enum db_cmp_result r, uint64_t rev);
int nb_txn_put(struct nb_txn *t, const char *key, const char *value);
int nb_txn_del(struct nb_txn *t, const char *key);
/* The op on key, or NULL. */
struct db_op *nb_txn_find(struct nb_txn *t, const char *key);

/* ---- claims and references of one object (nb_claims.c) ---- */

enum nb_claim_kind { NB_CLAIM_MAC, NB_CLAIM_IP, NB_CLAIM_SEGID,
		     NB_CLAIM_SG_DEFAULT,     /* the project's group named "default" */
		     NB_CLAIM_SG_RULE,        /* a rule of a group, by what it allows */
		     NB_CLAIM_POOL_DEFAULT }; /* the default subnet pool of an IP version */

struct nb_claim {
	char key[NB_KEY_SIZE];
	enum nb_claim_kind kind;
	size_t idx;                     /* fixed_ips index for NB_CLAIM_IP */
};

struct nb_ref {
	enum mdl_type type;
	char id[MDL_ID_SIZE];
	bool exact;                     /* compare its mod_revision, not presence */
};

/* The uniqueness keys the object holds; *out is malloc'd.  0/-errno. */
int nb_obj_claims(const struct mdl_hdr *o, struct nb_claim **out, size_t *n);
/* The objects it refers to (deduplicated, self excluded). */
int nb_obj_refs(const struct mdl_hdr *o, struct nb_ref **out, size_t *n);
/* "/wyvern/v1/_ref/<id>" (guard) and ".../<id>/<type>/<rid>" (one ref). */
void nb_ref_guard_key(const char *id, char *buf, size_t size);
void nb_ref_key(const char *id, enum mdl_type rtype, const char *rid, char *buf,
		size_t size);
/* ---- CIDR sets (nb_cidrs.c) ---- */
/* "/wyvern/v1/_uniq/cidrs/<network>", "/wyvern/v1/_uniq/poolcidrs/<pool>" */
void nb_cidrs_key(const char *network_id, char *buf, size_t size);
void nb_pool_cidrs_key(const char *pool_id, char *buf, size_t size);
/* The CIDR set value: removes subnet id's line; checks sn's cidr against
 * every line (-EADDRINUSE "... overlaps ... in network N", or with pool
 * "... of subnetpool P"; -EINVAL) and appends it. */
void nb_cidrs_remove(char *set, const char *id);
int nb_cidrs_add(char **set, const struct mdl_subnet *sn, const char *pool, char *err,
		 size_t es);
/* The subnets of a batch go from olds[i] to news[i] (NULL: none): the
 * network and pool sets they touch are read, checked, compared at the
 * revision read and put / deleted in t. */
int nb_cidrs_txn(struct db *db, struct nb_txn *t, const struct mdl_subnet *const *olds,
		 const struct mdl_subnet *const *news, size_t n, char *err, size_t es);
/* "port/<id>" as stored in a claim key. */
void nb_owner(const struct mdl_hdr *o, char *buf, size_t size);
/* Message for a claim held by `owner` (value of the claim key). */
int nb_claim_err(const struct mdl_hdr *o, const struct nb_claim *c, const char *owner,
		 char *err, size_t es);
/* Filter match on a decoded object. */
bool nb_filter_match(const struct mdl_hdr *o, const struct nb_filter *f);

/* ---- index (nb_index.c) ---- */

struct nb_index *nbi_open(struct db *db);
void nbi_close(struct nb_index *x);
int nbi_wait(struct nb_index *x, uint64_t revision, int timeout_ms);
int nbi_wait_obj(struct nb_index *x, const char *id, uint64_t revision, bool gone,
		 int timeout_ms);
/* Decoded copy + mod_revision, or NULL (not in the index). */
struct mdl_hdr *nbi_get(struct nb_index *x, enum mdl_type type, const char *id,
			uint64_t *mod_revision);
/* 1 if a port holds ip in subnet_id (the (subnet, ip) group is not empty),
 * 0 if not, -ESTALE / -EINVAL.  No decoding. */
int nbi_ip_used(struct nb_index *x, const char *subnet_id, const char *ip);
/* The status the port's chassis reported (nb_port_status). */
int nbi_port_status(struct nb_index *x, const char *port, char *out, size_t size);
int nbi_find(struct nb_index *x, enum mdl_type type, const struct nb_filter *f,
	     struct mdl_hdr ***objs, size_t *n);

#endif
