/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_priv.h — the local controller's internals, shared by lc*.c.
 *
 * struct lc and every struct lc_obj belong to the control thread.  The only
 * state shared with other threads is struct lc_sync (sync thread + db watch
 * thread), guarded by its mutex.
 */
#ifndef WYV_CTRL_LC_PRIV_H
#define WYV_CTRL_LC_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include <rte_cycles.h>

#include "lc.h"
#include "mdl.h"
#include "mdl_addr.h"       /* mdl_chassis_id: our chassis id */
#include "tables.h"
#include "tables_nat.h"

#define LC_PREFIX "/wyvern/v1/"

/* FNV-1a, 64 bits, over n bytes continuing from h (LC_FNV_BASIS to start):
 * the one hash of lc/ (index buckets, id sets, change sets, derived MACs). */
#define LC_FNV_BASIS 0xcbf29ce484222325ull
static inline uint64_t lc_fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* CLOCK_MONOTONIC in microseconds: lc/'s clock where EAL's TSC rate is not
 * known yet (the preload) or not wanted (the sync thread, leases). */
static inline uint64_t lc_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t lc_hash_str(const char *s)
{
	return lc_fnv(s, strlen(s), LC_FNV_BASIS);
}
#define LC_REV_KEY "/wyvern/replica/applied_revision"
/* how many objects the replica holds (lc->n_held), written with LC_REV_KEY:
 * the next load sizes the index for them at once */
#define LC_COUNT_KEY "/wyvern/replica/objects"
#define LC_MAX_IFACES DP_MAX_PORTS
/* lc_run: after a batch of at least this many events (or a snapshot), the
 * freed memory goes back to the system (malloc_trim) */
#define LC_TRIM_EVENTS 4096
/* a batch that took this long is logged with its stages */
#define LC_SLOW_BATCH_US 100000
/* lc_run's time slice (lc.h LC_SLICE_MS) */
#define LC_SLICE_US (LC_SLICE_MS * 1000u)
/* Between two objects of a long pass: the lc_set_yield hook, once the
 * slice went by (a TSC read otherwise). */
void lc_yield_slow(struct lc *lc);
#define lc_yield_point(lc)                                                         \
	do {                                                                       \
		if ((lc)->yield_fn != NULL &&                                      \
		    rte_get_tsc_cycles() - (lc)->hold_t0 >= (lc)->yield_cyc)       \
			lc_yield_slow(lc);                                         \
	} while (0)

/* ---- queue between the sync/watch threads and the control thread ------- */
enum lc_qtype {
	LC_Q_PUT,
	LC_Q_DELETE,
	LC_Q_COMPACTED,        /* the watch ended: resync */
	LC_Q_SNAP_PAGE,        /* a page of a full scan (kvs); snap->first:
				* a new snapshot starts (what came before
				* in this generation is void) */
	LC_Q_SNAPSHOT,         /* the full scan's end: its revision */
	LC_Q_STATUS,           /* text: sync thread error / state */
	LC_Q_RESYNC,           /* the watch lost exactly-once (store restored or
				* recreated, event lost): resync */
};

struct lc_qev {
	struct lc_qev *next;
	enum lc_qtype type;
	uint64_t revision;
	char *key;
	char *value;
	size_t len;
	struct lc_snap *snap;  /* LC_Q_SNAP_PAGE, LC_Q_SNAPSHOT */
	uint64_t gen;          /* watch generation (stale watches are dropped) */
};

struct lc_snap {
	size_t n;
	char **keys;
	char **vals;
	size_t *lens;
	uint64_t revision;
	bool first;            /* LC_Q_SNAP_PAGE: the snapshot's first page */
};

/* Shared with the sync thread; refcounted so a sync thread stuck in a
 * blocking etcd call can outlive lc_destroy() (it is detached then). */
struct lc_sync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	int evfd;
	bool stop;
	bool want_sync;         /* control thread asks for (re)sync */
	bool connected;
	uint64_t gen;           /* bumped for every new watch */
	uint64_t n_lost;        /* events dropped by watch_cb (each: resync) */
	struct lc_qev *head, *tail;
	char last_error[256];
	/* read-only after start */
	struct lc_config cfg;
	struct db *borrowed;
	/* the open central db, for the control thread's northbound commands
	 * (under mu; NULL until opened and after the thread let go of it) */
	struct db *pub_db;
	/* port statuses to keep in the database (lc_status.c; under mu) */
	struct lc_smap *status;
	bool status_wanted;     /* a status was handed over, not flushed yet */
	uint64_t seen_rev;      /* highest revision queued to the control thread */
	/* SNAT address port operations to run (lc_snat_port.c; under mu) */
	struct lc_snat_jobs *snat;
};

