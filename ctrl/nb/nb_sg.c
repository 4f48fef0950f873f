/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_sg.c — security groups, rules, default groups and port create
 * on the northbound (see nb_sg.h).  Each write builds one nb_apply batch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "mdl_sg.h"
#include "nb_sg.h"

#define NB_SG_TRIES 4

static int errf(char *err, size_t es, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t es, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && es) {
		va_start(ap, fmt);
		vsnprintf(err, es, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void nb_sg_rules_free(struct mdl_security_group_rule **v, size_t n)
{
	nb_list_free((struct mdl_hdr **)v, n);
}

static int rule_order(const void *a, const void *b)
{
	const struct mdl_hdr *x = *(struct mdl_hdr *const *)a;
	const struct mdl_hdr *y = *(struct mdl_hdr *const *)b;

	if (x->dp_key != y->dp_key)
		return x->dp_key < y->dp_key ? -1 : 1;
	return strcmp(x->id, y->id);
}

int nb_sg_rules(struct nb *nb, const char *group_id, struct mdl_security_group_rule ***out,
		size_t *n)
{
	struct nb_filter f = { .security_group_id = group_id };
	struct mdl_hdr **v;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = nb_find(nb, MDL_SECURITY_GROUP_RULE, &f, &v, n)))
		return rc;
	if (*n > 1)
		qsort(v, *n, sizeof(*v), rule_order);
	*out = (struct mdl_security_group_rule **)v;
	return 0;
}

int nb_sg_rule_get(struct nb *nb, const char *id, struct mdl_security_group_rule **out)
{
	struct mdl_hdr *h = NULL;
	int rc;

	*out = NULL;
	if (!nb || !id)
		return -EINVAL;
	if ((rc = nb_get(nb_db(nb), MDL_SECURITY_GROUP_RULE, id, &h, NULL)))
		return rc;
	*out = mdl_hdr_to_sg_rule(h);
	return 0;
}

/* Fills what a new rule of group g takes from it. */
static int rule_prepare(struct mdl_security_group_rule *r, const struct mdl_security_group *g)
{
	int rc;

	if (!r->hdr.id[0] && (rc = mdl_uuid_generate(r->hdr.id)))
		return rc;
	snprintf(r->security_group_id, sizeof(r->security_group_id), "%s", g->hdr.id);
	if (!r->project_id[0])
		snprintf(r->project_id, sizeof(r->project_id), "%s", g->project_id);
	return 0;
}

static struct mdl_security_group_rule *new_rule(const char *dir, const char *et)
{
	struct mdl_security_group_rule *r =
		(struct mdl_security_group_rule *)mdl_obj_alloc(MDL_SECURITY_GROUP_RULE);

	if (!r)
		return NULL;
	snprintf(r->rule.direction, sizeof(r->rule.direction), "%s", dir);
	snprintf(r->rule.ethertype, sizeof(r->rule.ethertype), "%s", et);
	return r;
}

int nb_sg_rule_times(struct mdl_hdr *rule, const struct mdl_hdr *g)
{
	static const char *const ts[2] = { "created_at", "updated_at" };
	size_t t;

	if (!rule->attrs && !(rule->attrs = json_object()))
		return -ENOMEM;
	for (t = 0; t < 2; t++)
		if (json_object_get(g->attrs, ts[t]) &&
		    json_object_set(rule->attrs, ts[t], json_object_get(g->attrs, ts[t])))
			return -ENOMEM;
	return 0;
}

