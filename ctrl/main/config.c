/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/config.c — reads conf/wyvernd.conf-style INI files.
 *
 * rte_cfgfile does the parsing; it does not keep line numbers, so a first
 * pass over the file checks the syntax of every line and records where each
 * (section, key) was written — every later error names FILE:LINE.  Unknown
 * sections and keys are errors, not silently ignored.
 */
#include <ctype.h>
#include <stdarg.h>
#include <grp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <rte_cfgfile.h>

#include "api.h"
#include "config.h"
#include "config_priv.h"
#include "metrics.h"

int cfg_fail(struct ctx *c, int line, const char *fmt, const char *a, const char *b)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(c->err, c->errlen, "%s:%d: %s", c->path, line, msg);
	return -EINVAL;
}

int cfg_failf(struct ctx *c, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d: %s", c->path, line, msg);
	return -EINVAL;
}

int cfg_line_of(const struct ctx *c, const char *sec, const char *key)
{
	for (unsigned i = 0; i < c->nw; i++)
		if (strcmp(c->w[i].section, sec) == 0 &&
		    (key == NULL ? c->w[i].key[0] == 0 : strcmp(c->w[i].key, key) == 0))
			return c->w[i].line;
	return 0;
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The EAL memory in MB cfg gives (-m N, --socket-mem, or --no-huge's default
 * of 64), 0 when it does not say (hugepages without a limit: it grows). */
static unsigned eal_memory_mb(const struct ctrl_config *cfg, bool *from_args)
{
	unsigned mb = 0;
	bool no_huge = false;
	*from_args = false;
	for (int i = 0; i < cfg->eal_argc; i++) {
		const char *a = cfg->eal_argv[i];
		if (strcmp(a, "--no-huge") == 0)
			no_huge = true;
		else if ((strcmp(a, "-m") == 0 || strcmp(a, "--socket-mem") == 0) &&
			 i + 1 < cfg->eal_argc)
			mb = (unsigned)strtoul(cfg->eal_argv[i + 1], NULL, 10), *from_args = true;
	}
	return mb ? mb : no_huge ? 64 : 0;
}

/* Whole-file checks: what each line allows but the whole cannot start with. */
static int check_whole(struct ctx *c, struct ctrl_config *cfg)
{
	bool given;
	unsigned have = eal_memory_mb(cfg, &given), need = dp_memory_min_mb(&cfg->dp);
	if (have && have < need) {
		int ln = cfg_line_of(c, "eal", "memory-mb");
		if (ln == 0)
			ln = cfg_line_of(c, "eal", "args");
		if (ln == 0)
			ln = cfg_line_of(c, "eal", NULL);
		return cfg_failf(c, ln, "%u MB of EAL memory%s is too small: the datapath needs at least "
			     "%u MB (tables about 150 MB + 2.4 KB per mbuf + 0.75 KB per conntrack "
			     "connection); raise [eal] memory-mb or "
			     "lower [dp] mbufs", have, given ? "" : " (--no-huge's default)", need);
	}
	unsigned l[DP_MAX_PMDS];
	int n = ctrl_parse_lcores(cfg->pmd_lcores, l, DP_MAX_PMDS);
	int ln = cfg_line_of(c, "dp", "pmd-lcores");
	for (int i = 0; i < n; i++) {
		if (l[i] == 0)
			return cfg_failf(c, ln, "lcore 0 is the control thread, not a PMD "
				     "(pmd-lcores = %s)", cfg->pmd_lcores);
		for (int j = i + 1; j < n; j++)
			if (l[i] == l[j])
				return cfg_failf(c, ln, "lcore %u is listed twice in pmd-lcores = %s",
					     l[i], cfg->pmd_lcores);
	}
	for (unsigned p = 0; p < cfg->n_ports; p++) {
		int want = cfg->ports[p].opts.pmd_lcore;
		bool ok = want < 0;
		for (int i = 0; i < n && !ok; i++)
			ok = (int)l[i] == want;
		if (!ok) {
			char sec[80];
			snprintf(sec, sizeof(sec), "port.%s", cfg->ports[p].name);
			return cfg_failf(c, cfg_line_of(c, sec, "pmd"), "pmd = %d is not one of pmd-lcores = %s",
				     want, cfg->pmd_lcores);
		}
	}
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Pass 1: syntax and positions. */
static int scan(struct ctx *c)
{
	FILE *f = fopen(c->path, "r");
	if (f == NULL) {
		snprintf(c->err, c->errlen, "%s: %s", c->path, strerror(errno));
		return -errno;
	}
	char buf[1024], sec[64] = "";
	int ln = 0, rc = 0;
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		ln++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			rc = cfg_fail(c, ln, "line too long (max %s characters)%s", "1022", "");
			break;
		}
		char *s = trim(buf);
		if (*s == 0 || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (e == NULL || trim(e + 1)[0] != 0 || e == s + 1) {
				rc = cfg_fail(c, ln, "malformed section header '%s'%s", s, "");
				break;
			}
			*e = 0;
			snprintf(sec, sizeof(sec), "%s", trim(s + 1));
			for (unsigned i = 0; i < c->nw; i++)
				if (c->w[i].key[0] == 0 && strcmp(c->w[i].section, sec) == 0)
					rc = cfg_fail(c, ln, "section [%s] repeated (first at line %s)",
						  sec, "earlier");
			if (rc == 0 && c->nw < RTE_DIM(c->w)) {
				struct where *w = &c->w[c->nw++];
				snprintf(w->section, sizeof(w->section), "%s", sec);
				w->key[0] = 0;
				w->line = ln;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			rc = cfg_fail(c, ln, "expected 'key = value', got '%s'%s", s, "");
			break;
		}
		if (sec[0] == 0) {
			rc = cfg_fail(c, ln, "key outside of any section%s%s", "", "");
			break;
		}
		*eq = 0;
		char *k = trim(s);
		if (*k == 0) {
			rc = cfg_fail(c, ln, "empty key%s%s", "", "");
			break;
		}
		if (cfg_line_of(c, sec, k)) {
			rc = cfg_fail(c, ln, "key '%s' repeated in [%s]", k, sec);
			break;
		}
		if (c->nw < RTE_DIM(c->w)) {
			struct where *w = &c->w[c->nw++];
			snprintf(w->section, sizeof(w->section), "%s", sec);
			snprintf(w->key, sizeof(w->key), "%s", k);
			w->line = ln;
		}
	}
	fclose(f);
	return rc;
}

void ctrl_config_defaults(struct ctrl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	dp_config_defaults(&cfg->dp);
	snprintf(cfg->socket, sizeof(cfg->socket), "/run/wyvern/wyvernd.sock");
	cfg->mgmt_gid = -1;
	cfg->mgmt_admin_gid = -1;
	snprintf(cfg->pmd_lcores, sizeof(cfg->pmd_lcores), "1");
	lc_config_defaults(&cfg->lc);
	ctrl_log_cfg_defaults(&cfg->log);
	snprintf(cfg->offload.mode, sizeof(cfg->offload.mode), "auto");
	snprintf(cfg->offload.backend, sizeof(cfg->offload.backend), "auto");
	cfg->offload.stats_interval_ms = 1000;
}

int ctrl_config_eal_arg(struct ctrl_config *cfg, const char *arg)
{
	if (cfg->eal_argc >= CTRL_MAX_EAL_ARGS - 1)
		return -E2BIG;
	cfg->eal_argv[cfg->eal_argc] = strdup(arg);
	if (cfg->eal_argv[cfg->eal_argc] == NULL)
		return -ENOMEM;
	cfg->eal_argc++;
	return 0;
}

void ctrl_config_free(struct ctrl_config *cfg)
{
	for (int i = 0; i < cfg->eal_argc; i++)
		free(cfg->eal_argv[i]);
	cfg->eal_argc = 0;
	free(cfg->api);
	cfg->api = NULL;
}

int ctrl_parse_lcores(const char *s, unsigned *out, unsigned max)
{
	unsigned n = 0;
	const char *p = s;
	while (*p) {
		char *e;
		long a = strtol(p, &e, 10), b;
		if (e == p || a < 0 || a >= 1024)
			return -EINVAL;
		b = a;
		if (*e == '-') {
			p = e + 1;
			b = strtol(p, &e, 10);
			if (e == p || b < a || b >= 1024)
				return -EINVAL;
		}
		for (long i = a; i <= b; i++) {
			if (n >= max)
				return -EINVAL;
			out[n++] = (unsigned)i;
		}
		if (*e == ',')
			e++;
		else if (*e != 0)
			return -EINVAL;
		p = e;
	}
	return n ? (int)n : -EINVAL;
}

int cfg_parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char *e;
	errno = 0;
	unsigned long x = strtoul(v, &e, 0);
	if (errno || e == v || *trim(e) != 0 || v[0] == '-' || x < min || x > max)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}


