/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/config_ctrl.c — the [ctrl] section (the local controller and
 * its database: URL, chassis, overlay, replica, etcd TLS and user) and the
 * optional features' sections, [offload] and [api]; FILE:LINE errors as the
 * rest of config.c (config_priv.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <rte_cfgfile.h>

#include "api.h"
#include "config_priv.h"

/* A file wyvernd will read (TLS, password): an absolute path, readable now. */
static int db_file(struct ctx *c, int ln, const char *k, const char *val, char *dst,
		   size_t size)
{
	if (val[0] != '/' || strlen(val) >= size)
		return cfg_failf(c, ln, "%s must be an absolute file path", k);
	if (access(val, R_OK) != 0)
		return cfg_failf(c, ln, "%s %s cannot be read: %s", k, val, strerror(errno));
	snprintf(dst, size, "%s", val);
	return 0;
}

/* The etcd security keys must fit together (checked after the section). */
static int check_db_security(struct ctx *c, const struct lc_config *l)
{
	bool tls = strncmp(l->db_url, "etcds://", 8) == 0;
	bool etcd = tls || strncmp(l->db_url, "etcd://", 7) == 0;
	static const char *const tls_keys[] = { "db-ca", "db-cert", "db-key" };
	for (size_t i = 0; i < RTE_DIM(tls_keys); i++)
		if (!tls && cfg_line_of(c, "ctrl", tls_keys[i]) != 0)
			return cfg_failf(c, cfg_line_of(c, "ctrl", tls_keys[i]), "%s needs an etcds:// "
				     "db URL (TLS)", tls_keys[i]);
	if (!etcd && l->db_user[0])
		return cfg_failf(c, cfg_line_of(c, "ctrl", "db-user"), "db-user needs an etcd db");
	if (!l->db_cert[0] != !l->db_key[0])
		return cfg_failf(c, cfg_line_of(c, "ctrl", l->db_cert[0] ? "db-cert" : "db-key"),
			     "db-cert and db-key go together (client certificate and its key)");
	if (!l->db_user[0] != !l->db_password_file[0])
		return cfg_failf(c, cfg_line_of(c, "ctrl", l->db_user[0] ? "db-user" :
					"db-password-file"),
			     "db-user and db-password-file go together");
	return 0;
}

int cfg_load_ctrl(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg)
{
	int n = rte_cfgfile_section_num_entries(f, "ctrl");
	struct rte_cfgfile_entry e[24];
	struct lc_config *l = &cfg->lc;
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, cfg_line_of(c, "ctrl", NULL), "too many keys in [ctrl]%s%s", "", "");
	rte_cfgfile_section_entries(f, "ctrl", e, n);
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *val = e[i].value;
		int ln = cfg_line_of(c, "ctrl", k);
		if (strcmp(k, "db") == 0) {
			if ((strncmp(val, "rocksdb:", 8) != 0 || val[8] == 0) &&
			    (strncmp(val, "etcd://", 7) != 0 || val[7] == 0) &&
			    (strncmp(val, "etcds://", 8) != 0 || val[8] == 0))
				return cfg_fail(c, ln, "db must be rocksdb:/PATH, etcd://HOST:PORT[,...] or "
					    "etcds://HOST:PORT[,...] (TLS), not '%s'%s", val, "");
			if (strlen(val) >= sizeof(l->db_url))
				return cfg_fail(c, ln, "db URL too long%s%s", "", "");
			snprintf(l->db_url, sizeof(l->db_url), "%s", val);
		} else if (strcmp(k, "chassis") == 0) {
			if (val[0] == 0 || strlen(val) >= sizeof(l->chassis))
				return cfg_fail(c, ln, "chassis must be 1..63 characters%s%s", "", "");
			snprintf(l->chassis, sizeof(l->chassis), "%s", val);
		} else if (strcmp(k, "chassis-ttl") == 0) {
			uint32_t v;
			if (cfg_parse_u32(val, 0, 3600, &v) < 0 || (v > 0 && v < 3))
				return cfg_fail(c, ln, "chassis-ttl must be 0 (no liveness key) or "
					    "3..3600 seconds, not '%s'%s", val, "");
			l->chassis_ttl_s = v;
		} else if (strcmp(k, "snat") == 0) {
			if (strcmp(val, "distributed") == 0)
				l->snat_mode = LC_SNAT_DISTRIBUTED;
			else if (strcmp(val, "off") == 0)
				l->snat_mode = LC_SNAT_OFF;
			else if (strcmp(val, "gateway") == 0)
				l->snat_mode = LC_SNAT_GATEWAY;
			else
				return cfg_fail(c, ln, "snat must be distributed, gateway or off, not "
					    "'%s'%s", val, "");
		} else if (strcmp(k, "gateway") == 0) {
			if (strcmp(val, "true") == 0)
				l->gateway = true;
			else if (strcmp(val, "false") == 0)
				l->gateway = false;
			else
				return cfg_fail(c, ln, "gateway must be true or false, not '%s'%s", val,
					    "");
		} else if (strcmp(k, "gateway-priority") == 0) {
			uint32_t v;
			if (cfg_parse_u32(val, 0, 65535, &v) < 0)
				return cfg_fail(c, ln, "gateway-priority must be 0..65535, not '%s'%s",
					    val, "");
			l->gateway_priority = (uint16_t)v;
		} else if (strcmp(k, "snat-ports") == 0) {
			unsigned lo, hi;
			char tail;
			if (sscanf(val, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1 || lo > hi ||
			    hi > 65535)
				return cfg_fail(c, ln, "snat-ports must be MIN-MAX within 1..65535, "
					    "not '%s'%s", val, "");
			l->snat_port_min = (uint16_t)lo;
			l->snat_port_max = (uint16_t)hi;
		} else if (strcmp(k, "vtep-ip") == 0) {
			struct in_addr a;
			if (inet_pton(AF_INET, val, &a) != 1)
				return cfg_fail(c, ln, "vtep-ip '%s' is not an IPv4 address%s", val, "");
			snprintf(l->vtep_ip, sizeof(l->vtep_ip), "%s", val);
		} else if (strcmp(k, "encap") == 0) {
			char tmp[64], *save = NULL;
			unsigned cnt = 0;
			if (strlen(val) >= sizeof(tmp))
				return cfg_fail(c, ln, "encap too long%s%s", "", "");
			snprintf(tmp, sizeof(tmp), "%s", val);
			for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
				if (strcmp(t, "vxlan") != 0 && strcmp(t, "geneve") != 0)
					return cfg_fail(c, ln, "encap '%s' is not vxlan or geneve%s", t,
						    "");
				cnt++;
			}
			if (cnt == 0)
				return cfg_fail(c, ln, "encap must list vxlan and/or geneve%s%s", "", "");
			snprintf(l->encap, sizeof(l->encap), "%s", val);
		} else if (strcmp(k, "uplink") == 0) {
			if (val[0] == 0 || strlen(val) >= sizeof(l->uplink))
				return cfg_fail(c, ln, "uplink must name a [port.NAME]%s%s", "", "");
			snprintf(l->uplink, sizeof(l->uplink), "%s", val);
		} else if (strcmp(k, "physnet") == 0) {
			if (val[0] == 0 || strlen(val) >= sizeof(l->physnet))
				return cfg_fail(c, ln, "physnet must be 1..63 characters%s%s", "", "");
			snprintf(l->physnet, sizeof(l->physnet), "%s", val);
		} else if (strcmp(k, "physnet-port") == 0) {
			if (val[0] == 0 || strlen(val) >= sizeof(l->physnet_port))
				return cfg_fail(c, ln, "physnet-port must name a [port.NAME]%s%s", "",
						"");
			snprintf(l->physnet_port, sizeof(l->physnet_port), "%s", val);
		} else if (strcmp(k, "underlay-mtu") == 0) {
			char *end;
			unsigned long v = strtoul(val, &end, 10);
			if (*val == 0 || *end || v < 576 || v > 9600)
				return cfg_fail(c, ln, "underlay-mtu must be 576..9600, not '%s'%s", val, "");
			l->underlay_mtu = (unsigned)v;
		} else if (strcmp(k, "replica") == 0) {
			if (val[0] != '/' || strlen(val) >= sizeof(l->replica))
				return cfg_fail(c, ln, "replica must be an absolute directory path%s%s", "",
					    "");
			snprintf(l->replica, sizeof(l->replica), "%s", val);
		} else if (strcmp(k, "db-ca") == 0) {
			if (db_file(c, ln, k, val, l->db_ca, sizeof(l->db_ca)))
				return -EINVAL;
		} else if (strcmp(k, "db-cert") == 0) {
			if (db_file(c, ln, k, val, l->db_cert, sizeof(l->db_cert)))
				return -EINVAL;
		} else if (strcmp(k, "db-key") == 0) {
			if (db_file(c, ln, k, val, l->db_key, sizeof(l->db_key)))
				return -EINVAL;
		} else if (strcmp(k, "db-password-file") == 0) {
			if (db_file(c, ln, k, val, l->db_password_file,
				    sizeof(l->db_password_file)))
				return -EINVAL;
		} else if (strcmp(k, "db-user") == 0) {
			if (val[0] == 0 || strlen(val) >= sizeof(l->db_user) || strchr(val, ' '))
				return cfg_fail(c, ln, "db-user must be 1..63 characters, no spaces%s%s",
					    "", "");
			snprintf(l->db_user, sizeof(l->db_user), "%s", val);
		} else if (strcmp(k, "db-watch-idle-ms") == 0) {
			char *end;
			unsigned long v = strtoul(val, &end, 10);
			if (*val == 0 || *end || v < 500 || v > 600000)
				return cfg_fail(c, ln, "db-watch-idle-ms must be 500..600000, not '%s'%s",
					    val, "");
			l->db_watch_idle_ms = (unsigned)v;
		} else {
			return cfg_fail(c, ln, "unknown key '%s' in [ctrl]%s", k, "");
		}
	}
	return check_db_security(c, l);
}

