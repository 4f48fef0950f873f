/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo_pool.c — Neutron subnet pools (subnet_allocation): a pool's
 * body (prefixes canonicalised as Neutron does: masked, covered ones
 * dropped, adjacent halves merged; ip_version derived; prefix length
 * defaults and bounds; prefixes only grow on update) and subnets allocated
 * from a pool (the lowest free aligned block of the requested length, or a
 * requested cidr checked against the pool).
 *
 * Concurrency: the pool's subnets are its CIDR set in the northbound
 * (`_uniq/poolcidrs/<pool>`, db/nb_cidrs.c).  An allocation reads that set,
 * picks a block, and the subnet's create transaction re-reads the set,
 * checks the block against it and compares the set's revision: a racing
 * allocation that took the block first makes this one fail with
 * -EADDRINUSE "... of subnetpool P" and nbo_create retries with the block
 * avoided (nbo_pool_retry); so does a block that overlaps a subnet of the
 * network made without the pool (the network's set says so).  A subnet refers to its pool (back-reference),
 * so deleting a pool with subnets fails inside the delete's transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "nbo.h"

#define POOL_MAX_PREFIXES 64
#define POOL_MAX_AVOID 64

typedef unsigned __int128 u128;

static int bits_of(int family)
{
	return family == 6 ? 128 : 32;
}

static u128 to_u(const struct mdl_ip *ip)
{
	int n = ip->family == 6 ? 16 : 4, i;
	u128 v = 0;

	for (i = 0; i < n; i++)
		v = (v << 8) | ip->b[i];
	return v;
}

static void from_u(u128 v, int family, struct mdl_ip *ip)
{
	int n = family == 6 ? 16 : 4, i;

	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	for (i = n - 1; i >= 0; i--, v >>= 8)
		ip->b[i] = (uint8_t)(v & 0xff);
}

/* [lo, hi] of prefix p */
static void range(const struct mdl_prefix *p, u128 *lo, u128 *hi)
{
	struct mdl_ip a, b;

	mdl_prefix_first(p, &a);
	mdl_prefix_last(p, &b);
	*lo = to_u(&a);
	*hi = to_u(&b);
}

static void fmt_prefix(const struct mdl_prefix *p, char *buf, size_t size)
{
	char ip[MDL_IP_SIZE];

	snprintf(buf, size, "%s/%d", mdl_ip_format(&p->addr, ip, sizeof(ip)), p->len);
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct mdl_prefix *x = a, *y = b;
	int c = mdl_ip_cmp(&x->addr, &y->addr);

	return c ? c : x->len - y->len;
}

/* Canonical form of v[0..*n): masked, sorted, no prefix inside another,
 * sibling halves merged (netaddr's IPSet compaction). */
static void compact(struct mdl_prefix *v, size_t *n)
{
	bool changed = true;
	size_t i, j;

	for (i = 0; i < *n; i++)
		mdl_prefix_first(&v[i], &v[i].addr);
	while (changed) {
		changed = false;
		qsort(v, *n, sizeof(*v), cmp_prefix);
		for (i = 0, j = 0; i < *n; i++) {
			if (j && mdl_prefix_overlap(&v[j - 1], &v[i]))
				continue;       /* sorted: v[j-1] is the one containing it */
			v[j++] = v[i];
		}
		*n = j;
		for (i = 0; i + 1 < *n; i++) {
			struct mdl_prefix up = v[i];
			u128 lo, hi, lo2, hi2;

			if (v[i].len != v[i + 1].len || !v[i].len)
				continue;
			range(&v[i], &lo, &hi);
			range(&v[i + 1], &lo2, &hi2);
			up.len--;
			mdl_prefix_first(&up, &up.addr);
			if (hi + 1 != lo2 || mdl_ip_cmp(&up.addr, &v[i].addr))
				continue;       /* not two halves of one prefix */
			v[i] = up;
			memmove(&v[i + 1], &v[i + 2], (*n - i - 2) * sizeof(*v));
			(*n)--;
			changed = true;
		}
	}
}

/* The prefixes of JSON array a, canonical.  family: 0 = any (set), else
 * required. */
static int read_prefixes(const json_t *a, struct mdl_prefix *v, size_t *n, int *family,
			 struct nbo_err *e)
{
	size_t i;
	json_t *x;

	*n = 0;
	if (!json_is_array(a))
		return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for prefixes. Reason: "
				"'%s' is not a list.", json_is_string(a) ? json_string_value(a) : "");
	if (!json_array_size(a))
		return nbo_fail(e, -EINVAL, "EmptySubnetPoolPrefixList",
				"Empty subnet pool prefix list.");
	if (json_array_size(a) > POOL_MAX_PREFIXES)
		return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for prefixes. Reason: "
				"more than %d prefixes.", POOL_MAX_PREFIXES);
	json_array_foreach(a, i, x) {
		const char *s = json_string_value(x);

		if (!s || mdl_prefix_parse(s, &v[i]))
			return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for prefixes. "
					"Reason: '%s' is not a valid IP subnet.", s ? s : "");
		if (*family && v[i].addr.family != *family)
			return nbo_fail(e, -EINVAL, "PrefixVersionMismatch",
					"Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
		*family = v[i].addr.family;
	}
	*n = i;
	compact(v, n);
	return 0;
}

