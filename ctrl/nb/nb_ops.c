/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops.c — `wyctl TYPE create|list|show|update|delete`: the
 * northbound write path without wyvernd (see nb_ops.h).
 *
 * create/update build the object's JSON from the options (nb_ops_opts.c),
 * decode it with model/ and hand it to the adapter in db/, which validates
 * and commits in one transaction.  Updates are read-modify-write with a
 * compare-and-swap on the object's mod_revision, retried on a conflict.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mdl_addr.h"
#include "nb_ops.h"
#include "nb_ops_priv.h"
#include "nb_sg.h"



#define NB_DEFAULT_URL DB_DEFAULT_URL
#define NB_UPDATE_TRIES 5

enum nb_verb { V_CREATE, V_LIST, V_SHOW, V_UPDATE, V_DELETE, N_VERBS };

static const char *const verbs[N_VERBS] = { "create", "list", "show", "update", "delete" };

struct nb_arg {
	const struct nb_opt *opt;
	const char *val;
};

int nb_usage_err(struct nb_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->usage = true;
	return -EINVAL;
}

int nb_fail(struct nb_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

static const struct nb_kind *kind_find(const char *cli)
{
	const struct nb_kind *k;

	for (k = nb_kinds; k->cli; k++)
		if (!strcmp(k->cli, cli))
			return k;
	return NULL;
}

static int verb_find(const char *s)
{
	int v;

	for (v = 0; v < N_VERBS; v++)
		if (!strcmp(verbs[v], s))
			return v;
	return -1;
}

bool wyctl_nb_is_cmd(int argc, char **argv)
{
	return (argc >= 2 && kind_find(argv[0]) && verb_find(argv[1]) >= 0) ||
	       nb_rule_verb(argc, argv) >= 0 || nb_fip_verb(argc, argv) >= 0;
}

struct nb *nb_ctx_nb(struct nb_ctx *c)
{
	if (!c->nb)
		c->nb = nb_open(c->db, 0);
	return c->nb;
}

int nb_resolve(struct nb_ctx *c, enum mdl_type type, const char *arg, char id[MDL_ID_SIZE])
{
	const struct nb_kind *k = nb_kind_of(type);
	const char *what = k ? k->cli : mdl_type_name(type);
	struct mdl_hdr **objs, *h;
	size_t n, i, hits = 0;
	char list[512] = "";
	int rc;

	if (mdl_uuid_valid(arg)) {
		rc = nb_get(c->db, type, arg, &h, NULL);
		if (!rc) {
			snprintf(id, MDL_ID_SIZE, "%s", h->id);
			mdl_obj_free(h);
			return 0;
		}
		if (rc != -ENOENT)
			return rc;
	}
	rc = nb_list(c->db, type, &objs, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		if (strcmp(nb_obj_name(objs[i]), arg))
			continue;
		if (!hits++)
			snprintf(id, MDL_ID_SIZE, "%s", objs[i]->id);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 hits > 1 ? ", " : "", objs[i]->id);
	}
	nb_list_free(objs, n);
	if (hits == 1)
		return 0;
	if (!hits)
		return nb_fail(c, -ENOENT, "no %s with id or name '%s'", what, arg);
	return nb_fail(c, -EINVAL, "%s name '%s' is ambiguous (%zu matches: %s); use an id",
		       what, arg, hits, list);
}

/* ---- writes ---- */

static int apply_opts(struct nb_ctx *c, json_t *obj, const struct nb_arg *args, size_t n)
{
	size_t i;
	int rc;

	c->n_reset = 0;
	c->flags = 0;
	if (c->ifaces)
		json_array_clear(c->ifaces);
	for (i = 0; i < n; i++)
		if ((rc = args[i].opt->fn(c, args[i].opt, obj, args[i].val)))
			return rc;
	return c->kind->finish ? c->kind->finish(c, obj) : 0;
}

static int do_create(struct nb_ctx *c, const char *name, const struct nb_arg *args,
		     size_t n, bool as_json)
{
	json_t *obj = json_pack("{s:s}", "name", name);
	int rc;

	if (!obj)
		return nb_usage_err(c, "NAME: invalid value (not UTF-8?)");
	c->create = true;
	rc = apply_opts(c, obj, args, n);
	if (!rc && c->kind->type == MDL_SECURITY_GROUP)
		rc = nb_sg_cmd_create(c, obj, as_json);     /* group + rule objects */
	else if (!rc)   /* the API's operation: defaults, allocations, claims */
		rc = nb_nbo_cmd_create(c, c->kind->type, obj, as_json);
	json_decref(obj);
	return rc;
}

