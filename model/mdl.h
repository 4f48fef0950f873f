/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl.h — the logical objects of a Neutron-style topology.
 *
 * Every object type is a plain struct whose first member is a `struct mdl_hdr`
 * (type, uuid, datapath key, version).  Generic functions take a
 * `struct mdl_hdr *`; cast it back to the concrete struct with
 * mdl_hdr_to_<type>() after checking hdr->type.
 *
 * Scalar text fields live in fixed-size buffers inside the struct (so most
 * objects are one allocation); lists are heap arrays owned by the object.
 * A "nullable" text field is the empty string when the JSON value is null;
 * a nullable integer is -1 when null.  Text fields are stored as received and
 * only parsed by validation, so a decoded object round-trips byte for byte
 * through the codec and errors can quote what the user sent.
 *
 * JSON field names are Neutron's (provider:network_type, router:external,
 * binding:host_id, security_group_rules, external_gateway_info, ...);
 * `version` is encoded as Neutron's "revision_number".  wyvern extensions:
 * "dp_key", chassis objects, router "interfaces".
 *
 * Ownership: an object returned by mdl_obj_alloc()/mdl_obj_from_json()/
 * mdl_obj_dup() belongs to the caller and is released with mdl_obj_free().
 * Threads: no global state; any thread may use any function on objects it owns.
 * Concurrent readers of one object are fine, a writer needs exclusive access.
 */
#ifndef WYV_MODEL_MDL_H
#define WYV_MODEL_MDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MDL_ID_SIZE 37      /* 36 chars of a UUID + NUL */
#define MDL_NAME_SIZE 256   /* Neutron limits names to 255 characters */
#define MDL_IP_SIZE 64      /* text of an IPv4/IPv6 address */
#define MDL_CIDR_SIZE 64    /* text of a prefix */
#define MDL_MAC_SIZE 32     /* text of a MAC address */
#define MDL_ENUM_SIZE 32    /* enum-like text values */
#define MDL_ERR_SIZE 256    /* suggested size of error buffers */
/* What one datapath port holds (dp/include/tables.h DP_LPORT_MAX_IPS and
 * DP_LPORT_MAX_AAPS, checked at compile time in ctrl/lc): longer lists are
 * refused when written, not skipped by a chassis later. */
#define MDL_PORT_MAX_FIXED_IPS  8
#define MDL_PORT_MAX_ADDR_PAIRS 8

enum mdl_type {
	MDL_CHASSIS,
	MDL_NETWORK,
	MDL_SUBNET,
	MDL_PORT,
	MDL_ROUTER,
	MDL_SECURITY_GROUP,
	MDL_FLOATING_IP,
	MDL_SECURITY_GROUP_RULE,    /* Neutron security_group_rule, its own object */
	MDL_SUBNETPOOL,             /* Neutron subnetpool (API only: no controller use) */
	MDL_N_TYPES
};

struct mdl_hdr {
	enum mdl_type type;
	char id[MDL_ID_SIZE];
	uint32_t dp_key;        /* unique datapath key; allocated by db/, 0 = none yet */
	uint64_t version;       /* bumped on every update ("revision_number") */
	/* "attrs": a JSON object of Neutron API attributes the model stores
	 * but does not interpret (description, tags, created_at, updated_at,
	 * extra_dhcp_opts, binding:vnic_type, ...), owned by the object; NULL
	 * (the default) and {} are not encoded, so objects written without it
	 * keep their JSON byte for byte. */
	json_t *attrs;
};

struct mdl_chassis {
	struct mdl_hdr hdr;
	char name[MDL_NAME_SIZE];
	char vtep_ip[MDL_IP_SIZE];
	char (*encap_types)[MDL_ENUM_SIZE];     /* "vxlan" | "geneve" */
	size_t n_encap_types;
	bool gateway;                           /* may hold routers' gateway IPs
						 * ([ctrl] snat = gateway) */
	int64_t gateway_priority;               /* 0..65535, highest wins */
};

