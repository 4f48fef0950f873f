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
