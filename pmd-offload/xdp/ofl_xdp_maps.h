/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/ofl_xdp_maps.h — map layouts shared by the XDP program
 * (wyv_xdp.bpf.c) and user space (ofl_xdp.c).  Plain fixed-width types only.
 */
#ifndef WYV_OFL_XDP_MAPS_H
#define WYV_OFL_XDP_MAPS_H

#include <linux/types.h>

/* wyv_l2_flows: an offloaded flow: the ingress port, the destination MAC
 * and VLAN, and, as its shape says, the source MAC, the ethertype, the
 * IPv4 source and protocol (what a megaflow of a port with port security
 * matches: a frame with another source misses every flow and goes to the
 * PMD).  Fields outside the shape are zero.  vlan: 0 untagged, else the
 * VID | 0x1000.  All fields in network order except ifindex and vlan. */
#define OFL_XDP_F_SRC    0x1   /* src */
#define OFL_XDP_F_TYPE   0x2   /* eth_type */
#define OFL_XDP_F_IPSRC  0x4   /* ip_src (IPv4 frames only) */
#define OFL_XDP_F_PROTO  0x8   /* ip_proto (IPv4 frames only) */
/* The shapes the program tries, most specific first: each adds one field to
 * the next (0xf, 0x7, 0x3, 0x1, 0x0 = OFL_XDP_SHAPE_ALL >> i).  Only shapes
 * whose bit is set in wyv_shapes[0] are looked up. */
#define OFL_XDP_SHAPE_ALL 0xf
#define OFL_XDP_N_SHAPES 5
static inline int ofl_xdp_shape_ok(unsigned s)
{
	return s == 0xf || s == 0x7 || s == 0x3 || s == 0x1 || s == 0x0;
}
struct ofl_xdp_key {
	__u32 ifindex;       /* ingress */
	__u8 dst[6];
	__u16 vlan;
	__u8 src[6];
	__u16 eth_type;
	__u32 ip_src;
	__u8 ip_proto;
	__u8 shape;          /* OFL_XDP_F_* */
	__u16 pad;
};

enum ofl_xdp_act { OFL_XDP_REDIRECT = 1, OFL_XDP_DROP = 2, OFL_XDP_TO_XSK = 3 };

struct ofl_xdp_val {
	__u32 action;        /* enum ofl_xdp_act */
	__u32 out_ifindex;   /* REDIRECT: a key of wyv_tx_ports */
	__u64 packets;       /* hit counter (atomic add in the program) */
	__u64 bytes;
};

/* wyv_port_sec: key ingress ifindex. A frame whose source MAC differs, or an
 * IPv4/ARP frame whose source address is not listed (when n_ip > 0), is
 * dropped in XDP. */
#define OFL_XDP_MAX_IP 4
struct ofl_xdp_portsec {
	__u8 mac[6];
	__u16 n_ip;
	__u32 ip[OFL_XDP_MAX_IP];   /* IPv4, network order */
};

/* wyv_stats: per-CPU array, one slot per counter below, per ingress ifindex
 * folded into wyv_port_stats (per-CPU hash keyed by ifindex). */
enum ofl_xdp_ctr {
	OFL_XDP_C_RX = 0,
	OFL_XDP_C_REDIRECT,
	OFL_XDP_C_DROP_FLOW,
	OFL_XDP_C_DROP_PORTSEC,
	OFL_XDP_C_XSK,        /* handed to the AF_XDP socket */
	OFL_XDP_C_PASS,       /* no socket on the queue: kernel stack */
	OFL_XDP_C_REDIRECT_ERR,
	OFL_XDP_C__MAX
};
struct ofl_xdp_port_ctr {
	__u64 c[OFL_XDP_C__MAX];
};

#endif
