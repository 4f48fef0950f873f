/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_cfg.c — static configuration through wyctl: networks, logical
 * ports and dp ports.  Used by tests and demos until the controller fills the
 * tables from the database.  Every option is validated before the table is
 * touched; a rejected command changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_ether.h>

#include "ctrl.h"
#include "feature.h"
#include "lc.h"
#include "mac_fmt.h"
#include "app_icmp.h"
#include "tables_l3.h"
#include "tables_nat.h"

static const char *errmsg(int rc)
{
	switch (rc) {
	case -ENOENT: return "not found";
	case -EEXIST: return "conflicts with an existing entry (MAC or port already in use)";
	case -EBUSY: return "still in use";
	case -ENOSPC: return "table full";
	case -EINVAL: return "invalid value";
	default: return strerror(-rc);
	}
}

int cmd_network_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct dp_network_cfg n = { .mtu = 1500 };
	uint32_t v, vteps[32];   /* a request has at most 64 words */
	n.flood_vteps = vteps;
	if (argc < 1 || ctrl_parse_u32(argv[0], &n.key) < 0 || n.key == 0)
		return reply_error(r, true, "network key must be an integer 1..4294967295");
	snprintf(n.name, sizeof(n.name), "net%u", n.key);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL)
			return reply_error(r, true, "option %s needs a value", o);
		i++;
		if (strcmp(o, "--name") == 0) {
			if (strlen(val) >= sizeof(n.name))
				return reply_error(r, false, "name longer than %zu", sizeof(n.name) - 1);
			snprintf(n.name, sizeof(n.name), "%s", val);
		} else if (strcmp(o, "--vni") == 0) {
			if (ctrl_parse_u32(val, &v) < 0 || v > 0xffffff)
				return reply_error(r, false, "--vni must be 0..16777215");
			n.vni = v;
		} else if (strcmp(o, "--mtu") == 0) {
			if (ctrl_parse_u32(val, &v) < 0 || v < 68 || v > 9600)
				return reply_error(r, false, "--mtu must be 68..9600");
			n.mtu = (uint16_t)v;
		} else if (strcmp(o, "--type") == 0) {
			if (strcmp(val, "overlay") == 0)
				n.type = DP_NET_OVERLAY;
			else if (strcmp(val, "flat") == 0)
				n.type = DP_NET_FLAT;
			else if (strcmp(val, "vlan") == 0)
				n.type = DP_NET_VLAN;
			else
				return reply_error(r, false, "--type overlay|flat|vlan, not '%s'", val);
		} else if (strcmp(o, "--vlan") == 0) {
			if (ctrl_parse_u32(val, &v) < 0 || v < 1 || v > 4094)
				return reply_error(r, false, "--vlan must be 1..4094");
			n.vlan = (uint16_t)v;
			n.type = DP_NET_VLAN;
		} else if (strcmp(o, "--flood-vtep") == 0) {
			uint32_t ip;
			if (inet_pton(AF_INET, val, &ip) != 1 || ip == 0)
				return reply_error(r, false, "--flood-vtep takes an IPv4 address");
			if (n.n_flood_vteps >= sizeof(vteps) / sizeof(vteps[0]))
				return reply_error(r, false, "at most %zu --flood-vtep per request",
						   sizeof(vteps) / sizeof(vteps[0]));
			vteps[n.n_flood_vteps++] = ip;
		} else {
			return reply_error(r, true, "unknown option '%s'", o);
		}
	}
	if (n.type == DP_NET_VLAN && n.vlan == 0)
		return reply_error(r, true, "a vlan network needs --vlan ID");
	int rc = dp_table_network_put(dp_tables(c->dp), &n);
	if (rc == -EEXIST)
		return reply_error(r, false, "network %u: its VNI/VLAN is another network's", n.key);
	if (rc < 0)
		return reply_error(r, false, "network %u: %s", n.key, errmsg(rc));
	reply_printf(r, "network %u (%s) set\n", n.key, n.name);
	json_object_set_new(r->result, "key", json_integer(n.key));
	return 0;
}

