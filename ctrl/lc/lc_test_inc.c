/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_inc.c — what a batch touches: the DHCP lookup through the
 * index of the local lports (no scan of the objects), and a batch of port updates that
 * leaves reachability alone (its inputs did not change) yet ends where a
 * full pass would; ports kept as compact records.  The property test (lc_test.c) checks the general case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>
#include <pthread.h>

#include "lc.h"
#include "lc_priv.h"        /* lc_intern_count, lc_port_of, the sync queue */
#include "lc_test_gen.h"
#include "lc_test_util.h"
#include "nb.h"
#include "tables.h"
#include "acl.h"

#define N_PORTS 1500    /* ports of the DHCP network, N_LOCAL of them bound here */
#define N_LOCAL 63      /* one dp port each (below DP_MAX_PORTS) */

static void port_id(unsigned i, char id[MDL_ID_SIZE])
{
	snprintf(id, MDL_ID_SIZE, "dddddddd-0000-4000-8000-%012u", i);
}

/* A network with a DHCP subnet and n ports on it, the first n_local bound
 * here (iface i + 1 each). */
static struct db *setup_local(struct inst *x, unsigned n, unsigned n_local,
			      char net[MDL_ID_SIZE], char sub[MDL_ID_SIZE])
{
	struct db *db = central_open();
	char id[MDL_ID_SIZE], ids[N_LOCAL][MDL_ID_SIZE];
	const char *ifs[N_LOCAL];
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sub, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.9.0.0/16\",\"enable_dhcp\":true,"
		"\"gateway_ip\":\"10.9.0.1\"}", net), 0);
	for (unsigned i = 0; i < n; i++) {
		port_id(i, id);
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\","
			"\"network_id\":\"%s\",\"binding:host_id\":\"%s\",\"fixed_ips\":"
			"[{\"subnet_id\":\"%s\",\"ip_address\":\"10.9.%u.%u\"}]}", id, net,
			i < n_local ? "X" : "Y", sub, 1 + i / 250, 2 + i % 250), 0);
	}
	CU_ASSERT_FATAL(n_local >= 1 && n_local <= N_LOCAL);
	for (unsigned i = 0; i < n_local; i++) {
		port_id(i, ids[i]);
		ifs[i] = ids[i];
	}
	CU_ASSERT_EQUAL_FATAL(inst_start(x, db, NULL, "X", NULL, ifs, n_local), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(x, db), 0);
	return db;
}

/* setup_local with the first port bound here. */
static struct db *setup(struct inst *x, unsigned n, char net[MDL_ID_SIZE],
			char sub[MDL_ID_SIZE])
{
	return setup_local(x, n, 1, net, sub);
}

static uint32_t want_ip(unsigned i)
{
	return htonl(0x0a090000u | (1 + i / 250) << 8 | (2 + i % 250));
}

static int set_port(struct db *db, const char *id, const char *field, const char *value);