bool ctrl_offload_backend_ok(const char *s)
{
	static const char *const ok[] = { "auto", "rte_flow", "dummy", "xdp", "none" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(s, ok[i]) == 0)
			return true;
	return false;
}

int cfg_load_offload(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg)
{
	struct rte_cfgfile_entry e[16];
	struct ctrl_offload_cfg *o = &cfg->offload;
	int n = rte_cfgfile_section_num_entries(f, "offload");
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, cfg_line_of(c, "offload", NULL), "too many keys in [offload]%s%s", "", "");
	rte_cfgfile_section_entries(f, "offload", e, n);
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *val = e[i].value;
		int ln = cfg_line_of(c, "offload", k);
		if (strcmp(k, "enable") == 0) {
			if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0)
				return cfg_fail(c, ln, "enable must be true or false, not '%s'%s", val, "");
			o->enable = strcmp(val, "true") == 0;
		} else if (strcmp(k, "mode") == 0) {
			if (strcmp(val, "full") && strcmp(val, "partial") && strcmp(val, "auto"))
				return cfg_fail(c, ln, "mode must be full, partial or auto, not '%s'%s",
					    val, "");
			snprintf(o->mode, sizeof(o->mode), "%s", val);
		} else if (strcmp(k, "backend") == 0) {
			if (!ctrl_offload_backend_ok(val))
				return cfg_fail(c, ln, "backend must be auto, rte_flow, dummy, xdp or none, "
					    "not '%s'%s", val, "");
			snprintf(o->backend, sizeof(o->backend), "%s", val);
		} else if (strcmp(k, "backend-args") == 0) {
			if (strlen(val) >= sizeof(o->args))
				return cfg_fail(c, ln, "backend-args too long (max %s)%s", "159 characters",
					    "");
			snprintf(o->args, sizeof(o->args), "%s", val);
		} else if (strcmp(k, "stats-interval-ms") == 0) {
			U32("offload", "stats-interval-ms", 0, 3600000, o->stats_interval_ms);
		} else if (strcmp(k, "max-flows") == 0) {
			U32("offload", "max-flows", 16, 1u << 22, o->max_flows);
		} else {
			return cfg_fail(c, ln, "unknown key '%s' in [offload]%s", k, "");
		}
	}
	return 0;
}

/* [api]: each key checked by api/ (api_config_key). */
int cfg_load_api(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg)
{
	struct rte_cfgfile_entry e[16];
	int n = rte_cfgfile_section_num_entries(f, "api");
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, cfg_line_of(c, "api", NULL), "too many keys in [api]%s%s", "", "");
	if (cfg->api == NULL) {
		cfg->api = malloc(sizeof(*cfg->api));
		if (cfg->api == NULL)
			return -ENOMEM;
		api_config_defaults(cfg->api);
	}
	rte_cfgfile_section_entries(f, "api", e, n);
	for (int i = 0; i < n; i++) {
		char msg[300];
		if (api_config_key(cfg->api, e[i].name, e[i].value, msg, sizeof(msg)) < 0)
			return cfg_failf(c, cfg_line_of(c, "api", e[i].name), "%s", msg);
	}
	return 0;
}

