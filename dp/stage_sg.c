/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_sg.c — security groups: the egress ACL of the source lport and the
 * ingress ACL of a local destination lport (acl.h), with conntrack for
 * stateful groups.
 *
 * Runs after L2/L3 decided the destination, before output.  For each
 * direction whose lport has an ACL entry:
 *  - stateless group (or a non-IP frame): the ACL decides here (allow:
 *    continue; deny: drop `acl-deny`), its mask bits go into the megaflow;
 *  - stateful group, first pass: emit ct(zone = the port's zone, given by
 *    the ACL table) with a
 *    recirc_id (DP_RECIRC_SG_EGRESS / DP_RECIRC_SG_INGRESS) and stop; the
 *    megaflow reads nothing of the ACL (every packet of the port takes it);
 *  - stateful group, recirculated pass (recirc_id says ct() ran for this
 *    direction): ct_state is read (so it is in the megaflow): inv drops
 *    (`ct-invalid`), est/rel continue without the ACL, new runs the ACL:
 *    allow emits ct(zone, commit) at the head of the list and continues,
 *    deny drops (`acl-deny`).
 *  - both ends stateful (the source's egress and a local unicast
 *    destination's ingress), first pass: ct(zone = source, state=eg),
 *    ct(zone = destination), recirc_id DP_RECIRC_SG_BOTH; that one pass
 *    decides egress from ct_state_eg/ct_mark_eg and ingress from
 *    ct_state/ct_mark, as above (commits in either zone at the head).
 * Egress is decided in passes ranked before DP_RECIRC_SG_INGRESS, or in
 * DP_RECIRC_SG_BOTH
 * (dp_recirc_rank: the NAT passes sit around them); a packet recirculated
 * after the ingress ct() — or after the SNAT ct(nat), DP_RECIRC_NAT_OUT, or
 * its hairpin, DP_RECIRC_NAT_HAIRPIN — has passed egress already.
 *
 * Floods (broadcast/multicast/unknown unicast): output asks
 * dp_sg_flood_allows() per local port; a port whose ingress ACL denies the
 * packet is left out of the flood.  A flood cannot run one ct() per
 * destination, so stateful ports are judged by their rules alone there (a
 * reply to a connection arriving as a flood is refused unless a rule allows
 * it).  Not covered yet: packets answered or punted before this stage (ARP/ND
 * answers, DHCP, echo to a router address) are not egress-filtered.
 * Zones are the low 16 bits of the lport key.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "acl.h"
#include "actions.h"
#include "drop.h"
#include "translate.h"

static void cs_txt(uint8_t cs, char *buf, size_t len)
{
	static const char *const names[] = { "new", "est", "rel", "rpl", "inv", "trk" };
	size_t used = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < 6; i++) {
		if (!(cs & (1u << i)))
			continue;
		int r = snprintf(buf + used, len - used, "%s%s", used ? "|" : "", names[i]);
		if (r < 0 || (size_t)r >= len - used)
			break;
		used += (size_t)r;
	}
	if (used == 0)
		snprintf(buf, len, "-");
}

/* ct() actions go at the head of the list, after the ones already there,
 * in emission order (the PMD runs the leading ct() actions itself). */
static void ct_head(struct dp_xlate *x, const struct dp_action *a)
{
	struct dp_megaflow_spec *s = x->out;
	if (s->n_actions >= DP_MAX_ACTIONS) {
		x->overflow = 1;
		return;
	}
	unsigned pos = 0;
	while (pos < s->n_actions && dp_act_is_ct(&s->actions[pos]))
		pos++;
	memmove(&s->actions[pos + 1], &s->actions[pos],
		(s->n_actions - pos) * sizeof(s->actions[0]));
	s->actions[pos] = *a;
	s->n_actions++;
}

/* ICMPv6 messages Neutron's firewall and OVN always allow, statelessly:
 * MLD (130-132, 143), router and neighbor discovery (133-136).  Port
 * security already checks who may send RAs.  Conntrack cannot track them,
 * and the flow key keeps the ND fields where a tracked key has
 * ct_label/ct_mark (flow_key.h): they must never go through ct(). */