int cmd_network_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t key;
	if (argc != 1 || ctrl_parse_u32(argv[0], &key) < 0)
		return reply_error(r, true, "network del takes one integer key");
	int rc = dp_table_network_del(dp_tables(c->dp), key);
	if (rc == -EBUSY)
		return reply_error(r, false, "network %u still has logical ports", key);
	if (rc < 0)
		return reply_error(r, false, "network %u: %s", key, errmsg(rc));
	reply_printf(r, "network %u deleted\n", key);
	return 0;
}

static int parse_mac(const char *s, struct rte_ether_addr *m)
{
	return rte_ether_unformat_addr(s, m) == 0 ? 0 : -EINVAL;
}

/* Parse lport options into cfg. Lists given on the command line replace the
 * existing list (the first occurrence clears it). */
static int lport_opts(struct ctrl *c, struct dp_lport_cfg *cfg, int argc, char **argv,
		      struct ctrl_reply *r)
{
	bool cleared_mac = false, cleared_ip = false, cleared_aap = false;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--no-port-security") == 0) {
			cfg->port_security = false;
			continue;
		}
		if (strcmp(o, "--port-security") == 0) {
			cfg->port_security = true;
			continue;
		}
		if (strcmp(o, "--down") == 0 || strcmp(o, "--up") == 0) {
			cfg->admin_up = strcmp(o, "--up") == 0;
			continue;
		}
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL)
			return reply_error(r, true, "option %s needs a value", o);
		i++;
		if (strcmp(o, "--network") == 0) {
			if (ctrl_parse_u32(val, &cfg->network) < 0 || cfg->network == 0)
				return reply_error(r, false, "bad network key '%s'", val);
		} else if (strcmp(o, "--name") == 0) {
			if (strlen(val) >= sizeof(cfg->name))
				return reply_error(r, false, "name too long");
			snprintf(cfg->name, sizeof(cfg->name), "%s", val);
		} else if (strcmp(o, "--mac") == 0) {
			if (!cleared_mac)
				cfg->n_macs = 0;
			cleared_mac = true;
			if (cfg->n_macs >= DP_LPORT_MAX_MACS)
				return reply_error(r, false, "at most %d MACs", DP_LPORT_MAX_MACS);
			struct rte_ether_addr *m = &cfg->macs[cfg->n_macs];
			if (parse_mac(val, m) < 0 || !rte_is_unicast_ether_addr(m) ||
			    rte_is_zero_ether_addr(m))
				return reply_error(r, false, "bad unicast MAC '%s'", val);
			cfg->n_macs++;
		} else if (strcmp(o, "--ip") == 0) {
			if (!cleared_ip)
				cfg->n_ips = 0;
			cleared_ip = true;
			if (cfg->n_ips >= DP_LPORT_MAX_IPS)
				return reply_error(r, false, "at most %d IPs", DP_LPORT_MAX_IPS);
			struct dp_ip *ip = &cfg->ips[cfg->n_ips];
			if (lc_ip_parse(val, ip) < 0 || ip->plen != (ip->family == 4 ? 32 : 128))
				return reply_error(r, false, "bad IP address '%s' (no prefix)", val);
			cfg->n_ips++;
		} else if (strcmp(o, "--aap") == 0) {
			if (!cleared_aap)
				cfg->n_aaps = 0;
			cleared_aap = true;
			if (cfg->n_aaps >= DP_LPORT_MAX_AAPS)
				return reply_error(r, false, "at most %d allowed address pairs",
						   DP_LPORT_MAX_AAPS);
			struct dp_aap *a = &cfg->aaps[cfg->n_aaps];
			char ipb[80];
			snprintf(ipb, sizeof(ipb), "%s", val);
			char *at = strchr(ipb, '@');
			memset(a, 0, sizeof(*a));
			if (at) {
				*at = 0;
				if (parse_mac(at + 1, &a->mac) < 0 || !rte_is_unicast_ether_addr(&a->mac))
					return reply_error(r, false, "bad MAC in --aap '%s'", val);
			}
			if (lc_ip_parse(ipb, &a->ip) < 0)
				return reply_error(r, false, "bad IP/prefix in --aap '%s'", val);
			cfg->n_aaps++;
		} else if (strcmp(o, "--port") == 0) {
			if (strcmp(val, "none") == 0) {
				cfg->dp_port = DP_NO_PORT;
			} else {
				int p = ctrl_port_arg(c, val);
				if (p < 0)
					return reply_error(r, false, "no such dp port '%s'", val);
				cfg->dp_port = (uint16_t)p;
			}
		} else if (strcmp(o, "--remote-vtep") == 0) {
			if (inet_pton(AF_INET, val, &cfg->remote_vtep) != 1)
				return reply_error(r, false, "bad IPv4 VTEP '%s'", val);
		} else {
			return reply_error(r, true, "unknown option '%s'", o);
		}
	}
	return 0;
}

