/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/metrics.c — the Prometheus endpoint (see metrics.h) and the
 * exposition: names are snake_case with the wyvern_ prefix, counters end in
 * _total, units are in the name (_bytes, _cycles), labels say which port,
 * PMD (its lcore) or reason.  Datapath counters restart at 0 after
 * `wyctl stats clear` (Prometheus treats that as a counter reset).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <rte_mempool.h>

#include "app_dhcp.h"
#include "ctrl.h"
#include "lc.h"
#include "log.h"
#include "mdl.h"
#include "feature.h"
#include "metrics.h"

struct ctrl_metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *text;                 /* latest snapshot (lock) */
	size_t len;
	uint64_t gen;               /* snapshots published (lock) */
	int want;                   /* a scrape waits (atomic) */
	uint64_t scrapes;           /* atomic */
};

int ctrl_metrics_parse_listen(const char *s, struct sockaddr_storage *sa, char *err,
			      size_t errlen)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	memset(sa, 0, sizeof(*sa));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e == NULL || e[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(e - h);
		colon = e + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = 0;
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (colon[1] == 0 || *end || port == 0 || port > 65535)
		goto bad;
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
	} else {
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "listen must be IPV4:PORT or [IPV6]:PORT (e.g. 127.0.0.1:9464), "
		 "not '%s'", s);
	return -EINVAL;
}

/* ---- the exposition ----------------------------------------------------- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \ " and newline escaped. */
static const char *esc(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; *s && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			buf[n++] = '\\';
			buf[n++] = *s;
		} else if (*s == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = 0;
	return buf;
}

#define PORT_FIELD(fname, type, help, expr)                                                \
	do {                                                                               \
		family(f, fname, type, help);                                              \
		for (unsigned i = 0; i < np; i++) {                                        \
			const struct dp_port_info *p = &ports[i];                          \
			fprintf(f, "%s{port=\"%s\"} %llu\n", fname, esc(p->name, lb, sizeof(lb)),\
				(unsigned long long)(expr));                               \
		}                                                                          \
	} while (0)

#define PMD_FIELD(fname, type, help, expr)                                                 \
	do {                                                                               \
		family(f, fname, type, help);                                              \
		for (unsigned i = 0; i < nm; i++) {                                        \
			const struct dp_pmd_stats *s = &pmds[i];                           \
			fprintf(f, "%s{pmd=\"%u\"} %llu\n", fname, s->lcore,              \
				(unsigned long long)(expr));                               \
		}                                                                          \
	} while (0)

