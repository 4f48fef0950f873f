/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_pass.c — what one lc_run pass does with its time: it
 * stops between two revisions once its slice is over (never inside a txn),
 * a pass it cannot cut yields to the caller's hook (lc_set_yield) where
 * DHCP answers from a consistent view, and a snapshot comes in pages that
 * compile only at its end.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "lc.h"
#include "lc_priv.h"        /* slice_us, the sync queue */
#include "lc_test_gen.h"
#include "lc_test_util.h"
#include "nb.h"
#include "tables.h"

/* Two ports' MACs in ONE txn (one revision). */
static int set_macs2(struct db *db, const char *const ids[2], const char *const macs[2])
{
	struct mdl_hdr *h[2] = { NULL, NULL };
	char key[2][160], *json[2] = { NULL, NULL };
	struct db_op ops[2];
	int rc = 0;
	for (int k = 0; k < 2 && rc == 0; k++) {
		rc = nb_get(db, MDL_PORT, ids[k], &h[k], NULL);
		if (rc)
			break;
		struct mdl_port *p = mdl_hdr_to_port(h[k]);
		snprintf(p->mac_address, sizeof(p->mac_address), "%s", macs[k]);
		h[k]->version++;
		json[k] = mdl_obj_to_string(h[k]);
		nb_key(MDL_PORT, ids[k], key[k], sizeof(key[k]));
		rc = json[k] ? 0 : -ENOMEM;
		if (rc == 0)
			ops[k] = (struct db_op){ DB_OP_PUT, key[k], json[k], strlen(json[k]) };
	}
	bool ok = false;
	if (rc == 0)
		rc = db_txn(db, NULL, 0, ops, 2, &ok, NULL);
	for (int k = 0; k < 2; k++) {
		free(json[k]);
		mdl_obj_free(h[k]);
	}
	return rc ? rc : ok ? 0 : -EAGAIN;
}

/* lc_run's time slice: with a slice of 1 us every pass stops at the first
 * revision boundary and gives the rest back to the queue.  After every
 * pass the two ports each txn changed carry MACs of the same txn (never
 * half a revision), passes were cut, and the end is what a controller
 * started now computes. */
void t_time_slice(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], id[MDL_ID_SIZE];
	struct db *db = setup(&x, 50, net, sub);
	uint32_t lp[41];
	for (unsigned i = 1; i <= 40; i++) {
		port_id(i, id);
		lp[i] = dpkey(db, MDL_PORT, id);
	}
	x.lc->slice_us = 1;
	uint64_t cut0 = x.lc->st.slices_cut;
	for (unsigned r = 0; r < 60; r++) {
		char a[MDL_ID_SIZE], b[MDL_ID_SIZE], ma[32], mb[32];
		unsigned k = r % 20;
		port_id(2 * k + 1, a);
		port_id(2 * k + 2, b);
		snprintf(ma, sizeof(ma), "02:00:00:77:%02x:01", r);
		snprintf(mb, sizeof(mb), "02:00:00:77:%02x:02", r);
		const char *ids[2] = { a, b }, *macs[2] = { ma, mb };
		CU_ASSERT_EQUAL_FATAL(set_macs2(db, ids, macs), 0);
	}
	uint64_t want = 0;
	CU_ASSERT_EQUAL_FATAL(db_revision(db, &want), 0);
	struct lc_stats st = { 0 };
	unsigned torn = 0;
	for (int i = 0; i < 20000 && st.applied_revision < want; i++) {
		struct pollfd p = { .fd = lc_fd(x.lc), .events = POLLIN };
		poll(&p, 1, 10);
		lc_run(x.lc);
		for (unsigned k = 0; k < 20; k++) {
			const struct dp_lport *pa = dp_table_lport_get(x.t, lp[2 * k + 1]);
			const struct dp_lport *pb = dp_table_lport_get(x.t, lp[2 * k + 2]);
			if (pa == NULL || pb == NULL) {
				torn++;
				continue;
			}
			const uint8_t *ma = pa->cfg.macs[0].addr_bytes, *mb = pb->cfg.macs[0].addr_bytes;
			/* the generated MACs start fa:16:3e, a txn's 02:00:00 (its
			 * fourth byte may well be 0x77 too) */
			bool na = ma[0] == 0x02, nbw = mb[0] == 0x02;
			torn += na != nbw || (na && ma[4] != mb[4]);
		}
		lc_get_stats(x.lc, &st);
	}
	CU_ASSERT_EQUAL(st.applied_revision, want);
	CU_ASSERT_EQUAL(torn, 0);
	CU_ASSERT(x.lc->st.slices_cut > cut0);
	x.lc->slice_us = 0;
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	port_id(0, id);
	const char *ifs[1] = { id };
	fresh_agrees(&x, db, ifs, 1, "time slice");
	inst_stop(&x);
	db_close(db);
}

