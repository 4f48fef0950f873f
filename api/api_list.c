/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_list.c — Neutron list semantics over an array of views:
 *  - filters: every query argument that is not a list control names an
 *    attribute; repeated values are alternatives (OR), attributes combine
 *    with AND.  Lists match when they contain the value; fixed_ips takes
 *    "ip_address=A" / "subnet_id=S"; booleans take True/False; null takes
 *    "" / None.  An attribute the resource does not have is ignored.
 *  - tags, tags-any, not-tags, not-tags-any (comma-separated);
 *  - sort_key / sort_dir (several, id breaks ties);
 *  - limit / marker / page_reverse, with <plural>_links next/previous;
 *  - fields (repeated or comma-separated), applied last.
 * The indexed attributes (ports: network_id, mac_address, device_id,
 * device_owner, fixed_ips; subnets: network_id) are turned into an
 * nb_filter first so the index walks only the matching group.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_priv.h"

static const char *const controls[] = { "fields", "sort_key", "sort_dir", "limit", "marker",
	"page_reverse", "tags", "tags-any", "not-tags", "not-tags-any", NULL };

static bool is_control(const char *k)
{
	size_t i;

	for (i = 0; controls[i]; i++)
		if (!strcmp(controls[i], k))
			return true;
	return false;
}

/* The only value of key k (NULL if absent or given twice). */
static const char *single(const struct api_req *r, const char *k)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < r->n_args; i++)
		if (!strcmp(r->args[i].key, k)) {
			if (v)
				return NULL;
			v = r->args[i].val;
		}
	return v;
}

int api_list_filter_index(const struct api_req *r, enum mdl_type type, struct nb_filter *f,
			  char *buf, size_t size)
{
	const char *fip = single(r, "fixed_ips");

	memset(f, 0, sizeof(*f));
	if (type != MDL_PORT && type != MDL_SUBNET)
		return 0;
	f->network_id = single(r, "network_id");
	if (type == MDL_SUBNET)
		return 0;
	f->mac_address = single(r, "mac_address");
	f->device_id = single(r, "device_id");
	f->device_owner = single(r, "device_owner");
	if (fip && !strncmp(fip, "subnet_id=", 10))
		f->subnet_id = fip + 10;
	else if (fip && !strncmp(fip, "ip_address=", 11) && strlen(fip + 11) < size) {
		snprintf(buf, size, "%s", fip + 11);
		f->ip_address = buf;
	}
	return 0;
}

static bool truthy(const char *s)
{
	return !strcasecmp(s, "true") || !strcmp(s, "1");
}

static bool value_match(const char *key, const json_t *v, const char *s)
{
	size_t i;
	json_t *x;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return !strcmp(json_string_value(v), s);
	case JSON_INTEGER:
		return json_integer_value(v) == strtoll(s, NULL, 10) && s[0];
	case JSON_TRUE:
		return truthy(s);
	case JSON_FALSE:
		return !truthy(s) && (!strcasecmp(s, "false") || !strcmp(s, "0"));
	case JSON_NULL:
		return !s[0] || !strcmp(s, "None") || !strcmp(s, "null");
	case JSON_ARRAY:
		json_array_foreach(v, i, x) {
			if (json_is_object(x)) {
				/* fixed_ips=ip_address=A / subnet_id=S */
				const char *eq = strchr(s, '=');
				char k[64];
				json_t *y;

				if (!eq || (size_t)(eq - s) >= sizeof(k))
					continue;
				memcpy(k, s, (size_t)(eq - s));
				k[eq - s] = '\0';
				y = json_object_get(x, k);
				if (y && json_is_string(y) && !strcmp(json_string_value(y), eq + 1))
					return true;
			} else if (value_match(key, x, s)) {
				return true;
			}
		}
		return false;
	default:
		return true;    /* objects are not filterable: ignored */
	}
}

/* Tags of v against a comma list: all (any=false) or any. */
static bool tags_match(const json_t *v, const char *list, bool any)
{
	json_t *tags = json_object_get(v, "tags"), *x;
	char *copy = strdup(list), *save = NULL, *t;
	bool all_ok = true, one = false;
	size_t i;

	if (!copy)
		return false;
	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool has = false;

		json_array_foreach(tags, i, x)
			has |= json_is_string(x) && !strcmp(json_string_value(x), t);
		all_ok &= has;
		one |= has;
	}
	free(copy);
	return any ? one : all_ok;
}

