/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/cli/wyctl.c — command-line client of wyvernd's management socket and
 * of the northbound database.
 *
 *   wyctl [-s SOCKET] [--db URL] [--json] COMMAND [ARGS...]
 *   wyctl help [COMMAND]      wyctl --help      wyctl --version
 *
 * Global options may stand anywhere on the line.  Help, typo suggestions
 * and usage come from the command table (cmd_spec.c) and need no daemon.
 * Daemon commands send {"argv": [...]} and print the text answer, or the
 * JSON result with --json.  Northbound commands (a type and a verb) run
 * through the wyvernd that holds the database, or on the database itself
 * (nb_ops.c); see nb_route().  Under --json every error is a JSON object
 * on stdout: {"ok": false, "error": "...", "usage": bool[, "suggestion"]}.
 * Exit status: 0 ok, 1 command failed or daemon unreachable, 2 usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd_spec.h"
#include "db.h"
#include "nb_ops.h"

#ifndef WYV_VERSION
#define WYV_VERSION "unknown"
#endif
#define DEFAULT_SOCKET "/run/wyvern/wyvernd.sock"

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

static bool as_json;

/* An error: text on stderr, or a JSON object on stdout under --json.
 * Returns the exit status (2 for usage errors, else 1). */
static int fail(bool usage, const char *suggestion, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(bool usage, const char *suggestion, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	if (as_json) {
		json_t *o = json_pack("{s:b,s:s,s:b}", "ok", 0, "error", msg, "usage", usage);
		if (suggestion)
			json_object_set_new(o, "suggestion", json_string(suggestion));
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		fprintf(stderr, "wyctl: %s\n", msg);
		if (suggestion)
			fprintf(stderr, "Did you mean 'wyctl %s'?\n", suggestion);
	}
	return usage ? 2 : 1;
}

static void help_all(FILE *f)
{
	static const struct { const char *topic, *title; } topics[] = {
		{ "show", "Show and trace (read-only)" },
		{ "datapath", "Datapath" },
		{ "northbound", "Northbound: the logical topology in the database" },
		{ "static", "Static tables (no database; testing and debugging)" },
	};
	size_t n;
	const struct ctrl_cmd_spec *sp = ctrl_cmd_specs(&n);
	fprintf(f, "usage: wyctl [-s SOCKET] [--db URL] [--json] COMMAND [ARGS...]\n"
		   "       wyctl help [COMMAND]   |   wyctl --version\n\n"
		   "Global options, anywhere on the line:\n"
		   "  -s SOCKET   wyvernd's management socket ($WYVERN_SOCKET, else "
		   DEFAULT_SOCKET ")\n"
		   "  --db URL    database of the northbound commands: rocksdb:PATH,\n"
		   "              etcd://HOST:PORT[,...] or etcds://HOST:PORT[,...] (TLS)\n"
		   "              ($WYVERN_DB, else " DB_DEFAULT_URL ");\n"
		   "              without it a running wyvernd answers them from its own database\n"
		   "  --db-ca FILE, --db-cert FILE, --db-key FILE   etcds:// CA bundle,\n"
		   "              client certificate and key ($WYVERN_DB_CA, _CERT, _KEY)\n"
		   "  --db-user NAME, --db-password-file FILE   etcd user and a file whose\n"
		   "              first line is its password ($WYVERN_DB_USER, _PASSWORD_FILE)\n"
		   "  --json      JSON output, errors included\n"
		   "  -h, --help  this help; `wyctl help COMMAND` for one command\n");
	for (size_t t = 0; t < sizeof(topics) / sizeof(topics[0]); t++) {
		fprintf(f, "\n%s:\n", topics[t].title);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(sp[i].topic, topics[t].topic) != 0)
				continue;
			fprintf(f, "  %s%s%s\n      %s%s\n", sp[i].words, sp[i].args[0] ? " " : "",
				sp[i].args, sp[i].help,
				sp[i].priv == CTRL_CMD_ADMIN ? " [admin]" : "");
		}
	}
	fprintf(f, "\nExit status: 0 ok, 1 the command failed, 2 usage error.\n");
}

