/* SPDX-License-Identifier: BSD-3-Clause
 * tests/fuzz/fuzz_dhcp.c — libFuzzer harness for the DHCPv4 codec
 * (ctrl/dhcp_msg.c, compiled alone: pure bytes, no DPDK).
 *
 * Each input is parsed three ways: as a BOOTP/DHCP payload (dhcp_parse) and
 * as a whole Ethernet frame from a client and from a server
 * (dhcp_parse_frame).  Whatever parses is rebuilt (dhcp_build /
 * dhcp_build_frame) and parsed again; the second parse must succeed and
 * yield the same message — every field the builder writes (abort()
 * otherwise).  The parser gets an exact-size heap copy so ASan sees any read
 * past the end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_msg.h"

#define FZ_MAX 4096

static void fail(const char *what, int rc)
{
	fprintf(stderr, "dhcp round trip: %s (%s)\n", what, dhcp_err_name((unsigned)-rc));
	abort();
}

/* Same message as far as dhcp_build writes it. */
static bool same_msg(const struct dhcp_msg *a, const struct dhcp_msg *b)
{
	const uint32_t keep = DHCP_HAS_LEASE | DHCP_HAS_T1 | DHCP_HAS_T2 | DHCP_HAS_MTU |
			      DHCP_HAS_MASK;
	if (a->op != b->op || a->htype != b->htype || a->hlen != b->hlen || a->hops != b->hops ||
	    a->xid != b->xid || a->secs != b->secs || a->flags != b->flags ||
	    a->ciaddr != b->ciaddr || a->yiaddr != b->yiaddr || a->siaddr != b->siaddr ||
	    a->giaddr != b->giaddr || memcmp(a->chaddr, b->chaddr, 16) != 0)
		return false;
	if (a->type != b->type || a->requested_ip != b->requested_ip ||
	    a->server_id != b->server_id || a->broadcast != b->broadcast ||
	    a->router != b->router || a->max_size != b->max_size ||
	    (a->present & keep) != (b->present & keep))
		return false;
	if (((a->present & DHCP_HAS_LEASE) && a->lease != b->lease) ||
	    ((a->present & DHCP_HAS_T1) && a->t1 != b->t1) ||
	    ((a->present & DHCP_HAS_T2) && a->t2 != b->t2) ||
	    ((a->present & DHCP_HAS_MTU) && a->mtu != b->mtu) ||
	    ((a->present & DHCP_HAS_MASK) && a->subnet_mask != b->subnet_mask))
		return false;
	if (a->n_dns != b->n_dns || memcmp(a->dns, b->dns, a->n_dns * sizeof(a->dns[0])) != 0)
		return false;
	if (a->n_prl != b->n_prl || memcmp(a->prl, b->prl, a->n_prl) != 0)
		return false;
	if (strcmp(a->domain, b->domain) != 0 || a->n_routes != b->n_routes)
		return false;
	for (unsigned i = 0; i < a->n_routes; i++)
		if (a->routes[i].dst != b->routes[i].dst || a->routes[i].plen != b->routes[i].plen ||
		    a->routes[i].gw != b->routes[i].gw)
			return false;
	return true;
}

static void roundtrip_msg(const struct dhcp_msg *m)
{
	static uint8_t out[FZ_MAX];
	struct dhcp_msg back;
	size_t n = dhcp_build(out, sizeof(out), m);
	if (n < DHCP_MIN_BOOTP)
		fail("dhcp_build refused a parsed message", 0);
	int rc = dhcp_parse(out, n, &back);
	if (rc != 0)
		fail("rebuilt message does not parse", rc);
	if (!same_msg(m, &back))
		fail("rebuilt message differs", 0);
}

static void roundtrip_frame(const struct dhcp_frame *f, const struct dhcp_msg *m,
			    bool server_side)
{
	static uint8_t out[FZ_MAX];
	struct dhcp_frame f2;
	struct dhcp_msg back;
	size_t n = dhcp_build_frame(out, sizeof(out), f, m);
	if (n == 0)
		fail("dhcp_build_frame refused a parsed frame", 0);
	int rc = dhcp_parse_frame(out, n, server_side, &f2, &back);
	if (rc != 0)
		fail("rebuilt frame does not parse", rc);
	if (memcmp(f->eth_dst, f2.eth_dst, 6) || memcmp(f->eth_src, f2.eth_src, 6) ||
	    f->ip_src != f2.ip_src || f->ip_dst != f2.ip_dst || f->sport != f2.sport ||
	    f->dport != f2.dport || !same_msg(m, &back))
		fail("rebuilt frame differs", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_msg m;
	struct dhcp_frame f;

	if (size > FZ_MAX)
		return -1;
	uint8_t *buf = malloc(size ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	int rc = dhcp_parse(buf, size, &m);
	if (rc > 0 || rc <= -DHCP_ERR__MAX)
		abort();
	if (rc == 0)
		roundtrip_msg(&m);
	for (int side = 0; side < 2; side++) {
		rc = dhcp_parse_frame(buf, size, side, &f, &m);
		if (rc > 0 || rc <= -DHCP_ERR__MAX)
			abort();
		if (rc == 0) {
			roundtrip_msg(&m);
			roundtrip_frame(&f, &m, side);
		}
	}
	/* the option 121 codec on its own */
	struct dhcp_route r[DHCP_MAX_ROUTES];
	uint8_t nr = 0;
	if (dhcp_decode_routes(buf, size, r, DHCP_MAX_ROUTES, &nr) == 0) {
		uint8_t enc[DHCP_MAX_ROUTES * 9];
		struct dhcp_route r2[DHCP_MAX_ROUTES];
		uint8_t nr2 = 0;
		size_t el = dhcp_encode_routes(enc, sizeof(enc), r, nr);
		if ((nr && el == 0) || dhcp_decode_routes(enc, el, r2, DHCP_MAX_ROUTES, &nr2) != 0 ||
		    nr2 != nr)
			fail("option 121 round trip", 0);
		for (unsigned i = 0; i < nr; i++)
			if (r[i].dst != r2[i].dst || r[i].plen != r2[i].plen || r[i].gw != r2[i].gw)
				fail("option 121 round trip differs", 0);
	}
	free(buf);
	return 0;
}
