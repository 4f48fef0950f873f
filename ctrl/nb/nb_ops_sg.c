/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_sg.c — what the northbound commands do differently for
 * security groups, whose rules are objects of their own (nb_sg.h):
 *
 *   security-group create   the group and its rules (Neutron's two egress
 *                           rules, then each --add-rule) in one transaction
 *   security-group update   the group (name, embedded rules of older
 *                           stores) + new rule objects + deleted ones, one
 *                           transaction
 *   security-group rule create GROUP [options] | list [--group G] |
 *                           show RULE | delete RULE
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "nb_ops_priv.h"
#include "nb_sg.h"
#include "nbo.h"

static const char *const rule_verbs[NB_R_N] = { "create", "list", "show", "delete" };

/* Decodes c->new_rules as rule objects of group gid (ids kept). */
static int decode_rules(struct nb_ctx *c, const char *gid,
			struct mdl_security_group_rule ***out, size_t *n)
{
	size_t cnt = c->new_rules ? json_array_size(c->new_rules) : 0, i;
	struct mdl_security_group_rule **v = calloc(cnt + 1, sizeof(*v));
	char msg[512];
	json_t *e;

	*out = v;
	*n = 0;
	if (!v)
		return -ENOMEM;
	json_array_foreach(c->new_rules, i, e) {
		struct mdl_hdr *h;

		if (json_object_set_new(e, "security_group_id", json_string(gid)))
			return -ENOMEM;
		h = mdl_obj_from_json(MDL_SECURITY_GROUP_RULE, e, msg, sizeof(msg));
		if (!h)
			return nb_fail(c, -EINVAL, "--add-rule #%zu: %s", i + 1, msg);
		v[(*n)++] = mdl_hdr_to_sg_rule(h);
	}
	return 0;
}

static struct mdl_hdr *decode_group(struct nb_ctx *c, json_t *obj)
{
	struct mdl_hdr *h = mdl_obj_from_json(MDL_SECURITY_GROUP, obj, c->err, sizeof(c->err));

	if (!h && !c->err[0])
		snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
	return h;
}

/* Timestamps as the API's writes keep them (attrs, nbo_now). */
static int stamp(struct mdl_hdr *h, bool created)
{
	char now[32];

	nbo_now(now);
	if (!h->attrs && !(h->attrs = json_object()))
		return -ENOMEM;
	if ((created && json_object_set_new(h->attrs, "created_at", json_string(now))) ||
	    json_object_set_new(h->attrs, "updated_at", json_string(now)))
		return -ENOMEM;
	return 0;
}

int nb_sg_cmd_create(struct nb_ctx *c, json_t *obj, bool as_json)
{
	struct mdl_security_group_rule **rules = NULL;
	struct mdl_hdr *h;
	size_t n = 0, i;
	int rc;

	/* as the API (Neutron): the project's default group is made with its
	 * first port, never by name */
	if (!strcmp(json_string_value(json_object_get(obj, "name")) ?: "", NB_SG_DEFAULT_NAME))
		return nb_fail(c, -EEXIST, "SecurityGroupDefaultAlreadyExists: Default security "
			       "group already exists.");
	h = decode_group(c, obj);
	rc = h ? stamp(h, true) : -EINVAL;

	if (!rc && !h->id[0])
		rc = mdl_uuid_generate(h->id);
	if (!rc)
		rc = decode_rules(c, h->id, &rules, &n);
	for (i = 0; !rc && i < n; i++)
		rc = stamp(&rules[i]->hdr, true);
	if (!rc && !nb_ctx_nb(c))
		rc = -errno;
	if (!rc) {
		c->err[0] = '\0';
		rc = nb_sg_create(c->nb, mdl_hdr_to_sg(h), rules, n,
				  (c->flags & NB_F_NO_DEFAULT_RULES) ? 0 : NB_SG_EGRESS_RULES,
				  NULL, c->err, sizeof(c->err));
	}
	if (!rc)
		rc = nb_print_obj(c, h, as_json);
	nb_sg_rules_free(rules, n);
	mdl_obj_free(h);
	return rc;
}

