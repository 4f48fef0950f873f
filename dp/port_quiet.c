/* SPDX-License-Identifier: BSD-3-Clause
 * dp/port_quiet.c — see port_quiet.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "port_quiet.h"

#define QUIET_MAX 32

struct quiet_msg {
	int level, type;
	char *text;
};

static struct {
	FILE *saved;
	FILE *stream;
	unsigned n;
	struct quiet_msg msg[QUIET_MAX];
	unsigned lost;
} q;

static ssize_t quiet_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	if (q.n >= QUIET_MAX) {
		q.lost++;
		return (ssize_t)size;
	}
	struct quiet_msg *m = &q.msg[q.n];
	m->text = strndup(buf, size);
	if (m->text == NULL)
		return (ssize_t)size;
	m->level = rte_log_cur_msg_loglevel();
	m->type = rte_log_cur_msg_logtype();
	q.n++;
	return (ssize_t)size;
}

void dp_port_quiet_begin(void)
{
	if (q.stream != NULL)
		return;
	cookie_io_functions_t io = { .write = quiet_write };
	q.stream = fopencookie(NULL, "w", io);
	if (q.stream == NULL)
		return;
	setvbuf(q.stream, NULL, _IOFBF, 2048);
	q.saved = rte_log_get_stream();
	q.n = q.lost = 0;
	rte_openlog_stream(q.stream);
}

enum { NOISE_NONE, NOISE_QUEUES, NOISE_QDISC };

static int noise(const char *t)
{
	if (strstr(t, "must be equal to number of tx queues") || strstr(t, "dev_configure = "))
		return NOISE_QUEUES;
	if (strstr(t, "qdisc") || strstr(t, "Disabling rte flow support"))
		return NOISE_QDISC;
	return NOISE_NONE;
}

void dp_port_quiet_end(const char *port, bool retried)
{
	if (q.stream == NULL)
		return;
	fflush(q.stream);
	rte_openlog_stream(q.saved);
	fclose(q.stream);
	q.stream = NULL;
	bool queues = false, qdisc = false;
	for (unsigned i = 0; i < q.n; i++) {
		struct quiet_msg *m = &q.msg[i];
		int k = retried ? noise(m->text) : noise(m->text) == NOISE_QDISC ? NOISE_QDISC : 0;
		if (k == NOISE_QUEUES)
			queues = true;
		else if (k == NOISE_QDISC)
			qdisc = true;
		else
			rte_log((uint32_t)m->level, (uint32_t)m->type, "%s", m->text);
		free(m->text);
	}
	if (q.lost)
		RTE_LOG(WARNING, USER1, "port %s: %u driver messages lost while setting up\n", port,
			q.lost);
	if (queues)
		RTE_LOG(INFO, USER1, "port %s: the driver refused unequal rx/tx queue counts "
			"(expected for net_tap); configured again with equal counts, the extra "
			"rx queues are polled like the others\n", port);
	if (qdisc)
		RTE_LOG(INFO, USER1, "port %s: the kernel has no multiq/flower qdisc, so the "
			"tap driver disabled rte_flow; wyvern does not use it, forwarding is "
			"unaffected\n", port);
	q.n = q.lost = 0;
}