int nb_sg_create(struct nb *nb, struct mdl_security_group *g,
		 struct mdl_security_group_rule **rules, size_t n, unsigned flags,
		 uint64_t *revision, char *err, size_t es)
{
	struct mdl_security_group_rule *eg[2] = { NULL, NULL }, **all;
	struct nb_op *ops;
	size_t k = 0, i, n_all;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!nb || !g || g->hdr.type != MDL_SECURITY_GROUP || (n && !rules))
		return errf(err, es, -EINVAL, "invalid arguments");
	if (!g->hdr.id[0] && (rc = mdl_uuid_generate(g->hdr.id)))
		return rc;
	n_all = n + ((flags & NB_SG_EGRESS_RULES) ? 2 : 0);
	all = calloc(n_all + 1, sizeof(*all));
	ops = calloc(n_all + 1, sizeof(*ops));
	rc = all && ops ? 0 : -ENOMEM;
	if (!rc && (flags & NB_SG_EGRESS_RULES)) {
		eg[0] = new_rule("egress", "IPv4");
		eg[1] = new_rule("egress", "IPv6");
		rc = eg[0] && eg[1] ? 0 : -ENOMEM;
		for (i = 0; !rc && g->hdr.attrs && i < 2; i++)
			rc = nb_sg_rule_times(&eg[i]->hdr, &g->hdr);
		all[k++] = eg[0];
		all[k++] = eg[1];
	}
	for (i = 0; !rc && i < n; i++)
		all[k++] = rules[i];
	for (i = 0; !rc && i < n_all; i++)
		rc = rule_prepare(all[i], g);
	/* two equal rules: the second one's claim is refused (db/nb_claims.c) */
	if (!rc) {
		ops[0] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = &g->hdr };
		for (i = 0; i < n_all; i++)
			ops[i + 1] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = &all[i]->hdr };
		rc = nb_apply(nb, ops, n_all + 1, revision, err, es);
	}
	mdl_obj_free(eg[0] ? &eg[0]->hdr : NULL);
	mdl_obj_free(eg[1] ? &eg[1]->hdr : NULL);
	free(all);
	free(ops);
	return rc;
}

int nb_sg_update_check(const struct mdl_security_group *old,
		       const struct mdl_security_group *new, char *err, size_t es)
{
	if (!strcmp(old->name, NB_SG_DEFAULT_NAME) && strcmp(new->name, NB_SG_DEFAULT_NAME))
		return errf(err, es, -EINVAL, "name: the default security group of project '%s' "
			    "cannot be renamed", old->project_id);
	if (!strcmp(old->name, NB_SG_DEFAULT_NAME) && strcmp(new->project_id, old->project_id))
		return errf(err, es, -EINVAL, "project_id: the default security group cannot "
			    "move to another project");
	return 0;
}

int nb_sg_update(struct nb *nb, struct mdl_security_group *g, uint64_t expected,
		 uint64_t *revision, char *err, size_t es)
{
	struct mdl_hdr *old = NULL;
	uint64_t mod;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!nb || !g || g->hdr.type != MDL_SECURITY_GROUP)
		return errf(err, es, -EINVAL, "invalid arguments");
	rc = nb_get(nb_db(nb), MDL_SECURITY_GROUP, g->hdr.id, &old, &mod);
	if (rc == -ENOENT || rc == -EINVAL)
		return errf(err, es, rc == -EINVAL ? -EINVAL : -ENOENT,
			    "security group %s does not exist", g->hdr.id);
	if (rc)
		return rc;
	rc = nb_sg_update_check(mdl_hdr_to_sg(old), g, err, es);
	mdl_obj_free(old);
	if (rc)
		return rc;
	/* the check read the version it compares against */
	return nb_h_update(nb, &g->hdr, expected ? expected : mod, revision, err, es);
}

