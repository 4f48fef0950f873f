/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_show.c — read-only commands: show ports/pmd/networks/lports,
 * dump fdb/megaflows, trace; and stats clear / cache flush.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_mempool.h>

#include "ct.h"
#include "ctrl.h"
#include "feature.h"
#include "mac_fmt.h"
#include "tables_ovl.h"
#include "trace.h"

static void mac_str(char *b, const uint8_t *m)
{
	dp_mac_format(b, m);
}

static int no_args(int argc, struct ctrl_reply *r)
{
	return argc ? reply_error(r, true, "unexpected argument") : 0;
}

/* The link as a user would see it.  A net_tap's link is read through its
 * interface in our network namespace; once the tap is moved into a VM's
 * namespace (the usual set-up) the PMD can no longer see it and says
 * "down" while it forwards, so report "unknown" then. */
static const char *link_state(const struct dp_port_info *pi)
{
	if (pi->link_up)
		return "up";
	if (strcmp(pi->driver, "net_tap") == 0) {
		const char *k = strstr(pi->devargs, "iface=");
		char name[IF_NAMESIZE] = "";
		if (k != NULL)
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(k + 6, ","), k + 6);
		if (name[0] && if_nametoindex(name) == 0)
			return "unknown";
	}
	return "down";
}

/* The packet mbuf pool: size, available (ring + per-lcore caches), in use
 * (rx rings, tx queues, packets in flight, punted or leaked).  With no
 * traffic, in use returns to what the rx rings hold: a leak shows as a rise
 * that never comes back. */
static void pool_report(struct ctrl *c, struct ctrl_reply *r)
{
	struct rte_mempool *mp = dp_mempool(c->dp);
	if (mp == NULL)
		return;
	unsigned avail = rte_mempool_avail_count(mp), used = rte_mempool_in_use_count(mp);
	json_object_set_new(r->result, "mbufs",
			    json_pack("{s:s,s:i,s:i,s:i}", "pool", mp->name, "size", (int)mp->size,
				      "available", (int)avail, "in_use", (int)used));
	reply_printf(r, "mbuf pool %s: %u mbufs, %u available, %u in use\n", mp->name,
		     mp->size, avail, used);
}

int cmd_show_ports(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (no_args(argc, r))
		return -1;
	json_t *arr = json_array();
	reply_printf(r, "%-4s %-12s %-14s %-17s %-7s %-6s %12s %12s %10s %s\n", "id", "name",
		     "driver", "mac", "link", "lport", "rx_packets", "tx_packets", "rx_missed",
		     "devargs");
	for (unsigned i = 0; i < dp_port_max(c->dp); i++) {
		struct dp_port_info pi;
		if (dp_port_info(c->dp, (uint16_t)i, &pi) < 0)
			continue;
		char mac[18];
		mac_str(mac, pi.mac);
		json_array_append_new(arr, json_pack(
			"{s:i,s:s,s:s,s:s,s:s,s:b,s:i,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}",
			"id", pi.id, "name", pi.name, "driver", pi.driver, "devargs", pi.devargs,
			"mac", mac, "link_up", pi.link_up, "rxqs", pi.n_rxq, "txqs", pi.n_txq,
			"txq_shared", pi.txq_shared, "rx_packets", (json_int_t)pi.rx_packets,
			"tx_packets", (json_int_t)pi.tx_packets, "rx_bytes", (json_int_t)pi.rx_bytes,
			"tx_bytes", (json_int_t)pi.tx_bytes, "rx_missed", (json_int_t)pi.rx_missed,
			"rx_errors", (json_int_t)pi.rx_errors, "tx_errors", (json_int_t)pi.tx_errors,
			"lport", (int)pi.lport));
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "rx_nombuf",
				    json_integer((json_int_t)pi.rx_nombuf));
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "rss",
				    json_string(!pi.rss ? "none" :
						pi.rss_symmetric ? "symmetric" : "driver-key"));
		const char *link = link_state(&pi);
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "link",
				    json_string(link));
		char lp[12] = "-";
		if (pi.lport)
			snprintf(lp, sizeof(lp), "%u", pi.lport);
		reply_printf(r, "%-4u %-12s %-14s %-17s %-7s %-6s %12llu %12llu %10llu %s\n", pi.id,
			     pi.name, pi.driver, mac, link, lp,
			     (unsigned long long)pi.rx_packets, (unsigned long long)pi.tx_packets,
			     (unsigned long long)pi.rx_missed, pi.devargs);
	}
	json_object_set_new(r->result, "ports", arr);
	pool_report(c, r);
	return 0;
}

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

