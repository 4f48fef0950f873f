/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_nb.c — northbound commands (network|subnet|port|router|
 * security-group create|list|show|update|delete, security-group rule
 * create|list|show|delete) received over the
 * management socket, run on the central database the local controller
 * holds.  This is how `wyctl network create ...` works against a running
 * single-node wyvernd: its embedded RocksDB is locked by wyvernd.  The
 * controller sees the change through its watch like any other write.
 *
 * The commands run on a worker thread (`wyv-nb`), never on the control
 * thread: an etcd request retries for up to 20 s and validating a write
 * scans the objects it refers to, and neither may stall the local
 * controller, DHCP or underlay ARP.  The control thread queues a job (a
 * copy of argv and the connection id; the answer is deferred), the worker
 * runs it with ctrl/nb and puts it on the done list, writes an eventfd;
 * the control loop polls that fd (the feature's fd) and sends each answer
 * on its connection.  Jobs run one at a time, in arrival order; at most
 * NB_MAX_QUEUED wait.
 *
 * Database handle: with rocksdb the controller's handle (one process may
 * open it; valid until lc_destroy, which runs after this feature's fini);
 * with etcd (etcd:// or etcds://) the worker opens its own per command,
 * with the controller's TLS files and etcd user ([ctrl] db-*), so a worker stuck in a request at shutdown can be left behind
 * (detached after 2 s) without touching the controller's handle.
 *
 * Threads: cmd_nb / nb_on_fd / init / fini on the control thread; the
 * worker touches only struct nb_worker (mutex) and its current job.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ctrl.h"
#include "db.h"
#include "feature.h"
#include "lc.h"
#include "nb_ops.h"

#define NB_MAX_QUEUED 16

extern const struct ctrl_feature ctrl_nb_feature;
#define NB_URL_LEN 512

struct nb_job {
	struct nb_job *next;
	uint64_t conn_id;
	struct db *db;             /* borrowed (rocksdb), or NULL: open url */
	char url[NB_URL_LEN];
	/* [ctrl] db-ca, db-cert, db-key, db-user, db-password-file (copies) */
	char sec[5][LC_PATH_LEN];
	int argc;
	char **argv;
	/* result */
	int ec;                    /* wyctl exit status: 0, 1 failed, 2 usage */
	char *out, *err;
};

struct nb_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct nb_job *todo, **todo_tail;
	struct nb_job *done, **done_tail;
	unsigned n_todo;
	bool busy_borrowed;        /* the running job uses the controller's db */
	bool stop;
	int refs;                  /* control thread + worker */
	int evfd;
	pthread_t thread;
	uint64_t ran;              /* jobs finished (show ctrl could report it) */
};

static void job_free(struct nb_job *j)
{
	if (j == NULL)
		return;
	for (int i = 0; i < j->argc; i++)
		free(j->argv[i]);
	free(j->argv);
	free(j->out);
	free(j->err);
	free(j);
}

static void jobs_free(struct nb_job *j)
{
	while (j) {
		struct nb_job *n = j->next;
		job_free(j);
		j = n;
	}
}

static void worker_unref(struct nb_worker *w)
{
	pthread_mutex_lock(&w->mu);
	int left = --w->refs;
	pthread_mutex_unlock(&w->mu);
	if (left > 0)
		return;
	jobs_free(w->todo);
	jobs_free(w->done);
	close(w->evfd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

static void run_job(struct nb_job *j)
{
	size_t olen = 0, elen = 0;
	FILE *o = open_memstream(&j->out, &olen), *e = open_memstream(&j->err, &elen);
	if (o == NULL || e == NULL) {
		if (o)
			fclose(o);
		if (e)
			fclose(e);
		j->ec = 1;
		return;
	}
	struct db_opts opts = {
		.ca_file = j->sec[0], .cert_file = j->sec[1], .key_file = j->sec[2],
		.user = j->sec[3], .password_file = j->sec[4],
	};
	j->ec = wyctl_nb_run_opts(j->db, j->url, &opts, false, j->argc, j->argv, o, e);
	fclose(o);
	fclose(e);
}

static void *worker_main(void *arg)
{
	struct nb_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && w->todo == NULL)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		struct nb_job *j = w->todo;
		w->todo = j->next;
		if (w->todo == NULL)
			w->todo_tail = &w->todo;
		w->n_todo--;
		w->busy_borrowed = j->db != NULL;
		pthread_mutex_unlock(&w->mu);
		run_job(j);
		pthread_mutex_lock(&w->mu);
		w->busy_borrowed = false;
		j->next = NULL;
		*w->done_tail = j;
		w->done_tail = &j->next;
		w->ran++;
		uint64_t one = 1;
		if (write(w->evfd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; nothing to do */
		}
	}
	pthread_mutex_unlock(&w->mu);
	worker_unref(w);
	return NULL;
}

static int nb_init(struct ctrl *c, void **ctx, char *err, size_t errlen)
{
	(void)c, (void)err, (void)errlen;
	struct nb_worker *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->evfd < 0) {
		int rc = -errno;
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	w->refs = 2;
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		w->refs = 1;
		worker_unref(w);
		return -rc;
	}
	pthread_setname_np(w->thread, "wyv-nb");
	*ctx = w;
	return 0;
}

static void nb_fini(struct ctrl *c, void *ctx)
{
	struct nb_worker *w = ctx;
	(void)c;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	bool borrowed = w->busy_borrowed;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (borrowed) {
		/* a local RocksDB call finishes; the handle must outlive it */
		pthread_join(w->thread, NULL);
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		if (pthread_timedjoin_np(w->thread, NULL, &ts) != 0)
			pthread_detach(w->thread); /* stuck in etcd: it frees w itself */
	}
	worker_unref(w);
}

static int nb_fd(void *ctx)
{
	return ((struct nb_worker *)ctx)->evfd;
}

/* The worker finished jobs: answer their connections. */
static void nb_on_fd(struct ctrl *c, void *ctx)
{
	struct nb_worker *w = ctx;
	uint64_t v;
	if (read(w->evfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a previous turn took the jobs already */
	}
	pthread_mutex_lock(&w->mu);
	struct nb_job *j = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	while (j) {
		struct nb_job *next = j->next;
		struct ctrl_reply r = { .result = json_object(), .raw = true };
		int rc = 0;
		if (j->ec == 0) {
			reply_printf(&r, "%s", j->out ? j->out : "");
		} else {
			const char *m = j->err && j->err[0] ? j->err : "failed";
			if (strncmp(m, "wyctl: ", 7) == 0)
				m += 7;
			size_t n = strlen(m);
			while (n && m[n - 1] == '\n')
				n--;
			rc = reply_error(&r, j->ec == 2, "%.*s", (int)n, m);
		}
		char *line = ctrl_reply_line(&r, rc);
		if (line)
			ctrl_mgmt_answer(c, j->conn_id, line);
		job_free(j);
		j = next;
	}
}

static int cmd_nb(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	(void)argc, (void)argv;   /* the whole request is r->req_argv */
	struct nb_worker *w = ctrl_feature_ctx(c, &ctrl_nb_feature);
	if (c->lc == NULL)
		return reply_error(r, false, "wyvernd has no database ([ctrl] db is not set); "
				   "use wyctl --db URL");
	if (w == NULL)
		return reply_error(r, false, "the northbound worker is not running");
	const char *url = lc_db_url(c->lc);
	struct db *db = NULL;
	if (strncmp(url, "etcd://", 7) != 0 && strncmp(url, "etcds://", 8) != 0) {
		db = lc_central_db(c->lc);
		if (db == NULL)
			return reply_error(r, false, "wyvernd is not connected to its database %s yet",
					   url);
	}
	if (strlen(url) >= NB_URL_LEN)
		return reply_error(r, false, "database URL too long");
	struct nb_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return reply_error(r, false, "out of memory");
	j->argv = calloc((size_t)r->req_argc + 1, sizeof(char *));
	if (j->argv == NULL) {
		free(j);
		return reply_error(r, false, "out of memory");
	}
	for (int i = 0; i < r->req_argc; i++) {
		j->argv[i] = strdup(r->req_argv[i]);
		if (j->argv[i] == NULL) {
			job_free(j);
			return reply_error(r, false, "out of memory");
		}
		j->argc = i + 1;
	}
	j->conn_id = r->conn_id;
	j->db = db;
	snprintf(j->url, sizeof(j->url), "%s", url);
	const struct lc_config *lcc = lc_get_config(c->lc);
	snprintf(j->sec[0], LC_PATH_LEN, "%s", lcc->db_ca);
	snprintf(j->sec[1], LC_PATH_LEN, "%s", lcc->db_cert);
	snprintf(j->sec[2], LC_PATH_LEN, "%s", lcc->db_key);
	snprintf(j->sec[3], LC_PATH_LEN, "%s", lcc->db_user);
	snprintf(j->sec[4], LC_PATH_LEN, "%s", lcc->db_password_file);
	pthread_mutex_lock(&w->mu);
	if (w->n_todo >= NB_MAX_QUEUED) {
		pthread_mutex_unlock(&w->mu);
		job_free(j);
		return reply_error(r, false, "busy: %d northbound commands are waiting; try again",
				   NB_MAX_QUEUED);
	}
	*w->todo_tail = j;
	w->todo_tail = &j->next;
	w->n_todo++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	r->deferred = true;
	return 0;
}

#define NB_CMDS(t) \
	{ t " create", cmd_nb }, { t " list", cmd_nb }, { t " show", cmd_nb }, \
	{ t " update", cmd_nb }, { t " delete", cmd_nb }

static const struct ctrl_cmd nb_cmds[] = {
	NB_CMDS("network"),
	NB_CMDS("subnet"),
	NB_CMDS("port"),
	NB_CMDS("router"),
	NB_CMDS("security-group"),
	{ "security-group rule create", cmd_nb }, { "security-group rule list", cmd_nb },
	{ "security-group rule show", cmd_nb }, { "security-group rule delete", cmd_nb },
	{ "floating-ip create", cmd_nb }, { "floating-ip list", cmd_nb },
	{ "floating-ip show", cmd_nb }, { "floating-ip set", cmd_nb },
	{ "floating-ip delete", cmd_nb },
	{ NULL, NULL },
};

const struct ctrl_feature ctrl_nb_feature = {
	.name = "northbound",
	.init = nb_init,
	.fini = nb_fini,
	.fd = nb_fd,
	.on_fd = nb_on_fd,
	.cmds = nb_cmds,
};
