/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/config_priv.h — what config.c (the file pass, [eal], [dp],
 * [port.*], [log]/[metrics], [mgmt], whole-file checks) and config_ctrl.c
 * (the [ctrl], [offload] and [api] sections) share: where each key was
 * written, and the FILE:LINE error helpers.  Not a public header.
 * Thread: the loading thread (main, before EAL), as config.h.
 */
#ifndef WYV_CTRL_CONFIG_PRIV_H
#define WYV_CTRL_CONFIG_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_cfgfile.h>

#include "config.h"

struct where {
	char section[64];
	char key[64];
	int line;
};

struct ctx {
	const char *path;
	char *err;
	size_t errlen;
	struct where w[512];
	unsigned nw;
};

/* "FILE:LINE: " + fmt (with two string arguments) into c->err; -EINVAL. */
int cfg_fail(struct ctx *c, int line, const char *fmt, const char *a, const char *b);
/* cfg_fail with any format. */
int cfg_failf(struct ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The line of (sec, key), or of [sec] itself with key NULL; 0 if absent. */
int cfg_line_of(const struct ctx *c, const char *sec, const char *key);
/* A decimal/hex integer in [min, max], nothing after it.  0 / -EINVAL. */
int cfg_parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out);

/* Parses val into dst or returns the FILE:LINE error (c, val in scope). */
#define U32(sec, key, min, max, dst)                                                       \
	do {                                                                               \
		uint32_t v_;                                                               \
		if (cfg_parse_u32(val, min, max, &v_) < 0) {                                   \
			char r_[64];                                                       \
			snprintf(r_, sizeof(r_), "%u..%u", (unsigned)(min), (unsigned)(max));\
			return cfg_fail(c, cfg_line_of(c, sec, key), "%s must be an integer in %s", \
				    key, r_);                                              \
		}                                                                          \
		dst = v_;                                                                  \
	} while (0)

/* config_ctrl.c */
int cfg_load_ctrl(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg);
int cfg_load_offload(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg);
int cfg_load_api(struct ctx *c, struct rte_cfgfile *f, struct ctrl_config *cfg);

#endif