/* The sampled iterations (dp.h DP_PMD_TIMED_EVERY): how their cycles split
 * between the driver's rx/tx burst calls and wyvern's own work. */
static void timed_report(struct ctrl_reply *r, const struct dp_pmd_stats *s)
{
	if (s->timed_packets < 100)
		return; /* too few packets for a per-packet figure */
	double n = (double)s->timed_packets;
	uint64_t own = s->timed_cycles > s->timed_driver_cycles ?
			       s->timed_cycles - s->timed_driver_cycles : 0;
	reply_printf(r, "  timed iterations (1 in %u, %llu): cycles/packet: %.1f  "
		     "in driver rx/tx bursts: %.1f  own work: %.1f\n",
		     DP_PMD_TIMED_EVERY, (unsigned long long)s->timed_iterations,
		     (double)s->timed_cycles / n, (double)s->timed_driver_cycles / n,
		     (double)own / n);
}

int cmd_show_pmd(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (no_args(argc, r))
		return -1;
	json_t *arr = json_array();
	for (unsigned i = 0; i < dp_n_pmds(c->dp); i++) {
		struct dp_pmd_stats s;
		if (dp_pmd_stats(c->dp, i, &s) < 0)
			continue;
		uint64_t total = s.busy_cycles + s.idle_cycles;
		json_t *drops = json_object(), *punts = json_object();
		uint64_t ndrop = 0;
		for (unsigned d = 1; d < DP_DROP__MAX; d++)
			if (s.drops[d]) {
				json_object_set_new(drops, dp_drop_name(d), json_integer((json_int_t)s.drops[d]));
				ndrop += s.drops[d];
			}
		for (unsigned p = 1; p < DP_PUNT__MAX; p++)
			if (s.punts[p])
				json_object_set_new(punts, dp_punt_name(p), json_integer((json_int_t)s.punts[p]));
		json_t *o = json_pack(
			"{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:f,s:I}",
			"lcore", (int)s.lcore, "rx_packets", (json_int_t)s.rx_packets,
			"tx_packets", (json_int_t)s.tx_packets, "emc_hits", (json_int_t)s.emc_hits,
			"mfc_hits", (json_int_t)s.mfc_hits, "misses", (json_int_t)s.misses,
			"busy_cycles", (json_int_t)s.busy_cycles, "idle_cycles", (json_int_t)s.idle_cycles,
			"upcall_cycles", (json_int_t)s.upcall_cycles, "iterations", (json_int_t)s.iterations,
			"sleeps", (json_int_t)s.sleeps, "invalidations", (json_int_t)s.invalidations,
			"flushes", (json_int_t)s.flushes, "megaflows", (int)s.megaflows,
			"subtables", (int)s.subtables, "seconds", s.seconds, "tsc_hz", (json_int_t)s.tsc_hz);
		json_object_set_new(o, "drops", drops);
		json_object_set_new(o, "punts", punts);
		json_object_set_new(o, "recirculations", json_integer((json_int_t)s.recirculations));
		json_object_set_new(o, "ct_packets", json_integer((json_int_t)s.ct_packets));
		json_object_set_new(o, "offload", json_pack(
			"{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			"mark_hits", (json_int_t)s.mark_hits,
			"mark_parsed", (json_int_t)s.mark_parsed,
			"mark_stale", (json_int_t)s.mark_stale,
			"mark_foreign", (json_int_t)s.mark_foreign,
			"events", (json_int_t)s.ofl_events,
			"events_dropped", (json_int_t)s.ofl_events_dropped,
			"hw_updates", (json_int_t)s.ofl_hw_updates));
		double us_per_tsc = s.tsc_hz ? 1e6 / (double)s.tsc_hz : 0.0;
		json_object_set_new(o, "megaflow_lifecycle", json_pack(
			"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:I}",
			"installed", (json_int_t)s.mflow.inserted,
			"evicted", (json_int_t)s.mflow.evicted,
			"expired", (json_int_t)s.mflow.expired,
			"invalidated", (json_int_t)s.mflow.invalidated,
			"over_quota_upcalls", (json_int_t)s.mflow.over_quota,
			"uncached_upcalls", (json_int_t)s.mflow.uncached,
			"invalidation_passes", (json_int_t)s.inv_passes,
			"invalidation_us", (double)s.inv_cycles * us_per_tsc,
			"invalidation_max_us", (double)s.inv_cycles_max * us_per_tsc,
			"upcall_throttled_polls", (json_int_t)s.upcall_throttled));
		json_object_set_new(o, "emc_bypassed", json_integer((json_int_t)s.emc_bypassed));
		json_object_set_new(o, "emc_bypass", json_boolean(s.emc_bypass));
		json_object_set_new(o, "port_hint_hits", json_integer((json_int_t)s.port_hint_hits));
		json_object_set_new(o, "timed", json_pack(
			"{s:i,s:I,s:I,s:I,s:I}", "every", DP_PMD_TIMED_EVERY,
			"iterations", (json_int_t)s.timed_iterations,
			"packets", (json_int_t)s.timed_packets,
			"cycles", (json_int_t)s.timed_cycles,
			"driver_cycles", (json_int_t)s.timed_driver_cycles));
		json_array_append_new(arr, o);

		uint64_t lookups = s.emc_hits + s.mfc_hits + s.misses;
		reply_printf(r, "pmd thread lcore %u (%.2f s):\n", s.lcore, s.seconds);
		reply_printf(r, "  packets received: %llu (%.3f Mpps)  sent: %llu\n",
			     (unsigned long long)s.rx_packets,
			     s.seconds > 0 ? (double)s.rx_packets / s.seconds / 1e6 : 0.0,
			     (unsigned long long)s.tx_packets);
		reply_printf(r, "  exact-cache hits: %llu (%.1f%%)  megaflow hits: %llu (%.1f%%)  "
			     "misses: %llu (%.1f%%)\n",
			     (unsigned long long)s.emc_hits, pct(s.emc_hits, lookups),
			     (unsigned long long)s.mfc_hits, pct(s.mfc_hits, lookups),
			     (unsigned long long)s.misses, pct(s.misses, lookups));
		reply_printf(r, "  exact-cache: %s  packets past it: %llu (%.1f%%)  "
			     "megaflow hits from the port's hint: %llu\n",
			     s.emc_bypass ? "bypassed (hit rate below emc-min-hit-rate)" : "in use",
			     (unsigned long long)s.emc_bypassed, pct(s.emc_bypassed, lookups),
			     (unsigned long long)s.port_hint_hits);
		reply_printf(r, "  megaflows: %u in %u subtables  invalidated: %llu  flushes: %llu\n",
			     s.megaflows, s.subtables, (unsigned long long)s.invalidations,
			     (unsigned long long)s.flushes);
		reply_printf(r, "  megaflows installed: %llu  evicted: %llu  expired: %llu  "
			     "over-quota upcalls: %llu  uncached upcalls: %llu\n",
			     (unsigned long long)s.mflow.inserted, (unsigned long long)s.mflow.evicted,
			     (unsigned long long)s.mflow.expired, (unsigned long long)s.mflow.over_quota,
			     (unsigned long long)s.mflow.uncached);
		reply_printf(r, "  invalidation passes: %llu  avg: %.1f us  max: %.1f us  "
			     "polls skipped (upcall budget): %llu\n",
			     (unsigned long long)s.inv_passes,
			     s.inv_passes ? (double)s.inv_cycles * us_per_tsc / (double)s.inv_passes : 0.0,
			     (double)s.inv_cycles_max * us_per_tsc,
			     (unsigned long long)s.upcall_throttled);
		reply_printf(r, "  conntrack packets: %llu  recirculations: %llu\n",
			     (unsigned long long)s.ct_packets, (unsigned long long)s.recirculations);
		if (s.mark_hits || s.mark_stale || s.mark_foreign || s.ofl_events)
			reply_printf(r, "  marked packets: %llu (parse skipped: %llu, lookup skipped: "
				     "%llu)  stale marks: %llu  other PMD's marks: %llu  offload "
				     "events: %llu (dropped %llu)  hw counter updates: %llu\n",
				     (unsigned long long)s.mark_hits,
				     (unsigned long long)(s.mark_hits - s.mark_parsed),
				     (unsigned long long)s.mark_hits, (unsigned long long)s.mark_stale,
				     (unsigned long long)s.mark_foreign,
				     (unsigned long long)s.ofl_events,
				     (unsigned long long)s.ofl_events_dropped,
				     (unsigned long long)s.ofl_hw_updates);
		reply_printf(r, "  busy cycles: %llu (%.1f%%)  idle cycles: %llu (%.1f%%)  sleeps: %llu\n",
			     (unsigned long long)s.busy_cycles, pct(s.busy_cycles, total),
			     (unsigned long long)s.idle_cycles, pct(s.idle_cycles, total),
			     (unsigned long long)s.sleeps);
		/* per-packet figures only where they mean something: no packets,
		 * no figure; a mostly idle PMD's total/packet is idle time */
		char proc[48] = "-", tot[48] = "-", up[32] = "-";
		if (s.rx_packets && s.rx_packets < 1000) {
			/* a handful of packets: first-packet costs (upcalls, cold
			 * caches) would read as an absurd per-packet figure */
			snprintf(proc, sizeof(proc), "- (%llu packets)",
				 (unsigned long long)s.rx_packets);
		} else if (s.rx_packets) {
			snprintf(proc, sizeof(proc), "%.1f",
				 (double)s.busy_cycles / (double)s.rx_packets);
			if (pct(s.idle_cycles, total) < 50.0)
				snprintf(tot, sizeof(tot), "%.1f", (double)total / (double)s.rx_packets);
			else
				snprintf(tot, sizeof(tot), "- (idle %.0f%%)", pct(s.idle_cycles, total));
		}
		if (s.misses)
			snprintf(up, sizeof(up), "%.0f", (double)s.upcall_cycles / (double)s.misses);
		reply_printf(r, "  processing cycles/packet: %s  total cycles/packet: %s  "
			     "upcall cycles/miss: %s\n", proc, tot, up);
		timed_report(r, &s);
		reply_printf(r, "  drops: %llu", (unsigned long long)ndrop);
		for (unsigned d = 1; d < DP_DROP__MAX; d++)
			if (s.drops[d])
				reply_printf(r, " %s=%llu", dp_drop_name(d), (unsigned long long)s.drops[d]);
		reply_printf(r, "\n  punts:");
		for (unsigned p = 1; p < DP_PUNT__MAX; p++)
			if (s.punts[p])
				reply_printf(r, " %s=%llu", dp_punt_name(p), (unsigned long long)s.punts[p]);
		reply_printf(r, "\n");
	}
	json_object_set_new(r->result, "pmds", arr);
	struct dp_ct_stats ct;
	dp_ct_stats_get(dp_get_ct(c->dp), &ct);
	json_object_set_new(r->result, "conntrack", json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"connections", (json_int_t)ct.conns, "lookups", (json_int_t)ct.lookups,
		"committed", (json_int_t)ct.committed, "established", (json_int_t)ct.established,
		"invalid", (json_int_t)ct.invalid, "related", (json_int_t)ct.related,
		"expired", (json_int_t)ct.expired, "over_limit", (json_int_t)ct.over_limit,
		"table_full", (json_int_t)ct.table_full, "flushed", (json_int_t)ct.flushed,
		"limbo", (json_int_t)ct.limbo, "revalidated", (json_int_t)ct.reval_checked,
		"blocked", (json_int_t)ct.blocked));
	reply_printf(r, "conntrack: %llu connection(s)  lookups: %llu  committed: %llu  "
		     "established: %llu  invalid: %llu  related: %llu  expired: %llu  "
		     "over limit: %llu  table full: %llu  flushed: %llu  revalidated: %llu  "
		     "blocked: %llu\n",
		     (unsigned long long)ct.conns, (unsigned long long)ct.lookups,
		     (unsigned long long)ct.committed, (unsigned long long)ct.established,
		     (unsigned long long)ct.invalid, (unsigned long long)ct.related,
		     (unsigned long long)ct.expired, (unsigned long long)ct.over_limit,
		     (unsigned long long)ct.table_full, (unsigned long long)ct.flushed,
		     (unsigned long long)ct.reval_checked, (unsigned long long)ct.blocked);
	pool_report(c, r);
	return 0;
}

