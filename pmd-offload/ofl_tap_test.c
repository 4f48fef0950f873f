/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_tap_test.c — the rte_flow backend on a real net_tap port
 * (root only; skips with exit code 77 otherwise).  The probe validates
 * representative rules: tap accepts DROP and QUEUE and refuses MARK, COUNT
 * and VXLAN_ENCAP, so a punt or tunnel megaflow stays in software with the
 * reason, and a drop megaflow is planned FULL: created when the kernel has
 * TC flower (net_tap makes every rule a flower filter; asked of tc(8) on a
 * scratch veth first), else refused at create, shown as such, and the tier
 * cached refused for the port (one failed create in all).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_ethdev.h>

#include "ofl.h"
#include "test_main.h"

static uint16_t t_port;
static struct rte_mempool *t_pool;

static void t_flow(struct dp_flow_key *k, struct dp_flow_key *m, unsigned n)
{
	memset(k, 0, sizeof(*k));
	memset(m, 0, sizeof(*m));
	k->in_port = 1;
	k->eth_type = htons(0x0800);
	k->ip_proto = 17;
	k->ip_dst[0] = 10;
	k->ip_dst[3] = (uint8_t)n;
	DP_MARK(m, in_port);
	DP_MARK(m, eth_type);
	DP_MARK(m, ip_proto);
	memset(m->ip_dst, 0xff, 4);
}

/* Does this kernel have TC flower (what net_tap creates every rule with)?
 * Asked of a scratch veth in a scratch namespace with tc(8). */
static int tc_flower;

static int probe_tc_flower(void)
{
	char cmd[512];
	int n = (int)getpid() % 100000;
	snprintf(cmd, sizeof(cmd),
		 "ip netns add wyflw%d && ip -n wyflw%d link add v0 type veth peer name v1 && "
		 "ip netns exec wyflw%d tc qdisc add dev v0 ingress && "
		 "ip netns exec wyflw%d tc filter add dev v0 ingress protocol ip prio 1 "
		 "flower dst_ip 10.0.0.1 action drop >/dev/null 2>&1; r=$?; "
		 "ip netns del wyflw%d 2>/dev/null; exit $r", n, n, n, n, n);
	return system(cmd) == 0;
}

