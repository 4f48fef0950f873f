/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl_addr.c — UUID, IP, prefix and MAC helpers (see mdl_addr.h).
 * Containment and overlap compare the first `len` bits; overlap of two
 * prefixes is containment of the shorter one's network in the longer one's
 * mask, which is O(1) and needs no ranges. */
#include "mdl.h"
#include "mdl_addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mdl_uuid_generate(char *out)
{
	uint8_t r[16];
	size_t got = 0;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < sizeof(r)) {
		ssize_t n = read(fd, r + got, sizeof(r) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			close(fd);
			return err;
		}
		got += (size_t)n;
	}
	close(fd);
	r[6] = (r[6] & 0x0f) | 0x40;    /* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;    /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
		 r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	return 0;
}

bool mdl_uuid_valid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

int mdl_ip_parse(const char *s, struct mdl_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (!s || !*s)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, ip->b) != 1)
			return -EINVAL;
		ip->family = 6;
	} else {
		if (inet_pton(AF_INET, s, ip->b) != 1)
			return -EINVAL;
		ip->family = 4;
	}
	return 0;
}

static int parse_len(const char *s, int max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s) || (s[0] == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > max)
		return -EINVAL;
	return (int)v;
}

int mdl_prefix_parse(const char *s, struct mdl_prefix *p)
{
	char buf[64];
	const char *slash;
	size_t n;
	int len;

	memset(p, 0, sizeof(*p));
	if (!s || !(slash = strchr(s, '/')))
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (mdl_ip_parse(buf, &p->addr))
		return -EINVAL;
	len = parse_len(slash + 1, p->addr.family == 4 ? 32 : 128);
	if (len < 0)
		return -EINVAL;
	p->len = len;
	return 0;
}

int mdl_ip_or_prefix_parse(const char *s, struct mdl_prefix *p)
{
	if (s && strchr(s, '/'))
		return mdl_prefix_parse(s, p);
	memset(p, 0, sizeof(*p));
	if (mdl_ip_parse(s, &p->addr))
		return -EINVAL;
	p->len = p->addr.family == 4 ? 32 : 128;
	return 0;
}

char *mdl_ip_format(const struct mdl_ip *ip, char *buf, size_t size)
{
	if (!inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->b, buf,
		       (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

static size_t ip_bytes(const struct mdl_ip *ip)
{
	return ip->family == 4 ? 4 : 16;
}

int mdl_ip_cmp(const struct mdl_ip *a, const struct mdl_ip *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->b, b->b, ip_bytes(a));
	return c < 0 ? -1 : c > 0;
}

/* Compares the first `len` bits of a and b. */
static bool bits_equal(const uint8_t *a, const uint8_t *b, int len)
{
	int full = len / 8, rest = len % 8;

	if (memcmp(a, b, (size_t)full))
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		return (a[full] & m) == (b[full] & m);
	}
	return true;
}

bool mdl_prefix_has_host_bits(const struct mdl_prefix *p)
{
	struct mdl_ip first;

	mdl_prefix_first(p, &first);
	return mdl_ip_cmp(&first, &p->addr) != 0;
}

bool mdl_prefix_contains(const struct mdl_prefix *p, const struct mdl_ip *ip)
{
	if (p->addr.family != ip->family)
		return false;
	return bits_equal(p->addr.b, ip->b, p->len);
}

bool mdl_prefix_overlap(const struct mdl_prefix *a, const struct mdl_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return bits_equal(a->addr.b, b->addr.b, a->len < b->len ? a->len : b->len);
}

static void prefix_fill(const struct mdl_prefix *p, struct mdl_ip *out, bool ones)
{
	size_t nbits = ip_bytes(&p->addr) * 8;
	size_t i;

	*out = p->addr;
	for (i = (size_t)p->len; i < nbits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if (ones)
			out->b[i / 8] |= m;
		else
			out->b[i / 8] &= (uint8_t)~m;
	}
}

void mdl_prefix_first(const struct mdl_prefix *p, struct mdl_ip *out)
{
	prefix_fill(p, out, false);
}

void mdl_prefix_last(const struct mdl_prefix *p, struct mdl_ip *out)
{
	prefix_fill(p, out, true);
}

int mdl_mac_parse(const char *s, uint8_t mac[6])
{
	int i;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *c = s + i * 3;
		char hex[3] = { c[0], c[1], 0 };

		if (!isxdigit((unsigned char)c[0]) || !isxdigit((unsigned char)c[1]))
			return -EINVAL;
		if (i < 5 && c[2] != ':')
			return -EINVAL;
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return 0;
}

void mdl_chassis_id(const char *name, char *out)
{
	/* name-based, stable across restarts (FNV-1a, two seeds; v5 layout) */
	uint8_t b[16];
	/* (its own seeds: they are part of every chassis id already written,
	 * and scripts/etcd-roles.sh computes the same) */
	uint64_t h1 = 1469598103934665603ull, h2 = 0x84222325cbf29ce4ull;
	for (const char *p = name; *p; p++) {
		h1 = (h1 ^ (uint8_t)*p) * 1099511628211ull;
		h2 = (h2 ^ (uint8_t)*p) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
	}
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(h1 >> (8 * i));
		b[8 + i] = (uint8_t)(h2 >> (8 * i));
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x50);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, MDL_ID_SIZE,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}