static int net_cb(const struct dp_network *n, void *arg)
{
	json_t *arr = arg;
	json_t *ports = json_array();
	for (unsigned i = 0; i < n->n_local; i++)
		json_array_append_new(ports, json_integer(n->local_ports[i]));
	json_t *o = json_pack("{s:i,s:s,s:i,s:i}", "key", (int)n->cfg.key, "name", n->cfg.name,
			      "vni", (int)n->cfg.vni, "mtu", (int)n->cfg.mtu);
	json_object_set_new(o, "local_ports", ports);
	static const char *const types[] = { "overlay", "flat", "vlan" };
	json_object_set_new(o, "type", json_string(n->cfg.type < 3 ? types[n->cfg.type] : "?"));
	json_object_set_new(o, "vlan", json_integer(n->cfg.vlan));
	json_t *vt = json_array();
	for (unsigned i = 0; i < n->cfg.n_flood_vteps; i++) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &n->cfg.flood_vteps[i], ip, sizeof(ip));
		json_array_append_new(vt, json_string(ip));
	}
	json_object_set_new(o, "flood_vteps", vt);
	json_array_append_new(arr, o);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "key"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "key"));
	return x < y ? -1 : x > y;
}

/* jansson arrays cannot be sorted in place: rebuild in key order */
static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(arr, i);
	if (v)
		qsort(v, n, sizeof(*v), cmp_key);
	for (size_t i = 0; v && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

int cmd_show_networks(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (no_args(argc, r))
		return -1;
	json_t *arr = json_array();
	dp_table_foreach_network(dp_tables(c->dp), net_cb, arr);
	arr = sorted(arr);
	reply_printf(r, "%-8s %-20s %-8s %-8s %-6s %s\n", "key", "name", "type", "vni/vlan", "mtu",
		     "local ports / remote VTEPs");
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o) {
		const char *type = json_string_value(json_object_get(o, "type"));
		reply_printf(r, "%-8lld %-20s %-8s %-8lld %-6lld",
			     json_integer_value(json_object_get(o, "key")),
			     json_string_value(json_object_get(o, "name")), type,
			     json_integer_value(json_object_get(o, type[0] == 'v' ? "vlan" : "vni")),
			     json_integer_value(json_object_get(o, "mtu")));
		size_t j;
		json_t *p;
		json_array_foreach(json_object_get(o, "local_ports"), j, p)
			reply_printf(r, " %lld", json_integer_value(p));
		json_array_foreach(json_object_get(o, "flood_vteps"), j, p)
			reply_printf(r, " %s%s", j ? "" : "/ ", json_string_value(p));
		reply_printf(r, "\n");
	}
	json_object_set_new(r->result, "networks", arr);
	return 0;
}

