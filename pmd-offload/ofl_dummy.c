/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_dummy.c — a NIC in software, for tests and benchmarks:
 * a stated capability set, a rule table that records every put/del, and an
 * rx callback that marks packets of PARTIAL rules as a NIC would (see
 * ofl_dummy.h).  Rule lookup in the callback is one rte_hash per distinct
 * mask (masked key -> rule), under a reader lock taken once per burst.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_rwlock.h>

#include "ofl_dummy.h"
#include "parse.h"

#define DUMMY_MAX_MASKS 32
#define DUMMY_MAX_Q 16
#define DUMMY_LOG_MAX 4096

struct dummy_rule {
	int used;
	enum ofl_decision decision;
	uint32_t mark;
	unsigned group;
	struct dp_flow_key key;   /* masked */
	uint64_t packets, bytes, last_used;   /* written by the rx callback */
	/* AGE: timeout (s, 0 none), context, the dummy clock (ms) when a hit
	 * was last seen, the packet count then, reported once */
	uint32_t age_timeout;
	uint64_t age_ctx, age_seen_ms, age_seen_pkts;
	int age_reported;
};

struct dummy_group {
	struct dp_flow_key mask;
	struct rte_hash *h;       /* masked key -> struct dummy_rule * */
	unsigned users;
};

struct dummy {
	struct ofl_backend base;
	uint32_t caps, max;
	int refuse;               /* 0, OFL_FULL or OFL_PARTIAL */
	int refuse_errno;         /* what a refused put returns (EOPNOTSUPP) */
	int emulate;
	unsigned probe_calls;
	uint64_t marked;
	uint64_t aged;            /* rules reported aged */
	rte_rwlock_t lock;
	struct dummy_rule *rules; /* [max]; handle = index + 1 */
	unsigned n_rules;
	struct dummy_group groups[DUMMY_MAX_MASKS];
	unsigned n_groups;
	struct ofl_dummy_rec *log;
	unsigned n_log;
	const struct rte_eth_rxtx_callback *cbs[DUMMY_MAX_Q];
	int64_t clock_ms;         /* the AGE clock; < 0: the TSC's */
	char err[96];
};

static struct dummy *D(struct ofl_backend *b)
{
	return (struct dummy *)b;
}

static uint16_t dummy_rx_cb(uint16_t port, uint16_t queue, struct rte_mbuf *pkts[],
			    uint16_t n, uint16_t max_pkts, void *arg)
{
	struct dummy *d = arg;
	struct dp_flow_key key, mk;
	uint64_t now = 0, marked = 0;
	if (__atomic_load_n(&d->n_groups, __ATOMIC_RELAXED) == 0)
		return n;
	rte_rwlock_read_lock(&d->lock);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (dp_parse_buf(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
				 d->base.dp_port, &key, NULL, NULL) != 0)
			continue;
		for (unsigned g = 0; g < d->n_groups; g++) {
			void *data;
			if (d->groups[g].users == 0)
				continue;
			dp_key_and(&mk, &key, &d->groups[g].mask);
			if (rte_hash_lookup_data(d->groups[g].h, &mk, &data) < 0)
				continue;
			struct dummy_rule *r = data;
			if (now == 0)
				now = rte_get_tsc_cycles();
			__atomic_add_fetch(&r->packets, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&r->bytes, rte_pktmbuf_pkt_len(m), __ATOMIC_RELAXED);
			__atomic_store_n(&r->last_used, now, __ATOMIC_RELAXED);
			if (r->decision == OFL_PARTIAL) {
				m->hash.fdir.hi = r->mark;
				m->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
				marked++;
			}
			break;
		}
	}
	rte_rwlock_read_unlock(&d->lock);
	if (marked)
		__atomic_add_fetch(&d->marked, marked, __ATOMIC_RELAXED);
	return n;
}

int ofl_dummy_attach_rx(struct ofl_backend *b, uint16_t q)
{
	struct dummy *d = D(b);
	if (q >= DUMMY_MAX_Q)
		return -EINVAL;
	if (d->cbs[q])
		return -EEXIST;
	d->cbs[q] = rte_eth_add_rx_callback(b->eth_port, q, dummy_rx_cb, d);
	return d->cbs[q] ? 0 : -rte_errno;
}

