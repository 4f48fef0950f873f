/* wyvern model: security groups -> datapath ACL rules (see mdl_sg.h). */
#include "mdl_sg.h"
#include "mdl_addr.h"
#include "mdl_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E(...) mdl_err(err, es, __VA_ARGS__)

struct vec {
	struct mdl_acl_rule *r;
	size_t n, cap;
	uint32_t prio;
};

static struct mdl_acl_rule *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct mdl_acl_rule *r = realloc(v->r, cap * sizeof(*r));

		if (!r)
			return NULL;
		v->r = r;
		v->cap = cap;
	}
	memset(&v->r[v->n], 0, sizeof(v->r[0]));
	v->r[v->n].src_max = v->r[v->n].dst_max = UINT16_MAX;
	return &v->r[v->n++];
}

static uint32_t key_of(const char *a, const char *b, size_t idx)
{
	uint32_t h = 2166136261u;
	const char *s;

	for (s = a; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	for (s = b; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ (uint32_t)idx) * 16777619u;
	return (h & 0x3fffffffu) | 0x40000000u;
}

uint32_t mdl_sg_rule_key(const struct mdl_security_group_rule *r)
{
	return r->hdr.dp_key ? r->hdr.dp_key : key_of(r->hdr.id, NULL, 0);
}

uint32_t mdl_sg_embedded_key(const struct mdl_security_group *g, size_t i)
{
	const struct mdl_sg_rule *r = &g->rules[i];

	return key_of(r->id[0] ? r->id : g->hdr.id, r->id[0] ? NULL : "#", r->id[0] ? 0 : i);
}

static bool is_port_proto(int p)
{
	return p == 6 || p == 17 || p == 132 || p == 33 || p == 136;
}

/* Append the datapath form of r (already validated). */
static int add_rule(struct vec *v, const struct mdl_sg_rule *r, uint32_t key,
		    mdl_sg_set_key_fn *set_key, void *ctx)
{
	struct mdl_acl_rule *o;
	struct mdl_prefix pfx;
	uint32_t set = 0;
	int proto = mdl_proto_number(r->protocol);
	uint8_t fam = strcmp(r->ethertype, "IPv4") ? 6 : 4;

	if (r->remote_group_id[0]) {
		set = set_key ? set_key(ctx, r->remote_group_id) : 0;
		if (set == 0)
			return 0;          /* unknown group: the rule matches nothing */
	}
	if (!(o = vec_push(v)))
		return -ENOMEM;
	o->key = key;
	o->priority = v->prio > 1 ? v->prio-- : 1;
	o->dir = strcmp(r->direction, "ingress") ? MDL_ACL_EGRESS : MDL_ACL_INGRESS;
	o->family = fam;
	if (proto == 1 && fam == 6)
		proto = 58;
	o->any_proto = proto < 0;
	o->proto = proto < 0 ? 0 : (uint8_t)proto;
	if (is_port_proto(proto) && r->port_range_min >= 0) {
		o->dst_min = (uint16_t)r->port_range_min;
		o->dst_max = (uint16_t)(r->port_range_max >= 0 ? r->port_range_max
							       : r->port_range_min);
	} else if (proto == 1 || proto == 58) {
		if (r->port_range_min >= 0)
			o->src_min = o->src_max = (uint16_t)r->port_range_min;
		if (r->port_range_max >= 0)
			o->dst_min = o->dst_max = (uint16_t)r->port_range_max;
	}
	o->remote_set = set;
	if (r->remote_ip_prefix[0] && mdl_ip_or_prefix_parse(r->remote_ip_prefix, &pfx) == 0 &&
	    pfx.len > 0) {
		o->remote.family = (uint8_t)pfx.addr.family;
		o->remote.plen = (uint8_t)pfx.len;
		memcpy(o->remote.addr, pfx.addr.b, 16);
	}
	return 0;
}

/* Base rule: proto, family, dir, src range, dst range. */
static int add_base(struct vec *v, uint32_t *n, uint8_t dir, uint8_t fam, uint8_t proto,
		    uint16_t smin, uint16_t smax, uint16_t dmin, uint16_t dmax)
{
	struct mdl_acl_rule *o = vec_push(v);

	if (!o)
		return -ENOMEM;
	o->key = MDL_SG_BASE_KEY + (*n)++;
	o->priority = 1;
	o->dir = dir;
	o->family = fam;
	o->proto = proto;
	o->src_min = smin;
	o->src_max = smax;
	o->dst_min = dmin;
	o->dst_max = dmax;
	return 0;
}

static int add_base_rules(struct vec *v)
{
	static const uint8_t nd_in[] = { 130, 134, 135, 136 };
	static const uint8_t nd_out[] = { 130, 131, 132, 133, 135, 136, 143 };
	const uint16_t any = UINT16_MAX;
	uint32_t n = 0;
	size_t i;
	int rc = 0;

	rc |= add_base(v, &n, MDL_ACL_EGRESS, 4, 17, 68, 68, 67, 67);
	rc |= add_base(v, &n, MDL_ACL_INGRESS, 4, 17, 67, 67, 68, 68);
	rc |= add_base(v, &n, MDL_ACL_EGRESS, 6, 17, 546, 546, 547, 547);
	rc |= add_base(v, &n, MDL_ACL_INGRESS, 6, 17, 547, 547, 546, 546);
	for (i = 0; i < sizeof(nd_in); i++)
		rc |= add_base(v, &n, MDL_ACL_INGRESS, 6, 58, nd_in[i], nd_in[i], 0, any);
	for (i = 0; i < sizeof(nd_out); i++)
		rc |= add_base(v, &n, MDL_ACL_EGRESS, 6, 58, nd_out[i], nd_out[i], 0, any);
	return rc ? -ENOMEM : 0;
}

static int group_cmp(const void *a, const void *b)
{
	const struct mdl_sg_input *const *x = a, *const *y = b;

	return strcmp((*x)->sg->hdr.id, (*y)->sg->hdr.id);
}

static int rule_obj_cmp(const void *a, const void *b)
{
	const struct mdl_security_group_rule *const *x = a, *const *y = b;

	return strcmp((*x)->hdr.id, (*y)->hdr.id);
}

int mdl_sg_compile(const struct mdl_sg_input *groups, size_t n_groups,
		   mdl_sg_set_key_fn *set_key, void *ctx, unsigned flags,
		   struct mdl_acl_rule **out, size_t *n_out, bool *stateful,
		   char *err, size_t es)
{
	struct vec v = { .prio = MDL_SG_PRIO_TOP };
	const struct mdl_sg_input **ord;
	const struct mdl_security_group_rule **ro_sorted = NULL;
	char path[128];
	size_t g, i;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!out || !n_out || !stateful || (n_groups && !groups))
		return E("invalid arguments");
	*out = NULL;
	*n_out = 0;
	*stateful = n_groups ? groups[0].sg->stateful : true;
	/* canonical order (groups by id, rule objects by id): ports in the same
	 * groups get byte-identical lists, which the datapath shares */
	ord = malloc((n_groups + 1) * sizeof(*ord));
	if (!ord) {
		E("out of memory");
		return -ENOMEM;
	}
	for (g = 0; g < n_groups; g++)
		ord[g] = &groups[g];
	qsort(ord, n_groups, sizeof(*ord), group_cmp);
	for (g = 0; g < n_groups; g++) {
		const struct mdl_security_group *sg = ord[g]->sg;

		if (sg->stateful != *stateful) {
			free(v.r);
			free(ord);
			free(ro_sorted);
			return E("security group %s: cannot mix stateful and stateless groups "
				 "on a port", sg->hdr.id);
		}
		for (i = 0; i < sg->n_rules; i++) {
			const struct mdl_sg_rule *r = &sg->rules[i];

			snprintf(path, sizeof(path), "security group %s: security_group_rules[%zu].",
				 sg->hdr.id, i);
			if ((rc = mdl_sg_rule_check(path, r, err, es)) ||
			    (rc = add_rule(&v, r, mdl_sg_embedded_key(sg, i), set_key, ctx)))
				goto fail;
		}
		free(ro_sorted);
		ro_sorted = malloc((ord[g]->n_rules + 1) * sizeof(*ro_sorted));
		if (!ro_sorted) {
			rc = -ENOMEM;
			goto fail;
		}
		if (ord[g]->n_rules)
			memcpy(ro_sorted, ord[g]->rules, ord[g]->n_rules * sizeof(*ro_sorted));
		qsort(ro_sorted, ord[g]->n_rules, sizeof(*ro_sorted), rule_obj_cmp);
		for (i = 0; i < ord[g]->n_rules; i++) {
			const struct mdl_security_group_rule *ro = ro_sorted[i];

			snprintf(path, sizeof(path), "security group rule %s: ", ro->hdr.id);
			if (strcmp(ro->security_group_id, sg->hdr.id)) {
				rc = E("%ssecurity_group_id %s is not group %s", path,
				       ro->security_group_id, sg->hdr.id);
				goto fail;
			}
			if ((rc = mdl_sg_rule_check(path, &ro->rule, err, es)) ||
			    (rc = add_rule(&v, &ro->rule, mdl_sg_rule_key(ro), set_key, ctx)))
				goto fail;
		}
	}
	if ((flags & MDL_SG_BASE) && (rc = add_base_rules(&v)))
		goto fail;
	free(ord);
	free(ro_sorted);
	*out = v.r;
	*n_out = v.n;
	return 0;
fail:
	if (rc == -ENOMEM)
		E("out of memory");
	free(ord);
	free(ro_sorted);
	free(v.r);
	return rc;
}

