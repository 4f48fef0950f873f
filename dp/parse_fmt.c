/* SPDX-License-Identifier: BSD-3-Clause
 * dp/parse_fmt.c — flow key <-> OVS-like text ("in_port=1,eth_type=0x0800,...").
 *
 * Design: one table describes every printable field (name, offset, size, kind,
 * style); both directions walk it, so a field added to the table is printed
 * and parsed alike.  Numbers are converted to host order for printing and back
 * to the key's byte order when parsed, so format(key) -> from_string gives the
 * same key for any key the parser produces.  IP fields print as IPv4 (first 4
 * bytes) unless eth_type is IPv6 or the upper 12 bytes are non-zero; parsing
 * accepts either form.  The ARP hardware addresses, the ND fields and
 * ct_label/ct_mark share storage (flow_key.h): arp_sha/arp_tha are shown for
 * eth_type ARP, nd_target/nd_ll for other keys unless recirculated (recirc_id
 * != 0, the only keys conntrack wrote), ct_label/ct_mark for recirculated
 * keys that are not ARP or ICMPv6 NS/NA.  A text may not give both.
 *
 * With a mask only fields whose mask is non-zero are printed, a partially
 * masked one as value/mask (the value is shown masked).  Parsing accepts
 * value/mask too and stores value & mask; IP masks may be a prefix length.
 *
 * Control path only (trace, tests, logs).  Thread: any; no state.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "flow_key.h"
#include "parse.h"

enum dp_fk_kind {
	DP_FK_UINT,   /* host-order integer of 1, 2 or 4 bytes */
	DP_FK_BE,     /* network-order integer of 2 or 4 bytes */
	DP_FK_MAC,
	DP_FK_IP,     /* 16 bytes, IPv4 in the first 4 unless IPv6 */
	DP_FK_IP4,    /* 4 bytes, network order */
	DP_FK_IP6,    /* 16 bytes */
	DP_FK_FRAG,   /* ip_frag: no/first/later */
	DP_FK_HEX128, /* 16 bytes, a 128-bit number, byte 0 most significant */
};

enum dp_fk_only {
	DP_FK_ANY_TYPE,
	DP_FK_ARP_ONLY, /* shares storage with nd_target and ct_label */
	DP_FK_ND,       /* nd_target/nd_ll: share storage with ARP and ct_* */
	DP_FK_CT,       /* ct_label/ct_mark: recirculated keys only */
};

struct dp_fk_field {
	const char *name;
	uint16_t off;
	uint8_t size;
	uint8_t kind;   /* enum dp_fk_kind */
	uint8_t width;  /* 0: decimal, else hex with this many digits */
	uint8_t only;   /* enum dp_fk_only */
};

