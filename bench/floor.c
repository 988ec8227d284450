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
 *   par_stat_open_read, par_ptrace_stop, par_ptrace_detach, par_sigstop,
 *   par_sigcont     the same from one thread per CPU (at most 4, as the
 *                   ptrace method's tracers and the thaw's sft_spread),
 *                   each pinned to its CPU and taking every Nth process:
 *                   wall time per process
 *
 * It runs at SCHED_FIFO 1 where it may, as the freezer's stops and the thaw
 * do (a process woken at normal priority takes the CPU from its waker: a
 * SIGCONT then costs 6.6 us here instead of 4), and prints "fifo 1" if so,
 * and "threads N" for the parallel ones.
 * The benchmark turns these into the least time a freeze of that tree could
 * take with each method, beside the targets.  It signals only the pids it
 * is given, and leaves every one running: after each stop it continues or
 * detaches them all, and on an error it continues them all before it exits
 * (its exit detaches what it traces).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/* Each operation over pids first, first + step, ... (step 1: all of
 * them; one thread per part in the parallel measurement). */
static void read_stats(int procfd, const pid_t *pids, int n, int first, int step)
{
    char path[32], buf[512];
    for (int i = first; i < n; i += step) {
        snprintf(path, sizeof path, "%d/stat", (int)pids[i]);
        int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
            die("reading the stat of", pids[i]);
        close(fd);
    }
}

/* Seize and interrupt, then collect every trap. */
static void seize_all(const pid_t *pids, int n, int first, int step)
{
    for (int i = first; i < n; i += step) {
        if (ptrace(PTRACE_SEIZE, pids[i], 0, 0) < 0)
            die("PTRACE_SEIZE", pids[i]);
        if (ptrace(PTRACE_INTERRUPT, pids[i], 0, 0) < 0)
            die("PTRACE_INTERRUPT", pids[i]);
    }
    for (int i = first; i < n; i += step) {
        int status;
        if (waitpid(pids[i], &status, __WALL) != pids[i])
            die("waitpid", pids[i]);
    }
}

static void detach_all(const pid_t *pids, int n, int first, int step)
{
    for (int i = first; i < n; i += step)
        if (ptrace(PTRACE_DETACH, pids[i], 0, 0) < 0)
            die("PTRACE_DETACH", pids[i]);
}

static double time_stat_reads(int procfd, const pid_t *pids, int n)
{
    double t0 = now();
    read_stats(procfd, pids, n, 0, 1);
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
    seize_all(pids, n, 0, 1);
    double t1 = now();
    detach_all(pids, n, 0, 1);
    *detach = now() - t1;
    return t1 - t0;
}

/* One thread of the parallel measurements: part k of every nthreads. */
struct part {
    pthread_t thread;
    const pid_t *pids;
    int n, k, nthreads, procfd;
    pthread_barrier_t *bar;
    double end[5];    /* when its reads, its ptrace stops, its detaches,
                         its SIGSTOPs and its SIGCONTs ended */
};

static void signal_part(const pid_t *pids, int n, int first, int step, int sig)
{
    for (int i = first; i < n; i += step)
        if (kill(pids[i], sig) < 0)
            die("kill", pids[i]);
}

static void *part_main(void *arg)
{
    struct part *p = arg;
    struct sched_param sp = { .sched_priority = 1 };

    /* as the main thread, which a new thread does not inherit */
    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
    pthread_barrier_wait(p->bar);
    read_stats(p->procfd, p->pids, p->n, p->k, p->nthreads);
    p->end[0] = now();
    pthread_barrier_wait(p->bar);
    seize_all(p->pids, p->n, p->k, p->nthreads);
    p->end[1] = now();
    pthread_barrier_wait(p->bar);
    detach_all(p->pids, p->n, p->k, p->nthreads);
    p->end[2] = now();
    pthread_barrier_wait(p->bar);   /* the main thread waits for them to run */
    pthread_barrier_wait(p->bar);
    signal_part(p->pids, p->n, p->k, p->nthreads, SIGSTOP);
    p->end[3] = now();
    pthread_barrier_wait(p->bar);   /* ... and for them to stop */
    pthread_barrier_wait(p->bar);
    signal_part(p->pids, p->n, p->k, p->nthreads, SIGCONT);
    p->end[4] = now();
    return NULL;
}

