/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/request.c — parses a management request and dispatches it to the
 * feature that serves the command (feature.h).  The command's privilege and
 * usage line come from ctrl/cli/cmd_spec.c: an admin command from a peer
 * that is neither uid 0 nor in [mgmt] admin-group is refused before its
 * handler runs.  Unknown commands and bad arguments answer with usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_spec.h"
#include "ctrl.h"
#include "feature.h"

static void usage_all(struct ctrl_reply *r)
{
	size_t n = 0, ns;
	const struct ctrl_cmd_spec *sp = ctrl_cmd_specs(&ns);
	n += (size_t)snprintf(r->err, sizeof(r->err),
			      "usage: wyctl [-s SOCKET] [--json] COMMAND  (wyctl help: all of them)\n");
	const char *last = "";
	for (size_t i = 0; i < ns && n < sizeof(r->err); i++) {
		/* keep the list short: one line per topic */
		if (strcmp(sp[i].topic, last) == 0)
			continue;
		last = sp[i].topic;
		int k = snprintf(r->err + n, sizeof(r->err) - n, "  %s, ...\n", sp[i].words);
		if (k > 0)
			n += (size_t)k;
	}
	r->usage = true;
}

int ctrl_parse_u32(const char *s, uint32_t *out)
{
	char *e;
	if (s == NULL || *s == 0 || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &e, 0);
	if (errno || *e || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ctrl_port_arg(struct ctrl *c, const char *s)
{
	int id = dp_port_by_name(c->dp, s);
	if (id >= 0)
		return id;
	uint32_t v;
	struct dp_port_info pi;
	if (ctrl_parse_u32(s, &v) == 0 && v < dp_port_max(c->dp) &&
	    dp_port_info(c->dp, (uint16_t)v, &pi) == 0)
		return (int)v;
	return -1;
}

char *ctrl_reply_line(struct ctrl_reply *r, int rc)
{
	json_t *o = json_object();
	if (rc == 0) {
		json_object_set_new(o, "ok", json_true());
		json_object_set(o, "result", r->result);
		json_object_set_new(o, "text", json_string(r->text ? r->text : ""));
		if (r->raw)
			json_object_set_new(o, "raw", json_true());
	} else {
		json_object_set_new(o, "ok", json_false());
		json_object_set_new(o, "error", json_string(r->err[0] ? r->err : "failed"));
		json_object_set_new(o, "usage", json_boolean(r->usage));
		if (r->raw)
			json_object_set_new(o, "raw", json_true());
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	json_decref(r->result);
	free(r->text);
	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = 0;
	return line;
}

/* May peer run a command of privilege priv?  0, or -1 with the reason. */
static int allowed(const struct ctrl *c, const struct ctrl_peer *peer,
		   const struct ctrl_cmd_spec *sp, struct ctrl_reply *r)
{
	if (peer == NULL || sp->priv == CTRL_CMD_READ || peer->uid == 0)
		return 0;
	const struct ctrl_config *cfg = c->cfg;
	if (cfg != NULL && cfg->mgmt_admin_gid >= 0) {
		gid_t g = (gid_t)cfg->mgmt_admin_gid;
		if (peer->gid == g)
			return 0;
		for (unsigned i = 0; i < peer->n_groups; i++)
			if (peer->groups[i] == g)
				return 0;
		return reply_error(r, false, "permission denied: '%s' needs uid 0 or group %s",
				   sp->words, cfg->mgmt_admin_group);
	}
	return reply_error(r, false, "permission denied: '%s' needs uid 0 (no [mgmt] "
			   "admin-group is configured)", sp->words);
}

char *ctrl_handle_request(struct ctrl *c, const char *req, size_t len,
			  const struct ctrl_peer *peer, uint64_t conn_id)
{
	struct ctrl_reply r = { .result = json_object(), .conn_id = conn_id };
	json_error_t jerr;
	json_t *j = json_loadb(req, len, JSON_DISABLE_EOF_CHECK, &jerr);
	json_t *av = j ? json_object_get(j, "argv") : NULL;
	char *argv[64];
	int argc = 0, rc = -1;
	if (av == NULL || !json_is_array(av)) {
		reply_error(&r, false, "bad request: expected {\"argv\": [...]}%s%s",
			    j ? "" : ": ", j ? "" : jerr.text);
		goto out;
	}
	if (json_array_size(av) >= 64) {
		reply_error(&r, true, "too many arguments");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(av); i++) {
		const char *s = json_string_value(json_array_get(av, i));
		if (s == NULL) {
			reply_error(&r, false, "bad request: argv[%zu] is not a string", i);
			goto out;
		}
		argv[argc++] = (char *)(uintptr_t)s;
	}
	argv[argc] = NULL;
	if (argc == 0) {
		usage_all(&r);
		goto out;
	}
	int nw = 0;
	const struct ctrl_cmd *k = ctrl_feature_cmd(c, argc, argv, &nw, NULL);
	const struct ctrl_cmd_spec *sp = k ? ctrl_cmd_spec_get(k->words) : NULL;
	if (k == NULL || sp == NULL) {
		/* no feature serves it (or it has no spec line: refused, since
		 * its privilege is unknown) */
		char what[128];
		snprintf(what, sizeof(what), "%s%s%s", argv[0], argc > 1 ? " " : "",
			 argc > 1 ? argv[1] : "");
		const char *near = ctrl_cmd_suggest(argc, argv);
		usage_all(&r);
		char tmp[1024];
		snprintf(tmp, sizeof(tmp), "unknown command '%s'%s%s%s\n%s", what,
			 near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "", r.err);
		snprintf(r.err, sizeof(r.err), "%s", tmp);
		goto out;
	}
	if (allowed(c, peer, sp, &r) < 0)
		goto out;
	r.req_argc = argc;
	r.req_argv = argv;
	r.peer = peer;
	rc = k->fn(c, argc - nw, argv + nw, &r);
	if (rc < 0 && r.usage && strncmp(r.err, "usage:", 6) != 0) {
		char tmp[1024];
		snprintf(tmp, sizeof(tmp), "%s\nusage: wyctl %s%s%s", r.err, sp->words,
			 sp->args[0] ? " " : "", sp->args);
		snprintf(r.err, sizeof(r.err), "%s", tmp);
	}
out:
	json_decref(j);
	if (rc == 0 && r.deferred) {
		/* the handler answers later (ctrl_mgmt_answer); it copied argv */
		json_decref(r.result);
		free(r.text);
		return NULL;
	}
	return ctrl_reply_line(&r, rc);
}
