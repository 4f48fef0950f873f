/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_sync.c — the sync thread and the queue to the control thread.
 *
 * Threads:
 *  - sync thread (one per lc): every blocking call to the central db: open,
 *    chassis registration, scan (snapshot at revision R), db_watch(R + 1).
 *    An etcd request may block up to ~20 s while the cluster is down, which
 *    is why none of this runs on the control thread.  Failures are retried
 *    every second.  It waits on a condition variable for resync requests.
 *  - db watch thread: watch_cb copies each event into the queue.
 *  - control thread: lc_sync_take() (whole queue), lc_sync_request().
 * The queue keeps arrival order; the snapshot is queued before its watch is
 * created, so it precedes every event of that watch.  A watch that cannot
 * keep exactly-once (DB_EV_COMPACTED, DB_EV_RESYNC: store restored or
 * recreated) ends with an entry that makes lc_run() ask for a resync; an
 * event watch_cb cannot queue (allocation failure) marks its watch lost —
 * later events of that watch are dropped — and asks for the resync itself.  Each watch has a
 * generation number; entries of a replaced watch are dropped by lc_run().
 * struct lc_sync is refcounted: if the sync thread does not stop within 2 s
 * (stuck in an etcd request) lc_destroy() detaches it and the thread frees
 * the shared state when its call returns.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "nb.h"
#include "lc_priv.h"

void lc_qev_free(struct lc_qev *ev)
{
	if (ev == NULL)
		return;
	if (ev->snap) {
		for (size_t i = 0; i < ev->snap->n; i++) {
			free(ev->snap->keys[i]);
			free(ev->snap->vals[i]);
		}
		free(ev->snap->keys);
		free(ev->snap->vals);
		free(ev->snap->lens);
		free(ev->snap);
	}
	free(ev->key);
	free(ev->value);
	free(ev);
}

