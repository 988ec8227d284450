/* sft_boost.c - see sft_boost.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_boost.h"
#include "sft_crowd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* struct sched_attr of Linux 3.14 (SCHED_ATTR_SIZE_VER0), declared here so
 * as not to depend on the version of the installed headers.  The members
 * this file never names are there for the kernel's layout. */
struct sched_attr0 {
    uint32_t size;
    uint32_t policy;
    uint64_t flags;
    int32_t nice;
    /* cppcheck-suppress unusedStructMember */
    uint32_t priority;
    uint64_t runtime;           /* for SCHED_OTHER: a slice of its own (6.12) */
    /* cppcheck-suppress unusedStructMember */
    uint64_t deadline;
    /* cppcheck-suppress unusedStructMember */
    uint64_t period;
};
/* The only sched_flags given back as read (others need a larger struct). */
#define ATTR_RESET_ON_FORK 0x01ULL
/* The shortest slice Linux grants a SCHED_OTHER thread (NSEC_PER_MSEC/10). */
#define SHORT_SLICE_NS 100000ULL

static int get_attr(struct sched_attr0 *a)
{
#ifdef SYS_sched_getattr
    memset(a, 0, sizeof *a);
    if (syscall(SYS_sched_getattr, 0, a, (unsigned)sizeof *a, 0U) != 0)
        return -1;
    a->size = sizeof *a;
    a->flags &= ATTR_RESET_ON_FORK;
    return 0;
#else
    (void)a;
    errno = ENOSYS;
    return -1;
#endif
}

static int set_attr(const struct sched_attr0 *a)
{
#ifdef SYS_sched_setattr
    return syscall(SYS_sched_setattr, 0, a, 0U) == 0 ? 0 : -1;
#else
    (void)a;
    errno = ENOSYS;
    return -1;
#endif
}

/* See SFT_BOOST_SHORT_RETURN: the thread's attributes as they are (its
 * nice value among them) with the shortest slice, then a sleep, for a
 * fresh request of that slice. */
static void cut_slice(struct sft_boost *b)
{
    struct sched_attr0 a;
    struct timespec us = { 0, 20000 };
    struct rusage before, after;
    int tries;

    if (get_attr(&a) != 0 || a.policy != SCHED_OTHER)
        return;
    b->slice_was = a.runtime;
    b->flags_was = a.flags;
    b->nice_was = a.nice;
    a.runtime = SHORT_SLICE_NS;
    if (set_attr(&a) != 0)
        return;
    b->short_request = 1;
    /* A sleep that ends before the thread has left the CPU is none (1 and
     * 4 us mostly were, here): longer ones until one counts. */
    for (tries = 0; tries < 3; tries++) {
        if (getrusage(RUSAGE_THREAD, &before) != 0)
            break;
        nanosleep(&us, NULL);
        if (getrusage(RUSAGE_THREAD, &after) != 0 || after.ru_nvcsw != before.ru_nvcsw)
            break;
        us.tv_nsec *= 4;
    }
}

/* Undoes cut_slice, and a rise after it: back to SCHED_OTHER with the
 * kernel's own slice (a runtime of 0), then, if sched_getattr does not
 * read the slice the thread had (one of its own choosing), that one.
 * Returns -1 if the first call failed: the policy is then still to put
 * back. */
static int put_back_slice(struct sft_boost *b)
{
    struct sched_attr0 a;

    b->short_request = 0;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.policy = SCHED_OTHER;
    a.flags = b->flags_was;
    a.nice = b->nice_was;
    if (set_attr(&a) != 0)
        return -1;
    if (get_attr(&a) == 0 && a.runtime != b->slice_was) {
        a.runtime = b->slice_was;
        set_attr(&a);
    }
    return 0;
}

/* Puts the thread's policy back (sched_setscheduler leaves its slice as
 * it is). */
static void put_back(struct sft_boost *b)
{
    sched_setscheduler(0, b->policy, &b->saved);
}

