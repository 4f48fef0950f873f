/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_compile.c — held objects -> datapath table operations.  Control
 * thread only (the tables' single writer).
 *
 * Every object remembers the configuration it last put into the tables
 * (o->cs->net, o->lp_key).  A pass computes the wanted configuration of every held
 * network and port and issues only the differences, in an order the tables
 * accept:
 *   A. delete lports that are no longer wanted;
 *   B. put new/changed networks;
 *   C. put new/changed lports (repeated while progress is made, so a MAC or
 *      dp port moving between two lports in one batch lands whatever order
 *      they come in);
 *   D. delete networks no longer wanted.
 * So a port update is one dp_table_lport_put, a network leaving is its
 * lports' deletes then the network's.  Unsupported values (too many IPs,
 * bad MAC, missing network, ...) skip the object: counted once per version,
 * logged rate-limited, shown by `wyctl show ctrl`; if the object had an
 * older version in the tables it is removed, which is what a from-scratch
 * compile of the same state gives.
 * Routers compile in lc_compile_l3.c, security groups in lc_compile_sg.c;
 * chassis give remote ports their VTEP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "lc_priv.h"
#include "mdl_addr.h"
#include "tables_ovl.h"

static bool wanted(const struct lc_obj *o)
{
	return o->present && o->reach && o->o;
}

#define wanted_lport lc_wanted_lport

/* The encapsulation this chassis sends (first of [ctrl] encap). */
static uint8_t own_encap(const struct lc *lc)
{
	return strncmp(lc->cfg.encap, "geneve", 6) == 0 ? DP_ENCAP_GENEVE : DP_ENCAP_VXLAN;
}

static int net_cfg(struct lc *lc, struct lc_obj *o, struct dp_network_cfg *c)
{
	struct mdl_network *n = mdl_hdr_to_network(o->o);
	memset(c, 0, sizeof(*c));
	if (o->o->dp_key == 0) {
		lc_skip(lc, o, "no dp_key");
		return -EINVAL;
	}
	if (n->mtu < 68 || n->mtu > 65535) {
		lc_skip(lc, o, "mtu %lld unsupported", (long long)n->mtu);
		return -EINVAL;
	}
	if (n->segmentation_id > 0xffffff) {
		lc_skip(lc, o, "segmentation_id %lld too large", (long long)n->segmentation_id);
		return -EINVAL;
	}
	c->key = o->o->dp_key;
	snprintf(c->name, sizeof(c->name), "%s", n->name);
	c->mtu = (uint16_t)n->mtu;
	const char *t = n->network_type;
	if (strcmp(t, "flat") == 0 || strcmp(t, "vlan") == 0) {
		if (strcmp(n->physical_network, lc->cfg.physnet) != 0) {
			lc_skip(lc, o, "physical network '%.32s' is not mapped here (physnet %.32s)",
				n->physical_network, lc->cfg.physnet);
			return -EINVAL;
		}
		c->type = t[0] == 'f' ? DP_NET_FLAT : DP_NET_VLAN;
		if (c->type == DP_NET_VLAN) {
			if (n->segmentation_id < 1 || n->segmentation_id > 4094) {
				lc_skip(lc, o, "vlan %lld out of range", (long long)n->segmentation_id);
				return -EINVAL;
			}
			c->vlan = (uint16_t)n->segmentation_id;
		}
		return 0;
	}
	c->type = DP_NET_OVERLAY;
	if (strcmp(t, "local") == 0)
		return 0;   /* never leaves the chassis */
	/* The VNI is the segmentation id the northbound allocated (API and
	 * wyctl alike, from the configured ranges); never derived here: a
	 * tunnel network written without one is skipped, visibly. */
	if (n->segmentation_id <= 0 || n->segmentation_id > 0xffffff) {
		lc_skip(lc, o, "%s network without a segmentation id (1..16777215): write it "
			"through the API or wyctl, which allocate one", t);
		return -EINVAL;
	}
	c->vni = (uint32_t)n->segmentation_id;
	/* the tunnel header comes out of the underlay's MTU */
	unsigned room = lc->cfg.underlay_mtu - DP_ENCAP_OVERHEAD(own_encap(lc));
	if (c->mtu > room)
		c->mtu = (uint16_t)room;
	return 0;
}

/* Names collected once per batch and searched by bsearch: looking each one
 * up by scanning every object made a batch quadratic (2,000 networks x
 * 100k objects). */
static int cmp_name_val(const void *a, const void *b)
{
	return strcmp(((const struct lc_name_val *)a)->name, ((const struct lc_name_val *)b)->name);
}

static const struct lc_name_val *name_set_find(const struct lc_name_set *s, const char *name)
{
	struct lc_name_val k = { .name = name };
	return s->n ? bsearch(&k, s->e, s->n, sizeof(*s->e), cmp_name_val) : NULL;
}

static void name_set_free(struct lc_name_set *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

/* Chassis name -> IPv4 VTEP (network order) of the present chassis. */
static void vteps_collect(struct lc_obj **v, size_t n, struct lc_name_set *s)
{
	memset(s, 0, sizeof(*s));
	s->e = malloc((n + 1) * sizeof(*s->e));
	if (s->e == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->type != MDL_CHASSIS || !v[i]->present || v[i]->o == NULL)
			continue;
		struct mdl_chassis *c = mdl_hdr_to_chassis(v[i]->o);
		struct in_addr a;
		if (inet_pton(AF_INET, c->vtep_ip, &a) != 1)
			continue;
		s->e[s->n++] = (struct lc_name_val){ c->name, a.s_addr };
	}
	qsort(s->e, s->n, sizeof(*s->e), cmp_name_val);
}

/* IPv4 VTEP of the chassis named host (network order), 0 when unknown. */
static uint32_t vtep_of(const struct lc_name_set *vteps, const char *host)
{
	const struct lc_name_val *p = name_set_find(vteps, host);
	return p ? p->val : 0;
}

/* The chassis a held port lives on when it is not here: its VTEP, else 0. */
uint32_t lc_remote_vtep(const struct lc *lc, const struct lc_name_set *vteps,
		       const struct lc_obj *o)
{
	const struct lc_port *p = lc_port_of(o);
	if (o->local || p->binding_host_id[0] == 0 ||
	    strcmp(p->binding_host_id, lc->cfg.chassis) == 0)
		return 0;
	return vtep_of(vteps, p->binding_host_id);
}

void lc_compile_free(struct lc *lc)
{
	lc_flood_free(lc);
}

/* Networks with a held IPv4 subnet that has enable_dhcp. */
static void dhcp_nets_collect(struct lc_obj **v, size_t n, struct lc_name_set *s)
{
	memset(s, 0, sizeof(*s));
	s->e = malloc((n + 1) * sizeof(*s->e));
	if (s->e == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->type != MDL_SUBNET || !wanted(v[i]))
			continue;
		struct mdl_subnet *sn = mdl_hdr_to_subnet(v[i]->o);
		if (sn->ip_version == 4 && sn->enable_dhcp)
			s->e[s->n++] = (struct lc_name_val){ sn->network_id, 1 };
	}
	qsort(s->e, s->n, sizeof(*s->e), cmp_name_val);
}

