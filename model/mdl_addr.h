/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl_addr.h — UUID, IP address, prefix and MAC helpers.
 *
 * Addresses are held in network byte order in a 16-byte array with a family
 * of 4 or 6; an IPv4 address uses the first 4 bytes.  Parsing is strict
 * (inet_pton rules, no leading zeros in IPv4, canonical UUID layout).
 *
 * Ownership: all functions work on caller-provided memory.
 * Threads: no shared state except mdl_uuid_generate(), which opens
 * /dev/urandom on each call and is safe from any thread.
 */
#ifndef WYV_MODEL_MDL_ADDR_H
#define WYV_MODEL_MDL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mdl_ip {
	int family;             /* 4 or 6 */
	uint8_t b[16];
};

struct mdl_prefix {
	struct mdl_ip addr;
	int len;                /* 0..32 or 0..128 */
};

/* Writes a random (version 4) UUID into out (MDL_ID_SIZE bytes).  0/-errno. */
int mdl_uuid_generate(char *out);
/* True if s is "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" with hex digits. */
bool mdl_uuid_valid(const char *s);
/* The id of the chassis named name (a name-based UUID: what wyvernd
 * registers, keys its port statuses by, and scripts/etcd-roles.sh grants). */
void mdl_chassis_id(const char *name, char *out);

/* 0 or -EINVAL. */
int mdl_ip_parse(const char *s, struct mdl_ip *ip);
/* "addr/len"; 0 or -EINVAL. */
int mdl_prefix_parse(const char *s, struct mdl_prefix *p);
/* A prefix, or a bare address taken as a host prefix (/32, /128). */
int mdl_ip_or_prefix_parse(const char *s, struct mdl_prefix *p);
/* Formats into buf (at least 46 bytes); returns buf. */
char *mdl_ip_format(const struct mdl_ip *ip, char *buf, size_t size);

/* -1/0/1 comparing two addresses of the same family (family first otherwise). */
int mdl_ip_cmp(const struct mdl_ip *a, const struct mdl_ip *b);
/* True if bits beyond the prefix length are set. */
bool mdl_prefix_has_host_bits(const struct mdl_prefix *p);
/* True if ip is inside p (same family). */
bool mdl_prefix_contains(const struct mdl_prefix *p, const struct mdl_ip *ip);
/* True if the two prefixes share an address (same family). */
bool mdl_prefix_overlap(const struct mdl_prefix *a, const struct mdl_prefix *b);
/* First and last address of a prefix. */
void mdl_prefix_first(const struct mdl_prefix *p, struct mdl_ip *out);
void mdl_prefix_last(const struct mdl_prefix *p, struct mdl_ip *out);

/* "aa:bb:cc:dd:ee:ff" (case-insensitive).  0 or -EINVAL. */
int mdl_mac_parse(const char *s, uint8_t mac[6]);

#endif
