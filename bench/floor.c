/* bench/floor.c - what the kernel's own operations cost per process here.
 *
 * floor REPS PID...: for the given single-threaded, idle processes (a tree
 * the benchmark built inside its PID namespace), times each operation a
 * freeze or a thaw cannot do without, alone, over every pid, and prints
 * "name microseconds-per-process" (median of REPS runs):
 *
 *   stat_open_read  open, read and close /proc/PID/stat (a first look)
 *   stat_pread      pread of a stat file kept open (a look again)
 *   sigstop         kill(SIGSTOP)
 *   sigcont         kill(SIGCONT) to a stopped process
 *   pidfd_open      pidfd_open (a freeze opens one to signal each safely)
 *   sigcont_pidfd   SIGCONT through that pidfd (a signal thaw)
 *   pidfd_close     closing the pidfds after it, by runs (close_range)
 *   ptrace_stop     PTRACE_SEIZE, PTRACE_INTERRUPT and the waitpid that
 *                   reports the trap (a ptrace freeze without any read)
 *   ptrace_detach   PTRACE_DETACH (a ptrace thaw)
 *
 * It runs at SCHED_FIFO 1 where it may, as the freezer's stops and the thaw
 * do (a process woken at normal priority takes the CPU from its waker: a
 * SIGCONT then costs 6.6 us here instead of 4), and prints "fifo 1" if so.
 * The benchmark turns these into the least time a freeze of that tree could
 * take with each method, beside the targets.  It signals only the pids it
 * is given, and leaves every one running: after each stop it continues or
 * detaches them all, and on an error it continues them all before it exits
 * (its exit detaches what it traces).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS 99

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The processes measured: continued by die(), whatever phase failed. */
static const pid_t *measured;
static int nmeasured;

static void die(const char *what, long pid)
{
    if (errno)
        fprintf(stderr, "floor: %s %ld: %s\n", what, pid, strerror(errno));
    else
        fprintf(stderr, "floor: %s %ld\n", what, pid);
    for (int i = 0; i < nmeasured; i++)
        kill(measured[i], SIGCONT);   /* what it traces, its exit detaches */
    exit(1);
}

/* The state letter of /proc/PID/stat, or 0 when it cannot be read. */
static char state_of(int procfd, pid_t pid)
{
    char path[32], buf[512];
    snprintf(path, sizeof path, "%d/stat", (int)pid);
    int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* Waits, untimed, until every process is stopped, or none is (T, or t
 * while traced). */
static void settle(int procfd, const pid_t *pids, int n, int stopped)
{
    double give_up = now() + 10;
    for (int i = 0; i < n; i++) {
        char s;
        while (((s = state_of(procfd, pids[i])) == 'T' || s == 't') != stopped) {
            if (now() > give_up) {
                errno = 0;
                die(stopped ? "no stop within 10 s for" : "no continue within 10 s for", pids[i]);
            }
            usleep(100);
        }
    }
}

static double time_stat_reads(int procfd, const pid_t *pids, int n)
{
    char path[32], buf[512];
    double t0 = now();
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%d/stat", (int)pids[i]);
        int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
            die("reading the stat of", pids[i]);
        close(fd);
    }
    return now() - t0;
}

/* Over as many processes as there are descriptors to keep (nkept). */
static double time_preads(int procfd, const pid_t *pids, int nkept, int *fds)
{
    char path[32], buf[512];
    for (int i = 0; i < nkept; i++) {
        snprintf(path, sizeof path, "%d/stat", (int)pids[i]);
        if ((fds[i] = openat(procfd, path, O_RDONLY | O_CLOEXEC)) < 0)
            die("opening the stat of", pids[i]);
    }
    double t0 = now();
    for (int i = 0; i < nkept; i++)
        if (pread(fds[i], buf, sizeof buf, 0) <= 0)
            die("pread of the stat of", pids[i]);
    double t = now() - t0;
    for (int i = 0; i < nkept; i++)
        close(fds[i]);
    return t;
}

static double time_signals(const pid_t *pids, int n, int sig)
{
    double t0 = now();
    for (int i = 0; i < n; i++)
        if (kill(pids[i], sig) < 0)
            die("kill", pids[i]);
    return now() - t0;
}

/* SIGCONT through pidfds, as a thaw that must never signal a newcomer
 * under a reused pid sends it: the pidfd_open (done by the freeze) goes to
 * *opening, the close_range of the pidfds after it to *closing. */
