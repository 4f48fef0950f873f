/* wyvern model: security groups compiled into datapath ACL rules.
 *
 * Pure functions (no DPDK, no I/O) the controller calls for each port with
 * port security: Neutron rules in, the flat allow-rule list dp/acl.h takes
 * out (struct mdl_acl_rule mirrors struct dp_acl_rule field by field; the
 * controller copies it over).
 *
 * Neutron semantics encoded here:
 *  - rules only allow; nothing matching = deny (the datapath's default);
 *  - direction ingress = to the port (remote = packet source), egress = from
 *    the port (remote = packet destination);
 *  - protocol null, "any" or 0 = any protocol; "icmp" on an IPv6 rule means
 *    ICMPv6 (Neutron's legacy conversion);
 *  - tcp/udp/sctp/dccp/udplite: port_range_min..max is the DESTINATION port
 *    range (null = any); the source port is never matched;
 *  - icmp/icmpv6: port_range_min is the ICMP type, port_range_max the code
 *    (each null = any) — matched against the flow key's tp_src / tp_dst;
 *  - remote_ip_prefix: a prefix of the rule's family; remote_group_id: the
 *    member addresses of that group (an address set in the datapath, keyed
 *    by the group's dp_key — see mdl_sg_members()); neither = any remote;
 *  - a port's groups are all stateful or all stateless (Neutron refuses a
 *    mix; mdl_validate_against() checks ports, compile checks again);
 *  - base rules (MDL_SG_BASE): what Neutron's OVS firewall allows whatever
 *    the groups say — DHCPv4/DHCPv6 client traffic and its replies, and the
 *    ICMPv6 types neighbour discovery and MLD need.
 *
 * Rule keys (reported by the datapath for trace): a rule object's dp_key
 * when set, else a 31-bit hash of its id (embedded rules: of the id, or of
 * group id + index when the id is empty) with bit 30 set so it never
 * collides with small dp_keys; base rules use MDL_SG_BASE_KEY + n.
 * Priorities: the list order (group order, embedded rules, then rule
 * objects), highest first; base rules come below every group rule.
 *
 * Ownership: outputs are malloc'ed arrays the caller free()s.
 * Threads: no shared state.
 */
#ifndef WYVERN_MDL_SG_H
#define WYVERN_MDL_SG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdl.h"
#include "mdl_addr.h"

#define MDL_SG_BASE_KEY 0xfffff000u   /* base rule keys: MDL_SG_BASE_KEY + n */
#define MDL_SG_PRIO_TOP 0x1fffffff    /* = DP_ACL_MAX_PRIORITY */

enum { MDL_ACL_INGRESS = 0, MDL_ACL_EGRESS = 1 };   /* = enum dp_acl_dir */

/* An address or prefix (layout of struct dp_ip). */
struct mdl_acl_addr {
	uint8_t family;        /* 4 | 6 */
	uint8_t plen;
	uint8_t addr[16];      /* network order */
};

/* One datapath allow rule (= struct dp_acl_rule). */
struct mdl_acl_rule {
	uint32_t key;
	uint32_t priority;
	uint8_t dir;           /* MDL_ACL_INGRESS | MDL_ACL_EGRESS */
	uint8_t family;        /* 4 | 6 */
	uint8_t proto;
	bool any_proto;
	uint16_t src_min, src_max;   /* ICMP: type */
	uint16_t dst_min, dst_max;   /* ports; ICMP: code */
	struct mdl_acl_addr remote;  /* plen 0 = any */
	uint32_t remote_set;         /* != 0: remote group's address set key */
};

/* One security group of the port, with its rule objects. */
struct mdl_sg_input {
	const struct mdl_security_group *sg;
	const struct mdl_security_group_rule *const *rules;  /* security_group_id == sg */
	size_t n_rules;
};

/* Address set key of a remote group (its dp_key); 0 = unknown: the rules
 * naming it are left out (they could match nothing). */
typedef uint32_t mdl_sg_set_key_fn(void *ctx, const char *group_id);

#define MDL_SG_BASE 0x1   /* add the base rules */

