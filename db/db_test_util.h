/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_test_util.h — tests: helpers shared by the db test programs — a private etcd
 * on loopback (free ports, own data dir, killed by pid and removed on every
 * exit path) and a temporary directory remover.  Test-only. */
#ifndef WYV_DB_DB_TEST_UTIL_H
#define WYV_DB_DB_TEST_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "db.h"

struct test_etcd {
	char dir[256];          /* mkdtemp; data in dir/data, log in dir/etcd.log */
	int client_port;
	int peer_port;
	pid_t pid;              /* 0 = not running */
	char url[128];          /* etcd://127.0.0.1:<client_port> */
	char name[16];          /* member name ("t" when alone) */
	char cluster[512];      /* --initial-cluster */
	char token[64];         /* --initial-cluster-token */
	/* optional, set between test_etcd_prepare() and test_etcd_launch() */
	char tls_dir[256];      /* certs of scripts/etcd-certs.sh: serve HTTPS,
				 * require client certificates; url etcds:// */
	const char *extra[8];   /* more etcd arguments (borrowed, NULL-ended) */
	struct db_opts opts;    /* how the helper itself connects (TLS files) */
};

#define TEST_CLUSTER_SIZE 3

struct test_etcd_cluster {
	struct test_etcd m[TEST_CLUSTER_SIZE];
	char url[512];          /* etcd://all,client,endpoints */
};

/* Removes a directory tree; 0/-errno. */
int test_rm_rf(const char *path);
/* Creates the dir, picks ports, starts etcd, waits until it answers. 0/-errno. */
int test_etcd_start(struct test_etcd *t);
/* test_etcd_start() in two steps, to set tls_dir/extra in between. */
int test_etcd_prepare(struct test_etcd *t);
int test_etcd_launch(struct test_etcd *t);
/* Generates a CA, a server and client certificates (CNs) into dir with
 * scripts/etcd-certs.sh.  0/-errno. */
int test_tls_certs(const char *dir, const char *cns);
/* Runs a shell command, output appended to dir/cmd.log; its exit status. */
int test_sh(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Starts etcd again on the same dir and ports (after test_etcd_stop). */
int test_etcd_restart(struct test_etcd *t);
/* SIGTERM + wait (SIGKILL after 5 s); keeps the data. */
void test_etcd_stop(struct test_etcd *t);
/* Stop, remove the dir. Safe to call twice. */
void test_etcd_destroy(struct test_etcd *t);
/* Registers t to be destroyed at exit and on fatal signals (up to 8). */
void test_etcd_cleanup_on_exit(struct test_etcd *t);

/* Starts a 3-member cluster on loopback and waits until every member
 * answers.  Registers every member for cleanup at exit.  0/-errno. */
int test_etcd_cluster_start(struct test_etcd_cluster *c);
void test_etcd_cluster_destroy(struct test_etcd_cluster *c);
/* Index of the running member that every running member names as leader
 * (each one's maintenance/status), waiting up to ~10 s for them to agree;
 * -1 if they do not. */
int test_etcd_cluster_leader(struct test_etcd_cluster *c);

#endif