bool api_list_match(const struct api_req *r, const json_t *v)
{
	size_t i, k;

	for (i = 0; i < r->n_args; i++) {
		const char *key = r->args[i].key;
		const json_t *x;
		bool ok = false, first = true;

		if (!strcmp(key, "tags") || !strcmp(key, "tags-any")) {
			if (!tags_match(v, r->args[i].val, key[4] == '-'))
				return false;
			continue;
		}
		if (!strcmp(key, "not-tags") || !strcmp(key, "not-tags-any")) {
			if (tags_match(v, r->args[i].val, key[8] == '-'))
				return false;
			continue;
		}
		if (is_control(key))
			continue;
		/* the first occurrence of a key evaluates all its values */
		for (k = 0; k < i; k++)
			if (!strcmp(r->args[k].key, key))
				first = false;
		if (!first)
			continue;
		x = json_object_get(v, key);
		if (!x)
			continue;
		for (k = i; k < r->n_args && !ok; k++)
			if (!strcmp(r->args[k].key, key))
				ok = value_match(key, x, r->args[k].val);
		if (!ok)
			return false;
	}
	return true;
}

/* ---- sorting ---- */

struct sort_spec {
	const char *keys[8];
	bool desc[8];
	size_t n;
};

static int cmp_json(const json_t *a, const json_t *b)
{
	if (!a || json_is_null(a))
		return (!b || json_is_null(b)) ? 0 : -1;
	if (!b || json_is_null(b))
		return 1;
	if (json_is_string(a) && json_is_string(b))
		return strcmp(json_string_value(a), json_string_value(b));
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) < json_integer_value(b) ? -1 :
		       json_integer_value(a) > json_integer_value(b);
	if (json_is_boolean(a) && json_is_boolean(b))
		return (int)json_is_true(a) - (int)json_is_true(b);
	return 0;
}

static _Thread_local const struct sort_spec *cur_spec;

static int cmp_items(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	size_t i;
	int c;

	for (i = 0; i < cur_spec->n; i++) {
		c = cmp_json(json_object_get(a, cur_spec->keys[i]),
			     json_object_get(b, cur_spec->keys[i]));
		if (c)
			return cur_spec->desc[i] ? -c : c;
	}
	c = cmp_json(json_object_get(a, "id"), json_object_get(b, "id"));
	return cur_spec->n && cur_spec->desc[0] ? -c : c;
}

static int sort_spec(const struct api_req *r, const json_t *items, struct sort_spec *s,
		     char *err, size_t errlen)
{
	size_t i, nd = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < r->n_args; i++) {
		if (!strcmp(r->args[i].key, "sort_key")) {
			if (s->n == 8)
				return snprintf(err, errlen, "too many sort_key"), -EINVAL;
			if (json_array_size(items) &&
			    !json_object_get(json_array_get(items, 0), r->args[i].val))
				return snprintf(err, errlen, "%s is an invalid attribute for "
						"sort_key", r->args[i].val), -EINVAL;
			s->keys[s->n++] = r->args[i].val;
		}
	}
	for (i = 0; i < r->n_args; i++) {
		if (strcmp(r->args[i].key, "sort_dir"))
			continue;
		if (strcmp(r->args[i].val, "asc") && strcmp(r->args[i].val, "desc"))
			return snprintf(err, errlen, "%s is an invalid value for sort_dir, valid "
					"values are 'asc' and 'desc'", r->args[i].val), -EINVAL;
		if (nd >= s->n)
			return snprintf(err, errlen, "The number of sort_keys and sort_dirs must "
					"be same"), -EINVAL;
		s->desc[nd++] = !strcmp(r->args[i].val, "desc");
	}
	if (nd && nd != s->n)
		return snprintf(err, errlen, "The number of sort_keys and sort_dirs must be "
				"same"), -EINVAL;
	return 0;
}

/* ---- pagination ---- */

static json_t *link(const struct api_req *r, const char *plural, const char *rel,
		    long limit, const char *marker, bool reverse)
{
	char *href = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&href, &len);
	json_t *j;

	if (!f)
		return NULL;
	fprintf(f, "%s/v2.0/", r->base_url ? r->base_url : "");
	for (const char *c = plural; *c; c++)   /* security_groups -> security-groups */
		fputc(*c == '_' ? '-' : *c, f);
	fprintf(f, "?limit=%ld", limit);
	for (i = 0; i < r->n_args; i++) {
		const char *k = r->args[i].key, *p;

		if (!strcmp(k, "limit") || !strcmp(k, "marker") || !strcmp(k, "page_reverse"))
			continue;
		fprintf(f, "&%s=", k);
		for (p = r->args[i].val; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("-._~:", *p))
				fputc(*p, f);
			else
				fprintf(f, "%%%02X", (unsigned char)*p);
		}
	}
	fprintf(f, "&marker=%s", marker);
	if (reverse)
		fputs("&page_reverse=True", f);
	fclose(f);
	j = json_pack("{s:s,s:s}", "rel", rel, "href", href ? href : "");
	free(href);
	return j;
}