static void render_dp(struct ctrl *c, FILE *f)
{
	static struct dp_port_info ports[DP_MAX_PORTS];
	static struct dp_pmd_stats pmds[DP_MAX_PMDS];
	unsigned np = 0, nm = 0;
	char lb[256];
	for (unsigned i = 0; i < dp_port_max(c->dp) && np < DP_MAX_PORTS; i++)
		if (dp_port_info(c->dp, (uint16_t)i, &ports[np]) == 0)
			np++;
	for (unsigned i = 0; i < dp_n_pmds(c->dp) && nm < DP_MAX_PMDS; i++)
		if (dp_pmd_stats(c->dp, i, &pmds[nm]) == 0)
			nm++;

	PORT_FIELD("wyvern_port_rx_packets_total", "counter", "Packets received on a dp port.",
		   p->rx_packets);
	PORT_FIELD("wyvern_port_tx_packets_total", "counter", "Packets sent on a dp port.",
		   p->tx_packets);
	PORT_FIELD("wyvern_port_rx_bytes_total", "counter", "Bytes received on a dp port.",
		   p->rx_bytes);
	PORT_FIELD("wyvern_port_tx_bytes_total", "counter", "Bytes sent on a dp port.",
		   p->tx_bytes);
	PORT_FIELD("wyvern_port_rx_missed_packets_total", "counter",
		   "Packets the device dropped because its rx queue was full.", p->rx_missed);
	PORT_FIELD("wyvern_port_rx_nombuf_packets_total", "counter",
		   "Packets the driver dropped for want of an mbuf.", p->rx_nombuf);
	PORT_FIELD("wyvern_port_rx_errors_total", "counter", "Erroneous received packets.",
		   p->rx_errors);
	PORT_FIELD("wyvern_port_tx_errors_total", "counter",
		   "Packets the device failed to send.", p->tx_errors);
	PORT_FIELD("wyvern_port_link_up", "gauge",
		   "1 when the driver reports the link up (tap: as seen by the kernel).",
		   p->link_up ? 1 : 0);

	PMD_FIELD("wyvern_pmd_rx_packets_total", "counter", "Packets a PMD thread received.",
		  s->rx_packets);
	PMD_FIELD("wyvern_pmd_tx_packets_total", "counter", "Packets a PMD thread sent.",
		  s->tx_packets);
	PMD_FIELD("wyvern_pmd_emc_hits_total", "counter", "Exact-match cache hits.", s->emc_hits);
	PMD_FIELD("wyvern_pmd_megaflow_hits_total", "counter", "Megaflow classifier hits.",
		  s->mfc_hits);
	PMD_FIELD("wyvern_pmd_marked_hits_total", "counter",
		  "Packets a NIC marked with a live megaflow's mark (offload: no lookup).",
		  s->mark_hits);
	PMD_FIELD("wyvern_pmd_stale_marks_total", "counter",
		  "Marked packets whose megaflow was gone (software path).", s->mark_stale);
	PMD_FIELD("wyvern_pmd_upcalls_total", "counter",
		  "Cache misses translated over the tables (upcalls).", s->misses);
	PMD_FIELD("wyvern_pmd_busy_cycles_total", "counter",
		  "TSC cycles spent in iterations that received packets.", s->busy_cycles);
	PMD_FIELD("wyvern_pmd_idle_cycles_total", "counter",
		  "TSC cycles spent polling empty queues or asleep.", s->idle_cycles);
	PMD_FIELD("wyvern_pmd_upcall_cycles_total", "counter",
		  "TSC cycles spent translating misses.", s->upcall_cycles);
	PMD_FIELD("wyvern_pmd_iterations_total", "counter", "Poll loop iterations.",
		  s->iterations);
	PMD_FIELD("wyvern_pmd_timed_packets_total", "counter",
		  "Packets of the sampled, timed iterations (1 in 16).", s->timed_packets);
	PMD_FIELD("wyvern_pmd_timed_cycles_total", "counter",
		  "TSC cycles of the sampled, timed iterations.", s->timed_cycles);
	PMD_FIELD("wyvern_pmd_timed_driver_cycles_total", "counter",
		  "Of those, TSC cycles inside the drivers' rx and tx burst calls.",
		  s->timed_driver_cycles);
	PMD_FIELD("wyvern_pmd_sleeps_total", "counter", "Idle back-off sleeps.", s->sleeps);
	PMD_FIELD("wyvern_pmd_megaflow_invalidations_total", "counter",
		  "Megaflows removed by table changes.", s->invalidations);
	PMD_FIELD("wyvern_pmd_cache_flushes_total", "counter",
		  "Whole-cache flushes (invalidation log overrun or cache flush).", s->flushes);
	PMD_FIELD("wyvern_pmd_megaflows", "gauge", "Megaflows installed.", s->megaflows);
	PMD_FIELD("wyvern_pmd_megaflow_subtables", "gauge", "Megaflow subtables (masks).",
		  s->subtables);

	family(f, "wyvern_pmd_tsc_hertz", "gauge", "TSC frequency: cycles per second.");
	for (unsigned i = 0; i < nm; i++)
		fprintf(f, "wyvern_pmd_tsc_hertz{pmd=\"%u\"} %llu\n", pmds[i].lcore,
			(unsigned long long)pmds[i].tsc_hz);
	family(f, "wyvern_drops_total", "counter", "Packets dropped, by PMD and reason.");
	for (unsigned i = 0; i < nm; i++)
		for (unsigned d = 1; d < DP_DROP__MAX; d++)
			fprintf(f, "wyvern_drops_total{pmd=\"%u\",reason=\"%s\"} %llu\n",
				pmds[i].lcore, dp_drop_name(d),
				(unsigned long long)pmds[i].drops[d]);
	family(f, "wyvern_punts_total", "counter",
	       "Packets punted to the control thread, by PMD and reason.");
	for (unsigned i = 0; i < nm; i++)
		for (unsigned p = 1; p < DP_PUNT__MAX; p++)
			fprintf(f, "wyvern_punts_total{pmd=\"%u\",reason=\"%s\"} %llu\n",
				pmds[i].lcore, dp_punt_name(p),
				(unsigned long long)pmds[i].punts[p]);

	struct rte_mempool *mp = dp_mempool(c->dp);
	if (mp != NULL) {
		family(f, "wyvern_mbuf_pool_size", "gauge", "Mbufs in the packet pool.");
		fprintf(f, "wyvern_mbuf_pool_size %u\n", mp->size);
		family(f, "wyvern_mbuf_pool_in_use", "gauge",
		       "Mbufs taken from the pool (rx rings, packets in flight, caches).");
		fprintf(f, "wyvern_mbuf_pool_in_use %u\n", rte_mempool_in_use_count(mp));
	}
	family(f, "wyvern_ctrl_punted_packets_total", "counter",
	       "Punted packets the control thread took off the punt ring.");
	fprintf(f, "wyvern_ctrl_punted_packets_total %llu\n", (unsigned long long)c->punted);
}