int nb_sg_cmd_update(struct nb_ctx *c, const json_t *before, json_t *obj, uint64_t mod,
		     bool as_json)
{
	struct mdl_security_group_rule **rules = NULL;
	struct mdl_hdr *h = decode_group(c, obj);
	struct nb_op *ops = NULL;
	size_t n = 0, i, k = 0;
	int rc = h ? 0 : -EINVAL;

	if (!rc) {
		struct mdl_hdr *old = decode_group(c, (json_t *)before);

		rc = old ? nb_sg_update_check(mdl_hdr_to_sg(old), mdl_hdr_to_sg(h), c->err,
					      sizeof(c->err)) : -EINVAL;
		mdl_obj_free(old);
	}
	if (!rc)
		rc = decode_rules(c, h->id, &rules, &n);
	for (i = 0; !rc && i < n; i++)
		rc = stamp(&rules[i]->hdr, true);
	if (!rc && !nb_ctx_nb(c))
		rc = -errno;
	/* the rule objects to delete must be this group's */
	for (i = 0; !rc && i < c->n_del_rules; i++) {
		struct mdl_security_group_rule *r;
		int g = nb_sg_rule_get(c->nb, c->del_rules[i], &r);

		if (g == -ENOENT || (!g && strcmp(r->security_group_id, h->id)))
			rc = nb_fail(c, -ENOENT, "security group %s has no rule %s", h->id,
				     c->del_rules[i]);
		else
			rc = g;
		if (!g)
			mdl_obj_free(&r->hdr);
	}
	if (!rc && !(ops = calloc(n + c->n_del_rules + 1, sizeof(*ops))))
		rc = -ENOMEM;
	if (!rc) {
		/* the group itself only when it changed (name, embedded rules) */
		if (!json_equal((json_t *)before, obj) && !(rc = stamp(h, false)))
			ops[k++] = (struct nb_op){ .kind = NB_OP_UPDATE, .obj = h,
						   .expected_mod_revision = mod };
		for (i = 0; i < n; i++) {
			if (!rules[i]->project_id[0])
				snprintf(rules[i]->project_id, MDL_NAME_SIZE, "%s",
					 mdl_hdr_to_sg(h)->project_id);
			ops[k++] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = &rules[i]->hdr };
		}
		for (i = 0; i < c->n_del_rules; i++) {
			ops[k] = (struct nb_op){ .kind = NB_OP_DELETE,
						 .type = MDL_SECURITY_GROUP_RULE };
			snprintf(ops[k++].id, MDL_ID_SIZE, "%s", c->del_rules[i]);
		}
		c->err[0] = '\0';
		rc = k ? nb_apply(c->nb, ops, k, NULL, c->err, sizeof(c->err)) : 0;
	}
	if (!rc) {
		struct mdl_hdr *now = NULL;

		rc = nb_get(c->db, MDL_SECURITY_GROUP, h->id, &now, NULL);
		if (!rc)
			rc = nb_print_obj(c, now, as_json);
		mdl_obj_free(now);
	}
	free(ops);
	nb_sg_rules_free(rules, n);
	mdl_obj_free(h);
	/* a retry (-EAGAIN) re-applies the options: start the lists again */
	json_decref(c->new_rules);
	c->new_rules = NULL;
	c->n_del_rules = 0;
	return rc;
}

/* ---- security-group rule create|list|show|delete ---- */

int nb_rule_verb(int argc, char **argv)
{
	int v;

	if (argc < 3 || strcmp(argv[0], "security-group") || strcmp(argv[1], "rule"))
		return -1;
	for (v = 0; v < NB_R_N; v++)
		if (!strcmp(argv[2], rule_verbs[v]))
			return v;
	return -1;
}

