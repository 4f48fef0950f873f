/* SPDX-License-Identifier: BSD-3-Clause
 * dp/actions.c — executes a megaflow's action list over a group of packets.
 *
 * Packets of a burst that hit the same megaflow are handed over together, so
 * each action runs once per group: output appends the whole group to the
 * PMD's tx buffer for that port, drop frees the group and adds n to one
 * counter.  Output/flood/punt that are followed by further packet-consuming
 * actions take copies: a reference bump when nothing after them rewrites the
 * packet, a real copy when something does (tx is deferred to the end of the
 * burst, so a shared buffer would be sent already rewritten).
 */
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_ether.h>
#include <rte_arp.h>

#include "ct.h"
#include "dp_priv.h"
#include "tables_ovl.h"

static const char *const act_names[DP_ACT__MAX] = {
	[DP_ACT_OUTPUT] = "output",
	[DP_ACT_FLOOD] = "flood",
	[DP_ACT_DROP] = "drop",
	[DP_ACT_PUNT] = "punt",
	[DP_ACT_SET_ETH_SRC] = "set_eth_src",
	[DP_ACT_SET_ETH_DST] = "set_eth_dst",
	[DP_ACT_SET_IPV4_SRC] = "set_ipv4_src",
	[DP_ACT_SET_IPV4_DST] = "set_ipv4_dst",
	[DP_ACT_SET_TP_SRC] = "set_tp_src",
	[DP_ACT_SET_TP_DST] = "set_tp_dst",
	[DP_ACT_DEC_TTL] = "dec_ttl",
	[DP_ACT_PUSH_VLAN] = "push_vlan",
	[DP_ACT_POP_VLAN] = "pop_vlan",
	[DP_ACT_ARP_REPLY] = "arp_reply",
	[DP_ACT_ND_ADVERT] = "nd_advert",
	[DP_ACT_TNL_PUSH] = "tnl_push",
	[DP_ACT_TNL_POP] = "tnl_pop",
	[DP_ACT_TNL_FLOOD] = "tnl_flood",
	[DP_ACT_CT] = "ct",
	[DP_ACT_CT_LABEL] = "ct_label",
	[DP_ACT_CT_NAT] = "ct_nat",
};

static const char *const punt_names[DP_PUNT__MAX] = {
	[DP_PUNT_NONE] = "none", [DP_PUNT_DHCP] = "dhcp", [DP_PUNT_ARP] = "arp",
	[DP_PUNT_ND] = "nd",     [DP_PUNT_TTL] = "ttl",   [DP_PUNT_ICMP] = "icmp",
	[DP_PUNT_TRACE] = "trace",  [DP_PUNT_UNDERLAY] = "underlay",
	[DP_PUNT_EXT_ARP] = "ext-arp",
};

const char *dp_action_name(unsigned type)
{
	return type < DP_ACT__MAX && act_names[type] ? act_names[type] : "unknown";
}

const char *dp_punt_name(unsigned reason)
{
	return reason < DP_PUNT__MAX && punt_names[reason] ? punt_names[reason] : "unknown";
}

