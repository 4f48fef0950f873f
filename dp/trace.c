/* SPDX-License-Identifier: BSD-3-Clause
 * dp/trace.c — packet trace and megaflow dumps as text (see trace.h):
 * parse, translate and the megaflow/action formatting stay inside dp/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "ct.h"
#include "dp.h"
#include "megaflow.h"
#include "parse.h"
#include "tables_l3.h"
#include "tables_ovl.h"
#include "tables_nat.h"
#include "trace.h"
#include "translate.h"

/* One tag as "kind:key" with the key in the kind's own terms. */
static int tag_str(char *b, size_t len, uint64_t tag)
{
	static const char *const tn[] = { "?", "lport", "network", "fdb", "dpport", "router",
					  "sg", "overlay", "vtep", "segment", "acl-port", "acl-rs" };
	static const char *const seg[] = { "vni", "vlan", "flat" };
	unsigned t = DP_TAG_TYPE(tag);
	uint32_t k = DP_TAG_KEY(tag);
	if (t == DP_TAG_VTEP) /* the VTEP's IPv4 address, network order */
		return snprintf(b, len, "vtep:%u.%u.%u.%u", ((const uint8_t *)&k)[0],
				((const uint8_t *)&k)[1], ((const uint8_t *)&k)[2],
				((const uint8_t *)&k)[3]);
	if (t == DP_TAG_SEGMENT)
		return snprintf(b, len, "segment:%s:%u",
				(k >> 24) < 3 ? seg[k >> 24] : "?", k & 0xffffff);
	if (t == DP_TAG_NEIGH)
		return snprintf(b, len, "neigh:%u", k);
	if (t == DP_TAG_NAT_RTR)
		return snprintf(b, len, "nat-router:%u", k);
	if (t == DP_TAG_NAT_NET)
		return snprintf(b, len, "nat-net:%u", k);
	if (t == DP_TAG_FDB)
		return snprintf(b, len, "fdb:%08x", k);
	return snprintf(b, len, "%s:%u", t < sizeof(tn) / sizeof(tn[0]) ? tn[t] : "tag?", k);
}

static void tags_str(char *b, size_t len, const uint64_t *tags, unsigned n)
{
	size_t u = 0;
	b[0] = 0;
	for (unsigned i = 0; i < n && u + 1 < len; i++) {
		if (i)
			b[u++] = ',';
		int k = tag_str(b + u, len - u, tags[i]);
		if (k > 0)
			u += (size_t)k;
		if (u >= len)
			u = len - 1;
		b[u] = 0;
	}
}

static void flow_text(struct dp_flow_text *o, const struct dp_flow_key *key,
		      const struct dp_flow_key *mask, const struct dp_action *acts, unsigned n_acts,
		      const uint16_t *flood, const uint64_t *tags, unsigned n_tags)
{
	dp_key_format(o->match, sizeof(o->match), key, mask);
	dp_actions_format(o->actions, sizeof(o->actions), acts, n_acts, flood);
	tags_str(o->tags, sizeof(o->tags), tags, n_tags);
}

static void tb_printf(struct dp_trace_buf *tb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tb_printf(struct dp_trace_buf *tb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tb->buf + tb->used, tb->len - tb->used, fmt, ap);
	va_end(ap);
	if (n > 0 && tb->used + (size_t)n < tb->len)
		tb->used += (size_t)n;
}

static void cs_str(uint8_t cs, char *buf, size_t len)
{
	static const char *const names[] = { "new", "est", "rel", "rpl", "inv", "trk" };
	size_t used = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < 6 && used + 1 < len; i++)
		if (cs & (1u << i)) {
			int r = snprintf(buf + used, len - used, "%s%s", used ? "|" : "", names[i]);
			if (r > 0)
				used += (size_t)r;
		}
}

/* ct(nat) in a trace: the key of the next pass is the translated one
 * (what dp_ct_process writes into the datapath's key), taken from the
 * connection's tuples; an ICMP error's outer addresses likewise.  The
 * packet itself is never written. */
