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
 * twice in the ways wyvern uses it.
 *
 * A scan is paged: db_opts.scan_page_keys (DB_ETCD_PAGE_KEYS) keys per
 * range request, decoded without a JSON tree (db_etcd_range.c), every page after
 * the first pinned at the first page's revision and starting after the
 * last key received, so a 100k-object prefix is many small responses of
 * one snapshot.  If that revision is compacted while paging, the scan starts
 * over (a few times).  Transport, TLS and authentication: db_etcd_http.c. */
#include "db_etcd_priv.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ETCD_PAGE_TIMEOUT_MS 30000   /* per page, not per scan */

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

/* b64tab's inverse, 0xff for a byte outside it; built once */
static uint8_t b64inv[256];
static pthread_once_t b64inv_once = PTHREAD_ONCE_INIT;

static void b64inv_init(void)
{
	memset(b64inv, 0xff, sizeof(b64inv));
	for (unsigned i = 0; i < 64; i++)
		b64inv[(uint8_t)b64tab[i]] = (uint8_t)i;
}

void *etcd_b64_decode_n(const char *text, size_t n, size_t *len)
{
	size_t i, o = 0;
	uint8_t *out;
	uint32_t acc = 0;
	int bits = 0;

	pthread_once(&b64inv_once, b64inv_init);
	out = malloc(n / 4 * 3 + 4);
	if (!out)
		return NULL;
	for (i = 0; i < n && text[i] != '='; i++) {
		uint8_t v = b64inv[(uint8_t)text[i]];

		if (v == 0xff) {
			free(out);
			errno = EIO;
			return NULL;
		}
		acc = acc << 6 | v;
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

void *etcd_b64_decode(const char *text, size_t *len)
{
	return etcd_b64_decode_n(text, strlen(text), len);
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

/* One page: keys in [from, end) at revision rev (0 = current).  Appends to
 * out; *more and *rev_out from the answer, decoded without a JSON tree
 * (db_etcd_range.c). */
static int scan_page(struct db *db, const char *from, size_t from_len, const char *end,
		     uint64_t rev, struct db_kv_list *out, size_t *cap, bool *more,
		     uint64_t *rev_out)
{
	struct etcd_range r = { .out = out, .cap = cap };
	size_t n0 = out->n;
	json_t *req;
	char num[32];
	int rc;

	req = from_len ? key_req(from, from_len) : json_pack("{s:s}", "key", "AA==");
	snprintf(num, sizeof(num), "%u", ((struct etcd *)db)->page_keys);
	if (!req || json_object_set_new(req, "range_end", json_string(end)) ||
	    json_object_set_new(req, "limit", json_string(num))) {
		json_decref(req);
		return -ENOMEM;
	}
	if (rev) {
		snprintf(num, sizeof(num), "%" PRIu64, rev);
		if (json_object_set_new(req, "revision", json_string(num))) {
			json_decref(req);
			return -ENOMEM;
		}
	}
	rc = etcd_call_range((struct etcd *)db, req, &r, ETCD_PAGE_TIMEOUT_MS);
	json_decref(req);
	if (rc)
		return rc;
	*rev_out = r.revision;
	*more = r.more;
	if (*more && out->n == n0)
		return -EIO;            /* "more" without keys: would loop */
	return 0;
}

/* Pages of one snapshot, each handed to page() as it arrives; compacted
 * while paging: start over at a newer revision (start = true again). */
static int etcd_scan_pages(struct db *db, const char *prefix,
			   int (*page)(struct db_kv_list *l, bool start, void *arg), void *arg,
			   uint64_t *revision)
{
	char *end = etcd_prefix_end_b64(prefix);
	struct db_kv_list l = { 0 };
	size_t cap = 0;
	int attempt, rc = -ENOMEM;

	if (!end)
		return -ENOMEM;
	for (attempt = 0; attempt < 4; attempt++) {
		uint64_t rev = 0, got = 0;
		bool more = true, start = true;
		char *from = strdup(prefix);
		size_t from_len = strlen(prefix);

		rc = from ? 0 : -ENOMEM;
		while (!rc && more) {
			rc = scan_page(db, from, from_len, end, rev, &l, &cap, &more, &got);
			if (!rev)
				rev = got;
			if (!rc && more) {
				/* next page starts right after the last key: key + "\0" */
				free(from);
				from_len = strlen(l.kvs[l.n - 1].key) + 1;
				from = malloc(from_len);
				if (from)
					memcpy(from, l.kvs[l.n - 1].key, from_len);
				else
					rc = -ENOMEM;
			}
			if (!rc) {
				l.revision = rev;
				rc = page(&l, start, arg);
				start = false;
			}
			for (size_t i = 0; i < l.n; i++)
				db_kv_clear(&l.kvs[i]);
			l.n = 0;
		}
		free(from);
		if (!rc && revision)
			*revision = rev;
		if (rc != -ERANGE || !rev)
			break;          /* compacted while paging: start over */
	}
	free(l.kvs);
	free(end);
	return rc;
}

/* db_scan: the pages appended into one list */
static int scan_all(struct db_kv_list *l, bool start, void *arg)
{
	struct db_kv_list *out = arg;

	if (start)
		db_kv_list_clear(out);
	struct db_kv *nk = realloc(out->kvs, (out->n + l->n + 1) * sizeof(*nk));
	if (!nk)
		return -ENOMEM;
	out->kvs = nk;
	for (size_t i = 0; i < l->n; i++) {
		out->kvs[out->n++] = l->kvs[i];
		memset(&l->kvs[i], 0, sizeof(l->kvs[i]));   /* taken */
	}
	return 0;
}

static int etcd_scan(struct db *db, const char *prefix, struct db_kv_list *out)
{
	int rc = etcd_scan_pages(db, prefix, scan_all, out, &out->revision);

	if (rc)
		db_kv_list_clear(out);
	else if (!out->kvs && !(out->kvs = calloc(1, sizeof(*out->kvs))))
		rc = -ENOMEM;
	return rc;
}

/* kv/put, with a lease when lease != 0. */
static int put_req(struct db *db, const char *key, const void *value, size_t len,
		   int64_t lease, uint64_t *revision)
{
	json_t *req = key_req(key, strlen(key)), *resp;
	char *v = etcd_b64_encode(value, len), l[24];
	int rc;

	snprintf(l, sizeof(l), "%lld", (long long)lease);
	if (!req || !v || json_object_set_new(req, "value", json_string(v)) ||
	    (lease && json_object_set_new(req, "lease", json_string(l)))) {
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

static int etcd_put(struct db *db, const char *key, const void *value, size_t len,
		    uint64_t *revision)
{
	return put_req(db, key, value, len, 0, revision);
}

/* ---- leases: lease/grant, lease/keepalive (one message of the stream),
 * lease/revoke; IDs travel as decimal strings (int64 in the JSON gateway). */

static json_t *lease_req(int64_t id)
{
	char b[24];

	snprintf(b, sizeof(b), "%lld", (long long)id);
	return json_pack("{s:s}", "ID", b);
}

/* etcd says "requested lease not found" for an expired or unknown lease. */
static int lease_rc(int rc)
{
	return rc == -EINVAL && strstr(db_last_error(), "lease not found") ? -ENOENT : rc;
}

static int etcd_lease_grant(struct db *db, unsigned ttl_s, int64_t *id)
{
	json_t *resp;
	int rc = etcd_req(db, "lease/grant", json_pack("{s:I}", "TTL", (json_int_t)ttl_s), &resp);

	if (rc)
		return rc;
	*id = (int64_t)etcd_json_u64(json_object_get(resp, "ID"));
	if (*id == 0) {
		db_set_error("etcd lease/grant: no lease ID in the answer");
		rc = -EIO;
	}
	json_decref(resp);
	return rc;
}

static int etcd_lease_keepalive(struct db *db, int64_t id, unsigned *ttl_left)
{
	json_t *resp, *r;
	uint64_t ttl;
	int rc = etcd_req(db, "lease/keepalive", lease_req(id), &resp);

	if (rc)
		return lease_rc(rc);
	r = json_object_get(resp, "result");
	ttl = etcd_json_u64(json_object_get(r ? r : resp, "TTL"));
	json_decref(resp);
	if (ttl == 0) {         /* expired: the answer carries no TTL */
		db_set_error("etcd lease %lld expired", (long long)id);
		return -ENOENT;
	}
	if (ttl_left)
		*ttl_left = (unsigned)ttl;
	return 0;
}

static int etcd_lease_revoke(struct db *db, int64_t id)
{
	json_t *resp;
	int rc = etcd_req(db, "lease/revoke", lease_req(id), &resp);

	if (rc)
		return lease_rc(rc);
	json_decref(resp);
	return 0;
}

static int etcd_put_lease(struct db *db, const char *key, const void *value, size_t len,
			  int64_t lease, uint64_t *revision)
{
	return lease_rc(put_req(db, key, value, len, lease, revision));
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
	if (rc == -EACCES) {
		/* a user who may not read every key (a chassis role): the
		 * member's status carries the revision too (serializable) */
		rc = etcd_req(db, "maintenance/status", json_object(), &resp);
	}
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

static bool set(const char *s)
{
	return s && *s;
}

/* A file the driver will need, checked now so that a typo is a clear error
 * at start-up rather than a TLS failure later. */
static int keep_file(const char *what, const char *path, char **out)
{
	FILE *f;

	if (!set(path))
		return 0;
	f = fopen(path, "r");
	if (!f) {
		int rc = -errno;

		db_set_error("cannot read the %s %s: %s", what, path, strerror(-rc));
		return -EINVAL;
	}
	fclose(f);
	*out = strdup(path);
	return *out ? 0 : -ENOMEM;
}

/* The first line of the password file (without its newline). */
static int read_password(const char *path, char **out)
{
	char line[512];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		int rc = errno;

		db_set_error("cannot read the password file %s: %s", path, strerror(rc));
		return -EINVAL;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0) {
		db_set_error("the password file %s is empty", path);
		return -EINVAL;
	}
	*out = strdup(line);
	memset(line, 0, sizeof(line));
	return *out ? 0 : -ENOMEM;
}

static int apply_opts(struct etcd *e, const struct db_opts *o)
{
	int rc;

	if (!e->tls && (set(o->ca_file) || set(o->cert_file) || set(o->key_file))) {
		db_set_error("TLS files given for a plain etcd:// URL (use etcds://)");
		return -EINVAL;
	}
	if (set(o->cert_file) != set(o->key_file)) {
		db_set_error("a client certificate needs its key and a key its certificate");
		return -EINVAL;
	}
	if (set(o->user) != set(o->password_file)) {
		db_set_error("an etcd user needs a password file and a password file a user");
		return -EINVAL;
	}
	rc = keep_file("CA file", o->ca_file, &e->ca_file);
	if (!rc)
		rc = keep_file("client certificate", o->cert_file, &e->cert_file);
	if (!rc)
		rc = keep_file("client key", o->key_file, &e->key_file);
	if (!rc && set(o->user)) {
		e->user = strdup(o->user);
		rc = e->user ? read_password(o->password_file, &e->password) : -ENOMEM;
	}
	e->watch_idle_ms = o->watch_idle_ms ? o->watch_idle_ms : DB_WATCH_IDLE_MS;
	e->page_keys = o->scan_page_keys ? o->scan_page_keys : DB_ETCD_PAGE_KEYS;
	return rc;
}

static struct db *etcd_open_common(const char *url, const struct db_opts *o, bool tls,
				   const struct db_driver *drv)
{
	const char *list = strchr(url, ':') + 1;
	struct etcd *e;
	char *copy = NULL, *tok, *save = NULL;
	int rc = -ENOMEM;

	if (strncmp(list, "//", 2) || !list[2]) {
		db_set_error("an etcd URL is %s://HOST:PORT[,HOST:PORT...]", drv->scheme);
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	e = calloc(1, sizeof(*e));
	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	e->up.drv = drv;
	e->tls = tls;
	e->id = etcd_new_id();
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->auth_mu, NULL);
	copy = strdup(list + 2);
	if (!copy)
		goto fail;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **n = realloc(e->endpoints, (e->n_endpoints + 1) * sizeof(*n));

		if (!n)
			goto fail;
		e->endpoints = n;
		if (!strchr(tok, ':') || strchr(tok, '/')) {
			db_set_error("etcd endpoint '%s' is not HOST:PORT", tok);
			rc = -EINVAL;
			goto fail;
		}
		if (!(n[e->n_endpoints] = strdup(tok)))
			goto fail;
		e->n_endpoints++;
	}
	if (!e->n_endpoints) {
		db_set_error("an etcd URL is %s://HOST:PORT[,HOST:PORT...]", drv->scheme);
		rc = -EINVAL;
		goto fail;
	}
	rc = apply_opts(e, o);
	if (!rc)
		rc = etcd_authenticate(e);
	if (rc)
		goto fail;
	free(copy);
	return &e->up;
fail:
	free(copy);
	etcd_close(&e->up);
	errno = -rc;
	return NULL;
}

static struct db *etcd_open(const char *url, const struct db_opts *o)
{
	return etcd_open_common(url, o, false, &db_etcd_driver);
}

static struct db *etcds_open(const char *url, const struct db_opts *o)
{
	return etcd_open_common(url, o, true, &db_etcds_driver);
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
	etcd_forget_thread_handle(e);
	for (i = 0; i < e->n_endpoints; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	free(e->ca_file);
	free(e->cert_file);
	free(e->key_file);
	free(e->user);
	if (e->password)
		memset(e->password, 0, strlen(e->password));
	free(e->password);
	free(e->token);
	pthread_mutex_destroy(&e->mu);
	pthread_mutex_destroy(&e->auth_mu);
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
	.scan_pages = etcd_scan_pages,
	.txn = etcd_txn,
	.revision = etcd_revision,
	.compact = etcd_compact,
	.watch = etcd_watch,
	.watch_cancel = etcd_watch_cancel,
	.lease_grant = etcd_lease_grant,
	.lease_keepalive = etcd_lease_keepalive,
	.lease_revoke = etcd_lease_revoke,
	.put_lease = etcd_put_lease,
};

const struct db_driver db_etcds_driver = {
	.scheme = "etcds",
	.open = etcds_open,
	.close = etcd_close,
	.get = etcd_get,
	.put = etcd_put,
	.del = etcd_del,
	.scan = etcd_scan,
	.scan_pages = etcd_scan_pages,
	.txn = etcd_txn,
	.revision = etcd_revision,
	.compact = etcd_compact,
	.watch = etcd_watch,
	.watch_cancel = etcd_watch_cancel,
	.lease_grant = etcd_lease_grant,
	.lease_keepalive = etcd_lease_keepalive,
	.lease_revoke = etcd_lease_revoke,
	.put_lease = etcd_put_lease,
};