void t_dhcp_index(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], id[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	struct db *db = setup_local(&x, N_PORTS, N_LOCAL, net, sub);
	struct lc_dhcp_info info;
	unsigned ok = 0, remote = 0;
	for (unsigned i = 0; i < N_PORTS; i++) {
		port_id(i, id);
		int rc = lc_dhcp_lookup(x.lc, dpkey(db, MDL_PORT, id), &info);
		if (i < N_LOCAL)
			ok += rc == 0 && info.ip == want_ip(i) &&
			      info.gateway == htonl(0x0a090001u);
		else    /* a remote port's DHCP is its own chassis' (stage_dhcp):
			 * installed, but not in the index */
			remote += rc == -ENOENT &&
				  dp_table_lport_get(x.t, dpkey(db, MDL_PORT, id)) != NULL;
	}
	CU_ASSERT_EQUAL(ok, N_LOCAL);
	CU_ASSERT_EQUAL(remote, N_PORTS - N_LOCAL);
	CU_ASSERT_EQUAL(lc_dhcp_lookup(x.lc, 0x7fffff00u, &info), -ENOENT);
	/* a deleted port is no longer answered for; a port created again under
	 * the same id gets a new dp_key, answered under that one only */
	port_id(7, id);
	uint32_t old = dpkey(db, MDL_PORT, id);
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_PORT, id, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(lc_dhcp_lookup(x.lc, old, &info), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		"\"ip_address\":\"10.9.200.7\"}]}", id, net, sub), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t key = dpkey(db, MDL_PORT, id);
	CU_ASSERT_NOT_EQUAL(key, old);
	CU_ASSERT_EQUAL(lc_dhcp_lookup(x.lc, old, &info), -ENOENT);
	CU_ASSERT_EQUAL(lc_dhcp_lookup(x.lc, key, &info), 0);
	CU_ASSERT_EQUAL(info.ip, htonl(0x0a09c807u));
	/* moved to another host: the lport stays (a remote one), the index
	 * lets go of it */
	CU_ASSERT_EQUAL_FATAL(set_port(db, id, "host", "Y"), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NOT_NULL(dp_table_lport_get(x.t, key));
	CU_ASSERT_EQUAL(lc_dhcp_lookup(x.lc, key, &info), -ENOENT);
	inst_stop(&x);
	db_close(db);
}

static int set_port(struct db *db, const char *id, const char *field, const char *value)
{
	struct mdl_hdr *h;
	char err[MDL_ERR_SIZE];
	int rc = nb_get(db, MDL_PORT, id, &h, NULL);
	if (rc)
		return rc;
	struct mdl_port *p = mdl_hdr_to_port(h);
	if (strcmp(field, "mac") == 0)
		snprintf(p->mac_address, sizeof(p->mac_address), "%s", value);
	else
		snprintf(p->binding_host_id, sizeof(p->binding_host_id), "%s", value);
	rc = nb_update(db, h, 0, NULL, err, sizeof(err));
	mdl_obj_free(h);
	return rc;
}

void t_port_batch(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], id[MDL_ID_SIZE];
	struct db *db = setup(&x, 50, net, sub);
	struct lc_stats a, b;
	lc_get_stats(x.lc, &a);
	/* a MAC: no reachability input; the lport (and its MAC) follows */
	port_id(3, id);
	CU_ASSERT_EQUAL_FATAL(set_port(db, id, "mac", "fa:16:3e:00:00:33"), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	lc_get_stats(x.lc, &b);
	CU_ASSERT(b.batches > a.batches);
	CU_ASSERT_EQUAL(b.reach_runs, a.reach_runs);
	const struct dp_lport *lp = dp_table_lport_get(x.t, dpkey(db, MDL_PORT, id));
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_EQUAL(lp->cfg.macs[0].addr_bytes[5], 0x33);
	/* a binding is one: reachability runs, the port is remote elsewhere */
	CU_ASSERT_EQUAL_FATAL(set_port(db, id, "host", "Z"), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	lc_get_stats(x.lc, &a);
	CU_ASSERT(a.reach_runs > b.reach_runs);
	/* and the result is what a controller starting now computes */
	port_id(0, id);
	const char *ifs[1] = { id };
	fresh_agrees(&x, db, ifs, 1, "port batch");
	inst_stop(&x);
	db_close(db);
}

/* Does group g's address set (as the controller put it) hold ip? */
static bool set_has(struct inst *x, uint32_t set, const char *ip)
{
	const char *gid, *name;
	const struct dp_ip *a;
	uint32_t n;
	struct dp_ip want;
	if (lc_sg_set(x->lc, set, &gid, &name, &a, &n) < 0 || lc_ip_parse(ip, &want) < 0)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (a[i].family == want.family && memcmp(a[i].addr, want.addr, 16) == 0)
			return true;
	return false;
}

/* A member's new address reaches its group's set in a batch that runs no
 * reachability (the member lists are kept). */
void t_sg_batch(void)
{
	struct db *db = central_open();
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], g[MDL_ID_SIZE], id0[MDL_ID_SIZE],
	     id1[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sub, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.8.0.0/24\"}", net), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, g, "{\"name\":\"g\"}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, NULL,
		"{\"security_group_id\":\"%s\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
		"\"remote_group_id\":\"%s\"}", g, g), 0);
	port_id(0, id0);
	port_id(1, id1);
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
			"\"%s\",\"binding:host_id\":\"%s\",\"security_groups\":[\"%s\"],\"fixed_ips\":"
			"[{\"subnet_id\":\"%s\",\"ip_address\":\"10.8.0.%d\"}]}", i ? id1 : id0, net,
			i ? "Y" : "X", g, sub, 10 + i), 0);
	const char *ifs[1] = { id0 };
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, ifs, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t set = dpkey(db, MDL_SECURITY_GROUP, g);
	CU_ASSERT(set_has(&x, set, "10.8.0.10"));
	CU_ASSERT(set_has(&x, set, "10.8.0.11"));
	struct lc_stats a, b;
	lc_get_stats(x.lc, &a);
	struct mdl_hdr *h;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, id1, &h, NULL), 0);
	snprintf(mdl_hdr_to_port(h)->fixed_ips[0].ip_address, MDL_IP_SIZE, "10.8.0.99");
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	lc_get_stats(x.lc, &b);
	CU_ASSERT_EQUAL(b.reach_runs, a.reach_runs);
	CU_ASSERT(set_has(&x, set, "10.8.0.99"));
	CU_ASSERT(!set_has(&x, set, "10.8.0.11"));
	CU_ASSERT(set_has(&x, set, "10.8.0.10"));
	inst_stop(&x);
	db_close(db);
}

