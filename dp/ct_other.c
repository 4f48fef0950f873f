/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_other.c — UDP and every other protocol tracked by address pair
 * (ports zero in the key): three states, as OVS has them.
 *   FIRST     one packet seen                   timeout udp_first / other_first
 *   SINGLE    more, all in the original direction     udp_single / other_single
 *   MULTIPLE  both directions seen                    udp_multiple / other_multiple
 * Any packet of a known connection is valid; ct_state is new until the
 * first reply, est after (ct.c decides that from reply_seen).
 * Called with the connection's lock held (ct.h).
 */
#include <netinet/in.h>

#include "ct_priv.h"

static uint64_t ct_other_timeout(const struct dp_ct *ct, const struct ct_conn *c)
{
	bool udp = c->key[0].proto == IPPROTO_UDP;
	uint32_t s;

	switch (c->proto_state) {
	case DP_CT_GEN_FIRST:
		s = udp ? ct_rd_relaxed(&ct->to.udp_first) : ct_rd_relaxed(&ct->to.other_first);
		break;
	case DP_CT_GEN_SINGLE:
		s = udp ? ct_rd_relaxed(&ct->to.udp_single) : ct_rd_relaxed(&ct->to.other_single);
		break;
	default:
		s = udp ? ct_rd_relaxed(&ct->to.udp_multiple)
			: ct_rd_relaxed(&ct->to.other_multiple);
		break;
	}
	return ct_sec(s);
}

bool ct_other_valid_new(const struct ct_pkt *p)
{
	(void)p;
	return true;
}

void ct_other_init(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, uint64_t now)
{
	(void)p;
	c->proto_state = DP_CT_GEN_FIRST;
	c->expires = now + ct_other_timeout(ct, c);
}

enum ct_upd ct_other_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, int dir,
			    uint64_t now)
{
	(void)p;
	if (dir == 1)
		c->proto_state = DP_CT_GEN_MULTIPLE;
	else if (c->proto_state == DP_CT_GEN_FIRST)
		c->proto_state = DP_CT_GEN_SINGLE;
	__atomic_store_n(&c->expires, now + ct_other_timeout(ct, c), __ATOMIC_RELAXED);
	return CT_UPD_VALID;
}
