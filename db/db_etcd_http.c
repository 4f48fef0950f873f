/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_http.c — etcd driver — transport: one POST to the v3 JSON
 * gateway over HTTP or HTTPS, fail-over across endpoints, authentication.
 *
 * TLS (etcds://): the server certificate is verified against ca_file (else
 * the system's CAs) and its name/IP; a client certificate and key are sent
 * when given.  A TLS failure (bad CA, refused client certificate, a plain
 * HTTP server) is not retried for 20 s like an unreachable member: once
 * every endpoint failed that way in a row the call ends with -EACCES and
 * curl's sentence in db_last_error().
 *
 * Authentication: POST auth/authenticate {name, password} gives a token
 * (etcd's "simple" tokens expire after --auth-token-ttl of idleness, JWT
 * ones after their TTL); every request carries it in the Authorization
 * header.  When etcd answers "invalid auth token" the call re-authenticates
 * (once per token generation across threads) and retries once. */
#include "db_etcd_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ETCD_DEADLINE_MS 20000
#define ETCD_TIMEOUT_MS 5000

/* The buffer doubles: a range page of several MB arrives in 16 KB chunks,
 * and growing it by each chunk copied the whole page again and again (a
 * realloc that cannot grow in place). */
int etcd_buf_append(struct etcd_buf *b, const char *data, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + len + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

static size_t buf_write(char *data, size_t size, size_t nmemb, void *arg)
{
	size_t len = size * nmemb;
	return etcd_buf_append(arg, data, len) ? 0 : len;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void etcd_note_cluster_id(struct etcd *e, uint64_t id)
{
	uint64_t zero = 0;

	if (id)
		__atomic_compare_exchange_n(&e->cluster_id, &zero, id, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
}

uint64_t etcd_note_cluster(struct etcd *e, const json_t *resp)
{
	uint64_t id = etcd_json_u64(json_object_get(json_object_get(resp, "header"),
						    "cluster_id"));

	etcd_note_cluster_id(e, id);
	return id;
}

int etcd_setup(struct etcd *e, CURL *c, const char *ep, const char *path,
	       bool require_leader, struct curl_slist **hdrs, uint64_t *gen)
{
	char url[512], *auth = NULL;
	struct curl_slist *h = NULL;

	snprintf(url, sizeof(url), "%s://%s/v3/%s", e->tls ? "https" : "http", ep, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (h && require_leader)
		h = curl_slist_append(h, "Grpc-Metadata-hasleader: true");
	pthread_mutex_lock(&e->auth_mu);
	if (gen)
		*gen = e->token_gen;
	if (e->token && strcmp(path, "auth/authenticate")) {
		size_t n = strlen(e->token) + 32;

		auth = malloc(n);
		if (auth)
			snprintf(auth, n, "Authorization: %s", e->token);
	}
	pthread_mutex_unlock(&e->auth_mu);
	if (auth) {
		h = h ? curl_slist_append(h, auth) : NULL;
		free(auth);
	}
	*hdrs = h;
	if (!h)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (e->tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		if (e->ca_file)
			curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
		if (e->cert_file)
			curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert_file);
		if (e->key_file)
			curl_easy_setopt(c, CURLOPT_SSLKEY, e->key_file);
	}
	return 0;
}

/* TLS and protocol failures that another attempt at the same member will
 * not cure. */
static bool permanent_curl_error(CURLcode cc)
{
	return cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
	       cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CONNECT_ERROR ||
	       cc == CURLE_SSL_CIPHER || cc == CURLE_UNSUPPORTED_PROTOCOL ||
	       cc == CURLE_WEIRD_SERVER_REPLY || cc == CURLE_SSL_ISSUER_ERROR ||
	       cc == CURLE_SSL_CRL_BADFILE;
}

/* A curl easy handle per thread, kept between calls of the same struct etcd,
 * so its connections (TCP, TLS sessions) are reused: a TLS handshake per
 * request cost ~8 ms here.  A call for another struct etcd (other TLS files)
 * starts a fresh handle; etcd_forget_thread_handle() (db_close) and thread
 * exit free it. */
struct tl_curl {
	CURL *c;
	uint64_t owner;                 /* struct etcd id */
};

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static uint64_t next_id = 1;

static void tl_free(void *p)
{
	struct tl_curl *t = p;

	if (t)
		curl_easy_cleanup(t->c);
	free(t);
}

static void tl_make_key(void)
{
	pthread_key_create(&tl_key, tl_free);
}

uint64_t etcd_new_id(void)
{
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

void etcd_forget_thread_handle(struct etcd *e)
{
	struct tl_curl *t;

	pthread_once(&tl_once, tl_make_key);
	t = pthread_getspecific(tl_key);
	if (t && t->owner == e->id) {
		pthread_setspecific(tl_key, NULL);
		tl_free(t);
	}
}

static CURL *thread_handle(struct etcd *e)
{
	struct tl_curl *t;

	pthread_once(&tl_once, tl_make_key);
	t = pthread_getspecific(tl_key);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		if (pthread_setspecific(tl_key, t)) {
			free(t);
			return NULL;
		}
	}
	if (t->c && t->owner == e->id) {
		curl_easy_reset(t->c);          /* keeps live connections */
		return t->c;
	}
	if (t->c)
		curl_easy_cleanup(t->c);
	t->c = curl_easy_init();
	t->owner = e->id;
	return t->c;
}

/* One POST to one endpoint.  Returns 0 (got an HTTP answer: *status, *out),
 * 1 for a permanent failure (TLS), or -errno for a transport failure. */
static int post_once(struct etcd *e, const char *ep, const char *path, const char *body,
		     long timeout_ms, long *status, struct etcd_buf *out, uint64_t *gen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	CURLcode cc;
	CURL *c;
	int rc;

	c = thread_handle(e);
	if (!c)
		return -ENOMEM;
	rc = etcd_setup(e, c, ep, path, false, &hdrs, gen);
	if (rc) {
		curl_slist_free_all(hdrs);
		return rc;
	}
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
	curl_slist_free_all(hdrs);
	if (cc == CURLE_OK)
		return 0;
	/* TLS 1.3 reports a refused client certificate after the handshake,
	 * as an alert on the first read */
	bool alert = (cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR) &&
		     (strstr(errbuf, "alert") || strstr(errbuf, "certificate"));
	/* a TLS member answers a plain HTTP request with nothing */
	bool plain_to_tls = !e->tls && cc == CURLE_GOT_NOTHING;

	db_set_error("etcd %s://%s: %s%s%s", e->tls ? "https" : "http", ep,
		     errbuf[0] ? errbuf : curl_easy_strerror(cc),
		     alert && !e->cert_file ? " (does etcd require a client certificate? "
		     "db-cert/db-key)" : "",
		     plain_to_tls ? " (an HTTPS member? use an etcds:// URL)" : "");
	if (permanent_curl_error(cc) || alert || plain_to_tls)
		return 1;
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return -ETIMEDOUT;
	if (cc == CURLE_COULDNT_CONNECT)
		return -ECONNREFUSED;
	return -EIO;
}

bool etcd_token_error(const char *msg)
{
	return msg && (strstr(msg, "invalid auth token") || strstr(msg, "user name is empty") ||
		       strstr(msg, "auth token"));
}

enum verdict { V_RETRY = 1, V_REAUTH = 2 };

/* Classifies an error answer: V_RETRY = another endpoint, V_REAUTH = token
 * refused, else -errno.  Sets db_last_error(). */
static int classify_error(struct etcd *e, const char *ep, long status, const json_t *resp)
{
	const char *msg = json_string_value(json_object_get(resp, "message"));
	json_int_t code = json_integer_value(json_object_get(resp, "code"));

	if (!msg)
		msg = json_string_value(json_object_get(resp, "error"));
	if (!msg)
		msg = "";
	db_set_error("etcd %s: %s (HTTP %ld)", ep, msg, status);
	if (strstr(msg, "compacted"))
		return -ERANGE;
	if (strstr(msg, "future revision"))
		return -EINVAL;
	if (etcd_token_error(msg)) {
		if (e->user)
			return V_REAUTH;
		db_set_error("etcd %s: %s: etcd has authentication enabled (give a user and "
			     "password file)", ep, msg);
		return -EACCES;
	}
	if (strstr(msg, "permission denied") || strstr(msg, "authentication failed") ||
	    strstr(msg, "authentication is not enabled") || code == 7 || code == 16)
		return -EACCES;
	if (status >= 500 || code == 14 /* Unavailable */ || code == 4 ||
	    strstr(msg, "leader") || strstr(msg, "timed out") || strstr(msg, "stopped"))
		return V_RETRY;
	return -EINVAL;
}

/* One request with fail-over.  A kv/range with `range` set has its answer
 * decoded into it (no tree: *resp stays NULL); an error answer is read
 * as any other. */
static int call(struct etcd *e, const char *path, const char *body, json_t **resp,
		struct etcd_range *range, long timeout_ms)
{
	uint64_t deadline = now_ms() + ETCD_DEADLINE_MS;
	unsigned start = __atomic_load_n(&e->cur, __ATOMIC_RELAXED);
	unsigned perm = 0;              /* endpoints in a row with a TLS failure */
	bool reauthed = false;
	int rc = -EIO;
	unsigned i;

	for (i = 0; now_ms() < deadline; i++) {
		unsigned idx = (start + i) % (unsigned)e->n_endpoints;
		const char *ep = e->endpoints[idx];
		struct etcd_buf b = { NULL, 0 };
		long status = 0;
		uint64_t gen = 0;
		json_t *j;

		if (i && idx == start % e->n_endpoints)
			usleep(100 * 1000);     /* a full round failed: back off */
		rc = post_once(e, ep, path, body, timeout_ms, &status, &b, &gen);
		if (rc == 1) {
			free(b.p);
			rc = -EACCES;
			if (++perm >= e->n_endpoints)
				break;
			continue;
		}
		perm = 0;
		if (rc) {
			free(b.p);
			continue;
		}
		j = NULL;
		if (range && status == 200 && b.p) {
			int d = etcd_range_decode(b.p, b.n, range);
			if (d == 0) {
				free(b.p);
				__atomic_store_n(&e->cur, idx, __ATOMIC_RELAXED);
				etcd_note_cluster_id(e, range->cluster_id);
				return 0;
			}
			/* an error answer with 200 is read as one below; else
			 * the decoder's reason stands */
			j = json_loads(b.p, 0, NULL);
			if (d != -EIO || !json_is_object(j) || !(json_object_get(j, "error") ||
								   json_object_get(j, "code"))) {
				free(b.p);
				json_decref(j);
				return d;
			}
		} else if (b.p) {
			j = json_loads(b.p, 0, NULL);
		}
		if (!range && status == 200 && json_is_object(j) && !json_object_get(j, "error")) {
			free(b.p);
			__atomic_store_n(&e->cur, idx, __ATOMIC_RELAXED);
			etcd_note_cluster(e, j);
			*resp = j;
			return 0;
		}
		if (j) {
			rc = classify_error(e, ep, status, j);
		} else if (b.p && strstr(b.p, "CommonName")) {
			/* etcd 3.4 with --client-cert-auth and auth enabled */
			db_set_error("etcd %s: HTTP %ld: %.120s (etcd's JSON gateway refuses a client "
				     "certificate with a CommonName when authentication is on: "
				     "give wyvern's client certificate none)", ep, status, b.p);
			rc = -EACCES;
		} else {
			db_set_error("etcd %s: HTTP %ld: %.120s", ep, status, b.p ? b.p : "");
			rc = status >= 500 ? V_RETRY : -EIO;
		}
		free(b.p);
		json_decref(j);
		if (rc == V_REAUTH && !reauthed) {
			reauthed = true;
			rc = etcd_reauth(e, gen);
			if (rc)
				break;
			i--;                    /* same endpoint again */
			continue;
		}
		if (rc == V_REAUTH)
			rc = -EACCES;
		if (rc != V_RETRY)
			break;
		rc = -ETIMEDOUT;
	}
	return rc;
}

int etcd_call_timeout(struct etcd *e, const char *path, json_t *req, json_t **resp,
		      long timeout_ms)
{
	char *body = json_dumps(req, JSON_COMPACT);
	int rc;

	*resp = NULL;
	if (!body)
		return -ENOMEM;
	rc = call(e, path, body, resp, NULL, timeout_ms ? timeout_ms : ETCD_TIMEOUT_MS);
	free(body);
	return rc;
}

int etcd_call_range(struct etcd *e, json_t *req, struct etcd_range *r, long timeout_ms)
{
	char *body = json_dumps(req, JSON_COMPACT);
	json_t *none = NULL;
	int rc;

	if (!body)
		return -ENOMEM;
	rc = call(e, "kv/range", body, &none, r, timeout_ms ? timeout_ms : ETCD_TIMEOUT_MS);
	json_decref(none);
	free(body);
	return rc;
}

int etcd_call(struct etcd *e, const char *path, json_t *req, json_t **resp)
{
	return etcd_call_timeout(e, path, req, resp, 0);
}

int etcd_authenticate(struct etcd *e)
{
	json_t *req, *resp = NULL;
	const char *tok;
	char *copy;
	int rc;

	if (!e->user)
		return 0;
	req = json_pack("{s:s,s:s}", "name", e->user, "password", e->password);
	if (!req)
		return -ENOMEM;
	rc = etcd_call(e, "auth/authenticate", req, &resp);
	json_decref(req);
	if (rc) {
		if (rc == -EACCES) {
			char why[400];

			snprintf(why, sizeof(why), "%s", db_last_error());
			db_set_error("etcd user '%s' cannot log in: %s", e->user, why);
		}
		return rc;
	}
	tok = json_string_value(json_object_get(resp, "token"));
	copy = tok ? strdup(tok) : NULL;
	json_decref(resp);
	if (!copy) {
		db_set_error("etcd auth/authenticate answered no token");
		return tok ? -ENOMEM : -EIO;
	}
	pthread_mutex_lock(&e->auth_mu);
	free(e->token);
	e->token = copy;
	e->token_gen++;
	pthread_mutex_unlock(&e->auth_mu);
	return 0;
}

int etcd_reauth(struct etcd *e, uint64_t gen)
{
	bool stale;

	if (!e->user)
		return -EACCES;
	pthread_mutex_lock(&e->auth_mu);
	stale = e->token_gen == gen;
	pthread_mutex_unlock(&e->auth_mu);
	return stale ? etcd_authenticate(e) : 0;
}
