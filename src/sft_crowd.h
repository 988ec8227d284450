/* sft_crowd.h - where the processes a thaw woke wait for a CPU.
 *
 * A thaw of a crowded machine ends with the caller going back from
 * SCHED_FIFO to its own policy, among the processes it has just woken.
 * Measured on 2 cores with 1000 busy processes: nearly all of them stopped,
 * and woke again, on one CPU (990 against 10), and a caller put back on
 * that CPU waited 0.7-1.2 s for its turn; on the other, tens of
 * milliseconds.  So the caller looks where a sample of them wait and moves
 * to the CPU with the fewest before it goes back (sft_boost_end_among).
 */
#ifndef SFT_CROWD_H
#define SFT_CROWD_H

#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

/* How many of the processes are looked at: a few microseconds each. */
#define SFT_CROWD_SAMPLES 32

/* The CPU to move to, given how many of the sample wait on each CPU
 * (counts[0..ncpus-1]) and the CPUs the caller may run on: the allowed CPU
 * with the fewest, when it has fewer than half as many as here, the CPU
 * the caller is on; otherwise -1 (stay: a move costs a migration and
 * gains little). */
int sft_crowd_pick(const unsigned *counts, int ncpus, const cpu_set_t *allowed, int here);

/* The same from the processes themselves: reads the CPU of up to
 * SFT_CROWD_SAMPLES of pids[0..n-1], spread over the list, from
 * procdir/PID/stat (NULL: /proc).  -1 when there is nothing to gain or
 * nothing could be read. */
int sft_crowd_least_cpu(const pid_t *pids, size_t n, const char *procdir,
                        const cpu_set_t *allowed, int here);

/* How long a move may take before it is given up.  A process of a higher
 * real-time priority than the caller's that keeps the CPU chosen (the
 * sample cannot see it: its processes are the ones woken) would hold a
 * caller pinned there for as long as it runs (t/51's hog: 15 s). */
#define SFT_CROWD_MOVE_WAIT_NS 2000000L

/* Moves the calling thread (at SCHED_FIFO, allowed to) onto cpu: pins it
 * there, with a watch thread on its other CPUs that, should it not have
 * arrived within SFT_CROWD_MOVE_WAIT_NS, lets it run on every CPU of own
 * but cpu.  Returns 1 if its mask was changed (the caller gives it own
 * back), 0 if nothing was (no other CPU, or no watch could be started). */
int sft_crowd_move(int cpu, const cpu_set_t *own);

#endif