int dp_actions_format(char *buf, size_t len, const struct dp_action *acts, unsigned n,
		      const uint16_t *flood_ports)
{
	size_t used = 0;
#define OUT(...)                                                                    \
	do {                                                                        \
		int r_ = snprintf(buf + (used < len ? used : len),                  \
				  used < len ? len - used : 0, __VA_ARGS__);        \
		if (r_ > 0)                                                         \
			used += (size_t)r_;                                         \
	} while (0)
	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct dp_action *a = &acts[i];
		const char *sep = i ? "," : "";
		const uint8_t *d = a->data;
		switch (a->type) {
		case DP_ACT_OUTPUT:
			OUT("%soutput:%u", sep, a->port);
			break;
		case DP_ACT_FLOOD:
			OUT("%sflood:[", sep);
			for (unsigned j = 0; j < a->port; j++)
				OUT("%s%u", j ? " " : "", flood_ports[a->u32 + j]);
			OUT("]");
			break;
		case DP_ACT_DROP:
			OUT("%sdrop:%s", sep, dp_drop_name(a->u32));
			break;
		case DP_ACT_PUNT:
			OUT("%spunt:%s", sep, dp_punt_name(a->u32));
			break;
		case DP_ACT_SET_ETH_SRC:
		case DP_ACT_SET_ETH_DST:
		case DP_ACT_ARP_REPLY:
		case DP_ACT_ND_ADVERT:
			OUT("%s%s:%02x:%02x:%02x:%02x:%02x:%02x", sep, dp_action_name(a->type),
			    d[0], d[1], d[2], d[3], d[4], d[5]);
			break;
		case DP_ACT_SET_IPV4_SRC:
		case DP_ACT_SET_IPV4_DST: {
			char ip[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &a->u32, ip, sizeof(ip));
			OUT("%s%s:%s", sep, dp_action_name(a->type), ip);
			break;
		}
		case DP_ACT_SET_TP_SRC:
		case DP_ACT_SET_TP_DST:
			OUT("%s%s:%u", sep, dp_action_name(a->type), ntohs(a->port));
			break;
		case DP_ACT_PUSH_VLAN:
			OUT("%spush_vlan:%u", sep, (unsigned)(a->port & 0xfff));
			break;
		case DP_ACT_TNL_PUSH: {
			char ip[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &a->u32, ip, sizeof(ip));
			OUT("%stnl_push:%s(vni=%u,dst=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x)", sep,
			    dp_encap_name(d[6]), dp_act_vni(a), ip, d[0], d[1], d[2], d[3], d[4],
			    d[5]);
			break;
		}
		case DP_ACT_CT:
			OUT("%sct(zone=%u%s%s", sep, a->port, d[0] & DP_CT_F_COMMIT ? ",commit" : "",
			    d[0] & DP_CT_F_EG ? ",state=eg" : "");
			if (d[0] & DP_CT_F_MARK) {
				OUT(",mark=%#x", a->u32);
				if (dp_act_ct_mark_mask(a) != UINT32_MAX)
					OUT("/%#x", dp_act_ct_mark_mask(a));
			}
			/* the label halves that follow belong to this ct() */
			while ((d[0] & DP_CT_F_LABEL) && i + 1 < n &&
			       acts[i + 1].type == DP_ACT_CT_LABEL) {
				const struct dp_action *l = &acts[++i];
				OUT(",label%s=0x%02x%02x%02x%02x%02x%02x%02x%02x",
				    l->port ? "_lo" : "_hi", l->data[0], l->data[1], l->data[2],
				    l->data[3], l->data[4], l->data[5], l->data[6], l->data[7]);
			}
			/* and the nat(...) after them, OVS style */
			if ((d[0] & DP_CT_F_NAT) && i + 1 < n && acts[i + 1].type == DP_ACT_CT_NAT) {
				uint8_t kind;
				uint32_t amin, amax;
				uint16_t pmin, pmax;
				char s1[INET_ADDRSTRLEN], s2[INET_ADDRSTRLEN];
				dp_act_ct_nat_get(&acts[++i], &kind, &amin, &amax, &pmin, &pmax);
				OUT(",nat");
				if (kind == DP_CT_NAT_SRC || kind == DP_CT_NAT_DST) {
					inet_ntop(AF_INET, &amin, s1, sizeof(s1));
					inet_ntop(AF_INET, &amax, s2, sizeof(s2));
					OUT("(%s=%s", kind == DP_CT_NAT_SRC ? "src" : "dst", s1);
					if (amax != amin)
						OUT("-%s", s2);
					if (pmin != 0 || pmax != 0) {
						OUT(":%u", pmin);
						if (pmax != pmin)
							OUT("-%u", pmax);
					}
					OUT(")");
				}
			}
			OUT(")");
			if (d[1])
				OUT(",recirc(%u)", d[1]);
			break;
		case DP_ACT_TNL_FLOOD:
			OUT("%stnl_flood:(network=%u,vni=%u)", sep, a->u32, dp_act_vni(a));
			break;
		default:
			OUT("%s%s", sep, dp_action_name(a->type));
		}
	}
#undef OUT
	return (int)used;
}

/* ---- packet rewrites -------------------------------------------------- */