static int lport_cb(const struct dp_lport *p, void *arg)
{
	const struct dp_lport_cfg *c = &p->cfg;
	json_t *macs = json_array(), *ips = json_array(), *aaps = json_array();
	char b[64];
	for (unsigned i = 0; i < c->n_macs; i++) {
		mac_str(b, c->macs[i].addr_bytes);
		json_array_append_new(macs, json_string(b));
	}
	for (unsigned i = 0; i < c->n_ips; i++) {
		dp_ip_format(b, sizeof(b), &c->ips[i]);
		json_array_append_new(ips, json_string(b));
	}
	for (unsigned i = 0; i < c->n_aaps; i++) {
		char m[18];
		dp_ip_format(b, sizeof(b), &c->aaps[i].ip);
		mac_str(m, c->aaps[i].mac.addr_bytes);
		json_array_append_new(aaps, json_pack("{s:s,s:s}", "ip", b, "mac",
						      rte_is_zero_ether_addr(&c->aaps[i].mac) ? "" : m));
	}
	char vtep[INET_ADDRSTRLEN] = "";
	if (c->remote_vtep)
		inet_ntop(AF_INET, &c->remote_vtep, vtep, sizeof(vtep));
	json_t *o = json_pack("{s:i,s:s,s:i,s:b,s:b,s:s}", "key", (int)c->key, "name", c->name,
			      "network", (int)c->network, "port_security", c->port_security,
			      "admin_up", c->admin_up, "remote_vtep", vtep);
	json_object_set_new(o, "dp_port",
			    c->dp_port == DP_NO_PORT ? json_null() : json_integer(c->dp_port));
	json_object_set_new(o, "macs", macs);
	json_object_set_new(o, "ips", ips);
	json_object_set_new(o, "allowed_address_pairs", aaps);
	json_array_append_new(arg, o);
	return 0;
}