/* `wyctl help WORDS...`: one command, or every command starting with a word. */
static int help_cmd(int argc, char **argv)
{
	int used = 0;
	const struct ctrl_cmd_spec *s = ctrl_cmd_spec_find(argc, argv, &used);
	if (s != NULL) {
		printf("usage: wyctl %s%s%s\n  %s%s\n", s->words, s->args[0] ? " " : "", s->args,
		       s->help, s->priv == CTRL_CMD_ADMIN ?
		       "\n  Needs uid 0 or the management socket's admin group." : "");
		if (strcmp(s->topic, "northbound") == 0) {
			putchar('\n');
			wyctl_nb_help(stdout, argv[0], argc > 1 ? argv[1] : NULL);
		}
		return 0;
	}
	size_t n;
	const struct ctrl_cmd_spec *sp = ctrl_cmd_specs(&n);
	size_t wl = strlen(argv[0]);
	bool any = false;
	for (size_t i = 0; i < n; i++)
		if (strncmp(sp[i].words, argv[0], wl) == 0 &&
		    (sp[i].words[wl] == ' ' || sp[i].words[wl] == 0)) {
			printf("  %s%s%s\n      %s\n", sp[i].words, sp[i].args[0] ? " " : "",
			       sp[i].args, sp[i].help);
			any = true;
		}
	if (any)
		return 0;
	return fail(true, ctrl_cmd_suggest(argc, argv), "no command '%s%s%s'", argv[0],
		    argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

/* ---- which database, and who holds it ---- */

/* The pid holding the fcntl lock RocksDB takes on PATH/LOCK, or 0. */
static pid_t rocksdb_holder(const char *path)
{
	char lock[PATH_MAX];
	snprintf(lock, sizeof(lock), "%s/LOCK", path);
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	pid_t pid = 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid;
	close(fd);
	return pid;
}

/* The path of a listening Unix socket that process pid holds (its
 * management socket), found through /proc; 0 or -ENOENT. */
static int socket_of(pid_t pid, char *out, size_t size)
{
	char dir[64], link[PATH_MAX];
	unsigned long inodes[64];
	size_t ni = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	if (d == NULL)
		return -ENOENT;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && ni < 64) {
		char p[320];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (sscanf(link, "socket:[%lu]", &inodes[ni]) == 1)
			ni++;
	}
	closedir(d);
	FILE *f = fopen("/proc/net/unix", "r");
	if (f == NULL)
		return -ENOENT;
	char line[PATH_MAX + 128];
	int rc = -ENOENT;
	while (rc != 0 && fgets(line, sizeof(line), f)) {
		unsigned long inode, flags, type, state;
		char path[PATH_MAX];
		/* Num RefCount Protocol Flags Type St Inode Path; the management
		 * socket listens (__SO_ACCEPTCON) and is a stream (type 1): DPDK's
		 * telemetry socket is a seqpacket one, its mp socket a datagram */
		if (sscanf(line, "%*s %*s %*s %lx %lx %lx %lu %4095s", &flags, &type, &state, &inode,
			   path) != 5)
			continue;
		if (!(flags & 0x10000) || type != 1 || path[0] != '/')
			continue;
		for (size_t i = 0; i < ni; i++)
			if (inodes[i] == inode) {
				snprintf(out, size, "%s", path);
				rc = 0;
				break;
			}
	}
	fclose(f);
	return rc;
}

static void proc_name(pid_t pid, char *out, size_t size)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(p, "r");
	snprintf(out, size, "process");
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static bool nb_is_read(int argc, char **argv)
{
	/* TYPE VERB, or security-group rule VERB */
	const char *verb = argc >= 3 && strcmp(argv[1], "rule") == 0 ? argv[2] :
			   argc >= 2 ? argv[1] : "";
	return strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0;
}

/* ---- talking to the daemon ---- */

static int via_daemon(const char *sock, int argc, char **argv, bool nb)
{
	json_t *av = json_array();
	for (int k = 0; k < argc; k++)
		json_array_append_new(av, json_string(argv[k]));
	if (nb && as_json)
		json_array_append_new(av, json_string("--json"));
	json_t *req = json_pack("{s:o}", "argv", av);
	char *resp = NULL;
	int rc = talk(sock, req, &resp);
	json_decref(req);
	if (rc < 0) {
		free(resp);
		return fail(false, NULL, "cannot talk to wyvernd at %s: %s%s", sock, strerror(-rc),
			    rc == -ENOENT || rc == -ECONNREFUSED ?
			    " (is wyvernd running? give its socket with -s)" :
			    rc == -EACCES ? " (not in the socket's group?)" : "");
	}
	json_error_t err;
	json_t *r = json_loads(resp, JSON_DISABLE_EOF_CHECK, &err);
	free(resp);
	if (r == NULL)
		return fail(false, NULL, "bad answer from wyvernd: %s", err.text);
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
		status = fail(json_is_true(json_object_get(r, "usage")), NULL, "%s",
			      e ? e : "failed");
	}
	json_decref(r);
	return status;
}

