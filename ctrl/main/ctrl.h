/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/ctrl.h — the control side of wyvernd: one thread (the EAL main
 * lcore) owns the datapath's tables and talks to wyctl over a Unix socket.
 */
#ifndef WYV_CTRL_CTRL_H
#define WYV_CTRL_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "config.h"
#include "dp.h"

struct ctrl {
	struct dp *dp;
	struct ctrl_config *cfg;
	int listen_fd;
	volatile int stop;
	uint64_t punted;           /* packets taken off the punt ring */
	struct lc *lc;             /* local controller, NULL when [ctrl] db unset */
	/* the connection of the request being handled (mgmt.c); a handler
	 * that keeps it to answer later sets req_fd_taken (cmd_capture.c) */
	int req_fd;
	bool req_fd_taken;
	struct ctrl_capture *capture;  /* cmd_capture.c: the running capture */
	struct ctrl_metrics *metrics;  /* metrics.c: the Prometheus endpoint */
};

/* A command's answer: JSON for --json, text for people. */
struct ctrl_reply {
	json_t *result;            /* object; handlers add fields */
	char *text;
	size_t len, used;
	char err[1024];
	bool usage;                /* err is a usage error (wyctl exits 2) */
	bool raw;                  /* text is the answer even for --json */
};

void reply_printf(struct ctrl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int reply_error(struct ctrl_reply *r, bool usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Handle one request line (JSON {"argv":[...]}) and return the response
 * line (malloc'ed JSON).  Never fails: bad requests get an error reply. */
char *ctrl_handle_request(struct ctrl *c, const char *req, size_t len);

/* mgmt.c: socket server */
int ctrl_mgmt_open(struct ctrl *c, const char *path);
/* Serve ready connections, waiting at most timeout_ms. */
void ctrl_mgmt_poll(struct ctrl *c, int timeout_ms);
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

/* cmd_capture.c: `capture` (answers later, from ctrl_capture_tick, which the
 * main loop calls every turn); ctrl_capture_close ends a running one. */
int cmd_capture(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
void ctrl_capture_tick(struct ctrl *c);
void ctrl_capture_close(struct ctrl *c);

/* cmd_nb.c: northbound commands on the controller's central database */
bool cmd_nb_is(int argc, char **argv);
int cmd_nb(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);

/* Helpers shared by handlers. */
int ctrl_parse_u32(const char *s, uint32_t *out);
int ctrl_port_arg(struct ctrl *c, const char *s);  /* name or number -> id, -1 */

#endif
