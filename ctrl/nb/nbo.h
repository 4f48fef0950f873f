/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo.h — northbound operations on a `struct nb` handle (db/nb.h):
 * create, read, update, delete and list Neutron resources given and
 * returned as Neutron v2.0 JSON (the attributes the REST API shows), with
 * Neutron's defaults and allocations:
 *  - networks: provider:network_type from the configuration, a
 *    segmentation id allocated from vni-ranges / vlan-ranges, mtu derived
 *    from the encapsulation (underlay 1500: vxlan 1450, geneve 1442);
 *  - subnets: ip_version from the cidr, default gateway (first host),
 *    allocation_pools (the cidr minus network/broadcast/gateway);
 *  - ports: fixed IPs allocated from the pools (a lost race on an
 *    allocated address retries with another one; a requested address
 *    lost is MacAddressInUse / IpAddressAlreadyAllocated), MAC generated;
 *  - routers: add/remove_router_interface by subnet or port, one
 *    transaction each (port + router);
 *  - subnet pools: canonical prefixes, prefix length bounds; a subnet with
 *    subnetpool_id gets the lowest free block of the pool (nbo_pool.c).
 * Every write is one nb_apply() (one db transaction); the attributes the
 * model does not interpret (description, tags, created_at, updated_at,
 * extra_dhcp_opts, binding:vnic_type, binding:profile, shared, ...) are kept
 * in the object's "attrs" (model/mdl.h).  Reads come from the handle's
 * index when it has one (lists, filters by indexed attributes) and from the
 * db for a single object (fresh, with its mod_revision).
 *
 * Errors: -errno plus a Neutron error type and message in struct nbo_err:
 *   -EINVAL   400 (InvalidInput, BadRequest, HTTPBadRequest)
 *   -ENOENT   404 (NetworkNotFound, SubnetNotFound, PortNotFound, ...)
 *   -EADDRINUSE / -EBUSY / -EEXIST / -ENOSPC / -EAGAIN   409
 *             (MacAddressInUse, IpAddressAlreadyAllocated, NetworkInUse,
 *              SubnetInUse, PortInUse, RouterInUse, InvalidInput for an
 *              overlapping cidr is reported as 409 SubnetOverlap,
 *              IpAddressGenerationFailure, ...)
 *   -ECANCELED 412 (RevisionNumberConstraintFailed: If-Match mismatch)
 *   other -errno: the db failed (503).
 *
 * Ownership: JSON given is borrowed; JSON returned (*out) is the caller's
 * (json_decref).  Threads: any number of threads may call these on one
 * struct nbo at once (the nb handle is thread-safe; nbo keeps no mutable
 * state but the allocation hints, under their mutex).  No DPDK.
 */
#ifndef WYV_CTRL_NBO_H
#define WYV_CTRL_NBO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "mdl.h"
#include "nb.h"

#define NBO_MAX_RANGES 16

struct nbo_range {
	char physnet[64];       /* vlan ranges: the physical network */
	uint32_t lo, hi;
};

struct nbo_config {
	char network_type[16];          /* default provider:network_type ("vxlan") */
	unsigned underlay_mtu;          /* 1500 */
	struct nbo_range vni[NBO_MAX_RANGES];
	size_t n_vni;
	struct nbo_range vlan[NBO_MAX_RANGES];
	size_t n_vlan;
	char vif_type[16];              /* binding:vif_type of bound ports: tap|vhostuser */
	char vhost_dir[128];            /* vhostuser socket directory */
	char default_project[64];       /* project_id when neither body nor caller give one */
};

#define NBO_HINTS 64

/* Where the next address search of a subnet starts (after the last
 * address this process allocated there), so allocation probes a few
 * addresses instead of every used one. */
struct nbo_hint {
	char subnet[MDL_ID_SIZE];
	char next[MDL_IP_SIZE];
};

struct nbo {
	struct nb *nb;                  /* borrowed */
	struct nbo_config cfg;
	pthread_mutex_t hint_mu;        /* hints */
	struct nbo_hint hints[NBO_HINTS];
	unsigned hint_clock;            /* next slot to replace */
};