static int split_args(struct ctrl_config *cfg, const char *s)
{
	char *dup = strdup(s), *save = NULL;
	if (dup == NULL)
		return -ENOMEM;
	int rc = 0;
	for (char *t = strtok_r(dup, " \t", &save); t && rc == 0; t = strtok_r(NULL, " \t", &save))
		rc = ctrl_config_eal_arg(cfg, t);
	free(dup);
	return rc;
}

static int load_eal(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg)
{
	int n = rte_cfgfile_section_num_entries(f, "eal");
	struct rte_cfgfile_entry e[32];
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, cfg_line_of(c, "eal", NULL), "too many keys in [eal]%s%s", "", "");
	rte_cfgfile_section_entries(f, "eal", e, n);
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *val = e[i].value;
		int ln = cfg_line_of(c, "eal", k), rc = 0;
		if (strcmp(k, "args") == 0) {
			rc = split_args(cfg, val);
		} else if (strcmp(k, "lcores") == 0) {
			rc = ctrl_config_eal_arg(cfg, "-l");
			if (rc == 0)
				rc = ctrl_config_eal_arg(cfg, val);
		} else if (strcmp(k, "file-prefix") == 0) {
			rc = ctrl_config_eal_arg(cfg, "--file-prefix");
			if (rc == 0)
				rc = ctrl_config_eal_arg(cfg, val);
		} else if (strcmp(k, "memory-mb") == 0) {
			uint32_t mb;
			U32("eal", "memory-mb", 64, 1 << 20, mb);
			char b[16];
			snprintf(b, sizeof(b), "%u", mb);
			rc = ctrl_config_eal_arg(cfg, "-m");
			if (rc == 0)
				rc = ctrl_config_eal_arg(cfg, b);
		} else if (strcmp(k, "hugepages") == 0) {
			if (strcmp(val, "no") == 0)
				rc = ctrl_config_eal_arg(cfg, "--no-huge");
			else if (strcmp(val, "yes") != 0)
				return cfg_fail(c, ln, "hugepages must be yes or no, not '%s'%s", val, "");
		} else {
			return cfg_fail(c, ln, "unknown key '%s' in [eal]%s", k, "");
		}
		if (rc < 0)
			return cfg_fail(c, ln, "too many EAL arguments%s%s", "", "");
	}
	return 0;
}

