/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_port_sec.c — port security (anti-spoofing) of the source logical port.
 *
 * Every access port (lport), port security on or off:
 *  - no 802.1Q/802.1ad tagged frames (VLAN hopping; trunk ports do not
 *    exist yet).
 * A port with port security on may send only:
 *  - frames whose source MAC is one of its MACs (or an allowed pair's MAC);
 *  - IPv4/IPv6 whose source IP is a fixed IP (with a port MAC) or inside an
 *    allowed address pair's prefix (with that pair's MAC), or the port's
 *    EUI-64 link-local address; DHCPv4 client traffic from 0.0.0.0 (UDP
 *    68->67); ICMPv6 from :: (DAD, MLD);
 *  - ARP whose sender MAC/IP are its own (sender IP 0.0.0.0: ARP probe);
 *  - ND whose link-layer option is its MAC and, in an advertisement, whose
 *    target is its own address;
 *  - no DHCP server messages (IPv4 UDP 67->68, DHCPv6 547->546) unless the
 *    port is a DHCP server (dhcp_server: device_owner network:dhcp), no
 *    IPv6 router advertisements or redirects unless it is a router port
 *    (router: device_owner network:router_*), as Neutron's firewall does.
 * Packets decapsulated from a tunnel (the sending chassis ran the above for
 * its ports) are checked for what a forged or misrouted tunnel packet could
 * inject: an inner source MAC that belongs to a port which is local or lives
 * behind another VTEP, and DHCP server messages / RAs / redirects whose
 * source is not a known DHCP / router port behind the sending VTEP.
 * Everything it reads goes into the megaflow mask; fields are read only on
 * the branches that need them, and the L4 ports only through
 * dp_xl_l4_kind's fixed masks (translate.h).
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

/* fe80::/64 with the modified EUI-64 of mac */
static bool is_eui64_ll(const uint8_t *mac, const uint8_t *ip)
{
	uint8_t ll[16];
	dp_l3_eui64_ll(ll, mac);
	return memcmp(ip, ll, 16) == 0;
}

/* DHCP server messages, RAs and redirects only from the ports whose
 * device_owner says they are a DHCP server / a router. */
static enum dp_xl_verdict service_check(struct dp_xlate *x, const struct dp_lport_cfg *c,
					enum dp_xl_l4 l4)
{
	switch (l4) {
	case DP_L4_DHCP4_SERVER:
	case DP_L4_DHCP6_SERVER:
		if (c != NULL && c->dhcp_server)
			return DP_XL_NEXT;
		dp_xl_log(x, "DHCP%s server message from a port that is not a DHCP server",
			  l4 == DP_L4_DHCP6_SERVER ? "v6" : "");
		return dp_xl_drop(x, DP_DROP_PSEC_DHCP_SERVER);
	case DP_L4_ICMP6_RA:
	case DP_L4_ICMP6_REDIRECT:
		if (c != NULL && c->router)
			return DP_XL_NEXT;
		dp_xl_log(x, "router %s from a port that is not a router",
			  l4 == DP_L4_ICMP6_RA ? "advertisement" : "redirect");
		return dp_xl_drop(x, l4 == DP_L4_ICMP6_RA ? DP_DROP_PSEC_RA : DP_DROP_PSEC_REDIRECT);
	default:
		return DP_XL_NEXT;
	}
}

static enum dp_xl_verdict check_ipv4(struct dp_xlate *x, const struct dp_lport_cfg *c,
				     const uint8_t *smac)
{
	const uint8_t *src = DP_XL_READ_IP4(x, ip_src);
	static const uint8_t zero[4];
	enum dp_xl_l4 l4 = dp_xl_l4_kind(x, htons(ETH_IPV4));
	if (memcmp(src, zero, 4) == 0) {
		/* Only a DHCP client may speak before it has an address. */
		if (l4 == DP_L4_DHCP4_CLIENT) {
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
	return service_check(x, c, l4);
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
	if (service_check(x, c, dp_xl_l4_kind(x, htons(ETH_IPV6))) == DP_XL_DONE)
		return DP_XL_DONE;
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

/* A decapsulated packet: its inner source MAC, if it is a port's, must be a
 * port behind the sending VTEP; DHCP server messages / RAs / redirects must
 * come from such a port that may send them. */
static enum dp_xl_verdict check_tunnel(struct dp_xlate *x)
{
	if (DP_XL_READ(x, vlan_tci) != 0) { /* no chassis sends a tagged inner frame */
		dp_xl_log(x, "VLAN-tagged frame inside a tunnel");
		return dp_xl_drop(x, DP_DROP_VLAN_TAGGED);
	}
	const uint8_t *smac = DP_XL_READ(x, eth_src);
	uint32_t tun_src = DP_XL_READ(x, tun_src);
	dp_xl_tag(x, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(x->network, smac)));
	uint32_t lk = dp_table_fdb_lookup(x->t, x->network, smac);
	const struct dp_lport *p = lk ? dp_table_lport_get(x->t, lk) : NULL;
	if (lk != 0)
		dp_xl_tag(x, DP_TAG(DP_TAG_LPORT, lk));
	if (p != NULL && (p->cfg.dp_port != DP_NO_PORT || p->cfg.remote_vtep != tun_src)) {
		dp_xl_log(x, "inner source MAC is lport %u's, which is not behind this VTEP",
			  lk);
		return dp_xl_drop(x, DP_DROP_TNL_SPOOF);
	}
	uint16_t et = DP_XL_READ(x, eth_type);
	if (et != htons(ETH_IPV4) && et != htons(ETH_IPV6))
		return DP_XL_NEXT;
	if (p != NULL && !p->cfg.port_security) /* as its own chassis allows */
		return DP_XL_NEXT;
	return service_check(x, p ? &p->cfg : NULL, dp_xl_l4_kind(x, et));
}

enum dp_xl_verdict dp_stage_port_sec(struct dp_xlate *x)
{
	if (x->tunnel)
		return check_tunnel(x);
	if (x->from_uplink) { /* a provider network: its own DHCP/routers */
		dp_xl_log(x, "from the provider uplink");
		return DP_XL_NEXT;
	}
	if (DP_XL_READ(x, recirc_id) != 0) {
		/* checked in pass 0, before ct(nat) may have translated the
		 * source (to a floating IP, or a hairpin's to its SNAT address) */
		dp_xl_log(x, "recirculated: checked in the first pass");
		return DP_XL_NEXT;
	}
	const struct dp_lport_cfg *c = &x->src->cfg;
	if (DP_XL_READ(x, vlan_tci) != 0) {
		dp_xl_log(x, "VLAN-tagged frame on an access port");
		return dp_xl_drop(x, DP_DROP_VLAN_TAGGED);
	}
	if (!c->port_security) {
		dp_xl_log(x, "disabled on lport %u", c->key);
		return DP_XL_NEXT;
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
