/* SPDX-License-Identifier: BSD-3-Clause
 * dp/acl_build.c — one rte_acl classifier per (rule set, direction, family):
 * building it on the control thread, and the lookup translate calls.
 *
 * The classifier reads the flow key itself (packet fields are in network
 * order there, which is what rte_acl wants), so a lookup copies nothing:
 *   IPv4: ip_proto (bitmask, 1 byte) | remote IPv4 (mask) | tp_src, tp_dst
 *         (two 16-bit ranges sharing one 4-byte input word)
 *   IPv6: ip_proto | remote IPv6 as four 32-bit mask fields | tp_src, tp_dst
 * "remote" is ip_src for ingress and ip_dst for egress, so direction is a
 * property of the context's field layout.  A rule with an address set
 * becomes one rte_acl rule per member of the right family (same userdata,
 * same priority); userdata is the rule's index + 1 in the rule set.
 *
 * Alongside the trie the build records, per IP protocol, what the rules that
 * can apply to that protocol read (longest remote prefix, whether tp_src /
 * tp_dst are restricted): the lookup turns that into megaflow mask bits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <rte_acl.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "acl_priv.h"
#include "megaflow.h"

enum { NF4 = 4, NF6 = 7 };
RTE_ACL_RULE_DEF(acl_rule6, NF6);

static unsigned remote_off(unsigned dir)
{
	return dir == DP_ACL_INGRESS ? offsetof(struct dp_flow_key, ip_src)
				     : offsetof(struct dp_flow_key, ip_dst);
}

static unsigned fill_defs(struct rte_acl_config *cfg, unsigned dir, unsigned fam6)
{
	unsigned n = 0, in = 0, nw = fam6 ? 4 : 1;
	memset(cfg, 0, sizeof(*cfg));
	cfg->num_categories = 1;
	cfg->defs[n++] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = 0,
		.input_index = in++, .offset = offsetof(struct dp_flow_key, ip_proto) };
	for (unsigned w = 0; w < nw; w++, n++)
		cfg->defs[n] = (struct rte_acl_field_def){
			.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = n,
			.input_index = in++, .offset = remote_off(dir) + 4 * w };
	cfg->defs[n] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = n,
		.input_index = in, .offset = offsetof(struct dp_flow_key, tp_src) };
	n++;
	cfg->defs[n] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = n,
		.input_index = in, .offset = offsetof(struct dp_flow_key, tp_dst) };
	n++;
	cfg->num_fields = n;
	return n;
}

/* Fill one rte_acl rule from r with remote prefix (addr, plen). */
static void fill_rule(struct acl_rule6 *o, const struct dp_acl_rule *r, uint32_t idx,
		      unsigned fam6, const uint8_t *addr, unsigned plen)
{
	unsigned n = 0, nw = fam6 ? 4 : 1;
	memset(o, 0, sizeof(*o));
	o->data.category_mask = 1;
	o->data.priority = (int32_t)r->priority;
	o->data.userdata = idx + 1;
	o->field[n].value.u8 = r->any_proto ? 0 : r->proto;
	o->field[n++].mask_range.u8 = r->any_proto ? 0 : 0xff;
	for (unsigned w = 0; w < nw; w++, n++) {
		int bits = (int)plen - 32 * (int)w;
		uint32_t v;
		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		memcpy(&v, addr + 4 * w, 4);
		v = ntohl(v);
		v &= bits ? (uint32_t)(UINT32_MAX << (32 - bits)) : 0;
		o->field[n].value.u32 = v;
		o->field[n].mask_range.u32 = (uint32_t)bits;
	}
	o->field[n].value.u16 = r->src_min;
	o->field[n++].mask_range.u16 = r->src_max;
	o->field[n].value.u16 = r->dst_min;
	o->field[n++].mask_range.u16 = r->dst_max;
}

static void add_bound(struct acl_port_bounds *pb, unsigned b)
{
	if (b == 0 || b > UINT16_MAX || pb->n == ACL_PORT_ALL)
		return;                 /* 0 and 65536 are the field's own ends */
	for (unsigned i = 0; i < pb->n; i++)
		if (pb->b[i] == b)
			return;
	if (pb->n == ACL_PORT_BOUNDS) {
		pb->n = ACL_PORT_ALL;
		return;
	}
	pb->b[pb->n++] = (uint16_t)b;
}

