/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_sg_test.c — security groups on the northbound (nb_sg.h) on a
 * real RocksDB: rule objects (create, list, get, delete, validation that
 * writes nothing, duplicates), a group with its rules in one transaction,
 * delete cascading to the group's own rules and refused while a port or
 * another group's rule uses it, the project default group (created on
 * first use with Neutron's four rules, shared by the project's ports, one
 * per project even when two threads race for it), port security off.
 * No DPDK. */
#include <CUnit/Basic.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_test_util.h"
#include "mdl_addr.h"
#include "nb_sg.h"

static char dir[256];
static struct db *db;
static struct nb *nb;
static char net_id[MDL_ID_SIZE], sub_id[MDL_ID_SIZE];

static struct mdl_hdr *obj(enum mdl_type t, const char *json)
{
	char err[MDL_ERR_SIZE];
	struct mdl_hdr *o = mdl_obj_from_string(t, json, err, sizeof(err));

	if (!o)
		printf("\n decode: %s\n", err);
	return o;
}

/* Everything under /wyvern/v1/ as one string, to prove "nothing written". */
static char *dump_all(void)
{
	struct db_kv_list l;
	size_t i, len = 1;
	char *s;

	if (db_scan(db, "/wyvern/v1/", &l))
		return NULL;
	for (i = 0; i < l.n; i++)
		len += strlen(l.kvs[i].key) + l.kvs[i].value_len + 24;
	s = calloc(1, len);
	for (i = 0; s && i < l.n; i++)
		sprintf(s + strlen(s), "%s=%s@%llu;", l.kvs[i].key, (char *)l.kvs[i].value,
			(unsigned long long)l.kvs[i].mod_revision);
	db_kv_list_clear(&l);
	return s;
}

static struct mdl_security_group *group(const char *name, const char *project)
{
	char j[512];

	snprintf(j, sizeof(j), "{\"name\":\"%s\",\"project_id\":\"%s\"}", name, project);
	return mdl_hdr_to_sg(obj(MDL_SECURITY_GROUP, j));
}

static struct mdl_security_group_rule *rule(const char *gid, const char *fields)
{
	char j[1024];

	snprintf(j, sizeof(j), "{\"security_group_id\":\"%s\",%s}", gid, fields);
	return mdl_hdr_to_sg_rule(obj(MDL_SECURITY_GROUP_RULE, j));
}

static struct mdl_port *port(const char *name, const char *project, const char *extra)
{
	char j[1024];

	snprintf(j, sizeof(j), "{\"name\":\"%s\",\"project_id\":\"%s\",\"network_id\":\"%s\"%s}",
		 name, project, net_id, extra ? extra : "");
	return mdl_hdr_to_port(obj(MDL_PORT, j));
}

static size_t n_groups(void)
{
	struct mdl_hdr **v;
	size_t n = 0;

	CU_ASSERT_EQUAL(nb_list(db, MDL_SECURITY_GROUP, &v, &n), 0);
	nb_list_free(v, n);
	return n;
}

static void t_setup_network(void)
{
	struct mdl_hdr *n = obj(MDL_NETWORK, "{\"name\":\"n\",\"provider:network_type\":\"vxlan\"}");
	struct mdl_hdr *s;
	char err[MDL_ERR_SIZE], j[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, n, NULL, err, sizeof(err)), 0);
	snprintf(net_id, sizeof(net_id), "%s", n->id);
	snprintf(j, sizeof(j), "{\"network_id\":\"%s\",\"cidr\":\"10.9.0.0/16\",\"ip_version\":4}",
		 net_id);
	s = obj(MDL_SUBNET, j);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, s, NULL, err, sizeof(err)), 0);
	snprintf(sub_id, sizeof(sub_id), "%s", s->id);
	mdl_obj_free(n);
	mdl_obj_free(s);
}