static bool sg_icmp6_always(struct dp_xlate *x, uint16_t et)
{
	if (et != htons(0x86dd) || DP_XL_READ(x, ip_proto) != 58)
		return false;
	uint16_t t = ntohs(DP_XL_READ(x, tp_src));
	return (t >= 130 && t <= 136) || t == 143;
}

/* The rule key a commit stored in the low 32 bits of ct_label (for trace
 * text only: not marked, no decision depends on it).  A two-zone pass keeps
 * the destination zone's label only: 0 (unknown) for its source zone. */
static uint32_t sg_label_rule(const struct dp_flow_key *k)
{
	return (uint32_t)k->ct_label[12] << 24 | (uint32_t)k->ct_label[13] << 16 |
	       (uint32_t)k->ct_label[14] << 8 | k->ct_label[15];
}

static void mask_or(struct dp_flow_key *m, const struct dp_flow_key *add)
{
	dp_kword *w = dp_key_words_rw(m);
	const dp_kword *a = dp_key_words(add);
	for (unsigned i = 0; i < DP_FLOW_KEY_WORDS; i++)
		w[i] |= a[i];
}

/* The dependency tags of a lookup.  A port without an ACL depends on its
 * lport tag only (every megaflow of the port has it already): dp.c also
 * publishes DP_TAG_LPORT(lport) whenever DP_TAG_ACL_PORT(lport) changes, so
 * unfiltered megaflows cost no extra tag slot and still go when an ACL
 * appears. */
static void sg_tags(struct dp_xlate *x, uint32_t lport, int has, const struct dp_acl_result *r)
{
	if (has <= 0) {
		dp_xl_tag(x, DP_TAG(DP_TAG_LPORT, lport));
		return;
	}
	for (unsigned i = 0; i < r->n_tags; i++)
		dp_xl_tag(x, r->tags[i]);
}

/* The ingress side of a two-zone pass: when the packet's local destination
 * (unicast) has a stateful ingress ACL for it, its zone.  Its tags go into
 * the megaflow (the first pass now depends on that ACL). */
static bool sg_ingress_zone(struct dp_xlate *x, const struct dp_acl *acl, uint16_t *zone)
{
	if (x->flood || x->dst == NULL || x->dst->cfg.dp_port == DP_NO_PORT)
		return false;
	uint32_t lport = x->dst->cfg.key;
	struct dp_flow_key m;
	struct dp_acl_result r;
	dp_key_zero(&m);
	int has = dp_acl_lookup(acl, lport, DP_ACL_INGRESS, x->pkt, &m, &r);
	sg_tags(x, lport, has, &r);
	if (has <= 0 || !r.stateful)
		return false;
	*zone = r.zone;
	return true;
}

/* One direction.  Returns DP_XL_NEXT to continue, DP_XL_DONE when a drop or
 * a ct()+recirculation was emitted.  eg_slot: a two-zone pass's egress,
 * whose state is in ct_state_eg/ct_mark_eg. */