/* Address sets are built for the remote groups that rules of ports bound
 * here read, not for every group: A reads itself, D reads itself, B reads
 * nothing at first.  Ports of A and B are bound here: A's is the one set.
 * A rule of B reading C brings C's set, whose new member then arrives
 * there; D never gets one.  From scratch agrees. */
static uint32_t acl_sets(struct inst *x)
{
	struct dp_acl_stats st;
	dp_acl_get_stats(dp_tables_get_acl(x->t), &st);
	return st.sets;
}

static int sg_rule_read(struct db *db, const char *g, const char *remote)
{
	return create_json(db, MDL_SECURITY_GROUP_RULE, NULL, "{\"security_group_id\":\"%s\","
			   "\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"remote_group_id\":"
			   "\"%s\"}", g, remote);
}

void t_sg_sets_read(void)
{
	struct db *db = central_open();
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], g[4][MDL_ID_SIZE], id[6][MDL_ID_SIZE];
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sub, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.9.0.0/24\"}", net), 0);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, g[i],
						  "{\"name\":\"%c\"}", 'A' + i), 0);
	CU_ASSERT_EQUAL_FATAL(sg_rule_read(db, g[0], g[0]), 0);
	CU_ASSERT_EQUAL_FATAL(sg_rule_read(db, g[3], g[3]), 0);
	/* port i in group grp[i]; ports 0 and 4 bound here; port 5 created
	 * after the first sync */
	static const int grp[6] = { 0, 0, 1, 2, 1, 2 };
	for (int i = 0; i < 6; i++) {
		port_id(20 + i, id[i]);
		if (i == 5)
			break;
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\","
			"\"network_id\":\"%s\",\"binding:host_id\":\"%s\",\"security_groups\":"
			"[\"%s\"],\"fixed_ips\":[{\"subnet_id\":\"%s\",\"ip_address\":\"10.9.0.%d\"}]}",
			id[i], net, i % 4 ? "Y" : "X", g[grp[i]], sub, 10 + i), 0);
	}
	const char *ifs[2] = { id[0], id[4] };
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, ifs, 2), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t a = dpkey(db, MDL_SECURITY_GROUP, g[0]), c = dpkey(db, MDL_SECURITY_GROUP, g[2]);
	CU_ASSERT(dp_acl_port_has(dp_tables_get_acl(x.t), dpkey(db, MDL_PORT, id[4])));
	CU_ASSERT_EQUAL(acl_sets(&x), 1);
	CU_ASSERT(set_has(&x, a, "10.9.0.10") && set_has(&x, a, "10.9.0.11"));
	CU_ASSERT(!set_has(&x, c, "10.9.0.13"));
	/* B now reads C */
	CU_ASSERT_EQUAL_FATAL(sg_rule_read(db, g[1], g[2]), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(acl_sets(&x), 2);
	CU_ASSERT(set_has(&x, c, "10.9.0.13"));
	/* a new member of C reaches the set */
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"Y\",\"security_groups\":[\"%s\"],\"fixed_ips\":"
		"[{\"subnet_id\":\"%s\",\"ip_address\":\"10.9.0.15\"}]}", id[5], net, g[2], sub), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT(set_has(&x, c, "10.9.0.13") && set_has(&x, c, "10.9.0.15"));
	CU_ASSERT_EQUAL(acl_sets(&x), 2);   /* D's set: nobody here reads it */
	fresh_agrees(&x, db, ifs, 2, "address sets read here");
	inst_stop(&x);
	db_close(db);
}

/* Writes port id's JSON with mac_address and the fixed IPs given (a
 * hand-written store: the northbound would have normalised them). */
static int put_port_raw(struct db *db, const char *id, const char *sub, const char *mac,
			const char *ip0, const char *ip1)
{
	struct mdl_hdr *h;
	int rc = nb_get(db, MDL_PORT, id, &h, NULL);
	if (rc)
		return rc;
	struct mdl_port *p = mdl_hdr_to_port(h);
	snprintf(p->mac_address, sizeof(p->mac_address), "%s", mac);
	p->n_fixed_ips = ip1 ? 2 : 1;
	p->fixed_ips = realloc(p->fixed_ips, 2 * sizeof(*p->fixed_ips));
	const char *ips[2] = { ip0, ip1 };
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		snprintf(p->fixed_ips[i].subnet_id, MDL_ID_SIZE, "%s", sub);
		snprintf(p->fixed_ips[i].ip_address, MDL_IP_SIZE, "%s", ips[i]);
	}
	h->version++;
	char key[128], *json = mdl_obj_to_string(h);
	snprintf(key, sizeof(key), "/wyvern/v1/port/%s", id);
	rc = json ? db_put(db, key, json, strlen(json), NULL) : -ENOMEM;
	free(json);
	mdl_obj_free(h);
	return rc;
}

