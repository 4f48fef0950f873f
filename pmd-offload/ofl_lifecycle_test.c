/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_lifecycle_test.c — the manager with the dummy backend:
 * install -> offloaded, re-plan and removal on invalidation/aging, port
 * deletion, a full rule table, a refusal cached per port (probe once), a
 * lost removal forcing a resync, AGE (aged rules collected, the dp told),
 * bad input.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>

#include "megaflow.h"
#include "ofl.h"
#include "ofl_dummy.h"
#include "test_main.h"

static unsigned t_n;

/* A distinct megaflow per n on in_port: eth_dst = 02:..:n, mask in_port + eth_dst. */
static void t_flow(struct dp_flow_key *k, struct dp_flow_key *m, uint16_t in_port, unsigned n)
{
	memset(k, 0, sizeof(*k));
	memset(m, 0, sizeof(*m));
	k->in_port = in_port;
	k->eth_dst[0] = 2;
	k->eth_dst[4] = (uint8_t)(n >> 8);
	k->eth_dst[5] = (uint8_t)n;
	DP_MARK(m, in_port);
	DP_MARK(m, recirc_id);
	DP_MARK(m, eth_dst);
}

static struct ofl *t_new(uint32_t queue)
{
	char name[32];
	snprintf(name, sizeof(name), "lc%u", t_n++);
	struct ofl_config cfg = { .enable = true, .max_flows = 1024, .queue_size = queue,
				  .name = name };
	struct ofl *o = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

static void t_port(struct ofl *o, uint16_t dp, const char *args)
{
	struct ofl_port_cfg pc = { .dp_port = dp, .eth_port = 0xffff, .backend = "dummy",
				   .args = args, .mode = OFL_MODE_AUTO, .n_rxq = 1, .domain = 1 };
	CU_ASSERT_EQUAL_FATAL(ofl_port_add(o, &pc), 0);
}

static int t_install(struct ofl *o, uint64_t id, uint16_t port, unsigned n,
		     const struct dp_action *a, unsigned na)
{
	struct dp_flow_key k, m;
	t_flow(&k, &m, port, n);
	return ofl_megaflow_installed(o, id, port, 0, &k, &m, a, na);
}

static const struct dp_action A_DROP = { .type = DP_ACT_DROP };
static const struct dp_action A_PUNT = { .type = DP_ACT_PUNT, .port = 1 };

/* The same pattern from two PMDs: one rule, shared; a third megaflow of
 * that pattern with other actions cannot share a FULL rule (the hardware
 * runs the first one's actions): software, with the reason.  The rule goes
 * with the last megaflow that shares it. */
static void test_shared_rule(void)
{
	struct ofl *o = t_new(64);
	struct ofl_flow_info fi;
	struct ofl_port_stats ps;
	t_port(o, 1, "caps=drop,mark,queue");
	struct ofl_backend *b = ofl_port_backend(o, 1);
	const uint64_t a = DP_MFLOW_ID(0, 1, 1), c = DP_MFLOW_ID(1, 1, 1), d = DP_MFLOW_ID(1, 2, 1);
	CU_ASSERT_EQUAL(t_install(o, a, 1, 7, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(t_install(o, c, 1, 7, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(t_install(o, d, 1, 7, &A_PUNT, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 1);
	CU_ASSERT(ofl_flow_info(o, a, &fi) == 0 && fi.state == OFL_FULL && fi.refs == 2);
	CU_ASSERT(ofl_flow_info(o, c, &fi) == 0 && fi.state == OFL_FULL && fi.refs == 2);
	CU_ASSERT(ofl_flow_info(o, d, &fi) == 0 && fi.state == OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "pattern in hardware (full) with other actions");
	CU_ASSERT_EQUAL(ofl_port_stats(o, 1, &ps), 0);
	CU_ASSERT(ps.installed == 1 && ps.shared == 1 && ps.n_full == 1);
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, a), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 1);
	CU_ASSERT(ofl_flow_info(o, c, &fi) == 0 && fi.state == OFL_FULL && fi.refs == 1);
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, c), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 0);
	CU_ASSERT_EQUAL(ofl_port_stats(o, 1, &ps), 0);
	CU_ASSERT(ps.removed == 1 && ps.n_full == 0);
	/* re-planned (a table change changed d's actions to the rule's): now
	 * it gets a rule of its own */
	CU_ASSERT_EQUAL(t_install(o, d, 1, 7, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT(ofl_flow_info(o, d, &fi) == 0 && fi.state == OFL_FULL && fi.refs == 1);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 1);
	ofl_destroy(o);
}

static uint64_t aged_ids[8];
static unsigned n_aged_ids;

static void t_aged_cb(void *arg, uint64_t id)
{
	CU_ASSERT_PTR_EQUAL(arg, &n_aged_ids);
	if (n_aged_ids < 8)
		aged_ids[n_aged_ids++] = id;
}

/* AGE: FULL rules carry the action (timeout 1 s, a context the manager
 * recognises); the dummy reports a rule aged once its counter has not
 * moved for the timeout on its clock; the manager takes the rule down
 * (every megaflow sharing it goes back to software, "aged in hardware"),
 * tells the dp each megaflow id, and counts it (aged, removed).  The dp's
 * removal events end the records.  A port without AGE gets no action. */
static void test_age(void)
{
	struct ofl_config cfg = { .enable = true, .max_flows = 64, .queue_size = 64,
				  .name = "lcage", .age_timeout = 1, .aged_cb = t_aged_cb,
				  .aged_arg = &n_aged_ids };
	struct ofl *o = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct ofl_flow_info fi;
	struct ofl_port_stats ps;
	struct ofl_dummy_rec rec;
	n_aged_ids = 0;
	t_port(o, 1, "caps=drop,count,age");
	t_port(o, 2, "caps=drop,count");
	struct ofl_backend *b = ofl_port_backend(o, 1), *b2 = ofl_port_backend(o, 2);
	ofl_dummy_set_clock(b, 0);
	const uint64_t a = DP_MFLOW_ID(0, 1, 1), c = DP_MFLOW_ID(1, 1, 1);
	const uint64_t e = DP_MFLOW_ID(0, 2, 1), g = DP_MFLOW_ID(0, 3, 1);
	CU_ASSERT_EQUAL(t_install(o, a, 1, 7, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(t_install(o, c, 1, 7, &A_DROP, 1), 0);   /* shares a's rule */
	CU_ASSERT_EQUAL(t_install(o, g, 2, 9, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_dummy_log_get(b, ofl_dummy_log_count(b) - 1, &rec), 0);
	CU_ASSERT(rec.op == OFL_DUMMY_PUT && rec.rc == 0 && rec.decision == OFL_FULL);
	CU_ASSERT_EQUAL(rec.age_timeout, 1);
	CU_ASSERT_NOT_EQUAL(rec.age_ctx, 0);
	CU_ASSERT(strstr(rec.rule, "age") != NULL);
	CU_ASSERT_EQUAL(ofl_dummy_log_get(b2, ofl_dummy_log_count(b2) - 1, &rec), 0);
	CU_ASSERT(rec.op == OFL_DUMMY_PUT && rec.rc == 0 && rec.age_timeout == 0);
	ofl_dummy_set_clock(b, 500);
	CU_ASSERT_EQUAL(t_install(o, e, 1, 8, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 2);

	ofl_dummy_set_clock(b, 999);
	CU_ASSERT_EQUAL(ofl_age_poll(o), 0);
	CU_ASSERT_EQUAL(n_aged_ids, 0);
	ofl_dummy_set_clock(b, 1000);
	CU_ASSERT_EQUAL(ofl_age_poll(o), 1);
	CU_ASSERT_EQUAL_FATAL(n_aged_ids, 2);
	CU_ASSERT((aged_ids[0] == a && aged_ids[1] == c) || (aged_ids[0] == c && aged_ids[1] == a));
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 1);
	CU_ASSERT(ofl_flow_info(o, a, &fi) == 0 && fi.state == OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "aged in hardware");
	CU_ASSERT(ofl_flow_info(o, c, &fi) == 0 && fi.state == OFL_SOFTWARE);
	CU_ASSERT(ofl_flow_info(o, e, &fi) == 0 && fi.state == OFL_FULL);
	CU_ASSERT_EQUAL(ofl_port_stats(o, 1, &ps), 0);
	CU_ASSERT(ps.aged == 1 && ps.removed == 1 && ps.n_full == 1);
	CU_ASSERT_EQUAL(ofl_dummy_aged(b), 1);
	CU_ASSERT_EQUAL(ofl_age_poll(o), 0);   /* reported once, and gone */
	/* the dp removes the megaflows: their records end */
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, a), 0);
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, c), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(o, a, &fi), -ENOENT);
	CU_ASSERT_EQUAL(ofl_flow_info(o, c, &fi), -ENOENT);
	CU_ASSERT_EQUAL(ofl_port_stats(o, 1, &ps), 0);
	CU_ASSERT(ps.removed == 1 && ps.n_full == 1);   /* nothing removed twice */

	ofl_dummy_set_clock(b, 1500);
	CU_ASSERT_EQUAL(ofl_age_poll(o), 1);
	CU_ASSERT_EQUAL_FATAL(n_aged_ids, 3);
	CU_ASSERT_EQUAL(aged_ids[2], e);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 0);
	/* the port without AGE keeps its rule */
	CU_ASSERT(ofl_flow_info(o, g, &fi) == 0 && fi.state == OFL_FULL);
	CU_ASSERT_EQUAL(ofl_dummy_aged(b2), 0);
	json_t *j = ofl_show_json(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *p0 = json_array_get(json_object_get(j, "ports"), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p0, "port")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p0, "aged")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p0, "full")), 0);
	json_decref(j);
	ofl_destroy(o);
}

