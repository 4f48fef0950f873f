/* SPDX-License-Identifier: BSD-3-Clause
 * tests/fuzz/fuzz_model.c — libFuzzer harness for the model's JSON codec and
 * single-object validation (model/: mdl_codec.c, mdl_validate.c,
 * mdl_addr.c).
 *
 * Each input is JSON text, decoded as an object of every kind.  For each
 * kind that decodes, the round-trip property must hold (abort() otherwise):
 *   decode -> encode (s1) -> decode -> encode (s2): the second decode
 *   succeeds and s1 == s2; a deep copy encodes to s1 too; validation gives
 *   the same verdict and message for the object and its re-decoded copy.
 * LeakSanitizer (libFuzzer -detect_leaks, on by default) checks that every
 * path frees what it allocated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mdl.h"

#define FZ_MAX 65536

static void fail(const char *what, const char *type, const char *a, const char *b)
{
	fprintf(stderr, "model round trip (%s): %s\n  first:  %s\n  second: %s\n", type, what,
		a ? a : "(null)", b ? b : "(null)");
	abort();
}

static void one_kind(enum mdl_type type, const json_t *j)
{
	char err1[MDL_ERR_SIZE], err2[MDL_ERR_SIZE], verr1[MDL_ERR_SIZE], verr2[MDL_ERR_SIZE];
	const char *tn = mdl_type_name(type);
	struct mdl_hdr *o1 = mdl_obj_from_json(type, j, err1, sizeof(err1));
	if (o1 == NULL) {
		if (errno != EINVAL && errno != ENOMEM)
			fail("decode failed with an unexpected errno", tn, err1, NULL);
		return;
	}
	if (o1->type != type)
		fail("decoded object has the wrong type", tn, NULL, NULL);
	int v1 = mdl_obj_validate(o1, verr1, sizeof(verr1));
	char *s1 = mdl_obj_to_string(o1);
	if (s1 == NULL)
		fail("encode failed", tn, NULL, NULL);
	struct mdl_hdr *o2 = mdl_obj_from_string(type, s1, err2, sizeof(err2));
	if (o2 == NULL)
		fail("re-decode failed", tn, s1, err2);
	char *s2 = mdl_obj_to_string(o2);
	if (s2 == NULL || strcmp(s1, s2) != 0)
		fail("re-encoded text differs", tn, s1, s2);
	int v2 = mdl_obj_validate(o2, verr2, sizeof(verr2));
	if (v1 != v2 || (v1 != 0 && strcmp(verr1, verr2) != 0))
		fail("validation differs after the round trip", tn, v1 ? verr1 : "ok",
		     v2 ? verr2 : "ok");
	if (v1 != 0 && v1 != -EINVAL)
		fail("validate returned neither 0 nor -EINVAL", tn, s1, verr1);
	struct mdl_hdr *o3 = mdl_obj_dup(o1);
	if (o3 == NULL)
		fail("dup failed", tn, s1, NULL);
	char *s3 = mdl_obj_to_string(o3);
	if (s3 == NULL || strcmp(s1, s3) != 0)
		fail("copy encodes differently", tn, s1, s3);
	free(s3);
	free(s2);
	free(s1);
	mdl_obj_free(o3);
	mdl_obj_free(o2);
	mdl_obj_free(o1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;

	if (size > FZ_MAX)
		return -1;
	/* the same flags as mdl_obj_from_string */
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return 0;
	for (int t = 0; t < MDL_N_TYPES; t++)
		one_kind((enum mdl_type)t, j);
	json_decref(j);
	/* the text entry point too (NUL-terminated copy) */
	char *txt = malloc(size + 1);
	if (txt == NULL)
		abort();
	memcpy(txt, data, size);
	txt[size] = 0;
	char err[MDL_ERR_SIZE];
	struct mdl_hdr *o = mdl_obj_from_string((enum mdl_type)(size % MDL_N_TYPES), txt, err,
						sizeof(err));
	mdl_obj_free(o);
	free(txt);
	return 0;
}
