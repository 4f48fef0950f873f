/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/malloc_tune.c — glibc malloc tuned for the controller.  Main
 * thread, first thing in main(), before any other thread exists.
 *
 * The local controller keeps its state (a record per object, interned
 * strings, the replica's and the central db's decode) in malloc'd memory:
 * at 100k ports some 200 MB, touched within a second of a restart.  Two
 * glibc tunables make that cheaper, and glibc reads tunables only from
 * GLIBC_TUNABLES when a process starts:
 *  - glibc.malloc.hugetlb=1: malloc asks for transparent huge pages
 *    (madvise) on the memory it takes from the kernel, so that memory
 *    comes 2 MB per page fault instead of 4 KiB (each fault costs several
 *    microseconds on a virtual machine).  glibc does this for its main
 *    arena only;
 *  - glibc.malloc.arena_max=1: every thread allocates from that main arena
 *    (the replica preload thread, the sync thread's decode, RocksDB's and
 *    the API's threads) instead of per-thread arenas, which get no huge
 *    pages and each keep their own peak resident.  PMD threads never call
 *    malloc (rte_malloc), so the shared arena's lock is a control-plane
 *    matter;
 *  - glibc.malloc.mmap_threshold=262144: a block of 256 KiB or more is its
 *    own mapping, always.  By default glibc raises that threshold to the
 *    size of every mapped block freed (up to 32 MiB), so after the first
 *    etcd response of a full sync was freed the next ones (some MiB each)
 *    came from the heap, between the records the apply allocates, and
 *    their holes stayed resident: at 100k ports via etcd, RSS a second
 *    after ready read 1.83-1.86 KB per port in 4 of 11 runs (64 MiB free
 *    in the heap) and 1.47-1.56 in the others; with the fixed threshold
 *    11 of 11 read 1.44-1.49 (ctrl/DESIGN.md "malloc").
 * So wyvernd, when GLIBC_TUNABLES does not name them yet, adds them and
 * executes itself again (same binary, argv and pid).
 *
 * Not done when: WYVERN_MALLOC_TUNE=0 is in the environment (or
 * WYVERN_MALLOC_TUNED, which the exec'd process gets); GLIBC_TUNABLES
 * already names all three (the operator chose; one named is left as the
 * operator set it); a sanitizer or valgrind replaces malloc.  hugetlb is not added when
 * the kernel's transparent huge pages are off ("[never]").  A failed exec
 * leaves the process as it was (glibc's defaults).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "malloc_tune.h"

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
/* set for the exec'd process: never a second exec, whatever glibc makes
 * of GLIBC_TUNABLES (it splits the string in place, so what getenv and
 * /proc/PID/environ show of it is not what was passed) */
#define TUNED_MARK "WYVERN_MALLOC_TUNED"

#if defined(__SANITIZE_ADDRESS__)
#define MALLOC_REPLACED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MALLOC_REPLACED 1
#endif
#endif

/* Whether the kernel gives huge pages to a region that asks (madvise) or
 * to every region (always). */
static bool thp_available(void)
{
	FILE *f = fopen(THP_ENABLED, "r");
	if (f == NULL)
		return false;
	char line[128] = "";
	bool ok = fgets(line, sizeof(line), f) != NULL && strstr(line, "[never]") == NULL;
	fclose(f);
	return ok;
}

/* val += ":name=value" when cur does not name it; true if added. */
static bool add_tunable(char *val, size_t size, const char *cur, const char *name,
			const char *value)
{
	if (cur != NULL && strstr(cur, name) != NULL)
		return false;
	size_t len = strlen(val);
	int n = snprintf(val + len, size - len, "%s%s=%s", len ? ":" : "", name, value);
	if (n < 0 || (size_t)n >= size - len) {
		val[len] = 0;
		return false;
	}
	return true;
}

void ctrl_malloc_tune(char **argv)
{
#ifdef MALLOC_REPLACED
	(void)argv;
#else
	const char *off = getenv("WYVERN_MALLOC_TUNE");
	if ((off != NULL && strcmp(off, "0") == 0) || getenv(TUNED_MARK) != NULL)
		return;
	/* under valgrind (its preload replaces malloc) an exec would leave
	 * the tool: the program would run on natively */
	const char *pre = getenv("LD_PRELOAD");
	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		return;
	const char *cur = getenv("GLIBC_TUNABLES");
	char val[1024];
	snprintf(val, sizeof(val), "%s", cur ? cur : "");
	if (strlen(val) >= sizeof(val) - 64)
		return;
	bool added = add_tunable(val, sizeof(val), cur, "glibc.malloc.arena_max", "1");
	added |= add_tunable(val, sizeof(val), cur, "glibc.malloc.mmap_threshold", "262144");
	if (thp_available())
		added |= add_tunable(val, sizeof(val), cur, "glibc.malloc.hugetlb", "1");
	if (!added)
		return;
	/* the binary's own path, not /proc/self/exe: the kernel names the
	 * process after the file executed (comm "wyvernd", not "exe") */
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0 || setenv("GLIBC_TUNABLES", val, 1) < 0 || setenv(TUNED_MARK, "1", 1) < 0)
		return;
	self[len] = 0;
	execv(self, argv);
	unsetenv(TUNED_MARK);
	/* no exec (binary replaced or gone): run on as we are, and leave the
	 * environment of what we start as it was */
	if (cur)
		setenv("GLIBC_TUNABLES", cur, 1);
	else
		unsetenv("GLIBC_TUNABLES");
#endif
}
