/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_offload.c — the offload feature: with `[offload] enable =
 * true` it runs the offload manager of pmd-offload/ (ofl.h) next to the
 * datapath and answers `show offload [--json]`.
 *
 *  - Ports: every dp port gets the backend of its `offload =` key, else
 *    `[offload] backend` ("auto" = rte_flow: a driver without the flow API
 *    probes to no capability and stays in software; "none" = not offloaded),
 *    with `offload-args` / `backend-args`.  Ports added later (wyctl port
 *    add) get the global backend; a port's rules go before its ethdev
 *    closes (dp hooks port_added / port_removing).
 *  - The datapath hands megaflow install/remove events to the manager
 *    (dp_set_offload: PMDs enqueue, never block) and reads its mark table;
 *    the manager's thread plans and installs rules off the PMDs and feeds
 *    hardware counters of FULL rules back (dp_offload_stats) so aging sees
 *    traffic the PMD never saw.
 *  - The overlay config tunnel encap is planned from follows the tables
 *    (checked every tick: one pointer compare).
 *  - Port security follows the tables too: every tick, each dp port's bound
 *    lport (its port-security data, or none) is compared with what was last
 *    handed to the manager, and a change (lport set / bound / unbound /
 *    deleted, port added) goes to ofl_port_security, which lets the backend
 *    filter in front of the PMD (xdp: the wyv_port_sec map).
 *
 * Threads: everything here on the control thread, except the dp hooks
 * installed/removed (PMD threads: lock-free enqueue in ofl) and stats_cb
 * (the offload thread).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "ctrl.h"
#include "feature.h"
#include "log.h"
#include "ofl.h"
#include "tables.h"
#include "tables_ovl.h"

struct ctrl_offload {
	struct ctrl *c;
	struct ofl *o;
	const struct dp_overlay_cfg *ovl;   /* last one handed to the manager */
	bool paused;                        /* `offload pause`: events queue up */
	/* per dp port: the port security last handed to ofl_port_security */
	bool psec_known[DP_MAX_PORTS];      /* false: hand it again */
	bool psec_on[DP_MAX_PORTS];         /* an lport with port security */
	struct dp_lport_cfg psec[DP_MAX_PORTS];
};

extern const struct ctrl_feature ctrl_offload_feature;

/* ---- dp hooks ---------------------------------------------------------------- */

static int hook_installed(void *arg, uint64_t id, uint16_t in_port, uint16_t rxq,
			  const struct dp_flow_key *key, const struct dp_flow_key *mask,
			  const struct dp_action *acts, unsigned n_acts)
{
	struct ctrl_offload *x = arg;
	return ofl_megaflow_installed(x->o, id, in_port, rxq, key, mask, acts, n_acts);
}

static int hook_removed(void *arg, uint64_t id)
{
	struct ctrl_offload *x = arg;
	return ofl_megaflow_removed(x->o, id);
}

/* Offload thread, under the manager's lock: queue the delta to the PMD. */
static void stats_cb(void *arg, uint64_t id, uint64_t dpkts, uint64_t dbytes, uint64_t last)
{
	struct ctrl_offload *x = arg;
	(void)last;
	dp_offload_stats(x->c->dp, id, dpkts, dbytes);
}

/* Offload thread, under the manager's lock: a FULL rule aged out in the
 * port (AGE): the owning PMD removes the megaflow. */
static void aged_cb(void *arg, uint64_t id)
{
	struct ctrl_offload *x = arg;
	dp_offload_aged(x->c->dp, id);
}

/* The value of key= in devargs ("net_af_xdp0,iface=eth1") into out. */
static void devarg_value(const char *devargs, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	out[0] = 0;
	for (const char *p = strchr(devargs, ','); p != NULL; p = strchr(p + 1, ',')) {
		if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '=') {
			const char *v = p + 2 + kl;
			size_t n = strcspn(v, ",");
			snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), v);
			return;
		}
	}
}

/* Bring one dp port under the manager.  0 (also when its backend is "none"),
 * or -errno with the reason in err. */
