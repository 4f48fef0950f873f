/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_watch.c — etcd driver — watch streams.
 *
 * One thread per watch holds a streaming POST /v3/watch (curl multi handle,
 * polled every 100 ms so cancel is prompt).  The gateway sends one JSON
 * object per watch response; we cut the byte stream into objects by brace
 * depth (string-aware), so framing by newline or not does not matter.
 *
 * Exactly-once: `next` is the first revision not yet delivered.  A
 * (re)connect asks for start_revision = next; events below `next` (replayed
 * after a reconnect) are dropped.  `next` only moves after a whole response
 * is delivered, and etcd never splits one revision over responses unless
 * asked to fragment, so a drop in the middle cannot lose part of a txn.
 * When the connection ends for any reason the thread moves to the next
 * endpoint (round robin) after a short back-off and resumes.  A compacted
 * start revision is reported once as DB_EV_COMPACTED and ends the stream. */
#include "db_etcd_priv.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct etcd_watch {
	struct db_watch up;
	struct etcd *e;
	char *key_b64;
	char *end_b64;
	uint64_t next;
	void (*cb)(const struct db_event *, void *);
	void *arg;
	pthread_t thread;
	int stop;                       /* atomic */
	bool done;                      /* compacted: no reconnect */
	bool reconnect;                 /* server cancelled or errored */
	unsigned ep;
	char *buf;
	size_t len;
	struct etcd_watch *next_w;      /* e->watches, under e->mu */
};

static bool stopping(struct etcd_watch *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

static void deliver_events(struct etcd_watch *w, const json_t *events)
{
	uint64_t last = 0;
	size_t i;

	for (i = 0; i < json_array_size(events); i++) {
		const json_t *ev = json_array_get(events, i);
		const json_t *kv = json_object_get(ev, "kv");
		const char *type = json_string_value(json_object_get(ev, "type"));
		const char *k = json_string_value(json_object_get(kv, "key"));
		const char *v = json_string_value(json_object_get(kv, "value"));
		uint64_t rev = etcd_json_u64(json_object_get(kv, "mod_revision"));
		struct db_event out;
		size_t klen, vlen;
		char *key, *val;

		if (!k || rev < w->next)
			continue;       /* replay after a reconnect */
		key = etcd_b64_decode(k, &klen);
		val = etcd_b64_decode(v ? v : "", &vlen);
		if (key && val) {
			out.type = type && !strcmp(type, "DELETE") ? DB_EV_DELETE : DB_EV_PUT;
			out.key = key;
			out.value = out.type == DB_EV_PUT ? val : NULL;
			out.value_len = out.type == DB_EV_PUT ? vlen : 0;
			out.revision = rev;
			w->cb(&out, w->arg);
		}
		free(key);
		free(val);
		if (rev > last)
			last = rev;
	}
	if (last >= w->next)
		w->next = last + 1;
}

/* Handles one watch response; returns false to end the transfer. */
static bool handle_msg(struct etcd_watch *w, const json_t *msg)
{
	const json_t *res = json_object_get(msg, "result");
	uint64_t compact;

	if (!json_is_object(res)) {
		w->reconnect = true;
		return false;
	}
	compact = etcd_json_u64(json_object_get(res, "compact_revision"));
	if (compact) {
		struct db_event ev = { DB_EV_COMPACTED, NULL, NULL, 0, compact };

		w->cb(&ev, w->arg);
		w->done = true;
		return false;
	}
	deliver_events(w, json_object_get(res, "events"));
	if (json_is_true(json_object_get(res, "canceled"))) {
		w->reconnect = true;
		return false;
	}
	return true;
}

/* Length of the first complete JSON object in s[0..n), or 0. */
static size_t object_len(const char *s, size_t n, size_t *skip)
{
	bool in_str = false, esc = false;
	size_t i, start = 0;
	int depth = 0;

	while (start < n && s[start] != '{')
		start++;
	*skip = start;
	for (i = start; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{') {
			depth++;
		} else if (c == '}' && --depth == 0) {
			return i + 1 - start;
		}
	}
	return 0;
}

static size_t stream_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct etcd_watch *w = arg;
	size_t len = size * nmemb, olen, skip;
	char *nb = realloc(w->buf, w->len + len + 1);

	if (!nb)
		return 0;
	w->buf = nb;
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	while ((olen = object_len(w->buf, w->len, &skip)) > 0) {
		json_t *msg = json_loadb(w->buf + skip, olen, 0, NULL);
		bool go = msg ? handle_msg(w, msg) : false;

		json_decref(msg);
		memmove(w->buf, w->buf + skip + olen, w->len - skip - olen);
		w->len -= skip + olen;
		if (!go)
			return 0;       /* ends the transfer */
	}
	return len;
}