#define DP_FK(n, k, w, o) \
	{ #n, offsetof(struct dp_flow_key, n), sizeof(((struct dp_flow_key *)0)->n), k, w, o }

static const struct dp_fk_field dp_fk_fields[] = {
	DP_FK(in_port, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(recirc_id, DP_FK_UINT, 1, DP_FK_ANY_TYPE),
	DP_FK(vlan_tci, DP_FK_UINT, 4, DP_FK_ANY_TYPE),
	DP_FK(vlan_inner_tci, DP_FK_UINT, 4, DP_FK_ANY_TYPE),
	DP_FK(eth_src, DP_FK_MAC, 0, DP_FK_ANY_TYPE),
	DP_FK(eth_dst, DP_FK_MAC, 0, DP_FK_ANY_TYPE),
	DP_FK(eth_type, DP_FK_BE, 4, DP_FK_ANY_TYPE),
	DP_FK(ip_src, DP_FK_IP, 0, DP_FK_ANY_TYPE),
	DP_FK(ip_dst, DP_FK_IP, 0, DP_FK_ANY_TYPE),
	DP_FK(ip_proto, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(ip_tos, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(ip_ttl, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(ip_frag, DP_FK_FRAG, 2, DP_FK_ANY_TYPE),
	DP_FK(tp_src, DP_FK_BE, 0, DP_FK_ANY_TYPE),
	DP_FK(tp_dst, DP_FK_BE, 0, DP_FK_ANY_TYPE),
	DP_FK(tcp_flags, DP_FK_BE, 3, DP_FK_ANY_TYPE),
	DP_FK(arp_op, DP_FK_BE, 0, DP_FK_ANY_TYPE),
	DP_FK(arp_sha, DP_FK_MAC, 0, DP_FK_ARP_ONLY),
	DP_FK(arp_tha, DP_FK_MAC, 0, DP_FK_ARP_ONLY),
	DP_FK(nd_target, DP_FK_IP6, 0, DP_FK_ND),
	DP_FK(nd_ll, DP_FK_MAC, 0, DP_FK_ND),
	DP_FK(ipv6_label, DP_FK_BE, 5, DP_FK_ANY_TYPE),
	DP_FK(tun_vni, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(tun_src, DP_FK_IP4, 0, DP_FK_ANY_TYPE),
	DP_FK(tun_dst, DP_FK_IP4, 0, DP_FK_ANY_TYPE),
	DP_FK(reg_src_lport, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(reg_dst_lport, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(reg_network, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(reg_router, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(ct_state, DP_FK_UINT, 2, DP_FK_ANY_TYPE),
	DP_FK(ct_zone, DP_FK_UINT, 0, DP_FK_ANY_TYPE),
	DP_FK(ct_mark, DP_FK_UINT, 1, DP_FK_CT),
	DP_FK(ct_label, DP_FK_HEX128, 0, DP_FK_CT),
	DP_FK(ct_state_eg, DP_FK_UINT, 2, DP_FK_ANY_TYPE),
	DP_FK(ct_mark_eg, DP_FK_UINT, 1, DP_FK_CT),
};

#define DP_FK_NFIELDS (sizeof(dp_fk_fields) / sizeof(dp_fk_fields[0]))

#define DP_ETH_TYPE_IPV4 0x0800
#define DP_ETH_TYPE_ARP  0x0806
#define DP_ETH_TYPE_IPV6 0x86dd

/* ---- formatting ---------------------------------------------------------- */

struct dp_fmt {
	char *buf;
	size_t len;
	size_t pos; /* bytes that would have been written, snprintf-style */
};

static void __attribute__((format(printf, 2, 3))) dp_fmt_add(struct dp_fmt *f, const char *fmt,
							     ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(f->pos < f->len ? f->buf + f->pos : NULL,
		      f->pos < f->len ? f->len - f->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		f->pos += (size_t)n;
}

/* Integer value of a field stored at p, in host order. */
static uint64_t dp_fk_get(const struct dp_fk_field *fd, const uint8_t *p)
{
	uint64_t v = 0;

	if (fd->kind == DP_FK_BE || fd->kind == DP_FK_IP4) {
		for (unsigned i = 0; i < fd->size; i++)
			v = (v << 8) | p[i];
		return v;
	}
	switch (fd->size) {
	case 1: {
		v = p[0];
		break;
	}
	case 2: {
		uint16_t x;
		memcpy(&x, p, 2);
		v = x;
		break;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, p, 4);
		v = x;
		break;
	}
	}
	return v;
}

/* Store host-order v into the field at p, in the key's byte order. */
static void dp_fk_set(const struct dp_fk_field *fd, uint8_t *p, uint64_t v)
{

	if (fd->kind == DP_FK_BE || fd->kind == DP_FK_IP4) {
		for (unsigned i = fd->size; i-- > 0; v >>= 8)
			p[i] = (uint8_t)v;
		return;
	}
	switch (fd->size) {
	case 1:
		p[0] = (uint8_t)v;
		break;
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, 4);
		break;
	}
	}
}

static bool dp_bytes_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool dp_bytes_ones(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0xff)
			return false;
	return true;
}

static void dp_fmt_num(struct dp_fmt *f, const struct dp_fk_field *fd, uint64_t v)
{
	if (fd->width)
		dp_fmt_add(f, "0x%0*llx", fd->width, (unsigned long long)v);
	else
		dp_fmt_add(f, "%llu", (unsigned long long)v);
}

static void dp_fmt_bytes(struct dp_fmt *f, const struct dp_fk_field *fd, const uint8_t *p,
			 bool v6)
{
	char s[INET6_ADDRSTRLEN];

	switch (fd->kind) {
	case DP_FK_MAC:
		dp_fmt_add(f, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4],
			   p[5]);
		break;
	case DP_FK_IP4:
		dp_fmt_add(f, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
		break;
	case DP_FK_HEX128: {
		unsigned i = 0;
		while (i < 15 && p[i] == 0)
			i++;
		dp_fmt_add(f, "0x%x", p[i]);
		for (i++; i < 16; i++)
			dp_fmt_add(f, "%02x", p[i]);
		break;
	}
	default: /* DP_FK_IP, DP_FK_IP6 */
		if (v6 && inet_ntop(AF_INET6, p, s, sizeof(s)))
			dp_fmt_add(f, "%s", s);
		else
			dp_fmt_add(f, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
		break;
	}
}

static void dp_fmt_field(struct dp_fmt *f, const struct dp_fk_field *fd,
			 const struct dp_flow_key *key, const struct dp_flow_key *mask,
			 bool is_v6)
{
	const uint8_t *kp = (const uint8_t *)key + fd->off;
	const uint8_t *mp = mask ? (const uint8_t *)mask + fd->off : NULL;
	bool partial = mp && !dp_bytes_ones(mp, fd->size);
	uint8_t v[16];
	bool v6 = true;

	for (unsigned i = 0; i < fd->size; i++)
		v[i] = mp ? kp[i] & mp[i] : kp[i];
	if (fd->kind == DP_FK_IP) {
		v6 = is_v6 || !dp_bytes_zero(v + 4, 12) || (mp && !dp_bytes_zero(mp + 4, 12));
		/* an IPv4 address is whole when its 4 bytes are masked */
		if (!v6 && mp && dp_bytes_ones(mp, 4))
			partial = false;
	}

	dp_fmt_add(f, "%s=", fd->name);
	if (fd->kind == DP_FK_UINT || fd->kind == DP_FK_BE || fd->kind == DP_FK_FRAG) {
		uint64_t x = dp_fk_get(fd, v);

		if (fd->kind == DP_FK_FRAG && !partial && (x == 0 || x == 1 || x == 3))
			dp_fmt_add(f, "%s", x == 0 ? "no" : x == 1 ? "first" : "later");
		else
			dp_fmt_num(f, fd, x);
		if (partial) {
			dp_fmt_add(f, "/");
			dp_fmt_num(f, fd, dp_fk_get(fd, mp));
		}
		return;
	}
	dp_fmt_bytes(f, fd, v, v6);
	if (partial) {
		dp_fmt_add(f, "/");
		dp_fmt_bytes(f, fd, mp, v6);
	}
}

int dp_key_format(char *buf, size_t len, const struct dp_flow_key *key,
		  const struct dp_flow_key *mask)
{
	struct dp_fmt f = { .buf = buf, .len = len, .pos = 0 };
	uint16_t et = ntohs(key->eth_type);
	bool first = true;
	bool nd = et == DP_ETH_TYPE_IPV6 && key->ip_proto == IPPROTO_ICMPV6 &&
		  (key->tp_src == htons(135) || key->tp_src == htons(136));
	bool ct = et != DP_ETH_TYPE_ARP && !nd && key->recirc_id != 0;

	if (buf && len)
		buf[0] = '\0';
	for (unsigned i = 0; i < DP_FK_NFIELDS; i++) {
		const struct dp_fk_field *fd = &dp_fk_fields[i];
		const uint8_t *src = mask ? (const uint8_t *)mask : (const uint8_t *)key;

		if (fd->only == DP_FK_ARP_ONLY && et != DP_ETH_TYPE_ARP)
			continue;
		if (fd->only == DP_FK_ND && (et == DP_ETH_TYPE_ARP || ct))
			continue;
		if (fd->only == DP_FK_CT && !ct)
			continue;
		if (dp_bytes_zero(src + fd->off, fd->size) && (mask || i != 0))
			continue;
		if (!first)
			dp_fmt_add(&f, ",");
		first = false;
		dp_fmt_field(&f, fd, key, mask, et == DP_ETH_TYPE_IPV6);
	}
	return f.pos > INT32_MAX ? INT32_MAX : (int)f.pos;
}

/* ---- parsing ------------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4))) dp_perr(char *err, size_t errlen,
							 const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Decimal or 0x-hex unsigned integer, whole string, <= max. */
static int dp_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
	} else if (!isdigit((unsigned char)s[0])) {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int dp_parse_mac(const char *s, uint8_t *mac)
{
	for (unsigned i = 0; i < 6; i++) {
		unsigned v = 0, n = 0;

		while (isxdigit((unsigned char)*s) && n < 2) {
			v = v * 16 + (unsigned)(isdigit((unsigned char)*s) ? *s - '0'
						     : tolower((unsigned char)*s) - 'a' + 10);
			s++;
			n++;
		}
		if (n == 0)
			return -EINVAL;
		mac[i] = (uint8_t)v;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

/* A 128-bit number: 0x and up to 32 hex digits, or a decimal below 2^64;
 * into 16 bytes, most significant first. */
static int dp_parse_hex128(const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t n = strlen(s + 2);
		if (n == 0 || n > 32)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			char c = s[2 + n - 1 - i];
			unsigned d;
			if (!isxdigit((unsigned char)c))
				return -EINVAL;
			d = (unsigned)(isdigit((unsigned char)c) ? c - '0'
								 : tolower((unsigned char)c) - 'a' + 10);
			out[15 - i / 2] |= (uint8_t)(i % 2 ? d << 4 : d);
		}
		return 0;
	}
	uint64_t v;
	if (dp_parse_uint(s, ~0ull, &v) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < 8; i++)
		out[15 - i] = (uint8_t)(v >> (8 * i));
	return 0;
}

/* IPv4 or IPv6 text into 16 bytes (IPv4: first 4). v4_only for 4-byte fields. */
static int dp_parse_ip(const char *s, uint8_t *out, bool v4_only, bool v6_only)
{
	uint8_t a[16] = { 0 };

	if (!v6_only && inet_pton(AF_INET, s, a) == 1) {
		memcpy(out, a, v4_only ? 4 : 16);
		return 0;
	}
	if (!v4_only && inet_pton(AF_INET6, s, a) == 1) {
		memcpy(out, a, 16);
		return 0;
	}
	return -EINVAL;
}

/* An IP mask: an address, or a prefix length "/24" over nbytes bytes. */
static int dp_parse_ip_mask(const char *s, uint8_t *out, unsigned nbytes, bool v4_only,
			    bool v6_only)
{
	uint64_t plen;

	if (strchr(s, '.') || strchr(s, ':'))
		return dp_parse_ip(s, out, v4_only, v6_only);
	if (dp_parse_uint(s, nbytes * 8, &plen) < 0)
		return -EINVAL;
	memset(out, 0, nbytes);
	for (unsigned i = 0; i < plen; i++)
		out[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	return 0;
}

static const struct dp_fk_field *dp_fk_lookup(const char *name)
{
	for (unsigned i = 0; i < DP_FK_NFIELDS; i++)
		if (strcmp(dp_fk_fields[i].name, name) == 0)
			return &dp_fk_fields[i];
	return NULL;
}

/* name=value[/mask] for a table field. */
static int dp_parse_field(const struct dp_fk_field *fd, char *val, struct dp_flow_key *key,
			  struct dp_flow_key *mask, char *err, size_t errlen)
{
	uint8_t *p = (uint8_t *)key + fd->off;
	uint8_t *mp = mask ? (uint8_t *)mask + fd->off : NULL;
	char *slash = strchr(val, '/');
	uint8_t v[16] = { 0 }, m[16];
	uint64_t x, mx = ~0ull, max;
	bool v4o, v6o;
	int rc;

	if (slash)
		*slash++ = '\0';
	memset(m, 0xff, sizeof(m));
	switch (fd->kind) {
	case DP_FK_UINT:
	case DP_FK_BE:
	case DP_FK_FRAG:
		max = fd->size >= 8 ? ~0ull : (1ull << (fd->size * 8)) - 1;
		if (fd->kind == DP_FK_FRAG && strcmp(val, "no") == 0)
			x = 0, rc = 0;
		else if (fd->kind == DP_FK_FRAG && strcmp(val, "first") == 0)
			x = DP_FRAG_ANY, rc = 0;
		else if (fd->kind == DP_FK_FRAG && strcmp(val, "later") == 0)
			x = DP_FRAG_ANY | DP_FRAG_LATER, rc = 0;
		else
			rc = dp_parse_uint(val, max, &x);
		if (rc == -ERANGE)
			return dp_perr(err, errlen, "value '%s' out of range for '%s'", val,
				       fd->name);
		if (rc < 0)
			return dp_perr(err, errlen, "bad value '%s' for '%s'", val, fd->name);
		if (slash && dp_parse_uint(slash, max, &mx) < 0)
			return dp_perr(err, errlen, "bad mask '%s' for '%s'", slash, fd->name);
		dp_fk_set(fd, p, x & mx);
		if (mp)
			dp_fk_set(fd, mp, mx & max);
		return 0;
	case DP_FK_HEX128:
		if (dp_parse_hex128(val, v) < 0)
			return dp_perr(err, errlen, "bad value '%s' for '%s'", val, fd->name);
		if (slash && dp_parse_hex128(slash, m) < 0)
			return dp_perr(err, errlen, "bad mask '%s' for '%s'", slash, fd->name);
		break;
	case DP_FK_MAC:
		if (dp_parse_mac(val, v) < 0)
			return dp_perr(err, errlen, "bad MAC '%s'", val);
		if (slash && dp_parse_mac(slash, m) < 0)
			return dp_perr(err, errlen, "bad MAC mask '%s'", slash);
		break;
	default:
		v4o = fd->kind == DP_FK_IP4;
		v6o = fd->kind == DP_FK_IP6;
		if (dp_parse_ip(val, v, v4o, v6o) < 0)
			return dp_perr(err, errlen, "bad %s address '%s' for '%s'",
				       v4o ? "IPv4" : v6o ? "IPv6" : "IP", val, fd->name);
		/* An IPv4 value takes a 4-byte mask; an IPv6 one a 16-byte mask. */
		if (!v4o && !v6o)
			v6o = strchr(val, ':') != NULL, v4o = !v6o;
		if (slash && dp_parse_ip_mask(slash, m, v4o ? 4 : 16, v4o, v6o) < 0)
			return dp_perr(err, errlen, "bad mask '%s' for '%s'", slash, fd->name);
		break;
	}
	for (unsigned i = 0; i < fd->size; i++) {
		p[i] = v[i] & m[i];
		if (mp)
			mp[i] = m[i];
	}
	return 0;
}

struct dp_shorthand {
	const char *name;
	uint16_t eth_type; /* host order */
	uint8_t proto;     /* 0: none */
};

static const struct dp_shorthand dp_shorthands[] = {
	{ "ip", DP_ETH_TYPE_IPV4, 0 },      { "ipv6", DP_ETH_TYPE_IPV6, 0 },
	{ "arp", DP_ETH_TYPE_ARP, 0 },      { "tcp", DP_ETH_TYPE_IPV4, IPPROTO_TCP },
	{ "udp", DP_ETH_TYPE_IPV4, IPPROTO_UDP }, { "sctp", DP_ETH_TYPE_IPV4, IPPROTO_SCTP },
	{ "icmp", DP_ETH_TYPE_IPV4, IPPROTO_ICMP }, { "tcp6", DP_ETH_TYPE_IPV6, IPPROTO_TCP },
	{ "udp6", DP_ETH_TYPE_IPV6, IPPROTO_UDP }, { "sctp6", DP_ETH_TYPE_IPV6, IPPROTO_SCTP },
	{ "icmp6", DP_ETH_TYPE_IPV6, IPPROTO_ICMPV6 },
};

static char *dp_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One "name[=value]" token (already trimmed, non-empty). */
static int dp_parse_token(char *tok, struct dp_flow_key *key, struct dp_flow_key *mask,
			  char *err, size_t errlen)
{
	char *eq = strchr(tok, '='), *name = tok, *val;
	const struct dp_fk_field *fd;
	uint64_t x;

	if (!eq) {
		for (unsigned i = 0; i < sizeof(dp_shorthands) / sizeof(dp_shorthands[0]); i++) {
			const struct dp_shorthand *sh = &dp_shorthands[i];

			if (strcmp(sh->name, tok) != 0)
				continue;
			/* "tcp" keeps an eth_type given earlier ("ipv6,tcp"). */
			if (!sh->proto || key->eth_type == 0)
				key->eth_type = htons(sh->eth_type);
			if (sh->proto)
				key->ip_proto = sh->proto;
			if (mask) {
				mask->eth_type = 0xffff;
				if (sh->proto)
					mask->ip_proto = 0xff;
			}
			return 0;
		}
		if (dp_fk_lookup(tok) || !strcmp(tok, "icmp_type") || !strcmp(tok, "icmp_code"))
			return dp_perr(err, errlen, "missing value for '%s'", tok);
		return dp_perr(err, errlen, "unknown field '%s'", tok);
	}
	*eq = '\0';
	name = dp_trim(name);
	val = dp_trim(eq + 1);
	if (!strcmp(name, "icmp_type") || !strcmp(name, "icmp_code")) {
		int rc = dp_parse_uint(val, 255, &x);

		if (rc == -ERANGE)
			return dp_perr(err, errlen, "value '%s' out of range for '%s'", val, name);
		if (rc < 0)
			return dp_perr(err, errlen, "bad value '%s' for '%s'", val, name);
		if (name[5] == 't')
			key->tp_src = htons((uint16_t)x);
		else
			key->tp_dst = htons((uint16_t)x);
		if (mask && name[5] == 't')
			mask->tp_src = 0xffff;
		else if (mask)
			mask->tp_dst = 0xffff;
		return 0;
	}
	fd = dp_fk_lookup(name);
	if (!fd)
		return dp_perr(err, errlen, "unknown field '%s'", name);
	if (*val == '\0')
		return dp_perr(err, errlen, "missing value for '%s'", name);
	return dp_parse_field(fd, val, key, mask, err, errlen);
}

int dp_key_from_string(const char *spec, struct dp_flow_key *key, char *err, size_t errlen)
{
	return dp_key_mask_from_string(spec, key, NULL, err, errlen);
}

int dp_key_mask_from_string(const char *spec, struct dp_flow_key *key, struct dp_flow_key *mask,
			    char *err, size_t errlen)
{
	const char *s = spec;
	char tok[256];
	bool ct_given = false, shared_given = false;
	int rc;

	memset(key, 0, sizeof(*key));
	if (mask)
		memset(mask, 0, sizeof(*mask));
	if (err && errlen)
		err[0] = '\0';
	if (!spec)
		return dp_perr(err, errlen, "empty flow spec");
	while (*s) {
		size_t n = strcspn(s, ",");
		char *t;

		if (n >= sizeof(tok))
			return dp_perr(err, errlen, "field too long at '%.32s...'", s);
		memcpy(tok, s, n);
		tok[n] = '\0';
		s += n;
		if (*s == ',')
			s++;
		t = dp_trim(tok);
		if (*t == '\0')
			continue;
		if (!strncmp(t, "ct_mark", 7) || !strncmp(t, "ct_label", 8))  /* and ct_mark_eg */
			ct_given = true;
		if (!strncmp(t, "nd_", 3) || !strncmp(t, "arp_sha", 7) || !strncmp(t, "arp_tha", 7))
			shared_given = true;
		rc = ct_given && shared_given
			? dp_perr(err, errlen, "ct_mark/ct_label share storage with the ARP and "
				  "ND fields: give one or the other")
			: dp_parse_token(t, key, mask, err, errlen);
		if (rc < 0) {
			memset(key, 0, sizeof(*key));
			if (mask)
				memset(mask, 0, sizeof(*mask));
			return rc;
		}
	}
	return 0;
}
