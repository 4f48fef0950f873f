/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_priv.h — etcd driver internals shared by db_etcd.c (KV
 * operations, open/close), db_etcd_http.c (transport: TLS, authentication,
 * fail-over) and db_etcd_watch.c (watch streams).
 *
 * The endpoint list is fixed at open.  `cur` is the endpoint that answered
 * last (an atomic hint, not a lock): requests start there and rotate on
 * failure.  Each request uses its own curl easy handle, so any number of
 * threads may issue requests at once.  The auth token is shared and guarded
 * by auth_mu; token_gen counts re-authentications so that many threads
 * seeing one expired token authenticate once. */
#ifndef WYV_DB_DB_ETCD_PRIV_H
#define WYV_DB_DB_ETCD_PRIV_H

#include "db_provider.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>

struct etcd_watch;

struct etcd {
	struct db up;
	char **endpoints;               /* "host:port" */
	size_t n_endpoints;
	unsigned cur;                   /* atomic: preferred endpoint */
	pthread_mutex_t mu;             /* guards watches */
	struct etcd_watch *watches;
	bool tls;                       /* etcds:// */
	char *ca_file, *cert_file, *key_file;   /* NULL = not set */
	char *user, *password;          /* NULL = no authentication */
	unsigned watch_idle_ms;
	unsigned page_keys;             /* keys per scan page */
	uint64_t cluster_id;            /* atomic: first cluster id seen, 0 = none */
	pthread_mutex_t auth_mu;        /* guards token, token_gen */
	char *token;                    /* NULL until authenticated */
	uint64_t token_gen;
	uint64_t id;                    /* unique per open: per-thread curl handles */
};

/* A growing response body. */
struct etcd_buf {
	char *p;
	size_t n;
	size_t cap;
};
/* Appends len bytes and a NUL (not counted).  0 or -ENOMEM. */
int etcd_buf_append(struct etcd_buf *b, const char *data, size_t len);

/* Base64 (standard alphabet, padded).  Encode returns a malloc'd string;
 * decode returns malloc'd bytes + NUL and their length.  NULL on failure. */
char *etcd_b64_encode(const void *data, size_t len);
void *etcd_b64_decode(const char *text, size_t *len);
void *etcd_b64_decode_n(const char *text, size_t n, size_t *len);
/* A revision from an int64 JSON field (the gateway sends strings); 0 if absent. */
uint64_t etcd_json_u64(const json_t *j);
/* The range_end that selects every key starting with prefix ("AA==" for all). */
char *etcd_prefix_end_b64(const char *prefix);

/* A kv/range answer decoded without a JSON tree (db_etcd_range.c): kvs are
 * appended to *out (whose kvs array holds *cap entries). */
struct etcd_range {
	struct db_kv_list *out;
	size_t *cap;
	uint64_t revision;              /* header.revision */
	uint64_t cluster_id;            /* header.cluster_id */
	bool more;
};
/* 0, or -EIO (not a range answer: db_last_error() says why; nothing is
 * left appended), -ENOMEM. */
int etcd_range_decode(const char *body, size_t len, struct etcd_range *r);

/* One watch response decoded without a JSON tree (db_etcd_watch_msg.c). */
struct etcd_wevent {
	bool del;                       /* type DELETE (else a put) */
	bool bad;                       /* key or value not base64 */
	char *key;                      /* NUL-terminated; NULL: none given */
	char *value;                    /* NUL-terminated; NULL: none given */
	size_t value_len;
	uint64_t mod_revision;
};
struct etcd_watch_msg {
	bool has_result, has_error;     /* a "result" / "error" object */
	uint64_t cluster_id, revision;  /* result.header */
	uint64_t compact_revision;
	bool canceled;
	char *cancel_reason, *error_message;    /* NULL: none */
	struct etcd_wevent *ev;         /* result.events, in order */
	size_t n_ev, cap_ev;
};
/* 0 (*m filled; etcd_watch_msg_clear frees it), -EIO (not JSON), -ENOMEM;
 * on failure *m holds nothing. */
int etcd_watch_msg_decode(const char *body, size_t len, struct etcd_watch_msg *m);
void etcd_watch_msg_clear(struct etcd_watch_msg *m);

/* yajl decoders' helpers: a token equal to a literal; the decimal digits
 * at the start of a token (an int64 the gateway sends as string or number) */
static inline bool etcd_lit_eq(const unsigned char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static inline uint64_t etcd_digits_u64(const unsigned char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v;
}

/* POSTs `req` to <scheme>://<endpoint>/v3/<path>, failing over across
 * endpoints and retrying while the cluster has no leader; re-authenticates
 * once when etcd calls the token invalid.  *resp is a new reference.
 * 0, -ERANGE (compacted), -EINVAL (rejected), -EACCES (permission denied,
 * authentication or TLS failure), -ETIMEDOUT/-EIO.  db_last_error() says
 * why on failure. */
int etcd_call(struct etcd *e, const char *path, json_t *req, json_t **resp);
/* The same with a per-attempt timeout (0 = the default 5 s). */
int etcd_call_timeout(struct etcd *e, const char *path, json_t *req, json_t **resp,
		      long timeout_ms);
/* kv/range the same way, its answer decoded into *r (etcd_range_decode). */
int etcd_call_range(struct etcd *e, json_t *req, struct etcd_range *r, long timeout_ms);
/* Authenticates (auth/authenticate) and stores the token.  0, -EACCES
 * (wrong user or password, auth not enabled), -ETIMEDOUT/-EIO. */
int etcd_authenticate(struct etcd *e);
/* Sets up c for POST <scheme>://ep/v3/path: URL, TLS files, headers
 * (JSON, Authorization with the current token, and Grpc-Metadata-hasleader
 * when require_leader).  *hdrs is to be freed by the caller with
 * curl_slist_free_all; *gen gets the token generation sent (may be NULL). */
int etcd_setup(struct etcd *e, CURL *c, const char *ep, const char *path,
	       bool require_leader, struct curl_slist **hdrs, uint64_t *gen);
/* Re-authenticates unless someone did since generation `gen`.  0/-errno. */
int etcd_reauth(struct etcd *e, uint64_t gen);
/* True for etcd messages that mean the token is missing/invalid/expired. */
bool etcd_token_error(const char *msg);
/* A new struct etcd id; frees the calling thread's cached curl handle of e. */
uint64_t etcd_new_id(void);
void etcd_forget_thread_handle(struct etcd *e);
/* Records the cluster id of a response header (first one wins); returns it. */
uint64_t etcd_note_cluster(struct etcd *e, const json_t *resp);
void etcd_note_cluster_id(struct etcd *e, uint64_t id);

struct db_watch *etcd_watch(struct db *db, const char *prefix, uint64_t from,
			    void (*cb)(const struct db_event *, void *), void *arg);
void etcd_watch_cancel(struct db_watch *w);

#endif