struct mdl_network {
	struct mdl_hdr hdr;
	char name[MDL_NAME_SIZE];
	char project_id[MDL_NAME_SIZE];
	int64_t mtu;
	char network_type[MDL_ENUM_SIZE];        /* vxlan|geneve|vlan|flat|local */
	int64_t segmentation_id;                 /* -1 = null */
	char physical_network[MDL_NAME_SIZE];    /* "" = null */
	bool external;                           /* "router:external" */
	bool admin_state_up;
};

struct mdl_host_route {
	char destination[MDL_CIDR_SIZE];
	char nexthop[MDL_IP_SIZE];
};

struct mdl_alloc_pool {
	char start[MDL_IP_SIZE];
	char end[MDL_IP_SIZE];
};

struct mdl_subnet {
	struct mdl_hdr hdr;
	char name[MDL_NAME_SIZE];
	char project_id[MDL_NAME_SIZE];
	char network_id[MDL_ID_SIZE];
	int64_t ip_version;
	char cidr[MDL_CIDR_SIZE];
	char gateway_ip[MDL_IP_SIZE];            /* "" = null */
	bool enable_dhcp;
	char (*dns_nameservers)[MDL_IP_SIZE];
	size_t n_dns_nameservers;
	struct mdl_host_route *host_routes;
	size_t n_host_routes;
	struct mdl_alloc_pool *allocation_pools;
	size_t n_allocation_pools;
	char ipv6_address_mode[MDL_ENUM_SIZE];   /* "" = null */
	char ipv6_ra_mode[MDL_ENUM_SIZE];        /* "" = null */
	char subnetpool_id[MDL_ID_SIZE];         /* "" = null, then not encoded (subnets
						  * written before pools keep their bytes) */
};

struct mdl_fixed_ip {
	char subnet_id[MDL_ID_SIZE];
	char ip_address[MDL_IP_SIZE];
};

struct mdl_addr_pair {
	char ip_address[MDL_CIDR_SIZE];          /* address or prefix */
	char mac_address[MDL_MAC_SIZE];          /* "" = the port's MAC */
};

struct mdl_port {
	struct mdl_hdr hdr;
	char name[MDL_NAME_SIZE];
	char project_id[MDL_NAME_SIZE];
	char network_id[MDL_ID_SIZE];
	char mac_address[MDL_MAC_SIZE];
	struct mdl_fixed_ip *fixed_ips;
	size_t n_fixed_ips;
	struct mdl_addr_pair *allowed_address_pairs;
	size_t n_allowed_address_pairs;
	bool port_security_enabled;
	char (*security_groups)[MDL_ID_SIZE];
	size_t n_security_groups;
	char device_owner[MDL_NAME_SIZE];
	char device_id[MDL_NAME_SIZE];
	char binding_host_id[MDL_NAME_SIZE];     /* "binding:host_id" */
	bool admin_state_up;
};

struct mdl_router_if {
	char subnet_id[MDL_ID_SIZE];
	char port_id[MDL_ID_SIZE];               /* "" = none */
	char ip_address[MDL_IP_SIZE];
};

struct mdl_router_gw {
	char network_id[MDL_ID_SIZE];
	bool enable_snat;
	struct mdl_fixed_ip *external_fixed_ips;
	size_t n_external_fixed_ips;
};

struct mdl_router {
	struct mdl_hdr hdr;
	char name[MDL_NAME_SIZE];
	char project_id[MDL_NAME_SIZE];
	bool admin_state_up;
	struct mdl_router_if *interfaces;
	size_t n_interfaces;
	struct mdl_host_route *routes;
	size_t n_routes;
	bool has_gateway;                        /* external_gateway_info != null */
	struct mdl_router_gw gateway;
};

