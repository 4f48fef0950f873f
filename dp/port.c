/* SPDX-License-Identifier: BSD-3-Clause
 * dp/port.c — dp ports: probe a device from its devargs, configure one tx
 * queue per PMD plus one for the control thread (shared under a spinlock
 * when the driver has fewer), spread rx queues over PMDs, hot add/remove.
 *
 * A port id is the slot index; it is the flow key's in_port.  Removal first
 * hides the port from PMDs (active=false, rx queues withdrawn), waits for a
 * grace period so that no PMD is still inside rx/tx on it, then stops and
 * detaches the device.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "dp_priv.h"
#include "port_quiet.h"

#define RX_DESC 1024
#define TX_DESC 1024

int dp_port_by_name(const struct dp *dp, const char *name)
{
	for (unsigned i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].used && strcmp(dp->ports[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

unsigned dp_port_max(const struct dp *dp)
{
	return DP_MAX_PORTS;
}

/* Find the ethdev created for devargs (just probed, or given via --vdev). */
static int find_ethdev(const char *devargs, uint16_t *out)
{
	struct rte_dev_iterator it;
	uint16_t id;
	int found = -ENODEV;
	RTE_ETH_FOREACH_MATCHING_DEV(id, devargs, &it) {
		if (found < 0) {
			*out = id;
			found = 0;
		}
	}
	return found;
}

static struct dp_pmd *pmd_for(struct dp *dp, int lcore)
{
	if (lcore >= 0)
		for (unsigned i = 0; i < dp->n_pmds; i++)
			if (dp->pmds[i]->lcore == (unsigned)lcore)
				return dp->pmds[i];
	return dp->pmds[dp->rr_next++ % dp->n_pmds];
}

/* Wait until every running PMD has picked up its new rx queue list. */
static void wait_rxq_ack(struct dp *dp)
{
	if (!dp->running)
		return;
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		struct dp_pmd *p = dp->pmds[i];
		for (unsigned t = 0; t < 200000 && __atomic_load_n(&p->rxq_ack, __ATOMIC_ACQUIRE) !=
						      p->rxq_gen; t++)
			usleep(10);
	}
}

void dp_port_rxq_assign(struct dp *dp)
{
	for (unsigned i = 0; i < dp->n_pmds; i++)
		dp->pmds[i]->n_rxq = 0;
	dp->rr_next = 0;
	for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
		struct dp_port *port = &dp->ports[p];
		if (!port->used || !port->active)
			continue;
		for (uint16_t q = 0; q < port->n_rxq; q++) {
			struct dp_pmd *pmd = pmd_for(dp, port->pmd_lcore);
			if (pmd->n_rxq >= DP_MAX_RXQ_PER_PMD)
				continue;
			pmd->rxq[pmd->n_rxq++] = (struct dp_rxq){
				.dp_port = (uint16_t)p, .ethdev = port->ethdev, .queue = q };
		}
	}
	for (unsigned i = 0; i < dp->n_pmds; i++)
		__atomic_store_n(&dp->pmds[i]->rxq_gen, dp->pmds[i]->rxq_gen + 1, __ATOMIC_RELEASE);
	wait_rxq_ack(dp);
}

/* A Toeplitz key made of one repeated 16-bit pattern hashes (a, b) and
 * (b, a) alike, so both directions of a connection entering this port land
 * on one queue (symmetric RSS).  The two directions of a VM's connection
 * usually enter through two ports, which is why conntrack is shared by the
 * PMDs anyway (ct.h); this only saves cross-PMD cache traffic. */
static uint8_t sym_rss_key[64];

static void sym_rss_key_init(void)
{
	for (unsigned i = 0; i < sizeof(sym_rss_key); i += 2) {
		sym_rss_key[i] = 0x6d;
		sym_rss_key[i + 1] = 0x5a;
	}
}

