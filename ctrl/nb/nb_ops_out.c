/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_out.c — output of the northbound commands: one object as
 * "field  value" lines or JSON, lists as tables (id, name, a few key
 * fields) or JSON arrays.  Security groups are shown with their rules: the
 * rules embedded in the group (stores written before rules were objects)
 * followed by its security_group_rule objects in creation order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nb_ops_priv.h"
#include "nb_sg.h"

const char *nb_obj_name(const struct mdl_hdr *h)
{
	switch (h->type) {
	case MDL_NETWORK:
		return ((const struct mdl_network *)h)->name;
	case MDL_SUBNET:
		return ((const struct mdl_subnet *)h)->name;
	case MDL_PORT:
		return ((const struct mdl_port *)h)->name;
	case MDL_ROUTER:
		return ((const struct mdl_router *)h)->name;
	case MDL_SECURITY_GROUP:
		return ((const struct mdl_security_group *)h)->name;
	default:
		return "";
	}
}

/* ---- output ---- */

void nb_print_json(struct nb_ctx *c, json_t *j)
{
	json_dumpf(j, c->out, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', c->out);
}

/* A value inside a list element or nested object. */
static void put_inner(FILE *f, json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		fputs(json_string_value(v), f);
	} else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY))) {
		fputs(s, f);
		free(s);
	}
}

/* key=value pairs of an object, null members left out. */
static void put_members(FILE *f, json_t *o)
{
	const char *key;
	bool first = true;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
			continue;
		fprintf(f, "%s%s=", first ? "" : ", ", key);
		put_inner(f, v);
		first = false;
	}
}

/* "field  value" lines; a list of objects takes one line per element. */
static void print_fields(struct nb_ctx *c, json_t *j)
{
	const char *key;
	size_t w = 0, i;
	json_t *v, *e;

	json_object_foreach(j, key, v)
		if (strlen(key) > w)
			w = strlen(key);
	json_object_foreach(j, key, v) {
		fprintf(c->out, "%-*s  ", (int)w, key);
		if (json_is_null(v) || (json_is_array(v) && !json_array_size(v))) {
			fputs("-", c->out);
		} else if (json_is_object(v)) {
			put_members(c->out, v);
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, e) {
				if (i)
					fprintf(c->out, json_is_object(e) ? "\n%-*s  " : ",", (int)w, "");
				if (json_is_object(e))
					put_members(c->out, e);
				else
					put_inner(c->out, e);
			}
		} else {
			put_inner(c->out, v);
		}
		fputc('\n', c->out);
	}
}

/* Appends the rule objects of group g among rules[0..n) to the JSON's
 * security_group_rules (after the embedded ones). */
static int sg_add_rules(json_t *j, const struct mdl_hdr *g,
			struct mdl_security_group_rule *const *rules, size_t n)
{
	json_t *arr = json_object_get(j, "security_group_rules");
	size_t i;

	if (!json_is_array(arr)) {
		arr = json_array();
		if (!arr || json_object_set_new(j, "security_group_rules", arr))
			return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(rules[i]->security_group_id, g->id) &&
		    json_array_append_new(arr, mdl_obj_to_json(&rules[i]->hdr)))
			return -ENOMEM;
	return 0;
}

