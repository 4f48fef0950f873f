/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb.h — northbound: model objects stored in a db, one db transaction per
 * operation.
 *
 * Key layout (db/DESIGN.md has the full table):
 *   /wyvern/v1/<type>/<uuid>              object JSON (mdl_obj_to_string)
 *   /wyvern/v1/_uniq/mac/<net>/<mac>      "port/<id>"  MAC per network
 *   /wyvern/v1/_uniq/ip/<subnet>/<ip>     "port/<id>"  fixed IP per subnet
 *   /wyvern/v1/_uniq/segid/vni/<n>        "network/<id>" VNI (vxlan and geneve)
 *   /wyvern/v1/_uniq/segid/vlan/<phys>/<n> "network/<id>" VLAN id per physnet
 *   /wyvern/v1/_uniq/cidrs/<net>          "<subnet id> <cidr>\n"... the CIDR set
 *   /wyvern/v1/_uniq/poolcidrs/<pool>     the same for the subnets of a subnet pool
 *   /wyvern/v1/_uniq/default_pool/<4|6>   "subnetpool/<id>": the default pool
 *   /wyvern/v1/_uniq/default_sg/p/<project>  "security_group/<id>": the
 *   /wyvern/v1/_uniq/default_sg/none         project's group named "default"
 *   /wyvern/v1/_ref/<id>                  refs guard, put by every new referrer
 *   /wyvern/v1/_ref/<id>/<type>/<rid>     "" back-reference: rid refers to id
 *   /wyvern/v1/_alloc/dp_key              datapath key counter
 *
 * Every operation (or batch, nb_apply) is ONE transaction that writes the
 * objects, their claims and back-references together, and compares:
 *  - each new claim absent (claims an object already holds are kept);
 *  - the CIDR set of each touched network and subnet pool at the revision
 *    that was checked;
 *  - each referenced object present (subnets of fixed IPs: unchanged);
 *  - each updated/deleted object at the revision its old claims were read;
 *  - for a delete, the refs guard at the revision at which the
 *    back-reference prefix was seen empty (so a referrer that commits in
 *    between makes the delete fail and retry, and it then answers -EBUSY).
 * A write whose outcome is unknown (db error after sending, or a compare
 * that fails because the driver's own retry found the first try applied) is
 * resolved by re-reading: the operation counts as done if every object is
 * as written (a create's JSON carries its unique dp_key).
 *
 * Errors: -EINVAL invalid input (message in err), -EEXIST id taken,
 * -EADDRINUSE MAC / IP / CIDR overlap / segmentation id taken (message),
 * -ENOENT missing object, -EBUSY deleting a referenced object (message
 * "<type> <id> is in use by <type> <id>"), -EAGAIN changed meanwhile
 * (expected_mod_revision) or too much contention, other -errno from the db.
 *
 * Ownership: objects passed in stay the caller's (create/update fill in id,
 * mac, dp_key and version in place); objects returned are the caller's to
 * mdl_obj_free() / nb_list_free().  The db is borrowed and must outlive the
 * struct nb.
 * Threads: the plain nb_*(db, ...) functions keep no state; a struct nb
 * may be shared by any number of threads (index under a rwlock, dp_key
 * block under a mutex) except nb_close().
 */
#ifndef WYV_DB_NB_H
#define WYV_DB_NB_H

#include "db.h"
#include "mdl.h"

struct nb;

#define NB_DP_KEY_BLOCK 64      /* dp_keys reserved per counter CAS by a handle */

/* Handle options. */
enum {
	NB_F_INDEX = 1 << 0,    /* load an in-memory index and follow it by watch */
	NB_F_DP_BLOCK = 1 << 1, /* reserve dp_keys NB_DP_KEY_BLOCK at a time */
};

/* Opens a handle on db.  With NB_F_INDEX it scans /wyvern/v1/ once and then
 * follows a db_watch; validation and nb_find() use the index.  Without it,
 * lookups read the db (fine for one-shot tools).  NULL + errno. */
struct nb *nb_open(struct db *db, unsigned flags);
/* Cancels the watch, frees the index.  NULL is fine. */
void nb_close(struct nb *nb);
struct db *nb_db(struct nb *nb);
/* Waits until the index has applied every event up to `revision`
 * (0 = the db's current revision; pass a revision that wrote under
 * /wyvern/v1/, e.g. one returned by a write, or it waits for the next
 * event).  0, -ETIMEDOUT, -EINVAL (no index). */
int nb_index_wait(struct nb *nb, uint64_t revision, int timeout_ms);
/* Waits until object id is in the index at mod_revision >= revision (or,
 * gone == true, until it is absent).  The index applies a revision's events
 * as they arrive (the drivers do not mark a revision's end), so after a
 * multi-object write nb_index_wait may return before the writer's own
 * object is in; this waits for that object.  0, -ETIMEDOUT, -EINVAL. */
int nb_index_wait_obj(struct nb *nb, const char *id, uint64_t revision, bool gone,
		      int timeout_ms);

/* Counters of a handle (monotonic, any thread). */
struct nb_stats {
	uint64_t ops;           /* nb_apply calls */
	uint64_t txns;          /* db transactions sent */
	uint64_t retries;       /* failed compares that led to another attempt */
	uint64_t unknown;       /* db errors after sending (outcome unknown) */
	uint64_t resolved;      /* failures/unknowns found applied by re-reading */
	uint64_t mac_regen;     /* generated MACs found taken and drawn again */
};
void nb_get_stats(struct nb *nb, struct nb_stats *out);

/* A port created without mac_address gets a generated one,
 * fa:16:3e:XX:XX:XX with 24 random bits (Neutron's base MAC).  With 10^4
 * ports on a network two draws collide now and then, so a generated MAC
 * found taken (its claim held by another port) is drawn again, up to
 * NB_MAC_DRAWS times, inside the same nb_apply (a MAC the caller gave still
 * answers -EADDRINUSE).  nb_set_mac_generator replaces the random draw
 * (gen writes a MAC into mac; 0 or -errno); NULL restores it.  Set it
 * before the handle is shared (not synchronised). */
#define NB_MAC_DRAWS 16
void nb_set_mac_generator(struct nb *nb, int (*gen)(void *arg, char *mac, size_t size),
			  void *arg);

/* The claim key of a project's default security group (the group named
 * "default" of project_id): "/wyvern/v1/_uniq/default_sg/p/<project>", or
 * ".../default_sg/none" for "" (no project).  A group named "default" claims it on create, so a project
 * has at most one and two writers creating it at once cannot both succeed
 * (the second gets -EADDRINUSE).  Returns snprintf's value or -EINVAL. */
int nb_default_sg_key(const char *project_id, char *buf, size_t size);
/* The id of project_id's default group from its claim key.  0, -ENOENT
 * (none yet), -EIO (bad claim value) or a db error. */
int nb_default_sg_get(struct db *db, const char *project_id, char id[MDL_ID_SIZE]);

/* The CIDR set of subnet pool pool_id (its subnets, "<subnet id> <cidr>\n"
 * lines; "" for none), read from the db: what allocation from the pool
 * avoids.  *set is the caller's (free()); 0 or a db error. */
int nb_pool_cidrs_get(struct db *db, const char *pool_id, char **set);

/* "/wyvern/v1/<type>/<id>" into buf; returns snprintf's value or -EINVAL. */
int nb_key(enum mdl_type type, const char *id, char *buf, size_t size);

/* ---- operations on a handle ---- */

enum nb_op_kind { NB_OP_CREATE, NB_OP_UPDATE, NB_OP_DELETE };

struct nb_op {
	enum nb_op_kind kind;
	struct mdl_hdr *obj;            /* CREATE/UPDATE: filled in as by nb_create */
	enum mdl_type type;             /* DELETE */
	char id[MDL_ID_SIZE];           /* DELETE */
	uint64_t expected_mod_revision; /* UPDATE/DELETE: 0 = what is stored now */
};

/* Applies ops[0..n) in one transaction: validation sees the batch's own
 * objects (a router may name a port created in the same batch), claims and
 * references of all ops are merged.  All or nothing.  Errors as above; the
 * message names the failing object. */
int nb_apply(struct nb *nb, struct nb_op *ops, size_t n, uint64_t *revision,
	     char *err, size_t err_size);
int nb_h_create(struct nb *nb, struct mdl_hdr *obj, uint64_t *revision,
		char *err, size_t err_size);
int nb_h_update(struct nb *nb, struct mdl_hdr *obj, uint64_t expected_mod_revision,
		uint64_t *revision, char *err, size_t err_size);
int nb_h_delete(struct nb *nb, enum mdl_type type, const char *id,
		uint64_t expected_mod_revision, char *err, size_t err_size);
/* Creates `port` (device_owner "network:router_interface", device_id =
 * router) and adds {subnet of its first fixed IP, port, ip} to the router,
 * in one transaction.  -ENOENT router, -EINVAL port without a fixed IP. */
int nb_add_router_interface(struct nb *nb, const char *router_id, struct mdl_hdr *port,
			    uint64_t *revision, char *err, size_t err_size);
/* Removes the router's interface on port_id and deletes that port, in one
 * transaction.  -ENOENT if the router has no such interface. */
int nb_remove_router_interface(struct nb *nb, const char *router_id, const char *port_id,
			       uint64_t *revision, char *err, size_t err_size);

/* ---- index lookups (NB_F_INDEX; without an index they scan the db) ---- */

/* Filter for nb_find(); NULL/"" fields match anything.  The most selective
 * indexed field is used (mac+network, ip+subnet, device_id, network_id,
 * security_group_id of rules), the
 * rest is checked on the candidates, so the cost follows the result.
 * Without an index, a stored value that does not hold the filter's plain
 * ids (letters, digits, '-', '_', '.') as text is not decoded. */
struct nb_filter {
	const char *network_id;         /* ports, subnets */
	const char *mac_address;        /* ports (with network_id) */
	const char *subnet_id;          /* ports: fixed_ips.subnet_id */
	const char *ip_address;         /* ports: fixed_ips.ip_address (with subnet_id) */
	const char *device_id;          /* ports */
	const char *device_owner;       /* ports */
	const char *security_group_id;  /* security-group rules of one group */
};
int nb_find(struct nb *nb, enum mdl_type type, const struct nb_filter *f,
	    struct mdl_hdr ***objs, size_t *n);
/* Does a port hold ip in subnet_id?  1 / 0 / -errno.  With an index one
 * hash lookup without decoding anything (address allocation probes with
 * it); without, one read of the address's claim key. */
int nb_ip_used(struct nb *nb, const char *subnet_id, const char *ip);
/* The status ("ACTIVE", "DOWN") the chassis binding the port reported under
 * /wyvern/v1/_status/<chassis>/port/<port> (ctrl/lc/lc_status.c), into out;
 * -ENOENT when none has (unbound, or its chassis is gone: the key lives
 * under the chassis' lease).  With an index one hash lookup; without, one
 * read of the key of host (the port's binding:host_id, whose chassis id is
 * mdl_chassis_id(host)), or a scan of _status/ when host is NULL. */
int nb_port_status(struct nb *nb, const char *port_id, const char *host, char *out,
		   size_t size);

/* ---- the original db-level API (kept: wyctl, lc_sync, tests) ----
 * Same operations through a temporary handle without index and without a
 * dp_key block (the counter CAS is in the operation's transaction). */

/* Creates obj: generates id (and a port's MAC, fa:16:3e:xx:xx:xx) if empty,
 * allocates dp_key, sets version 1.  *revision (may be NULL) = the commit
 * revision. */
int nb_create(struct db *db, struct mdl_hdr *obj, uint64_t *revision,
	      char *err, size_t err_size);
/* Reads one object; *mod_revision (may be NULL) for a later update. -ENOENT. */
int nb_get(struct db *db, enum mdl_type type, const char *id, struct mdl_hdr **out,
	   uint64_t *mod_revision);
/* A read memo for one command, this thread only.  Between nb_memo_begin()
 * and nb_memo_end(), nb_get() answers a key it already read with the copy
 * it read, until a write through this module on the thread (the txn of
 * nb_apply, or of the dp_key allocator, whatever its outcome) or
 * nb_memo_forget() drops them all.  One command reads the object it changes
 * several times on its way through the layers (the name or id, the update's
 * read-modify-write, the API operation's own read, the gateway-port check);
 * over etcd each read is a round trip.  Writes still compare the
 * mod_revision the first read returned, so another writer's change in
 * between fails the txn as before, and the retry reads again.  At most
 * NB_MEMO_MAX keys, an absent key (-ENOENT) included; besides nb_get(), only a port's status read by its
 * binding host (nb_port_status) is memoized; scans and nb_apply's own reads
 * are not.
 * nb_memo_end() frees the copies; nb_memo_hits() counts this thread's
 * answers from the memo (tests). */
#define NB_MEMO_MAX 16
void nb_memo_begin(void);
void nb_memo_end(void);
void nb_memo_forget(void);
uint64_t nb_memo_hits(void);
/* Replaces the stored object with obj (same type and id).  If
 * expected_mod_revision is non-zero the stored object must still be at it.
 * version + 1, dp_key kept. */
int nb_update(struct db *db, struct mdl_hdr *obj, uint64_t expected_mod_revision,
	      uint64_t *revision, char *err, size_t err_size);
int nb_delete(struct db *db, enum mdl_type type, const char *id,
	      uint64_t expected_mod_revision, char *err, size_t err_size);
/* All objects of a type, sorted by id (a db scan). */
int nb_list(struct db *db, enum mdl_type type, struct mdl_hdr ***objs, size_t *n);
void nb_list_free(struct mdl_hdr **objs, size_t n);

#endif
