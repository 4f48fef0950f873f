/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/wyv_xdp.bpf.c — wyvern's XDP tier.
 *
 * Per frame: port security (wyv_port_sec: source MAC, and the IPv4 / ARP
 * source address, of the ingress port) -> drop; an offloaded flow
 * (wyv_l2_flows: the frame's key — ingress ifindex, MACs, VLAN, ethertype,
 * IPv4 addresses, protocol, fragment bits, UDP/TCP ports or ICMP type/code —
 * ANDed with each mask in use in wyv_masks, looked up) -> redirect to
 * another kernel port through the devmap (wyv_tx_ports) or drop; everything
 * else (and any IPv4 frame the dp would find malformed or truncated) goes to
 * the AF_XDP socket of the rx queue (xsks_map, the name net_af_xdp's
 * xdp_prog= devarg looks up), or to the kernel stack when no socket is
 * bound.  So the PMD sees only what XDP cannot do.
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

/* The masks in use (refs > 0), set by user space with the flows. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OFL_XDP_N_MASKS);
	__type(key, __u32);
	__type(value, struct ofl_xdp_mask);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wyv_masks SEC(".maps");

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
	/* 802.1Q or 802.1ad: a tagged frame (the dp parses both TPIDs), which
	 * no flow matches (flows are untagged) */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
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

	/* the frame's key, parsed as the dp's parser does (dp/parse.c); a
	 * frame it would drop as malformed goes to the PMD, which counts it */
	struct ofl_xdp_key f = {};
	f.ifindex = ifindex;
	f.vlan = k.vlan;
	__builtin_memcpy(f.dst, eh->h_dest, 6);
	__builtin_memcpy(f.src, eh->h_source, 6);
	f.eth_type = proto;
	if (proto == bpf_htons(ETH_P_IP)) {
		__u8 *ip = l3;
		if ((void *)(ip + 20) > end)
			goto to_xsk;
		__u32 ihl = (ip[0] & 0x0f) * 4, tot = ((__u32)ip[2] << 8) | ip[3];
		if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || (void *)(ip + tot) > end)
			goto to_xsk;
		__builtin_memcpy(&f.ip_src, ip + 12, 4);
		__builtin_memcpy(&f.ip_dst, ip + 16, 4);
		f.ip_proto = ip[9];
		__u16 frag = (((__u16)ip[6] << 8) | ip[7]) & 0x3fff;
		if (frag) {
			f.ip_frag = OFL_XDP_FRAG_ANY;
			if (frag & 0x1fff)
				f.ip_frag |= OFL_XDP_FRAG_LATER;
		}
		if (!(f.ip_frag & OFL_XDP_FRAG_LATER) &&
		    (f.ip_proto == 17 || f.ip_proto == 6 || f.ip_proto == 1)) {
			__u8 *l4 = ip + (ihl & 0x3c);
			__u32 l4len = tot - ihl;
			/* truncated or bad L4: the dp drops it, let it count */
			if (f.ip_proto == 6) {
				if ((void *)(l4 + 20) > end || l4len < 20)
					goto to_xsk;
				__u32 doff = (l4[12] >> 4) * 4;
				if (doff < 20 || doff > l4len)
					goto to_xsk;
			} else if ((void *)(l4 + 8) > end || l4len < 8) {
				goto to_xsk;
			}
			if (f.ip_proto == 1) {
				f.tp_src = bpf_htons(l4[0]);
				f.tp_dst = bpf_htons(l4[1]);
			} else {
				__builtin_memcpy(&f.tp_src, l4, 2);
				__builtin_memcpy(&f.tp_dst, l4 + 2, 2);
			}
		}
	}

	/* one lookup per mask in use */
	struct ofl_xdp_val *v = NULL;
	__u32 *fw = (__u32 *)&f, *kw = (__u32 *)&k;
	for (__u32 i = 0; i < OFL_XDP_N_MASKS; i++) {
		struct ofl_xdp_mask *m = bpf_map_lookup_elem(&wyv_masks, &i);
		if (!m || !m->refs)
			continue;
		__u32 *mw = (__u32 *)&m->m;
#pragma unroll
		for (int j = 0; j < OFL_XDP_KEY_WORDS; j++)
			kw[j] = fw[j] & mw[j];
		k.mask_id = (__u8)i;
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
