/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_dump.c — hardware counters and the data behind
 * `wyctl show offload` and the offload column of `dump megaflows`.
 * Thread: control or offload thread (takes o->lock).
 */
#include <errno.h>
#include <string.h>

#include "ofl_priv.h"

static void flow_info(const struct ofl_flow *f, struct ofl_flow_info *out)
{
	const struct ofl_hwrule *r = f->r;
	memset(out, 0, sizeof(*out));
	out->id = f->id;
	out->dp_port = f->dp_port;
	out->state = r ? r->state : OFL_SOFTWARE;
	if (r == NULL) {
		snprintf(out->why, sizeof(out->why), "%s", f->why);
		return;
	}
	out->mark = r->mark;
	out->refs = r->refs;
	out->hw = r->hw;
	snprintf(out->why, sizeof(out->why), "%s", r->why);
	snprintf(out->rule, sizeof(out->rule), "%s", r->rule);
}

/* Query one rule's counters into r->hw (lock held). */
static int rule_query(struct ofl *o, struct ofl_hwrule *r)
{
	struct ofl_port *p = &o->ports[r->dp_port];
	struct ofl_flow_stats st = r->hw;   /* backends derive last_used from it */
	if (p->b == NULL || p->b->drv->query == NULL)
		return -EOPNOTSUPP;
	int rc = p->b->drv->query(p->b, r->handle, &st);
	if (rc < 0)
		return rc;
	p->hits += st.packets - r->hw.packets;
	p->bytes += st.bytes - r->hw.bytes;
	r->hw = st;
	return 0;
}

/* Counters of a shared rule go to one of its megaflows (the first): a
 * FULL rule's packets reach no PMD, one megaflow kept alive is enough to
 * keep the rule; the others age out and leave it. */
void ofl_poll_stats_locked(struct ofl *o)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(o->rules, &k, &d, &it) >= 0) {
		struct ofl_hwrule *r = d;
		if (rule_query(o, r) != 0)
			continue;
		uint64_t dp = r->hw.packets - r->reported.packets;
		uint64_t db = r->hw.bytes - r->reported.bytes;
		if (dp && o->cfg.stats_cb && r->flows &&
		    (r->state == OFL_FULL || !o->cfg.stats_full_only))
			o->cfg.stats_cb(o->cfg.stats_arg, r->flows->id, dp, db, r->hw.last_used);
		r->reported = r->hw;
	}
}

