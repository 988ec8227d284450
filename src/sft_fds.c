/* sft_fds.c - closing many descriptors at once, and room for them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436   /* the same number on every architecture */
#endif

static int by_number(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Closes first..last, all ours; 0, or -1 if the kernel has no close_range. */
static int close_run(int first, int last)
{
    if (first == last) {
        close(first);
        return 0;
    }
    if (syscall(SYS_close_range, (unsigned)first, (unsigned)last, 0u) == 0)
        return 0;
    return errno == ENOSYS || errno == EINVAL ? -1 : 0;
}

void sft_close_fds(int *fds, size_t n)
{
    size_t i, k = 0, start;
    int *sorted = malloc((n ? n : 1) * sizeof *sorted);

    if (!sorted) {
        /* No memory: one at a time, as well. */
        for (i = 0; i < n; i++)
            if (fds[i] >= 0) {
                close(fds[i]);
                fds[i] = -1;
            }
        return;
    }
    for (i = 0; i < n; i++)
        if (fds[i] >= 0) {
            sorted[k++] = fds[i];
            fds[i] = -1;
        }
    qsort(sorted, k, sizeof *sorted, by_number);
    for (start = 0; start < k; start = i) {
        if (start > 0 && sorted[start] == sorted[start - 1]) {
            i = start + 1;   /* listed twice: closed already */
            continue;
        }
        for (i = start + 1; i < k && sorted[i] == sorted[i - 1] + 1; i++)
            ;
        if (close_run(sorted[start], sorted[i - 1]) != 0) {
            size_t j;
            for (j = start; j < i; j++)
                close(sorted[j]);
        }
    }
    free(sorted);
}

void sft_fd_table_reserve(int any_fd, size_t more)
{
    struct rlimit rl;
    long lowest, upto;
    int fd;

    if (any_fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 1)
        return;
    lowest = fcntl(any_fd, F_DUPFD_CLOEXEC, 0);
    if (lowest < 0)
        return;
    close((int)lowest);
    upto = lowest + (long)(more < (size_t)INT_MAX ? more : (size_t)INT_MAX);
    if (rl.rlim_cur != RLIM_INFINITY && upto > (long)rl.rlim_cur - 1)
        upto = (long)rl.rlim_cur - 1;
    if (upto > INT_MAX)
        upto = INT_MAX;
    if (upto <= lowest)
        return;
    fd = fcntl(any_fd, F_DUPFD_CLOEXEC, (int)upto);
    if (fd >= 0)
        close(fd);
}
