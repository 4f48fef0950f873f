/* SPDX-License-Identifier: BSD-3-Clause
 * tests/fuzz/fuzz_eal.h — EAL start-up for the libFuzzer harnesses that need
 * DPDK (fuzz_parse, fuzz_xlate): once, from LLVMFuzzerInitialize, without
 * hugepages or PCI, under a file prefix of its own (WYV_FUZZ_PREFIX when the
 * runner sets it, else fuzz<name>_<pid>).  At a normal exit EAL is cleaned up
 * and /var/run/dpdk/<prefix> (or $XDG_RUNTIME_DIR/dpdk/<prefix>) removed; a
 * crash exits through libFuzzer's signal handler, so tests/fuzz/run.sh
 * removes the prefix it chose afterwards as well.
 * Thread: the fuzzer's main thread only.  Included by one harness each.
 */
#ifndef WYV_FUZZ_EAL_H
#define WYV_FUZZ_EAL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "test_eal_dir.h"

static char fz_prefix[64];
static void (*fz_teardown)(void);

static void fz_atexit(void)
{
	if (fz_teardown)
		fz_teardown();
	t_eal_cleanup();
}

/* Start EAL plus the extra arguments (NULL-terminated); exits on failure
 * (a harness without EAL cannot run). */
static void fz_eal_init(const char *name, ...)
{
	const char *env = getenv("WYV_FUZZ_PREFIX");
	char pfx_arg[96];
	char *args[24];
	int n = 0;
	va_list ap;

	if (env && *env && strlen(env) < sizeof(fz_prefix) &&
	    strspn(env, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
		    strlen(env))
		snprintf(fz_prefix, sizeof(fz_prefix), "%s", env);
	else
		snprintf(fz_prefix, sizeof(fz_prefix), "fuzz%s_%d", name, (int)getpid());
	snprintf(pfx_arg, sizeof(pfx_arg), "--file-prefix=%s", fz_prefix);
	args[n++] = (char *)(uintptr_t)name;
	args[n++] = (char *)"--no-huge";
	args[n++] = (char *)"-m";
	args[n++] = (char *)"256";
	args[n++] = (char *)"--no-pci";
	args[n++] = (char *)"--no-telemetry";
	args[n++] = (char *)"--log-level=0";
	args[n++] = pfx_arg;
	va_start(ap, name);
	for (const char *a = va_arg(ap, const char *); a != NULL && n < 23;
	     a = va_arg(ap, const char *))
		args[n++] = (char *)(uintptr_t)a;
	va_end(ap);
	args[n] = NULL;
	if (rte_eal_init(n, args) < 0) {
		fprintf(stderr, "fuzz: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		t_rm_runtime_dir(rte_eal_get_runtime_dir());
		exit(2);
	}
	atexit(fz_atexit);
}

#endif
