/* sft_boost.h - the lowest real-time priority for the freezer, while it
 * stops or continues a machine.
 *
 * A freezer at normal priority competes for the CPU with every process it
 * has not stopped yet: with 1000 busy processes on 2 cores it waited
 * hundreds of milliseconds for each turn, and a freeze took seconds.  At
 * SCHED_FIFO 1 it runs whenever it is not sleeping, and its sleeps are what
 * lets the processes it signalled run into their stop.  SCHED_RESET_ON_FORK
 * keeps any child (the guard) from inheriting the policy: 1000 busy
 * processes that inherited SCHED_FIFO once starved both cores here.
 * Where the caller may not raise its priority (no CAP_SYS_NICE, no
 * RLIMIT_RTPRIO), nothing changes.
 */
#ifndef SFT_BOOST_H
#define SFT_BOOST_H

#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

struct sft_boost {
    int active;
    int policy;
    struct sched_param saved;
    long slack;                 /* timer slack to put back, or -1 */
    int short_request;          /* SFT_BOOST_SHORT_RETURN cut the slice */
    /* what it was, for sched_setattr: the slice (ns), nice, sched_flags */
    unsigned long long slice_was, flags_was;
    int nice_was;
};

/* Raises the calling thread to SCHED_FIFO 1 if it runs at SCHED_OTHER (or
 * already at this boost) and is allowed to; sets b->active if it did.
 * With SFT_BOOST_INHERIT, children forked meanwhile inherit the priority:
 * only for a child of this library, which calls sft_boost_child_keep on
 * its copy of b as soon as it has started. */
#define SFT_BOOST_INHERIT 1
/* With SFT_BOOST_IF_CONTENDED, only when more threads are runnable than
 * there are CPUs (/proc/loadavg): on an idle machine the processes being
 * stopped run best when they may preempt the freezer (measured: 250
 * 8-threaded idle processes froze in 48 ms at normal priority, 91 ms at
 * SCHED_FIFO; a chain of 1000 in 100 and 131 ms). */
#define SFT_BOOST_IF_CONTENDED 2
/* With SFT_BOOST_SHORT_RETURN (a thaw of a crowded machine), a caller at
 * SCHED_OTHER first takes the shortest slice the kernel grants (0.1 ms,
 * Linux 6.12; older kernels ignore it) and sleeps 20 us (again, 4 times
 * longer, up to three sleeps, until getrusage counts one as a voluntary
 * switch: 420 us at most): a thread woken from a sleep holds a fresh
 * request of its slice, where a change of slice alone leaves it the one
 * it was in.  Going back among the processes it
 * woke, it keeps what is left of that short request (the kernel keeps a
 * request across a change of policy), so its virtual deadline comes before
 * nearly all of theirs and it runs next, where at its own slice it waited
 * for each of those whose deadline came first (1000 busy processes on 2
 * cores: up to 1.2 s).  With sft_boost_end_among, 12 thaws each,
 * alternated: medians 124 -> 24 ms, the longest 1023 -> 53 (signals);
 * ptrace 1166 -> 87.  Costs about 0.05 ms.  The slice goes back with the
 * policy, in one call (sched_setattr): the kernel's own, if that gives the
 * one the thread had, else, in a second call, the one it had.  Put back by
 * a call of its own once the thread ran again, it cost the thread its turn
 * (medians of 60-130 ms). */
#define SFT_BOOST_SHORT_RETURN 4
void sft_boost_begin(struct sft_boost *b, int flags);

/* The machine's load, for SFT_BOOST_IF_CONTENDED. */
#define SFT_LOAD_LOOK 0         /* not known: look at it now               */
#define SFT_LOAD_IDLE 1
#define SFT_LOAD_CONTENDED 2

/* SFT_LOAD_CONTENDED when more threads are runnable now than there are
 * CPUs online (/proc/loadavg; the caller not counted), else SFT_LOAD_IDLE. */
int sft_load_now(void);

/* sft_boost_begin with SFT_BOOST_IF_CONTENDED, for the load the freezer
 * found before it started its guard (SFT_LOAD_LOOK: looks now).  Looked
 * at after, the guard's own start counted as load: with one busy process
 * on 2 CPUs every freeze ran at SCHED_FIFO (t/44-priority.t). */
void sft_boost_begin_at(struct sft_boost *b, int load);

/* Also sets the thread's timer slack to 1 nanosecond: the waits for a
 * stop sleep 20 microseconds at first, which the default slack of 50
 * made 70 (a chain of 1000 processes waits 1000 times). */

/* Restores what sft_boost_begin changed; harmless if it changed nothing. */
void sft_boost_end(struct sft_boost *b);

/* The same, after a thaw that woke pids[0..n-1]: first moves the thread to
 * the CPU where fewest of them wait (sft_crowd.h), if it may run there and
 * that is another, and gives it back its own CPUs after. */
void sft_boost_end_among(struct sft_boost *b, const pid_t *pids, size_t n);

/* In a child that inherited a boost: keeps SCHED_FIFO 1 for the rest of its
 * life, but no longer passes it on to children of its own. */
void sft_boost_child_keep(struct sft_boost *b);

#endif
