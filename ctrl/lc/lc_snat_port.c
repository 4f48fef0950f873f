/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_snat_port.c — distributed SNAT: this chassis' SNAT address
 * port, created and deleted by the chassis itself.
 *
 * With [ctrl] snat = distributed, a chassis that hosts a port (a LOCAL
 * port, lc_reach.c) on an interface network of a router that has an
 * external gateway with enable_snat needs an address of its own on the
 * external network: a port with device_owner network:floatingip_agent_gateway,
 * device_id = the router, binding:host_id = this chassis
 * (lc_compile_nat.c reads it).  When there is none, the controller creates
 * it through the northbound operations (ctrl/nb, the same transactional
 * operations the API and wyctl run: the address is allocated from the
 * external subnet there); when the chassis no longer hosts ports of the
 * router, or the router lost its gateway or enable_snat, it deletes it.
 *
 * Idempotent: the port's MAC is derived from (router, chassis), and the
 * northbound claims a MAC once per network, so of two racing creations
 * (two controllers of one chassis name, a restart before the first one's
 * port came back through the watch) one fails with MacAddressInUse and
 * nothing doubles.  A failed operation is retried every few seconds until
 * the port shows up (or goes) in the watched database.
 *
 * Threads: lc_snat_ports_publish runs on the control thread after every
 * batch (it reads the global index, after the first full snapshot only: a
 * replica alone would be stale) and hands the wanted operations to the
 * sync thread only when they changed; lc_snat_ports_flush runs them on the
 * sync thread (blocking database calls), never on the PMDs or the control
 * thread's loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "lc_priv.h"
#include "nb_ops.h"

#define RETRY_MS 3000

struct lc_snat_job {
	bool create;                   /* else delete port */
	char router[MDL_ID_SIZE];
	char network[MDL_ID_SIZE];     /* create: the external network */
	char port[MDL_ID_SIZE];        /* delete: the port */
	char mac[MDL_MAC_SIZE];        /* create: derived from (router, chassis) */
	uint64_t next_ms;              /* sync thread: not before */
	unsigned fails;                /* sync thread: failed attempts (logged once) */
	bool done;                     /* sync thread: succeeded */
};

struct lc_snat_jobs {
	struct lc_snat_job *v;
	size_t n;
};

static uint64_t now_ms(void)
{
	return lc_mono_us() / 1000;
}

void lc_snat_port_mac(char out[MDL_MAC_SIZE], const char *router_id, const char *chassis)
{
	uint64_t h = lc_fnv(router_id, strlen(router_id), LC_FNV_BASIS ^ 0x534eu);
	h = lc_fnv(chassis, strlen(chassis), h);
	/* 0e: locally administered, unicast */
	snprintf(out, MDL_MAC_SIZE, "0e:%02x:%02x:%02x:%02x:%02x", (unsigned)(h >> 32) & 0xff,
		 (unsigned)(h >> 24) & 0xff, (unsigned)(h >> 16) & 0xff, (unsigned)(h >> 8) & 0xff,
		 (unsigned)h & 0xff);
}

static bool live(const struct lc_obj *o, enum mdl_type t)
{
	return o->type == t && o->present && o->o != NULL;
}

/* Does a local port sit on one of router r's interface networks? */
static bool hosts_router(struct lc *lc, struct lc_obj **v, size_t n, const struct mdl_router *r)
{
	for (size_t k = 0; k < r->n_interfaces; k++) {
		struct lc_obj *so = lc_obj_find_id(lc, MDL_SUBNET, r->interfaces[k].subnet_id);
		if (so == NULL || !live(so, MDL_SUBNET))
			continue;
		const char *net = mdl_hdr_to_subnet(so->o)->network_id;
		for (size_t i = 0; i < n; i++)
			if (v[i]->local && live(v[i], MDL_PORT) &&
			    strcmp(lc_port_of(v[i])->network_id, net) == 0)
				return true;
	}
	return false;
}