/* Read, apply the options to the stored object, and hand what changed to
 * the API's update at the revision read; a concurrent change reads again. */
static int do_update(struct nb_ctx *c, const char *which, const struct nb_arg *args,
		     size_t n, bool as_json)
{
	struct mdl_hdr *old;
	uint64_t mod;
	json_t *obj, *before;
	int rc, attempt;

	c->create = false;
	if ((rc = nb_resolve(c, c->kind->type, which, c->self_id)))
		return rc;
	for (attempt = 0; attempt < NB_UPDATE_TRIES; attempt++) {
		if ((rc = nb_get(c->db, c->kind->type, c->self_id, &old, &mod)))
			return rc == -ENOENT ? nb_fail(c, rc, "%s %s was deleted meanwhile",
						       c->kind->cli, c->self_id) : rc;
		obj = mdl_obj_to_json(old);
		before = mdl_obj_to_json(old);
		rc = obj && before ? apply_opts(c, obj, args, n) : -ENOMEM;
		if (!rc && c->kind->type == MDL_SECURITY_GROUP)    /* group + rule objects */
			rc = nb_sg_cmd_update(c, before, obj, mod, as_json);
		else if (!rc)
			rc = nb_nbo_cmd_update(c, c->kind->type, before, obj, old->version,
					       as_json);
		mdl_obj_free(old);
		json_decref(before);
		json_decref(obj);
		if (rc != -EAGAIN && rc != -ECANCELED)
			return rc;
		c->err[0] = '\0';
	}
	return nb_fail(c, rc, "%s %s keeps changing under us; try again", c->kind->cli,
		       c->self_id);
}

static int do_show(struct nb_ctx *c, const char *which, bool as_json)
{
	struct mdl_hdr *h;
	char id[MDL_ID_SIZE];
	int rc;

	if ((rc = nb_resolve(c, c->kind->type, which, id)) ||
	    (rc = nb_get(c->db, c->kind->type, id, &h, NULL)))
		return rc;
	rc = nb_print_obj(c, h, as_json);
	mdl_obj_free(h);
	return rc;
}

static int do_delete(struct nb_ctx *c, const char *which)
{
	char id[MDL_ID_SIZE];
	int rc;

	if ((rc = nb_resolve(c, c->kind->type, which, id)))
		return rc;
	return nb_nbo_cmd_delete(c, c->kind->type, id);
}

/* ---- command line ---- */

static void print_usage(FILE *f, const struct nb_kind *k, int verb)
{
	const char *pre = "wyctl [--db URL] [--json]";

	if (verb == V_CREATE || verb < 0)
		fprintf(f, "usage: %s %s\n", pre, k->usage_create);
	if (verb == V_UPDATE || verb < 0)
		fprintf(f, "usage: %s %s\n", pre, k->usage_update);
	if (verb == V_LIST || verb < 0)
		fprintf(f, "usage: %s %s list%s\n", pre, k->cli,
			k->type == MDL_SUBNET || k->type == MDL_PORT ? " [--network NETWORK]" : "");
	if (verb == V_SHOW || verb < 0)
		fprintf(f, "usage: %s %s show NAME|ID\n", pre, k->cli);
	if (verb == V_DELETE || verb < 0)
		fprintf(f, "usage: %s %s delete NAME|ID\n", pre, k->cli);
	if (verb < 0 && k->type == MDL_SECURITY_GROUP)
		nb_rule_usage(f, -1);
	if (verb < 0 || verb == V_CREATE || verb == V_UPDATE)
		fprintf(f, "URL: rocksdb:PATH or etcd://HOST:PORT[,HOST:PORT...] "
			"(default $WYVERN_DB, else " NB_DEFAULT_URL ")\n");
}

int wyctl_nb_help(FILE *f, const char *type, const char *verb)
{
	const struct nb_kind *k = kind_find(type);
	if (k == NULL)
		return -ENOENT;
	if (k->type == MDL_SECURITY_GROUP && verb && !strcmp(verb, "rule")) {
		nb_rule_usage(f, -1);
		return 0;
	}
	int v = verb ? verb_find(verb) : -1;
	if (verb && v < 0)
		return -ENOENT;
	print_usage(f, k, v);
	return 0;
}

static const struct nb_opt *opt_find(const struct nb_kind *k, const char *name,
				     size_t len, unsigned want)
{
	const struct nb_opt *o;

	for (o = k->opts; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len) && (o->flags & want))
			return o;
	return NULL;
}

static const struct nb_opt list_network_opt = { "--network", NULL, NULL, NB_O_ARG, 0 };

