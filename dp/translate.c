/* SPDX-License-Identifier: BSD-3-Clause
 * dp/translate.c — runs the stages in order for one key (see translate.h).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "drop.h"
#include "parse.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "translate.h"

static const char *const stage_names[DP_STAGE__MAX] = {
	[DP_STAGE_CLASSIFY] = "classify",
	[DP_STAGE_PORT_SEC] = "port-security",
	[DP_STAGE_DHCP] = "dhcp",
	[DP_STAGE_ARP] = "arp-nd",
	[DP_STAGE_L2] = "l2-lookup",
	[DP_STAGE_L3] = "l3-routing",
	[DP_STAGE_SG] = "security-group",
	[DP_STAGE_NAT] = "nat",
	[DP_STAGE_OUTPUT] = "output",
};

static enum dp_xl_verdict (*const stages[DP_STAGE__MAX])(struct dp_xlate *) = {
	[DP_STAGE_CLASSIFY] = dp_stage_classify,
	[DP_STAGE_PORT_SEC] = dp_stage_port_sec,
	[DP_STAGE_DHCP] = dp_stage_dhcp,
	[DP_STAGE_ARP] = dp_stage_arp,
	[DP_STAGE_L2] = dp_stage_l2,
	[DP_STAGE_L3] = dp_stage_l3,
	[DP_STAGE_SG] = dp_stage_sg,
	[DP_STAGE_NAT] = dp_stage_nat,
	[DP_STAGE_OUTPUT] = dp_stage_output,
};

const char *dp_stage_name(enum dp_stage_id s)
{
	return s < DP_STAGE__MAX ? stage_names[s] : "?";
}

void dp_xl_log(struct dp_xlate *x, const char *fmt, ...)
{
	struct dp_trace_buf *tb = x->trace;
	if (tb == NULL || tb->used + 1 >= tb->len)
		return;
	int n = snprintf(tb->buf + tb->used, tb->len - tb->used, "%-14s ",
			 dp_stage_name(x->stage));
	if (n > 0)
		tb->used += (size_t)n;
	if (tb->used + 1 >= tb->len) {
		tb->used = tb->len - 1;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	n = vsnprintf(tb->buf + tb->used, tb->len - tb->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		tb->used += (size_t)n;
	if (tb->used + 2 > tb->len)
		tb->used = tb->len - 2;
	tb->buf[tb->used++] = '\n';
	tb->buf[tb->used] = 0;
}

void dp_xl_mark_ne16(struct dp_xlate *x, uint16_t *mask_field, uint16_t pkt_field_net,
		     uint16_t value)
{
	uint16_t v = ntohs(pkt_field_net);
	uint16_t diff = v ^ value;
	uint16_t m = 0xffff;
	if (diff != 0) {
		/* keep bits from the MSB down to the highest differing bit */
		unsigned hb = 15 - (unsigned)__builtin_clz((unsigned)diff << 16);
		m = (uint16_t)(0xffff << hb);
	}
	*mask_field |= htons(m);
	(void)x;
}

void dp_xl_tag(struct dp_xlate *x, uint64_t tag)
{
	struct dp_megaflow_spec *s = x->out;
	for (unsigned i = 0; i < s->n_tags; i++)
		if (s->tags[i] == tag)
			return;
	if (s->n_tags < DP_MAX_TAGS)
		s->tags[s->n_tags++] = tag;
	else
		x->overflow = 1;
}

