/* sft_crowd.c - see sft_crowd.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_crowd.h"
#include "sft_procstat.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int sft_crowd_pick(const unsigned *counts, int ncpus, const cpu_set_t *allowed, int here)
{
    int cpu, best = -1;

    if (here < 0 || here >= ncpus)
        return -1;
    for (cpu = 0; cpu < ncpus; cpu++)
        if (CPU_ISSET((unsigned)cpu, allowed) && (best < 0 || counts[cpu] < counts[best]))
            best = cpu;
    if (best < 0 || best == here || counts[best] * 2 >= counts[here])
        return -1;
    return best;
}

int sft_crowd_least_cpu(const pid_t *pids, size_t n, const char *procdir,
                        const cpu_set_t *allowed, int here)
{
    unsigned counts[CPU_SETSIZE];   /* 4 kB: on the stack, for ithreads thawing at once */
    size_t i, step, seen = 0;

    if (n == 0)
        return -1;
    if (!procdir)
        procdir = "/proc";
    memset(counts, 0, sizeof counts);
    step = n > SFT_CROWD_SAMPLES ? n / SFT_CROWD_SAMPLES : 1;
    for (i = 0; i < n && seen < SFT_CROWD_SAMPLES; i += step) {
        char path[256];
        int cpu;

        snprintf(path, sizeof path, "%s/%ld/stat", procdir, (long)pids[i]);
        if ((cpu = sft_stat_read_cpu(path)) < 0 || cpu >= CPU_SETSIZE)
            continue;
        counts[cpu]++;
        seen++;
    }
    return seen ? sft_crowd_pick(counts, CPU_SETSIZE, allowed, here) : -1;
}

/* The watch of one move. */
struct watch {
    pthread_mutex_t lock;
    pthread_cond_t arrived_cond;
    int arrived;
    pid_t tid;             /* the thread moved */
    cpu_set_t away;        /* its CPUs but the one chosen */
};

static void *watch_main(void *arg)
{
    struct watch *w = arg;
    struct timespec until;
    int late = 0;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += SFT_CROWD_MOVE_WAIT_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->arrived && !late)
        late = pthread_cond_timedwait(&w->arrived_cond, &w->lock, &until) != 0;
    if (!w->arrived)
        sched_setaffinity(w->tid, sizeof w->away, &w->away);   /* not queued behind it for ever */
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int sft_crowd_move(int cpu, const cpu_set_t *own)
{
    struct watch w;
    struct sched_param fifo;
    pthread_condattr_t ca;
    pthread_attr_t attr;
    pthread_t thread;
    sigset_t all, old;
    cpu_set_t one;
    int started;

    memset(&w, 0, sizeof w);
    w.tid = (pid_t)syscall(SYS_gettid);
    w.away = *own;
    CPU_CLR((unsigned)cpu, &w.away);
    if (CPU_COUNT(&w.away) == 0 || pthread_condattr_init(&ca) != 0)
        return 0;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w.arrived_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w.lock, NULL);

    /* The watch runs where the caller was, at its priority (among busy
     * processes at normal priority it would not run in time), and never
     * runs a signal handler of the caller's. */
    memset(&fifo, 0, sizeof fifo);
    fifo.sched_priority = 1;
    started = pthread_attr_init(&attr) == 0;
    if (started) {
        pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
        pthread_attr_setaffinity_np(&attr, sizeof w.away, &w.away);
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &fifo);
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        started = pthread_create(&thread, &attr, watch_main, &w) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
    }
    if (started) {
        CPU_ZERO(&one);
        CPU_SET((unsigned)cpu, &one);
        sched_setaffinity(0, sizeof one, &one);
        pthread_mutex_lock(&w.lock);
        w.arrived = 1;
        pthread_cond_signal(&w.arrived_cond);
        pthread_mutex_unlock(&w.lock);
        pthread_join(thread, NULL);
    }
    pthread_cond_destroy(&w.arrived_cond);
    pthread_mutex_destroy(&w.lock);
    return started;
}