int ofl_flow_stats(struct ofl *o, uint64_t id, struct ofl_flow_stats *out)
{
	void *d;
	int rc;
	pthread_mutex_lock(&o->lock);
	if (rte_hash_lookup_data(o->flows, &id, &d) < 0) {
		rc = -ENOENT;
	} else {
		struct ofl_hwrule *r = ((struct ofl_flow *)d)->r;
		rc = r ? rule_query(o, r) : -EOPNOTSUPP;
		if (rc == 0)
			*out = r->hw;
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

int ofl_port_stats(struct ofl *o, uint16_t dp_port, struct ofl_port_stats *out)
{
	if (dp_port >= OFL_MAX_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	const struct ofl_port *p = &o->ports[dp_port];
	if (p->b == NULL) {
		pthread_mutex_unlock(&o->lock);
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->dp_port = dp_port;
	out->eth_port = p->cfg.eth_port;
	snprintf(out->backend, sizeof(out->backend), "%s", p->b->drv->name);
	snprintf(out->mode, sizeof(out->mode), "%s", ofl_mode_name(p->cfg.mode));
	snprintf(out->probe_error, sizeof(out->probe_error), "%s", p->probe_error);
	out->caps = p->caps;
	out->installed = p->installed;
	out->failed = p->failed;
	out->removed = p->removed;
	out->table_full = p->table_full;
	out->refused_cached = p->refused_cached;
	out->shared = p->shared;
	out->aged = p->aged;
	snprintf(out->refused, sizeof(out->refused), "%s", p->refused_why);
	out->n_full = p->n_full;
	out->n_partial = p->n_partial;
	out->hits = p->hits;
	out->bytes = p->bytes;
	snprintf(out->psec, sizeof(out->psec), "%s", p->psec);
	pthread_mutex_unlock(&o->lock);
	return 0;
}

int ofl_flow_info(struct ofl *o, uint64_t id, struct ofl_flow_info *out)
{
	void *d;
	int rc = 0;
	pthread_mutex_lock(&o->lock);
	if (rte_hash_lookup_data(o->flows, &id, &d) < 0)
		rc = -ENOENT;
	else
		flow_info(d, out);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

void ofl_flow_foreach(struct ofl *o, int (*cb)(const struct ofl_flow_info *f, void *arg),
		      void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	struct ofl_flow_info fi;
	pthread_mutex_lock(&o->lock);
	while (rte_hash_iterate(o->flows, &k, &d, &it) >= 0) {
		flow_info(d, &fi);
		if (cb(&fi, arg))
			break;
	}
	pthread_mutex_unlock(&o->lock);
}

void ofl_get_stats(struct ofl *o, struct ofl_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->ev_dropped = __atomic_load_n(&o->ev_dropped, __ATOMIC_RELAXED);
	out->ev_disabled = __atomic_load_n(&o->ev_disabled, __ATOMIC_RELAXED);
	pthread_mutex_lock(&o->lock);
	out->events = o->events;
	out->resyncs = o->resyncs;
	out->stale_install = o->stale_install;
	out->flows = rte_hash_count(o->flows);
	out->rules = rte_hash_count(o->rules);
	out->marks_used = (uint32_t)(o->marks.n - 1 - (o->fm_tail - o->fm_head));
	pthread_mutex_unlock(&o->lock);
}

json_t *ofl_show_json(struct ofl *o)
{
	struct ofl_stats s;
	json_t *root = json_object(), *ports = json_array();
	if (root == NULL || ports == NULL) {
		json_decref(root);
		json_decref(ports);
		errno = ENOMEM;
		return NULL;
	}
	ofl_get_stats(o, &s);
	json_object_set_new(root, "enabled", json_boolean(o->cfg.enable));
	json_object_set_new(root, "events", json_integer((json_int_t)s.events));
	json_object_set_new(root, "events_dropped", json_integer((json_int_t)s.ev_dropped));
	json_object_set_new(root, "resyncs", json_integer((json_int_t)s.resyncs));
	json_object_set_new(root, "flows", json_integer(s.flows));
	json_object_set_new(root, "rules", json_integer(s.rules));
	json_object_set_new(root, "marks_used", json_integer(s.marks_used));
	for (unsigned p = 0; p < OFL_MAX_PORTS; p++) {
		struct ofl_port_stats ps;
		char caps[256];
		if (ofl_port_stats(o, (uint16_t)p, &ps) != 0)
			continue;
		ofl_caps_format(caps, sizeof(caps), ps.caps);
		json_t *j = json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
				      "s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
				      "port", ps.dp_port, "eth_port", ps.eth_port,
				      "backend", ps.backend, "mode", ps.mode,
				      "caps", ps.probe_error[0] ? "none" : caps,
				      "probe_error", ps.probe_error,
				      "installed", (json_int_t)ps.installed,
				      "failed", (json_int_t)ps.failed,
				      "removed", (json_int_t)ps.removed,
				      "table_full", (json_int_t)ps.table_full,
				      "refused_cached", (json_int_t)ps.refused_cached,
				      "shared", (json_int_t)ps.shared,
				      "aged", (json_int_t)ps.aged,
				      "full", (json_int_t)ps.n_full,
				      "partial", (json_int_t)ps.n_partial,
				      "hits", (json_int_t)ps.hits,
				      "bytes", (json_int_t)ps.bytes,
				      "refused", ps.refused, "port_security", ps.psec);
		if (j)
			json_array_append_new(ports, j);
	}
	json_object_set_new(root, "ports", ports);
	return root;
}
