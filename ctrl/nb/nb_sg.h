/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_sg.h — security groups on the northbound: groups, their rules
 * (each its own object, Neutron's security_group_rule), the projects'
 * default groups and port creation with that default.  The operations
 * `wyctl security-group ...` / `wyctl port create` run, written so that a
 * REST front end calls the same functions.
 *
 * Every write is ONE nb_apply transaction (db/nb.h): a group with its
 * rules, a group delete with its own rules, a port with the default group
 * it creates.  Validation is the model's (mdl_obj_validate +
 * mdl_validate_against, run by nb_apply); the messages name the field.
 *
 * Semantics (Neutron's):
 *  - a rule references its group (security_group_id) and optionally a
 *    remote group; both must exist; db/ records the references, so a
 *    group that another group's rule names as remote_group_id cannot be
 *    deleted (-EBUSY "security_group X is in use by security_group_rule
 *    Y"), nor one that a port uses;
 *  - deleting a group deletes its own rules in the same transaction;
 *  - a project's default group is the group named "default" of that
 *    project, at most one (db/ claims "_uniq/default_sg/..." for it); it is
 *    created on first use with four rules: egress any IPv4 and IPv6,
 *    ingress IPv4 and IPv6 from the group itself;
 *  - a port created with port security, without groups and not owned by
 *    the network (device_owner "network:...") gets its project's default
 *    group, created in the same transaction when missing.  Two creators
 *    racing for the same project: the loser's claim compare fails, it
 *    re-reads the claim and uses the winner's group.  Port security off
 *    with groups is refused (-EINVAL).
 *
 * Errors: 0 or -errno with a message in err: -EINVAL bad input / dangling
 * reference, -ENOENT no such object, -EEXIST an identical rule exists,
 * -EBUSY in use, -EADDRINUSE a second "default" group for a project,
 * -EAGAIN contention, other -errno from the db.
 * Ownership: objects passed in stay the caller's (ids, dp_keys and
 * versions are filled in); objects returned are the caller's to free
 * (mdl_obj_free / nb_sg_rules_free).
 * Threads: no state of its own; as thread-safe as the struct nb given.
 */
#ifndef WYV_CTRL_NB_SG_H
#define WYV_CTRL_NB_SG_H

#include <stdint.h>

#include "mdl.h"
#include "nb.h"

#define NB_SG_DEFAULT_NAME "default"

/* nb_sg_create flags */
#define NB_SG_EGRESS_RULES 1u   /* add Neutron's egress IPv4 + IPv6 rules first */

/* A rule made with its group carries the group's created_at / updated_at
 * (attrs; those g has).  0 or -ENOMEM. */
int nb_sg_rule_times(struct mdl_hdr *rule, const struct mdl_hdr *g);

/* Creates group g and rules[0..n) in one transaction.  Each rule gets a
 * fresh id (if empty), g's id as security_group_id and, if empty, g's
 * project_id; the egress rules of NB_SG_EGRESS_RULES g's timestamps.
 * rules may be NULL when n is 0. */
int nb_sg_create(struct nb *nb, struct mdl_security_group *g,
		 struct mdl_security_group_rule **rules, size_t n, unsigned flags,
		 uint64_t *revision, char *err, size_t err_size);

/* Checks a group update as Neutron does: the default group keeps its name
 * (its project's claim would go, and the next port would make another).
 * 0 or -EINVAL with a message.  A group renamed to "default" is refused by
 * db/ when its project has one (-EADDRINUSE). */
int nb_sg_update_check(const struct mdl_security_group *old,
		       const struct mdl_security_group *new, char *err, size_t err_size);

/* Replaces group g (same id) after nb_sg_update_check against the stored
 * version; expected_mod_revision as nb_h_update.  Its rule objects are not
 * touched (rules are created and deleted one by one). */
int nb_sg_update(struct nb *nb, struct mdl_security_group *g, uint64_t expected_mod_revision,
		 uint64_t *revision, char *err, size_t err_size);

/* Deletes group id and its own rules in one transaction (retried when a
 * rule appears meanwhile).  -ENOENT, -EBUSY (a port or another group's
 * rule uses it). */
int nb_sg_delete(struct nb *nb, const char *id, char *err, size_t err_size);

/* Creates one rule (id generated if empty; project_id from its group if
 * empty).  -EEXIST when the group has a rule with the same fields. */
int nb_sg_rule_create(struct nb *nb, struct mdl_security_group_rule *r,
		      uint64_t *revision, char *err, size_t err_size);
/* Deletes one rule.  -ENOENT. */
int nb_sg_rule_delete(struct nb *nb, const char *id, char *err, size_t err_size);
/* One rule.  -ENOENT, -EINVAL (not a uuid). */
int nb_sg_rule_get(struct nb *nb, const char *id, struct mdl_security_group_rule **out);
/* The rules of group_id (NULL or "": every rule), in creation order
 * (dp_key, then id). */
int nb_sg_rules(struct nb *nb, const char *group_id,
		struct mdl_security_group_rule ***out, size_t *n);
void nb_sg_rules_free(struct mdl_security_group_rule **v, size_t n);

/* The id of project_id's default group, created with its four rules when
 * missing.  0 / -errno. */
int nb_sg_default_ensure(struct nb *nb, const char *project_id, char id[MDL_ID_SIZE],
			 char *err, size_t err_size);

/* True when a port created like p gets the default group: port security
 * on, no group, device_owner not "network:...". */
bool nb_sg_port_wants_default(const struct mdl_port *p);

/* Creates port p (as nb_h_create), giving it its project's default group
 * when nb_sg_port_wants_default(p) — created in the same transaction when
 * the project has none.  -EINVAL when port security is off and groups are
 * given. */
int nb_sg_port_create(struct nb *nb, struct mdl_port *p, uint64_t *revision,
		      char *err, size_t err_size);

#endif
