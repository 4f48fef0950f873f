/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_txn_test.c — northbound transaction tests, against RocksDB (temp dir) and a
 * real etcd started on loopback: 20 threads racing for the same MACs and
 * IPs (exactly one winner each, nothing half-written), deletes of
 * referenced objects racing with creates that reference them (never both),
 * router interfaces (port + router in one txn), and writes whose outcome is
 * unknown (a wrapping provider commits and then answers -ETIMEDOUT, or
 * replays the txn like the etcd driver's retry). */
#include "nb_test_util.h"
#include "db_test_util.h"
#include "mdl_addr.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <time.h>

static char rocks_dir[256];
static struct test_etcd etcd;
static struct db *db;
static struct nb *shared;               /* index + dp_key block */

#define N_THREADS 20
#define N_ADDRS 8

static void mk_net_subnet(char *net, char *sub, const char *cidr)
{
	char err[MDL_ERR_SIZE];
	struct mdl_hdr *n = t_obj(MDL_NETWORK, "{\"provider:network_type\":\"geneve\"}");
	struct mdl_hdr *s;

	CU_ASSERT_EQUAL_FATAL(nb_create(db, n, NULL, err, sizeof(err)), 0);
	strcpy(net, n->id);
	s = t_obj(MDL_SUBNET, "{\"network_id\":\"%s\",\"ip_version\":4,\"cidr\":\"%s\"}",
		  net, cidr);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, s, NULL, err, sizeof(err)), 0);
	strcpy(sub, s->id);
	mdl_obj_free(n);
	mdl_obj_free(s);
}

/* ---- 20 threads, colliding MACs and IPs ---- */

struct racer {
	pthread_t th;
	int idx;
	const char *net, *sub;
	pthread_barrier_t *bar;
	int rc[N_ADDRS];
	char err[N_ADDRS][MDL_ERR_SIZE];
	char id[N_ADDRS][MDL_ID_SIZE];
};

static void *race_ports(void *arg)
{
	struct racer *r = arg;
	int j;

	pthread_barrier_wait(r->bar);
	for (j = 0; j < N_ADDRS; j++) {
		struct mdl_hdr *p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"mac_address\":"
					  "\"fa:16:3e:77:00:%02x\",\"fixed_ips\":[{\"subnet_id\":"
					  "\"%s\",\"ip_address\":\"10.77.0.%d\"}]}",
					  r->net, j, r->sub, 10 + j);

		/* half the threads share an indexed handle, half use the db API */
		r->rc[j] = r->idx % 2 ? nb_h_create(shared, p, NULL, r->err[j], MDL_ERR_SIZE)
				      : nb_create(db, p, NULL, r->err[j], MDL_ERR_SIZE);
		strcpy(r->id[j], p->id);
		mdl_obj_free(p);
	}
	return NULL;
}

static void t_race_claims(void)
{
	static struct racer r[N_THREADS];
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE];
	struct mdl_hdr **objs;
	pthread_barrier_t bar;
	int i, j, wins, other;
	size_t n;

	mk_net_subnet(net, sub, "10.77.0.0/24");
	pthread_barrier_init(&bar, NULL, N_THREADS);
	for (i = 0; i < N_THREADS; i++) {
		r[i] = (struct racer){ .idx = i, .net = net, .sub = sub, .bar = &bar };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&r[i].th, NULL, race_ports, &r[i]), 0);
	}
	for (i = 0; i < N_THREADS; i++)
		pthread_join(r[i].th, NULL);
	pthread_barrier_destroy(&bar);
	for (j = 0; j < N_ADDRS; j++) {
		wins = other = 0;
		for (i = 0; i < N_THREADS; i++) {
			wins += r[i].rc[j] == 0;
			if (r[i].rc[j] && r[i].rc[j] != -EADDRINUSE) {
				printf("\n thread %d addr %d: rc %d %s", i, j, r[i].rc[j], r[i].err[j]);
				other++;
			}
			if (r[i].rc[j] == -EADDRINUSE)
				CU_ASSERT_PTR_NOT_NULL(strstr(r[i].err[j], "is already used by port"));
		}
		CU_ASSERT_EQUAL(wins, 1);
		CU_ASSERT_EQUAL(other, 0);
	}
	CU_ASSERT_EQUAL_FATAL(nb_find(shared, MDL_PORT, &(struct nb_filter){ .network_id = net },
				      &objs, &n), 0);
	nb_list_free(objs, n);
	/* the db holds exactly the winners (the index may lag: scan) */
	CU_ASSERT_EQUAL(nb_list(db, MDL_PORT, &objs, &n), 0);
	wins = 0;
	for (i = 0; i < (int)n; i++)
		wins += !strcmp(mdl_hdr_to_port(objs[i])->network_id, net);
	CU_ASSERT_EQUAL(wins, N_ADDRS);
	nb_list_free(objs, n);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
}

