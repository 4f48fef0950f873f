/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_conformance.h — what the conformance suite's files share
 * (db_conformance_test.c: the suite, keys, transactions, watches;
 * db_conformance_lease.c: leases; db_conformance_scan.c: scans in pages):
 * the backend under test and a watch
 * event collector.
 */
#ifndef WYV_DB_CONFORMANCE_H
#define WYV_DB_CONFORMANCE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* A handle on the backend under test (NULL + a printed reason). */
struct db *open_db(void);
/* Its URL (for db_open_opts). */
const char *conformance_url(void);

struct ev_copy {
	enum db_event_type type;
	char key[128];
	char value[128];
	uint64_t revision;
	bool rev_end;
};

struct collector {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct ev_copy evs[256];
	size_t n;
	size_t overflow;
};

void collector_init(struct collector *c);
void collector_fini(struct collector *c);
/* db_watch callback: copies each event into the collector (arg). */
void collect(const struct db_event *ev, void *arg);
/* Waits until at least n events arrived (or timeout); returns the count. */
size_t wait_events(struct collector *c, size_t n, int timeout_ms);

/* db_conformance_lease.c */
void t_lease_revoke(void);
void t_etcd_lease_expiry(void);

/* db_conformance_scan.c */
void t_scan_pages(void);

/* db_conformance_rocks.c */
void t_rocks_log_self_compacts(void);
void t_rocks_no_log(void);
void t_mem_flush(void);

#endif
