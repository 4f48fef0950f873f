/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl.c — the offload manager: events in, rules out.
 *
 * The datapath posts "megaflow installed/removed" events on a MP/SC ring
 * (elements from a mempool); the offload thread plans each megaflow against
 * its ingress port's cached capabilities and calls the port's backend.  A
 * megaflow the port cannot take stays in software with the reason recorded.
 * A port that refuses a FULL (or PARTIAL) rule shape with -EOPNOTSUPP is
 * remembered: later megaflows skip straight to the next tier ("refused
 * before", counted), the lesson OVS learnt the hard way (probing per flow
 * costs ~3x).  Dumps and counters are in ofl_dump.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "megaflow.h"
#include "ofl_priv.h"

static const struct ofl_driver *const drivers[] = {
	&ofl_rte_flow_driver, &ofl_dummy_driver, &ofl_xdp_driver,
};

const struct ofl_driver *ofl_driver_find(const char *name)
{
	for (unsigned i = 0; name && i < RTE_DIM(drivers); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

const struct ofl_mark_table *ofl_mark_table(const struct ofl *o)
{
	return &o->marks;
}

struct ofl *ofl_create(const struct ofl_config *cfg)
{
	struct ofl_config def = { .enable = true };
	char name[RTE_RING_NAMESIZE];
	struct ofl *o;
	int err = ENOMEM;

	if (cfg == NULL)
		cfg = &def;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->cfg = *cfg;
	if (o->cfg.max_flows == 0)
		o->cfg.max_flows = 65536;
	if (o->cfg.max_marks == 0)
		o->cfg.max_marks = o->cfg.max_flows;
	if (o->cfg.queue_size == 0)
		o->cfg.queue_size = 4096;
	if (o->cfg.n_pmds == 0)
		o->cfg.n_pmds = 1;
	if (o->cfg.name == NULL)
		o->cfg.name = "ofl";
	if (!rte_is_power_of_2(o->cfg.queue_size) || o->cfg.max_marks >= (1u << 31) ||
	    o->cfg.n_pmds > 256) {
		err = EINVAL;
		goto fail;
	}
	snprintf(o->name, sizeof(o->name), "%s", o->cfg.name);
	pthread_mutex_init(&o->lock, NULL);

	snprintf(name, sizeof(name), "%s_evq", o->name);
	o->ring = rte_ring_create(name, o->cfg.queue_size, o->cfg.socket_id, RING_F_SC_DEQ);
	if (o->ring == NULL) {
		err = rte_errno;
		goto fail;
	}
	snprintf(name, sizeof(name), "%s_evp", o->name);
	o->pool = rte_mempool_create(name, o->cfg.queue_size * 2 - 1, sizeof(struct ofl_event),
				     0, 0, NULL, NULL, NULL, NULL, o->cfg.socket_id, 0);
	if (o->pool == NULL) {
		err = rte_errno;
		goto fail;
	}
	snprintf(name, sizeof(name), "%s_flows", o->name);
	struct rte_hash_parameters hp = {
		.name = name, .entries = o->cfg.max_flows, .key_len = sizeof(uint64_t),
		.socket_id = o->cfg.socket_id,
	};
	o->flows = rte_hash_create(&hp);
	if (o->flows == NULL) {
		err = rte_errno;
		goto fail;
	}
	snprintf(name, sizeof(name), "%s_rules", o->name);
	hp.key_len = sizeof(struct ofl_pat);
	o->rules = rte_hash_create(&hp);
	if (o->rules == NULL) {
		err = rte_errno;
		goto fail;
	}
	o->marks.n = o->cfg.max_marks + 1;
	o->marks.stride = o->cfg.n_pmds;
	o->marks.ids = calloc((size_t)o->marks.n * o->marks.stride, sizeof(uint64_t));
	o->free_marks = calloc(o->marks.n, sizeof(uint32_t));
	if (o->marks.ids == NULL || o->free_marks == NULL)
		goto fail;
	for (uint32_t m = 1; m < o->marks.n; m++)
		o->free_marks[o->fm_tail++ % o->marks.n] = m;
	o->last_stats_tsc = rte_get_tsc_cycles();
	return o;
fail:
	ofl_destroy(o);
	errno = err;
	return NULL;
}

static void flow_free(struct ofl *o, struct ofl_flow *f);

void ofl_destroy(struct ofl *o)
{
	if (o == NULL)
		return;
	ofl_thread_stop(o);
	for (unsigned p = 0; p < OFL_MAX_PORTS; p++)
		if (o->ports[p].b)
			ofl_port_del(o, (uint16_t)p);
	if (o->flows) {
		const void *k;
		void *d;
		uint32_t it = 0;
		while (rte_hash_iterate(o->flows, &k, &d, &it) >= 0)
			free(d);
		rte_hash_free(o->flows);
	}
	if (o->rules) {
		const void *k;
		void *d;
		uint32_t it = 0;
		while (rte_hash_iterate(o->rules, &k, &d, &it) >= 0)
			free(d);   /* ports are gone: their rules were flushed */
		rte_hash_free(o->rules);
	}
	if (o->ring) {
		void *ev;
		while (rte_ring_dequeue(o->ring, &ev) == 0)
			rte_mempool_put(o->pool, ev);
	}
	rte_ring_free(o->ring);
	rte_mempool_free(o->pool);
	free(o->marks.ids);
	free(o->free_marks);
	free(o);
}

/* ---- marks ---------------------------------------------------------------- */
static uint32_t mark_alloc(struct ofl *o)
{
	if (o->fm_head == o->fm_tail)
		return 0;
	return o->free_marks[o->fm_head++ % o->marks.n];
}

static uint64_t *mark_cell(struct ofl *o, uint32_t m, unsigned col)
{
	return &o->marks.ids[(uint64_t)m * o->marks.stride + col];
}

static void mark_free(struct ofl *o, uint32_t m)
{
	if (m == 0)
		return;
	for (unsigned c = 0; c < o->marks.stride; c++)
		__atomic_store_n(mark_cell(o, m, c), OFL_ID_NONE, __ATOMIC_RELEASE);
	o->free_marks[o->fm_tail++ % o->marks.n] = m;
}

/* The mark table column of a megaflow id: its PMD. */
static unsigned id_col(uint64_t id)
{
	return DP_MFLOW_ID_PMD(id);
}

/* ---- ports ----------------------------------------------------------------- */
static int port_lookup(void *arg, uint16_t dp_port, uint16_t *eth, uint32_t *domain)
{
	struct ofl *o = arg;
	if (dp_port >= OFL_MAX_PORTS || o->ports[dp_port].b == NULL)
		return -ENOENT;
	*eth = o->ports[dp_port].cfg.eth_port;
	*domain = o->ports[dp_port].cfg.domain;
	return 0;
}

int ofl_port_add(struct ofl *o, const struct ofl_port_cfg *cfg)
{
	const struct ofl_driver *drv;
	struct ofl_port *p;
	int rc = 0;

	if (o == NULL || cfg == NULL || cfg->dp_port >= OFL_MAX_PORTS ||
	    (unsigned)cfg->mode > OFL_MODE_PARTIAL)
		return -EINVAL;
	drv = ofl_driver_find(cfg->backend);
	if (drv == NULL)
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	p = &o->ports[cfg->dp_port];
	if (p->b) {
		rc = -EEXIST;
		goto out;
	}
	memset(p, 0, sizeof(*p));
	p->b = drv->open(cfg->eth_port, cfg->dp_port, cfg->args);
	if (p->b == NULL) {
		rc = -(errno ? errno : EINVAL);
		goto out;
	}
	p->cfg = *cfg;
	p->cfg.backend = drv->name;
	p->cfg.args = NULL;
	/* The one probe of this port: its answer is cached for the port's life. */
	rc = drv->probe(p->b, &p->caps);
	if (rc < 0) {
		const char *e = drv->last_error ? drv->last_error(p->b) : NULL;
		snprintf(p->probe_error, sizeof(p->probe_error), "%s", e ? e : strerror(-rc));
		p->caps = 0;
		rc = 0;   /* the port works, in software */
	}
out:
	pthread_mutex_unlock(&o->lock);
	return rc;
}

struct ofl_backend *ofl_port_backend(struct ofl *o, uint16_t dp_port)
{
	return dp_port < OFL_MAX_PORTS ? o->ports[dp_port].b : NULL;
}

void ofl_set_overlay(struct ofl *o, const struct dp_overlay_cfg *ovl)
{
	pthread_mutex_lock(&o->lock);
	o->has_ovl = ovl != NULL;
	if (ovl)
		o->ovl = *ovl;
	pthread_mutex_unlock(&o->lock);
}

/* ---- shared rules ------------------------------------------------------------ */
static void pat_build(struct ofl_pat *pt, uint16_t dp_port, const struct dp_flow_key *key,
		      const struct dp_flow_key *mask)
{
	const uint8_t *k = (const uint8_t *)key, *m = (const uint8_t *)mask;
	uint8_t *out = (uint8_t *)&pt->key;
	memset(pt, 0, sizeof(*pt));
	pt->dp_port = dp_port;
	pt->mask = *mask;
	for (size_t i = 0; i < sizeof(*key); i++)
		out[i] = k[i] & m[i];
}

/* Take a rule out of its backend and forget it (lock held; no megaflow
 * references it any more). */
static void rule_destroy(struct ofl *o, struct ofl_hwrule *r)
{
	struct ofl_port *p = &o->ports[r->dp_port];
	if (p->b) {
		int rc = p->b->drv->del(p->b, r->handle);
		if (rc == 0 || rc == -ENOENT)
			p->removed++;
	}
	if (r->state == OFL_FULL)
		p->n_full--;
	else
		p->n_partial--;
	mark_free(o, r->mark);
	rte_hash_del_key(o->rules, &r->pat);
	free(r);
}

/* A megaflow joins rule r: its PMD's column of the mark now names it. */
static void flow_attach(struct ofl *o, struct ofl_flow *f, struct ofl_hwrule *r)
{
	f->r = r;
	f->next = r->flows;
	r->flows = f;
	r->refs++;
	f->why[0] = '\0';
	if (r->mark)
		__atomic_store_n(mark_cell(o, r->mark, f->col), f->id, __ATOMIC_RELEASE);
}

/* A megaflow leaves its rule (lock held); the rule goes with its last
 * megaflow.  The megaflow is in software afterwards, with why. */
static void flow_detach(struct ofl *o, struct ofl_flow *f, const char *why)
{
	struct ofl_hwrule *r = f->r;
	snprintf(f->why, sizeof(f->why), "%s", why);
	if (r == NULL)
		return;
	for (struct ofl_flow **pp = &r->flows; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->r = NULL;
	f->next = NULL;
	if (--r->refs == 0) {
		rule_destroy(o, r);
		return;
	}
	if (r->mark && __atomic_load_n(mark_cell(o, r->mark, f->col), __ATOMIC_RELAXED) == f->id) {
		/* another megaflow of the same PMD (a replacement whose install
		 * came before this removal) takes the column over */
		uint64_t next = OFL_ID_NONE;
		for (struct ofl_flow *g = r->flows; g; g = g->next)
			if (g->col == f->col)
				next = g->id;
		__atomic_store_n(mark_cell(o, r->mark, f->col), next, __ATOMIC_RELEASE);
	}
}

void ofl_rule_unoffload(struct ofl *o, struct ofl_hwrule *r, const char *why)
{
	/* counted, not "while (r->flows)": the last detach frees r */
	for (uint32_t n = r->refs; n > 0; n--)
		flow_detach(o, r->flows, why);
}

static void flow_free(struct ofl *o, struct ofl_flow *f)
{
	rte_hash_del_key(o->flows, &f->id);
	free(f);
}

int ofl_port_del(struct ofl *o, uint16_t dp_port)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	struct ofl_port *p;

	if (o == NULL || dp_port >= OFL_MAX_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	p = &o->ports[dp_port];
	if (p->b == NULL) {
		pthread_mutex_unlock(&o->lock);
		return -ENOENT;
	}
	/* Rules of this port, and FULL rules elsewhere that output to it
	 * (collected first: destroying a rule deletes it from the hash). */
	unsigned n = 0, cap = rte_hash_count(o->rules);
	struct ofl_hwrule **victims = cap ? calloc(cap, sizeof(*victims)) : NULL;
	while (victims && rte_hash_iterate(o->rules, &k, &d, &it) >= 0) {
		struct ofl_hwrule *r = d;
		if (n < cap && (r->dp_port == dp_port || r->out_dp_port == dp_port))
			victims[n++] = r;
	}
	for (unsigned i = 0; i < n; i++)
		ofl_rule_unoffload(o, victims[i], "port removed");
	if (cap && victims == NULL) {
		/* no memory for the list: one rule per pass (slow, never wrong) */
		for (;;) {
			struct ofl_hwrule *hit = NULL;
			it = 0;
			while (hit == NULL && rte_hash_iterate(o->rules, &k, &d, &it) >= 0) {
				struct ofl_hwrule *r = d;
				if (r->dp_port == dp_port || r->out_dp_port == dp_port)
					hit = r;
			}
			if (hit == NULL)
				break;
			ofl_rule_unoffload(o, hit, "port removed");
		}
	}
	free(victims);
	p->b->drv->flush(p->b);
	p->b->drv->close(p->b);
	memset(p, 0, sizeof(*p));
	pthread_mutex_unlock(&o->lock);
	return 0;
}

int ofl_port_security(struct ofl *o, uint16_t dp_port, const struct dp_lport_cfg *lp)
{
	char why[128] = "";
	int rc = 0;
	if (o == NULL || dp_port >= OFL_MAX_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	struct ofl_port *p = &o->ports[dp_port];
	if (p->b == NULL)
		rc = -ENOENT;
	else if (p->b->drv->port_security == NULL)
		snprintf(p->psec, sizeof(p->psec), "%s", "");
	else {
		rc = p->b->drv->port_security(p->b, lp, why, sizeof(why));
		if (rc < 0)
			snprintf(p->psec, sizeof(p->psec), "failed: %s", why[0] ? why : strerror(-rc));
		else
			snprintf(p->psec, sizeof(p->psec), "%s", why);
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

/* ---- events ------------------------------------------------------------------ */
static int ev_post(struct ofl *o, struct ofl_event *ev)
{
	ev->seq = __atomic_add_fetch(&o->seq, 1, __ATOMIC_RELAXED);
	if (rte_ring_enqueue(o->ring, ev) != 0) {
		rte_mempool_put(o->pool, ev);
		return -ENOBUFS;
	}
	return 0;
}

int ofl_megaflow_installed(struct ofl *o, uint64_t id, uint16_t in_port, uint16_t rxq,
			   const struct dp_flow_key *key, const struct dp_flow_key *mask,
			   const struct dp_action *acts, unsigned n_acts)
{
	struct ofl_event *ev;
	if (o == NULL || id == OFL_ID_NONE || key == NULL || mask == NULL ||
	    n_acts > DP_MAX_ACTIONS || in_port >= OFL_MAX_PORTS)
		return -EINVAL;
	if (!o->cfg.enable || __atomic_load_n(&o->ports[in_port].b, __ATOMIC_RELAXED) == NULL) {
		__atomic_add_fetch(&o->ev_disabled, 1, __ATOMIC_RELAXED);
		return -ENOTSUP;
	}
	if (rte_mempool_get(o->pool, (void **)&ev) != 0) {
		__atomic_add_fetch(&o->ev_dropped, 1, __ATOMIC_RELAXED);
		return -ENOBUFS;
	}
	ev->type = OFL_EV_INSTALL;
	ev->id = id;
	ev->in_port = in_port;
	ev->rxq = rxq;
	ev->key = *key;
	ev->mask = *mask;
	ev->n_acts = (uint16_t)n_acts;
	if (n_acts)
		memcpy(ev->acts, acts, n_acts * sizeof(acts[0]));
	if (ev_post(o, ev) != 0) {
		__atomic_add_fetch(&o->ev_dropped, 1, __ATOMIC_RELAXED);
		return -ENOBUFS;
	}
	return 0;
}

int ofl_megaflow_removed(struct ofl *o, uint64_t id)
{
	struct ofl_event *ev;
	if (o == NULL || id == OFL_ID_NONE)
		return -EINVAL;
	if (!o->cfg.enable)
		return 0;
	if (rte_mempool_get(o->pool, (void **)&ev) == 0) {
		ev->type = OFL_EV_REMOVE;
		ev->id = id;
		if (ev_post(o, ev) == 0)
			return 0;
	}
	/* Lost: everything queued so far is suspect. The consumer flushes every
	 * rule and ignores installs with seq <= this one. */
	uint64_t s = __atomic_add_fetch(&o->seq, 1, __ATOMIC_RELAXED);
	uint64_t cur = __atomic_load_n(&o->resync_upto, __ATOMIC_RELAXED);
	while (cur < s && !__atomic_compare_exchange_n(&o->resync_upto, &cur, s, 0,
						       __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	return 0;
}

/* A megaflow whose pattern is in hardware already (the same flow on
 * another PMD) joins that rule.  Returns 1 when it did or was refused (the
 * megaflow's state is then final), 0 when there is no such rule. */
static int join_rule(struct ofl *o, struct ofl_port *p, struct ofl_flow *f,
		     const struct ofl_pat *pt, const struct ofl_event *ev)
{
	void *d;
	if (rte_hash_lookup_data(o->rules, pt, &d) < 0)
		return 0;
	struct ofl_hwrule *r = d;
	if (r->state == OFL_FULL &&
	    (r->n_acts != ev->n_acts || memcmp(r->acts, ev->acts, ev->n_acts * sizeof(ev->acts[0])))) {
		/* the hardware runs the other megaflow's actions: this one would
		 * never see a packet anyway; it stays in software until that
		 * rule goes (a table change in flight re-plans both) */
		snprintf(f->why, sizeof(f->why), "pattern in hardware (full) with other actions");
		return 1;
	}
	if (r->mark && f->col >= o->marks.stride) {
		snprintf(f->why, sizeof(f->why), "PMD %u beyond the mark table (%u)", f->col,
			 o->marks.stride);
		return 1;
	}
	flow_attach(o, f, r);
	p->shared++;
	return 1;
}

/* Plan and put one megaflow (lock held). */
static void do_install(struct ofl *o, const struct ofl_event *ev)
{
	struct ofl_port *p = &o->ports[ev->in_port];
	struct ofl_flow *f = NULL;
	struct ofl_pat pt;
	void *d;

	if (p->b == NULL)
		return;
	if (rte_hash_lookup_data(o->flows, &ev->id, &d) >= 0) {
		f = d;
		flow_detach(o, f, "re-planned");   /* actions changed: re-plan */
	} else {
		f = calloc(1, sizeof(*f));
		if (f == NULL || rte_hash_add_key_data(o->flows, &ev->id, f) < 0) {
			free(f);
			p->failed++;
			o->no_room++;
			return;
		}
		f->id = ev->id;
	}
	f->dp_port = ev->in_port;
	f->col = (uint16_t)id_col(ev->id);
	pat_build(&pt, ev->in_port, &ev->key, &ev->mask);
	if (join_rule(o, p, f, &pt, ev))
		return;

	struct ofl_plan_ctx ctx = {
		.caps = p->caps, .mode = p->cfg.mode, .dp_port = ev->in_port,
		.eth_port = p->cfg.eth_port, .domain = p->cfg.domain, .n_rxq = p->cfg.n_rxq,
		.rxq = ev->rxq, .age_timeout = o->cfg.age_timeout,
		.age_context = ++o->next_serial,
		.ovl = o->has_ovl ? &o->ovl : NULL, .port_lookup = port_lookup, .port_arg = o,
	};
	enum ofl_decision best = OFL_FULL;
	if (p->refused_full) {
		best = OFL_PARTIAL;
		p->refused_cached++;
	}
	if (p->refused_partial || f->col >= o->marks.stride)
		ctx.caps &= ~OFL_CAP_MARK;
	struct ofl_hwrule *hr = calloc(1, sizeof(*hr));
	uint32_t mark = hr ? mark_alloc(o) : 0;
	char prev[OFL_WHY_LEN] = "";   /* a put that failed before the fallback */
	ctx.mark = mark;
	for (;;) {
		struct ofl_rule *r = hr ? ofl_plan(&ctx, &ev->key, &ev->mask, ev->acts, ev->n_acts,
						   best) : NULL;
		if (r == NULL) {
			snprintf(f->why, sizeof(f->why), "planner: %s",
				 strerror(hr ? errno : ENOMEM));
			p->failed++;
			break;
		}
		if (r->decision == OFL_SOFTWARE) {
			const char *part = strstr(r->why, "; ");
			if (prev[0] && part)
				snprintf(f->why, sizeof(f->why), "%.76s%.19s", prev, part);
			else
				snprintf(f->why, sizeof(f->why), "%s%s", r->why,
					 p->probe_error[0] ? " (probe failed)" : "");
			ofl_rule_destroy(r);
			break;
		}
		if (r->out_dp_port != 0xffff)
			r->out_ifindex = o->ports[r->out_dp_port].cfg.ifindex;
		if (r->decision == OFL_PARTIAL)
			__atomic_store_n(mark_cell(o, mark, f->col), ev->id, __ATOMIC_RELEASE);
		uint64_t h = 0;
		int rc = p->b->drv->put(p->b, r, &h);
		if (rc == 0 && rte_hash_add_key_data(o->rules, &pt, hr) < 0) {
			p->b->drv->del(p->b, h);   /* no room to track it */
			rc = -ENOSPC;
		}
		if (rc == 0) {
			hr->pat = pt;
			hr->dp_port = ev->in_port;
			hr->out_dp_port = r->out_dp_port;
			hr->state = r->decision;
			hr->handle = h;
			hr->serial = ctx.age_context;
			for (unsigned i = 0; i < r->n_actions; i++)
				if (r->actions[i].type == RTE_FLOW_ACTION_TYPE_AGE)
					hr->age = r->conf[i].age.timeout;
			hr->mark = r->decision == OFL_PARTIAL ? mark : 0;
			snprintf(hr->why, sizeof(hr->why), "%s",
				 r->decision == OFL_FULL ? "" : r->why);
			ofl_rule_format(hr->rule, sizeof(hr->rule), r);
			hr->n_acts = ev->n_acts;
			memcpy(hr->acts, ev->acts, ev->n_acts * sizeof(ev->acts[0]));
			p->installed++;
			if (r->decision == OFL_FULL) {
				p->full_fail_streak = 0;
				p->full_ok = 1;
			} else {
				p->partial_fail_streak = 0;
				p->partial_ok = 1;
			}
			if (r->decision == OFL_FULL)
				p->n_full++;
			else
				p->n_partial++;
			if (hr->mark == 0)
				mark_free(o, mark);
			ofl_rule_destroy(r);
			flow_attach(o, f, hr);
			return;
		}
		if (r->decision == OFL_PARTIAL)
			__atomic_store_n(mark_cell(o, mark, f->col), OFL_ID_NONE, __ATOMIC_RELEASE);
		p->failed++;
		const char *e = p->b->drv->last_error ? p->b->drv->last_error(p->b) : NULL;
		char msg[OFL_WHY_LEN];
		snprintf(msg, sizeof(msg), "%s refused: %s", ofl_decision_name(r->decision),
			 e && *e ? e : strerror(-rc));
		if (rc == -OFL_EFLOW)
			p->failed--;   /* a refusal of the match, not a failure */
		enum ofl_decision was = r->decision;
		ofl_rule_destroy(r);
		if (rc == -ENOSPC) {
			p->table_full++;
			snprintf(f->why, sizeof(f->why), "rule table full");
			break;
		}
		/* -EOPNOTSUPP: the shape is refused, remember it now.  Other
		 * errors on a tier that never worked on this port (validate
		 * passed, create fails: net_tap on a kernel without TC flower)
		 * refuse it now too; on a tier that has worked, after
		 * OFL_FAIL_STREAK in a row */
		if (rc == -OFL_EFLOW)
			;   /* this megaflow's match only: nothing to remember */
		else if (was == OFL_FULL && (rc == -EOPNOTSUPP || rc == -ENOTSUP || !p->full_ok ||
					     ++p->full_fail_streak >= OFL_FAIL_STREAK))
			p->refused_full = 1;
		else if (was == OFL_PARTIAL && (rc == -EOPNOTSUPP || rc == -ENOTSUP ||
						!p->partial_ok ||
						++p->partial_fail_streak >= OFL_FAIL_STREAK))
			p->refused_partial = 1;
		if ((was == OFL_FULL && p->refused_full) || (was == OFL_PARTIAL && p->refused_partial))
			snprintf(p->refused_why, sizeof(p->refused_why), "%s", msg);
		snprintf(prev, sizeof(prev), "%s", msg);
		if (was == OFL_FULL && p->cfg.mode != OFL_MODE_FULL) {
			best = OFL_PARTIAL;   /* fall back one tier */
			continue;
		}
		snprintf(f->why, sizeof(f->why), "%s", msg);
		break;
	}
	mark_free(o, mark);
	free(hr);
}

static void do_remove(struct ofl *o, uint64_t id)
{
	void *d;
	if (rte_hash_lookup_data(o->flows, &id, &d) < 0)
		return;
	flow_detach(o, d, "removed");   /* the rule stays while others share it */
	flow_free(o, d);
}

static void do_resync(struct ofl *o)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(o->rules, &k, &d, &it) >= 0) {
		struct ofl_hwrule *r = d;
		struct ofl_port *p = &o->ports[r->dp_port];
		if (p->b && p->b->drv->del(p->b, r->handle) == 0)
			p->removed++;
		if (r->state == OFL_FULL)
			p->n_full--;
		else
			p->n_partial--;
		mark_free(o, r->mark);
		free(r);
	}
	rte_hash_reset(o->rules);
	it = 0;
	while (rte_hash_iterate(o->flows, &k, &d, &it) >= 0)
		free(d);
	rte_hash_reset(o->flows);
	o->resyncs++;
}

unsigned ofl_run(struct ofl *o, unsigned max)
{
	struct ofl_event *evs[32];
	unsigned done = 0;

	pthread_mutex_lock(&o->lock);
	uint64_t upto = __atomic_load_n(&o->resync_upto, __ATOMIC_ACQUIRE);
	if (upto > o->resync_done) {
		do_resync(o);
		o->resync_done = upto;
	}
	while (done < max) {
		unsigned want = max - done < 32 ? max - done : 32;
		unsigned n = rte_ring_dequeue_burst(o->ring, (void **)evs, want, NULL);
		if (n == 0)
			break;
		for (unsigned i = 0; i < n; i++) {
			struct ofl_event *ev = evs[i];
			if (ev->type == OFL_EV_INSTALL && ev->seq <= o->resync_done)
				o->stale_install++;
			else if (ev->type == OFL_EV_INSTALL)
				do_install(o, ev);
			else
				do_remove(o, ev->id);
			__atomic_store_n(&o->done_seq, ev->seq, __ATOMIC_RELEASE);
			rte_mempool_put(o->pool, ev);
		}
		o->events += n;
		done += n;
	}
	uint64_t now = rte_get_tsc_cycles(), ms = rte_get_tsc_hz() / 1000;
	if (o->cfg.stats_interval_ms && now - o->last_stats_tsc > ms * o->cfg.stats_interval_ms) {
		ofl_poll_stats_locked(o);
		o->last_stats_tsc = now;
	}
	/* aged rules: on the stats tick (every second without one) */
	uint32_t age_ms = o->cfg.stats_interval_ms ? o->cfg.stats_interval_ms : 1000;
	if (o->cfg.age_timeout && now - o->last_age_tsc > ms * age_ms) {
		ofl_age_poll_locked(o);
		o->last_age_tsc = now;
	}
	pthread_mutex_unlock(&o->lock);
	return done;
}

int ofl_sync(struct ofl *o, unsigned timeout_ms)
{
	/* Every dequeue happens under o->lock, so running the consumer here is
	 * safe even with the offload thread alive. */
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * timeout_ms;
	do {
		ofl_run(o, 1024);
		if (rte_ring_count(o->ring) == 0 &&
		    __atomic_load_n(&o->resync_upto, __ATOMIC_ACQUIRE) <= o->resync_done)
			return 0;
	} while (rte_get_tsc_cycles() < end);
	return -ETIMEDOUT;
}

static void *ofl_thread(void *arg)
{
	struct ofl *o = arg;
	while (!__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE)) {
		if (ofl_run(o, 64) == 0)
			usleep(200);
	}
	return NULL;
}

int ofl_thread_start(struct ofl *o)
{
	char name[RTE_MAX_THREAD_NAME_LEN];
	if (o->thread_running)
		return -EALREADY;
	o->stop = 0;
	snprintf(name, sizeof(name), "wyv-offload");
	int rc = rte_ctrl_thread_create(&o->thread, name, NULL, ofl_thread, o);
	if (rc != 0)
		return -rc;
	o->thread_running = 1;
	return 0;
}

void ofl_thread_stop(struct ofl *o)
{
	if (!o->thread_running)
		return;
	__atomic_store_n(&o->stop, 1, __ATOMIC_RELEASE);
	pthread_join(o->thread, NULL);
	o->thread_running = 0;
}