static int port_add(struct ctrl_offload *x, uint16_t port, char *err, size_t errlen)
{
	struct ctrl *c = x->c;
	const struct ctrl_offload_cfg *oc = &c->cfg->offload;
	struct dp_port_info pi;
	if (dp_port_info(c->dp, port, &pi) < 0)
		return 0;
	const char *backend = oc->backend, *args = oc->args;
	for (unsigned i = 0; i < c->cfg->n_ports; i++) {
		const struct ctrl_port_cfg *p = &c->cfg->ports[i];
		if (strcmp(p->name, pi.name) != 0)
			continue;
		if (p->offload[0])
			backend = p->offload;
		if (p->offload_args[0])
			args = p->offload_args;
	}
	if (strcmp(backend, "none") == 0)
		return 0;
	if (strcmp(backend, "auto") == 0)
		backend = "rte_flow";
	struct rte_eth_dev_info info;
	uint32_t domain = 0x10000u + port;   /* a port of its own */
	if (rte_eth_dev_info_get(pi.ethdev, &info) == 0 &&
	    info.switch_info.domain_id != RTE_ETH_DEV_SWITCH_DOMAIN_ID_INVALID)
		domain = info.switch_info.domain_id;
	char iface[IF_NAMESIZE + 1];
	devarg_value(pi.devargs, "iface", iface, sizeof(iface));
	uint32_t ifindex = iface[0] ? if_nametoindex(iface) : 0;
	if (strcmp(backend, "xdp") == 0)
		domain = 0xfffeu;                 /* kernel ports: one domain */
	/* the xdp backend edits the maps of the program on the port's kernel
	 * interface: give it the ifindex, and the pin directory net_af_xdp's
	 * libbpf uses for a program of ours loaded with xdp_prog= (maps pinned
	 * by name in /sys/fs/bpf) unless backend-args say otherwise */
	char xargs[512];
	if (strcmp(backend, "xdp") == 0) {
		char prog[8];
		devarg_value(pi.devargs, "xdp_prog", prog, sizeof(prog));
		snprintf(xargs, sizeof(xargs), "ifindex=%u%s%s%s", ifindex,
			 prog[0] && strstr(args, "pin=") == NULL ? ";pin=/sys/fs/bpf" : "",
			 args[0] ? ";" : "", args);
		args = xargs;
	}
	int mode = ofl_mode_parse(oc->mode);
	struct ofl_port_cfg pc = {
		.dp_port = port, .eth_port = pi.ethdev, .backend = backend, .args = args,
		.mode = mode < 0 ? OFL_MODE_AUTO : (enum ofl_mode)mode, .n_rxq = pi.n_rxq,
		.domain = domain, .ifindex = ifindex,
	};
	int rc = ofl_port_add(x->o, &pc);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: backend %s%s%s: %s", pi.name, backend,
			 args[0] ? " " : "", args, strerror(-rc));
		return rc;
	}
	struct ofl_port_stats ps;
	char caps[256] = "";
	if (ofl_port_stats(x->o, port, &ps) == 0)
		ofl_caps_format(caps, sizeof(caps), ps.caps);
	CTRL_INFO("offload: port %s backend %s mode %s caps %s%s%s", pi.name, backend, oc->mode,
		  caps[0] ? caps : "none", ps.probe_error[0] ? " probe: " : "", ps.probe_error);
	return 0;
}

static void hook_port_added(void *arg, uint16_t port)
{
	struct ctrl_offload *x = arg;
	char err[256];
	if (port < DP_MAX_PORTS)
		x->psec_known[port] = false;   /* next tick hands it over */
	if (port_add(arg, port, err, sizeof(err)) < 0)
		CTRL_ERR("offload: %s (the port stays in software)", err);
}

static void hook_port_removing(void *arg, uint16_t port)
{
	struct ctrl_offload *x = arg;
	ofl_port_del(x->o, port);   /* the backend drops its port-security filter */
	if (port < DP_MAX_PORTS)
		x->psec_known[port] = false;
}

/* ---- the feature ---------------------------------------------------------------- */

static void offload_fini(struct ctrl *c, void *ctx)
{
	struct ctrl_offload *x = ctx;
	if (x == NULL)
		return;
	dp_set_offload(c->dp, NULL);   /* PMDs stop reading marks and sending events */
	ofl_destroy(x->o);             /* stops the thread, flushes the rules */
	free(x);
}

