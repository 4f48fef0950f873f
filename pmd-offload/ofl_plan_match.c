/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_plan_match.c — a megaflow's mask + masked key as an
 * rte_flow pattern: ETH [VLAN [VLAN]] [IPV4|IPV6 [UDP|TCP|ICMP|ICMP6]].
 *
 * Only masked fields are set (spec = masked key, mask = megaflow mask), so
 * the rule matches what the megaflow matches and nothing more.  A field the
 * pattern cannot express makes the whole megaflow SOFTWARE (with the reason).
 * Metadata: in_port is the port the rule is attached to; registers, ct_* and
 * recirc_id are zero in every freshly parsed key, so a mask on them with a
 * zero value matches every packet and is dropped, a non-zero value is not
 * expressible.  Tunnel metadata is only set on the uplink, whose keys are
 * the inner headers: a megaflow there that reads it stays in software.
 * Thread: any.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "ofl_plan.h"

static int nz(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 1;
	return 0;
}
#define MASKED(f) nz(&mask->f, sizeof(mask->f))

static union ofl_item_buf *item_add(struct ofl_rule *r, enum rte_flow_item_type t,
				    union ofl_item_buf **m)
{
	unsigned i = r->n_items++;
	memset(&r->pattern[i], 0, sizeof(r->pattern[i]));
	memset(&r->spec[i], 0, sizeof(r->spec[i]));
	memset(&r->imask[i], 0, sizeof(r->imask[i]));
	r->pattern[i].type = t;
	r->pattern[i].spec = &r->spec[i];
	r->pattern[i].mask = &r->imask[i];
	*m = &r->imask[i];
	return &r->spec[i];
}

#define FAIL(...) do { snprintf(w, wl, __VA_ARGS__); return -EOPNOTSUPP; } while (0)

