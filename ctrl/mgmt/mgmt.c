/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/mgmt.c — the management socket: one JSON request line per
 * connection ({"argv": ["show", "pmd"]}), one JSON reply line
 * ({"ok": true, "result": {...}, "text": "..."} or {"ok": false,
 * "error": "...", "usage": bool}), then close.
 *
 * Runs on the control thread; the listening socket is non-blocking and each
 * connection gets a short receive timeout so a stuck client cannot hang the
 * controller.  Requests are capped at 64 KiB.
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
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <libgen.h>

#include "ctrl.h"

#define MAX_REQ (64 * 1024)

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
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a stale socket from a crashed run: remove it only if nobody answers */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			return -EADDRINUSE;
		}
		close(probe);
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	c->listen_fd = fd;
	return 0;
}

void ctrl_mgmt_close(struct ctrl *c, const char *path)
{
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(path);
	}
	c->listen_fd = -1;
}

/* Returns true when a handler kept fd to answer later (c->req_fd_taken). */
static bool serve(struct ctrl *c, int fd)
{
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char *buf = malloc(MAX_REQ + 1);
	if (buf == NULL)
		return false;
	size_t used = 0;
	while (used < MAX_REQ) {
		ssize_t n = recv(fd, buf + used, MAX_REQ - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(buf + used - (size_t)n, '\n', (size_t)n))
			break;
	}
	buf[used] = 0;
	c->req_fd = fd;
	c->req_fd_taken = false;
	char *resp = used >= MAX_REQ
		? strdup("{\"ok\":false,\"error\":\"request larger than 64 KiB\",\"usage\":false}\n")
		: ctrl_handle_request(c, buf, used);
	c->req_fd = -1;
	free(buf);
	if (c->req_fd_taken) {
		free(resp);
		return true;
	}
	if (resp == NULL)
		return false;
	size_t len = strlen(resp), off = 0;
	while (off < len) {
		ssize_t n = send(fd, resp + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(resp);
	/* half-close, then read what the client may still send: closing with
	 * unread input would reset the connection and lose our answer */
	shutdown(fd, SHUT_WR);
	struct timeval drain = { .tv_usec = 200000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &drain, sizeof(drain));
	char sink[256];
	while (recv(fd, sink, sizeof(sink), 0) > 0)
		;
	return false;
}

void ctrl_mgmt_poll(struct ctrl *c, int timeout_ms)
{
	struct pollfd p = { .fd = c->listen_fd, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* the accepted socket blocks (with timeouts) */
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		if (!serve(c, fd))
			close(fd);
	}
}