struct mdl_sg_rule {
	char id[MDL_ID_SIZE];
	char direction[MDL_ENUM_SIZE];           /* ingress|egress */
	char ethertype[MDL_ENUM_SIZE];           /* IPv4|IPv6 */
	char protocol[MDL_ENUM_SIZE];            /* name, decimal number, or "" = any */
	bool protocol_is_number;                 /* JSON carried an integer */
	int64_t port_range_min;                  /* -1 = null */
	int64_t port_range_max;                  /* -1 = null */
	char remote_ip_prefix[MDL_CIDR_SIZE];    /* "" = null */
	char remote_group_id[MDL_ID_SIZE];       /* "" = null */
};

struct mdl_security_group {
	struct mdl_hdr hdr;
	char name[MDL_NAME_SIZE];
	char project_id[MDL_NAME_SIZE];
	bool stateful;                           /* Neutron "stateful", default true */
	/* "security_group_rules": rules embedded in the group (what wyctl
	 * `security-group create` writes today).  Kept for compatibility; rules
	 * may also be separate MDL_SECURITY_GROUP_RULE objects naming the group.
	 * mdl_sg_compile() takes both. */
	struct mdl_sg_rule *rules;
	size_t n_rules;
};

/* A security-group rule as its own object (Neutron security_group_rule):
 * id (hdr), security_group_id, description, project_id and the rule fields
 * (direction, ethertype, protocol, port_range_min/max, remote_ip_prefix,
 * remote_group_id) in `rule` (rule.id is unused: the id is hdr.id). */
struct mdl_security_group_rule {
	struct mdl_hdr hdr;
	char security_group_id[MDL_ID_SIZE];
	char description[MDL_NAME_SIZE];
	char project_id[MDL_NAME_SIZE];
	struct mdl_sg_rule rule;
};

struct mdl_floating_ip {
	struct mdl_hdr hdr;
	char project_id[MDL_NAME_SIZE];
	char floating_network_id[MDL_ID_SIZE];
	char floating_ip_address[MDL_IP_SIZE];
	char port_id[MDL_ID_SIZE];               /* "" = null */
	char fixed_ip_address[MDL_IP_SIZE];      /* "" = null */
	char router_id[MDL_ID_SIZE];             /* "" = null */
	char subnet_id[MDL_ID_SIZE];             /* the external subnet holding the
						  * address ("" = unknown, written
						  * before it was kept): its claim */
};

/* Neutron subnet pool (subnet_allocation).  prefixes: canonical (masked,
 * merged) CIDRs, all of ip_version; min_prefixlen <= default_prefixlen <=
 * max_prefixlen <= 32 / 128, min_prefixlen >= the shortest prefix's length
 * is not required (Neutron does not either).  address_scope_id is kept
 * null (no address scopes). */
struct mdl_subnetpool {
	struct mdl_hdr hdr;
	char name[MDL_NAME_SIZE];
	char project_id[MDL_NAME_SIZE];
	char (*prefixes)[MDL_CIDR_SIZE];
	size_t n_prefixes;
	int64_t ip_version;
	int64_t default_prefixlen;
	int64_t min_prefixlen;
	int64_t max_prefixlen;
	bool shared;
	bool is_default;
	char address_scope_id[MDL_ID_SIZE];      /* "" = null */
};

/* Type names: "chassis", "network", "subnet", "port", "router",
 * "security_group", "floating_ip", "security_group_rule",
 * "subnetpool".  Returns NULL for an invalid type. */
const char *mdl_type_name(enum mdl_type type);
/* Returns the type for a name, or -EINVAL. */
int mdl_type_from_name(const char *name);

/* Allocates a zeroed object of `type` with Neutron's defaults filled in
 * (admin_state_up, enable_dhcp, port_security_enabled = true, mtu 1500,
 * nullable integers -1).  NULL + errno on failure. */
