/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/trace.h — what the datapath would do with a packet, and the
 * megaflows the PMDs hold, as text: the management commands' view of the
 * classifier, translate and the action lists (all dp-private).
 *
 * Threads: the control thread (the one that calls dp.h), like dp.h.
 * dp_trace_* translate against the live tables (a reader like a PMD) and
 * install nothing; dp_dump_megaflows waits on each PMD's dump mailbox.
 */
#ifndef WYV_DP_TRACE_H
#define WYV_DP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

struct dp;

/* One megaflow as text: the masked match, the action list and the
 * dependency tags ("lport:3,network:1"). */
struct dp_flow_text {
	char match[1024];
	char actions[1024];
	char tags[512];
};

/* The result of a trace.  Large (~12 KiB): allocate it. */
struct dp_trace {
	unsigned parse_drop;          /* enum dp_drop_reason; DP_DROP_NONE: parsed */
	uint16_t outer_len;           /* tunnel packet: outer header bytes; 0 otherwise */
	uint32_t tun_src;             /* tunnel packet: outer IPv4 source, network order */
	uint32_t tun_vni;             /* tunnel packet: VNI */
	char flow[1024];              /* the flow key that was translated */
	char stages[8192];            /* each stage's decisions, one per line */
	struct dp_flow_text megaflow; /* what would be installed */
	bool no_install;              /* translate overflowed: executed, never cached */
	char defaulted[64];           /* fields a flow trace filled in ("ip_ttl=64"), "" */
	char recirc_actions[1024];    /* after ct() recirculations (security groups;
				       * each pass looks conntrack up read-only and
				       * takes the state it has, shown in stages):
				       * the last pass's actions; "" when nothing
				       * recirculated */
};

/* Trace a raw frame (pkt, len bytes) arriving on dp port `port`; a frame
 * on the overlay uplink is parsed as a tunnel packet.  When the parser
 * drops it, out->parse_drop says why and nothing else is filled.  0, or
 * -ENOMEM. */
int dp_trace_packet(struct dp *dp, uint16_t port, const uint8_t *pkt, size_t len,
		    struct dp_trace *out);

/* Trace a flow written as text ("eth_src=...,ipv4_dst=..."; see
 * dp_key_from_string) arriving on dp port `port`.  0, -ENOMEM, or -EINVAL
 * with the reason in err. */
int dp_trace_flow(struct dp *dp, uint16_t port, const char *flow, struct dp_trace *out,
		  char *err, size_t errlen);

/* One megaflow of a dump. */
struct dp_megaflow_info {
	uint64_t id;                  /* stable identity (DP_MFLOW_ID: pmd, slot, generation) */
	uint16_t in_port;             /* ingress dp port (the quota's owner) */
	uint64_t hits, bytes;
	double used_s;                /* seconds since the last hit; < 0: never */
	struct dp_flow_text text;
};

/* Visit up to max megaflows of PMD `pmd` (a copy taken through its dump
 * mailbox); cb returning non-zero stops the walk.  Returns how many were
 * copied, -ENOMEM, or -ETIMEDOUT if the PMD did not answer. */
int dp_dump_megaflows(struct dp *dp, unsigned pmd, unsigned max,
		      int (*cb)(const struct dp_megaflow_info *f, void *arg), void *arg);

#endif