/* Runs one stream until it ends or the watch is cancelled. */
static void run_stream(struct etcd_watch *w)
{
	const char *ep = w->e->endpoints[w->ep % w->e->n_endpoints];
	struct curl_slist *hdrs = NULL;
	char url[512], rev[32], *body;
	CURLM *m = NULL;
	CURL *c = NULL;
	json_t *req;
	int running = 1;

	snprintf(rev, sizeof(rev), "%" PRIu64, w->next);
	req = json_pack("{s:{s:s,s:s,s:s}}", "create_request", "key", w->key_b64,
			"range_end", w->end_b64, "start_revision", rev);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return;
	snprintf(url, sizeof(url), "http://%s/v3/watch", ep);
	c = curl_easy_init();
	m = curl_multi_init();
	if (!c || !m)
		goto out;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 2L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_multi_add_handle(m, c);
	while (running && !stopping(w)) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	curl_multi_remove_handle(m, c);
out:
	w->len = 0;
	curl_slist_free_all(hdrs);
	if (c)
		curl_easy_cleanup(c);
	if (m)
		curl_multi_cleanup(m);
	free(body);
}

static void *watch_main(void *arg)
{
	struct etcd_watch *w = arg;
	int i;

	while (!stopping(w) && !w->done) {
		w->reconnect = false;
		run_stream(w);
		if (stopping(w) || w->done)
			break;
		w->ep++;                        /* round robin on any drop */
		for (i = 0; i < 4 && !stopping(w); i++)
			usleep(50 * 1000);
	}
	return NULL;
}

struct db_watch *etcd_watch(struct db *db, const char *prefix, uint64_t from,
			    void (*cb)(const struct db_event *, void *), void *arg)
{
	struct etcd *e = (struct etcd *)db;
	struct etcd_watch *w;
	int rc;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->up.db = db;
	w->e = e;
	w->cb = cb;
	w->arg = arg;
	w->ep = __atomic_load_n(&e->cur, __ATOMIC_RELAXED);
	w->key_b64 = *prefix ? etcd_b64_encode(prefix, strlen(prefix)) : strdup("AA==");
	w->end_b64 = etcd_prefix_end_b64(prefix);
	if (!w->key_b64 || !w->end_b64) {
		rc = -ENOMEM;
		goto fail;
	}
	if (!from) {
		rc = db->drv->revision(db, &from);
		if (rc)
			goto fail;
		from++;
	}
	w->next = from;
	rc = -pthread_create(&w->thread, NULL, watch_main, w);
	if (rc)
		goto fail;
	pthread_mutex_lock(&e->mu);
	w->next_w = e->watches;
	e->watches = w;
	pthread_mutex_unlock(&e->mu);
	return &w->up;
fail:
	free(w->key_b64);
	free(w->end_b64);
	free(w);
	errno = -rc;
	return NULL;
}

void etcd_watch_cancel(struct db_watch *dw)
{
	struct etcd_watch *w = (struct etcd_watch *)dw, **pp;
	struct etcd *e = w->e;

	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_join(w->thread, NULL);
	pthread_mutex_lock(&e->mu);
	for (pp = &e->watches; *pp; pp = &(*pp)->next_w) {
		if (*pp == w) {
			*pp = w->next_w;
			break;
		}
	}
	pthread_mutex_unlock(&e->mu);
	free(w->buf);
	free(w->key_b64);
	free(w->end_b64);
	free(w);
}