/* ---- a port as the controller keeps it (lc_port.c) ----------------------
 * The fields of struct mdl_port that compile reads, with the same names;
 * the strings are interned (lc_intern: one copy per distinct string, ""
 * for none), the address pairs are the model's, moved over.  hdr.attrs is
 * NULL.  The MAC and the fixed IPs are kept binary when their text is the
 * canonical one (what lc_port_to_mdl and the replica give back is then the
 * same text); any other text (upper case, a prefix, garbage) is kept as it
 * came, interned, and read as before.  The fixed IPs are in the record's
 * own allocation: one malloc of 184 bytes for a port with one address. */
struct lc_fixed_ip {
	const char *subnet_id;               /* interned */
	union {
		struct dp_ip ip;             /* ip.family 4 or 6: the address
					      * (plen 32 or 128) */
		struct {
			uint8_t family;      /* 0: the text below */
			const char *text;    /* interned ip_address as given */
		} odd;
	};
};

#define LC_PORT_MAX_LIST 1024        /* entries of one list a port may have */

struct lc_port {
	struct mdl_hdr hdr;
	/* interned (shared: compared by pointer), but name and device_id,
	 * which are the port's own and sit at the end of its allocation */
	const char *name, *project_id, *network_id;
	const char *device_owner, *device_id, *binding_host_id;
	const char *mac_text;                /* interned mac_address when it is not
					      * canonical text; NULL: mac holds it */
	struct mdl_addr_pair *allowed_address_pairs;
	const char **security_groups;        /* interned ids, the list itself in
					      * p's allocation (after fixed_ips) */
	struct rte_ether_addr mac;
	bool port_security_enabled;
	bool admin_state_up;
	uint16_t n_fixed_ips;
	uint16_t n_allowed_address_pairs;
	uint16_t n_security_groups;
	struct lc_fixed_ip fixed_ips[];
};

/* p's MAC: 0 when its text is a MAC (the same test as
 * rte_ether_unformat_addr), -EINVAL otherwise. */
int lc_port_mac(const struct lc_port *p, struct rte_ether_addr *mac);
/* p's mac_address as text (buf: MDL_MAC_SIZE bytes, used when binary). */
const char *lc_port_mac_text(const struct lc_port *p, char *buf);
/* Fixed IP f as lc_ip_parse reads its text (a prefix is not refused here:
 * callers check plen); -EINVAL when it does not parse. */
int lc_port_ip(const struct lc_fixed_ip *f, struct dp_ip *ip);
/* f's ip_address as text (buf: MDL_IP_SIZE bytes, used when binary). */
const char *lc_port_ip_text(const struct lc_fixed_ip *f, char *buf);

struct lc_strtab;
/* s interned (refcounted; "" and NULL give a shared ""); NULL: no memory */
const char *lc_intern(struct lc *lc, const char *s);
void lc_unintern(struct lc *lc, const char *s);
size_t lc_intern_count(const struct lc *lc);
/* heap bytes of the interned strings and their table (lc_get_mem) */
size_t lc_intern_bytes(const struct lc *lc);
/* malloc'ed size of p with its chunk header (0 for NULL) */
size_t lc_msize(const void *p);
void lc_intern_free(struct lc *lc);
/* m's address pairs move into the result (m keeps the rest); NULL and
 * err: no memory, or a list longer than LC_PORT_MAX_LIST */
struct lc_port *lc_port_from_mdl(struct lc *lc, struct mdl_port *m, char *err, size_t size);
/* A model port with p's fields (mdl_obj_free it); NULL: no memory. */
struct mdl_port *lc_port_to_mdl(const struct lc_port *p);
void lc_port_free(struct lc *lc, struct lc_port *p);
/* The replica's form of a port (binary, first byte LC_PORT_BIN, never a
 * JSON value's): malloc'ed, *len its size; NULL: no memory. */
