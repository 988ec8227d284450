/* unit_spread.c - sft_spread covers every index once, from helper threads
 * that block every signal, and leaves the caller as it was. */
#define _GNU_SOURCE
#include "tap.h"
#include "sft_spread.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXN 5000
#define MIN SFT_SPREAD_MIN_SIGNALS   /* the largest least but the checks' */

/* A real-time spinner on one CPU, above anything the test runs. */
struct hog {
    int cpu, running;
    double seconds;
    int prio;
    pthread_t thread;
    int created;
};

static int hog_start(struct hog *h);

struct seen {
    int calls[MAXN];          /* how often each index came (atomic) */
    int bad_chunk;            /* a chunk empty, too long or out of range */
    int unmasked;             /* a helper thread with a signal not blocked */
    int threads;              /* distinct threads that took a chunk (atomic) */
    pid_t tids[64];
    pid_t caller;
    int slow_first;           /* the first chunk a helper takes sleeps */
    struct hog *hog_here;     /* the first chunk a helper takes starts it on its CPU */
    int resumed_cpu;          /* where that helper went on after starting it */
    size_t from, to;
};

static void note_thread(struct seen *s, pid_t tid)
{
    int i, n = __atomic_load_n(&s->threads, __ATOMIC_SEQ_CST);

    for (i = 0; i < n && i < 64; i++)
        if (__atomic_load_n(&s->tids[i], __ATOMIC_SEQ_CST) == tid)
            return;
    i = __atomic_fetch_add(&s->threads, 1, __ATOMIC_SEQ_CST);
    if (i < 64)
        __atomic_store_n(&s->tids[i], tid, __ATOMIC_SEQ_CST);
}

static size_t visit(void *arg, size_t i, size_t j)
{
    struct seen *s = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    size_t k;

    if (j <= i || j - i > SFT_SPREAD_CHUNK || i < s->from || j > s->to)
        __atomic_store_n(&s->bad_chunk, 1, __ATOMIC_SEQ_CST);
    if (tid != s->caller) {
        sigset_t mask;
        pthread_sigmask(SIG_SETMASK, NULL, &mask);
        if (!sigismember(&mask, SIGINT) || !sigismember(&mask, SIGTERM) || !sigismember(&mask, SIGUSR1))
            __atomic_store_n(&s->unmasked, 1, __ATOMIC_SEQ_CST);
        if (__atomic_exchange_n(&s->slow_first, 0, __ATOMIC_SEQ_CST))
            usleep(50000);
        {
            struct hog *h = __atomic_exchange_n(&s->hog_here, NULL, __ATOMIC_SEQ_CST);
            if (h) {
                /* The spinner takes this CPU from this thread once it runs. */
                if (hog_start(h) == 0)
                    while (__atomic_load_n(&h->running, __ATOMIC_SEQ_CST) == 0)
                        usleep(100);
                __atomic_store_n(&s->resumed_cpu, sched_getcpu(), __ATOMIC_SEQ_CST);
            }
        }
    }
    note_thread(s, tid);
    for (k = i; k < j && k < MAXN; k++)
        __atomic_fetch_add(&s->calls[k], 1, __ATOMIC_SEQ_CST);
    usleep(20);   /* as a signal's cost, so helpers get a share */
    return (j - i) * 2;
}