static inline bool is_ipv4(const struct rte_mbuf *m, const struct rte_ether_hdr **eh)
{
	*eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	/* l2_len covers VLAN tags; the innermost type sits just before L3 */
	const uint16_t *et = rte_pktmbuf_mtod_offset(m, const uint16_t *, m->l2_len - 2);
	return m->l2_len >= 14 && *et == htons(RTE_ETHER_TYPE_IPV4) &&
	       m->data_len >= m->l2_len + sizeof(struct rte_ipv4_hdr);
}

/* Pointer to the L4 checksum field of an IPv4 packet, NULL if none/unused. */
static uint16_t *l4_csum(struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	if (ip->fragment_offset & htons(RTE_IPV4_HDR_OFFSET_MASK))
		return NULL;
	uint32_t off = m->l2_len + m->l3_len;
	if (ip->next_proto_id == IPPROTO_TCP && m->data_len >= off + sizeof(struct rte_tcp_hdr))
		return rte_pktmbuf_mtod_offset(m, uint16_t *, off + offsetof(struct rte_tcp_hdr, cksum));
	if (ip->next_proto_id == IPPROTO_UDP && m->data_len >= off + sizeof(struct rte_udp_hdr)) {
		uint16_t *c = rte_pktmbuf_mtod_offset(m, uint16_t *,
						      off + offsetof(struct rte_udp_hdr, dgram_cksum));
		return *c ? c : NULL; /* 0: no checksum */
	}
	return NULL;
}

static void set_ipv4_addr(struct rte_mbuf *m, bool src, uint32_t addr)
{
	const struct rte_ether_hdr *eh;
	if (!is_ipv4(m, &eh))
		return;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	/* IPv4 sits 2-byte aligned after Ethernet: copy, never dereference */
	uint8_t *field = (uint8_t *)ip + (src ? offsetof(struct rte_ipv4_hdr, src_addr)
					      : offsetof(struct rte_ipv4_hdr, dst_addr));
	uint32_t old;
	memcpy(&old, field, 4);
	uint16_t *l4 = l4_csum(m, ip);
	memcpy(field, &addr, 4);
	ip->hdr_checksum = htons(dp_csum_update32(ntohs(ip->hdr_checksum), ntohl(old), ntohl(addr)));
	if (l4) {
		uint16_t c = htons(dp_csum_update32(ntohs(*l4), ntohl(old), ntohl(addr)));
		*l4 = (ip->next_proto_id == IPPROTO_UDP && c == 0) ? 0xffff : c;
	}
}

static void set_tp(struct rte_mbuf *m, bool src, uint16_t port_net)
{
	const struct rte_ether_hdr *eh;
	if (!is_ipv4(m, &eh))
		return;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP)
		return;
	if (ip->fragment_offset & htons(RTE_IPV4_HDR_OFFSET_MASK))
		return; /* later fragment: no L4 header here */
	uint32_t off = m->l2_len + m->l3_len;
	if (m->data_len < off + 8)
		return;
	uint16_t *ports = rte_pktmbuf_mtod_offset(m, uint16_t *, off);
	uint16_t *field = src ? &ports[0] : &ports[1];
	uint16_t old = *field;
	uint16_t *l4 = l4_csum(m, ip);
	*field = port_net;
	if (l4) {
		uint16_t c = htons(dp_csum_update16(ntohs(*l4), ntohs(old), ntohs(port_net)));
		*l4 = (ip->next_proto_id == IPPROTO_UDP && c == 0) ? 0xffff : c;
	}
}