static void note_range(struct acl_port_bounds *pb, uint16_t min, uint16_t max)
{
	add_bound(pb, min);
	add_bound(pb, (unsigned)max + 1);
}

static void note_read(struct acl_ctx *c, const struct dp_acl_rule *r, unsigned plen)
{
	unsigned lo = r->any_proto ? 0 : r->proto, hi = r->any_proto ? 255 : r->proto;
	if (!r->any_proto)
		c->proto_read = 1;
	for (unsigned p = lo; p <= hi; p++) {
		struct acl_read *rd = &c->by_proto[p];
		if (plen > rd->plen)
			rd->plen = (uint8_t)plen;
		note_range(&rd->src, r->src_min, r->src_max);
		note_range(&rd->dst, r->dst_min, r->dst_max);
	}
}

/* Calls fn(addr, plen) for every remote prefix rule r expands to. */
static uint32_t expand(struct dp_acl *a, const struct dp_acl_rule *r, unsigned fam6,
		       void (*fn)(void *arg, const uint8_t *addr, unsigned plen), void *arg)
{
	static const uint8_t zero[16];
	uint32_t n = 0;
	if (r->remote_set == 0) {
		fn(arg, r->remote.plen ? r->remote.addr : zero, r->remote.plen);
		return 1;
	}
	const struct acl_set *s = dp_acl_set_find(a, r->remote_set);
	for (uint32_t i = 0; s != NULL && i < s->n; i++) {
		if (s->addrs[i].family != (fam6 ? 6 : 4))
			continue;
		fn(arg, s->addrs[i].addr, s->addrs[i].plen);
		n++;
	}
	return n;
}

struct build_arg {
	struct acl_ctx *c;
	struct rte_acl_ctx *ctx;
	const struct dp_acl_rule *r;
	uint32_t idx;
	unsigned fam6;
	int rc;
};

static void count_cb(void *arg, const uint8_t *addr, unsigned plen)
{
	struct build_arg *b = arg;
	(void)addr;
	note_read(b->c, b->r, plen);
}

