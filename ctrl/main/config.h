/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/config.h — wyvernd's INI configuration (rte_cfgfile) and command line.
 * Every key is documented in conf/wyvernd.conf.  Main thread only, before
 * and right after rte_eal_init().
 */
#ifndef WYV_CTRL_CONFIG_H
#define WYV_CTRL_CONFIG_H

#include <stdbool.h>
#include "dp.h"
#include "lc.h"
#include "log.h"

#define CTRL_MAX_EAL_ARGS 64

struct ctrl_port_cfg {
	char name[DP_NAME_LEN];
	char devargs[256];
	char iface_id[64];
	struct dp_port_opts opts;
	char offload[16];          /* backend override ("" = [offload] backend) */
	char offload_args[160];    /* its args ("" = [offload] backend-args) */
};

/* [offload] (ctrl/mgmt/cmd_offload.c, pmd-offload/). */
struct ctrl_offload_cfg {
	bool enable;
	char mode[8];              /* full | partial | auto */
	char backend[16];          /* auto | rte_flow | dummy | xdp | none */
	char args[160];            /* backend args (dummy: "caps=mark,rss;max=N") */
	uint32_t stats_interval_ms;/* hardware counter poll */
	uint32_t max_flows;        /* offloaded megaflows tracked */
};
/* Whether s names an offload backend a port may use (or "auto"/"none"). */
bool ctrl_offload_backend_ok(const char *s);

struct ctrl_config {
	char path[256];
	/* EAL */
	char *eal_argv[CTRL_MAX_EAL_ARGS];
	int eal_argc;
	/* datapath */
	struct dp_config dp;
	char pmd_lcores[64];
	/* management ([mgmt]) */
	char socket[108];
	char mgmt_group[64];       /* group owning the socket ("" = the daemon's) */
	long mgmt_gid;             /* its gid, -1 unset */
	char mgmt_admin_group[64]; /* group that may run admin commands */
	long mgmt_admin_gid;       /* its gid, -1 unset: only uid 0 */
	bool mgmt_allow_file_devargs; /* `port add` may use devargs naming files */
	/* ports */
	unsigned n_ports;
	struct ctrl_port_cfg ports[DP_MAX_PORTS];
	/* local controller ([ctrl]); lc.db_url "" = disabled */
	struct lc_config lc;
	/* [log] and [metrics] (log.h, metrics.h); metrics_listen "" = off */
	struct ctrl_log_cfg log;
	char metrics_listen[80];
	struct ctrl_offload_cfg offload;
	/* [api] (api/api.h), NULL without the section; owned (ctrl_config_free) */
	struct api_config *api;
};

/* Load path into cfg (defaults first).  On error returns -EINVAL and writes
 * "FILE:LINE: reason" into err. */
int ctrl_config_load(struct ctrl_config *cfg, const char *path, char *err, size_t errlen);
void ctrl_config_defaults(struct ctrl_config *cfg);
/* Parse "1,3-5" into lcores; returns count or -EINVAL. */
int ctrl_parse_lcores(const char *s, unsigned *out, unsigned max);
/* Add one EAL argument (copied). -E2BIG when full. */
int ctrl_config_eal_arg(struct ctrl_config *cfg, const char *arg);
void ctrl_config_free(struct ctrl_config *cfg);

#endif