static void trace_nat_key(struct dp_flow_key *k, const struct dp_ct_result *res,
			  const struct dp_ct_entry *e)
{
	/* a packet of direction d becomes the other direction's key reversed */
	bool rpl = (res->state & DP_CS_RPL) != 0;
	const struct dp_ct_key *o = rpl ? &e->orig : &e->reply;
	bool ports = !(res->state & DP_CS_REL) &&
		     (k->ip_proto == IPPROTO_TCP || k->ip_proto == IPPROTO_UDP);

	if (res->nat & DP_CT_NAT_SRC) {
		memcpy(k->ip_src, o->dst, 4);
		if (ports)
			k->tp_src = o->dport;
	}
	if (res->nat & DP_CT_NAT_DST) {
		memcpy(k->ip_dst, o->src, 4);
		if (ports)
			k->tp_dst = o->sport;
	}
}

/* A new connection under ct(commit, nat(src|dst=range)): the datapath
 * would allocate its translation; the trace, which commits nothing, shows
 * the range's first address with the port kept (what the allocation tries
 * first) and continues with that key. */
static void trace_nat_new(struct dp_flow_key *k, const struct dp_action *na,
			  struct dp_trace_buf *tb)
{
	char a[INET_ADDRSTRLEN];
	if (na == NULL || (na->data[6] & (DP_CT_NAT_SRC | DP_CT_NAT_DST)) == 0)
		return;
	inet_ntop(AF_INET, &na->u32, a, sizeof(a));
	bool src = (na->data[6] & DP_CT_NAT_SRC) != 0;
	memcpy(src ? k->ip_src : k->ip_dst, &na->u32, 4);
	tb_printf(tb, "; a new connection: ct(commit,nat) would translate the %s to %s (the "
		  "port kept when free)", src ? "source" : "destination", a);
}

/* The conntrack lookup of one recirculation, read-only: never commits,
 * never updates a connection (dp_ct_lookup_ro).  nat: the ct() has nat;
 * na: its nat action (NULL: none). */
static void trace_ct(struct dp *dp, const struct rte_mbuf *m, struct dp_flow_key *k,
		     uint16_t zone, bool nat, const struct dp_action *na, bool eg,
		     struct dp_trace_buf *tb)
{
	struct dp_ct_result res;
	struct dp_ct_entry e;
	char st[48], tuple[160] = "";
	int found = dp_ct_lookup_ro(dp_get_ct(dp), zone, m, k, &res, &e);
	if (eg) { /* the source zone of a two-zone pass (DP_CT_F_EG) */
		k->ct_state_eg = res.state;
		k->ct_mark_eg = (uint8_t)(res.mark & DP_CT_MARK_BLOCKED);
	} else {
		k->ct_state = res.state;
		k->ct_zone = res.zone;
		k->ct_mark = res.mark;
		memcpy(k->ct_label, res.label, 16);
	}
	cs_str(res.state, st, sizeof(st));
	if (found)
		dp_ct_key_fmt(&e.orig, tuple, sizeof(tuple));
	tb_printf(tb, "%-14s recirc_id=%u ct_zone=%u: conntrack says %s=%s", "recirculate",
		  k->recirc_id, zone, eg ? "ct_state_eg" : "ct_state", st);
	if (found) {
		tb_printf(tb, " ct_mark=%#x (%s) connection %s%s", res.mark,
			  res.mark & DP_CT_MARK_BLOCKED ? "blocked" : "not blocked", tuple,
			  e.reply_seen ? " reply seen" : "");
		if (e.proto == IPPROTO_TCP)
			tb_printf(tb, " (TCP windows not checked by trace)");
		if (e.nat) {
			char rt[160];
			dp_ct_key_fmt(&e.reply, rt, sizeof(rt));
			tb_printf(tb, " %cnat, reply tuple %s", e.nat == DP_CT_NAT_SRC ? 's' : 'd', rt);
			if (nat && res.nat) {
				tb_printf(tb, ": ct(nat) rewrites the %s%s%s", res.nat & DP_CT_NAT_SRC
					  ? "source" : "", res.nat == 3 ? " and " : "",
					  res.nat & DP_CT_NAT_DST ? "destination" : "");
				trace_nat_key(k, &res, &e);
			} else if (!nat) {
				tb_printf(tb, " (this ct() has no nat: not rewritten)");
			}
		}
	} else {
		tb_printf(tb, " (no connection%s", m == NULL &&
			  (k->ip_proto == IPPROTO_ICMP || k->ip_proto == IPPROTO_ICMPV6)
			  ? "; a flow has no ICMP identifier: trace a packet" : "");
		if (nat && !(res.state & DP_CS_INV))
			trace_nat_new(k, na, tb);
		tb_printf(tb, ")");
	}
	tb_printf(tb, "\n");
}

