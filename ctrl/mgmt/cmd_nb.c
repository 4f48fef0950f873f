/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_nb.c — northbound commands (network|subnet|port|router|
 * security-group create|list|show|update|delete) received over the
 * management socket, run on the central database the local controller
 * holds.  This is how `wyctl network create ...` works against a running
 * single-node wyvernd: its embedded RocksDB is locked by wyvernd.  The
 * controller sees the change through its watch like any other write.
 * Control thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"
#include "lc.h"
#include "nb_ops.h"

bool cmd_nb_is(int argc, char **argv)
{
	return wyctl_nb_is_cmd(argc, argv);
}

int cmd_nb(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (c->lc == NULL)
		return reply_error(r, false, "wyvernd has no database ([ctrl] db is not set); "
				   "use wyctl --db URL");
	struct db *db = lc_central_db(c->lc);
	if (db == NULL)
		return reply_error(r, false, "wyvernd is not connected to its database %s yet",
				   lc_db_url(c->lc));
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *o = open_memstream(&obuf, &olen), *e = open_memstream(&ebuf, &elen);
	if (o == NULL || e == NULL) {
		if (o)
			fclose(o);
		if (e)
			fclose(e);
		free(obuf);
		free(ebuf);
		return reply_error(r, false, "out of memory");
	}
	int ec = wyctl_nb_run(db, lc_db_url(c->lc), false, argc, argv, o, e);
	fclose(o);
	fclose(e);
	int rc = 0;
	r->raw = true; /* the text is the answer, even for --json */
	if (ec == 0) {
		reply_printf(r, "%s", obuf ? obuf : "");
	} else {
		const char *m = ebuf ? ebuf : "failed";
		if (strncmp(m, "wyctl: ", 7) == 0)
			m += 7;
		size_t n = strlen(m);
		while (n && m[n - 1] == '\n')
			n--;
		rc = reply_error(r, ec == 2, "%.*s", (int)n, m);
	}
	free(obuf);
	free(ebuf);
	return rc;
}
