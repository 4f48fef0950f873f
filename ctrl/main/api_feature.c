/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/api_feature.c — the Neutron REST API (api/) inside wyvernd:
 * `[api] enable = true` serves it on `[api] listen` (127.0.0.1:9696).
 *
 * The database: `[api] db`, else `[ctrl] db`.  When it is the embedded
 * RocksDB the local controller holds, the API borrows that handle (only
 * one process, and one handle per process, can open the store); it
 * appears once the controller's sync thread opened it, so the server
 * starts from tick() when it is not there at init.  Any other URL (etcd)
 * gets the feature's own handle.  The nb handle (index + dp_key blocks) is
 * the feature's; requests run on libmicrohttpd's threads, never on the
 * control thread.  Loading the index (one scan) runs on the control thread
 * when the server starts.
 *
 * Threads: init / tick / fini on the control thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ctrl.h"
#include "db.h"
#include "feature.h"
#include "lc.h"
#include "log.h"
#include "nb.h"

struct api_feat {
	const struct api_config *cfg;
	struct db *own_db;              /* ours (etcd, or a store lc does not hold) */
	struct nb *nb;
	struct api_server *srv;
	bool failed;
};

static const char *db_url(struct ctrl *c)
{
	const struct api_config *a = c->cfg->api;

	return a->db[0] ? a->db : c->cfg->lc.db_url;
}

static int try_start(struct ctrl *c, struct api_feat *f, char *err, size_t errlen)
{
	const char *url = db_url(c);
	struct db *db = NULL;

	if (c->lc && !strcmp(url, lc_db_url(c->lc)) && !strncmp(url, "rocksdb:", 8)) {
		db = lc_central_db(c->lc);
		if (!db)
			return -EAGAIN;         /* not open yet: tick() tries again */
	} else {
		if (!f->own_db && !(f->own_db = db_open(url))) {
			snprintf(err, errlen, "cannot open %s: %s", url, strerror(errno));
			return -errno;
		}
		db = f->own_db;
	}
	if (!(f->nb = nb_open(db, NB_F_INDEX | NB_F_DP_BLOCK))) {
		snprintf(err, errlen, "cannot load the northbound index from %s: %s", url,
			 strerror(errno));
		return -errno;
	}
	if (!(f->srv = api_start(f->cfg, f->nb, err, errlen))) {
		int e = -errno;

		nb_close(f->nb);
		f->nb = NULL;
		return e;
	}
	CTRL_INFO("api: Neutron API on %s://%s (db %s, auth %s)", api_scheme(f->srv),
		  f->cfg->listen, url, f->cfg->auth);
	return 0;
}

static int api_init(struct ctrl *c, void **ctx, char *err, size_t errlen)
{
	const struct api_config *a = c->cfg->api;
	struct api_feat *f;
	int rc;

	*ctx = NULL;
	if (!a || !a->enable)
		return 0;
	if (!db_url(c)[0]) {
		snprintf(err, errlen, "[api] needs a database: [api] db or [ctrl] db");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->cfg = a;
	rc = try_start(c, f, err, errlen);
	if (rc && rc != -EAGAIN) {
		db_close(f->own_db);
		free(f);
		return rc;
	}
	*ctx = f;
	return 0;
}

static void api_tick(struct ctrl *c, void *ctx)
{
	struct api_feat *f = ctx;
	char err[300];
	int rc;

	if (!f || f->srv || f->failed)
		return;
	rc = try_start(c, f, err, sizeof(err));
	if (rc && rc != -EAGAIN) {
		CTRL_ERR("api: %s", err);
		f->failed = true;
	}
}

static void api_fini(struct ctrl *c, void *ctx)
{
	struct api_feat *f = ctx;

	(void)c;
	if (!f)
		return;
	api_stop(f->srv);
	nb_close(f->nb);
	db_close(f->own_db);
	free(f);
}

const struct ctrl_feature ctrl_api_feature = {
	.name = "api",
	.init = api_init,
	.fini = api_fini,
	.tick = api_tick,
};
