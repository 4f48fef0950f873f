/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/config_test.c — the INI configuration: every key of the shipped
 * example loads, and each kind of bad line is rejected with FILE:LINE and a
 * reason, leaving no partial state that matters (the daemon exits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "config.h"

static char path[64];

static int load_text(const char *text, struct ctrl_config *cfg, char *err, size_t len)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	ctrl_config_defaults(cfg);
	err[0] = 0;
	int rc = ctrl_config_load(cfg, path, err, len);
	return rc;
}

static void expect_error(const char *text, int line, const char *needle)
{
	struct ctrl_config cfg;
	char err[512], want[96];
	int rc = load_text(text, &cfg, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -22);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	if (rc != -22 || !strstr(err, want) || !strstr(err, needle))
		fprintf(stderr, "\n  text=<%s> err=<%s> wanted line %d '%s'\n", text, err, line,
			needle);
	ctrl_config_free(&cfg);
}

static void test_example_loads(void)
{
	struct ctrl_config cfg;
	char err[512];
	ctrl_config_defaults(&cfg);
	int rc = ctrl_config_load(&cfg, "../conf/wyvernd.conf", err, sizeof(err));
	if (rc < 0)
		rc = ctrl_config_load(&cfg, "conf/wyvernd.conf", err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.n_ports, 2);
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].name, "vm1");
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].devargs, "net_tap0,iface=wyv-vm1");
	CU_ASSERT_EQUAL(cfg.dp.idle_sleep_max_us, 250);
	CU_ASSERT_EQUAL(cfg.dp.emc_entries, 8192);
	CU_ASSERT_EQUAL(cfg.dp.emc_min_hit_pct, 50);
	CU_ASSERT_STRING_EQUAL(cfg.socket, "/run/wyvern/wyvernd.sock");
	/* [eal] turned into arguments in order */
	CU_ASSERT(cfg.eal_argc >= 6);
	CU_ASSERT_STRING_EQUAL(cfg.eal_argv[0], "--no-huge");
	ctrl_config_free(&cfg);
}

static void test_values(void)
{
	struct ctrl_config cfg;
	char err[512];
	CU_ASSERT_EQUAL(load_text("[dp]\npmd-lcores = 1-2\nidle-sleep-max-us=0\n"
				  "[port.a]\ndevargs = net_null0\nrxqs = 4\npmd = 2\nmtu = 9000\n"
				  "iface-id = 6f0c9f1e-3b5a-4c2e-9d7a-2a1b3c4d5e6f\n",
				  &cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.pmd_lcores, "1-2");
	CU_ASSERT_EQUAL(cfg.dp.idle_sleep_max_us, 0);
	CU_ASSERT_EQUAL(cfg.ports[0].opts.n_rxq, 4);
	CU_ASSERT_EQUAL(cfg.ports[0].opts.pmd_lcore, 2);
	CU_ASSERT_EQUAL(cfg.ports[0].opts.mtu, 9000);
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].iface_id, "6f0c9f1e-3b5a-4c2e-9d7a-2a1b3c4d5e6f");
	CU_ASSERT_EQUAL(cfg.dp.megaflow_max_idle_ms, 10000); /* defaults */
	CU_ASSERT_EQUAL(dp_config_port_quota(&cfg.dp), cfg.dp.megaflows_max / 4);
	CU_ASSERT_EQUAL(cfg.dp.upcall_budget_pct, 2);
	ctrl_config_free(&cfg);
	CU_ASSERT_EQUAL(load_text("[dp]\nmegaflow-max-idle-ms = 250\nmegaflows-per-port = 300\n"
				  "upcall-budget-pct = 0\n", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.dp.upcall_budget_pct, 0);
	CU_ASSERT_EQUAL(cfg.dp.megaflow_max_idle_ms, 250);
	CU_ASSERT_EQUAL(cfg.dp.megaflows_per_port, 300);
	CU_ASSERT_EQUAL(dp_config_port_quota(&cfg.dp), 300);
	ctrl_config_free(&cfg);
	/* [offload] and the per-port override */
	CU_ASSERT_EQUAL(load_text("[offload]\nenable = true\nmode = partial\nbackend = dummy\n"
				  "backend-args = caps=mark,rss\nstats-interval-ms = 50\n"
				  "max-flows = 4096\n[port.a]\ndevargs = net_null0\noffload = none\n"
				  "[port.b]\ndevargs = net_null1\noffload-args = caps=queue\n",
				  &cfg, err, sizeof(err)), 0);
	CU_ASSERT(cfg.offload.enable);
	CU_ASSERT_STRING_EQUAL(cfg.offload.mode, "partial");
	CU_ASSERT_STRING_EQUAL(cfg.offload.backend, "dummy");
	CU_ASSERT_STRING_EQUAL(cfg.offload.args, "caps=mark,rss");
	CU_ASSERT_EQUAL(cfg.offload.stats_interval_ms, 50);
	CU_ASSERT_EQUAL(cfg.offload.max_flows, 4096);
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].offload, "none");
	CU_ASSERT_STRING_EQUAL(cfg.ports[1].offload, "");
	CU_ASSERT_STRING_EQUAL(cfg.ports[1].offload_args, "caps=queue");
	ctrl_config_free(&cfg);
	CU_ASSERT_EQUAL(load_text("[dp]\n", &cfg, err, sizeof(err)), 0);
	CU_ASSERT(!cfg.offload.enable);                       /* defaults */
	CU_ASSERT_STRING_EQUAL(cfg.offload.mode, "auto");
	CU_ASSERT_STRING_EQUAL(cfg.offload.backend, "auto");
	CU_ASSERT_EQUAL(cfg.offload.stats_interval_ms, 1000);
	ctrl_config_free(&cfg);
	unsigned l[16];
	CU_ASSERT_EQUAL(ctrl_parse_lcores("1,3-5", l, 16), 4);
	CU_ASSERT_EQUAL(l[3], 5);
	CU_ASSERT_EQUAL(ctrl_parse_lcores("3-1", l, 16), -22);
	CU_ASSERT_EQUAL(ctrl_parse_lcores("", l, 16), -22);
	CU_ASSERT_EQUAL(ctrl_parse_lcores("1,x", l, 16), -22);
}

