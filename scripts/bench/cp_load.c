/* scripts/bench/cp_load.c — control-plane benchmark bulk loader.
 * Built by scripts/bench/cp.sh into a temp dir (not part of meson):
 *   gcc -I db -I model db/*.c model/*.c (no tests) cp_load.c -ljansson -lrocksdb -lcurl -lpthread
 *
 *   cp_load URL FILE.tsv [BATCH]
 *
 * FILE.tsv: "TYPE<TAB>JSON" per line (cp_gen.py).  Every object is decoded and
 * checked with model/ (mdl_obj_from_string + mdl_obj_validate: the
 * single-object checks), gets dp_key = 1, 2, 3, ... and version 1, is
 * re-encoded canonically (mdl_obj_to_string) and written under
 * nb_key() = /wyvern/v1/<type>/<uuid>, BATCH puts per db_txn (default 100:
 * etcd's --max-txn-ops default is 128).  The last txn also sets the shared
 * dp_key counter (/wyvern/v1/_alloc/dp_key) so later nb_create()s continue
 * after it.  Cross-object validation (mdl_validate_against) is not run: it
 * scans whole types per object (O(N^2) at 100k); cp_gen.py builds a
 * consistent topology by construction.
 * Prints "revision=R objects=N seconds=S" on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "mdl.h"
#include "nb.h"

struct pending {
	char *key;
	char *val;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int flush(struct db *db, struct pending *p, size_t n, const char *ckey, uint32_t last_key,
		 uint64_t *rev)
{
	struct db_op *ops = calloc(n + 1, sizeof(*ops));
	char cval[16];
	bool ok = false;
	size_t k = 0;
	int rc;

	if (!ops)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ops[k++] = (struct db_op){ DB_OP_PUT, p[i].key, p[i].val, strlen(p[i].val) };
	if (ckey) {
		snprintf(cval, sizeof(cval), "%u", last_key);
		ops[k++] = (struct db_op){ DB_OP_PUT, ckey, cval, strlen(cval) };
	}
	rc = db_txn(db, NULL, 0, ops, k, &ok, rev);
	free(ops);
	if (!rc && !ok)
		rc = -EIO;
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].val);
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: cp_load URL FILE.tsv [BATCH]\n");
		return 2;
	}
	size_t batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	if (batch < 1)
		batch = 1;
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	struct db *db = db_open(argv[1]);
	if (!db) {
		fprintf(stderr, "cp_load: db_open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	char ckey[128];
	db_alloc_counter_key("dp_key", ckey, sizeof(ckey));
	struct db_kv kv;
	uint32_t dp_key = 0;
	if (db_get(db, ckey, &kv) == 0) {
		dp_key = (uint32_t)strtoul(kv.value, NULL, 10);
		db_kv_clear(&kv);
	}
	struct pending *p = calloc(batch, sizeof(*p));
	size_t np = 0, objs = 0, lineno = 0, cap = 0;
	char *line = NULL, err[MDL_ERR_SIZE];
	uint64_t rev = 0;
	int rc = 0;
	double t0 = now();
	ssize_t len;

	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char *tab = strchr(line, '\t');
		if (!tab) {
			fprintf(stderr, "cp_load: line %zu: no tab\n", lineno);
			rc = 1;
			break;
		}
		*tab = 0;
		int type = mdl_type_from_name(line);
		if (type < 0) {
			fprintf(stderr, "cp_load: line %zu: unknown type '%s'\n", lineno, line);
			rc = 1;
			break;
		}
		struct mdl_hdr *o = mdl_obj_from_string((enum mdl_type)type, tab + 1, err, sizeof(err));
		if (!o || mdl_obj_validate(o, err, sizeof(err)) != 0) {
			fprintf(stderr, "cp_load: line %zu (%s): %s\n", lineno, line, err);
			mdl_obj_free(o);
			rc = 1;
			break;
		}
		o->dp_key = ++dp_key;
		o->version = 1;
		char key[160];
		nb_key(o->type, o->id, key, sizeof(key));
		p[np].key = strdup(key);
		p[np].val = mdl_obj_to_string(o);
		mdl_obj_free(o);
		if (!p[np].key || !p[np].val) {
			rc = 1;
			break;
		}
		np++;
		objs++;
		if (np == batch) {
			int e = flush(db, p, np, NULL, 0, &rev);
			np = 0;
			if (e) {
				fprintf(stderr, "cp_load: txn: %s\n", strerror(-e));
				rc = 1;
				break;
			}
		}
	}
	if (!rc) {
		int e = flush(db, p, np, ckey, dp_key, &rev);
		if (e) {
			fprintf(stderr, "cp_load: txn: %s\n", strerror(-e));
			rc = 1;
		}
	}
	free(line);
	free(p);
	fclose(f);
	if (!rc) {
		db_revision(db, &rev);
		printf("revision=%llu objects=%zu seconds=%.3f\n", (unsigned long long)rev, objs,
		       now() - t0);
	}
	db_close(db);
	return rc;
}
