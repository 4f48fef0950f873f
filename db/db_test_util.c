/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_test_util.c — tests: private etcd process management (see db_test_util.h).
 * The child gets PR_SET_PDEATHSIG so it also dies if the test is killed. */
#include "db_test_util.h"
#include "db.h"
#include "db_etcd_priv.h"       /* etcd_call, for the leader lookup */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path) ? -errno : 0;
}

int test_rm_rf(const char *path)
{
	if (!path || !path[0])
		return -EINVAL;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Two distinct free loopback ports (bound at the same time, then released). */
static int free_ports(int *a, int *b)
{
	int fds[2] = { -1, -1 }, ports[2], i, rc = 0;

	for (i = 0; i < 2; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t len = sizeof(sa);

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &len)) {
			rc = -errno;
			break;
		}
		ports[i] = ntohs(sa.sin_port);
	}
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (!rc) {
		*a = ports[0];
		*b = ports[1];
	}
	return rc;
}

static int spawn(struct test_etcd *t)
{
	char data[300], log[300], curl[64], purl[64], cert[300], key[300], ca[300];
	const char *argv[48];
	int n = 0;
	pid_t pid;

	snprintf(data, sizeof(data), "%s/data", t->dir);
	snprintf(log, sizeof(log), "%s/etcd.log", t->dir);
	snprintf(curl, sizeof(curl), "%s://127.0.0.1:%d", t->tls_dir[0] ? "https" : "http",
		 t->client_port);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", t->peer_port);
	snprintf(cert, sizeof(cert), "%s/server.pem", t->tls_dir);
	snprintf(key, sizeof(key), "%s/server-key.pem", t->tls_dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", t->tls_dir);
	argv[n++] = "etcd";
	argv[n++] = "--name";
	argv[n++] = t->name;
	argv[n++] = "--data-dir";
	argv[n++] = data;
	argv[n++] = "--listen-client-urls";
	argv[n++] = curl;
	argv[n++] = "--advertise-client-urls";
	argv[n++] = curl;
	argv[n++] = "--listen-peer-urls";
	argv[n++] = purl;
	argv[n++] = "--initial-advertise-peer-urls";
	argv[n++] = purl;
	argv[n++] = "--initial-cluster";
	argv[n++] = t->cluster;
	argv[n++] = "--initial-cluster-token";
	argv[n++] = t->token;
	if (t->tls_dir[0]) {
		argv[n++] = "--cert-file";
		argv[n++] = cert;
		argv[n++] = "--key-file";
		argv[n++] = key;
		argv[n++] = "--trusted-ca-file";
		argv[n++] = ca;
		argv[n++] = "--client-cert-auth";
	}
	for (int i = 0; i < 8 && t->extra[i]; i++)
		argv[n++] = t->extra[i];
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv("/usr/bin/etcd", (char *const *)argv);
		_exit(127);
	}
	t->pid = pid;
	return 0;
}

/* Polls /v3/kv/range until etcd answers (up to ~30 s). */
static int wait_ready(struct test_etcd *t)
{
	struct db *db = db_open_opts(t->url, &t->opts, NULL, 0);
	uint64_t rev;
	int i, rc = -ETIMEDOUT;

	if (!db)
		return -errno;
	for (i = 0; i < 3; i++) {
		int st;

		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			t->pid = 0;
			rc = -ECHILD;
			break;
		}
		rc = db_revision(db, &rev);
		if (!rc)
			break;
	}
	db_close(db);
	return rc;
}

/* Directory, ports and URL of one member; does not start it. */
static int prepare(struct test_etcd *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->dir, sizeof(t->dir), "/tmp/wyv-etcd-XXXXXX");
	if (!mkdtemp(t->dir)) {
		t->dir[0] = '\0';
		return -errno;
	}
	snprintf(t->url, sizeof(t->url), "etcd://127.0.0.1:0");
	return 0;
}