void nb_rule_usage(FILE *f, int verb)
{
	const char *pre = "usage: wyctl [--db URL] [--json] security-group rule";

	if (verb == NB_R_CREATE || verb < 0)
		fprintf(f, "%s create GROUP [--ingress|--egress] [--ethertype IPv4|IPv6]\n"
			"    [--protocol NAME|NUMBER|any] [--dst-port MIN[:MAX]]\n"
			"    [--icmp-type T [--icmp-code C]] [--remote-ip CIDR|--remote-group SG]\n"
			"    [--description TEXT] [--project ID]\n"
			"  (default: ingress, IPv4 or the --remote-ip's family, any protocol, any\n"
			"   remote; --dst-port for tcp, udp, sctp, dccp, udplite; --icmp-* for icmp,\n"
			"   icmpv6)\n", pre);
	if (verb == NB_R_LIST || verb < 0)
		fprintf(f, "%s list [--group SG]\n", pre);
	if (verb == NB_R_SHOW || verb < 0)
		fprintf(f, "%s show RULE_ID\n", pre);
	if (verb == NB_R_DELETE || verb < 0)
		fprintf(f, "%s delete RULE_ID\n", pre);
}

struct ropt {
	const char *name;
	size_t off;             /* offsetof(struct nb_rule_cmd, x); (size_t)-1: flag */
	unsigned verbs;         /* 1 << NB_R_* */
	const char *flag_val;   /* flags: value stored into dir */
};

#define RO(f) offsetof(struct nb_rule_cmd, f)
#define CR (1u << NB_R_CREATE)
static const struct ropt ropts[] = {
	{ "--ingress", RO(dir), CR, "ingress" },
	{ "--egress", RO(dir), CR, "egress" },
	{ "--ethertype", RO(ethertype), CR, NULL },
	{ "--protocol", RO(protocol), CR, NULL },
	{ "--dst-port", RO(dst_port), CR, NULL },
	{ "--icmp-type", RO(icmp_type), CR, NULL },
	{ "--icmp-code", RO(icmp_code), CR, NULL },
	{ "--remote-ip", RO(remote_ip), CR, NULL },
	{ "--remote-group", RO(remote_group), CR, NULL },
	{ "--description", RO(description), CR, NULL },
	{ "--project", RO(project), CR, NULL },
	{ "--group", RO(group), 1u << NB_R_LIST, NULL },
	{ NULL, 0, 0, NULL }
};

int nb_rule_parse(struct nb_ctx *c, int verb, int argc, char **argv, bool *as_json,
		  bool *help, struct nb_rule_cmd *r)
{
	bool dashdash = false;
	int i, n_pos = 0;

	memset(r, 0, sizeof(*r));
	r->verb = verb;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		const struct ropt *o;
		size_t len;

		if (dashdash || a[0] != '-' || !a[1]) {
			if (n_pos++ || verb == NB_R_LIST)
				return nb_usage_err(c, "unexpected argument '%s'", a);
			r->pos = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = true;
			return 0;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		if (len == 6 && !strncmp(a, "--json", 6) && !eq) {
			*as_json = true;
			continue;
		}
		for (o = ropts; o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, a, len))
				break;
		if (!(len == 4 && !strncmp(a, "--db", 4)) && !o->name)
			return nb_usage_err(c, "unknown option %.*s", (int)len, a);
		if (o->name && !(o->verbs & (1u << verb)))
			return nb_usage_err(c, "%.*s cannot be used with rule %s", (int)len, a,
					    rule_verbs[verb]);
		if (o->name && o->flag_val) {
			if (eq)
				return nb_usage_err(c, "%s takes no value", o->name);
			if (r->dir && strcmp(r->dir, o->flag_val))
				return nb_usage_err(c, "give --ingress or --egress, not both");
			r->dir = o->flag_val;
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return nb_usage_err(c, "%.*s needs a value", (int)len, a);
		if (!o->name)
			c->url = val;
		else
			*(const char **)((char *)r + o->off) = val;
	}
	if (!r->pos && verb != NB_R_LIST)
		return nb_usage_err(c, "missing %s", verb == NB_R_CREATE ? "GROUP" : "RULE_ID");
	if (r->dst_port && (r->icmp_type || r->icmp_code))
		return nb_usage_err(c, "--dst-port and --icmp-type/--icmp-code exclude each other");
	if (r->icmp_code && !r->icmp_type)
		return nb_usage_err(c, "--icmp-code needs --icmp-type");
	if (r->remote_ip && r->remote_group)
		return nb_usage_err(c, "--remote-ip and --remote-group exclude each other");
	return 0;
}

