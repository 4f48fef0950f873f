/* SPDX-License-Identifier: BSD-3-Clause
 * dp/capture.h — packet capture on one dp port (`wyctl capture`).
 *
 * The control thread starts a capture on a dp port; PMD threads (and
 * dp_send) copy the port's matching rx and/or tx packets with
 * rte_pcapng_copy() into a private mempool and enqueue the copies on a
 * bounded ring; the control thread dequeues them and writes the file.  A
 * PMD never blocks: a full ring or an empty pool drops the copy (counted),
 * never the packet.  At most `limit` packets are copied (an atomic budget
 * shared by the PMDs), so a capture of N packets yields exactly N when
 * nothing is dropped.
 *
 * The optional filter is a flow key + mask (dp_key_mask_from_string, the
 * `trace` syntax): a packet matches when every given field matches its
 * parsed key (rx packets as received, tx packets as sent; in_port is
 * ignored).  Packets the parser rejects never match a filter.
 *
 * Timestamps: DPDK 22.11's rte_pcapng_copy converts TSC to time from a
 * clock sampled before EAL init (its dates land centuries off), so the
 * copy's EPB timestamp is rewritten from a TSC/realtime pair taken at start.
 *
 * One capture at a time per datapath.  Threads: start/dequeue/stats/stop on
 * the control thread; dp_capture_burst on PMDs (and the control thread's
 * dp_send).  Stop unpublishes the capture, waits an RCU grace period (no
 * PMD still copies), then frees ring and pool.
 */
#ifndef WYV_DP_CAPTURE_H
#define WYV_DP_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_mbuf.h>

#include "flow_key.h"

struct dp;
struct dp_capture;

struct dp_capture_cfg {
	uint16_t port;                  /* dp port id */
	bool rx, tx;                    /* directions */
	bool filter;                    /* key/mask below apply */
	struct dp_flow_key key, mask;   /* key & mask == key */
	uint32_t limit;                 /* packets to copy; 0: no limit */
	uint32_t snaplen;               /* bytes per packet; 0: whole packet */
	unsigned ring_size;             /* power of two; 0: 1024 */
};

struct dp_capture_stats {
	uint64_t copied;                /* enqueued for the control thread */
	uint64_t ring_full;             /* copies dropped: ring full */
	uint64_t nomem;                 /* copies dropped: pool empty */
	uint64_t filtered;              /* seen on the port, not matching */
};

/* 0, -EBUSY (a capture runs), -ENOENT (no such port), -ENOMEM. */
int dp_capture_start(struct dp *dp, const struct dp_capture_cfg *cfg);
bool dp_capture_running(const struct dp *dp);
/* Copies made by rte_pcapng_copy: EPB blocks (see ctrl/capture_file.c),
 * m->hash.usr = 1 received, 2 sent; the caller frees them. */
unsigned dp_capture_dequeue(struct dp *dp, struct rte_mbuf **pkts, unsigned n);
void dp_capture_get_stats(const struct dp *dp, struct dp_capture_stats *out);
/* Stop, drop what is still queued, free.  No-op when none runs. */
void dp_capture_stop(struct dp *dp, struct dp_capture_stats *out);

/* Does a frame match cfg's filter (true without a filter)?  Thread: any. */
bool dp_capture_match(const struct dp_capture_cfg *cfg, const uint8_t *data, uint32_t len,
		      uint16_t port);

/* Parse a filter written as a flow ("icmp,ip_dst=10.0.0.2"; the trace
 * syntax) into cfg->key/mask and set cfg->filter.  0 or -EINVAL (reason
 * in err).  Thread: any. */
int dp_capture_filter_parse(struct dp_capture_cfg *cfg, const char *text, char *err,
			    size_t errlen);
/* A frame's flow key as text (for a capture summary); -EINVAL if it does
 * not parse.  Thread: any. */
int dp_capture_describe(const uint8_t *data, uint32_t len, uint16_t port, char *out,
			size_t size);

/* Datapath internal (pmd.c, dp.c): offer n packets seen on dp_port. */
void dp_capture_burst(struct dp_capture *cap, uint16_t dp_port, uint16_t ethdev,
		      uint16_t queue, struct rte_mbuf *const *pkts, uint16_t n, bool rx);

#endif
