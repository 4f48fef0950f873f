/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/dhcp_msg.c — DHCPv4 parse/build (see dhcp_msg.h).
 *
 * Options are parsed from the options field and, when option 52 (overload)
 * says so, from the file and sname fields (RFC 2131 4.1).  An option that
 * appears several times is concatenated (RFC 3396) for the list options we
 * decode (6, 55, 121); for fixed-size options the last one wins.
 */
#include <string.h>
#include <arpa/inet.h>

#include "dhcp_msg.h"

static const char *const type_names[DHCP_TYPE__MAX] = {
	[DHCP_DISCOVER] = "discover", [DHCP_OFFER] = "offer",   [DHCP_REQUEST] = "request",
	[DHCP_DECLINE] = "decline",   [DHCP_ACK] = "ack",       [DHCP_NAK] = "nak",
	[DHCP_RELEASE] = "release",   [DHCP_INFORM] = "inform",
};

static const char *const err_names[DHCP_ERR__MAX] = {
	[DHCP_OK] = "ok",
	[DHCP_ERR_TRUNC_FRAME] = "trunc-frame",
	[DHCP_ERR_NOT_IPV4] = "not-ipv4",
	[DHCP_ERR_BAD_IP] = "bad-ip",
	[DHCP_ERR_NOT_UDP] = "not-udp",
	[DHCP_ERR_BAD_UDP] = "bad-udp",
	[DHCP_ERR_BAD_PORTS] = "bad-ports",
	[DHCP_ERR_TRUNC_BOOTP] = "trunc-bootp",
	[DHCP_ERR_BAD_HDR] = "bad-header",
	[DHCP_ERR_BAD_COOKIE] = "bad-cookie",
	[DHCP_ERR_OPT_OVERRUN] = "option-overrun",
	[DHCP_ERR_NO_END] = "no-end",
	[DHCP_ERR_BAD_OPT] = "bad-option",
	[DHCP_ERR_TOO_MANY_OPTS] = "too-many-options",
	[DHCP_ERR_NO_TYPE] = "no-type",
	[DHCP_ERR_BAD_TYPE] = "bad-type",
};

const char *dhcp_type_name(unsigned type)
{
	return type < DHCP_TYPE__MAX && type_names[type] ? type_names[type] : "?";
}

const char *dhcp_err_name(unsigned err)
{
	return err < DHCP_ERR__MAX && err_names[err] ? err_names[err] : "?";
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rdaddr(const uint8_t *p)
{
	uint32_t a;
	memcpy(&a, p, 4);
	return a;
}

/* ---- routes (RFC 3442) -------------------------------------------------- */

size_t dhcp_encode_routes(uint8_t *out, size_t cap, const struct dhcp_route *r, unsigned n)
{
	size_t k = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned sig = (r[i].plen + 7u) / 8u;
		if (r[i].plen > 32 || k + 1 + sig + 4 > cap)
			return 0;
		out[k++] = r[i].plen;
		memcpy(out + k, &r[i].dst, sig);
		k += sig;
		memcpy(out + k, &r[i].gw, 4);
		k += 4;
	}
	return k;
}

int dhcp_decode_routes(const uint8_t *v, size_t len, struct dhcp_route *r, unsigned max,
		       uint8_t *n)
{
	size_t k = 0;
	unsigned cnt = 0;
	while (k < len) {
		uint8_t plen = v[k++];
		unsigned sig = (plen + 7u) / 8u;
		if (plen > 32 || k + sig + 4 > len)
			return -DHCP_ERR_BAD_OPT;
		if (cnt < max) {
			uint8_t d[4] = { 0 };
			memcpy(d, v + k, sig);
			r[cnt].plen = plen;
			memcpy(&r[cnt].dst, d, 4);
			memcpy(&r[cnt].gw, v + k + sig, 4);
			cnt++;
		}
		k += sig + 4;
	}
	*n = (uint8_t)cnt;
	return 0;
}

/* ---- parse --------------------------------------------------------------- */

struct accum {                   /* concatenated multi-instance options */
	uint8_t dns[4 * DHCP_MAX_DNS * 2];
	size_t n_dns;
	uint8_t routes[1024];
	size_t n_routes;
	bool routes_full;
};

