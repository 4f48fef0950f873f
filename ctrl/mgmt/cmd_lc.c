/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_lc.c — `wyctl show ctrl` and `wyctl show replica`: the local
 * controller's state and replica (the main loop's wait is ctrl_poll() in
 * ctrl/main/loop.c).  Control thread only.
 */
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ctrl.h"
#include "feature.h"
#include "lc.h"
#include "mdl.h"

static int bad_cb(const char *key, const char *why, void *arg)
{
	struct ctrl_reply *r = arg;
	json_array_append_new(json_object_get(r->result, "skipped"),
			      json_pack("{s:s,s:s}", "key", key, "reason", why));
	reply_printf(r, "  skipped %s: %s\n", key, why);
	return 0;
}

int cmd_show_ctrl(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (argc)
		return reply_error(r, true, "unexpected argument");
	if (c->lc == NULL) {
		json_object_set_new(r->result, "enabled", json_false());
		reply_printf(r, "controller: disabled (no [ctrl] db in the configuration)\n");
		return 0;
	}
	struct lc_stats st;
	const struct lc_config *cfg = lc_get_config(c->lc);
	lc_get_stats(c->lc, &st);
	json_t *held = json_object();
	unsigned total = 0;
	for (int t = 0; t < MDL_N_TYPES && t < 8; t++) {
		json_object_set_new(held, mdl_type_name((enum mdl_type)t), json_integer(st.held[t]));
		total += st.held[t];
	}
	json_t *o = r->result;
	json_object_set_new(o, "enabled", json_true());
	json_object_set_new(o, "chassis", json_string(cfg->chassis));
	json_object_set_new(o, "vtep_ip", json_string(cfg->vtep_ip));
	json_object_set_new(o, "encap", json_string(cfg->encap));
	json_object_set_new(o, "db", json_string(cfg->db_url));
	json_object_set_new(o, "replica", json_string(cfg->replica));
	json_object_set_new(o, "connected", json_boolean(st.connected));
	json_object_set_new(o, "last_error", json_string(st.last_error));
	json_object_set_new(o, "applied_revision", json_integer((json_int_t)st.applied_revision));
	json_object_set_new(o, "held", held);
	json_object_set_new(o, "held_total", json_integer(total));
	json_object_set_new(o, "indexed", json_integer(st.n_index));
	json_object_set_new(o, "local_ports", json_integer(st.n_local_ports));
	json_object_set_new(o, "syncs", json_integer((json_int_t)st.syncs));
	json_object_set_new(o, "resyncs", json_integer((json_int_t)st.resyncs));
	json_object_set_new(o, "events_applied", json_integer((json_int_t)st.events_applied));
	json_object_set_new(o, "events_ignored", json_integer((json_int_t)st.events_ignored));
	json_object_set_new(o, "bad_total", json_integer((json_int_t)st.bad_total));
	json_object_set_new(o, "bad_now", json_integer(st.n_bad));
	json_object_set_new(o, "table_ops", json_integer((json_int_t)st.table_ops));
	json_object_set_new(o, "table_errors", json_integer((json_int_t)st.table_errors));
	json_object_set_new(o, "sg_port_compiles",
			    json_integer((json_int_t)st.sg_port_compiles));
	json_object_set_new(o, "replica_txns", json_integer((json_int_t)st.replica_txns));
	json_object_set_new(o, "replica_errors", json_integer((json_int_t)st.replica_errors));
	json_t *b = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "count",
			      (json_int_t)st.batches, "reach_runs", (json_int_t)st.reach_runs,
			      "apply_us", (json_int_t)st.batch_apply_us, "reach_us", (json_int_t)st.batch_reach_us, "compile_us",
			      (json_int_t)st.batch_compile_us, "replica_us",
			      (json_int_t)st.batch_replica_us, "other_us",
			      (json_int_t)st.batch_other_us, "max_us", (json_int_t)st.max_batch_us);
	json_object_set_new(b, "slices_cut", json_integer((json_int_t)st.slices_cut));
	json_object_set_new(b, "yields", json_integer((json_int_t)st.yields));
	json_object_set_new(b, "max_hold_us", json_integer((json_int_t)st.max_hold_us));
	json_object_set_new(b, "reach_ports", json_integer((json_int_t)st.reach_ports));
	json_object_set_new(o, "batches", b);
	json_object_set_new(o, "snapshot",
			    json_pack("{s:b,s:I,s:I}", "open", st.snapshot_open, "pages",
				      (json_int_t)st.snapshot_pages, "keys",
				      (json_int_t)st.snapshot_keys));
	json_object_set_new(o, "skipped", json_array());

	reply_printf(r, "chassis:          %s (vtep %s, encap %s)\n", cfg->chassis, cfg->vtep_ip,
		     cfg->encap);
	reply_printf(r, "db:               %s (%s)%s%s\n", cfg->db_url,
		     st.connected ? "connected" : "not connected", st.last_error[0] ? ": " : "",
		     st.last_error);
	reply_printf(r, "replica:          %s\n", cfg->replica);
	reply_printf(r, "applied revision: %llu\n", (unsigned long long)st.applied_revision);
	reply_printf(r, "held:             %u (", total);
	for (int t = 0; t < MDL_N_TYPES && t < 8; t++)
		reply_printf(r, "%s%s %u", t ? ", " : "", mdl_type_name((enum mdl_type)t),
			     st.held[t]);
	reply_printf(r, ")\nindexed objects:  %u\nlocal ports:      %u\n", st.n_index,
		     st.n_local_ports);
	reply_printf(r, "syncs:            %llu (resyncs %llu)\n", (unsigned long long)st.syncs,
		     (unsigned long long)st.resyncs);
	if (st.snapshot_open)
		reply_printf(r, "snapshot:         %llu keys in %llu pages so far: being applied, "
			     "nothing compiles until its end\n",
			     (unsigned long long)st.snapshot_keys,
			     (unsigned long long)st.snapshot_pages);
	else if (st.snapshot_pages)
		reply_printf(r, "last snapshot:    %llu keys in %llu pages\n",
			     (unsigned long long)st.snapshot_keys,
			     (unsigned long long)st.snapshot_pages);
	reply_printf(r, "events:           %llu applied, %llu ignored\n",
		     (unsigned long long)st.events_applied, (unsigned long long)st.events_ignored);
	reply_printf(r, "table ops:        %llu (%llu errors)\n", (unsigned long long)st.table_ops,
		     (unsigned long long)st.table_errors);
	reply_printf(r, "sg compiles:      %llu ports\n", (unsigned long long)st.sg_port_compiles);
	reply_printf(r, "replica txns:     %llu (%llu errors)\n",
		     (unsigned long long)st.replica_txns, (unsigned long long)st.replica_errors);
	reply_printf(r, "batches:          %llu; last: apply %llu us, reach %llu us, compile "
		     "%llu us, replica %llu us, other %llu us; max %llu us\n",
		     (unsigned long long)st.batches, (unsigned long long)st.batch_apply_us,
		     (unsigned long long)st.batch_reach_us, (unsigned long long)st.batch_compile_us,
		     (unsigned long long)st.batch_replica_us, (unsigned long long)st.batch_other_us,
		     (unsigned long long)st.max_batch_us);
	reply_printf(r, "time slices:      %llu passes left events for the next (%u ms each)\n",
		     (unsigned long long)st.slices_cut, LC_SLICE_MS);
	reply_printf(r, "longest hold:     %llu us without serving punts (%llu yields inside "
		     "long passes)\n", (unsigned long long)st.max_hold_us,
		     (unsigned long long)st.yields);
	reply_printf(r, "bad objects:      %u now, %llu total\n", st.n_bad,
		     (unsigned long long)st.bad_total);
	lc_foreach_bad(c->lc, bad_cb, r);
	return 0;
}