int sft_load_now(void)
{
    char buf[128];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), running = 0;
    ssize_t n;
    const char *slash;
    int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return SFT_LOAD_CONTENDED;   /* cannot tell: assume the worst case */
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return SFT_LOAD_CONTENDED;
    buf[n] = 0;
    /* the fourth field is "runnable/total"; the caller is one of them */
    slash = strchr(buf, '/');
    if (!slash)
        return SFT_LOAD_CONTENDED;
    while (slash > buf && slash[-1] >= '0' && slash[-1] <= '9')
        slash--;
    running = atol(slash);
    return cpus <= 0 || running - 1 >= cpus ? SFT_LOAD_CONTENDED : SFT_LOAD_IDLE;
}

static void begin(struct sft_boost *b, int flags, int load)
{
    struct sched_param rt;
    int ours;

    memset(b, 0, sizeof *b);
    memset(&rt, 0, sizeof rt);
    rt.sched_priority = 1;
    b->slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    if (b->slack <= 1 || prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) != 0)
        b->slack = -1;
    b->policy = sched_getscheduler(0);
    if (b->policy < 0 || sched_getparam(0, &b->saved) != 0)
        return;
    /* A caller that chose a policy of its own keeps it. */
    ours = (b->policy & ~SCHED_RESET_ON_FORK) == SCHED_OTHER
           || ((b->policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO && b->saved.sched_priority == 1);
    if (!ours)
        return;
    if (!(flags & SFT_BOOST_IF_CONTENDED)
        || (load == SFT_LOAD_LOOK ? sft_load_now() : load) == SFT_LOAD_CONTENDED) {
        if ((flags & SFT_BOOST_SHORT_RETURN) && (b->policy & ~SCHED_RESET_ON_FORK) == SCHED_OTHER)
            cut_slice(b);
        b->active = sched_setscheduler(0, SCHED_FIFO | ((flags & SFT_BOOST_INHERIT)
                                                        ? 0 : SCHED_RESET_ON_FORK), &rt) == 0;
        if (!b->active && b->short_request)
            put_back_slice(b);   /* no gain without the rise */
    } else if (b->policy != SCHED_OTHER) {
        /* Boosted already (the guard), on an idle machine: normal
         * priority for the time, for the reason above. */
        struct sched_param normal;
        memset(&normal, 0, sizeof normal);
        b->active = sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &normal) == 0;
    }
}

void sft_boost_begin(struct sft_boost *b, int flags)
{
    begin(b, flags, SFT_LOAD_LOOK);
}

void sft_boost_begin_at(struct sft_boost *b, int load)
{
    begin(b, SFT_BOOST_IF_CONTENDED, load);
}

void sft_boost_end(struct sft_boost *b)
{
    sft_boost_end_among(b, NULL, 0);
}

void sft_boost_end_among(struct sft_boost *b, const pid_t *pids, size_t n)
{
    cpu_set_t own;
    int cpu, moved = 0;

    if (b->active && n > 0 && sched_getaffinity(0, sizeof own, &own) == 0
        && CPU_COUNT(&own) > 1
        && (cpu = sft_crowd_least_cpu(pids, n, NULL, &own, sched_getcpu())) >= 0)
        moved = sft_crowd_move(cpu, &own);
    /* With a cut slice, the policy goes back with the slice, in one call. */
    if (b->active && (!b->short_request || put_back_slice(b) != 0))
        put_back(b);
    if (moved)
        sched_setaffinity(0, sizeof own, &own);   /* stays where it is: a CPU of own */
    if (b->slack > 0)
        prctl(PR_SET_TIMERSLACK, (unsigned long)b->slack, 0, 0, 0);
    b->active = 0;
    b->slack = -1;
}

void sft_boost_child_keep(struct sft_boost *b)
{
    struct sched_param rt;

    memset(&rt, 0, sizeof rt);
    rt.sched_priority = 1;
    if (b->active)
        sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt);
    b->active = 0;
}