/* Returns false when the TTL ran out (caller punts the packet). */
static bool dec_ttl(struct rte_mbuf *m)
{
	const uint16_t *et = rte_pktmbuf_mtod_offset(m, const uint16_t *, m->l2_len - 2);
	if (*et == htons(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
		if (ip->time_to_live <= 1)
			return false;
		/* the TTL/protocol word before and after, in registers: reading
		 * it back after the byte store would stall on store forwarding */
		uint16_t old = (uint16_t)(ip->time_to_live << 8 | ip->next_proto_id);
		ip->time_to_live--;
		ip->hdr_checksum = htons(dp_csum_update16(ntohs(ip->hdr_checksum), old,
							  (uint16_t)(old - 0x100)));
	} else if (*et == htons(RTE_ETHER_TYPE_IPV6)) {
		struct rte_ipv6_hdr *ip6 =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
		if (ip6->hop_limits <= 1)
			return false;
		ip6->hop_limits--;
	}
	return true;
}

static void push_vlan(struct rte_mbuf *m, uint16_t tci)
{
	struct rte_ether_hdr *oh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_hdr *nh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, 4);
	if (nh == NULL)
		return;
	memmove(nh, oh, 2 * RTE_ETHER_ADDR_LEN);
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(nh + 1);
	/* the old type already sits after the tag (offset 16): leave it */
	nh->ether_type = htons(RTE_ETHER_TYPE_VLAN);
	vh->vlan_tci = htons(tci & 0xefff);
	m->l2_len += 4;
}

static void pop_vlan(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (m->data_len < 18 || (eh->ether_type != htons(RTE_ETHER_TYPE_VLAN) &&
				 eh->ether_type != htons(RTE_ETHER_TYPE_QINQ)))
		return;
	memmove((uint8_t *)eh + 4, eh, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, 4);
	m->l2_len -= 4;
}

/* ARP request -> reply from mac, in place.  false (packet untouched) when
 * the ARP header is not in the first segment. */
bool dp_act_arp_reply(struct rte_mbuf *m, const uint8_t *mac)
{
	if (m->data_len < m->l2_len + sizeof(struct rte_arp_hdr))
		return false;
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, m->l2_len);
	uint8_t spa[4], tpa[4];
	memcpy(&eh->dst_addr, &eh->src_addr, 6);
	memcpy(&eh->src_addr, mac, 6);
	ah->arp_opcode = htons(RTE_ARP_OP_REPLY);
	memcpy(spa, &ah->arp_data.arp_sip, 4);
	memcpy(tpa, &ah->arp_data.arp_tip, 4);
	memcpy(&ah->arp_data.arp_tha, &ah->arp_data.arp_sha, 6);
	memcpy(&ah->arp_data.arp_sha, mac, 6);
	memcpy(&ah->arp_data.arp_sip, tpa, 4);
	memcpy(&ah->arp_data.arp_tip, spa, 4);
	return true;
}

/* ICMPv6 neighbor solicitation -> advertisement from mac, in place: the
 * message is rebuilt right after the IPv6 header (extension headers go) as
 * NA {R if router, S unless DAD, O} + target link-layer address option.
 * Everything that can fail is checked before the first byte changes: false
 * (packet untouched, the caller drops it) for a multi-segment mbuf, a short
 * one, or one without the tailroom the answer needs. */
bool dp_act_nd_advert(struct rte_mbuf *m, const uint8_t *mac, uint32_t flags)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t unspec[16];
	if (rte_pktmbuf_pkt_len(m) != m->data_len || m->nb_segs != 1 ||
	    m->data_len < m->l2_len + m->l3_len + 24u)
		return false;
	uint32_t want = m->l2_len + (uint32_t)sizeof(struct rte_ipv6_hdr) + 32u;
	if (m->data_len < want && rte_pktmbuf_tailroom(m) < want - m->data_len)
		return false;
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	uint8_t *icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len + m->l3_len);
	uint8_t *dst = (uint8_t *)(ip6 + 1);
	uint8_t target[16];
	memcpy(target, icmp + 8, 16);
	bool dad = memcmp(ip6->src_addr, unspec, 16) == 0;
	/* eth: back to the sender (all-nodes multicast for DAD) */
	memcpy(&eh->dst_addr, &eh->src_addr, 6);
	if (dad) {
		static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
		memcpy(&eh->dst_addr, mc, 6);
	}
	memcpy(&eh->src_addr, mac, 6);
	memcpy(ip6->dst_addr, dad ? all_nodes : ip6->src_addr, 16);
	memcpy(ip6->src_addr, target, 16);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	ip6->payload_len = htons(32);
	if (m->data_len < want) {
		if (rte_pktmbuf_append(m, (uint16_t)(want - m->data_len)) == NULL)
			return false; /* not reached: tailroom checked above */
	} else if (m->data_len > want) {
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - want));
	}
	m->l3_len = sizeof(*ip6);
	dst[0] = 136;
	dst[1] = 0;
	dst[2] = dst[3] = 0;
	dst[4] = (uint8_t)(((flags & 1) ? 0x80 : 0) | (dad ? 0 : 0x40) | 0x20);
	dst[5] = dst[6] = dst[7] = 0;
	memcpy(dst + 8, target, 16);
	dst[24] = 2;   /* target link-layer address */
	dst[25] = 1;
	memcpy(dst + 26, mac, 6);
	uint16_t *ck = (uint16_t *)(void *)(dst + 2);
	*ck = 0;
	*ck = rte_ipv6_udptcp_cksum(ip6, dst);
	return true;
}

