/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_util.c — the local controller tests' harness (see
 * lc_test_util.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_ether.h>

#include "acl.h"
#include "db.h"
#include "lc.h"
#include "lc_priv.h"       /* lc_counts_check */
#include "lc_test_gen.h"
#include "mdl.h"
#include "nb.h"
#include "tables.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "test_eal_dir.h"

#include "lc_test_util.h"

char tmp[128];
static unsigned n_made;


static void fresh_dir(char *out, size_t len, const char *what)
{
	snprintf(out, len, "%s/%s%u", tmp, what, n_made++);
}

int inst_start(struct inst *in, struct db *central, const char *url, const char *chassis,
		      const char *replica, const char *const *ifaces, unsigned n_if)
{
	char name[32];
	struct lc_config cfg;
	memset(in, 0, sizeof(*in));
	snprintf(name, sizeof(name), "lct%u", n_made++);
	in->t = dp_tables_create(name, NULL, NULL, NULL);
	if (in->t == NULL)
		return -ENOMEM;
	/* the security-group ACLs are compiled too (lc_compile_sg.c) */
	struct dp_acl *acl = dp_acl_create(name, NULL, NULL, NULL);
	if (acl == NULL)
		return -ENOMEM;
	dp_tables_set_acl(in->t, acl);
	/* routers, gateways and floating IPs too (lc_compile_l3.c, _nat.c) */
	if (dp_l3_create(name, in->t, NULL, NULL, NULL) == NULL ||
	    dp_nat_create(name, in->t, NULL, NULL, NULL) == NULL)
		return -ENOMEM;
	lc_config_defaults(&cfg);
	snprintf(cfg.chassis, sizeof(cfg.chassis), "%s", chassis);
	snprintf(cfg.vtep_ip, sizeof(cfg.vtep_ip), "192.0.2.1");
	if (replica)
		snprintf(in->replica, sizeof(in->replica), "%s", replica);
	else
		fresh_dir(in->replica, sizeof(in->replica), "rep");
	snprintf(cfg.replica, sizeof(cfg.replica), "%s", in->replica);
	if (url)
		snprintf(cfg.db_url, sizeof(cfg.db_url), "%s", url);
	cfg.db = central;
	in->lc = lc_create(&cfg, in->t);
	if (in->lc == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n_if; i++)
		lc_set_iface(in->lc, ifaces[i], (uint16_t)(i + 1));
	return lc_start(in->lc);
}

void inst_stop(struct inst *in)
{
	lc_destroy(in->lc);
	dp_nat_destroy(dp_nat_find(in->t)); /* before the ACL: its zones */
	dp_l3_destroy(dp_l3_find(in->t));
	struct dp_acl *acl = in->t ? dp_tables_get_acl(in->t) : NULL;
	if (in->t)
		dp_tables_set_acl(in->t, NULL);
	dp_acl_destroy(acl);
	dp_tables_destroy(in->t);
	memset(in, 0, sizeof(*in));
}

/* Drive the event loop until the controller applied the db's revision. */
int inst_sync(struct inst *in, struct db *central)
{
	uint64_t want;
	if (db_revision(central, &want) < 0)
		return -EIO;
	for (int i = 0; i < 1000; i++) {
		struct lc_stats st;
		lc_run(in->lc);
		lc_get_stats(in->lc, &st);
		if (st.connected && st.applied_revision >= want) {
			/* the watch delivers one txn's keys one by one: wait
			 * until it has been quiet for 50 ms */
			struct pollfd q = { .fd = lc_fd(in->lc), .events = POLLIN };
			while (poll(&q, 1, 50) > 0)
				lc_run(in->lc);
			lc_run(in->lc);
			return 0;
		}
		struct pollfd p = { .fd = lc_fd(in->lc), .events = POLLIN };
		poll(&p, 1, 10);
	}
	return -ETIMEDOUT;
}

/* ---- canonical dumps ---------------------------------------------------- */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char line[2048];
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, line, (size_t)n + 1);
	b->len += (size_t)n;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct lines {
	char **v;
	size_t n;
};