static void test_tap(void)
{
	struct ofl_config cfg = { .enable = true, .name = "tap" };
	struct ofl *o = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct ofl_port_cfg pc = { .dp_port = 1, .eth_port = t_port, .backend = "rte_flow",
				   .n_rxq = 1, .domain = 1 };
	CU_ASSERT_EQUAL_FATAL(ofl_port_add(o, &pc), 0);
	struct ofl_port_stats ps;
	char caps[256];
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(o, 1, &ps), 0);
	ofl_caps_format(caps, sizeof(caps), ps.caps);
	printf("\n  tap probed: %s\n", caps);
	CU_ASSERT(ps.caps & OFL_CAP_DROP);
	CU_ASSERT(ps.caps & OFL_CAP_QUEUE);
	CU_ASSERT(ps.caps & OFL_CAP_MATCH_L3);
	CU_ASSERT_FALSE(ps.caps & OFL_CAP_MARK);
	CU_ASSERT_FALSE(ps.caps & OFL_CAP_VXLAN_ENCAP);
	CU_ASSERT_FALSE(ps.caps & OFL_CAP_COUNT);

	struct dp_flow_key k, m;
	struct dp_action drop = { .type = DP_ACT_DROP };
	struct dp_action punt = { .type = DP_ACT_PUNT, .port = 1 };
	struct dp_action push[2] = { { .type = DP_ACT_TNL_PUSH, .u32 = htonl(0xc0a80002) },
				     { .type = DP_ACT_OUTPUT, .port = 1 } };
	struct dp_overlay_cfg ovl = { .uplink = 9, .vtep_ip = htonl(0xc0a80001),
				      .encap = DP_ENCAP_VXLAN, .underlay_mtu = 1500 };
	ofl_set_overlay(o, &ovl);
	/* the port-security drop megaflow wyvernd makes: untagged (the VLAN
	 * present bit masked -> ETH.has_vlan, which tap refuses: left out, the
	 * exact IPv4 ethertype already excludes tagged frames), source MAC */
	t_flow(&k, &m, 1);
	m.vlan_tci = DP_VLAN_PRESENT;
	memset(m.eth_src, 0xff, 6);
	k.eth_src[0] = 2;
	k.eth_src[5] = 0x11;
	CU_ASSERT_EQUAL(ofl_megaflow_installed(o, 1, 1, 0, &k, &m, &drop, 1), 0);
	t_flow(&k, &m, 2);
	CU_ASSERT_EQUAL(ofl_megaflow_installed(o, 2, 1, 0, &k, &m, &punt, 1), 0);
	t_flow(&k, &m, 3);
	CU_ASSERT_EQUAL(ofl_megaflow_installed(o, 3, 1, 0, &k, &m, push, 2), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 2000), 0);

	struct ofl_flow_info fi;
	struct ofl_port_stats ps2;
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(o, 1, &fi), 0);
	printf("  drop megaflow: %s %s\n", ofl_decision_name(fi.state), fi.why);
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(o, 1, &ps2), 0);
	if (tc_flower) {
		/* the kernel has TC flower: the drop rule is really created */
		CU_ASSERT_EQUAL(fi.state, OFL_FULL);
		CU_ASSERT(strncmp(fi.rule, "full pattern eth/ipv4", 21) == 0);
		CU_ASSERT_EQUAL(ps2.n_full, 1);
	} else {
		/* validated, refused at create (net_tap makes every rule a TC
		 * flower filter, this kernel has none): shown with tap's reason,
		 * and the FULL tier is cached refused for the port: the next
		 * megaflows do not try it (one failed create in all) */
		CU_ASSERT_EQUAL(fi.state, OFL_SOFTWARE);
		CU_ASSERT(strstr(fi.why, "full refused: ") != NULL);
		CU_ASSERT(strstr(fi.why, "full refused: create: ") != NULL);
		CU_ASSERT(strstr(fi.why, "pattern") == NULL);   /* tap took the pattern */
		CU_ASSERT(strstr(fi.why, "port refuses MARK") != NULL);
		CU_ASSERT_EQUAL(ps2.failed, 1);
		CU_ASSERT_EQUAL(ps2.installed, 0);
		CU_ASSERT_EQUAL(ps2.refused_cached, 2);
	}
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(o, 2, &fi), 0);
	printf("  punt megaflow: %s %s\n", ofl_decision_name(fi.state), fi.why);
	CU_ASSERT_EQUAL(fi.state, OFL_SOFTWARE);
	CU_ASSERT(strstr(fi.why, tc_flower ? "action punt not offloadable" : "full refused before") !=
		  NULL);
	CU_ASSERT(strstr(fi.why, "port refuses MARK") != NULL);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(o, 3, &fi), 0);
	printf("  vxlan megaflow: %s %s\n", ofl_decision_name(fi.state), fi.why);
	CU_ASSERT_EQUAL(fi.state, OFL_SOFTWARE);
	CU_ASSERT(strstr(fi.why, "port refuses VXLAN encap") != NULL ||
		  strstr(fi.why, "port refuses output") != NULL ||
		  strstr(fi.why, "full refused before") != NULL);

	json_t *j = ofl_show_json(o);
	char *s = json_dumps(j, JSON_COMPACT);
	printf("  show offload: %s\n", s);
	free(s);
	json_decref(j);
	ofl_destroy(o);
}

int main(int argc, char **argv)
{
	char vdev[64];
	if (geteuid() != 0) {
		printf("ofl_tap_test: SKIP: net_tap needs root\n");
		return 77;
	}
	snprintf(vdev, sizeof(vdev), "--vdev=net_tap_ofl,iface=wyofl%d", (int)getpid() % 100000);
	if (t_eal_init(argv[0], "ofl_tap", vdev, (char *)NULL) != 0)
		return 1;
	if (rte_eth_dev_get_port_by_name("net_tap_ofl", &t_port) != 0) {
		fprintf(stderr, "no tap port\n");
		return 1;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	t_pool = rte_pktmbuf_pool_create("tap_pool", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id());
	if (t_pool == NULL || rte_eth_dev_configure(t_port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(t_port, 0, 256, (unsigned)rte_socket_id(), NULL, t_pool) ||
	    rte_eth_tx_queue_setup(t_port, 0, 256, (unsigned)rte_socket_id(), NULL) ||
	    rte_eth_dev_start(t_port) != 0) {
		fprintf(stderr, "tap setup failed\n");
		return 1;
	}
	tc_flower = probe_tc_flower();
	printf("ofl_tap_test: TC flower in this kernel: %s\n", tc_flower ? "yes" : "no");
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("ofl_tap", NULL, NULL);
	CU_add_test(s, "rte_flow on net_tap", test_tap);
	rte_eth_dev_stop(t_port);
	int rc = t_run_all();
	return rc;
}