/* Translate key (no install) and fill out's text.  m: the packet (for the
 * conntrack lookups of ct() recirculations), or NULL for a text flow. */
static int trace_key(struct dp *dp, const struct dp_flow_key *key, const struct rte_mbuf *m,
		     struct dp_trace *out)
{
	struct dp_trace_buf tb = { .buf = out->stages, .len = sizeof(out->stages) };
	out->stages[0] = 0;
	struct dp_megaflow_spec *spec = malloc(sizeof(*spec));
	if (spec == NULL)
		return -ENOMEM;
	dp_key_format(out->flow, sizeof(out->flow), key, NULL);
	dp_translate(dp_tables(dp), key, spec, &tb);
	struct dp_flow_key masked;
	dp_key_and(&masked, key, &spec->mask);
	flow_text(&out->megaflow, &masked, &spec->mask, spec->actions, spec->n_actions,
		  spec->flood_ports, spec->tags, spec->n_tags);
	out->no_install = spec->no_install;
	/* Follow ct() recirculations (security groups): each pass looks the
	 * packet up in the pass's zone, read-only, and continues with the
	 * state conntrack has for it now (new for a packet no connection
	 * knows).  A flow giving recirc_id traces that pass as given.  The
	 * megaflow shown is the first pass's. */
	struct dp_flow_key k = *key;
	for (unsigned depth = 0; depth < DP_RECIRC_MAX; depth++) {
		unsigned i = 0;
		while (i < spec->n_actions && dp_act_is_ct(&spec->actions[i]) &&
		       !(spec->actions[i].type == DP_ACT_CT && spec->actions[i].data[1] != 0))
			i++;
		if (i == spec->n_actions || spec->actions[i].type != DP_ACT_CT)
			break;
		k.recirc_id = spec->actions[i].data[1];
		/* a two-zone pass: the source zone's lookup before it */
		for (unsigned j = 0; j < i; j++)
			if (spec->actions[j].type == DP_ACT_CT &&
			    (spec->actions[j].data[0] & DP_CT_F_EG))
				trace_ct(dp, m, &k, spec->actions[j].port, false, NULL, true, &tb);
		const struct dp_action *na = NULL;
		for (unsigned j = i + 1; j < spec->n_actions &&
		     (spec->actions[j].type == DP_ACT_CT_LABEL ||
		      spec->actions[j].type == DP_ACT_CT_NAT); j++)
			if (spec->actions[j].type == DP_ACT_CT_NAT)
				na = &spec->actions[j];
		trace_ct(dp, m, &k, spec->actions[i].port,
			 (spec->actions[i].data[0] & DP_CT_F_NAT) != 0, na, false, &tb);
		dp_translate(dp_tables(dp), &k, spec, &tb);
		dp_actions_format(out->recirc_actions, sizeof(out->recirc_actions),
				  spec->actions, spec->n_actions, spec->flood_ports);
	}
	free(spec);
	return 0;
}