/* the northbound refuses lists longer than a datapath port holds */
_Static_assert(MDL_PORT_MAX_FIXED_IPS <= DP_LPORT_MAX_IPS, "fixed IPs per port");
_Static_assert(MDL_PORT_MAX_ADDR_PAIRS <= DP_LPORT_MAX_AAPS, "address pairs per port");

static int port_cfg(struct lc *lc, const struct lc_name_set *vteps, struct lc_obj *o,
		    struct dp_lport_cfg *c)
{
	const struct lc_port *p = lc_port_of(o);
	memset(c, 0, sizeof(*c));
	if (o->o->dp_key == 0) {
		lc_skip(lc, o, "no dp_key");
		return -EINVAL;
	}
	struct lc_obj *no = lc_obj_find_id(lc, MDL_NETWORK, p->network_id);
	if (no == NULL || no->cs->net == NULL) {
		lc_skip(lc, o, "network %s missing or skipped", p->network_id);
		return -ENOENT;
	}
	if (p->n_fixed_ips > DP_LPORT_MAX_IPS) {
		lc_skip(lc, o, "%u fixed IPs (max %d)", p->n_fixed_ips, DP_LPORT_MAX_IPS);
		return -EINVAL;
	}
	if (p->n_allowed_address_pairs > DP_LPORT_MAX_AAPS) {
		lc_skip(lc, o, "%u address pairs (max %d)", p->n_allowed_address_pairs,
			DP_LPORT_MAX_AAPS);
		return -EINVAL;
	}
	c->key = o->o->dp_key;
	c->network = no->cs->net->key;
	snprintf(c->name, sizeof(c->name), "%s", p->name);
	char text[MDL_IP_SIZE];
	if (lc_port_mac(p, &c->macs[0]) < 0 || !rte_is_unicast_ether_addr(&c->macs[0]) ||
	    rte_is_zero_ether_addr(&c->macs[0])) {
		lc_skip(lc, o, "bad mac_address '%.32s'", lc_port_mac_text(p, text));
		return -EINVAL;
	}
	c->n_macs = 1;
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		struct dp_ip *ip = &c->ips[c->n_ips];
		if (lc_port_ip(&p->fixed_ips[i], ip) < 0 ||
		    ip->plen != (ip->family == 4 ? 32 : 128)) {
			lc_skip(lc, o, "bad fixed IP '%.48s'",
				lc_port_ip_text(&p->fixed_ips[i], text));
			return -EINVAL;
		}
		c->n_ips++;
	}
	for (size_t i = 0; i < p->n_allowed_address_pairs; i++) {
		const struct mdl_addr_pair *a = &p->allowed_address_pairs[i];
		struct dp_aap *d = &c->aaps[c->n_aaps];
		if (lc_ip_parse(a->ip_address, &d->ip) < 0 ||
		    (a->mac_address[0] && rte_ether_unformat_addr(a->mac_address, &d->mac) < 0)) {
			lc_skip(lc, o, "bad allowed address pair '%.48s'", a->ip_address);
			return -EINVAL;
		}
		c->n_aaps++;
	}
	c->port_security = p->port_security_enabled;
	c->admin_up = p->admin_state_up;
	c->dhcp_server = strcmp(p->device_owner, "network:dhcp") == 0;
	/* network:router_interface(_distributed), router_gateway,
	 * ha_router_replicated_interface, ...: may send RAs and redirects */
	c->router = strncmp(p->device_owner, "network:router", 14) == 0 ||
		    strncmp(p->device_owner, "network:ha_router", 17) == 0;
	int dpp = o->local ? lc_iface_port(lc, o->o->id) : -1;
	c->dp_port = dpp >= 0 ? (uint16_t)dpp : DP_NO_PORT;
	if (dpp < 0)
		c->remote_vtep = lc_remote_vtep(lc, vteps, o);
	return 0;
}

