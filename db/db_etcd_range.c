/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_range.c — a kv/range answer of etcd's JSON gateway, decoded
 * with yajl's event parser straight into db_kv entries.
 *
 * A scan page is several MB of JSON (5000 keys, base64 values).  Jansson
 * builds a tree of it first: about 40 ms a page here, against 3 ms for
 * yajl's events, and a burst of allocations the size of the page.  Only
 * the fields a scan reads are kept: header.revision, header.cluster_id,
 * more, and per kv key, value, mod_revision, create_revision.  Anything
 * else (count, version, lease, unknown members) is skipped whatever its
 * shape.  An answer with a top-level "error" or "code", or a kv without a
 * key, is refused (-EIO), and what this answer appended is taken back.
 *
 * Any thread; no state outside the call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "db_etcd_priv.h"

enum field {
	F_NONE,
	F_REVISION, F_CLUSTER,                  /* header */
	F_MORE, F_ERROR,                        /* top level */
	F_KEY, F_VALUE, F_MOD, F_CREATE,        /* a kv */
};

struct rp {
	struct etcd_range *r;
	unsigned depth;         /* maps and arrays open */
	bool in_header, in_kvs, in_kv;
	enum field f;           /* the member whose value comes next */
	struct db_kv kv;        /* the kv being read */
	bool failed;
};

/* An error answer ("error" or "code" at the top): the caller reads it as
 * one (db_etcd_http.c classifies it) */
static int refuse_error(struct rp *p)
{
	db_set_error("etcd: an error answer to a range");
	p->failed = true;
	return 0;
}

static bool push_kv(struct rp *p)
{
	struct etcd_range *r = p->r;
	struct db_kv_list *l = r->out;

	if (!p->kv.key) {
		db_set_error("etcd: a range answer holds a kv without a key");
		return false;
	}
	if (!p->kv.value) {             /* an empty value is left out */
		p->kv.value = calloc(1, 1);
		if (!p->kv.value)
			return false;
	}
	if (l->n + 1 > *r->cap) {
		size_t nc = *r->cap ? *r->cap * 2 : 1024;
		struct db_kv *nk = realloc(l->kvs, nc * sizeof(*nk));

		if (!nk)
			return false;
		l->kvs = nk;
		*r->cap = nc;
	}
	l->kvs[l->n++] = p->kv;
	memset(&p->kv, 0, sizeof(p->kv));
	return true;
}

static int on_scalar(struct rp *p, const unsigned char *s, size_t n)
{
	size_t len;

	switch (p->f) {
	case F_REVISION:
		p->r->revision = etcd_digits_u64(s, n);
		break;
	case F_CLUSTER:
		p->r->cluster_id = etcd_digits_u64(s, n);
		break;
	case F_MOD:
		p->kv.mod_revision = etcd_digits_u64(s, n);
		break;
	case F_CREATE:
		p->kv.create_revision = etcd_digits_u64(s, n);
		break;
	case F_KEY:
	case F_VALUE: {
		void **dst = p->f == F_KEY ? (void **)&p->kv.key : &p->kv.value;
		void *d = etcd_b64_decode_n((const char *)s, n, &len);

		if (!d || *dst) {       /* bad base64, or the member twice */
			free(d);
			db_set_error("etcd: a range answer holds a bad %s",
				     p->f == F_KEY ? "key" : "value");
			p->failed = true;
			return 0;
		}
		*dst = d;
		if (p->f == F_VALUE)
			p->kv.value_len = len;
		break;
	}
	case F_ERROR:
		return refuse_error(p);
	default:
		break;
	}
	p->f = F_NONE;
	return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	return on_scalar(ctx, s, n);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	return on_scalar(ctx, (const unsigned char *)s, n);
}

static int cb_null(void *ctx)
{
	struct rp *p = ctx;

	p->f = F_NONE;
	return 1;
}

static int cb_bool(void *ctx, int b)
{
	struct rp *p = ctx;

	if (p->f == F_MORE)
		p->r->more = b != 0;
	else if (p->f == F_ERROR)
		return refuse_error(p);
	p->f = F_NONE;
	return 1;
}

static int cb_start_map(void *ctx)
{
	struct rp *p = ctx;

	p->depth++;
	if (p->f == F_ERROR)
		return refuse_error(p);
	if (p->depth == 3 && p->in_kvs)
		p->in_kv = true;
	p->f = F_NONE;
	return 1;
}

static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
	struct rp *p = ctx;

	p->f = F_NONE;
	if (p->depth == 1) {
		p->in_header = etcd_lit_eq(s, n, "header");
		p->in_kvs = etcd_lit_eq(s, n, "kvs");
		if (etcd_lit_eq(s, n, "more"))
			p->f = F_MORE;
		else if (etcd_lit_eq(s, n, "error") || etcd_lit_eq(s, n, "code"))
			p->f = F_ERROR;
	} else if (p->depth == 2 && p->in_header) {
		if (etcd_lit_eq(s, n, "revision"))
			p->f = F_REVISION;
		else if (etcd_lit_eq(s, n, "cluster_id"))
			p->f = F_CLUSTER;
	} else if (p->depth == 3 && p->in_kv) {
		if (etcd_lit_eq(s, n, "key"))
			p->f = F_KEY;
		else if (etcd_lit_eq(s, n, "value"))
			p->f = F_VALUE;
		else if (etcd_lit_eq(s, n, "mod_revision"))
			p->f = F_MOD;
		else if (etcd_lit_eq(s, n, "create_revision"))
			p->f = F_CREATE;
	}
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct rp *p = ctx;

	if (p->depth == 3 && p->in_kv) {
		p->in_kv = false;
		if (!push_kv(p))
			return p->failed = true, 0;
	}
	if (p->depth == 2)
		p->in_header = false;
	p->depth--;
	p->f = F_NONE;
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct rp *p = ctx;

	p->depth++;
	if (p->f == F_ERROR)
		return refuse_error(p);
	p->f = F_NONE;
	return 1;
}

static int cb_end_array(void *ctx)
{
	struct rp *p = ctx;

	if (p->depth == 2)
		p->in_kvs = false;
	p->depth--;
	return 1;
}

static const yajl_callbacks range_cbs = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

int etcd_range_decode(const char *body, size_t len, struct etcd_range *r)
{
	struct rp p = { .r = r };
	size_t n0 = r->out->n;
	yajl_handle h = yajl_alloc(&range_cbs, NULL, &p);
	yajl_status st;

	if (!h)
		return -ENOMEM;
	r->revision = r->cluster_id = 0;
	r->more = false;
	st = yajl_parse(h, (const unsigned char *)body, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && !p.failed)
		db_set_error("etcd: a range answer is not JSON");
	yajl_free(h);
	db_kv_clear(&p.kv);
	if (st == yajl_status_ok && !p.failed && r->revision)
		return 0;
	if (st == yajl_status_ok && !p.failed)
		db_set_error("etcd: a range answer without a header revision");
	while (r->out->n > n0)
		db_kv_clear(&r->out->kvs[--r->out->n]);
	return -EIO;
}
