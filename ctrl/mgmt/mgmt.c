/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/mgmt.c — the management socket: one JSON request line per
 * connection ({"argv": ["show", "pmd"]}), one JSON reply line
 * ({"ok": true, "result": {...}, "text": "..."} or {"ok": false,
 * "error": "...", "usage": bool}), then close.
 *
 * Access: the socket is created with mode 0660 (umask around bind), owned
 * by the daemon's user (root) and by [mgmt] group when set: whoever may
 * connect may run read-only commands.  Each connection's peer is taken
 * with SO_PEERCRED (+ SO_PEERGROUPS for its supplementary groups); the
 * dispatcher (request.c) refuses admin commands to peers that are neither
 * uid 0 nor in [mgmt] admin-group.
 *
 * Serving: on the control thread, without ever blocking.  Accepted sockets
 * are non-blocking; each connection has its own buffers and state (read the
 * request -> wait for a deferred answer -> send -> drain -> close) and is
 * served when poll() says so (ctrl_mgmt_pollfds/ctrl_mgmt_serve from the
 * control loop).  One deadline covers the whole request (5 s from accept,
 * not per recv), a request is at most 64 KiB, sending the answer has 5 s,
 * and the drain after the answer (reading what the client may still send,
 * so that closing does not reset the connection and lose the answer) is
 * bounded to 200 ms and 64 KiB.  So a client trickling a byte a second
 * delays nobody else.  At most MGMT_MAX_CONNS connections at once (more
 * wait in the listen backlog), at most MGMT_MAX_PER_UID of them from one
 * non-root user (more get an error answer at once), so one user cannot
 * take every slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>

#include "ctrl.h"

#define MAX_REQ (64 * 1024)
#define MGMT_MAX_CONNS 64
#define MGMT_MAX_PER_UID 16      /* open connections of one non-root uid */
#define REQ_DEADLINE_MS 5000     /* accept -> complete request */
#define SEND_DEADLINE_MS 5000    /* answer ready -> sent */
#define WAIT_DEADLINE_MS 600000  /* a deferred answer (northbound worker) */
#define DRAIN_MS 200
#define DRAIN_MAX (64 * 1024)

enum conn_state { CONN_FREE, CONN_READ, CONN_WAIT, CONN_SEND, CONN_DRAIN };

struct mgmt_conn {
	enum conn_state st;
	int fd;
	uint64_t id;
	uint64_t deadline_ms;
	struct ctrl_peer peer;
	char *buf;                 /* request, then answer */
	size_t used, cap;          /* request bytes / buffer size */
	size_t off;                /* answer bytes sent */
	size_t drained;
};

struct ctrl_mgmt {
	int listen_fd;
	uint64_t next_id;
	unsigned n_conns;
	struct mgmt_conn conns[MGMT_MAX_CONNS];
	/* what the last ctrl_mgmt_pollfds() put where: conn id, 0 = listen */
	uint64_t polled[MGMT_MAX_CONNS + 1];
	unsigned n_polled;
	uint64_t accepted, timeouts, too_large;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void reply_printf(struct ctrl_reply *r, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = r->len - r->used;
		va_start(ap, fmt);
		int n = vsnprintf(r->text ? r->text + r->used : NULL, r->text ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (r->text && (size_t)n < room) {
			r->used += (size_t)n;
			return;
		}
		size_t want = (r->len ? r->len * 2 : 4096) + (size_t)n;
		char *t = realloc(r->text, want);
		if (t == NULL)
			return;
		r->text = t;
		r->len = want;
	}
}

int reply_error(struct ctrl_reply *r, bool usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->usage = usage;
	return -1;
}

static int mkdir_parent(const char *path)
{
	char tmp[108];
	snprintf(tmp, sizeof(tmp), "%s", path);
	char *d = dirname(tmp);
	if (strcmp(d, ".") == 0 || strcmp(d, "/") == 0)
		return 0;
	if (mkdir(d, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ctrl_mgmt_open(struct ctrl *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int rc = mkdir_parent(path);
	if (rc < 0)
		return rc;
	struct ctrl_mgmt *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->next_id = 1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		free(m);
		return rc;
	}
	/* a stale socket from a crashed run: remove it only if nobody answers */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			free(m);
			return -EADDRINUSE;
		}
		close(probe);
	}
	unlink(path);
	/* 0660 from the start: no window in which others could connect */
	mode_t old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (rc < 0) {
		rc = -e;
		goto fail;
	}
	if (c->cfg != NULL && c->cfg->mgmt_gid >= 0 &&
	    chown(path, (uid_t)-1, (gid_t)c->cfg->mgmt_gid) < 0) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	if (chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	m->listen_fd = fd;
	c->mgmt = m;
	return 0;
fail:
	close(fd);
	free(m);
	return rc;
}

static void conn_close(struct ctrl_mgmt *m, struct mgmt_conn *k)
{
	if (k->st == CONN_FREE)
		return;
	close(k->fd);
	free(k->buf);
	memset(k, 0, sizeof(*k));
	k->st = CONN_FREE;
	k->fd = -1;
	m->n_conns--;
}

void ctrl_mgmt_close(struct ctrl *c, const char *path)
{
	struct ctrl_mgmt *m = c->mgmt;
	if (m == NULL)
		return;
	for (unsigned i = 0; i < MGMT_MAX_CONNS; i++)
		conn_close(m, &m->conns[i]);
	close(m->listen_fd);
	unlink(path);
	free(m);
	c->mgmt = NULL;
}

/* Who is on the other end: uid, gid, pid and supplementary groups. */
static void peer_of(int fd, struct ctrl_peer *p)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
		p->pid = cr.pid;
		p->uid = cr.uid;
		p->gid = cr.gid;
	}
	len = sizeof(p->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0) {
		p->n_groups = len / sizeof(gid_t);
		return;
	}
	/* ERANGE (more than 64 groups) or an old kernel: the first 64 of the
	 * peer process' "Groups:" line */
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	FILE *f = p->pid > 0 ? fopen(path, "re") : NULL;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		char *s = line + 7, *e;
		unsigned long g;
		while (p->n_groups < sizeof(p->groups) / sizeof(p->groups[0]) &&
		       (g = strtoul(s, &e, 10), e != s)) {
			p->groups[p->n_groups++] = (gid_t)g;
			s = e;
		}
		break;
	}
	fclose(f);
}

