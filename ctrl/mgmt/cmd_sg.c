/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_sg.c — the security-groups feature: `show security-groups
 * [--port P]`, the compiled view per port.
 *
 * What it shows is what is installed: the ports and their rules come from
 * the datapath's ACL table (dp_acl_foreach_port: the rule list each port's
 * contexts were built from, the rte_acl rule counts after address-set
 * expansion, the shared rule set).  The controller adds what the table
 * cannot know (lc.h "compiled security groups"): the port's id and name and
 * the groups its ACL was compiled from, the northbound id of each rule key,
 * and the members of each address set as last put into the table (dp/acl.h
 * has no reader for a set's members; the controller keeps a copy of every
 * successful dp_acl_set_put).  A port with an ACL the controller does not
 * know (static tables) is listed by its lport key.
 * Control thread only (dp_acl readers for the control thread, lc).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "ctrl.h"
#include "feature.h"
#include "lc.h"
#include "mdl_sg.h"

struct rule_name {
	uint32_t key;
	const char *rule_id, *group_id;   /* valid while the controller is not run */
};

struct show {
	struct ctrl *c;
	struct ctrl_reply *r;
	const char *want;             /* --port: name or id; NULL all */
	struct rule_name *names;
	size_t n_names, cap_names;
	uint32_t *sets;               /* address sets the shown rules use */
	size_t n_sets, cap_sets;
	json_t *ports;
	unsigned shown;
};

static int name_cb(uint32_t key, const char *rule_id, const char *group_id, void *arg)
{
	struct show *s = arg;
	if (s->n_names == s->cap_names) {
		size_t cap = s->cap_names ? s->cap_names * 2 : 64;
		struct rule_name *v = realloc(s->names, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		s->names = v;
		s->cap_names = cap;
	}
	s->names[s->n_names++] = (struct rule_name){ key, rule_id, group_id };
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	uint32_t x = ((const struct rule_name *)a)->key, y = ((const struct rule_name *)b)->key;
	return x < y ? -1 : x > y;
}

static const struct rule_name *name_of(const struct show *s, uint32_t key)
{
	struct rule_name k = { key, NULL, NULL };
	return s->n_names ? bsearch(&k, s->names, s->n_names, sizeof(k), cmp_name) : NULL;
}

static void set_use(struct show *s, uint32_t set)
{
	for (size_t i = 0; i < s->n_sets; i++)
		if (s->sets[i] == set)
			return;
	if (s->n_sets == s->cap_sets) {
		size_t cap = s->cap_sets ? s->cap_sets * 2 : 16;
		uint32_t *v = realloc(s->sets, cap * sizeof(*v));
		if (v == NULL)
			return;
		s->sets = v;
		s->cap_sets = cap;
	}
	s->sets[s->n_sets++] = set;
}

static const char *proto_name(const struct dp_acl_rule *r, char *buf, size_t size)
{
	if (r->any_proto)
		return "any";
	switch (r->proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmpv6";
	case 132: return "sctp";
	default:
		snprintf(buf, size, "%u", r->proto);
		return buf;
	}
}

static void ip_text(const struct dp_ip *a, char *buf, size_t size)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, t, sizeof(t));
	snprintf(buf, size, "%s/%u", t, a->plen);
}

static void range_text(uint16_t lo, uint16_t hi, char *buf, size_t size)
{
	if (lo == 0 && hi == 65535)
		snprintf(buf, size, "any");
	else if (lo == hi)
		snprintf(buf, size, "%u", lo);
	else
		snprintf(buf, size, "%u-%u", lo, hi);
}