static int parse_num(struct nb_ctx *c, const char *opt, const char *s, long lo, long hi,
		     json_int_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return nb_usage_err(c, "%s: '%s' is not a number in %ld..%ld", opt, s, lo, hi);
	*out = v;
	return 0;
}

static bool icmp_proto(const char *p)
{
	return p && (!strcmp(p, "icmp") || !strcmp(p, "icmpv6") || !strcmp(p, "ipv6-icmp") ||
		     !strcmp(p, "1") || !strcmp(p, "58"));
}

/* The rule's JSON from the options (the model validates the values). */
static int rule_json(struct nb_ctx *c, const struct nb_rule_cmd *r, const char *gid,
		     json_t **out)
{
	json_int_t lo = -1, hi = -1;
	const char *et = r->ethertype;
	char rg[MDL_ID_SIZE];
	json_t *j;
	int rc = 0;

	if ((r->icmp_type || r->icmp_code) && !icmp_proto(r->protocol))
		return nb_usage_err(c, "--icmp-type/--icmp-code need --protocol icmp or icmpv6");
	if (r->dst_port) {
		char *s = strdup(r->dst_port), *colon;

		if (!s)
			return -ENOMEM;
		colon = strchr(s, ':');
		if (colon)
			*colon = '\0';
		rc = parse_num(c, "--dst-port", s, 0, 65535, &lo);
		hi = lo;
		if (!rc && colon)
			rc = parse_num(c, "--dst-port", colon + 1, 0, 65535, &hi);
		free(s);
	}
	if (!rc && r->icmp_type)
		rc = parse_num(c, "--icmp-type", r->icmp_type, 0, 255, &lo);
	if (!rc && r->icmp_code)
		rc = parse_num(c, "--icmp-code", r->icmp_code, 0, 255, &hi);
	if (!rc && r->remote_group)
		rc = nb_resolve(c, MDL_SECURITY_GROUP, r->remote_group, rg);
	if (rc)
		return rc;
	if (!et)
		et = r->remote_ip && strchr(r->remote_ip, ':') ? "IPv6" : "IPv4";
	j = json_pack("{s:s,s:s,s:s}", "security_group_id", gid, "direction",
		      r->dir ? r->dir : "ingress", "ethertype", et);
	if (!j)
		return nb_usage_err(c, "invalid value (not UTF-8?)");
	if (r->protocol && strcmp(r->protocol, "any") && r->protocol[0])
		json_object_set_new(j, "protocol", json_string(r->protocol));
	if (lo >= 0)
		json_object_set_new(j, "port_range_min", json_integer(lo));
	if (hi >= 0)
		json_object_set_new(j, "port_range_max", json_integer(hi));
	if (r->remote_ip)
		json_object_set_new(j, "remote_ip_prefix", json_string(r->remote_ip));
	if (r->remote_group)
		json_object_set_new(j, "remote_group_id", json_string(rg));
	if (r->description)
		json_object_set_new(j, "description", json_string(r->description));
	if (r->project)
		json_object_set_new(j, "project_id", json_string(r->project));
	*out = j;
	return 0;
}

static int rule_create(struct nb_ctx *c, const struct nb_rule_cmd *r, bool as_json)
{
	char gid[MDL_ID_SIZE];
	struct mdl_hdr *h;
	json_t *j = NULL;
	int rc;

	if ((rc = nb_resolve(c, MDL_SECURITY_GROUP, r->pos, gid)) ||
	    (rc = rule_json(c, r, gid, &j)))
		return rc;
	h = mdl_obj_from_json(MDL_SECURITY_GROUP_RULE, j, c->err, sizeof(c->err));
	json_decref(j);
	if (!h)
		return c->err[0] ? -EINVAL : nb_fail(c, -errno, "%s", strerror(errno));
	c->err[0] = '\0';
	rc = nb_ctx_nb(c) ? nb_sg_rule_create(c->nb, mdl_hdr_to_sg_rule(h), NULL, c->err,
					      sizeof(c->err)) : -errno;
	if (!rc)
		rc = nb_print_obj(c, h, as_json);
	mdl_obj_free(h);
	return rc;
}

