/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/ofl_xdp.h — the XDP tier from user space: load/attach the
 * program (wyv_xdp.bpf.c, built at compile time and embedded), and edit its
 * pinned maps (offloaded flows and their masks, devmap, port security,
 * counters).
 *
 * Flow, port-security and counter maps are pinned under pin_dir (default
 * /sys/fs/bpf/wyvern) by name, so every attached copy of the program (ours,
 * or the one net_af_xdp loads with xdp_prog=<ofl_xdp_obj_path()>, which pins
 * in /sys/fs/bpf) shares one set keyed by ingress ifindex.  The devmap and
 * xsks_map are per program; the devmap is found through the program
 * attached to the ingress interface.
 * Threads: none of these are for PMDs (syscalls); one struct ofl_xdp may be
 * used by one thread at a time.
 */
#ifndef WYV_OFL_XDP_H
#define WYV_OFL_XDP_H

#include <stddef.h>
#include <stdint.h>
#include "ofl_xdp_maps.h"

#define OFL_XDP_PIN_DEFAULT "/sys/fs/bpf/wyvern"

enum ofl_xdp_mode { OFL_XDP_MODE_NATIVE = 0, OFL_XDP_MODE_SKB };

/* The compiled object on disk (build tree), for net_af_xdp's xdp_prog=. */
const char *ofl_xdp_obj_path(void);

/* Load the object (maps pinned/reused under pin_dir), attach program prog
 * ("wyv_xdp" or "wyv_xdp_pass") on ifindex. 0 or -errno; err gets libbpf's
 * reason. */
int ofl_xdp_attach(unsigned ifindex, const char *pin_dir, const char *prog,
		   enum ofl_xdp_mode mode, char *err, size_t errlen);
int ofl_xdp_detach(unsigned ifindex, enum ofl_xdp_mode mode);

struct ofl_xdp;
/* Open the pinned maps. NULL + errno (ENOENT: nothing attached yet). */
struct ofl_xdp *ofl_xdp_open(const char *pin_dir);
void ofl_xdp_close(struct ofl_xdp *x);   /* accepts NULL */

/* Flow key (the frame's fields, ofl_xdp_maps.h) under mask (ifindex, vlan
 * and mask_id ignored: always exact) -> redirect to out_ifindex (added to
 * the devmap of the program attached to key->ifindex: -ENOENT when none) or
 * drop.  The mask takes a wyv_masks slot (shared by the flows of one mask,
 * counted; -ENOSPC when OFL_XDP_N_MASKS other masks are in use), the flow
 * is stored as key & mask with that slot's mask_id (*stored, if not NULL:
 * the key to del/get it with).  Counters restart at 0.  One writer per pin
 * directory at a time (the slots' counts are read-modify-write). */
int ofl_xdp_key_put(struct ofl_xdp *x, const struct ofl_xdp_key *key,
		    const struct ofl_xdp_key *mask, enum ofl_xdp_act act, uint32_t out_ifindex,
		    struct ofl_xdp_key *stored);
/* 1 when key under mask is in the map already. */
int ofl_xdp_key_exists(struct ofl_xdp *x, const struct ofl_xdp_key *key,
		       const struct ofl_xdp_key *mask);
/* key: as stored (mask_id set).  Releases its mask slot.  -ENOENT. */
int ofl_xdp_key_del(struct ofl_xdp *x, const struct ofl_xdp_key *key);
int ofl_xdp_key_get(struct ofl_xdp *x, const struct ofl_xdp_key *key, struct ofl_xdp_val *out);
/* Mask slot id (for dumps). */
int ofl_xdp_mask_get(struct ofl_xdp *x, unsigned id, struct ofl_xdp_mask *out);
/* The L2 flow (destination MAC only): flow (in_ifindex, dst, vlan) -> redirect to
 * out_ifindex (added to the devmap of the program attached to in_ifindex: -ENOENT when none) or
 * drop (out_ifindex 0, act OFL_XDP_DROP). Counters restart at 0. */
int ofl_xdp_flow_put(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan, enum ofl_xdp_act act, uint32_t out_ifindex);
int ofl_xdp_flow_del(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan);   /* -ENOENT */
int ofl_xdp_flow_get(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan, struct ofl_xdp_val *out);
/* Visit every flow; stop when cb returns non-zero. */
int ofl_xdp_flow_foreach(struct ofl_xdp *x,
			 int (*cb)(const struct ofl_xdp_key *k, const struct ofl_xdp_val *v,
				   void *arg), void *arg);
int ofl_xdp_portsec_set(struct ofl_xdp *x, uint32_t ifindex, const uint8_t mac[6],
			const uint32_t *ips, unsigned n_ip);   /* -EINVAL n_ip > 4 */
int ofl_xdp_portsec_del(struct ofl_xdp *x, uint32_t ifindex);
/* The wyv_port_sec entry of a logical port (any thread; no syscall): a
 * strict subset of the PMD's port security (dp/stage_port_sec.c), so XDP
 * never drops what the PMD passes.  1: out filled with its one source MAC
 * and its IPv4 host addresses (fixed IPs, /32 allowed pairs) when at most
 * OFL_XDP_MAX_IP and no wider pair, else n_ip 0 (MAC only).  0: no entry
 * (lp NULL, port security off, or several source MACs / none: the PMD
 * filters alone).  why: the outcome, as `show offload` prints it. */
struct dp_lport_cfg;
int ofl_xdp_portsec_from_lport(const struct dp_lport_cfg *lp, struct ofl_xdp_portsec *out,
			       char *why, size_t len);
/* Counters of one ingress ifindex summed over CPUs (zeros when none yet). */
int ofl_xdp_port_counters(struct ofl_xdp *x, uint32_t ifindex, struct ofl_xdp_port_ctr *out);
const char *ofl_xdp_ctr_name(unsigned c);

#endif
