/* sft_boost.c - see sft_boost.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_boost.h"

#include <string.h>

void sft_boost_begin(struct sft_boost *b, int flags)
{
    struct sched_param rt;
    int ours;

    memset(b, 0, sizeof *b);
    memset(&rt, 0, sizeof rt);
    rt.sched_priority = 1;
    b->policy = sched_getscheduler(0);
    if (b->policy < 0 || sched_getparam(0, &b->saved) != 0)
        return;
    /* A caller that chose a policy of its own keeps it. */
    ours = b->policy == SCHED_OTHER
           || ((b->policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO && b->saved.sched_priority == 1);
    b->active = ours && sched_setscheduler(0, SCHED_FIFO | ((flags & SFT_BOOST_INHERIT)
                                                            ? 0 : SCHED_RESET_ON_FORK), &rt) == 0;
}

void sft_boost_end(struct sft_boost *b)
{
    if (b->active)
        sched_setscheduler(0, b->policy, &b->saved);
    b->active = 0;
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