#define LC_PORT_BIN 0xb2
#define LC_PORT_BIN_V1 0xb1     /* read only: the MAC and fixed IPs as text */
#define LC_PORT_IS_BIN(c) ((uint8_t)(c) == LC_PORT_BIN || (uint8_t)(c) == LC_PORT_BIN_V1)
char *lc_port_encode(const struct lc_port *p, size_t *len);
/* NULL with err: malformed (or no memory). */
struct lc_port *lc_port_decode(struct lc *lc, const char *buf, size_t len, char *err,
			       size_t size);
/* Same fields (both interned in lc's table). */
bool lc_port_same(const struct lc_port *a, const struct lc_port *b);

/* ---- the global index: every object under /wyvern/v1/ ------------------ */
/* The compile state of an object that is not a port (network, router,
 * floating IP, security group, rule): allocated with the object, so that
 * ports, nearly all of the index at scale, do not carry it. */
struct lc_obj_cs {
	struct dp_network_cfg *net;   /* what is in the tables (network) */
	uint32_t stale_net_key;       /* network key to delete at the end */
	struct lc_l3_state *l3;       /* what is in the L3 tables (router) */
	bool nat_put;                 /* router: nat_gw / floating IP: nat_fip is in
				       * the NAT tables (lc_compile_nat.c) */
	union {
		struct dp_nat_gw_cfg nat_gw;    /* router */
		struct dp_nat_fip_cfg nat_fip;  /* floating IP */
	};
	uint32_t set_key;             /* security group: address set we put */
	uint64_t set_sig;             /* security group: signature of its members */
	struct dp_ip *set_addrs;      /* security group: the members we put */
	uint32_t n_set_addrs;
	uint64_t sg_grp;              /* group, rule: hash of the group it was
				       * compiled in */
};

struct lc_obj {
	struct lc_obj *next;   /* hash chain */
	uint32_t khash;        /* lc_hash_str(key), low bits: chain and grow
				* compare it before the key */
	uint32_t n_acl_groups; /* port: entries of acl_groups */
	char *val;             /* raw JSON as stored (NULL for a port) */
	struct mdl_hdr *o;     /* decoded (a port: the hdr of its struct
				* lc_port, lc_port_of); NULL when bad */
	uint64_t version;
	uint32_t len;          /* of val (values are far below 4 GiB) */
	bool present : 1;      /* exists in the (latest view of the) central db */
	bool seen : 1;         /* snapshot diff mark */
	bool reach : 1;        /* computed by lc_reach_compute */
	bool local : 1;        /* port bound here */
	bool held : 1;         /* in the replica */
	bool dirty : 1;        /* value changed since last replica write */
	bool in_chg : 1;       /* in lc->chg (changed in this batch) */
	bool counted : 1;      /* port: its record is counted in lc->rs
				* (lc_reach_inc.c) */
	bool why_counted : 1;  /* the skip in why was counted for this
				* version (lc_obj_set clears it when the
				* version changes) */
	/* what this object adds to lc->cnt as last counted (lc_count) */
	bool c_index : 1, c_held : 1, c_local : 1, c_bad : 1;
	uint8_t type;          /* enum mdl_type (a byte: 112 bytes a port's
				* record, 165 with its key, one 176-byte chunk) */
	uint64_t rsig;         /* lc_reach_sig of the value (0: not present) */
	uint64_t fl_sig;       /* port: its (network, remote VTEP) flood pair as
				* last compiled (0: none) */
	/* compile state: a port's here, every other type's in *cs */
	uint32_t lp_key;              /* port: the lport we put (0: none); what
				       * is installed is the table's (lc_lp) */
	uint32_t acl_lport;           /* port: lport whose ACL we put (0: none) */
	uint64_t acl_sig;             /* port: signature of that ACL */
	char (*acl_groups)[MDL_ID_SIZE]; /* port: the groups of the ACL we put */
	uint64_t sg_state;            /* group/rule/port: inputs of the last SG pass
				       * (0 = never seen / not wanted) */
	struct lc_obj_cs *cs;         /* NULL for a port, never NULL otherwise */
	char *why;                    /* skip reason (NULL = fine; lc_why_clear) */
	char key[];                   /* "/wyvern/v1/<type>/<id>", in the allocation */
};

/* The port record of a port object with a decoded value. */
static inline const struct lc_port *lc_port_of(const struct lc_obj *o)
{
	return (const struct lc_port *)(const void *)o->o;
}

/* A port compiled into an lport: present, reachable, decodable, and not a
 * chassis' SNAT address port (the NAT gateway's address:
 * lc_compile_nat.c). */
