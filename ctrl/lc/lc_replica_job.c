/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_replica_job.c — the replica's writer: a thread ("wyv-lc-rep")
 * that runs the txns lc_replica_commit builds, so that a batch does not
 * wait for RocksDB (a third of a second for the 100k puts of a full sync).
 *
 * A job holds one txn's ops and everything they point to (keys, values,
 * ports' binary records) in memory of its own: the objects they came from
 * may change or go while the job waits.  Jobs are written in the order
 * they came; the writer takes all that are waiting as one txn (each key's
 * last op), so a slow disk makes fewer, larger txns, never a replica that
 * has a later batch without an earlier one.  A txn that fails is kept and
 * goes first into the next one; nothing a batch wrote is lost, and the
 * replica stays a cut of the central db at some revision.
 *
 * lc_rep_submit, lc_replica_poll, lc_replica_wait, lc_rep_pending and
 * lc_rep_stop: control thread.  The writer touches only its jobs, the
 * replica's struct db (thread-safe) and struct lc_rep under its mutex.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "db.h"
#include "lc_priv.h"

/* Jobs from this size on get memory of their own (mmap), returned to the
 * kernel when written: a full sync's 25 MB would otherwise stay in the
 * heap below what the controller allocates meanwhile. */
#define JOB_MMAP_MIN (256u << 10)
/* after such a job: TRIM_CHECKS looks at the heap, TRIM_EVERY_MS apart,
 * trimming when TRIM_MIN bytes of it are free */
#define TRIM_CHECKS 20
#define TRIM_EVERY_MS 500
#define TRIM_MIN (8u << 20)

struct lc_rep {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool tid_ok;           /* the thread runs (else jobs run in the caller) */
	bool stop;
	bool busy;             /* the writer is writing */
	struct lc_rep_job *head, *tail;   /* submitted, not yet taken */
	struct lc_rep_job *failed;        /* written, failed: goes first next */
	uint64_t txns, errors;            /* counted by the writer */
	uint64_t seen_txns, seen_errors;  /* ... and by lc_replica_poll */
	size_t last_fail_ops;
	int last_rc;
	unsigned trim_checks;  /* writer only: heap checks still to do */
};

