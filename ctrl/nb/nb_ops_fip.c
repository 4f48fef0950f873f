/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_fip.c — `wyctl floating-ip create|list|show|set|delete`.
 *
 * Floating IPs go through the Neutron operations (nbo.h) on the command's
 * nb handle, so wyctl and the REST API allocate and validate alike: the
 * address from the external network (unless --address), the router that
 * can NAT for the port and the port's fixed address.  One northbound
 * transaction per command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nb_ops_priv.h"
#include "nbo.h"

static const char *const fip_verbs[NB_F_N] = { "create", "list", "show", "set", "delete" };

int nb_fip_verb(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "floating-ip"))
		return -1;
	for (int v = 0; v < NB_F_N; v++)
		if (!strcmp(argv[1], fip_verbs[v]))
			return v;
	return -1;
}

void nb_fip_usage(FILE *f, int verb)
{
	const char *pre = "usage: wyctl [--db URL] [--json] floating-ip";
	if (verb == NB_F_CREATE || verb < 0)
		fprintf(f, "%s create --network EXTERNAL [--address IP] [--port PORT]\n", pre);
	if (verb == NB_F_LIST || verb < 0)
		fprintf(f, "%s list\n", pre);
	if (verb == NB_F_SHOW || verb < 0)
		fprintf(f, "%s show FIP (its id or address)\n", pre);
	if (verb == NB_F_SET || verb < 0)
		fprintf(f, "%s set FIP --port PORT|--no-port\n", pre);
	if (verb == NB_F_DELETE || verb < 0)
		fprintf(f, "%s delete FIP\n", pre);
}

int nb_fip_parse(struct nb_ctx *c, int verb, int argc, char **argv, bool *as_json, bool *help,
		 struct nb_fip_cmd *f)
{
	memset(f, 0, sizeof(*f));
	f->verb = verb;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = true;
			return 0;
		}
		if (!strcmp(a, "--json")) {
			*as_json = true;
			continue;
		}
		if (!strcmp(a, "--no-port") && verb == NB_F_SET) {
			f->no_port = true;
			continue;
		}
		if (!strcmp(a, "--network") && verb == NB_F_CREATE)
			slot = &f->network;
		else if (!strcmp(a, "--address") && verb == NB_F_CREATE)
			slot = &f->address;
		else if (!strcmp(a, "--port") && (verb == NB_F_CREATE || verb == NB_F_SET))
			slot = &f->port;
		else if (!strncmp(a, "--db", 4))
			continue;       /* taken by wyctl itself */
		if (slot != NULL) {
			if (i + 1 >= argc)
				return nb_usage_err(c, "%s needs a value", a);
			*slot = argv[++i];
			continue;
		}
		if (a[0] == '-')
			return nb_usage_err(c, "unknown option %s for floating-ip %s", a,
					    fip_verbs[verb]);
		if (f->pos || verb == NB_F_CREATE || verb == NB_F_LIST)
			return nb_usage_err(c, "unexpected argument '%s'", a);
		f->pos = a;
	}
	if (verb == NB_F_CREATE && !f->network)
		return nb_usage_err(c, "missing --network EXTERNAL");
	if ((verb == NB_F_SHOW || verb == NB_F_SET || verb == NB_F_DELETE) && !f->pos)
		return nb_usage_err(c, "missing FIP (its id or address)");
	if (verb == NB_F_SET && !f->port == !f->no_port)
		return nb_usage_err(c, "give --port PORT or --no-port");
	return 0;
}

