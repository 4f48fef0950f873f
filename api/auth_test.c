/* SPDX-License-Identifier: BSD-3-Clause
 * api/auth_test.c — Keystone auth pieces without Keystone: the token
 * cache (hits, misses, expiry, rejected tokens, the bound, concurrent
 * threads), parsing Keystone's token body (project, admin role, expiry),
 * timestamps, config keys, and api_auth_check's answers for a malformed
 * token (401 without a call) and an unreachable Keystone (503, nothing
 * cached).  The real Keystone runs in tests/system/test_api_keystone.py.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "api.h"
#include "api_auth.h"

static struct api_ident ident(const char *p, bool admin)
{
	struct api_ident id = { .admin = admin };

	snprintf(id.project, sizeof(id.project), "%s", p);
	snprintf(id.user, sizeof(id.user), "u-%s", p);
	return id;
}

static void test_cache_basics(void)
{
	struct api_tcache *c = api_tcache_new(16);
	struct api_ident a = ident("pa", false), got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(api_tcache_get(c, "tok-a", 100, &got), 0);
	CU_ASSERT_EQUAL(api_tcache_put(c, "tok-a", &a, 200, 100), 0);
	memset(&got, 0, sizeof(got));
	CU_ASSERT_EQUAL(api_tcache_get(c, "tok-a", 150, &got), 1);
	CU_ASSERT_STRING_EQUAL(got.project, "pa");
	CU_ASSERT_FALSE(got.admin);
	CU_ASSERT_EQUAL(api_tcache_get(c, "tok-a", 200, &got), 0);      /* expired */
	CU_ASSERT_EQUAL(api_tcache_get(c, "tok-A", 150, &got), 0);      /* another token */
	CU_ASSERT_EQUAL(api_tcache_get(c, "tok-", 150, &got), 0);
	/* rejected tokens are remembered as such */
	CU_ASSERT_EQUAL(api_tcache_put(c, "bad", NULL, 300, 100), 0);
	CU_ASSERT_EQUAL(api_tcache_get(c, "bad", 120, &got), -EACCES);
	CU_ASSERT_EQUAL(api_tcache_get(c, "bad", 300, &got), 0);
	/* a put of the same token replaces, never duplicates */
	a = ident("pb", true);
	CU_ASSERT_EQUAL(api_tcache_put(c, "tok-a", &a, 400, 100), 0);
	CU_ASSERT_EQUAL(api_tcache_get(c, "tok-a", 300, &got), 1);
	CU_ASSERT_STRING_EQUAL(got.project, "pb");
	CU_ASSERT_TRUE(got.admin);
	CU_ASSERT_EQUAL(api_tcache_count(c), 2);
	api_tcache_free(c);
	api_tcache_free(NULL);
}

/* Bounded: many tokens never grow it past its size; the recently used
 * survive in their bucket (LRU way). */
static void test_cache_bound(void)
{
	struct api_tcache *c = api_tcache_new(8);
	struct api_ident a = ident("p", false), got;
	char tok[32];
	int hits = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 1000; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		CU_ASSERT_EQUAL(api_tcache_put(c, tok, &a, 1000, 10), 0);
		/* keep token-0 hot */
		hits += api_tcache_get(c, "token-0", 10, &got) == 1;
	}
	CU_ASSERT_EQUAL(api_tcache_count(c), 8);
	CU_ASSERT_EQUAL(hits, 1000);            /* never evicted: always the most recent */
	CU_ASSERT_EQUAL(api_tcache_get(c, "token-999", 10, &got), 1);
	for (int i = 1, n = 0; i < 1000; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		n += api_tcache_get(c, tok, 10, &got) == 1;
		if (i == 999)
			CU_ASSERT_EQUAL(n, 7);
	}
	/* expired entries are replaced first */
	api_tcache_free(c);
	c = api_tcache_new(1);                  /* rounds up to one bucket of 4 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(api_tcache_put(c, "old", &a, 20, 10), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(tok, sizeof(tok), "new-%d", i);
		CU_ASSERT_EQUAL(api_tcache_put(c, tok, &a, 100, 10), 0);
	}
	CU_ASSERT_EQUAL(api_tcache_put(c, "newest", &a, 100, 50), 0);  /* "old" expired */
	for (int i = 0; i < 3; i++) {
		snprintf(tok, sizeof(tok), "new-%d", i);
		CU_ASSERT_EQUAL(api_tcache_get(c, tok, 50, &got), 1);
	}
	CU_ASSERT_EQUAL(api_tcache_get(c, "newest", 50, &got), 1);
	api_tcache_free(c);
}

struct worker {
	struct api_tcache *c;
	int id;
	int wrong;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct api_ident got;
	char tok[32], proj[16];