static int delete_once(struct nb *nb, const char *id, char *err, size_t es)
{
	struct mdl_security_group_rule **rules = NULL;
	struct nb_op *ops;
	size_t n = 0, i, k = 0;
	int rc;

	if ((rc = nb_sg_rules(nb, id, &rules, &n)))
		return rc;
	ops = calloc(n + 1, sizeof(*ops));
	if (!ops) {
		nb_sg_rules_free(rules, n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ops[k] = (struct nb_op){ .kind = NB_OP_DELETE, .type = MDL_SECURITY_GROUP_RULE };
		snprintf(ops[k++].id, MDL_ID_SIZE, "%s", rules[i]->hdr.id);
	}
	ops[k] = (struct nb_op){ .kind = NB_OP_DELETE, .type = MDL_SECURITY_GROUP };
	snprintf(ops[k++].id, MDL_ID_SIZE, "%s", id);
	rc = nb_apply(nb, ops, k, NULL, err, es);
	free(ops);
	nb_sg_rules_free(rules, n);
	return rc;
}

/* A rule of this group created between the listing and the delete makes
 * the delete fail (-EBUSY naming that rule, or -ENOENT for a listed rule
 * deleted meanwhile): list again. */
int nb_sg_delete(struct nb *nb, const char *id, char *err, size_t es)
{
	struct mdl_hdr *g;
	int rc = -EAGAIN, attempt;

	if (err && es)
		err[0] = '\0';
	if (!nb || !id || !mdl_uuid_valid(id))
		return errf(err, es, -EINVAL, "security group id: '%s' is not a valid UUID",
			    id ? id : "");
	for (attempt = 0; attempt < NB_SG_TRIES; attempt++) {
		rc = nb_get(nb_db(nb), MDL_SECURITY_GROUP, id, &g, NULL);
		if (rc == -ENOENT)
			return errf(err, es, rc, "security group %s does not exist", id);
		if (rc)
			return rc;
		mdl_obj_free(g);
		rc = delete_once(nb, id, err, es);
		if (rc == -EBUSY && err && strstr(err, "by security_group_rule")) {
			/* is it one of our own rules (created meanwhile)? */
			char rid[MDL_ID_SIZE] = "";
			struct mdl_security_group_rule *r;
			const char *p = strstr(err, "by security_group_rule ");

			sscanf(p + strlen("by security_group_rule "), "%36s", rid);
			if (nb_sg_rule_get(nb, rid, &r) == 0) {
				bool own = !strcmp(r->security_group_id, id);

				mdl_obj_free(&r->hdr);
				if (own)
					continue;
			}
			return rc;
		}
		if (rc != -ENOENT)
			return rc;
	}
	return rc;
}

int nb_sg_rule_create(struct nb *nb, struct mdl_security_group_rule *r, uint64_t *revision,
		      char *err, size_t es)
{
	struct mdl_hdr *g = NULL;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!nb || !r || r->hdr.type != MDL_SECURITY_GROUP_RULE)
		return errf(err, es, -EINVAL, "invalid arguments");
	if (!r->hdr.id[0] && (rc = mdl_uuid_generate(r->hdr.id)))
		return rc;
	/* the group's project (if the group is missing, validation says so) */
	if (mdl_uuid_valid(r->security_group_id) &&
	    nb_get(nb_db(nb), MDL_SECURITY_GROUP, r->security_group_id, &g, NULL) == 0) {
		if (!r->project_id[0])
			snprintf(r->project_id, sizeof(r->project_id), "%s",
				 mdl_hdr_to_sg(g)->project_id);
		mdl_obj_free(g);
	}
	/* an equal rule of the group: its claim refuses this one, in the
	 * same transaction (db/nb_claims.c), "... already has this rule: ID" */
	return nb_h_create(nb, &r->hdr, revision, err, es);
}

int nb_sg_rule_delete(struct nb *nb, const char *id, char *err, size_t es)
{
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!nb || !id || !mdl_uuid_valid(id))
		return errf(err, es, -EINVAL, "security group rule id: '%s' is not a valid UUID",
			    id ? id : "");
	rc = nb_h_delete(nb, MDL_SECURITY_GROUP_RULE, id, 0, err, es);
	if (rc == -ENOENT)
		return errf(err, es, rc, "security group rule %s does not exist", id);
	return rc;
}

/* ---- the default group ---- */

/* The default group of project with its four rules, as batch ops [0..5). */
static int default_group(const char *project, struct mdl_security_group **g,
			 struct mdl_security_group_rule ***rules, size_t *n)
{
	int rc;

	*g = (struct mdl_security_group *)mdl_obj_alloc(MDL_SECURITY_GROUP);
	if (!*g)
		return -ENOMEM;
	if ((rc = mdl_uuid_generate((*g)->hdr.id))) {
		mdl_obj_free(&(*g)->hdr);
		return rc;
	}
	snprintf((*g)->name, sizeof((*g)->name), NB_SG_DEFAULT_NAME);
	snprintf((*g)->project_id, sizeof((*g)->project_id), "%s", project);
	(*g)->stateful = true;
	rc = mdl_sg_default_rules((*g)->hdr.id, project, rules, n);
	if (rc)
		mdl_obj_free(&(*g)->hdr);
	return rc;
}

static void default_free(struct mdl_security_group *g, struct mdl_security_group_rule **r,
			 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mdl_obj_free(&r[i]->hdr);
	free(r);
	mdl_obj_free(g ? &g->hdr : NULL);
}