static int pick_ports(struct test_etcd *t)
{
	int rc = free_ports(&t->client_port, &t->peer_port);

	if (!rc)
		snprintf(t->url, sizeof(t->url), "etcd://127.0.0.1:%d", t->client_port);
	return rc;
}

int test_etcd_prepare(struct test_etcd *t)
{
	int rc = prepare(t, "t");

	if (!rc)
		rc = pick_ports(t);
	if (rc)
		return rc;
	snprintf(t->cluster, sizeof(t->cluster), "t=http://127.0.0.1:%d", t->peer_port);
	snprintf(t->token, sizeof(t->token), "%s", t->dir + 5);
	return 0;
}

static char tls_paths[3][300];

int test_etcd_launch(struct test_etcd *t)
{
	int rc;

	if (t->tls_dir[0]) {
		/* the helper connects as client "wyvern" of that CA */
		snprintf(t->url, sizeof(t->url), "etcds://127.0.0.1:%d", t->client_port);
		snprintf(tls_paths[0], sizeof(tls_paths[0]), "%s/ca.pem", t->tls_dir);
		snprintf(tls_paths[1], sizeof(tls_paths[1]), "%s/client-wyvern.pem", t->tls_dir);
		snprintf(tls_paths[2], sizeof(tls_paths[2]), "%s/client-wyvern-key.pem",
			 t->tls_dir);
		t->opts.ca_file = tls_paths[0];
		t->opts.cert_file = tls_paths[1];
		t->opts.key_file = tls_paths[2];
	}
	rc = spawn(t);
	return rc ? rc : wait_ready(t);
}

int test_etcd_start(struct test_etcd *t)
{
	int rc = test_etcd_prepare(t);

	return rc ? rc : test_etcd_launch(t);
}

int test_sh(const char *dir, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + strlen(dir) + 32 >= sizeof(cmd))
		return -EINVAL;
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, " >>%s/cmd.log 2>&1", dir);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int test_tls_certs(const char *dir, const char *cns)
{
	return test_sh(dir, "%s/scripts/etcd-certs.sh %s %s", WYV_SRC_ROOT, dir, cns) ? -EIO : 0;
}

int test_etcd_cluster_start(struct test_etcd_cluster *c)
{
	char cluster[512] = "", name[16];
	int i, j, rc = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->url, sizeof(c->url), "etcd://");
	for (i = 0; i < TEST_CLUSTER_SIZE && !rc; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		rc = prepare(&c->m[i], name);
		test_etcd_cleanup_on_exit(&c->m[i]);
		/* ports must differ from the members already chosen */
		for (j = 0; !rc && j < 20; j++) {
			int k, clash = 0;

			rc = pick_ports(&c->m[i]);
			for (k = 0; k < i; k++)
				clash |= c->m[i].client_port == c->m[k].client_port ||
					 c->m[i].client_port == c->m[k].peer_port ||
					 c->m[i].peer_port == c->m[k].client_port ||
					 c->m[i].peer_port == c->m[k].peer_port;
			if (!clash)
				break;
		}
		if (rc)
			break;
		snprintf(cluster + strlen(cluster), sizeof(cluster) - strlen(cluster),
			 "%s%s=http://127.0.0.1:%d", i ? "," : "", name, c->m[i].peer_port);
		snprintf(c->url + strlen(c->url), sizeof(c->url) - strlen(c->url),
			 "%s127.0.0.1:%d", i ? "," : "", c->m[i].client_port);
	}
	for (i = 0; i < TEST_CLUSTER_SIZE && !rc; i++) {
		snprintf(c->m[i].cluster, sizeof(c->m[i].cluster), "%s", cluster);
		snprintf(c->m[i].token, sizeof(c->m[i].token), "%s", c->m[0].dir + 5);
		rc = spawn(&c->m[i]);
	}
	for (i = 0; i < TEST_CLUSTER_SIZE && !rc; i++)
		rc = wait_ready(&c->m[i]);
	return rc;
}

