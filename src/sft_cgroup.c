/* sft_cgroup.c - find the freezer state of a process's cgroup. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_cgroup.h"

#include <stdio.h>
#include <string.h>

void sft_cgroup_find_roots(const char *procdir, struct sft_cgroup_roots *roots)
{
    char path[256], line[4096];
    FILE *f;

    if (roots->found)
        return;
    roots->found = 1;
    roots->v2[0] = roots->v1freezer[0] = 0;
    snprintf(path, sizeof path, "%s/self/mountinfo", procdir);
    f = fopen(path, "re");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPER */
        char mnt[256], fstype[32], src[64], super[1024] = "";
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1
            || sscanf(dash + 3, "%31s %63s %1023s", fstype, src, super) < 2)
            continue;
        if (strcmp(fstype, "cgroup2") == 0 && !roots->v2[0])
            snprintf(roots->v2, sizeof roots->v2, "%s", mnt);
        else if (strcmp(fstype, "cgroup") == 0 && !roots->v1freezer[0]
                 && (strstr(super, ",freezer") || strncmp(super, "freezer", 7) == 0))
            snprintf(roots->v1freezer, sizeof roots->v1freezer, "%s", mnt);
    }
    fclose(f);
}

/* The first line of a small file, without its newline, into buf. */
static int read_small(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    size_t n;

    if (!f)
        return -1;
    n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = 0;
    return 0;
}

int sft_cgroup_frozen(const char *procdir, const struct sft_cgroup_roots *roots, pid_t pid)
{
    char path[512], line[1024], state[256];
    FILE *f;
    int frozen = 0;

    snprintf(path, sizeof path, "%s/%ld/cgroup", procdir, (long)pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    while (!frozen && fgets(line, sizeof line, f)) {
        /* HIERARCHY-ID:CONTROLLERS:PATH */
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *nl;
        if (!c2)
            continue;
        *c2 = 0;
        if ((nl = strchr(c2 + 1, '\n')))
            *nl = 0;
        if (c1[1] == 0 && roots->v2[0]) {                 /* "0::/path" */
            snprintf(path, sizeof path, "%s%s/cgroup.events", roots->v2, c2 + 1);
            frozen = read_small(path, state, sizeof state) == 0 && strstr(state, "\nfrozen 1");
            if (!frozen)
                frozen = strncmp(state, "frozen 1", 8) == 0;
        } else if (roots->v1freezer[0] && strstr(c1 + 1, "freezer")) {
            snprintf(path, sizeof path, "%s%s/freezer.state", roots->v1freezer, c2 + 1);
            frozen = read_small(path, state, sizeof state) == 0 && strncmp(state, "FROZEN", 6) == 0;
        }
    }
    fclose(f);
    return frozen;
}