/* One attempt: the project's default group id into id (from its claim),
 * or a batch creating it plus `extra` (may be NULL) when there is none.
 * *made = the group was created by this call. */
static int ensure_once(struct nb *nb, const char *project, struct mdl_hdr *extra,
		       char id[MDL_ID_SIZE], bool *made, uint64_t *revision, char *err,
		       size_t es)
{
	struct mdl_security_group_rule **rules = NULL;
	struct mdl_security_group *g = NULL;
	struct nb_op ops[6];
	size_t n = 0, i, k = 0;
	int rc;

	*made = false;
	rc = nb_default_sg_get(nb_db(nb), project, id);
	if (rc != -ENOENT)
		return rc;
	if ((rc = default_group(project, &g, &rules, &n)))
		return rc;
	ops[k++] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = &g->hdr };
	for (i = 0; i < n && k < 5; i++)
		ops[k++] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = &rules[i]->hdr };
	if (extra) {
		struct mdl_port *p = mdl_hdr_to_port(extra);

		snprintf(p->security_groups[0], MDL_ID_SIZE, "%s", g->hdr.id);
		ops[k++] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = extra };
	}
	rc = nb_apply(nb, ops, k, revision, err, es);
	if (!rc) {
		snprintf(id, MDL_ID_SIZE, "%s", g->hdr.id);
		*made = true;
	}
	default_free(g, rules, n);
	return rc;
}

/* -EADDRINUSE on the default-group claim: someone else created it. */
static bool lost_race(int rc, const char *err)
{
	return rc == -EADDRINUSE && err && strstr(err, "already has a default security group");
}

int nb_sg_default_ensure(struct nb *nb, const char *project_id, char id[MDL_ID_SIZE],
			 char *err, size_t es)
{
	const char *project = project_id ? project_id : "";
	int rc = -EAGAIN, attempt;
	bool made;

	if (err && es)
		err[0] = '\0';
	if (!nb)
		return errf(err, es, -EINVAL, "invalid arguments");
	for (attempt = 0; attempt < NB_SG_TRIES; attempt++) {
		rc = ensure_once(nb, project, NULL, id, &made, NULL, err, es);
		if (!lost_race(rc, err))
			return rc;
	}
	return rc;
}

bool nb_sg_port_wants_default(const struct mdl_port *p)
{
	return p->port_security_enabled && p->n_security_groups == 0 &&
	       strncmp(p->device_owner, "network:", 8) != 0;
}

int nb_sg_port_create(struct nb *nb, struct mdl_port *p, uint64_t *revision, char *err,
		      size_t es)
{
	char (*groups)[MDL_ID_SIZE] = NULL;
	char id[MDL_ID_SIZE];
	int rc = -EAGAIN, attempt;
	bool made;

	if (err && es)
		err[0] = '\0';
	if (!nb || !p || p->hdr.type != MDL_PORT)
		return errf(err, es, -EINVAL, "invalid arguments");
	if (!p->port_security_enabled && p->n_security_groups)
		return errf(err, es, -EINVAL, "security_groups: a port with port security "
			    "disabled cannot have security groups");
	if (!nb_sg_port_wants_default(p))
		return nb_h_create(nb, &p->hdr, revision, err, es);
	groups = calloc(1, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	p->security_groups = groups;
	p->n_security_groups = 1;
	for (attempt = 0; attempt < NB_SG_TRIES; attempt++) {
		/* the group exists: an ordinary create naming it; otherwise the
		 * group, its rules and the port in one transaction */
		rc = ensure_once(nb, p->project_id, &p->hdr, id, &made, revision, err, es);
		if (!rc && !made) {
			snprintf(p->security_groups[0], MDL_ID_SIZE, "%s", id);
			rc = nb_h_create(nb, &p->hdr, revision, err, es);
			/* the default group deleted meanwhile: its claim went with it */
			if (rc == -EINVAL && err && strstr(err, "security_groups[0]") &&
			    nb_default_sg_get(nb_db(nb), p->project_id, id) == -ENOENT)
				continue;
		}
		if (!lost_race(rc, err))
			break;
	}
	if (rc) {
		free(p->security_groups);
		p->security_groups = NULL;
		p->n_security_groups = 0;
	}
	return rc;
}
