/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_priv.h — shared between nb_ops.c (commands, output) and
 * nb_ops_opts.c (per-type options, defaults).  Not used elsewhere.
 *
 * nb_ops_out.c prints objects and lists; nb_ops_sg.c runs what differs for
 * security groups (their rules are objects) and `security-group rule ...`.
 *
 * Options edit the object's JSON (Neutron field names); the JSON is then
 * decoded by model/ (structure, lengths) and written by the adapter in db/
 * (validation, one transaction).  Handlers return 0 or -errno with a message
 * in ctx->err; ctx->usage marks a usage error (exit 2).
 */
#ifndef WYV_CTRL_NB_OPS_PRIV_H
#define WYV_CTRL_NB_OPS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "db.h"
#include "mdl.h"
#include "nb.h"

#define NB_O_ARG 1u             /* takes a value */
#define NB_O_CREATE 2u          /* accepted by create */
#define NB_O_UPDATE 4u          /* accepted by update */
#define NB_O_BOTH (NB_O_CREATE | NB_O_UPDATE)
#define NB_O_REQ 8u             /* required by create */

#define NB_F_NO_DEFAULT_RULES 1u

struct nb_ctx;

struct nb_opt {
	const char *name;       /* "--mtu" */
	const char *field;      /* JSON member the handler writes, or NULL */
	int (*fn)(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg);
	unsigned flags;         /* NB_O_* */
	int rtype;              /* type a NAME-or-ID value refers to */
};

struct nb_kind {
	const char *cli;        /* "security-group" */
	enum mdl_type type;
	const struct nb_opt *opts;      /* ends with name == NULL */
	/* Fills defaults and derived values once the options are applied. */
	int (*finish)(struct nb_ctx *c, json_t *obj);
	const char *usage_create;
	const char *usage_update;
};

/* One command's context: everything a command touches (no globals, so any
 * number of threads may run commands, each with its own context). */
struct nb_ctx {
	FILE *out;              /* its output */
	FILE *errf;             /* its error/usage text */
	struct db *db;
	const char *url;
	const struct nb_kind *kind;
	bool create;            /* create (true) or update */
	char self_id[MDL_ID_SIZE];      /* object being updated ("" on create) */
	unsigned flags;         /* NB_F_* */
	const char *reset[16];  /* list fields replaced by this command so far */
	size_t n_reset;
	bool usage;
	char err[1024];
	struct nb *nb;          /* plain handle on db (nb_ctx_nb), closed at the end */
	json_t *new_rules;      /* security group: rules of --add-rule (JSON objects) */
	char (*del_rules)[MDL_ID_SIZE]; /* security group: --remove-rule of rule objects */
	size_t n_del_rules;
	json_t *ifaces;         /* router: [{"add": bool, "subnet_id"|"port_id": id}] */
};

/* Did this command's options replace the list in `field` (--fixed-ip, ...)? */
bool nb_replaced(const struct nb_ctx *c, const char *field);

extern const struct nb_kind nb_kinds[];         /* ends with cli == NULL */

const struct nb_kind *nb_kind_of(enum mdl_type type);