static int lport_commit(struct ctrl *c, const struct dp_lport_cfg *cfg, struct ctrl_reply *r,
			const char *verb)
{
	int rc = dp_table_lport_put(dp_tables(c->dp), cfg);
	if (rc == -ENOENT)
		return reply_error(r, false, "network %u does not exist", cfg->network);
	if (rc < 0)
		return reply_error(r, false, "lport %u: %s", cfg->key, errmsg(rc));
	reply_printf(r, "lport %u %s\n", cfg->key, verb);
	json_object_set_new(r->result, "key", json_integer(cfg->key));
	return 0;
}

int cmd_lport_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct dp_lport_cfg cfg = { .port_security = true, .admin_up = true, .dp_port = DP_NO_PORT };
	if (argc < 1 || ctrl_parse_u32(argv[0], &cfg.key) < 0 || cfg.key == 0)
		return reply_error(r, true, "lport key must be an integer 1..4294967295");
	if (dp_table_lport_get(dp_tables(c->dp), cfg.key) != NULL)
		return reply_error(r, false, "lport %u exists (use lport set)", cfg.key);
	snprintf(cfg.name, sizeof(cfg.name), "lp%u", cfg.key);
	if (lport_opts(c, &cfg, argc - 1, argv + 1, r) < 0)
		return -1;
	if (cfg.network == 0)
		return reply_error(r, true, "--network is required");
	if (cfg.n_macs == 0)
		return reply_error(r, true, "--mac is required");
	return lport_commit(c, &cfg, r, "added");
}

int cmd_lport_set(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t key;
	if (argc < 1 || ctrl_parse_u32(argv[0], &key) < 0)
		return reply_error(r, true, "lport key must be an integer");
	const struct dp_lport *old = dp_table_lport_get(dp_tables(c->dp), key);
	if (old == NULL)
		return reply_error(r, false, "lport %u does not exist", key);
	struct dp_lport_cfg cfg;
	dp_lport_cfg_copy(&cfg, &old->cfg);
	if (lport_opts(c, &cfg, argc - 1, argv + 1, r) < 0)
		return -1;
	return lport_commit(c, &cfg, r, "updated");
}

int cmd_lport_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t key;
	if (argc != 1 || ctrl_parse_u32(argv[0], &key) < 0)
		return reply_error(r, true, "lport del takes one integer key");
	int rc = dp_table_lport_del(dp_tables(c->dp), key);
	if (rc < 0)
		return reply_error(r, false, "lport %u: %s", key, errmsg(rc));
	reply_printf(r, "lport %u deleted\n", key);
	return 0;
}

