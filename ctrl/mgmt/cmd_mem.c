/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_mem.c — `wyctl show memory`: where wyvernd's memory is, as
 * `ovs-appctl memory/show` tells it for ovs-vswitchd.
 *
 * - process: resident set (anonymous, file, shared) and its peak, from
 *   /proc/self/status;
 * - C heap (glibc malloc, mallinfo2): mapped, in use, free inside it;
 * - DPDK heap (rte_malloc) per socket: size, allocated, free, allocations,
 *   and the biggest memzones (mempools, hash tables, rings);
 * - the tables' counts and the bytes of the published lports;
 * - the local controller's C-heap state by role (lc_get_mem);
 * - the RocksDB stores in the process (the replica, an embedded central
 *   database): memtables, block cache, table readers (db_mem).
 *
 * Resident memory only counts pages touched: DPDK's memory with --no-huge
 * is anonymous and counted in RssAnon; hugepages are not in RSS at all.
 * Control thread only (lc_get_mem walks the controller's index).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_memzone.h>

#include "ctrl.h"
#include "db.h"
#include "feature.h"
#include "lc.h"
#include "tables.h"

#define MEM_TOP_ZONES 8

/* /proc/self/status fields, in kB (0 when missing) */
struct proc_mem {
	unsigned long rss, hwm, anon, file, shmem;
};

static void proc_mem_read(struct proc_mem *m)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		unsigned long v;
		if (sscanf(line, "VmRSS: %lu", &v) == 1)
			m->rss = v;
		else if (sscanf(line, "VmHWM: %lu", &v) == 1)
			m->hwm = v;
		else if (sscanf(line, "RssAnon: %lu", &v) == 1)
			m->anon = v;
		else if (sscanf(line, "RssFile: %lu", &v) == 1)
			m->file = v;
		else if (sscanf(line, "RssShmem: %lu", &v) == 1)
			m->shmem = v;
	}
	fclose(f);
}

struct zones {
	unsigned n;
	size_t total;
	const struct rte_memzone *top[MEM_TOP_ZONES];
};

static void zone_cb(const struct rte_memzone *mz, void *arg)
{
	struct zones *z = arg;
	z->n++;
	z->total += mz->len;
	/* keep the biggest, in order */
	for (unsigned i = 0; i < MEM_TOP_ZONES; i++)
		if (z->top[i] == NULL || mz->len > z->top[i]->len) {
			memmove(&z->top[i + 1], &z->top[i],
				(MEM_TOP_ZONES - 1 - i) * sizeof(z->top[0]));
			z->top[i] = mz;
			break;
		}
}

static double mib(size_t b)
{
	return (double)b / (1024.0 * 1024.0);
}

static void show_process(struct ctrl_reply *r)
{
	struct proc_mem pm;
	proc_mem_read(&pm);
	json_object_set_new(r->result, "process",
			    json_pack("{s:I,s:I,s:I,s:I,s:I}", "rss_kb", (json_int_t)pm.rss,
				      "peak_rss_kb", (json_int_t)pm.hwm, "anon_kb",
				      (json_int_t)pm.anon, "file_kb", (json_int_t)pm.file,
				      "shmem_kb", (json_int_t)pm.shmem));
	reply_printf(r, "process:      rss %.1f MiB (anon %.1f, file %.1f, shmem %.1f), peak %.1f MiB\n",
		     pm.rss / 1024.0, pm.anon / 1024.0, pm.file / 1024.0, pm.shmem / 1024.0,
		     pm.hwm / 1024.0);

	struct mallinfo2 mi = mallinfo2();
	if (mi.arena == 0 && mi.hblkhd == 0) {
		/* another allocator took malloc's place (a sanitizer build,
		 * an LD_PRELOAD'ed one): glibc has nothing to tell */
		json_object_set_new(r->result, "malloc", json_null());
		reply_printf(r, "C heap:       no statistics (malloc is not glibc's)\n");
		return;
	}
	json_object_set_new(r->result, "malloc",
			    json_pack("{s:I,s:I,s:I,s:I}", "heap_bytes", (json_int_t)mi.arena,
				      "mmapped_bytes", (json_int_t)mi.hblkhd, "in_use_bytes",
				      (json_int_t)(mi.uordblks + mi.hblkhd), "free_bytes",
				      (json_int_t)mi.fordblks));
	reply_printf(r, "C heap:       %.1f MiB in use, %.1f MiB free in it, %.1f MiB in large "
		     "mappings (glibc malloc)\n", mib(mi.uordblks + mi.hblkhd), mib(mi.fordblks),
		     mib(mi.hblkhd));
}

