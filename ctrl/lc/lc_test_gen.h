/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_gen.h — random northbound change streams for lc_test.c
 * (a test library, linked by ctrl_lc_test).  Every step picks one change and
 * applies it through nb_*; validation failures (-EINVAL, -EBUSY, ...) are
 * fine and just make the step a no-op.  Ports use ids from a small pool of
 * iface-ids (our dp ports) half of the time, and bind to X (us), Y, Z or
 * nobody, so ports go local and remote as bindings change.
 *
 * Thread: the test's one thread.
 */
#ifndef WYV_CTRL_LC_TEST_GEN_H
#define WYV_CTRL_LC_TEST_GEN_H

#include "db.h"
#include "mdl.h"

#define GEN_IFACES 3

struct gen {
	struct db *db;
	unsigned seed;
	char ifaces[GEN_IFACES][MDL_ID_SIZE];
	char *iface_ptrs[GEN_IFACES];
	unsigned cidr;
};

/* Create an object of type t from printf-formatted JSON through nb_create;
 * its id into id_out (MDL_ID_SIZE) when not NULL.  0 or -errno. */
int create_json(struct db *db, enum mdl_type t, char *id_out, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A chassis named name with VTEP vtep (vxlan).  0 or -errno. */
int chassis_create(struct db *db, const char *name, const char *vtep);

/* Seed g and create the remote chassis Y and Z in db. */
void gen_init(struct gen *g, struct db *db, unsigned seed);
/* Apply one random change: 0, or -errno when it was refused (a no-op). */
int gen_step(struct gen *g);

#endif
