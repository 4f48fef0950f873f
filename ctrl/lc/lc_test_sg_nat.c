/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_sg_nat.c — local controller tests of what compiles into
 * the ACL and NAT tables: security groups (ports without a group, a rule
 * change recompiles only its group's ports) and router gateways with
 * floating IPs (L3 gateway port, NAT tables).  Harness: lc_test_util.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_ether.h>

#include "acl.h"
#include "db.h"
#include "lc.h"
#include "lc_priv.h"
#include "lc_test_gen.h"
#include "nb_ops.h"
#include "mdl.h"
#include "nb.h"
#include "tables.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "test_eal_dir.h"

#include "lc_test_util.h"

/* Security groups: a port with port security and no group is filtered
 * (base rules only), port security off is not; a rule created or deleted
 * recompiles only the ports of its group; the compiled view names the
 * groups and the rule keys map back to rule ids. */
static int sg_port_cb(const struct lc_sg_port *p, void *arg)
{
	(*(unsigned *)arg)++;
	(void)p;
	return 0;
}

struct key_find {
	uint32_t key;
	char id[MDL_ID_SIZE];
};

static int sg_rule_cb(uint32_t key, const char *rule_id, const char *group_id, void *arg)
{
	struct key_find *k = arg;
	(void)group_id;
	if (key == k->key)
		snprintf(k->id, sizeof(k->id), "%s", rule_id);
	return 0;
}

static bool acl_has_key(struct inst *x, uint32_t lport, uint32_t key, bool *only_base)
{
	struct dp_acl_port_info pi;
	bool has = false;
	*only_base = true;
	if (dp_acl_port_info(dp_tables_get_acl(x->t), lport, &pi) < 0)
		return false;
	for (uint32_t i = 0; i < pi.n_rules; i++) {
		has |= pi.rules[i].key == key;
		*only_base &= pi.rules[i].key >= 0xfffff000u;
	}
	return has;
}

static uint64_t compiles(struct inst *x)
{
	struct lc_stats st;
	lc_get_stats(x->lc, &st);
	return st.sg_port_compiles;
}

void t_sg_incremental(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], ga[MDL_ID_SIZE], gb[MDL_ID_SIZE], rule[MDL_ID_SIZE];
	static const char *const ids[5] = { "aaaaaaaa-0000-4000-8000-000000000001",
					    "aaaaaaaa-0000-4000-8000-000000000002",
					    "aaaaaaaa-0000-4000-8000-000000000003",
					    "aaaaaaaa-0000-4000-8000-000000000004",
					    "aaaaaaaa-0000-4000-8000-000000000005" };
	struct inst x;
	bool base;
	char err[MDL_ERR_SIZE];
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, ga, "{\"name\":\"A\"}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, gb, "{\"name\":\"B\"}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, NULL,
		"{\"security_group_id\":\"%s\",\"direction\":\"egress\",\"ethertype\":\"IPv4\"}",
		ga), 0);
	static const char *const grp[5] = { "A", "A", "B", "", "" };
	for (unsigned i = 0; i < 5; i++) {
		char sgs[64] = "";
		if (grp[i][0])
			snprintf(sgs, sizeof(sgs), "\"%s\"", grp[i][0] == 'A' ? ga : gb);
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\","
			"\"network_id\":\"%s\",\"binding:host_id\":\"X\",\"security_groups\":[%s],"
			"\"port_security_enabled\":%s}", ids[i], na, sgs, i == 4 ? "false" : "true"),
			0);
	}
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, ids, 5), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	struct dp_acl *acl = dp_tables_get_acl(x.t);
	uint32_t lp[5];
	for (unsigned i = 0; i < 5; i++)
		lp[i] = dpkey(db, MDL_PORT, ids[i]);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT_TRUE(dp_acl_port_has(acl, lp[i]));
	CU_ASSERT_FALSE(dp_acl_port_has(acl, lp[4]));     /* port security off */
	acl_has_key(&x, lp[3], 0, &base);
	CU_ASSERT_TRUE(base);                              /* no group: base rules only */
	unsigned n_ports = 0;
	lc_foreach_sg_port(x.lc, sg_port_cb, &n_ports);
	CU_ASSERT_EQUAL(n_ports, 4);

	/* a rule in B: only B's one port is compiled again */
	uint64_t c0 = compiles(&x);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, rule,
		"{\"security_group_id\":\"%s\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
		"\"protocol\":\"tcp\",\"port_range_min\":22,\"port_range_max\":22}", gb), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 1);
	uint32_t rkey = dpkey(db, MDL_SECURITY_GROUP_RULE, rule);
	CU_ASSERT_TRUE(acl_has_key(&x, lp[2], rkey, &base));
	CU_ASSERT_FALSE(acl_has_key(&x, lp[0], rkey, &base));
	struct key_find kf = { rkey, "" };
	lc_foreach_sg_rule(x.lc, sg_rule_cb, &kf);
	CU_ASSERT_STRING_EQUAL(kf.id, rule);
	/* deleting it: again only B's port */
	c0 = compiles(&x);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SECURITY_GROUP_RULE, rule, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 1);
	CU_ASSERT_FALSE(acl_has_key(&x, lp[2], rkey, &base));
	/* a rule in A: A's two ports */
	c0 = compiles(&x);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, rule,
		"{\"security_group_id\":\"%s\",\"direction\":\"ingress\",\"ethertype\":\"IPv6\"}",
		ga), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 2);
	rkey = dpkey(db, MDL_SECURITY_GROUP_RULE, rule);
	CU_ASSERT_TRUE(acl_has_key(&x, lp[0], rkey, &base));
	CU_ASSERT_TRUE(acl_has_key(&x, lp[1], rkey, &base));
	CU_ASSERT_FALSE(acl_has_key(&x, lp[2], rkey, &base));
	/* the group-less port joins B: that port only */
	c0 = compiles(&x);
	struct mdl_hdr *p;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, ids[3], &p, NULL), 0);
	struct mdl_port *pp = mdl_hdr_to_port(p);
	pp->security_groups = calloc(1, sizeof(*pp->security_groups));
	snprintf(pp->security_groups[0], MDL_ID_SIZE, "%s", gb);
	pp->n_security_groups = 1;
	CU_ASSERT_EQUAL(nb_update(db, p, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(p);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 1);
	/* a port whose group is not there (yet): base rules only, never
	 * unfiltered; the group arriving gives it its rules */
	static const char *const gid = "aaaaaaaa-0000-4000-8000-0000000000cc";
	char key[128], val[512];
	snprintf(key, sizeof(key), "/wyvern/v1/port/%s", ids[4]);
	snprintf(val, sizeof(val), "{\"id\":\"%s\",\"dp_key\":%u,\"revision_number\":9,"
		 "\"network_id\":\"%s\",\"mac_address\":\"fa:16:3e:00:00:55\","
		 "\"binding:host_id\":\"X\",\"security_groups\":[\"%s\"]}", ids[4], lp[4], na, gid);
	CU_ASSERT_EQUAL_FATAL(db_put(db, key, val, strlen(val), NULL), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_TRUE(dp_acl_port_has(acl, lp[4]));
	acl_has_key(&x, lp[4], 0, &base);
	CU_ASSERT_TRUE(base);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, NULL, "{\"id\":\"%s\"}", gid),
			      0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, rule,
		"{\"security_group_id\":\"%s\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\"}",
		gid), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	rkey = dpkey(db, MDL_SECURITY_GROUP_RULE, rule);
	CU_ASSERT_TRUE(acl_has_key(&x, lp[4], rkey, &base));
	inst_stop(&x);
	db_close(db);
}