enum dp_xl_l4 dp_xl_l4_kind(struct dp_xlate *x, uint16_t eth_type)
{
	bool v6 = eth_type == htons(0x86dd);
	uint8_t proto = DP_XL_READ(x, ip_proto);
	if (v6 && proto == 58) {
		uint8_t type = (uint8_t)ntohs(DP_XL_READ(x, tp_src));
		return type == 134 ? DP_L4_ICMP6_RA
				   : type == 137 ? DP_L4_ICMP6_REDIRECT : DP_L4_OTHER;
	}
	if (proto != 17)
		return DP_L4_OTHER;
	uint16_t dport = ntohs(x->pkt->tp_dst);
	if (dport >= 1024) {
		x->out->mask.tp_dst |= htons(0xfc00);
		return DP_L4_OTHER;
	}
	x->out->mask.tp_dst = 0xffff;
	uint16_t cli = v6 ? 546 : 68, srv = v6 ? 547 : 67;
	if (dport != cli && dport != srv)
		return DP_L4_OTHER;
	uint16_t sport = ntohs(DP_XL_READ(x, tp_src));
	if (dport == srv && sport == cli)
		return v6 ? DP_L4_DHCP6_CLIENT : DP_L4_DHCP4_CLIENT;
	if (dport == cli && sport == srv)
		return v6 ? DP_L4_DHCP6_SERVER : DP_L4_DHCP4_SERVER;
	return DP_L4_OTHER;
}

void dp_xl_action(struct dp_xlate *x, const struct dp_action *a)
{
	struct dp_megaflow_spec *s = x->out;
	if (s->n_actions < DP_MAX_ACTIONS)
		s->actions[s->n_actions++] = *a;
	else
		x->overflow = 1;
}

enum dp_xl_verdict dp_xl_drop(struct dp_xlate *x, unsigned reason)
{
	struct dp_action a = { .type = DP_ACT_DROP, .u32 = reason };
	dp_xl_action(x, &a);
	dp_xl_log(x, "drop: %s", dp_drop_name(reason));
	return DP_XL_DONE;
}

void dp_xl_flood(struct dp_xlate *x, const uint16_t *ports, unsigned n)
{
	struct dp_megaflow_spec *s = x->out;
	if (s->n_flood + n > DP_MAX_FLOOD) {
		x->overflow = 1;
		n = DP_MAX_FLOOD - s->n_flood;
	}
	struct dp_action a = { .type = DP_ACT_FLOOD, .u32 = s->n_flood, .port = (uint16_t)n };
	memcpy(&s->flood_ports[s->n_flood], ports, n * sizeof(ports[0]));
	s->n_flood = (uint16_t)(s->n_flood + n);
	dp_xl_action(x, &a);
}

void dp_translate(const struct dp_tables *t, const struct dp_flow_key *key,
		  struct dp_megaflow_spec *spec, struct dp_trace_buf *trace)
{
	struct dp_xlate x = {
		.t = t,
		.pkt = key,
		.out = spec,
		.trace = trace,
		.l3 = dp_l3_find(t),
		.nat = dp_nat_find(t),
	};
	memset(&spec->mask, 0, sizeof(spec->mask));
	spec->key = *key;
	spec->n_actions = spec->n_tags = spec->n_flood = 0;
	spec->no_install = 0;
	/* Metadata the pipeline always depends on. */
	DP_XL_MARK(&x, recirc_id);
	for (unsigned s = 0; s < DP_STAGE__MAX; s++) {
		x.stage = (enum dp_stage_id)s;
		if (stages[s](&x) == DP_XL_DONE)
			break;
		if (s == DP_STAGE__MAX - 1) /* output must be terminal */
			dp_xl_drop(&x, DP_DROP_NO_DEST);
	}
	/* Every port the megaflow outputs to is a dependency: deleting a dp
	 * port (even one no lport is bound to, like the uplink) invalidates
	 * the megaflows that send to it. */
	for (unsigned i = 0; i < spec->n_actions; i++)
		if (spec->actions[i].type == DP_ACT_OUTPUT)
			dp_xl_tag(&x, DP_TAG(DP_TAG_DPPORT, spec->actions[i].port));
	if (x.overflow) {
		/* The pipeline outgrew a megaflow: drop, but never install a
		 * truncated action list as if it were complete. */
		spec->n_actions = spec->n_flood = 0;
		spec->no_install = 1;
		x.stage = DP_STAGE_OUTPUT;
		dp_xl_drop(&x, DP_DROP_POLICY);
	}
}