static void add_line(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	l->v = realloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = s;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int net_cb(const struct dp_network *n, void *arg)
{
	uint16_t lp[DP_NET_MAX_LOCAL];
	char buf[512] = "";
	memcpy(lp, n->local_ports, n->n_local * sizeof(uint16_t));
	qsort(lp, n->n_local, sizeof(uint16_t), cmp_u16);
	for (unsigned i = 0; i < n->n_local; i++)
		sprintf(buf + strlen(buf), "%u,", lp[i]);
	add_line(arg, "net %u name=%s vni=%u mtu=%u local=%s", n->cfg.key, n->cfg.name,
		 n->cfg.vni, n->cfg.mtu, buf);
	return 0;
}

static int lport_cb(const struct dp_lport *p, void *arg)
{
	const struct dp_lport_cfg *c = &p->cfg;
	char buf[1024] = "", ip[64];
	for (unsigned i = 0; i < c->n_macs; i++)
		sprintf(buf + strlen(buf), "mac=" RTE_ETHER_ADDR_PRT_FMT " ",
			RTE_ETHER_ADDR_BYTES(&c->macs[i]));
	for (unsigned i = 0; i < c->n_ips; i++) {
		dp_ip_format(ip, sizeof(ip), &c->ips[i]);
		sprintf(buf + strlen(buf), "ip=%s ", ip);
	}
	for (unsigned i = 0; i < c->n_aaps; i++) {
		dp_ip_format(ip, sizeof(ip), &c->aaps[i].ip);
		sprintf(buf + strlen(buf), "aap=%s@" RTE_ETHER_ADDR_PRT_FMT " ", ip,
			RTE_ETHER_ADDR_BYTES(&c->aaps[i].mac));
	}
	add_line(arg, "lport %u net=%u name=%s %sps=%d up=%d port=%u vtep=%08x", c->key,
		 c->network, c->name, buf, c->port_security, c->admin_up, c->dp_port,
		 c->remote_vtep);
	return 0;
}

static int fdb_cb(uint32_t net, const uint8_t mac[6], uint32_t lport, void *arg)
{
	add_line(arg, "fdb %u %02x:%02x:%02x:%02x:%02x:%02x %u", net, mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5], lport);
	return 0;
}

static int rep_cb(const char *key, uint64_t version, void *arg)
{
	if (strncmp(key, "/wyvern/v1/", 11) == 0)
		add_line(arg, "replica %s v%llu", key, (unsigned long long)version);
	return 0;
}

/* Tables (+ replica keys when rep) as one sorted text. */
unsigned acl_lines; /* ACL entries seen in dumps (the property covers them) */

struct acl_walk {
	struct lines *l;
	struct lc *lc;
};

/* An address set a rule reads, as the controller put it (lc_sg_set). */
static void set_line(struct acl_walk *w, uint32_t set)
{
	const char *gid, *name;
	const struct dp_ip *a;
	uint32_t n;
	char buf[2048] = "";
	if (set == 0 || lc_sg_set(w->lc, set, &gid, &name, &a, &n) < 0)
		return;
	for (uint32_t i = 0; i < n && strlen(buf) < sizeof(buf) - 64; i++) {
		char ip[64];
		dp_ip_format(ip, sizeof(ip), &a[i]);
		sprintf(buf + strlen(buf), " %s", ip);
	}
	add_line(w->l, "set %u group %s:%s", set, gid, buf);
}

static int acl_cb(const struct dp_acl_port_info *pi, void *arg)
{
	struct acl_walk *w = arg;
	acl_lines++;
	char buf[4096] = "";
	for (uint32_t i = 0; i < pi->n_rules && strlen(buf) < sizeof(buf) - 128; i++) {
		const struct dp_acl_rule *r = &pi->rules[i];
		char ip[64];
		dp_ip_format(ip, sizeof(ip), &r->remote);
		sprintf(buf + strlen(buf), "[%u %u d%u f%u p%u%s %u-%u %u-%u %s s%u]", r->key,
			r->priority, r->dir, r->family, r->proto, r->any_proto ? "*" : "",
			r->src_min, r->src_max, r->dst_min, r->dst_max, r->remote.plen ? ip : "-",
			r->remote_set);
		set_line(w, r->remote_set);
	}
	add_line(w->l, "acl %u stateful=%d %s", pi->lport, pi->stateful, buf);
	return 0;
}