static void add_cb(void *arg, const uint8_t *addr, unsigned plen)
{
	struct build_arg *b = arg;
	struct acl_rule6 o;
	if (b->rc < 0)
		return;
	fill_rule(&o, b->r, b->idx, b->fam6, addr, plen);
	b->rc = rte_acl_add_rules(b->ctx, (const struct rte_acl_rule *)&o, 1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct acl_ctx *dp_acl_ctx_build(struct dp_acl *a, const struct acl_rs *rs,
				 unsigned dir, unsigned fam6)
{
	struct acl_ctx *c = rte_zmalloc("dp_acl_ctx", sizeof(*c), RTE_CACHE_LINE_SIZE);
	struct build_arg b = { .c = c, .fam6 = fam6 };
	struct rte_acl_config cfg;
	char name[RTE_ACL_NAMESIZE];
	uint32_t n = 0;
	int rc;

	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	/* pass 1: count rte_acl rules, record what the rules read */
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct dp_acl_rule *r = &rs->rules[i];
		if (r->dir != dir || r->family != (fam6 ? 6 : 4))
			continue;
		b.r = r;
		n += expand(a, r, fam6, count_cb, &b);
	}
	if (n == 0)
		return c;          /* nothing can match: default deny, no trie */
	if (n > DP_ACL_MAX_CTX_RULES) {
		rc = -ENOSPC;
		goto fail;
	}
	unsigned nf = fill_defs(&cfg, dir, fam6);
	snprintf(name, sizeof(name), "%s_%u", a->name, a->next_ctx_no++);
	struct rte_acl_param p = {
		.name = name, .socket_id = SOCKET_ID_ANY,
		.rule_size = RTE_ACL_RULE_SZ(nf), .max_rule_num = n,
	};
	c->ctx = rte_acl_create(&p);
	if (c->ctx == NULL) {
		rc = -rte_errno;
		goto fail;
	}
	/* pass 2: add them */
	b.ctx = c->ctx;
	for (uint32_t i = 0; i < rs->n_rules && b.rc == 0; i++) {
		const struct dp_acl_rule *r = &rs->rules[i];
		if (r->dir != dir || r->family != (fam6 ? 6 : 4))
			continue;
		b.r = r;
		b.idx = i;
		expand(a, r, fam6, add_cb, &b);
	}
	if ((rc = b.rc) < 0)
		goto fail;
	uint64_t t0 = now_ns();
	a->st.builds++;
	rc = rte_acl_build(c->ctx, &cfg);
	a->st.build_ns += now_ns() - t0;
	if (rc != 0) {
		a->st.build_fails++;
		goto fail;
	}
	c->n_acl_rules = n;
	a->st.contexts++;
	a->st.acl_rules += n;
	return c;
fail:
	rte_acl_free(c->ctx);
	rte_free(c);
	rte_errno = rc < 0 ? -rc : EINVAL;
	return NULL;
}

void dp_acl_ctx_free(struct dp_acl *a, struct acl_ctx *c)
{
	if (c == NULL)
		return;
	if (c->ctx != NULL) {
		a->st.contexts--;
		a->st.acl_rules -= c->n_acl_rules;
		rte_acl_free(c->ctx);
	}
	rte_free(c);
}

/* ---- lookup (any reader thread) ----------------------------------------- */

static void mark_prefix(uint8_t *m, unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;
	for (unsigned i = 0; i < full; i++)
		m[i] = 0xff;
	if (rem)
		m[full] |= (uint8_t)(0xff << (8 - rem));
}

static unsigned msb16(unsigned x)
{
	return x ? 31u - (unsigned)__builtin_clz(x) : 0;
}

/* The mask (network order) of the leading bits of port (network order) that
 * keep its block of ports on one side of every boundary: a block of 2^k
 * ports around p holds both b - 1 and b only when neither differs from p
 * above bit k - 1, so k may be at most the highest bit where p differs
 * from b - 1 or from b. */
static uint16_t port_mask(const struct acl_port_bounds *pb, uint16_t port)
{
	unsigned p = ntohs(port), k = 16;

	if (pb->n == ACL_PORT_ALL)
		return 0xffff;
	for (unsigned i = 0; i < pb->n; i++) {
		unsigned b = pb->b[i], x = p ^ (b - 1), y = p ^ b;
		unsigned kb = msb16(x) > msb16(y) ? msb16(x) : msb16(y);
		if (x == 0 || y == 0)
			kb = msb16(x | y);      /* p is b - 1 or b itself */
		if (kb < k)
			k = kb;
	}
	return k >= 16 ? 0 : htons((uint16_t)(0xffffu << k));
}

int dp_acl_lookup(const struct dp_acl *a, uint32_t lport, enum dp_acl_dir dir,
		  const struct dp_flow_key *key, struct dp_flow_key *mask,
		  struct dp_acl_result *res)
{
	const struct acl_port *p;
	void *d;

	memset(res, 0, sizeof(*res));
	res->tags[res->n_tags++] = DP_TAG(DP_TAG_ACL_PORT, lport);
	if (rte_hash_lookup_data(a->ports, &lport, &d) < 0) {
		res->allow = true;
		return 0;
	}
	p = d;
	res->stateful = p->stateful;
	res->zone = p->zone;
	res->tags[res->n_tags++] = DP_TAG(DP_TAG_ACL_RS, p->rs->id);
	mask->eth_type = 0xffff;
	unsigned fam6;
	if (key->eth_type == htons(0x0800)) {
		fam6 = 0;
	} else if (key->eth_type == htons(0x86dd)) {
		fam6 = 1;
	} else {
		res->allow = key->eth_type == htons(0x0806);
		return 1;
	}
	const struct acl_ctx *c = __atomic_load_n(&p->rs->ctx[dir & 1][fam6], __ATOMIC_ACQUIRE);
	const struct acl_read *rd = &c->by_proto[key->ip_proto];
	if (c->proto_read)
		mask->ip_proto = 0xff;
	mark_prefix(dir == DP_ACL_INGRESS ? mask->ip_src : mask->ip_dst, rd->plen);
	mask->tp_src |= port_mask(&rd->src, key->tp_src);
	mask->tp_dst |= port_mask(&rd->dst, key->tp_dst);
	if (c->ctx == NULL)
		return 1;
	const uint8_t *data = (const uint8_t *)key;
	uint32_t r = 0;
	if (rte_acl_classify(c->ctx, &data, &r, 1, 1) == 0 && r != 0 && r <= p->rs->n_rules) {
		res->allow = true;
		res->rule_key = p->rs->rules[r - 1].key;
	}
	return 1;
}