static int load_dp(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg)
{
	int n = rte_cfgfile_section_num_entries(f, "dp");
	struct rte_cfgfile_entry e[32];
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, cfg_line_of(c, "dp", NULL), "too many keys in [dp]%s%s", "", "");
	rte_cfgfile_section_entries(f, "dp", e, n);
	struct dp_config *d = &cfg->dp;
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *val = e[i].value;
		if (strcmp(k, "pmd-lcores") == 0) {
			unsigned tmp[DP_MAX_PMDS];
			if (ctrl_parse_lcores(val, tmp, DP_MAX_PMDS) < 0)
				return cfg_fail(c, cfg_line_of(c, "dp", k),
					    "pmd-lcores '%s' is not a list like 1,2-3 (max %s)", val,
					    "16 lcores");
			snprintf(cfg->pmd_lcores, sizeof(cfg->pmd_lcores), "%s", val);
		} else if (strcmp(k, "idle-sleep-max-us") == 0) {
			U32("dp", "idle-sleep-max-us", 0, 1000000, d->idle_sleep_max_us);
		} else if (strcmp(k, "mbufs") == 0) {
			U32("dp", "mbufs", 1024, 1u << 24, d->n_mbufs);
		} else if (strcmp(k, "emc-entries") == 0) {
			U32("dp", "emc-entries", 2, 1u << 20, d->emc_entries);
			if (d->emc_entries & (d->emc_entries - 1))
				return cfg_fail(c, cfg_line_of(c, "dp", k),
					    "emc-entries must be a power of two, not %s%s", val, "");
		} else if (strcmp(k, "emc-insert-inv-prob") == 0) {
			U32("dp", "emc-insert-inv-prob", 0, 1u << 20, d->emc_insert_inv_prob);
		} else if (strcmp(k, "emc-min-hit-rate") == 0) {
			U32("dp", "emc-min-hit-rate", 0, 100, d->emc_min_hit_pct);
		} else if (strcmp(k, "megaflows-max") == 0) {
			U32("dp", "megaflows-max", 16, 1u << 22, d->megaflows_max);
		} else if (strcmp(k, "ct-max-conns") == 0) {
			U32("dp", "ct-max-conns", 64, 1u << 24, d->ct_max_conns);
		} else if (strcmp(k, "megaflow-max-idle-ms") == 0) {
			U32("dp", "megaflow-max-idle-ms", 0, 3600000, d->megaflow_max_idle_ms);
		} else if (strcmp(k, "megaflows-per-port") == 0) {
			U32("dp", "megaflows-per-port", 0, 1u << 22, d->megaflows_per_port);
		} else if (strcmp(k, "upcall-budget-pct") == 0) {
			U32("dp", "upcall-budget-pct", 0, 100, d->upcall_budget_pct);
		} else if (strcmp(k, "punt-rate-pps") == 0) {
			U32("dp", "punt-rate-pps", 1, 1u << 24, d->punt_rate_pps);
		} else if (strcmp(k, "punt-burst") == 0) {
			U32("dp", "punt-burst", 1, 1u << 20, d->punt_burst);
		} else {
			return cfg_fail(c, cfg_line_of(c, "dp", k), "unknown key '%s' in [dp]%s", k, "");
		}
	}
	return 0;
}