/* One installed rule as JSON (and a text line). */
static json_t *rule_json(struct show *s, const struct dp_acl_rule *r, char *line, size_t size)
{
	char pb[8], remote[80], src[16], dst[16], id[80];
	const char *proto = proto_name(r, pb, sizeof(pb));
	const struct rule_name *n = name_of(s, r->key);
	bool icmp = !r->any_proto && (r->proto == 1 || r->proto == 58);
	if (r->key >= MDL_SG_BASE_KEY)
		snprintf(id, sizeof(id), "base-%u", r->key - MDL_SG_BASE_KEY);
	else
		snprintf(id, sizeof(id), "%s", n && n->rule_id[0] ? n->rule_id : "?");
	if (r->remote_set) {
		snprintf(remote, sizeof(remote), "set %u", r->remote_set);
		set_use(s, r->remote_set);
	} else if (r->remote.plen) {
		ip_text(&r->remote, remote, sizeof(remote));
	} else {
		snprintf(remote, sizeof(remote), "any");
	}
	range_text(r->src_min, r->src_max, src, sizeof(src));
	range_text(r->dst_min, r->dst_max, dst, sizeof(dst));
	if (icmp)
		snprintf(line, size, "%-36s  %-6s  type %-5s code %-5s  %s", id, proto, src, dst,
			 remote);
	else if (!r->any_proto && (r->proto == 6 || r->proto == 17 || r->proto == 132))
		snprintf(line, size, "%-36s  %-6s  dst %-12s  %s", id, proto, dst, remote);
	else
		snprintf(line, size, "%-36s  %-6s  %-16s  %s", id, proto, "", remote);
	json_t *j = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s}", "rule_id", id, "key",
			      (json_int_t)r->key, "priority", (json_int_t)r->priority, "protocol",
			      proto, icmp ? "icmp_type" : "src_ports", src,
			      icmp ? "icmp_code" : "dst_ports", dst);
	if (j == NULL)
		return NULL;
	if (n && n->group_id)
		json_object_set_new(j, "group", json_string(n->group_id));
	if (r->remote_set)
		json_object_set_new(j, "remote_set", json_integer(r->remote_set));
	else
		json_object_set_new(j, "remote_prefix", r->remote.plen ? json_string(remote) :
				    json_null());
	return j;
}

static const struct lc_sg_port *port_of(const struct lc_sg_port *v, size_t n, uint32_t lport)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].lport == lport)
			return &v[i];
	return NULL;
}

struct port_list {
	struct lc_sg_port *v;
	size_t n, cap;
};