int cmd_show_lports(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (no_args(argc, r))
		return -1;
	json_t *arr = json_array();
	dp_table_foreach_lport(dp_tables(c->dp), lport_cb, arr);
	arr = sorted(arr);
	reply_printf(r, "%-8s %-16s %-8s %-7s %-5s %-5s %-17s %s\n", "key", "name", "network",
		     "dp_port", "psec", "admin", "mac", "ips");
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o) {
		json_t *dpp = json_object_get(o, "dp_port");
		char port[12] = "-";
		if (json_is_integer(dpp))
			snprintf(port, sizeof(port), "%lld", json_integer_value(dpp));
		reply_printf(r, "%-8lld %-16s %-8lld %-7s %-5s %-5s %-17s",
			     json_integer_value(json_object_get(o, "key")),
			     json_string_value(json_object_get(o, "name")),
			     json_integer_value(json_object_get(o, "network")), port,
			     json_is_true(json_object_get(o, "port_security")) ? "on" : "off",
			     json_is_true(json_object_get(o, "admin_up")) ? "up" : "down",
			     json_string_value(json_array_get(json_object_get(o, "macs"), 0)));
		size_t j;
		json_t *ip;
		json_array_foreach(json_object_get(o, "ips"), j, ip)
			reply_printf(r, " %s", json_string_value(ip));
		json_array_foreach(json_object_get(o, "allowed_address_pairs"), j, ip)
			reply_printf(r, " aap:%s", json_string_value(json_object_get(ip, "ip")));
		reply_printf(r, "\n");
	}
	json_object_set_new(r->result, "lports", arr);
	return 0;
}