static void lport_del(struct lc *lc, struct lc_obj *o)
{
	if (!o->in_chg)
		lc->lp_other = true;
	lc_lport_index_del(lc, o->lp_key, o);
	int rc = dp_table_lport_del(lc->t, o->lp_key);
	lc->st.table_ops++;
	if (rc < 0 && rc != -ENOENT) {
		lc->st.table_errors++;
		lc_log(lc, "lport_del %u (%s): %s", o->lp_key, o->key, strerror(-rc));
	}
	o->lp_key = 0;
}

static void net_del(struct lc *lc, struct lc_obj *o, uint32_t key)
{
	int rc = dp_table_network_del(lc->t, key);
	lc->st.table_ops++;
	if (rc < 0 && rc != -ENOENT) {
		lc->st.table_errors++;
		lc_log(lc, "network_del %u (%s): %s", key, o->key, strerror(-rc));
	}
}

/* The installed network cfg equals the wanted one, flood list included. */
static bool net_same(const struct dp_network_cfg *a, const struct dp_network_cfg *b)
{
	struct dp_network_cfg x = *a, y = *b;
	x.flood_vteps = y.flood_vteps = NULL;
	return memcmp(&x, &y, sizeof(x)) == 0 &&
	       (a->n_flood_vteps == 0 ||
		memcmp(a->flood_vteps, b->flood_vteps, a->n_flood_vteps * sizeof(uint32_t)) == 0);
}