/* Port p in the replica's first binary form (LC_PORT_BIN_V1: the MAC and
 * the fixed IPs as text; no address pairs or groups), into b; its length. */
static size_t encode_v1(const struct lc_port *p, uint8_t *b)
{
	size_t n = 0;
	char buf[MDL_IP_SIZE];
#define V1_STR(s) do { size_t l_ = strlen(s); b[n++] = (uint8_t)l_; memcpy(b + n, s, l_); \
		       n += l_; } while (0)
#define V1_INT(v, k) do { for (unsigned i_ = 0; i_ < (k); i_++) \
				  b[n++] = (uint8_t)((uint64_t)(v) >> (8 * i_)); } while (0)
	b[n++] = LC_PORT_BIN_V1;
	V1_STR(p->hdr.id);
	V1_INT(p->hdr.dp_key, 4);
	V1_INT(p->hdr.version, 8);
	V1_INT((p->port_security_enabled ? 1 : 0) | (p->admin_state_up ? 2 : 0), 1);
	const char *strs[] = { p->name, p->project_id, p->network_id, p->device_owner,
			       p->device_id, p->binding_host_id, lc_port_mac_text(p, buf) };
	for (size_t i = 0; i < 7; i++)
		V1_STR(strs[i]);
	V1_INT(p->n_fixed_ips, 2);
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		V1_STR(p->fixed_ips[i].subnet_id);
		V1_STR(lc_port_ip_text(&p->fixed_ips[i], buf));
	}
	V1_INT(0, 2);
	V1_INT(0, 2);
#undef V1_STR
#undef V1_INT
	return n;
}

/* p in the first binary form decodes to a record the same as p. */
static bool v1_reads_same(struct lc *lc, const struct lc_port *p)
{
	uint8_t v1[512];
	char err[MDL_ERR_SIZE];
	size_t len = encode_v1(p, v1);
	struct lc_port *d = lc_port_decode(lc, (const char *)v1, len, err, sizeof(err));
	bool same = d != NULL && lc_port_same(d, p);
	lc_port_free(lc, d);
	return same;
}

/* A port record keeps its MAC and fixed IPs binary when their text is the
 * canonical one and the text otherwise: an upper-case MAC and a long-form
 * IPv6 address compile, answer DHCP and come back (show, replica) as they
 * were written; a prefix or garbage is skipped with the text in the
 * reason, as before. */