/* ---- overlapping subnets and segmentation ids, in parallel ---- */

struct racer2 {
	pthread_t th;
	int idx;
	const char *net;
	pthread_barrier_t *bar;
	int rc_sub, rc_net;
	char err[MDL_ERR_SIZE];
};

static void *race_subnets(void *arg)
{
	struct racer2 *r = arg;
	char err[MDL_ERR_SIZE];
	/* all overlap 10.81.0.0/24: /16 .. /24 */
	struct mdl_hdr *s = t_obj(MDL_SUBNET, "{\"network_id\":\"%s\",\"ip_version\":4,"
				  "\"cidr\":\"10.81.0.0/%d\"}", r->net, 16 + r->idx % 9);
	struct mdl_hdr *n = t_obj(MDL_NETWORK, "{\"provider:network_type\":\"vxlan\","
				  "\"provider:segmentation_id\":4242}");

	pthread_barrier_wait(r->bar);
	r->rc_sub = r->idx % 2 ? nb_h_create(shared, s, NULL, r->err, sizeof(r->err))
			       : nb_create(db, s, NULL, r->err, sizeof(r->err));
	r->rc_net = r->idx % 2 ? nb_h_create(shared, n, NULL, err, sizeof(err))
			       : nb_create(db, n, NULL, err, sizeof(err));
	mdl_obj_free(s);
	mdl_obj_free(n);
	return NULL;
}

static void t_race_cidr_segid(void)
{
	static struct racer2 r[N_THREADS];
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE];
	pthread_barrier_t bar;
	int i, sub_wins = 0, net_wins = 0, bad = 0;

	mk_net_subnet(net, sub, "10.82.0.0/24");
	pthread_barrier_init(&bar, NULL, N_THREADS);
	for (i = 0; i < N_THREADS; i++) {
		r[i] = (struct racer2){ .idx = i, .net = net, .bar = &bar };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&r[i].th, NULL, race_subnets, &r[i]), 0);
	}
	for (i = 0; i < N_THREADS; i++)
		pthread_join(r[i].th, NULL);
	pthread_barrier_destroy(&bar);
	for (i = 0; i < N_THREADS; i++) {
		sub_wins += r[i].rc_sub == 0;
		net_wins += r[i].rc_net == 0;
		bad += (r[i].rc_sub && r[i].rc_sub != -EADDRINUSE) ||
		       (r[i].rc_net && r[i].rc_net != -EADDRINUSE);
		if (r[i].rc_sub == -EADDRINUSE)
			CU_ASSERT_PTR_NOT_NULL(strstr(r[i].err, "overlaps subnet"));
	}
	CU_ASSERT_EQUAL(sub_wins, 1);
	CU_ASSERT_EQUAL(net_wins, 1);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
}

/* ---- deletes of referenced objects racing with referencing creates ---- */

struct pair_race {
	pthread_barrier_t bar;
	enum mdl_type del_type;
	char del_id[MDL_ID_SIZE];
	const char *port_json;
	int del_rc, create_rc;
	char del_err[MDL_ERR_SIZE], create_err[MDL_ERR_SIZE];
	char port_id[MDL_ID_SIZE];
};

