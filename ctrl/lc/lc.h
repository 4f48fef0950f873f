/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc.h — the local controller: syncs the objects this chassis can reach
 * from the central database (etcd or RocksDB), keeps them in a local RocksDB
 * replica, and compiles them into the datapath tables.
 *
 * Threads (see ctrl/DESIGN.md):
 *  - Every function here is called from the ONE control thread (wyvernd's
 *    main lcore, the only table writer), unless noted.
 *  - lc_start() launches one "sync" thread that does every blocking call to
 *    the central database (open, chassis registration, scan, watch set-up);
 *    db watch callbacks run on the db's own thread.  Both only copy what they
 *    got into a mutex-protected queue and write to an eventfd (lc_fd()).
 *  - lc_run() (control thread) drains the queue in arrival (= revision)
 *    order and applies it: index, reachability, table ops, replica txn.
 *  All controller state is touched only by the control thread.
 */
#ifndef WYV_CTRL_LC_H
#define WYV_CTRL_LC_H

#include <stdbool.h>
#include <stdint.h>

#include "mdl.h"

struct db;
struct dp_tables;
struct lc;

#define LC_URL_LEN 512
#define LC_NAME_LEN 64
#define LC_PATH_LEN 256

struct lc_config {
	char db_url[LC_URL_LEN];       /* "rocksdb:/dir" | "etcd[s]://h:p[,h:p]"; "" disabled */
	/* etcd security (see db.h struct db_opts); "" = not set */
	char db_ca[LC_PATH_LEN];       /* CA bundle (etcds://) */
	char db_cert[LC_PATH_LEN];     /* client certificate (etcds://) */
	char db_key[LC_PATH_LEN];      /* its key */
	char db_user[LC_NAME_LEN];     /* etcd user */
	char db_password_file[LC_PATH_LEN]; /* its password, first line */
	unsigned db_watch_idle_ms;     /* watch silence before failover (0 = default) */
	unsigned db_scan_page_keys;    /* keys per page of a full sync (0 = default;
					* tests use a few to cut snapshots up) */
	char chassis[LC_NAME_LEN];     /* our chassis name (binding:host_id) */
	unsigned chassis_ttl_s;        /* liveness lease, s (default 10; 0: none) */
	char vtep_ip[64];              /* IPv4 text */
	char encap[64];                /* "vxlan,geneve": first = what we send */
	char uplink[64];               /* port carrying the VTEP ("" = no overlay) */
	char physnet[64];              /* provider physical network on the uplink */
	char physnet_port[64];         /* ... or on this port of its own ("" = uplink) */
	unsigned underlay_mtu;         /* IP MTU of the underlay (default 1500) */
	/* [ctrl] snat: LC_SNAT_DISTRIBUTED (default: each chassis SNATs its
	 * own VMs to its own address, a network:floatingip_agent_gateway port
	 * of the router bound to it), LC_SNAT_GATEWAY (the router's gateway IP
	 * lives on one gateway chassis, lc_gateway.c; the others send their
	 * VMs' external traffic to it over the overlay) or LC_SNAT_OFF (only
	 * floating IPs) */
	unsigned snat_mode;
	bool gateway;                  /* [ctrl] gateway: may be the gateway chassis */
	uint16_t gateway_priority;     /* [ctrl] gateway-priority: highest wins */
	uint16_t snat_port_min, snat_port_max; /* [ctrl] snat-ports (0/0: 1024-65535) */
	char replica[LC_PATH_LEN];     /* replica directory */
	struct db *db;                 /* tests: a borrowed, already open central db
					* (used instead of db_url; RocksDB allows one
					* handle per directory and process) */
	/* called (control thread) after a port's security-group ACL was
	 * deleted, with its lport key and the conntrack zone it had: flush
	 * that zone.  NULL: none */
	void (*on_acl_del)(void *arg, uint32_t lport, uint16_t zone);
	void *on_acl_del_arg;
};

enum { LC_SNAT_DISTRIBUTED = 0, LC_SNAT_OFF = 1, LC_SNAT_GATEWAY = 2 };
/* The mode's name: "distributed", "gateway" or "off". */
const char *lc_snat_mode_name(unsigned mode);
/* device_owner of a chassis' SNAT address port (device_id = the router,
 * binding:host_id = the chassis), as Neutron DVR's per-host FIP gateway */
