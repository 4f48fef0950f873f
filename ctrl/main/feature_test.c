/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/feature_test.c — the feature list against the command table
 * (every registered handler has a spec line, every spec line a handler),
 * the dispatcher's privilege check, the features' life cycle and the
 * devargs `port add` accepts.  No EAL, no datapath: the commands used here
 * refuse or answer before touching one.
 */
#include <errno.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "cmd_spec.h"
#include "feature.h"

static void test_specs_and_handlers(void)
{
	size_t nf, ns;
	const struct ctrl_feature *const *fl = ctrl_features(&nf);
	const struct ctrl_cmd_spec *sp = ctrl_cmd_specs(&ns);
	CU_ASSERT(nf >= 7);
	unsigned handlers = 0;
	for (size_t i = 0; i < nf; i++)
		for (const struct ctrl_cmd *k = fl[i]->cmds; k && k->words; k++) {
			handlers++;
			CU_ASSERT_PTR_NOT_NULL(k->fn);
			if (ctrl_cmd_spec_get(k->words) == NULL)
				CU_FAIL_FATAL("a registered command has no line in cmd_spec.c");
			/* served once only */
			for (size_t j = 0; j < nf; j++)
				for (const struct ctrl_cmd *o = fl[j]->cmds; o && o->words; o++)
					if (o != k && strcmp(o->words, k->words) == 0)
						CU_FAIL("a command is served twice");
		}
	for (size_t s = 0; s < ns; s++) {
		bool served = false;
		for (size_t i = 0; i < nf && !served; i++)
			for (const struct ctrl_cmd *k = fl[i]->cmds; k && k->words; k++)
				served |= strcmp(k->words, sp[s].words) == 0;
		if (!served)
			fprintf(stderr, "no handler for '%s'\n", sp[s].words);
		/* northbound lines too: wyvernd serves them (worker thread) */
		CU_ASSERT(served);
	}
	CU_ASSERT_EQUAL(handlers, ns);
}

static struct ctrl_config cfg;
static struct ctrl C;

static char *ask(const struct ctrl_peer *peer, const char *req)
{
	return ctrl_handle_request(&C, req, strlen(req), peer, 1);
}