void t_port_text_forms(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], id[MDL_ID_SIZE], key[128], err[MDL_ERR_SIZE];
	struct db *db = setup(&x, 2, net, sub);
	port_id(0, id);
	snprintf(key, sizeof(key), "/wyvern/v1/port/%s", id);
	uint32_t lp = dpkey(db, MDL_PORT, id);
	CU_ASSERT_EQUAL_FATAL(put_port_raw(db, id, sub, "FA:16:3E:0A:0B:0C", "10.9.0.77",
					   "2001:DB8:0:0::0005"), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	struct lc_obj *o = lc_obj_find(x.lc, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	const struct lc_port *p = lc_port_of(o);
	CU_ASSERT_PTR_NOT_NULL(p->mac_text);
	CU_ASSERT_EQUAL(p->fixed_ips[0].ip.family, 4);     /* canonical: binary */
	CU_ASSERT_EQUAL(p->fixed_ips[1].ip.family, 0);     /* kept as written */
	const struct dp_lport *l = dp_table_lport_get(x.t, lp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	static const uint8_t mac[6] = { 0xfa, 0x16, 0x3e, 0x0a, 0x0b, 0x0c };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
	CU_ASSERT_EQUAL(memcmp(l->cfg.macs[0].addr_bytes, mac, 6), 0);
	CU_ASSERT_EQUAL_FATAL(l->cfg.n_ips, 2);
	CU_ASSERT(l->cfg.ips[0].family == 4 && l->cfg.ips[0].plen == 32 &&
		  memcmp(l->cfg.ips[0].addr, "\x0a\x09\x00\x4d", 4) == 0);
	CU_ASSERT(l->cfg.ips[1].family == 6 && l->cfg.ips[1].plen == 128 &&
		  memcmp(l->cfg.ips[1].addr, v6, 16) == 0);
	struct lc_dhcp_info info;
	CU_ASSERT_EQUAL(lc_dhcp_lookup(x.lc, lp, &info), 0);
	CU_ASSERT(info.ip == htonl(0x0a09004du) && memcmp(info.mac, mac, 6) == 0);
	/* back as written: the model's text, and through the replica's form */
	struct mdl_hdr *h = NULL;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, id, &h, NULL), 0);
	json_decref(h->attrs);
	h->attrs = NULL;
	size_t len = 0;
	char *bin = lc_port_encode(p, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bin);
	struct lc_port *d = lc_port_decode(x.lc, bin, len, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT(lc_port_same(d, p));
	const struct lc_port *both[2] = { p, d };
	for (size_t k = 0; k < 2; k++) {
		struct mdl_port *back = lc_port_to_mdl(both[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(back);
		char *a = mdl_obj_to_string(h), *b = mdl_obj_to_string(&back->hdr);
		CU_ASSERT_STRING_EQUAL(a, b);
		free(a);
		free(b);
		mdl_obj_free(&back->hdr);
	}
	lc_port_free(x.lc, d);
	free(bin);
	mdl_obj_free(h);
	/* a replica written before (text MAC and addresses) reads the same */
	CU_ASSERT_EQUAL_FATAL(p->n_security_groups, 0);
	CU_ASSERT(v1_reads_same(x.lc, p));
	/* the same address in canonical text is a change of text only: the
	 * lport stays, and the record is binary now */
	CU_ASSERT_EQUAL_FATAL(put_port_raw(db, id, sub, "fa:16:3e:0a:0b:0c", "10.9.0.77",
					   "2001:db8::5"), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	p = lc_port_of(o);
	CU_ASSERT(p->mac_text == NULL && p->fixed_ips[1].ip.family == 6);
	CU_ASSERT_PTR_NOT_NULL(dp_table_lport_get(x.t, lp));
	CU_ASSERT(v1_reads_same(x.lc, p));
	/* a prefix for an address, a MAC that is not one: skipped, with the text */
	CU_ASSERT_EQUAL_FATAL(put_port_raw(db, id, sub, "fa:16:3e:0a:0b:0c", "10.9.0.0/24",
					   NULL), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT(o->why && strstr(o->why, "bad fixed IP '10.9.0.0/24'"));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, lp));
	CU_ASSERT_EQUAL_FATAL(put_port_raw(db, id, sub, "fa:16:3e:zz", "10.9.0.77", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT(o->why && strstr(o->why, "bad mac_address 'fa:16:3e:zz'"));
	CU_ASSERT_EQUAL(lc_dhcp_lookup(x.lc, lp, &info), -ENOENT);
	inst_stop(&x);
	db_close(db);
}

/* Ports are kept as struct lc_port (lc_port.c): what show topology gets
 * back equals the stored port, the strings many ports name are held once,
 * and deleting the ports leaves none of theirs behind. */
void t_port_records(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], id[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	struct db *db = setup(&x, 300, net, sub);
	/* network id, hosts X and Y, the default group: a handful, not 300s */
	size_t shared = lc_intern_count(x.lc);
	CU_ASSERT(shared > 0 && shared < 16);
	struct mdl_hdr *h = NULL;
	port_id(5, id);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, id, &h, NULL), 0);
	char key[128];
	snprintf(key, sizeof(key), "/wyvern/v1/port/%s", id);
	struct lc_obj *o = lc_obj_find(x.lc, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct mdl_port *back = lc_port_to_mdl(lc_port_of(o));
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	json_decref(h->attrs);     /* the controller keeps no API attributes */
	h->attrs = NULL;
	char *a = mdl_obj_to_string(h), *b = mdl_obj_to_string(&back->hdr);
	CU_ASSERT_STRING_EQUAL(a, b);
	free(a);
	free(b);
	mdl_obj_free(&back->hdr);
	mdl_obj_free(h);
	/* the replica's binary form: round trip; cut short or with a byte
	 * changed it is refused or decodes to some port, never read past */
	size_t len = 0;
	char *bin = lc_port_encode(lc_port_of(o), &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bin);
	CU_ASSERT_EQUAL((uint8_t)bin[0], LC_PORT_BIN);
	struct lc_port *d = lc_port_decode(x.lc, bin, len, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT(lc_port_same(d, lc_port_of(o)));
	lc_port_free(x.lc, d);
	unsigned refused = 0;
	for (size_t cut = 0; cut < len; cut++) {
		char *c = malloc(cut + 1);
		memcpy(c, bin, cut);
		d = lc_port_decode(x.lc, c, cut, err, sizeof(err));
		refused += d == NULL && strstr(err, "bad binary port record") != NULL;
		lc_port_free(x.lc, d);
		free(c);
	}
	CU_ASSERT_EQUAL(refused, len);
	for (size_t at = 0; at < len; at++) {
		bin[at] ^= 0x5a;
		lc_port_free(x.lc, lc_port_decode(x.lc, bin, len, err, sizeof(err)));
		bin[at] ^= 0x5a;
	}
	free(bin);
	CU_ASSERT_EQUAL(lc_intern_count(x.lc), shared);
	/* a new name and device id are the port's own, in its record: no
	 * string more; a new host is one; the ports' deletes take theirs away */
	char oid[MDL_ID_SIZE], okey[128];
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, oid, "{\"name\":\"only-me\","
		"\"device_id\":\"vm-only-me\",\"network_id\":\"%s\","
		"\"binding:host_id\":\"only-host\"}", net), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(lc_intern_count(x.lc), shared + 1);
	snprintf(okey, sizeof(okey), "/wyvern/v1/port/%s", oid);
	struct lc_obj *on = lc_obj_find(x.lc, okey);
	CU_ASSERT_PTR_NOT_NULL_FATAL(on);
	CU_ASSERT_STRING_EQUAL(lc_port_of(on)->name, "only-me");
	CU_ASSERT_STRING_EQUAL(lc_port_of(on)->device_id, "vm-only-me");
	struct db_kv_list l = { 0 };
	CU_ASSERT_EQUAL_FATAL(db_scan(db, "/wyvern/v1/port/", &l), 0);
	for (size_t i = 0; i < l.n; i++)
		CU_ASSERT_EQUAL(nb_delete(db, MDL_PORT, strrchr(l.kvs[i].key, '/') + 1, 0, err,
					  sizeof(err)), 0);
	db_kv_list_clear(&l);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(lc_intern_count(x.lc), 0);
	inst_stop(&x);
	db_close(db);
}

/* Two ports' MACs in ONE txn (one revision). */
static int set_macs2(struct db *db, const char *const ids[2], const char *const macs[2])
{
	struct mdl_hdr *h[2] = { NULL, NULL };
	char key[2][160], *json[2] = { NULL, NULL };
	struct db_op ops[2];
	int rc = 0;
	for (int k = 0; k < 2 && rc == 0; k++) {
		rc = nb_get(db, MDL_PORT, ids[k], &h[k], NULL);
		if (rc)
			break;
		struct mdl_port *p = mdl_hdr_to_port(h[k]);
		snprintf(p->mac_address, sizeof(p->mac_address), "%s", macs[k]);
		h[k]->version++;
		json[k] = mdl_obj_to_string(h[k]);
		nb_key(MDL_PORT, ids[k], key[k], sizeof(key[k]));
		rc = json[k] ? 0 : -ENOMEM;
		if (rc == 0)
			ops[k] = (struct db_op){ DB_OP_PUT, key[k], json[k], strlen(json[k]) };
	}
	bool ok = false;
	if (rc == 0)
		rc = db_txn(db, NULL, 0, ops, 2, &ok, NULL);
	for (int k = 0; k < 2; k++) {
		free(json[k]);
		mdl_obj_free(h[k]);
	}
	return rc ? rc : ok ? 0 : -EAGAIN;
}

/* lc_run's time slice: with a slice of 1 us every pass stops at the first
 * revision boundary and gives the rest back to the queue.  After every
 * pass the two ports each txn changed carry MACs of the same txn (never
 * half a revision), passes were cut, and the end is what a controller
 * started now computes. */
void t_time_slice(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], id[MDL_ID_SIZE];
	struct db *db = setup(&x, 50, net, sub);
	uint32_t lp[41];
	for (unsigned i = 1; i <= 40; i++) {
		port_id(i, id);
		lp[i] = dpkey(db, MDL_PORT, id);
	}
	x.lc->slice_us = 1;
	uint64_t cut0 = x.lc->st.slices_cut;
	for (unsigned r = 0; r < 60; r++) {
		char a[MDL_ID_SIZE], b[MDL_ID_SIZE], ma[32], mb[32];
		unsigned k = r % 20;
		port_id(2 * k + 1, a);
		port_id(2 * k + 2, b);
		snprintf(ma, sizeof(ma), "02:00:00:77:%02x:01", r);
		snprintf(mb, sizeof(mb), "02:00:00:77:%02x:02", r);
		const char *ids[2] = { a, b }, *macs[2] = { ma, mb };
		CU_ASSERT_EQUAL_FATAL(set_macs2(db, ids, macs), 0);
	}
	uint64_t want = 0;
	CU_ASSERT_EQUAL_FATAL(db_revision(db, &want), 0);
	struct lc_stats st = { 0 };
	unsigned torn = 0;
	for (int i = 0; i < 20000 && st.applied_revision < want; i++) {
		struct pollfd p = { .fd = lc_fd(x.lc), .events = POLLIN };
		poll(&p, 1, 10);
		lc_run(x.lc);
		for (unsigned k = 0; k < 20; k++) {
			const struct dp_lport *pa = dp_table_lport_get(x.t, lp[2 * k + 1]);
			const struct dp_lport *pb = dp_table_lport_get(x.t, lp[2 * k + 2]);
			if (pa == NULL || pb == NULL) {
				torn++;
				continue;
			}
			const uint8_t *ma = pa->cfg.macs[0].addr_bytes, *mb = pb->cfg.macs[0].addr_bytes;
			/* the generated MACs start fa:16:3e, a txn's 02:00:00 (its
			 * fourth byte may well be 0x77 too) */
			bool na = ma[0] == 0x02, nbw = mb[0] == 0x02;
			torn += na != nbw || (na && ma[4] != mb[4]);
		}
		lc_get_stats(x.lc, &st);
	}
	CU_ASSERT_EQUAL(st.applied_revision, want);
	CU_ASSERT_EQUAL(torn, 0);
	CU_ASSERT(x.lc->st.slices_cut > cut0);
	x.lc->slice_us = 0;
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	port_id(0, id);
	const char *ifs[1] = { id };
	fresh_agrees(&x, db, ifs, 1, "time slice");
	inst_stop(&x);
	db_close(db);
}

/* lc_set_yield: a first sync of 1500 ports (its pages, the compile and the
 * replica write after them) with a slice of 1 us calls the hook between
 * objects, and so does a resync.  In it DHCP answers a local port with its
 * own address or not yet (a first sync's ports are answered once held, at
 * its end), never another's, and show ctrl's counts read; the hook's calls
 * are counted, and the end is what a controller started without a hook
 * computes. */
struct yield_probe {
	struct inst *x;
	uint32_t lp[N_LOCAL];
	unsigned calls, answered, wrong;
};

static void probe_yield(void *arg)
{
	struct yield_probe *y = arg;
	struct lc_dhcp_info info;
	struct lc_stats st;
	y->calls++;
	for (unsigned i = 0; i < N_LOCAL; i++)
		if (lc_dhcp_lookup(y->x->lc, y->lp[i], &info) == 0) {
			y->answered++;
			y->wrong += info.ip != want_ip(i);
		}
	lc_get_stats(y->x->lc, &st);
	y->wrong += st.n_local_ports > N_LOCAL;
}

void t_yield(void)
{
	struct inst x, f;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], ids[N_LOCAL][MDL_ID_SIZE];
	const char *ifs[N_LOCAL];
	struct db *db = setup_local(&x, N_PORTS, N_LOCAL, net, sub);
	struct yield_probe y = { .x = &f };
	for (unsigned i = 0; i < N_LOCAL; i++) {
		port_id(i, ids[i]);
		ifs[i] = ids[i];
		y.lp[i] = dpkey(db, MDL_PORT, ids[i]);
	}
	CU_ASSERT_EQUAL_FATAL(inst_start(&f, db, NULL, "X", NULL, ifs, N_LOCAL), 0);
	f.lc->slice_us = 1;
	lc_set_yield(f.lc, probe_yield, &y);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&f, db), 0);
	struct lc_stats st;
	lc_get_stats(f.lc, &st);
	/* at least one a page (16 keys) and one a port compiled */
	CU_ASSERT(y.calls > N_PORTS / 16 + N_PORTS);
	CU_ASSERT_EQUAL(st.yields, y.calls);
	CU_ASSERT_EQUAL(y.wrong, 0);
	CU_ASSERT(st.max_hold_us > 0);
	/* a resync: its pages yield, and DHCP answers the held ports in them */
	unsigned before = y.calls;
	uint64_t syncs = st.syncs;
	lc_sync_request(f.lc);
	for (int i = 0; i < 1000 && st.syncs == syncs; i++) {
		struct pollfd p = { .fd = lc_fd(f.lc), .events = POLLIN };
		poll(&p, 1, 10);
		lc_run(f.lc);
		lc_get_stats(f.lc, &st);
	}
	CU_ASSERT(st.syncs > syncs);
	CU_ASSERT(y.calls > before + N_PORTS / 16);
	CU_ASSERT(y.answered > 0);
	CU_ASSERT_EQUAL(y.wrong, 0);
	/* a port's change: its compile yields again */
	before = y.calls;
	CU_ASSERT_EQUAL_FATAL(set_port(db, ids[0], "name", "\"moved\""), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&f, db), 0);
	CU_ASSERT(y.calls > before);
	CU_ASSERT_EQUAL(y.wrong, 0);
	lc_set_yield(f.lc, NULL, NULL);
	f.lc->slice_us = 0;
	fresh_agrees(&f, db, ifs, N_LOCAL, "yield");
	inst_stop(&f);
	inst_stop(&x);
	db_close(db);
}