/* A northbound command on the database itself; errors as fail() does. */
static int nb_direct(const char *url, int argc, char **argv)
{
	char *ebuf = NULL;
	size_t elen = 0;
	FILE *e = open_memstream(&ebuf, &elen);
	if (e == NULL)
		return fail(false, NULL, "out of memory");
	int ec = wyctl_nb_run(NULL, url, as_json, argc, argv, stdout, e);
	fclose(e);
	if (ec != 0) {
		const char *m = ebuf && ebuf[0] ? ebuf : "failed";
		if (strncmp(m, "wyctl: ", 7) == 0)
			m += 7;
		ec = fail(ec == 2, NULL, "%s", m);
	}
	free(ebuf);
	return ec;
}

/* Where a northbound command runs:
 *  - no --db / $WYVERN_DB and a wyvernd answers on the socket: through it,
 *    on the database it holds;
 *  - an embedded database held by a process (RocksDB allows one): through
 *    that process's management socket, found in /proc, else an error that
 *    names the process;
 *  - otherwise on the database itself; a read never creates one, a write
 *    creates its parent directories. */
static int nb_route(const char *url, bool url_given, const char *sock, bool sock_given,
		    int argc, char **argv)
{
	if (!url_given && daemon_alive(sock))
		return via_daemon(sock, argc, argv, true);
	if (strncmp(url, "rocksdb:", 8) == 0) {
		const char *path = url + 8;
		pid_t holder = rocksdb_holder(path);
		if (holder > 0 && holder != getpid()) {
			char name[64], hsock[PATH_MAX];
			proc_name(holder, name, sizeof(name));
			if (socket_of(holder, hsock, sizeof(hsock)) == 0 && daemon_alive(hsock))
				return via_daemon(hsock, argc, argv, true);
			return fail(false, NULL,
				    "database %s is held by %s (pid %d); run `wyctl -s SOCKET %s %s "
				    "...` with its [mgmt] socket%s", path, name, (int)holder,
				    argv[0], argv[1], sock_given ? "" :
				    " (wyctl finds it by itself when it can read /proc/PID/fd: "
				    "run as root)");
		}
		struct stat st;
		char cur[PATH_MAX];
		snprintf(cur, sizeof(cur), "%s/CURRENT", path);
		if (nb_is_read(argc, argv) && stat(cur, &st) < 0)
			return fail(false, NULL, "no database at %s (nothing has been created there; "
				    "give wyvernd's [ctrl] db with --db, or -s its socket)", path);
	}
	return nb_direct(url, argc, argv);
}