static void render_lc(struct ctrl *c, FILE *f)
{
	struct lc_stats s;
	lc_get_stats(c->lc, &s);
#define LC1(n, t, h, v)                                                                    \
	do {                                                                               \
		family(f, n, t, h);                                                        \
		fprintf(f, "%s %llu\n", n, (unsigned long long)(v));                       \
	} while (0)
	LC1("wyvern_ctrl_connected", "gauge",
	    "1 when the controller holds a snapshot and watches the central db.", s.connected);
	LC1("wyvern_ctrl_applied_revision", "gauge", "Central db revision applied.",
	    s.applied_revision);
	family(f, "wyvern_ctrl_events_total", "counter",
	       "Central db change events, by result (applied or ignored).");
	fprintf(f, "wyvern_ctrl_events_total{result=\"applied\"} %llu\n",
		(unsigned long long)s.events_applied);
	fprintf(f, "wyvern_ctrl_events_total{result=\"ignored\"} %llu\n",
		(unsigned long long)s.events_ignored);
	LC1("wyvern_ctrl_syncs_total", "counter", "Full snapshots applied.", s.syncs);
	LC1("wyvern_ctrl_resyncs_total", "counter", "Resyncs after compaction or a lost watch.",
	    s.resyncs);
	LC1("wyvern_ctrl_bad_objects_total", "counter",
	    "Invalid objects skipped (once per version).", s.bad_total);
	LC1("wyvern_ctrl_bad_objects", "gauge", "Objects currently skipped as invalid.", s.n_bad);
	LC1("wyvern_ctrl_table_ops_total", "counter", "Datapath table operations.", s.table_ops);
	LC1("wyvern_ctrl_table_errors_total", "counter", "Failed datapath table operations.",
	    s.table_errors);
	LC1("wyvern_ctrl_replica_txns_total", "counter", "Local replica transactions.",
	    s.replica_txns);
	LC1("wyvern_ctrl_replica_errors_total", "counter", "Failed local replica transactions.",
	    s.replica_errors);
	LC1("wyvern_ctrl_objects_known", "gauge", "Objects in the global index.", s.n_index);
	LC1("wyvern_ctrl_local_ports", "gauge", "Ports bound on this chassis.", s.n_local_ports);
#undef LC1
	family(f, "wyvern_ctrl_objects_held", "gauge", "Objects held in the replica, by type.");
	for (unsigned t = 0; t < MDL_N_TYPES && t < RTE_DIM(s.held); t++)
		fprintf(f, "wyvern_ctrl_objects_held{type=\"%s\"} %u\n",
			mdl_type_name((enum mdl_type)t), s.held[t]);
}