static int fdb_cb(uint32_t network, const uint8_t mac[6], uint32_t lport, void *arg)
{
	char m[18];
	mac_str(m, mac);
	json_array_append_new(arg, json_pack("{s:i,s:s,s:i}", "network", (int)network, "mac", m,
					     "lport", (int)lport));
	return 0;
}

int cmd_dump_fdb(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (no_args(argc, r))
		return -1;
	json_t *arr = json_array();
	dp_table_foreach_fdb(dp_tables(c->dp), fdb_cb, arr);
	reply_printf(r, "%-8s %-17s %s\n", "network", "mac", "lport");
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
		reply_printf(r, "%-8lld %-17s %lld\n", json_integer_value(json_object_get(o, "network")),
			     json_string_value(json_object_get(o, "mac")),
			     json_integer_value(json_object_get(o, "lport")));
	json_object_set_new(r->result, "fdb", arr);
	return 0;
}

static json_t *flow_json(const struct dp_flow_text *t, char *line, size_t len)
{
	snprintf(line, len, "%s actions:%s tags:%s", t->match, t->actions, t->tags);
	return json_pack("{s:s,s:s,s:s}", "match", t->match, "actions", t->actions, "tags", t->tags);
}

struct dump_arg {
	struct ctrl *c;
	struct ctrl_reply *r;
	json_t *arr;
	unsigned pmd;
};