int cmd_port_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct dp_port_opts o = { .n_rxq = 1, .pmd_lcore = -1 };
	uint32_t v;
	if (argc < 2)
		return reply_error(r, true, "port add needs NAME DEVARGS");
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return reply_error(r, true, "option %s needs a value", argv[i]);
		if (ctrl_parse_u32(argv[i + 1], &v) < 0)
			return reply_error(r, false, "bad number '%s'", argv[i + 1]);
		if (strcmp(argv[i], "--rxqs") == 0 && v >= 1 && v <= 64)
			o.n_rxq = (uint16_t)v;
		else if (strcmp(argv[i], "--pmd") == 0 && v < 1024)
			o.pmd_lcore = (int)v;
		else if (strcmp(argv[i], "--mtu") == 0 && v >= 68 && v <= 9600)
			o.mtu = (uint16_t)v;
		else
			return reply_error(r, true, "bad option %s %s", argv[i], argv[i + 1]);
	}
	char why[512];
	if ((c->cfg == NULL || !c->cfg->mgmt_allow_file_devargs) &&
	    ctrl_devargs_check(argv[1], why, sizeof(why)) < 0)
		return reply_error(r, false, "port %s refused: %s", argv[0], why);
	int id = dp_port_add(c->dp, argv[0], argv[1], &o);
	if (id < 0)
		return reply_error(r, false, "port %s (%s): %s", argv[0], argv[1],
				   id == -ENODEV ? "device probe failed" : errmsg(id));
	reply_printf(r, "port %s added as dp port %d\n", argv[0], id);
	json_object_set_new(r->result, "id", json_integer(id));
	return 0;
}

int cmd_port_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (argc != 1)
		return reply_error(r, true, "port del takes a port name");
	int rc = dp_port_del(c->dp, argv[0]);
	if (rc < 0)
		return reply_error(r, false, "port %s: %s", argv[0], errmsg(rc));
	reply_printf(r, "port %s deleted\n", argv[0]);
	return 0;
}

/* ---- L3: routers, router ports, routes (static, dp/tables_l3.h) ---------- */

/* "IP/LEN" keeping the host bits (a router port address and its prefix). */
static int parse_addr_plen(const char *s, struct dp_ip *out)
{
	char buf[80];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash == NULL)
		return -EINVAL;
	*slash = 0;
	char *end;
	long plen = strtol(slash + 1, &end, 10);
	if (lc_ip_parse(buf, out) < 0 || *end != 0 || end == slash + 1 || plen < 0 ||
	    plen > out->plen)
		return -EINVAL;
	out->plen = (uint8_t)plen;
	return 0;
}

int cmd_router_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct dp_router_cfg cfg = { 0 };
	if (argc < 1 || ctrl_parse_u32(argv[0], &cfg.key) < 0 || cfg.key == 0)
		return reply_error(r, true, "router key must be an integer 1..4294967295");
	snprintf(cfg.name, sizeof(cfg.name), "r%u", cfg.key);
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc || strcmp(argv[i], "--name") != 0 ||
		    strlen(argv[i + 1]) >= sizeof(cfg.name))
			return reply_error(r, true, "bad option '%s'", argv[i]);
		snprintf(cfg.name, sizeof(cfg.name), "%s", argv[i + 1]);
	}
	int rc = dp_l3_router_put(dp_l3(c->dp), &cfg);
	if (rc < 0)
		return reply_error(r, false, "router %u: %s", cfg.key, errmsg(rc));
	reply_printf(r, "router %u (%s) set\n", cfg.key, cfg.name);
	json_object_set_new(r->result, "key", json_integer(cfg.key));
	return 0;
}

int cmd_router_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t key;
	if (argc != 1 || ctrl_parse_u32(argv[0], &key) < 0)
		return reply_error(r, true, "router del takes one integer key");
	int rc = dp_l3_router_del(dp_l3(c->dp), key);
	if (rc == -EBUSY)
		return reply_error(r, false, "router %u still has router ports", key);
	if (rc < 0)
		return reply_error(r, false, "router %u: %s", key, errmsg(rc));
	reply_printf(r, "router %u deleted\n", key);
	return 0;
}

