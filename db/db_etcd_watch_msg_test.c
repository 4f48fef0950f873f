/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_watch_msg_test.c — the watch response decoder
 * (db_etcd_watch_msg.c) on responses as etcd's JSON gateway writes them
 * (events, progress, compaction, cancel, error) and on bad ones. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "db_etcd_priv.h"

/* "/a" = L2E=, "/b" = L2I=, "v1" = djE=, "v2" = djI=, "no" = bm8= */
static const char events[] =
	"{\"result\":{\"header\":{\"cluster_id\":\"14841639068965178418\","
	"\"member_id\":\"10276657743932975437\",\"revision\":\"42\",\"raft_term\":\"2\"},"
	"\"events\":["
	"{\"kv\":{\"key\":\"L2E=\",\"create_revision\":\"5\",\"mod_revision\":\"41\","
	"\"version\":\"3\",\"value\":\"djE=\"},\"prev_kv\":{\"key\":\"bm8=\",\"value\":\"bm8=\","
	"\"mod_revision\":\"3\"}},"
	"{\"type\":\"DELETE\",\"kv\":{\"key\":\"L2I=\",\"mod_revision\":41}},"
	"{\"kv\":{\"key\":\"L2I=\",\"mod_revision\":\"42\",\"extra\":{\"key\":\"bm8=\"}}},"
	"{\"type\":\"PUT\",\"kv\":{\"value\":\"djI=\",\"mod_revision\":\"42\"}}"
	"],\"watch_id\":\"1\",\"fragment\":false}}";

static void t_events(void)
{
	struct etcd_watch_msg m;

	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(events, strlen(events), &m), 0);
	CU_ASSERT_TRUE(m.has_result);
	CU_ASSERT_FALSE(m.has_error);
	CU_ASSERT_EQUAL(m.cluster_id, 14841639068965178418ull);
	CU_ASSERT_EQUAL(m.revision, 42);
	CU_ASSERT_EQUAL(m.compact_revision, 0);
	CU_ASSERT_FALSE(m.canceled);
	CU_ASSERT_EQUAL_FATAL(m.n_ev, 4);
	/* a put; prev_kv is not the kv */
	CU_ASSERT_FALSE(m.ev[0].del);
	CU_ASSERT_STRING_EQUAL(m.ev[0].key, "/a");
	CU_ASSERT_STRING_EQUAL(m.ev[0].value, "v1");
	CU_ASSERT_EQUAL(m.ev[0].value_len, 2);
	CU_ASSERT_EQUAL(m.ev[0].mod_revision, 41);
	/* a delete, its revision as a number */
	CU_ASSERT_TRUE(m.ev[1].del);
	CU_ASSERT_STRING_EQUAL(m.ev[1].key, "/b");
	CU_ASSERT_PTR_NULL(m.ev[1].value);
	CU_ASSERT_EQUAL(m.ev[1].mod_revision, 41);
	/* a put with its value left out; a "key" in an unknown member */
	CU_ASSERT_FALSE(m.ev[2].del);
	CU_ASSERT_STRING_EQUAL(m.ev[2].key, "/b");
	CU_ASSERT_PTR_NULL(m.ev[2].value);
	CU_ASSERT_EQUAL(m.ev[2].mod_revision, 42);
	/* no key at all */
	CU_ASSERT_PTR_NULL(m.ev[3].key);
	CU_ASSERT_STRING_EQUAL(m.ev[3].value, "v2");
	CU_ASSERT_FALSE(m.ev[3].bad);
	etcd_watch_msg_clear(&m);
	CU_ASSERT_EQUAL(m.n_ev, 0);
	CU_ASSERT_PTR_NULL(m.ev);
}

