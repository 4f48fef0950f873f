/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd.c — etcd v3 driver over the JSON gateway (libcurl + jansson).
 *
 * Unary operations map 1:1 to /v3/kv/{range,put,deleterange,txn,compaction};
 * keys and values travel base64-encoded, int64 fields as JSON strings.  A
 * request goes to the endpoint that answered last; on a connection failure,
 * a 5xx, or an "unavailable"/"no leader" answer it moves to the next one and
 * keeps rotating with a short back-off for up to ~20 s, which covers a
 * leader election after a member is killed.  Writes retried after an
 * unknown outcome could apply twice: put is idempotent, txn callers use
 * compare-and-swap, so a retried txn fails its compare rather than applying
 * twice in the ways wyvern uses it. */
#include "db_etcd_priv.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ETCD_DEADLINE_MS 20000

static const char b64tab[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64_encode(const void *data, size_t len)
{
	const uint8_t *p = data;
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = b64tab[v >> 18];
		*o++ = b64tab[(v >> 12) & 63];
		*o++ = b64tab[(v >> 6) & 63];
		*o++ = b64tab[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		*o++ = b64tab[v >> 18];
		*o++ = b64tab[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		*o++ = b64tab[v >> 18];
		*o++ = b64tab[(v >> 12) & 63];
		*o++ = b64tab[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64tab, c) : NULL;

	return p ? (int)(p - b64tab) : -1;
}

void *etcd_b64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text), i, o = 0;
	uint8_t *out;
	uint32_t acc = 0;
	int bits = 0;

	out = malloc(n / 4 * 3 + 4);
	if (!out)
		return NULL;
	for (i = 0; i < n && text[i] != '='; i++) {
		int v = b64val(text[i]);

		if (v < 0) {
			free(out);
			errno = EIO;
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

uint64_t etcd_json_u64(const json_t *j)
{
	if (json_is_integer(j))
		return (uint64_t)json_integer_value(j);
	if (json_is_string(j))
		return strtoull(json_string_value(j), NULL, 10);
	return 0;
}

char *etcd_prefix_end_b64(const char *prefix)
{
	size_t n = strlen(prefix);
	char *end, *b64;

	end = strdup(prefix);
	if (!end)
		return NULL;
	while (n > 0) {
		if ((uint8_t)end[n - 1] < 0xff) {
			end[n - 1]++;
			break;
		}
		n--;
	}
	b64 = n ? etcd_b64_encode(end, n) : strdup("AA==");
	free(end);
	return b64;
}

struct buf {
	char *p;
	size_t n;
};

static size_t buf_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t len = size * nmemb;
	char *np = realloc(b->p, b->n + len + 1);

	if (!np)
		return 0;
	memcpy(np + b->n, data, len);
	b->p = np;
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One POST to one endpoint.  Returns 0 (got an HTTP answer: *status, *body),
 * or -errno for a transport failure. */
static int post_once(const char *ep, const char *path, const char *body,
		     long *status, struct buf *out)
{
	char url[512];
	struct curl_slist *hdrs = NULL;
	CURLcode cc;
	CURL *c;

	snprintf(url, sizeof(url), "http://%s/v3/%s", ep, path);
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return -ETIMEDOUT;
	if (cc == CURLE_COULDNT_CONNECT)
		return -ECONNREFUSED;
	return cc == CURLE_OK ? 0 : -EIO;
}

/* Classifies an error answer: 1 = retry elsewhere, else -errno. */
static int classify_error(long status, const json_t *resp)
{
	const char *msg = json_string_value(json_object_get(resp, "message"));
	json_int_t code = json_integer_value(json_object_get(resp, "code"));

	if (!msg)
		msg = json_string_value(json_object_get(resp, "error"));
	if (!msg)
		msg = "";
	if (strstr(msg, "compacted"))
		return -ERANGE;
	if (strstr(msg, "future revision"))
		return -EINVAL;
	if (status >= 500 || code == 14 /* Unavailable */ || code == 4 ||
	    strstr(msg, "leader") || strstr(msg, "timed out") || strstr(msg, "stopped"))
		return 1;
	return -EINVAL;
}

int etcd_call(struct etcd *e, const char *path, json_t *req, json_t **resp)
{
	uint64_t deadline = now_ms() + ETCD_DEADLINE_MS;
	unsigned start = __atomic_load_n(&e->cur, __ATOMIC_RELAXED);
	char *body = json_dumps(req, JSON_COMPACT);
	int rc = -EIO;
	unsigned i;

	*resp = NULL;
	if (!body)
		return -ENOMEM;
	for (i = 0; now_ms() < deadline; i++) {
		unsigned idx = (start + i) % (unsigned)e->n_endpoints;
		struct buf b = { NULL, 0 };
		long status = 0;
		json_t *j;

		if (i && idx == start % e->n_endpoints)
			usleep(100 * 1000);     /* a full round failed: back off */
		rc = post_once(e->endpoints[idx], path, body, &status, &b);
		if (rc) {
			free(b.p);
			continue;
		}
		j = b.p ? json_loads(b.p, 0, NULL) : NULL;
		free(b.p);
		if (status == 200 && json_is_object(j) && !json_object_get(j, "error")) {
			__atomic_store_n(&e->cur, idx, __ATOMIC_RELAXED);
			*resp = j;
			rc = 0;
			break;
		}
		rc = j ? classify_error(status, j) : (status >= 500 ? 1 : -EIO);
		json_decref(j);
		if (rc != 1)
			break;
		rc = -ETIMEDOUT;
	}
	free(body);
	return rc;
}

/* Builds {"key": b64(key)} plus extra members. */
static json_t *key_req(const char *key, size_t klen)
{
	char *k = etcd_b64_encode(key, klen);
	json_t *j;

	if (!k)
		return NULL;
	j = json_pack("{s:s}", "key", k);
	free(k);
	return j;
}

static int kv_from_json(const json_t *kv, struct db_kv *out)
{
	const char *k = json_string_value(json_object_get(kv, "key"));
	const char *v = json_string_value(json_object_get(kv, "value"));
	size_t len;

	if (!k)
		return -EIO;
	out->key = etcd_b64_decode(k, &len);
	out->value = etcd_b64_decode(v ? v : "", &out->value_len);
	if (!out->key || !out->value) {
		db_kv_clear(out);
		return -EIO;
	}
	out->mod_revision = etcd_json_u64(json_object_get(kv, "mod_revision"));
	out->create_revision = etcd_json_u64(json_object_get(kv, "create_revision"));
	return 0;
}

static uint64_t header_rev(const json_t *resp)
{
	return etcd_json_u64(json_object_get(json_object_get(resp, "header"), "revision"));
}

/* One request: takes ownership of req (NULL: allocation failed upstream). */
static int etcd_req(struct db *db, const char *path, json_t *req, json_t **resp)
{
	if (req == NULL)
		return -ENOMEM;
	int rc = etcd_call((struct etcd *)db, path, req, resp);
	json_decref(req);
	return rc;
}

static int etcd_get(struct db *db, const char *key, struct db_kv *out)
{
	json_t *req = key_req(key, strlen(key)), *resp, *kvs;
	int rc;

	rc = etcd_req(db, "kv/range", req, &resp);
	if (rc)
		return rc;
	kvs = json_object_get(resp, "kvs");
	if (json_array_size(kvs) == 0)
		rc = -ENOENT;
	else
		rc = kv_from_json(json_array_get(kvs, 0), out);
	json_decref(resp);
	return rc;
}

static int etcd_scan(struct db *db, const char *prefix, struct db_kv_list *out)
{
	json_t *req, *resp, *kvs;
	char *end = etcd_prefix_end_b64(prefix);
	size_t i;
	int rc;

	req = *prefix ? key_req(prefix, strlen(prefix)) : json_pack("{s:s}", "key", "AA==");
	if (!req || !end || json_object_set_new(req, "range_end", json_string(end))) {
		json_decref(req);
		free(end);
		return -ENOMEM;
	}
	free(end);
	rc = etcd_req(db, "kv/range", req, &resp);
	if (rc)
		return rc;
	out->revision = header_rev(resp);
	kvs = json_object_get(resp, "kvs");
	out->kvs = calloc(json_array_size(kvs) + 1, sizeof(*out->kvs));
	if (!out->kvs)
		rc = -ENOMEM;
	for (i = 0; !rc && i < json_array_size(kvs); i++) {
		rc = kv_from_json(json_array_get(kvs, i), &out->kvs[i]);
		if (!rc)
			out->n++;
	}
	json_decref(resp);
	if (rc)
		db_kv_list_clear(out);
	return rc;
}

static int etcd_put(struct db *db, const char *key, const void *value, size_t len,
		    uint64_t *revision)
{
	json_t *req = key_req(key, strlen(key)), *resp;
	char *v = etcd_b64_encode(value, len);
	int rc;

	if (!req || !v || json_object_set_new(req, "value", json_string(v))) {
		json_decref(req);
		free(v);
		return -ENOMEM;
	}
	free(v);
	rc = etcd_req(db, "kv/put", req, &resp);
	if (rc)
		return rc;
	if (revision)
		*revision = header_rev(resp);
	json_decref(resp);
	return 0;
}

static int etcd_del(struct db *db, const char *key, uint64_t *revision)
{
	json_t *req = key_req(key, strlen(key)), *resp;
	int rc;

	rc = etcd_req(db, "kv/deleterange", req, &resp);
	if (rc)
		return rc;
	if (etcd_json_u64(json_object_get(resp, "deleted")) == 0)
		rc = -ENOENT;
	else if (revision)
		*revision = header_rev(resp);
	json_decref(resp);
	return rc;
}

static const char *const cmp_names[] = {
	[DB_CMP_EQUAL] = "EQUAL", [DB_CMP_NOT_EQUAL] = "NOT_EQUAL",
	[DB_CMP_GREATER] = "GREATER", [DB_CMP_LESS] = "LESS",
};

static json_t *txn_req(const struct db_cmp *cmps, size_t n_cmps,
		       const struct db_op *ops, size_t n_ops)
{
	json_t *req = json_pack("{s:[],s:[],s:[]}", "compare", "success", "failure");
	char rev[32];
	size_t i;

	for (i = 0; req && i < n_cmps; i++) {
		json_t *c = key_req(cmps[i].key, strlen(cmps[i].key));

		snprintf(rev, sizeof(rev), "%" PRIu64, cmps[i].mod_revision);
		if (!c || json_object_set_new(c, "target", json_string("MOD")) ||
		    json_object_set_new(c, "result", json_string(cmp_names[cmps[i].result])) ||
		    json_object_set_new(c, "mod_revision", json_string(rev)) ||
		    json_array_append_new(json_object_get(req, "compare"), c)) {
			json_decref(req);
			return NULL;
		}
	}
	for (i = 0; req && i < n_ops; i++) {
		json_t *r = key_req(ops[i].key, strlen(ops[i].key)), *op;
		char *v = NULL;

		if (r && ops[i].type == DB_OP_PUT) {
			v = etcd_b64_encode(ops[i].value ? ops[i].value : "", ops[i].value_len);
			if (!v || json_object_set_new(r, "value", json_string(v))) {
				json_decref(r);
				r = NULL;
			}
			free(v);
		}
		op = r ? json_pack("{s:o}", ops[i].type == DB_OP_PUT ? "request_put" :
				   "request_delete_range", r) : NULL;
		if (!op || json_array_append_new(json_object_get(req, "success"), op)) {
			json_decref(req);
			return NULL;
		}
	}
	return req;
}

static int etcd_txn(struct db *db, const struct db_cmp *cmps, size_t n_cmps,
		    const struct db_op *ops, size_t n_ops, bool *succeeded,
		    uint64_t *revision)
{
	json_t *req = txn_req(cmps, n_cmps, ops, n_ops), *resp;
	int rc;

	rc = etcd_req(db, "kv/txn", req, &resp);
	if (rc)
		return rc;
	*succeeded = json_is_true(json_object_get(resp, "succeeded"));
	*revision = header_rev(resp);
	json_decref(resp);
	return 0;
}

static int etcd_revision(struct db *db, uint64_t *revision)
{
	json_t *req = json_pack("{s:s,s:b}", "key", "AA==", "count_only", 1), *resp;
	int rc;

	rc = etcd_req(db, "kv/range", req, &resp);
	if (rc)
		return rc;
	*revision = header_rev(resp);
	json_decref(resp);
	return *revision ? 0 : -EIO;
}

static int etcd_compact(struct db *db, uint64_t revision)
{
	char rev[32];
	json_t *req, *resp;
	int rc;

	snprintf(rev, sizeof(rev), "%" PRIu64, revision);
	req = json_pack("{s:s,s:b}", "revision", rev, "physical", 1);
	rc = etcd_req(db, "kv/compaction", req, &resp);
	json_decref(resp);
	return rc;
}

static void etcd_close(struct db *db);

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static struct db *etcd_open(const char *url)
{
	const char *list = url + strlen("etcd:");
	struct etcd *e;
	char *copy, *tok, *save = NULL;

	if (strncmp(list, "//", 2) || !list[2]) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	e = calloc(1, sizeof(*e));
	copy = strdup(list + 2);
	if (!e || !copy)
		goto fail;
	e->up.drv = &db_etcd_driver;
	pthread_mutex_init(&e->mu, NULL);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **n = realloc(e->endpoints, (e->n_endpoints + 1) * sizeof(*n));

		if (!n)
			goto fail;
		e->endpoints = n;
		if (!strchr(tok, ':') || !(n[e->n_endpoints] = strdup(tok))) {
			errno = strchr(tok, ':') ? ENOMEM : EINVAL;
			goto fail;
		}
		e->n_endpoints++;
	}
	free(copy);
	if (!e->n_endpoints) {
		etcd_close(&e->up);
		errno = EINVAL;
		return NULL;
	}
	return &e->up;
fail:
	free(copy);
	if (e) {
		int saved = errno ? errno : ENOMEM;

		e->up.drv = &db_etcd_driver;
		etcd_close(&e->up);
		errno = saved;
	}
	return NULL;
}

static void etcd_close(struct db *db)
{
	struct etcd *e = (struct etcd *)db;
	size_t i;

	for (;;) {
		struct etcd_watch *w;

		pthread_mutex_lock(&e->mu);
		w = e->watches;
		pthread_mutex_unlock(&e->mu);
		if (!w)
			break;
		etcd_watch_cancel((struct db_watch *)w);
	}
	for (i = 0; i < e->n_endpoints; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

const struct db_driver db_etcd_driver = {
	.scheme = "etcd",
	.open = etcd_open,
	.close = etcd_close,
	.get = etcd_get,
	.put = etcd_put,
	.del = etcd_del,
	.scan = etcd_scan,
	.txn = etcd_txn,
	.revision = etcd_revision,
	.compact = etcd_compact,
	.watch = etcd_watch,
	.watch_cancel = etcd_watch_cancel,
};
