/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_fanout.c — wyv-fanout: one machine playing many hosts that
 * watch one central database, through the controller's own sync code.
 *
 *   wyv-fanout URL WATCHERS UPDATES [--ttl S] [--gap-ms M] [--timeout S]
 *
 * Each simulated host is the sync half of a local controller (lc_sync.c,
 * the code wyvernd runs): its own db handle and connection, its chassis
 * registered as "fanout-NNNN" (with a liveness lease of --ttl seconds,
 * default 10 as wyvernd; 0 = none), a snapshot scan of /wyvern/v1/, then a
 * watch, with the same revision grouping, liveness probes and resync
 * rules.  Nothing is compiled: this is the watcher-only mode — the control
 * thread's place is taken by the measuring loop, which waits on every
 * host's queue (its eventfd) and takes what arrives.
 *
 * Once every host holds its snapshot, one northbound update (nb_update of
 * a probe network's name, through a separate handle) is made UPDATES
 * times, each after every host received the one before (or --timeout
 * passed) and a gap of --gap-ms (default 20).  Latency = from just before
 * the write to the moment the host's queue hands over the event (same
 * clock, one process).  A host that never sees an update within --timeout
 * (default 10 s) counts as missed; an update seen at a revision other than
 * the write's counts as wrong.
 *
 * Measuring starts when the streams have been quiet for 2 s: each host's
 * liveness key is an event for every other host, N^2 deliveries at start.
 *
 * Prints one line:
 *   watchers=N updates=K p50_ms=.. p99_ms=.. max_ms=.. missed=M wrong=W
 *   connect_s=S settle_s=S2 resyncs=R
 * Exit status 0 when missed = wrong = 0.
 *
 * Threads: main (the measuring loop, the writer); per host the sync thread
 * and its db watch thread, as in wyvernd. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "db.h"
#include "lc_priv.h"
#include "mdl.h"
#include "nb.h"

#define PROBE_ID "fa0fa0fa-0000-4000-8000-00000000f0f0"

struct host {
	struct lc lc;           /* only cfg and the sync fields are used */
	bool ready;             /* snapshot taken */
	bool got;               /* this round's update seen */
	uint64_t rev;           /* its revision */
	unsigned resyncs;
};

static double mono_ms(void)
{
	return (double)lc_mono_us() / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)n + 0.5);
	k = k ? k - 1 : 0;
	return v[k < n ? k : n - 1];
}