/* true when a network's key in the tables changed (what ports read) */
static bool compile_networks(struct lc *lc, struct lc_obj **v, size_t n,
			     const struct lc_name_set *net_vteps)
{
	bool keys_changed = false;
	struct lc_name_set dhcp_nets;
	uint32_t *vteps = NULL;     /* scratch flood list, grown as needed */
	size_t cap = 0;
	size_t slo, shi;
	lc_type_range(v, n, MDL_SUBNET, &slo, &shi);
	dhcp_nets_collect(v + slo, shi - slo, &dhcp_nets);
	lc_type_range(v, n, MDL_NETWORK, &slo, &shi);
	for (size_t i = slo; i < shi; i++) {
		struct lc_obj *o = v[i];
		struct dp_network_cfg c;
		if (!wanted(o))
			continue;
		if (net_cfg(lc, o, &c) < 0)
			continue;   /* an older version stays until phase D removes it */
		c.dhcp_v4 = name_set_find(&dhcp_nets, o->o->id) != NULL;
		if (c.type == DP_NET_OVERLAY && c.vni != 0) {
			/* the first pair of this network, then its run */
			struct lc_name_val k = { .name = o->o->id, .val = 0 };
			const struct lc_name_val *e = net_vteps->e;
			size_t lo = 0, hi = net_vteps->n;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (lc_name_val_pair_cmp(&e[mid], &k) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			size_t hi2 = lo;
			while (hi2 < net_vteps->n && strcmp(e[hi2].name, o->o->id) == 0)
				hi2++;
			if (hi2 - lo > cap) {
				uint32_t *nv = realloc(vteps, (hi2 - lo) * sizeof(*nv));
				if (nv == NULL) {
					lc_skip(lc, o, "no memory for %zu flood VTEPs", hi2 - lo);
					continue;
				}
				vteps = nv;
				cap = hi2 - lo;
			}
			for (; lo < hi2; lo++)
				vteps[c.n_flood_vteps++] = e[lo].val;
			c.flood_vteps = vteps;
		}
		if (o->cs->net && net_same(o->cs->net, &c)) {
			lc_why_clear(lc, o);
			continue;
		}
		if (o->cs->net && o->cs->net->key != c.key)
			o->cs->stale_net_key = o->cs->net->key;
		if (o->cs->net == NULL || o->cs->net->key != c.key)
			keys_changed = true;
		int rc = dp_table_network_put(lc->t, &c);
		lc->st.table_ops++;
		if (rc < 0) {
			lc->st.table_errors++;
			lc_skip(lc, o, "network_put: %s", strerror(-rc));
			continue;
		}
		/* the installed cfg keeps its own copy of the flood list */
		struct dp_network_cfg *keep = malloc(sizeof(*keep) +
						     c.n_flood_vteps * sizeof(uint32_t));
		free(o->cs->net);
		o->cs->net = keep;
		if (keep == NULL)
			continue;
		*keep = c;
		if (c.n_flood_vteps) {
			memcpy(keep + 1, c.flood_vteps, c.n_flood_vteps * sizeof(uint32_t));
			keep->flood_vteps = (const uint32_t *)(keep + 1);
		}
		lc_why_clear(lc, o);
	}
	free(vteps);
	name_set_free(&dhcp_nets);
	return keys_changed;
}

/* One port's lport as wanted: installed when it differs from what the
 * tables hold.  -EEXIST (a MAC or dp port another port still holds, which
 * may let go later in the batch) is returned for a retry; other failures
 * are the port's reason. */
static int port_put(struct lc *lc, const struct lc_name_set *vteps, struct lc_obj *o,
		    struct dp_lport_cfg *cfg)
{
	if (port_cfg(lc, vteps, o, cfg) < 0) {
		if (o->lp_key)
			lport_del(lc, o);
		return 0;
	}
	const struct dp_lport_cfg *cur = lc_lp(lc, o);
	if (cur && dp_lport_cfg_equal(cur, cfg)) {
		lc_why_clear(lc, o);
		return 0;
	}
	/* same id, new dp_key (deleted and re-created between two batches):
	 * the old lport must go */
	if (o->lp_key && o->lp_key != cfg->key)
		lport_del(lc, o);
	int rc = dp_table_lport_put(lc->t, cfg);
	lc->st.table_ops++;
	if (rc == -EEXIST)
		return rc;
	if (rc < 0) {
		lc->st.table_errors++;
		lc_skip(lc, o, "lport_put: %s", strerror(-rc));
		if (o->lp_key)
			lport_del(lc, o);
		return 0;
	}
	if (!o->in_chg)
		lc->lp_other = true;
	o->lp_key = cfg->key;
	/* DHCP is punted from local ports only (dp/stage_dhcp.c): the index
	 * holds those, not every lport (3 MiB of hash at 100k ports) */
	if (cfg->dp_port != DP_NO_PORT)
		lc_lport_index_set(lc, cfg->key, o);
	else
		lc_lport_index_del(lc, cfg->key, o);
	lc_why_clear(lc, o);
	return 0;
}

/* Every port of v[0..n) made what it wants, one at a time.  ctx:
 * something every port's configuration reads changed (a network or
 * chassis object, the ifaces); otherwise a port compiled before whose
 * value did not change keeps its lport without being looked at again.  No
 * per-batch array of 100k configurations.  Ports refused with -EEXIST are
 * retried while a round makes progress (a MAC moving between two ports of
 * one batch is free once the other port was updated). */
static void compile_ports(struct lc *lc, struct lc_obj **v, size_t n,
			  const struct lc_name_set *vteps, bool ctx)
{
	struct dp_lport_cfg cfg;
	struct lc_obj **pend = NULL;
	size_t np = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		lc_yield_point(lc);
		if (o->type != MDL_PORT || (!ctx && o->lp_key && !o->dirty) || !wanted_lport(o))
			continue;
		if (port_put(lc, vteps, o, &cfg) != -EEXIST)
			continue;
		if (np == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct lc_obj **a = realloc(pend, nc * sizeof(*a));
			if (a == NULL) {
				lc->st.table_errors++;
				lc_skip(lc, o, "out of memory");
				continue;
			}
			pend = a;
			cap = nc;
		}
		pend[np++] = o;
	}
	for (bool progress = true; progress && np > 0;) {
		progress = false;
		size_t k = 0;
		for (size_t i = 0; i < np; i++) {
			if (port_put(lc, vteps, pend[i], &cfg) == -EEXIST)
				pend[k++] = pend[i];
			else
				progress = true;
		}
		np = k;
	}
	for (size_t i = 0; i < np; i++) {
		lc->st.table_errors++;
		lc_skip(lc, pend[i], "MAC or dp port already used by another port");
		if (pend[i]->lp_key)
			lport_del(lc, pend[i]);
	}
	free(pend);
	/* wanted ports left without an lport (skipped, or a MAC another port
	 * holds): the next batch looks at every port again, to retry them */
	lc->ports_unplaced = 0;
	for (size_t i = 0; i < n; i++)
		lc->ports_unplaced += v[i]->type == MDL_PORT && v[i]->lp_key == 0 &&
				      wanted_lport(v[i]);
}

