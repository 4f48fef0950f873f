/* SPDX-License-Identifier: BSD-3-Clause
 * dp/parse.h — packet -> flow key.
 *
 * Reads only inside the first segment's data (rte_pktmbuf_data_len); never
 * past it.  Sets m->l2_len (Ethernet + VLAN tags), m->l3_len (IP header incl.
 * IPv4 options / IPv6 extension headers) so actions can find headers.
 * Thread: any (pure function of its inputs).
 */
#ifndef WYV_DP_PARSE_H
#define WYV_DP_PARSE_H

#include <stdint.h>
#include <rte_mbuf.h>
#include "flow_key.h"

/* Fill *key (zeroed first) from the packet. in_port goes into key->in_port.
 * Returns 0 (DP_DROP_NONE) when the packet is usable, else the enum
 * dp_drop_reason explaining why it must be dropped. */
unsigned dp_parse(struct rte_mbuf *m, uint16_t in_port, struct dp_flow_key *key);

/* Same on raw bytes (trace, tests). l2_len/l3_len optional (may be NULL). */
unsigned dp_parse_buf(const uint8_t *data, uint32_t len, uint16_t in_port,
		      struct dp_flow_key *key, uint16_t *l2_len, uint16_t *l3_len);

/* The uplink's parser: VXLAN (UDP 4789) and Geneve (UDP 6081) packets
 * addressed to vtep_ip (our VTEP, network order; the caller reads it from
 * the overlay config) are keyed by their INNER packet plus
 * tun_vni/tun_src/tun_dst; l2_len/l3_len are the inner ones and
 * m->outer_l3_len the outer header bytes (0: not a tunnel packet, parsed as
 * dp_parse does -- e.g. VXLAN to a VM on a provider network).  Bad tunnel
 * headers: DP_DROP_BAD_TUNNEL. */
unsigned dp_parse_tnl(struct rte_mbuf *m, uint16_t in_port, uint32_t vtep_ip,
		      struct dp_flow_key *key);
unsigned dp_parse_tnl_buf(const uint8_t *data, uint32_t len, uint16_t in_port, uint32_t vtep_ip,
			  struct dp_flow_key *key, uint16_t *outer_len);

/* Format a key as "in_port=1,eth_src=..,..." listing fields whose mask is
 * non-zero (mask NULL: all present fields). Returns snprintf-style length. */
int dp_key_format(char *buf, size_t len, const struct dp_flow_key *key,
		  const struct dp_flow_key *mask);

/* Parse a flow spec like the above (used by `wyctl trace`) into key.
 * Unknown field or bad value: -EINVAL and a message in err. */
int dp_key_from_string(const char *spec, struct dp_flow_key *key, char *err, size_t errlen);
/* The same, also setting in mask every bit the spec constrains (a field
 * given as value/mask gets that mask; "tcp" constrains eth_type and
 * ip_proto).  Capture filters match with dp_key_match(pkt, mask, key). */
int dp_key_mask_from_string(const char *spec, struct dp_flow_key *key, struct dp_flow_key *mask,
			    char *err, size_t errlen);

#endif