/* ---- consuming actions ------------------------------------------------ */

static void count_drop(struct dp_pmd *pmd, unsigned reason, unsigned n)
{
	pmd->st.drops[reason < DP_DROP__MAX ? reason : DP_DROP_POLICY] += n;
}

static void drop_pkts(struct dp_pmd *pmd, unsigned reason, struct rte_mbuf **pkts, unsigned n)
{
	count_drop(pmd, reason, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

static void tx_enqueue(struct dp_pmd *pmd, uint16_t port, struct rte_mbuf **pkts, unsigned n)
{
	struct dp *dp = pmd->dp;
	if (unlikely(port >= DP_MAX_PORTS || !dp->ports[port].active)) {
		drop_pkts(pmd, DP_DROP_PORT_GONE, pkts, n);
		return;
	}
	struct dp_txbuf *tb = &pmd->tx[port];
	if (tb->n == 0)
		pmd->tx_dirty[pmd->n_tx_dirty++] = port;
	while (n > 0) {
		unsigned room = DP_TXBUF - tb->n;
		if (room == 0) {
			dp_pmd_flush_tx(pmd);
			pmd->tx_dirty[pmd->n_tx_dirty++] = port;
			room = DP_TXBUF;
		}
		unsigned k = n < room ? n : room;
		memcpy(&tb->pkts[tb->n], pkts, k * sizeof(*pkts));
		tb->n = (uint16_t)(tb->n + k);
		pkts += k;
		n -= k;
	}
}

static bool punt_allowed(struct dp_pmd *pmd, uint16_t port)
{
	const struct dp_config *c = &pmd->dp->cfg;
	return dp_tb_take(&pmd->punt_tb[port < DP_MAX_PORTS ? port : 0], c->punt_rate_pps,
			  c->punt_burst, rte_rdtsc(), rte_get_tsc_hz());
}

static void punt_pkts(struct dp_pmd *pmd, unsigned reason, struct rte_mbuf **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (!punt_allowed(pmd, m->port)) {
			drop_pkts(pmd, DP_DROP_PUNT_RATE, &m, 1);
			continue;
		}
		m->hash.usr = reason;
		if (rte_ring_mp_enqueue(pmd->dp->punt_ring, m) != 0) {
			drop_pkts(pmd, DP_DROP_PUNT_FULL, &m, 1);
			continue;
		}
		pmd->st.punts[reason < DP_PUNT__MAX ? reason : 0]++;
		pmd->punted = true;
	}
}

static bool is_consuming(uint16_t type)
{
	return type == DP_ACT_OUTPUT || type == DP_ACT_FLOOD || type == DP_ACT_DROP ||
	       type == DP_ACT_PUNT || type == DP_ACT_TNL_FLOOD;
}

static bool is_rewrite(uint16_t type)
{
	return !is_consuming(type);
}

/* Copies of pkts into out: refcount bumps, or deep copies if deep. Packets
 * that fail to copy are left out (counted as nomem). Returns the count. */
static unsigned clone_group(struct dp_pmd *pmd, struct rte_mbuf **pkts, unsigned n,
			    struct rte_mbuf **out, bool deep)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!deep) {
			rte_pktmbuf_refcnt_update(pkts[i], 1);
			out[k++] = pkts[i];
			continue;
		}
		struct rte_mbuf *c = rte_pktmbuf_copy(pkts[i], pmd->dp->mp, 0, UINT32_MAX);
		if (c == NULL) {
			count_drop(pmd, DP_DROP_NOMEM, 1);
			continue;
		}
		c->port = pkts[i]->port;
		c->tx_offload = pkts[i]->tx_offload; /* l2/l3 and outer lengths */
		out[k++] = c;
	}
	return k;
}

