/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_ct.c — the conntrack feature: `show conntrack [--port P |
 * --zone Z]` (every connection: zone and its port, tuple, state, timeout
 * left, mark; JSON with --json) and `conntrack flush [--port P | --zone Z]`
 * (admin).  Each port with a security-group ACL has its own zone, handed
 * out by the ACL table (dp/include/acl.h); P is the port's name or id (as
 * the controller knows it) or its lport key.  Control thread only (dp/ct.h:
 * dump and flush are control-thread calls; flush waits one RCU grace
 * period).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "acl.h"
#include "ct.h"
#include "ctrl.h"
#include "feature.h"
#include "lc.h"

#define CT_SHOW_MAX 100000   /* connections listed by one show */

struct port_find {
	const char *want;         /* name or id; NULL: fill names[] */
	uint32_t lport;
	const struct dp_acl *acl;
	char (*names)[64];        /* [zone] -> port name */
};

static int port_cb(const struct lc_sg_port *p, void *arg)
{
	struct port_find *f = arg;
	if (f->want == NULL) {
		int z = dp_acl_port_zone(f->acl, p->lport);
		if (z > 0)
			snprintf(f->names[z], sizeof(f->names[z]), "%s", p->name ? p->name : p->id);
		return 0;
	}
	if (strcmp(f->want, p->id) == 0 || (p->name && strcmp(f->want, p->name) == 0)) {
		f->lport = p->lport;
		return 1;
	}
	return 0;
}

/* --zone Z or --port P (name, id or lport key) -> *zone (-1: all). */
static int parse_zone(struct ctrl *c, int argc, char **argv, int *zone, struct ctrl_reply *r)
{
	*zone = -1;
	if (argc == 0)
		return 0;
	uint32_t z;
	if (argc == 2 && strcmp(argv[0], "--zone") == 0) {
		if (ctrl_parse_u32(argv[1], &z) < 0 || z > 65535)
			return reply_error(r, true, "bad --zone '%s' (0..65535)", argv[1]);
		*zone = (int)z;
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "--port") == 0) {
		struct port_find f = { .want = argv[1] };
		if (c->lc != NULL)
			lc_foreach_sg_port(c->lc, port_cb, &f);
		if (f.lport == 0 && ctrl_parse_u32(argv[1], &z) == 0)
			f.lport = z;
		int pz = f.lport ? dp_acl_port_zone(dp_get_acl(c->dp), f.lport) : -ENOENT;
		if (pz < 0)
			return reply_error(r, false, "port '%s' has no security-group ACL on this "
					   "chassis (so no conntrack zone)", argv[1]);
		*zone = pz;
		return 0;
	}
	return reply_error(r, true, "unexpected argument '%s'", argv[0]);
}

static const char *state_name(const struct dp_ct_entry *e)
{
	static const char *const tcp[] = { "SYN_SENT", "SYN_RECV", "ESTABLISHED",
					   "FIN_WAIT", "TIME_WAIT", "CLOSE" };
	static const char *const gen[] = { "FIRST", "SINGLE", "MULTIPLE" };
	if (e->proto == 6)
		return e->proto_state < 6 ? tcp[e->proto_state] : "?";
	return e->proto_state < 3 ? gen[e->proto_state] : "?";
}

