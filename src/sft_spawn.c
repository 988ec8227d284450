/* sft_spawn.c - see sft_spawn.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

#define SPAWN_MAX_FDS 8

void *sft_spawn_shared_map(size_t len, int *fd)
{
    int saved;

    *fd = memfd_create("freezethaw-guard", MFD_CLOEXEC);
    if (*fd < 0)
        return NULL;
    if (ftruncate(*fd, (off_t)len) == 0) {
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, *fd, 0);
        if (m != MAP_FAILED)
            return m;
    }
    saved = errno;
    close(*fd);
    *fd = -1;
    errno = saved;
    return NULL;
}

pid_t sft_spawn(const char *path, char *const argv[], const int *fds, size_t nfds)
{
    posix_spawn_file_actions_t fa;
    int high[SPAWN_MAX_FDS], rc;
    size_t i, made = 0;
    pid_t pid = -1;

    if (nfds > SPAWN_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    /* dup2() onto the same number would keep close-on-exec set: first
     * move every descriptor above the 3.. the program expects. */
    for (made = 0; made < nfds; made++)
        if ((high[made] = fcntl(fds[made], F_DUPFD_CLOEXEC, 3 + (int)nfds)) < 0)
            break;
    if (made < nfds)
        rc = errno;
    else if ((rc = posix_spawn_file_actions_init(&fa)) == 0) {
        for (i = 0; rc == 0 && i < nfds; i++)
            rc = posix_spawn_file_actions_adddup2(&fa, high[i], 3 + (int)i);
        if (rc == 0)
            rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    for (i = 0; i < made; i++)
        close(high[i]);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return pid;
}