static int port_cb(const struct lc_sg_port *p, void *arg)
{
	struct port_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct lc_sg_port *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

struct acl_walk {
	struct show *s;
	struct port_list *pl;
};

static int acl_cb(const struct dp_acl_port_info *pi, void *arg)
{
	struct acl_walk *w = arg;
	struct show *s = w->s;
	const struct lc_sg_port *p = port_of(w->pl->v, w->pl->n, pi->lport);
	if (s->want && (p == NULL || (strcmp(s->want, p->id) && strcmp(s->want, p->name))))
		return 0;
	s->shown++;
	json_t *groups = json_array(), *rules = json_object();
	reply_printf(s->r, "port %s (%s)  lport %u  zone %u  %s  rule set %u (%u port%s)\n",
		     p ? p->name : "?", p ? p->id : "not from the controller", pi->lport,
		     pi->zone, pi->stateful ? "stateful" : "stateless", pi->rule_set,
		     pi->rule_set_ports, pi->rule_set_ports == 1 ? "" : "s");
	reply_printf(s->r, "  groups:");
	for (size_t g = 0; p && g < p->n_groups; g++) {
		const char *name = lc_sg_group_name(s->c->lc, p->groups[g]);
		reply_printf(s->r, " %s (%s)", name[0] ? name : "?", p->groups[g]);
		json_array_append_new(groups, json_pack("{s:s,s:s}", "id", p->groups[g], "name",
							name));
	}
	reply_printf(s->r, "%s\n", p && p->n_groups ? "" : " none (base rules only)");
	static const char *const dirs[2] = { "ingress", "egress" };
	for (int d = 0; d < 2; d++) {
		json_t *dj = json_object();
		for (int v6 = 0; v6 < 2; v6++) {
			json_t *arr = json_array();
			unsigned cnt = 0;
			for (uint32_t i = 0; i < pi->n_rules; i++)
				cnt += pi->rules[i].dir == d && pi->rules[i].family == (v6 ? 6 : 4);
			reply_printf(s->r, "  %s %s: %u rule%s (%u rte_acl rules)\n", dirs[d],
				     v6 ? "IPv6" : "IPv4", cnt, cnt == 1 ? "" : "s",
				     pi->acl_rules[d][v6]);
			for (uint32_t i = 0; i < pi->n_rules; i++) {
				const struct dp_acl_rule *r = &pi->rules[i];
				char line[200];
				if (r->dir != d || r->family != (v6 ? 6 : 4))
					continue;
				json_array_append_new(arr, rule_json(s, r, line, sizeof(line)));
				reply_printf(s->r, "    %s\n", line);
			}
			json_object_set_new(dj, v6 ? "IPv6" : "IPv4", arr);
		}
		json_object_set_new(rules, dirs[d], dj);
	}
	json_t *acl = json_pack("{s:{s:i,s:i},s:{s:i,s:i}}", "ingress", "IPv4",
				(int)pi->acl_rules[0][0], "IPv6", (int)pi->acl_rules[0][1],
				"egress", "IPv4", (int)pi->acl_rules[1][0], "IPv6",
				(int)pi->acl_rules[1][1]);
	json_array_append_new(s->ports, json_pack(
		"{s:s?,s:s?,s:I,s:I,s:b,s:I,s:I,s:o,s:o,s:o}", "port", p ? p->id : NULL,
		"name", p ? p->name : NULL, "lport", (json_int_t)pi->lport, "zone",
		(json_int_t)pi->zone, "stateful", pi->stateful, "rule_set",
		(json_int_t)pi->rule_set, "rule_set_ports", (json_int_t)pi->rule_set_ports,
		"groups", groups, "rules", rules, "acl_rules", acl));
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void show_sets(struct show *s)
{
	json_t *arr = json_array();
	if (s->n_sets > 1)
		qsort(s->sets, s->n_sets, sizeof(*s->sets), cmp_u32);
	if (s->n_sets)
		reply_printf(s->r, "address sets (remote groups):\n");
	for (size_t i = 0; i < s->n_sets; i++) {
		const char *gid = NULL, *name = NULL;
		const struct dp_ip *a = NULL;
		uint32_t n = 0;
		json_t *m = json_array();
		int rc = s->c->lc ? lc_sg_set(s->c->lc, s->sets[i], &gid, &name, &a, &n) : -ENOENT;
		reply_printf(s->r, "  set %u  group %s (%s): ", s->sets[i],
			     rc ? "?" : name[0] ? name : "?", rc ? "unknown" : gid);
		for (uint32_t k = 0; k < n; k++) {
			char t[80];
			ip_text(&a[k], t, sizeof(t));
			reply_printf(s->r, "%s%s", k ? ", " : "", t);
			json_array_append_new(m, json_string(t));
		}
		reply_printf(s->r, "%s\n", n ? "" : "(no members)");
		json_array_append_new(arr, json_pack("{s:I,s:s?,s:s?,s:o}", "set",
						     (json_int_t)s->sets[i], "group",
						     rc ? NULL : gid, "name", rc ? NULL : name,
						     "members", m));
	}
	json_object_set_new(s->r->result, "address_sets", arr);
}

static int cmd_show_sg(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct show s = { .c = c, .r = r };
	if (argc == 2 && strcmp(argv[0], "--port") == 0)
		s.want = argv[1];
	else if (argc > 0)
		return reply_error(r, true, "unexpected argument '%s'", argv[0]);
	struct dp_acl *acl = dp_tables_get_acl(dp_tables(c->dp));
	if (acl == NULL)
		return reply_error(r, false, "the datapath has no ACL table");
	struct port_list pl = { NULL, 0, 0 };
	if (c->lc) {
		lc_foreach_sg_port(c->lc, port_cb, &pl);
		lc_foreach_sg_rule(c->lc, name_cb, &s);
		if (s.n_names > 1)
			qsort(s.names, s.n_names, sizeof(*s.names), cmp_name);
	}
	s.ports = json_array();
	struct acl_walk w = { &s, &pl };
	dp_acl_foreach_port(acl, acl_cb, &w);
	json_object_set_new(r->result, "ports", s.ports);
	show_sets(&s);
	free(pl.v);
	free(s.names);
	free(s.sets);
	if (s.want && s.shown == 0)
		return reply_error(r, false, "no port '%s' with security groups installed "
				   "(port security off, not bound here, or unknown)", s.want);
	if (s.shown == 0)
		reply_printf(r, "no port has security groups installed\n");
	return 0;
}

static const struct ctrl_cmd sg_cmds[] = {
	{ "show security-groups", cmd_show_sg },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_sg_feature = {
	.name = "security-groups",
	.cmds = sg_cmds,
};