static void *deleter(void *arg)
{
	struct pair_race *p = arg;

	pthread_barrier_wait(&p->bar);
	p->del_rc = nb_h_delete(shared, p->del_type, p->del_id, 0, p->del_err,
				sizeof(p->del_err));
	return NULL;
}

static void *creator(void *arg)
{
	struct pair_race *p = arg;
	struct mdl_hdr *o = t_obj(MDL_PORT, "%s", p->port_json);

	pthread_barrier_wait(&p->bar);
	p->create_rc = nb_create(db, o, NULL, p->create_err, sizeof(p->create_err));
	strcpy(p->port_id, o->id);
	mdl_obj_free(o);
	return NULL;
}

static void t_delete_races(void)
{
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], json[512], err[MDL_ERR_SIZE];
	int round, del_won = 0, create_won = 0;

	for (round = 0; round < 24; round++) {
		struct pair_race p = { 0 };
		struct mdl_hdr *g = NULL;
		pthread_t a, b;

		mk_net_subnet(net, sub, "10.78.0.0/24");
		p.del_type = round % 3 == 0 ? MDL_NETWORK : round % 3 == 1 ? MDL_SUBNET
						       : MDL_SECURITY_GROUP;
		if (p.del_type == MDL_SECURITY_GROUP) {
			g = t_obj(MDL_SECURITY_GROUP, "{\"name\":\"g\"}");
			CU_ASSERT_EQUAL_FATAL(nb_create(db, g, NULL, err, sizeof(err)), 0);
			strcpy(p.del_id, g->id);
			snprintf(json, sizeof(json), "{\"network_id\":\"%s\",\"security_groups\":"
				 "[\"%s\"]}", net, g->id);
			mdl_obj_free(g);
		} else {
			strcpy(p.del_id, p.del_type == MDL_NETWORK ? net : sub);
			snprintf(json, sizeof(json), "{\"network_id\":\"%s\",\"fixed_ips\":[{"
				 "\"subnet_id\":\"%s\",\"ip_address\":\"10.78.0.9\"}]}", net, sub);
		}
		if (p.del_type == MDL_NETWORK)  /* only the port may hold the network */
			CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_SUBNET, sub, 0, err,
							sizeof(err)), 0);
		if (p.del_type == MDL_NETWORK)
			snprintf(json, sizeof(json), "{\"network_id\":\"%s\"}", net);
		p.port_json = json;
		pthread_barrier_init(&p.bar, NULL, 2);
		pthread_create(&a, NULL, deleter, &p);
		pthread_create(&b, NULL, creator, &p);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		pthread_barrier_destroy(&p.bar);
		CU_ASSERT_FALSE(p.del_rc == 0 && p.create_rc == 0);     /* never both */
		CU_ASSERT_TRUE(p.del_rc == 0 || p.create_rc == 0);      /* one of them */
		if (p.del_rc == 0) {
			del_won++;
			CU_ASSERT_EQUAL(p.create_rc, -EINVAL);
			CU_ASSERT_PTR_NOT_NULL(strstr(p.create_err, "does not exist"));
		} else {
			create_won++;
			CU_ASSERT_EQUAL(p.del_rc, -EBUSY);
			CU_ASSERT_PTR_NOT_NULL(strstr(p.del_err, "is in use by port"));
			CU_ASSERT_EQUAL(nb_delete(db, MDL_PORT, p.port_id, 0, err, sizeof(err)), 0);
			CU_ASSERT_EQUAL(nb_h_delete(shared, p.del_type, p.del_id, 0, err,
						    sizeof(err)), 0);
		}
		if (p.del_type != MDL_NETWORK)
			nb_delete(db, MDL_SUBNET, sub, 0, err, sizeof(err));
		nb_delete(db, MDL_NETWORK, net, 0, err, sizeof(err));
	}
	printf("\n delete won %d, create won %d ", del_won, create_won);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
}

/* ---- router interfaces ---- */