static int setup_ethdev(struct dp *dp, struct dp_port *port, uint16_t want_rxq, uint16_t mtu)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t id = port->ethdev, nrx, ntx, rxd = RX_DESC, txd = TX_DESC;
	int rc = rte_eth_dev_info_get(id, &info);
	if (rc < 0)
		return rc;
	memset(&conf, 0, sizeof(conf));
	nrx = want_rxq ? want_rxq : 1;
	if (nrx > info.max_rx_queues)
		nrx = info.max_rx_queues;
	ntx = (uint16_t)(dp->n_pmds + 1);
	if (ntx > info.max_tx_queues)
		ntx = info.max_tx_queues;
	if (nrx == 0 || ntx == 0)
		return -ENOTSUP;
	if (nrx > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
						   (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
		if (info.hash_key_size > 0 && info.hash_key_size <= sizeof(sym_rss_key)) {
			sym_rss_key_init();
			conf.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		}
	}
	/* NICs that deliver flow marks only when asked (offload's partial
	 * tier): ask before configure; drivers without it answer -ENOTSUP */
	uint64_t meta = RTE_ETH_RX_METADATA_USER_MARK | RTE_ETH_RX_METADATA_USER_FLAG;
	(void)rte_eth_rx_metadata_negotiate(id, &meta);
	rc = rte_eth_dev_configure(id, nrx, ntx, &conf);
	if (rc < 0 && conf.rx_adv_conf.rss_conf.rss_key != NULL) {
		/* a driver that refuses our key keeps its own (not symmetric) */
		conf.rx_adv_conf.rss_conf.rss_key = NULL;
		conf.rx_adv_conf.rss_conf.rss_key_len = 0;
		rc = rte_eth_dev_configure(id, nrx, ntx, &conf);
	}

	if (rc < 0 && nrx != ntx) {
		/* some drivers (net_tap) want as many rx as tx queues; the extra
		 * rx queues are polled like the others */
		uint16_t both = nrx > ntx ? nrx : ntx;
		if (both <= info.max_rx_queues && both <= info.max_tx_queues) {
			nrx = ntx = both;
			rc = rte_eth_dev_configure(id, nrx, ntx, &conf);
		}
	}
	if (rc < 0)
		return rc;
	/* Drivers like net_tap fill every rx descriptor with an mbuf up front.
	 * If rx rings hold the whole pool, rx starves (rx_nombuf) and packets
	 * vanish inside the driver: a port's rings get at most 1/16 of the
	 * pool, all ports' together at most 3/4 (the rest is for packets in
	 * flight, tx and copies). */
	uint32_t pool = dp->cfg.n_mbufs, budget = pool / 4 * 3;
	uint32_t left = budget > dp->mbufs_reserved ? budget - dp->mbufs_reserved : 0;
	while (rxd > 64 && (uint32_t)rxd * nrx > RTE_MIN(left, pool / 16))
		rxd /= 2;
	if ((uint32_t)rxd * nrx > left) {
		RTE_LOG(ERR, USER1, "port %s: %u mbufs are too few for another port's rx "
			"rings (%u reserved); raise [dp] mbufs\n", port->name, pool,
			dp->mbufs_reserved);
		return -ENOBUFS;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd);
	int socket = rte_eth_dev_socket_id(id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (uint16_t q = 0; q < nrx; q++)
		if ((rc = rte_eth_rx_queue_setup(id, q, rxd, (unsigned)socket, NULL, dp->mp)) < 0)
			return rc;
	for (uint16_t q = 0; q < ntx; q++)
		if ((rc = rte_eth_tx_queue_setup(id, q, txd, (unsigned)socket, NULL)) < 0)
			return rc;
	if (mtu && (rc = rte_eth_dev_set_mtu(id, mtu)) < 0)
		return rc;
	if ((rc = rte_eth_dev_start(id)) < 0)
		return rc;
	rte_eth_promiscuous_enable(id); /* VMs' MACs are not ours: see everything */
	port->n_rxq = nrx;
	port->n_txq = ntx;
	port->rss = conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS;
	port->rss_symmetric = port->rss && conf.rx_adv_conf.rss_conf.rss_key != NULL;
	port->rx_reserved = (uint32_t)rxd * nrx;
	dp->mbufs_reserved += port->rx_reserved;
	port->txq_shared = ntx < dp->n_pmds + 1;
	return 0;
}

int dp_port_add(struct dp *dp, const char *name, const char *devargs,
		const struct dp_port_opts *opts)
{
	struct dp_port_opts def = { .n_rxq = 1, .pmd_lcore = -1 };
	if (opts == NULL)
		opts = &def;
	if (name == NULL || devargs == NULL || name[0] == 0 || strlen(name) >= DP_NAME_LEN ||
	    strlen(devargs) >= sizeof(dp->ports[0].devargs))
		return -EINVAL;
	if (dp_port_by_name(dp, name) >= 0)
		return -EEXIST;
	unsigned slot = 0;
	while (slot < DP_MAX_PORTS && dp->ports[slot].used)
		slot++;
	if (slot == DP_MAX_PORTS)
		return -ENOSPC;
	uint16_t ethdev;
	if (find_ethdev(devargs, &ethdev) < 0) {
		dp_port_quiet_begin(); /* known driver noise, explained once */
		int rc = rte_dev_probe(devargs);
		dp_port_quiet_end(name, false);
		if (rc < 0 && rc != -EEXIST)
			return rc == -ENOENT ? -ENODEV : rc;
		if (find_ethdev(devargs, &ethdev) < 0)
			return -ENODEV;
	}
	for (unsigned i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].used && dp->ports[i].ethdev == ethdev)
			return -EEXIST;
	struct dp_port *port = &dp->ports[slot];
	memset(port, 0, sizeof(*port));
	port->ethdev = ethdev;
	port->pmd_lcore = opts->pmd_lcore;
	snprintf(port->name, sizeof(port->name), "%s", name);
	snprintf(port->devargs, sizeof(port->devargs), "%s", devargs);
	for (unsigned i = 0; i < RTE_DIM(port->txq_lock); i++)
		rte_spinlock_init(&port->txq_lock[i]);
	dp_port_quiet_begin();
	int rc = setup_ethdev(dp, port, opts->n_rxq, opts->mtu);
	dp_port_quiet_end(name, rc == 0 && port->n_rxq != (opts->n_rxq ? opts->n_rxq : 1));
	if (rc < 0) {
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(ethdev, &info) == 0 && info.device)
			rte_dev_remove(info.device);
		memset(port, 0, sizeof(*port));
		return rc;
	}
	port->used = true;
	__atomic_store_n(&port->active, true, __ATOMIC_RELEASE);
	dp_port_rxq_assign(dp);
	if (dp->offload != NULL && dp->offload->port_added != NULL)
		dp->offload->port_added(dp->offload->arg, (uint16_t)slot);
	return (int)slot;
}

