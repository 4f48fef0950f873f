/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_watch_msg.c — one response of a /v3/watch stream (etcd's JSON
 * gateway) decoded with yajl's event parser into a struct etcd_watch_msg.
 *
 * Every host's watch thread decodes every northbound change: with a JSON
 * tree (jansson) that was a dozen allocations per response and a quarter of
 * the watch thread's time in the fan-out benchmark.  Here a response costs
 * the events' keys and values and one array.
 *
 * Kept: result.header.{cluster_id, revision}, result.compact_revision,
 * result.canceled, result.cancel_reason, per event of result.events its
 * type and kv.{key, value, mod_revision}, and error.message.  Anything else
 * (watch_id, created, fragment, prev_kv, unknown members) is skipped
 * whatever its shape.  A key or value that is not base64 marks its event
 * `bad` (the watch treats that as a lost event); an event without a key is
 * kept with key NULL (skipped by the watch, as before).
 *
 * Any thread; no state outside the call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "db_etcd_priv.h"

#define MAX_DEPTH 16

/* what a container is (by its path from the top) */
enum kind { K_OTHER, K_TOP, K_RESULT, K_ERROR, K_HEADER, K_EVENTS, K_EVENT, K_KV };

/* the member whose value comes next */
enum field {
	F_NONE,
	F_RESULT, F_ERROR,                              /* top */
	F_HEADER, F_EVENTS, F_COMPACT, F_CANCELED, F_REASON,   /* result */
	F_CLUSTER, F_REVISION,                          /* header */
	F_TYPE, F_KV,                                   /* an event */
	F_KEY, F_VALUE, F_MOD,                          /* its kv */
	F_MESSAGE,                                      /* error */
};

struct wp {
	struct etcd_watch_msg *m;
	unsigned depth;                 /* containers open */
	enum kind stack[MAX_DEPTH + 1]; /* stack[d]: the container at depth d */
	enum field f;
	struct etcd_wevent ev;          /* the event being read */
	bool failed;
};

static enum kind top(const struct wp *p)
{
	return p->depth <= MAX_DEPTH ? p->stack[p->depth] : K_OTHER;
}

static bool push_event(struct wp *p)
{
	struct etcd_watch_msg *m = p->m;

	if (m->n_ev == m->cap_ev) {
		size_t nc = m->cap_ev ? m->cap_ev * 2 : 4;
		struct etcd_wevent *ne = realloc(m->ev, nc * sizeof(*ne));

		if (!ne)
			return false;
		m->ev = ne;
		m->cap_ev = nc;
	}
	m->ev[m->n_ev++] = p->ev;
	memset(&p->ev, 0, sizeof(p->ev));
	return true;
}

static char *dup_n(const unsigned char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct wp *p = ctx;
	struct etcd_watch_msg *m = p->m;
	size_t len;

	switch (p->f) {
	case F_CLUSTER:
		m->cluster_id = etcd_digits_u64(s, n);
		break;
	case F_REVISION:
		m->revision = etcd_digits_u64(s, n);
		break;
	case F_COMPACT:
		m->compact_revision = etcd_digits_u64(s, n);
		break;
	case F_MOD:
		p->ev.mod_revision = etcd_digits_u64(s, n);
		break;
	case F_TYPE:
		p->ev.del = etcd_lit_eq(s, n, "DELETE");
		break;
	case F_KEY:
	case F_VALUE: {
		char **dst = p->f == F_KEY ? &p->ev.key : &p->ev.value;
		char *d = etcd_b64_decode_n((const char *)s, n, &len);

		free(*dst);             /* the member twice: the last one */
		*dst = d;
		if (!d)
			p->ev.bad = true;
		else if (p->f == F_VALUE)
			p->ev.value_len = len;
		break;
	}
	case F_REASON:
	case F_MESSAGE: {
		char **dst = p->f == F_REASON ? &m->cancel_reason : &m->error_message;

		free(*dst);
		*dst = dup_n(s, n);
		if (!*dst)
			return p->failed = true, 0;
		break;
	}
	default:
		break;
	}
	p->f = F_NONE;
	return 1;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	return on_string(ctx, (const unsigned char *)s, n);
}

static int cb_null(void *ctx)
{
	struct wp *p = ctx;

	p->f = F_NONE;
	return 1;
}

static int cb_bool(void *ctx, int b)
{
	struct wp *p = ctx;

	if (p->f == F_CANCELED)
		p->m->canceled = b != 0;
	p->f = F_NONE;
	return 1;
}

