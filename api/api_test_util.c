/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_test_util.c — see api_test_util.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_test_util.h"

struct api_fx api_fx;

int api_fx_open(const char *tag, const struct nbo_config *cfg)
{
	struct nbo_config def;
	char url[128];

	snprintf(api_fx.dir, sizeof(api_fx.dir), "/tmp/wyv-api-%s-XXXXXX", tag);
	if (!mkdtemp(api_fx.dir))
		return -1;
	snprintf(url, sizeof(url), "rocksdb:%s/db", api_fx.dir);
	api_fx.db = db_open(url);
	api_fx.nb = api_fx.db ? nb_open(api_fx.db, NB_F_INDEX | NB_F_DP_BLOCK) : NULL;
	if (!cfg) {
		nbo_config_defaults(&def);
		cfg = &def;
	}
	nbo_init(&api_fx.nbo, api_fx.nb, cfg);
	return api_fx.nb ? 0 : -1;
}

int api_fx_close(void)
{
	char cmd[128];

	nbo_fini(&api_fx.nbo);
	nb_close(api_fx.nb);
	db_close(api_fx.db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", api_fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

unsigned api_fx_call(const struct api_req *r, json_t **out)
{
	struct api_req q = *r;
	struct api_resp resp;

	if (!q.base_url)
		q.base_url = "http://t";
	api_handle(&api_fx.nbo, &q, &resp);
	if (out)
		*out = resp.body;
	else
		json_decref(resp.body);
	return resp.status;
}