static void t_group_and_rules(void)
{
	struct mdl_security_group *g = group("web", "p1");
	struct mdl_security_group_rule *r[1], **got;
	char err[MDL_ERR_SIZE];
	size_t n;

	r[0] = rule("", "\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"tcp\","
		    "\"port_range_min\":22,\"port_range_max\":22");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r[0]);
	CU_ASSERT_EQUAL_FATAL(nb_sg_create(nb, g, r, 1, NB_SG_EGRESS_RULES, NULL, err,
					   sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(r[0]->security_group_id, g->hdr.id);
	CU_ASSERT_STRING_EQUAL(r[0]->project_id, "p1");
	CU_ASSERT_EQUAL_FATAL(nb_sg_rules(nb, g->hdr.id, &got, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	/* creation order: the two egress rules, then ours */
	CU_ASSERT_STRING_EQUAL(got[0]->rule.direction, "egress");
	CU_ASSERT_STRING_EQUAL(got[0]->rule.ethertype, "IPv4");
	CU_ASSERT_STRING_EQUAL(got[1]->rule.ethertype, "IPv6");
	CU_ASSERT_STRING_EQUAL(got[2]->hdr.id, r[0]->hdr.id);
	CU_ASSERT(got[2]->hdr.dp_key != 0);
	nb_sg_rules_free(got, n);
	/* one more through nb_sg_rule_create; an identical one is refused */
	struct mdl_security_group_rule *x = rule(g->hdr.id, "\"direction\":\"ingress\","
		"\"ethertype\":\"IPv4\",\"protocol\":\"6\",\"port_range_min\":22,"
		"\"port_range_max\":22");
	char *before = dump_all();

	CU_ASSERT_EQUAL(nb_sg_rule_create(nb, x, NULL, err, sizeof(err)), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, r[0]->hdr.id));
	mdl_obj_free(&x->hdr);
	x = rule(g->hdr.id, "\"direction\":\"ingress\",\"ethertype\":\"IPv6\","
		 "\"protocol\":\"icmp\",\"port_range_min\":128,\"remote_ip_prefix\":\"fd00::/8\","
		 "\"description\":\"ping6\"");
	CU_ASSERT_EQUAL(nb_sg_rule_create(nb, x, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(x->project_id, "p1");
	struct mdl_security_group_rule *y;
	CU_ASSERT_EQUAL_FATAL(nb_sg_rule_get(nb, x->hdr.id, &y), 0);
	CU_ASSERT_STRING_EQUAL(y->description, "ping6");
	CU_ASSERT_EQUAL(y->rule.port_range_min, 128);
	mdl_obj_free(&y->hdr);
	CU_ASSERT_EQUAL(nb_sg_rules(nb, NULL, &got, &n), 0);
	CU_ASSERT_EQUAL(n, 4);
	nb_sg_rules_free(got, n);
	CU_ASSERT_EQUAL(nb_sg_rule_delete(nb, x->hdr.id, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_sg_rule_delete(nb, x->hdr.id, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not exist"));
	char *after = dump_all();
	/* the create and delete leave the rules as they were (the dp_key
	 * counter moved) */
	CU_ASSERT_EQUAL(nb_sg_rules(nb, g->hdr.id, &got, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	nb_sg_rules_free(got, n);
	free(before);
	free(after);
	mdl_obj_free(&x->hdr);
	mdl_obj_free(&r[0]->hdr);
	mdl_obj_free(&g->hdr);
}

/* Bad rules: a clear message, nothing written. */
static void t_bad_rules(void)
{
	static const struct { const char *fields, *msg; } bad[] = {
		{ "\"direction\":\"ingress\",\"ethertype\":\"IPv6\","
		  "\"remote_ip_prefix\":\"10.0.0.0/8\"", "does not match ethertype IPv6" },
		{ "\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"tcp\","
		  "\"port_range_min\":30,\"port_range_max\":20", "is greater than port_range_max" },
		{ "\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"gre\","
		  "\"port_range_min\":1,\"port_range_max\":2", "ports need protocol" },
		{ "\"direction\":\"sideways\",\"ethertype\":\"IPv4\"", "direction" },
		{ "\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"bogus\"",
		  "unknown protocol 'bogus'" },
		{ "\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"icmpv6\"",
		  "is not an IPv4 protocol" },
		{ "\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"icmp\","
		  "\"port_range_min\":300", "ICMP type 300 out of range" },
		{ "\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
		  "\"remote_group_id\":\"00000000-0000-4000-8000-00000000abcd\"",
		  "remote_group_id: security_group 00000000-0000-4000-8000-00000000abcd" },
	};
	struct mdl_security_group *g = group("bad", "p1");
	char err[MDL_ERR_SIZE];

	CU_ASSERT_EQUAL_FATAL(nb_sg_create(nb, g, NULL, 0, 0, NULL, err, sizeof(err)), 0);
	char *before = dump_all();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mdl_security_group_rule *r = rule(g->hdr.id, bad[i].fields);

		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		err[0] = 0;
		CU_ASSERT_EQUAL(nb_sg_rule_create(nb, r, NULL, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg))
			printf("\n rule %zu: got '%s', want '%s'\n", i, err, bad[i].msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].msg));
		mdl_obj_free(&r->hdr);
	}
	/* a rule of a group that does not exist */
	struct mdl_security_group_rule *r =
		rule("00000000-0000-4000-8000-00000000abce",
		     "\"direction\":\"ingress\",\"ethertype\":\"IPv4\"");
	CU_ASSERT_EQUAL(nb_sg_rule_create(nb, r, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "security_group_id"));
	mdl_obj_free(&r->hdr);
	char *after = dump_all();
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	CU_ASSERT_EQUAL(nb_sg_delete(nb, g->hdr.id, err, sizeof(err)), 0);
	mdl_obj_free(&g->hdr);
}

static void t_delete(void)
{
	struct mdl_security_group *a = group("a", "p2"), *b = group("b", "p2");
	struct mdl_security_group_rule *ra[1], *rb[1], **got;
	char err[MDL_ERR_SIZE], j[256];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(nb_sg_create(nb, a, NULL, 0, NB_SG_EGRESS_RULES, NULL, err,
					   sizeof(err)), 0);
	ra[0] = rule("", "\"direction\":\"ingress\",\"ethertype\":\"IPv4\"");
	snprintf(ra[0]->rule.remote_group_id, MDL_ID_SIZE, "%s", a->hdr.id);  /* itself */
	rb[0] = rule("", "\"direction\":\"ingress\",\"ethertype\":\"IPv4\"");
	snprintf(rb[0]->rule.remote_group_id, MDL_ID_SIZE, "%s", a->hdr.id);
	CU_ASSERT_EQUAL_FATAL(nb_sg_create(nb, b, rb, 1, 0, NULL, err, sizeof(err)), 0);
	struct mdl_security_group_rule *self = rule(a->hdr.id, "\"direction\":\"ingress\","
						    "\"ethertype\":\"IPv4\"");
	snprintf(self->rule.remote_group_id, MDL_ID_SIZE, "%s", a->hdr.id);
	CU_ASSERT_EQUAL_FATAL(nb_sg_rule_create(nb, self, NULL, err, sizeof(err)), 0);
	/* a is b's rule's remote group: in use, nothing written */
	char *before = dump_all();
	CU_ASSERT_EQUAL(nb_sg_delete(nb, a->hdr.id, err, sizeof(err)), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is in use by security_group_rule"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, rb[0]->hdr.id));
	char *after = dump_all();
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	/* a port in b: b is in use */
	snprintf(j, sizeof(j), ",\"security_groups\":[\"%s\"]", b->hdr.id);
	struct mdl_port *p = port("pb", "p2", j);
	CU_ASSERT_EQUAL_FATAL(nb_sg_port_create(nb, p, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_sg_delete(nb, b->hdr.id, err, sizeof(err)), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use by port"));
	CU_ASSERT_EQUAL(nb_h_delete(nb, MDL_PORT, p->hdr.id, 0, err, sizeof(err)), 0);
	/* b goes with its rule, then a with its three (self-reference included) */
	CU_ASSERT_EQUAL(nb_sg_delete(nb, b->hdr.id, err, sizeof(err)), 0);
	struct mdl_security_group_rule *gone = NULL;
	CU_ASSERT_EQUAL(nb_sg_rule_get(nb, rb[0]->hdr.id, &gone), -ENOENT);
	CU_ASSERT_EQUAL(nb_sg_delete(nb, a->hdr.id, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_sg_rules(nb, a->hdr.id, &got, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	nb_sg_rules_free(got, n);
	CU_ASSERT_EQUAL(nb_sg_delete(nb, a->hdr.id, err, sizeof(err)), -ENOENT);
	/* no back-reference or guard is left behind for the two groups */
	struct db_kv_list l;
	char pre[128];
	snprintf(pre, sizeof(pre), "/wyvern/v1/_ref/%s", a->hdr.id);
	CU_ASSERT_EQUAL(db_scan(db, pre, &l), 0);
	CU_ASSERT_EQUAL(l.n, 0);
	db_kv_list_clear(&l);
	mdl_obj_free(&p->hdr);
	mdl_obj_free(&self->hdr);
	mdl_obj_free(&ra[0]->hdr);
	mdl_obj_free(&rb[0]->hdr);
	mdl_obj_free(&a->hdr);
	mdl_obj_free(&b->hdr);
}

static void t_default_group(void)
{
	struct mdl_security_group_rule **got;
	char err[MDL_ERR_SIZE], gid[MDL_ID_SIZE];
	size_t n, before_groups = n_groups();
	struct mdl_port *p1 = port("d1", "proj-d", NULL), *p2 = port("d2", "proj-d", NULL);

	CU_ASSERT_EQUAL(nb_default_sg_get(db, "proj-d", gid), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(nb_sg_port_create(nb, p1, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(p1->n_security_groups, 1);
	CU_ASSERT_EQUAL_FATAL(nb_default_sg_get(db, "proj-d", gid), 0);
	CU_ASSERT_STRING_EQUAL(p1->security_groups[0], gid);
	struct mdl_hdr *g;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_SECURITY_GROUP, gid, &g, NULL), 0);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_sg(g)->name, "default");
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_sg(g)->project_id, "proj-d");
	CU_ASSERT_TRUE(mdl_hdr_to_sg(g)->stateful);
	mdl_obj_free(g);
	/* Neutron's four rules: egress any v4/v6, ingress v4/v6 from itself */
	CU_ASSERT_EQUAL_FATAL(nb_sg_rules(nb, gid, &got, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	unsigned egress = 0, self_in = 0;
	for (size_t i = 0; i < n; i++) {
		const struct mdl_sg_rule *r = &got[i]->rule;
		egress += !strcmp(r->direction, "egress") && !r->remote_group_id[0] &&
			  !r->remote_ip_prefix[0] && !r->protocol[0];
		self_in += !strcmp(r->direction, "ingress") && !strcmp(r->remote_group_id, gid);
	}
	CU_ASSERT_EQUAL(egress, 2);
	CU_ASSERT_EQUAL(self_in, 2);
	nb_sg_rules_free(got, n);
	/* the project's second port: the same group, no new one */
	CU_ASSERT_EQUAL_FATAL(nb_sg_port_create(nb, p2, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(p2->security_groups[0], gid);
	CU_ASSERT_EQUAL(n_groups(), before_groups + 1);
	/* a second group named "default" in that project is refused */
	struct mdl_security_group *dup = group("default", "proj-d");
	CU_ASSERT_EQUAL(nb_sg_create(nb, dup, NULL, 0, 0, NULL, err, sizeof(err)), -EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "already has a default security group"));
	mdl_obj_free(&dup->hdr);
	/* Neutron: the default group keeps its name and project */
	struct mdl_security_group *d0 = group("default", "proj-d"), *d1 = group("renamed", "proj-d");
	CU_ASSERT_EQUAL(nb_sg_update_check(d0, d1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot be renamed"));
	CU_ASSERT_EQUAL(nb_sg_update_check(d0, d0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_sg_update_check(d1, d1, err, sizeof(err)), 0);
	mdl_obj_free(&d0->hdr);
	mdl_obj_free(&d1->hdr);
	struct mdl_hdr *gh;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_SECURITY_GROUP, gid, &gh, NULL), 0);
	snprintf(mdl_hdr_to_sg(gh)->name, MDL_NAME_SIZE, "other");
	CU_ASSERT_EQUAL(nb_sg_update(nb, mdl_hdr_to_sg(gh), 0, NULL, err, sizeof(err)), -EINVAL);
	snprintf(mdl_hdr_to_sg(gh)->name, MDL_NAME_SIZE, "default");
	mdl_hdr_to_sg(gh)->stateful = false;
	CU_ASSERT_EQUAL(nb_sg_update(nb, mdl_hdr_to_sg(gh), 0, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(gh->version, 2);
	mdl_hdr_to_sg(gh)->stateful = true;
	CU_ASSERT_EQUAL(nb_sg_update(nb, mdl_hdr_to_sg(gh), 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(gh);
	/* nb_sg_default_ensure finds it */
	char again[MDL_ID_SIZE];
	CU_ASSERT_EQUAL(nb_sg_default_ensure(nb, "proj-d", again, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(again, gid);
	/* port security off: no group; with a group: refused */
	struct mdl_port *off = port("off", "proj-d", ",\"port_security_enabled\":false");
	CU_ASSERT_EQUAL(nb_sg_port_create(nb, off, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(off->n_security_groups, 0);
	char j[128];
	snprintf(j, sizeof(j), ",\"port_security_enabled\":false,\"security_groups\":[\"%s\"]",
		 gid);
	struct mdl_port *bad = port("bad", "proj-d", j);
	char *before = dump_all();
	CU_ASSERT_EQUAL(nb_sg_port_create(nb, bad, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "port security disabled"));
	char *after = dump_all();
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	/* network-owned ports get no group */
	struct mdl_port *rif = port("rif", "proj-d", ",\"device_owner\":\"network:dhcp\"");
	CU_ASSERT_EQUAL(nb_sg_port_create(nb, rif, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rif->n_security_groups, 0);
	/* the group is in use by the ports */
	CU_ASSERT_EQUAL(nb_sg_delete(nb, gid, err, sizeof(err)), -EBUSY);
	/* another project: another group */
	struct mdl_port *q = port("q", "proj-e", NULL);
	CU_ASSERT_EQUAL(nb_sg_port_create(nb, q, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(q->security_groups[0], gid);
	CU_ASSERT_EQUAL(n_groups(), before_groups + 2);
	/* deleting it releases the claim: the next port makes a new one */
	CU_ASSERT_EQUAL(nb_h_delete(nb, MDL_PORT, q->hdr.id, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_sg_delete(nb, q->security_groups[0], err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_default_sg_get(db, "proj-e", gid), -ENOENT);
	mdl_obj_free(&p1->hdr);
	mdl_obj_free(&p2->hdr);
	mdl_obj_free(&off->hdr);
	mdl_obj_free(&bad->hdr);
	mdl_obj_free(&rif->hdr);
	mdl_obj_free(&q->hdr);
}

/* Two threads create the first ports of a project at once: one default
 * group, both ports in it. */
struct racer {
	const char *project;
	char name[16];
	pthread_barrier_t *bar;
	int rc;
	char gid[MDL_ID_SIZE];
	char err[MDL_ERR_SIZE];
};

static void *race_one(void *arg)
{
	struct racer *r = arg;
	struct nb *h = nb_open(db, 0);
	struct mdl_port *p = port(r->name, r->project, NULL);

	pthread_barrier_wait(r->bar);
	r->rc = h && p ? nb_sg_port_create(h, p, NULL, r->err, sizeof(r->err)) : -ENOMEM;
	if (!r->rc)
		snprintf(r->gid, sizeof(r->gid), "%s", p->security_groups[0]);
	mdl_obj_free(p ? &p->hdr : NULL);
	nb_close(h);
	return NULL;
}

static void t_default_race(void)
{
	for (int round = 0; round < 8; round++) {
		char project[32];
		struct racer r[2];
		pthread_t t[2];
		pthread_barrier_t bar;
		size_t groups = n_groups();

		snprintf(project, sizeof(project), "race-%d", round);
		pthread_barrier_init(&bar, NULL, 2);
		for (int i = 0; i < 2; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].project = project;
			r[i].bar = &bar;
			snprintf(r[i].name, sizeof(r[i].name), "r%d-%d", round, i);
			pthread_create(&t[i], NULL, race_one, &r[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&bar);
		if (r[0].rc || r[1].rc)
			printf("\n race: %d %s / %d %s\n", r[0].rc, r[0].err, r[1].rc, r[1].err);
		CU_ASSERT_EQUAL(r[0].rc, 0);
		CU_ASSERT_EQUAL(r[1].rc, 0);
		CU_ASSERT_STRING_EQUAL(r[0].gid, r[1].gid);
		CU_ASSERT_EQUAL(n_groups(), groups + 1);
	}
}

/* Equal rules (however spelt) created at once by several threads: the
 * rule's claim lets exactly one be written, the others are refused with
 * the winner's id; deleting the winner releases the claim; two equal
 * rules in one group create write nothing. */
struct rule_racer {
	const char *gid, *fields;
	pthread_barrier_t *bar;
	int rc;
	char id[MDL_ID_SIZE], err[MDL_ERR_SIZE];
};

static void *rule_race_one(void *arg)
{
	struct rule_racer *r = arg;
	struct nb *h = nb_open(db, 0);
	struct mdl_security_group_rule *x = rule(r->gid, r->fields);

	pthread_barrier_wait(r->bar);
	r->rc = h && x ? nb_sg_rule_create(h, x, NULL, r->err, sizeof(r->err)) : -ENOMEM;
	if (x)
		snprintf(r->id, sizeof(r->id), "%s", x->hdr.id);
	mdl_obj_free(x ? &x->hdr : NULL);
	nb_close(h);
	return NULL;
}

static void t_rule_race(void)
{
	static const char *const spell[4] = {
		"\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"tcp\","
		"\"port_range_min\":80,\"port_range_max\":80,\"remote_ip_prefix\":\"10.1.0.0/16\"",
		"\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"6\","
		"\"port_range_min\":80,\"port_range_max\":80,\"remote_ip_prefix\":\"10.1.2.3/16\"",
		"\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"tcp\","
		"\"port_range_min\":80,\"port_range_max\":80,\"remote_ip_prefix\":\"10.1.255.0/16\"",
		"\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"6\","
		"\"port_range_min\":80,\"port_range_max\":80,\"remote_ip_prefix\":\"10.1.0.0/16\"",
	};
	struct mdl_security_group *g = group("race-rules", "p9");
	struct mdl_security_group_rule *two[2], *x;
	struct mdl_security_group_rule **got;
	char err[MDL_ERR_SIZE], *before, *after;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(nb_sg_create(nb, g, NULL, 0, 0, NULL, err, sizeof(err)), 0);
	for (int round = 0; round < 4; round++) {
		struct rule_racer r[4];
		pthread_t t[4];
		pthread_barrier_t bar;
		int wins = 0, w = -1;

		pthread_barrier_init(&bar, NULL, 4);
		for (int i = 0; i < 4; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].gid = g->hdr.id;
			r[i].fields = spell[(i + round) % 4];
			r[i].bar = &bar;
			pthread_create(&t[i], NULL, rule_race_one, &r[i]);
		}
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&bar);
		for (int i = 0; i < 4; i++)
			if (!r[i].rc) {
				wins++;
				w = i;
			}
		CU_ASSERT_EQUAL_FATAL(wins, 1);
		for (int i = 0; i < 4; i++) {
			if (i == w)
				continue;
			CU_ASSERT_EQUAL(r[i].rc, -EEXIST);
			CU_ASSERT_PTR_NOT_NULL(strstr(r[i].err, "already has this rule"));
			CU_ASSERT_PTR_NOT_NULL(strstr(r[i].err, r[w].id));
		}
		CU_ASSERT_EQUAL(nb_sg_rules(nb, g->hdr.id, &got, &n), 0);
		CU_ASSERT_EQUAL(n, 1);
		nb_sg_rules_free(got, n);
		/* the winner's delete releases the claim for the next round */
		CU_ASSERT_EQUAL(nb_sg_rule_delete(nb, r[w].id, err, sizeof(err)), 0);
	}
	/* a different port, prefix or protocol is another rule */
	x = rule(g->hdr.id, "\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
		 "\"protocol\":\"udp\",\"port_range_min\":80,\"port_range_max\":80");
	CU_ASSERT_EQUAL(nb_sg_rule_create(nb, x, NULL, err, sizeof(err)), 0);
	mdl_obj_free(&x->hdr);
	/* a group created with two equal rules: refused, nothing written */
	mdl_obj_free(&g->hdr);
	g = group("twice", "p9");
	two[0] = rule("", spell[0]);
	two[1] = rule("", spell[1]);
	before = dump_all();
	CU_ASSERT_EQUAL(nb_sg_create(nb, g, two, 2, 0, NULL, err, sizeof(err)), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "already has this rule"));
	after = dump_all();
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	mdl_obj_free(&two[0]->hdr);
	mdl_obj_free(&two[1]->hdr);
	mdl_obj_free(&g->hdr);
}

static int suite_init(void)
{
	char url[300];

	snprintf(dir, sizeof(dir), "/tmp/wyv-nbsg-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(url, sizeof(url), "rocksdb:%s/db", dir);
	db = db_open(url);
	nb = db ? nb_open(db, 0) : NULL;
	return nb ? 0 : -1;
}

static int suite_fini(void)
{
	nb_close(nb);
	db_close(db);
	return test_rm_rf(dir) ? -1 : 0;
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("nb-sg", suite_init, suite_fini);
	if (!s || !CU_add_test(s, "network", t_setup_network) ||
	    !CU_add_test(s, "group with rules, rule objects", t_group_and_rules) ||
	    !CU_add_test(s, "bad rules: message, nothing written", t_bad_rules) ||
	    !CU_add_test(s, "delete: own rules go, in use refused", t_delete) ||
	    !CU_add_test(s, "default group per project", t_default_group) ||
	    !CU_add_test(s, "default group: two creators race", t_default_race) ||
	    !CU_add_test(s, "equal rules: one claim, racers refused", t_rule_race)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
