/* sft_cgroup.h - is a process held by a cgroup freezer?
 *
 * A process in a frozen cgroup may never reach state T while the cgroup
 * stays frozen (cgroup v2 shows it sleeping in S; v1 in D with the stop
 * pending), yet it cannot run: it is as frozen as it gets.  The freeze asks
 * here about processes that do not stop in time, and counts those whose
 * cgroup is frozen (v2: cgroup.events says "frozen 1"; v1: freezer.state
 * says FROZEN).
 */
#ifndef SFT_CGROUP_H
#define SFT_CGROUP_H

#include <sys/types.h>

/* Where the hierarchies are mounted, found once per freeze. */
struct sft_cgroup_roots {
    int found;          /* the mounts were looked up              */
    char v2[256];       /* cgroup2 mount point, or ""             */
    char v1freezer[256];/* cgroup v1 freezer mount point, or ""   */
};

/* Fills roots from procdir/self/mountinfo (once; later calls return). */
void sft_cgroup_find_roots(const char *procdir, struct sft_cgroup_roots *roots);

/* 1 if pid is in a frozen cgroup (v2 or v1 freezer), else 0. */
int sft_cgroup_frozen(const char *procdir, const struct sft_cgroup_roots *roots, pid_t pid);

#endif
