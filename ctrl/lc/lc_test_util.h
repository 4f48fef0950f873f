/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_util.h — the local controller tests' harness
 * (lc_test_util.c): a controller instance on its own tables and replica
 * over a central RocksDB, a sync step, canonical dumps of tables and
 * replica.  Single-threaded tests (control thread = main), EAL --no-huge.
 */
#ifndef WYV_LC_TEST_UTIL_H
#define WYV_LC_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "lc.h"
#include "mdl.h"
#include "tables.h"

#define NET_A "{\"name\":\"A\",\"provider:network_type\":\"vxlan\"," \
	"\"provider:segmentation_id\":77}"

extern char tmp[128];          /* the tests' temp dir */
extern unsigned acl_lines;     /* ACL entries seen in dumps */

struct inst {
	struct dp_tables *t;
	struct lc *lc;
	char replica[256];
};

int inst_start(struct inst *in, struct db *central, const char *url, const char *chassis,
		      const char *replica, const char *const *ifaces, unsigned n_if);
void inst_stop(struct inst *in);
int inst_sync(struct inst *in, struct db *central);
char *dump(struct inst *in, bool rep);
/* The replica (its dump) names id: a key or a value holds it. */
bool replica_has(struct inst *in, const char *id);
/* A controller started now on central (chassis X, ifaces) ends with the
 * tables and replica of in (asserted; both dumps printed after `what` when
 * they differ). */
void fresh_agrees(struct inst *in, struct db *central, const char *const *ifaces,
		  unsigned n_if, const char *what);
struct db *central_open(void);
uint32_t dpkey(struct db *db, enum mdl_type t, const char *id);

/* the tests, by file */
#define N_PORTS 1500    /* ports of the DHCP network, N_LOCAL of them bound here */
#define N_LOCAL 63      /* one dp port each (below DP_MAX_PORTS) */
/* the i-th port's id */
void port_id(unsigned i, char id[MDL_ID_SIZE]);
/* a network, its DHCP subnet 10.9.0.0/16 and n ports (the first n_local
 * bound to chassis X, the rest to Y); in started as X and synced */
struct db *setup_local(struct inst *x, unsigned n, unsigned n_local, char net[MDL_ID_SIZE],
		       char sub[MDL_ID_SIZE]);
/* setup_local with the first port bound here */
struct db *setup(struct inst *x, unsigned n, char net[MDL_ID_SIZE], char sub[MDL_ID_SIZE]);
/* the i-th port's address (network byte order) */
uint32_t want_ip(unsigned i);
/* a port's "mac" or (any other field) its binding host, through nb_update */
int set_port(struct db *db, const char *id, const char *field, const char *value);

void t_property(void);
void t_selective(void);
void t_restart(void);
void t_idempotent(void);
void t_flood_many(void);
void t_bad_values(void);
void t_device_owner(void);
void t_sg_incremental(void);
void t_nat(void);
void t_nat_gateway(void);
void t_dhcp_index(void);
void t_port_batch(void);
void t_port_create_by_port(void);
void t_sg_batch(void);
void t_sg_sets_read(void);
void t_port_records(void);
void t_port_text_forms(void);
void t_time_slice(void);
void t_yield(void);
void t_snapshot_pages(void);
void t_replica_fail(void);

#endif