#define LC_SNAT_OWNER "network:floatingip_agent_gateway"


struct lc_stats {
	bool connected;                /* snapshot loaded and watch running */
	uint64_t applied_revision;     /* central revision applied */
	uint64_t events_applied, events_ignored;
	uint64_t syncs;                /* full snapshots applied (first + resyncs) */
	uint64_t resyncs;              /* resyncs after compaction / lost watch */
	uint64_t bad_total;            /* objects skipped (counted once per version) */
	uint64_t table_ops, table_errors;
	uint64_t sg_port_compiles;     /* ports whose security groups were compiled
					* (a rule change recompiles its group's ports) */
	uint64_t replica_txns, replica_errors;
	/* batches (lc_run/lc_inject passes) and where the last one's time went,
	 * in microseconds: its events or snapshot applied to the index (or the
	 * replica loaded: decode), reachability, table compile, replica
	 * commit, the rest (status, SNAT ports, sweep); max_batch_us since
	 * start */
	uint64_t batches;
	uint64_t reach_runs;           /* batches that recomputed reachability */
	uint64_t reach_ports;          /* batches that followed the changed
					* ports alone (no full pass) */
	uint64_t batch_apply_us;
	uint64_t batch_reach_us, batch_compile_us, batch_replica_us, batch_other_us;
	uint64_t max_batch_us;
	uint64_t slices_cut;           /* lc_run passes that ended their time slice
					* (LC_SLICE_MS) with events still queued */
	uint64_t yields;               /* calls of the lc_set_yield hook from
					* inside a long pass */
	uint64_t max_hold_us;          /* the longest lc_run held the control
					* thread without returning or yielding */
	/* the snapshot being applied page by page (snapshot_open: nothing
	 * compiles until its end), else the last one applied */
	bool snapshot_open;
	uint64_t snapshot_pages, snapshot_keys;
	unsigned n_index;              /* objects known (global index) */
	unsigned held[8];              /* by enum mdl_type: objects held (replica) */
	unsigned n_local_ports;
	unsigned n_bad;                /* objects currently skipped */
	char last_error[256];          /* sync thread: last central db error */
};

/* Copy defaults into cfg: chassis = hostname, vtep 0.0.0.0, encap vxlan,
 * replica /var/lib/wyvern/replica-<chassis> (filled by lc_config_finish). */
void lc_config_defaults(struct lc_config *cfg);
/* Fill derived defaults (replica path) after cfg was edited. */
void lc_config_finish(struct lc_config *cfg);

/* Create a controller writing into tables t (borrowed; NULL: set them
 * with lc_set_tables before lc_start).  NULL + errno. */
struct lc *lc_create(const struct lc_config *cfg, struct dp_tables *t);
/* Open the replica (here: one another process holds is refused at once)
 * and load it into the index on a thread of its own ("wyv-preload"),
 * while the caller starts EAL and the datapath: the load (decode of every
 * held object) needs neither.  Nothing else may touch lc until lc_start()
 * (or lc_destroy()), which waits for it and reports a load error;
 * lc_set_iface and lc_set_tables touch nothing the load reads and may be
 * called meanwhile.  The sync thread starts here as well (its snapshot
 * queues up until lc_run takes it).  0 (without a thread lc_start loads by itself) or
 * -errno: the replica cannot be opened. */
int lc_preload(struct lc *lc);
/* After EAL, which pins the calling (main) thread to its lcore: the
 * threads lc_preload started before it — the sync thread and the watch
 * threads it made, RocksDB's pool (not the preload, joined before the
 * PMDs start) — get the calling thread's CPUs, as if
 * they had been started after EAL: none of them runs on a PMD's core.
 * Threads they start later inherit it.  The number pinned, or -errno. */
int lc_pin_threads(struct lc *lc);
/* The tables lc_create() was not given. */
void lc_set_tables(struct lc *lc, struct dp_tables *t);
/* Map a Neutron port id (iface-id) to a local dp port.  Call before
 * lc_start(), or later (then the next lc_run() recompiles).  -ENOSPC full. */
int lc_set_iface(struct lc *lc, const char *iface_id, uint16_t dp_port);
/* Open the replica and load it (or wait for lc_preload's thread), compile
 * it, start the sync thread.  Returns without waiting for the central db.
 * 0 or -errno (replica unusable). */