struct mdl_hdr *mdl_obj_alloc(enum mdl_type type);
/* Frees an object and everything it owns.  NULL is fine. */
void mdl_obj_free(struct mdl_hdr *obj);
/* Deep copy.  NULL + errno. */
struct mdl_hdr *mdl_obj_dup(const struct mdl_hdr *obj);

/* JSON codec.  mdl_obj_from_json() checks JSON structure only (field types,
 * unknown fields, required fields, text lengths); it writes a message such as
 * "fixed_ips[0].ip_address: expected a string" into err (if err_size > 0) and
 * returns NULL with errno EINVAL.  It does not take ownership of `json`. */
struct mdl_hdr *mdl_obj_from_json(enum mdl_type type, const json_t *json,
		char *err, size_t err_size);
/* Same, from text. */
struct mdl_hdr *mdl_obj_from_string(enum mdl_type type, const char *text,
		char *err, size_t err_size);
/* Returns a new reference (caller json_decref()s), NULL + errno on failure. */
json_t *mdl_obj_to_json(const struct mdl_hdr *obj);
/* Compact JSON text with sorted keys, caller free()s; NULL + errno. */
char *mdl_obj_to_string(const struct mdl_hdr *obj);

/* Single-object checks (UUIDs, addresses, prefixes, MACs, ranges, enums,
 * combinations).  0, or -EINVAL with a precise message in err. */
int mdl_obj_validate(const struct mdl_hdr *obj, char *err, size_t err_size);

/* Access to other objects for mdl_validate_against().
 * get(): returns a new object the caller frees, or NULL if absent.
 * foreach(): calls fn for every object of `type` (the object is only valid
 *   during the call); stops early and returns fn's value if fn returns non-zero;
 *   returns 0 when done or -errno on a lookup failure.
 * Both are called on the thread that called mdl_validate_against(). */
struct mdl_lookup {
	struct mdl_hdr *(*get)(void *ctx, enum mdl_type type, const char *id);
	int (*foreach)(void *ctx, enum mdl_type type,
			int (*fn)(const struct mdl_hdr *obj, void *arg), void *arg);
	void *ctx;
};

/* Checks that need other objects: dangling references, overlapping subnets
 * in a network, fixed IPs outside their subnet or of the wrong version,
 * duplicate MACs and fixed IPs in a network.  An object with the same id as
 * `obj` found through the lookup is treated as the old version of `obj` and
 * ignored.  Call mdl_obj_validate() first.  0, -EINVAL with a message, or
 * -errno from the lookup. */
int mdl_validate_against(const struct mdl_hdr *obj, const struct mdl_lookup *lk,
		char *err, size_t err_size);

static inline struct mdl_chassis *mdl_hdr_to_chassis(struct mdl_hdr *h)
{ return (struct mdl_chassis *)h; }
static inline struct mdl_network *mdl_hdr_to_network(struct mdl_hdr *h)
{ return (struct mdl_network *)h; }
static inline struct mdl_subnet *mdl_hdr_to_subnet(struct mdl_hdr *h)
{ return (struct mdl_subnet *)h; }
static inline struct mdl_port *mdl_hdr_to_port(struct mdl_hdr *h)
{ return (struct mdl_port *)h; }
static inline struct mdl_router *mdl_hdr_to_router(struct mdl_hdr *h)
{ return (struct mdl_router *)h; }
static inline struct mdl_security_group *mdl_hdr_to_sg(struct mdl_hdr *h)
{ return (struct mdl_security_group *)h; }
static inline struct mdl_floating_ip *mdl_hdr_to_fip(struct mdl_hdr *h)
{ return (struct mdl_floating_ip *)h; }
static inline struct mdl_security_group_rule *mdl_hdr_to_sg_rule(struct mdl_hdr *h)
{ return (struct mdl_security_group_rule *)h; }
static inline struct mdl_subnetpool *mdl_hdr_to_subnetpool(struct mdl_hdr *h)
{ return (struct mdl_subnetpool *)h; }

#endif
