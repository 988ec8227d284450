/* unit_fds.c - sft_close_fds closes what it is given, and nothing else. */
#include "tap.h"
#include "sft_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

int main(void)
{
    int fds[40], listed[30], i, n = 0, cleared = 1, closed = 1, others_open = 1, tmp;

    /* 40 descriptors, mostly consecutive numbers; every fourth (i % 4 == 3)
     * is not ours to close.  listed[j] is fds[j + j / 3]. */
    for (i = 0; i < 40; i++)
        fds[i] = open("/dev/null", O_RDONLY);
    for (i = 0; i < 40; i++)
        if (i % 4 != 3)
            listed[n++] = fds[i];
    /* Out of order; an entry of -1 (the caller closed fds[6] itself); a
     * duplicate in place of fds[9], which then is not listed. */
    tmp = listed[0], listed[0] = listed[29], listed[29] = tmp;
    listed[5] = -1;
    close(fds[6]);
    listed[7] = listed[8];
    sft_close_fds(listed, (size_t)n);

    for (i = 0; i < n; i++)
        if (listed[i] != -1)
            cleared = 0;
    ok(cleared, "every entry is set to -1");
    for (i = 0; i < 40; i++) {
        if (i % 4 == 3 || i == 9)
            others_open &= is_open(fds[i]);
        else
            closed &= !is_open(fds[i]);
    }
    ok(closed, "every descriptor listed is closed");
    ok(others_open, "those between them not listed stay open");
    for (i = 0; i < 40; i++)
        if (i % 4 == 3 || i == 9)
            close(fds[i]);

    sft_close_fds(listed, 0);
    ok(1, "an empty list");
    return done_testing();
}
