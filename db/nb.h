/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb.h — northbound adapter: model objects stored in a db.
 *
 * Key layout: "/wyvern/v1/<type>/<uuid>" (type names from mdl_type_name()),
 * value = the object's JSON (mdl_obj_to_string).  Datapath keys come from
 * one counter shared by all types, "/wyvern/v1/_alloc/dp_key", so a dp_key
 * is unique across every object.
 *
 * Writes validate first (mdl_obj_validate + mdl_validate_against through a
 * lookup that reads this db), then commit with one db transaction:
 *  - create: counter CAS + "object absent" compare + both puts, so a dp_key is
 *    never allocated without its object, nor an object written without one;
 *  - update: compare-and-swap on the object's mod_revision; version + 1,
 *    dp_key kept; a concurrent writer makes it fail with -EAGAIN;
 *  - delete: refused with -EBUSY while other objects reference the object.
 * A failed validation writes nothing.
 *
 * Limitation: uniqueness checks (MAC, fixed IP, overlapping cidr) read then
 * write; two concurrent creates can both pass them.  See db/DESIGN.md.
 *
 * Ownership: objects passed in stay the caller's (create/update fill in id,
 * mac, dp_key and version in place); objects returned are the caller's to
 * mdl_obj_free() / nb_list_free().  The db is borrowed.
 * Threads: as db.h — any thread; no state of its own.
 */
#ifndef WYV_DB_NB_H
#define WYV_DB_NB_H

#include "db.h"
#include "mdl.h"

/* "/wyvern/v1/<type>/<id>" into buf; returns snprintf's value or -EINVAL. */
int nb_key(enum mdl_type type, const char *id, char *buf, size_t size);

/* Creates obj: generates id (and a port's MAC, fa:16:3e:xx:xx:xx) if empty,
 * allocates dp_key, sets version 1.  -EINVAL (message in err), -EEXIST,
 * -errno from the db.  *revision (may be NULL) = the commit revision. */
int nb_create(struct db *db, struct mdl_hdr *obj, uint64_t *revision,
	      char *err, size_t err_size);
/* Reads one object; *mod_revision (may be NULL) for a later update. -ENOENT. */
int nb_get(struct db *db, enum mdl_type type, const char *id, struct mdl_hdr **out,
	   uint64_t *mod_revision);
/* Replaces the stored object with obj (same type and id).  If
 * expected_mod_revision is non-zero the stored object must still be at it.
 * -ENOENT, -EAGAIN (changed meanwhile), -EINVAL (message in err). */
int nb_update(struct db *db, struct mdl_hdr *obj, uint64_t expected_mod_revision,
	      uint64_t *revision, char *err, size_t err_size);
/* Deletes; -ENOENT, -EAGAIN, -EBUSY (still referenced; message in err). */
int nb_delete(struct db *db, enum mdl_type type, const char *id,
	      uint64_t expected_mod_revision, char *err, size_t err_size);
/* All objects of a type, sorted by id. */
int nb_list(struct db *db, enum mdl_type type, struct mdl_hdr ***objs, size_t *n);
void nb_list_free(struct mdl_hdr **objs, size_t n);

#endif
