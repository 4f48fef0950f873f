/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_port_sec.c — port security (anti-spoofing) of the source logical port.
 *
 * A port with port security on may send only:
 *  - frames whose source MAC is one of its MACs (or an allowed pair's MAC);
 *  - IPv4/IPv6 whose source IP is a fixed IP (with a port MAC) or inside an
 *    allowed address pair's prefix (with that pair's MAC), or the port's
 *    EUI-64 link-local address; DHCPv4 client traffic from 0.0.0.0 (UDP
 *    68->67); ICMPv6 from :: (DAD, MLD);
 *  - ARP whose sender MAC/IP are its own (sender IP 0.0.0.0: ARP probe);
 *  - ND whose link-layer option is its MAC and, in an advertisement, whose
 *    target is its own address;
 *  - untagged frames;
 *  - no DHCP server replies (IPv4 UDP 67->68) unless the port is a DHCP
 *    server (dhcp_server: device_owner network:dhcp).
 * Everything it reads goes into the megaflow mask; fields are read only on
 * the branches that need them, so e.g. IPv4 UDP megaflows do not match on
 * L4 ports.
 */
#include <string.h>
#include <arpa/inet.h>
#include <rte_ether.h>

#include "drop.h"
#include "tables_l3.h"
#include "translate.h"

#define ETH_IPV4 0x0800
#define ETH_ARP  0x0806
#define ETH_IPV6 0x86dd

static bool mac_eq(const struct rte_ether_addr *a, const uint8_t *b)
{
	return memcmp(a->addr_bytes, b, 6) == 0;
}

static bool own_mac(const struct dp_lport_cfg *c, const uint8_t *mac)
{
	for (unsigned i = 0; i < c->n_macs; i++)
		if (mac_eq(&c->macs[i], mac))
			return true;
	return false;
}

static bool mac_allowed(const struct dp_lport_cfg *c, const uint8_t *mac)
{
	if (own_mac(c, mac))
		return true;
	for (unsigned i = 0; i < c->n_aaps; i++)
		if (!rte_is_zero_ether_addr(&c->aaps[i].mac) && mac_eq(&c->aaps[i].mac, mac))
			return true;
	return false;
}

/* Is (mac, ip) a pair this port may use as a source? */
static bool ip_allowed(const struct dp_lport_cfg *c, const uint8_t *mac, uint8_t fam,
		       const uint8_t *ip)
{
	if (own_mac(c, mac)) {
		for (unsigned i = 0; i < c->n_ips; i++)
			if (dp_ip_in_prefix(&c->ips[i], fam, ip))
				return true;
	}
	for (unsigned i = 0; i < c->n_aaps; i++) {
		const struct dp_aap *a = &c->aaps[i];
		bool m = rte_is_zero_ether_addr(&a->mac) ? own_mac(c, mac) : mac_eq(&a->mac, mac);
		if (m && dp_ip_in_prefix(&a->ip, fam, ip))
			return true;
	}
	return false;
}

/* Is the 16-bit network-order field equal to value (host order)?  Marks one
 * differing bit when not (the highest: any one proves it, and one bit keeps
 * the megaflow widest), all 16 bits when equal. */
static bool mark_eq16(struct dp_xlate *x, uint16_t *mask, uint16_t field, uint16_t value)
{
	(void)x;
	uint16_t diff = (uint16_t)(ntohs(field) ^ value);
	if (diff == 0) {
		*mask = 0xffff;
		return true;
	}
	*mask |= htons((uint16_t)(0x8000u >> (__builtin_clz((unsigned)diff) - 16)));
	return false;
}

/* fe80::/64 with the modified EUI-64 of mac */
static bool is_eui64_ll(const uint8_t *mac, const uint8_t *ip)
{
	uint8_t ll[16];
	dp_l3_eui64_ll(ll, mac);
	return memcmp(ip, ll, 16) == 0;
}

static enum dp_xl_verdict check_ipv4(struct dp_xlate *x, const struct dp_lport_cfg *c,
				     const uint8_t *smac)
{
	const uint8_t *src = DP_XL_READ_IP4(x, ip_src);
	static const uint8_t zero[4];
	if (memcmp(src, zero, 4) == 0) {
		/* Only a DHCP client may speak before it has an address. */
		uint8_t proto = DP_XL_READ(x, ip_proto);
		uint16_t sp = ntohs(DP_XL_READ(x, tp_src)), dpt = ntohs(DP_XL_READ(x, tp_dst));
		if (proto == 17 && sp == 68 && dpt == 67) {
			dp_xl_log(x, "DHCP client from 0.0.0.0: allowed");
			return DP_XL_NEXT;
		}
		dp_xl_log(x, "IPv4 from 0.0.0.0 that is not DHCP");
		return dp_xl_drop(x, DP_DROP_PSEC_IP);
	}
	if (!ip_allowed(c, smac, 4, src)) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, src, a, sizeof(a));
		dp_xl_log(x, "source IP %s not allowed for this MAC", a);
		return dp_xl_drop(x, DP_DROP_PSEC_IP);
	}
	/* DHCP server replies (UDP 67->68) only from DHCP server ports.  The
	 * ports are tested first, each by one bit that proves "not 67"/"not
	 * 68", so ordinary flows match neither ip_proto nor a port. */
	if (!c->dhcp_server && mark_eq16(x, &x->out->mask.tp_src, x->pkt->tp_src, 67) &&
	    mark_eq16(x, &x->out->mask.tp_dst, x->pkt->tp_dst, 68) &&
	    DP_XL_READ(x, ip_proto) == 17) {
		dp_xl_log(x, "DHCP server reply from a port that is not a DHCP server");
		return dp_xl_drop(x, DP_DROP_PSEC_DHCP_SERVER);
	}
	return DP_XL_NEXT;
}