/* a map or an array opens: what it is follows from where it is */
static int open_container(struct wp *p, bool map)
{
	enum kind parent = top(p), k = K_OTHER;

	if (p->depth == 0)
		k = map ? K_TOP : K_OTHER;
	else if (map && parent == K_TOP && p->f == F_RESULT)
		k = K_RESULT, p->m->has_result = true;
	else if (map && parent == K_TOP && p->f == F_ERROR)
		k = K_ERROR, p->m->has_error = true;
	else if (map && parent == K_RESULT && p->f == F_HEADER)
		k = K_HEADER;
	else if (!map && parent == K_RESULT && p->f == F_EVENTS)
		k = K_EVENTS;
	else if (map && parent == K_EVENTS)
		k = K_EVENT;
	else if (map && parent == K_EVENT && p->f == F_KV)
		k = K_KV;
	p->depth++;
	if (p->depth <= MAX_DEPTH)
		p->stack[p->depth] = k;
	p->f = F_NONE;
	return 1;
}

static int cb_start_map(void *ctx)
{
	return open_container(ctx, true);
}

static int cb_start_array(void *ctx)
{
	return open_container(ctx, false);
}

static int close_container(struct wp *p)
{
	if (top(p) == K_EVENT && !push_event(p))
		return p->failed = true, 0;
	p->depth--;
	p->f = F_NONE;
	return 1;
}

static int cb_end(void *ctx)
{
	return close_container(ctx);
}

static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
	struct wp *p = ctx;

	p->f = F_NONE;
	switch (top(p)) {
	case K_TOP:
		if (etcd_lit_eq(s, n, "result"))
			p->f = F_RESULT;
		else if (etcd_lit_eq(s, n, "error"))
			p->f = F_ERROR;
		break;
	case K_RESULT:
		if (etcd_lit_eq(s, n, "header"))
			p->f = F_HEADER;
		else if (etcd_lit_eq(s, n, "events"))
			p->f = F_EVENTS;
		else if (etcd_lit_eq(s, n, "compact_revision"))
			p->f = F_COMPACT;
		else if (etcd_lit_eq(s, n, "canceled"))
			p->f = F_CANCELED;
		else if (etcd_lit_eq(s, n, "cancel_reason"))
			p->f = F_REASON;
		break;
	case K_HEADER:
		if (etcd_lit_eq(s, n, "cluster_id"))
			p->f = F_CLUSTER;
		else if (etcd_lit_eq(s, n, "revision"))
			p->f = F_REVISION;
		break;
	case K_EVENT:
		if (etcd_lit_eq(s, n, "type"))
			p->f = F_TYPE;
		else if (etcd_lit_eq(s, n, "kv"))
			p->f = F_KV;
		break;
	case K_KV:
		if (etcd_lit_eq(s, n, "key"))
			p->f = F_KEY;
		else if (etcd_lit_eq(s, n, "value"))
			p->f = F_VALUE;
		else if (etcd_lit_eq(s, n, "mod_revision"))
			p->f = F_MOD;
		break;
	case K_ERROR:
		if (etcd_lit_eq(s, n, "message"))
			p->f = F_MESSAGE;
		break;
	default:
		break;
	}
	return 1;
}

static const yajl_callbacks watch_cbs = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = on_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

static void event_clear(struct etcd_wevent *e)
{
	free(e->key);
	free(e->value);
	memset(e, 0, sizeof(*e));
}

void etcd_watch_msg_clear(struct etcd_watch_msg *m)
{
	for (size_t i = 0; i < m->n_ev; i++)
		event_clear(&m->ev[i]);
	free(m->ev);
	free(m->cancel_reason);
	free(m->error_message);
	memset(m, 0, sizeof(*m));
}

int etcd_watch_msg_decode(const char *body, size_t len, struct etcd_watch_msg *m)
{
	struct wp p = { .m = m };
	yajl_handle h;
	yajl_status st;

	memset(m, 0, sizeof(*m));
	h = yajl_alloc(&watch_cbs, NULL, &p);
	if (!h)
		return -ENOMEM;
	st = yajl_parse(h, (const unsigned char *)body, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	event_clear(&p.ev);
	if (st == yajl_status_ok && !p.failed)
		return 0;
	etcd_watch_msg_clear(m);
	return p.failed ? -ENOMEM : -EIO;
}
