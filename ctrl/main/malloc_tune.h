/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/malloc_tune.h — glibc malloc tuned for wyvernd (malloc_tune.c).
 * Main thread, before anything else runs. */
#ifndef WYV_CTRL_MALLOC_TUNE_H
#define WYV_CTRL_MALLOC_TUNE_H

/* Executes wyvernd again with glibc.malloc.arena_max=1,
 * glibc.malloc.mmap_threshold=262144 and (when the kernel has transparent
 * huge pages) glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES, unless
 * WYVERN_MALLOC_TUNE=0, GLIBC_TUNABLES names all three already or a
 * sanitizer owns malloc.  Returns only when it did not exec. */
void ctrl_malloc_tune(char **argv);

#endif