static void sync_unref(struct lc_sync *s)
{
	pthread_mutex_lock(&s->mu);
	int left = --s->refs;
	pthread_mutex_unlock(&s->mu);
	if (left > 0)
		return;
	struct lc_qev *ev = s->head;
	while (ev) {
		struct lc_qev *nx = ev->next;
		lc_qev_free(ev);
		ev = nx;
	}
	close(s->evfd);
	lc_smap_free(s->status);
	lc_snat_jobs_free(s->snat);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* The control thread has queue entries to take (lc_fd readable). */
static void sync_wake(struct lc_sync *s)
{
	uint64_t one = 1;
	if (write(s->evfd, &one, sizeof(one)) < 0) {
		/* counter overflow is impossible in practice; the queue is the truth */
	}
}

/* Queues the chain ev..last (linked by next) as one unit: the control
 * thread takes all of it or none. */
static void put_chain(struct lc_sync *s, struct lc_qev *ev, struct lc_qev *last)
{
	last->next = NULL;
	pthread_mutex_lock(&s->mu);
	for (struct lc_qev *e = ev; e; e = e->next) {
		if ((e->type == LC_Q_PUT || e->type == LC_Q_DELETE) && e->revision > s->seen_rev)
			s->seen_rev = e->revision;
		else if (e->type == LC_Q_SNAPSHOT && e->snap)
			s->seen_rev = e->snap->revision;        /* the end of one */
	}
	if (s->tail)
		s->tail->next = ev;
	else
		s->head = ev;
	s->tail = last;
	pthread_mutex_unlock(&s->mu);
	sync_wake(s);
}

void lc_sync_put(struct lc_sync *s, struct lc_qev *ev)
{
	put_chain(s, ev, ev);
}

struct lc_qev *lc_sync_take(struct lc_sync *s)
{
	pthread_mutex_lock(&s->mu);
	struct lc_qev *h = s->head;
	s->head = s->tail = NULL;
	pthread_mutex_unlock(&s->mu);
	return h;
}

void lc_sync_untake(struct lc_sync *s, struct lc_qev *ev)
{
	if (ev == NULL)
		return;
	struct lc_qev *last = ev;
	while (last->next)
		last = last->next;
	pthread_mutex_lock(&s->mu);
	last->next = s->head;
	s->head = ev;
	if (s->tail == NULL)
		s->tail = last;
	pthread_mutex_unlock(&s->mu);
	sync_wake(s);
}

static void post_status(struct lc_sync *s, const char *msg)
{
	struct lc_qev *ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return;
	ev->type = LC_Q_STATUS;
	ev->key = strdup(msg);
	lc_sync_put(s, ev);
}

/* ---- chassis registration ---------------------------------------------- */

static struct mdl_hdr *chassis_obj(const struct lc_config *cfg)
{
	struct mdl_hdr *h = mdl_obj_alloc(MDL_CHASSIS);
	if (h == NULL)
		return NULL;
	struct mdl_chassis *c = mdl_hdr_to_chassis(h);
	mdl_chassis_id(cfg->chassis, h->id);
	snprintf(c->name, sizeof(c->name), "%s", cfg->chassis);
	snprintf(c->vtep_ip, sizeof(c->vtep_ip), "%s", cfg->vtep_ip);
	c->gateway = cfg->gateway;
	c->gateway_priority = cfg->gateway_priority;
	char enc[64], *save = NULL;
	snprintf(enc, sizeof(enc), "%s", cfg->encap);
	c->encap_types = calloc(4, MDL_ENUM_SIZE);
	for (char *t = strtok_r(enc, ", ", &save); t && c->encap_types && c->n_encap_types < 4;
	     t = strtok_r(NULL, ", ", &save))
		snprintf(c->encap_types[c->n_encap_types++], MDL_ENUM_SIZE, "%s", t);
	return h;
}

static bool chassis_same(const struct mdl_chassis *a, const struct mdl_chassis *b)
{
	if (strcmp(a->name, b->name) || strcmp(a->vtep_ip, b->vtep_ip) ||
	    a->n_encap_types != b->n_encap_types || a->gateway != b->gateway ||
	    a->gateway_priority != b->gateway_priority)
		return false;
	for (size_t i = 0; i < a->n_encap_types; i++)
		if (strcmp(a->encap_types[i], b->encap_types[i]))
			return false;
	return true;
}

static int register_chassis(struct lc_sync *s, struct db *db, char *err, size_t es)
{
	struct mdl_hdr *want = chassis_obj(&s->cfg), *cur = NULL;
	uint64_t mod;
	if (want == NULL)
		return -ENOMEM;
	int rc = nb_get(db, MDL_CHASSIS, want->id, &cur, &mod);
	if (rc == -ENOENT)
		rc = nb_create(db, want, NULL, err, es);
	else if (rc == 0 && !chassis_same(mdl_hdr_to_chassis(cur), mdl_hdr_to_chassis(want)))
		rc = nb_update(db, want, mod, NULL, err, es);
	mdl_obj_free(cur);
	mdl_obj_free(want);
	return rc;
}

/* ---- watch ------------------------------------------------------------- */
struct watch_arg {
	struct lc_sync *s;
	uint64_t gen;
	bool lost;              /* an event was dropped: resync requested */
	/* events of a revision whose end the driver has not marked yet: queued
	 * together at its end, so a controller batch never stops inside a
	 * transaction (a router and its interface port, a port and its
	 * claims) */
	struct lc_qev *ph, *pt;
};

static void watch_arg_free(struct watch_arg *wa)
{
	if (wa == NULL)
		return;
	for (struct lc_qev *e = wa->ph, *nx; e; e = nx) {
		nx = e->next;
		lc_qev_free(e);
	}
	free(wa);
}

/* An event could not be queued: nothing of this watch is trusted any more. */
static void watch_lost(struct watch_arg *wa)
{
	struct lc_sync *s = wa->s;
	wa->lost = true;
	pthread_mutex_lock(&s->mu);
	s->n_lost++;
	s->want_sync = true;
	snprintf(s->last_error, sizeof(s->last_error), "watch: an event was dropped "
		 "(out of memory): resync");
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void watch_cb(const struct db_event *e, void *arg)
{
	struct watch_arg *wa = arg;
	if (wa->lost)
		return;
	struct lc_qev *ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		watch_lost(wa);
		return;
	}
	ev->gen = wa->gen;
	ev->revision = e->revision;
	if (e->type == DB_EV_COMPACTED) {
		ev->type = LC_Q_COMPACTED;
	} else if (e->type == DB_EV_RESYNC) {
		ev->type = LC_Q_RESYNC;
		const char *why = db_last_error();
		ev->key = why[0] ? strdup(why) : NULL;
	} else {
		ev->type = e->type == DB_EV_PUT ? LC_Q_PUT : LC_Q_DELETE;
		ev->key = strdup(e->key);
		if (e->type == DB_EV_PUT) {
			ev->value = malloc(e->value_len + 1);
			if (ev->value) {
				memcpy(ev->value, e->value, e->value_len);
				ev->value[e->value_len] = 0;
				ev->len = e->value_len;
			}
		}
		if (ev->key == NULL || (e->type == DB_EV_PUT && ev->value == NULL)) {
			lc_qev_free(ev);
			watch_lost(wa);
			return;
		}
	}
	ev->next = NULL;
	if (wa->pt)
		wa->pt->next = ev;
	else
		wa->ph = ev;
	wa->pt = ev;
	if ((ev->type == LC_Q_PUT || ev->type == LC_Q_DELETE) && !e->rev_end)
		return;   /* more of this revision follows */
	put_chain(wa->s, wa->ph, wa->pt);
	wa->ph = wa->pt = NULL;
}

/* One event of a snapshot: a page (LC_Q_SNAP_PAGE: its pairs, taken from
 * l; first = the snapshot starts here) or the end (LC_Q_SNAPSHOT, l NULL:
 * the revision, and the count for the log). */
static struct lc_qev *snapshot_ev(enum lc_qtype type, struct db_kv_list *l, bool first,
				  uint64_t revision, uint64_t gen)
{
	struct lc_qev *ev = calloc(1, sizeof(*ev));
	struct lc_snap *sn = calloc(1, sizeof(*sn));
	if (ev == NULL || sn == NULL) {
		free(ev);
		free(sn);
		return NULL;
	}
	ev->type = type;
	ev->gen = gen;
	ev->snap = sn;
	sn->revision = revision;
	sn->first = first;
	if (l == NULL)
		return ev;
	sn->keys = calloc(l->n + 1, sizeof(char *));
	sn->vals = calloc(l->n + 1, sizeof(char *));
	sn->lens = calloc(l->n + 1, sizeof(size_t));
	if (!sn->keys || !sn->vals || !sn->lens) {
		lc_qev_free(ev);
		return NULL;
	}
	char cid[MDL_ID_SIZE];
	for (size_t i = 0; i < l->n; i++) {
		if (lc_key_type(l->kvs[i].key, NULL) < 0 && !lc_alive_key(l->kvs[i].key, cid))
			continue;
		sn->keys[sn->n] = l->kvs[i].key;      /* steal */
		sn->vals[sn->n] = l->kvs[i].value;
		sn->lens[sn->n] = l->kvs[i].value_len;
		l->kvs[i].key = NULL;
		l->kvs[i].value = NULL;
		sn->n++;
	}
	return ev;
}

/* db_scan_pages' callback: each page is queued as it arrives, so the
 * control thread applies one while the next is read */
struct scan_arg {
	struct lc_sync *s;
	uint64_t gen;
	size_t n;               /* pairs since the last start */
};

static int scan_page_cb(struct db_kv_list *l, bool start, void *arg)
{
	struct scan_arg *sa = arg;
	if (start)
		sa->n = 0;
	sa->n += l->n;
	struct lc_qev *ev = snapshot_ev(LC_Q_SNAP_PAGE, l, start, l->revision, sa->gen);
	if (ev == NULL)
		return -ENOMEM;
	lc_sync_put(sa->s, ev);
	return 0;
}

static void wait_locked(struct lc_sync *s, unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

static void *sync_main(void *arg)
{
	struct lc_sync *s = arg;
	struct db *db = s->borrowed;
	bool own = false;
	struct db_watch *w = NULL;
	struct watch_arg *wa = NULL;
	char err[MDL_ERR_SIZE], reported[sizeof(s->last_error)] = "";
	struct db_opts opts = {
		.ca_file = s->cfg.db_ca, .cert_file = s->cfg.db_cert, .key_file = s->cfg.db_key,
		.user = s->cfg.db_user, .password_file = s->cfg.db_password_file,
		.watch_idle_ms = s->cfg.db_watch_idle_ms,
		.scan_page_keys = s->cfg.db_scan_page_keys,
	};

	struct lc_alive_lease alive = { 0 };
	int alive_rc = 0;
	int64_t status_lease = -1;      /* the lease the statuses were written under */

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		if (!s->want_sync) {
			if (s->connected && db != NULL) {
				/* our liveness key (lc_alive.c): refreshed every
				 * third of the ttl, put again after expiry */
				uint64_t seen = s->seen_rev;
				bool writes = (s->cfg.chassis_ttl_s && alive.lease == 0) ||
					      alive.lease != status_lease || s->status_wanted;
				pthread_mutex_unlock(&s->mu);
				/* Before we write: has the store gone back behind what
				 * the watch delivered (restored from a snapshot)?  Our
				 * own writes would carry it past the revision the watch
				 * compares on reconnect, hiding the restore: resync. */
				uint64_t now_rev = 0;
				if (writes && db_revision(db, &now_rev) == 0 && now_rev < seen) {
					pthread_mutex_lock(&s->mu);
					s->want_sync = true;
					continue;
				}
				int arc = lc_alive_tick(db, &s->cfg, &alive);
				if (arc == -ENOENT) {
					/* our lease is gone: cut off for a ttl, or the
					 * store restored — resync before writing again */
					pthread_mutex_lock(&s->mu);
					s->want_sync = true;
					continue;
				}
				if (arc && !alive_rc) {
					char m[300];
					snprintf(m, sizeof(m), "chassis liveness key: %s: %s",
						 strerror(-arc), db_last_error());
					post_status(s, m);
				}
				alive_rc = arc;
				/* port statuses live under the same lease: all of
				 * them again under a new one */
				if (s->cfg.chassis_ttl_s == 0 || alive.lease != 0) {
					bool all = alive.lease != status_lease;
					if (lc_status_flush(s, db, alive.lease, all) == 0)
						status_lease = alive.lease;
				}
				lc_snat_ports_flush(s, db, post_status);
				pthread_mutex_lock(&s->mu);
				if (s->stop || s->want_sync)
					continue;
			}
			wait_locked(s, 1000);
			continue;
		}
		pthread_mutex_unlock(&s->mu);
		int rc = 0;
		const char *what = "open";
		err[0] = 0;
		if (db == NULL) {
			db = db_open_opts(s->cfg.db_url, &opts, err, sizeof(err));
			if (db == NULL)
				rc = -errno;
			else
				own = true;
		}
		if (db != NULL) {
			pthread_mutex_lock(&s->mu);
			s->pub_db = db;
			pthread_mutex_unlock(&s->mu);
		}
		if (rc == 0) {
			what = "register chassis";
			rc = register_chassis(s, db, err, sizeof(err));
			if (rc && rc != -EINVAL && !err[0])
				snprintf(err, sizeof(err), "%s", db_last_error());
			if (rc == -EINVAL) {
				/* bad chassis values: report, but sync anyway */
				char m[300];
				snprintf(m, sizeof(m), "chassis not registered: %s", err);
				post_status(s, m);
				rc = 0;
			}
		}
		uint64_t t0 = lc_mono_us(), snap_rev = 0;
		struct scan_arg sa = { .s = s };
		if (rc == 0) {
			/* no callback of the old watch after this: the snapshot
			 * covers what it would have said, and a new generation
			 * drops what it queued */
			db_watch_cancel(w);
			w = NULL;
			watch_arg_free(wa);
			wa = NULL;
			pthread_mutex_lock(&s->mu);
			sa.gen = ++s->gen;
			pthread_mutex_unlock(&s->mu);
			what = "scan";
			/* pages go to the control thread as they arrive; it applies
			 * them, and compiles once the end is queued below */
			rc = db_scan_pages(db, LC_PREFIX, scan_page_cb, &sa, &snap_rev);
			if (rc)
				snprintf(err, sizeof(err), "%s", db_last_error());
		}
		if (rc == 0) {
			wa = calloc(1, sizeof(*wa));
			struct lc_qev *ev = wa ? snapshot_ev(LC_Q_SNAPSHOT, NULL, false, snap_rev,
							     sa.gen) : NULL;
			uint64_t from = snap_rev + 1;
			char m[160];
			snprintf(m, sizeof(m), "snapshot of %zu keys at revision %llu read in %llu ms",
				 sa.n, (unsigned long long)snap_rev,
				 (unsigned long long)((lc_mono_us() - t0) / 1000));
			post_status(s, m);
			if (ev == NULL) {
				rc = -ENOMEM;
			} else {
				lc_sync_put(s, ev);
				wa->s = s;
				wa->gen = sa.gen;
				what = "watch";
				w = db_watch(db, LC_PREFIX, from, watch_cb, wa);
				if (w == NULL) {
					rc = errno ? -errno : -EIO;
					snprintf(err, sizeof(err), "%s", db_last_error());
				}
			}
		}
		pthread_mutex_lock(&s->mu);
		if (rc == 0) {
			s->want_sync = false;
			s->connected = true;
			s->last_error[0] = 0;
		} else {
			s->connected = false;
			snprintf(s->last_error, sizeof(s->last_error), "%s: %s%s%s", what,
				 strerror(-rc), err[0] ? ": " : "", err);
			if (strcmp(reported, s->last_error) != 0) {
				/* say it once (in the log), not every second */
				snprintf(reported, sizeof(reported), "%s", s->last_error);
				pthread_mutex_unlock(&s->mu);
				post_status(s, reported);
				pthread_mutex_lock(&s->mu);
			}
			if (!s->stop)
				wait_locked(s, 1000);
		}
	}
	s->pub_db = NULL;
	pthread_mutex_unlock(&s->mu);
	db_watch_cancel(w);
	watch_arg_free(wa);
	if (db != NULL)
		lc_alive_end(db, &alive);   /* a clean stop: gone at once */
	if (own)
		db_close(db);
	sync_unref(s);
	return NULL;
}

int lc_sync_start(struct lc *lc)
{
	if (lc->sync != NULL || (lc->cfg.db_url[0] == 0 && lc->cfg.db == NULL))
		return 0;       /* running (lc_preload started it), or no central db */
	struct lc_sync *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->evfd < 0) {
		int rc = -errno;
		free(s);
		return rc;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->status = lc_smap_new();   /* NULL: no port status, nothing else lost */
	s->cfg = lc->cfg;
	s->borrowed = lc->cfg.db;
	s->want_sync = true;
	s->refs = 2;   /* lc + thread */
	int rc = pthread_create(&lc->thread, NULL, sync_main, s);
	if (rc != 0) {
		s->refs = 1;
		sync_unref(s);
		return -rc;
	}
	pthread_setname_np(lc->thread, "wyv-lc-sync");
	lc->sync = s;
	lc->thread_running = true;
	return 0;
}

/* lc_pin_threads (lc.h): every thread named wyv-* or rocksdb:* (the sync
 * thread, the watch threads it made, which carry its name, RocksDB's pool)
 * gets the calling thread's CPUs.  Not the preload: lc_start joins it
 * before the PMDs start, and pinned beside the main thread it would slow
 * the restart it is there to speed up (1.3 -> 1.7-1.9 s at 100k). */
int lc_pin_threads(struct lc *lc)
{
	(void)lc;
	cpu_set_t set;
	int rc = pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc != 0)
		return -rc;
	DIR *d = opendir("/proc/self/task");
	if (d == NULL)
		return -errno;
	pid_t me = gettid();
	int n = 0, err = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char path[64], comm[32] = "";
		pid_t tid = (pid_t)strtol(e->d_name, NULL, 10);
		if (tid <= 0 || tid == me)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;       /* it ended meanwhile */
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = 0;
		fclose(f);
		if ((strncmp(comm, "wyv-", 4) != 0 && strncmp(comm, "rocksdb:", 8) != 0) ||
		    strncmp(comm, "wyv-preload", 11) == 0)
			continue;       /* the preload ends before the PMDs start */
		if (sched_setaffinity(tid, sizeof(set), &set) == 0)
			n++;
		else if (errno != ESRCH)
			err = -errno;
	}
	closedir(d);
	return err ? err : n;
}