static int dump_cb(const struct dp_megaflow_info *f, void *arg)
{
	struct dump_arg *d = arg;
	char line[3072];
	json_t *o = flow_json(&f->text, line, sizeof(line));
	uint64_t idle_ms = f->used_s > 0 ? (uint64_t)(f->used_s * 1000.0) : 0;
	json_object_set_new(o, "pmd", json_integer(d->pmd));
	json_object_set_new(o, "id", json_integer((json_int_t)f->id));
	json_object_set_new(o, "in_port", json_integer(f->in_port));
	json_object_set_new(o, "idle_ms", json_integer((json_int_t)idle_ms));
	json_object_set_new(o, "hits", json_integer((json_int_t)f->hits));
	json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
	json_object_set_new(o, "used_s", json_real(f->used_s));
	json_array_append_new(d->arr, o);
	char why[128], ofl[192] = "";
	uint32_t mark = 0;
	const char *st = ctrl_offload_describe(d->c, f->id, why, sizeof(why), &mark);
	if (st != NULL) {   /* offload on: the flow's tier and why not better */
		json_object_set_new(o, "offload", json_pack("{s:s,s:s,s:i}", "state", st, "why",
							    why, "mark", (int)mark));
		snprintf(ofl, sizeof(ofl), " offload=%s%s%s%s", st, why[0] ? "(" : "", why,
			 why[0] ? ")" : "");
	}
	reply_printf(d->r, "pmd=%u id=0x%016llx hits=%llu bytes=%llu idle=%llums %s%s\n", d->pmd,
		     (unsigned long long)f->id, (unsigned long long)f->hits,
		     (unsigned long long)f->bytes, (unsigned long long)idle_ms, line, ofl);
	return 0;
}