int dp_port_del(struct dp *dp, const char *name)
{
	int id = dp_port_by_name(dp, name);
	if (id < 0)
		return id;
	struct dp_port *port = &dp->ports[id];
	__atomic_store_n(&port->active, false, __ATOMIC_RELEASE);
	dp_port_rxq_assign(dp);
	/* no PMD is inside rx/tx on this port after one grace period */
	if (dp->running)
		rte_rcu_qsbr_synchronize(dp->rcu, RTE_QSBR_THRID_INVALID);
	/* its offloaded rules go while the ethdev still exists */
	if (dp->offload != NULL && dp->offload->port_removing != NULL)
		dp->offload->port_removing(dp->offload->arg, (uint16_t)id);
	dp_table_port_gone(dp->tables, (uint16_t)id);
	dp->mbufs_reserved -= RTE_MIN(dp->mbufs_reserved, port->rx_reserved);
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(port->ethdev, &info);
	rte_eth_dev_stop(port->ethdev);
	if (rc == 0 && info.device)
		rte_dev_remove(info.device);
	else
		rte_eth_dev_close(port->ethdev);
	memset(port, 0, sizeof(*port));
	return 0;
}

int dp_port_info(struct dp *dp, uint16_t id, struct dp_port_info *out)
{
	if (id >= DP_MAX_PORTS || !dp->ports[id].used)
		return -ENOENT;
	const struct dp_port *p = &dp->ports[id];
	struct rte_eth_stats st;
	struct rte_eth_link link;
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->ethdev = p->ethdev;
	snprintf(out->name, sizeof(out->name), "%s", p->name);
	snprintf(out->devargs, sizeof(out->devargs), "%s", p->devargs);
	if (rte_eth_dev_info_get(p->ethdev, &info) == 0)
		snprintf(out->driver, sizeof(out->driver), "%s", info.driver_name);
	if (rte_eth_macaddr_get(p->ethdev, &mac) == 0)
		memcpy(out->mac, mac.addr_bytes, 6);
	if (rte_eth_link_get_nowait(p->ethdev, &link) == 0)
		out->link_up = link.link_status == RTE_ETH_LINK_UP;
	out->n_rxq = p->n_rxq;
	out->n_txq = p->n_txq;
	out->rss = p->rss;
	out->rss_symmetric = p->rss_symmetric;
	out->txq_shared = p->txq_shared;
	if (rte_eth_stats_get(p->ethdev, &st) == 0) {
		out->rx_packets = st.ipackets;
		out->tx_packets = st.opackets;
		out->rx_bytes = st.ibytes;
		out->tx_bytes = st.obytes;
		out->rx_missed = st.imissed;
		out->rx_nombuf = st.rx_nombuf;
		out->rx_errors = st.ierrors;
		out->tx_errors = st.oerrors;
	}
	out->lport = dp_table_port_lport(dp->tables, id);
	return 0;
}
