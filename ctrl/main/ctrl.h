/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/ctrl.h — the control side of wyvernd: one thread (the EAL main
 * lcore) owns the datapath's tables and talks to wyctl over a Unix socket.
 */
#ifndef WYV_CTRL_CTRL_H
#define WYV_CTRL_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "config.h"
#include "dp.h"

struct pollfd;

#define CTRL_MAX_FEATURES 32

struct ctrl;
struct rte_mbuf;
struct ctrl_feature;
struct ctrl_mgmt;

/* The punt dispatcher's state (apps/punt.c): one application per reason. */
struct ctrl_punt_slot {
	void (*fn)(struct ctrl *c, struct rte_mbuf *m, void *arg);
	void *arg;
	uint64_t seen, unhandled;
};

struct ctrl {
	struct dp *dp;
	struct ctrl_config *cfg;
	struct ctrl_mgmt *mgmt;    /* the management socket server (mgmt.c) */
	volatile int stop;
	volatile int reopen_log;   /* SIGHUP: reopen the [log] file */
	uint64_t punted;           /* packets taken off the punt ring */
	struct lc *lc;             /* local controller, NULL when [ctrl] db unset */
	struct ctrl_capture *capture;  /* cmd_capture.c: the running capture */
	struct ctrl_metrics *metrics;  /* metrics.c: the Prometheus endpoint */
	struct ctrl_punt_slot punt[DP_PUNT__MAX];
	/* features that are up (feature.h), in init order */
	struct {
		const struct ctrl_feature *f;
		void *ctx;
	} feat[CTRL_MAX_FEATURES];
	unsigned n_feat;
};

/* Who sent a management request (SO_PEERCRED, SO_PEERGROUPS). */
struct ctrl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	unsigned n_groups;
	gid_t groups[64];          /* supplementary groups */
};

/* A command's answer: JSON for --json, text for people. */
struct ctrl_reply {
	json_t *result;            /* object; handlers add fields */
	char *text;
	size_t len, used;
	char err[1024];
	bool usage;                /* err is a usage error (wyctl exits 2) */
	bool raw;                  /* text is the answer even for --json */
	/* A handler that answers later (the northbound worker) sets deferred
	 * and, when done, calls ctrl_mgmt_answer(c, conn_id, line). */
	bool deferred;
	uint64_t conn_id;          /* the request's connection (set by mgmt) */
	/* the whole request (words included), for a handler serving several
	 * commands; set by the dispatcher */
	int req_argc;
	char *const *req_argv;
	/* who sent it (NULL: trusted caller, unit tests): e.g. a handler that
	 * opens a file for the peer must do it with the peer's rights */
	const struct ctrl_peer *peer;
};

void reply_printf(struct ctrl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int reply_error(struct ctrl_reply *r, bool usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Handle one request line (JSON {"argv":[...]}) from peer (NULL: trusted,
 * unit tests) on connection conn_id and return the response line
 * (malloc'ed JSON), or NULL when the command answers later (deferred) or
 * out of memory.  Bad requests get an error reply. */
char *ctrl_handle_request(struct ctrl *c, const char *req, size_t len,
			  const struct ctrl_peer *peer, uint64_t conn_id);
/* The response line for a reply (consumes r's result and text). */
char *ctrl_reply_line(struct ctrl_reply *r, int rc);

/* mgmt.c: the socket server.  Connections are non-blocking and served from
 * the control loop: ctrl_mgmt_pollfds() adds the listening socket and every
 * connection that waits for input or output, ctrl_mgmt_serve() handles what
 * poll() reported and expires deadlines. */
int ctrl_mgmt_open(struct ctrl *c, const char *path);
unsigned ctrl_mgmt_pollfds(struct ctrl *c, struct pollfd *p, unsigned max);
void ctrl_mgmt_serve(struct ctrl *c, const struct pollfd *p, unsigned n);
/* Send a deferred answer (consumes line).  A connection gone meanwhile
 * just drops it. */
void ctrl_mgmt_answer(struct ctrl *c, uint64_t conn_id, char *line);
/* Does conn_id still wait for its deferred answer (false once the client
 * left or the wait timed out)? */
bool ctrl_mgmt_waiting(const struct ctrl *c, uint64_t conn_id);
void ctrl_mgmt_close(struct ctrl *c, const char *path);

/* Command groups (cmd_show.c, cmd_cfg.c). Each returns 0 or -1 (err set). */
int cmd_show_ports(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_show_pmd(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_show_networks(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_show_lports(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_dump_fdb(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_dump_megaflows(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_trace(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_stats_clear(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_cache_flush(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_network_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_network_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_lport_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_lport_set(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_lport_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_port_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_port_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);

/* cmd_lc.c: local controller commands */
int cmd_show_ctrl(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_show_replica(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
/* cmd_topology.c: the logical topology this chassis holds */
int cmd_show_topology(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
/* loop.c: one turn of the control thread's loop (mgmt socket, controller
 * events, punted packets), waiting at most timeout_ms. */
void ctrl_poll(struct ctrl *c, int timeout_ms);
/* The controller's hook inside a pass it cannot cut (lc_set_yield; arg:
 * the struct ctrl): punted packets only.  Control thread. */
void ctrl_lc_yield(void *arg);

/* cmd_capture.c: `capture` (answers later, from its feature's tick);
 * ctrl_capture_close ends a running one. */
int cmd_capture(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
void ctrl_capture_tick(struct ctrl *c);
void ctrl_capture_close(struct ctrl *c);

/* cmd_cfg.c: may `port add` use these devargs?  0, or -EPERM with a
 * message in msg (a devarg that names a file, or one not known to be
 * file-free) unless [mgmt] allow-file-devargs. */
int ctrl_devargs_check(const char *devargs, char *msg, size_t len);

/* cmd_offload.c: the offload state of megaflow id ("none", "partial",
 * "full"; why not better in why, its mark), NULL when offload is off. */
const char *ctrl_offload_describe(struct ctrl *c, uint64_t id, char *why, size_t len,
				  uint32_t *mark);

/* Helpers shared by handlers. */
int ctrl_parse_u32(const char *s, uint32_t *out);
int ctrl_port_arg(struct ctrl *c, const char *s);  /* name or number -> id, -1 */

#endif