static int ra_mode_parse(const char *s)
{
	static const char *const names[] = { "none", "slaac", "dhcpv6-stateless",
					     "dhcpv6-stateful" };
	for (unsigned i = 0; i < RTE_DIM(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int cmd_rport_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct dp_rport_cfg cfg = { 0 };
	bool have_mac = false;
	if (argc < 1 || ctrl_parse_u32(argv[0], &cfg.key) < 0 || cfg.key == 0)
		return reply_error(r, true, "rport key must be an integer 1..4294967295");
	snprintf(cfg.name, sizeof(cfg.name), "rp%u", cfg.key);
	for (int i = 1; i < argc; i += 2) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL)
			return reply_error(r, true, "option %s needs a value", o);
		if (strcmp(o, "--router") == 0) {
			if (ctrl_parse_u32(val, &cfg.router) < 0 || cfg.router == 0)
				return reply_error(r, false, "bad router key '%s'", val);
		} else if (strcmp(o, "--network") == 0) {
			if (ctrl_parse_u32(val, &cfg.network) < 0 || cfg.network == 0)
				return reply_error(r, false, "bad network key '%s'", val);
		} else if (strcmp(o, "--mac") == 0) {
			if (parse_mac(val, &cfg.mac) < 0 || !rte_is_unicast_ether_addr(&cfg.mac) ||
			    rte_is_zero_ether_addr(&cfg.mac))
				return reply_error(r, false, "bad unicast MAC '%s'", val);
			have_mac = true;
		} else if (strcmp(o, "--ip") == 0) {
			if (cfg.n_ips >= DP_RPORT_MAX_IPS)
				return reply_error(r, false, "at most %d addresses", DP_RPORT_MAX_IPS);
			if (parse_addr_plen(val, &cfg.ips[cfg.n_ips]) < 0)
				return reply_error(r, false, "bad address '%s' (want IP/LEN)", val);
			cfg.n_ips++;
		} else if (strcmp(o, "--name") == 0) {
			if (strlen(val) >= sizeof(cfg.name))
				return reply_error(r, false, "name too long");
			snprintf(cfg.name, sizeof(cfg.name), "%s", val);
		} else if (strcmp(o, "--ra") == 0) {
			int m = ra_mode_parse(val);
			if (m < 0)
				return reply_error(r, false,
						   "--ra none|slaac|dhcpv6-stateless|dhcpv6-stateful");
			cfg.ra_mode = (uint8_t)m;
		} else {
			return reply_error(r, true, "unknown option '%s'", o);
		}
	}
	if (cfg.router == 0 || cfg.network == 0 || !have_mac)
		return reply_error(r, true, "--router, --network and --mac are required");
	int rc = dp_l3_rport_put(dp_l3(c->dp), &cfg);
	if (rc == -ENOENT)
		return reply_error(r, false, "router %u or network %u does not exist", cfg.router,
				   cfg.network);
	if (rc == -EEXIST)
		return reply_error(r, false, "rport %u: key, MAC or network already used "
				   "(by an lport, or by another port of router %u)", cfg.key,
				   cfg.router);
	if (rc < 0)
		return reply_error(r, false, "rport %u: %s", cfg.key, errmsg(rc));
	reply_printf(r, "rport %u set\n", cfg.key);
	json_object_set_new(r->result, "key", json_integer(cfg.key));
	return 0;
}

int cmd_rport_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t key;
	if (argc != 1 || ctrl_parse_u32(argv[0], &key) < 0)
		return reply_error(r, true, "rport del takes one integer key");
	int rc = dp_l3_rport_del(dp_l3(c->dp), key);
	if (rc < 0)
		return reply_error(r, false, "rport %u: %s", key, errmsg(rc));
	reply_printf(r, "rport %u deleted\n", key);
	return 0;
}