/* The underlay neighbor table holds the VTEPs of the chassis our remote
 * ports live on: new ones are added unresolved (ctrl/apps/app_underlay.c ARPs for
 * them), gone ones removed; static entries (wyctl vtep add --mac) are the
 * operator's and stay. */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

struct vtep_gc {
	uint32_t ips[512];
	unsigned n;
	const uint32_t *want;   /* sorted, distinct */
	size_t n_want;
};

static bool vtep_wanted(const uint32_t *want, size_t n, uint32_t ip)
{
	return n && bsearch(&ip, want, n, sizeof(*want), cmp_u32) != NULL;
}

static int vtep_gc_one(const struct dp_vtep *v, void *arg)
{
	struct vtep_gc *g = arg;
	if (!v->is_static && !vtep_wanted(g->want, g->n_want, v->ip) && g->n < RTE_DIM(g->ips))
		g->ips[g->n++] = v->ip;
	return 0;
}

static void compile_vteps(struct lc *lc, struct lc_obj **v, size_t n,
			  const struct lc_name_set *net_vteps)
{
	/* the distinct VTEPs of the (network, VTEP) pairs */
	uint32_t *want = malloc((net_vteps->n + 1) * sizeof(*want));
	size_t n_want = 0;
	if (want == NULL)
		return;
	for (size_t i = 0; i < net_vteps->n; i++)
		want[n_want++] = net_vteps->e[i].val;
	if (lc->gw_vtep) /* snat = gateway: we send to the gateway chassis */
		want[n_want++] = lc->gw_vtep;
	qsort(want, n_want, sizeof(*want), cmp_u32);
	size_t k = 0;
	for (size_t i = 0; i < n_want; i++)
		if (k == 0 || want[k - 1] != want[i])
			want[k++] = want[i];
	n_want = k;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->type != MDL_CHASSIS || !v[i]->present || v[i]->o == NULL)
			continue;
		struct mdl_chassis *c = mdl_hdr_to_chassis(v[i]->o);
		struct in_addr a;
		if (strcmp(c->name, lc->cfg.chassis) == 0 ||
		    inet_pton(AF_INET, c->vtep_ip, &a) != 1 || !vtep_wanted(want, n_want, a.s_addr))
			continue;
		/* what the remote chassis lists first is what it wants to receive */
		int e = c->n_encap_types ? dp_encap_parse(c->encap_types[0]) : -1;
		uint8_t encap = e > 0 ? (uint8_t)e : DP_ENCAP_NONE;
		const struct dp_vtep *cur = dp_vtep_get(lc->t, a.s_addr);
		if (cur != NULL && (cur->is_static || cur->encap == encap))
			continue;
		struct dp_vtep nv = { .ip = a.s_addr, .encap = encap };
		if (cur != NULL) {
			nv.mac = cur->mac;
			nv.resolved = cur->resolved;
		}
		lc->st.table_ops++;
		if (dp_vtep_put(lc->t, &nv) < 0)
			lc->st.table_errors++;
	}
	struct vtep_gc g = { .n = 0, .want = want, .n_want = n_want };
	dp_vtep_foreach(lc->t, vtep_gc_one, &g);
	for (unsigned i = 0; i < g.n; i++) {
		lc->st.table_ops++;
		dp_vtep_del(lc->t, g.ips[i]);
	}
	free(want);
}

