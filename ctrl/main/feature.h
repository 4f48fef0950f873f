/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/feature.h — a feature of wyvernd registers itself.
 *
 * One `struct ctrl_feature` per feature (DHCP, ICMP, underlay ARP, the
 * management commands of the datapath, the local controller, northbound
 * ...), defined in the feature's own file.  The one list of features is
 * ctrl/main/features.c; wyvernd calls init over it at start-up (after the
 * datapath started), tick every loop turn, fini at shutdown (reverse order);
 * the control loop polls each feature's fd; the punt dispatcher hands each
 * punt reason to the feature that consumes it; the request dispatcher
 * (ctrl/mgmt/request.c) finds commands in the features' `cmds`.  The words,
 * arguments, help and privilege of a command live in ctrl/cli/cmd_spec.c
 * (wyctl needs them without a daemon); a unit test checks that every
 * registered command has a spec line and every spec line a handler.
 *
 * Adding a feature = its files + one line in features.c (+ its spec lines).
 *
 * Threads: everything here runs on the control thread.
 */
#ifndef WYV_CTRL_FEATURE_H
#define WYV_CTRL_FEATURE_H

#include <stddef.h>

#include "ctrl.h"
#include "punt.h"

/* A management command: argv after the command's words.  0, or -1 with
 * r->err set.  Setting r->deferred (see ctrl.h) answers later. */
typedef int ctrl_cmd_fn(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);

struct ctrl_cmd {
	const char *words;          /* exactly as in cmd_spec.c: "show ports" */
	ctrl_cmd_fn *fn;
};

struct ctrl_punt_use {
	unsigned reason;            /* DP_PUNT_* */
	ctrl_punt_fn *fn;           /* called with the feature's ctx as arg */
};

struct ctrl_feature {
	const char *name;
	/* Set *ctx (the feature's state; may stay NULL).  0 or -errno: start-up
	 * fails with "feature NAME: ..." (err, if set, says more).  NULL: none. */
	int (*init)(struct ctrl *c, void **ctx, char *err, size_t errlen);
	void (*fini)(struct ctrl *c, void *ctx);
	/* Every loop turn (at least every 100 ms); cheap when idle. */
	void (*tick)(struct ctrl *c, void *ctx);
	/* A descriptor the control loop polls (readable = work), -1 none,
	 * and what to do when it is readable. */
	int (*fd)(void *ctx);
	void (*on_fd)(struct ctrl *c, void *ctx);
	const struct ctrl_punt_use *punts;  /* ends with fn == NULL; may be NULL */
	const struct ctrl_cmd *cmds;        /* ends with words == NULL; may be NULL */
};

/* features.c: the list, in init order.  *n = count. */
const struct ctrl_feature *const *ctrl_features(size_t *n);

/* feature.c (a library below apps/ and mgmt/): init the n features of list
 * (registering their punt reasons in c->punt); on a failure fini the ones
 * already up and return -errno with "feature NAME: reason" in err. */
int ctrl_features_init(struct ctrl *c, const struct ctrl_feature *const *list, size_t n,
		       char *err, size_t errlen);
void ctrl_features_tick(struct ctrl *c);
void ctrl_features_fini(struct ctrl *c);
/* The state init gave f (NULL if f is not up). */
void *ctrl_feature_ctx(const struct ctrl *c, const struct ctrl_feature *f);
/* The command whose words argv starts with (longest match), or NULL;
 * *nwords = words consumed, *owner = its feature. */
const struct ctrl_cmd *ctrl_feature_cmd(const struct ctrl *c, int argc, char *const *argv,
					int *nwords, const struct ctrl_feature **owner);

#endif