/* When the last part ended phase. */
static double latest(const struct part *parts, int nthreads, int phase)
{
    double last = 0;
    for (int k = 0; k < nthreads; k++)
        if (parts[k].end[phase] > last)
            last = parts[k].end[phase];
    return last;
}

/* Reads, then seizes and collects, then detaches, then stops and
 * continues every process from nthreads threads at once, each on its own
 * CPU: the wall time of each phase goes to times[0..4]. */
static void time_parallel(int procfd, const pid_t *pids, int n, int nthreads, double *times)
{
    struct part parts[4];
    pthread_barrier_t bar;
    cpu_set_t cpus;
    int cpu = -1;

    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        CPU_ZERO(&cpus);
    pthread_barrier_init(&bar, NULL, (unsigned)nthreads + 1);
    for (int k = 0; k < nthreads; k++) {
        pthread_attr_t attr;
        cpu_set_t one;
        do
            cpu++;
        while (cpu < CPU_SETSIZE && !CPU_ISSET((unsigned)cpu, &cpus));
        parts[k] = (struct part){ .pids = pids, .n = n, .k = k, .nthreads = nthreads,
                                  .procfd = procfd, .bar = &bar };
        pthread_attr_init(&attr);
        CPU_ZERO(&one);
        if (cpu < CPU_SETSIZE) {
            CPU_SET((unsigned)cpu, &one);
            pthread_attr_setaffinity_np(&attr, sizeof one, &one);
        }
        if (pthread_create(&parts[k].thread, &attr, part_main, &parts[k]) != 0)
            die("pthread_create for part", k);
        pthread_attr_destroy(&attr);
    }
    usleep(1000);   /* every thread on its CPU before the clock starts */
    double t0 = now();
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    times[0] = latest(parts, nthreads, 0) - t0;
    double t1 = now();
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    settle(procfd, pids, n, 0);
    double t3 = now();
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    settle(procfd, pids, n, 1);
    double t4 = now();
    pthread_barrier_wait(&bar);
    for (int k = 0; k < nthreads; k++)
        pthread_join(parts[k].thread, NULL);
    times[1] = latest(parts, nthreads, 1) - t1;
    times[2] = latest(parts, nthreads, 2) - latest(parts, nthreads, 1);
    times[3] = latest(parts, nthreads, 3) - t3;
    times[4] = latest(parts, nthreads, 4) - t4;
    pthread_barrier_destroy(&bar);
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

    cpu_set_t cpus;
    int nthreads = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    if (nthreads > 4)
        nthreads = 4;
    if (nthreads < 1)
        nthreads = 1;

    enum { READ, PREAD, STOP, CONT, POPEN, PCONT, PCLOSE, PSTOP, PDETACH,
           PAR_READ, PAR_STOP, PAR_DETACH, PAR_SIGSTOP, PAR_SIGCONT, NOPS };
    static const char *const names[NOPS] = {
        "stat_open_read", "stat_pread", "sigstop", "sigcont", "pidfd_open", "sigcont_pidfd",
        "pidfd_close", "ptrace_stop", "ptrace_detach",
        "par_stat_open_read", "par_ptrace_stop", "par_ptrace_detach",
        "par_sigstop", "par_sigcont",
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
        {
            double par[5];
            time_parallel(procfd, pids, n, nthreads, par);
            t[PAR_READ][r] = par[0] / n;
            t[PAR_STOP][r] = par[1] / n;
            t[PAR_DETACH][r] = par[2] / n;
            t[PAR_SIGSTOP][r] = par[3] / n;
            t[PAR_SIGCONT][r] = par[4] / n;
        }
        settle(procfd, pids, n, 0);
        usleep(20000);
    }
    printf("fifo %d\nthreads %d\n", fifo, nthreads);
    for (int op = 0; op < NOPS; op++) {
        qsort(t[op], (size_t)reps, sizeof t[op][0], cmp_double);
        printf("%s %.3f\n", names[op], 1e6 * t[op][reps / 2]);
    }
    return 0;
}
