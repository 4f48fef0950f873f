/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_auth.h — Keystone token validation for the Neutron API
 * ([api] auth = keystone), as Neutron's keystonemiddleware does it:
 * GET {keystone-url}/auth/tokens with X-Subject-Token = the caller's token
 * and X-Auth-Token = a service token (obtained with the [api] keystone-user
 * / keystone-password / keystone-project / keystone-domain credentials and
 * renewed before it expires) or, without service credentials, the caller's
 * token itself (Keystone's default policy lets a token validate itself).
 *
 * Validated tokens are cached (struct api_tcache: bounded, 4-way buckets,
 * least recently used way replaced) until min(token expiry, now +
 * token-cache-time); rejected tokens too, for token-cache-time.  So a
 * token revoked in Keystone keeps working here for at most
 * token-cache-time seconds (keystonemiddleware's token_cache_time has the
 * same meaning).
 *
 * Ownership: api_auth_new copies what it needs of the config.
 * Threads: api_auth_new/free from the owner's thread (they call
 * curl_global_init/cleanup); api_auth_check and every api_tcache function
 * from any number of threads at once (one mutex per cache, one for the
 * service token; no lock is held during an HTTP call).
 */
#ifndef WYV_API_AUTH_H
#define WYV_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

#define API_TOKEN_MAX 4096              /* longer X-Auth-Token: 401 */

struct api_config;

/* Who a token speaks for. */
struct api_ident {
	char project[65];               /* the token's project id */
	char user[65];                  /* the token's user id */
	bool admin;                     /* has the role "admin" */
	bool member;                    /* has "member" or "_member_" (may write;
					 * "reader" alone may not) */
};

/* ---- the token cache ---- */
struct api_tcache;

/* A cache of at most `size` tokens (rounded up to a multiple of 4, >= 4).
 * NULL + errno. */
struct api_tcache *api_tcache_new(size_t size);
void api_tcache_free(struct api_tcache *c);
/* 1: token valid until after now (*id filled); 0: unknown or expired;
 * -EACCES: known to be rejected (until after now). */
int api_tcache_get(struct api_tcache *c, const char *token, time_t now,
		   struct api_ident *id);
/* Remembers token as valid with id (or rejected: id NULL) until expires.
 * -ENOMEM (the cache is unchanged). */
int api_tcache_put(struct api_tcache *c, const char *token, const struct api_ident *id,
		   time_t expires, time_t now);
/* Tokens held (expired ones included until replaced). */
size_t api_tcache_count(struct api_tcache *c);

/* ---- Keystone ---- */
struct api_auth;

/* From cfg's keystone keys.  NULL + errno (EINVAL: no keystone-url). */
struct api_auth *api_auth_new(const struct api_config *cfg);
void api_auth_free(struct api_auth *a);
/* Validates token (cache first).  0 (*id filled); -EACCES: missing,
 * malformed, unknown, expired or not project-scoped token (answer 401);
 * -EHOSTUNREACH: Keystone unreachable or timed out, -EIO: Keystone failed
 * otherwise (5xx, service credentials rejected, bad answer) (answer 503).
 * msg: the reason, for the answer and the log. */
int api_auth_check(struct api_auth *a, const char *token, struct api_ident *id, char *msg,
		   size_t size);
/* Counters: [0] cache hits, [1] Keystone validations, [2] failures (503). */
void api_auth_counts(const struct api_auth *a, unsigned long long out[3]);

/* The body of GET /v3/auth/tokens (or of a password authentication):
 * token.project.id, token.user.id, "admin" and "member" / "_member_"
 * among token.roles[].name (Keystone lists implied roles too),
 * token.expires_at.  0, or -EACCES (no project scope, expired at now)
 * or -EINVAL (not a token) with msg. */
int api_auth_parse(const json_t *body, time_t now, struct api_ident *id, time_t *expires,
		   char *msg, size_t size);
/* "2026-12-05T02:00:00.000000Z" (fraction optional) to a time_t; -1. */
time_t api_auth_time(const char *iso);

#endif