/* Wait (syncing) until router kr's NAT gateway has an SNAT address (on) or
 * none (!on); false after 10 s. */
static bool wait_snat(struct inst *x, struct db *db, const struct dp_nat *nat, uint32_t kr,
		      bool on)
{
	for (int i = 0; i < 100; i++) {
		inst_sync(x, db);
		const struct dp_nat_gw_cfg *g = dp_nat_gw_get(nat, kr);
		if (g != NULL && (g->snat_ip != 0) == on)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

/* SNAT address ports of router rt bound to host in the central db; the
 * first one's id into id (may be NULL). */
static int snat_ports(struct db *db, const char *host, const char *rt, char *id)
{
	struct mdl_hdr **objs;
	size_t n;
	int found = 0;
	if (nb_list(db, MDL_PORT, &objs, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct mdl_port *p = mdl_hdr_to_port(objs[i]);
		if (strcmp(p->device_owner, "network:floatingip_agent_gateway") == 0 &&
		    strcmp(p->binding_host_id, host) == 0 && strcmp(p->device_id, rt) == 0) {
			if (found++ == 0 && id != NULL)
				snprintf(id, MDL_ID_SIZE, "%s", objs[i]->id);
		}
	}
	nb_list_free(objs, n);
	return found;
}

/* A router's gateway on a held external network and a floating IP of a
 * local port: the gateway rport + default route, the NAT gateway and the
 * FIP entry (MAC from chassis + port); disassociation and the gateway's
 * removal take them out again. */
void t_nat(void)
{
	struct db *db = central_open();
	char ext[MDL_ID_SIZE], exts[MDL_ID_SIZE], na[MDL_ID_SIZE], sa[MDL_ID_SIZE];
	char rt[MDL_ID_SIZE], fip[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	const char *p1 = "aaaaaaaa-0000-4000-8000-0000000000f1";
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, ext, "{\"name\":\"ext\","
		"\"provider:network_type\":\"flat\",\"provider:physical_network\":\"physnet1\","
		"\"router:external\":true}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, exts, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"172.24.4.0/24\",\"gateway_ip\":\"172.24.4.1\"}",
		ext), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sa, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.1.0.0/24\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		"\"ip_address\":\"10.1.0.5\"}]}", p1, na, sa), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_ROUTER, rt, "{\"name\":\"r\",\"interfaces\":["
		"{\"subnet_id\":\"%s\",\"ip_address\":\"10.1.0.1\"}],\"external_gateway_info\":"
		"{\"network_id\":\"%s\",\"enable_snat\":true,\"external_fixed_ips\":["
		"{\"subnet_id\":\"%s\",\"ip_address\":\"172.24.4.10\"}]}}", sa, ext, exts), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_FLOATING_IP, fip, "{\"floating_network_id\":"
		"\"%s\",\"floating_ip_address\":\"172.24.4.100\",\"port_id\":\"%s\","
		"\"fixed_ip_address\":\"10.1.0.5\",\"router_id\":\"%s\"}", ext, p1, rt), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t kext = dpkey(db, MDL_NETWORK, ext), kr = dpkey(db, MDL_ROUTER, rt);
	uint32_t kp = dpkey(db, MDL_PORT, p1);
	const struct dp_network *en = dp_table_network_get(x.t, kext);
	CU_ASSERT_PTR_NOT_NULL_FATAL(en);
	CU_ASSERT_EQUAL(en->cfg.type, DP_NET_FLAT);
	const struct dp_l3 *l3 = dp_l3_find(x.t);
	const struct dp_rport *gp = dp_l3_rport_get(l3, DP_RPORT_KEY(kr, 127));
	CU_ASSERT_PTR_NOT_NULL_FATAL(gp);
	CU_ASSERT_EQUAL(gp->cfg.network, kext);
	CU_ASSERT(gp->cfg.n_ips == 1 && gp->cfg.ips[0].plen == 24 &&
		  memcmp(gp->cfg.ips[0].addr, "\xac\x18\x04\x0a", 4) == 0);
	const struct dp_router *r = dp_l3_router_get(l3, kr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT(r->n_routes == 1 && r->routes[0].prefix.plen == 0 &&
		  memcmp(r->routes[0].gw.addr, "\xac\x18\x04\x01", 4) == 0);
	const struct dp_nat *nat = dp_nat_find(x.t);
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(nat, kr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT(g->rport == DP_RPORT_KEY(kr, 127) && g->network == kext &&
		  g->nexthop == inet_addr("172.24.4.1") && g->zone != 0);
	const struct dp_nat_fip_cfg *f = dp_nat_fip_by_ext(nat, kext, inet_addr("172.24.4.100"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(f->lport == kp && f->router == kr && f->fixed == inet_addr("10.1.0.5"));
	struct rte_ether_addr m;
	lc_fip_mac(&m, "X", p1);
	CU_ASSERT(rte_is_same_ether_addr(&m, &f->mac));
	/* distributed SNAT: the chassis creates its address port itself
	 * (sync thread, through the northbound operations) */
	CU_ASSERT_TRUE_FATAL(wait_snat(&x, db, nat, kr, true));
	char sx[MDL_ID_SIZE] = "", mac[MDL_MAC_SIZE];
	CU_ASSERT_EQUAL(snat_ports(db, "X", rt, sx), 1);
	lc_snat_port_mac(mac, rt, "X");
	struct mdl_hdr *h;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, sx, &h, NULL), 0);
	const struct mdl_port *sp = mdl_hdr_to_port(h);
	CU_ASSERT_STRING_EQUAL(sp->mac_address, mac);
	CU_ASSERT_STRING_EQUAL(sp->network_id, ext);
	CU_ASSERT_EQUAL_FATAL(sp->n_fixed_ips, 1);
	uint32_t sip = inet_addr(sp->fixed_ips[0].ip_address);
	/* from the external subnet, not its gateway nor the router's address */
	CU_ASSERT((sip & htonl(0xffffff00)) == inet_addr("172.24.4.0") &&
		  sip != inet_addr("172.24.4.1") && sip != inet_addr("172.24.4.10") &&
		  sip != inet_addr("172.24.4.100"));
	mdl_obj_free(h);
	g = dp_nat_gw_get(nat, kr);
	CU_ASSERT_EQUAL(g->snat_ip, sip);
	struct rte_ether_addr m2;
	lc_fip_mac(&m2, "X", sx);
	CU_ASSERT(rte_is_same_ether_addr(&m2, &g->snat_mac));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, dpkey(db, MDL_PORT, sx)));
	/* a racing second creation (same MAC) is refused by the MAC claim */
	char *argv[] = { "port", "create", "snat-X", "--network", ext, "--mac", mac,
			 "--device-owner", "network:floatingip_agent_gateway", "--device-id", rt,
			 "--host", "X", NULL };
	FILE *devnull = fopen("/dev/null", "w");
	CU_ASSERT_NOT_EQUAL(wyctl_nb_run(db, "", false, 13, argv, devnull, devnull), 0);
	fclose(devnull);
	CU_ASSERT_EQUAL(snat_ports(db, "X", rt, NULL), 1);
	/* another chassis' SNAT port is not held */
	const char *sy = "aaaaaaaa-0000-4000-8000-0000000000f3";
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"Y\",\"device_owner\":"
		"\"network:floatingip_agent_gateway\",\"device_id\":\"%s\",\"fixed_ips\":"
		"[{\"subnet_id\":\"%s\",\"ip_address\":\"172.24.4.51\"}]}", sy, ext, rt, exts), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, dpkey(db, MDL_PORT, sy)));
	CU_ASSERT_PTR_NOT_NULL(dp_nat_gw_by_snat_ip(nat, kext, sip));
	CU_ASSERT_PTR_NULL(dp_nat_gw_by_snat_ip(nat, kext, inet_addr("172.24.4.51")));
	/* the FIP is still there (the gateway was replaced, not removed) */
	CU_ASSERT_PTR_NOT_NULL(dp_nat_fip_by_ext(nat, kext, inet_addr("172.24.4.100")));
	/* the router stops SNAT: the chassis deletes its port (Y's stays) */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_ROUTER, rt, &h, NULL), 0);
	mdl_hdr_to_router(h)->gateway.enable_snat = false;
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_TRUE(wait_snat(&x, db, nat, kr, false));
	for (int i = 0; i < 100 && snat_ports(db, "X", rt, NULL) != 0; i++) {
		inst_sync(&x, db);
		usleep(100 * 1000);
	}
	CU_ASSERT_EQUAL(snat_ports(db, "X", rt, NULL), 0);
	CU_ASSERT_EQUAL(snat_ports(db, "Y", rt, NULL), 1);
	CU_ASSERT_PTR_NULL(dp_nat_gw_by_snat_ip(nat, kext, sip));
	/* disassociated: the entry goes, the gateway stays */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_FLOATING_IP, fip, &h, NULL), 0);
	mdl_hdr_to_fip(h)->port_id[0] = 0;
	mdl_hdr_to_fip(h)->fixed_ip_address[0] = 0;
	mdl_hdr_to_fip(h)->router_id[0] = 0;
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NULL(dp_nat_fip_by_ext(nat, kext, inet_addr("172.24.4.100")));
	CU_ASSERT_PTR_NOT_NULL(dp_nat_gw_get(nat, kr));
	/* the gateway goes: its rport, route and NAT entry, and the network */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_ROUTER, rt, &h, NULL), 0);
	mdl_hdr_to_router(h)->has_gateway = false;
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NULL(dp_nat_gw_get(nat, kr));
	CU_ASSERT_PTR_NULL(dp_l3_rport_get(l3, DP_RPORT_KEY(kr, 127)));
	r = dp_l3_router_get(l3, kr);
	CU_ASSERT(r != NULL && r->n_routes == 0);
	CU_ASSERT_PTR_NULL(dp_table_network_get(x.t, kext));
	struct lc_stats st;
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.table_errors, 0);
	inst_stop(&x);
	db_close(db);
}


