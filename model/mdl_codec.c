/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl_codec.c — JSON codec driven by the field descriptors of mdl_obj.c.
 *
 * Decoding checks structure only: the value is an object, every member is a
 * known field of the right JSON type, required fields are present, text fits
 * its buffer.  Errors name the full path ("fixed_ips[1].subnet_id: ...").
 * Content (addresses, enums, ranges) is checked by mdl_validate.c. */
#include "mdl_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct mdl_field *find_field(const struct mdl_field *f, const char *key)
{
	for (; f->name; f++)
		if (!strcmp(f->name, key))
			return f;
	return NULL;
}

static int put_text(char *dst, size_t size, const json_t *v, const char *path,
		    const char *name, char *err, size_t es)
{
	size_t len = json_string_length(v);

	if (len != strlen(json_string_value(v)))
		return mdl_err(err, es, "%s%s: contains a NUL character", path, name);
	if (len >= size)
		return mdl_err(err, es, "%s%s: too long (max %zu characters)", path,
			       name, size - 1);
	memcpy(dst, json_string_value(v), len + 1);
	return 0;
}

static int decode_fields(const struct mdl_field *fields, void *base,
			 const json_t *obj, const char *path, char *err, size_t es);

static int decode_list(const struct mdl_field *f, char *b, const json_t *v,
		       const char *path, char *err, size_t es)
{
	size_t n = json_array_size(v), i;
	char *arr;
	int rc;

	if (!json_is_array(v))
		return mdl_err(err, es, "%s%s: expected an array", path, f->name);
	arr = n ? calloc(n, f->size) : NULL;
	if (n && !arr)
		return -ENOMEM;
	*(void **)(b + f->off) = arr;
	*(size_t *)(b + f->off_n) = 0;
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		char *elem = arr + i * f->size;
		char sub[256];

		*(size_t *)(b + f->off_n) = i + 1;
		if (f->kind == MF_STRLIST) {
			snprintf(sub, sizeof(sub), "%s%s[%zu]", path, f->name, i);
			if (!json_is_string(e))
				return mdl_err(err, es, "%s: expected a string", sub);
			rc = put_text(elem, f->size, e, sub, "", err, es);
		} else {
			snprintf(sub, sizeof(sub), "%s%s[%zu].", path, f->name, i);
			if (!json_is_object(e))
				return mdl_err(err, es, "%s%s[%zu]: expected an object",
					       path, f->name, i);
			mdl_fields_defaults(f->sub, elem);
			rc = decode_fields(f->sub, elem, e, sub, err, es);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int decode_one(const struct mdl_field *f, char *b, const json_t *v,
		      const char *path, char *err, size_t es)
{
	char sub[256];

	switch (f->kind) {
	case MF_STRN:
		if (json_is_null(v)) {
			b[f->off] = '\0';
			return 0;
		}
		/* fall through */
	case MF_STR:
		if (!json_is_string(v))
			return mdl_err(err, es, "%s%s: expected a string%s", path,
				       f->name, f->kind == MF_STRN ? " or null" : "");
		return put_text(b + f->off, f->size, v, path, f->name, err, es);
	case MF_BOOL:
		if (!json_is_boolean(v))
			return mdl_err(err, es, "%s%s: expected a boolean", path, f->name);
		*(bool *)(b + f->off) = json_is_true(v);
		return 0;
	case MF_INTN:
		if (json_is_null(v)) {
			*(int64_t *)(b + f->off) = -1;
			return 0;
		}
		/* fall through */
	case MF_INT:
		if (!json_is_integer(v))
			return mdl_err(err, es, "%s%s: expected an integer%s", path,
				       f->name, f->kind == MF_INTN ? " or null" : "");
		*(int64_t *)(b + f->off) = json_integer_value(v);
		return 0;
	case MF_U32:
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX)
			return mdl_err(err, es, "%s%s: expected an integer in 0..%u",
				       path, f->name, UINT32_MAX);
		*(uint32_t *)(b + f->off) = (uint32_t)json_integer_value(v);
		return 0;
	case MF_U64:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return mdl_err(err, es, "%s%s: expected a non-negative integer",
				       path, f->name);
		*(uint64_t *)(b + f->off) = (uint64_t)json_integer_value(v);
		return 0;
	case MF_PROTO:
		*(bool *)(b + f->off_n) = false;
		if (json_is_null(v)) {
			b[f->off] = '\0';
			return 0;
		}
		if (json_is_integer(v)) {
			if (json_integer_value(v) < 0 || json_integer_value(v) > 255)
				return mdl_err(err, es, "%s%s: protocol number %" JSON_INTEGER_FORMAT
					       " out of range 0..255", path, f->name,
					       json_integer_value(v));
			snprintf(b + f->off, f->size, "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			*(bool *)(b + f->off_n) = true;
			return 0;
		}
		if (!json_is_string(v))
			return mdl_err(err, es, "%s%s: expected a string, integer or null",
				       path, f->name);
		return put_text(b + f->off, f->size, v, path, f->name, err, es);
	case MF_STRLIST:
	case MF_LIST:
		return decode_list(f, b, v, path, err, es);
	case MF_JSON:
		if (!json_is_object(v))
			return mdl_err(err, es, "%s%s: expected an object", path, f->name);
		json_decref(*(json_t **)(b + f->off));
		*(json_t **)(b + f->off) = json_deep_copy(v);
		return *(json_t **)(b + f->off) ? 0 : mdl_err(err, es, "%s%s: out of memory",
								path, f->name);
	case MF_OBJN:
		*(bool *)(b + f->off_n) = false;
		if (json_is_null(v))
			return 0;
		if (!json_is_object(v))
			return mdl_err(err, es, "%s%s: expected an object or null", path,
				       f->name);
		*(bool *)(b + f->off_n) = true;
		snprintf(sub, sizeof(sub), "%s%s.", path, f->name);
		return decode_fields(f->sub, b, v, sub, err, es);
	}
	return mdl_err(err, es, "%s%s: internal error", path, f->name);
}

static int decode_fields(const struct mdl_field *fields, void *base,
			 const json_t *obj, const char *path, char *err, size_t es)
{
	const struct mdl_field *f;
	const char *key;
	json_t *v;
	int rc;

	json_object_foreach((json_t *)obj, key, v) {
		f = find_field(fields, key);
		if (!f)
			return mdl_err(err, es, "%s%s: unknown field", path, key);
		rc = decode_one(f, base, v, path, err, es);
		if (rc)
			return rc;
	}
	for (f = fields; f->name; f++)
		if (f->required && !json_object_get(obj, f->name))
			return mdl_err(err, es, "%s%s: missing required field", path,
				       f->name);
	return 0;
}

struct mdl_hdr *mdl_obj_from_json(enum mdl_type type, const json_t *json,
				  char *err, size_t err_size)
{
	struct mdl_hdr *obj;
	int rc;

	if (err && err_size)
		err[0] = '\0';
	if ((unsigned)type >= MDL_N_TYPES) {
		mdl_err(err, err_size, "unknown object type %d", (int)type);
		errno = EINVAL;
		return NULL;
	}
	if (!json_is_object(json)) {
		mdl_err(err, err_size, "%s: expected a JSON object", mdl_type_name(type));
		errno = EINVAL;
		return NULL;
	}
	obj = mdl_obj_alloc(type);
	if (!obj)
		return NULL;
	rc = decode_fields(mdl_type_descs[type].fields, obj, json, "", err, err_size);
	if (rc) {
		mdl_obj_free(obj);
		errno = -rc;
		return NULL;
	}
	return obj;
}

struct mdl_hdr *mdl_obj_from_string(enum mdl_type type, const char *text,
				    char *err, size_t err_size)
{
	struct mdl_hdr *obj;
	json_error_t jerr;
	json_t *j;

	j = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		mdl_err(err, err_size, "invalid JSON at line %d column %d: %s",
			jerr.line, jerr.column, jerr.text);
		errno = EINVAL;
		return NULL;
	}
	obj = mdl_obj_from_json(type, j, err, err_size);
	json_decref(j);
	return obj;
}

static json_t *encode_fields(const struct mdl_field *fields, const void *base,
			     json_t *obj);

static json_t *encode_one(const struct mdl_field *f, const char *b)
{
	json_t *arr, *e;
	size_t i, n;

	switch (f->kind) {
	case MF_STR:
		return json_string(b + f->off);
	case MF_STRN:
		return b[f->off] ? json_string(b + f->off) : json_null();
	case MF_BOOL:
		return json_boolean(*(const bool *)(b + f->off));
	case MF_INT:
		return json_integer(*(const int64_t *)(b + f->off));
	case MF_INTN:
		if (*(const int64_t *)(b + f->off) < 0)
			return json_null();
		return json_integer(*(const int64_t *)(b + f->off));
	case MF_U32:
		return json_integer(*(const uint32_t *)(b + f->off));
	case MF_U64:
		return json_integer((json_int_t)*(const uint64_t *)(b + f->off));
	case MF_PROTO:
		if (!b[f->off])
			return json_null();
		if (*(const bool *)(b + f->off_n))
			return json_integer(strtoll(b + f->off, NULL, 10));
		return json_string(b + f->off);
	case MF_STRLIST:
	case MF_LIST:
		arr = json_array();
		n = *(const size_t *)(b + f->off_n);
		for (i = 0; arr && i < n; i++) {
			const char *elem = *(char *const *)(b + f->off) + i * f->size;

			if (f->kind == MF_STRLIST)
				e = json_string(elem);
			else
				e = encode_fields(f->sub, elem, json_object());
			if (json_array_append_new(arr, e)) {
				json_decref(arr);
				return NULL;
			}
		}
		return arr;
	case MF_OBJN:
		if (!*(const bool *)(b + f->off_n))
			return json_null();
		return encode_fields(f->sub, b, json_object());
	case MF_JSON:
		return json_deep_copy(*(json_t *const *)(b + f->off));
	}
	return NULL;
}

/* Fills obj (consumed on failure); returns obj or NULL. */
static json_t *encode_fields(const struct mdl_field *fields, const void *base,
			     json_t *obj)
{
	const struct mdl_field *f;

	if (!obj)
		return NULL;
	for (f = fields; f->name; f++) {
		json_t *v;

		if (f->kind == MF_JSON) {
			const json_t *j = *(json_t *const *)((const char *)base + f->off);

			if (!j || !json_object_size(j))
				continue;
		}
		if (f->kind == MF_STRN && f->def == 1 && !((const char *)base)[f->off])
			continue;
		v = encode_one(f, base);

		if (!v || json_object_set_new(obj, f->name, v)) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

json_t *mdl_obj_to_json(const struct mdl_hdr *obj)
{
	json_t *j;

	if (!obj || (unsigned)obj->type >= MDL_N_TYPES) {
		errno = EINVAL;
		return NULL;
	}
	j = encode_fields(mdl_type_descs[obj->type].fields, obj, json_object());
	if (!j)
		errno = ENOMEM;
	return j;
}

char *mdl_obj_to_string(const struct mdl_hdr *obj)
{
	json_t *j = mdl_obj_to_json(obj);
	char *s;

	if (!j)
		return NULL;
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!s)
		errno = ENOMEM;
	return s;
}