/* An integer or a decimal string (Neutron converts), else -1. */
static json_int_t int_of(const json_t *v)
{
	char *end;
	long long x;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (!json_is_string(v) || !json_string_length(v))
		return -1;
	x = strtoll(json_string_value(v), &end, 10);
	return *end || x < 0 ? -1 : x;
}

static int bound(json_t *m, const char *key, json_int_t dflt, json_int_t *out,
		 struct nbo_err *e)
{
	json_t *v = json_object_get(m, key);

	*out = v && !json_is_null(v) ? int_of(v) : dflt;
	if (*out < 0)
		return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for %s. Reason: "
				"'%s' is not an integer.", key,
				json_is_string(v) ? json_string_value(v) : "?");
	return json_object_set_new(m, key, json_integer(*out)) ? -ENOMEM : 0;
}

static int bounds_fail(struct nbo_err *e, const char *t, json_int_t l, const char *bt,
		       json_int_t bl)
{
	return nbo_fail(e, -EINVAL, "IllegalSubnetPoolPrefixBounds", "Illegal prefix bounds: "
			"%s=%lld, %s=%lld.", t, (long long)l, bt, (long long)bl);
}

int nbo_pool_grow(const json_t *cur, const json_t *body, struct nbo_err *e)
{
	struct mdl_prefix o[POOL_MAX_PREFIXES], nw[POOL_MAX_PREFIXES];
	size_t no, nn, i, j;
	int fo = 0, fn = 0, rc;
	const json_t *np = json_object_get(body, "prefixes");

	if (!np)
		return 0;
	if ((rc = read_prefixes(json_object_get(cur, "prefixes"), o, &no, &fo, e)) ||
	    (rc = read_prefixes(np, nw, &nn, &fn, e)))
		return rc;
	for (i = 0; i < no; i++) {
		for (j = 0; j < nn; j++)
			if (nw[j].addr.family == o[i].addr.family && nw[j].len <= o[i].len &&
			    mdl_prefix_contains(&nw[j], &o[i].addr))
				break;
		if (j == nn)
			return nbo_fail(e, -EINVAL, "IllegalSubnetPoolPrefixUpdate",
					"Illegal update to prefixes: Existing prefixes must be a "
					"subset of the new prefixes.");
	}
	return 0;
}

