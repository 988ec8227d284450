/* unit_statfd.c - stat files kept open: the same answers as fresh opens. */
#include "tap.h"
#include "sft_statfd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Descriptors open in this process now. */
static int open_count(void)
{
    int n = 0, fd;
    for (fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
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

    /* Many at once (from a thread per CPU): the same answers as one by one,
     * and never more files open than the cache may keep, even where only a
     * few descriptors are free: a read that fails for want of one would
     * take a live process for gone. */
    {
        enum { N = 300 };
        static pid_t kids[N];
        static struct sft_stat_batch b;
        struct rlimit rl, low;
        int i, all_read = 1, all_right = 1;
        size_t k;

        for (i = 0; i < N; i++)
            kids[i] = child();
        sft_statfds_init(&c, 4);
        sft_statfds_open_dir(&c, "/proc");
        ok(read_of(&c, kids[0], &st) == 0 && c.open == 1, "one of them kept before");
        getrlimit(RLIMIT_NOFILE, &rl);
        low = rl;
        low.rlim_cur = (rlim_t)(open_count() + 4 + 8);   /* its room, and a few for the readers */
        setrlimit(RLIMIT_NOFILE, &low);
        memcpy(b.pids, kids, sizeof kids);
        sft_statfds_read_many(&c, "/proc", &b, N);
        setrlimit(RLIMIT_NOFILE, &rl);
        for (k = 0; k < N; k++) {
            all_read &= b.err[k] == 0;
            all_right &= b.err[k] == 0 && b.st[k].pid == kids[k] && b.st[k].ppid == getpid();
        }
        ok(all_read, "%d read at once under a limit of %ld descriptors: every read succeeds", N,
           (long)low.rlim_cur);
        ok(all_right, "each answer is its own process's");
        ok(c.open == 4, "the cache keeps what it has room for (%zu of 4)", c.open);
        kill(kids[1], SIGKILL);
        waitpid(kids[1], &status, 0);
        kill(kids[0], SIGSTOP);
        waitpid(kids[0], &status, WUNTRACED);
        sft_statfds_read_many(&c, "/proc", &b, N);
        ok(b.err[1] == ENOENT || b.err[1] == ESRCH, "one reaped since: its read fails (%d)", b.err[1]);
        ok(b.err[0] == 0 && b.st[0].state == 'T', "a kept one shows the state of now");
        ok(c.open <= 4, "still within the room (%zu)", c.open);
        sft_statfds_free(&c);
        for (i = 0; i < N; i++)
            kill(kids[i], SIGKILL);
    }

    {
        /* Room is made once per freeze: a later scan of no more processes
         * (the sweep) makes no system call for it. */
        long before = fd_table_size();
        sft_statfds_init(&c, 0);
        sft_statfds_reserve(&c, 300);
        ok(c.dirfd < 0 && c.reserved == 0, "no procdir open: nothing reserved");
        sft_statfds_open_dir(&c, "/proc");
        sft_statfds_reserve(&c, 300);
        ok(c.reserved == 2 * 300 + SFT_READ_BATCH
           && (before >= 2 * 300 + SFT_READ_BATCH || fd_table_size() >= 2 * 300 + SFT_READ_BATCH),
           "300 processes: room for %zu descriptors (FDSize %ld -> %ld)", c.reserved, before, fd_table_size());
        sft_statfds_reserve(&c, 200);
        ok(c.reserved == 2 * 300 + SFT_READ_BATCH, "fewer later: nothing more");
        sft_statfds_reserve(&c, 400);
        ok(c.reserved == 2 * 400 + SFT_READ_BATCH, "more later: more room");
        sft_statfds_free(&c);
        ok(c.reserved == 0, "a new freeze starts from nothing");
    }

    kill(b, SIGKILL);
    kill(d, SIGKILL);
    while (wait(&status) > 0)
        ;
    return done_testing();
}
