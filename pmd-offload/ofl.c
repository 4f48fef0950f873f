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
	if (o->cfg.name == NULL)
		o->cfg.name = "ofl";
	if (!rte_is_power_of_2(o->cfg.queue_size) || o->cfg.max_marks >= (1u << 31)) {
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
	o->marks.n = o->cfg.max_marks + 1;
	o->marks.ids = calloc(o->marks.n, sizeof(uint64_t));
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

static void mark_free(struct ofl *o, uint32_t m)
{
	if (m == 0)
		return;
	__atomic_store_n(&o->marks.ids[m], OFL_ID_NONE, __ATOMIC_RELEASE);
	o->free_marks[o->fm_tail++ % o->marks.n] = m;
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

/* Take a flow's rule out of hardware (lock held). */
static void flow_unoffload(struct ofl *o, struct ofl_flow *f, const char *why)
{
	struct ofl_port *p = &o->ports[f->dp_port];
	if (f->state != OFL_SOFTWARE && p->b) {
		int rc = p->b->drv->del(p->b, f->handle);
		if (rc == 0 || rc == -ENOENT)
			p->removed++;
		if (f->state == OFL_FULL)
			p->n_full--;
		else
			p->n_partial--;
	}
	mark_free(o, f->mark);
	f->mark = 0;
	f->state = OFL_SOFTWARE;
	f->rule[0] = '\0';
	snprintf(f->why, sizeof(f->why), "%s", why);
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
	/* Rules of this port, and FULL rules elsewhere that output to it. */
	while (rte_hash_iterate(o->flows, &k, &d, &it) >= 0) {
		struct ofl_flow *f = d;
		if (f->dp_port == dp_port || f->out_dp_port == dp_port)
			flow_unoffload(o, f, "port removed");
	}
	p->b->drv->flush(p->b);
	p->b->drv->close(p->b);
	memset(p, 0, sizeof(*p));
	pthread_mutex_unlock(&o->lock);
	return 0;
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

/* Plan and put one megaflow (lock held). */
static void do_install(struct ofl *o, const struct ofl_event *ev)
{
	struct ofl_port *p = &o->ports[ev->in_port];
	struct ofl_flow *f = NULL;
	void *d;

	if (p->b == NULL)
		return;
	if (rte_hash_lookup_data(o->flows, &ev->id, &d) >= 0) {
		f = d;
		flow_unoffload(o, f, "re-planned");   /* actions changed: re-plan */
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
	f->out_dp_port = 0xffff;
	memset(&f->hw, 0, sizeof(f->hw));
	memset(&f->reported, 0, sizeof(f->reported));

	struct ofl_plan_ctx ctx = {
		.caps = p->caps, .mode = p->cfg.mode, .dp_port = ev->in_port,
		.eth_port = p->cfg.eth_port, .domain = p->cfg.domain, .n_rxq = p->cfg.n_rxq,
		.rxq = ev->rxq, .age_timeout = o->cfg.age_timeout,
		.ovl = o->has_ovl ? &o->ovl : NULL, .port_lookup = port_lookup, .port_arg = o,
	};
	enum ofl_decision best = OFL_FULL;
	if (p->refused_full) {
		best = OFL_PARTIAL;
		p->refused_cached++;
	}
	if (p->refused_partial)
		ctx.caps &= ~OFL_CAP_MARK;
	uint32_t mark = mark_alloc(o);
	char prev[OFL_WHY_LEN] = "";   /* a put that failed before the fallback */
	ctx.mark = mark;
	for (;;) {
		struct ofl_rule *r = ofl_plan(&ctx, &ev->key, &ev->mask, ev->acts, ev->n_acts, best);
		if (r == NULL) {
			snprintf(f->why, sizeof(f->why), "planner: %s", strerror(errno));
			p->failed++;
			break;
		}
		if (r->decision == OFL_SOFTWARE) {
			const char *part = strstr(r->why, "; ");
			if (prev[0] && part)
				snprintf(f->why, sizeof(f->why), "%.60s%.34s", prev, part);
			else
				snprintf(f->why, sizeof(f->why), "%s%s", r->why,
					 p->probe_error[0] ? " (probe failed)" : "");
			ofl_rule_destroy(r);
			break;
		}
		if (r->out_dp_port != 0xffff) {
			r->out_ifindex = o->ports[r->out_dp_port].cfg.ifindex;
			f->out_dp_port = r->out_dp_port;
		}
		if (r->decision == OFL_PARTIAL)
			__atomic_store_n(&o->marks.ids[mark], ev->id, __ATOMIC_RELEASE);
		uint64_t h = 0;
		int rc = p->b->drv->put(p->b, r, &h);
		if (rc == 0) {
			f->state = r->decision;
			f->handle = h;
			f->mark = r->decision == OFL_PARTIAL ? mark : 0;
			snprintf(f->why, sizeof(f->why), "%s", r->decision == OFL_FULL ? "" : r->why);
			ofl_rule_format(f->rule, sizeof(f->rule), r);
			p->installed++;
			if (r->decision == OFL_FULL)
				p->full_fail_streak = 0;
			else
				p->partial_fail_streak = 0;
			if (r->decision == OFL_FULL)
				p->n_full++;
			else
				p->n_partial++;
			if (f->mark == 0)
				mark_free(o, mark);
			ofl_rule_destroy(r);
			return;
		}
		if (r->decision == OFL_PARTIAL)
			__atomic_store_n(&o->marks.ids[mark], OFL_ID_NONE, __ATOMIC_RELEASE);
		p->failed++;
		const char *e = p->b->drv->last_error ? p->b->drv->last_error(p->b) : NULL;
		char msg[OFL_WHY_LEN];
		snprintf(msg, sizeof(msg), "%s refused: %s", ofl_decision_name(r->decision),
			 e && *e ? e : strerror(-rc));
		enum ofl_decision was = r->decision;
		ofl_rule_destroy(r);
		f->out_dp_port = 0xffff;
		if (rc == -ENOSPC) {
			p->table_full++;
			snprintf(f->why, sizeof(f->why), "rule table full");
			break;
		}
		/* -EOPNOTSUPP: the shape is refused, remember it now; other
		 * errors (a kernel that validates but cannot create, as net_tap
		 * without cls_flower): after OFL_FAIL_STREAK in a row */
		if (was == OFL_FULL && (rc == -EOPNOTSUPP || rc == -ENOTSUP ||
					++p->full_fail_streak >= OFL_FAIL_STREAK))
			p->refused_full = 1;
		if (was == OFL_PARTIAL && (rc == -EOPNOTSUPP || rc == -ENOTSUP ||
					   ++p->partial_fail_streak >= OFL_FAIL_STREAK))
			p->refused_partial = 1;
		snprintf(prev, sizeof(prev), "%s", msg);
		if (was == OFL_FULL && p->cfg.mode != OFL_MODE_FULL) {
			best = OFL_PARTIAL;   /* fall back one tier */
			continue;
		}
		snprintf(f->why, sizeof(f->why), "%s", msg);
		break;
	}
	mark_free(o, mark);
	f->state = OFL_SOFTWARE;
	f->mark = 0;
}

static void do_remove(struct ofl *o, uint64_t id)
{
	void *d;
	if (rte_hash_lookup_data(o->flows, &id, &d) < 0)
		return;
	flow_unoffload(o, d, "removed");
	flow_free(o, d);
}

static void do_resync(struct ofl *o)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(o->flows, &k, &d, &it) >= 0) {
		flow_unoffload(o, d, "resync");
		free(d);
	}
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
	if (o->cfg.stats_interval_ms) {
		uint64_t now = rte_get_tsc_cycles();
		if (now - o->last_stats_tsc > rte_get_tsc_hz() / 1000 * o->cfg.stats_interval_ms) {
			ofl_poll_stats_locked(o);
			o->last_stats_tsc = now;
		}
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