/* An object's JSON as shown: a group with its rule objects. */
static json_t *show_json(struct nb_ctx *c, const struct mdl_hdr *h, int *rc)
{
	struct mdl_security_group_rule **rules = NULL;
	json_t *j = mdl_obj_to_json(h);
	size_t n = 0;

	*rc = j ? 0 : -ENOMEM;
	if (j && h->type == MDL_PORT) {
		/* as the Neutron API shows it: what the binding chassis reported */
		const struct mdl_port *p = (const struct mdl_port *)h;
		char st[16] = "";
		bool up = p->binding_host_id[0] && p->admin_state_up && nb_ctx_nb(c) &&
			  nb_port_status(nb_ctx_nb(c), h->id, p->binding_host_id, st,
					 sizeof(st)) == 0 &&
			  !strcmp(st, "ACTIVE");

		json_object_set_new(j, "status", json_string(up ? "ACTIVE" : "DOWN"));
	}
	if (!j || h->type != MDL_SECURITY_GROUP)
		return j;
	if (!nb_ctx_nb(c))
		*rc = -errno;
	else if (!(*rc = nb_sg_rules(nb_ctx_nb(c), h->id, &rules, &n)))
		*rc = sg_add_rules(j, h, rules, n);
	nb_sg_rules_free(rules, n);
	if (*rc) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int nb_print_obj(struct nb_ctx *c, const struct mdl_hdr *h, bool as_json)
{
	int rc;
	json_t *j = show_json(c, h, &rc);

	if (!j)
		return rc;
	if (as_json)
		nb_print_json(c, j);
	else
		print_fields(c, j);
	json_decref(j);
	return 0;
}

struct table {
	size_t ncol, nrow;
	char **cell;            /* nrow * ncol */
};

static int tbl_row(struct table *t, char **cells)
{
	char **p = realloc(t->cell, (t->nrow + 1) * t->ncol * sizeof(*p));
	size_t i;

	if (!p)
		return -ENOMEM;
	t->cell = p;
	for (i = 0; i < t->ncol; i++)
		p[t->nrow * t->ncol + i] = cells[i];
	t->nrow++;
	return 0;
}

static void tbl_print_free(struct nb_ctx *c, struct table *t)
{
	size_t w[16] = { 0 }, r, i;

	for (r = 0; r < t->nrow; r++)
		for (i = 0; i < t->ncol; i++) {
			size_t l = strlen(t->cell[r * t->ncol + i]);

			w[i] = l > w[i] ? l : w[i];
		}
	for (r = 0; r < t->nrow; r++) {
		for (i = 0; i < t->ncol; i++) {
			const char *s = t->cell[r * t->ncol + i];

			if (i + 1 < t->ncol)
				fprintf(c->out, "%-*s  ", (int)w[i], s);
			else
				fprintf(c->out, "%s\n", s);
		}
	}
	for (r = 0; r < t->nrow * t->ncol; r++)
		free(t->cell[r]);
	free(t->cell);
}

static char *sfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *sfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* One table row of an object: id, name and a few key fields (n_rules:
 * a group's rule objects). */
static void list_cells(const struct mdl_hdr *h, size_t n_rules, char **cells)
{
	size_t i, len = 0;
	FILE *f;

	cells[0] = strdup(h->id);
	cells[1] = strdup(nb_obj_name(h));
	switch (h->type) {
	case MDL_NETWORK: {
		const struct mdl_network *n = (const struct mdl_network *)h;

		cells[2] = strdup(n->network_type);
		cells[3] = n->segmentation_id < 0 ? strdup("-") :
			   sfmt("%lld", (long long)n->segmentation_id);
		cells[4] = sfmt("%lld", (long long)n->mtu);
		cells[5] = strdup(n->external ? "yes" : "no");
		cells[6] = sfmt("%u", n->hdr.dp_key);
		return;
	}
	case MDL_SUBNET: {
		const struct mdl_subnet *s = (const struct mdl_subnet *)h;

		cells[2] = strdup(s->network_id);
		cells[3] = strdup(s->cidr);
		cells[4] = strdup(s->gateway_ip[0] ? s->gateway_ip : "-");
		cells[5] = strdup(s->enable_dhcp ? "yes" : "no");
		return;
	}
	case MDL_PORT: {
		const struct mdl_port *p = (const struct mdl_port *)h;

		cells[2] = strdup(p->mac_address);
		f = open_memstream(&cells[3], &len);
		for (i = 0; f && i < p->n_fixed_ips; i++)
			fprintf(f, "%s%s", i ? "," : "", p->fixed_ips[i].ip_address);
		if (f && !p->n_fixed_ips)
			fputs("-", f);
		if (f)
			fclose(f);
		cells[4] = strdup(p->binding_host_id[0] ? p->binding_host_id : "-");
		cells[5] = sfmt("%u", p->hdr.dp_key);
		return;
	}
	case MDL_ROUTER: {
		const struct mdl_router *r = (const struct mdl_router *)h;

		f = open_memstream(&cells[2], &len);
		for (i = 0; f && i < r->n_interfaces; i++)
			fprintf(f, "%s%s", i ? "," : "", r->interfaces[i].ip_address);
		if (f && !r->n_interfaces)
			fputs("-", f);
		if (f)
			fclose(f);
		cells[3] = strdup(r->has_gateway ? r->gateway.network_id : "-");
		cells[4] = sfmt("%zu", r->n_routes);
		return;
	}
	case MDL_SECURITY_GROUP:
		cells[2] = sfmt("%zu", ((const struct mdl_security_group *)h)->n_rules + n_rules);
		return;
	default:
		return;
	}
}

static const char *const list_heads[][8] = {
	[MDL_NETWORK] = { "ID", "NAME", "TYPE", "SEGMENT", "MTU", "EXTERNAL", "DP_KEY" },
	[MDL_SUBNET] = { "ID", "NAME", "NETWORK", "CIDR", "GATEWAY", "DHCP" },
	[MDL_PORT] = { "ID", "NAME", "MAC", "FIXED_IPS", "HOST", "DP_KEY" },
	[MDL_ROUTER] = { "ID", "NAME", "INTERFACES", "GATEWAY_NETWORK", "ROUTES" },
	[MDL_SECURITY_GROUP] = { "ID", "NAME", "RULES" },
};

static int cmp_objs(const void *a, const void *b)
{
	const struct mdl_hdr *x = *(struct mdl_hdr *const *)a;
	const struct mdl_hdr *y = *(struct mdl_hdr *const *)b;
	int r = strcmp(nb_obj_name(x), nb_obj_name(y));

	return r ? r : strcmp(x->id, y->id);
}

static const char *network_of(const struct mdl_hdr *h)
{
	if (h->type == MDL_SUBNET)
		return ((const struct mdl_subnet *)h)->network_id;
	if (h->type == MDL_PORT)
		return ((const struct mdl_port *)h)->network_id;
	return "";
}

int nb_do_list(struct nb_ctx *c, const char *net_filter, bool as_json)
{
	enum mdl_type type = c->kind->type;
	struct table t = { 0, 0, NULL };
	char net[MDL_ID_SIZE] = "", *cells[8];
	struct mdl_security_group_rule **rules = NULL;
	struct mdl_hdr **objs;
	json_t *arr = NULL;
	size_t n, i, k, n_rules = 0;
	int rc;

	if (net_filter && (rc = nb_resolve(c, MDL_NETWORK, net_filter, net)))
		return rc;
	if (type == MDL_SECURITY_GROUP) {       /* every rule once, not per group */
		if (!nb_ctx_nb(c))
			return -errno;
		if ((rc = nb_sg_rules(nb_ctx_nb(c), NULL, &rules, &n_rules)))
			return rc;
	}
	if ((rc = nb_list(c->db, type, &objs, &n))) {
		nb_sg_rules_free(rules, n_rules);
		return rc;
	}
	if (n > 1)
		qsort(objs, n, sizeof(*objs), cmp_objs);
	while (list_heads[type][t.ncol])
		t.ncol++;
	if (as_json)
		arr = json_array();
	else
		for (k = 0; k < t.ncol; k++)
			cells[k] = strdup(list_heads[type][k]);
	if (!as_json && (rc = tbl_row(&t, cells)))
		goto out;
	for (i = 0; i < n; i++) {
		if (net[0] && strcmp(network_of(objs[i]), net))
			continue;
		if (as_json) {
			json_t *j = mdl_obj_to_json(objs[i]);

			if (j && type == MDL_SECURITY_GROUP)
				sg_add_rules(j, objs[i], rules, n_rules);
			json_array_append_new(arr, j);
			continue;
		}
		size_t own = 0;

		for (k = 0; k < n_rules; k++)
			own += !strcmp(rules[k]->security_group_id, objs[i]->id);
		memset(cells, 0, sizeof(cells));
		list_cells(objs[i], own, cells);
		for (k = 0; k < t.ncol; k++)
			if (!cells[k])
				cells[k] = strdup("?");
		if ((rc = tbl_row(&t, cells)))
			goto out;
	}
	if (as_json)
		nb_print_json(c, arr);
out:
	if (!as_json)
		tbl_print_free(c, &t);
	json_decref(arr);
	nb_list_free(objs, n);
	nb_sg_rules_free(rules, n_rules);
	return rc;
}