int nb_usage_err(struct nb_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int nb_fail(struct nb_ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* kind->finish of subnets and ports (nb_ops_addr.c). */
int nb_subnet_finish(struct nb_ctx *c, json_t *obj);
int nb_port_finish(struct nb_ctx *c, json_t *obj);
/* A uuid of an existing object, or a unique name, into id. -ENOENT/-EINVAL
 * with a message (ambiguous names list the candidates), or a db error. */
int nb_resolve(struct nb_ctx *c, enum mdl_type type, const char *arg,
	       char id[MDL_ID_SIZE]);
/* The command's plain nb handle on c->db (opened on first use); NULL + errno. */
struct nb *nb_ctx_nb(struct nb_ctx *c);

/* nb_ops_nbo.c: networks, subnets, ports and routers through the shared
 * operations (nbo.h), as the REST API runs them */
struct nbo_err;
int nb_nbo_err_out(struct nb_ctx *c, int rc, const struct nbo_err *e);
/* o over the command's nb handle, default config (nbo_fini after); an
 * error printed and returned when the database does not open */
struct nbo;
int nb_ctx_nbo(struct nb_ctx *c, struct nbo *o);
/* create through nbo_create (+ c->ifaces for a router), print wyctl's view */
int nb_nbo_cmd_create(struct nb_ctx *c, enum mdl_type t, json_t *obj, bool as_json);
/* update through nbo_update: the body is what the options changed between
 * before and after (model JSON), at revision `version` (-ECANCELED: it
 * moved, read again); then c->ifaces; print wyctl's view */
int nb_nbo_cmd_update(struct nb_ctx *c, enum mdl_type t, const json_t *before,
		      const json_t *after, uint64_t version, bool as_json);
/* delete through nbo_delete (a network with its subnets, a group with its
 * rules, floating IPs disassociated, router interface ports refused) */
int nb_nbo_cmd_delete(struct nb_ctx *c, enum mdl_type t, const char *id);

/* nb_ops_out.c */
const char *nb_obj_name(const struct mdl_hdr *h);
void nb_print_json(struct nb_ctx *c, json_t *j);
/* "field  value" lines or JSON; a group with its rule objects. */
int nb_print_obj(struct nb_ctx *c, const struct mdl_hdr *h, bool as_json);
int nb_do_list(struct nb_ctx *c, const char *net_filter, bool as_json);

/* nb_ops_sg.c: security-group create/update/delete with rule objects, port
 * create with the default group; obj = the JSON the options built. */
int nb_sg_cmd_create(struct nb_ctx *c, json_t *obj, bool as_json);
int nb_sg_cmd_update(struct nb_ctx *c, const json_t *before, json_t *obj, uint64_t mod,
		     bool as_json);

/* `floating-ip create|list|show|set|delete ...` (nb_ops_fip.c) */
enum nb_fip_verb { NB_F_CREATE, NB_F_LIST, NB_F_SHOW, NB_F_SET, NB_F_DELETE, NB_F_N };
struct nb_fip_cmd {
	int verb;                       /* enum nb_fip_verb */
	const char *pos;                /* FIP: id or address */
	const char *network, *address, *port;
	bool no_port;
};
/* The verb of argv = {"floating-ip", VERB, ...}, or -1. */
int nb_fip_verb(int argc, char **argv);
int nb_fip_parse(struct nb_ctx *c, int verb, int argc, char **argv, bool *as_json, bool *help,
		 struct nb_fip_cmd *f);
int nb_fip_exec(struct nb_ctx *c, const struct nb_fip_cmd *f, bool as_json);
void nb_fip_usage(FILE *f, int verb);

/* `security-group rule create|list|show|delete ...` */
enum nb_rule_verb { NB_R_CREATE, NB_R_LIST, NB_R_SHOW, NB_R_DELETE, NB_R_N };
struct nb_rule_cmd {
	int verb;                       /* enum nb_rule_verb */
	const char *pos;                /* GROUP (create), RULE_ID (show/delete) */
	const char *dir, *ethertype, *protocol, *dst_port, *icmp_type, *icmp_code;
	const char *remote_ip, *remote_group, *description, *project;
	const char *group;              /* list --group */
};
/* The verb of argv = {"security-group", "rule", VERB, ...}, or -1. */
int nb_rule_verb(int argc, char **argv);
/* Parses argv after the verb (usage errors in c).  --db URL sets c->url. */
int nb_rule_parse(struct nb_ctx *c, int verb, int argc, char **argv, bool *as_json,
		  bool *help, struct nb_rule_cmd *r);
int nb_rule_exec(struct nb_ctx *c, const struct nb_rule_cmd *r, bool as_json);
/* verb -1: every verb. */
void nb_rule_usage(FILE *f, int verb);

#endif