/* The environment variable behind a database security option, or NULL. */
static const char *db_sec_env(const char *a)
{
	static const char *const opt[][2] = {
		{ "--db-ca", "WYVERN_DB_CA" }, { "--db-cert", "WYVERN_DB_CERT" },
		{ "--db-key", "WYVERN_DB_KEY" }, { "--db-user", "WYVERN_DB_USER" },
		{ "--db-password-file", "WYVERN_DB_PASSWORD_FILE" },
	};
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		size_t n = strlen(opt[i][0]);
		if (strncmp(a, opt[i][0], n) == 0 && (a[n] == 0 || a[n] == '='))
			return opt[i][1];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *sock = getenv("WYVERN_SOCKET");
	const char *db_url = NULL;
	bool want_help = false, sock_given = sock != NULL;
	char **cmd = calloc((size_t)argc + 1, sizeof(*cmd));
	int n = 0;
	if (cmd == NULL)
		return 1;
	if (sock == NULL)
		sock = DEFAULT_SOCKET;
	/* global options anywhere; "--" ends them */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				cmd[n++] = argv[i];
			break;
		} else if (strcmp(a, "-s") == 0 || strcmp(a, "--db") == 0) {
			if (i + 1 >= argc) {
				free(cmd);
				return fail(true, NULL, "%s needs a value", a);
			}
			if (a[1] == 's')
				sock = argv[++i], sock_given = true;
			else
				db_url = argv[++i];
		} else if (strncmp(a, "--db=", 5) == 0) {
			db_url = a + 5;
		} else if (db_sec_env(a) != NULL) {
			/* --db-ca FILE or --db-ca=FILE: the same as $WYVERN_DB_CA */
			const char *eq = strchr(a, '='), *v = eq ? eq + 1 : NULL;
			if (!eq && i + 1 >= argc) {
				free(cmd);
				return fail(true, NULL, "%s needs a value", a);
			}
			if (!eq)
				v = argv[++i];
			setenv(db_sec_env(a), v, 1);
		} else if (strcmp(a, "--json") == 0) {
			as_json = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			want_help = true;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("wyctl %s\n", WYV_VERSION);
			free(cmd);
			return 0;
		} else {
			cmd[n++] = argv[i];
		}
	}
	cmd[n] = NULL;
	int rc;
	if (n > 0 && strcmp(cmd[0], "help") == 0) {
		if (n == 1) {
			help_all(stdout);
			rc = 0;
		} else {
			rc = help_cmd(n - 1, cmd + 1);
		}
	} else if (want_help) {
		if (n == 0) {
			help_all(stdout);
			rc = 0;
		} else {
			rc = help_cmd(n, cmd);
		}
	} else if (n == 0) {
		help_all(stderr);
		rc = 2;
	} else if (wyctl_nb_is_cmd(n, cmd)) {
		const char *env = getenv("WYVERN_DB");
		bool given = db_url != NULL || (env != NULL && env[0]);
		const char *url = db_url ? db_url : given ? env : DB_DEFAULT_URL;
		rc = nb_route(url, given, sock, sock_given, n, cmd);
	} else if (ctrl_cmd_spec_find(n, cmd, NULL) == NULL) {
		const char *sug = ctrl_cmd_suggest(n, cmd);
		if (sug && strcmp(sug, cmd[0]) == 0) /* a known first word alone */
			rc = fail(true, NULL, "'%s%s%s' is not a command; `wyctl help %s` lists the "
				  "%s commands", cmd[0], n > 1 ? " " : "", n > 1 ? cmd[1] : "",
				  cmd[0], cmd[0]);
		else
			rc = fail(true, sug, "unknown command '%s%s%s' (`wyctl help` lists them)",
				  cmd[0], n > 1 ? " " : "", n > 1 ? cmd[1] : "");
	} else {
		rc = via_daemon(sock, n, cmd, false);
	}
	free(cmd);
	return rc;
}
