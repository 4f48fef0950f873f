/* SPDX-License-Identifier: BSD-3-Clause
 * api/api.h — the Neutron v2.0 REST server (libmicrohttpd + jansson, no
 * DPDK), over the shared northbound operations of ctrl/nb (nbo.h) on a
 * `struct nb` handle with an index (db/nb.h).
 *
 * Two forms, same code:
 *  - inside wyvernd, as the `api` feature (ctrl/main/api_feature.c), with
 *    the handle on the database wyvernd holds (an embedded RocksDB can be
 *    opened by one process only);
 *  - the standalone `wyvern-api --db etcd://...` (api_main.c), stateless,
 *    any number of instances over one etcd cluster.
 * Requests run on libmicrohttpd's own threads (a pool of `threads`), never
 * on wyvernd's control thread.  Auth: noauth (X-Project-Id names the
 * caller's project, if any; everyone sees everything) or keystone
 * (X-Auth-Token validated against Keystone, api_auth.h; the token's project
 * scopes a non-admin caller to its own objects).
 *
 * Ownership: the server borrows the nb handle; it must outlive the server.
 * Threads: api_start/api_stop from one thread; the handlers run on the
 * server's threads.
 */
#ifndef WYV_API_H
#define WYV_API_H

#include <stdbool.h>
#include <stddef.h>

#include "nbo.h"

#define API_DEFAULT_LISTEN "127.0.0.1:9696"

struct api_config {
	bool enable;                    /* [api] enable (wyvernd only) */
	char listen[80];                /* "HOST:PORT" or "[V6]:PORT" */
	char db[512];                   /* [api] db: "" = [ctrl] db */
	char auth[16];                  /* "noauth" | "keystone" */
	char keystone_url[256];         /* "http://127.0.0.1:5000/v3" */
	char keystone_user[64];         /* service user ("" = tokens validate themselves) */
	char keystone_password[128];
	char keystone_project[64];      /* the service user's project */
	char keystone_domain[64];       /* of user and project ("Default") */
	unsigned keystone_timeout;      /* seconds per Keystone call (5) */
	unsigned token_cache_size;      /* tokens cached (1024) */
	unsigned token_cache_time;      /* seconds a validation is trusted (300) */
	unsigned threads;               /* libmicrohttpd thread pool */
	char tls_cert[256];             /* PEM certificate (+ chain): "" = plain HTTP */
	char tls_key[256];              /* PEM private key, unencrypted */
	struct nbo_config nbo;
};

struct api_server;

void api_config_defaults(struct api_config *cfg);
/* One `key = value` of an [api] section (enable, listen, db, auth,
 * keystone-url, keystone-user, keystone-password, keystone-project,
 * keystone-domain, keystone-timeout, token-cache-size, token-cache-time,
 * threads, network-type, vni-ranges, vlan-ranges, underlay-mtu, vif-type,
 * vhostuser-dir, default-project, tls-cert, tls-key).  0, or -EINVAL with the reason in msg
 * (the caller adds FILE:LINE). */
int api_config_key(struct api_config *cfg, const char *key, const char *val, char *msg,
		   size_t size);
/* Checks the keys together once all are read (auth = keystone needs
 * keystone-url; keystone-user needs keystone-password and
 * keystone-project; tls-cert and tls-key both or neither, and both files
 * readable PEM, the key that of the certificate, libmicrohttpd built with
 * TLS).  0, or -EINVAL with the reason in msg and in *key the
 * key whose line the caller should name. */
int api_config_check(const struct api_config *cfg, const char **key, char *msg, size_t size);

/* Starts listening.  NULL + errno, with the reason in err. */
struct api_server *api_start(const struct api_config *cfg, struct nb *nb, char *err,
			     size_t errlen);
/* "https" when the server serves TLS, else "http". */
const char *api_scheme(const struct api_server *s);
/* The bound port (useful with port 0). */
unsigned api_port(const struct api_server *s);
/* Requests served so far, by status class (2xx, 4xx, 5xx). */
void api_counts(const struct api_server *s, unsigned long long out[3]);
/* auth = keystone: token cache hits, Keystone validations, Keystone
 * failures (503); zeros with noauth. */
void api_auth_counters(const struct api_server *s, unsigned long long out[3]);
/* Stops (waits for running requests) and frees.  NULL is fine. */
void api_stop(struct api_server *s);

#endif