struct lc_rep_job *lc_rep_job_new(size_t max_ops, size_t bytes)
{
	struct lc_rep_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	size_t ops = max_ops * sizeof(struct db_op);
	j->mem_len = ops + bytes;
	if (j->mem_len >= JOB_MMAP_MIN) {
		j->mem = mmap(NULL, j->mem_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (j->mem == MAP_FAILED)
			j->mem = NULL;
	} else {
		j->mem = malloc(j->mem_len ? j->mem_len : 1);
	}
	if (j->mem == NULL) {
		free(j);
		return NULL;
	}
	j->ops = j->mem;
	j->arena = (char *)j->mem + ops;
	j->cap = bytes;
	return j;
}

char *lc_rep_job_put(struct lc_rep_job *j, const void *s, size_t len, bool nul)
{
	if (j->at + len + nul > j->cap)
		return NULL;     /* the caller counted wrong: never here */
	char *d = j->arena + j->at;
	if (len)
		memcpy(d, s, len);
	if (nul)
		d[len] = 0;
	j->at += len + nul;
	return d;
}

char *lc_rep_job_reserve(struct lc_rep_job *j, size_t len)
{
	if (j->at + len > j->cap)
		return NULL;
	char *d = j->arena + j->at;
	j->at += len;
	return d;
}

void lc_rep_job_free(struct lc_rep_job *j)
{
	while (j) {
		struct lc_rep_job *p = j->prev;
		if (j->mem_len >= JOB_MMAP_MIN)
			munmap(j->mem, j->mem_len);
		else
			free(j->mem);
		free(j);
		j = p;
	}
}

/* Keeps the last op of each key, in their order (a txn names each key
 * once, as etcd's); 0 when out of memory. */
struct op_ix {
	const char *key;
	size_t i;
};

static int op_ix_cmp(const void *a, const void *b)
{
	const struct op_ix *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static size_t ops_dedupe(struct db_op *ops, size_t n)
{
	struct op_ix *ix = malloc(n * sizeof(*ix));
	bool *keep = calloc(n, sizeof(*keep));
	size_t m = 0;
	if (ix == NULL || keep == NULL) {
		free(ix);
		free(keep);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		ix[i] = (struct op_ix){ ops[i].key, i };
	qsort(ix, n, sizeof(*ix), op_ix_cmp);
	for (size_t i = 0; i < n; i++)
		keep[ix[i].i] = i + 1 == n || strcmp(ix[i].key, ix[i + 1].key) != 0;
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			ops[m++] = ops[i];
	free(ix);
	free(keep);
	return m;
}

/* One job with the ops of the chain a (oldest first, linked by next),
 * which it then owns (through prev); NULL: no memory, a untouched. */
static struct lc_rep_job *merge(struct lc_rep_job *a)
{
	size_t n = 0;
	for (struct lc_rep_job *x = a; x; x = x->next)
		n += x->n;
	struct lc_rep_job *m = lc_rep_job_new(n, 0);
	if (m == NULL)
		return NULL;
	for (struct lc_rep_job *x = a; x; x = x->next) {
		memcpy(m->ops + m->n, x->ops, x->n * sizeof(*x->ops));
		m->n += x->n;
	}
	if ((m->n = ops_dedupe(m->ops, m->n)) == 0) {
		lc_rep_job_free(m);
		return NULL;
	}
	/* m owns the chain: each job's prev (its own owned memory) ends in
	 * the next one of the chain */
	struct lc_rep_job *own = m;
	for (struct lc_rep_job *x = a, *nx; x; x = nx) {
		nx = x->next;
		x->next = NULL;
		while (own->prev)
			own = own->prev;
		own->prev = x;
	}
	return m;
}

/* Writes what waits (a failed job first), as one txn; under w->mu. */
static void write_waiting(struct lc *lc, struct lc_rep *w)
{
	struct lc_rep_job *list = w->head;
	if (w->failed) {    /* a chain when there was no memory to merge it */
		struct lc_rep_job *t = w->failed;
		while (t->next)
			t = t->next;
		t->next = list;
		list = w->failed;
		w->failed = NULL;
	}
	w->head = w->tail = NULL;
	w->busy = true;
	pthread_mutex_unlock(&w->mu);
	struct lc_rep_job *j = list->next ? merge(list) : list;
	int rc = -ENOMEM;
	if (j != NULL) {
		bool ok;
		rc = db_txn(lc->replica, NULL, 0, j->ops, j->n, &ok, NULL);
	}
	pthread_mutex_lock(&w->mu);
	w->busy = false;
	w->txns++;
	if (rc < 0) {
		w->errors++;
		w->last_rc = rc;
		/* no memory to merge: the chain stays as it was, and is tried again */
		w->failed = j ? j : list;
		w->last_fail_ops = w->failed->n;
		j = NULL;
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (j && j->mem_len >= JOB_MMAP_MIN)
		w->trim_checks = TRIM_CHECKS;
	lc_rep_job_free(j);
	pthread_mutex_lock(&w->mu);
}

/* After a big txn, RocksDB frees its copies (the write batch, then the
 * memtable it filled, once its flush is done, on RocksDB's own thread)
 * among what the control thread allocated meanwhile, where glibc keeps
 * them resident: for some seconds the writer gives free heap pages back
 * whenever there are many (lc_run trims after its own big batches). */
static void trim_check(struct lc_rep *w)
{
	if (w->trim_checks == 0)
		return;
	w->trim_checks--;
	struct mallinfo2 mi = mallinfo2();
	if (mi.fordblks >= TRIM_MIN)
		malloc_trim(0);
}

static void *rep_main(void *arg)
{
	struct lc *lc = arg;
	struct lc_rep *w = lc->rep;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stop) {
			if (w->trim_checks == 0) {
				pthread_cond_wait(&w->cv, &w->mu);
				continue;
			}
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += TRIM_EVERY_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT) {
				pthread_mutex_unlock(&w->mu);
				trim_check(w);
				pthread_mutex_lock(&w->mu);
			}
		}
		if (w->head == NULL)
			break;
		write_waiting(lc, w);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int rep_start(struct lc *lc)
{
	if (lc->rep)
		return 0;
	struct lc_rep *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	lc->rep = w;
	/* no thread: each job is written by its commit, as it comes */
	w->tid_ok = pthread_create(&w->tid, NULL, rep_main, lc) == 0;
	if (w->tid_ok)
		pthread_setname_np(w->tid, "wyv-lc-rep");
	return 0;
}

int lc_rep_submit(struct lc *lc, struct lc_rep_job *j)
{
	int rc = rep_start(lc);
	if (rc < 0)
		return rc;
	struct lc_rep *w = lc->rep;
	pthread_mutex_lock(&w->mu);
	j->next = NULL;
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	if (w->tid_ok)
		pthread_cond_signal(&w->cv);
	else
		write_waiting(lc, w);
	pthread_mutex_unlock(&w->mu);
	lc_replica_poll(lc);
	return 0;
}

bool lc_rep_failed(struct lc *lc)
{
	struct lc_rep *w = lc->rep;
	if (w == NULL)
		return false;
	pthread_mutex_lock(&w->mu);
	bool f = w->failed != NULL;
	pthread_mutex_unlock(&w->mu);
	return f;
}

static void collect(struct lc *lc, bool wait)
{
	struct lc_rep *w = lc->rep;
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	while (wait && (w->busy || w->head))
		pthread_cond_wait(&w->cv, &w->mu);
	uint64_t txns = w->txns - w->seen_txns, errors = w->errors - w->seen_errors;
	w->seen_txns = w->txns;
	w->seen_errors = w->errors;
	int rc = w->last_rc;
	size_t n = w->last_fail_ops;
	pthread_mutex_unlock(&w->mu);
	lc->st.replica_txns += txns;
	lc->st.replica_errors += errors;
	if (errors)
		lc_log(lc, "replica txn (%zu ops): %s; kept for the next one", n, strerror(-rc));
}

void lc_replica_poll(struct lc *lc)
{
	collect(lc, false);
}

void lc_replica_wait(struct lc *lc)
{
	collect(lc, true);
}

void lc_rep_stop(struct lc *lc)
{
	struct lc_rep *w = lc->rep;
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->tid_ok)
		pthread_join(w->tid, NULL);   /* it writes what waits first */
	/* a job that failed is tried once more, here */
	if (w->failed) {
		pthread_mutex_lock(&w->mu);
		write_waiting(lc, w);
		pthread_mutex_unlock(&w->mu);
	}
	collect(lc, false);
	if (w->failed)
		lc_log(lc, "replica: the last write failed; it stays at an older revision");
	for (struct lc_rep_job *j = w->failed, *nx; j; j = nx) {
		nx = j->next;
		lc_rep_job_free(j);
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	lc->rep = NULL;
}
