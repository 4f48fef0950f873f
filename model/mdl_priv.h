/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl_priv.h — internal: field descriptors shared by the codec and the
 * object lifecycle (alloc/free/dup).  Each object type is described by a
 * NULL-terminated array of fields; offsets are from the start of the object,
 * also for the members of a nested object (router external_gateway_info).
 * Not installed; not for use outside model/. */
#ifndef WYV_MODEL_MDL_PRIV_H
#define WYV_MODEL_MDL_PRIV_H

#include "mdl.h"

enum mdl_fkind {
	MF_STR,         /* char[size], JSON string */
	MF_STRN,        /* char[size], JSON string or null ("" = null); with def
			 * = 1 a null is not encoded (a field added later) */
	MF_BOOL,        /* bool */
	MF_INT,         /* int64_t, JSON integer */
	MF_INTN,        /* int64_t, JSON integer or null (-1 = null) */
	MF_U32,         /* uint32_t */
	MF_U64,         /* uint64_t */
	MF_PROTO,       /* char[size] at off + bool at off_n: string, integer or null */
	MF_STRLIST,     /* char (*)[size] at off, size_t count at off_n */
	MF_LIST,        /* element array at off (elements of `size` bytes, fields
			 * `sub` relative to the element), size_t count at off_n */
	MF_OBJN,        /* nested object or null: bool present at off_n, fields `sub`
			 * relative to the parent object */
	MF_JSON,        /* json_t * (a JSON object) at off, owned; omitted when
			 * NULL or empty */
};

struct mdl_field {
	const char *name;
	enum mdl_fkind kind;
	size_t off;
	size_t size;
	size_t off_n;
	const struct mdl_field *sub;
	bool required;
	int64_t def;
};

struct mdl_type_desc {
	const char *name;
	size_t size;
	const struct mdl_field *fields;
};

extern const struct mdl_type_desc mdl_type_descs[MDL_N_TYPES];

void mdl_fields_defaults(const struct mdl_field *f, void *base);
void mdl_fields_free(const struct mdl_field *f, void *base);

/* IP protocol number of an SG rule's protocol text ("tcp", "6", ...); -1 for
 * any ("", "any", "0"), -2 for an unknown name or a number above 255. */
int mdl_proto_number(const char *p);

/* The single-rule checks of mdl_obj_validate(); messages start with path. */
int mdl_sg_rule_check(const char *path, const struct mdl_sg_rule *r, char *err, size_t es);

/* printf into err (if err_size) and return -EINVAL. */
int mdl_err(char *err, size_t err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