static int load_port(struct ctx *c, struct rte_cfgfile *f, const char *sec,
		     struct ctrl_config *cfg)
{
	const char *name = sec + strlen("port.");
	int ln = cfg_line_of(c, sec, NULL);
	if (*name == 0 || strlen(name) >= DP_NAME_LEN)
		return cfg_fail(c, ln, "port section [%s] needs a name of 1..63 characters%s", sec, "");
	if (cfg->n_ports >= DP_MAX_PORTS)
		return cfg_fail(c, ln, "too many ports (max %s)%s", "64", "");
	struct ctrl_port_cfg *p = &cfg->ports[cfg->n_ports];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->opts.n_rxq = 1;
	p->opts.pmd_lcore = -1;
	int n = rte_cfgfile_section_num_entries(f, sec);
	struct rte_cfgfile_entry e[16];
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, ln, "too many keys in [%s]%s", sec, "");
	rte_cfgfile_section_entries(f, sec, e, n);
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *val = e[i].value;
		uint32_t v;
		if (strcmp(k, "devargs") == 0) {
			if (val[0] == 0 || strlen(val) >= sizeof(p->devargs))
				return cfg_fail(c, cfg_line_of(c, sec, k), "devargs empty or too long%s%s",
					    "", "");
			snprintf(p->devargs, sizeof(p->devargs), "%s", val);
		} else if (strcmp(k, "rxqs") == 0) {
			U32(sec, "rxqs", 1, 64, v);
			p->opts.n_rxq = (uint16_t)v;
		} else if (strcmp(k, "pmd") == 0) {
			U32(sec, "pmd", 0, 1023, v);
			p->opts.pmd_lcore = (int)v;
		} else if (strcmp(k, "mtu") == 0) {
			U32(sec, "mtu", 68, 9600, v);
			p->opts.mtu = (uint16_t)v;
		} else if (strcmp(k, "offload") == 0) {
			if (!ctrl_offload_backend_ok(val))
				return cfg_fail(c, cfg_line_of(c, sec, k), "offload must be auto, rte_flow, "
					    "dummy, xdp or none, not '%s'%s", val, "");
			snprintf(p->offload, sizeof(p->offload), "%s", val);
		} else if (strcmp(k, "offload-args") == 0) {
			if (strlen(val) >= sizeof(p->offload_args))
				return cfg_fail(c, cfg_line_of(c, sec, k), "offload-args too long (max %s)%s",
					    "159 characters", "");
			snprintf(p->offload_args, sizeof(p->offload_args), "%s", val);
		} else if (strcmp(k, "iface-id") == 0) {
			if (!is_uuid(val))
				return cfg_fail(c, cfg_line_of(c, sec, k), "iface-id '%s' is not a UUID (the id "
					    "of a northbound port: wyctl port show NAME)%s", val, "");
			snprintf(p->iface_id, sizeof(p->iface_id), "%s", val);
		} else {
			return cfg_fail(c, cfg_line_of(c, sec, k), "unknown key '%s' in [%s]", k, sec);
		}
	}
	if (p->devargs[0] == 0)
		return cfg_fail(c, ln, "[%s] has no devargs%s", sec, "");
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, p->name) == 0)
			return cfg_fail(c, ln, "port '%s' defined twice%s", p->name, "");
	cfg->n_ports++;
	return 0;
}