static void usage(void)
{
	fprintf(stderr, "usage: wyv-fanout URL WATCHERS UPDATES [--ttl S] [--gap-ms M] "
		"[--timeout S]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "wyv-fanout: bad number '%s' (%ld..%ld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

/* Takes host i's queue.  round_t0 >= 0: an update is in flight, written at
 * that time; a put of the probe records its latency. */
static size_t drain(struct host *h, double round_t0, double *lat, size_t *n_lat)
{
	struct lc_qev *ev = lc_sync_take(h->lc.sync);
	double now = mono_ms();
	size_t n = 0;
	while (ev) {
		n++;
		struct lc_qev *nx = ev->next;
		if (ev->type == LC_Q_SNAPSHOT) {
			h->ready = true;
		} else if (ev->type == LC_Q_COMPACTED || ev->type == LC_Q_RESYNC) {
			h->resyncs++;
			lc_sync_request(&h->lc);   /* as lc_run() does */
		} else if (ev->type == LC_Q_PUT && round_t0 >= 0 && !h->got &&
			   strstr(ev->key, PROBE_ID) != NULL) {
			h->got = true;
			h->rev = ev->revision;
			lat[(*n_lat)++] = now - round_t0;
		}
		lc_qev_free(ev);
		ev = nx;
	}
	return n;
}

/* Waits up to ms for queue activity and drains whatever woke; returns the
 * number of entries taken. */
static size_t poll_hosts(int ep, struct host *hosts, double ms, double round_t0, double *lat,
		       size_t *n_lat)
{
	struct epoll_event evs[256];
	int n = epoll_wait(ep, evs, 256, ms < 1 ? 1 : (int)ms);
	size_t taken = 0;
	for (int i = 0; i < n; i++) {
		struct host *h = &hosts[evs[i].data.u32];
		uint64_t cnt;
		if (read(h->lc.sync->evfd, &cnt, sizeof(cnt)) < 0) {
			/* EAGAIN: already drained by an earlier wake */
		}
		taken += drain(h, round_t0, lat, n_lat);
	}
	return taken;
}

static void raise_nofile(size_t need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need
										    : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
			fprintf(stderr, "wyv-fanout: warning: open files limited to %llu "
				"(%zu wanted)\n", (unsigned long long)rl.rlim_cur, need);
	}
}

static int probe_write(struct db *db, unsigned round, uint64_t *rev, char *err, size_t es)
{
	struct mdl_hdr *cur = NULL;
	uint64_t mod = 0;
	int rc = nb_get(db, MDL_NETWORK, PROBE_ID, &cur, &mod);
	if (rc == -ENOENT) {
		cur = mdl_obj_alloc(MDL_NETWORK);
		if (cur == NULL)
			return -ENOMEM;
		snprintf(cur->id, sizeof(cur->id), "%s", PROBE_ID);
		struct mdl_network *n = mdl_hdr_to_network(cur);
		snprintf(n->network_type, sizeof(n->network_type), "local");
		snprintf(n->name, sizeof(n->name), "fanout-probe-%u", round);
		n->admin_state_up = true;
		rc = nb_create(db, cur, rev, err, es);
	} else if (rc == 0) {
		struct mdl_network *n = mdl_hdr_to_network(cur);
		snprintf(n->name, sizeof(n->name), "fanout-probe-%u", round);
		rc = nb_update(db, cur, mod, rev, err, es);
	} else {
		snprintf(err, es, "read the probe network: %s", strerror(-rc));
	}
	mdl_obj_free(cur);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		usage();
	const char *url = argv[1];
	long n = num(argv[2], 1, 100000), k = num(argv[3], 1, 1000000);
	long ttl = 10, gap = 20, timeout = 10;
	for (int i = 4; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--ttl"))
			ttl = num(argv[++i], 0, 3600);
		else if (!strcmp(argv[i], "--gap-ms"))
			gap = num(argv[++i], 0, 60000);
		else if (!strcmp(argv[i], "--timeout"))
			timeout = num(argv[++i], 1, 3600);
		else
			usage();
	}
	if (strlen(url) >= LC_URL_LEN) {
		fprintf(stderr, "wyv-fanout: URL too long\n");
		return 2;
	}
	/* per host: its eventfd, the watch stream, a probe or a request */
	raise_nofile((size_t)n * 4 + 64);

	char err[MDL_ERR_SIZE] = "";
	struct db_opts env_opts = { 0 };
	db_opts_from_env(&env_opts);   /* WYVERN_DB_*: TLS, user, as wyctl */
	const struct db_opts *env = &env_opts;
	struct db *wdb = db_open_opts(url, env, err, sizeof(err));
	if (wdb == NULL) {
		fprintf(stderr, "wyv-fanout: %s: %s\n", url, err[0] ? err : strerror(errno));
		return 1;
	}
	uint64_t rev = 0;
	if (probe_write(wdb, 0, &rev, err, sizeof(err)) != 0) {
		fprintf(stderr, "wyv-fanout: probe network: %s\n", err);
		return 1;
	}

	struct host *hosts = calloc((size_t)n, sizeof(*hosts));
	double *lat = calloc((size_t)n * (size_t)k, sizeof(double));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (hosts == NULL || lat == NULL || ep < 0) {
		fprintf(stderr, "wyv-fanout: out of memory\n");
		return 1;
	}
	double t_start = mono_ms();
	for (long i = 0; i < n; i++) {
		struct lc_config *c = &hosts[i].lc.cfg;
		snprintf(c->db_url, sizeof(c->db_url), "%s", url);
#define COPY_OPT(f, o) if (env->o) snprintf(c->f, sizeof(c->f), "%s", env->o)
		COPY_OPT(db_ca, ca_file);
		COPY_OPT(db_cert, cert_file);
		COPY_OPT(db_key, key_file);
		COPY_OPT(db_user, user);
		COPY_OPT(db_password_file, password_file);
#undef COPY_OPT
		snprintf(c->chassis, sizeof(c->chassis), "fanout-%04ld", i);
		snprintf(c->vtep_ip, sizeof(c->vtep_ip), "198.18.%ld.%ld", (i >> 8) & 255,
			 (i & 255) ? (i & 255) : 255);
		snprintf(c->encap, sizeof(c->encap), "vxlan");
		c->chassis_ttl_s = (unsigned)ttl;
		int rc = lc_sync_start(&hosts[i].lc);
		if (rc != 0) {
			fprintf(stderr, "wyv-fanout: host %ld: sync thread: %s\n", i, strerror(-rc));
			return 1;
		}
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, hosts[i].lc.sync->evfd, &e) != 0) {
			fprintf(stderr, "wyv-fanout: epoll: %s\n", strerror(errno));
			return 1;
		}
	}
	/* every host connected and holding its snapshot */
	size_t n_lat = 0;
	double deadline = mono_ms() + 60e3 + (double)n * 50;
	for (;;) {
		long ready = 0;
		for (long i = 0; i < n; i++) {
			struct lc_sync *sy = hosts[i].lc.sync;
			pthread_mutex_lock(&sy->mu);
			ready += hosts[i].ready && sy->connected;   /* watch made */
			pthread_mutex_unlock(&sy->mu);
		}
		if (ready == n)
			break;
		if (mono_ms() > deadline) {
			const char *why = "";
			for (long i = 0; i < n && !why[0]; i++)
				if (!hosts[i].ready)
					why = hosts[i].lc.sync->last_error;
			fprintf(stderr, "wyv-fanout: only %ld of %ld hosts synced; %s%s\n", ready,
				n, why[0] ? "one says: " : "no error reported", why);
			return 1;
		}
		poll_hosts(ep, hosts, 100, -1, lat, &n_lat);
	}
	double connect_s = (mono_ms() - t_start) / 1e3;
	/* Settle: every host's liveness key is an event for every other host
	 * (N^2 of them at start); measure once the streams have been quiet
	 * for 2 s, the steady state a running cloud is in. */
	double quiet_since = mono_ms(), settle_end = mono_ms() + 300e3;
	while (mono_ms() - quiet_since < 2000 && mono_ms() < settle_end)
		if (poll_hosts(ep, hosts, 200, -1, lat, &n_lat) > 0)
			quiet_since = mono_ms();
	double settle_s = (mono_ms() - t_start) / 1e3 - connect_s;

	/* round 0 is a warm-up (every stream carried one event), not counted */
	long missed = 0, wrong = 0;
	for (long r = 0; r <= k; r++) {
		double until = mono_ms() + (double)gap;
		while (mono_ms() < until)
			poll_hosts(ep, hosts, until - mono_ms(), -1, lat, &n_lat);
		for (long i = 0; i < n; i++)
			hosts[i].got = false;
		double t0 = mono_ms();
		if (probe_write(wdb, (unsigned)r + 1, &rev, err, sizeof(err)) != 0) {
			fprintf(stderr, "wyv-fanout: update %ld: %s\n", r, err);
			return 1;
		}
		double end = t0 + (double)timeout * 1e3;
		long got;
		do {
			poll_hosts(ep, hosts, 5, t0, lat, &n_lat);
			got = 0;
			for (long i = 0; i < n; i++)
				got += hosts[i].got;
		} while (got < n && mono_ms() < end);
		if (r == 0) {
			n_lat = 0;
			continue;
		}
		missed += n - got;
		for (long i = 0; i < n; i++)
			if (hosts[i].got && hosts[i].rev != rev)
				wrong++;
	}

	unsigned resyncs = 0;
	for (long i = 0; i < n; i++) {
		resyncs += hosts[i].resyncs;
		lc_sync_stop(&hosts[i].lc);
	}
	db_close(wdb);
	qsort(lat, n_lat, sizeof(double), cmp_d);
	printf("watchers=%ld updates=%ld p50_ms=%.2f p99_ms=%.2f max_ms=%.2f missed=%ld "
	       "wrong=%ld connect_s=%.2f settle_s=%.2f resyncs=%u\n", n, k, pct(lat, n_lat, 50),
	       pct(lat, n_lat, 99), n_lat ? lat[n_lat - 1] : 0.0, missed, wrong, connect_s,
	       settle_s, resyncs);
	free(lat);
	free(hosts);
	close(ep);
	return missed || wrong ? 1 : 0;
}
