/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_watch.c — etcd driver — watch streams.
 *
 * One thread per watch holds a streaming POST /v3/watch (curl multi handle).
 * The thread sleeps in curl_multi_poll until stream bytes, its next liveness
 * deadline, or its eventfd, which cancel writes: an idle watch does not wake
 * (a host runs one; the fan-out bench runs a thousand, whose 100 ms polls
 * used to cost a third of an update's delivery time).  The gateway sends one JSON
 * object per watch response; we cut the byte stream into objects by brace
 * depth (string-aware), so framing by newline or not does not matter, and
 * decode each with yajl's events, no tree (db_etcd_watch_msg.c).
 *
 * Exactly-once: `next` is the first revision not yet delivered.  A
 * (re)connect asks for start_revision = next; events below `next` (replayed
 * after a reconnect) are dropped.  `next` only moves after a whole response
 * is delivered, and etcd never splits one revision over responses unless
 * asked to fragment, so a drop in the middle cannot lose part of a txn.
 * When the connection ends for any reason the thread moves to the next
 * endpoint (round robin) after a short back-off and resumes.  A compacted
 * start revision is reported once as DB_EV_COMPACTED and ends the stream.
 *
 * Liveness: the stream asks for progress notifications and sends
 * Grpc-Metadata-hasleader, so a member that loses its leader cancels the
 * stream ("no leader") instead of going quiet.  A member that is frozen or
 * cut off says nothing at all, and etcd's progress interval is 10 minutes by
 * default, so the watch thread also probes: after idle_ms/2 without any
 * byte from the stream it sends a linearizable one-key range to the same
 * member (a read that needs a leader) on the same curl multi handle, with a
 * timeout of idle_ms/2.  An answer counts as life; an error, a timeout, or
 * idle_ms without any sign of life ends the stream and the watch moves on.
 *
 * Identity: every (re)connect compares the stream's first header with what
 * the watch knew: another cluster_id, or a revision below the last one
 * delivered (confirmed by a linearizable read, so a lagging member does not
 * count), means the store was restored or recreated: DB_EV_RESYNC, the
 * watch ends.  An event that cannot be decoded (allocation failure) is not
 * skipped silently either: DB_EV_RESYNC. */
#include "db_etcd_priv.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
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
	int wake_fd;                    /* eventfd: cancel wakes the thread */
	bool done;                      /* compacted: no reconnect */
	bool reconnect;                 /* server cancelled or errored */
	bool reauth;                    /* the token was refused: log in again */
	bool check_ident;               /* next response is the "created" one */
	uint64_t cluster_id;            /* 0 = not known yet */
	uint64_t token_gen;             /* token generation of this stream */
	uint64_t last_alive;            /* ms: stream bytes or a good probe */
	bool got_msg;                   /* this stream delivered a response */
	unsigned fails;                 /* streams in a row without one */
	unsigned ep;
	struct etcd_buf sb;             /* stream bytes not yet a whole response */
	struct etcd_watch *next_w;      /* e->watches, under e->mu */
};