int ofl_plan_pattern(struct ofl_rule *r, const struct ofl_plan_ctx *ctx, char *w, size_t wl)
{
	const struct dp_flow_key *mask = &r->mask, *key = &r->key;
	union ofl_item_buf *s, *m;
	uint32_t caps = ctx->caps;
	int uplink = ctx->ovl && ctx->ovl->uplink == ctx->dp_port;

	r->n_items = 0;
	if (mask->in_port && key->in_port != ctx->dp_port)
		FAIL("megaflow of another port");
	if ((MASKED(recirc_id) && key->recirc_id) || (MASKED(ct_state) && key->ct_state) ||
	    (MASKED(ct_zone) && key->ct_zone))
		FAIL("match on recirculation/conntrack state");
	if ((MASKED(reg_src_lport) && key->reg_src_lport) ||
	    (MASKED(reg_dst_lport) && key->reg_dst_lport) ||
	    (MASKED(reg_network) && key->reg_network) || (MASKED(reg_router) && key->reg_router))
		FAIL("match on logical registers");
	if ((MASKED(tun_vni) || MASKED(tun_src) || MASKED(tun_dst)) &&
	    (uplink || key->tun_vni || key->tun_src || key->tun_dst))
		FAIL("match on tunnel metadata");
	if (MASKED(arp_op) || MASKED(arp_sha) || MASKED(arp_tha) || MASKED(nd_ll) ||
	    MASKED(pad1))
		FAIL("match on ARP/ND fields");
	if (MASKED(tcp_flags) && (ntohs(mask->tcp_flags) & 0xf00))
		FAIL("match on TCP flags above the low 8");

	uint16_t et_mask = mask->eth_type, et = key->eth_type;
	int is4 = et_mask == 0xffff && et == htons(RTE_ETHER_TYPE_IPV4);
	int is6 = et_mask == 0xffff && et == htons(RTE_ETHER_TYPE_IPV6);
	int l3 = MASKED(ip_proto) || MASKED(ip_tos) || MASKED(ip_ttl) || MASKED(ip_src) ||
		 MASKED(ip_dst) || MASKED(ipv6_label) || MASKED(ip_frag);
	int l4 = MASKED(tp_src) || MASKED(tp_dst) || MASKED(tcp_flags);
	if ((l3 || l4) && !is4 && !is6)
		FAIL("L3 match without an IPv4/IPv6 ethertype");
	if (!(caps & OFL_CAP_MATCH_L2))
		FAIL("port refuses Ethernet match");
	if (l3 && !(caps & OFL_CAP_MATCH_L3))
		FAIL("port refuses IP match");
	if (l4 && !(caps & OFL_CAP_MATCH_L4))
		FAIL("port refuses L4 match");

	/* ETH */
	s = item_add(r, RTE_FLOW_ITEM_TYPE_ETH, &m);
	memcpy(&s->eth.hdr.dst_addr, key->eth_dst, 6);
	memcpy(&m->eth.hdr.dst_addr, mask->eth_dst, 6);
	memcpy(&s->eth.hdr.src_addr, key->eth_src, 6);
	memcpy(&m->eth.hdr.src_addr, mask->eth_src, 6);
	union ofl_item_buf *eth_s = s, *eth_m = m;
	uint16_t tci_m = mask->vlan_tci, in_m = mask->vlan_inner_tci;
	if (tci_m & DP_VLAN_PRESENT) {
		eth_m->eth.has_vlan = 1;
		eth_s->eth.has_vlan = (key->vlan_tci & DP_VLAN_PRESENT) != 0;
	} else if (tci_m || in_m) {
		FAIL("VLAN match without the tag-present bit");
	}
	if (key->vlan_tci & DP_VLAN_PRESENT) {
		union ofl_item_buf *vs = item_add(r, RTE_FLOW_ITEM_TYPE_VLAN, &m), *vm = m;
		vs->vlan.hdr.vlan_tci = rte_cpu_to_be_16(key->vlan_tci & ~DP_VLAN_PRESENT);
		vm->vlan.hdr.vlan_tci = rte_cpu_to_be_16(tci_m & ~DP_VLAN_PRESENT);
		if (in_m & DP_VLAN_PRESENT) {
			vm->vlan.has_more_vlan = 1;
			vs->vlan.has_more_vlan = (key->vlan_inner_tci & DP_VLAN_PRESENT) != 0;
		}
		if (key->vlan_inner_tci & DP_VLAN_PRESENT) {
			union ofl_item_buf *is = item_add(r, RTE_FLOW_ITEM_TYPE_VLAN, &m);
			is->vlan.hdr.vlan_tci =
				rte_cpu_to_be_16(key->vlan_inner_tci & ~DP_VLAN_PRESENT);
			m->vlan.hdr.vlan_tci = rte_cpu_to_be_16(in_m & ~DP_VLAN_PRESENT);
			is->vlan.hdr.eth_proto = et;
			m->vlan.hdr.eth_proto = et_mask;
		} else {
			vs->vlan.hdr.eth_proto = et;
			vm->vlan.hdr.eth_proto = et_mask;
		}
	} else {
		eth_s->eth.hdr.ether_type = et;
		eth_m->eth.hdr.ether_type = et_mask;
	}

	if (is4 && (l3 || l4)) {
		s = item_add(r, RTE_FLOW_ITEM_TYPE_IPV4, &m);
		memcpy(&s->ipv4.hdr.src_addr, key->ip_src, 4);
		memcpy(&m->ipv4.hdr.src_addr, mask->ip_src, 4);
		memcpy(&s->ipv4.hdr.dst_addr, key->ip_dst, 4);
		memcpy(&m->ipv4.hdr.dst_addr, mask->ip_dst, 4);
		if (nz(mask->ip_src + 4, 12) || nz(mask->ip_dst + 4, 12))
			FAIL("IPv4 match beyond 4 address bytes");
		s->ipv4.hdr.next_proto_id = key->ip_proto;
		m->ipv4.hdr.next_proto_id = mask->ip_proto;
		s->ipv4.hdr.type_of_service = key->ip_tos;
		m->ipv4.hdr.type_of_service = mask->ip_tos;
		s->ipv4.hdr.time_to_live = key->ip_ttl;
		m->ipv4.hdr.time_to_live = mask->ip_ttl;
		if (mask->ip_frag) {
			/* "not a fragment": MF clear and offset 0; a fragment
			 * (any offset) is a range rte_flow cannot say in one rule */
			if (key->ip_frag & DP_FRAG_ANY)
				FAIL("match on IPv4 fragments");
			s->ipv4.hdr.fragment_offset = 0;
			m->ipv4.hdr.fragment_offset =
				rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK);
		}
	} else if (is6 && (l3 || l4)) {
		s = item_add(r, RTE_FLOW_ITEM_TYPE_IPV6, &m);
		memcpy(s->ipv6.hdr.src_addr, key->ip_src, 16);
		memcpy(m->ipv6.hdr.src_addr, mask->ip_src, 16);
		memcpy(s->ipv6.hdr.dst_addr, key->ip_dst, 16);
		memcpy(m->ipv6.hdr.dst_addr, mask->ip_dst, 16);
		s->ipv6.hdr.proto = key->ip_proto;
		m->ipv6.hdr.proto = mask->ip_proto;
		s->ipv6.hdr.hop_limits = key->ip_ttl;
		m->ipv6.hdr.hop_limits = mask->ip_ttl;
		uint32_t flow = ((uint32_t)key->ip_tos << 20) |
				(ntohl(key->ipv6_label) & 0xfffff);
		uint32_t flowm = ((uint32_t)mask->ip_tos << 20) |
				 (ntohl(mask->ipv6_label) & 0xfffff);
		s->ipv6.hdr.vtc_flow = rte_cpu_to_be_32(flow);
		m->ipv6.hdr.vtc_flow = rte_cpu_to_be_32(flowm);
		if (mask->ip_frag) {
			if (key->ip_frag & DP_FRAG_ANY)
				FAIL("match on IPv6 fragments");
			m->ipv6.has_frag_ext = 1;
			s->ipv6.has_frag_ext = 0;
		}
	}

	if (l4) {
		uint8_t proto = key->ip_proto;
		if (mask->ip_proto != 0xff)
			FAIL("L4 match without an IP protocol");
		if (proto == IPPROTO_UDP) {
			s = item_add(r, RTE_FLOW_ITEM_TYPE_UDP, &m);
			s->udp.hdr.src_port = key->tp_src;
			m->udp.hdr.src_port = mask->tp_src;
			s->udp.hdr.dst_port = key->tp_dst;
			m->udp.hdr.dst_port = mask->tp_dst;
		} else if (proto == IPPROTO_TCP) {
			s = item_add(r, RTE_FLOW_ITEM_TYPE_TCP, &m);
			s->tcp.hdr.src_port = key->tp_src;
			m->tcp.hdr.src_port = mask->tp_src;
			s->tcp.hdr.dst_port = key->tp_dst;
			m->tcp.hdr.dst_port = mask->tp_dst;
			s->tcp.hdr.tcp_flags = (uint8_t)ntohs(key->tcp_flags);
			m->tcp.hdr.tcp_flags = (uint8_t)ntohs(mask->tcp_flags);
		} else if (proto == IPPROTO_ICMP && is4) {
			s = item_add(r, RTE_FLOW_ITEM_TYPE_ICMP, &m);
			s->icmp.hdr.icmp_type = (uint8_t)ntohs(key->tp_src);
			m->icmp.hdr.icmp_type = (uint8_t)ntohs(mask->tp_src);
			s->icmp.hdr.icmp_code = (uint8_t)ntohs(key->tp_dst);
			m->icmp.hdr.icmp_code = (uint8_t)ntohs(mask->tp_dst);
		} else if (proto == IPPROTO_ICMPV6 && is6) {
			s = item_add(r, RTE_FLOW_ITEM_TYPE_ICMP6, &m);
			s->icmp6.type = (uint8_t)ntohs(key->tp_src);
			m->icmp6.type = (uint8_t)ntohs(mask->tp_src);
			s->icmp6.code = (uint8_t)ntohs(key->tp_dst);
			m->icmp6.code = (uint8_t)ntohs(mask->tp_dst);
		} else {
			FAIL("L4 match on IP protocol %u", proto);
		}
	}
	if (r->n_items > OFL_MAX_ITEMS)
		FAIL("pattern too long");
	memset(&r->pattern[r->n_items], 0, sizeof(r->pattern[0]));
	r->pattern[r->n_items].type = RTE_FLOW_ITEM_TYPE_END;
	return 0;
}