/* Splits argv into options (checked against the verb) and positionals. */
static int parse_args(struct nb_ctx *c, int verb, int argc, char **argv, bool *as_json,
		      struct nb_arg *args, size_t *n_args, char **pos, size_t *n_pos,
		      bool *help)
{
	unsigned want = verb == V_CREATE ? NB_O_CREATE : verb == V_UPDATE ? NB_O_UPDATE : 0;
	bool dashdash = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		const struct nb_opt *o;
		size_t len;

		if (dashdash || a[0] != '-' || !a[1]) {
			pos[(*n_pos)++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = true;
			return 0;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		if (len == 6 && !strncmp(a, "--json", 6) && !eq) {
			*as_json = true;
			continue;
		}
		if (len == 4 && !strncmp(a, "--db", 4)) {
			o = NULL;
		} else if (verb == V_LIST && len == 9 && !strncmp(a, "--network", 9) &&
			   (c->kind->type == MDL_SUBNET || c->kind->type == MDL_PORT)) {
			o = &list_network_opt;
		} else if (!(o = opt_find(c->kind, a, len, want))) {
			if (want && opt_find(c->kind, a, len, NB_O_BOTH))
				return nb_usage_err(c, "%.*s cannot be used with %s", (int)len, a,
						    verbs[verb]);
			return nb_usage_err(c, "unknown option %.*s", (int)len, a);
		}
		if (!o || (o->flags & NB_O_ARG)) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return nb_usage_err(c, "%.*s needs a value", (int)len, a);
		} else if (eq) {
			return nb_usage_err(c, "%.*s takes no value", (int)len, a);
		}
		if (!o)
			c->url = val;
		else
			args[(*n_args)++] = (struct nb_arg){ o, val };
	}
	return 0;
}

static int check_required(struct nb_ctx *c, const struct nb_arg *args, size_t n)
{
	const struct nb_opt *o;
	size_t i;

	for (o = c->kind->opts; o->name; o++) {
		if (!(o->flags & NB_O_REQ))
			continue;
		for (i = 0; i < n && args[i].opt != o; i++)
			;
		if (i == n)
			return nb_usage_err(c, "%s is required", o->name);
	}
	return 0;
}

static int run(struct nb_ctx *c, int verb, char **pos, struct nb_arg *args, size_t n_args,
	       bool as_json)
{
	const char *net = NULL;

	switch (verb) {
	case V_CREATE:
		return do_create(c, pos[0], args, n_args, as_json);
	case V_UPDATE:
		return do_update(c, pos[0], args, n_args, as_json);
	case V_LIST:
		if (n_args)
			net = args[n_args - 1].val;
		return nb_do_list(c, net, as_json);
	case V_SHOW:
		return do_show(c, pos[0], as_json);
	default:
		return do_delete(c, pos[0]);
	}
}

/* True for "rocksdb:PATH" whose parent directory is missing (RocksDB
 * creates the database directory, not its parents). */
static bool missing_parent(const char *url)
{
	char *dir, *slash;
	struct stat st;
	bool missing;

	if (strncmp(url, "rocksdb:", 8) || !(dir = strdup(url + 8)))
		return false;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, strlen(dir) + 1, ".");
	missing = stat(dir, &st) != 0;
	free(dir);
	return missing;
}

static bool unreachable(int rc)
{
	return rc == -ECONNREFUSED || rc == -ETIMEDOUT || rc == -EHOSTUNREACH ||
	       rc == -ENETUNREACH || rc == -ECONNRESET || rc == -EIO;
}

int wyctl_nb_main(const char *db_url, bool as_json, int argc, char **argv)
{
	return wyctl_nb_run(NULL, db_url, as_json, argc, argv, stdout, stderr);
}

int wyctl_nb_run(struct db *db, const char *db_url, bool as_json, int argc, char **argv,
		 FILE *out, FILE *err)
{
	return wyctl_nb_run_opts(db, db_url, NULL, as_json, argc, argv, out, err);
}

