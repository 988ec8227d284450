/* sft_boost.c - see sft_boost.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_boost.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        b->active = sched_setscheduler(0, SCHED_FIFO | ((flags & SFT_BOOST_INHERIT)
                                                        ? 0 : SCHED_RESET_ON_FORK), &rt) == 0;
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
    if (b->active)
        sched_setscheduler(0, b->policy, &b->saved);
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