/* Compile a port's groups.  On success *out (malloc'ed, may be NULL when
 * *n_out is 0) and *stateful are set; 0.  -EINVAL with a message (a rule
 * that does not validate, stateful and stateless groups mixed), -ENOMEM. */
int mdl_sg_compile(const struct mdl_sg_input *groups, size_t n_groups,
		   mdl_sg_set_key_fn *set_key, void *ctx, unsigned flags,
		   struct mdl_acl_rule **out, size_t *n_out, bool *stateful,
		   char *err, size_t err_size);

/* The four rules of a project's default group: egress any IPv4 and IPv6,
 * ingress IPv4 and IPv6 from the same group.  Fresh rule ids; *out is an
 * array of 4 objects (free each with mdl_obj_free, then free the array).
 * 0 or -errno. */
int mdl_sg_default_rules(const char *group_id, const char *project_id,
			 struct mdl_security_group_rule ***out, size_t *n_out);

/* The datapath rule key mdl_sg_compile gives a rule object, and the i-th
 * rule embedded in group g (see "Rule keys" above); never 0. */
uint32_t mdl_sg_rule_key(const struct mdl_security_group_rule *r);
uint32_t mdl_sg_embedded_key(const struct mdl_security_group *g, size_t i);

/* True when a and b allow the same traffic as Neutron compares rules for
 * "rule already exists": direction, ethertype, protocol (name and number
 * alike; null, "any" and 0 the same; "icmp" on IPv6 = icmpv6), port range /
 * ICMP type and code, remote prefix (same network, however written) and
 * remote group.  Ids, descriptions and projects are not compared.  Both
 * should have validated; an unparsable prefix compares as text. */
bool mdl_sg_rule_same(const struct mdl_sg_rule *a, const struct mdl_sg_rule *b);

/* The same comparison as text: equal for two rules exactly when
 * mdl_sg_rule_same() is true ("DIR,ETHERTYPE,PROTO,MIN,MAX,NETWORK_LEN,
 * GROUP", no '/'), e.g. for a uniqueness key.  0, or -ENAMETOOLONG when
 * size (MDL_SG_FP_SIZE is enough) is too small. */
#define MDL_SG_FP_SIZE 192
int mdl_sg_rule_fingerprint(const struct mdl_sg_rule *r, char *buf, size_t size);

/* Member addresses of group_id: fixed IPs (host prefixes) and allowed
 * address pairs of every port with port security that lists the group,
 * sorted and without duplicates (so an unchanged membership gives an
 * identical set).  *out malloc'ed.  0 or -ENOMEM. */
int mdl_sg_members(const struct mdl_port *const *ports, size_t n_ports,
		   const char *group_id, struct mdl_acl_addr **out, size_t *n_out);
/* The same for many groups in one walk over the ports (a binary search per
 * group a port lists).  sets[] sorted by group_id (strcmp), each with addrs
 * NULL and n, cap, rc 0; fills addrs (malloc'ed, the caller frees) and n, or
 * rc = -ENOMEM (addrs NULL) for a set that could not grow. */
struct mdl_sg_set {
	const char *group_id;
	struct mdl_acl_addr *addrs;
	size_t n, cap;
	int rc;
};
void mdl_sg_members_many(const struct mdl_port *const *ports, size_t n_ports,
			 struct mdl_sg_set *sets, size_t n_sets);
/* The two steps of it, for a caller that keeps ports its own way: add one
 * member's addresses (fixed IPs and address pairs) to set (rc = -ENOMEM
 * when it cannot grow), then sort and deduplicate it (frees addrs when rc). */
void mdl_sg_set_add(struct mdl_sg_set *set, const struct mdl_fixed_ip *ips, size_t n_ips,
		    const struct mdl_addr_pair *aaps, size_t n_aaps);
/* One address or prefix already parsed (a caller that keeps its fixed IPs
 * binary). */
void mdl_sg_set_add_prefix(struct mdl_sg_set *set, const struct mdl_prefix *p);
void mdl_sg_set_finish(struct mdl_sg_set *set);

#endif
