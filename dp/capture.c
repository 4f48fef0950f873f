/* SPDX-License-Identifier: BSD-3-Clause
 * dp/capture.c — per-port packet capture into a ring (see capture.h).
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_pcapng (experimental in 22.11) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "capture.h"
#include "dp_priv.h"
#include "parse.h"

struct dp_capture {
	struct dp_capture_cfg cfg;
	struct rte_ring *ring;
	struct rte_mempool *mp;
	uint64_t tsc0, ns0, tsc_hz;     /* timestamp base (see capture.h) */
	uint32_t taken;                 /* budget used (atomic) */
	uint64_t copied, ring_full, nomem, filtered;  /* atomic */
};

static unsigned g_seq;                  /* unique pool/ring names */

bool dp_capture_match(const struct dp_capture_cfg *cfg, const uint8_t *data, uint32_t len,
		      uint16_t port)
{
	struct dp_flow_key k;
	if (!cfg->filter)
		return true;
	if (dp_parse_buf(data, len, port, &k, NULL, NULL) != 0)
		return false;
	k.in_port = cfg->key.in_port; /* the capture's port is the port */
	return dp_key_match(&k, &cfg->mask, &cfg->key);
}

int dp_capture_start(struct dp *dp, const struct dp_capture_cfg *cfg)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	if (dp->capture != NULL)
		return -EBUSY;
	if (cfg->port >= DP_MAX_PORTS || !dp->ports[cfg->port].used)
		return -ENOENT;
	struct dp_capture *cap = rte_zmalloc("dp_capture", sizeof(*cap), RTE_CACHE_LINE_SIZE);
	if (cap == NULL)
		return -ENOMEM;
	cap->cfg = *cfg;
	cap->cfg.mask.in_port = 0;
	cap->cfg.key.in_port = 0;
	dp_key_and(&cap->cfg.key, &cap->cfg.key, &cap->cfg.mask);
	unsigned n = cfg->ring_size ? cfg->ring_size : 1024;
	unsigned seq = g_seq++;
	snprintf(name, sizeof(name), "dpcap_r%u", seq);
	cap->ring = rte_ring_create(name, n, SOCKET_ID_ANY, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dpcap_p%u", seq);
	/* one element per ring slot plus what PMDs may hold while enqueueing;
	 * a chain longer than one element (jumbo frames) simply uses more */
	cap->mp = rte_pktmbuf_pool_create(name, n + DP_BURST * (DP_MAX_PMDS + 1), 0, 0,
					  (uint16_t)rte_pcapng_mbuf_size(RTE_MBUF_DEFAULT_DATAROOM),
					  SOCKET_ID_ANY);
	if (cap->ring == NULL || cap->mp == NULL) {
		rte_ring_free(cap->ring);
		rte_mempool_free(cap->mp);
		rte_free(cap);
		return -ENOMEM;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	cap->tsc0 = rte_get_tsc_cycles();
	cap->ns0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	cap->tsc_hz = rte_get_tsc_hz();
	__atomic_store_n(&dp->capture, cap, __ATOMIC_RELEASE);
	return 0;
}

bool dp_capture_running(const struct dp *dp)
{
	return dp->capture != NULL;
}

/* EPB: type, length, interface id, timestamp high, timestamp low, ... */
static void set_time(struct rte_mbuf *c, uint64_t ns)
{
	uint32_t *w = rte_pktmbuf_mtod(c, uint32_t *);
	if (rte_pktmbuf_data_len(c) < 20 || w[0] != 6)
		return;
	w[3] = (uint32_t)(ns >> 32);
	w[4] = (uint32_t)ns;
}

void dp_capture_burst(struct dp_capture *cap, uint16_t dp_port, uint16_t ethdev,
		      uint16_t queue, struct rte_mbuf *const *pkts, uint16_t n, bool rx)
{
	const struct dp_capture_cfg *cfg = &cap->cfg;
	struct rte_mbuf *out[DP_TXBUF];
	unsigned k = 0;
	if (dp_port != cfg->port || !(rx ? cfg->rx : cfg->tx))
		return;
	uint64_t tsc = rte_get_tsc_cycles();
	uint64_t ns = cap->ns0 + (uint64_t)((double)(tsc - cap->tsc0) * 1e9 / (double)cap->tsc_hz);
	for (uint16_t i = 0; i < n && k < RTE_DIM(out); i++) {
		const struct rte_mbuf *m = pkts[i];
		if (!dp_capture_match(cfg, rte_pktmbuf_mtod(m, const uint8_t *),
				      rte_pktmbuf_data_len(m), dp_port)) {
			__atomic_fetch_add(&cap->filtered, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (cfg->limit && __atomic_fetch_add(&cap->taken, 1, __ATOMIC_RELAXED) >= cfg->limit)
			break;
		struct rte_mbuf *c = rte_pcapng_copy(ethdev, queue, m, cap->mp,
						     cfg->snaplen ? cfg->snaplen : UINT32_MAX, tsc,
						     rx ? RTE_PCAPNG_DIRECTION_IN
							: RTE_PCAPNG_DIRECTION_OUT);
		if (c == NULL) {
			__atomic_fetch_add(&cap->nomem, 1, __ATOMIC_RELAXED);
			continue;
		}
		set_time(c, ns);
		c->hash.usr = rx ? 1 : 2;       /* direction, for the control thread */
		out[k++] = c;
	}
	if (k == 0)
		return;
	unsigned q = rte_ring_mp_enqueue_burst(cap->ring, (void **)out, k, NULL);
	__atomic_fetch_add(&cap->copied, q, __ATOMIC_RELAXED);
	if (q < k) {
		__atomic_fetch_add(&cap->ring_full, k - q, __ATOMIC_RELAXED);
		rte_pktmbuf_free_bulk(&out[q], k - q);
	}
}

unsigned dp_capture_dequeue(struct dp *dp, struct rte_mbuf **pkts, unsigned n)
{
	if (dp->capture == NULL)
		return 0;
	return rte_ring_sc_dequeue_burst(dp->capture->ring, (void **)pkts, n, NULL);
}

static void fill_stats(const struct dp_capture *cap, struct dp_capture_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (cap == NULL)
		return;
	out->copied = __atomic_load_n(&cap->copied, __ATOMIC_RELAXED);
	out->ring_full = __atomic_load_n(&cap->ring_full, __ATOMIC_RELAXED);
	out->nomem = __atomic_load_n(&cap->nomem, __ATOMIC_RELAXED);
	out->filtered = __atomic_load_n(&cap->filtered, __ATOMIC_RELAXED);
}

void dp_capture_get_stats(const struct dp *dp, struct dp_capture_stats *out)
{
	fill_stats(dp->capture, out);
}

void dp_capture_stop(struct dp *dp, struct dp_capture_stats *out)
{
	struct dp_capture *cap = dp->capture;
	if (out)
		fill_stats(cap, out);
	if (cap == NULL)
		return;
	__atomic_store_n(&dp->capture, NULL, __ATOMIC_RELEASE);
	/* no PMD is inside dp_capture_burst after one grace period */
	if (dp->running)
		rte_rcu_qsbr_synchronize(dp->rcu, RTE_QSBR_THRID_INVALID);
	struct rte_mbuf *m[64];
	unsigned n;
	while ((n = rte_ring_sc_dequeue_burst(cap->ring, (void **)m, RTE_DIM(m), NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	if (out)
		fill_stats(cap, out);
	rte_ring_free(cap->ring);
	rte_mempool_free(cap->mp);
	rte_free(cap);
}

int dp_capture_filter_parse(struct dp_capture_cfg *cfg, const char *text, char *err,
			    size_t errlen)
{
	if (dp_key_mask_from_string(text, &cfg->key, &cfg->mask, err, errlen) < 0)
		return -EINVAL;
	cfg->filter = true;
	return 0;
}

int dp_capture_describe(const uint8_t *data, uint32_t len, uint16_t port, char *out,
			size_t size)
{
	struct dp_flow_key k;
	if (dp_parse_buf(data, len, port, &k, NULL, NULL) != 0)
		return -EINVAL;
	dp_key_format(out, size, &k, NULL);
	return 0;
}