/* Is a changed port one a router interface or a floating IP names, or a
 * network-owned one (router interface, gateway, SNAT address port)? */
static bool port_used_by_l3(const struct lc_obj *p, struct lc_obj **v, size_t n)
{
	const struct lc_port *mp = p->o ? lc_port_of(p) : NULL;
	const char *id = p->key + strlen(LC_PREFIX "port/");
	size_t lo, hi;
	if (mp != NULL && strncmp(mp->device_owner, "network:", 8) == 0)
		return true;
	lc_type_range(v, n, MDL_ROUTER, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		const struct mdl_router *r = v[i]->o ? mdl_hdr_to_router(v[i]->o) : NULL;
		for (size_t k = 0; r != NULL && k < r->n_interfaces; k++)
			if (strcmp(r->interfaces[k].port_id, id) == 0)
				return true;
	}
	lc_type_range(v, n, MDL_FLOATING_IP, &lo, &hi);
	for (size_t i = lo; i < hi; i++)
		if (v[i]->o && strcmp(mdl_hdr_to_fip(v[i]->o)->port_id, id) == 0)
			return true;
	return false;
}

/* Routers, gateways and floating IPs read routers, subnets, networks,
 * floating IPs, the ports those name, the chassis (gateway election) and
 * reachability: anything else changing leaves their tables as they are. */
static bool l3_inputs_changed(struct lc *lc, struct lc_obj **v, size_t n, bool ctx)
{
	if (ctx || lc->reach_ran || lc->n_chg == SIZE_MAX ||
	    (lc->chg_types & ((1u << MDL_ROUTER) | (1u << MDL_SUBNET) | (1u << MDL_NETWORK) |
			      (1u << MDL_FLOATING_IP))))
		return true;
	for (size_t i = 0; i < lc->n_chg; i++)
		if (lc->chg[i]->type == MDL_PORT && port_used_by_l3(lc->chg[i], v, n))
			return true;
	return false;
}