static void test_install_replan_remove(void)
{
	struct ofl *o = t_new(64);
	struct ofl_flow_info fi;
	struct ofl_port_stats ps;
	struct ofl_dummy_rec rec;
	t_port(o, 1, "caps=drop,mark,queue,count");
	struct ofl_backend *b = ofl_port_backend(o, 1);

	CU_ASSERT_EQUAL(t_install(o, 100, 1, 1, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(t_install(o, 101, 1, 2, &A_PUNT, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(o, 100, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_FULL);
	CU_ASSERT_STRING_EQUAL(fi.rule, "full pattern eth actions count/drop");
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(o, 101, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_PARTIAL);
	CU_ASSERT_STRING_EQUAL(fi.why, "action punt not offloadable");
	CU_ASSERT(fi.mark != 0);
	uint32_t mark101 = fi.mark;
	CU_ASSERT_EQUAL(ofl_mark_lookup(ofl_mark_table(o), mark101, 0), 101);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 2);
	CU_ASSERT_EQUAL(ofl_dummy_log_count(b), 2);
	CU_ASSERT_EQUAL(ofl_dummy_log_get(b, 1, &rec), 0);
	CU_ASSERT(rec.op == OFL_DUMMY_PUT && rec.decision == OFL_PARTIAL && rec.mark == mark101);

	/* invalidation: the table change gave megaflow 100 new actions (same id) */
	CU_ASSERT_EQUAL(t_install(o, 100, 1, 1, &A_PUNT, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(o, 100, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_PARTIAL);
	CU_ASSERT_EQUAL(ofl_dummy_log_count(b), 4);
	CU_ASSERT(ofl_dummy_log_get(b, 2, &rec) == 0 && rec.op == OFL_DUMMY_DEL);
	CU_ASSERT(ofl_dummy_log_get(b, 3, &rec) == 0 && rec.op == OFL_DUMMY_PUT &&
		  rec.decision == OFL_PARTIAL);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 2);

	/* aging / eviction / invalidation without a new translation: removed */
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, 101), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(o, 101, &fi), -ENOENT);
	CU_ASSERT_EQUAL(ofl_mark_lookup(ofl_mark_table(o), mark101, 0), OFL_ID_NONE);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b), 1);
	/* a freed mark is reused last: the next partial gets another one */
	CU_ASSERT_EQUAL(t_install(o, 102, 1, 3, &A_PUNT, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(o, 102, &fi), 0);
	CU_ASSERT(fi.mark != 0 && fi.mark != mark101);
	/* removing an unknown id is harmless */
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, 999), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);

	CU_ASSERT_EQUAL(ofl_port_stats(o, 1, &ps), 0);
	CU_ASSERT_EQUAL(ps.installed, 4);
	CU_ASSERT_EQUAL(ps.removed, 2);
	CU_ASSERT_EQUAL(ps.failed, 0);
	CU_ASSERT_EQUAL(ps.n_full, 0);
	CU_ASSERT_EQUAL(ps.n_partial, 2);
	CU_ASSERT_STRING_EQUAL(ps.backend, "dummy");

	json_t *j = ofl_show_json(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *p0 = json_array_get(json_object_get(j, "ports"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p0, "caps")),
			       "match_l2,match_l3,match_l4,drop,queue,mark,count");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p0, "partial")), 2);
	json_decref(j);
	ofl_destroy(o);
}