static int paginate(const struct api_req *r, const char *plural, json_t *items,
		    json_t **page, json_t **links, char *err, size_t errlen)
{
	const char *ls = single(r, "limit"), *marker = single(r, "marker");
	const char *pr = single(r, "page_reverse");
	bool reverse = pr && truthy(pr);
	size_t n = json_array_size(items), start, end, i, mpos = n;
	long limit = 0;
	char *e;

	*links = NULL;
	if (ls) {
		limit = strtol(ls, &e, 10);
		if (!ls[0] || *e || limit < 0)
			return snprintf(err, errlen, "Invalid input for limit: '%s' is not a "
					"non-negative integer", ls), -EINVAL;
	}
	if (marker) {
		for (i = 0; i < n; i++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(items, i),
								       "id")) ?: "", marker))
				break;
		if (i == n)
			return snprintf(err, errlen, "Marker %s could not be found", marker),
			       -ENOENT;
		mpos = i;
	}
	if (!reverse) {
		start = marker ? mpos + 1 : 0;
		end = limit && start + (size_t)limit < n ? start + (size_t)limit : n;
	} else {
		end = marker ? mpos : n;
		start = limit && end > (size_t)limit ? end - (size_t)limit : 0;
	}
	*page = json_array();
	for (i = start; *page && i < end; i++)
		json_array_append(*page, json_array_get(items, i));
	if (!*page)
		return -ENOMEM;
	if (!limit)
		return 0;
	*links = json_array();
	if (end > start) {
		const char *first = json_string_value(json_object_get(json_array_get(items, start),
								      "id"));
		const char *last = json_string_value(json_object_get(json_array_get(items, end - 1),
								     "id"));
		if (end < n)
			json_array_append_new(*links, link(r, plural, "next", limit, last, false));
		if (start > 0)
			json_array_append_new(*links, link(r, plural, "previous", limit, first,
							    true));
	}
	return 0;
}

void api_fields(const struct api_req *r, json_t *v)
{
	const char *key;
	json_t *x, *keep = json_object();
	size_t i;
	bool any = false;
	void *tmp;

	if (!keep)
		return;
	for (i = 0; i < r->n_args; i++) {
		char *copy, *save = NULL, *t;

		if (strcmp(r->args[i].key, "fields") || !(copy = strdup(r->args[i].val)))
			continue;
		for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			json_object_set_new(keep, t, json_true());
			any = true;
		}
		free(copy);
	}
	if (any)
		json_object_foreach_safe(v, tmp, key, x)
			if (!json_object_get(keep, key))
				json_object_del(v, key);
	json_decref(keep);
}

int api_list_finish(const struct api_req *r, const char *plural, json_t *items,
		    json_t **out, char *err, size_t errlen)
{
	json_t *kept = json_array(), *page = NULL, *links = NULL, *x;
	struct sort_spec spec;
	size_t i;
	int rc;

	*out = NULL;
	if (!kept) {
		json_decref(items);
		return -ENOMEM;
	}
	json_array_foreach(items, i, x)
		if (api_list_match(r, x))
			json_array_append(kept, x);
	json_decref(items);
	if ((rc = sort_spec(r, kept, &spec, err, errlen)))
		goto out;
	if (json_array_size(kept) > 1) {
		json_t **v = calloc(json_array_size(kept), sizeof(*v));
		size_t n = json_array_size(kept);

		if (!v) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(kept, i));
		cur_spec = &spec;
		qsort(v, n, sizeof(*v), cmp_items);
		json_array_clear(kept);
		for (i = 0; i < n; i++)
			json_array_append_new(kept, v[i]);
		free(v);
	}
	if ((rc = paginate(r, plural, kept, &page, &links, err, errlen)))
		goto out;
	json_array_foreach(page, i, x)
		api_fields(r, x);
	*out = json_object();
	if (*out)
		json_object_set_new(*out, plural, page);
	else
		json_decref(page);
	page = NULL;
	if (*out && links) {
		char key[64];

		snprintf(key, sizeof(key), "%s_links", plural);
		json_object_set_new(*out, key, links);
		links = NULL;
	}
	rc = *out ? 0 : -ENOMEM;
out:
	json_decref(page);
	json_decref(links);
	json_decref(kept);
	return rc;
}
