/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/feature.c — running the features of wyvernd (see feature.h).
 * Its own small library so that apps/ and mgmt/ (whose features it runs)
 * can use ctrl_feature_ctx() without depending on main/.  Control thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "feature.h"

static void punts_set(struct ctrl *c, const struct ctrl_feature *f, void *ctx, bool on)
{
	for (const struct ctrl_punt_use *u = f->punts; u && u->fn; u++) {
		if (u->reason == DP_PUNT_NONE || u->reason >= DP_PUNT__MAX)
			continue;
		c->punt[u->reason].fn = on ? u->fn : NULL;
		c->punt[u->reason].arg = on ? ctx : NULL;
	}
}

int ctrl_features_init(struct ctrl *c, const struct ctrl_feature *const *list, size_t n,
		       char *err, size_t errlen)
{
	if (n > CTRL_MAX_FEATURES) {
		snprintf(err, errlen, "%zu features, at most %d", n, CTRL_MAX_FEATURES);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ctrl_feature *f = list[i];
		void *ctx = NULL;
		char why[256] = "";
		for (const struct ctrl_punt_use *u = f->punts; u && u->fn; u++)
			if (u->reason == DP_PUNT_NONE || u->reason >= DP_PUNT__MAX ||
			    c->punt[u->reason].fn != NULL) {
				snprintf(err, errlen, "feature %s: punt reason %u is invalid or "
					 "taken", f->name, u->reason);
				ctrl_features_fini(c);
				return -EINVAL;
			}
		int rc = f->init ? f->init(c, &ctx, why, sizeof(why)) : 0;
		if (rc < 0) {
			snprintf(err, errlen, "feature %s: %s", f->name,
				 why[0] ? why : strerror(-rc));
			ctrl_features_fini(c);
			return rc;
		}
		c->feat[c->n_feat].f = f;
		c->feat[c->n_feat].ctx = ctx;
		c->n_feat++;
		punts_set(c, f, ctx, true);
	}
	return 0;
}

void ctrl_features_tick(struct ctrl *c)
{
	for (unsigned i = 0; i < c->n_feat; i++)
		if (c->feat[i].f->tick)
			c->feat[i].f->tick(c, c->feat[i].ctx);
}

void ctrl_features_fini(struct ctrl *c)
{
	while (c->n_feat > 0) {
		unsigned i = --c->n_feat;
		punts_set(c, c->feat[i].f, NULL, false);
		if (c->feat[i].f->fini)
			c->feat[i].f->fini(c, c->feat[i].ctx);
		c->feat[i].f = NULL;
		c->feat[i].ctx = NULL;
	}
}

void *ctrl_feature_ctx(const struct ctrl *c, const struct ctrl_feature *f)
{
	for (unsigned i = 0; i < c->n_feat; i++)
		if (c->feat[i].f == f)
			return c->feat[i].ctx;
	return NULL;
}

/* Does argv start with the words of w?  Returns how many argv words. */
static int match_words(const char *w, int argc, char *const *argv)
{
	int k = 0;
	while (*w) {
		size_t len = strcspn(w, " ");
		if (k >= argc || strlen(argv[k]) != len || strncmp(argv[k], w, len) != 0)
			return 0;
		k++;
		w += len;
		while (*w == ' ')
			w++;
	}
	return k;
}

const struct ctrl_cmd *ctrl_feature_cmd(const struct ctrl *c, int argc, char *const *argv,
					int *nwords, const struct ctrl_feature **owner)
{
	const struct ctrl_cmd *best = NULL;
	int best_n = 0;
	for (unsigned i = 0; i < c->n_feat; i++)
		for (const struct ctrl_cmd *k = c->feat[i].f->cmds; k && k->words; k++) {
			int m = match_words(k->words, argc, argv);
			if (m > best_n) {
				best = k;
				best_n = m;
				if (owner)
					*owner = c->feat[i].f;
			}
		}
	if (nwords)
		*nwords = best_n;
	return best;
}
