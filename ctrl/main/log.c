/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/log.c — wyvernd's log destination and level (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <rte_log.h>

#include "log.h"

static struct {
	int level;
	int dest;
	char path[256];        /* CTRL_LOG_FILE: reopened by ctrl_log_reopen */
	FILE *file;            /* CTRL_LOG_FILE */
	FILE *rte_stream;      /* what DPDK writes to (file, syslog cookie, stderr) */
} g_log = { .level = CTRL_LOG_INFO, .dest = CTRL_LOG_STDERR };

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
static const unsigned rte_level[] = { RTE_LOG_ERR, RTE_LOG_WARNING, RTE_LOG_INFO,
				      RTE_LOG_DEBUG };

void ctrl_log_cfg_defaults(struct ctrl_log_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->level = CTRL_LOG_INFO;
	cfg->dest = CTRL_LOG_STDERR;
}

int ctrl_log_cfg_key(struct ctrl_log_cfg *cfg, const char *key, const char *val, char *err,
		     size_t errlen)
{
	if (strcmp(key, "level") == 0) {
		for (int i = 0; i < 4; i++)
			if (strcmp(val, level_names[i]) == 0) {
				cfg->level = i;
				return 0;
			}
		snprintf(err, errlen, "level must be error, warning, info or debug, not '%s'", val);
		return -EINVAL;
	}
	if (strcmp(key, "destination") == 0) {
		if (strcmp(val, "stderr") == 0) {
			cfg->dest = CTRL_LOG_STDERR;
		} else if (strcmp(val, "syslog") == 0) {
			cfg->dest = CTRL_LOG_SYSLOG;
		} else if (strncmp(val, "file:", 5) == 0 && val[5] == '/' &&
			   strlen(val + 5) < sizeof(cfg->path)) {
			cfg->dest = CTRL_LOG_FILE;
			snprintf(cfg->path, sizeof(cfg->path), "%s", val + 5);
		} else {
			snprintf(err, errlen, "destination must be stderr, syslog or "
				 "file:/ABSOLUTE/PATH, not '%s'", val);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s' in [log]", key);
	return -EINVAL;
}

/* DPDK -> syslog: one message per write (rte_vlog flushes after each). */
static ssize_t syslog_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	int lvl = rte_log_cur_msg_loglevel(); /* RTE_LOG_EMERG=1 .. DEBUG=8 */
	int prio = lvl >= 1 && lvl <= 8 ? lvl - 1 : LOG_INFO;
	size_t n = size;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0)
		syslog(prio, "%.*s", (int)n, buf);
	return (ssize_t)size;
}

int ctrl_log_open(const struct ctrl_log_cfg *cfg)
{
	int rc = 0;
	ctrl_log_close();
	g_log.level = cfg->level;
	g_log.dest = cfg->dest;
	if (cfg->dest == CTRL_LOG_FILE) {
		snprintf(g_log.path, sizeof(g_log.path), "%s", cfg->path);
		g_log.file = fopen(cfg->path, "ae");
		if (g_log.file == NULL) {
			rc = -errno;
			g_log.dest = CTRL_LOG_STDERR;
		} else {
			setvbuf(g_log.file, NULL, _IOLBF, 0);
			g_log.rte_stream = g_log.file;
		}
	} else if (cfg->dest == CTRL_LOG_SYSLOG) {
		openlog("wyvernd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		cookie_io_functions_t io = { .write = syslog_write };
		g_log.rte_stream = fopencookie(NULL, "w", io);
		if (g_log.rte_stream)
			setvbuf(g_log.rte_stream, NULL, _IOFBF, 4096);
	}
	/* stderr only: Linux EAL's default stream writes to the console AND
	 * syslog; one destination means one */
	rte_openlog_stream(g_log.rte_stream ? g_log.rte_stream : stderr);
	rte_log_set_global_level(rte_level[g_log.level]);
	return rc;
}

int ctrl_log_reopen(void)
{
	if (g_log.dest != CTRL_LOG_FILE || g_log.file == NULL)
		return 0;
	/* freopen keeps the FILE (DPDK's stream is the same pointer) and takes
	 * the stream's lock, so writers on other threads see the old or the
	 * new file, never a closed one; on failure the stream is closed by
	 * glibc, so fall back to stderr for both */
	FILE *f = freopen(g_log.path, "ae", g_log.file);   /* the same FILE */
	if (f == NULL) {
		int rc = -errno;

		g_log.file = g_log.rte_stream = NULL;
		g_log.dest = CTRL_LOG_STDERR;
		rte_openlog_stream(stderr);
		return rc;
	}
	g_log.file = f;
	setvbuf(g_log.file, NULL, _IOLBF, 0);
	return 0;
}

void ctrl_log_close(void)
{
	rte_openlog_stream(NULL);
	if (g_log.rte_stream && g_log.rte_stream != g_log.file)
		fclose(g_log.rte_stream);
	if (g_log.file)
		fclose(g_log.file);
	if (g_log.dest == CTRL_LOG_SYSLOG)
		closelog();
	g_log.file = g_log.rte_stream = NULL;
	g_log.dest = CTRL_LOG_STDERR;
}

void ctrl_log(int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (level > g_log.level)
		return;
	if (level < CTRL_LOG_ERR)
		level = CTRL_LOG_ERR;
	if (level > CTRL_LOG_DEBUG)
		level = CTRL_LOG_DEBUG;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = 0;
	switch (g_log.dest) {
	case CTRL_LOG_SYSLOG:
		syslog(syslog_prio[level], "%s", msg);
		break;
	case CTRL_LOG_FILE: {
		char ts[32];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(g_log.file, "%s.%03ldZ %-7s wyvernd: %s\n", ts, now.tv_nsec / 1000000,
			level_names[level], msg);
		break;
	}
	default:
		fprintf(stderr, "wyvernd: %s\n", msg);
		break;
	}
}