static inline bool lc_wanted_lport(const struct lc_obj *o)
{
	return o->present && o->reach && o->o &&
	       strcmp(lc_port_of(o)->device_owner, LC_SNAT_OWNER) != 0;
}

/* The lport config installed for port o (the table's own copy, valid
 * until the next put or delete of that lport); NULL when none. */
static inline const struct dp_lport_cfg *lc_lp(const struct lc *lc, const struct lc_obj *o);

/* o is no longer skipped. */
#define LC_WHY_LEN 96
extern const char lc_why_unknown[];
/* show ctrl's counts (struct lc's cnt): o's share brought up to date
 * (wherever present, held, reach, local or why change), taken out (o is
 * freed); lc_counts_check: the kept counts equal a walk (tests; why: both) */
void lc_count(struct lc *lc, struct lc_obj *o);
void lc_uncount(struct lc *lc, struct lc_obj *o);
bool lc_counts_check(struct lc *lc, char *why, size_t size);
static inline void lc_why_clear(struct lc *lc, struct lc_obj *o)
{
	if (o->why != lc_why_unknown)
		free(o->why);
	o->why = NULL;
	lc_count(lc, o);
}

struct lc_iface {
	char id[MDL_ID_SIZE];
	uint16_t dp_port;
};

struct lc_dhcp_cache;

struct lc {
	struct lc_config cfg;
	struct lc_dhcp_cache *dhcp_cache; /* lc_dhcp.c, allocated on first use */
	struct lc_strtab *strs;         /* lc_port.c: interned strings */
	struct dp_tables *t;
	struct db *replica;
	struct lc_sync *sync;
	uint64_t slice_us;              /* lc_run's time slice (0: LC_SLICE_US; tests: less) */
	/* lc_set_yield: the hook, the slice in TSC cycles, when the running
	 * pass started or last yielded, and whether it is in the hook now */
	void (*yield_fn)(void *arg);
	void *yield_arg;
	uint64_t yield_cyc, hold_t0;
	bool in_yield;
	pthread_t thread;
	bool thread_running;
	/* lc_preload (lc_replica.c): the replica opened and loaded on a thread
	 * of its own while wyvernd starts EAL and the datapath; lc_start joins
	 * it (its result and the load's time in microseconds) */
	pthread_t preload_tid;
	bool preloading;
	int preload_rc;
	uint64_t preload_us;
	/* index */
	struct lc_obj **buckets;
	size_t n_buckets, n_objs;
	/* the same objects in key order (lc_obj_all): all[0..n_sorted) sorted,
	 * newer ones appended; n_gone: objects not present (sweep candidates) */
	struct lc_obj **all;
	size_t n_all, cap_all, n_sorted, n_gone;
	/* what this batch changed (lc_obj_changed; emptied at the batch's end):
	 * the objects, a bit per type, and whether a reachability input did */
	struct lc_obj **chg;
	size_t n_chg, cap_chg;
	uint32_t chg_types;
	bool reach_stale;
	bool reach_full;       /* a reachability input other than a port's changed */
	bool reach_ran;        /* lc_reach_compute recomputed in this batch */
	bool local_moved;      /* without a full pass: a changed port is or was
				* local (lc_reach_ports) */
	struct lc_reach_state *rs; /* lc_reach_inc.c: what the last full pass
				    * found, kept up to date by port changes */
	bool snap_open;        /* a paged snapshot's first page applied, not
				* its end: nothing compiles (lc.c) */
	uint64_t apply_acc_us; /* applying since the last compile (lc_run) */
	size_t ports_unplaced; /* lc_compile: wanted ports without an lport */
	bool replica_retry;    /* the last replica txn failed: diff everything */
	size_t n_held;         /* objects with held set (in the replica) */
	/* `show ctrl`'s counts (lc_get_stats), kept as objects change instead
	 * of a walk over every object per request (12 ms at 100k ports, and
	 * monitoring polls it): present objects, held ones by type, local
	 * ports (present, reachable, bound here), skipped objects (present
	 * with a reason).  lc_count brings one object's share up to date; it
	 * runs wherever present, held, reach, local or why change;
	 * lc_counts_check compares with a walk (tests). */
	struct {
		unsigned index, held[8], local, bad;
	} cnt;
	bool status_full;      /* lc_status_publish has not looked at every
				* port yet (it does at the first chance) */
	struct lc_flood_cache *flood; /* lc_compile.c: the (network, VTEP) pairs */
	struct lc_sg_cache *sg_members; /* lc_compile_sg.c: group -> member ports */
	struct rte_hash *lport_index;   /* lc_dhcp.c: lport key -> port, local ones */
	bool lp_other;         /* lc_compile: an lport changed for a port this
				* batch did not change (ifaces, network, ...) */
	/* iface-id -> dp port */
	struct lc_iface ifaces[LC_MAX_IFACES];
	unsigned n_ifaces;
	bool ifaces_changed;
	/* port statuses handed to the sync thread (lc_status.c) */
	struct lc_smap *status_pub;
	/* live chassis ids (lc_alive.c) */
	char (*alive)[MDL_ID_SIZE];
	size_t n_alive, cap_alive;
	/* snat = gateway: the elected gateway chassis at the last compile
	 * (lc_gateway.c); gw_id "" none, gw_self it is us, gw_vtep its VTEP */
	char gw_id[MDL_ID_SIZE];
	char gw_name[LC_NAME_LEN];
	bool gw_self;
	uint32_t gw_vtep;
	/* counters */
	struct lc_stats st;
	uint64_t last_log_tsc;
	unsigned log_budget;
};