int cmd_dump_megaflows(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t limit = 10000;
	if (argc == 2 && strcmp(argv[0], "--limit") == 0) {
		if (ctrl_parse_u32(argv[1], &limit) < 0 || limit == 0 || limit > 1000000)
			return reply_error(r, true, "bad --limit '%s'", argv[1]);
	} else if (argc != 0) {
		return reply_error(r, true, "unexpected argument '%s'", argv[0]);
	}
	struct dump_arg d = { .c = c, .r = r, .arr = json_array() };
	for (unsigned p = 0; p < dp_n_pmds(c->dp); p++) {
		d.pmd = p;
		int n = dp_dump_megaflows(c->dp, p, limit, dump_cb, &d);
		if (n == -ENOMEM) {
			json_decref(d.arr);
			return reply_error(r, false, "out of memory for %u megaflows", limit);
		}
		if (n < 0)
			reply_printf(r, "pmd %u: no answer (%s)\n", p, strerror(-n));
	}
	json_object_set_new(r->result, "megaflows", d.arr);
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int cmd_trace(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	char err[256];
	if (argc < 2)
		return reply_error(r, true, "trace needs a port and a flow");
	int port = ctrl_port_arg(c, argv[0]);
	if (port < 0)
		return reply_error(r, false, "no such port '%s'", argv[0]);
	struct dp_trace *t = malloc(sizeof(*t));
	if (t == NULL)
		return reply_error(r, false, "out of memory");
	int rc;
	if (strcmp(argv[1], "--hex") == 0) {
		if (argc != 3) {
			free(t);
			return reply_error(r, true, "--hex takes one argument");
		}
		const char *h = argv[2];
		size_t n = strlen(h);
		uint8_t pkt[2048];
		size_t len = 0;
		for (size_t i = 0; i < n; i++) {
			if (h[i] == ' ' || h[i] == ':')
				continue;
			int a = hexval(h[i]), b = i + 1 < n ? hexval(h[i + 1]) : -1;
			if (a < 0 || b < 0 || len >= sizeof(pkt)) {
				free(t);
				return reply_error(r, false, "bad hex packet at offset %zu", i);
			}
			pkt[len++] = (uint8_t)(a << 4 | b);
			i++;
		}
		rc = dp_trace_packet(c->dp, (uint16_t)port, pkt, len, t);
		if (rc == 0 && t->outer_len) {
			char src[INET_ADDRSTRLEN] = "?";
			inet_ntop(AF_INET, &t->tun_src, src, sizeof(src));
			reply_printf(r, "parse: tunnel packet from %s, VNI %u, %u bytes of outer "
				     "headers; the key is the inner packet's\n", src, t->tun_vni,
				     t->outer_len);
			json_object_set_new(r->result, "outer_len", json_integer(t->outer_len));
		}
		if (rc == 0 && t->parse_drop != DP_DROP_NONE) {
			reply_printf(r, "parse: dropped: %s\n", dp_drop_name(t->parse_drop));
			json_object_set_new(r->result, "parse_drop",
					    json_string(dp_drop_name(t->parse_drop)));
			free(t);
			return 0;
		}
	} else {
		if (argc != 2) {
			free(t);
			return reply_error(r, true, "the flow must be one argument (quote it)");
		}
		rc = dp_trace_flow(c->dp, (uint16_t)port, argv[1], t, err, sizeof(err));
		if (rc == -EINVAL) {
			free(t);
			return reply_error(r, false, "bad flow: %s", err);
		}
	}
	if (rc < 0) {
		free(t);
		return reply_error(r, false, "out of memory");
	}
	char line[3072];
	json_t *mf = flow_json(&t->megaflow, line, sizeof(line));
	reply_printf(r, "flow: %s\n", t->flow);
	if (t->defaulted[0])
		reply_printf(r, "defaulted (not in the flow given): %s\n", t->defaulted);
	reply_printf(r, "\n%s\nmegaflow: %s%s\n", t->stages, line,
		     t->no_install ? " (not cacheable)" : "");
	if (t->recirc_actions[0])
		reply_printf(r, "after recirculation (conntrack state as shown above): actions:%s\n",
			     t->recirc_actions);
	json_object_set_new(r->result, "recirc_actions", json_string(t->recirc_actions));
	json_object_set_new(r->result, "flow", json_string(t->flow));
	json_object_set_new(r->result, "defaulted", json_string(t->defaulted));
	json_object_set_new(r->result, "stages", json_string(t->stages));
	json_object_set_new(r->result, "megaflow", mf);
	free(t);
	return 0;
}

int cmd_stats_clear(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (no_args(argc, r))
		return -1;
	dp_stats_clear(c->dp);
	reply_printf(r, "statistics cleared\n");
	return 0;
}

int cmd_cache_flush(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (no_args(argc, r))
		return -1;
	dp_flush_caches(c->dp);
	reply_printf(r, "caches flushed\n");
	return 0;
}

/* The datapath's read-only commands and its counters/caches. */
static const struct ctrl_cmd show_cmds[] = {
	{ "show ports", cmd_show_ports },
	{ "show pmd", cmd_show_pmd },
	{ "show networks", cmd_show_networks },
	{ "show lports", cmd_show_lports },
	{ "dump fdb", cmd_dump_fdb },
	{ "dump megaflows", cmd_dump_megaflows },
	{ "trace", cmd_trace },
	{ "stats clear", cmd_stats_clear },
	{ "cache flush", cmd_cache_flush },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_show_feature = {
	.name = "show",
	.cmds = show_cmds,
};
