/* SPDX-License-Identifier: BSD-3-Clause
 * dp/sg_reval.c — cutting the established connections a removed rule alone
 * allowed.  The control thread asks for a zone's re-validation whenever its
 * port's ACL changes (dp.c, acl_changed: a port's entry replaced, or a
 * shared rule set rebuilt for an address-set change); the PMDs sweep the
 * conntrack table a bounded step per loop iteration (DP_CT_REVAL_BUDGET
 * slots) and ask, for each connection of such a zone, whether the ACL that
 * admitted it (egress or ingress of the zone's port) still allows its
 * original-direction tuple.  One that is no longer allowed is blocked
 * (ct.h): its packets, in either direction, reach the security-group stage
 * with ct_mark blocked, which drops them (`ct-blocked`) unless a rule allows
 * them again — then the commit clears the bit — and it expires within
 * DP_CT_BLOCKED_TIMEOUT_S.  As OVN does with ct_mark.blocked.
 *
 * The tuple is checked as a new connection's first packet would be: ports
 * for TCP and UDP, the type for ICMP/ICMPv6 (code 0, an echo request);
 * protocols conntrack tracks by address pair are checked with ports 0.
 * Threads: dp_sg_revalidate_port on the control thread; the step on a PMD
 * (an RCU reader of the ACL, like translate).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_cycles.h>

#include "acl.h"
#include "ct.h"
#include "dp_priv.h"

static bool conn_allowed(void *arg, uint32_t lport, const struct dp_ct_key *o, uint8_t sg)
{
	const struct dp_acl *acl = dp_tables_get_acl(arg);
	struct dp_flow_key k, m;
	struct dp_acl_result r;

	if (acl == NULL)
		return true;
	dp_key_zero(&k);
	dp_key_zero(&m);
	k.eth_type = o->af == 4 ? htons(0x0800) : htons(0x86dd);
	k.ip_proto = o->proto;
	memcpy(k.ip_src, o->src, 16);
	memcpy(k.ip_dst, o->dst, 16);
	if (o->proto == IPPROTO_ICMP || o->proto == IPPROTO_ICMPV6) {
		k.tp_src = o->dport; /* htons(type) of the original direction */
	} else {
		k.tp_src = o->sport;
		k.tp_dst = o->dport;
	}
	int has = dp_acl_lookup(acl, lport, sg == DP_CT_SG_EGRESS ? DP_ACL_EGRESS : DP_ACL_INGRESS,
				&k, &m, &r);
	return has <= 0 || r.allow;
}

void dp_sg_revalidate_port(struct dp *dp, uint32_t lport)
{
	int zone = dp->ct != NULL ? dp_acl_port_zone(dp_tables_get_acl(dp->tables), lport) :
				    -ENOENT;
	if (zone > 0)
		dp_ct_revalidate_zone(dp->ct, (uint16_t)zone, lport);
}

unsigned dp_pmd_ct_reval_step(struct dp_pmd *pmd, uint64_t tsc)
{
	struct dp *dp = pmd->dp;
	/* counted by conntrack (reval_checked, blocked: show pmd) */
	return dp_ct_revalidate_step(dp->ct, pmd->idx, tsc / (rte_get_tsc_hz() / 1000),
				     DP_CT_REVAL_BUDGET, conn_allowed, dp->tables);
}