static inline const struct dp_lport_cfg *lc_lp(const struct lc *lc, const struct lc_obj *o)
{
	const struct dp_lport *p = o->lp_key ? dp_table_lport_get(lc->t, o->lp_key) : NULL;
	return p ? &p->cfg : NULL;
}

/* lc_gateway.c: elect the gateway chassis over the sorted objects v[0..n)
 * into lc->gw_*; true when the choice changed (logged). */
bool lc_gateway_elect(struct lc *lc, struct lc_obj **v, size_t n);

/* lc.c */
struct lc_obj *lc_obj_find(struct lc *lc, const char *key);
struct lc_obj *lc_obj_find_id(struct lc *lc, enum mdl_type type, const char *id);
/* Upsert from a raw value (decodes it; replica: a port may be in its binary
 * form); returns true if something changed.  A port keeps no bytes (val
 * NULL): its record is the value. */
bool lc_obj_set(struct lc *lc, const char *key, const char *val, size_t len, bool replica);
/* lc_obj_set that also gives the object the key names afterwards (NULL: none) */
bool lc_obj_set_get(struct lc *lc, const char *key, const char *val, size_t len, bool replica,
		    struct lc_obj **out);
/* Room for n objects in the index and about 2n interned strings, before a
 * replica load or a snapshot brings that many: no rehash on the way. */
void lc_reserve(struct lc *lc, size_t n);
void lc_intern_reserve(struct lc *lc, size_t n);
void lc_obj_foreach(struct lc *lc, void (*fn)(struct lc *lc, struct lc_obj *o, void *arg),
		    void *arg);
/* Every object, sorted by key, for deterministic passes: the controller's
 * own array (never freed by the caller), valid until an object is added
 * (lc_obj_set) or swept (end of a batch). */