char *dump(struct inst *in, bool rep)
{
	struct lines l = { 0 };
	struct sbuf b = { 0 };
	/* show ctrl's kept counts agree with a walk over every object */
	char why[192];
	bool counts = lc_counts_check(in->lc, why, sizeof(why));
	if (!counts)
		printf("\ncounts: %s\n", why);
	CU_ASSERT(counts);
	dp_table_foreach_network(in->t, net_cb, &l);
	dp_table_foreach_lport(in->t, lport_cb, &l);
	dp_table_foreach_fdb(in->t, fdb_cb, &l);
	struct acl_walk w = { &l, in->lc };
	dp_acl_foreach_port(dp_tables_get_acl(in->t), acl_cb, &w);
	if (rep)
		lc_replica_foreach(in->lc, rep_cb, &l);
	qsort(l.v, l.n, sizeof(char *), cmp_line);
	sb_printf(&b, "%s", "");
	for (size_t i = 0; i < l.n; i++) {
		sb_printf(&b, "%s\n", l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	return b.s;
}

bool replica_has(struct inst *in, const char *id)
{
	char *d = dump(in, true);
	bool r = strstr(d, id) != NULL;
	free(d);
	return r;
}

/* ---- northbound helpers ------------------------------------------------- */
struct db *central_open(void)
{
	char d[256], url[300];
	fresh_dir(d, sizeof(d), "central");
	snprintf(url, sizeof(url), "rocksdb:%s", d);
	/* small pages: every sync's snapshot comes in several (lc.c) */
	struct db_opts o = { .scan_page_keys = 16 };
	return db_open_opts(url, &o, NULL, 0);
}

uint32_t dpkey(struct db *db, enum mdl_type t, const char *id)
{
	struct mdl_hdr *h;
	if (nb_get(db, t, id, &h, NULL) < 0)
		return 0;
	uint32_t k = h->dp_key;
	mdl_obj_free(h);
	return k;
}

void fresh_agrees(struct inst *in, struct db *central, const char *const *ifaces,
		  unsigned n_if, const char *what)
{
	struct inst f;
	CU_ASSERT_EQUAL_FATAL(inst_start(&f, central, NULL, "X", NULL, ifaces, n_if), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&f, central), 0);
	char *x = dump(in, true), *y = dump(&f, true);
	CU_ASSERT_STRING_EQUAL(x, y);
	if (strcmp(x, y) != 0)
		printf("\n%s\n--- incremental\n%s--- fresh\n%s", what, x, y);
	free(x);
	free(y);
	inst_stop(&f);
}

/* ---- a DHCP network of ports (lc_test_inc.c, lc_test_pass.c) ---------- */
void port_id(unsigned i, char id[MDL_ID_SIZE])
{
	snprintf(id, MDL_ID_SIZE, "dddddddd-0000-4000-8000-%012u", i);
}

/* A network with a DHCP subnet and n ports on it, the first n_local bound
 * here (iface i + 1 each). */
struct db *setup_local(struct inst *x, unsigned n, unsigned n_local,
			      char net[MDL_ID_SIZE], char sub[MDL_ID_SIZE])
{
	struct db *db = central_open();
	char id[MDL_ID_SIZE], ids[N_LOCAL][MDL_ID_SIZE];
	const char *ifs[N_LOCAL];
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sub, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.9.0.0/16\",\"enable_dhcp\":true,"
		"\"gateway_ip\":\"10.9.0.1\"}", net), 0);
	for (unsigned i = 0; i < n; i++) {
		port_id(i, id);
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\","
			"\"network_id\":\"%s\",\"binding:host_id\":\"%s\",\"fixed_ips\":"
			"[{\"subnet_id\":\"%s\",\"ip_address\":\"10.9.%u.%u\"}]}", id, net,
			i < n_local ? "X" : "Y", sub, 1 + i / 250, 2 + i % 250), 0);
	}
	CU_ASSERT_FATAL(n_local >= 1 && n_local <= N_LOCAL);
	for (unsigned i = 0; i < n_local; i++) {
		port_id(i, ids[i]);
		ifs[i] = ids[i];
	}
	CU_ASSERT_EQUAL_FATAL(inst_start(x, db, NULL, "X", NULL, ifs, n_local), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(x, db), 0);
	return db;
}

/* setup_local with the first port bound here. */
struct db *setup(struct inst *x, unsigned n, char net[MDL_ID_SIZE],
			char sub[MDL_ID_SIZE])
{
	return setup_local(x, n, 1, net, sub);
}

uint32_t want_ip(unsigned i)
{
	return htonl(0x0a090000u | (1 + i / 250) << 8 | (2 + i % 250));
}


int set_port(struct db *db, const char *id, const char *field, const char *value)
{
	struct mdl_hdr *h;
	char err[MDL_ERR_SIZE];
	int rc = nb_get(db, MDL_PORT, id, &h, NULL);
	if (rc)
		return rc;
	struct mdl_port *p = mdl_hdr_to_port(h);
	if (strcmp(field, "mac") == 0)
		snprintf(p->mac_address, sizeof(p->mac_address), "%s", value);
	else
		snprintf(p->binding_host_id, sizeof(p->binding_host_id), "%s", value);
	rc = nb_update(db, h, 0, NULL, err, sizeof(err));
	mdl_obj_free(h);
	return rc;
}
