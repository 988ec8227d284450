/* sft_spread.c - see sft_spread.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_spread.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct spread {
    size_t (*fn)(void *arg, size_t i, size_t j);
    void *arg;
    size_t next;          /* the next index to take (atomic) */
    size_t to;
    size_t sum;           /* what the calls returned (atomic) */
    int policy;           /* the caller's, for its helpers */
    struct sched_param param;
};

/* Set by sft_spread_alone. */
static __thread int alone;

void sft_spread_alone(void)
{
    alone = 1;
}

/* Takes chunks until none is left. */
static void work(struct spread *s)
{
    size_t i, sum = 0;

    while ((i = __atomic_fetch_add(&s->next, SFT_SPREAD_CHUNK, __ATOMIC_RELAXED)) < s->to)
        sum += s->fn(s->arg, i, s->to - i < SFT_SPREAD_CHUNK ? s->to : i + SFT_SPREAD_CHUNK);
    __atomic_fetch_add(&s->sum, sum, __ATOMIC_RELAXED);
}

/* One helper thread.  Its record outlives the call when the helper has
 * not started by the time the work is done: it is then abandoned (the
 * caller does not wait for a thread that a busy machine may not schedule
 * for a second), and frees the record itself when it starts at last. */
enum { H_WAITING, H_WORKING, H_ABANDONED };

struct helper {
    pthread_t thread;
    int state;               /* atomic */
    struct spread *s;        /* valid only while H_WORKING */
};

static void *helper_main(void *arg)
{
    struct helper *h = arg;
    int waiting = H_WAITING;

    if (!__atomic_compare_exchange_n(&h->state, &waiting, H_WORKING, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        free(h);   /* abandoned: the call has returned without it */
        return NULL;
    }
    work(h->s);
    return NULL;
}

/* Starts a helper on cpu at the caller's policy (set at its creation: a
 * helper left at SCHED_OTHER on a busy CPU waited there behind every busy
 * process), or NULL. */
static struct helper *helper_start(struct spread *s, int cpu)
{
    struct helper *h = calloc(1, sizeof *h);
    pthread_attr_t attr;
    cpu_set_t one;
    int started;

    if (!h || pthread_attr_init(&attr) != 0) {
        free(h);
        return NULL;
    }
    h->s = s;
    pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
    CPU_ZERO(&one);
    CPU_SET((unsigned)cpu, &one);
    pthread_attr_setaffinity_np(&attr, sizeof one, &one);
    if ((s->policy & ~SCHED_RESET_ON_FORK) != SCHED_OTHER) {
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, s->policy & ~SCHED_RESET_ON_FORK);
        pthread_attr_setschedparam(&attr, &s->param);
    }
    started = pthread_create(&h->thread, &attr, helper_main, h) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        free(h);
        return NULL;
    }
    return h;
}

/* How many threads may take part: one per CPU the caller may run on. */
static int thread_count(const cpu_set_t *cpus)
{
    int n = CPU_COUNT(cpus);
    return n < 1 ? 1 : n > SFT_SPREAD_MAX_THREADS ? SFT_SPREAD_MAX_THREADS : n;
}

size_t sft_spread(size_t from, size_t to, size_t min, size_t (*fn)(void *arg, size_t i, size_t j),
                  void *arg)
{
    struct spread s;
    struct helper *helpers[SFT_SPREAD_MAX_THREADS - 1];
    cpu_set_t cpus;
    sigset_t all, old;
    int n = 0, wanted, cpu = -1, here = sched_getcpu();

    memset(&s, 0, sizeof s);
    s.fn = fn;
    s.arg = arg;
    s.next = from;
    s.to = to;
    if (to <= from)
        return 0;
    if (alone || to - from < min || sched_getaffinity(0, sizeof cpus, &cpus) != 0
        || (wanted = thread_count(&cpus) - 1) < 1) {
        work(&s);
        return s.sum;
    }
    s.policy = sched_getscheduler(0);
    if (s.policy < 0 || sched_getparam(0, &s.param) != 0)
        s.policy = SCHED_OTHER;
    /* A new thread starts with its creator's mask. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (n < wanted) {
        do
            cpu++;
        while (cpu < CPU_SETSIZE && (!CPU_ISSET((unsigned)cpu, &cpus) || cpu == here));
        if (cpu >= CPU_SETSIZE || !(helpers[n] = helper_start(&s, cpu)))
            break;
        n++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    work(&s);
    while (n-- > 0) {
        struct helper *h = helpers[n];
        int waiting = H_WAITING;

        if (__atomic_compare_exchange_n(&h->state, &waiting, H_ABANDONED, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            pthread_detach(h->thread);   /* h is the helper's to free */
            continue;
        }
        /* Inside a chunk: it may be stuck behind a real-time process of a
         * higher priority on the CPU it was pinned to. */
        pthread_setaffinity_np(h->thread, sizeof cpus, &cpus);
        pthread_join(h->thread, NULL);
        free(h);
    }
    return s.sum;
}
