/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_range_test.c — the kv/range answer decoder (db_etcd_range.c)
 * on answers as etcd's JSON gateway writes them, and on bad ones: each bad
 * answer is refused with a reason and leaves nothing appended. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "db_etcd_priv.h"

/* "/a" = L2E=, "/b" = L2I=, "v1" = djE=, "" value omitted */
static const char good[] =
	"{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\","
	"\"revision\":\"42\",\"raft_term\":\"2\"},"
	"\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"5\",\"mod_revision\":\"40\","
	"\"version\":\"3\",\"value\":\"djE=\"},"
	"{\"key\":\"L2I=\",\"create_revision\":7,\"mod_revision\":41,\"version\":\"1\","
	"\"lease\":\"0\",\"extra\":{\"nested\":[1,{\"key\":\"bm8=\"}],\"key\":null}}],"
	"\"more\":true,\"count\":\"9\"}";

static void t_good(void)
{
	struct db_kv_list l = { 0 };
	size_t cap = 0;
	struct etcd_range r = { .out = &l, .cap = &cap };

	CU_ASSERT_EQUAL_FATAL(etcd_range_decode(good, strlen(good), &r), 0);
	CU_ASSERT_EQUAL(r.revision, 42);
	CU_ASSERT_EQUAL(r.cluster_id, 14841639068965178418ull);
	CU_ASSERT_TRUE(r.more);
	CU_ASSERT_EQUAL_FATAL(l.n, 2);
	CU_ASSERT_STRING_EQUAL(l.kvs[0].key, "/a");
	CU_ASSERT_STRING_EQUAL(l.kvs[0].value, "v1");
	CU_ASSERT_EQUAL(l.kvs[0].value_len, 2);
	CU_ASSERT_EQUAL(l.kvs[0].mod_revision, 40);
	CU_ASSERT_EQUAL(l.kvs[0].create_revision, 5);
	/* numbers as JSON numbers; an omitted value is empty; a "key" nested
	 * in an unknown member is not the kv's */
	CU_ASSERT_STRING_EQUAL(l.kvs[1].key, "/b");
	CU_ASSERT_EQUAL(l.kvs[1].value_len, 0);
	CU_ASSERT_STRING_EQUAL(l.kvs[1].value, "");
	CU_ASSERT_EQUAL(l.kvs[1].mod_revision, 41);
	CU_ASSERT_EQUAL(l.kvs[1].create_revision, 7);
	/* a second page appends */
	CU_ASSERT_EQUAL(etcd_range_decode(good, strlen(good), &r), 0);
	CU_ASSERT_EQUAL(l.n, 4);
	db_kv_list_clear(&l);
}

static void t_empty(void)
{
	static const char last[] = "{\"header\":{\"revision\":\"7\"}}";
	struct db_kv_list l = { 0 };
	size_t cap = 0;
	struct etcd_range r = { .out = &l, .cap = &cap, .more = true };

	CU_ASSERT_EQUAL(etcd_range_decode(last, strlen(last), &r), 0);
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_FALSE(r.more);        /* protobuf omits false */
	CU_ASSERT_EQUAL(r.revision, 7);
	db_kv_list_clear(&l);
}

static void t_bad(void)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"header\":{\"revision\":\"42\"},\"kvs\":[{\"key\":\"L2E=\"",   /* cut */
		"{\"header\":{\"revision\":\"42\"},\"kvs\":[{\"value\":\"djE=\"}]}", /* no key */
		"{\"header\":{\"revision\":\"42\"},\"kvs\":[{\"key\":\"L2E=\"},{\"key\":\"%%%\"}]}",
		"{\"header\":{\"revision\":\"42\"},\"kvs\":[{\"key\":\"L2E=\",\"key\":\"L2I=\"}]}",
		"{\"header\":{\"revision\":\"42\"},\"kvs\":[{\"key\":\"L2E=\",\"value\":\"*\"}]}",
		"{\"kvs\":[{\"key\":\"L2E=\"}]}",                                 /* no revision */
		"{\"error\":\"etcdserver: mvcc: required revision has been compacted\",\"code\":11}",
		"{\"code\":11,\"message\":\"x\"}",
		"{\"header\":{\"revision\":\"42\"}} {\"header\":{}}",               /* two values */
		"[1,2,3]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct db_kv_list l = { 0 };
		size_t cap = 0;
		struct etcd_range r = { .out = &l, .cap = &cap };

		db_set_error("%s", "");
		int rc = etcd_range_decode(bad[i], strlen(bad[i]), &r);
		CU_ASSERT_EQUAL(rc, -EIO);
		CU_ASSERT_EQUAL(l.n, 0);        /* nothing left appended */
		CU_ASSERT(db_last_error()[0] != '\0');
		if (rc != -EIO || l.n)
			fprintf(stderr, "answer %zu: rc %d, %zu kvs\n", i, rc, l.n);
		db_kv_list_clear(&l);
	}
}

static void t_page_sized(void)
{
	/* 5000 kvs, as a scan page, with values of 500 bytes */
	size_t n = 5000, vl = 500, cap = 0;
	size_t blen = 64 + n * (vl * 4 / 3 + 120);
	char *b = malloc(blen), *v = malloc(vl + 1), *p = b;
	struct db_kv_list l = { 0 };
	struct etcd_range r = { .out = &l, .cap = &cap };

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	memset(v, 'x', vl);
	v[vl] = '\0';
	char *v64 = etcd_b64_encode(v, vl);
	p += sprintf(p, "{\"header\":{\"revision\":\"99\"},\"kvs\":[");
	for (size_t i = 0; i < n; i++) {
		char k[32];
		snprintf(k, sizeof(k), "/k/%05zu", i);
		char *k64 = etcd_b64_encode(k, strlen(k));
		p += sprintf(p, "%s{\"key\":\"%s\",\"mod_revision\":\"%zu\",\"value\":\"%s\"}",
			     i ? "," : "", k64, i + 1, v64);
		free(k64);
	}
	p += sprintf(p, "],\"more\":true}");
	CU_ASSERT_EQUAL_FATAL(etcd_range_decode(b, (size_t)(p - b), &r), 0);
	CU_ASSERT_EQUAL(l.n, n);
	int ok = 1;
	for (size_t i = 0; i < l.n; i++)
		ok &= l.kvs[i].value_len == vl && l.kvs[i].mod_revision == i + 1 &&
		      memcmp(l.kvs[i].value, v, vl) == 0;
	CU_ASSERT(ok);
	CU_ASSERT_STRING_EQUAL(l.kvs[n - 1].key, "/k/04999");
	db_kv_list_clear(&l);
	free(v64);
	free(v);
	free(b);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("etcd-range-decode", NULL, NULL);
	if (!s || !CU_add_test(s, "an answer as the gateway writes it", t_good) ||
	    !CU_add_test(s, "the last, empty page", t_empty) ||
	    !CU_add_test(s, "bad answers refused, nothing appended", t_bad) ||
	    !CU_add_test(s, "a 5000-key page", t_page_sized)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
