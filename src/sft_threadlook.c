/* sft_threadlook.c - see sft_threadlook.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_threadlook.h"
#include "sft_procstat.h"
#include "sft_spread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct many {
    const struct sft_statfds *c;
    const char *procdir;
    const pid_t *pids;
    struct sft_thread_look *looks;
};

/* A failed open or read that means the thread has ended since the listing. */
static int ended(int err)
{
    return err == ENOENT || err == ESRCH;
}

static int open_under(const struct many *m, const char *path)
{
    return m->c ? sft_statfds_open(m->c, path) : open(path, O_RDONLY | O_CLOEXEC);
}

static void look_one(const struct many *m, pid_t pid, struct sft_thread_look *l)
{
    char path[256];
    struct dirent *de;
    DIR *d;
    int fd, undecided = 0;

    memset(l, 0, sizeof *l);
    snprintf(path, sizeof path, "%s/%ld/task", m->procdir, (long)pid);
    fd = open_under(m, path);
    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    while (!undecided && (de = readdir(d)) != NULL) {
        struct sft_stat st;
        long tid = atol(de->d_name);
        int tfd, rc, saved;

        if (tid <= 0 || tid == (long)pid)    /* the leader: read by the caller */
            continue;
        snprintf(path, sizeof path, "%s/%ld/task/%ld/stat", m->procdir, (long)pid, tid);
        tfd = open_under(m, path);
        if (tfd < 0) {
            undecided = !ended(errno);
            continue;
        }
        l->reads++;
        rc = sft_stat_pread(tfd, &st);
        saved = errno;
        close(tfd);
        if (rc != 0) {
            undecided = !ended(saved);
            continue;
        }
        if (st.state == 'D' || st.state == 't') {
            undecided = 1;
        } else if (!sft_state_is_halted(st.state)) {
            l->running = st.state;
            break;
        } else {
            l->stopped += st.state == 'T';
        }
    }
    closedir(d);
    l->done = !undecided;
}

static size_t look_chunk(void *arg, size_t i, size_t j)
{
    const struct many *m = arg;

    for (; i < j; i++)
        look_one(m, m->pids[i], &m->looks[i]);
    return 0;
}

void sft_threads_look_many(const struct sft_statfds *c, const char *procdir, const pid_t *pids,
                           struct sft_thread_look *looks, size_t n)
{
    struct many m = { c, procdir, pids, looks };

    sft_spread(0, n, SFT_SPREAD_MIN_READS, look_chunk, &m);
}
