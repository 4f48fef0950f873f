/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops.h — wyctl's northbound commands: create, list, show, update
 * and delete networks, subnets, ports, routers and security groups directly
 * in the database (model/ validates, db/ writes), without wyvernd.
 *
 *   wyctl [--db URL] [--json] TYPE create|list|show|update|delete ARGS...
 *
 * TYPE is network, subnet, port, router or security-group.  URL is
 * "rocksdb:PATH" or "etcd://HOST:PORT[,HOST:PORT...]"; NULL means $WYVERN_DB,
 * else "rocksdb:/var/lib/wyvern/db".
 *
 * Exit status (returned by wyctl_nb_main): 0 ok, 1 the command failed
 * (validation, not found, in use, database unreachable), 2 usage error.
 * Every write is one adapter call (one db transaction), so a failed command
 * writes nothing.
 */
#ifndef WYV_CTRL_NB_OPS_H
#define WYV_CTRL_NB_OPS_H

#include <stdbool.h>
#include <stdio.h>

/* True if argv[0] is a northbound type and argv[1] one of its verbs. */
bool wyctl_nb_is_cmd(int argc, char **argv);
/* Runs a northbound command (argv[0] = TYPE, argv[1] = verb), opening
 * db_url, printing to stdout/stderr. */
int wyctl_nb_main(const char *db_url, bool as_json, int argc, char **argv);
/* The same on an open handle db (NULL: open db_url), writing its output to
 * out and its error/usage text to err.  Used by wyvernd to run northbound
 * commands on the database it holds (an embedded RocksDB is locked by the
 * process that opened it).  Reentrant: each call has its own context, so
 * commands may run on several threads at once (on distinct handles or one
 * shared handle: db/ handles are thread-safe). */
struct db;
/* Print the usage of TYPE [VERB] (VERB NULL: every verb) to f; -ENOENT if
 * TYPE or VERB is not a northbound command. */
int wyctl_nb_help(FILE *f, const char *type, const char *verb);
int wyctl_nb_run(struct db *db, const char *db_url, bool as_json, int argc, char **argv,
		 FILE *out, FILE *err);
/* wyctl_nb_run with the options db_url is opened with (TLS files, etcd
 * user); NULL: from the environment (db_opts_from_env, as wyctl does). */
struct db_opts;
int wyctl_nb_run_opts(struct db *db, const char *db_url, const struct db_opts *opts,
		      bool as_json, int argc, char **argv, FILE *out, FILE *err);

#endif
