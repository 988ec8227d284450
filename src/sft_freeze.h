/* sft_freeze.h - stop every process that may run, parents first.
 *
 * The freeze reads /proc, orders what it found into passes and, pass by
 * pass, sends SIGSTOP and waits until every THREAD of every process in the
 * pass has stopped (the leader's state alone says nothing of the others).
 * Then it reads /proc again, because processes forked before their parent
 * stopped appear only now, and repeats until a scan finds nothing that
 * runs.  All of it within one time budget.
 *
 * Whatever it sent a SIGSTOP to is in the token before the signal is sent,
 * so on every failure path the core itself continues the whole token and
 * leaves nothing stopped.
 */
#ifndef SFT_FREEZE_H
#define SFT_FREEZE_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include "sft_error.h"
#include "sft_guard.h"
#include "sft_token.h"

struct sft_freeze_opts {
    double timeout;         /* seconds the whole freeze may take          */
    int partial_ok;         /* keep going past processes that won't stop  */
    const pid_t *exclude;   /* never stopped, besides pid 1 and the caller */
    size_t nexclude;
    const pid_t *include;   /* taken in the first round even if their main
                               thread is stopped (by ptrace, with another
                               thread out of reach): the freeze waits for
                               every thread of them                     */
    size_t ninclude;
    const pid_t *held;      /* frozen already by other means (ptrace): not
                               stopped again, and frozen as tracers       */
    size_t nheld;
    const char *procdir;    /* NULL means "/proc"                         */
    int no_pidfd;           /* name processes by start time only (tests)  */
    int tracers;            /* ptrace: threads that seize in parallel; 0:
                               one per CPU, at most SFT_PTRACE_AUTO_TRACERS */
    int unstarted_helpers;  /* tests only: that many of the tracer threads
                               above the first, the last ones, are not
                               started, as when pthread_create fails     */
    const char *guard_program; /* started for the guard (sft_guard.h); NULL:
                               the guard is forked                      */
    struct sft_guard *guard;/* records each process before its stop, and
                               is never stopped; may be NULL             */
    const sigset_t *abort_on; /* signals that end the freeze when pending
                               (the caller blocks them); may be NULL     */
    int load;               /* SFT_LOAD_* (sft_boost.h): the machine as
                               the caller found it before it started the
                               guard; SFT_LOAD_LOOK (0): the freeze looks */
};

#include "sft_scan.h"

/* What the freeze did, for the caller's report; times in seconds.  Free
 * with sft_freeze_stats_free(). */
struct sft_freeze_stats {
    size_t processes;       /* processes in the token                     */
    size_t threads;         /* their threads, when each was confirmed     */
    size_t passes;
    size_t scans;           /* full reads of /proc                        */
    size_t stat_reads;      /* stat and status files read                 */
    size_t nudged;          /* processes run at SCHED_FIFO 1 until they stopped */
    int realtime;           /* the freezer itself ran at SCHED_FIFO 1     */
    struct sft_scan_counts last_scan;  /* what the final scan passed over */
    struct sft_notes counted_frozen;   /* confirmed although not in T:
                                          SFT_R_DSLEEP                    */
    double scan_seconds;    /* reading /proc for new processes            */
    double stop_seconds;    /* sending stops and waiting for them         */
    double seconds;         /* from start to return                       */
};

void sft_freeze_stats_free(struct sft_freeze_stats *stats);

/* Repeated reads of /proc, as both methods make them: each read fills
 * found, is counted in the stats, and says whether a process died during
 * it (a read that saw a death proves nothing: see sft_scan_saw_deaths). */
struct sft_rescan {
    struct sft_proclist found;
    struct sft_proclist zombies, zombies_before;
    struct sft_pidset dead_before;
};

int sft_rescan_init(struct sft_rescan *r);   /* 0, or -1 (ENOMEM) */
void sft_rescan_free(struct sft_rescan *r);

/* Reads procdir once more (see sft_scan); *deaths is set if a process
 * died during the read.  Returns 0, or -1 with err set. */
int sft_rescan_next(struct sft_rescan *r, const char *procdir, const struct sft_pidset *skip,
                    const struct sft_pidset *held, const struct sft_scan_hook *hook,
                    struct sft_freeze_stats *stats, int *deaths, struct sft_error *err);

/* The lowest signal of set that is pending for the caller, or 0. */
int sft_pending_signal(const sigset_t *set);

/* Freezes.  token must be empty; stats may be NULL.
 *
 * Returns 0 with every process of the token stopped: every thread of it in
 * T, in a ptrace stop under a tracer this freeze also stopped, a zombie,
 * or in uninterruptible sleep (D) with the stop pending (it cannot run user
 * code before it stops; such processes are listed in
 * stats->counted_frozen).  With partial_ok, the
 * processes that did not stop in time or could not be signalled are kept in
 * the token and listed as notes in err (whose code stays SFT_OK).
 *
 * Returns -1 with err set (SFT_E_PROC, SFT_E_PROCNS, SFT_E_HIDDEN, SFT_E_NOMEM,
 * SFT_E_INTERRUPTED with the signal in err->err, SFT_E_NOTSTOPPED with a
 * note per process to blame) after continuing every process it sent a
 * SIGSTOP to; the token is then empty.  stats is filled either way. */
int sft_freeze(const struct sft_freeze_opts *opts, struct sft_token *token,
               struct sft_freeze_stats *stats, struct sft_error *err);

#endif
