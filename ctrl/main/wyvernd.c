/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/wyvernd.c — the wyvern daemon: reads its configuration, starts EAL,
 * brings up the datapath and its ports, launches PMD threads, then serves
 * the management socket on the main lcore until SIGINT/SIGTERM.  With a
 * [ctrl] db the local controller (lc.h) fills the tables; its events are
 * applied on this same main lcore (ctrl_poll).
 *
 *   wyvernd [-c FILE] [-s SOCKET] [--port NAME=DEVARGS]... [--pmd-lcores LIST]
 *           [--idle-sleep-max-us N] [--check-config] [-- EAL ARGS...]
 *
 * EAL arguments come from the config's [eal] section first, then from the
 * command line after "--" (so the command line wins where EAL takes the last
 * value).  Without -l/--lcores, lcores "0,<pmd-lcores>" are used.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "ct.h"
#include "ctrl.h"
#include "feature.h"
#include "lc.h"
#include "log.h"
#include "malloc_tune.h"
#include "metrics.h"
#include "telemetry.h"

#ifndef WYV_VERSION
#define WYV_VERSION "unknown"
#endif

static struct ctrl g_ctrl;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		g_ctrl.reopen_log = 1;
	else
		g_ctrl.stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wyvernd [-c FILE] [-s SOCKET] [--port NAME=DEVARGS]... [--pmd-lcores LIST]\n"
		"               [--idle-sleep-max-us N] [--check-config] [-- EAL ARGS...]\n"
		"  -c FILE              INI configuration (see conf/wyvernd.conf)\n"
		"  -s SOCKET            management socket (default /run/wyvern/wyvernd.sock)\n"
		"  --port NAME=DEVARGS  add a dp port, e.g. vm1=net_tap0,iface=wyv-vm1\n"
		"  --pmd-lcores LIST    lcores running PMD threads, e.g. 1 or 1-2\n"
		"  --idle-sleep-max-us N  idle back-off cap in microseconds (0: busy poll)\n"
		"  --check-config       validate the configuration and exit\n"
		"  --version            print the version and exit\n");
}

static bool has_lcores(const struct ctrl_config *cfg)
{
	for (int i = 0; i < cfg->eal_argc; i++)
		if (strcmp(cfg->eal_argv[i], "-l") == 0 || strcmp(cfg->eal_argv[i], "-c") == 0 ||
		    strncmp(cfg->eal_argv[i], "--lcores", 8) == 0)
			return true;
	return false;
}

static int add_cli_port(struct ctrl_config *cfg, const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (eq == NULL || eq == spec || eq[1] == 0 || (size_t)(eq - spec) >= DP_NAME_LEN ||
	    cfg->n_ports >= DP_MAX_PORTS)
		return -EINVAL;
	struct ctrl_port_cfg *p = &cfg->ports[cfg->n_ports++];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, spec, (size_t)(eq - spec));
	snprintf(p->devargs, sizeof(p->devargs), "%s", eq + 1);
	p->opts.n_rxq = 1;
	p->opts.pmd_lcore = -1;
	return 0;
}

/* A port lost its security-group ACL (deleted, port security off, moved
 * away): its conntrack zone (given by the ACL table, see dp/include/acl.h)
 * goes with it. */
static void flush_zone(void *arg, uint32_t lport, uint16_t zone)
{
	struct ctrl *c = arg;
	(void)lport;
	if (c->dp)
		dp_ct_flush(dp_get_ct(c->dp), (int)zone);
}

static unsigned ms_since(uint64_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	unsigned d = *t ? (unsigned)(now - *t) : 0;
	*t = now;
	return d;
}