static int one_option(struct dhcp_msg *m, struct accum *a, uint8_t code, const uint8_t *v,
		      uint8_t len)
{
#define NEED(n) do { if (len != (n)) return -DHCP_ERR_BAD_OPT; } while (0)
	switch (code) {
	case 53:
		NEED(1);
		m->type = v[0];
		break;
	case 50:
		NEED(4);
		m->requested_ip = rdaddr(v);
		break;
	case 54:
		NEED(4);
		m->server_id = rdaddr(v);
		break;
	case 1:
		NEED(4);
		m->subnet_mask = rdaddr(v);
		m->present |= DHCP_HAS_MASK;
		break;
	case 3:
		if (len < 4 || len % 4)
			return -DHCP_ERR_BAD_OPT;
		m->router = rdaddr(v);
		break;
	case 28:
		NEED(4);
		m->broadcast = rdaddr(v);
		break;
	case 51:
		NEED(4);
		m->lease = rd32(v);
		m->present |= DHCP_HAS_LEASE;
		break;
	case 58:
		NEED(4);
		m->t1 = rd32(v);
		m->present |= DHCP_HAS_T1;
		break;
	case 59:
		NEED(4);
		m->t2 = rd32(v);
		m->present |= DHCP_HAS_T2;
		break;
	case 26:
		NEED(2);
		m->mtu = (uint16_t)(v[0] << 8 | v[1]);
		if (m->mtu < 68)
			return -DHCP_ERR_BAD_OPT;
		m->present |= DHCP_HAS_MTU;
		break;
	case 57:
		NEED(2);
		m->max_size = (uint16_t)(v[0] << 8 | v[1]);
		break;
	case 52:
		NEED(1);
		if (v[0] < 1 || v[0] > 3)
			return -DHCP_ERR_BAD_OPT;
		m->overload = v[0];
		break;
	case 6:
		if (len % 4)
			return -DHCP_ERR_BAD_OPT;
		if (a->n_dns + len <= sizeof(a->dns)) {
			memcpy(a->dns + a->n_dns, v, len);
			a->n_dns += len;
		}
		break;
	case 55:
		for (unsigned i = 0; i < len && m->n_prl < DHCP_MAX_PRL; i++)
			m->prl[m->n_prl++] = v[i];
		break;
	case 121:
		m->present |= DHCP_HAS_ROUTES;
		if (a->n_routes + len <= sizeof(a->routes)) {
			memcpy(a->routes + a->n_routes, v, len);
			a->n_routes += len;
		} else {
			a->routes_full = true;
		}
		break;
	case 15: {
		size_t n = strnlen((const char *)m->domain, DHCP_DOMAIN_MAX);
		for (unsigned i = 0; i < len && n < DHCP_DOMAIN_MAX; i++)
			if (v[i] != 0)
				m->domain[n++] = (char)v[i];
		m->domain[n] = 0;
		break;
	}
	default:
		break;
	}
	return 0;
#undef NEED
}

/* Walk one options area.  need_end: the area must end with END. */
static int walk_options(struct dhcp_msg *m, struct accum *a, const uint8_t *p, size_t len,
			bool need_end)
{
	size_t k = 0;
	while (k < len) {
		uint8_t code = p[k++];
		if (code == 0)
			continue;
		if (code == 255)
			return 0;
		if (k >= len)
			return -DHCP_ERR_OPT_OVERRUN;
		uint8_t olen = p[k++];
		if (k + olen > len)
			return -DHCP_ERR_OPT_OVERRUN;
		if (++m->n_options > DHCP_MAX_OPTIONS)
			return -DHCP_ERR_TOO_MANY_OPTS;
		int rc = one_option(m, a, code, p + k, olen);
		if (rc < 0)
			return rc;
		k += olen;
	}
	return need_end ? -DHCP_ERR_NO_END : 0;
}

int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (p == NULL || len < DHCP_BOOTP_FIXED + 4)
		return -DHCP_ERR_TRUNC_BOOTP;
	m->op = p[0];
	m->htype = p[1];
	m->hlen = p[2];
	m->hops = p[3];
	memcpy(&m->xid, p + 4, 4);
	memcpy(&m->secs, p + 8, 2);
	m->flags = (uint16_t)(p[10] << 8 | p[11]);
	m->ciaddr = rdaddr(p + 12);
	m->yiaddr = rdaddr(p + 16);
	m->siaddr = rdaddr(p + 20);
	m->giaddr = rdaddr(p + 24);
	memcpy(m->chaddr, p + 28, 16);
	if ((m->op != 1 && m->op != 2) || m->htype != 1 || m->hlen != 6)
		return -DHCP_ERR_BAD_HDR;
	if (rd32(p + DHCP_BOOTP_FIXED) != DHCP_MAGIC)
		return -DHCP_ERR_BAD_COOKIE;
	struct accum a;
	a.n_dns = a.n_routes = 0;
	a.routes_full = false;
	const uint8_t *opt = p + DHCP_BOOTP_FIXED + 4;
	int rc = walk_options(m, &a, opt, len - DHCP_BOOTP_FIXED - 4, true);
	if (rc < 0)
		return rc;
	/* overload: file (108..235) then sname (44..107) hold options too */
	uint8_t ov = m->overload;
	if (ov & 1) {
		if ((rc = walk_options(m, &a, p + 108, 128, false)) < 0)
			return rc;
	}
	if (ov & 2) {
		if ((rc = walk_options(m, &a, p + 44, 64, false)) < 0)
			return rc;
	}
	m->overload = ov;
	if (a.routes_full)
		return -DHCP_ERR_BAD_OPT;
	for (size_t i = 0; i + 4 <= a.n_dns && m->n_dns < DHCP_MAX_DNS; i += 4)
		m->dns[m->n_dns++] = rdaddr(a.dns + i);
	if (a.n_routes &&
	    (rc = dhcp_decode_routes(a.routes, a.n_routes, m->routes, DHCP_MAX_ROUTES,
				     &m->n_routes)) < 0)
		return rc;
	if (m->type == 0)
		return -DHCP_ERR_NO_TYPE;
	if (m->type >= DHCP_TYPE__MAX)
		return -DHCP_ERR_BAD_TYPE;
	return 0;
}

