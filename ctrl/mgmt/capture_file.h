/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/capture_file.h — the pcapng file of `wyctl capture`.
 *
 * The section header and the ONE interface block (named after the dp port,
 * described with its devargs, nanosecond timestamps) are written here;
 * packets are the Enhanced Packet Blocks rte_pcapng_copy() built on the
 * PMD, written as they are after their interface id is set to 0.  (DPDK
 * 22.11's rte_pcapng_fdopen would describe every ethdev as "dpdk:N" with
 * no description, and a removed port shifts its interface numbering.)
 * Thread: control thread.
 */
#ifndef WYV_CTRL_CAPTURE_FILE_H
#define WYV_CTRL_CAPTURE_FILE_H

#include <rte_mbuf.h>

/* Section header + interface description; 0 or -errno. */
int ctrl_pcapng_header(int fd, const char *ifname, const char *ifdescr, const char *comment);
/* One EPB mbuf (chain) from rte_pcapng_copy; 0 or -errno.  Not freed. */
int ctrl_pcapng_packet(int fd, struct rte_mbuf *epb);
/* The frame inside an EPB mbuf (first segment): its data, captured and
 * original length.  -EINVAL when m is no EPB. */
int ctrl_pcapng_frame(const struct rte_mbuf *m, const uint8_t **data, uint32_t *caplen,
		      uint32_t *origlen);

#endif