/* [log] and [metrics]: each key checked by its module (log.c, metrics.c). */
static int load_ops(struct ctx *c, struct rte_cfgfile *f, const char *sec,
		    struct ctrl_config *cfg)
{
	struct rte_cfgfile_entry e[8];
	int n = rte_cfgfile_section_num_entries(f, sec);
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, cfg_line_of(c, sec, NULL), "too many keys in [%s]%s", sec, "");
	rte_cfgfile_section_entries(f, sec, e, n);
	for (int i = 0; i < n; i++) {
		char msg[200];
		struct sockaddr_storage sa;
		int rc;
		if (strcmp(sec, "log") == 0) {
			rc = ctrl_log_cfg_key(&cfg->log, e[i].name, e[i].value, msg, sizeof(msg));
		} else if (strcmp(e[i].name, "listen") != 0) {
			snprintf(msg, sizeof(msg), "unknown key '%s' in [metrics]", e[i].name);
			rc = -EINVAL;
		} else {
			rc = ctrl_metrics_parse_listen(e[i].value, &sa, msg, sizeof(msg));
			snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", e[i].value);
		}
		if (rc < 0)
			return cfg_fail(c, cfg_line_of(c, sec, e[i].name), "%s%s", msg, "");
	}
	return 0;
}

/* A group name (or number) of the group database into name/gid. */
static int group_key(struct ctx *c, int ln, const char *key, const char *val, char *name,
		     size_t size, long *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	if (val[0] == 0 || strlen(val) >= size)
		return cfg_fail(c, ln, "%s must name a group (1..63 characters)%s", key, "");
	int e = getgrnam_r(val, &gr, buf, sizeof(buf), &res);
	if (res == NULL) {
		char *end;
		unsigned long v = strtoul(val, &end, 10);
		if (e == 0 && *end == 0 && v < 0x7fffffff &&
		    getgrgid_r((gid_t)v, &gr, buf, sizeof(buf), &res) == 0 && res != NULL) {
			/* a number of a known group */
		} else {
			return cfg_fail(c, ln, "%s: unknown group '%s'", key, val);
		}
	}
	snprintf(name, size, "%s", res->gr_name);
	*gid = (long)res->gr_gid;
	return 0;
}