static void render_dhcp(FILE *f, const struct ctrl *c)
{
	struct app_dhcp_stats s;
	const struct app_dhcp *d = ctrl_feature_ctx(c, &app_dhcp_feature);
	if (d == NULL)
		return;
	app_dhcp_get_stats(d, &s);
	family(f, "wyvern_dhcp_requests_total", "counter",
	       "Well-formed DHCPv4 client messages, by message type.");
	for (unsigned t = 1; t < DHCP_TYPE__MAX; t++)
		fprintf(f, "wyvern_dhcp_requests_total{type=\"%s\"} %llu\n", dhcp_type_name(t),
			(unsigned long long)s.rx[t]);
	family(f, "wyvern_dhcp_replies_total", "counter", "DHCPv4 replies sent, by type.");
	fprintf(f, "wyvern_dhcp_replies_total{type=\"offer\"} %llu\n", (unsigned long long)s.offers);
	fprintf(f, "wyvern_dhcp_replies_total{type=\"ack\"} %llu\n", (unsigned long long)s.acks);
	fprintf(f, "wyvern_dhcp_replies_total{type=\"nak\"} %llu\n", (unsigned long long)s.naks);
	family(f, "wyvern_dhcp_drops_total", "counter",
	       "DHCPv4 messages not answered, by reason (malformed-* by parse error).");
	for (unsigned e = 1; e < DHCP_ERR__MAX; e++)
		fprintf(f, "wyvern_dhcp_drops_total{reason=\"malformed-%s\"} %llu\n",
			dhcp_err_name(e), (unsigned long long)s.malformed[e]);
	const struct {
		const char *reason;
		uint64_t v;
	} r[] = {
		{ "rate-limited", s.rate_limited }, { "blocked", s.blocked_drops },
		{ "no-lport", s.no_lport },         { "mac-mismatch", s.mac_mismatch },
		{ "no-data", s.no_data },           { "ignored", s.ignored },
		{ "tx-error", s.tx_errors },        { "nomem", s.nomem },
	};
	for (unsigned i = 0; i < RTE_DIM(r); i++)
		fprintf(f, "wyvern_dhcp_drops_total{reason=\"%s\"} %llu\n", r[i].reason,
			(unsigned long long)r[i].v);
	family(f, "wyvern_dhcp_port_blocks_total", "counter",
	       "Times a dp port was blocked for exceeding the DHCP rate.");
	fprintf(f, "wyvern_dhcp_port_blocks_total %llu\n", (unsigned long long)s.blocks);
}

char *ctrl_metrics_render(struct ctrl *c, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return NULL;
	if (c->dp)
		render_dp(c, f);
	if (c->lc)
		render_lc(c, f);
	render_dhcp(f, c);
	if (c->metrics) {
		family(f, "wyvern_metrics_scrapes_total", "counter", "Scrapes of this endpoint.");
		fprintf(f, "wyvern_metrics_scrapes_total %llu\n",
			(unsigned long long)__atomic_load_n(&c->metrics->scrapes, __ATOMIC_RELAXED));
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* ---- the HTTP side (its own thread) ----------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
			     size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result plain(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char *b = strdup(msg);
	return reply(conn, status, b, b ? strlen(b) : 0, "text/plain; charset=utf-8");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct ctrl_metrics *m = cls;
	(void)version;
	(void)upload;
	if (*con_cls == NULL) {          /* first call: headers only */
		*con_cls = m;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;        /* a body we ignore */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return plain(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (strcmp(url, "/metrics") != 0)
		return plain(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	__atomic_fetch_add(&m->scrapes, 1, __ATOMIC_RELAXED);
	char *body = NULL;
	size_t len = 0;
	pthread_mutex_lock(&m->lock);
	uint64_t gen = m->gen;
	__atomic_store_n(&m->want, 1, __ATOMIC_RELEASE);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	while (m->gen == gen)
		if (pthread_cond_timedwait(&m->cond, &m->lock, &dl) != 0)
			break;
	if (m->text != NULL) {
		body = malloc(m->len ? m->len : 1);
		if (body) {
			memcpy(body, m->text, m->len);
			len = m->len;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (body == NULL)
		return plain(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet\n");
	return reply(conn, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

int ctrl_metrics_start(struct ctrl *c, const char *listen)
{
	struct sockaddr_storage sa;
	char err[160];
	if (ctrl_metrics_parse_listen(listen, &sa, err, sizeof(err)) < 0)
		return -EINVAL;
	struct ctrl_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
	uint16_t port;
	if (sa.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	}
	m->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (m->mhd == NULL) {
		int e = errno ? errno : EADDRINUSE;
		pthread_cond_destroy(&m->cond);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -e;
	}
	c->metrics = m;
	return 0;
}

void ctrl_metrics_tick(struct ctrl *c)
{
	struct ctrl_metrics *m = c->metrics;
	if (m == NULL || !__atomic_load_n(&m->want, __ATOMIC_ACQUIRE))
		return;
	size_t len = 0;
	char *text = ctrl_metrics_render(c, &len);
	pthread_mutex_lock(&m->lock);
	if (text != NULL) {
		free(m->text);
		m->text = text;
		m->len = len;
	}
	m->gen++;
	__atomic_store_n(&m->want, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

void ctrl_metrics_stop(struct ctrl *c)
{
	struct ctrl_metrics *m = c->metrics;
	if (m == NULL)
		return;
	MHD_stop_daemon(m->mhd);         /* joins the HTTP thread */
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
	c->metrics = NULL;
}