static bool stopping(struct etcd_watch *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

/* etcd sends a revision's events in one response (we never ask for
 * fragments), in revision order: an event ends its revision when the next
 * one has another, or it is the last of the response. */
static void deliver_events(struct etcd_watch *w, const struct etcd_watch_msg *m)
{
	uint64_t last = 0;
	size_t i, n = m->n_ev;

	for (i = 0; i < n; i++) {
		const struct etcd_wevent *e = &m->ev[i];
		uint64_t rev = e->mod_revision;
		struct db_event out;

		if (rev < w->next)
			continue;       /* replay after a reconnect */
		if (e->bad) {
			struct db_event lost = { DB_EV_RESYNC, NULL, NULL, 0, rev };

			db_set_error("etcd watch: an event could not be decoded");
			w->cb(&lost, w->arg);
			w->done = true;
			return;
		}
		if (!e->key)
			continue;
		out.type = e->del ? DB_EV_DELETE : DB_EV_PUT;
		out.key = e->key;
		out.value = out.type == DB_EV_PUT ? (e->value ? e->value : "") : NULL;
		out.value_len = out.type == DB_EV_PUT && e->value ? e->value_len : 0;
		out.revision = rev;
		out.rev_end = i + 1 == n || m->ev[i + 1].mod_revision != rev;
		w->cb(&out, w->arg);
		if (rev > last)
			last = rev;
	}
	if (last >= w->next)
		w->next = last + 1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void resync(struct etcd_watch *w, uint64_t rev, const char *why)
{
	struct db_event ev = { DB_EV_RESYNC, NULL, NULL, 0, rev };

	db_set_error("etcd watch: %s", why);
	w->cb(&ev, w->arg);
	w->done = true;
}

/* The first header of a stream: same cluster, and not behind what we
 * delivered?  Returns false when the watch must end (or reconnect). */
static bool check_identity(struct etcd_watch *w, const struct etcd_watch_msg *m)
{
	uint64_t id = m->cluster_id;
	uint64_t rev = m->revision;
	json_t *req, *resp = NULL;
	uint64_t now_rev;
	int rc;

	w->check_ident = false;
	if (id && w->cluster_id && id != w->cluster_id) {
		resync(w, rev, "the etcd cluster id changed (cluster recreated or restored)");
		return false;
	}
	if (id)
		w->cluster_id = id;
	if (!rev || rev + 1 >= w->next)
		return true;
	/* Behind: a lagging member, or a store restored to an older revision.
	 * Ask for the revision with a linearizable read (through the leader). */
	req = json_pack("{s:s,s:s}", "key", "AA==", "limit", "1");
	rc = req ? etcd_call(w->e, "kv/range", req, &resp) : -ENOMEM;
	json_decref(req);
	now_rev = rc ? 0 : etcd_json_u64(json_object_get(json_object_get(resp, "header"),
							  "revision"));
	json_decref(resp);
	if (!rc && now_rev + 1 < w->next) {
		resync(w, now_rev, "the etcd revision went backwards (store restored from a "
		       "snapshot?)");
		return false;
	}
	w->reconnect = true;            /* lagging member, or no answer: elsewhere */
	return false;
}

/* Handles one watch response; returns false to end the transfer. */
static bool handle_msg(struct etcd_watch *w, const struct etcd_watch_msg *m)
{
	if (!m->has_result) {
		if (m->error_message) {
			db_set_error("etcd watch: %s", m->error_message);
			w->reauth = etcd_token_error(m->error_message);
		}
		w->reconnect = true;
		return false;
	}
	if (w->check_ident && !check_identity(w, m))
		return false;
	w->got_msg = true;
	if (m->compact_revision) {
		struct db_event ev = { DB_EV_COMPACTED, NULL, NULL, 0, m->compact_revision };

		w->cb(&ev, w->arg);
		w->done = true;
		return false;
	}
	deliver_events(w, m);
	if (w->done)
		return false;
	if (m->canceled) {
		if (m->cancel_reason) {
			db_set_error("etcd watch cancelled: %s", m->cancel_reason);
			w->reauth = etcd_token_error(m->cancel_reason);
		}
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

	if (etcd_buf_append(&w->sb, data, len))
		return 0;
	w->last_alive = mono_ms();
	while ((olen = object_len(w->sb.p, w->sb.n, &skip)) > 0) {
		struct etcd_watch_msg msg;
		bool go = etcd_watch_msg_decode(w->sb.p + skip, olen, &msg) == 0 &&
			  handle_msg(w, &msg);

		etcd_watch_msg_clear(&msg);
		memmove(w->sb.p, w->sb.p + skip + olen, w->sb.n - skip - olen);
		w->sb.n -= skip + olen;
		if (!go)
			return 0;       /* ends the transfer */
	}
	return len;
}

struct probe {
	CURL *c;
	struct curl_slist *hdrs;
	struct etcd_buf b;
	uint64_t gen;
};

static void probe_end(CURLM *m, struct probe *p)
{
	if (!p->c)
		return;
	curl_multi_remove_handle(m, p->c);
	curl_easy_cleanup(p->c);
	curl_slist_free_all(p->hdrs);
	free(p->b.p);
	memset(p, 0, sizeof(*p));
}

static size_t probe_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct etcd_buf *b = arg;
	size_t len = size * nmemb;

	if (b->n + len > 65536 || etcd_buf_append(b, data, len))
		return 0;
	return len;
}

/* Starts a liveness probe to the stream's member: a linearizable one-key
 * range (needs a leader). */
static void probe_start(struct etcd_watch *w, CURLM *m, const char *ep, struct probe *p)
{
	static const char body[] = "{\"key\":\"AA==\",\"limit\":\"1\"}";

	p->c = curl_easy_init();
	if (!p->c || etcd_setup(w->e, p->c, ep, "kv/range", false, &p->hdrs, &p->gen)) {
		probe_end(m, p);
		return;
	}
	curl_easy_setopt(p->c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(p->c, CURLOPT_WRITEFUNCTION, probe_write);
	curl_easy_setopt(p->c, CURLOPT_WRITEDATA, &p->b);
	curl_easy_setopt(p->c, CURLOPT_TIMEOUT_MS, (long)(w->e->watch_idle_ms / 2));
	curl_multi_add_handle(m, p->c);
}

/* A finished probe: true = the member answered as a healthy member of our
 * cluster.  A refused token is re-fetched and does not count against it. */
static bool probe_done(struct etcd_watch *w, struct probe *p, CURLcode cc)
{
	json_t *j = NULL;
	long status = 0;
	bool ok = false;

	if (cc == CURLE_OK) {
		curl_easy_getinfo(p->c, CURLINFO_RESPONSE_CODE, &status);
		j = p->b.p ? json_loads(p->b.p, 0, NULL) : NULL;
	}
	if (status == 200 && json_is_object(j) && json_object_get(j, "header")) {
		uint64_t id = etcd_json_u64(json_object_get(json_object_get(j, "header"),
							    "cluster_id"));

		ok = !id || !w->cluster_id || id == w->cluster_id;
		if (!ok)
			db_set_error("etcd watch: the member's cluster id changed");
	} else if (j && etcd_token_error(json_string_value(json_object_get(j, "message")))) {
		ok = etcd_reauth(w->e, p->gen) == 0;
	} else {
		const char *m = json_string_value(json_object_get(j, "message"));

		db_set_error("etcd watch: liveness probe failed: %s",
			     m ? m : curl_easy_strerror(cc));
	}
	json_decref(j);
	return ok;
}

/* Runs one stream until it ends, goes silent, or the watch is cancelled. */
static void run_stream(struct etcd_watch *w)
{
	const char *ep = w->e->endpoints[w->ep % w->e->n_endpoints];
	unsigned idle = w->e->watch_idle_ms;
	struct curl_slist *hdrs = NULL;
	struct probe probe = { 0 };
	char rev[32], *body;
	CURLM *m = NULL;
	CURL *c = NULL;
	json_t *req;
	int running = 1;

	snprintf(rev, sizeof(rev), "%" PRIu64, w->next);
	req = json_pack("{s:{s:s,s:s,s:s,s:b}}", "create_request", "key", w->key_b64,
			"range_end", w->end_b64, "start_revision", rev, "progress_notify", 1);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return;
	c = curl_easy_init();
	m = curl_multi_init();
	if (!c || !m || etcd_setup(w->e, c, ep, "watch", true, &hdrs, &w->token_gen))
		goto out;
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 2L);
	curl_multi_add_handle(m, c);
	w->check_ident = true;
	w->got_msg = false;
	w->last_alive = mono_ms();
	while (running && !stopping(w)) {
		struct CURLMsg *msg;
		int left;
		uint64_t now;

		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->easy_handle == c) {
				if (msg->data.result != CURLE_OK && msg->data.result !=
				    CURLE_WRITE_ERROR)
					db_set_error("etcd watch %s: %s", ep,
						     curl_easy_strerror(msg->data.result));
				running = 0;
			} else if (msg->easy_handle == probe.c) {
				if (probe_done(w, &probe, msg->data.result))
					w->last_alive = mono_ms();
				else
					running = 0;
				probe_end(m, &probe);
			}
		}
		if (!running)
			break;
		now = mono_ms();
		if (now - w->last_alive >= idle) {
			db_set_error("etcd watch %s: silent for %u ms: moving on", ep, idle);
			break;
		}
		if (!probe.c && now - w->last_alive >= idle / 2)
			probe_start(w, m, ep, &probe);
		/* sleep until the next deadline: the probe's start, or the end
		 * of the idle time (curl shortens it for its own timers) */
		uint64_t due = w->last_alive + (probe.c ? idle : idle / 2);
		struct curl_waitfd wfd = { .fd = w->wake_fd, .events = CURL_WAIT_POLLIN };
		curl_multi_poll(m, &wfd, 1, due > now ? (int)(due - now) : 1, NULL);
	}
	probe_end(m, &probe);
	curl_multi_remove_handle(m, c);
out:
	w->sb.n = 0;
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

	while (!stopping(w) && !w->done) {
		w->reconnect = false;
		w->reauth = false;
		run_stream(w);
		if (stopping(w) || w->done)
			break;
		if (w->reauth)
			etcd_reauth(w->e, w->token_gen);
		w->ep++;                        /* round robin on any drop */
		/* 200 ms, growing to 2 s while streams end before delivering
		 * anything (refused watch, every member down) */
		w->fails = w->got_msg ? 0 : w->fails + 1;
		struct pollfd pfd = { .fd = w->wake_fd, .events = POLLIN };
		if (!stopping(w))
			poll(&pfd, 1, 200 * (w->fails < 10 ? (int)w->fails + 1 : 10));
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
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0) {
		rc = -errno;
		free(w);
		errno = -rc;
		return NULL;
	}
	w->cb = cb;
	w->arg = arg;
	w->ep = __atomic_load_n(&e->cur, __ATOMIC_RELAXED);
	w->cluster_id = __atomic_load_n(&e->cluster_id, __ATOMIC_RELAXED);
	w->key_b64 = *prefix ? etcd_b64_encode(prefix, strlen(prefix)) : strdup("AA==");
	w->end_b64 = etcd_prefix_end_b64(prefix);
	if (!w->key_b64 || !w->end_b64) {
		rc = -ENOMEM;
		goto fail;
	}
	if (!from) {
		/* the current revision, read under the watched prefix: a user
		 * allowed to watch it may read it (not necessarily all keys) */
		json_t *req = json_pack("{s:s,s:s,s:s,s:b}", "key", w->key_b64, "range_end",
					w->end_b64, "limit", "1", "keys_only", 1), *resp = NULL;

		rc = req ? etcd_call(e, "kv/range", req, &resp) : -ENOMEM;
		json_decref(req);
		from = rc ? 0 : etcd_json_u64(json_object_get(json_object_get(resp, "header"),
							      "revision"));
		json_decref(resp);
		if (rc)
			goto fail;
		if (!from) {
			rc = -EIO;
			goto fail;
		}
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
	close(w->wake_fd);
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
	uint64_t one = 1;
	if (write(w->wake_fd, &one, sizeof(one)) < 0) {
		/* cannot fail on an eventfd far from its maximum */
	}
	pthread_join(w->thread, NULL);
	close(w->wake_fd);
	pthread_mutex_lock(&e->mu);
	for (pp = &e->watches; *pp; pp = &(*pp)->next_w) {
		if (*pp == w) {
			*pp = w->next_w;
			break;
		}
	}
	pthread_mutex_unlock(&e->mu);
	free(w->sb.p);
	free(w->key_b64);
	free(w->end_b64);
	free(w);
}