int lc_start(struct lc *lc);
/* The open central database handle (NULL while it is not open yet), for
 * northbound commands run by the control thread; valid until lc_destroy. */
struct db *lc_central_db(struct lc *lc);
/* The replica's handle (NULL before lc_start), for `show memory`. */
struct db *lc_replica_db(struct lc *lc);
/* The central database URL. */
const char *lc_db_url(const struct lc *lc);
/* Readable when lc_run() has work (eventfd). */
int lc_fd(const struct lc *lc);
/* lc_run's time slice: it applies queued events for at most this long,
 * then (between two revisions) compiles what it applied, leaves the rest
 * queued and returns, so the control loop serves punts, DHCP and the
 * management socket in between.  A snapshot comes in pages, one a pass;
 * what a pass cannot cut yields (lc_set_yield). */
#define LC_SLICE_MS 20
/* Apply what is queued, for at most LC_SLICE_MS (see there).  Returns the
 * number of queue entries handled. */
int lc_run(struct lc *lc);
/* What one pass cannot cut at a revision: a snapshot's page (5000 keys
 * decoded), and the compile, replica write and reachability of a big batch
 * (a full sync or a resync: about a second at 100k ports).  Inside those,
 * between two objects, lc_run calls fn(arg) once LC_SLICE_MS went by since
 * it started or last called it, so that the caller serves what must not
 * wait that long: punted packets (DHCP, ARP, ICMP).  fn runs on the
 * control thread in the middle of the pass: it may read the controller
 * (lc_dhcp_lookup, lc_get_config, lc_gateway_chassis, lc_get_stats) and
 * the tables, and update what the datapath learns (a NAT gateway's MAC, a
 * VTEP's neighbor), as between two passes; it must not call lc_run,
 * lc_inject, lc_set_iface or lc_destroy, nor change what the controller
 * compiles (no management commands).  NULL: no yields (the default). */
void lc_set_yield(struct lc *lc, void (*fn)(void *arg), void *arg);
/* Stop the sync thread, close the databases.  Tables keep their contents.
 * NULL is fine. */
void lc_destroy(struct lc *lc);

void lc_get_stats(const struct lc *lc, struct lc_stats *out);
/* What the controller's state occupies in the C heap (`show memory`):
 * malloc'ed bytes (usable size plus the chunk header) by role.  Walks the
 * index: O(objects). */
struct lc_mem {
	size_t objects, object_bytes;   /* index entries (struct lc_obj), keys, compile
					 * state (network, router, address set, ACL
					 * groups) and skip reasons */
	size_t index_bytes;             /* hash buckets, the sorted and changed lists */
	size_t ports, port_bytes;       /* port records (struct lc_port) and their lists */
	size_t other_bytes;             /* other objects: raw JSON and decoded struct */
	size_t strings, string_bytes;   /* interned strings and their table */
};
void lc_get_mem(const struct lc *lc, struct lc_mem *out);
const struct lc_config *lc_get_config(const struct lc *lc);
/* Replica keys (sorted) with the object version held; stops when cb != 0. */
int lc_replica_foreach(struct lc *lc, int (*cb)(const char *key, uint64_t version, void *arg),
		       void *arg);
/* Skipped objects with their reason; stops when cb != 0. */
void lc_foreach_bad(const struct lc *lc, int (*cb)(const char *key, const char *why, void *arg),
		    void *arg);

/* Every chassis of the central database, sorted by id (control thread):
 * fills up to max entries, returns how many there are.  alive: its wyvernd
 * holds its liveness lease now (lc_alive.c). */
struct lc_chassis_info {
	char id[40];
	char name[LC_NAME_LEN];
	char vtep_ip[64];
	char encap[64];
	bool alive;
	bool self;
	bool gateway;                  /* configured gateway = true */
	unsigned gateway_priority;
	bool is_gateway;               /* the elected gateway chassis now (snat = gateway) */
};
size_t lc_chassis_list(struct lc *lc, struct lc_chassis_info *out, size_t max);
/* snat = gateway: the elected gateway chassis (lc_gateway.c) — among the
 * chassis registered with gateway = true that are alive, the highest
 * gateway_priority, ties to the smallest chassis id: every controller
 * computes the same.  0 and *out filled, -ENOENT none (or another mode).
 * Control thread. */
