/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_capture.c — `wyctl capture PORT [-c N] [-w FILE] [--filter FLOW]
 * [--direction rx|tx|both] [--timeout S]`.
 *
 * Design: the request starts a capture in the datapath (dp/capture.h) and
 * answers later (a deferred reply on the client's connection).  Each turn
 * of the control loop (the capture feature's tick, <= 100 ms apart) drains the capture ring into the
 * pcapng file and checks the end conditions: N packets written, the
 * timeout, the client gone (wyctl interrupted: its connection closed), the
 * port removed, or the daemon stopping.  Then the datapath capture stops and
 * the reply (counts, a summary line per packet) goes to the waiting client.
 * The control thread never blocks meanwhile: other requests, controller
 * events and punts are served as usual.  One capture at a time (dp limit).
 *
 * A relative FILE is resolved against the client's working directory (the
 * socket's SO_PEERCRED pid); the file is created with the client's user and
 * group, so a client can write only where it could write itself.
 * Without -w nothing is written; the reply lists the packets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "capture_file.h"
#include "ctrl.h"
#include "feature.h"
#include "log.h"

#define SUMMARY_MAX 1000

struct ctrl_capture {
	uint64_t conn_id;           /* the waiting wyctl connection (deferred answer) */
	int out;                    /* pcapng file, -1: none */
	char path[PATH_MAX];
	char port[DP_NAME_LEN];
	uint16_t port_id;
	char filter[256];
	const char *dir;
	uint32_t count, written;
	uint64_t deadline_ms;       /* 0: none */
	int write_err;
	json_t *pkts;               /* summaries */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FILE relative to the client's cwd, opened with the client's user and
 * group (setfsuid/setfsgid, this thread only): the daemon runs as root, and
 * an admin-group user must not overwrite files it could not write itself.
 * peer NULL: a trusted in-process caller (unit tests). */
static int open_out(const struct ctrl_peer *peer, const char *file, char *path, size_t len)
{
	if (file[0] == '/') {
		snprintf(path, len, "%s", file);
	} else {
		char link[64], cwd[PATH_MAX];
		ssize_t n = -1;
		if (peer != NULL && peer->pid > 0) {
			snprintf(link, sizeof(link), "/proc/%d/cwd", (int)peer->pid);
			n = readlink(link, cwd, sizeof(cwd) - 1);
		}
		if (n <= 0)
			return -ENOENT;
		cwd[n] = 0;
		if ((size_t)snprintf(path, len, "%s/%s", cwd, file) >= len)
			return -ENAMETOOLONG;
	}
	if (peer != NULL) {
		setfsgid(peer->gid);
		setfsuid(peer->uid);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int e = errno;
	if (peer != NULL) {
		setfsuid(getuid());
		setfsgid(getgid());
	}
	return fd < 0 ? -e : fd;
}

static void job_free(struct ctrl_capture *j)
{
	if (j == NULL)
		return;
	if (j->out >= 0)
		close(j->out);
	json_decref(j->pkts);
	free(j);
}

int cmd_capture(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	const char *port = NULL, *file = NULL, *filter = NULL, *dir = "both";
	uint32_t count = 100, timeout = 30;
	struct dp_capture_cfg cfg = { .rx = true, .tx = true };
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool opt = a[0] == '-' && a[1] != 0;
		if (!opt) {
			if (port)
				return reply_error(r, true, "unexpected argument '%s'", a);
			port = a;
			continue;
		}
		if (v == NULL)
			return reply_error(r, true, "%s needs a value", a);
		i++;
		if (strcmp(a, "-c") == 0 || strcmp(a, "--count") == 0) {
			if (ctrl_parse_u32(v, &count) < 0 || count == 0 || count > 10000000)
				return reply_error(r, true, "-c wants 1..10000000 packets, not '%s'", v);
		} else if (strcmp(a, "-w") == 0) {
			file = v;
		} else if (strcmp(a, "--filter") == 0) {
			filter = v;
		} else if (strcmp(a, "--timeout") == 0) {
			if (ctrl_parse_u32(v, &timeout) < 0 || timeout > 86400)
				return reply_error(r, true, "--timeout wants 0..86400 seconds, not '%s'", v);
		} else if (strcmp(a, "--direction") == 0) {
			if (strcmp(v, "rx") != 0 && strcmp(v, "tx") != 0 && strcmp(v, "both") != 0)
				return reply_error(r, true, "--direction is rx, tx or both, not '%s'", v);
			dir = strcmp(v, "rx") == 0 ? "rx" : strcmp(v, "tx") == 0 ? "tx" : "both";
			cfg.rx = dir[0] != 't';
			cfg.tx = dir[0] != 'r';
		} else {
			return reply_error(r, true, "unknown option '%s'", a);
		}
	}
	if (port == NULL)
		return reply_error(r, true, "capture needs a port");
	int id = ctrl_port_arg(c, port);
	if (id < 0)
		return reply_error(r, false, "no port '%s'", port);
	if (filter) {
		char err[256];
		if (dp_capture_filter_parse(&cfg, filter, err, sizeof(err)) < 0)
			return reply_error(r, true, "bad --filter: %s", err);
	}
	if (c->capture != NULL || dp_capture_running(c->dp))
		return reply_error(r, false, "a capture is already running (port %s); one at a time",
				   c->capture ? c->capture->port : "?");
	struct dp_port_info pi;
	if (dp_port_info(c->dp, (uint16_t)id, &pi) < 0)
		return reply_error(r, false, "no port '%s'", port);
	struct ctrl_capture *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return reply_error(r, false, "out of memory");
	j->out = -1;
	j->pkts = json_array();
	snprintf(j->port, sizeof(j->port), "%s", pi.name);
	snprintf(j->filter, sizeof(j->filter), "%s", filter ? filter : "");
	j->port_id = (uint16_t)id;
	j->dir = dir;
	j->count = count;
	if (file) {
		int fd = open_out(r->peer, file, j->path, sizeof(j->path));
		if (fd < 0) {
			reply_error(r, false, "cannot write %s: %s", file, strerror(-fd));
			job_free(j);
			return -1;
		}
		j->out = fd;
		char descr[512], comment[512];
		snprintf(descr, sizeof(descr), "wyvern dp port %s (%s), %s", pi.name, pi.devargs,
			 dir);
		snprintf(comment, sizeof(comment), "wyctl capture %s%s%s", pi.name,
			 filter ? " --filter " : "", filter ? filter : "");
		int rc = ctrl_pcapng_header(fd, pi.name, descr, comment);
		if (rc < 0) {
			reply_error(r, false, "cannot write %s: %s", j->path, strerror(-rc));
			job_free(j);
			return -1;
		}
	}
	cfg.port = (uint16_t)id;
	cfg.limit = count;
	int rc = dp_capture_start(c->dp, &cfg);
	if (rc < 0) {
		reply_error(r, false, "cannot start the capture: %s", strerror(-rc));
		if (j->path[0])
			unlink(j->path);
		job_free(j);
		return -1;
	}
	j->deadline_ms = timeout ? now_ms() + (uint64_t)timeout * 1000 : 0;
	j->conn_id = r->conn_id;
	r->deferred = true; /* answered by finish(), from the feature's tick */
	c->capture = j;
	CTRL_INFO("capture on port %s started (%u packets, %s%s%s)", j->port, count, dir,
		  filter ? ", filter " : "", filter ? filter : "");
	return 0;
}

static void add_packet(struct ctrl_capture *j, struct rte_mbuf *m)
{
	const uint8_t *data;
	uint32_t caplen, origlen;
	if (ctrl_pcapng_frame(m, &data, &caplen, &origlen) < 0)
		return;
	if (j->out >= 0 && j->write_err == 0)
		j->write_err = ctrl_pcapng_packet(j->out, m);
	j->written++;
	if (json_array_size(j->pkts) >= SUMMARY_MAX)
		return;
	char flow[512];
	if (dp_capture_describe(data, caplen, j->port_id, flow, sizeof(flow)) < 0)
		snprintf(flow, sizeof(flow), "(not parsed)");
	json_array_append_new(j->pkts, json_pack("{s:s,s:i,s:s}", "dir",
						 m->hash.usr == 1 ? "rx" : "tx", "len",
						 (int)origlen, "flow", flow));
}

static void finish(struct ctrl *c, const char *why)
{
	struct ctrl_capture *j = c->capture;
	struct dp_capture_stats st;
	struct rte_mbuf *m[64];
	unsigned n;
	while (j->written < j->count && (n = dp_capture_dequeue(c->dp, m, RTE_DIM(m))) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (j->written < j->count)
				add_packet(j, m[i]);
			rte_pktmbuf_free(m[i]);
		}
	}
	dp_capture_stop(c->dp, &st);
	c->capture = NULL;
	CTRL_INFO("capture on port %s ended (%s): %u packets", j->port, why, j->written);
	if (strcmp(why, "client gone") == 0) {
		job_free(j);
		return;
	}
	json_t *res = json_pack("{s:s,s:s,s:s,s:i,s:s,s:I,s:I,s:I}", "port", j->port, "direction",
				j->dir, "filter", j->filter, "packets", (int)j->written, "stopped",
				why, "ring_full", (json_int_t)st.ring_full, "nomem",
				(json_int_t)st.nomem, "filtered", (json_int_t)st.filtered);
	json_object_set_new(res, "file", j->path[0] ? json_string(j->path) : json_null());
	if (j->write_err)
		json_object_set_new(res, "write_error", json_string(strerror(-j->write_err)));
	json_object_set(res, "summary", j->pkts);
	struct ctrl_reply r = { .result = res };
	reply_printf(&r, "capture on %s (%s%s%s): %u packet%s%s%s, stopped: %s\n", j->port,
		     j->dir, j->filter[0] ? ", filter " : "", j->filter, j->written,
		     j->written == 1 ? "" : "s", j->path[0] ? " written to " : "", j->path, why);
	size_t i;
	json_t *p;
	json_array_foreach(j->pkts, i, p) {
		if (i >= 100) {
			reply_printf(&r, "  ... (%zu more in --json)\n", json_array_size(j->pkts) - i);
			break;
		}
		reply_printf(&r, "  %s %5d  %s\n", json_string_value(json_object_get(p, "dir")),
			     (int)json_integer_value(json_object_get(p, "len")),
			     json_string_value(json_object_get(p, "flow")));
	}
	if (st.ring_full || st.nomem)
		reply_printf(&r, "copies lost: ring full %llu, no buffer %llu\n",
			     (unsigned long long)st.ring_full, (unsigned long long)st.nomem);
	if (j->write_err)
		reply_printf(&r, "write error: %s\n", strerror(-j->write_err));
	ctrl_mgmt_answer(c, j->conn_id, ctrl_reply_line(&r, 0));
	job_free(j);
}

void ctrl_capture_tick(struct ctrl *c)
{
	struct ctrl_capture *j = c->capture;
	if (j == NULL)
		return;
	struct rte_mbuf *m[64];
	unsigned n, budget = 4096;
	while (budget > 0 && j->written < j->count &&
	       (n = dp_capture_dequeue(c->dp, m, RTE_DIM(m))) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (j->written < j->count)
				add_packet(j, m[i]);
			rte_pktmbuf_free(m[i]);
		}
		budget -= RTE_MIN(budget, n);
	}
	struct dp_port_info pi;
	if (j->written >= j->count)
		finish(c, "count reached");
	else if (!ctrl_mgmt_waiting(c, j->conn_id))
		finish(c, "client gone");
	else if (dp_port_info(c->dp, j->port_id, &pi) < 0 || strcmp(pi.name, j->port) != 0)
		finish(c, "port removed");
	else if (j->deadline_ms && now_ms() >= j->deadline_ms)
		finish(c, "timeout");
}

void ctrl_capture_close(struct ctrl *c)
{
	if (c->capture != NULL)
		finish(c, "daemon stopping");
}

static void capture_tick(struct ctrl *c, void *ctx)
{
	(void)ctx;
	ctrl_capture_tick(c);
}

static void capture_fini(struct ctrl *c, void *ctx)
{
	(void)ctx;
	ctrl_capture_close(c);
}

static const struct ctrl_cmd capture_cmds[] = {
	{ "capture", cmd_capture },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_capture_feature = {
	.name = "capture",
	.tick = capture_tick,
	.fini = capture_fini,
	.cmds = capture_cmds,
};