/* lc_set_yield: a first sync of 1500 ports (its pages, the compile and the
 * replica write after them) with a slice of 1 us calls the hook between
 * objects, and so does a resync.  In it DHCP answers a local port with its
 * own address or not yet (a first sync's ports are answered once held, at
 * its end), never another's, and show ctrl's counts read; the hook's calls
 * are counted, and the end is what a controller started without a hook
 * computes. */
struct yield_probe {
	struct inst *x;
	uint32_t lp[N_LOCAL];
	unsigned calls, answered, wrong;
};

static void probe_yield(void *arg)
{
	struct yield_probe *y = arg;
	struct lc_dhcp_info info;
	struct lc_stats st;
	y->calls++;
	for (unsigned i = 0; i < N_LOCAL; i++)
		if (lc_dhcp_lookup(y->x->lc, y->lp[i], &info) == 0) {
			y->answered++;
			y->wrong += info.ip != want_ip(i);
		}
	lc_get_stats(y->x->lc, &st);
	y->wrong += st.n_local_ports > N_LOCAL;
}

void t_yield(void)
{
	struct inst x, f;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], ids[N_LOCAL][MDL_ID_SIZE];
	const char *ifs[N_LOCAL];
	struct db *db = setup_local(&x, N_PORTS, N_LOCAL, net, sub);
	struct yield_probe y = { .x = &f };
	for (unsigned i = 0; i < N_LOCAL; i++) {
		port_id(i, ids[i]);
		ifs[i] = ids[i];
		y.lp[i] = dpkey(db, MDL_PORT, ids[i]);
	}
	CU_ASSERT_EQUAL_FATAL(inst_start(&f, db, NULL, "X", NULL, ifs, N_LOCAL), 0);
	f.lc->slice_us = 1;
	lc_set_yield(f.lc, probe_yield, &y);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&f, db), 0);
	struct lc_stats st;
	lc_get_stats(f.lc, &st);
	/* at least one a page (16 keys) and one a port compiled */
	CU_ASSERT(y.calls > N_PORTS / 16 + N_PORTS);
	CU_ASSERT_EQUAL(st.yields, y.calls);
	CU_ASSERT_EQUAL(y.wrong, 0);
	CU_ASSERT(st.max_hold_us > 0);
	/* a resync: its pages yield, and DHCP answers the held ports in them */
	unsigned before = y.calls;
	uint64_t syncs = st.syncs;
	lc_sync_request(f.lc);
	for (int i = 0; i < 1000 && st.syncs == syncs; i++) {
		struct pollfd p = { .fd = lc_fd(f.lc), .events = POLLIN };
		poll(&p, 1, 10);
		lc_run(f.lc);
		lc_get_stats(f.lc, &st);
	}
	CU_ASSERT(st.syncs > syncs);
	CU_ASSERT(y.calls > before + N_PORTS / 16);
	CU_ASSERT(y.answered > 0);
	CU_ASSERT_EQUAL(y.wrong, 0);
	/* a port's MAC changed: its compile yields again */
	before = y.calls;
	CU_ASSERT_EQUAL_FATAL(set_port(db, ids[0], "mac", "fa:16:3e:00:77:01"), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&f, db), 0);
	CU_ASSERT(y.calls > before);
	CU_ASSERT_EQUAL(y.wrong, 0);
	lc_set_yield(f.lc, NULL, NULL);
	f.lc->slice_us = 0;
	fresh_agrees(&f, db, ifs, N_LOCAL, "yield");
	inst_stop(&f);
	inst_stop(&x);
	db_close(db);
}

/* ---- a snapshot in pages (lc_sync.c, lc.c) ------------------------------ */
/* A page or the end of a snapshot, as the sync thread queues them: the
 * central db's pairs [lo, hi) of l, port `mod`'s MAC changed to mac, and
 * port `gone` left out. */