static enum dp_xl_verdict sg_dir(struct dp_xlate *x, const struct dp_acl *acl, uint32_t lport,
				 enum dp_acl_dir dir, uint8_t after, bool eg_slot)
{
	const char *dn = dir == DP_ACL_EGRESS ? "egress" : "ingress";
	struct dp_flow_key m;
	struct dp_acl_result r;
	dp_key_zero(&m);
	int has = dp_acl_lookup(acl, lport, dir, x->pkt, &m, &r);
	sg_tags(x, lport, has, &r);
	if (has <= 0)
		return DP_XL_NEXT; /* no ACL: not filtered (the tag says if one comes) */
	uint16_t et = DP_XL_READ(x, eth_type);
	bool ip = et == htons(0x0800) || et == htons(0x86dd);
	if (sg_icmp6_always(x, et)) {
		dp_xl_log(x, "%s lport %u: ICMPv6 type %u (ND/MLD), always allowed", dn, lport,
			  ntohs(x->pkt->tp_src));
		return DP_XL_NEXT;
	}
	if (!r.stateful || !ip) {
		mask_or(&x->out->mask, &m);
		dp_xl_log(x, "%s lport %u (%s): %s, rule %u", dn, lport,
			  r.stateful ? "non-IP" : "stateless", r.allow ? "allow" : "deny",
			  r.rule_key);
		return r.allow ? DP_XL_NEXT : dp_xl_drop(x, DP_DROP_ACL_DENY);
	}
	uint16_t zone = r.zone;
	if (dp_recirc_rank(x->pkt->recirc_id) < dp_recirc_rank(after)) {
		/* first pass: track, then look up again with ct_state */
		struct dp_megaflow_spec *s = x->out;
		unsigned keep = 0;
		while (keep < s->n_actions && dp_act_is_ct(&s->actions[keep]))
			keep++;
		s->n_actions = keep; /* the recirculated pass redoes the rest */
		s->n_flood = 0;
		struct dp_action a = { .type = DP_ACT_CT, .port = zone };
		uint16_t in_zone;
		if (dir == DP_ACL_EGRESS && keep == 0 && sg_ingress_zone(x, acl, &in_zone)) {
			/* both ends stateful: both lookups now, one pass decides
			 * both directions (the source zone's state in
			 * ct_state_eg, the destination's in ct_state) */
			a.data[0] = DP_CT_F_EG;
			dp_xl_action(x, &a);
			a = (struct dp_action){ .type = DP_ACT_CT, .port = in_zone };
			a.data[1] = DP_RECIRC_SG_BOTH;
			dp_xl_action(x, &a);
			dp_xl_log(x, "%s lport %u (stateful), ingress lport %u (stateful): "
				  "ct(zone=%u,state=eg), ct(zone=%u), recirculate (%u)", dn, lport,
				  x->dst->cfg.key, zone, in_zone, DP_RECIRC_SG_BOTH);
			return DP_XL_DONE;
		}
		a.data[1] = after;
		dp_xl_action(x, &a);
		dp_xl_log(x, "%s lport %u (stateful): ct(zone=%u), recirculate (%u)", dn, lport,
			  zone, after);
		return DP_XL_DONE;
	}
	uint8_t cs = eg_slot ? DP_XL_READ(x, ct_state_eg) : DP_XL_READ(x, ct_state);
	char st[40];
	cs_txt(cs, st, sizeof(st));
	if ((cs & DP_CS_INV) || !(cs & DP_CS_TRK)) {
		dp_xl_log(x, "%s lport %u: ct_state %s", dn, lport, st);
		return dp_xl_drop(x, DP_DROP_CT_INVALID);
	}
	/* the blocked bit only: a connection whose rule went (re-validation) */
	bool blocked;
	if (eg_slot) {
		x->out->mask.ct_mark_eg |= DP_CT_MARK_BLOCKED;
		blocked = (x->pkt->ct_mark_eg & DP_CT_MARK_BLOCKED) != 0;
	} else {
		x->out->mask.ct_mark |= DP_CT_MARK_BLOCKED;
		blocked = (x->pkt->ct_mark & DP_CT_MARK_BLOCKED) != 0;
	}
	if ((cs & (DP_CS_EST | DP_CS_REL)) && !blocked) {
		if (eg_slot) /* the source zone's mark and label are not kept */
			dp_xl_log(x, "%s lport %u: ct_state %s (source zone), allowed by the "
				  "connection (not blocked)", dn, lport, st);
		else
			dp_xl_log(x, "%s lport %u: ct_state %s, allowed by the connection "
				  "(ct_mark %#x, committed under rule %u)", dn, lport, st,
				  x->pkt->ct_mark, sg_label_rule(x->pkt));
		return DP_XL_NEXT;
	}
	if (blocked && (cs & DP_CS_RPL)) {
		/* only the side that opened it may reopen it, through the
		 * ACL that admitted it: replies of a blocked connection go */
		dp_xl_log(x, "%s lport %u: ct_state %s, reply of a blocked connection (its rule "
			  "%u is gone)", dn, lport, st, eg_slot ? 0 : sg_label_rule(x->pkt));
		return dp_xl_drop(x, DP_DROP_CT_BLOCKED);
	}
	mask_or(&x->out->mask, &m);
	if (!r.allow) {
		if (blocked) {
			dp_xl_log(x, "%s lport %u: ct_state %s, connection blocked (its rule %u "
				  "is gone) and no rule allows it", dn, lport, st,
				  eg_slot ? 0 : sg_label_rule(x->pkt));
			return dp_xl_drop(x, DP_DROP_CT_BLOCKED);
		}
		dp_xl_log(x, "%s lport %u: ct_state %s, no rule allows it", dn, lport, st);
		return dp_xl_drop(x, DP_DROP_ACL_DENY);
	}
	/* commit: clear the blocked bit (a rule allows it again), remember the
	 * deciding rule in ct_label's low 32 bits and which ACL decided (for
	 * re-validation) */
	struct dp_action c = { .type = DP_ACT_CT, .port = zone };
	c.data[0] = DP_CT_F_COMMIT | DP_CT_F_LABEL |
		    (dir == DP_ACL_EGRESS ? DP_CT_F_SG_EGRESS : DP_CT_F_SG_INGRESS);
	dp_act_ct_set_mark(&c, 0, DP_CT_MARK_BLOCKED);
	struct dp_action l = { .type = DP_ACT_CT_LABEL, .port = 1 };
	l.data[4] = (uint8_t)(r.rule_key >> 24);
	l.data[5] = (uint8_t)(r.rule_key >> 16);
	l.data[6] = (uint8_t)(r.rule_key >> 8);
	l.data[7] = (uint8_t)r.rule_key;
	ct_head(x, &c);
	ct_head(x, &l); /* after c: ct_head skips every ct action */
	dp_xl_log(x, "%s lport %u: ct_state %s%s, allowed by rule %u: ct(zone=%u,commit)", dn,
		  lport, st, blocked ? " (blocked connection)" : "", r.rule_key, zone);
	return DP_XL_NEXT;
}