int dp_trace_packet(struct dp *dp, uint16_t port, const uint8_t *pkt, size_t len,
		    struct dp_trace *out)
{
	struct dp_flow_key key;
	uint16_t outer = 0, l2 = 0, l3 = 0;
	memset(out, 0, sizeof(*out));
	bool uplink = port == dp_overlay_uplink(dp_tables(dp));
	const struct dp_overlay_cfg *ov = uplink ? dp_overlay_get(dp_tables(dp)) : NULL;
	uint32_t vtep_ip = ov != NULL ? ov->vtep_ip : 0;
	unsigned reason = uplink ? dp_parse_tnl_buf(pkt, (uint32_t)len, port, vtep_ip, &key,
						    &outer)
				 : dp_parse_buf(pkt, (uint32_t)len, port, &key, &l2, &l3);
	if (outer) {
		out->outer_len = outer;
		out->tun_src = key.tun_src;
		out->tun_vni = key.tun_vni;
	}
	out->parse_drop = reason;
	if (reason != DP_DROP_NONE)
		return 0;
	/* conntrack reads the packet (TCP header, ICMP bodies) through an
	 * mbuf: one over the caller's bytes, never freed nor written */
	struct dp_flow_key inner;
	if (outer && len > outer)
		dp_parse_buf(pkt + outer, (uint32_t)(len - outer), port, &inner, &l2, &l3);
	struct rte_mbuf mb;
	memset(&mb, 0, sizeof(mb));
	mb.buf_addr = (void *)(uintptr_t)(pkt + outer);
	mb.buf_len = mb.data_len = (uint16_t)(len - outer);
	mb.pkt_len = (uint32_t)(len - outer);
	mb.nb_segs = 1;
	mb.l2_len = l2;
	mb.l3_len = l3;
	return trace_key(dp, &key, len - outer <= UINT16_MAX ? &mb : NULL, out);
}

int dp_trace_flow(struct dp *dp, uint16_t port, const char *flow, struct dp_trace *out,
		  char *err, size_t errlen)
{
	struct dp_flow_key key;
	memset(out, 0, sizeof(*out));
	memset(&key, 0, sizeof(key));
	if (dp_key_from_string(flow, &key, err, errlen) < 0)
		return -EINVAL;
	key.in_port = port;
	/* a flow written by hand rarely gives a TTL; 0 would "expire" at the
	 * first router, so an IP flow without one gets 64, and says so */
	bool ip = key.eth_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		  key.eth_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	if (ip && key.ip_ttl == 0 && strstr(flow, "ip_ttl=") == NULL) {
		key.ip_ttl = 64;
		snprintf(out->defaulted, sizeof(out->defaulted), "ip_ttl=64");
	}
	return trace_key(dp, &key, NULL, out);
}

int dp_dump_megaflows(struct dp *dp, unsigned pmd, unsigned max,
		      int (*cb)(const struct dp_megaflow_info *f, void *arg), void *arg)
{
	struct dp_megaflow *buf = malloc(sizeof(*buf) * (max ? max : 1));
	struct dp_megaflow_info *info = malloc(sizeof(*info));
	int n = -ENOMEM;
	if (buf == NULL || info == NULL)
		goto out;
	n = dp_pmd_dump_megaflows(dp, pmd, buf, max);
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	for (int i = 0; i < n; i++) {
		const struct dp_megaflow *f = &buf[i];
		flow_text(&info->text, &f->key, &f->mask, f->actions, f->n_actions, f->flood_ports,
			  f->tags, f->n_tags);
		info->id = f->id;
		info->in_port = f->in_port;
		info->hits = f->hits;
		info->bytes = f->bytes;
		info->used_s = f->used_tsc ? (double)(now - f->used_tsc) / (double)hz : -1;
		if (cb(info, arg))
			break;
	}
out:
	free(info);
	free(buf);
	return n;
}