static void t_router_interface(void)
{
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], err[MDL_ERR_SIZE], *before, *after;
	struct mdl_hdr *r = t_obj(MDL_ROUTER, "{\"name\":\"r\"}"), *p, *got;
	uint64_t rev = 0, rmod, pmod, rmod2;
	struct db_kv_list l;

	mk_net_subnet(net, sub, "10.79.0.0/24");
	CU_ASSERT_EQUAL_FATAL(nb_create(db, r, NULL, err, sizeof(err)), 0);
	p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		  "\"ip_address\":\"10.79.0.1\"}]}", net, sub);
	CU_ASSERT_EQUAL_FATAL(nb_add_router_interface(shared, r->id, p, &rev, err,
						      sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_ROUTER, r->id, &got, &rmod), 0);
	CU_ASSERT_EQUAL(mdl_hdr_to_router(got)->n_interfaces, 1);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_router(got)->interfaces[0].port_id, p->id);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_router(got)->interfaces[0].subnet_id, sub);
	mdl_obj_free(got);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, p->id, &got, &pmod), 0);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_port(got)->device_owner, "network:router_interface");
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_port(got)->device_id, r->id);
	mdl_obj_free(got);
	CU_ASSERT_EQUAL(rmod, pmod);            /* one transaction, one revision */
	CU_ASSERT_EQUAL(rmod, rev);
	/* the port is held by the router, the subnet by both */
	CU_ASSERT_EQUAL(nb_delete(db, MDL_PORT, p->id, 0, err, sizeof(err)), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is in use by router"));
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNET, sub, 0, err, sizeof(err)), -EBUSY);
	/* a failing interface (IP taken) writes neither object */
	mdl_obj_free(p);
	db_scan(db, NB_PREFIX, &l);
	before = NULL;
	if (asprintf(&before, "%llu", (unsigned long long)l.revision) < 0)
		before = NULL;
	db_kv_list_clear(&l);
	p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		  "\"ip_address\":\"10.79.0.1\"}]}", net, sub);
	CU_ASSERT_EQUAL(nb_add_router_interface(shared, r->id, p, NULL, err, sizeof(err)),
			-EADDRINUSE);
	CU_ASSERT_EQUAL(nb_get(db, MDL_PORT, p->id, &got, NULL), -ENOENT);
	db_scan(db, NB_PREFIX, &l);
	after = NULL;
	if (asprintf(&after, "%llu", (unsigned long long)l.revision) < 0)
		after = NULL;
	db_kv_list_clear(&l);
	CU_ASSERT_STRING_EQUAL(before, after);  /* no revision: nothing written */
	free(before);
	free(after);
	mdl_obj_free(p);
	/* remove: router loses the interface and the port goes, together */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_ROUTER, r->id, &got, NULL), 0);
	CU_ASSERT_EQUAL(nb_remove_router_interface(shared, r->id,
						   mdl_hdr_to_router(got)->interfaces[0].port_id,
						   &rev, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_get(db, MDL_PORT, mdl_hdr_to_router(got)->interfaces[0].port_id,
			       &p, NULL), -ENOENT);
	mdl_obj_free(got);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_ROUTER, r->id, &got, &rmod2), 0);
	CU_ASSERT_EQUAL(mdl_hdr_to_router(got)->n_interfaces, 0);
	CU_ASSERT_EQUAL(rmod2, rev);
	mdl_obj_free(got);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNET, sub, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_ROUTER, r->id, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_NETWORK, net, 0, err, sizeof(err)), 0);
	mdl_obj_free(r);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
}

/* ---- security-group rules as objects: held groups, cascade as a batch ---- */