static int offload_init(struct ctrl *c, void **ctx, char *err, size_t errlen)
{
	const struct ctrl_offload_cfg *oc = &c->cfg->offload;
	*ctx = NULL;
	if (!oc->enable)
		return 0;
	struct ctrl_offload *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->c = c;
	struct ofl_config cfg = {
		.enable = true, .max_flows = oc->max_flows,
		.stats_interval_ms = oc->stats_interval_ms, .stats_cb = stats_cb, .stats_arg = x,
		.stats_full_only = true, .name = "wyvofl", .socket_id = (int)rte_socket_id(),
		.n_pmds = dp_n_pmds(c->dp),
		/* AGE on FULL rules: the megaflow idle limit, in seconds rounded up */
		.age_timeout = (c->cfg->dp.megaflow_max_idle_ms + 999) / 1000,
		.aged_cb = aged_cb, .aged_arg = x,
	};
	x->o = ofl_create(&cfg);
	if (x->o == NULL) {
		int e = errno ? errno : ENOMEM;
		snprintf(err, errlen, "offload manager: %s", strerror(e));
		free(x);
		return -e;
	}
	int rc = 0;
	for (unsigned p = 0; p < dp_port_max(c->dp) && rc == 0; p++)
		rc = port_add(x, (uint16_t)p, err, errlen);
	const struct ofl_mark_table *mt = ofl_mark_table(x->o);
	struct dp_offload_ops ops = {
		.arg = x, .installed = hook_installed, .removed = hook_removed,
		.port_added = hook_port_added, .port_removing = hook_port_removing,
		.mark_ids = mt->ids, .n_marks = mt->n, .mark_stride = mt->stride,
	};
	if (rc == 0 && (rc = ofl_thread_start(x->o)) < 0)
		snprintf(err, errlen, "offload thread: %s", strerror(-rc));
	if (rc == 0 && (rc = dp_set_offload(c->dp, &ops)) < 0)
		snprintf(err, errlen, "datapath hooks: %s", strerror(-rc));
	if (rc < 0) {
		offload_fini(c, x);
		return rc;
	}
	/* megaflows installed before the hooks were set are not announced:
	 * start from an empty cache so every megaflow is */
	dp_flush_caches(c->dp);
	*ctx = x;
	return 0;
}

/* Hand each port's port security to the manager when it changed. */
static void psec_sync(struct ctrl_offload *x)
{
	const struct dp_tables *t = dp_tables(x->c->dp);
	unsigned n = dp_port_max(x->c->dp);
	for (unsigned p = 0; p < n && p < DP_MAX_PORTS; p++) {
		uint32_t lk = dp_table_port_lport(t, (uint16_t)p);
		const struct dp_lport *lp = lk ? dp_table_lport_get(t, lk) : NULL;
		const struct dp_lport_cfg *cfg = lp && lp->cfg.port_security ? &lp->cfg : NULL;
		if (x->psec_known[p] && x->psec_on[p] == (cfg != NULL) &&
		    (cfg == NULL || dp_lport_cfg_equal(&x->psec[p], cfg)))
			continue;
		int rc = ofl_port_security(x->o, (uint16_t)p, cfg);
		if (rc < 0 && rc != -ENOENT)
			CTRL_ERR("offload: port %u port security: %s (the PMD still filters)", p,
				 strerror(-rc));
		x->psec_known[p] = true;   /* a failure is not retried every tick */
		x->psec_on[p] = cfg != NULL;
		if (cfg)
			dp_lport_cfg_copy(&x->psec[p], cfg);
	}
}

static void offload_tick(struct ctrl *c, void *ctx)
{
	struct ctrl_offload *x = ctx;
	if (x == NULL)
		return;
	const struct dp_overlay_cfg *ov = dp_overlay_get(dp_tables(c->dp));
	if (ov != x->ovl) {
		ofl_set_overlay(x->o, ov);
		x->ovl = ov;
	}
	psec_sync(x);
}

const char *ctrl_offload_describe(struct ctrl *c, uint64_t id, char *why, size_t len,
				  uint32_t *mark)
{
	struct ctrl_offload *x = ctrl_feature_ctx(c, &ctrl_offload_feature);
	struct ofl_flow_info fi;
	if (x == NULL)
		return NULL;
	*mark = 0;
	if (ofl_flow_info(x->o, id, &fi) < 0) {
		/* never seen: its port is not offloaded, or the event is queued */
		snprintf(why, len, "not offloaded (port without backend, or pending)");
		return "none";
	}
	*mark = fi.mark;
	snprintf(why, len, "%s", fi.why);
	return ofl_decision_name(fi.state);
}

