/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_conformance_scan.c — db_scan_pages on every backend: pages of the
 * asked size, in key order, one snapshot with db_scan's revision, a
 * callback that takes pairs, an empty prefix as one empty page, and a
 * callback's error ending the scan. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "db_conformance.h"

struct pages_seen {
	size_t pages, kvs, bad, max_page, starts;
	char last[64];
	int stop_at_page;       /* >0: return 9 from this page on */
};

static int page_cb(struct db_kv_list *l, bool start, void *arg)
{
	struct pages_seen *p = arg;

	p->pages++;
	p->starts += start;
	if (start != (p->pages == 1))
		p->bad++;
	if (l->n > p->max_page)
		p->max_page = l->n;
	for (size_t i = 0; i < l->n; i++) {
		char want[64];
		snprintf(want, sizeof(want), "/t/pages/%04zu", p->kvs);
		if (strcmp(l->kvs[i].key, want) != 0 || strcmp(l->kvs[i].value, want + 9) != 0)
			p->bad++;
		snprintf(p->last, sizeof(p->last), "%s", l->kvs[i].key);
		p->kvs++;
		if (i % 2) {            /* take every other pair */
			free(l->kvs[i].key);
			free(l->kvs[i].value);
			l->kvs[i].key = NULL;
			l->kvs[i].value = NULL;
		}
	}
	return p->stop_at_page && (int)p->pages >= p->stop_at_page ? 9 : 0;
}

void t_scan_pages(void)
{
	struct db_opts o = { .scan_page_keys = 7 };
	struct db *db = db_open_opts(conformance_url(), &o, NULL, 0);
	struct db_kv_list l;
	char k[64];
	uint64_t rev = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	for (size_t i = 0; i < 30; i++) {
		snprintf(k, sizeof(k), "/t/pages/%04zu", i);
		CU_ASSERT_EQUAL(db_put(db, k, k + 9, strlen(k + 9), NULL), 0);
	}
	CU_ASSERT_EQUAL(db_put(db, "/t/pagesx", "x", 1, NULL), 0);   /* not in */
	CU_ASSERT_EQUAL_FATAL(db_scan(db, "/t/pages/", &l), 0);
	CU_ASSERT_EQUAL(l.n, 30);

	struct pages_seen p = { 0 };
	CU_ASSERT_EQUAL(db_scan_pages(db, "/t/pages/", page_cb, &p, &rev), 0);
	CU_ASSERT_EQUAL(p.kvs, 30);
	CU_ASSERT_EQUAL(p.pages, 5);            /* 7+7+7+7+2 */
	CU_ASSERT_EQUAL(p.max_page, 7);
	CU_ASSERT_EQUAL(p.starts, 1);
	CU_ASSERT_EQUAL(p.bad, 0);
	CU_ASSERT_STRING_EQUAL(p.last, "/t/pages/0029");
	CU_ASSERT_EQUAL(rev, l.revision);       /* nothing written between */

	/* an empty prefix: one empty first page */
	p = (struct pages_seen){ 0 };
	CU_ASSERT_EQUAL(db_scan_pages(db, "/t/nopages/", page_cb, &p, NULL), 0);
	CU_ASSERT_EQUAL(p.pages, 1);
	CU_ASSERT_EQUAL(p.starts, 1);
	CU_ASSERT_EQUAL(p.kvs, 0);

	/* the callback's error ends the scan */
	p = (struct pages_seen){ .stop_at_page = 2 };
	CU_ASSERT_EQUAL(db_scan_pages(db, "/t/pages/", page_cb, &p, NULL), 9);
	CU_ASSERT_EQUAL(p.pages, 2);
	CU_ASSERT_EQUAL(db_scan_pages(db, "/t/pages/", NULL, NULL, NULL), -EINVAL);
	db_kv_list_clear(&l);
	db_close(db);
}