/* The id of a floating IP given by id or address. */
static int fip_id(struct nb_ctx *c, struct nbo *o, const char *arg, char id[MDL_ID_SIZE])
{
	json_t *all = NULL, *x;
	struct nbo_err e = { "", "" };
	size_t i;
	int rc = nbo_list(o, MDL_FLOATING_IP, NULL, &all, &e);
	if (rc)
		return nb_nbo_err_out(c, rc, &e);
	rc = -ENOENT;
	json_array_foreach(all, i, x) {
		const char *fid = json_string_value(json_object_get(x, "id"));
		const char *adr = json_string_value(json_object_get(x, "floating_ip_address"));
		if ((fid && !strcmp(fid, arg)) || (adr && !strcmp(adr, arg))) {
			snprintf(id, MDL_ID_SIZE, "%s", fid);
			rc = 0;
			break;
		}
	}
	json_decref(all);
	return rc ? nb_fail(c, rc, "floating IP %s does not exist", arg) : 0;
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && s[0] ? s : "-";
}

static void print_fip(struct nb_ctx *c, const json_t *v, bool as_json)
{
	if (as_json) {
		nb_print_json(c, (json_t *)v);
		return;
	}
	static const char *const keys[] = { "id", "floating_ip_address", "floating_network_id",
					    "port_id", "fixed_ip_address", "router_id", "status" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		fprintf(c->out, "%-20s %s\n", keys[i], str(v, keys[i]));
}

int nb_fip_exec(struct nb_ctx *c, const struct nb_fip_cmd *f, bool as_json)
{
	struct nbo o;
	int rc0 = nb_ctx_nbo(c, &o);
	if (rc0)
		return rc0;
	struct nbo_err e = { "", "" };
	json_t *body = json_object(), *out = NULL;
	char id[MDL_ID_SIZE];
	int rc = body ? 0 : -ENOMEM;
	if (!rc && f->verb == NB_F_CREATE) {
		rc = nb_resolve(c, MDL_NETWORK, f->network, id);
		if (!rc)
			json_object_set_new(body, "floating_network_id", json_string(id));
		if (!rc && f->address)
			json_object_set_new(body, "floating_ip_address", json_string(f->address));
		if (!rc && f->port && !(rc = nb_resolve(c, MDL_PORT, f->port, id)))
			json_object_set_new(body, "port_id", json_string(id));
		if (!rc && (rc = nbo_create(&o, MDL_FLOATING_IP, body, "", &out, &e)))
			nb_nbo_err_out(c, rc, &e);
		if (!rc)
			print_fip(c, out, as_json);
	} else if (!rc && f->verb == NB_F_LIST) {
		if ((rc = nbo_list(&o, MDL_FLOATING_IP, NULL, &out, &e)) != 0) {
			nb_nbo_err_out(c, rc, &e);
		} else if (as_json) {
			nb_print_json(c, out);
		} else {
			size_t i;
			json_t *x;
			fprintf(c->out, "%-36s  %-15s  %-15s  %s\n", "ID", "FLOATING IP", "FIXED IP",
				"PORT");
			json_array_foreach(out, i, x)
				fprintf(c->out, "%-36s  %-15s  %-15s  %s\n", str(x, "id"),
					str(x, "floating_ip_address"), str(x, "fixed_ip_address"),
					str(x, "port_id"));
		}
	} else if (!rc && !(rc = fip_id(c, &o, f->pos, id))) {
		if (f->verb == NB_F_SHOW) {
			if ((rc = nbo_show(&o, MDL_FLOATING_IP, id, &out, &e)))
				nb_nbo_err_out(c, rc, &e);
			else
				print_fip(c, out, as_json);
		} else if (f->verb == NB_F_DELETE) {
			if ((rc = nbo_delete(&o, MDL_FLOATING_IP, id, 0, &e)))
				nb_nbo_err_out(c, rc, &e);
		} else {
			char pid[MDL_ID_SIZE];
			if (f->no_port)
				json_object_set_new(body, "port_id", json_null());
			else if (!(rc = nb_resolve(c, MDL_PORT, f->port, pid)))
				json_object_set_new(body, "port_id", json_string(pid));
			if (!rc && (rc = nbo_update(&o, MDL_FLOATING_IP, id, body, 0, &out, &e)))
				nb_nbo_err_out(c, rc, &e);
			if (!rc)
				print_fip(c, out, as_json);
		}
	}
	json_decref(body);
	json_decref(out);
	nbo_fini(&o);
	return rc;
}