static void test_privilege(void)
{
	ctrl_config_defaults(&cfg);
	snprintf(cfg.mgmt_admin_group, sizeof(cfg.mgmt_admin_group), "wyvadm");
	cfg.mgmt_admin_gid = 4242;
	memset(&C, 0, sizeof(C));
	C.cfg = &cfg;
	size_t nf;
	const struct ctrl_feature *const *fl = ctrl_features(&nf);
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(ctrl_features_init(&C, fl, nf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(C.n_feat, nf);
	CU_ASSERT_PTR_NOT_NULL(C.punt[DP_PUNT_DHCP].fn);
	CU_ASSERT_PTR_NOT_NULL(ctrl_feature_ctx(&C, fl[nf - 1]));

	struct ctrl_peer user = { .pid = 1, .uid = 1000, .gid = 1000 };
	struct ctrl_peer admin = user, root = { .pid = 1 };
	admin.groups[admin.n_groups++] = 27;
	admin.groups[admin.n_groups++] = 4242;
	char *l;

	/* admin command, plain user: refused before the handler runs */
	l = ask(&user, "{\"argv\":[\"cache\",\"flush\"]}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "permission denied: 'cache flush' needs uid 0 or "
				      "group wyvadm"));
	free(l);
	l = ask(&user, "{\"argv\":[\"network\",\"create\",\"x\"]}\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "permission denied: 'network create'"));
	free(l);
	/* a northbound read is not refused (it fails for lack of a db) */
	l = ask(&user, "{\"argv\":[\"network\",\"list\"]}\n");
	CU_ASSERT_PTR_NULL(strstr(l, "permission denied"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "no database"));
	free(l);
	/* the admin group (supplementary) and root pass the check */
	l = ask(&admin, "{\"argv\":[\"network\",\"create\",\"x\"]}\n");
	CU_ASSERT_PTR_NULL(strstr(l, "permission denied"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "no database"));
	free(l);
	l = ask(&root, "{\"argv\":[\"network\",\"delete\",\"x\"]}\n");
	CU_ASSERT_PTR_NULL(strstr(l, "permission denied"));
	free(l);
	/* primary group counts too */
	struct ctrl_peer prim = { .pid = 1, .uid = 1000, .gid = 4242 };
	l = ask(&prim, "{\"argv\":[\"security-group\",\"update\",\"x\"]}\n");
	CU_ASSERT_PTR_NULL(strstr(l, "permission denied"));
	free(l);
	/* without an admin group only root */
	cfg.mgmt_admin_gid = -1;
	l = ask(&admin, "{\"argv\":[\"port\",\"del\",\"x\"]}\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "permission denied: 'port del' needs uid 0"));
	free(l);
	/* read-only command for anyone who can connect */
	l = ask(&user, "{\"argv\":[\"show\",\"dhcp\"]}\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"ok\":true"));
	free(l);
	/* unknown command: usage and a suggestion */
	l = ask(&user, "{\"argv\":[\"shwo\",\"pmd\"]}\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "unknown command 'shwo pmd'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "show pmd"));
	free(l);
	/* usage errors carry the spec's usage line */
	l = ask(&root, "{\"argv\":[\"show\",\"dhcp\",\"extra\"]}\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "usage: wyctl show dhcp"));
	free(l);
	ctrl_features_fini(&C);
	CU_ASSERT_EQUAL(C.n_feat, 0);
	CU_ASSERT_PTR_NULL(C.punt[DP_PUNT_DHCP].fn);
}

static int fail_init(struct ctrl *c, void **ctx, char *err, size_t len)
{
	(void)c, (void)ctx;
	snprintf(err, len, "no way");
	return -EIO;
}

static int up_count;
static int count_init(struct ctrl *c, void **ctx, char *err, size_t len)
{
	(void)c, (void)err, (void)len;
	*ctx = &up_count;
	up_count++;
	return 0;
}
static void count_fini(struct ctrl *c, void *ctx)
{
	(void)c;
	CU_ASSERT_PTR_EQUAL(ctx, &up_count);
	up_count--;
}

static void test_init_failure_unwinds(void)
{
	static const struct ctrl_feature a = { .name = "a", .init = count_init, .fini = count_fini };
	static const struct ctrl_feature b = { .name = "b", .init = fail_init };
	const struct ctrl_feature *list[] = { &a, &b };
	struct ctrl c = { 0 };
	char err[128];
	CU_ASSERT_EQUAL(ctrl_features_init(&c, list, 2, err, sizeof(err)), -EIO);
	CU_ASSERT_STRING_EQUAL(err, "feature b: no way");
	CU_ASSERT_EQUAL(up_count, 0);
	CU_ASSERT_EQUAL(c.n_feat, 0);
}

static void test_devargs(void)
{
	char m[512];
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_tap0,iface=wyv-vm1", m, sizeof(m)), 0);
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_af_packet1,iface=eth0,qpairs=2", m, sizeof(m)),
			0);
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_af_xdp0,iface=veth1,start_queue=0", m,
					   sizeof(m)), 0);
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_null0", m, sizeof(m)), 0);
	CU_ASSERT_EQUAL(ctrl_devargs_check("0000:03:00.0", m, sizeof(m)), 0);
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_pcap0,iface=eth0", m, sizeof(m)), 0);
	/* files */
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_pcap0,rx_pcap=/etc/passwd", m, sizeof(m)),
			-EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "rx_pcap"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "allow-file-devargs"));
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_pcap0,iface=lo,tx_pcap=/tmp/x", m, sizeof(m)),
			-EPERM);
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_af_xdp0,iface=v,xdp_prog=/tmp/p.o", m,
					   sizeof(m)), -EPERM);
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_vhost0,iface=/tmp/sock", m, sizeof(m)), -EPERM);
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_virtio_user0,path=/dev/vhost-net", m,
					   sizeof(m)), -EPERM);
	CU_ASSERT_EQUAL(ctrl_devargs_check("0000:03:00.0,foo=1", m, sizeof(m)), -EPERM);
	/* an allowed key holding a path */
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_tap0,iface=../../x/y", m, sizeof(m)), -EPERM);
	/* brackets keep commas */
	CU_ASSERT_EQUAL(ctrl_devargs_check("net_ring0,nodeaction=[a,b]", m, sizeof(m)), 0);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("features", NULL, NULL);
	CU_add_test(s, "every handler has a spec line, every spec line a handler",
		    test_specs_and_handlers);
	CU_add_test(s, "privilege of admin and read commands", test_privilege);
	CU_add_test(s, "a failing init unwinds the features already up",
		    test_init_failure_unwinds);
	CU_add_test(s, "port add devargs: files refused", test_devargs);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
