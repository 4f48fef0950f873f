/* SPDX-License-Identifier: BSD-3-Clause
 * dp/test_main.h — what every dp CUnit program's main() does: start EAL
 * without hugepages under a per-process file prefix, run the registry,
 * clean up (runtime directory included) and turn failures into the exit
 * status.
 */
#ifndef WYV_DP_TEST_MAIN_H
#define WYV_DP_TEST_MAIN_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "test_eal_dir.h"


/* Start EAL with the standard test arguments plus extra (NULL-terminated),
 * e.g. "-l", "0,1", "--vdev=net_ring0". Returns 0 or -1. */
static inline int t_eal_init(const char *argv0, const char *name, ...)
{
	static char prefix[96];
	char *args[32];
	int n = 0;
	va_list ap;

	snprintf(prefix, sizeof(prefix), "--file-prefix=%s_%d", name, (int)getpid());
	args[n++] = (char *)(uintptr_t)argv0;
	args[n++] = (char *)"--no-huge";
	args[n++] = (char *)"-m";
	args[n++] = (char *)"512";
	args[n++] = (char *)"--no-pci";
	args[n++] = (char *)"--no-telemetry";
	args[n++] = prefix;
	args[n++] = (char *)"--log-level=error";
	va_start(ap, name);
	for (const char *a = va_arg(ap, const char *); a != NULL && n < 31;
	     a = va_arg(ap, const char *))
		args[n++] = (char *)(uintptr_t)a;
	va_end(ap);
	args[n] = NULL;
	if (rte_eal_init(n, args) < 0) {
		fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* Run the registry, clean up, return the process exit code. */
static inline int t_run_all(void)
{
	unsigned fails;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	t_eal_cleanup();
	return fails ? 1 : 0;
}


#endif