static void test_errors(void)
{
	expect_error("[dp]\nbogus = 1\n", 2, "unknown key 'bogus'");
	expect_error("; c\n[dp]\nmbufs = 12abc\n", 3, "mbufs must be an integer");
	expect_error("[dp]\nmbufs = -5\n", 2, "mbufs must be an integer");
	expect_error("[dp]\nemc-entries = 1000\n", 2, "power of two");
	expect_error("[dp]\nemc-min-hit-rate = 101\n", 2, "emc-min-hit-rate must be");
	expect_error("[dp]\n\nmegaflow-max-idle-ms = soon\n", 3, "megaflow-max-idle-ms must be");
	expect_error("[dp]\nmegaflows-per-port = -1\n", 2, "megaflows-per-port must be");
	expect_error("[dp]\nupcall-budget-pct = 101\n", 2, "upcall-budget-pct must be");
	expect_error("[dp]\npmd-lcores = 1-x\n", 2, "pmd-lcores");
	expect_error("[dp\n", 1, "malformed section");
	expect_error("key = 1\n", 1, "outside of any section");
	expect_error("[dp]\njust words\n", 2, "expected 'key = value'");
	expect_error("[dp]\n = 4\n", 2, "empty key");
	expect_error("[dp]\nmbufs = 2048\nmbufs = 4096\n", 3, "repeated");
	expect_error("[nope]\n", 1, "unknown section");
	expect_error("[port.x]\nrxqs = 2\n", 1, "has no devargs");
	expect_error("[port.x]\ndevargs = net_null0\nrxqs = 0\n", 3, "rxqs must be");
	expect_error("[port.x]\ndevargs = net_null0\ncolour = red\n", 3, "unknown key 'colour'");
	expect_error("[mgmt]\nsocket = /tmp/a\nother = 1\n", 3, "unknown key 'other' in [mgmt]");
	expect_error("[mgmt]\ngroup = wyv-no-such-group-x\n", 2,
		     "group: unknown group 'wyv-no-such-group-x'");
	expect_error("[mgmt]\nsocket = /tmp/a\nadmin-group = 99999999\n", 3,
		     "admin-group: unknown group '99999999'");
	expect_error("[mgmt]\nallow-file-devargs = yes\n", 2, "true or false");
	expect_error("[eal]\nhugepages = maybe\n", 2, "yes or no");
	expect_error("[eal]\nwhat = 1\n", 2, "unknown key 'what'");
	expect_error("[offload]\nenable = yes\n", 2, "true or false");
	expect_error("[offload]\nenable = true\nmode = fastest\n", 3, "mode must be");
	expect_error("[offload]\nbackend = asic\n", 2, "backend must be");
	expect_error("[offload]\nstats-interval-ms = -1\n", 2, "stats-interval-ms must be");
	expect_error("[offload]\nmax-flows = 1\n", 2, "max-flows must be");
	expect_error("[offload]\ncolour = red\n", 2, "unknown key 'colour' in [offload]");
	expect_error("[port.x]\ndevargs = net_null0\noffload = magic\n", 3, "offload must be");
	/* lines that parse, in files that cannot start */
	expect_error("[port.x]\ndevargs = net_null0\niface-id = vm1\n", 3, "not a UUID");
	expect_error("[eal]\nargs = --no-huge\nmemory-mb = 128\n[dp]\nmbufs = 16384\n", 3,
		     "too small: the datapath needs at least 200 MB");
	expect_error("[eal]\nargs = --no-huge --no-pci\n", 2, "--no-huge's default");
	expect_error("[dp]\npmd-lcores = 1,2,1\n", 2, "lcore 1 is listed twice");
	expect_error("[dp]\npmd-lcores = 0-1\n", 2, "lcore 0 is the control thread");
	expect_error("[dp]\npmd-lcores = 1\n[port.x]\ndevargs = net_null0\npmd = 2\n", 5,
		     "pmd = 2 is not one of pmd-lcores = 1");
	expect_error("[port.up]\ndevargs = net_null0\n[ctrl]\nuplink = down\nvtep-ip = 192.0.2.1\n",
		     4, "uplink 'down' is no [port.down]");
	/* the provider networks' own port */
	const char *two = "[port.up]\ndevargs = net_null0\n[port.ext]\ndevargs = net_null1\n";
	char t[512];
	snprintf(t, sizeof(t), "%s[ctrl]\nuplink = up\nvtep-ip = 192.0.2.1\nphysnet-port = ex\n",
		 two);
	expect_error(t, 8, "physnet-port 'ex' is no [port.ex]");
	snprintf(t, sizeof(t), "%s[ctrl]\nphysnet-port = ext\n", two);
	expect_error(t, 6, "physnet-port needs an uplink");
	snprintf(t, sizeof(t), "%s[ctrl]\nuplink = up\nvtep-ip = 192.0.2.1\nphysnet-port = up\n",
		 two);
	expect_error(t, 8, "is the uplink: leave it out");
	snprintf(t, sizeof(t), "[port.up]\ndevargs = net_null0\n[port.ext]\ndevargs = net_null1\n"
		 "iface-id = 0b3c1c2e-8a77-4f0e-9d59-3c1f7f2b2a11\n[ctrl]\nuplink = up\nvtep-ip = 192.0.2.1\nphysnet-port = ext\n");
	expect_error(t, 9, "is bound to a VM port");
	struct ctrl_config cfg;
	char err[512];
	snprintf(t, sizeof(t), "%s[ctrl]\nuplink = up\nvtep-ip = 192.0.2.1\nphysnet-port = ext\n",
		 two);
	CU_ASSERT_EQUAL(load_text(t, &cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.lc.physnet_port, "ext");
}

static void test_mgmt(void)
{
	struct ctrl_config cfg;
	char err[512];
	CU_ASSERT_EQUAL(load_text("[mgmt]\nsocket = /tmp/s\n", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.mgmt_gid, -1);
	CU_ASSERT_EQUAL(cfg.mgmt_admin_gid, -1);
	CU_ASSERT_FALSE(cfg.mgmt_allow_file_devargs);
	ctrl_config_free(&cfg);
	/* root's group exists everywhere: by name and by number */
	CU_ASSERT_EQUAL(load_text("[mgmt]\ngroup = root\nadmin-group = 0\n"
				  "allow-file-devargs = true\n", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.mgmt_gid, 0);
	CU_ASSERT_STRING_EQUAL(cfg.mgmt_group, "root");
	CU_ASSERT_EQUAL(cfg.mgmt_admin_gid, 0);
	CU_ASSERT_STRING_EQUAL(cfg.mgmt_admin_group, "root");
	CU_ASSERT_TRUE(cfg.mgmt_allow_file_devargs);
	ctrl_config_free(&cfg);
}

/* [ctrl] etcd security keys: files checked at load, keys that go together */
static void test_db_security(void)
{
	struct ctrl_config cfg;
	char err[512];
	/* /etc/hostname: any readable file stands in for a PEM file here */
	CU_ASSERT_EQUAL(load_text("[ctrl]\ndb = etcds://127.0.0.1:2379,127.0.0.1:2381\n"
				  "db-ca = /etc/hostname\ndb-cert = /etc/hostname\n"
				  "db-key = /etc/hostname\ndb-user = c1\n"
				  "db-password-file = /etc/hostname\ndb-watch-idle-ms = 3000\n",
				  &cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.lc.db_ca, "/etc/hostname");
	CU_ASSERT_STRING_EQUAL(cfg.lc.db_user, "c1");
	CU_ASSERT_EQUAL(cfg.lc.db_watch_idle_ms, 3000);
	ctrl_config_free(&cfg);
	expect_error("[ctrl]\ndb = etcd://127.0.0.1:2379\ndb-ca = /etc/hostname\n", 3,
		     "db-ca needs an etcds:// db URL");
	expect_error("[ctrl]\ndb = etcds://127.0.0.1:2379\ndb-ca = /nonexistent/ca.pem\n", 3,
		     "db-ca /nonexistent/ca.pem cannot be read");
	expect_error("[ctrl]\ndb = etcds://127.0.0.1:2379\ndb-ca = ca.pem\n", 3,
		     "absolute file path");
	expect_error("[ctrl]\ndb = etcds://127.0.0.1:2379\ndb-cert = /etc/hostname\n", 3,
		     "db-cert and db-key go together");
	expect_error("[ctrl]\ndb = etcd://127.0.0.1:2379\ndb-user = c1\n", 3,
		     "db-user and db-password-file go together");
	expect_error("[ctrl]\ndb = rocksdb:/tmp/x\ndb-user = c1\n"
		     "db-password-file = /etc/hostname\n", 3, "db-user needs an etcd db");
	expect_error("[ctrl]\ndb-watch-idle-ms = 10\n", 2, "500..600000");
	expect_error("[ctrl]\ndb = etcds://\n", 2, "etcds://HOST:PORT");
}

/* [ctrl] snat, snat-ports */
static void test_snat(void)
{
	struct ctrl_config cfg;
	char err[512];
	CU_ASSERT_EQUAL(load_text("[ctrl]\nchassis = a\n", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.lc.snat_mode, LC_SNAT_DISTRIBUTED); /* the default */
	CU_ASSERT_EQUAL(cfg.lc.snat_port_min, 0);
	ctrl_config_free(&cfg);
	CU_ASSERT_EQUAL(load_text("[ctrl]\nsnat = off\nsnat-ports = 2000-2001\n", &cfg, err,
				  sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.lc.snat_mode, LC_SNAT_OFF);
	CU_ASSERT_EQUAL(cfg.lc.snat_port_min, 2000);
	CU_ASSERT_EQUAL(cfg.lc.snat_port_max, 2001);
	ctrl_config_free(&cfg);
	CU_ASSERT_EQUAL(load_text("[ctrl]\nsnat = distributed\n", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.lc.snat_mode, LC_SNAT_DISTRIBUTED);
	ctrl_config_free(&cfg);
	CU_ASSERT_EQUAL(load_text("[ctrl]\nsnat = gateway\ngateway = true\ngateway-priority = 7\n",
				  &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.lc.snat_mode, LC_SNAT_GATEWAY);
	CU_ASSERT_TRUE(cfg.lc.gateway);
	CU_ASSERT_EQUAL(cfg.lc.gateway_priority, 7);
	ctrl_config_free(&cfg);
	CU_ASSERT_EQUAL(load_text("[ctrl]\nsnat = gateway\n", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(cfg.lc.gateway);
	CU_ASSERT_EQUAL(cfg.lc.gateway_priority, 0);
	ctrl_config_free(&cfg);
	expect_error("[ctrl]\nchassis = a\nsnat = central\n", 3, "distributed, gateway or off");
	expect_error("[ctrl]\ngateway = yes\n", 2, "true or false");
	expect_error("[ctrl]\ngateway-priority = 70000\n", 2, "0..65535");
	expect_error("[ctrl]\ngateway-priority = -1\n", 2, "0..65535");
	expect_error("[ctrl]\nsnat-ports = 3000-2000\n", 2, "MIN-MAX");
	expect_error("[ctrl]\nsnat-ports = 0-10\n", 2, "MIN-MAX");
	expect_error("[ctrl]\nsnat-ports = 10-70000\n", 2, "MIN-MAX");
	expect_error("[ctrl]\nsnat-ports = 10-20x\n", 2, "MIN-MAX");
	expect_error("[ctrl]\nsnat-ports = 10\n", 2, "MIN-MAX");
}

static void test_missing_file(void)
{
	struct ctrl_config cfg;
	char err[512];
	ctrl_config_defaults(&cfg);
	CU_ASSERT(ctrl_config_load(&cfg, "/nonexistent/wyvernd.conf", err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/wyv_cfg_test_%d.conf", (int)getpid());
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("config", NULL, NULL);
	CU_add_test(s, "example config loads", test_example_loads);
	CU_add_test(s, "values parse", test_values);
	CU_add_test(s, "bad lines name file:line", test_errors);
	CU_add_test(s, "[mgmt] group, admin-group, allow-file-devargs", test_mgmt);
	CU_add_test(s, "missing file", test_missing_file);
	CU_add_test(s, "[ctrl] etcd TLS and auth keys", test_db_security);
	CU_add_test(s, "[ctrl] snat, snat-ports", test_snat);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	unlink(path);
	return failed ? 1 : 0;
}