int wyctl_nb_run_opts(struct db *db, const char *db_url, const struct db_opts *db_opts,
		      bool as_json, int argc, char **argv, FILE *out, FILE *err)
{
	struct nb_ctx c = { .url = db_url, .out = out, .errf = err };
	struct nb_rule_cmd rule;
	struct nb_arg *args;
	size_t n_args = 0, n_pos = 0, want_pos;
	bool help = false;
	char **pos;
	struct nb_fip_cmd fip;
	int verb, rc, rverb = nb_rule_verb(argc, argv), fverb = nb_fip_verb(argc, argv);

	c.kind = kind_find(argv[0]);
	verb = verb_find(argv[1]);
	args = calloc((size_t)argc, sizeof(*args));
	pos = calloc((size_t)argc, sizeof(*pos));
	if (!args || !pos) {
		free(args);
		free(pos);
		fprintf(c.errf, "wyctl: out of memory\n");
		return 1;
	}
	if (fverb >= 0) {       /* floating-ip VERB ... */
		rc = nb_fip_parse(&c, fverb, argc - 2, argv + 2, &as_json, &help, &fip);
		if (help)
			nb_fip_usage(c.out, fverb);
		if (rc || help)
			goto out;
		goto open;
	}
	if (rverb >= 0) {       /* security-group rule VERB ... */
		rc = nb_rule_parse(&c, rverb, argc - 3, argv + 3, &as_json, &help, &rule);
		if (help)
			nb_rule_usage(c.out, rverb);
		if (rc || help)
			goto out;
		goto open;
	}
	rc = parse_args(&c, verb, argc - 2, argv + 2, &as_json, args, &n_args, pos, &n_pos,
			&help);
	want_pos = verb == V_LIST ? 0 : 1;
	if (help) {
		print_usage(c.out, c.kind, verb);
		goto out;
	}
	if (!rc && n_pos != want_pos)
		rc = n_pos < want_pos ?
		     nb_usage_err(&c, "missing %s", verb == V_CREATE ? "NAME" : "NAME or ID") :
		     nb_usage_err(&c, "unexpected argument '%s'", pos[want_pos]);
	if (!rc && verb == V_CREATE)
		rc = check_required(&c, args, n_args);
	if (!rc && verb == V_UPDATE && !n_args)
		rc = nb_usage_err(&c, "nothing to update");
	if (rc)
		goto out;
open:
	nb_memo_begin();        /* one command: its reads of one key are one read */
	if (db != NULL) { /* the caller's open handle (wyvernd) */
		c.db = db;
		rc = fverb >= 0 ? nb_fip_exec(&c, &fip, as_json) :
		     rverb >= 0 ? nb_rule_exec(&c, &rule, as_json) :
		     run(&c, verb, pos, args, n_args, as_json);
		if (rc && !c.err[0])
			nb_fail(&c, rc, "database %s: %s", c.url ? c.url : "", strerror(-rc));
		goto out;
	}
	if (!c.url || !*c.url)
		c.url = getenv("WYVERN_DB");
	if (!c.url || !*c.url)
		c.url = NB_DEFAULT_URL;
	struct db_opts opts;
	char why[256] = "";
	if (db_opts)
		opts = *db_opts;
	else
		db_opts_from_env(&opts);    /* wyctl --db-ca ... / $WYVERN_DB_CA ... */
	c.db = db_open_opts(c.url, &opts, why, sizeof(why));
	if (!c.db) {
		rc = -errno;
		if (rc == -EINVAL && strncmp(c.url, "rocksdb:", 8) && strncmp(c.url, "etcd", 4))
			nb_usage_err(&c, "bad database URL '%s' (expected rocksdb:PATH, "
				     "etcd://HOST:PORT[,HOST:PORT...] or etcds://...)", c.url);
		else
			nb_fail(&c, rc, "cannot open database %s: %s%s", c.url, why,
				missing_parent(c.url) ? " (its parent directory does not exist)" :
				"");
		goto out;
	}
	rc = fverb >= 0 ? nb_fip_exec(&c, &fip, as_json) :
	     rverb >= 0 ? nb_rule_exec(&c, &rule, as_json) :
	     run(&c, verb, pos, args, n_args, as_json);
	/* the driver's sentence, for the errors that come from the driver */
	const char *drv = (unreachable(rc) || rc == -EACCES) && db_last_error()[0] ?
			  db_last_error() : strerror(-rc);
	if (rc && !c.err[0])
		nb_fail(&c, rc, unreachable(rc) ? "cannot reach database %s: %s" :
			"database %s: %s", c.url, drv);
	else if (rc == -EACCES && db_last_error()[0] && !strstr(c.err, db_last_error()))
		snprintf(c.err + strlen(c.err), sizeof(c.err) - strlen(c.err), " (%s)",
			 db_last_error());
	nb_close(c.nb);
	c.nb = NULL;
	db_close(c.db);
out:
	nb_memo_end();
	nb_close(c.nb);
	json_decref(c.new_rules);
	json_decref(c.ifaces);
	free(c.del_rules);
	free(args);
	free(pos);
	if (!rc)
		return 0;
	fprintf(c.errf, "wyctl: %s\n", c.err);
	if (c.usage && fverb >= 0)
		nb_fip_usage(c.errf, fverb);
	else if (c.usage && rverb >= 0)
		nb_rule_usage(c.errf, rverb);
	else if (c.usage)
		print_usage(c.errf, c.kind, verb);
	return c.usage ? 2 : 1;
}
