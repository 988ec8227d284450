/* sft_statfd.c - stat files kept open, and the descriptor allowance. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_statfd.h"
#include "sft_fds.h"
#include "sft_grow.h"
#include "sft_spread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* For the reads that open and close a file as they go, the caller's own
 * opens, and the pipes and the record of the guard. */
#define FD_RESERVE 32

static size_t open_fds(const char *procdir)
{
    char path[256];
    struct dirent *de;
    size_t n = 0;
    DIR *d;

    snprintf(path, sizeof path, "%s/self/fd", procdir);
    d = opendir(path);
    if (!d)
        return FD_RESERVE;   /* cannot tell: assume as many again */
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

size_t sft_fd_allowance(const char *procdir)
{
    struct rlimit rl;
    size_t limit, used = open_fds(procdir) + FD_RESERVE;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 22) ? (1u << 22) : (size_t)rl.rlim_cur;
    return limit > used ? (limit - used) / 2 : 0;
}

void sft_statfds_init(struct sft_statfds *c, size_t max)
{
    memset(c, 0, sizeof *c);
    sft_pidmap_init(&c->slot);
    c->dirfd = -1;
    c->max = max;
}

void sft_statfds_open_dir(struct sft_statfds *c, const char *procdir)
{
    if (c->dirfd >= 0)
        close(c->dirfd);
    c->dirfd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    c->dir = procdir;
    c->dirlen = strlen(procdir);
}

void sft_statfds_reserve(struct sft_statfds *c, size_t nprocs)
{
    size_t want = 2 * nprocs + SFT_READ_BATCH;

    if (c->dirfd < 0 || want <= c->reserved)
        return;
    sft_fd_table_reserve(c->dirfd, want);
    c->reserved = want;
}

/* path relative to c's procdir, or NULL when it does not lie under it. */
static const char *under_dir(const struct sft_statfds *c, const char *path)
{
    if (c && c->dirfd >= 0 && strncmp(path, c->dir, c->dirlen) == 0 && path[c->dirlen] == '/'
        && path[c->dirlen + 1])
        return path + c->dirlen + 1;
    return NULL;
}

int sft_statfds_open(const struct sft_statfds *c, const char *path)
{
    const char *rel = under_dir(c, path);

    return rel ? openat(c->dirfd, rel, O_RDONLY | O_CLOEXEC) : open(path, O_RDONLY | O_CLOEXEC);
}

int sft_statfds_stat(const struct sft_statfds *c, const char *path, struct stat *sb)
{
    const char *rel = under_dir(c, path);

    return rel ? fstatat(c->dirfd, rel, sb, 0) : stat(path, sb);
}

void sft_statfds_free(struct sft_statfds *c)
{
    if (c->fd)
        sft_close_fds(c->fd, c->n);
    if (c->dirfd >= 0)
        close(c->dirfd);
    free(c->fd);
    sft_pidmap_free(&c->slot);
    sft_statfds_init(c, 0);
}

/* Keeps fd as tid's file; 0, or -1 when there is no room for it. */
static int keep(struct sft_statfds *c, pid_t tid, int fd)
{
    size_t i;
    int failed;

    if (c->open >= c->max)
        return -1;
    if (!sft_pidmap_get(&c->slot, tid, &i)) {
        c->fd = sft_grow(c->fd, &c->cap, c->n, sizeof *c->fd, 256, &failed);
        if (failed || sft_pidmap_put(&c->slot, tid, c->n) != 0)
            return -1;
        i = c->n++;
    }
    c->fd[i] = fd;
    c->open++;
    return 0;
}

/* Closes the kept file at slot i: its task was reaped, and the number may
 * name a newcomer now, which only a fresh open reaches. */
static void drop(struct sft_statfds *c, size_t i)
{
    close(c->fd[i]);
    c->fd[i] = -1;
    c->open--;
}

/* Opens path and reads it into out: the open descriptor, or -1 with errno
 * set.  Touches nothing of c but its directory: safe from any thread. */
static int open_read(const struct sft_statfds *c, const char *path, struct sft_stat *out)
{
    int fd = sft_statfds_open(c, path);

    if (fd >= 0 && sft_stat_pread(fd, out) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int sft_statfds_read(struct sft_statfds *c, pid_t tid, const char *path, struct sft_stat *out)
{
    size_t i;
    int fd;

    if (c && sft_pidmap_get(&c->slot, tid, &i) && c->fd[i] >= 0) {
        if (sft_stat_pread(c->fd[i], out) == 0)
            return 0;
        drop(c, i);
    }
    fd = open_read(c, path, out);
    if (fd < 0)
        return -1;
    if (!c || keep(c, tid, fd) != 0)
        close(fd);
    return 0;
}

struct many {
    const struct sft_statfds *c;
    const char *procdir;
    struct sft_stat_batch *b;
};

/* From any thread: touches only its own indices and the cache's read-only
 * directory.  A kept file that fails (its task reaped) stays in fds[k] for
 * the calling thread to close; the file opened instead goes to opened[k]
 * if opened[k] said it may be kept (1), and is closed at once if not (0). */
static size_t read_chunk(void *arg, size_t i, size_t j)
{
    const struct many *m = arg;
    struct sft_stat_batch *b = m->b;
    size_t k;

    for (k = i; k < j; k++) {
        char path[256];
        int fd, may_keep = b->opened[k];

        b->opened[k] = -1;
        b->err[k] = 0;
        if (b->fds[k] >= 0 && sft_stat_pread(b->fds[k], &b->st[k]) == 0)
            continue;
        snprintf(path, sizeof path, "%s/%ld/stat", m->procdir, (long)b->pids[k]);
        fd = open_read(m->c, path, &b->st[k]);
        if (fd < 0)
            b->err[k] = errno;
        else if (may_keep)
            b->opened[k] = fd;
        else
            close(fd);
    }
    return 0;
}

void sft_statfds_read_many(struct sft_statfds *c, const char *procdir, struct sft_stat_batch *b, size_t n)
{
    struct many m = { c, procdir, b };
    size_t k, i, room;

    if (n > SFT_READ_BATCH)
        n = SFT_READ_BATCH;
    /* What may be kept open stays within the cache's room, as one by one:
     * a file it may not keep is closed by its reader at once.  A kept one
     * found reaped may keep its slot for the file opened instead. */
    room = c && c->max > c->open ? c->max - c->open : 0;
    for (k = 0; k < n; k++) {
        b->fds[k] = c && sft_pidmap_get(&c->slot, b->pids[k], &i) ? c->fd[i] : -1;
        b->opened[k] = b->fds[k] >= 0 || room > 0;
        if (b->fds[k] < 0 && room > 0)
            room--;
    }
    sft_spread(0, n, SFT_SPREAD_MIN_READS, read_chunk, &m);
    for (k = 0; k < n; k++) {
        if (c && b->fds[k] >= 0 && (b->err[k] != 0 || b->opened[k] >= 0)
            && sft_pidmap_get(&c->slot, b->pids[k], &i))
            drop(c, i);   /* its kept file failed: reaped */
        if (b->opened[k] >= 0 && (!c || keep(c, b->pids[k], b->opened[k]) != 0))
            close(b->opened[k]);
    }
}