/* ---- rule equality ---------------------------------------------------------- */

static int proto_of(const struct mdl_sg_rule *r)
{
	int p = mdl_proto_number(r->protocol);

	return p == 1 && strcmp(r->ethertype, "IPv4") ? 58 : p;
}

int mdl_sg_rule_fingerprint(const struct mdl_sg_rule *r, char *buf, size_t size)
{
	char pfx[MDL_CIDR_SIZE + 8] = "-";
	struct mdl_prefix x;
	struct mdl_ip net;
	size_t i;
	int n;

	if (r->remote_ip_prefix[0] && !mdl_ip_or_prefix_parse(r->remote_ip_prefix, &x)) {
		char a[MDL_IP_SIZE];

		mdl_prefix_first(&x, &net);     /* the network, however written */
		snprintf(pfx, sizeof(pfx), "%s_%u", mdl_ip_format(&net, a, sizeof(a)),
			 (unsigned)x.len);
	} else if (r->remote_ip_prefix[0]) {
		snprintf(pfx, sizeof(pfx), "%s", r->remote_ip_prefix);
		for (i = 0; pfx[i]; i++)
			if (pfx[i] == '/')
				pfx[i] = '_';
	}
	n = snprintf(buf, size, "%s,%s,%d,%" PRId64 ",%" PRId64 ",%s,%s", r->direction,
		     r->ethertype, proto_of(r), r->port_range_min, r->port_range_max, pfx,
		     r->remote_group_id[0] ? r->remote_group_id : "-");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool mdl_sg_rule_same(const struct mdl_sg_rule *a, const struct mdl_sg_rule *b)
{
	char x[MDL_SG_FP_SIZE], y[MDL_SG_FP_SIZE];

	if (mdl_sg_rule_fingerprint(a, x, sizeof(x)) || mdl_sg_rule_fingerprint(b, y, sizeof(y)))
		return false;
	return !strcmp(x, y);
}

/* ---- the default group ----------------------------------------------------- */

int mdl_sg_default_rules(const char *group_id, const char *project_id,
			 struct mdl_security_group_rule ***out, size_t *n_out)
{
	static const struct { const char *dir, *et; bool self; } d[4] = {
		{ "egress", "IPv4", false }, { "egress", "IPv6", false },
		{ "ingress", "IPv4", true }, { "ingress", "IPv6", true },
	};
	struct mdl_security_group_rule **v = calloc(4, sizeof(*v));
	size_t i;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < 4 && rc == 0; i++) {
		struct mdl_security_group_rule *r;

		r = (struct mdl_security_group_rule *)mdl_obj_alloc(MDL_SECURITY_GROUP_RULE);
		if (!r) {
			rc = -ENOMEM;
			break;
		}
		v[i] = r;
		if ((rc = mdl_uuid_generate(r->hdr.id)))
			break;
		snprintf(r->security_group_id, sizeof(r->security_group_id), "%s", group_id);
		snprintf(r->project_id, sizeof(r->project_id), "%s", project_id ? project_id : "");
		snprintf(r->rule.direction, sizeof(r->rule.direction), "%s", d[i].dir);
		snprintf(r->rule.ethertype, sizeof(r->rule.ethertype), "%s", d[i].et);
		if (d[i].self)
			snprintf(r->rule.remote_group_id, sizeof(r->rule.remote_group_id), "%s",
				 group_id);
	}
	if (rc) {
		for (i = 0; i < 4; i++)
			mdl_obj_free(v[i] ? &v[i]->hdr : NULL);
		free(v);
		return rc;
	}
	*out = v;
	*n_out = 4;
	return 0;
}