static void t_sg_rules(void)
{
	char err[MDL_ERR_SIZE], want[256];
	struct mdl_hdr *g = t_obj(MDL_SECURITY_GROUP, "{\"name\":\"g\"}");
	struct mdl_hdr *g2 = t_obj(MDL_SECURITY_GROUP, "{\"name\":\"g2\"}");
	struct mdl_hdr *r;
	struct nb_op ops[2];

	CU_ASSERT_EQUAL_FATAL(nb_h_create(shared, g, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(nb_h_create(shared, g2, NULL, err, sizeof(err)), 0);
	r = t_obj(MDL_SECURITY_GROUP_RULE, "{\"security_group_id\":\"%s\",\"direction\":"
		  "\"ingress\",\"ethertype\":\"IPv4\",\"remote_group_id\":\"%s\"}",
		  g->id, g2->id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(nb_h_create(shared, r, NULL, err, sizeof(err)), 0);
	/* both groups are held by the rule */
	CU_ASSERT_EQUAL(nb_h_delete(shared, MDL_SECURITY_GROUP, g2->id, 0, err, sizeof(err)),
			-EBUSY);
	snprintf(want, sizeof(want), "security_group %s is in use by security_group_rule %s",
		 g2->id, r->id);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(nb_h_delete(shared, MDL_SECURITY_GROUP, g->id, 0, err, sizeof(err)),
			-EBUSY);
	/* Neutron deletes a group's rules with it: one batch */
	ops[0] = (struct nb_op){ .kind = NB_OP_DELETE, .type = MDL_SECURITY_GROUP_RULE };
	strcpy(ops[0].id, r->id);
	ops[1] = (struct nb_op){ .kind = NB_OP_DELETE, .type = MDL_SECURITY_GROUP };
	strcpy(ops[1].id, g->id);
	CU_ASSERT_EQUAL(nb_apply(shared, ops, 2, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_h_delete(shared, MDL_SECURITY_GROUP, g2->id, 0, err, sizeof(err)), 0);
	mdl_obj_free(g);
	mdl_obj_free(g2);
	mdl_obj_free(r);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
}

/* ---- unknown outcomes ---- */

static void t_unknown_outcome(void)
{
	static const int modes[] = { T_INJ_COMMIT_TIMEOUT, T_INJ_COMMIT_REPLAY,
				     T_INJ_LOST_TIMEOUT };
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	struct t_wrap *w = t_wrap_open(db);
	struct mdl_hdr *p, *got, **objs;
	struct nb_stats st;
	struct nb *h;
	uint64_t mod;
	size_t k, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	h = nb_open(&w->up, NB_F_DP_BLOCK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	mk_net_subnet(net, sub, "10.80.0.0/24");
	p = t_obj(MDL_SECURITY_GROUP, "{\"name\":\"reserve a dp_key block first\"}");
	CU_ASSERT_EQUAL_FATAL(nb_h_create(h, p, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_h_delete(h, MDL_SECURITY_GROUP, p->id, 0, err, sizeof(err)), 0);
	mdl_obj_free(p);
	for (k = 0; k < 3; k++) {
		char mac[32];

		snprintf(mac, sizeof(mac), "fa:16:3e:80:00:%02zx", k);
		p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"mac_address\":\"%s\","
			  "\"fixed_ips\":[{\"subnet_id\":\"%s\",\"ip_address\":\"10.80.0.%zu\"}]}",
			  net, mac, sub, 10 + k);
		/* create */
		w->injected = 0;
		w->count = 1;
		w->mode = modes[k];
		CU_ASSERT_EQUAL(nb_h_create(h, p, NULL, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(w->injected, 1);
		CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, p->id, &got, &mod), 0);
		CU_ASSERT_EQUAL(got->dp_key, p->dp_key);
		mdl_obj_free(got);
		CU_ASSERT_EQUAL(nb_find(h, MDL_PORT, &(struct nb_filter){ .network_id = net,
					.mac_address = mac }, &objs, &n), 0);
		CU_ASSERT_EQUAL(n, 1);          /* exactly once */
		nb_list_free(objs, n);
		/* update */
		snprintf(mdl_hdr_to_port(p)->name, MDL_NAME_SIZE, "u%zu", k);
		w->count = 1;
		CU_ASSERT_EQUAL(nb_h_update(h, p, mod, NULL, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, p->id, &got, NULL), 0);
		CU_ASSERT_STRING_EQUAL(mdl_hdr_to_port(got)->name, mdl_hdr_to_port(p)->name);
		CU_ASSERT_EQUAL(got->version, 2);
		mdl_obj_free(got);
		/* delete: never a false "not found" */
		w->count = 1;
		CU_ASSERT_EQUAL(nb_h_delete(h, MDL_PORT, p->id, 0, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(w->injected, 3);
		CU_ASSERT_EQUAL(nb_get(db, MDL_PORT, p->id, &got, NULL), -ENOENT);
		w->mode = T_INJ_NONE;
		mdl_obj_free(p);
	}
	/* a batch (router interface) under a replayed commit */
	p = t_obj(MDL_ROUTER, "{\"name\":\"r\"}");
	CU_ASSERT_EQUAL_FATAL(nb_h_create(h, p, NULL, err, sizeof(err)), 0);
	got = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		    "\"ip_address\":\"10.80.0.1\"}]}", net, sub);
	w->count = 1;
	w->mode = T_INJ_COMMIT_REPLAY;
	CU_ASSERT_EQUAL(nb_add_router_interface(h, p->id, got, NULL, err, sizeof(err)), 0);
	w->mode = T_INJ_NONE;
	CU_ASSERT_EQUAL(nb_remove_router_interface(h, p->id, got->id, NULL, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(nb_h_delete(h, MDL_ROUTER, p->id, 0, err, sizeof(err)), 0);
	mdl_obj_free(got);
	mdl_obj_free(p);
	nb_get_stats(h, &st);
	/* commit+timeout and replay: 3 ops each + the batch; lost: 3 unknowns */
	CU_ASSERT_EQUAL(st.resolved, 7);
	CU_ASSERT_EQUAL(st.unknown, 6);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNET, sub, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_NETWORK, net, 0, err, sizeof(err)), 0);
	nb_close(h);
	db_close(&w->up);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
}

/* ---- cost of one create (a benchmark line, not an assertion) ---- */

static void t_create_cost(void)
{
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	struct timespec a, b;
	int i, k, n = 1000;
	double us[2];

	mk_net_subnet(net, sub, "10.96.0.0/16");
	for (k = 0; k < 2; k++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (i = 0; i < n; i++) {
			struct mdl_hdr *p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"device_id\":"
						  "\"vm%d\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
						  "\"ip_address\":\"10.96.%d.%d\"}]}", net, i, sub,
						  k * 8 + i / 200, 10 + i % 200);

			if (k ? nb_h_create(shared, p, NULL, err, sizeof(err)) :
				nb_create(db, p, NULL, err, sizeof(err)))
				printf("\n create: %s", err);
			mdl_obj_free(p);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[k] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n;
	}
	printf("\n BENCH nb_create_us plain=%.1f indexed=%.1f (%d ports each) ", us[0], us[1], n);
}

/* ---- suites ---- */

/* ---- generated MACs drawn again when taken ---- */

struct macseq {
	const char *const *macs;
	size_t n, next;
};

static int seq_mac(void *arg, char *mac, size_t size)
{
	struct macseq *q = arg;

	snprintf(mac, size, "%s", q->macs[q->next < q->n ? q->next : q->n - 1]);
	q->next++;
	return 0;
}

static void t_generated_mac(void)
{
	static const char *const taken_twice[] = { "fa:16:3e:66:00:01", "fa:16:3e:66:00:01",
						   "fa:16:3e:66:00:02" };
	static const char *const always[] = { "fa:16:3e:66:00:01" };
	struct macseq q = { taken_twice, 3, 0 };
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	struct nb *h = nb_open(db, 0);
	struct mdl_hdr *a, *b, *c;
	struct nb_stats st0, st1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	mk_net_subnet(net, sub, "10.66.0.0/24");
	a = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"mac_address\":\"fa:16:3e:66:00:01\"}",
		  net);
	CU_ASSERT_EQUAL_FATAL(nb_h_create(h, a, NULL, err, sizeof(err)), 0);
	/* no mac_address: the generator's first two draws are a's MAC */
	nb_set_mac_generator(h, seq_mac, &q);
	nb_get_stats(h, &st0);
	b = t_obj(MDL_PORT, "{\"network_id\":\"%s\"}", net);
	CU_ASSERT_EQUAL(nb_h_create(h, b, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_port(b)->mac_address, "fa:16:3e:66:00:02");
	CU_ASSERT_EQUAL(q.next, 3);
	nb_get_stats(h, &st1);
	CU_ASSERT_EQUAL(st1.mac_regen - st0.mac_regen, 2);
	/* a MAC the caller gave is never replaced */
	c = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"mac_address\":\"fa:16:3e:66:00:02\"}",
		  net);
	CU_ASSERT_EQUAL(nb_h_create(h, c, NULL, err, sizeof(err)), -EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mac_address: fa:16:3e:66:00:02 is already used"));
	mdl_obj_free(c);
	/* a generator that only draws taken MACs: -EADDRINUSE after NB_MAC_DRAWS */
	q = (struct macseq){ always, 1, 0 };
	c = t_obj(MDL_PORT, "{\"network_id\":\"%s\"}", net);
	CU_ASSERT_EQUAL(nb_h_create(h, c, NULL, err, sizeof(err)), -EADDRINUSE);
	CU_ASSERT_EQUAL(q.next, 1 + NB_MAC_DRAWS);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
	mdl_obj_free(a);
	mdl_obj_free(b);
	mdl_obj_free(c);
	nb_close(h);
}

static int open_shared(const char *url)
{
	db = db_open(url);
	if (!db)
		return -1;
	shared = nb_open(db, NB_F_INDEX | NB_F_DP_BLOCK);
	return shared ? 0 : -1;
}

static int rocks_init(void)
{
	char url[300];

	snprintf(rocks_dir, sizeof(rocks_dir), "/tmp/wyv-nbtxn-XXXXXX");
	if (!mkdtemp(rocks_dir))
		return -1;
	snprintf(url, sizeof(url), "rocksdb:%s/db", rocks_dir);
	return open_shared(url);
}

static int close_shared(void)
{
	nb_close(shared);
	db_close(db);
	shared = NULL;
	db = NULL;
	return 0;
}

static int rocks_fini(void)
{
	close_shared();
	return test_rm_rf(rocks_dir) ? -1 : 0;
}

static int etcd_init(void)
{
	int rc = test_etcd_start(&etcd);

	if (rc) {
		printf("\n cannot start etcd: %s\n", strerror(-rc));
		return -1;
	}
	return open_shared(etcd.url);
}

static int etcd_fini(void)
{
	close_shared();
	test_etcd_destroy(&etcd);
	return 0;
}

static int add_suite(const char *name, int (*init)(void), int (*fini)(void), bool bench)
{
	CU_pSuite s = CU_add_suite(name, init, fini);

	if (!s ||
	    !CU_add_test(s, "20 threads, colliding MACs/IPs: one winner each",
			 t_race_claims) ||
	    !CU_add_test(s, "20 threads, overlapping CIDRs / same VNI: one winner",
			 t_race_cidr_segid) ||
	    !CU_add_test(s, "delete referenced vs create referencing: never both",
			 t_delete_races) ||
	    !CU_add_test(s, "router interface: port + router in one txn",
			 t_router_interface) ||
	    !CU_add_test(s, "security-group rules hold their groups; cascade batch",
			 t_sg_rules) ||
	    !CU_add_test(s, "unknown outcomes resolved by re-reading", t_unknown_outcome) ||
	    !CU_add_test(s, "a generated MAC found taken is drawn again", t_generated_mac) ||
	    (bench && !CU_add_test(s, "create cost", t_create_cost)))
		return -1;
	return 0;
}

int main(void)
{
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	test_etcd_cleanup_on_exit(&etcd);
	if (add_suite("nbtxn-rocksdb", rocks_init, rocks_fini, true) ||
	    add_suite("nbtxn-etcd", etcd_init, etcd_fini, false)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
