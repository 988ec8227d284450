/* unit_statfd.c - stat files kept open: the same answers as fresh opens. */
#include "tap.h"
#include "sft_statfd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    return pid;
}

static int read_of(struct sft_statfds *c, pid_t pid, struct sft_stat *st)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    return sft_statfds_read(c, pid, path, st);
}

int main(void)
{
    struct sft_statfds c;
    struct sft_stat st;
    pid_t a = child(), b = child(), d = child();
    int status;

    sft_statfds_init(&c, 2);
    ok(read_of(&c, a, &st) == 0 && st.pid == a, "first read opens the file");
    ok(c.open == 1, "and keeps it");
    ok(read_of(&c, a, &st) == 0 && st.pid == a && c.open == 1, "a second read uses it");
    ok(read_of(&c, b, &st) == 0 && c.open == 2, "a second process is kept");
    ok(read_of(&c, d, &st) == 0 && st.pid == d && c.open == 2, "beyond max: read, not kept");

    kill(a, SIGSTOP);
    waitpid(a, &status, WUNTRACED);
    ok(read_of(&c, a, &st) == 0 && st.state == 'T', "a kept file shows the state of now");

    kill(a, SIGKILL);
    waitpid(a, &status, 0);
    ok(read_of(&c, a, &st) != 0, "reaped: the read fails");
    ok(c.open == 1, "and the file is closed");
    ok(read_of(&c, d, &st) == 0 && c.open == 2, "which makes room for another");

    ok(read_of(NULL, b, &st) == 0 && st.pid == b, "no cache: a plain read");

    sft_statfds_free(&c);
    ok(c.open == 0 && c.n == 0, "free closes them all");

    /* Opens relative to /proc's descriptor: the same answers, and a path
     * not under it, or a prefix that only looks like it, opened whole. */
    sft_statfds_init(&c, 0);
    sft_statfds_open_dir(&c, "/proc");
    ok(c.dirfd >= 0, "/proc opened as a directory");
    ok(read_of(&c, b, &st) == 0 && st.pid == b && c.open == 0, "a read relative to it, not kept at max 0");
    ok(read_of(&c, a, &st) != 0, "a reaped process: still gone");
    {
        int fd = sft_statfds_open(&c, "/dev/null");
        ok(fd >= 0, "a path elsewhere opens whole");
        if (fd >= 0)
            close(fd);
        fd = sft_statfds_open(&c, "/procfoo/1/stat");
        ok(fd < 0, "a path that only starts like it is not taken as under it");
        if (fd >= 0)
            close(fd);
    }
    {
        struct stat sb;
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/task", (long)b);
        ok(sft_statfds_stat(&c, path, &sb) == 0 && sb.st_nlink == 3,
           "stat relative to it: a single-threaded process's task directory has 3 links");
        ok(sft_statfds_stat(&c, "/dev/null", &sb) == 0, "stat of a path elsewhere");
    }
    sft_statfds_free(&c);
    ok(c.dirfd == -1, "free closes the directory");
    {
        size_t allow = sft_fd_allowance("/proc");
        ok(allow > 0, "some descriptors may be kept (%zu)", allow);
    }
    kill(b, SIGKILL);
    kill(d, SIGKILL);
    while (wait(&status) > 0)
        ;
    return done_testing();
}
