/* sft_scan.c - enumerate /proc. */
#include "sft_scan.h"
#include "sft_procstat.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sft_proclist_init(struct sft_proclist *l)
{
    memset(l, 0, sizeof *l);
}

void sft_proclist_free(struct sft_proclist *l)
{
    free(l->v);
    sft_proclist_init(l);
}

struct sft_proc *sft_proclist_push(struct sft_proclist *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        struct sft_proc *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    return &l->v[l->n++];
}

/* The pid a /proc entry names, or -1 if the name is not all digits. */
static long long entry_pid(const char *name)
{
    long long pid = 0;

    if (!*name)
        return -1;
    for (; *name; name++) {
        if (*name < '0' || *name > '9' || pid > SFT_PID_MAX)
            return -1;
        pid = pid * 10 + (*name - '0');
    }
    return pid;
}

int sft_proc_is_ours(const char *procdir, struct sft_error *err)
{
    char path[256], target[64];
    ssize_t n;

    snprintf(path, sizeof path, "%s/self", procdir);
    n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return sft_error_set(err, SFT_E_PROC, errno, "cannot read /proc: /proc/self");
    target[n] = 0;
    if (entry_pid(target) != (long long)getpid())
        return sft_error_set(err, SFT_E_PROCNS, 0,
                             "/proc belongs to another PID namespace: /proc/self does not name this process");
    return 0;
}

int sft_scan(const char *procdir, const struct sft_pidset *skip,
             const struct sft_pidset *held, struct sft_proclist *out,
             struct sft_proclist *zombies, struct sft_scan_counts *counts,
             struct sft_error *err)
{
    struct sft_scan_counts dummy;
    struct dirent *de;
    DIR *d;

    if (!counts)
        counts = &dummy;
    memset(counts, 0, sizeof *counts);
    out->n = 0;
    if (zombies)
        zombies->n = 0;

    d = opendir(procdir);
    if (!d)
        return sft_error_set(err, SFT_E_PROC, errno, "cannot read /proc");

    while ((errno = 0, de = readdir(d)) != NULL) {
        char path[256];
        struct sft_stat st;
        struct sft_proc *p;
        long long pid = entry_pid(de->d_name);

        if (pid < 0)
            continue;
        counts->seen++;
        if (sft_pidset_has(skip, (pid_t)pid)) {
            counts->skipped++;
            continue;
        }
        snprintf(path, sizeof path, "%s/%lld/stat", procdir, pid);
        if (sft_stat_read(path, &st) != 0) {
            counts->vanished++;
            continue;
        }
        if (st.flags & SFT_PF_KTHREAD) {
            counts->kthreads++;
            continue;
        }
        if (st.state == 'T' || st.state == 't') {
            if (held && sft_pidset_has(held, st.pid))
                counts->held++;
            else
                counts->stopped++;
            continue;
        }
        if (sft_state_is_halted(st.state) && st.num_threads <= 1) {
            counts->zombies++;
            p = zombies ? sft_proclist_push(zombies) : NULL;
            if (p)
                p->pid = st.pid;
            else if (zombies)
                goto nomem;
            continue;
        }
        p = sft_proclist_push(out);
        if (!p)
            goto nomem;
        p->pid = st.pid;
        p->ppid = st.ppid;
        p->state = st.state;
        p->nthreads = st.num_threads;
        p->starttime = st.starttime;
        memcpy(p->comm, st.comm, sizeof p->comm);
    }
    if (errno) {
        int saved = errno;
        closedir(d);
        return sft_error_set(err, SFT_E_PROC, saved, "cannot read /proc");
    }
    closedir(d);
    if (counts->seen == 0)   /* an empty directory is not a procfs */
        return sft_error_set(err, SFT_E_PROC, ENOENT, "cannot read /proc: no processes listed");
    return 0;

nomem:
    closedir(d);
    return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
}