/* Port deletion removes the port's rules and FULL rules that output to it. */
static void test_port_delete(void)
{
	struct ofl *o = t_new(64);
	struct ofl_flow_info fi;
	t_port(o, 1, "caps=drop,port,mark,queue");
	t_port(o, 2, "caps=drop,port,mark,queue");
	struct dp_action out1 = { .type = DP_ACT_OUTPUT, .port = 1 };
	CU_ASSERT_EQUAL(t_install(o, 10, 1, 1, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(t_install(o, 20, 2, 2, &out1, 1), 0);
	CU_ASSERT_EQUAL(t_install(o, 21, 2, 3, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT(ofl_flow_info(o, 20, &fi) == 0 && fi.state == OFL_FULL);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(ofl_port_backend(o, 2)), 2);

	CU_ASSERT_EQUAL(ofl_port_del(o, 1), 0);
	CU_ASSERT(ofl_flow_info(o, 10, &fi) == 0 && fi.state == OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "port removed");
	CU_ASSERT(ofl_flow_info(o, 20, &fi) == 0 && fi.state == OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "port removed");
	CU_ASSERT(ofl_flow_info(o, 21, &fi) == 0 && fi.state == OFL_FULL);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(ofl_port_backend(o, 2)), 1);
	CU_ASSERT_EQUAL(ofl_port_del(o, 1), -ENOENT);
	/* events for the removed port: nothing to do */
	CU_ASSERT_EQUAL(t_install(o, 11, 1, 4, &A_DROP, 1), -ENOTSUP);
	ofl_destroy(o);
}

/* A full rule table: the flow stays in software, counted. */
static void test_table_full(void)
{
	struct ofl *o = t_new(64);
	struct ofl_flow_info fi;
	struct ofl_port_stats ps;
	t_port(o, 1, "caps=drop,mark,queue;max=2");
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(t_install(o, 1 + i, 1, i, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT(ofl_flow_info(o, 1, &fi) == 0 && fi.state == OFL_FULL);
	CU_ASSERT(ofl_flow_info(o, 2, &fi) == 0 && fi.state == OFL_FULL);
	CU_ASSERT(ofl_flow_info(o, 3, &fi) == 0 && fi.state == OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "rule table full");
	CU_ASSERT_EQUAL(ofl_port_stats(o, 1, &ps), 0);
	CU_ASSERT_EQUAL(ps.table_full, 1);
	CU_ASSERT_EQUAL(ps.failed, 1);
	CU_ASSERT_EQUAL(ps.installed, 2);
	/* room again after a removal: a re-plan of 3 gets in */
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, 1), 0);
	CU_ASSERT_EQUAL(t_install(o, 3, 1, 2, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT(ofl_flow_info(o, 3, &fi) == 0 && fi.state == OFL_FULL);
	ofl_destroy(o);
}

/* The port claims FULL but refuses it at create: the refusal is cached, the
 * port is probed once, later flows go straight to PARTIAL. */
static void test_refusal_cached(void)
{
	struct ofl *o = t_new(64);
	struct ofl_flow_info fi;
	struct ofl_port_stats ps;
	struct ofl_dummy_rec rec;
	t_port(o, 1, "caps=drop,mark,queue;refuse=full");
	struct ofl_backend *b = ofl_port_backend(o, 1);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(t_install(o, 1 + i, 1, i, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	unsigned full_tries = 0;
	for (unsigned i = 0; i < ofl_dummy_log_count(b); i++)
		if (ofl_dummy_log_get(b, i, &rec) == 0 && rec.op == OFL_DUMMY_PUT &&
		    rec.decision == OFL_FULL)
			full_tries++;
	CU_ASSERT_EQUAL(full_tries, 1);
	CU_ASSERT_EQUAL(ofl_dummy_probe_calls(b), 1);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT(ofl_flow_info(o, 1 + i, &fi) == 0 && fi.state == OFL_PARTIAL);
	CU_ASSERT_EQUAL(ofl_port_stats(o, 1, &ps), 0);
	CU_ASSERT_EQUAL(ps.refused_cached, 4);
	CU_ASSERT_EQUAL(ps.failed, 1);
	CU_ASSERT_EQUAL(ps.n_partial, 5);

	/* validate passes, create fails with another error (net_tap on a
	 * kernel without TC flower: -EEXIST): a tier that never worked on the
	 * port is refused at its first failed create, and cached */
	t_port(o, 3, "caps=drop,mark,queue;refuse=full;refuse-errno=17");
	b = ofl_port_backend(o, 3);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(t_install(o, 20 + i, 3, 40 + i, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	full_tries = 0;
	for (unsigned i = 0; i < ofl_dummy_log_count(b); i++)
		if (ofl_dummy_log_get(b, i, &rec) == 0 && rec.op == OFL_DUMMY_PUT &&
		    rec.decision == OFL_FULL)
			full_tries++;
	CU_ASSERT_EQUAL(full_tries, 1);
	CU_ASSERT(ofl_flow_info(o, 20, &fi) == 0 && fi.state == OFL_PARTIAL);
	CU_ASSERT(ofl_flow_info(o, 24, &fi) == 0 && fi.state == OFL_PARTIAL);
	CU_ASSERT_EQUAL(ofl_port_stats(o, 3, &ps), 0);
	CU_ASSERT_EQUAL(ps.refused_cached, 4);
	CU_ASSERT_EQUAL(ps.failed, 1);

	/* a port that refuses MARK: punt stays in software, with the reason */
	t_port(o, 2, "caps=drop,queue");
	CU_ASSERT_EQUAL(t_install(o, 50, 2, 1, &A_PUNT, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT(ofl_flow_info(o, 50, &fi) == 0 && fi.state == OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "action punt not offloadable; port refuses MARK");
	CU_ASSERT_EQUAL(ofl_dummy_probe_calls(ofl_port_backend(o, 2)), 1);
	ofl_destroy(o);
}

/* The queue overflows: installs are dropped (counted); a lost removal forces
 * a resync that clears every rule and ignores the installs queued before. */
static void test_lost_removal_resync(void)
{
	struct ofl *o = t_new(8);
	struct ofl_stats st;
	struct ofl_flow_info fi;
	t_port(o, 1, "caps=drop,mark,queue");
	CU_ASSERT_EQUAL(t_install(o, 1, 1, 1, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT(ofl_flow_info(o, 1, &fi) == 0 && fi.state == OFL_FULL);
	unsigned ok = 0, nobufs = 0;
	for (unsigned i = 0; i < 20; i++) {
		int rc = t_install(o, 100 + i, 1, 100 + i, &A_DROP, 1);
		ok += rc == 0;
		nobufs += rc == -ENOBUFS;
	}
	CU_ASSERT(ok > 0 && nobufs > 0 && ok + nobufs == 20);
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, 1), 0);   /* lost, never silently */
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	ofl_get_stats(o, &st);
	CU_ASSERT_EQUAL(st.resyncs, 1);
	CU_ASSERT_EQUAL(st.ev_dropped, nobufs);
	CU_ASSERT_EQUAL(st.stale_install, ok);
	CU_ASSERT_EQUAL(st.flows, 0);
	CU_ASSERT_EQUAL(ofl_flow_info(o, 1, &fi), -ENOENT);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(ofl_port_backend(o, 1)), 0);
	/* business as usual afterwards */
	CU_ASSERT_EQUAL(t_install(o, 2, 1, 2, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	CU_ASSERT(ofl_flow_info(o, 2, &fi) == 0 && fi.state == OFL_FULL);
	ofl_destroy(o);
}

/* The offload thread does the work; producers never call a backend. */
static void test_thread(void)
{
	struct ofl *o = t_new(256);
	struct ofl_flow_info fi;
	t_port(o, 1, "caps=drop,mark,queue");
	CU_ASSERT_EQUAL(ofl_thread_start(o), 0);
	for (unsigned i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(t_install(o, 1 + i, 1, i, &A_DROP, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 5000), 0);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(ofl_port_backend(o, 1)), 100);
	CU_ASSERT(ofl_flow_info(o, 100, &fi) == 0 && fi.state == OFL_FULL);
	ofl_thread_stop(o);
	ofl_destroy(o);
}

static void test_bad_input(void)
{
	struct ofl *o = t_new(64);
	struct ofl_port_cfg pc = { .dp_port = 1, .eth_port = 0xffff, .backend = "nic9000" };
	CU_ASSERT_EQUAL(ofl_port_add(o, &pc), -EINVAL);
	pc.backend = "dummy";
	pc.args = "caps=mark,warp";
	CU_ASSERT_EQUAL(ofl_port_add(o, &pc), -EINVAL);
	pc.args = "max=0";
	CU_ASSERT_EQUAL(ofl_port_add(o, &pc), -EINVAL);
	pc.args = NULL;
	pc.dp_port = OFL_MAX_PORTS;
	CU_ASSERT_EQUAL(ofl_port_add(o, &pc), -EINVAL);
	pc.dp_port = 1;
	CU_ASSERT_EQUAL(ofl_port_add(o, &pc), 0);
	CU_ASSERT_EQUAL(ofl_port_add(o, &pc), -EEXIST);
	CU_ASSERT_EQUAL(t_install(o, OFL_ID_NONE, 1, 1, &A_DROP, 1), -EINVAL);
	CU_ASSERT_EQUAL(t_install(o, 5, 7, 1, &A_DROP, 1), -ENOTSUP);
	CU_ASSERT_EQUAL(t_install(o, 5, 1, 1, &A_DROP, DP_MAX_ACTIONS + 1), -EINVAL);
	CU_ASSERT_EQUAL(ofl_mark_lookup(ofl_mark_table(o), 0, 0), OFL_ID_NONE);
	CU_ASSERT_EQUAL(ofl_mark_lookup(ofl_mark_table(o), 0xffffff, 0), OFL_ID_NONE);
	ofl_destroy(o);

	struct ofl_config off = { .enable = false, .name = "lcoff" };
	o = ofl_create(&off);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	pc.args = NULL;
	CU_ASSERT_EQUAL(ofl_port_add(o, &pc), 0);
	CU_ASSERT_EQUAL(t_install(o, 5, 1, 1, &A_DROP, 1), -ENOTSUP);
	ofl_destroy(o);
	struct ofl_config bad = { .enable = true, .queue_size = 100, .name = "lcbad" };
	CU_ASSERT_PTR_NULL(ofl_create(&bad));
}

int main(int argc, char **argv)
{
	if (t_eal_init(argv[0], "ofl_lc", (char *)NULL) != 0)
		return 1;
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("ofl_lifecycle", NULL, NULL);
	CU_add_test(s, "install, re-plan, remove", test_install_replan_remove);
	CU_add_test(s, "port deletion", test_port_delete);
	CU_add_test(s, "AGE: aged rules go, the dp is told", test_age);
	CU_add_test(s, "one rule shared by two PMDs' megaflows", test_shared_rule);
	CU_add_test(s, "full rule table -> software", test_table_full);
	CU_add_test(s, "refusal cached per port, probe once", test_refusal_cached);
	CU_add_test(s, "lost removal -> resync", test_lost_removal_resync);
	CU_add_test(s, "offload thread", test_thread);
	CU_add_test(s, "bad input", test_bad_input);
	return t_run_all();
}