static void gw_chassis(struct db *db, const char *name, const char *vtep, bool gw, int prio,
		       char id[MDL_ID_SIZE])
{
	mdl_chassis_id(name, id);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_CHASSIS, NULL, "{\"id\":\"%s\",\"name\":"
		"\"%s\",\"vtep_ip\":\"%s\",\"encap_types\":[\"vxlan\"],\"gateway\":%s,"
		"\"gateway_priority\":%d}", id, name, vtep, gw ? "true" : "false", prio), 0);
}

static void set_alive(struct db *db, const char *id, bool on)
{
	char key[128];
	lc_alive_key_fmt(id, key, sizeof(key));
	int rc = on ? db_put(db, key, "{}", 2, NULL) : db_delete(db, key, NULL);
	CU_ASSERT_EQUAL(rc, 0);
}

/* Gateway SNAT: the election among alive gateway chassis by priority, ties
 * to the smallest id; the others' NAT gateway points at its VTEP; the
 * elected chassis holds the router's gateway IP; liveness moves it. */
void t_nat_gateway(void)
{
	struct db *db = central_open();
	char ext[MDL_ID_SIZE], exts[MDL_ID_SIZE], na[MDL_ID_SIZE], sa[MDL_ID_SIZE];
	char rt[MDL_ID_SIZE], id1[MDL_ID_SIZE], id2[MDL_ID_SIZE], idn[MDL_ID_SIZE];
	char idx[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	const char *p1 = "aaaaaaaa-0000-4000-8000-0000000000e1";
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, ext, "{\"name\":\"ext\","
		"\"provider:network_type\":\"flat\",\"provider:physical_network\":\"physnet1\","
		"\"router:external\":true}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, exts, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"172.24.4.0/24\",\"gateway_ip\":\"172.24.4.1\"}",
		ext), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sa, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.1.0.0/24\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		"\"ip_address\":\"10.1.0.5\"}]}", p1, na, sa), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_ROUTER, rt, "{\"name\":\"r\",\"interfaces\":["
		"{\"subnet_id\":\"%s\",\"ip_address\":\"10.1.0.1\"}],\"external_gateway_info\":"
		"{\"network_id\":\"%s\",\"enable_snat\":true,\"external_fixed_ips\":["
		"{\"subnet_id\":\"%s\",\"ip_address\":\"172.24.4.10\"}]}}", sa, ext, exts), 0);
	/* G1 and G2 tie at 200 (the smaller id wins), N is no gateway */
	gw_chassis(db, "G1", "192.0.2.11", true, 200, id1);
	gw_chassis(db, "G2", "192.0.2.12", true, 200, id2);
	gw_chassis(db, "N", "192.0.2.13", false, 999, idn);
	set_alive(db, id1, true);
	set_alive(db, id2, true);
	set_alive(db, idn, true);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	x.lc->cfg.snat_mode = LC_SNAT_GATEWAY;  /* the control thread's config */
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t kr = dpkey(db, MDL_ROUTER, rt);
	const struct dp_nat *nat = dp_nat_find(x.t);
	bool first1 = strcmp(id1, id2) < 0;
	const char *win = first1 ? "G1" : "G2", *other = first1 ? "G2" : "G1";
	const char *wid = first1 ? id1 : id2, *oid = first1 ? id2 : id1;
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(nat, kr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(g->snat_ip, 0);
	CU_ASSERT_EQUAL(g->gw_vtep, inet_addr(first1 ? "192.0.2.11" : "192.0.2.12"));
	CU_ASSERT_FALSE(g->serves_overlay);
	struct lc_chassis_info ci;
	CU_ASSERT_EQUAL_FATAL(lc_gateway_chassis(x.lc, &ci), 0);
	CU_ASSERT_STRING_EQUAL(ci.name, win);
	CU_ASSERT_FALSE(ci.self);
	/* the elected one's lease goes: the other takes over */
	set_alive(db, wid, false);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	g = dp_nat_gw_get(nat, kr);
	CU_ASSERT_EQUAL(g->gw_vtep, inet_addr(first1 ? "192.0.2.12" : "192.0.2.11"));
	CU_ASSERT_EQUAL(lc_gateway_chassis(x.lc, &ci), 0);
	CU_ASSERT_STRING_EQUAL(ci.name, other);
	/* none alive (N may not be elected): no gateway, VMs stay no-nat */
	set_alive(db, oid, false);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	g = dp_nat_gw_get(nat, kr);
	CU_ASSERT(g->gw_vtep == 0 && g->snat_ip == 0);
	CU_ASSERT_EQUAL(lc_gateway_chassis(x.lc, &ci), -ENOENT);
	/* this chassis becomes a gateway chassis (priority 1): elected, it
	 * holds the router's gateway IP */
	mdl_chassis_id("X", idx);
	struct mdl_hdr *h;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_CHASSIS, idx, &h, NULL), 0);
	mdl_hdr_to_chassis(h)->gateway = true;
	mdl_hdr_to_chassis(h)->gateway_priority = 1;
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	set_alive(db, idx, true);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	g = dp_nat_gw_get(nat, kr);
	CU_ASSERT_EQUAL(g->snat_ip, inet_addr("172.24.4.10"));
	CU_ASSERT_EQUAL(g->gw_vtep, 0);
	CU_ASSERT_TRUE(g->serves_overlay);
	struct rte_ether_addr m;
	char seed[MDL_ID_SIZE + 8];
	snprintf(seed, sizeof(seed), "gw:%s", rt);
	lc_fip_mac(&m, "X", seed);
	CU_ASSERT(rte_is_same_ether_addr(&m, &g->snat_mac) &&
		  rte_is_same_ether_addr(&m, &g->arp_mac));
	CU_ASSERT_EQUAL(lc_gateway_chassis(x.lc, &ci), 0);
	CU_ASSERT(ci.self && strcmp(ci.name, "X") == 0);
	/* a live G1 again outranks us */
	set_alive(db, id1, true);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	g = dp_nat_gw_get(nat, kr);
	CU_ASSERT(g->snat_ip == 0 && g->gw_vtep == inet_addr("192.0.2.11"));
	struct lc_stats st;
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.table_errors, 0);
	inst_stop(&x);
	db_close(db);
}