int main(int argc, char **argv)
{
	static struct ctrl_config cfg;
	const char *conf = NULL, *sock = NULL, *pmd_lcores = NULL;
	long idle = -1;
	bool check = false;
	char err[512];
	int i, rc = 1;

	ctrl_malloc_tune(argv);
	/* start-up phases, logged with "ready" (where a restart's time goes) */
	uint64_t t_ph = 0;
	unsigned ms_conf, ms_eal, ms_dp, ms_lc = 0;
	ms_since(&t_ph);
	ctrl_config_defaults(&cfg);
	/* options for wyvernd itself come before "--" */
	static const char *const cli_ports_sentinel = NULL;
	(void)cli_ports_sentinel;
	char *cli_ports[DP_MAX_PORTS];
	int n_cli_ports = 0;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("wyvernd %s\n", WYV_VERSION);
			return 0;
		} else if (strcmp(a, "--check-config") == 0) {
			check = true;
		} else if (v == NULL) {
			fprintf(stderr, "wyvernd: %s needs a value\n", a);
			usage(stderr);
			return 2;
		} else if (strcmp(a, "-c") == 0) {
			conf = v, i++;
		} else if (strcmp(a, "-s") == 0) {
			sock = v, i++;
		} else if (strcmp(a, "--port") == 0) {
			if (n_cli_ports >= DP_MAX_PORTS)
				return 2;
			cli_ports[n_cli_ports++] = argv[++i];
		} else if (strcmp(a, "--pmd-lcores") == 0) {
			pmd_lcores = v, i++;
		} else if (strcmp(a, "--idle-sleep-max-us") == 0) {
			char *e;
			idle = strtol(v, &e, 10);
			if (*e || idle < 0 || idle > 1000000) {
				fprintf(stderr, "wyvernd: bad --idle-sleep-max-us '%s'\n", v);
				return 2;
			}
			i++;
		} else {
			fprintf(stderr, "wyvernd: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (conf && ctrl_config_load(&cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "wyvernd: %s\n", err);
		return 2;
	}
	for (int k = 0; k < n_cli_ports; k++)
		if (add_cli_port(&cfg, cli_ports[k]) < 0) {
			fprintf(stderr, "wyvernd: bad --port '%s' (want NAME=DEVARGS)\n", cli_ports[k]);
			return 2;
		}
	if (sock)
		snprintf(cfg.socket, sizeof(cfg.socket), "%s", sock);
	if (pmd_lcores)
		snprintf(cfg.pmd_lcores, sizeof(cfg.pmd_lcores), "%s", pmd_lcores);
	if (idle >= 0)
		cfg.dp.idle_sleep_max_us = (uint32_t)idle;
	int np = ctrl_parse_lcores(cfg.pmd_lcores, cfg.dp.pmd_lcores, DP_MAX_PMDS);
	if (np <= 0) {
		fprintf(stderr, "wyvernd: bad pmd lcores '%s'\n", cfg.pmd_lcores);
		return 2;
	}
	cfg.dp.n_pmds = (unsigned)np;
	for (int k = 0; k < np; k++)
		if (cfg.dp.pmd_lcores[k] == 0) {
			fprintf(stderr, "wyvernd: lcore 0 is the control thread, not a PMD\n");
			return 2;
		}
	if (check) {
		printf("wyvernd: configuration OK (%u ports, %d PMDs, controller %s)\n",
		       cfg.n_ports, np, cfg.lc.db_url[0] ? cfg.lc.db_url : "disabled");
		return 0;
	}

	/* EAL argv: argv[0], config's [eal], command line after "--" */
	char *eal[CTRL_MAX_EAL_ARGS * 2];
	int ne = 0;
	eal[ne++] = argv[0];
	for (; i + 1 < argc && ne < CTRL_MAX_EAL_ARGS; i++)
		ctrl_config_eal_arg(&cfg, argv[i + 1]);
	if (!has_lcores(&cfg)) {
		char l[80];
		snprintf(l, sizeof(l), "0,%s", cfg.pmd_lcores);
		ctrl_config_eal_arg(&cfg, "-l");
		ctrl_config_eal_arg(&cfg, l);
	}
	for (int k = 0; k < cfg.eal_argc; k++)
		eal[ne++] = cfg.eal_argv[k];
	eal[ne] = NULL;
	/* [log]: our messages and DPDK's, from EAL's first line on */
	if ((rc = ctrl_log_open(&cfg.log)) < 0) {
		fprintf(stderr, "wyvernd: log file %s: %s\n", cfg.log.path, strerror(-rc));
		ctrl_config_free(&cfg);
		return 1;
	}
	rc = 1;
	struct ctrl *c = &g_ctrl;
	c->cfg = &cfg;
	if (cfg.lc.db_url[0]) {
		/* the local controller: its replica is loaded on a thread of its
		 * own while EAL and the datapath start (lc_preload), and its sync
		 * thread reads the central db meanwhile; lc_start below compiles
		 * the replica, lc_run then applies the central db's snapshot (see
		 * ctrl/DESIGN.md) */
		cfg.lc.on_acl_del = flush_zone;
		cfg.lc.on_acl_del_arg = c;
		c->lc = lc_create(&cfg.lc, NULL);
		if (c->lc == NULL) {
			CTRL_ERR("controller: %s", strerror(errno));
			goto early_out;
		}
		int e = lc_preload(c->lc);
		if (e < 0) {
			CTRL_ERR("controller replica %s: %s", lc_get_config(c->lc)->replica,
				 strerror(-e));
			goto early_out;
		}
	}
	ms_conf = ms_since(&t_ph);
	if (rte_eal_init(ne, eal) < 0) {
		CTRL_ERR("EAL init failed: %s", rte_strerror(rte_errno));
		goto early_out;
	}
	/* the controller's threads, started before EAL pinned this one, go
	 * where this (main lcore) thread runs: off the PMDs' cores */
	if (c->lc && (rc = lc_pin_threads(c->lc)) < 0)
		CTRL_WARN("controller threads: cannot pin them to the main lcore: %s",
			  strerror(-rc));
	rc = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	ms_eal = ms_since(&t_ph);
	c->dp = dp_create(&cfg.dp);
	if (c->dp == NULL) {
		CTRL_ERR("datapath: %s", rte_strerror(rte_errno));
		goto out;
	}
	for (unsigned k = 0; k < cfg.n_ports; k++) {
		const struct ctrl_port_cfg *p = &cfg.ports[k];
		int id = dp_port_add(c->dp, p->name, p->devargs, &p->opts);
		if (id < 0) {
			CTRL_ERR("port %s (%s): %s", p->name, p->devargs,
				strerror(-id));
			goto out;
		}
		CTRL_INFO("port %s is dp port %d (%s)", p->name, id, p->devargs);
	}
	ms_dp = ms_since(&t_ph);
	if (c->lc) {
		lc_set_tables(c->lc, dp_tables(c->dp));
		for (unsigned k = 0; k < cfg.n_ports; k++) {
			int id = dp_port_by_name(c->dp, cfg.ports[k].name);
			if (cfg.ports[k].iface_id[0] && id >= 0)
				lc_set_iface(c->lc, cfg.ports[k].iface_id, (uint16_t)id);
		}
		if ((rc = lc_start(c->lc)) < 0) {
			CTRL_ERR("controller replica %s: %s",
				lc_get_config(c->lc)->replica, strerror(-rc));
			rc = 1;
			goto out;
		}
		ms_lc = ms_since(&t_ph);
		CTRL_INFO("controller: chassis %s, db %s, replica %s", cfg.lc.chassis,
		       cfg.lc.db_url, lc_get_config(c->lc)->replica);
	}
	if ((rc = dp_start(c->dp)) < 0) {
		CTRL_ERR("cannot start PMDs: %s", strerror(-rc));
		rc = 1;
		goto out;
	}
	if ((rc = ctrl_mgmt_open(c, cfg.socket)) < 0) {
		CTRL_ERR("socket %s: %s", cfg.socket, strerror(-rc));
		rc = 1;
		goto out;
	}
	ctrl_telemetry_register(c);
	size_t nf;
	const struct ctrl_feature *const *fl = ctrl_features(&nf);
	if ((rc = ctrl_features_init(c, fl, nf, err, sizeof(err))) < 0) {
		CTRL_ERR("%s", err);
		rc = 1;
		goto out;
	}
	if (c->lc)   /* punts are served inside a long controller pass too */
		lc_set_yield(c->lc, ctrl_lc_yield, c);
	if (cfg.metrics_listen[0]) {
		if ((rc = ctrl_metrics_start(c, cfg.metrics_listen)) < 0) {
			CTRL_ERR("metrics on %s: %s", cfg.metrics_listen, strerror(-rc));
			rc = 1;
			goto out;
		}
		CTRL_INFO("metrics: http://%s/metrics", cfg.metrics_listen);
	}
	unsigned ms_rest = ms_since(&t_ph);
	CTRL_INFO("start-up: config and replica open %u ms, EAL %u ms, datapath and ports %u ms, "
		  "controller %u ms (its replica loaded beside EAL, then compiled), the rest %u ms",
		  ms_conf, ms_eal, ms_dp, ms_lc, ms_rest);
	CTRL_INFO("ready: %u ports, %u PMD(s) on lcores %s, socket %s", cfg.n_ports,
		  cfg.dp.n_pmds, cfg.pmd_lcores, cfg.socket);
	while (!c->stop) {
		ctrl_poll(c, 100);     /* mgmt socket, controller events, punts, features */
		ctrl_features_tick(c); /* e.g. router advertisements, VTEP ARP, capture */
		ctrl_metrics_tick(c);  /* render metrics when a scrape waits */
		if (c->reopen_log) {
			c->reopen_log = 0;
			if ((rc = ctrl_log_reopen()) < 0)
				fprintf(stderr, "wyvernd: reopening the log file: %s\n",
					strerror(-rc));
			else
				CTRL_INFO("log file reopened (SIGHUP)");
		}
	}
	CTRL_INFO("shutting down");
	rc = 0;
out:
	ctrl_features_fini(c);
	ctrl_metrics_stop(c);
	ctrl_mgmt_close(c, cfg.socket);
	ctrl_telemetry_unregister();
	lc_destroy(c->lc);
	c->lc = NULL;
	dp_destroy(c->dp);
	c->dp = NULL;
	rte_eal_cleanup();
	ctrl_config_free(&cfg);
	ctrl_log_close();
	return rc;
early_out:          /* before EAL: only the controller (and its preload) exist */
	lc_destroy(c->lc);
	c->lc = NULL;
	ctrl_config_free(&cfg);
	ctrl_log_close();
	return rc;
}