static void conn_answer(struct mgmt_conn *k, char *line);
static char *error_line(const char *msg);
static void conn_send(struct ctrl_mgmt *m, struct mgmt_conn *k);

static void accept_some(struct ctrl *c)
{
	struct ctrl_mgmt *m = c->mgmt;
	for (int n = 0; n < 16 && m->n_conns < MGMT_MAX_CONNS; n++) {
		int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct mgmt_conn *k = NULL;
		for (unsigned i = 0; i < MGMT_MAX_CONNS && k == NULL; i++)
			if (m->conns[i].st == CONN_FREE)
				k = &m->conns[i];
		k->buf = malloc(4096);
		if (k->buf == NULL) {
			close(fd);
			return;
		}
		k->cap = 4096;
		k->used = 0;
		k->fd = fd;
		k->id = m->next_id++;
		k->st = CONN_READ;
		k->deadline_ms = now_ms() + REQ_DEADLINE_MS;
		peer_of(fd, &k->peer);
		m->n_conns++;
		m->accepted++;
		unsigned same = 0;
		for (unsigned i = 0; i < MGMT_MAX_CONNS; i++)
			same += m->conns[i].st != CONN_FREE && m->conns[i].peer.uid == k->peer.uid;
		if (k->peer.uid != 0 && same > MGMT_MAX_PER_UID) {
			char msg[96];
			snprintf(msg, sizeof(msg), "too many connections from uid %u (at most %d)",
				 (unsigned)k->peer.uid, MGMT_MAX_PER_UID);
			char *l = error_line(msg);
			if (l == NULL) {
				conn_close(m, k);
				continue;
			}
			conn_answer(k, l);
			conn_send(m, k);
		}
	}
}

/* Start sending line (consumed) on k. */
static void conn_answer(struct mgmt_conn *k, char *line)
{
	free(k->buf);
	k->buf = line;
	k->used = strlen(line);
	k->cap = k->used + 1;
	k->off = 0;
	k->st = CONN_SEND;
	k->deadline_ms = now_ms() + SEND_DEADLINE_MS;
}

static char *error_line(const char *msg)
{
	struct ctrl_reply r = { .result = json_object() };
	reply_error(&r, false, "%s", msg);
	return ctrl_reply_line(&r, -1);
}

/* The request is complete: dispatch it. */
static void conn_request(struct ctrl *c, struct mgmt_conn *k)
{
	char *line = ctrl_handle_request(c, k->buf, k->used, &k->peer, k->id);
	if (line == NULL) {
		/* deferred (the handler answers through ctrl_mgmt_answer) */
		free(k->buf);
		k->buf = NULL;
		k->used = k->cap = 0;
		k->st = CONN_WAIT;
		k->deadline_ms = now_ms() + WAIT_DEADLINE_MS;
		return;
	}
	conn_answer(k, line);
}

static void conn_read(struct ctrl *c, struct mgmt_conn *k)
{
	struct ctrl_mgmt *m = c->mgmt;
	for (;;) {
		if (k->used == k->cap) {
			if (k->cap > MAX_REQ) {
				m->too_large++;
				char *l = error_line("request larger than 64 KiB");
				if (l == NULL) {
					conn_close(m, k);
					return;
				}
				conn_answer(k, l);
				return;
			}
			size_t nc = k->cap * 2 > MAX_REQ + 1 ? MAX_REQ + 1 : k->cap * 2;
			char *nb = realloc(k->buf, nc);
			if (nb == NULL) {
				conn_close(m, k);
				return;
			}
			k->buf = nb;
			k->cap = nc;
		}
		ssize_t n = recv(k->fd, k->buf + k->used, k->cap - k->used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_close(m, k);
			return;
		}
		if (n == 0) {          /* EOF: the request is what came */
			if (k->used == 0) {
				conn_close(m, k);
				return;
			}
			conn_request(c, k);
			return;
		}
		size_t before = k->used;
		k->used += (size_t)n;
		if (memchr(k->buf + before, '\n', (size_t)n) != NULL) {
			if (k->used > MAX_REQ) {
				m->too_large++;
				char *l = error_line("request larger than 64 KiB");
				if (l == NULL)
					conn_close(m, k);
				else
					conn_answer(k, l);
				return;
			}
			conn_request(c, k);
			return;
		}
	}
}