static enum dp_xl_verdict check_arp(struct dp_xlate *x, const struct dp_lport_cfg *c)
{
	const uint8_t *sha = DP_XL_READ(x, arp_sha);
	const uint8_t *spa = DP_XL_READ_IP4(x, ip_src);
	static const uint8_t zero[4];
	if (!mac_allowed(c, sha)) {
		dp_xl_log(x, "ARP sender MAC not the port's");
		return dp_xl_drop(x, DP_DROP_PSEC_ARP);
	}
	if (memcmp(spa, zero, 4) != 0 && !ip_allowed(c, sha, 4, spa)) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, spa, a, sizeof(a));
		dp_xl_log(x, "ARP sender IP %s not the port's", a);
		return dp_xl_drop(x, DP_DROP_PSEC_ARP);
	}
	return DP_XL_NEXT;
}

static enum dp_xl_verdict check_ipv6(struct dp_xlate *x, const struct dp_lport_cfg *c,
				     const uint8_t *smac)
{
	static const uint8_t unspec[16];
	const uint8_t *src = DP_XL_READ(x, ip_src);
	uint8_t proto = DP_XL_READ(x, ip_proto);
	if (memcmp(src, unspec, 16) == 0) {
		if (proto != 58) {
			dp_xl_log(x, "IPv6 from :: that is not ICMPv6");
			return dp_xl_drop(x, DP_DROP_PSEC_IP);
		}
	} else if (!is_eui64_ll(smac, src) && !ip_allowed(c, smac, 6, src)) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, src, a, sizeof(a));
		dp_xl_log(x, "source IP %s not allowed for this MAC", a);
		return dp_xl_drop(x, DP_DROP_PSEC_IP);
	}
	if (proto != 58)
		return DP_XL_NEXT;
	uint8_t type = (uint8_t)ntohs(DP_XL_READ(x, tp_src));
	if (type != 135 && type != 136)
		return DP_XL_NEXT;
	static const uint8_t zmac[6];
	const uint8_t *ll = DP_XL_READ(x, nd_ll);
	if (memcmp(ll, zmac, 6) != 0 && !mac_allowed(c, ll)) {
		dp_xl_log(x, "ND link-layer address not the port's");
		return dp_xl_drop(x, DP_DROP_PSEC_ND);
	}
	if (type == 136) {
		const uint8_t *tgt = DP_XL_READ(x, nd_target);
		if (!is_eui64_ll(smac, tgt) && !ip_allowed(c, smac, 6, tgt)) {
			dp_xl_log(x, "neighbor advertisement for an address not the port's");
			return dp_xl_drop(x, DP_DROP_PSEC_ND);
		}
	}
	return DP_XL_NEXT;
}

enum dp_xl_verdict dp_stage_port_sec(struct dp_xlate *x)
{
	if (x->from_uplink) { /* the sending chassis checked it */
		dp_xl_log(x, "from the uplink: checked by the sending chassis");
		return DP_XL_NEXT;
	}
	const struct dp_lport_cfg *c = &x->src->cfg;
	if (!c->port_security) {
		dp_xl_log(x, "disabled on lport %u", c->key);
		return DP_XL_NEXT;
	}
	if (DP_XL_READ(x, vlan_tci) != 0) {
		dp_xl_log(x, "VLAN-tagged frame on an access port");
		return dp_xl_drop(x, DP_DROP_VLAN_TAGGED);
	}
	const uint8_t *smac = DP_XL_READ(x, eth_src);
	if (!mac_allowed(c, smac)) {
		dp_xl_log(x, "source MAC %02x:%02x:%02x:%02x:%02x:%02x is not the port's",
			  smac[0], smac[1], smac[2], smac[3], smac[4], smac[5]);
		return dp_xl_drop(x, DP_DROP_PSEC_MAC);
	}
	enum dp_xl_verdict v = DP_XL_NEXT;
	switch (ntohs(DP_XL_READ(x, eth_type))) {
	case ETH_IPV4:
		v = check_ipv4(x, c, smac);
		break;
	case ETH_ARP:
		v = check_arp(x, c);
		break;
	case ETH_IPV6:
		v = check_ipv6(x, c, smac);
		break;
	default:
		break;
	}
	if (v == DP_XL_NEXT)
		dp_xl_log(x, "source MAC/IP allowed");
	return v;
}
