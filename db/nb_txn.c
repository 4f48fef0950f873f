/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_txn.c — northbound: a growing list of compares and ops for one db_txn.
 * Keys and values are copied into the builder, so callers may build them in
 * stack buffers. */
#include "nb_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void nb_txn_init(struct nb_txn *t)
{
	memset(t, 0, sizeof(*t));
}

void nb_txn_clear(struct nb_txn *t)
{
	size_t i;

	for (i = 0; i < t->n_strs; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->cmps);
	free(t->ops);
	memset(t, 0, sizeof(*t));
}

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	nv = realloc(*v, nc * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

static const char *keep(struct nb_txn *t, const char *s)
{
	char *c;

	if (grow((void **)&t->strs, &t->cap_strs, t->n_strs, sizeof(*t->strs)))
		return NULL;
	c = strdup(s);
	if (c)
		t->strs[t->n_strs++] = c;
	return c;
}

int nb_txn_cmp(struct nb_txn *t, const char *key, enum db_cmp_result r, uint64_t rev)
{
	const char *k;
	size_t i;

	for (i = 0; i < t->n_cmps; i++)
		if (t->cmps[i].result == r && t->cmps[i].mod_revision == rev &&
		    !strcmp(t->cmps[i].key, key))
			return 0;
	if (grow((void **)&t->cmps, &t->cap_cmps, t->n_cmps, sizeof(*t->cmps)) ||
	    !(k = keep(t, key)))
		return -ENOMEM;
	t->cmps[t->n_cmps++] = (struct db_cmp){ k, r, rev };
	return 0;
}

struct db_op *nb_txn_find(struct nb_txn *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n_ops; i++)
		if (!strcmp(t->ops[i].key, key))
			return &t->ops[i];
	return NULL;
}

static int add_op(struct nb_txn *t, enum db_op_type type, const char *key,
		  const char *value)
{
	const char *k, *v = NULL;

	if (grow((void **)&t->ops, &t->cap_ops, t->n_ops, sizeof(*t->ops)) ||
	    !(k = keep(t, key)) || (value && !(v = keep(t, value))))
		return -ENOMEM;
	t->ops[t->n_ops++] = (struct db_op){ type, k, v, v ? strlen(v) : 0 };
	return 0;
}

int nb_txn_put(struct nb_txn *t, const char *key, const char *value)
{
	return add_op(t, DB_OP_PUT, key, value);
}

int nb_txn_del(struct nb_txn *t, const char *key)
{
	return add_op(t, DB_OP_DELETE, key, NULL);
}
