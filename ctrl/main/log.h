/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/log.h — wyvernd's log: one level and one destination ([log] in the
 * config) for the daemon's own messages AND DPDK's (rte_log).
 *
 *   level       = error | warning | info | debug      (default info)
 *   destination = stderr | file:PATH | syslog         (default stderr)
 *
 * Lines keep their historical text ("wyvernd: ready: ..."); in a file they
 * are prefixed with an ISO-8601 UTC timestamp and the level.  DPDK's messages
 * go to the same place: rte_openlog_stream() with the file, or a cookie
 * stream that hands each message to syslog(3) at its own level.  Without a
 * [log] section nothing changes but DPDK's default double output (console
 * AND syslog) becomes console only.
 *
 * Threads: ctrl_log_open/close on the main thread (before rte_eal_init and
 * at exit); ctrl_log from any thread (one stdio call per message, stdio
 * locks the stream).
 */
#ifndef WYV_CTRL_LOG_H
#define WYV_CTRL_LOG_H

#include <stddef.h>

enum ctrl_log_level {
	CTRL_LOG_ERR = 0,
	CTRL_LOG_WARNING,
	CTRL_LOG_INFO,
	CTRL_LOG_DEBUG,
};

enum ctrl_log_dest {
	CTRL_LOG_STDERR = 0,
	CTRL_LOG_FILE,
	CTRL_LOG_SYSLOG,
};

struct ctrl_log_cfg {
	int level;                 /* enum ctrl_log_level */
	int dest;                  /* enum ctrl_log_dest */
	char path[256];            /* CTRL_LOG_FILE */
};

void ctrl_log_cfg_defaults(struct ctrl_log_cfg *cfg);
/* One [log] key.  0, or -EINVAL with a reason (no FILE:LINE) in err. */
int ctrl_log_cfg_key(struct ctrl_log_cfg *cfg, const char *key, const char *val, char *err,
		     size_t errlen);

/* Apply cfg to ctrl_log and to DPDK's logging (callable before
 * rte_eal_init: EAL's --log-level, if given, still wins).  0 or -errno
 * (the file cannot be opened; messages then stay on stderr). */
int ctrl_log_open(const struct ctrl_log_cfg *cfg);
void ctrl_log_close(void);
/* Reopen the log file at its path (after logrotate moved it; wyvernd calls
 * this on SIGHUP).  No-op for stderr/syslog.  Main thread; other threads may
 * be logging meanwhile.  0, or -errno (messages then go to stderr). */
int ctrl_log_reopen(void);

void ctrl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CTRL_ERR(...)  ctrl_log(CTRL_LOG_ERR, __VA_ARGS__)
#define CTRL_WARN(...) ctrl_log(CTRL_LOG_WARNING, __VA_ARGS__)
#define CTRL_INFO(...) ctrl_log(CTRL_LOG_INFO, __VA_ARGS__)
#define CTRL_DBG(...)  ctrl_log(CTRL_LOG_DEBUG, __VA_ARGS__)

#endif