/* Do the packets in [from, n_acts) still get consumed by someone? */
static int last_consumer(const struct dp_action *acts, unsigned n_acts)
{
	int last = -1;
	for (unsigned i = 0; i < n_acts; i++)
		if (is_consuming(acts[i].type))
			last = (int)i;
	return last;
}

static bool rewrite_after(const struct dp_action *acts, unsigned from, unsigned n_acts)
{
	for (unsigned i = from; i < n_acts; i++)
		if (is_rewrite(acts[i].type))
			return true;
	return false;
}

/* Encapsulate pkts in place toward one VTEP; the ones that fail are dropped
 * (counted) and left out. Returns how many remain. */
static unsigned tnl_push_group(struct dp_pmd *pmd, const struct dp_overlay_cfg *ov,
			       struct rte_mbuf **pkts, unsigned n, uint32_t ip,
			       const uint8_t *mac, uint8_t encap, uint32_t vni)
{
	unsigned k = 0;
	for (unsigned j = 0; j < n; j++) {
		unsigned r = ov ? dp_tnl_push(ov, pkts[j], ip, mac, encap, vni)
				: DP_DROP_NO_OVERLAY;
		if (likely(r == DP_DROP_NONE))
			pkts[k++] = pkts[j];
		else
			drop_pkts(pmd, r, &pkts[j], 1);
	}
	return k;
}

/* Head-end replication: a copy of every packet to each remote VTEP of the
 * network, read live from the tables (the megaflow depends on the network,
 * whose flood list changes re-translate it; neighbors may resolve later). */
static void tnl_flood(struct dp_pmd *pmd, const struct dp_action *a, struct rte_mbuf **pkts,
		      unsigned n)
{
	const struct dp_tables *t = pmd->dp->tables;
	const struct dp_overlay_cfg *ov = dp_overlay_get(t);
	const struct dp_network *net = dp_table_network_get(t, a->u32);
	if (ov == NULL || net == NULL)
		return;
	struct rte_mbuf *tmp[DP_BURST];
	for (unsigned i = 0; i < net->cfg.n_flood_vteps; i++) {
		const struct dp_vtep *v = dp_vtep_get(t, net->cfg.flood_vteps[i]);
		if (v == NULL || !v->resolved) {
			count_drop(pmd, DP_DROP_VTEP_UNRESOLVED, n);
			continue;
		}
		unsigned k = clone_group(pmd, pkts, n, tmp, true);
		k = tnl_push_group(pmd, ov, tmp, k, v->ip, v->mac.addr_bytes, dp_vtep_encap(ov, v),
				   dp_act_vni(a));
		if (k)
			tx_enqueue(pmd, ov->uplink, tmp, k);
	}
}

