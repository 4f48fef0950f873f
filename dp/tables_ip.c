/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_ip.c — the address helpers of tables.h (dp_ip_parse,
 * dp_ip_format, dp_ip_in_prefix), shared by the stages, the tables and the
 * CLI.  Pure functions: any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tables.h"

bool dp_ip_in_prefix(const struct dp_ip *prefix, uint8_t family, const uint8_t *addr)
{
	if (prefix->family != family)
		return false;
	unsigned full = prefix->plen / 8, rem = prefix->plen % 8;
	if (memcmp(prefix->addr, addr, full) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rem));
	return (prefix->addr[full] & m) == (addr[full] & m);
}

int dp_ip_parse(const char *s, struct dp_ip *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		out->plen = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		out->plen = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		char *end;
		long plen = strtol(slash + 1, &end, 10);
		if (*end != 0 || end == slash + 1 || plen < 0 || plen > out->plen)
			return -EINVAL;
		out->plen = (uint8_t)plen;
		/* canonical: clear host bits */
		for (unsigned b = out->plen; b < (out->family == 4 ? 32u : 128u); b++)
			out->addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	}
	return 0;
}

int dp_ip_format(char *buf, size_t len, const struct dp_ip *ip)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, a, sizeof(a));
	if (ip->plen == (ip->family == 4 ? 32 : 128))
		return snprintf(buf, len, "%s", a);
	return snprintf(buf, len, "%s/%u", a, ip->plen);
}
