/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_sec_test.c — etcd security against real etcd processes on
 * loopback: TLS with certificates made by the test (scripts/etcd-certs.sh,
 * openssl), user/password authentication with token refresh, and the role
 * layout of README/db/DESIGN.md (a chassis role cannot write the
 * northbound).  Failures must be quick, clear errors (-EACCES and a
 * sentence in db_last_error()), never the 20 s fail-over retry. */
#include "db.h"
#include "db_etcd_priv.h"
#include "db_test_util.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct test_etcd tls_etcd, auth_etcd;
static char certs[256], other[256], pwdir[256];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void path(char *out, size_t n, const char *dir, const char *file)
{
	snprintf(out, n, "%s/%s", dir, file);
}

/* ---- TLS ------------------------------------------------------------- */
static int tls_init(void)
{
	int rc;

	snprintf(certs, sizeof(certs), "/tmp/wyv-certs-XXXXXX");
	snprintf(other, sizeof(other), "/tmp/wyv-certs-XXXXXX");
	if (!mkdtemp(certs) || !mkdtemp(other))
		return 1;
	if (test_tls_certs(certs, "wyvern") || test_tls_certs(other, "wyvern"))
		return 1;
	test_etcd_cleanup_on_exit(&tls_etcd);
	rc = test_etcd_prepare(&tls_etcd);
	if (rc)
		return 1;
	snprintf(tls_etcd.tls_dir, sizeof(tls_etcd.tls_dir), "%s", certs);
	rc = test_etcd_launch(&tls_etcd);
	if (rc)
		printf("\n etcd with TLS: %s\n", strerror(-rc));
	return rc ? 1 : 0;
}

static int tls_fini(void)
{
	test_etcd_destroy(&tls_etcd);
	test_rm_rf(certs);
	test_rm_rf(other);
	return 0;
}

struct got {
	int n;
	char last[64];
};

static void count_cb(const struct db_event *ev, void *arg)
{
	struct got *g = arg;

	if (ev->type == DB_EV_PUT) {
		snprintf(g->last, sizeof(g->last), "%s", ev->key);
		__atomic_add_fetch(&g->n, 1, __ATOMIC_RELEASE);
	}
}

static bool wait_n(struct got *g, int n, double secs)
{
	double end = now_s() + secs;

	while (__atomic_load_n(&g->n, __ATOMIC_ACQUIRE) < n && now_s() < end)
		usleep(20 * 1000);
	return __atomic_load_n(&g->n, __ATOMIC_ACQUIRE) >= n;
}