int nbo_pool_prepare(json_t *m, struct nbo_err *e)
{
	struct mdl_prefix v[POOL_MAX_PREFIXES];
	json_t *a, *x = json_object_get(m, "address_scope_id");
	json_int_t mn, mx, df;
	int family = 0, bits, rc;
	char buf[MDL_CIDR_SIZE];
	size_t n, i;

	if (x && !json_is_null(x)) {
		if (!json_is_string(x) || !mdl_uuid_valid(json_string_value(x)))
			return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for "
					"address_scope_id. Reason: '%s' is not a valid UUID.",
					json_is_string(x) ? json_string_value(x) : "?");
		return nbo_fail(e, -ENOENT, "AddressScopeNotFound", "Address scope %s could not "
				"be found.", json_string_value(x));
	}
	x = json_object_get(m, "default_quota");
	if (x && !json_is_null(x))
		return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for operation: "
				"default_quota is not supported (no quotas).");
	json_object_del(m, "default_quota");
	if (!json_object_get(m, "prefixes"))
		return nbo_fail(e, -EINVAL, "HTTPBadRequest", "Failed to parse request. Required "
				"attribute 'prefixes' not specified");
	if ((rc = read_prefixes(json_object_get(m, "prefixes"), v, &n, &family, e)))
		return rc;
	if (!(a = json_array()))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		fmt_prefix(&v[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	if (json_object_set_new(m, "prefixes", a) ||
	    json_object_set_new(m, "ip_version", json_integer(family)))
		return -ENOMEM;
	bits = bits_of(family);
	if ((rc = bound(m, "min_prefixlen", family == 6 ? 64 : 8, &mn, e)) ||
	    (rc = bound(m, "max_prefixlen", bits, &mx, e)) ||
	    (rc = bound(m, "default_prefixlen", mn, &df, e)))
		return rc;
	if (mn > mx)
		return bounds_fail(e, "min_prefixlen", mn, "max_prefixlen", mx);
	if (mx > bits)
		return bounds_fail(e, "max_prefixlen", mx, "ip_version_max", bits);
	if (df < mn)
		return bounds_fail(e, "default_prefixlen", df, "min_prefixlen", mn);
	if (df > mx)
		return bounds_fail(e, "default_prefixlen", df, "max_prefixlen", mx);
	return 0;
}

/* Used prefixes of a pool: its CIDR set (+ the retry's avoid list). */
struct used {
	struct mdl_prefix *v;
	size_t n, cap;
	char *set;
};

static int used_add(struct used *u, const char *cidr)
{
	struct mdl_prefix *nv;

	if (u->n == u->cap) {
		nv = realloc(u->v, (u->cap ? 2 * u->cap : 64) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		u->v = nv;
		u->cap = u->cap ? 2 * u->cap : 64;
	}
	if (!mdl_prefix_parse(cidr, &u->v[u->n]))
		u->n++;
	return 0;
}

static int used_read(struct nbo *o, const char *pool, const json_t *avoid, struct used *u)
{
	char id[MDL_ID_SIZE], cidr[MDL_CIDR_SIZE];
	const char *p;
	size_t i;
	json_t *x;
	int rc;

	if ((rc = nb_pool_cidrs_get(nb_db(o->nb), pool, &u->set)))
		return rc;
	for (p = u->set; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
		if (sscanf(p, "%36s %63s", id, cidr) == 2 && (rc = used_add(u, cidr)))
			return rc;
	json_array_foreach(avoid, i, x)
		if (json_is_string(x) && (rc = used_add(u, json_string_value(x))))
			return rc;
	return 0;
}

/* The lowest aligned free block of length len in the pool's prefixes. */
static int pick(const struct mdl_subnetpool *sp, const struct used *u, int len,
		struct mdl_prefix *out)
{
	int bits = bits_of((int)sp->ip_version);
	u128 size = len == 0 ? 0 : (u128)1 << (bits - len);   /* 0: the whole space */
	size_t i, k;

	for (i = 0; i < sp->n_prefixes; i++) {
		struct mdl_prefix p;
		u128 lo, hi, c;

		if (mdl_prefix_parse(sp->prefixes[i], &p) || p.len > len)
			continue;
		range(&p, &lo, &hi);
		for (c = lo; c <= hi && (size ? c + size - 1 <= hi : true);) {
			u128 end = size ? c + size - 1 : hi, next = 0;
			bool clash = false;

			for (k = 0; k < u->n; k++) {
				u128 ul, uh;

				if (u->v[k].addr.family != p.addr.family)
					continue;
				range(&u->v[k], &ul, &uh);
				if (uh < c || ul > end)
					continue;
				clash = true;
				if (uh > next)
					next = uh;
			}
			if (!clash) {
				from_u(c, p.addr.family, &out->addr);
				out->len = len;
				return 0;
			}
			if (!size || next >= hi || hi - next < size)
				break;  /* no aligned block after next fits (nor wraps) */
			c = (next + size) & ~(size - 1);        /* the next aligned block */
		}
	}
	return -ENOSPC;
}

/* Neutron: the subnets of one network and IP version all come from the
 * same pool, or none does.  Read from the index before the write (two
 * racing creates on one network from different pools can both pass). */
static int affinity(struct nbo *o, const json_t *m, const char *pid, struct nbo_err *e)
{
	struct nb_filter f = { .network_id = json_string_value(json_object_get(m, "network_id")) };
	json_int_t v = json_integer_value(json_object_get(m, "ip_version"));
	struct mdl_hdr **subs;
	size_t n, i;
	bool bad = false;

	if (!f.network_id || !v || nb_find(o->nb, MDL_SUBNET, &f, &subs, &n))
		return 0;       /* the create reports a missing network */
	for (i = 0; i < n && !bad; i++) {
		const struct mdl_subnet *sn = (const struct mdl_subnet *)subs[i];

		bad = sn->ip_version == v && strcmp(sn->subnetpool_id, pid ? pid : "");
	}
	nb_list_free(subs, n);
	return bad ? nbo_fail(e, -EINVAL, "NetworkSubnetPoolAffinityError", "Subnets hosted on "
			      "the same network must be allocated from the same subnet pool.") : 0;
}

/* use_default_subnetpool: the default pool of the subnet's ip_version. */
static int default_pool(struct nbo *o, json_t *m, struct nbo_err *e)
{
	json_int_t v = json_integer_value(json_object_get(m, "ip_version"));
	struct mdl_hdr **pools;
	size_t n, i;
	int rc;

	if ((rc = nb_find(o->nb, MDL_SUBNETPOOL, NULL, &pools, &n)))
		return nbo_db_fail(e, rc, MDL_SUBNETPOOL, "list");
	for (i = 0; i < n; i++) {
		struct mdl_subnetpool *sp = mdl_hdr_to_subnetpool(pools[i]);

		if (sp->is_default && sp->ip_version == v)
			break;
	}
	rc = i < n ? json_object_set_new(m, "subnetpool_id", json_string(pools[i]->id)) : 0;
	nb_list_free(pools, n);
	if (i == n)
		return nbo_fail(e, -EINVAL, "BadRequest", "Bad subnets request: No default "
				"subnetpool found for IPv%lld.", (long long)v);
	return rc ? -ENOMEM : 0;
}

int nbo_subnet_pool(struct nbo *o, json_t *m, const json_t *avoid, struct nbo_err *e)
{
	const char *pid = json_string_value(json_object_get(m, "subnetpool_id"));
	json_t *jlen = json_object_get(m, "prefixlen"), *jv = json_object_get(m, "ip_version");
	const char *cidr = json_string_value(json_object_get(m, "cidr"));
	struct mdl_subnetpool *sp;
	struct mdl_hdr *h = NULL;
	struct mdl_prefix p;
	struct used *u = NULL;
	json_int_t len;
	char buf[MDL_CIDR_SIZE];
	int rc;

	json_incref(jlen);
	json_object_del(m, "prefixlen");
	if (!pid && json_is_true(json_object_get(m, "use_default_subnetpool"))) {
		if ((rc = default_pool(o, m, e))) {
			json_decref(jlen);
			return rc;
		}
		pid = json_string_value(json_object_get(m, "subnetpool_id"));
	}
	json_object_del(m, "use_default_subnetpool");
	if (!pid) {
		json_decref(jlen);
		if (json_is_null(json_object_get(m, "subnetpool_id")))
			json_object_del(m, "subnetpool_id");
		rc = nbo_subnet_defaults(o, m, e);
		return rc ? rc : affinity(o, m, NULL, e);
	}
	if (!mdl_uuid_valid(pid) || nb_get(nb_db(o->nb), MDL_SUBNETPOOL, pid, &h, NULL)) {
		json_decref(jlen);
		return nbo_fail(e, -ENOENT, "SubnetPoolNotFound",
				"Subnet pool %s could not be found.", pid);
	}
	sp = mdl_hdr_to_subnetpool(h);
	if (jv && json_integer_value(jv) != sp->ip_version) {
		rc = nbo_fail(e, -EINVAL, "BadRequest", "Bad subnets request: Cannot allocate "
			      "IPv%lld subnet from IPv%lld subnet pool.",
			      (long long)json_integer_value(jv), (long long)sp->ip_version);
		goto out;
	}
	if (cidr) {
		if (mdl_prefix_parse(cidr, &p)) {
			rc = 0;         /* the model says what is wrong */
			goto defaults;
		}
		len = p.len;
	} else {
		len = jlen && !json_is_null(jlen) ? int_of(jlen) : sp->default_prefixlen;
		if (len < 0) {
			rc = nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for prefixlen. "
				      "Reason: not an integer.");
			goto out;
		}
	}
	if (len > sp->max_prefixlen) {
		rc = nbo_fail(e, -EINVAL, "MaxPrefixSubnetAllocationError", "Unable to allocate "
			      "subnet with prefix length %lld, maximum allowed prefix is %lld.",
			      (long long)len, (long long)sp->max_prefixlen);
		goto out;
	}
	if (len < sp->min_prefixlen) {
		rc = nbo_fail(e, -EINVAL, "MinPrefixSubnetAllocationError", "Unable to allocate "
			      "subnet with prefix length %lld, minimum allowed prefix is %lld.",
			      (long long)len, (long long)sp->min_prefixlen);
		goto out;
	}
	if (!cidr) {
		if (!(u = calloc(1, sizeof(*u)))) {
			rc = -ENOMEM;
			goto out;
		}
		if ((rc = used_read(o, pid, avoid, u))) {
			if (rc != -ENOMEM)
				rc = nbo_db_fail(e, rc, MDL_SUBNETPOOL, "read the pool's subnets");
			goto out;
		}
		if (pick(sp, u, (int)len, &p)) {
			rc = nbo_fail(e, -ENOSPC, "SubnetAllocationError", "Failed to allocate "
				      "subnet: Insufficient prefix space to allocate subnet size "
				      "/%lld.", (long long)len);
			goto out;
		}
		fmt_prefix(&p, buf, sizeof(buf));
		if (json_object_set_new(m, "cidr", json_string(buf))) {
			rc = -ENOMEM;
			goto out;
		}
	} else {
		/* explicit: inside one of the pool's prefixes (the transaction
		 * checks it against the pool's other subnets) */
		size_t i;
		struct mdl_prefix q;
		bool in = false;

		for (i = 0; !in && i < sp->n_prefixes; i++)
			in = !mdl_prefix_parse(sp->prefixes[i], &q) && q.len <= p.len &&
			     mdl_prefix_contains(&q, &p.addr);
		if (!in) {
			rc = nbo_fail(e, -EINVAL, "SubnetAllocationError", "Failed to allocate "
				      "subnet: Cannot allocate requested subnet from the available "
				      "set of prefixes.");
			goto out;
		}
	}
	if (!jv && json_object_set_new(m, "ip_version", json_integer(sp->ip_version))) {
		rc = -ENOMEM;
		goto out;
	}
defaults:
	rc = nbo_subnet_defaults(o, m, e);
	if (!rc)
		rc = affinity(o, m, pid, e);
out:
	if (u) {
		free(u->set);
		free(u->v);
	}
	free(u);
	json_decref(jlen);
	mdl_obj_free(h);
	return rc;
}

bool nbo_pool_retry(const json_t *m0, const struct mdl_hdr *h, const char *err, json_t *avoid)
{
	const struct mdl_subnet *sn = (const struct mdl_subnet *)h;

	/* the allocated block overlaps a subnet of the pool (a racing
	 * allocation) or of the network (one made without the pool) */
	if (json_object_get(m0, "cidr") || !sn->subnetpool_id[0] || strncmp(err, "cidr: ", 6) ||
	    !strstr(err, " overlaps ") || json_array_size(avoid) >= POOL_MAX_AVOID)
		return false;   /* a requested cidr, or too much contention */
	return !json_array_append_new(avoid, json_string(sn->cidr));
}