static int rep_cb(const char *key, uint64_t version, void *arg)
{
	struct ctrl_reply *r = arg;
	json_array_append_new(json_object_get(r->result, "keys"),
			      json_pack("{s:s,s:I}", "key", key, "version", (json_int_t)version));
	reply_printf(r, "%-60s %llu\n", key, (unsigned long long)version);
	return 0;
}

int cmd_show_replica(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (argc)
		return reply_error(r, true, "unexpected argument");
	if (c->lc == NULL)
		return reply_error(r, false, "controller disabled (no [ctrl] db)");
	json_object_set_new(r->result, "replica", json_string(lc_get_config(c->lc)->replica));
	json_object_set_new(r->result, "keys", json_array());
	reply_printf(r, "%-60s %s\n", "key", "version");
	int rc = lc_replica_foreach(c->lc, rep_cb, r);
	if (rc < 0)
		return reply_error(r, false, "replica: %s", strerror(-rc));
	return 0;
}

/* Every chassis in the database, with whether its wyvernd is alive (holds
 * its liveness lease) — as `ovn-sbctl show` lists chassis. */
static int cmd_show_chassis(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	(void)argv;
	if (argc)
		return reply_error(r, true, "unexpected argument");
	if (c->lc == NULL)
		return reply_error(r, false, "controller disabled (no [ctrl] db)");
	size_t n = lc_chassis_list(c->lc, NULL, 0);
	struct lc_chassis_info *v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return reply_error(r, false, "out of memory");
	n = lc_chassis_list(c->lc, v, n);
	json_t *a = json_array();
	reply_printf(r, "%-20s %-36s %-15s %-13s %-5s %s\n", "chassis", "id", "vtep", "encap",
		     "alive", "gateway (priority)");
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:I,s:b}", "name",
						   v[i].name, "id", v[i].id, "vtep_ip",
						   v[i].vtep_ip, "encap", v[i].encap, "alive",
						   v[i].alive, "self", v[i].self, "gateway",
						   v[i].gateway, "gateway_priority",
						   (json_int_t)v[i].gateway_priority,
						   "is_gateway", v[i].is_gateway));
		char gw[48] = "-";
		if (v[i].gateway)
			snprintf(gw, sizeof(gw), "yes (%u)%s", v[i].gateway_priority,
				 v[i].is_gateway ? " ELECTED" : "");
		reply_printf(r, "%-20s %-36s %-15s %-13s %-5s %s%s\n", v[i].name, v[i].id,
			     v[i].vtep_ip, v[i].encap, v[i].alive ? "yes" : "no", gw,
			     v[i].self ? " (this chassis)" : "");
	}
	json_object_set_new(r->result, "chassis", a);
	json_object_set_new(r->result, "ttl", json_integer(lc_get_config(c->lc)->chassis_ttl_s));
	free(v);
	return 0;
}

/* The local controller's commands (the controller itself is created by
 * wyvernd before the datapath starts: its replica fills the tables). */
static const struct ctrl_cmd lc_cmds[] = {
	{ "show ctrl", cmd_show_ctrl },
	{ "show replica", cmd_show_replica },
	{ "show chassis", cmd_show_chassis },
	{ "show topology", cmd_show_topology },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_lc_feature = {
	.name = "lc",
	.cmds = lc_cmds,
};