	for (int i = 0; i < 20000; i++) {
		int k = (i * 7 + w->id) % 64;

		snprintf(tok, sizeof(tok), "t%d", k);
		snprintf(proj, sizeof(proj), "p%d", k);
		if (i % 3 == 0) {
			struct api_ident id = ident(proj, k % 2);

			api_tcache_put(w->c, tok, &id, 1000, 1);
		} else if (api_tcache_get(w->c, tok, 1, &got) == 1 &&
			   (strcmp(got.project, proj) || got.admin != (k % 2))) {
			w->wrong++;
		}
	}
	return NULL;
}

/* Four threads share one cache: every hit is the identity put for it. */
static void test_cache_threads(void)
{
	struct api_tcache *c = api_tcache_new(32);
	struct worker w[4];
	pthread_t t[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ c, i, 0 };
		CU_ASSERT_EQUAL(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].wrong, 0);
	}
	CU_ASSERT_TRUE(api_tcache_count(c) <= 32);
	api_tcache_free(c);
}

static void test_parse(void)
{
	struct api_ident id;
	char msg[200];
	time_t exp, now = api_auth_time("2026-12-05T01:00:00Z");
	json_t *j;

	CU_ASSERT_EQUAL(now, 1796432400);
	CU_ASSERT_EQUAL(api_auth_time("2026-12-05T01:00:00.123456Z"), now);
	CU_ASSERT_EQUAL(api_auth_time("2026-12-05T01:00:00+00:00"), now);
	CU_ASSERT_EQUAL(api_auth_time("2026-12-05T01:00:00Zjunk"), -1);
	CU_ASSERT_EQUAL(api_auth_time("tomorrow"), -1);
	CU_ASSERT_EQUAL(api_auth_time(NULL), -1);

	j = json_loads("{\"token\":{\"expires_at\":\"2026-12-05T02:00:00.000000Z\","
		       "\"project\":{\"id\":\"p1\",\"name\":\"pa\"},\"user\":{\"id\":\"u1\"},"
		       "\"roles\":[{\"id\":\"r\",\"name\":\"member\"},{\"name\":\"reader\"}]}}",
		       0, NULL);
	CU_ASSERT_EQUAL(api_auth_parse(j, now, &id, &exp, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(id.project, "p1");
	CU_ASSERT_STRING_EQUAL(id.user, "u1");
	CU_ASSERT_FALSE(id.admin);
	CU_ASSERT_TRUE(id.member);
	CU_ASSERT_EQUAL(exp, now + 3600);
	/* expired at now */
	CU_ASSERT_EQUAL(api_auth_parse(j, now + 3600, &id, &exp, msg, sizeof(msg)), -EACCES);
	json_decref(j);

	j = json_loads("{\"token\":{\"expires_at\":\"2026-12-05T02:00:00Z\","
		       "\"project\":{\"id\":\"p2\"},\"user\":{\"id\":\"u2\"},"
		       "\"roles\":[{\"name\":\"reader\"},{\"name\":\"admin\"}]}}", 0, NULL);
	CU_ASSERT_EQUAL(api_auth_parse(j, now, &id, &exp, msg, sizeof(msg)), 0);
	CU_ASSERT_TRUE(id.admin);
	json_decref(j);
	/* reader alone: reads only (api_req.read_only) */
	j = json_loads("{\"token\":{\"expires_at\":\"2026-12-05T02:00:00Z\","
		       "\"project\":{\"id\":\"p3\"},\"user\":{\"id\":\"u3\"},"
		       "\"roles\":[{\"name\":\"reader\"}]}}", 0, NULL);
	CU_ASSERT_EQUAL(api_auth_parse(j, now, &id, &exp, msg, sizeof(msg)), 0);
	CU_ASSERT_FALSE(id.admin);
	CU_ASSERT_FALSE(id.member);
	json_decref(j);

	/* unscoped (no project), domain-scoped: not for Neutron */
	j = json_loads("{\"token\":{\"expires_at\":\"2026-12-05T02:00:00Z\",\"user\":{\"id\":\"u\"},"
		       "\"domain\":{\"id\":\"default\"},\"roles\":[{\"name\":\"admin\"}]}}", 0, NULL);
	CU_ASSERT_EQUAL(api_auth_parse(j, now, &id, &exp, msg, sizeof(msg)), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "project"));
	json_decref(j);
	/* not a token at all, hostile shapes */
	static const char *const bad[] = {
		"{}", "{\"token\":3}", "{\"token\":{}}",
		"{\"token\":{\"expires_at\":5,\"project\":{\"id\":\"p\"}}}",
		"{\"token\":{\"expires_at\":\"2026-12-05T02:00:00Z\",\"project\":{\"id\":7}}}",
		"{\"token\":{\"expires_at\":\"2026-12-05T02:00:00Z\",\"project\":{\"id\":\"\"}}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i], 0, NULL);
		CU_ASSERT_NOT_EQUAL(api_auth_parse(j, now, &id, &exp, msg, sizeof(msg)), 0);
		json_decref(j);
	}
	/* a project id longer than Keystone's 64 is refused, not truncated */
	char big[400];
	snprintf(big, sizeof(big), "{\"token\":{\"expires_at\":\"2026-12-05T02:00:00Z\","
		 "\"project\":{\"id\":\"%0100d\"}}}", 0);
	j = json_loads(big, 0, NULL);
	CU_ASSERT_EQUAL(api_auth_parse(j, now, &id, &exp, msg, sizeof(msg)), -EACCES);
	json_decref(j);
}

static void test_config(void)
{
	struct api_config c;
	const char *key;
	char msg[300];

	api_config_defaults(&c);
	CU_ASSERT_STRING_EQUAL(c.auth, "noauth");
	CU_ASSERT_EQUAL(c.token_cache_size, 1024);
	CU_ASSERT_EQUAL(c.token_cache_time, 300);
	CU_ASSERT_STRING_EQUAL(c.keystone_domain, "Default");
	CU_ASSERT_EQUAL(api_config_check(&c, &key, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_key(&c, "auth", "keystone", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_check(&c, &key, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(key, "auth");
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-url", "ftp://x", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-url", "http://", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-url", "http://a b/v3", msg, sizeof(msg)),
			-EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-url", "http://127.0.0.1:5000/v3", msg,
				       sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_check(&c, &key, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-user", "neutron", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_check(&c, &key, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(key, "keystone-user");
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-password", "pw", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-project", "service", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_check(&c, &key, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(c.keystone_user, "neutron");
	CU_ASSERT_STRING_EQUAL(c.keystone_password, "pw");
	CU_ASSERT_STRING_EQUAL(c.keystone_project, "service");
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-domain", "", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "token-cache-size", "3", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "token-cache-size", "100", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(c.token_cache_size, 100);
	CU_ASSERT_EQUAL(api_config_key(&c, "token-cache-time", "0", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(c.token_cache_time, 0);
	CU_ASSERT_EQUAL(api_config_key(&c, "token-cache-time", "3601", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-timeout", "0", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "keystone-timeout", "2", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(c.keystone_timeout, 2);
}

/* A loopback port nothing listens on. */
static unsigned closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	unsigned p = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && !bind(s, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(s, (struct sockaddr *)&a, &l))
		p = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return p;
}

static void test_check_without_keystone(void)
{
	struct api_config c;
	struct api_auth *a;
	struct api_ident id;
	unsigned long long n[3];
	char msg[300], big[API_TOKEN_MAX + 10];

	api_config_defaults(&c);
	errno = 0;
	CU_ASSERT_PTR_NULL(api_auth_new(&c));                   /* no keystone-url */
	CU_ASSERT_EQUAL(errno, EINVAL);
	snprintf(c.keystone_url, sizeof(c.keystone_url), "http://127.0.0.1:%u/v3/",
		 closed_port());
	c.keystone_timeout = 2;
	a = api_auth_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* malformed tokens: 401 without asking anyone */
	CU_ASSERT_EQUAL(api_auth_check(a, NULL, &id, msg, sizeof(msg)), -EACCES);
	CU_ASSERT_EQUAL(api_auth_check(a, "", &id, msg, sizeof(msg)), -EACCES);
	CU_ASSERT_EQUAL(api_auth_check(a, "a b", &id, msg, sizeof(msg)), -EACCES);
	CU_ASSERT_EQUAL(api_auth_check(a, "a\r\nX-Evil: 1", &id, msg, sizeof(msg)), -EACCES);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(api_auth_check(a, big, &id, msg, sizeof(msg)), -EACCES);
	api_auth_counts(a, n);
	CU_ASSERT_EQUAL(n[1], 0);
	/* Keystone unreachable: 503, twice (nothing cached), never an allow */
	CU_ASSERT_EQUAL(api_auth_check(a, "gAAAAABtoken", &id, msg, sizeof(msg)), -EHOSTUNREACH);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "unreachable"));
	CU_ASSERT_EQUAL(api_auth_check(a, "gAAAAABtoken", &id, msg, sizeof(msg)), -EHOSTUNREACH);
	api_auth_counts(a, n);
	CU_ASSERT_EQUAL(n[0], 0);
	CU_ASSERT_EQUAL(n[1], 2);
	CU_ASSERT_EQUAL(n[2], 2);
	api_auth_free(a);
	/* the same with service credentials: the service login fails first */
	snprintf(c.keystone_user, sizeof(c.keystone_user), "svc");
	snprintf(c.keystone_password, sizeof(c.keystone_password), "pw");
	snprintf(c.keystone_project, sizeof(c.keystone_project), "service");
	a = api_auth_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(api_auth_check(a, "gAAAAABtoken", &id, msg, sizeof(msg)), -EHOSTUNREACH);
	api_auth_free(a);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("api-auth", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "token cache", test_cache_basics) ||
	    !CU_add_test(s, "token cache bound and eviction", test_cache_bound) ||
	    !CU_add_test(s, "token cache from four threads", test_cache_threads) ||
	    !CU_add_test(s, "Keystone token bodies", test_parse) ||
	    !CU_add_test(s, "keystone config keys", test_config) ||
	    !CU_add_test(s, "check without Keystone", test_check_without_keystone)) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