struct nbo_err {
	char type[64];                  /* Neutron error type */
	char msg[512];
};

/* Sets up o over nb (borrowed) with cfg (copied); nbo_fini undoes it. */
void nbo_init(struct nbo *o, struct nb *nb, const struct nbo_config *cfg);
void nbo_fini(struct nbo *o);

/* Defaults: vxlan, 1500, vni 1048576:16777215, no vlan ranges, vif tap,
 * vhost dir /var/run/wyvern. */
void nbo_config_defaults(struct nbo_config *cfg);
/* "lo:hi[,lo:hi...]" (vni) or "physnet:lo:hi[,...]" (vlan) into cfg.
 * 0 or -EINVAL with a message in msg. */
int nbo_parse_ranges(struct nbo_config *cfg, bool vlan, const char *s, char *msg,
		     size_t size);

/* Resource type of a Neutron collection name ("networks", "subnets",
 * "ports", "routers", "security-groups", "floatingips", "subnetpools"); -EINVAL. */
int nbo_type_of_collection(const char *plural);
/* "network", "subnet", "port", "router", "security_group", "floatingip". */
const char *nbo_singular(enum mdl_type type);
const char *nbo_plural(enum mdl_type type);
/* The URL collection name ("security-groups"; else the plural). */
const char *nbo_collection(enum mdl_type type);

/* Create from a Neutron body (the object inside the singular key).
 * project: the caller's project ("" = body or default). */
int nbo_create(struct nbo *o, enum mdl_type type, const json_t *body, const char *project,
	       json_t **out, struct nbo_err *e);
/* The Neutron view of one object. */
int nbo_show(struct nbo *o, enum mdl_type type, const char *id, json_t **out,
	     struct nbo_err *e);
/* Partial update.  if_match: 0 none, else the revision_number the object
 * must still have (-ECANCELED otherwise). */
int nbo_update(struct nbo *o, enum mdl_type type, const char *id, const json_t *body,
	       uint64_t if_match, json_t **out, struct nbo_err *e);
int nbo_delete(struct nbo *o, enum mdl_type type, const char *id, uint64_t if_match,
	       struct nbo_err *e);
/* Every object of type matching f (indexed attributes; NULL = all), as an
 * array of Neutron views sorted by id.  The caller filters the rest. */
int nbo_list(struct nbo *o, enum mdl_type type, const struct nb_filter *f, json_t **out,
	     struct nbo_err *e);
/* Tags sub-resource: replace all (tags NULL = remove all), add one,
 * remove one (-ENOENT if absent). */
int nbo_tags_set(struct nbo *o, enum mdl_type type, const char *id, const json_t *tags,
		 json_t **out, struct nbo_err *e);
int nbo_tag_add(struct nbo *o, enum mdl_type type, const char *id, const char *tag,
		struct nbo_err *e);
int nbo_tag_del(struct nbo *o, enum mdl_type type, const char *id, const char *tag,
		struct nbo_err *e);
/* add_router_interface / remove_router_interface: body {"subnet_id"} or
 * {"port_id"}; *out = Neutron's answer {id, subnet_id, subnet_ids,
 * port_id, network_id, tenant_id, project_id}. */
int nbo_router_iface(struct nbo *o, const char *router_id, bool add, const json_t *body,
		     json_t **out, struct nbo_err *e);

/* ---- shared by nbo*.c (not for other users) ---- */
/* Router gateway ports (nbo_gwport.c): views of external_gateway_info,
 * never stored.  Append those matching f to out (a list of ports); find one
 * by port id (-ENOENT; out NULL: only whether it exists); 0 when port_id is
 * no gateway port, else -EBUSY (409 L3PortInUse) with e set. */
int nbo_gw_ports_append(struct nbo *o, const struct nb_filter *f, json_t *out);
int nbo_gw_port_find(struct nbo *o, const char *port_id, json_t **out);
int nbo_gw_port_refuse(struct nbo *o, const char *port_id, bool del, struct nbo_err *e);

