/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/drop.h — every reason a packet can be dropped or punted, counted per PMD.
 * Add a reason: one enum value + one string in drop.c; nothing else.
 */
#ifndef WYV_DP_DROP_H
#define WYV_DP_DROP_H

enum dp_drop_reason {
	DP_DROP_NONE = 0,
	/* parser */
	DP_DROP_TRUNC_ETH,      /* shorter than an Ethernet header */
	DP_DROP_TRUNC_VLAN,     /* VLAN tag cut short */
	DP_DROP_TOO_MANY_VLANS, /* more than two tags */
	DP_DROP_TRUNC_ARP,      /* ARP shorter than 28 bytes */
	DP_DROP_BAD_ARP,        /* ARP not Ethernet/IPv4 */
	DP_DROP_TRUNC_IPV4,     /* IPv4 header cut short */
	DP_DROP_BAD_IPV4,       /* version/IHL/total length invalid */
	DP_DROP_TRUNC_IPV6,     /* IPv6 header cut short */
	DP_DROP_BAD_IPV6,       /* IPv6 version or payload length invalid */
	DP_DROP_BAD_IPV6_EXT,   /* extension header chain invalid or cut short */
	DP_DROP_TRUNC_L4,       /* TCP/UDP/ICMP header cut short */
	DP_DROP_BAD_TCP,        /* TCP data offset invalid */
	/* pipeline */
	DP_DROP_NO_LPORT,       /* packet from a dp port bound to no logical port */
	DP_DROP_NO_NETWORK,     /* logical port's network unknown */
	DP_DROP_PORT_DOWN,      /* logical port administratively down */
	DP_DROP_PSEC_MAC,       /* source MAC not the port's */
	DP_DROP_PSEC_IP,        /* source IP not the port's nor an allowed pair */
	DP_DROP_PSEC_ARP,       /* ARP sender MAC/IP not the port's */
	DP_DROP_PSEC_ND,        /* IPv6 ND source/target not the port's */
	DP_DROP_PSEC_DHCP_SERVER, /* DHCP(v6) server message from a non-server port */
	DP_DROP_PSEC_RA,        /* IPv6 router advertisement from a non-router port */
	DP_DROP_PSEC_REDIRECT,  /* ICMPv6 redirect from a non-router port */
	DP_DROP_NO_DEST,        /* destination is the source port, or nowhere */
	DP_DROP_NO_FLOOD,       /* flood with no other port in the network */
	DP_DROP_VLAN_TAGGED,    /* tagged frame on an access port */
	DP_DROP_PORT_GONE,      /* output port removed since the flow was made */
	DP_DROP_TX_FULL,        /* tx queue full */
	DP_DROP_PUNT_FULL,      /* punt ring full */
	DP_DROP_PUNT_RATE,      /* punt rate limit exceeded */
	DP_DROP_NOMEM,          /* mbuf clone failed */
	DP_DROP_TTL,            /* TTL expired */
	DP_DROP_POLICY,         /* explicit drop action */
	DP_DROP_ANSWER_FAILED,  /* ARP/ND answer could not be built in the mbuf */
	/* overlay / uplink */
	DP_DROP_BAD_TUNNEL,     /* VXLAN/Geneve header invalid, or not for our VTEP */
	DP_DROP_TNL_SRC,        /* tunnel from an address that is no VTEP of the VNI's network */
	DP_DROP_TNL_SPOOF,      /* decapsulated source MAC of a port not behind that VTEP */
	DP_DROP_VLAN_INNER,     /* provider ingress with a second (inner) tag */
	DP_DROP_NO_SEGMENT,     /* VNI / VLAN of no network here */
	DP_DROP_VTEP_UNRESOLVED,/* remote VTEP's underlay MAC not (yet) known */
	DP_DROP_ENCAP_TOO_BIG,  /* encapsulated packet exceeds the underlay MTU */
	DP_DROP_NO_OVERLAY,     /* remote destination but no overlay configured */
	/* security groups / conntrack */
	DP_DROP_ACL_DENY,       /* no security-group rule allows it */
	DP_DROP_CT_INVALID,     /* conntrack says invalid (ct_state inv) */
	DP_DROP_RECIRC_DEPTH,   /* recirculated more than DP_RECIRC_MAX times */
	DP_DROP_CT_BLOCKED,     /* a connection whose allowing rule was removed
				 * (ct_mark blocked) that no rule allows now */
	/* NAT, external networks */
	DP_DROP_NO_NAT,         /* routed to an external network with no floating
				 * IP (nor SNAT) for its source */
	DP_DROP_EXT_UNRESOLVED, /* external next hop's MAC not (yet) known */
	DP_DROP__MAX
};

/* Stable short name for a reason ("psec-mac"), never NULL. */
const char *dp_drop_name(unsigned reason);

/* Why a PMD hands a packet to the control thread (punt action). */
enum dp_punt_reason {
	DP_PUNT_NONE = 0,
	DP_PUNT_DHCP,       /* DHCP request for the local controller */
	DP_PUNT_ARP,        /* ARP for an unknown address */
	DP_PUNT_ND,
	DP_PUNT_TTL,        /* TTL expired: ICMP time-exceeded */
	DP_PUNT_ICMP,       /* ICMP to a router address */
	DP_PUNT_TRACE,      /* debugging copy */
	DP_PUNT_UNDERLAY,   /* ARP reply to our VTEP: learn a remote VTEP's MAC */
	DP_PUNT_EXT_ARP,    /* ARP reply from an external network to a gateway's
			     * resolver MAC: learn the upstream next hop (tables_nat.h) */
	DP_PUNT__MAX
};

const char *dp_punt_name(unsigned reason);   /* actions.c */

#endif