/* ---- a snapshot in pages (lc_sync.c, lc.c) ------------------------------ */
/* A page or the end of a snapshot, as the sync thread queues them: the
 * central db's pairs [lo, hi) of l, port `mod`'s MAC changed to mac, and
 * port `gone` left out. */
static struct lc_qev *snap_ev(enum lc_qtype type, const struct db_kv_list *l, size_t lo,
			      size_t hi, bool first, uint64_t gen, const char *mod,
			      const char *mac, const char *gone)
{
	struct lc_qev *ev = calloc(1, sizeof(*ev));
	struct lc_snap *sn = calloc(1, sizeof(*sn));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sn);
	ev->type = type;
	ev->gen = gen;
	ev->snap = sn;
	sn->first = first;
	sn->revision = l->revision;
	sn->keys = calloc(hi - lo + 1, sizeof(char *));
	sn->vals = calloc(hi - lo + 1, sizeof(char *));
	sn->lens = calloc(hi - lo + 1, sizeof(size_t));
	for (size_t i = lo; i < hi; i++) {
		const char *k = l->kvs[i].key, *v = l->kvs[i].value;
		const char *id = NULL;
		bool port = lc_key_type(k, &id) == MDL_PORT;
		if (port && strcmp(id, gone) == 0)
			continue;
		char *nv = NULL;
		if (port && strcmp(id, mod) == 0) {
			json_t *j = json_loads(v, 0, NULL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(j);
			json_object_set_new(j, "mac_address", json_string(mac));
			nv = json_dumps(j, JSON_COMPACT);
			json_decref(j);
		}
		sn->keys[sn->n] = strdup(k);
		sn->vals[sn->n] = nv ? nv : strdup(v);
		sn->lens[sn->n] = strlen(sn->vals[sn->n]);
		sn->n++;
	}
	return ev;
}