static void show_dpdk(struct ctrl_reply *r)
{
	json_t *heaps = json_array();
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		struct rte_malloc_socket_stats st;
		if (rte_malloc_get_socket_stats(s, &st) < 0 || st.heap_totalsz_bytes == 0)
			continue;
		json_array_append_new(heaps, json_pack("{s:i,s:I,s:I,s:I,s:I}", "socket", s,
						       "size_bytes", (json_int_t)st.heap_totalsz_bytes,
						       "allocated_bytes",
						       (json_int_t)st.heap_allocsz_bytes,
						       "free_bytes", (json_int_t)st.heap_freesz_bytes,
						       "allocations", (json_int_t)st.alloc_count));
		reply_printf(r, "DPDK heap:    socket %d: %.1f MiB allocated in %u allocations, "
			     "%.1f MiB free (%.1f MiB mapped)\n", s, mib(st.heap_allocsz_bytes),
			     st.alloc_count, mib(st.heap_freesz_bytes), mib(st.heap_totalsz_bytes));
	}
	json_object_set_new(r->result, "dpdk_heaps", heaps);

	struct zones z = { 0 };
	rte_memzone_walk(zone_cb, &z);
	json_t *top = json_array();
	reply_printf(r, "memzones:     %u, %.1f MiB; the biggest:\n", z.n, mib(z.total));
	for (unsigned i = 0; i < MEM_TOP_ZONES && z.top[i]; i++) {
		json_array_append_new(top, json_pack("{s:s,s:I}", "name", z.top[i]->name,
						     "bytes", (json_int_t)z.top[i]->len));
		reply_printf(r, "  %-32s %9.1f MiB\n", z.top[i]->name, mib(z.top[i]->len));
	}
	json_object_set_new(r->result, "memzones",
			    json_pack("{s:i,s:I,s:o}", "count", (int)z.n, "bytes",
				      (json_int_t)z.total, "biggest", top));
}

static void show_tables(struct ctrl *c, struct ctrl_reply *r)
{
	const struct dp_tables *t = dp_tables(c->dp);
	unsigned nl = dp_tables_n_lports(t), nn = dp_tables_n_networks(t);
	size_t lb = dp_tables_lport_bytes(t);
	json_object_set_new(r->result, "tables",
			    json_pack("{s:i,s:i,s:I}", "lports", (int)nl, "networks", (int)nn,
				      "lport_bytes", (json_int_t)lb));
	reply_printf(r, "tables:       %u lports (%.1f MiB of the DPDK heap, %zu bytes each on "
		     "average), %u networks\n", nl, mib(lb), nl ? lb / nl : 0, nn);
}

static void show_ctrl(struct ctrl *c, struct ctrl_reply *r)
{
	if (c->lc == NULL)
		return;
	struct lc_mem m;
	lc_get_mem(c->lc, &m);
	size_t total = m.object_bytes + m.index_bytes + m.port_bytes + m.other_bytes +
		       m.string_bytes;
	json_object_set_new(
		r->result, "controller",
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "objects",
			  (json_int_t)m.objects, "object_bytes", (json_int_t)m.object_bytes,
			  "index_bytes", (json_int_t)m.index_bytes, "ports", (json_int_t)m.ports,
			  "port_bytes", (json_int_t)m.port_bytes, "other_bytes",
			  (json_int_t)m.other_bytes, "strings", (json_int_t)m.strings,
			  "string_bytes", (json_int_t)m.string_bytes, "bytes",
			  (json_int_t)total));
	reply_printf(r, "controller:   %.1f MiB of the C heap:\n", mib(total));
	reply_printf(r, "  objects     %zu, %.1f MiB (index entries and keys) + %.1f MiB index\n",
		     m.objects, mib(m.object_bytes), mib(m.index_bytes));
	reply_printf(r, "  ports       %zu, %.1f MiB (records and their lists)\n", m.ports,
		     mib(m.port_bytes));
	reply_printf(r, "  other       %.1f MiB (raw JSON and decoded objects)\n",
		     mib(m.other_bytes));
	reply_printf(r, "  strings     %zu, %.1f MiB (interned)\n", m.strings, mib(m.string_bytes));
}

/* The RocksDB stores in this process: the replica, and the central
 * database when it is embedded (etcd's memory is the server's). */
static void show_dbs(struct ctrl *c, struct ctrl_reply *r)
{
	if (c->lc == NULL)
		return;
	struct { const char *name; struct db *db; } dbs[] = {
		{ "replica", lc_replica_db(c->lc) }, { "central", lc_central_db(c->lc) },
	};
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		struct db_mem m;
		if (dbs[i].db == NULL || db_mem(dbs[i].db, &m) < 0)
			continue;
		json_object_set_new(o, dbs[i].name,
				    json_pack("{s:I,s:I,s:I}", "memtable_bytes",
					      (json_int_t)m.memtables, "block_cache_bytes",
					      (json_int_t)m.block_cache, "table_reader_bytes",
					      (json_int_t)m.table_readers));
		reply_printf(r, "db %-9s  RocksDB: memtables %.1f MiB, block cache %.1f MiB, table "
			     "readers %.1f MiB\n", dbs[i].name, mib(m.memtables),
			     mib(m.block_cache), mib(m.table_readers));
	}
	json_object_set_new(r->result, "databases", o);
}

static int cmd_show_memory(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	(void)argv;
	if (argc)
		return reply_error(r, true, "unexpected argument");
	show_process(r);
	show_dpdk(r);
	show_tables(c, r);
	show_ctrl(c, r);
	show_dbs(c, r);
	return 0;
}

static const struct ctrl_cmd mem_cmds[] = {
	{ "show memory", cmd_show_memory },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_mem_feature = {
	.name = "memory",
	.cmds = mem_cmds,
};