static int load_mgmt(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg)
{
	int n = rte_cfgfile_section_num_entries(f, "mgmt");
	struct rte_cfgfile_entry e[8];
	if (n > (int)RTE_DIM(e))
		return cfg_fail(c, cfg_line_of(c, "mgmt", NULL), "too many keys in [mgmt]%s%s", "", "");
	rte_cfgfile_section_entries(f, "mgmt", e, n);
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *val = e[i].value;
		int ln = cfg_line_of(c, "mgmt", k), rc = 0;
		if (strcmp(k, "socket") == 0) {
			if (val[0] == 0 || strlen(val) >= sizeof(cfg->socket))
				return cfg_fail(c, ln, "socket path empty or longer than %s%s", "107",
					    "");
			snprintf(cfg->socket, sizeof(cfg->socket), "%s", val);
		} else if (strcmp(k, "group") == 0) {
			rc = group_key(c, ln, k, val, cfg->mgmt_group, sizeof(cfg->mgmt_group),
				       &cfg->mgmt_gid);
		} else if (strcmp(k, "admin-group") == 0) {
			rc = group_key(c, ln, k, val, cfg->mgmt_admin_group,
				       sizeof(cfg->mgmt_admin_group), &cfg->mgmt_admin_gid);
		} else if (strcmp(k, "allow-file-devargs") == 0) {
			if (strcmp(val, "true") == 0)
				cfg->mgmt_allow_file_devargs = true;
			else if (strcmp(val, "false") == 0)
				cfg->mgmt_allow_file_devargs = false;
			else
				return cfg_fail(c, ln, "allow-file-devargs must be true or false, not "
					    "'%s'%s", val, "");
		} else {
			return cfg_fail(c, ln, "unknown key '%s' in [mgmt] (socket, group, "
				    "admin-group, allow-file-devargs)%s", k, "");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int ctrl_config_load(struct ctrl_config *cfg, const char *path, char *err, size_t errlen)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->path = path;
	c->err = err;
	c->errlen = errlen;
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	int rc = scan(c);
	struct rte_cfgfile *f = NULL;
	if (rc < 0)
		goto out;
	f = rte_cfgfile_load(path, CFG_FLAG_EMPTY_VALUES);
	if (f == NULL) {
		rc = cfg_fail(c, 0, "cannot be parsed%s%s", "", "");
		goto out;
	}
	int ns = rte_cfgfile_num_sections(f, NULL, 0);
	for (int i = 0; i < ns && rc == 0; i++) {
		char sec[CFG_NAME_LEN];
		if (rte_cfgfile_section_entries_by_index(f, i, sec, NULL, 0) < 0)
			continue;
		if (strcmp(sec, "eal") == 0)
			rc = load_eal(c, f, cfg);
		else if (strcmp(sec, "dp") == 0)
			rc = load_dp(c, f, cfg);
		else if (strcmp(sec, "mgmt") == 0) {
			rc = load_mgmt(c, f, cfg);
		} else if (strncmp(sec, "port.", 5) == 0)
			rc = load_port(c, f, sec, cfg);
		else if (strcmp(sec, "ctrl") == 0)
			rc = cfg_load_ctrl(c, f, cfg);
		else if (strcmp(sec, "log") == 0 || strcmp(sec, "metrics") == 0)
			rc = load_ops(c, f, sec, cfg);
		else if (strcmp(sec, "offload") == 0)
			rc = cfg_load_offload(c, f, cfg);
		else if (strcmp(sec, "api") == 0)
			rc = cfg_load_api(c, f, cfg);
		else
			rc = cfg_fail(c, cfg_line_of(c, sec, NULL), "unknown section [%s]%s", sec, "");
	}
	if (rc == 0 && cfg->lc.uplink[0]) {
		bool found = false;
		for (unsigned i = 0; i < cfg->n_ports; i++)
			found |= strcmp(cfg->ports[i].name, cfg->lc.uplink) == 0;
		if (!found)
			rc = cfg_fail(c, cfg_line_of(c, "ctrl", "uplink"), "uplink '%s' is no [port.%s]",
				  cfg->lc.uplink, cfg->lc.uplink);
		else if (strcmp(cfg->lc.vtep_ip, "0.0.0.0") == 0 || cfg->lc.vtep_ip[0] == 0)
			rc = cfg_fail(c, cfg_line_of(c, "ctrl", "uplink"),
				  "an uplink needs vtep-ip (this chassis' VTEP address)%s%s", "", "");
	}
	if (rc == 0 && cfg->lc.physnet_port[0]) {
		const struct ctrl_port_cfg *pp = NULL;
		for (unsigned i = 0; i < cfg->n_ports; i++)
			if (strcmp(cfg->ports[i].name, cfg->lc.physnet_port) == 0)
				pp = &cfg->ports[i];
		int ln = cfg_line_of(c, "ctrl", "physnet-port");
		if (pp == NULL)
			rc = cfg_fail(c, ln, "physnet-port '%s' is no [port.%s]", cfg->lc.physnet_port,
				      cfg->lc.physnet_port);
		else if (cfg->lc.uplink[0] == 0)
			rc = cfg_fail(c, ln, "physnet-port needs an uplink (the overlay's port)%s%s",
				      "", "");
		else if (strcmp(cfg->lc.uplink, cfg->lc.physnet_port) == 0)
			rc = cfg_fail(c, ln, "physnet-port '%s' is the uplink: leave it out to share "
				      "the uplink%s", cfg->lc.physnet_port, "");
		else if (pp->iface_id[0])
			rc = cfg_fail(c, ln, "physnet-port '%s' is bound to a VM port (iface-id)%s",
				      cfg->lc.physnet_port, "");
	}
	if (rc == 0 && cfg->api && cfg->api->enable && cfg->api->db[0] == 0 &&
	    cfg->lc.db_url[0] == 0)
		rc = cfg_fail(c, cfg_line_of(c, "api", "enable"), "[api] enable needs a database: "
			  "[api] db or [ctrl] db%s%s", "", "");
	if (rc == 0 && cfg->api) {
		const char *key = "auth";
		char m[300];

		if (api_config_check(cfg->api, &key, m, sizeof(m)))
			rc = cfg_fail(c, cfg_line_of(c, "api", key), "[api] %s%s", m, "");
	}
	if (rc == 0)
		rc = check_whole(c, cfg);
	lc_config_finish(&cfg->lc);
out:
	if (f)
		rte_cfgfile_close(f);
	free(c);
	return rc;
}