void test_etcd_cluster_destroy(struct test_etcd_cluster *c)
{
	int i;

	for (i = 0; i < TEST_CLUSTER_SIZE; i++)
		test_etcd_destroy(&c->m[i]);
}

int test_etcd_restart(struct test_etcd *t)
{
	int rc = spawn(t);

	return rc ? rc : wait_ready(t);
}

void test_etcd_stop(struct test_etcd *t)
{
	int i, st;

	if (t->pid <= 0)
		return;
	kill(t->pid, SIGCONT);
	kill(t->pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(t->pid, &st, WNOHANG) == t->pid)
			break;
		usleep(50 * 1000);
	}
	if (i == 100) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &st, 0);
	}
	t->pid = 0;
}

void test_etcd_destroy(struct test_etcd *t)
{
	test_etcd_stop(t);
	if (t->dir[0])
		test_rm_rf(t->dir);
	t->dir[0] = '\0';
}

static struct test_etcd *exit_etcd[8];
static int n_exit_etcd;

static void on_exit_cleanup(void)
{
	int i;

	for (i = 0; i < n_exit_etcd; i++)
		test_etcd_destroy(exit_etcd[i]);
}

static void on_signal(int sig)
{
	int i;

	for (i = 0; i < n_exit_etcd; i++) {
		if (exit_etcd[i]->pid > 0)
			kill(exit_etcd[i]->pid, SIGKILL);
		if (exit_etcd[i]->dir[0])
			test_rm_rf(exit_etcd[i]->dir);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void test_etcd_cleanup_on_exit(struct test_etcd *t)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGSEGV, SIGBUS };
	size_t i;

	if (n_exit_etcd == (int)(sizeof(exit_etcd) / sizeof(exit_etcd[0])))
		return;
	exit_etcd[n_exit_etcd++] = t;
	if (n_exit_etcd > 1)
		return;
	atexit(on_exit_cleanup);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_signal);
}

/* One pass: the member every running member names as leader, or -1 when
 * they do not agree yet (a leader that was frozen and resumed still calls
 * itself leader until it hears of the newer term). */
static int leader_agreed(struct test_etcd_cluster *c)
{
	char ids[TEST_CLUSTER_SIZE][32], agreed[32] = "";
	int i, found = -1;

	for (i = 0; i < TEST_CLUSTER_SIZE; i++) {
		json_t *req, *resp = NULL;
		const char *me, *leader;
		struct db *one;
		int rc;

		ids[i][0] = '\0';
		if (c->m[i].pid <= 0)
			continue;       /* stopped: would only time out */
		one = db_open(c->m[i].url);
		if (!one)
			return -1;
		req = json_object();
		rc = etcd_call((struct etcd *)one, "maintenance/status", req, &resp);
		json_decref(req);
		db_close(one);
		if (rc)
			return -1;
		me = json_string_value(json_object_get(json_object_get(resp, "header"),
						       "member_id"));
		leader = json_string_value(json_object_get(resp, "leader"));
		if (!me || !leader || strcmp(leader, "0") == 0 ||
		    (agreed[0] && strcmp(agreed, leader) != 0)) {
			json_decref(resp);
			return -1;
		}
		snprintf(agreed, sizeof(agreed), "%s", leader);
		snprintf(ids[i], sizeof(ids[i]), "%s", me);
		json_decref(resp);
	}
	for (i = 0; i < TEST_CLUSTER_SIZE; i++)
		if (ids[i][0] && strcmp(ids[i], agreed) == 0)
			found = i;
	return found;
}

int test_etcd_cluster_leader(struct test_etcd_cluster *c)
{
	for (int tries = 0; tries < 100; tries++) {     /* up to ~10 s */
		int i = leader_agreed(c);
		if (i >= 0)
			return i;
		usleep(100 * 1000);
	}
	return -1;
}
