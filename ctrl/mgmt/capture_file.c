/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/capture_file.c — pcapng section header, interface block, packets
 * (see capture_file.h; block layouts from the pcapng specification).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "capture_file.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 1u
#define PCAPNG_EPB 6u
#define EPB_HDR 28u                      /* type, len, ifid, ts hi, ts lo, caplen, origlen */

struct blk {
	uint8_t b[2048];
	size_t n;
};

static void put(struct blk *k, const void *p, size_t n)
{
	if (k->n + n > sizeof(k->b))
		n = sizeof(k->b) - k->n;
	memcpy(k->b + k->n, p, n);
	k->n += n;
}

static void put32(struct blk *k, uint32_t v) { put(k, &v, 4); }
static void put16(struct blk *k, uint16_t v) { put(k, &v, 2); }

static void opt(struct blk *k, uint16_t code, const void *v, size_t len)
{
	static const uint8_t zero[4];
	if (len > 512)
		len = 512;
	put16(k, code);
	put16(k, (uint16_t)len);
	put(k, v, len);
	put(k, zero, (4 - len % 4) % 4);
}

static void opt_str(struct blk *k, uint16_t code, const char *s)
{
	if (s && *s)
		opt(k, code, s, strlen(s));
}

/* Close a block begun at `start`: end-of-options, trailer, both lengths. */
static void finish(struct blk *k, size_t start)
{
	put32(k, 0);                     /* opt_endofopt */
	uint32_t len = (uint32_t)(k->n - start + 4);
	memcpy(k->b + start + 4, &len, 4);
	put32(k, len);
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctrl_pcapng_header(int fd, const char *ifname, const char *ifdescr, const char *comment)
{
	struct blk k = { .n = 0 };
	put32(&k, PCAPNG_SHB);
	put32(&k, 0);                    /* length, set by finish */
	put32(&k, 0x1A2B3C4D);           /* byte-order magic */
	put16(&k, 1);                    /* version 1.0 */
	put16(&k, 0);
	put32(&k, 0xffffffffu);          /* section length: unknown */
	put32(&k, 0xffffffffu);
	opt_str(&k, 1, comment);         /* opt_comment */
	opt_str(&k, 3, "Linux");         /* shb_os */
	opt_str(&k, 4, "wyvern (wyctl capture)"); /* shb_userappl */
	finish(&k, 0);
	size_t idb = k.n;
	put32(&k, PCAPNG_IDB);
	put32(&k, 0);
	put16(&k, 1);                    /* LINKTYPE_ETHERNET */
	put16(&k, 0);
	put32(&k, 0);                    /* snaplen: none */
	opt_str(&k, 2, ifname);          /* if_name */
	opt_str(&k, 3, ifdescr);         /* if_description */
	uint8_t tsresol = 9;             /* nanoseconds, as rte_pcapng_copy writes */
	opt(&k, 9, &tsresol, 1);
	finish(&k, idb);
	return write_all(fd, k.b, k.n);
}

int ctrl_pcapng_frame(const struct rte_mbuf *m, const uint8_t **data, uint32_t *caplen,
		      uint32_t *origlen)
{
	const uint32_t *w = rte_pktmbuf_mtod(m, const uint32_t *);
	if (rte_pktmbuf_data_len(m) < EPB_HDR || w[0] != PCAPNG_EPB)
		return -EINVAL;
	*data = rte_pktmbuf_mtod_offset(m, const uint8_t *, EPB_HDR);
	*caplen = w[5];
	*origlen = w[6];
	if (*caplen > rte_pktmbuf_data_len(m) - EPB_HDR)   /* rest in later segments */
		*caplen = rte_pktmbuf_data_len(m) - EPB_HDR;
	return 0;
}

int ctrl_pcapng_packet(int fd, struct rte_mbuf *epb)
{
	uint32_t *w = rte_pktmbuf_mtod(epb, uint32_t *);
	if (rte_pktmbuf_data_len(epb) < EPB_HDR || w[0] != PCAPNG_EPB)
		return -EINVAL;
	w[2] = 0;                        /* our one interface */
	for (struct rte_mbuf *s = epb; s != NULL; s = s->next) {
		int rc = write_all(fd, rte_pktmbuf_mtod(s, void *), rte_pktmbuf_data_len(s));
		if (rc < 0)
			return rc;
	}
	return 0;
}