static int count_threads(void)
{
    struct dirent *de;
    DIR *d = opendir("/proc/self/task");
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *hog_main(void *arg)
{
    struct hog *h = arg;
    struct sched_param sp = { .sched_priority = h->prio };
    cpu_set_t one;
    double end;

    CPU_ZERO(&one);
    CPU_SET((unsigned)h->cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0 || sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
        __atomic_store_n(&h->running, -1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    end = now() + h->seconds;
    __atomic_store_n(&h->running, 1, __ATOMIC_SEQ_CST);
    while (now() < end)
        ;
    return NULL;
}

/* Starts h's spinner; 0, or -1 where a thread or SCHED_FIFO 50 is refused.
 * cpu -1: the CPU of the calling thread. */
static int hog_start(struct hog *h)
{
    if (h->cpu < 0)
        h->cpu = sched_getcpu();
    if (pthread_create(&h->thread, NULL, hog_main, h) != 0) {
        __atomic_store_n(&h->running, -1, __ATOMIC_SEQ_CST);
        return -1;
    }
    h->created = 1;
    return 0;
}

/* Waits up to seconds for the process to have n threads. */
static int wait_threads(int n, double seconds)
{
    double end = now() + seconds;

    while (count_threads() != n && now() < end)
        usleep(1000);
    return count_threads() == n;
}

/* Runs one spread over [from, to): 1 if every index came exactly once,
 * the sum is right and no chunk was malformed. */
static int run(struct seen *s, size_t from, size_t to)
{
    size_t k, sum;
    int once = 1;

    memset(s, 0, sizeof *s);
    s->caller = (pid_t)syscall(SYS_gettid);
    s->from = from;
    s->to = to;
    sum = sft_spread(from, to, MIN, visit, s);
    for (k = 0; k < MAXN; k++)
        if (s->calls[k] != (k >= from && k < to))
            once = 0;
    return once && sum == 2 * (to - from) && !s->bad_chunk;
}

/* A spread of 2000 from a new thread: how many threads took part. */
static void *spread_in_thread(void *arg)
{
    static struct seen other;

    run(&other, 0, 2000);
    *(int *)arg = other.threads;
    return NULL;
}

int main(void)
{
    static struct seen s;
    static const size_t sizes[][2] = {
        { 0, 0 }, { 7, 7 }, { 0, 1 }, { 3, 17 }, { 0, MIN - 1 }, { 0, MIN },
        { 5, 1005 }, { 0, 1001 }, { 100, 100 + SFT_SPREAD_CHUNK * 64 }, { 0, MAXN },
    };
    cpu_set_t cpus, after, one;
    sigset_t before_mask, after_mask;
    int ncpus, i, policy_before;
    size_t k;

    sched_getaffinity(0, sizeof cpus, &cpus);
    ncpus = CPU_COUNT(&cpus);
    sigemptyset(&before_mask);
    sigaddset(&before_mask, SIGUSR2);
    pthread_sigmask(SIG_SETMASK, &before_mask, NULL);
    policy_before = sched_getscheduler(0);

    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        ok(run(&s, sizes[k][0], sizes[k][1]), "[%zu, %zu): each index once, in chunks of at most %d, the sum of the returns",
           sizes[k][0], sizes[k][1], SFT_SPREAD_CHUNK);

    run(&s, 0, MIN - 1);
    ok(s.threads == 1 && s.tids[0] == s.caller, "fewer than the least asked for: the caller alone");

    ok(run(&s, 0, 2000), "2000 indices");
    if (ncpus >= 2)
        ok(s.threads >= 2 && s.threads <= SFT_SPREAD_MAX_THREADS,
           "with %d CPUs, more than one thread took part (%d), at most %d", ncpus, s.threads,
           SFT_SPREAD_MAX_THREADS);
    else
        ok(s.threads == 1, "with one CPU, the caller alone");
    ok(!s.unmasked, "every helper thread blocks every signal");

    memset(&s, 0, sizeof s);
    s.slow_first = 1;
    {
        struct timespec t0, t1;
        size_t sum;
        int once = 1;

        s.caller = (pid_t)syscall(SYS_gettid);
        s.to = 2000;
        s.slow_first = ncpus >= 2;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        sum = sft_spread(0, 2000, MIN, visit, &s);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        for (k = 0; k < 2000; k++)
            once &= s.calls[k] == 1;
        ok(once && sum == 4000, "a helper held up in its chunk: every index still once");
        if (ncpus >= 2)
            ok((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6 >= 49,
               "and the call returns only after that chunk has");
        else
            ok(1, "(one CPU: no helper to hold up)");
    }

    pthread_sigmask(SIG_SETMASK, NULL, &after_mask);
    ok(sigismember(&after_mask, SIGUSR2) && !sigismember(&after_mask, SIGUSR1),
       "the caller's signal mask is as it was");
    sched_getaffinity(0, sizeof after, &after);
    ok(CPU_EQUAL(&cpus, &after), "the caller's CPUs are as they were");
    ok(sched_getscheduler(0) == policy_before, "the caller's policy is as it was");

    /* A real-time process of a higher priority spinning on a helper's CPU,
     * from before the call (the helper never starts: the caller, at
     * SCHED_FIFO 60 here so that nothing else may take its CPU, finishes
     * alone and leaves it behind, abandoned) or from inside the helper's
     * first chunk (it is stuck there: the caller lets it run on any CPU
     * and waits for it, and it goes on elsewhere).  Either way the call is
     * done long before the spinner ends; the bound is not a speed test. */
    {
        /* valgrind runs one thread at a time: the spinner would hold them all */
        const char *runner = getenv("FREEZETHAW_UNIT_RUNNER");
        int here = sched_getcpu(), can = ncpus >= 2 && !(runner && *runner), mode;

        for (mode = 0; mode < 2; mode++) {
            struct hog h = { .seconds = 1.5, .cpu = -1, .prio = mode ? 50 : 99 };
            struct sched_param fifo = { .sched_priority = 60 }, other = { .sched_priority = 0 };
            double t0, took;
            int good, threads_after = 0, raised = 0;

            if (can && mode == 0) {
                for (h.cpu = 0; h.cpu < CPU_SETSIZE && (!CPU_ISSET((unsigned)h.cpu, &cpus) || h.cpu == here); h.cpu++)
                    ;
                if (h.cpu >= CPU_SETSIZE || hog_start(&h) != 0)
                    can = 0;
                while (can && __atomic_load_n(&h.running, __ATOMIC_SEQ_CST) == 0)
                    usleep(1000);
                can = can && h.running == 1;
            }
            if (!can) {
                ok(1, "(needs two CPUs, SCHED_FIFO and no valgrind: skipped)");
                ok(1, "(skipped)");
                if (h.created)
                    pthread_join(h.thread, NULL);
                continue;
            }
            memset(&s, 0, sizeof s);
            if (mode == 1)
                s.hog_here = &h;
            s.caller = (pid_t)syscall(SYS_gettid);
            s.to = 2000;
            s.resumed_cpu = -1;
            if (mode == 0)
                raised = sched_setscheduler(0, SCHED_FIFO, &fifo) == 0;
            t0 = now();
            good = sft_spread(0, 2000, MIN, visit, &s) == 4000;
            took = now() - t0;
            threads_after = count_threads();
            if (raised)
                sched_setscheduler(0, SCHED_OTHER, &other);
            for (k = 0; k < 2000; k++)
                good &= s.calls[k] == 1;
            if (mode == 0) {
                ok(good && took < 0.5, "a real-time spinner on a helper's CPU from before the call: done in %.3f s", took);
                if (h.created)
                    pthread_join(h.thread, NULL);
                if (raised)
                    ok(threads_after == 3 && wait_threads(1, 2.0),
                       "the helper that could not start was left behind (%d threads at the return), and ended once it could",
                       threads_after);
                else
                    ok(1, "(SCHED_FIFO 60 refused: the helper may run on the caller's CPU; skipped)");
            } else if (h.running != 1) {
                ok(good, "(no spinner started from the helper's chunk) every index once");
                ok(1, "(skipped)");
                if (h.created)
                    pthread_join(h.thread, NULL);
            } else {
                ok(good && took < 0.5, "a real-time spinner on a helper's CPU from inside its chunk: done in %.3f s", took);
                /* On the spinner's CPU it could go on only while the kernel
                 * throttles the spinner (50 ms a second): early, if then. */
                ok(s.resumed_cpu >= 0 && (s.resumed_cpu != h.cpu || took < 0.2),
                   "the helper stuck there went on on another CPU (%d, the spinner's %d; %.3f s)",
                   s.resumed_cpu, h.cpu, took);
                pthread_join(h.thread, NULL);
            }
        }
    }

    /* sft_spread_alone: this thread's spreads have no helper from then on;
     * another thread's still do. */
    if (ncpus >= 2) {
        pthread_t other;
        int other_threads = 0;

        if (pthread_create(&other, NULL, spread_in_thread, &other_threads) == 0) {
            pthread_join(other, NULL);
            ok(other_threads >= 2, "before sft_spread_alone, another thread's spread has helpers (%d)",
               other_threads);
        } else {
            ok(1, "(no thread: skipped)");
        }
        sft_spread_alone();
        ok(run(&s, 0, 2000) && s.threads == 1, "after sft_spread_alone, this thread spreads alone");
        if (pthread_create(&other, NULL, spread_in_thread, &other_threads) == 0) {
            pthread_join(other, NULL);
            ok(other_threads >= 2, "and another thread's spread still has helpers (%d)", other_threads);
        } else {
            ok(1, "(no thread: skipped)");
        }
    } else {
        ok(1, "(one CPU: skipped)");
        ok(1, "(one CPU: skipped)");
        ok(1, "(one CPU: skipped)");
    }

    /* On one CPU only: no helper at all. */
    for (i = 0; i < CPU_SETSIZE && !CPU_ISSET((unsigned)i, &cpus); i++)
        ;
    CPU_ZERO(&one);
    CPU_SET((unsigned)i, &one);
    if (sched_setaffinity(0, sizeof one, &one) == 0) {
        ok(run(&s, 0, 1000) && s.threads == 1, "allowed one CPU: the caller alone does it all");
        sched_setaffinity(0, sizeof cpus, &cpus);
    } else {
        ok(1, "(cannot pin to one CPU here)");
    }
    return done_testing();
}