static void t_control(void)
{
	static const char created[] =
		"{\"result\":{\"header\":{\"cluster_id\":\"7\",\"revision\":\"9\"},"
		"\"created\":true}}";
	static const char compacted[] =
		"{\"result\":{\"header\":{\"revision\":\"90\"},\"compact_revision\":\"50\","
		"\"canceled\":true}}";
	static const char cancelled[] =
		"{\"result\":{\"header\":{},\"canceled\":true,"
		"\"cancel_reason\":\"etcdserver: no leader\"}}";
	static const char error[] =
		"{\"error\":{\"grpc_code\":16,\"http_code\":401,"
		"\"message\":\"etcdserver: invalid auth token\",\"http_status\":\"Unauthorized\"}}";
	struct etcd_watch_msg m;

	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(created, strlen(created), &m), 0);
	CU_ASSERT_TRUE(m.has_result);
	CU_ASSERT_EQUAL(m.cluster_id, 7);
	CU_ASSERT_EQUAL(m.revision, 9);
	CU_ASSERT_EQUAL(m.n_ev, 0);
	etcd_watch_msg_clear(&m);

	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(compacted, strlen(compacted), &m), 0);
	CU_ASSERT_EQUAL(m.compact_revision, 50);
	CU_ASSERT_TRUE(m.canceled);
	CU_ASSERT_PTR_NULL(m.cancel_reason);
	etcd_watch_msg_clear(&m);

	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(cancelled, strlen(cancelled), &m), 0);
	CU_ASSERT_TRUE(m.canceled);
	CU_ASSERT_STRING_EQUAL(m.cancel_reason, "etcdserver: no leader");
	etcd_watch_msg_clear(&m);

	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(error, strlen(error), &m), 0);
	CU_ASSERT_FALSE(m.has_result);
	CU_ASSERT_TRUE(m.has_error);
	CU_ASSERT_STRING_EQUAL(m.error_message, "etcdserver: invalid auth token");
	etcd_watch_msg_clear(&m);
}

static void t_bad(void)
{
	static const char *const not_json[] = {
		"", "{", "{\"result\":{\"events\":[{\"kv\":{\"key\":\"L2E=\"}}",
		"{\"result\":}", "nonsense", "{\"result\":{}} {\"result\":{}}",
	};
	static const char bad_b64[] =
		"{\"result\":{\"events\":[{\"kv\":{\"key\":\"L2E=\",\"value\":\"!!\","
		"\"mod_revision\":\"3\"}},{\"kv\":{\"key\":\"L2E*\",\"mod_revision\":\"4\"}}]}}";
	static const char result_not_object[] = "{\"result\":\"events\",\"error\":[1]}";
	struct etcd_watch_msg m;

	for (size_t i = 0; i < sizeof(not_json) / sizeof(not_json[0]); i++) {
		CU_ASSERT_EQUAL(etcd_watch_msg_decode(not_json[i], strlen(not_json[i]), &m), -EIO);
		CU_ASSERT_EQUAL(m.n_ev, 0);
		CU_ASSERT_PTR_NULL(m.ev);
	}
	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(bad_b64, strlen(bad_b64), &m), 0);
	CU_ASSERT_EQUAL_FATAL(m.n_ev, 2);
	CU_ASSERT_TRUE(m.ev[0].bad);
	CU_ASSERT_STRING_EQUAL(m.ev[0].key, "/a");
	CU_ASSERT_TRUE(m.ev[1].bad);
	CU_ASSERT_PTR_NULL(m.ev[1].key);
	etcd_watch_msg_clear(&m);
	/* neither a result nor an error object: the watch reconnects */
	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(result_not_object,
						    strlen(result_not_object), &m), 0);
	CU_ASSERT_FALSE(m.has_result);
	CU_ASSERT_FALSE(m.has_error);
	CU_ASSERT_PTR_NULL(m.error_message);
	etcd_watch_msg_clear(&m);
}

/* A response of many events (one big txn): the array grows */
static void t_many(void)
{
	size_t n = 3000, cap = n * 80 + 64, len = 0;
	char *b = malloc(cap);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	len += (size_t)snprintf(b + len, cap - len, "{\"result\":{\"events\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len,
					"%s{\"kv\":{\"key\":\"L2E=\",\"value\":\"djE=\","
					"\"mod_revision\":\"77\"}}", i ? "," : "");
	len += (size_t)snprintf(b + len, cap - len, "]}}");
	struct etcd_watch_msg m;

	CU_ASSERT_EQUAL_FATAL(etcd_watch_msg_decode(b, len, &m), 0);
	CU_ASSERT_EQUAL(m.n_ev, n);
	CU_ASSERT_STRING_EQUAL(m.ev[n - 1].key, "/a");
	CU_ASSERT_EQUAL(m.ev[n - 1].mod_revision, 77);
	etcd_watch_msg_clear(&m);
	free(b);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("etcd-watch-msg-decode", NULL, NULL);
	if (!s || !CU_add_test(s, "events as the gateway writes them", t_events) ||
	    !CU_add_test(s, "progress, compaction, cancel, error", t_control) ||
	    !CU_add_test(s, "bad responses", t_bad) ||
	    !CU_add_test(s, "a response of 3000 events", t_many)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
