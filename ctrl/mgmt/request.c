/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/request.c — parses a management request and dispatches it to the
 * command table.  Unknown commands and bad arguments answer with usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"
#include "app_dhcp.h"
#include "app_icmp.h"
#include "app_underlay.h"

typedef int cmd_fn(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);

struct cmd {
	const char *w1, *w2;   /* w2 NULL: single-word command */
	cmd_fn *fn;
	const char *usage;
};

static const struct cmd cmds[] = {
	{ "show", "ports", cmd_show_ports, "show ports" },
	{ "show", "pmd", cmd_show_pmd, "show pmd" },
	{ "show", "networks", cmd_show_networks, "show networks" },
	{ "show", "lports", cmd_show_lports, "show lports" },
	{ "show", "ctrl", cmd_show_ctrl, "show ctrl" },
	{ "show", "replica", cmd_show_replica, "show replica" },
	{ "show", "topology", cmd_show_topology, "show topology" },
	{ "show", "dhcp", cmd_show_dhcp, "show dhcp" },
	{ "dump", "fdb", cmd_dump_fdb, "dump fdb" },
	{ "dump", "megaflows", cmd_dump_megaflows, "dump megaflows [--limit N]" },
	{ "trace", NULL, cmd_trace, "trace PORT FLOW  |  trace PORT --hex HEXBYTES" },
	{ "stats", "clear", cmd_stats_clear, "stats clear" },
	{ "cache", "flush", cmd_cache_flush, "cache flush" },
	{ "network", "add", cmd_network_add, "network add KEY [--name NAME] [--vni N] [--mtu N] [--type overlay|flat|vlan] [--vlan ID] [--flood-vtep IP].." },
	{ "network", "del", cmd_network_del, "network del KEY" },
	{ "lport", "add", cmd_lport_add,
	  "lport add KEY --network NET --mac MAC [--mac MAC].. [--ip IP].. [--aap IP[/LEN][@MAC]].. "
	  "[--port PORT|none] [--name NAME] [--no-port-security] [--down] [--remote-vtep IP]" },
	{ "lport", "set", cmd_lport_set, "lport set KEY [lport add options]" },
	{ "lport", "del", cmd_lport_del, "lport del KEY" },
	{ "port", "add", cmd_port_add, "port add NAME DEVARGS [--rxqs N] [--pmd LCORE] [--mtu N]" },
	{ "port", "del", cmd_port_del, "port del NAME" },
	{ "router", "add", cmd_router_add, "router add KEY [--name NAME]" },
	{ "router", "del", cmd_router_del, "router del KEY" },
	{ "rport", "add", cmd_rport_add,
	  "rport add KEY --router R --network N --mac MAC --ip IP/LEN [--ip IP/LEN].. [--name NAME] "
	  "[--ra none|slaac|dhcpv6-stateless|dhcpv6-stateful]" },
	{ "rport", "del", cmd_rport_del, "rport del KEY" },
	{ "route", "add", cmd_route_add, "route add ROUTER PREFIX via IP | dev RPORT" },
	{ "route", "del", cmd_route_del, "route del ROUTER PREFIX" },
	{ "show", "routers", cmd_show_routers, "show routers" },
	{ "show", "overlay", cmd_show_overlay, "show overlay" },
	{ "vtep", "add", cmd_vtep_add, "vtep add IP [--mac MAC] [--encap vxlan|geneve]" },
	{ "vtep", "del", cmd_vtep_del, "vtep del IP" },
	{ "capture", NULL, cmd_capture,
	  "capture PORT [-c N] [-w FILE.pcapng] [--filter FLOW] [--direction rx|tx|both] "
	  "[--timeout S]" },
};

static void usage_all(struct ctrl_reply *r)
{
	size_t n = 0;
	n += (size_t)snprintf(r->err, sizeof(r->err), "usage: wyctl [-s SOCKET] [--json] COMMAND\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && n < sizeof(r->err); i++) {
		/* keep the list short: first line of each usage */
		int k = snprintf(r->err + n, sizeof(r->err) - n, "  %s %s\n", cmds[i].w1,
				 cmds[i].w2 ? cmds[i].w2 : strchr(cmds[i].usage, ' ') + 1);
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

static char *respond(struct ctrl_reply *r, int rc)
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

char *ctrl_handle_request(struct ctrl *c, const char *req, size_t len)
{
	struct ctrl_reply r = { .result = json_object() };
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
	if (cmd_nb_is(argc, argv)) {
		rc = cmd_nb(c, argc, argv, &r);
		goto out;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd *k = &cmds[i];
		if (strcmp(argv[0], k->w1) != 0)
			continue;
		if (k->w2 == NULL) {
			rc = k->fn(c, argc - 1, argv + 1, &r);
		} else {
			if (argc < 2 || strcmp(argv[1], k->w2) != 0)
				continue;
			rc = k->fn(c, argc - 2, argv + 2, &r);
		}
		if (rc < 0 && r.usage && strncmp(r.err, "usage:", 6) != 0) {
			char tmp[1024];
			snprintf(tmp, sizeof(tmp), "%s\nusage: wyctl %s", r.err, k->usage);
			snprintf(r.err, sizeof(r.err), "%s", tmp);
		}
		goto out;
	}
	{
		char what[128];
		snprintf(what, sizeof(what), "%s%s%s", argv[0], argc > 1 ? " " : "",
			 argc > 1 ? argv[1] : "");
		usage_all(&r);
		char tmp[1024];
		snprintf(tmp, sizeof(tmp), "unknown command '%s'\n%s", what, r.err);
		snprintf(r.err, sizeof(r.err), "%s", tmp);
	}
out:
	json_decref(j);
	return respond(&r, rc);
}
