/* SPDX-License-Identifier: BSD-3-Clause
 * dp/test_util.c — helpers shared by the dp unit tests (see test_util.h).
 */
#include <rte_ethdev.h>

#include "test_util.h"

uint64_t t_rng_state = 0x2545f4914f6cdd1dull;

uint64_t t_rand(void)
{
	t_rng_state ^= t_rng_state << 13;
	t_rng_state ^= t_rng_state >> 7;
	t_rng_state ^= t_rng_state << 17;
	return t_rng_state;
}

uint32_t t_randn(uint32_t n)
{
	return n ? (uint32_t)(t_rand() % n) : 0;
}

struct dp_network_cfg t_net(uint32_t key)
{
	struct dp_network_cfg c;
	memset(&c, 0, sizeof(c));
	c.key = key;
	snprintf(c.name, sizeof(c.name), "net%u", key);
	c.vni = key + 1000;
	c.mtu = 1500;
	return c;
}

struct rte_ether_addr t_mac(uint8_t a, uint8_t b)
{
	struct rte_ether_addr m = { { 0x02, 0x00, 0x00, 0x00, a, b } };
	return m;
}

struct dp_ip t_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t plen)
{
	struct dp_ip ip;
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	ip.plen = plen;
	ip.addr[0] = a;
	ip.addr[1] = b;
	ip.addr[2] = c;
	ip.addr[3] = d;
	return ip;
}

struct dp_ip t_ip_str(const char *s)
{
	struct dp_ip ip;
	if (dp_ip_parse(s, &ip) != 0)
		memset(&ip, 0, sizeof(ip));
	return ip;
}

struct dp_lport_cfg t_lport(uint32_t key, uint32_t net, uint16_t dp_port)
{
	struct dp_lport_cfg c;
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.network = net;
	snprintf(c.name, sizeof(c.name), "lp%u", key);
	c.n_macs = 1;
	c.macs[0] = t_mac((uint8_t)(key >> 8), (uint8_t)key);
	c.n_ips = 1;
	c.ips[0] = t_ip4(10, 0, (uint8_t)net, (uint8_t)key, 32);
	c.port_security = true;
	c.admin_up = true;
	c.dp_port = dp_port;
	return c;
}

void t_key_eth(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		      const uint8_t *dmac, uint16_t et)
{
	memset(k, 0, sizeof(*k));
	k->in_port = in_port;
	memcpy(k->eth_src, smac, 6);
	memcpy(k->eth_dst, dmac, 6);
	k->eth_type = htons(et);
}

void t_key_ipv4(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		const uint8_t *dmac, const uint8_t *sip, const uint8_t *dip, uint8_t proto,
		uint16_t sport, uint16_t dport)
{
	t_key_eth(k, in_port, smac, dmac, T_ET_IPV4);
	memcpy(k->ip_src, sip, 4);
	memcpy(k->ip_dst, dip, 4);
	k->ip_proto = proto;
	k->ip_ttl = 64;
	k->tp_src = htons(sport);
	k->tp_dst = htons(dport);
}

void t_key_arp(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		      const uint8_t *sha, const uint8_t *spa, const uint8_t *tpa)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	t_key_eth(k, in_port, smac, bcast, T_ET_ARP);
	k->arp_op = htons(1);
	memcpy(k->arp_sha, sha, 6);
	memcpy(k->ip_src, spa, 4);
	memcpy(k->ip_dst, tpa, 4);
}

void t_key_ipv6(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		const uint8_t *dmac, const uint8_t *sip, const uint8_t *dip, uint8_t proto,
		uint16_t sport, uint16_t dport)
{
	t_key_eth(k, in_port, smac, dmac, T_ET_IPV6);
	memcpy(k->ip_src, sip, 16);
	memcpy(k->ip_dst, dip, 16);
	k->ip_proto = proto;
	k->ip_ttl = 64;
	k->tp_src = htons(sport);
	k->tp_dst = htons(dport);
}

unsigned t_spec_drop(const struct dp_megaflow_spec *s)
{
	for (unsigned i = 0; i < s->n_actions; i++)
		if (s->actions[i].type == DP_ACT_DROP)
			return s->actions[i].u32;
	return 0;
}

int t_spec_output(const struct dp_megaflow_spec *s)
{
	if (s->n_actions == 1 && s->actions[0].type == DP_ACT_OUTPUT)
		return s->actions[0].port;
	return -1;
}

bool t_spec_has_tag(const struct dp_megaflow_spec *s, uint64_t tag)
{
	for (unsigned i = 0; i < s->n_tags; i++)
		if (s->tags[i] == tag)
			return true;
	return false;
}

void t_fmt_actions(char *buf, size_t len, const struct dp_action *a, unsigned n,
			  const uint16_t *flood)
{
	dp_actions_format(buf, len, a, n, flood);
}