void lc_compile(struct lc *lc)
{
	size_t n;
	struct lc_obj **v = lc_obj_all(lc, &n);
	size_t clo, chi, nlo, nhi, rlo, rhi;
	lc_type_range(v, n, MDL_CHASSIS, &clo, &chi);
	lc_type_range(v, n, MDL_NETWORK, &nlo, &nhi);
	lc_type_range(v, n, MDL_ROUTER, &rlo, &rhi);
	bool gw_moved = lc_gateway_elect(lc, v + clo, chi - clo);
	/* what is wanted changes only with reachability or with the object:
	 * without a reachability pass, the changed objects are all there is
	 * to look at for the reasons and phase A */
	struct lc_obj **w = v;
	size_t nw = n;
	if (!lc->reach_ran && lc->n_chg != SIZE_MAX) {
		w = lc->chg;
		nw = lc->n_chg;
	}
	/* reasons only apply to objects we try to compile */
	for (size_t i = 0; i < nw; i++)
		if (!wanted(w[i]) && w[i]->o)
			lc_why_clear(lc, w[i]);
	/* A */
	for (size_t i = 0; i < nw; i++)
		if (w[i]->type == MDL_PORT && w[i]->lp_key && !wanted_lport(w[i]))
			lport_del(lc, w[i]);
	/* what every port's configuration reads: networks, chassis, ifaces
	 * (or a batch too big to list) */
	bool ctx = lc->ifaces_changed || lc->n_chg == SIZE_MAX ||
		   (lc->chg_types & ((1u << MDL_NETWORK) | (1u << MDL_CHASSIS)));
	struct lc_name_set vteps;
	vteps_collect(v + clo, chi - clo, &vteps);
	bool kept, nets_changed = false;
	const struct lc_name_set *net_vteps = lc_flood_pairs(lc, v, n, &vteps, ctx, &kept);
	/* B: a network's entry reads the network, its subnets (DHCP), the
	 * flood pairs and the config */
	if (ctx || lc->reach_ran || !kept || (lc->chg_types & (1u << MDL_SUBNET)))
		nets_changed = compile_networks(lc, v, n, net_vteps);
	/* networks that cannot compile anymore lose their lports in C */
	for (size_t i = nlo; i < nhi; i++) {
		struct lc_obj *o = v[i];
		struct dp_network_cfg c;
		if (o->cs->net && wanted(o) && o->why &&
		    o->why_counted && net_cfg(lc, o, &c) < 0) {
			/* keep o->cs->net for C's lookups? no: ports must go too */
			o->cs->stale_net_key = o->cs->net->key;
			free(o->cs->net);
			o->cs->net = NULL;
			nets_changed = true;
		}
	}
	/* C: every port; or, when nothing a port's lport reads changed, no
	 * port changed what is wanted and none waits for a retry, the changed
	 * ones */
	if (ctx || nets_changed || lc->reach_ran || lc->ports_unplaced || lc->n_chg == SIZE_MAX) {
		size_t plo, phi;
		lc_type_range(v, n, MDL_PORT, &plo, &phi);
		compile_ports(lc, v + plo, phi - plo, &vteps, ctx || nets_changed);
	} else {
		compile_ports(lc, lc->chg, lc->n_chg, &vteps, false);
	}
	compile_vteps(lc, v + clo, chi - clo, net_vteps);
	name_set_free(&vteps);
	/* routers, after ports and before networks go (lc_compile_l3.c), and
	 * their gateways and floating IPs (lc_compile_nat.c): when something
	 * they read may have changed */
	if (l3_inputs_changed(lc, v, n, ctx || gw_moved || nets_changed)) {
		lc_compile_l3(lc, v + rlo, rhi - rlo);
		lc_compile_nat(lc, v, n);
	}
	/* security groups of the compiled ports (lc_compile_sg.c) */
	lc_compile_sg(lc, v, n);
	/* D */
	for (size_t i = nlo; i < nhi; i++) {
		struct lc_obj *o = v[i];
		if (o->cs->net && !wanted(o)) {
			net_del(lc, o, o->cs->net->key);
			free(o->cs->net);
			o->cs->net = NULL;
		}
		if (o->cs->stale_net_key) {
			net_del(lc, o, o->cs->stale_net_key);
			o->cs->stale_net_key = 0;
		}
	}
}