int dhcp_parse_frame(const uint8_t *fr, size_t len, bool server_side, struct dhcp_frame *f,
		     struct dhcp_msg *m)
{
	memset(f, 0, sizeof(*f));
	if (fr == NULL || len < DHCP_FRAME_HDRS)
		return -DHCP_ERR_TRUNC_FRAME;
	memcpy(f->eth_dst, fr, 6);
	memcpy(f->eth_src, fr + 6, 6);
	if (fr[12] != 0x08 || fr[13] != 0x00)
		return -DHCP_ERR_NOT_IPV4;
	const uint8_t *ip = fr + 14;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	size_t tot = (size_t)(ip[2] << 8 | ip[3]);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl + 8 || 14 + tot > len)
		return -DHCP_ERR_BAD_IP;
	if ((ip[6] & 0x3f) != 0 || ip[7] != 0)      /* MF or an offset: a fragment */
		return -DHCP_ERR_BAD_IP;
	if (ip[9] != 17)
		return -DHCP_ERR_NOT_UDP;
	f->ttl = ip[8];
	f->ip_src = rdaddr(ip + 12);
	f->ip_dst = rdaddr(ip + 16);
	const uint8_t *udp = ip + ihl;
	size_t ulen = (size_t)(udp[4] << 8 | udp[5]);
	if (ulen < 8 || ulen > tot - ihl)
		return -DHCP_ERR_BAD_UDP;
	f->sport = (uint16_t)(udp[0] << 8 | udp[1]);
	f->dport = (uint16_t)(udp[2] << 8 | udp[3]);
	uint16_t want_s = server_side ? DHCP_CLIENT_PORT : DHCP_SERVER_PORT;
	uint16_t want_d = server_side ? DHCP_SERVER_PORT : DHCP_CLIENT_PORT;
	if (f->sport != want_s || f->dport != want_d)
		return -DHCP_ERR_BAD_PORTS;
	int rc = dhcp_parse(udp + 8, ulen - 8, m);
	if (rc < 0)
		return rc;
	if (m->op != (server_side ? 1 : 2))
		return -DHCP_ERR_BAD_HDR;
	bool client_type = m->type == DHCP_DISCOVER || m->type == DHCP_REQUEST ||
			   m->type == DHCP_DECLINE || m->type == DHCP_RELEASE ||
			   m->type == DHCP_INFORM;
	if (client_type != server_side)
		return -DHCP_ERR_BAD_TYPE;
	return 0;
}

/* ---- build --------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t cap, n;
	bool full;
};

static void put(struct wbuf *w, const void *v, size_t len)
{
	if (w->full || w->n + len > w->cap) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->n, v, len);
	w->n += len;
}

/* One option; values longer than 255 become several instances (RFC 3396). */
static void put_opt(struct wbuf *w, uint8_t code, const void *v, size_t len)
{
	const uint8_t *b = v;
	do {
		uint8_t l = (uint8_t)(len > 255 ? 255 : len);
		uint8_t h[2] = { code, l };
		put(w, h, 2);
		put(w, b, l);
		b += l;
		len -= l;
	} while (len > 0);
}

static void put_u32(struct wbuf *w, uint8_t code, uint32_t host)
{
	uint32_t v = htonl(host);
	put_opt(w, code, &v, 4);
}

static void put_addr(struct wbuf *w, uint8_t code, uint32_t net)
{
	put_opt(w, code, &net, 4);
}

