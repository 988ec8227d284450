/* sft_spread.h - one loop over many processes, spread over the CPUs.
 *
 * Sending a signal costs about 3 us here, most of it waking the target;
 * from two threads on two CPUs at once, 1000 SIGCONTs took 1.4-1.6 us each
 * of wall time against 2.3-3.2 from one (bench/floor.c, par_sigcont).  The
 * order within one pass of a token does not matter, so its signals may be
 * sent from a thread per CPU.
 *
 * The threads take a few indices at a time from a shared counter: a
 * thread preempted for good (a real-time process of a higher priority
 * continued on its CPU) holds back at most the one chunk it is inside, and
 * the others do the rest.  Helpers start pinned to a CPU other than the
 * caller's (a new thread queues behind its creator otherwise, and the
 * creator runs at SCHED_FIFO), at the caller's scheduling policy from
 * their creation, and block every signal: they must never run a signal
 * handler of the caller (Perl's among them).  When the work is done, a
 * helper that has not started yet is abandoned (it frees its own record
 * and ends when it runs), and one inside a chunk may run on any of the
 * caller's CPUs again before the caller waits for it, so that a helper
 * stuck behind such a process is not waited for on that CPU alone.
 */
#ifndef SFT_SPREAD_H
#define SFT_SPREAD_H

#include <stddef.h>

/* Fewer indices than a job's least (min, below) run in the calling thread
 * alone: a helper costs some tens of microseconds to start and join (a
 * spread of no work 26-33 us here, and a helper woken on an idle CPU
 * starts some 30-40 us late), so the least follows what one index costs. */
#define SFT_SPREAD_MIN_READS 32     /* a stat file opened and read: 5-10 us */
#define SFT_SPREAD_MIN_SIGNALS 64   /* a signal that wakes its target: 2-4 us */
#define SFT_SPREAD_MIN_CHECKS 128   /* kill(pid, 0): under 1 us */
/* The indices a thread takes at once: consecutive, so that what it opened
 * for them (pidfds, mostly numbered in a row) closes in one close_range. */
#define SFT_SPREAD_CHUNK 16
/* At most this many threads, the caller's among them. */
#define SFT_SPREAD_MAX_THREADS 4

/* Calls fn(arg, i, j) for consecutive chunks [i, j) (at most
 * SFT_SPREAD_CHUNK long) that together cover [from, to) once, from the
 * calling thread and, for min indices or more, a helper thread
 * for each other CPU the caller may run on (up to SFT_SPREAD_MAX_THREADS in
 * all); returns when every call has returned, with the sum of what they
 * returned.  A helper that cannot be started leaves its share to the
 * others.  fn must be safe to call from any thread at once with other
 * chunks, and touch nothing of the caller's but what arg gives it. */
size_t sft_spread(size_t from, size_t to, size_t min, size_t (*fn)(void *arg, size_t i, size_t j),
                  void *arg);

/* From now on, this thread's spreads run in it alone, without helpers: for
 * the guard forked from a caller with threads of its own, where a thread
 * started could wait for ever on a lock another thread of the caller held
 * at the fork.  Per thread (not per process): no other thread, and no
 * ithread of a caller, is touched. */
void sft_spread_alone(void);

#endif
