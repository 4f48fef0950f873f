/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_test_util.h — the unit suites' fixture: one real RocksDB store in
 * a temp dir with an indexed nb handle and the operations (struct nbo) the
 * requests run on, and one request through api_handle().  Test programs
 * only; one fixture per program, its CUnit thread only.
 */
#ifndef WYV_API_TEST_UTIL_H
#define WYV_API_TEST_UTIL_H

#include <jansson.h>

#include "api_priv.h"
#include "db.h"
#include "nb.h"

struct api_fx {
	char dir[64];
	struct db *db;
	struct nb *nb;          /* NB_F_INDEX | NB_F_DP_BLOCK */
	struct nbo nbo;
};

extern struct api_fx api_fx;

/* Opens the store under /tmp/wyv-api-TAG-XXXXXX with cfg (NULL: the
 * defaults).  0, or -1 (a CUnit suite set-up's answer). */
int api_fx_open(const char *tag, const struct nbo_config *cfg);
/* Closes and removes it.  0 or -1. */
int api_fx_close(void);
/* api_handle() on the fixture (base_url "http://t" when r has none); the
 * status, the body into *out (caller's) or dropped when out is NULL. */
unsigned api_fx_call(const struct api_req *r, json_t **out);

#endif
