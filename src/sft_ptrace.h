/* sft_ptrace.h - a freeze that sends no signal: PTRACE_SEIZE and PTRACE_INTERRUPT.
 *
 * Every thread of every process is seized and interrupted into a ptrace
 * stop (state t).  No SIGSTOP: the parent is not told (no SIGCHLD, wait()
 * reports nothing), and the thaw (PTRACE_DETACH) sends no SIGCONT.  New
 * threads and children of seized threads are seized by the kernel
 * (PTRACE_O_TRACECLONE, TRACEFORK, TRACEVFORK), so fork storms converge.
 * The stop needs no order: stops are collected as they come, one
 * waitpid(tid, __WALL) per thread (waitpid(-1) walks every tracee on each
 * call).  A thread in D that was interrupted traps before it returns to
 * user space: it counts as frozen.
 *
 * Ptrace belongs to the tracing thread, so this runs in the guard process,
 * which holds the freeze for the caller; when it exits, the kernel
 * detaches every tracee.  Processes that cannot be seized (already traced,
 * or not permitted) are left to the signal method; their pids are listed.
 *
 * Reading /proc and seizing take a CPU each, and the frozen do not need
 * one: with several CPUs, several threads of the guard seize at once, each
 * the processes whose pid falls in its part (sft_pid_part), each holding
 * what it seized until the thaw.  A child a tracee forks is the tracee of
 * its parent's thread whatever its pid.  Then this thread reads the whole
 * of /proc until nothing runs, as a single tracer would.
 */
#ifndef SFT_PTRACE_H
#define SFT_PTRACE_H

#include <stddef.h>
#include <sys/types.h>
#include "sft_error.h"
#include "sft_freeze.h"
#include "sft_scan.h"
#include "sft_token.h"

/* The default number of tracer threads is one per CPU, up to this. */
#define SFT_PTRACE_AUTO_TRACERS 4
/* The most sft_freeze_opts.tracers may ask for. */
#define SFT_PTRACE_MAX_TRACERS 16

struct sft_tracer_thread;

/* The threads held, to be detached at thaw: the calling thread's, and
 * those of the other tracer threads, which wait to detach their own. */
struct sft_tracees {
    pid_t *tid;
    int *sig;           /* signal it stopped with (re-sent at detach), or 0 */
    size_t n, cap;
    struct sft_tracer_thread **helpers;
    size_t nhelpers;
};

/* Threads held by this thread and every helper. */
size_t sft_tracees_count(const struct sft_tracees *t);

/* Ends the helpers (each detaches its tracees on the way) and frees. */
void sft_tracees_free(struct sft_tracees *t);

/* 0 if this kernel and its Yama policy allow ptrace at all, else -1 with
 * err set (Yama's ptrace_scope 3 forbids every attach). */
int sft_ptrace_allowed(const char *procdir, struct sft_error *err);

/* Seizes and interrupts every process that may run (as sft_scan sees them,
 * skipping pid 1, the caller o->exclude and this process), waiting until
 * every thread is in a ptrace stop or in D with the interrupt pending, and
 * scanning /proc again until nothing new runs.  Seized processes go into
 * token (parents first, in passes), their threads into tracees.  The pids
 * of processes that could not be seized go into unseized: the caller stops
 * them with signals (sft_freeze, with the seized ones excluded).
 * D-sleepers are noted in stats->counted_frozen.  o->tracers threads seize
 * (see above); stats->scans and the times are this thread's.  Returns 0,
 * or -1 with err set (the tracees are then detached). */
int sft_ptrace_freeze(const struct sft_freeze_opts *o, struct sft_token *token,
                      struct sft_tracees *tracees, struct sft_proclist *unseized,
                      struct sft_freeze_stats *stats, struct sft_error *err);

/* Detaches every tracee that is in a ptrace stop, giving back the signal
 * it stopped with; the helpers detach theirs at the same time, and end.
 * Threads that are not (in D with the interrupt pending) are left to the
 * kernel, which detaches them when their tracer thread exits. */
void sft_ptrace_thaw(struct sft_tracees *tracees);

#endif