struct lc_obj **lc_obj_all(struct lc *lc, size_t *n);
/* The run [*lo, *hi) of the objects of type t in lc_obj_all's v[0..n). */
void lc_type_range(struct lc_obj *const *v, size_t n, enum mdl_type t, size_t *lo, size_t *hi);
void lc_log(struct lc *lc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lc_iface_port(const struct lc *lc, const char *id);   /* dp port or -1 */
/* Parse "/wyvern/v1/<type>/<id>": type or -1 (also for _alloc etc.). */
int lc_key_type(const char *key, const char **id);

/* lc_apply.c: the queue's entries applied to the index (no compile) */
void lc_apply_snap_page(struct lc *lc, const struct lc_snap *s);
void lc_apply_snap_end(struct lc *lc, const struct lc_snap *s);
void lc_apply_event(struct lc *lc, enum lc_qtype type, const char *key, const char *val,
		    size_t len, uint64_t rev);

/* lc_sync.c */
/* Starts the sync thread: 0 also when it runs already (lc_preload started
 * it) or there is no central db; -errno. */
int lc_sync_start(struct lc *lc);
void lc_sync_stop(struct lc *lc);
void lc_sync_request(struct lc *lc);   /* control thread: resync please */
void lc_sync_put(struct lc_sync *s, struct lc_qev *ev);
struct lc_qev *lc_sync_take(struct lc_sync *s);
/* Puts the chain ev.. (what lc_run did not apply) back at the queue's
 * head, in order, and signals the eventfd again. */
void lc_sync_untake(struct lc_sync *s, struct lc_qev *ev);
void lc_qev_free(struct lc_qev *ev);

/* lc_alive.c: chassis liveness (see there).  The key of chassis `id`;
 * is `key` one (its id in id)? */
int lc_alive_key_fmt(const char *id, char *buf, size_t size);
bool lc_alive_key(const char *key, char id[MDL_ID_SIZE]);
/* Control thread: the set of live chassis; set returns true on a change. */
bool lc_alive_set(struct lc *lc, const char *id, bool alive);
void lc_alive_clear(struct lc *lc);
void lc_alive_free(struct lc *lc);
/* Sync thread: keep our own key alive (grant, put, keepalive every ttl/3);
 * -ENOENT: the lease was lost (expired, or the store restored): resync, the
 * next tick grants a new one and puts the key again.  end revokes it. */
struct lc_alive_lease {
	int64_t lease;          /* 0: none */
	uint64_t next_ms;       /* next keepalive, CLOCK_MONOTONIC */
	uint64_t renewed;       /* leases lost (expired) and put again */
};
int lc_alive_tick(struct db *db, const struct lc_config *cfg, struct lc_alive_lease *a);
void lc_alive_end(struct db *db, struct lc_alive_lease *a);

/* lc_status.c: port status of the ports bound here (see there). */
struct lc_smap;
struct lc_smap *lc_smap_new(void);
void lc_smap_free(struct lc_smap *m);
void lc_status_publish(struct lc *lc);                   /* control thread */
/* lc_snat_port.c: this chassis' SNAT address ports (distributed SNAT) */
struct lc_snat_jobs;
void lc_snat_ports_publish(struct lc *lc);               /* control thread */
void lc_snat_ports_flush(struct lc_sync *s, struct db *db,  /* sync thread */
			 void (*report)(struct lc_sync *s, const char *msg));
void lc_snat_jobs_free(struct lc_snat_jobs *j);
/* The MAC of (router, chassis)'s SNAT address port (its uniqueness claim). */
void lc_snat_port_mac(char out[MDL_MAC_SIZE], const char *router_id, const char *chassis);
/* Sync thread: write what changed (all: everything, under a new lease). */
int lc_status_flush(struct lc_sync *s, struct db *db, int64_t lease, bool all);

/* lc_dhcp.c: installed lport key -> its port object (lc_compile keeps it:
 * set when an lport is put, del when it is deleted). */
struct rte_hash;
void lc_lport_index_set(struct lc *lc, uint32_t key, struct lc_obj *o);
void lc_lport_index_del(struct lc *lc, uint32_t key, struct lc_obj *o);
struct lc_obj *lc_lport_index_get(const struct lc *lc, uint32_t key);
void lc_lport_index_free(struct lc *lc);

/* lc_reach.c: marks o->reach / o->local on every object; nothing to do
 * when no object's reachability inputs changed (lc_reach_sig) and the
 * ifaces did not; only the changed ports when nothing else did and the
 * sets the last full pass found stay as they were (lc_reach_inc.c). */
void lc_reach_compute(struct lc *lc);

/* lc_reach_inc.c: the incremental side of reachability.  The sets of
 * the last full pass (reachable networks with their count of local ports,
 * gateway networks, held groups with their count of held ports naming
 * them, hosts with their count of held ports), keyed by interned ids. */
struct idset {                   /* open addressing, strings borrowed */
	const char **v;
	size_t cap, n;
};
struct lc_reach_sets {
	struct idset nets, ext, sgs;
};
/* lc_reach.c: the full pass, every object's flags from scratch, and the
 * sets it found (false: no memory, nothing changed; else the caller
 * frees s with lc_reach_sets_free). */
bool lc_reach_pass(struct lc *lc, struct lc_reach_sets *s);
bool lc_idset_has(const struct idset *s, const char *id);
void lc_reach_sets_free(struct lc_reach_sets *s);
/* After a full pass set every object's flags from s: keep the sets and
 * count every port (o->counted). */
void lc_reach_adopt(struct lc *lc, const struct lc_reach_sets *s);
/* o's record is about to be replaced: take what it counted out. */
void lc_reach_forget(struct lc *lc, struct lc_obj *o);
/* The changed ports of this batch, alone: their flags and counts.  false:
 * a full pass is needed (a set would change, no sets yet, no memory). */
bool lc_reach_ports(struct lc *lc);
/* Tests: the flags and the counts equal a full pass's (flags unchanged);
 * false with what differs in why. */
bool lc_reach_verify(struct lc *lc, char *why, size_t size);
void lc_reach_state_free(struct lc *lc);
/* lc_port.c: s's interned copy when there is one (no reference taken),
 * else NULL */
const char *lc_intern_find(const struct lc *lc, const char *s);
/* A digest of the fields of o's value that reachability reads (0: not
 * present, 1: undecodable). */
uint64_t lc_reach_sig(const struct lc_obj *o);
/* lc.c: o's value or presence changed in this batch. */
void lc_obj_changed(struct lc *lc, struct lc_obj *o);

/* lc_compile.c: makes the tables equal to the reachable objects. */
void lc_compile(struct lc *lc);
void lc_compile_free(struct lc *lc);
/* Names collected once per batch, sorted, searched by bsearch. */
struct lc_name_val {
	const char *name;
	uint32_t val;
};
struct lc_name_set {
	struct lc_name_val *e;
	size_t n;
};
/* by name, then value */
int lc_name_val_pair_cmp(const void *a, const void *b);
/* The VTEP (network order) of the chassis a held port lives on when it is
 * not here, else 0 (vteps: chassis name -> VTEP). */
uint32_t lc_remote_vtep(const struct lc *lc, const struct lc_name_set *vteps,
			const struct lc_obj *o);
/* lc_reach_inc.c: an intrusive chained hash table's buckets, shared by
 * the small tables of lc_reach_inc.c and lc_flood.c (their entries begin
 * with their chain pointer, a void *).  Doubles the buckets (64 at first), placing
 * each entry by hash(entry); false: no memory, the table as it was. */
bool lc_chain_grow(void ***b, size_t *n_b, size_t (*hash)(const void *e));
/* lc_flood.c: the (network id, remote VTEP) pairs of the held remote
 * ports, sorted, distinct (the head-end replication lists); *kept: the
 * same pairs as the last batch's.  ctx: what every port reads changed. */
const struct lc_name_set *lc_flood_pairs(struct lc *lc, struct lc_obj **v, size_t n,
					 const struct lc_name_set *vteps, bool ctx, bool *kept);
void lc_flood_free(struct lc *lc);
/* lc_compile_l3.c: routers -> L3 tables (routers, router ports, routes);
 * runs after ports are compiled and before networks are deleted. */
struct lc_l3_state;
void lc_compile_l3(struct lc *lc, struct lc_obj **v, size_t n);
/* lc_compile_sg.c: security groups -> ACL table (address sets, port ACLs);
 * runs after ports are compiled. */
void lc_compile_sg(struct lc *lc, struct lc_obj **v, size_t n);
void lc_compile_sg_free(struct lc *lc);
/* Port o's record is about to be replaced: out of its groups' member
 * lists (their sets are computed again in the next pass). */
void lc_sg_forget(struct lc *lc, struct lc_obj *o);
/* Mark an object skipped (counted once per version, logged rate-limited). */
/* A router's external gateway as compiled here (lc_compile_l3.c): its
 * router port (index LC_GW_RPORT_IDX) on the held external network, with
 * the IPv4 external fixed IP and that subnet's gateway_ip (family 0: none). */
#define LC_GW_RPORT_IDX 127
struct lc_gw {
	uint32_t router, rport, network;
	struct dp_ip addr, nexthop;
	struct rte_ether_addr mac;
};
/* 0 and *gw filled, or -ENOENT (no gateway, or its network not held). */
int lc_router_gw(struct lc *lc, struct lc_obj *o, struct lc_gw *gw);
/* Gateways and floating IPs -> the NAT tables (lc_compile_nat.c). */
void lc_compile_nat(struct lc *lc, struct lc_obj **v, size_t n);

void lc_skip(struct lc *lc, struct lc_obj *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* lc_replica.c */
int lc_replica_open(struct lc *lc);
/* Open and load (lc_start's first step); 0 or -errno.  *us: its time. */
int lc_replica_open_load(struct lc *lc, uint64_t *us);
/* The preload's result, after waiting for it (0 when none ran). */
int lc_preload_join(struct lc *lc, bool *ran);
int lc_replica_load(struct lc *lc);
/* Persist held objects + applied revision in one txn. */
int lc_replica_commit(struct lc *lc);
void lc_replica_close(struct lc *lc);

#endif