int lc_gateway_chassis(const struct lc *lc, struct lc_chassis_info *out);
/* Is the chassis with this id alive (control thread)? */
bool lc_chassis_alive(const struct lc *lc, const char *id);

/* Every object this chassis holds (reachable from its bound ports), sorted
 * by key, decoded: local = a port bound here, dp_port its dp port (or -1).
 * o is valid during the call only (mdl_obj_dup to keep it).  Stops when cb
 * returns non-zero (or out of memory).  Control thread. */
struct mdl_hdr;
void lc_foreach_held(const struct lc *lc,
		     int (*cb)(const struct mdl_hdr *o, bool local, int dp_port, void *arg),
		     void *arg);

struct dp_ip;
/* ---- the compiled security groups (lc_compile_sg.c; `show security-groups`)
 * What the controller put into the ACL table, not re-derived: call from the
 * control thread; pointers are valid during the callback only. */
struct lc_sg_port {
	const char *id;                /* the port's id (iface-id) */
	const char *name;
	uint32_t lport;                /* key of its ACL (conntrack zone: low 16 bits) */
	const char (*groups)[MDL_ID_SIZE];  /* the groups its ACL was compiled from */
	size_t n_groups;
};
/* Every port with an ACL the controller put; stops when cb != 0. */
void lc_foreach_sg_port(const struct lc *lc,
			int (*cb)(const struct lc_sg_port *p, void *arg), void *arg);
/* Every rule the controller knows with the datapath key mdl_sg_compile gives
 * it (rule objects and rules embedded in groups of held groups). */
void lc_foreach_sg_rule(const struct lc *lc,
			int (*cb)(uint32_t key, const char *rule_id, const char *group_id,
				  void *arg), void *arg);
/* The name of held group id ("" when unknown). */
const char *lc_sg_group_name(const struct lc *lc, const char *id);
/* The group whose address set is `set`, its name and the members last put
 * into the ACL table.  0 or -ENOENT. */
int lc_sg_set(const struct lc *lc, uint32_t set, const char **group_id, const char **name,
	      const struct dp_ip **addrs, uint32_t *n);

/* DHCPv4 data of a held port (lc_dhcp.c, control thread): its first fixed
 * IPv4 address on a subnet with enable_dhcp, and that subnet's options.
 * Addresses in network order.  0, -ENOENT (no such lport / not held),
 * -ENODATA (no fixed IPv4 on a DHCP-enabled subnet). */
#define LC_DHCP_MAX_DNS 8
#define LC_DHCP_MAX_ROUTES 30
struct lc_dhcp_info {
	uint8_t mac[6];
	uint32_t ip, mask, gateway;    /* gateway 0: none */
	uint32_t server_id;            /* gateway, else the subnet's first host */
	uint32_t broadcast;
	uint16_t mtu;                  /* the network's */
	uint8_t n_dns, n_routes;
	uint32_t dns[LC_DHCP_MAX_DNS];
	struct { uint32_t dst, gw; uint8_t plen; } routes[LC_DHCP_MAX_ROUTES];
};
int lc_dhcp_lookup(struct lc *lc, uint32_t lport_key, struct lc_dhcp_info *out);

/* Tests: feed one event as if the watch delivered it (control thread). */
enum lc_ev_type { LC_EV_PUT, LC_EV_DELETE };
int lc_inject(struct lc *lc, enum lc_ev_type type, const char *key, const char *value,
	      uint64_t revision);

/* Text address or prefix ("10.0.0.1", "10.0.0.0/24", v6) -> dp_ip, host
 * bits of a prefix cleared.  ctrl's one IP parser: model's (mdl_addr.h),
 * i.e. exactly what the database accepted, converted for dp's tables.
 * 0 or -EINVAL.  Any thread. */
struct dp_ip;
struct rte_ether_addr;
int lc_ip_parse(const char *s, struct dp_ip *out);
/* A floating IP's MAC on chassis: derived from (chassis, port id), stable
 * per chassis and port (lc_compile_nat.c).  Any thread. */
void lc_fip_mac(struct rte_ether_addr *m, const char *chassis, const char *port_id);

#endif