/* ---- remote-group address sets ---------------------------------------------- */

static int addr_cmp(const void *a, const void *b)
{
	const struct mdl_acl_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->plen != y->plen)
		return x->plen - y->plen;
	return memcmp(x->addr, y->addr, 16);
}

static int push_addr(struct mdl_acl_addr **v, size_t *n, size_t *cap,
		     const struct mdl_prefix *p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct mdl_acl_addr *nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].family = (uint8_t)p->addr.family;
	(*v)[*n].plen = (uint8_t)p->len;
	memcpy((*v)[*n].addr, p->addr.b, 16);
	(*n)++;
	return 0;
}

void mdl_sg_set_add_prefix(struct mdl_sg_set *set, const struct mdl_prefix *p)
{
	if (!set->rc && push_addr(&set->addrs, &set->n, &set->cap, p))
		set->rc = -ENOMEM;
}

void mdl_sg_set_add(struct mdl_sg_set *set, const struct mdl_fixed_ip *ips, size_t n_ips,
		    const struct mdl_addr_pair *aaps, size_t n_aaps)
{
	struct mdl_prefix p;
	size_t j;

	for (j = 0; !set->rc && j < n_ips; j++)
		if (mdl_ip_or_prefix_parse(ips[j].ip_address, &p) == 0 &&
		    push_addr(&set->addrs, &set->n, &set->cap, &p))
			set->rc = -ENOMEM;
	for (j = 0; !set->rc && j < n_aaps; j++)
		if (mdl_ip_or_prefix_parse(aaps[j].ip_address, &p) == 0 &&
		    push_addr(&set->addrs, &set->n, &set->cap, &p))
			set->rc = -ENOMEM;
}