static void t_tls_ok(void)
{
	char ca[300], cert[300], key[300], err[256] = "";
	struct db_opts o = { 0 };
	struct db_kv_list l;
	struct got g = { 0 };
	struct db_watch *w;
	struct db_kv kv;
	struct db *db;

	path(ca, sizeof(ca), certs, "ca.pem");
	path(cert, sizeof(cert), certs, "client-wyvern.pem");
	path(key, sizeof(key), certs, "client-wyvern-key.pem");
	o.ca_file = ca;
	o.cert_file = cert;
	o.key_file = key;
	db = db_open_opts(tls_etcd.url, &o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	w = db_watch(db, "/tls/", 0, count_cb, &g);
	CU_ASSERT_PTR_NOT_NULL(w);
	CU_ASSERT_EQUAL(db_put(db, "/tls/a", "1", 1, NULL), 0);
	CU_ASSERT_EQUAL(db_get(db, "/tls/a", &kv), 0);
	CU_ASSERT_STRING_EQUAL(kv.value, "1");
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(db_scan(db, "/tls/", &l), 0);
	CU_ASSERT_EQUAL(l.n, 1);
	db_kv_list_clear(&l);
	CU_ASSERT(wait_n(&g, 1, 10));
	db_watch_cancel(w);
	db_close(db);
}

static void t_tls_wrong_ca(void)
{
	char ca[300], cert[300], key[300];
	struct db_opts o = { 0 };
	struct db *db;
	double t0;
	int rc;

	path(ca, sizeof(ca), other, "ca.pem");          /* not etcd's CA */
	path(cert, sizeof(cert), certs, "client-wyvern.pem");
	path(key, sizeof(key), certs, "client-wyvern-key.pem");
	o.ca_file = ca;
	o.cert_file = cert;
	o.key_file = key;
	db = db_open_opts(tls_etcd.url, &o, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	t0 = now_s();
	rc = db_put(db, "/tls/b", "1", 1, NULL);
	CU_ASSERT_EQUAL(rc, -EACCES);
	CU_ASSERT(now_s() - t0 < 5);                    /* not the 20 s retry */
	printf("\n   wrong CA: %s\n", db_last_error());
	CU_ASSERT_PTR_NOT_NULL(strstr(db_last_error(), "certificate"));
	db_close(db);
}

static void t_tls_no_client_cert(void)
{
	struct db_opts o = { 0 };
	char ca[300];
	struct db *db;
	double t0;
	int rc;

	path(ca, sizeof(ca), certs, "ca.pem");
	o.ca_file = ca;
	db = db_open_opts(tls_etcd.url, &o, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	t0 = now_s();
	rc = db_put(db, "/tls/c", "1", 1, NULL);
	CU_ASSERT_EQUAL(rc, -EACCES);
	CU_ASSERT(now_s() - t0 < 5);
	printf("   no client certificate: %s\n", db_last_error());
	db_close(db);
}

static void t_tls_plain_url(void)
{
	char url[128];
	struct db *db;
	int rc;

	/* http to the HTTPS port: says so, at once */
	snprintf(url, sizeof(url), "etcd://127.0.0.1:%d", tls_etcd.client_port);
	db = db_open(url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	rc = db_put(db, "/tls/d", "1", 1, NULL);
	CU_ASSERT(rc != 0);
	printf("   http to an https port: %s\n", db_last_error());
	CU_ASSERT_PTR_NOT_NULL(strstr(db_last_error(), "etcds://"));
	db_close(db);
}

static void t_tls_bad_files(void)
{
	struct db_opts o = { .ca_file = "/nonexistent/ca.pem" };
	char err[256] = "";
	struct db *db;

	db = db_open_opts(tls_etcd.url, &o, err, sizeof(err));
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ca.pem"));
	o.ca_file = NULL;
	o.cert_file = "/etc/hostname";
	db = db_open_opts(tls_etcd.url, &o, err, sizeof(err));
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key"));
	/* TLS files with a plain URL: refused, not ignored */
	o.cert_file = NULL;
	o.ca_file = "/etc/hostname";
	db = db_open_opts("etcd://127.0.0.1:1", &o, err, sizeof(err));
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "etcds://"));
}

/* ---- authentication and roles ----------------------------------------- */
#define CHASSIS_KEY "/wyvern/v1/chassis/11111111-2222-5333-8444-555555555555"

static int gw(struct db *db, const char *path, const char *fmt, ...)
{
	json_t *req, *resp = NULL;
	json_error_t jerr;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	req = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	if (!req)
		return -EINVAL;
	rc = etcd_call((struct etcd *)db, path, req, &resp);
	json_decref(req);
	json_decref(resp);
	if (rc)
		printf("\n %s: %s\n", path, db_last_error());
	return rc;
}

static int grant(struct db *db, const char *role, const char *type, const char *key,
		 bool prefix)
{
	char *k = etcd_b64_encode(key, strlen(key));
	char *end = prefix ? etcd_prefix_end_b64(key) : NULL;
	int rc;

	if (prefix)
		rc = gw(db, "auth/role/grant", "{s:s,s:{s:s,s:s,s:s}}", "name", role, "perm",
			"permType", type, "key", k, "range_end", end);
	else
		rc = gw(db, "auth/role/grant", "{s:s,s:{s:s,s:s}}", "name", role, "perm",
			"permType", type, "key", k);
	free(k);
	free(end);
	return rc;
}

static int write_pw(const char *name, const char *pw)
{
	char p[300];
	FILE *f;

	path(p, sizeof(p), pwdir, name);
	f = fopen(p, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", pw);
	fclose(f);
	return 0;
}

static int auth_init(void)
{
	static const char *extra[] = { "--auth-token-ttl", "2", NULL };
	struct db *db;
	int rc;

	snprintf(pwdir, sizeof(pwdir), "/tmp/wyv-pw-XXXXXX");
	if (!mkdtemp(pwdir))
		return 1;
	test_etcd_cleanup_on_exit(&auth_etcd);
	if (test_etcd_prepare(&auth_etcd))
		return 1;
	memcpy(auth_etcd.extra, extra, sizeof(extra));
	if (test_etcd_launch(&auth_etcd))
		return 1;
	db = db_open(auth_etcd.url);
	if (!db)
		return 1;
	/* the layout of README "Securing etcd", as scripts/etcd-roles.sh makes it */
	rc = gw(db, "auth/user/add", "{s:s,s:s}", "name", "root", "password", "rootpw") ||
	     gw(db, "auth/role/add", "{s:s}", "name", "root") ||
	     gw(db, "auth/user/grant", "{s:s,s:s}", "user", "root", "role", "root") ||
	     gw(db, "auth/role/add", "{s:s}", "name", "wyvern-api") ||
	     grant(db, "wyvern-api", "READWRITE", "/wyvern/v1/", true) ||
	     gw(db, "auth/user/add", "{s:s,s:s}", "name", "api", "password", "apipw") ||
	     gw(db, "auth/user/grant", "{s:s,s:s}", "user", "api", "role", "wyvern-api") ||
	     gw(db, "auth/role/add", "{s:s}", "name", "wyvern-chassis-c1") ||
	     grant(db, "wyvern-chassis-c1", "READ", "/wyvern/v1/", true) ||
	     grant(db, "wyvern-chassis-c1", "READWRITE", CHASSIS_KEY, false) ||
	     gw(db, "auth/user/add", "{s:s,s:s}", "name", "c1", "password", "c1pw") ||
	     gw(db, "auth/user/grant", "{s:s,s:s}", "user", "c1", "role", "wyvern-chassis-c1") ||
	     gw(db, "auth/enable", "{}");
	db_close(db);
	return rc || write_pw("api", "apipw") || write_pw("c1", "c1pw") ||
	       write_pw("bad", "not-the-password");
}

static int auth_fini(void)
{
	test_etcd_destroy(&auth_etcd);
	test_rm_rf(pwdir);
	return 0;
}

static struct db *open_as(const char *user, const char *pwfile, char *err, size_t es)
{
	char p[300];
	struct db_opts o = { .user = user, .password_file = p };

	path(p, sizeof(p), pwdir, pwfile);
	return db_open_opts(auth_etcd.url, &o, err, es);
}

static void t_auth_wrong_password(void)
{
	char err[256] = "";
	double t0 = now_s();
	struct db *db = open_as("api", "bad", err, sizeof(err));

	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_EQUAL(errno, EACCES);
	CU_ASSERT(now_s() - t0 < 5);
	printf("\n   wrong password: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "authentication failed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'api'"));
	db_close(db);
	/* no credentials at all: a clear refusal too */
	db = db_open(auth_etcd.url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db_put(db, "/wyvern/v1/x", "1", 1, NULL), -EACCES);
	printf("   no user: %s\n", db_last_error());
	db_close(db);
}

static void t_auth_roles(void)
{
	struct db *api = open_as("api", "api", NULL, 0);
	struct db *c1 = open_as("c1", "c1", NULL, 0);
	uint64_t rev = 0, now = 0;
	struct db_kv_list l;
	struct got g = { 0 };
	struct db_watch *w;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(api);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	w = db_watch(c1, "/wyvern/v1/", 0, count_cb, &g);
	CU_ASSERT_PTR_NOT_NULL(w);
	/* the API role writes the northbound */
	CU_ASSERT_EQUAL(db_put(api, "/wyvern/v1/network/n1", "{}", 2, NULL), 0);
	/* a chassis reads it, watches it, and writes its own chassis key */
	CU_ASSERT_EQUAL(db_scan(c1, "/wyvern/v1/", &l), 0);
	CU_ASSERT_EQUAL(l.n, 1);
	db_kv_list_clear(&l);
	CU_ASSERT_EQUAL(db_put(c1, CHASSIS_KEY, "{}", 2, &rev), 0);
	CU_ASSERT(wait_n(&g, 2, 10));
	/* the revision, though the role may not read every key */
	CU_ASSERT_EQUAL(db_revision(c1, &now), 0);
	CU_ASSERT(now >= rev);
	/* ... and nothing else */
	rc = db_put(c1, "/wyvern/v1/network/n2", "{}", 2, NULL);
	CU_ASSERT_EQUAL(rc, -EACCES);
	printf("\n   chassis writes the northbound: %s\n", db_last_error());
	CU_ASSERT_PTR_NOT_NULL(strstr(db_last_error(), "permission denied"));
	CU_ASSERT_EQUAL(db_put(c1, "/wyvern/v1/chassis/other", "{}", 2, NULL), -EACCES);
	CU_ASSERT_EQUAL(db_delete(c1, "/wyvern/v1/network/n1", NULL), -EACCES);
	db_watch_cancel(w);
	db_close(api);
	db_close(c1);
}

/* A watch outlives the token it was created with (its liveness probes use
 * and renew the token; a refused token is fetched again). */
static void t_auth_watch_long(void)
{
	char p[300];
	struct db_opts o = { .user = "c1", .password_file = p, .watch_idle_ms = 1000 };
	struct db *api = open_as("api", "api", NULL, 0);
	struct got g = { 0 };
	struct db_watch *w;
	struct db *c1;

	path(p, sizeof(p), pwdir, "c1");
	c1 = db_open_opts(auth_etcd.url, &o, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(api);
	w = db_watch(c1, "/wyvern/v1/network/", 0, count_cb, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	sleep(5);                       /* > --auth-token-ttl 2 */
	CU_ASSERT_EQUAL(db_put(api, "/wyvern/v1/network/n9", "{}", 2, NULL), 0);
	CU_ASSERT(wait_n(&g, 1, 10));
	CU_ASSERT_STRING_EQUAL(g.last, "/wyvern/v1/network/n9");
	db_watch_cancel(w);
	db_close(c1);
	db_close(api);
}

static void t_auth_token_refresh(void)
{
	struct db *db = open_as("api", "api", NULL, 0);
	struct etcd *e = (struct etcd *)db;
	struct db_kv kv;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(e->token_gen, 1);
	/* --auth-token-ttl 2: the simple token is gone after 2 s idle */
	sleep(4);
	CU_ASSERT_EQUAL(db_put(db, "/wyvern/v1/network/n3", "{}", 2, NULL), 0);
	CU_ASSERT_EQUAL(db_get(db, "/wyvern/v1/network/n3", &kv), 0);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(e->token_gen, 2);      /* re-authenticated once */
	db_close(db);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("etcd-tls", tls_init, tls_fini);
	if (!s || !CU_add_test(s, "TLS with CA and client certificate", t_tls_ok) ||
	    !CU_add_test(s, "wrong CA: clear error, at once", t_tls_wrong_ca) ||
	    !CU_add_test(s, "no client certificate: refused", t_tls_no_client_cert) ||
	    !CU_add_test(s, "http:// to an HTTPS member: said so", t_tls_plain_url) ||
	    !CU_add_test(s, "unreadable / unpaired files: EINVAL at open", t_tls_bad_files))
		return 2;
	s = CU_add_suite("etcd-auth", auth_init, auth_fini);
	if (!s || !CU_add_test(s, "wrong password: clear error at open", t_auth_wrong_password) ||
	    !CU_add_test(s, "roles: chassis reads, cannot write the northbound", t_auth_roles) ||
	    !CU_add_test(s, "expired token: re-authenticate, retry once", t_auth_token_refresh) ||
	    !CU_add_test(s, "a watch outlives its token", t_auth_watch_long))
		return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