static void conn_send(struct ctrl_mgmt *m, struct mgmt_conn *k)
{
	while (k->off < k->used) {
		ssize_t n = send(k->fd, k->buf + k->off, k->used - k->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(m, k);
			return;
		}
		k->off += (size_t)n;
	}
	/* half-close, then read what the client may still send (bounded):
	 * closing with unread input would reset the connection and lose our
	 * answer */
	shutdown(k->fd, SHUT_WR);
	k->st = CONN_DRAIN;
	k->drained = 0;
	k->deadline_ms = now_ms() + DRAIN_MS;
}

static void conn_drain(struct ctrl_mgmt *m, struct mgmt_conn *k)
{
	char sink[4096];
	for (;;) {
		ssize_t n = recv(k->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || (k->drained += (size_t)n) >= DRAIN_MAX) {
			conn_close(m, k);
			return;
		}
	}
}

unsigned ctrl_mgmt_pollfds(struct ctrl *c, struct pollfd *p, unsigned max)
{
	struct ctrl_mgmt *m = c->mgmt;
	unsigned n = 0;
	if (m == NULL)
		return 0;
	if (m->n_conns < MGMT_MAX_CONNS && n < max) {
		m->polled[n] = 0;
		p[n++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
	}
	for (unsigned i = 0; i < MGMT_MAX_CONNS && n < max; i++) {
		struct mgmt_conn *k = &m->conns[i];
		short ev;
		switch (k->st) {
		case CONN_READ:
		case CONN_DRAIN: ev = POLLIN; break;
		case CONN_SEND: ev = POLLOUT; break;
		case CONN_WAIT: ev = 0; break;       /* POLLHUP: the client left */
		default: continue;
		}
		m->polled[n] = k->id;
		p[n++] = (struct pollfd){ .fd = k->fd, .events = ev };
	}
	m->n_polled = n;
	return n;
}

static struct mgmt_conn *conn_by_id(const struct ctrl_mgmt *m, uint64_t id)
{
	for (unsigned i = 0; i < MGMT_MAX_CONNS; i++)
		if (m->conns[i].st != CONN_FREE && m->conns[i].id == id)
			return (struct mgmt_conn *)&m->conns[i];
	return NULL;
}

bool ctrl_mgmt_waiting(const struct ctrl *c, uint64_t conn_id)
{
	const struct mgmt_conn *k = c->mgmt ? conn_by_id(c->mgmt, conn_id) : NULL;
	return k != NULL && k->st == CONN_WAIT;
}

void ctrl_mgmt_serve(struct ctrl *c, const struct pollfd *p, unsigned n)
{
	struct ctrl_mgmt *m = c->mgmt;
	if (m == NULL)
		return;
	bool do_accept = false;
	for (unsigned i = 0; i < n && i < m->n_polled; i++) {
		if (p[i].revents == 0)
			continue;
		if (m->polled[i] == 0) {
			do_accept = true;
			continue;
		}
		struct mgmt_conn *k = conn_by_id(m, m->polled[i]);
		if (k == NULL)
			continue;
		switch (k->st) {
		case CONN_READ: conn_read(c, k); break;
		case CONN_SEND: conn_send(m, k); break;
		case CONN_DRAIN: conn_drain(m, k); break;
		case CONN_WAIT:
			if (p[i].revents & (POLLHUP | POLLERR))
				conn_close(m, k);   /* nobody waits for the answer */
			break;
		default: break;
		}
	}
	/* a request that became complete may be answered at once */
	for (unsigned i = 0; i < MGMT_MAX_CONNS; i++)
		if (m->conns[i].st == CONN_SEND && m->conns[i].off == 0)
			conn_send(m, &m->conns[i]);
	uint64_t now = now_ms();
	for (unsigned i = 0; i < MGMT_MAX_CONNS; i++) {
		struct mgmt_conn *k = &m->conns[i];
		if (k->st == CONN_FREE || now < k->deadline_ms)
			continue;
		m->timeouts++;
		if (k->st == CONN_READ || k->st == CONN_WAIT) {
			char *l = error_line(k->st == CONN_READ
					     ? "request not complete within 5 s"
					     : "no answer within 600 s");
			if (l != NULL) {
				conn_answer(k, l);
				conn_send(m, k);
				continue;
			}
		}
		conn_close(m, k);
	}
	if (do_accept)
		accept_some(c);
}

void ctrl_mgmt_answer(struct ctrl *c, uint64_t conn_id, char *line)
{
	struct ctrl_mgmt *m = c->mgmt;
	struct mgmt_conn *k = m ? conn_by_id(m, conn_id) : NULL;
	if (k == NULL || k->st != CONN_WAIT) {
		free(line);
		return;
	}
	conn_answer(k, line);
	conn_send(m, k);
}