static bool lport_has_mac(struct inst *x, uint32_t key, uint8_t first_byte)
{
	const struct dp_lport *p = dp_table_lport_get(x->t, key);
	return p && p->cfg.macs[0].addr_bytes[0] == first_byte;
}

/* Pages are applied as they come, nothing compiles until the end; a first
 * page again (the scan started over) voids the pages before it; the end
 * removes what no page held. */
void t_snapshot_pages(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], mod[MDL_ID_SIZE], gone[MDL_ID_SIZE];
	char extra[MDL_ID_SIZE];
	struct db *db = setup(&x, 40, net, sub);
	port_id(3, mod);
	port_id(7, gone);
	port_id(39, extra);
	uint32_t lp_mod = dpkey(db, MDL_PORT, mod), lp_gone = dpkey(db, MDL_PORT, gone);
	uint32_t lp_extra = dpkey(db, MDL_PORT, extra);
	CU_ASSERT_TRUE_FATAL(lport_has_mac(&x, lp_mod, 0xfa));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp_table_lport_get(x.t, lp_gone));
	struct db_kv_list l;
	CU_ASSERT_EQUAL_FATAL(db_scan(db, LC_PREFIX, &l), 0);
	size_t half = l.n / 2;
	pthread_mutex_lock(&x.lc->sync->mu);
	uint64_t gen = x.lc->sync->gen;
	pthread_mutex_unlock(&x.lc->sync->mu);
	struct lc_stats st0, st;
	lc_get_stats(x.lc, &st0);

	/* a first attempt's page, with port 39 (in the second half) left out:
	 * applied, not compiled */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, 0, l.n, true, gen, mod,
					"02:00:00:00:00:01", extra));
	lc_run(x.lc);
	CU_ASSERT_TRUE(x.lc->snap_open);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0xfa));        /* not yet */
	lc_get_stats(x.lc, &st);
	CU_ASSERT_TRUE(st.snapshot_open);                       /* show ctrl */
	CU_ASSERT_EQUAL(st.snapshot_pages, 1);
	/* started over: two pages without port 7, port 3 with another MAC */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, 0, half, true, gen, mod,
					"06:00:00:00:00:02", gone));
	lc_run(x.lc);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0xfa));
	CU_ASSERT_PTR_NOT_NULL(dp_table_lport_get(x.t, lp_gone));
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, half, l.n, false, gen, mod,
					"06:00:00:00:00:02", gone));
	lc_run(x.lc);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0xfa));
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.syncs, st0.syncs);
	/* the end: compiled at once, port 7 gone, port 39 back in */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAPSHOT, &l, 0, 0, false, gen, mod, "", gone));
	lc_run(x.lc);
	CU_ASSERT_FALSE(x.lc->snap_open);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0x06));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, lp_gone));
	CU_ASSERT_PTR_NOT_NULL(dp_table_lport_get(x.t, lp_extra));
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.syncs, st0.syncs + 1);
	CU_ASSERT_FALSE(st.snapshot_open);
	CU_ASSERT_EQUAL(st.snapshot_pages, 2);          /* since the restart */
	CU_ASSERT_EQUAL(st.snapshot_keys, l.n - 1);
	CU_ASSERT_EQUAL(st.applied_revision, l.revision);
	/* pages of an older generation (a replaced scan) are dropped */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, 0, l.n, true, gen - 1, mod,
					"0a:00:00:00:00:03", gone));
	lc_run(x.lc);
	CU_ASSERT_FALSE(x.lc->snap_open);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0x06));
	db_kv_list_clear(&l);
	inst_stop(&x);
	db_close(db);
}