static double time_pidfd_signals(const pid_t *pids, int nkept, int *fds, int sig,
                                 double *opening, double *closing)
{
    double t0 = now();
    for (int i = 0; i < nkept; i++)
        if ((fds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0)) < 0)
            die("pidfd_open", pids[i]);
    double t1 = now();
    for (int i = 0; i < nkept; i++)
        if (syscall(SYS_pidfd_send_signal, fds[i], sig, NULL, 0) < 0)
            die("pidfd_send_signal", pids[i]);
    double t2 = now();
    /* by runs of consecutive numbers, as the thaw closes them */
    for (int i = 0, j; i < nkept; i = j) {
        for (j = i + 1; j < nkept && fds[j] == fds[j - 1] + 1; j++)
            ;
        if (syscall(SYS_close_range, fds[i], fds[j - 1], 0) < 0)
            for (int k = i; k < j; k++)
                close(fds[k]);
    }
    *opening = t1 - t0;
    *closing = now() - t2;
    return t2 - t1;
}

/* Seize, interrupt and collect every process: returns the time; the
 * detach's time goes to *detach. */
static double time_ptrace(const pid_t *pids, int n, double *detach)
{
    double t0 = now();
    for (int i = 0; i < n; i++) {
        if (ptrace(PTRACE_SEIZE, pids[i], 0, 0) < 0)
            die("PTRACE_SEIZE", pids[i]);
        if (ptrace(PTRACE_INTERRUPT, pids[i], 0, 0) < 0)
            die("PTRACE_INTERRUPT", pids[i]);
    }
    for (int i = 0; i < n; i++) {
        int status;
        if (waitpid(pids[i], &status, __WALL) != pids[i])
            die("waitpid", pids[i]);
    }
    double t1 = now();
    for (int i = 0; i < n; i++)
        if (ptrace(PTRACE_DETACH, pids[i], 0, 0) < 0)
            die("PTRACE_DETACH", pids[i]);
    *detach = now() - t1;
    return t1 - t0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: floor REPS PID...\n");
        return 2;
    }
    int reps = atoi(argv[1]);
    if (reps < 1 || reps > MAX_REPS)
        reps = 5;
    int n = argc - 2;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    int *fds = calloc((size_t)n, sizeof *fds);
    if (!pids || !fds)
        die("calloc for", n);
    for (int i = 0; i < n; i++) {
        long p = strtol(argv[i + 2], NULL, 10);
        if (p < 2 || p > 4194304 || p == getpid()) {
            errno = EINVAL;
            die("not a pid to measure:", p);
        }
        pids[i] = (pid_t)p;
    }
    measured = pids;
    nmeasured = n;
    int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0)
        die("open /proc", 0);
    struct rlimit rl;
    int nkept = n;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)nkept + 16 > rl.rlim_cur)
            nkept = rl.rlim_cur > 16 ? (int)(rl.rlim_cur - 16) : 1;
    }

    /* SCHED_RESET_ON_FORK: nothing it starts inherits the priority; the
     * priority ends with the process. */
    struct sched_param sp = { .sched_priority = 1 };
    int fifo = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0;

    enum { READ, PREAD, STOP, CONT, POPEN, PCONT, PCLOSE, PSTOP, PDETACH, NOPS };
    static const char *const names[NOPS] = {
        "stat_open_read", "stat_pread", "sigstop", "sigcont", "pidfd_open", "sigcont_pidfd",
        "pidfd_close", "ptrace_stop", "ptrace_detach",
    };
    static double t[NOPS][MAX_REPS];
    for (int r = 0; r < reps; r++) {
        t[READ][r] = time_stat_reads(procfd, pids, n) / n;
        t[PREAD][r] = time_preads(procfd, pids, nkept, fds) / nkept;
        t[STOP][r] = time_signals(pids, n, SIGSTOP) / n;
        settle(procfd, pids, n, 1);
        t[CONT][r] = time_signals(pids, n, SIGCONT) / n;
        settle(procfd, pids, n, 0);
        time_signals(pids, n, SIGSTOP);
        settle(procfd, pids, n, 1);
        t[PCONT][r] = time_pidfd_signals(pids, nkept, fds, SIGCONT, &t[POPEN][r], &t[PCLOSE][r]) / nkept;
        t[POPEN][r] /= nkept;
        t[PCLOSE][r] /= nkept;
        time_signals(pids + nkept, n - nkept, SIGCONT);
        settle(procfd, pids, n, 0);
        t[PSTOP][r] = time_ptrace(pids, n, &t[PDETACH][r]) / n;
        t[PDETACH][r] /= n;
        settle(procfd, pids, n, 0);
        usleep(20000);
    }
    printf("fifo %d\n", fifo);
    for (int op = 0; op < NOPS; op++) {
        qsort(t[op], (size_t)reps, sizeof t[op][0], cmp_double);
        printf("%s %.3f\n", names[op], 1e6 * t[op][reps / 2]);
    }
    return 0;
}