void mdl_sg_set_finish(struct mdl_sg_set *set)
{
	size_t j, w;

	if (set->rc) {
		free(set->addrs);
		set->addrs = NULL;
		set->n = set->cap = 0;
		return;
	}
	if (set->n > 1)
		qsort(set->addrs, set->n, sizeof(*set->addrs), addr_cmp);
	for (j = 0, w = 0; j < set->n; j++)
		if (w == 0 || addr_cmp(&set->addrs[w - 1], &set->addrs[j]))
			set->addrs[w++] = set->addrs[j];
	set->n = w;
}

static int set_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mdl_sg_set *)a)->group_id,
		      ((const struct mdl_sg_set *)b)->group_id);
}

void mdl_sg_members_many(const struct mdl_port *const *ports, size_t n_ports,
			 struct mdl_sg_set *sets, size_t n_sets)
{
	size_t i, j;

	for (i = 0; i < n_ports; i++) {
		const struct mdl_port *pt = ports[i];

		for (j = 0; pt->port_security_enabled && j < pt->n_security_groups; j++) {
			struct mdl_sg_set key = { .group_id = pt->security_groups[j] };
			struct mdl_sg_set *set = bsearch(&key, sets, n_sets, sizeof(*sets), set_cmp);

			if (set)
				mdl_sg_set_add(set, pt->fixed_ips, pt->n_fixed_ips,
					       pt->allowed_address_pairs,
					       pt->n_allowed_address_pairs);
		}
	}
	for (i = 0; i < n_sets; i++)
		mdl_sg_set_finish(&sets[i]);
}

int mdl_sg_members(const struct mdl_port *const *ports, size_t n_ports,
		   const char *group_id, struct mdl_acl_addr **out, size_t *n_out)
{
	struct mdl_sg_set set = { .group_id = group_id };

	mdl_sg_members_many(ports, n_ports, &set, 1);
	if (set.rc)
		return set.rc;
	*out = set.addrs;
	*n_out = set.n;
	return 0;
}