static char *ports_text(const struct mdl_sg_rule *r)
{
	char *s = NULL;
	bool icmp = icmp_proto(r->protocol) || !strcmp(r->protocol, "ipv6-icmp");
	int n;

	if (r->port_range_min < 0 && r->port_range_max < 0)
		return strdup("any");
	if (icmp)
		n = r->port_range_max >= 0 ?
		    asprintf(&s, "type %lld code %lld", (long long)r->port_range_min,
			     (long long)r->port_range_max) :
		    asprintf(&s, "type %lld", (long long)r->port_range_min);
	else if (r->port_range_min == r->port_range_max)
		n = asprintf(&s, "%lld", (long long)r->port_range_min);
	else
		n = asprintf(&s, "%lld:%lld", (long long)r->port_range_min,
			     (long long)r->port_range_max);
	return n < 0 ? NULL : s;
}

static int rule_list(struct nb_ctx *c, const struct nb_rule_cmd *r, bool as_json)
{
	struct mdl_security_group_rule **v = NULL;
	char gid[MDL_ID_SIZE] = "";
	size_t n = 0, i;
	int rc;

	if (r->group && (rc = nb_resolve(c, MDL_SECURITY_GROUP, r->group, gid)))
		return rc;
	if (!nb_ctx_nb(c))
		return -errno;
	if ((rc = nb_sg_rules(c->nb, gid, &v, &n)))
		return rc;
	if (as_json) {
		json_t *arr = json_array();

		for (i = 0; arr && i < n; i++)
			json_array_append_new(arr, mdl_obj_to_json(&v[i]->hdr));
		if (arr)
			nb_print_json(c, arr);
		json_decref(arr);
		nb_sg_rules_free(v, n);
		return arr ? 0 : -ENOMEM;
	}
	fprintf(c->out, "%-36s  %-36s  %-9s  %-4s  %-8s  %-16s  %s\n", "ID", "GROUP",
		"DIRECTION", "TYPE", "PROTOCOL", "PORTS", "REMOTE");
	for (i = 0; i < n; i++) {
		const struct mdl_sg_rule *x = &v[i]->rule;
		char *ports = ports_text(x);

		fprintf(c->out, "%-36s  %-36s  %-9s  %-4s  %-8s  %-16s  %s%s\n", v[i]->hdr.id,
			v[i]->security_group_id, x->direction, x->ethertype,
			x->protocol[0] ? x->protocol : "any", ports ? ports : "?",
			x->remote_group_id[0] ? "group " : "",
			x->remote_group_id[0] ? x->remote_group_id :
			x->remote_ip_prefix[0] ? x->remote_ip_prefix : "any");
		free(ports);
	}
	nb_sg_rules_free(v, n);
	return 0;
}

int nb_rule_exec(struct nb_ctx *c, const struct nb_rule_cmd *r, bool as_json)
{
	struct mdl_security_group_rule *x;
	int rc;

	switch (r->verb) {
	case NB_R_CREATE:
		return rule_create(c, r, as_json);
	case NB_R_LIST:
		return rule_list(c, r, as_json);
	case NB_R_SHOW:
		if (!mdl_uuid_valid(r->pos))
			return nb_usage_err(c, "RULE_ID: '%s' is not a rule id (a UUID)", r->pos);
		if (!nb_ctx_nb(c))
			return -errno;
		rc = nb_sg_rule_get(c->nb, r->pos, &x);
		if (rc == -ENOENT)
			return nb_fail(c, rc, "security group rule %s does not exist", r->pos);
		if (rc)
			return rc;
		rc = nb_print_obj(c, &x->hdr, as_json);
		mdl_obj_free(&x->hdr);
		return rc;
	default:
		if (!mdl_uuid_valid(r->pos))
			return nb_usage_err(c, "RULE_ID: '%s' is not a rule id (a UUID)", r->pos);
		c->err[0] = '\0';
		return nb_ctx_nb(c) ? nb_sg_rule_delete(c->nb, r->pos, c->err, sizeof(c->err)) :
		       -errno;
	}
}