static int cmd_show_offload(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct ctrl_offload *x = ctrl_feature_ctx(c, &ctrl_offload_feature);
	if (argc != 0)
		return reply_error(r, true, "unexpected argument '%s'", argv[0]);
	if (x == NULL) {
		json_object_set_new(r->result, "enabled", json_false());
		json_object_set_new(r->result, "ports", json_array());
		reply_printf(r, "offload disabled ([offload] enable = true turns it on)\n");
		return 0;
	}
	if (!x->paused)
		ofl_sync(x->o, 200);   /* queued events first, so the counts are current */
	json_t *j = ofl_show_json(x->o);
	if (j == NULL)
		return reply_error(r, false, "out of memory");
	json_object_update(r->result, j);
	json_decref(j);
	json_t *ports = json_object_get(r->result, "ports");
	size_t i;
	json_t *p;
	json_object_set_new(r->result, "paused", json_boolean(x->paused));
	reply_printf(r, "offload%s: mode %s, %lld megaflow(s) tracked, %lld mark(s) used, "
		     "events %lld (dropped %lld, resyncs %lld)\n", x->paused ? " (paused)" : "",
		     c->cfg->offload.mode,
		     (long long)json_integer_value(json_object_get(r->result, "flows")),
		     (long long)json_integer_value(json_object_get(r->result, "marks_used")),
		     (long long)json_integer_value(json_object_get(r->result, "events")),
		     (long long)json_integer_value(json_object_get(r->result, "events_dropped")),
		     (long long)json_integer_value(json_object_get(r->result, "resyncs")));
	json_array_foreach(ports, i, p) {
		struct dp_port_info pi;
		int id = (int)json_integer_value(json_object_get(p, "port"));
		const char *name = dp_port_info(c->dp, (uint16_t)id, &pi) == 0 ? pi.name : "?";
		json_object_set_new(p, "name", json_string(name));
#define I(k) ((long long)json_integer_value(json_object_get(p, k)))
		reply_printf(r, "port %s (%d): backend %s, caps %s%s%s\n", name, id,
			     json_string_value(json_object_get(p, "backend")),
			     json_string_value(json_object_get(p, "caps")),
			     json_string_length(json_object_get(p, "probe_error")) ? ", probe: " : "",
			     json_string_value(json_object_get(p, "probe_error")));
		reply_printf(r, "  rules: full %lld partial %lld  installed %lld failed %lld "
			     "removed %lld aged %lld  table full %lld  refused (cached) %lld  "
			     "shared %lld  hits %lld bytes %lld\n", I("full"), I("partial"),
			     I("installed"), I("failed"), I("removed"), I("aged"), I("table_full"),
			     I("refused_cached"), I("shared"), I("hits"), I("bytes"));
		if (json_string_length(json_object_get(p, "port_security")))
			reply_printf(r, "  port security: %s\n",
				     json_string_value(json_object_get(p, "port_security")));
		if (json_string_length(json_object_get(p, "refused")))
			reply_printf(r, "  cached refusal: %s\n",
				     json_string_value(json_object_get(p, "refused")));
#undef I
	}
	return 0;
}

/* `offload pause` / `offload resume`: stop / restart the offload thread.
 * While paused the PMDs keep queueing events (a full queue is counted and,
 * for removals, resynchronised) and the rules stay as they are: a rule of a
 * megaflow that is gone keeps marking packets, which the PMDs count as
 * stale and forward in software.  For debugging and for tests that need
 * that window to be wide. */
static int cmd_offload_pause(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct ctrl_offload *x = ctrl_feature_ctx(c, &ctrl_offload_feature);
	bool pause = strcmp(r->req_argv[1], "pause") == 0;
	if (argc != 0)
		return reply_error(r, true, "unexpected argument '%s'", argv[0]);
	if (x == NULL)
		return reply_error(r, false, "offload disabled");
	if (pause && !x->paused)
		ofl_thread_stop(x->o);
	if (!pause && x->paused) {
		int rc = ofl_thread_start(x->o);
		if (rc < 0)
			return reply_error(r, false, "offload thread: %s", strerror(-rc));
	}
	x->paused = pause;
	json_object_set_new(r->result, "paused", json_boolean(pause));
	reply_printf(r, "offload %s\n", pause ? "paused" : "running");
	return 0;
}

static const struct ctrl_cmd offload_cmds[] = {
	{ "show offload", cmd_show_offload },
	{ "offload pause", cmd_offload_pause },
	{ "offload resume", cmd_offload_pause },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_offload_feature = {
	.name = "offload",
	.init = offload_init,
	.fini = offload_fini,
	.tick = offload_tick,
	.cmds = offload_cmds,
};