int cmd_route_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct dp_route_cfg rt = { 0 };
	uint32_t router;
	if (argc < 4 || ctrl_parse_u32(argv[0], &router) < 0 || lc_ip_parse(argv[1], &rt.prefix) < 0)
		return reply_error(r, true, "route add ROUTER PREFIX via IP | dev RPORT");
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "via") == 0) {
			if (lc_ip_parse(argv[i + 1], &rt.gw) < 0 ||
			    rt.gw.plen != (rt.gw.family == 4 ? 32 : 128))
				return reply_error(r, false, "bad gateway '%s'", argv[i + 1]);
		} else if (strcmp(argv[i], "dev") == 0) {
			if (ctrl_parse_u32(argv[i + 1], &rt.rport) < 0)
				return reply_error(r, false, "bad rport key '%s'", argv[i + 1]);
		} else {
			return reply_error(r, true, "expected via IP or dev RPORT");
		}
	}
	if (argc % 2 != 0)
		return reply_error(r, true, "route add ROUTER PREFIX via IP | dev RPORT");
	int rc = dp_l3_route_put(dp_l3(c->dp), router, &rt);
	if (rc < 0)
		return reply_error(r, false, "route %s on router %u: %s", argv[1], router,
				   errmsg(rc));
	reply_printf(r, "route %s on router %u set\n", argv[1], router);
	return 0;
}

int cmd_route_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t router;
	struct dp_ip pf;
	if (argc != 2 || ctrl_parse_u32(argv[0], &router) < 0 || lc_ip_parse(argv[1], &pf) < 0)
		return reply_error(r, true, "route del ROUTER PREFIX");
	int rc = dp_l3_route_del(dp_l3(c->dp), router, &pf);
	if (rc < 0)
		return reply_error(r, false, "route %s on router %u: %s", argv[1], router,
				   errmsg(rc));
	reply_printf(r, "route %s on router %u deleted\n", argv[1], router);
	return 0;
}

struct show_l3 {
	struct ctrl *c;
	struct ctrl_reply *r;
	json_t *arr;
};

static int show_router(const struct dp_router *rt, void *arg)
{
	struct show_l3 *s = arg;
	const struct dp_l3 *l3 = dp_l3(s->c->dp);
	json_t *ports = json_array(), *routes = json_array();
	char a[80], g[80], mac[DP_MAC_FMT_SIZE];
	reply_printf(s->r, "router %u (%s): %u port(s), %u route(s)\n", rt->cfg.key, rt->cfg.name,
		     rt->n_rports, rt->n_routes);
	for (unsigned i = 0; i < rt->n_rports; i++) {
		const struct dp_rport *p = dp_l3_rport_get(l3, rt->rports[i]);
		if (p == NULL)
			continue;
		dp_mac_format(mac, p->cfg.mac.addr_bytes);
		json_t *ips = json_array();
		reply_printf(s->r, "  rport %u (%s) network %u mac %s", p->cfg.key, p->cfg.name,
			     p->cfg.network, mac);
		for (unsigned j = 0; j < p->cfg.n_ips; j++) {
			char t[INET6_ADDRSTRLEN];
			inet_ntop(p->cfg.ips[j].family == 4 ? AF_INET : AF_INET6, p->cfg.ips[j].addr,
				  t, sizeof(t));
			snprintf(a, sizeof(a), "%s/%u", t, p->cfg.ips[j].plen);
			reply_printf(s->r, " %s", a);
			json_array_append_new(ips, json_string(a));
		}
		reply_printf(s->r, "%s\n", p->cfg.ra_mode ? " (ra)" : "");
		json_array_append_new(ports, json_pack("{s:i,s:s,s:i,s:s,s:o,s:i}", "key",
						       (json_int_t)p->cfg.key, "name", p->cfg.name,
						       "network", (json_int_t)p->cfg.network, "mac",
						       mac, "ips", ips, "ra_mode", p->cfg.ra_mode));
	}
	for (unsigned i = 0; i < rt->n_routes; i++) {
		const struct dp_route_cfg *x = &rt->routes[i];
		dp_ip_format(a, sizeof(a), &x->prefix);
		if (x->gw.family)
			dp_ip_format(g, sizeof(g), &x->gw);
		else
			snprintf(g, sizeof(g), "-");
		reply_printf(s->r, "  route %s via %s dev %u\n", a, g, x->rport);
		json_array_append_new(routes, json_pack("{s:s,s:s,s:i}", "prefix", a, "via", g,
							"rport", (json_int_t)x->rport));
	}
	json_t *o = json_pack("{s:i,s:s,s:o,s:o,s:i}", "key", (json_int_t)rt->cfg.key, "name",
			      rt->cfg.name, "ports", ports, "routes", routes, "next_hops",
			      (int)rt->n_nh - 1);
	/* the router's SNAT on this chassis (tables_nat.h) */
	const struct dp_nat_gw_cfg *gw = dp_nat_gw_get(dp_get_nat(s->c->dp), rt->cfg.key);
	if (gw != NULL) {
		const struct lc_config *lcc = s->c->lc ? lc_get_config(s->c->lc) : NULL;
		const char *mode = lc_snat_mode_name(lcc ? lcc->snat_mode : LC_SNAT_OFF);
		char sip[INET_ADDRSTRLEN] = "";
		if (gw->snat_ip != 0)
			inet_ntop(AF_INET, &gw->snat_ip, sip, sizeof(sip));
		struct lc_chassis_info gc;
		bool has_gc = s->c->lc && lc_gateway_chassis(s->c->lc, &gc) == 0;
		char gtxt[LC_NAME_LEN + 24] = "";
		if (lcc && lcc->snat_mode == LC_SNAT_GATEWAY)
			snprintf(gtxt, sizeof(gtxt), ", gateway chassis %s%s",
				 has_gc ? gc.name : "none", has_gc && gc.self ? " (this one)" : "");
		reply_printf(s->r, "  gateway rport %u: snat %s%s, address here %s\n", gw->rport,
			     mode, gtxt, sip[0] ? sip : "none (floating IPs only)");
		json_object_set_new(o, "snat", json_pack("{s:s,s:s,s:s}", "mode", mode, "address",
							 sip, "gateway_chassis",
							 has_gc ? gc.name : ""));
	}
	json_array_append_new(s->arr, o);
	return 0;
}

