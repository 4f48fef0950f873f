/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/mac_fmt.h — the one MAC formatter for listings and messages:
 * lower case, colon separated ("02:77:79:76:00:67"), as every wyctl listing
 * prints MACs.  Header-only, no DPDK; any thread.
 */
#ifndef WYV_DP_MAC_FMT_H
#define WYV_DP_MAC_FMT_H

#include <stdint.h>
#include <stdio.h>

#define DP_MAC_FMT_SIZE 18

static inline char *dp_mac_format(char buf[DP_MAC_FMT_SIZE], const uint8_t m[6])
{
	snprintf(buf, DP_MAC_FMT_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	return buf;
}

#endif
