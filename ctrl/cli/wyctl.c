/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/cli/wyctl.c — command-line client of wyvernd's management socket.
 *
 *   wyctl [-s SOCKET] [--json] COMMAND [ARGS...]
 *   wyctl [--db URL] [--json] TYPE create|list|show|update|delete ...
 *
 * Sends {"argv": [...]} and prints the text answer, or the JSON result with
 * --json.  Northbound commands (a type and one of those verbs) do not talk to
 * the daemon: they validate and write the database directly (nb_ops.c).
 * Exit status: 0 ok, 1 command failed or daemon unreachable, 2 usage error.  Commands are listed by `wyctl` with no arguments.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "nb_ops.h"

static int talk(const char *path, json_t *req, char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	/* request and its newline in one write: the daemon answers once it
	 * has a full line */
	char *s = json_dumps(req, JSON_COMPACT);
	if (s == NULL) {
		close(fd);
		return -ENOMEM;
	}
	size_t len = strlen(s), off = 0;
	char *line = realloc(s, len + 2);
	if (line == NULL) {
		free(s);
		close(fd);
		return -ENOMEM;
	}
	s = line;
	s[len++] = '\n';
	s[len] = 0;
	int rc = 0;
	while (off < len) {
		ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (w <= 0) {
			rc = -errno;
			break;
		}
		off += (size_t)w;
	}
	free(s);
	size_t cap = 65536, used = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (rc == 0) {
		if (used + 4096 > cap) {
			char *nb = realloc(buf, cap *= 2);
			if (nb == NULL)
				break;
			buf = nb;
		}
		ssize_t n = recv(fd, buf + used, cap - used - 1, 0);
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = 0;
	*out = buf;
	return rc;
}

static bool daemon_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	const char *sock = getenv("WYVERN_SOCKET");
	const char *db_url = NULL;
	bool as_json = false;
	int i = 1;
	if (sock == NULL)
		sock = "/run/wyvern/wyvernd.sock";
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db_url = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			as_json = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			argc = i; /* empty command: the daemon answers with usage */
		else
			break;
	}
	bool nb = wyctl_nb_is_cmd(argc - i, argv + i);
	/* Northbound commands write the database directly when told which
	 * (--db, $WYVERN_DB) or when no wyvernd answers; otherwise the running
	 * wyvernd runs them on the database it holds. */
	if (nb && (db_url || getenv("WYVERN_DB") || !daemon_alive(sock)))
		return wyctl_nb_main(db_url, as_json, argc - i, argv + i);
	json_t *av = json_array();
	for (int k = i; k < argc; k++)
		json_array_append_new(av, json_string(argv[k]));
	if (nb && as_json)
		json_array_append_new(av, json_string("--json"));
	json_t *req = json_pack("{s:o}", "argv", av);
	char *resp = NULL;
	int rc = talk(sock, req, &resp);
	json_decref(req);
	if (rc < 0) {
		fprintf(stderr, "wyctl: cannot talk to wyvernd at %s: %s\n", sock, strerror(-rc));
		if (i >= argc)
			fprintf(stderr, "usage: wyctl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
				"       wyctl [--db URL] [--json] network|subnet|port|router|"
				"security-group create|list|show|update|delete ...\n");
		free(resp);
		return i >= argc ? 2 : 1;
	}
	json_error_t err;
	json_t *r = json_loads(resp, JSON_DISABLE_EOF_CHECK, &err);
	free(resp);
	if (r == NULL) {
		fprintf(stderr, "wyctl: bad answer from wyvernd: %s\n", err.text);
		return 1;
	}
	int status = 0;
	if (json_is_true(json_object_get(r, "ok"))) {
		if (as_json && !json_is_true(json_object_get(r, "raw"))) {
			json_dumpf(json_object_get(r, "result"), stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else {
			fputs(json_string_value(json_object_get(r, "text")), stdout);
		}
	} else {
		const char *e = json_string_value(json_object_get(r, "error"));
		fprintf(stderr, "wyctl: %s\n", e ? e : "failed");
		status = json_is_true(json_object_get(r, "usage")) ? 2 : 1;
	}
	json_decref(r);
	return status;
}