int cmd_show_routers(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (argc)
		return reply_error(r, true, "unexpected argument");
	struct show_l3 s = { .c = c, .r = r, .arr = json_array() };
	dp_l3_foreach_router(dp_l3(c->dp), show_router, &s);
	if (json_array_size(s.arr) == 0)
		reply_printf(r, "no routers\n");
	json_object_set_new(r->result, "routers", s.arr);
	struct app_icmp_stats is = { 0 };
	app_icmp_get_stats(c, &is);
	reply_printf(r, "icmp: %llu echo replies, %llu time exceeded (%llu rate limited), "
		     "%llu RAs (%llu solicited), %llu ignored\n",
		     (unsigned long long)is.echo_replies, (unsigned long long)is.time_exceeded,
		     (unsigned long long)is.rate_limited, (unsigned long long)is.ra_sent,
		     (unsigned long long)is.rs_answered, (unsigned long long)is.ignored);
	json_object_set_new(r->result, "icmp", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}",
		"echo_replies", (json_int_t)is.echo_replies, "time_exceeded",
		(json_int_t)is.time_exceeded, "rate_limited", (json_int_t)is.rate_limited,
		"ra_sent", (json_int_t)is.ra_sent, "rs_answered", (json_int_t)is.rs_answered,
		"ignored", (json_int_t)is.ignored));
	return 0;
}

/* Static tables and dp ports. */
static const struct ctrl_cmd cfg_cmds[] = {
	{ "network add", cmd_network_add },
	{ "network del", cmd_network_del },
	{ "lport add", cmd_lport_add },
	{ "lport set", cmd_lport_set },
	{ "lport del", cmd_lport_del },
	{ "port add", cmd_port_add },
	{ "port del", cmd_port_del },
	{ "router add", cmd_router_add },
	{ "router del", cmd_router_del },
	{ "rport add", cmd_rport_add },
	{ "rport del", cmd_rport_del },
	{ "route add", cmd_route_add },
	{ "route del", cmd_route_del },
	{ "show routers", cmd_show_routers },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_cfg_feature = {
	.name = "static-config",
	.cmds = cfg_cmds,
};
