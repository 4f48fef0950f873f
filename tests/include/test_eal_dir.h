/* SPDX-License-Identifier: BSD-3-Clause
 * tests/include/test_eal_dir.h — end EAL in a test program and remove its runtime
 * directory (/var/run/dpdk/<prefix>, or $XDG_RUNTIME_DIR/dpdk/<prefix>):
 * rte_eal_cleanup() leaves it behind, and every test run under its own
 * per-pid prefix would otherwise leave one more.  Only the directory EAL
 * reports as this process's own is removed (its plain files, then itself).
 * Thread: the test's main thread, once, at exit.  No CUnit dependency, so
 * the fuzz harnesses use it too.
 */
#ifndef WYV_DP_TEST_EAL_DIR_H
#define WYV_DP_TEST_EAL_DIR_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

/* Remove EAL runtime directory dir (its plain files, then itself). */
static inline void t_rm_runtime_dir(const char *dir)
{
	struct dirent *e;
	DIR *d;

	if (dir == NULL || dir[0] == '\0' || strstr(dir, "/dpdk/") == NULL)
		return;
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX + 256];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

/* rte_eal_cleanup() plus the removal of this process's runtime directory. */
static inline void t_eal_cleanup(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	t_rm_runtime_dir(dir);
}

#endif
