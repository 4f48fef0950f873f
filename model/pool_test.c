/* SPDX-License-Identifier: BSD-3-Clause
 * model/pool_test.c — unit tests of the subnetpool type: its validation
 * errors, a subnet's subnetpool_id (not encoded when null, so subnets
 * written before pools keep their bytes) and the cross-object check that a
 * pooled subnet lies in its pool, of its version. */
#include "mdl.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL "12121212-1212-4212-8212-121212121212"
#define NET  "11111111-1111-4111-8111-111111111111"
#define SUB  "22222222-2222-4222-8222-222222222221"

static const char *pool_base = "{\"id\":\"" POOL "\",\"prefixes\":[\"10.0.0.0/16\","
	"\"10.9.0.0/16\"],\"ip_version\":4,\"default_prefixlen\":24,\"min_prefixlen\":8,"
	"\"max_prefixlen\":32}";

/* pool_base patched with patch; the validation error ("" when valid) */
static const char *pool_err(const char *patch)
{
	static char err[MDL_ERR_SIZE];
	json_t *j = json_loads(pool_base, 0, NULL), *p = json_loads(patch, 0, NULL);
	struct mdl_hdr *h;

	json_object_update(j, p);
	err[0] = '\0';
	h = mdl_obj_from_json(MDL_SUBNETPOOL, j, err, sizeof(err));
	if (h)
		mdl_obj_validate(h, err, sizeof(err));
	mdl_obj_free(h);
	json_decref(j);
	json_decref(p);
	return err;
}

static void test_pool_validate(void)
{
	CU_ASSERT_STRING_EQUAL(pool_err("{}"), "");
	CU_ASSERT_STRING_EQUAL(pool_err("{\"prefixes\":[]}"),
			       "prefixes: empty subnet pool prefix list");
	CU_ASSERT_STRING_EQUAL(pool_err("{\"prefixes\":[\"10.0.0.1/16\"]}"),
			       "prefixes[0]: 10.0.0.1/16 has host bits set");
	CU_ASSERT_STRING_EQUAL(pool_err("{\"prefixes\":[\"fd00::/8\"]}"),
			       "prefixes[0]: fd00::/8 is not an IPv4 prefix");
	CU_ASSERT_STRING_EQUAL(pool_err("{\"prefixes\":[\"10.0.0.0/8\",\"10.1.0.0/16\"]}"),
			       "prefixes[1]: 10.1.0.0/16 overlaps 10.0.0.0/8");
	CU_ASSERT_STRING_EQUAL(pool_err("{\"prefixes\":[\"x\"]}"),
			       "prefixes[0]: 'x' is not a valid CIDR");
	CU_ASSERT_STRING_EQUAL(pool_err("{\"ip_version\":5}"), "ip_version: 5 is not 4 or 6");
	CU_ASSERT_PTR_NOT_NULL(strstr(pool_err("{\"default_prefixlen\":7}"), "prefixlen: need"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pool_err("{\"max_prefixlen\":33}"), "prefixlen: need"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pool_err("{\"min_prefixlen\":25}"), "prefixlen: need"));
	CU_ASSERT_STRING_EQUAL(pool_err("{\"address_scope_id\":\"x\"}"),
			       "address_scope_id: 'x' is not a valid UUID");
	CU_ASSERT_STRING_EQUAL(pool_err("{\"bogus\":1}"), "bogus: unknown field");
}

static const char *subnet_json(const char *pool_member)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "{\"id\":\"" SUB "\",\"network_id\":\"" NET "\","
		 "\"ip_version\":4,\"cidr\":\"10.9.3.0/24\"%s}", pool_member);
	return buf;
}

static struct mdl_hdr *store[2];

static struct mdl_hdr *get(void *ctx, enum mdl_type type, const char *id)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < 2; i++)
		if (store[i] && store[i]->type == type && !strcmp(store[i]->id, id))
			return mdl_obj_dup(store[i]);
	errno = ENOENT;
	return NULL;
}

static int foreach(void *ctx, enum mdl_type type, int (*fn)(const struct mdl_hdr *, void *),
		   void *arg)
{
	(void)ctx;
	(void)type;
	(void)fn;
	(void)arg;
	return 0;
}

static void test_subnet_in_pool(void)
{
	struct mdl_lookup lk = { get, foreach, NULL };
	char err[MDL_ERR_SIZE], *txt;
	struct mdl_hdr *s;

	/* null: not encoded */
	s = mdl_obj_from_string(MDL_SUBNET, subnet_json(",\"subnetpool_id\":null"), err,
				sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	txt = mdl_obj_to_string(s);
	CU_ASSERT_PTR_NULL(strstr(txt, "subnetpool_id"));
	free(txt);
	mdl_obj_free(s);

	store[0] = mdl_obj_from_string(MDL_NETWORK, "{\"id\":\"" NET "\",\"provider:network_type\":"
				       "\"vxlan\"}", err, sizeof(err));
	store[1] = mdl_obj_from_string(MDL_SUBNETPOOL, pool_base, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(store[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(store[1]);
	s = mdl_obj_from_string(MDL_SUBNET, subnet_json(",\"subnetpool_id\":\"" POOL "\""), err,
				sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	txt = mdl_obj_to_string(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "\"subnetpool_id\":\"" POOL "\""));
	free(txt);
	CU_ASSERT_EQUAL(mdl_obj_validate(s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mdl_validate_against(s, &lk, err, sizeof(err)), 0);
	strcpy(mdl_hdr_to_subnet(s)->cidr, "10.10.0.0/24");       /* outside */
	CU_ASSERT_EQUAL(mdl_validate_against(s, &lk, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "cidr: 10.10.0.0/24 is not in subnetpool " POOL);
	strcpy(mdl_hdr_to_subnet(s)->cidr, "10.8.0.0/15");        /* wider than a prefix */
	CU_ASSERT_EQUAL(mdl_validate_against(s, &lk, err, sizeof(err)), -EINVAL);
	mdl_obj_free(store[1]);
	store[1] = NULL;                                           /* no such pool */
	CU_ASSERT_EQUAL(mdl_validate_against(s, &lk, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "subnetpool_id: subnetpool " POOL " does not exist");
	strcpy(mdl_hdr_to_subnet(s)->subnetpool_id, "nope");
	CU_ASSERT_EQUAL(mdl_obj_validate(s, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "subnetpool_id: 'nope' is not a valid UUID");
	mdl_obj_free(s);
	mdl_obj_free(store[0]);
	store[0] = NULL;
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("model-pool", NULL, NULL);
	CU_add_test(s, "subnetpool validation", test_pool_validate);
	CU_add_test(s, "a subnet of a pool", test_subnet_in_pool);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