static void consume(struct dp_pmd *pmd, const struct dp_action *a, const uint16_t *flood_ports,
		    struct rte_mbuf **pkts, unsigned n, bool last, bool deep)
{
	struct rte_mbuf *tmp[DP_BURST];
	if (a->type == DP_ACT_DROP) {
		if (last)
			drop_pkts(pmd, a->u32, pkts, n);
		return;
	}
	if (a->type == DP_ACT_TNL_FLOOD) {
		tnl_flood(pmd, a, pkts, n);
		if (last)
			rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	if (a->type == DP_ACT_OUTPUT || a->type == DP_ACT_PUNT) {
		struct rte_mbuf **use = pkts;
		unsigned k = n;
		if (!last)
			k = clone_group(pmd, pkts, n, use = tmp, deep);
		if (a->type == DP_ACT_OUTPUT)
			tx_enqueue(pmd, a->port, use, k);
		else
			punt_pkts(pmd, a->u32, use, k);
		return;
	}
	/* flood: every port but the last gets a copy */
	for (unsigned j = 0; j < a->port; j++) {
		uint16_t port = flood_ports[a->u32 + j];
		bool final = last && j + 1 == a->port;
		if (final) {
			tx_enqueue(pmd, port, pkts, n);
		} else {
			unsigned k = clone_group(pmd, pkts, n, tmp, deep);
			tx_enqueue(pmd, port, tmp, k);
		}
	}
}

void dp_actions_execute(struct dp_pmd *pmd, const struct dp_action *acts, unsigned n_acts,
			const uint16_t *flood_ports, struct rte_mbuf **pkts, unsigned n)
{
	int last = last_consumer(acts, n_acts);
	if (unlikely(last < 0)) {
		drop_pkts(pmd, DP_DROP_POLICY, pkts, n);
		return;
	}
	for (unsigned i = 0; i <= (unsigned)last && n > 0; i++) {
		const struct dp_action *a = &acts[i];
		switch (a->type) {
		case DP_ACT_OUTPUT:
		case DP_ACT_FLOOD:
		case DP_ACT_DROP:
		case DP_ACT_PUNT:
		case DP_ACT_TNL_FLOOD:
			consume(pmd, a, flood_ports, pkts, n, i == (unsigned)last,
				rewrite_after(acts, i + 1, n_acts));
			break;
		case DP_ACT_SET_ETH_SRC:
		case DP_ACT_SET_ETH_DST:
			for (unsigned j = 0; j < n; j++) {
				struct rte_ether_hdr *eh =
					rte_pktmbuf_mtod(pkts[j], struct rte_ether_hdr *);
				memcpy(a->type == DP_ACT_SET_ETH_SRC ? &eh->src_addr
								     : &eh->dst_addr,
				       a->data, 6);
			}
			break;
		case DP_ACT_SET_IPV4_SRC:
		case DP_ACT_SET_IPV4_DST:
			for (unsigned j = 0; j < n; j++)
				set_ipv4_addr(pkts[j], a->type == DP_ACT_SET_IPV4_SRC, a->u32);
			break;
		case DP_ACT_SET_TP_SRC:
		case DP_ACT_SET_TP_DST:
			for (unsigned j = 0; j < n; j++)
				set_tp(pkts[j], a->type == DP_ACT_SET_TP_SRC, a->port);
			break;
		case DP_ACT_DEC_TTL: {
			unsigned k = 0;
			for (unsigned j = 0; j < n; j++) {
				if (dec_ttl(pkts[j]))
					pkts[k++] = pkts[j];
				else
					punt_pkts(pmd, DP_PUNT_TTL, &pkts[j], 1);
			}
			n = k;
			break;
		}
		case DP_ACT_PUSH_VLAN:
			for (unsigned j = 0; j < n; j++)
				push_vlan(pkts[j], a->port);
			break;
		case DP_ACT_POP_VLAN:
			for (unsigned j = 0; j < n; j++)
				pop_vlan(pkts[j]);
			break;
		case DP_ACT_ARP_REPLY:
		case DP_ACT_ND_ADVERT: {
			/* an answer that cannot be built is dropped, never sent
			 * back as the (half-rewritten) request */
			unsigned k = 0;
			for (unsigned j = 0; j < n; j++) {
				bool ok = a->type == DP_ACT_ARP_REPLY
						  ? dp_act_arp_reply(pkts[j], a->data)
						  : dp_act_nd_advert(pkts[j], a->data, a->u32);
				if (likely(ok))
					pkts[k++] = pkts[j];
				else
					drop_pkts(pmd, DP_DROP_ANSWER_FAILED, &pkts[j], 1);
			}
			n = k;
			break;
		}
		case DP_ACT_TNL_PUSH:
			n = tnl_push_group(pmd, dp_overlay_get(pmd->dp->tables), pkts, n, a->u32,
					   a->data, a->data[6], dp_act_vni(a));
			break;
		case DP_ACT_TNL_POP:
			for (unsigned j = 0; j < n; j++)
				dp_tnl_pop(pkts[j]);
			break;
		case DP_ACT_CT:
		case DP_ACT_CT_LABEL:
		case DP_ACT_CT_NAT:
			/* the PMD runs ct() itself (it holds the keys) and
			 * hands over the rest; reaching one here means a list
			 * was run without it: never let such packets through */
			drop_pkts(pmd, DP_DROP_POLICY, pkts, n);
			return;
		default:
			break;
		}
	}
}