static struct lc_qev *snap_ev(enum lc_qtype type, const struct db_kv_list *l, size_t lo,
			      size_t hi, bool first, uint64_t gen, const char *mod,
			      const char *mac, const char *gone)
{
	struct lc_qev *ev = calloc(1, sizeof(*ev));
	struct lc_snap *sn = calloc(1, sizeof(*sn));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sn);
	ev->type = type;
	ev->gen = gen;
	ev->snap = sn;
	sn->first = first;
	sn->revision = l->revision;
	sn->keys = calloc(hi - lo + 1, sizeof(char *));
	sn->vals = calloc(hi - lo + 1, sizeof(char *));
	sn->lens = calloc(hi - lo + 1, sizeof(size_t));
	for (size_t i = lo; i < hi; i++) {
		const char *k = l->kvs[i].key, *v = l->kvs[i].value;
		const char *id = NULL;
		bool port = lc_key_type(k, &id) == MDL_PORT;
		if (port && strcmp(id, gone) == 0)
			continue;
		char *nv = NULL;
		if (port && strcmp(id, mod) == 0) {
			json_t *j = json_loads(v, 0, NULL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(j);
			json_object_set_new(j, "mac_address", json_string(mac));
			nv = json_dumps(j, JSON_COMPACT);
			json_decref(j);
		}
		sn->keys[sn->n] = strdup(k);
		sn->vals[sn->n] = nv ? nv : strdup(v);
		sn->lens[sn->n] = strlen(sn->vals[sn->n]);
		sn->n++;
	}
	return ev;
}

static bool lport_has_mac(struct inst *x, uint32_t key, uint8_t first_byte)
{
	const struct dp_lport *p = dp_table_lport_get(x->t, key);
	return p && p->cfg.macs[0].addr_bytes[0] == first_byte;
}

/* Pages are applied as they come, nothing compiles until the end; a first
 * page again (the scan started over) voids the pages before it; the end
 * removes what no page held. */
void t_snapshot_pages(void)
{
	struct inst x;
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], mod[MDL_ID_SIZE], gone[MDL_ID_SIZE];
	char extra[MDL_ID_SIZE];
	struct db *db = setup(&x, 40, net, sub);
	port_id(3, mod);
	port_id(7, gone);
	port_id(39, extra);
	uint32_t lp_mod = dpkey(db, MDL_PORT, mod), lp_gone = dpkey(db, MDL_PORT, gone);
	uint32_t lp_extra = dpkey(db, MDL_PORT, extra);
	CU_ASSERT_TRUE_FATAL(lport_has_mac(&x, lp_mod, 0xfa));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp_table_lport_get(x.t, lp_gone));
	struct db_kv_list l;
	CU_ASSERT_EQUAL_FATAL(db_scan(db, LC_PREFIX, &l), 0);
	size_t half = l.n / 2;
	pthread_mutex_lock(&x.lc->sync->mu);
	uint64_t gen = x.lc->sync->gen;
	pthread_mutex_unlock(&x.lc->sync->mu);
	struct lc_stats st0, st;
	lc_get_stats(x.lc, &st0);

	/* a first attempt's page, with port 39 (in the second half) left out:
	 * applied, not compiled */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, 0, l.n, true, gen, mod,
					"02:00:00:00:00:01", extra));
	lc_run(x.lc);
	CU_ASSERT_TRUE(x.lc->snap_open);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0xfa));        /* not yet */
	lc_get_stats(x.lc, &st);
	CU_ASSERT_TRUE(st.snapshot_open);                       /* show ctrl */
	CU_ASSERT_EQUAL(st.snapshot_pages, 1);
	/* started over: two pages without port 7, port 3 with another MAC */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, 0, half, true, gen, mod,
					"06:00:00:00:00:02", gone));
	lc_run(x.lc);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0xfa));
	CU_ASSERT_PTR_NOT_NULL(dp_table_lport_get(x.t, lp_gone));
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, half, l.n, false, gen, mod,
					"06:00:00:00:00:02", gone));
	lc_run(x.lc);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0xfa));
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.syncs, st0.syncs);
	/* the end: compiled at once, port 7 gone, port 39 back in */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAPSHOT, &l, 0, 0, false, gen, mod, "", gone));
	lc_run(x.lc);
	CU_ASSERT_FALSE(x.lc->snap_open);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0x06));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, lp_gone));
	CU_ASSERT_PTR_NOT_NULL(dp_table_lport_get(x.t, lp_extra));
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.syncs, st0.syncs + 1);
	CU_ASSERT_FALSE(st.snapshot_open);
	CU_ASSERT_EQUAL(st.snapshot_pages, 2);          /* since the restart */
	CU_ASSERT_EQUAL(st.snapshot_keys, l.n - 1);
	CU_ASSERT_EQUAL(st.applied_revision, l.revision);
	/* pages of an older generation (a replaced scan) are dropped */
	lc_sync_put(x.lc->sync, snap_ev(LC_Q_SNAP_PAGE, &l, 0, l.n, true, gen - 1, mod,
					"0a:00:00:00:00:03", gone));
	lc_run(x.lc);
	CU_ASSERT_FALSE(x.lc->snap_open);
	CU_ASSERT_TRUE(lport_has_mac(&x, lp_mod, 0x06));
	db_kv_list_clear(&l);
	inst_stop(&x);
	db_close(db);
}