static int parse_args(struct dummy *d, const char *args)
{
	char buf[512], *save = NULL, err[96];
	d->caps = OFL_CAP_MATCH_ALL;
	d->max = 1024;
	d->emulate = 1;
	if (args == NULL)
		return 0;
	if (strlen(args) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, args);
	for (char *w = strtok_r(buf, ";", &save); w; w = strtok_r(NULL, ";", &save)) {
		char *v = strchr(w, '=');
		if (v == NULL)
			return -EINVAL;
		*v++ = '\0';
		if (strcmp(w, "caps") == 0) {
			if (ofl_caps_parse(v, &d->caps, err, sizeof(err)) != 0)
				return -EINVAL;
		} else if (strcmp(w, "max") == 0) {
			char *end;
			unsigned long x = strtoul(v, &end, 10);
			if (*end || x == 0 || x > (1u << 22))
				return -EINVAL;
			d->max = (uint32_t)x;
		} else if (strcmp(w, "refuse") == 0) {
			if (strcmp(v, "full") == 0)
				d->refuse = OFL_FULL;
			else if (strcmp(v, "partial") == 0)
				d->refuse = OFL_PARTIAL;
			else
				return -EINVAL;
		} else if (strcmp(w, "refuse-errno") == 0) {
			/* a refusal that is not -EOPNOTSUPP: a driver whose
			 * validate passes and whose create fails (net_tap
			 * without TC flower: -EEXIST) */
			char *end;
			unsigned long x = strtoul(v, &end, 10);
			if (*end || x == 0 || x > 4095)
				return -EINVAL;
			d->refuse_errno = (int)x;
		} else if (strcmp(w, "emulate") == 0) {
			d->emulate = strcmp(v, "0") != 0;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static void dummy_close(struct ofl_backend *b);

static struct ofl_backend *dummy_open(uint16_t eth_port, uint16_t dp_port, const char *args)
{
	struct dummy *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->base.drv = &ofl_dummy_driver;
	d->base.eth_port = eth_port;
	d->base.dp_port = dp_port;
	rte_rwlock_init(&d->lock);
	d->clock_ms = -1;
	if (parse_args(d, args) != 0) {
		free(d);
		errno = EINVAL;
		return NULL;
	}
	d->rules = calloc(d->max, sizeof(*d->rules));
	d->log = calloc(DUMMY_LOG_MAX, sizeof(*d->log));
	if (d->rules == NULL || d->log == NULL)
		goto fail;
	if (d->emulate && rte_eth_dev_is_valid_port(eth_port)) {
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(eth_port, &info) == 0) {
			uint16_t nq = info.nb_rx_queues;
			for (uint16_t q = 0; q < nq && q < DUMMY_MAX_Q; q++)
				if (ofl_dummy_attach_rx(&d->base, q) != 0)
					goto fail;
		}
	}
	return &d->base;
fail:
	dummy_close(&d->base);
	errno = ENOMEM;
	return NULL;
}

static void dummy_close(struct ofl_backend *b)
{
	struct dummy *d = D(b);
	for (unsigned q = 0; q < DUMMY_MAX_Q; q++)
		if (d->cbs[q])
			rte_eth_remove_rx_callback(b->eth_port, (uint16_t)q, d->cbs[q]);
	/* rte_eth_remove_rx_callback does not free the callback (a PMD may
	 * still run it); the rule memory is ours: wait out a burst. */
	rte_delay_us_sleep(1000);
	for (unsigned g = 0; g < d->n_groups; g++)
		rte_hash_free(d->groups[g].h);
	free(d->rules);
	free(d->log);
	free(d);
}

static int dummy_probe(struct ofl_backend *b, uint32_t *caps)
{
	D(b)->probe_calls++;
	*caps = D(b)->caps;
	return 0;
}

static uint64_t clock_ms(const struct dummy *d)
{
	int64_t c = __atomic_load_n(&d->clock_ms, __ATOMIC_RELAXED);
	return c >= 0 ? (uint64_t)c : rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

/* The rule's AGE action, NULL when none. */
static const struct rte_flow_action_age *rule_age(const struct ofl_rule *r)
{
	for (unsigned i = 0; i < r->n_actions; i++)
		if (r->actions[i].type == RTE_FLOW_ACTION_TYPE_AGE)
			return r->actions[i].conf;
	return NULL;
}

static void log_add(struct dummy *d, enum ofl_dummy_op op, uint64_t h, const struct ofl_rule *r,
		    int rc)
{
	struct ofl_dummy_rec *l;
	rte_rwlock_write_lock(&d->lock);
	l = &d->log[d->n_log++ % DUMMY_LOG_MAX];
	memset(l, 0, sizeof(*l));
	l->op = op;
	l->handle = h;
	l->rc = rc;
	if (r) {
		const struct rte_flow_action_age *age = rule_age(r);
		l->decision = r->decision;
		l->mark = r->mark;
		l->age_timeout = age ? age->timeout : 0;
		l->age_ctx = age ? (uint64_t)(uintptr_t)age->context : 0;
		ofl_rule_format(l->rule, sizeof(l->rule), r);
	}
	rte_rwlock_write_unlock(&d->lock);
}

static int group_get(struct dummy *d, const struct dp_flow_key *mask)
{
	unsigned g, free_g = d->n_groups;
	for (g = 0; g < d->n_groups; g++) {
		if (d->groups[g].users && dp_key_equal(&d->groups[g].mask, mask))
			return (int)g;
		if (d->groups[g].users == 0 && free_g == d->n_groups)
			free_g = g;
	}
	if (free_g == DUMMY_MAX_MASKS)
		return -ENOSPC;
	g = free_g;
	if (d->groups[g].h == NULL) {
		char name[RTE_HASH_NAMESIZE];
		static unsigned uniq;
		snprintf(name, sizeof(name), "ofld%u_%u", d->base.dp_port,
			 __atomic_fetch_add(&uniq, 1, __ATOMIC_RELAXED));
		struct rte_hash_parameters hp = {
			.name = name, .entries = d->max < 64 ? 64 : d->max,
			.key_len = sizeof(struct dp_flow_key), .hash_func = rte_jhash,
			.socket_id = (int)rte_socket_id(),
		};
		d->groups[g].h = rte_hash_create(&hp);
		if (d->groups[g].h == NULL)
			return -ENOMEM;
	}
	d->groups[g].mask = *mask;
	if (g == d->n_groups)
		__atomic_store_n(&d->n_groups, g + 1, __ATOMIC_RELEASE);
	return (int)g;
}

static int dummy_put(struct ofl_backend *b, const struct ofl_rule *r, uint64_t *handle)
{
	struct dummy *d = D(b);
	unsigned i;
	int rc = 0, g;
	if (d->refuse && (int)r->decision == d->refuse) {
		snprintf(d->err, sizeof(d->err), "dummy refuses %s rules",
			 ofl_decision_name(r->decision));
		rc = d->refuse_errno ? -d->refuse_errno : -EOPNOTSUPP;
		goto out;
	}
	if (d->n_rules >= d->max) {
		snprintf(d->err, sizeof(d->err), "dummy table full (%u rules)", d->max);
		rc = -ENOSPC;
		goto out;
	}
	for (i = 0; i < d->max && d->rules[i].used; i++)
		;
	rte_rwlock_write_lock(&d->lock);
	g = group_get(d, &r->mask);
	if (g < 0) {
		rte_rwlock_write_unlock(&d->lock);
		snprintf(d->err, sizeof(d->err), "dummy: too many masks");
		rc = g;
		goto out;
	}
	struct dummy_rule *dr = &d->rules[i];
	memset(dr, 0, sizeof(*dr));
	dr->used = 1;
	dr->decision = r->decision;
	dr->mark = r->mark;
	dr->group = (unsigned)g;
	dr->key = r->key;
	const struct rte_flow_action_age *age = rule_age(r);
	if (age && (d->caps & OFL_CAP_AGE)) {
		dr->age_timeout = age->timeout;
		dr->age_ctx = (uint64_t)(uintptr_t)age->context;
		dr->age_seen_ms = clock_ms(d);
	}
	rc = rte_hash_add_key_data(d->groups[g].h, &dr->key, dr);
	if (rc < 0) {
		dr->used = 0;
		rte_rwlock_write_unlock(&d->lock);
		snprintf(d->err, sizeof(d->err), "dummy: duplicate or no room (%d)", rc);
		goto out;
	}
	d->groups[g].users++;
	d->n_rules++;
	rte_rwlock_write_unlock(&d->lock);
	*handle = i + 1;
out:
	log_add(d, OFL_DUMMY_PUT, rc == 0 ? *handle : 0, r, rc);
	return rc;
}

static int dummy_del(struct ofl_backend *b, uint64_t handle)
{
	struct dummy *d = D(b);
	int rc = 0;
	if (handle == 0 || handle > d->max || !d->rules[handle - 1].used) {
		rc = -ENOENT;
	} else {
		struct dummy_rule *dr = &d->rules[handle - 1];
		rte_rwlock_write_lock(&d->lock);
		rte_hash_del_key(d->groups[dr->group].h, &dr->key);
		d->groups[dr->group].users--;
		dr->used = 0;
		d->n_rules--;
		rte_rwlock_write_unlock(&d->lock);
	}
	log_add(d, OFL_DUMMY_DEL, handle, NULL, rc);
	return rc;
}

static int dummy_query(struct ofl_backend *b, uint64_t handle, struct ofl_flow_stats *st)
{
	struct dummy *d = D(b);
	if (!(d->caps & OFL_CAP_COUNT))
		return -EOPNOTSUPP;
	if (handle == 0 || handle > d->max || !d->rules[handle - 1].used)
		return -ENOENT;
	const struct dummy_rule *dr = &d->rules[handle - 1];
	st->packets = __atomic_load_n(&dr->packets, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&dr->bytes, __ATOMIC_RELAXED);
	st->last_used = __atomic_load_n(&dr->last_used, __ATOMIC_RELAXED);
	return 0;
}

static int dummy_flush(struct ofl_backend *b)
{
	struct dummy *d = D(b);
	rte_rwlock_write_lock(&d->lock);
	for (unsigned g = 0; g < d->n_groups; g++) {
		if (d->groups[g].h)
			rte_hash_reset(d->groups[g].h);
		d->groups[g].users = 0;
	}
	for (unsigned i = 0; i < d->max; i++)
		d->rules[i].used = 0;
	d->n_rules = 0;
	rte_rwlock_write_unlock(&d->lock);
	log_add(d, OFL_DUMMY_FLUSH, 0, NULL, 0);
	return 0;
}

/* AGE emulation: a rule whose hit counter did not move for its timeout on
 * the dummy clock is reported, once (as a NIC reports an aged flow until
 * it is destroyed, and the manager destroys it). */
static int dummy_aged(struct ofl_backend *b, uint64_t *ctx, unsigned max)
{
	struct dummy *d = D(b);
	uint64_t now = clock_ms(d);
	unsigned n = 0;
	rte_rwlock_write_lock(&d->lock);
	for (unsigned i = 0; i < d->max && n < max; i++) {
		struct dummy_rule *dr = &d->rules[i];
		if (!dr->used || dr->age_timeout == 0 || dr->age_reported)
			continue;
		uint64_t pk = __atomic_load_n(&dr->packets, __ATOMIC_RELAXED);
		if (pk != dr->age_seen_pkts) {
			dr->age_seen_pkts = pk;
			dr->age_seen_ms = now;
			continue;
		}
		if (now - dr->age_seen_ms >= (uint64_t)dr->age_timeout * 1000) {
			dr->age_reported = 1;
			ctx[n++] = dr->age_ctx;
			d->aged++;
		}
	}
	rte_rwlock_write_unlock(&d->lock);
	return (int)n;
}

void ofl_dummy_set_clock(struct ofl_backend *b, int64_t ms)
{
	__atomic_store_n(&D(b)->clock_ms, ms, __ATOMIC_RELAXED);
}

uint64_t ofl_dummy_aged(struct ofl_backend *b)
{
	return D(b)->aged;
}

static const char *dummy_last_error(struct ofl_backend *b)
{
	return D(b)->err;
}

unsigned ofl_dummy_log_count(struct ofl_backend *b)
{
	return D(b)->n_log;
}

int ofl_dummy_log_get(struct ofl_backend *b, unsigned i, struct ofl_dummy_rec *out)
{
	struct dummy *d = D(b);
	int rc = -ENOENT;
	rte_rwlock_read_lock(&d->lock);
	if (i < d->n_log && d->n_log - i <= DUMMY_LOG_MAX) {
		*out = d->log[i % DUMMY_LOG_MAX];
		rc = 0;
	}
	rte_rwlock_read_unlock(&d->lock);
	return rc;
}

unsigned ofl_dummy_rule_count(struct ofl_backend *b)
{
	return D(b)->n_rules;
}

unsigned ofl_dummy_probe_calls(struct ofl_backend *b)
{
	return D(b)->probe_calls;
}

uint64_t ofl_dummy_marked(struct ofl_backend *b)
{
	return __atomic_load_n(&D(b)->marked, __ATOMIC_RELAXED);
}

const struct ofl_driver ofl_dummy_driver = {
	.name = "dummy",
	.open = dummy_open,
	.close = dummy_close,
	.probe = dummy_probe,
	.put = dummy_put,
	.del = dummy_del,
	.query = dummy_query,
	.flush = dummy_flush,
	.last_error = dummy_last_error,
	.aged = dummy_aged,
};
