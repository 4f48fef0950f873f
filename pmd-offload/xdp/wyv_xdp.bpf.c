/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/wyv_xdp.bpf.c — wyvern's XDP tier.
 *
 * Per frame: port security (wyv_port_sec: source MAC, and the IPv4 / ARP
 * source address, of the ingress port) -> drop; an offloaded flow
 * (wyv_l2_flows: ingress ifindex + destination MAC + VLAN [+ source MAC
 * [+ ethertype [+ IPv4 source [+ protocol]]]], the shapes of wyv_shapes
 * tried most specific first) -> redirect to
 * another kernel port through the devmap (wyv_tx_ports) or drop; everything
 * else goes to the AF_XDP socket of the rx queue (xsks_map, the name
 * net_af_xdp's xdp_prog= devarg looks up), or to the kernel stack when no
 * socket is bound.  So the PMD sees only what XDP cannot do.
 * Flow, port-security and counter maps are pinned by name (one set shared by
 * every port, keyed by ifindex); xsks_map and the devmap are per program.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ofl_xdp_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ofl_xdp_key);
	__type(value, struct ofl_xdp_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wyv_l2_flows SEC(".maps");

/* Per program (not pinned): the kernel adds BPF_F_RDONLY_PROG to a devmap's
 * flags, so libbpf (ours, or net_af_xdp's) refuses to reuse a pinned one.
 * User space finds it through the program attached to the ingress port. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} wyv_tx_ports SEC(".maps");

/* [0]: bit s set when flows of shape s exist (set by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wyv_shapes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ofl_xdp_portsec);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wyv_port_sec SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ofl_xdp_port_ctr);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wyv_port_stats SEC(".maps");

static __always_inline void count(__u32 ifindex, unsigned c)
{
	struct ofl_xdp_port_ctr *p = bpf_map_lookup_elem(&wyv_port_stats, &ifindex);
	if (!p) {
		struct ofl_xdp_port_ctr z = {};
		bpf_map_update_elem(&wyv_port_stats, &ifindex, &z, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&wyv_port_stats, &ifindex);
		if (!p)
			return;
	}
	if (c < OFL_XDP_C__MAX)
		p->c[c]++;   /* per-CPU: no atomics */
}

static __always_inline int ip_allowed(const struct ofl_xdp_portsec *ps, __u32 ip)
{
	if (ps->n_ip == 0)
		return 1;
#pragma unroll
	for (int i = 0; i < OFL_XDP_MAX_IP; i++)
		if (i < ps->n_ip && ps->ip[i] == ip)
			return 1;
	return 0;
}

static __always_inline int mac_eq(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
	       a[4] == b[4] && a[5] == b[5];
}

SEC("xdp")
int wyv_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex;
	struct ethhdr *eh = data;
	struct ofl_xdp_key k = {};
	__u16 proto;
	void *l3;

	count(ifindex, OFL_XDP_C_RX);
	if ((void *)(eh + 1) > end)
		goto to_xsk;
	proto = eh->h_proto;
	l3 = eh + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		__u16 *tag = l3;
		if ((void *)(tag + 2) > end)
			goto to_xsk;
		k.vlan = (bpf_ntohs(tag[0]) & 0xfff) | 0x1000;
		proto = tag[1];
		l3 = tag + 2;
	}

	struct ofl_xdp_portsec *ps = bpf_map_lookup_elem(&wyv_port_sec, &ifindex);
	if (ps) {
		if (!mac_eq(eh->h_source, ps->mac))
			goto drop_ps;
		if (proto == bpf_htons(ETH_P_IP)) {
			__u8 *ip = l3;
			__u32 src;
			if ((void *)(ip + 20) > end)
				goto drop_ps;
			__builtin_memcpy(&src, ip + 12, 4);
			if (src != 0 && !ip_allowed(ps, src))   /* 0: DHCP discover */
				goto drop_ps;
		} else if (proto == bpf_htons(ETH_P_ARP)) {
			__u8 *arp = l3;
			__u32 spa;
			if ((void *)(arp + 28) > end)
				goto drop_ps;
			__builtin_memcpy(&spa, arp + 14, 4);
			if (spa != 0 && !ip_allowed(ps, spa))
				goto drop_ps;
		}
	}

	/* the fields a flow may match beyond the destination */
	__u32 ip_src = 0, zero = 0;
	__u8 ip_proto = 0, is_ip = 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		__u8 *ip = l3;
		if ((void *)(ip + 20) <= end) {
			__builtin_memcpy(&ip_src, ip + 12, 4);
			ip_proto = ip[9];
			is_ip = 1;
		}
	}
	__u32 *shp = bpf_map_lookup_elem(&wyv_shapes, &zero);
	__u32 shapes = shp ? *shp : 1;
	struct ofl_xdp_val *v = NULL;
	k.ifindex = ifindex;
	__builtin_memcpy(k.dst, eh->h_dest, 6);
#pragma unroll
	for (int i = 0; i < OFL_XDP_N_SHAPES; i++) {
		__u8 s = OFL_XDP_SHAPE_ALL >> i;
		if (!(shapes & (1u << s)))
			continue;
		if ((s & (OFL_XDP_F_IPSRC | OFL_XDP_F_PROTO)) && !is_ip)
			continue;
		k.shape = s;
		if (s & OFL_XDP_F_SRC)
			__builtin_memcpy(k.src, eh->h_source, 6);
		else
			__builtin_memset(k.src, 0, 6);
		k.eth_type = (s & OFL_XDP_F_TYPE) ? proto : 0;
		k.ip_src = (s & OFL_XDP_F_IPSRC) ? ip_src : 0;
		k.ip_proto = (s & OFL_XDP_F_PROTO) ? ip_proto : 0;
		v = bpf_map_lookup_elem(&wyv_l2_flows, &k);
		if (v)
			break;
	}
	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, (__u64)(end - data));
		if (v->action == OFL_XDP_DROP) {
			count(ifindex, OFL_XDP_C_DROP_FLOW);
			return XDP_DROP;
		}
		if (v->action == OFL_XDP_REDIRECT) {
			long rc = bpf_redirect_map(&wyv_tx_ports, v->out_ifindex, 0);
			if (rc == XDP_REDIRECT) {
				count(ifindex, OFL_XDP_C_REDIRECT);
				return XDP_REDIRECT;
			}
			count(ifindex, OFL_XDP_C_REDIRECT_ERR);
		}
	}
to_xsk:;
	__u32 q = ctx->rx_queue_index;
	if (bpf_map_lookup_elem(&xsks_map, &q)) {
		count(ifindex, OFL_XDP_C_XSK);
		return bpf_redirect_map(&xsks_map, q, XDP_PASS);
	}
	count(ifindex, OFL_XDP_C_PASS);
	return XDP_PASS;
drop_ps:
	count(ifindex, OFL_XDP_C_DROP_PORTSEC);
	return XDP_DROP;
}

/* For the peer of a veth: native XDP redirect into a veth needs an XDP
 * program on the receiving peer (it allocates the peer's XDP rx ring). */
SEC("xdp")
int wyv_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
