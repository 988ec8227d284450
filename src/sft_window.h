/* sft_window.h - one frozen window, from the freeze to the thaw: the
 * guard, the token, the caller's signal state, and the order in which
 * they are set up and torn down.
 */
#ifndef SFT_WINDOW_H
#define SFT_WINDOW_H

#include <signal.h>
#include <sys/types.h>

#include "sft_error.h"
#include "sft_freeze.h"
#include "sft_guard.h"
#include "sft_token.h"

#define SFT_WINDOW_FALLBACK_MAX 64

struct sft_window {
    pid_t owner;                      /* the process that froze */
    struct sft_token token;
    struct sft_guard guard;
    struct sigaction saved_job[3];    /* TSTP, TTIN, TTOU, as they were */
    int thawed;
    /* The freeze found the CPUs contended and rose to SCHED_FIFO: the thaw
     * will wake a crowd (see SFT_BOOST_SHORT_RETURN). */
    int crowded;
    /* ptrace: processes stopped with signals instead (the first ones) */
    pid_t fallback[SFT_WINDOW_FALLBACK_MAX];
    size_t nfallback;
};

/* Freezes the machine into w (zeroed by the caller), unless open, the
 * caller's last window if it has one, is not yet thawed: then it fails at
 * once, as the lock would (SFT_E_LOCKED).  Ignores the
 * job-control stops for the caller, starts the guard, holds the signals
 * that would end the caller while the method runs (the freeze ends when
 * one is pending, and it is delivered on return), and runs the signal or
 * the ptrace method with o (its guard and abort_on are set here).
 * Returns 0 with the window open, or -1 with err set and everything
 * continued, w empty.  stats is filled either way; free it with
 * sft_freeze_stats_free(). */
int sft_window_freeze(struct sft_window *w, const struct sft_window *open, struct sft_freeze_opts *o,
                      double max_frozen, int use_ptrace, struct sft_freeze_stats *stats,
                      struct sft_error *err);

/* Ends the window: continues its processes (through the guard with
 * ptrace) unless the guard did already (max_frozen), releases the guard,
 * closes the pidfds and gives back the job-control dispositions.  Returns
 * 1 if it continued them, 2 if it did so after killing a guard that did
 * not answer (see sft_guard_ptrace_thaw), 0 if the window had been cut
 * short.  In a process forked from the owner it does nothing: the window
 * is the parent's. */
int sft_window_thaw(struct sft_window *w);

/* Frees w: thaws first if the owner never did; a fork()ed copy only
 * closes its copies of the descriptors. */
void sft_window_free(struct sft_window *w);

#endif
