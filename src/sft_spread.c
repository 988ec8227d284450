/* sft_spread.c - see sft_spread.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_spread.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
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

/* Takes chunks until none is left. */
static void work(struct spread *s)
{
    size_t i, sum = 0;

    while ((i = __atomic_fetch_add(&s->next, SFT_SPREAD_CHUNK, __ATOMIC_RELAXED)) < s->to)
        sum += s->fn(s->arg, i, s->to - i < SFT_SPREAD_CHUNK ? s->to : i + SFT_SPREAD_CHUNK);
    __atomic_fetch_add(&s->sum, sum, __ATOMIC_RELAXED);
}

static void *helper_main(void *arg)
{
    struct spread *s = arg;

    /* SCHED_RESET_ON_FORK, set on the caller, left it at SCHED_OTHER. */
    if (s->policy != SCHED_OTHER)
        sched_setscheduler(0, s->policy, &s->param);
    work(s);
    return NULL;
}

/* How many threads may take part: one per CPU the caller may run on. */
static int thread_count(const cpu_set_t *cpus)
{
    int n = CPU_COUNT(cpus);
    return n < 1 ? 1 : n > SFT_SPREAD_MAX_THREADS ? SFT_SPREAD_MAX_THREADS : n;
}

size_t sft_spread(size_t from, size_t to, size_t (*fn)(void *arg, size_t i, size_t j), void *arg)
{
    struct spread s;
    pthread_t helpers[SFT_SPREAD_MAX_THREADS - 1];
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
    if (to - from < SFT_SPREAD_MIN || sched_getaffinity(0, sizeof cpus, &cpus) != 0
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
        pthread_attr_t attr;
        cpu_set_t one;
        int started;

        do
            cpu++;
        while (cpu < CPU_SETSIZE && (!CPU_ISSET((unsigned)cpu, &cpus) || cpu == here));
        if (cpu >= CPU_SETSIZE || pthread_attr_init(&attr) != 0)
            break;
        pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
        CPU_ZERO(&one);
        CPU_SET((unsigned)cpu, &one);
        pthread_attr_setaffinity_np(&attr, sizeof one, &one);
        started = pthread_create(&helpers[n], &attr, helper_main, &s) == 0;
        pthread_attr_destroy(&attr);
        if (!started)
            break;
        n++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    work(&s);
    while (n-- > 0) {
        pthread_setaffinity_np(helpers[n], sizeof cpus, &cpus);
        pthread_join(helpers[n], NULL);
    }
    return s.sum;
}