static int cmd_show_conntrack(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	int zone;
	if (parse_zone(c, argc, argv, &zone, r) < 0)
		return -1;
	struct dp_ct *ct = dp_get_ct(c->dp);
	static char names[65536][64];         /* zone -> port name (control thread) */
	memset(names, 0, sizeof(names));
	struct port_find f = { .acl = dp_get_acl(c->dp), .names = names };
	if (c->lc != NULL)
		lc_foreach_sg_port(c->lc, port_cb, &f);
	uint64_t now_ms = rte_rdtsc() / (rte_get_tsc_hz() / 1000);
	json_t *arr = json_array();
	uint32_t cursor = 0;
	struct dp_ct_entry e;
	unsigned n = 0;
	while (n < CT_SHOW_MAX && dp_ct_dump_next(ct, zone, &cursor, now_ms, &e) == 1) {
		char o[96], rp[96];
		dp_ct_key_fmt(&e.orig, o, sizeof(o));
		dp_ct_key_fmt(&e.reply, rp, sizeof(rp));
		const char *nat = e.nat == DP_CT_NAT_SRC ? "src" : e.nat == DP_CT_NAT_DST ? "dst"
											    : NULL;
		json_array_append_new(arr, json_pack("{s:i,s:s?,s:s,s:s,s:i,s:s,s:b,s:I,s:I,s:s?}",
						     "zone", (int)e.zone, "port", names[e.zone][0] ?
						     names[e.zone] : NULL, "orig", o, "reply", rp, "proto",
						     (int)e.proto, "state", state_name(&e),
						     "reply_seen", (int)e.reply_seen, "timeout_ms",
						     (json_int_t)e.timeout_left_ms, "mark",
						     (json_int_t)e.mark, "nat", nat));
		/* the tuples start with their zone, said once at the start */
		const char *ot = strchr(o, ' '), *rt = strchr(rp, ' ');
		reply_printf(r, "zone=%u%s%s %s reply=%s %s%s%s timeout=%.1fs mark=%#x\n", e.zone,
			     names[e.zone][0] ? " port=" : "", names[e.zone], ot ? ot + 1 : o,
			     rt ? rt + 1 : rp,
			     state_name(&e), e.reply_seen ? " [replied]" : "",
			     nat ? (e.nat == DP_CT_NAT_SRC ? " snat" : " dnat") : "",
			     e.timeout_left_ms / 1000.0, e.mark);
		n++;
	}
	struct dp_ct_stats st;
	dp_ct_stats_get(ct, &st);
	reply_printf(r, "%u connection(s)%s; live %llu, committed %llu, invalid %llu, "
		     "expired %llu, over limit %llu, table full %llu; nat: connections %llu, "
		     "rewritten %llu, exhausted %llu, failed %llu\n", n,
		     n == CT_SHOW_MAX ? " (list cut)" : "", (unsigned long long)st.conns,
		     (unsigned long long)st.committed, (unsigned long long)st.invalid,
		     (unsigned long long)st.expired, (unsigned long long)st.over_limit,
		     (unsigned long long)st.table_full, (unsigned long long)st.nat_conns,
		     (unsigned long long)st.nat_rewritten, (unsigned long long)st.nat_exhausted,
		     (unsigned long long)st.nat_failed);
	json_object_set_new(r->result, "stats", json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "conns", (json_int_t)st.conns,
		"committed", (json_int_t)st.committed, "invalid", (json_int_t)st.invalid,
		"expired", (json_int_t)st.expired, "over_limit", (json_int_t)st.over_limit,
		"table_full", (json_int_t)st.table_full, "nat_conns", (json_int_t)st.nat_conns,
		"nat_rewritten", (json_int_t)st.nat_rewritten,
		"nat_exhausted", (json_int_t)st.nat_exhausted, "nat_failed",
		(json_int_t)st.nat_failed));
	json_object_set_new(r->result, "connections", arr);
	return 0;
}

static int cmd_conntrack_flush(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	int zone;
	if (parse_zone(c, argc, argv, &zone, r) < 0)
		return -1;
	int n = dp_ct_flush(dp_get_ct(c->dp), zone);
	if (n < 0)
		return reply_error(r, false, "flush: %s", strerror(-n));
	json_object_set_new(r->result, "flushed", json_integer(n));
	reply_printf(r, "%d connection(s) flushed\n", n);
	return 0;
}

static const struct ctrl_cmd ct_cmds[] = {
	{ "show conntrack", cmd_show_conntrack },
	{ "conntrack flush", cmd_conntrack_flush },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_ct_feature = {
	.name = "conntrack",
	.cmds = ct_cmds,
};