void lc_sync_request(struct lc *lc)
{
	if (lc->sync == NULL)
		return;
	pthread_mutex_lock(&lc->sync->mu);
	lc->sync->want_sync = true;
	pthread_cond_signal(&lc->sync->cv);
	pthread_mutex_unlock(&lc->sync->mu);
}

void lc_sync_stop(struct lc *lc)
{
	struct lc_sync *s = lc->sync;
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (lc->thread_running) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		/* a borrowed db (lc_config.db) is closed by its owner once we
		 * return: the thread must be out of it, however long its call
		 * takes (a detached thread still cancelling its watch while the
		 * owner's db_close cancels the same one joined that watch's
		 * thread twice: cp_lcbench hung in etcd_close) */
		if (lc->cfg.db != NULL)
			pthread_join(lc->thread, NULL);
		else if (pthread_timedjoin_np(lc->thread, NULL, &ts) != 0)
			pthread_detach(lc->thread);   /* it frees s when its call returns */
		lc->thread_running = false;
	}
	lc->sync = NULL;
	sync_unref(s);
}

struct db *lc_central_db(struct lc *lc)
{
	struct lc_sync *s = lc->sync;
	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&s->mu);
	struct db *db = s->pub_db;
	pthread_mutex_unlock(&s->mu);
	return db;
}