struct rte_mbuf *t_pkt_ipv4(struct rte_mempool *mp, const uint8_t *smac,
				   const uint8_t *dmac, const uint8_t *sip, const uint8_t *dip,
				   uint8_t proto, uint16_t sport, uint16_t dport, uint8_t ttl,
				   uint16_t payload_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	uint16_t l4len = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr)
					      : sizeof(struct rte_udp_hdr);
	uint16_t total = (uint16_t)(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
				    l4len + payload_len);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, total);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(d, 0, total);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)d;
	memcpy(&eh->dst_addr, dmac, 6);
	memcpy(&eh->src_addr, smac, 6);
	eh->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->total_length = htons((uint16_t)(total - sizeof(*eh)));
	ip->packet_id = htons((uint16_t)t_rand());
	ip->time_to_live = ttl;
	ip->next_proto_id = proto;
	memcpy(&ip->src_addr, sip, 4);
	memcpy(&ip->dst_addr, dip, 4);
	uint8_t *l4 = (uint8_t *)(ip + 1);
	uint8_t *pl = l4 + l4len;
	for (unsigned i = 0; i < payload_len; i++)
		pl[i] = (uint8_t)t_rand();
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		th->src_port = htons(sport);
		th->dst_port = htons(dport);
		th->sent_seq = htonl((uint32_t)t_rand());
		th->data_off = 0x50;
		th->tcp_flags = RTE_TCP_ACK_FLAG;
		th->rx_win = htons(8192);
		th->cksum = 0;
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	} else {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
		uh->src_port = htons(sport);
		uh->dst_port = htons(dport);
		uh->dgram_len = htons((uint16_t)(l4len + payload_len));
		uh->dgram_cksum = 0;
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	}
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->l2_len = sizeof(*eh);
	m->l3_len = sizeof(*ip);
	return m;
}

struct rte_mbuf *t_pkt_arp(struct rte_mempool *mp, const uint8_t *smac,
				  const uint8_t *sha, const uint8_t *spa, const uint8_t *tpa)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(d, 0, 60);
	memset(d, 0xff, 6);
	memcpy(d + 6, smac, 6);
	d[12] = 0x08;
	d[13] = 0x06;
	uint8_t *a = d + 14;
	a[1] = 1;              /* htype ethernet */
	a[2] = 0x08;           /* ptype ipv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;              /* request */
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 24, tpa, 4);
	m->l2_len = 14;
	m->l3_len = 28;
	return m;
}

bool t_ipv4_csums_ok(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_ipv4_hdr copy = *ip;
	copy.hdr_checksum = 0;
	if (rte_ipv4_cksum(&copy) != ip->hdr_checksum)
		return false;
	void *l4 = (uint8_t *)ip + rte_ipv4_hdr_len(ip);
	if (ip->next_proto_id == IPPROTO_UDP) {
		struct rte_udp_hdr *uh = l4;
		if (uh->dgram_cksum == 0)
			return true;
		return __rte_ipv4_udptcp_cksum(ip, l4) == 0xffff;
	}
	if (ip->next_proto_id == IPPROTO_TCP)
		return __rte_ipv4_udptcp_cksum(ip, l4) == 0xffff;
	return true;
}

void rec_cb(void *arg, const uint64_t *tags, unsigned n)
{
	struct rec *r = arg;
	r->calls++;
	for (unsigned i = 0; i < n && r->n < RTE_DIM(r->tags); i++)
		r->tags[r->n++] = tags[i];
}

void rec_reset(struct rec *r)
{
	r->n = 0;
	r->calls = 0;
}

bool rec_has(const struct rec *r, uint64_t tag)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->tags[i] == tag)
			return true;
	return false;
}

bool rec_exact(const struct rec *r, const uint64_t *exp, unsigned n)
{
	if (r->n != n) {
		fprintf(stderr, "\n    tags: got %u, want %u:", r->n, n);
		for (unsigned i = 0; i < r->n; i++)
			fprintf(stderr, " %u:%08x", DP_TAG_TYPE(r->tags[i]), DP_TAG_KEY(r->tags[i]));
		fprintf(stderr, "\n");
		return false;
	}
	for (unsigned i = 0; i < n; i++)
		if (!rec_has(r, exp[i]))
			return false;
	return true;
}

unsigned t_tables_seq;

struct dp_tables *t_mk_tables(struct rec *r)
{
	char name[32];
	snprintf(name, sizeof(name), "tt%u", t_tables_seq++);
	struct dp_tables *t = dp_tables_create(name, NULL, r ? rec_cb : NULL, r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

/* ---- an order-independent digest of the whole table state --------------------- */

uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int dig_net(const struct dp_network *n, void *arg)
{
	struct digest *d = arg;
	uint64_t h = fnv(&n->cfg, sizeof(n->cfg), 0xcbf29ce484222325ull);
	h = fnv(&n->n_local, sizeof(n->n_local), h);
	h = fnv(n->local_ports, n->n_local * sizeof(n->local_ports[0]), h);
	h = fnv(n->local_lports, n->n_local * sizeof(n->local_lports[0]), h);
	d->sum += h;
	d->n++;
	return 0;
}

static int dig_lport(const struct dp_lport *p, void *arg)
{
	struct digest *d = arg;
	d->sum += fnv(&p->cfg, dp_lport_cfg_size(&p->cfg), 0x1234567ull);
	d->n++;
	return 0;
}

static int dig_fdb(uint32_t net, const uint8_t mac[6], uint32_t lport, void *arg)
{
	struct digest *d = arg;
	uint64_t h = fnv(&net, 4, 0x42ull);
	h = fnv(mac, 6, h);
	d->sum += fnv(&lport, 4, h);
	d->n++;
	return 0;
}

uint64_t table_digest(const struct dp_tables *t)
{
	struct digest d = { 0, 0 };
	dp_table_foreach_network(t, dig_net, &d);
	dp_table_foreach_lport(t, dig_lport, &d);
	dp_table_foreach_fdb(t, dig_fdb, &d);
	for (uint16_t p = 0; p < DP_MAX_PORTS; p++)
		d.sum += fnv(&(uint32_t){ dp_table_port_lport(t, p) }, 4, p);
	return d.sum ^ ((uint64_t)d.n << 48);
}

unsigned t_drain_port(uint16_t ethdev)
{
	struct rte_mbuf *m[64];
	unsigned total = 0;
	uint16_t n;
	while ((n = rte_eth_rx_burst(ethdev, 0, m, RTE_DIM(m))) > 0) {
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	return total;
}
