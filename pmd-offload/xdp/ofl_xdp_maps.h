/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/ofl_xdp_maps.h — map layouts shared by the XDP program
 * (wyv_xdp.bpf.c) and user space (ofl_xdp.c).  Plain fixed-width types only.
 */
#ifndef WYV_OFL_XDP_MAPS_H
#define WYV_OFL_XDP_MAPS_H

#include <linux/types.h>

/* wyv_l2_flows: an offloaded flow, a masked key: the frame's fields ANDed
 * with one mask of wyv_masks (mask_id says which), the ingress ifindex and
 * the VLAN always exact.  The program masks each frame with every mask in
 * use and looks the result up (a tuple-space search, like the dp's
 * classifier): a megaflow's XDP flow matches exactly what the megaflow
 * matches, so two flows a frame could match give the same result.
 * vlan: 0 untagged, else the VID | 0x1000.  ip_*, tp_* and ip_frag are zero
 * in frames that are not IPv4; tp_src/tp_dst are the UDP/TCP ports (ICMP:
 * type/code, as the dp's key), zero in later fragments.  ip_frag: the dp's
 * DP_FRAG_* bits.  All fields in network order except ifindex and vlan.
 * The key is 9 32-bit words: the program ANDs them word by word. */
struct ofl_xdp_key {
	__u32 ifindex;       /* ingress */
	__u8 dst[6];
	__u16 vlan;
	__u8 src[6];
	__u16 eth_type;
	__u32 ip_src;
	__u32 ip_dst;
	__u16 tp_src;
	__u16 tp_dst;
	__u8 ip_proto;
	__u8 ip_frag;
	__u8 mask_id;        /* the wyv_masks slot (0 in a mask) */
	__u8 pad;
};
#define OFL_XDP_KEY_WORDS 9
#define OFL_XDP_FRAG_ANY 0x01    /* = DP_FRAG_ANY */
#define OFL_XDP_FRAG_LATER 0x02  /* = DP_FRAG_LATER */

/* wyv_masks: array of OFL_XDP_N_MASKS; a slot with refs 0 is not looked up.
 * m.ifindex and m.vlan are all ones (always exact); user space shares a slot
 * between flows of one mask and counts them in refs. */
#define OFL_XDP_N_MASKS 16
struct ofl_xdp_mask {
	__u32 refs;
	struct ofl_xdp_key m;
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
