/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/cli/cmd_spec_test.c — the command table: lookup by words, typo
 * suggestions, every line complete.  No DPDK.
 */
#include <string.h>
#include <CUnit/Basic.h>

#include "cmd_spec.h"

static void test_find(void)
{
	char *a1[] = { "show", "ports", "--json" };
	int n = 0;
	const struct ctrl_cmd_spec *s = ctrl_cmd_spec_find(3, a1, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->words, "show ports");
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(s->priv, CTRL_CMD_READ);
	char *a2[] = { "trace", "vm1", "ip" };
	s = ctrl_cmd_spec_find(3, a2, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->words, "trace");
	CU_ASSERT_EQUAL(n, 1);
	char *a3[] = { "port", "add", "x", "net_null0" };
	s = ctrl_cmd_spec_find(4, a3, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->priv, CTRL_CMD_ADMIN);
	char *a4[] = { "show" };
	CU_ASSERT_PTR_NULL(ctrl_cmd_spec_find(1, a4, &n));
	char *a5[] = { "frobnicate" };
	CU_ASSERT_PTR_NULL(ctrl_cmd_spec_find(1, a5, NULL));
	CU_ASSERT_PTR_NOT_NULL(ctrl_cmd_spec_get("cache flush"));
	CU_ASSERT_PTR_NULL(ctrl_cmd_spec_get("cache"));
}

static void test_suggest(void)
{
	char *a1[] = { "shwo", "ports" };
	const char *s = ctrl_cmd_suggest(2, a1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "show ports");
	char *a2[] = { "show", "prots" };
	s = ctrl_cmd_suggest(2, a2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "show ports");
	char *a3[] = { "trcae" };
	s = ctrl_cmd_suggest(1, a3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "trace");
	char *a4[] = { "show", "zzzzzzzz" };
	s = ctrl_cmd_suggest(2, a4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "show");
	char *a5[] = { "qwertyuiop" };
	CU_ASSERT_PTR_NULL(ctrl_cmd_suggest(1, a5));
	CU_ASSERT_EQUAL(ctrl_edit_distance("kitten", "sitting"), 3);
	CU_ASSERT_EQUAL(ctrl_edit_distance("", "abc"), 3);
}

static void test_table_complete(void)
{
	size_t n;
	const struct ctrl_cmd_spec *s = ctrl_cmd_specs(&n);
	CU_ASSERT(n > 20);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL(s[i].words);
		CU_ASSERT_PTR_NOT_NULL(s[i].args);
		CU_ASSERT(s[i].help != NULL && s[i].help[0] != 0);
		CU_ASSERT_PTR_NOT_NULL(s[i].topic);
		/* no two lines with the same words */
		for (size_t j = i + 1; j < n; j++)
			CU_ASSERT(strcmp(s[i].words, s[j].words) != 0);
	}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("cmd_spec", NULL, NULL);
	CU_add_test(s, "find", test_find);
	CU_add_test(s, "suggest", test_suggest);
	CU_add_test(s, "table_complete", test_table_complete);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned f = CU_get_number_of_failures();
	CU_cleanup_registry();
	return f ? 1 : 0;
}