int nbo_fail(struct nbo_err *e, int rc, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Map an nb_apply error (-errno + message) onto a Neutron type. */
int nbo_db_fail(struct nbo_err *e, int rc, enum mdl_type type, const char *msg);
/* Fill a new object's defaults (allocations) into its model JSON.
 * auto_ips: which fixed_ips entries were allocated (bitmask, ports). */
int nbo_net_defaults(struct nbo *o, json_t *m, const int64_t *avoid, size_t n_avoid,
		     struct nbo_err *e);
int nbo_subnet_defaults(struct nbo *o, json_t *m, struct nbo_err *e);
int nbo_port_ips(struct nbo *o, json_t *m, bool create, const char *self_id,
		 const json_t *avoid, uint64_t *auto_ips, struct nbo_err *e);
/* Security groups and floating IPs (nbo_sec.c): a group is written with
 * its two egress rules and deleted with its rule objects, one batch each. */
int nbo_sg_create(struct nbo *o, struct mdl_hdr *g, uint64_t *rev, char *err, size_t es,
		  json_t **rules_view);
int nbo_sg_delete(struct nbo *o, const char *gid, uint64_t mod, uint64_t *rev, char *err,
		  size_t es);
int nbo_sg_view(struct nbo *o, const struct mdl_hdr *h, json_t *v);
json_t *nbo_rule_view(const struct mdl_hdr *h);
int nbo_fip_defaults(struct nbo *o, json_t *m, bool create, const char *self,
		     const json_t *avoid, struct nbo_err *e);
/* A router gateway without external_fixed_ips gets one address of its
 * external network (not a port's, a floating IP's or another gateway's). */
/* Batch ops (into ops, room for n) that go with deleting object id of type
 * t: a port's floating IPs lose their association (updated in place in
 * fips), a network's unassociated floating IPs are deleted.  Their count. */
size_t nbo_fip_delete_ops(enum mdl_type t, const char *id, struct mdl_hdr **fips, size_t n,
			  struct nb_op *ops);
/* Deleting a SLAAC subnet (Neutron): the ports holding its EUI-64
 * addresses lose them in the same batch.  *ops (*n of them, caller frees
 * with free()) update *ports (nb_list_free()); none for other subnets. */
int nbo_slaac_delete_ops(struct nbo *o, const struct mdl_hdr *subnet, struct mdl_hdr ***ports,
			 size_t *n, struct nb_op **ops);
/* Addresses of network net that are no port's: floating IPs and router
 * gateways, except object self's own.  A new array of strings, or NULL. */
json_t *nbo_ext_addrs(struct nbo *o, const char *net, const char *self);
int nbo_router_gw_defaults(struct nbo *o, json_t *m, const char *self, struct nbo_err *e);
/* Subnet pools (nbo_pool.c).  nbo_pool_grow: a PUT's prefixes must cover
 * the current ones (cur: the stored model JSON).  nbo_pool_prepare: a
 * pool's model JSON completed (canonical prefixes, ip_version, prefix
 * length defaults) and checked.  nbo_subnet_pool: a new subnet's cidr from
 * its subnetpool_id (allocated, avoiding the cidrs in avoid, or checked),
 * then nbo_subnet_defaults.  nbo_pool_retry: after -EADDRINUSE, true (and
 * the lost cidr appended to avoid) when the subnet's allocated cidr lost a
 * race inside its pool. */
int nbo_pool_grow(const json_t *cur, const json_t *body, struct nbo_err *e);
int nbo_pool_prepare(json_t *m, struct nbo_err *e);
int nbo_subnet_pool(struct nbo *o, json_t *m, const json_t *avoid, struct nbo_err *e);
bool nbo_pool_retry(const json_t *m0, const struct mdl_hdr *h, const char *err, json_t *avoid);
/* "Network", "Subnet pool", ...: the words of NotFound messages. */
const char *nbo_title(enum mdl_type type);
const char *nbo_words(enum mdl_type type);
/* The Neutron view of a model object. */
json_t *nbo_view(struct nbo *o, const struct mdl_hdr *h);
/* Current UTC time "YYYY-MM-DDTHH:MM:SSZ". */
void nbo_now(char buf[32]);

#endif
