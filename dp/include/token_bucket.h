/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/token_bucket.h — the one token bucket of wyvern: the PMDs' punt
 * limiter (dp/actions.c) and the control thread's DHCP and ICMP limiters
 * (ctrl/apps) use it.  Header-only, no DPDK: the caller passes the clock
 * (rte_rdtsc() and rte_get_tsc_hz(), or any monotonic counter and its rate).
 *
 * Tokens are kept in thousandths so that rates below the clock resolution
 * still refill.  A bucket that was never used (zeroed) starts full.
 * Threads: a bucket belongs to one thread (no atomics).
 */
#ifndef WYV_DP_TOKEN_BUCKET_H
#define WYV_DP_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct dp_token_bucket {
	uint64_t last_tsc;    /* 0: never used, full */
	uint64_t tokens_x1k;  /* tokens * 1000 */
};

/* Refill for the time since the last call (rate tokens per second, at most
 * burst tokens), then take one token if there is one.  rate 0: no refill. */
static inline bool dp_tb_take(struct dp_token_bucket *tb, uint64_t rate, uint64_t burst,
			      uint64_t now, uint64_t hz)
{
	uint64_t cap = burst * 1000;
	if (tb->last_tsc == 0) {
		tb->tokens_x1k = cap;
	} else if (rate != 0) {
		uint64_t elapsed = now - tb->last_tsc;
		/* idle long enough to be full (and no overflow below) */
		if (elapsed >= (hz / rate + 1) * (burst + 1))
			tb->tokens_x1k = cap;
		else
			tb->tokens_x1k += elapsed * rate / (hz / 1000 + 1);
	}
	if (tb->tokens_x1k > cap)
		tb->tokens_x1k = cap;
	tb->last_tsc = now;
	if (tb->tokens_x1k < 1000)
		return false;
	tb->tokens_x1k -= 1000;
	return true;
}

#endif