static bool wants_port(struct lc *lc, struct lc_obj **v, size_t n, const char *router_id)
{
	struct lc_obj *ro = lc_obj_find_id(lc, MDL_ROUTER, router_id);
	if (ro == NULL || !live(ro, MDL_ROUTER))
		return false;
	const struct mdl_router *r = mdl_hdr_to_router(ro->o);
	return r->has_gateway && r->gateway.enable_snat && r->admin_state_up &&
	       r->gateway.network_id[0] && hosts_router(lc, v, n, r);
}

static int push(struct lc_snat_jobs *j, const struct lc_snat_job *e)
{
	struct lc_snat_job *nv = realloc(j->v, (j->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	j->v = nv;
	j->v[j->n++] = *e;
	return 0;
}

/* The wanted operations, in index order (deterministic). */
static int compute(struct lc *lc, struct lc_obj **v, size_t n, struct lc_snat_jobs *out)
{
	/* deletions: our SNAT ports of routers we no longer need one for */
	for (size_t i = 0; i < n; i++) {
		if (!live(v[i], MDL_PORT))
			continue;
		const struct lc_port *p = lc_port_of(v[i]);
		if (strcmp(p->device_owner, LC_SNAT_OWNER) != 0 ||
		    strcmp(p->binding_host_id, lc->cfg.chassis) != 0 ||
		    wants_port(lc, v, n, p->device_id))
			continue;
		struct lc_snat_job e = { .create = false };
		snprintf(e.router, sizeof(e.router), "%s", p->device_id);
		snprintf(e.port, sizeof(e.port), "%s", v[i]->o->id);
		if (push(out, &e) < 0)
			return -ENOMEM;
	}
	/* creations: routers we need one for and have none */
	for (size_t i = 0; i < n; i++) {
		if (!live(v[i], MDL_ROUTER) || !wants_port(lc, v, n, v[i]->o->id))
			continue;
		const struct mdl_router *r = mdl_hdr_to_router(v[i]->o);
		bool have = false;
		for (size_t k = 0; k < n && !have; k++) {
			if (!live(v[k], MDL_PORT))
				continue;
			const struct lc_port *p = lc_port_of(v[k]);
			have = strcmp(p->device_owner, LC_SNAT_OWNER) == 0 &&
			       strcmp(p->binding_host_id, lc->cfg.chassis) == 0 &&
			       strcmp(p->device_id, v[i]->o->id) == 0 &&
			       strcmp(p->network_id, r->gateway.network_id) == 0;
		}
		if (have)
			continue;
		struct lc_snat_job e = { .create = true };
		snprintf(e.router, sizeof(e.router), "%s", v[i]->o->id);
		snprintf(e.network, sizeof(e.network), "%s", r->gateway.network_id);
		lc_snat_port_mac(e.mac, v[i]->o->id, lc->cfg.chassis);
		if (push(out, &e) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool same_jobs(const struct lc_snat_jobs *a, const struct lc_snat_jobs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct lc_snat_job *x = &a->v[i], *y = &b->v[i];
		if (x->create != y->create || strcmp(x->router, y->router) ||
		    strcmp(x->network, y->network) || strcmp(x->port, y->port))
			return false;
	}
	return true;
}

void lc_snat_jobs_free(struct lc_snat_jobs *j)
{
	if (j == NULL)
		return;
	free(j->v);
	free(j);
}

void lc_snat_ports_publish(struct lc *lc)
{
	struct lc_sync *s = lc->sync;
	if (s == NULL || lc->cfg.snat_mode != LC_SNAT_DISTRIBUTED || lc->st.syncs == 0)
		return;
	/* the jobs read routers, subnets, SNAT address ports and which ports
	 * are local: unchanged without a full reachability pass (locality, a
	 * port's network and owner are its inputs) unless one of those
	 * changed, or a local port did (lc_reach_ports) */
	bool same_inputs = !lc->reach_ran && !lc->local_moved && lc->n_chg != SIZE_MAX &&
			   !(lc->chg_types & ((1u << MDL_ROUTER) | (1u << MDL_SUBNET)));
	for (size_t i = 0; same_inputs && i < lc->n_chg; i++) {
		const struct lc_obj *o = lc->chg[i];
		same_inputs = !(live(o, MDL_PORT) &&
				strcmp(lc_port_of(o)->device_owner, LC_SNAT_OWNER) == 0);
	}
	if (same_inputs)
		return;
	size_t n;
	struct lc_obj **v = lc_obj_all(lc, &n);
	struct lc_snat_jobs *want = calloc(1, sizeof(*want));
	if (want == NULL || compute(lc, v, n, want) < 0) {
		lc_snat_jobs_free(want);
		return;
	}
	pthread_mutex_lock(&s->mu);
	bool same = s->snat != NULL && same_jobs(s->snat, want);
	if (!same) {
		lc_snat_jobs_free(s->snat);
		s->snat = want;
		want = NULL;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	lc_snat_jobs_free(want);
}

/* One operation through the northbound (sync thread, mu not held). */
static int run_job(struct lc_sync *s, struct db *db, const struct lc_snat_job *e, char *err,
		   size_t es)
{
	char name[LC_NAME_LEN + 8];
	snprintf(name, sizeof(name), "snat-%s", s->cfg.chassis);
	char *argv[16];
	int argc = 0;
	argv[argc++] = "port";
	if (e->create) {
		argv[argc++] = "create";
		argv[argc++] = name;
		argv[argc++] = "--network";
		argv[argc++] = (char *)e->network;
		argv[argc++] = "--mac";
		argv[argc++] = (char *)e->mac;
		argv[argc++] = "--device-owner";
		argv[argc++] = LC_SNAT_OWNER;
		argv[argc++] = "--device-id";
		argv[argc++] = (char *)e->router;
		argv[argc++] = "--host";
		argv[argc++] = s->cfg.chassis;
	} else {
		argv[argc++] = "delete";
		argv[argc++] = (char *)e->port;
	}
	argv[argc] = NULL;
	char *ob = NULL, *eb = NULL;
	size_t ol = 0, el = 0;
	FILE *out = open_memstream(&ob, &ol), *ef = open_memstream(&eb, &el);
	int rc = -ENOMEM;
	if (out != NULL && ef != NULL)
		rc = wyctl_nb_run(db, s->cfg.db_url, true, argc, argv, out, ef);
	if (out != NULL)
		fclose(out);
	if (ef != NULL)
		fclose(ef);
	snprintf(err, es, "%s", eb ? eb : "");
	for (char *p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
	free(ob);
	free(eb);
	return rc;
}

void lc_snat_ports_flush(struct lc_sync *s, struct db *db, void (*report)(struct lc_sync *s,
									  const char *msg))
{
	for (;;) {
		pthread_mutex_lock(&s->mu);
		struct lc_snat_jobs *j = s->snat;
		uint64_t now = now_ms();
		struct lc_snat_job e;
		bool found = false;
		for (size_t i = 0; j != NULL && i < j->n && !found; i++)
			if (!j->v[i].done && j->v[i].next_ms <= now) {
				e = j->v[i];
				found = true;
			}
		pthread_mutex_unlock(&s->mu);
		if (!found || s->stop)
			return;
		char err[512];
		int rc = run_job(s, db, &e, err, sizeof(err));
		char m[700];
		if (rc == 0)
			snprintf(m, sizeof(m), "SNAT address port of router %s: %s", e.router,
				 e.create ? "created" : "deleted");
		else
			snprintf(m, sizeof(m), "SNAT address port of router %s: %s failed "
				 "(retried): %s", e.router, e.create ? "create" : "delete", err);
		if (rc == 0 || e.fails == 0)
			report(s, m);
		/* mark the same job in the current set (it may have been
		 * replaced meanwhile: then the new set decides) */
		pthread_mutex_lock(&s->mu);
		j = s->snat;
		for (size_t i = 0; j != NULL && i < j->n; i++) {
			struct lc_snat_job *x = &j->v[i];
			if (x->create == e.create && !strcmp(x->router, e.router) &&
			    !strcmp(x->port, e.port) && !strcmp(x->network, e.network)) {
				if (rc == 0)
					x->done = true;
				else {
					x->next_ms = now_ms() + RETRY_MS;
					x->fails++;
				}
			}
		}
		pthread_mutex_unlock(&s->mu);
	}
}