size_t dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_msg *m)
{
	struct wbuf w = { .p = buf, .cap = cap };
	uint8_t hdr[DHCP_BOOTP_FIXED];
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = m->op;
	hdr[1] = m->htype ? m->htype : 1;
	hdr[2] = m->hlen ? m->hlen : 6;
	hdr[3] = m->hops;
	memcpy(hdr + 4, &m->xid, 4);
	memcpy(hdr + 8, &m->secs, 2);
	hdr[10] = (uint8_t)(m->flags >> 8);
	hdr[11] = (uint8_t)m->flags;
	memcpy(hdr + 12, &m->ciaddr, 4);
	memcpy(hdr + 16, &m->yiaddr, 4);
	memcpy(hdr + 20, &m->siaddr, 4);
	memcpy(hdr + 24, &m->giaddr, 4);
	memcpy(hdr + 28, m->chaddr, 16);
	put(&w, hdr, sizeof(hdr));
	uint32_t magic = htonl(DHCP_MAGIC);
	put(&w, &magic, 4);
	put_opt(&w, 53, &m->type, 1);
	if (m->server_id)
		put_addr(&w, 54, m->server_id);
	if (m->requested_ip)
		put_addr(&w, 50, m->requested_ip);
	if (m->n_prl)
		put_opt(&w, 55, m->prl, m->n_prl);
	if (m->max_size) {
		uint8_t v[2] = { (uint8_t)(m->max_size >> 8), (uint8_t)m->max_size };
		put_opt(&w, 57, v, 2);
	}
	if (m->present & DHCP_HAS_LEASE)
		put_u32(&w, 51, m->lease);
	if (m->present & DHCP_HAS_T1)
		put_u32(&w, 58, m->t1);
	if (m->present & DHCP_HAS_T2)
		put_u32(&w, 59, m->t2);
	if (m->present & DHCP_HAS_MASK)
		put_addr(&w, 1, m->subnet_mask);
	if (m->broadcast)
		put_addr(&w, 28, m->broadcast);
	if (m->router)
		put_addr(&w, 3, m->router);
	if (m->n_dns)
		put_opt(&w, 6, m->dns, (size_t)m->n_dns * 4);
	if (m->domain[0])
		put_opt(&w, 15, m->domain, strnlen(m->domain, DHCP_DOMAIN_MAX));
	if (m->present & DHCP_HAS_MTU) {
		uint8_t v[2] = { (uint8_t)(m->mtu >> 8), (uint8_t)m->mtu };
		put_opt(&w, 26, v, 2);
	}
	if ((m->present & DHCP_HAS_ROUTES) && m->n_routes) {
		uint8_t r[DHCP_MAX_ROUTES * 9];
		size_t rl = dhcp_encode_routes(r, sizeof(r), m->routes, m->n_routes);
		if (rl == 0)
			return 0;
		put_opt(&w, 121, r, rl);
		put_opt(&w, 249, r, rl);   /* the pre-RFC Microsoft code, same format */
	}
	uint8_t end = 255;
	put(&w, &end, 1);
	while (!w.full && w.n < DHCP_MIN_BOOTP) {
		uint8_t z = 0;
		put(&w, &z, 1);
	}
	return w.full ? 0 : w.n;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t dhcp_build_frame(uint8_t *buf, size_t cap, const struct dhcp_frame *f,
			const struct dhcp_msg *m)
{
	if (cap < DHCP_FRAME_HDRS + DHCP_MIN_BOOTP)
		return 0;
	size_t bl = dhcp_build(buf + DHCP_FRAME_HDRS, cap - DHCP_FRAME_HDRS, m);
	if (bl == 0 || bl > 65535 - 28)
		return 0;
	uint8_t *e = buf, *ip = buf + 14, *udp = buf + 34;
	memcpy(e, f->eth_dst, 6);
	memcpy(e + 6, f->eth_src, 6);
	e[12] = 0x08;
	e[13] = 0x00;
	size_t tot = 20 + 8 + bl;
	ip[0] = 0x45;
	ip[1] = 0x10;                 /* low delay, like most DHCP servers */
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[4] = ip[5] = 0;
	ip[6] = ip[7] = 0;
	ip[8] = f->ttl ? f->ttl : 64;
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &f->ip_src, 4);
	memcpy(ip + 16, &f->ip_dst, 4);
	uint16_t c = csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	size_t ul = 8 + bl;
	udp[0] = (uint8_t)(f->sport >> 8);
	udp[1] = (uint8_t)f->sport;
	udp[2] = (uint8_t)(f->dport >> 8);
	udp[3] = (uint8_t)f->dport;
	udp[4] = (uint8_t)(ul >> 8);
	udp[5] = (uint8_t)ul;
	udp[6] = udp[7] = 0;
	uint32_t s = csum_add(0, ip + 12, 8);   /* pseudo header: src, dst */
	s += 17 + (uint32_t)ul;
	s = csum_add(s, udp, ul);
	c = csum_fold(s);
	if (c == 0)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return 14 + tot;
}
