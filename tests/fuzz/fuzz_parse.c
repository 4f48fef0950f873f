/* SPDX-License-Identifier: BSD-3-Clause
 * tests/fuzz/fuzz_parse.c — libFuzzer harness for dp/parse.c: the access
 * port parser (dp_parse) and the uplink's tunnel parser (dp_parse_tnl,
 * VXLAN/Geneve), on raw bytes and on mbufs.
 *
 * Each input is one Ethernet frame.  ASan sees every read because the bytes
 * never sit in a large mempool buffer: the raw parsers get an exact-size heap
 * copy, and the mbufs carry that copy as an external buffer (headroom 0,
 * buffer length = frame length).  Properties checked (abort() on failure):
 *  - mbuf and raw-bytes parsing agree (reason, key, l2/l3/outer lengths);
 *  - an accepted key survives dp_key_format -> dp_key_from_string;
 *  - split into two segments, the parser reads only the first one and an
 *    accepted packet's headers lie inside it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "drop.h"
#include "flow_key.h"
#include "parse.h"
#include "fuzz_eal.h"

#define FZ_MAX_FRAME 9216
#define FZ_PORT 3

static struct rte_mempool *fz_mp;

static void fz_free_cb(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque; /* the harness frees its heap copies itself */
}

/* A data-less mbuf carrying buf[0..len) as its external buffer. */
static struct rte_mbuf *fz_ext_mbuf(uint8_t *buf, uint16_t len,
				    struct rte_mbuf_ext_shared_info *sh)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fz_mp);
	if (m == NULL)
		abort();
	memset(sh, 0, sizeof(*sh));
	sh->free_cb = fz_free_cb;
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, buf, RTE_BAD_IOVA, len, sh);
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

static void fz_check_fmt(const struct dp_flow_key *k)
{
	char txt[1024], err[128];
	struct dp_flow_key back;
	int n = dp_key_format(txt, sizeof(txt), k, NULL);
	if (n <= 0 || (size_t)n >= sizeof(txt))
		abort();
	if (dp_key_from_string(txt, &back, err, sizeof(err)) != 0 || !dp_key_equal(k, &back)) {
		fprintf(stderr, "key round trip failed: %s (%s)\n", txt, err);
		abort();
	}
}

static void fz_teardown_parse(void)
{
	rte_mempool_free(fz_mp);
	fz_mp = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_eal_init("parse", "-l", "0", (char *)NULL);
	fz_mp = rte_pktmbuf_pool_create("fz_parse", 63, 0, 0, 0, SOCKET_ID_ANY);
	if (fz_mp == NULL)
		exit(2);
	fz_teardown = fz_teardown_parse;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_flow_key kb, km, tb, tm;
	struct rte_mbuf_ext_shared_info sh1, sh2;
	uint16_t l2, l3, outer;

	if (size > FZ_MAX_FRAME)
		return -1;
	uint16_t len = (uint16_t)size;
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, len);

	/* raw bytes: access port and uplink */
	unsigned rb = dp_parse_buf(buf, len, FZ_PORT, &kb, &l2, &l3);
	unsigned rtb = dp_parse_tnl_buf(buf, len, FZ_PORT, 0, &tb, &outer);
	if (rb >= DP_DROP__MAX || rtb >= DP_DROP__MAX)
		abort();
	if (rb == DP_DROP_NONE) {
		if ((uint32_t)l2 + l3 > len)
			abort();
		fz_check_fmt(&kb);
	}
	if (rtb == DP_DROP_NONE) {
		if (outer != 0 && (uint32_t)outer + 14 > len)
			abort();
		if (outer == 0 && !dp_key_equal(&kb, &tb))
			abort(); /* not a tunnel: the access parser's key */
		fz_check_fmt(&tb);
	}

	/* the same frame as a one-segment mbuf */
	struct rte_mbuf *m = fz_ext_mbuf(buf, len, &sh1);
	unsigned rm = dp_parse(m, FZ_PORT, &km);
	if (rm != rb || !dp_key_equal(&km, &kb) || m->l2_len != l2 || m->l3_len != l3)
		abort();
	unsigned rtm = dp_parse_tnl(m, FZ_PORT, 0, &tm);
	if (rtm != rtb || !dp_key_equal(&tm, &tb) || m->outer_l3_len != outer)
		abort();
	if (rtm == DP_DROP_NONE &&
	    (uint32_t)m->outer_l3_len + m->l2_len + m->l3_len > len)
		abort();
	rte_pktmbuf_free(m);

	/* two segments, split where the last byte says: only the first is read */
	if (len >= 16) {
		uint16_t k = (uint16_t)(1 + data[len - 1] % (len - 1));
		uint8_t *b2 = malloc(len - k);
		if (b2 == NULL)
			abort();
		memcpy(b2, buf + k, len - k);
		struct rte_mbuf *m1 = fz_ext_mbuf(buf, k, &sh1);
		struct rte_mbuf *m2 = fz_ext_mbuf(b2, (uint16_t)(len - k), &sh2);
		if (rte_pktmbuf_chain(m1, m2) != 0)
			abort();
		unsigned r = dp_parse(m1, FZ_PORT, &km);
		if (r >= DP_DROP__MAX ||
		    (r == DP_DROP_NONE && (uint32_t)m1->l2_len + m1->l3_len > k))
			abort();
		r = dp_parse_tnl(m1, FZ_PORT, 0, &tm);
		if (r >= DP_DROP__MAX ||
		    (r == DP_DROP_NONE &&
		     (uint32_t)m1->outer_l3_len + m1->l2_len + m1->l3_len > k))
			abort();
		rte_pktmbuf_free(m1);
		free(b2);
	}
	free(buf);
	return 0;
}