bool dp_sg_flood_allows(struct dp_xlate *x, uint16_t dp_port)
{
	const struct dp_acl *acl = dp_tables_get_acl(x->t);
	uint32_t lport = acl != NULL ? dp_table_port_lport(x->t, dp_port) : 0;
	if (lport == 0)
		return true;
	struct dp_flow_key m;
	struct dp_acl_result r;
	dp_key_zero(&m);
	int has = dp_acl_lookup(acl, lport, DP_ACL_INGRESS, x->pkt, &m, &r);
	/* no tag per port: the flood's network tag covers every ACL change
	 * of its ports (dp.c, acl_changed) */
	if (has <= 0)
		return true;
	mask_or(&x->out->mask, &m);
	if (!r.allow)
		dp_xl_log(x, "not flooded to lport %u: its ingress rules do not allow it", lport);
	return r.allow;
}

enum dp_xl_verdict dp_stage_sg(struct dp_xlate *x)
{
	const struct dp_acl *acl = dp_tables_get_acl(x->t);
	if (acl == NULL)
		return DP_XL_NEXT;
	uint32_t rid = x->pkt->recirc_id; /* marked by dp_translate */
	bool both = rid == DP_RECIRC_SG_BOTH;
	/* a hairpin pass: the source's egress was decided before its SNAT */
	if (x->src != NULL && !x->from_uplink && rid != DP_RECIRC_NAT_HAIRPIN &&
	    (dp_recirc_rank(rid) < dp_recirc_rank(DP_RECIRC_SG_INGRESS) || both) &&
	    sg_dir(x, acl, x->src->cfg.key, DP_ACL_EGRESS, DP_RECIRC_SG_EGRESS, both) ==
		    DP_XL_DONE)
		return DP_XL_DONE;
	if (!x->flood && x->dst != NULL && x->dst->cfg.dp_port != DP_NO_PORT &&
	    sg_dir(x, acl, x->dst->cfg.key, DP_ACL_INGRESS, DP_RECIRC_SG_INGRESS, false) ==
		    DP_XL_DONE)
		return DP_XL_DONE;
	return DP_XL_NEXT;
}
