/* sft_tracer.h - one tracer thread of the ptrace method.
 *
 * A tracer reads its part of /proc (the pids p with sft_pid_part(p, parts)
 * == part), seizes and interrupts every thread of each process there that
 * may run, collects the stops, and reads its part again until nothing new
 * runs (or once only).  It holds what it seized until its thread detaches them
 * or ends.  sft_ptrace.c runs one per CPU, and then one over all of /proc.
 * Internal to the ptrace method.
 */
#ifndef SFT_TRACER_H
#define SFT_TRACER_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include "sft_error.h"
#include "sft_freeze.h"
#include "sft_pidset.h"
#include "sft_ptrace.h"
#include "sft_scan.h"
#include "sft_statfd.h"

/* A thread seized and not yet seen in a ptrace stop. */
struct waiting {
    pid_t tid, tgid;
    size_t tracee;      /* index in tracees */
    double since;       /* awaited from (sft_now) */
    double next_read;   /* not read from /proc before */
};

/* Shared by the tracer threads of one freeze: none interrupts what it
 * seized before every part has been read (sft_tracer_rounds). */
struct sft_tracer_sync {
    int read;       /* parts whose first read of /proc is done            */
    int parts;      /* parts started; 0 until the helpers are             */
};

/* One tracer thread's freeze: what it holds and what it found. */
struct tracer {
    const char *procdir;
    const sigset_t *abort_on;
    int partial_ok;
    double deadline;
    int *quit;                    /* shared: set when any tracer fails   */
    struct sft_tracer_sync *sync; /* shared, or NULL                     */
    unsigned part, parts;         /* reads its part: sft_pid_part()      */
    const struct sft_pidset *skip;/* pid 1, the caller, exclusions, us   */
    struct sft_pidset held;       /* processes seized, or given up on    */
    struct sft_pidset gave_up;    /* processes left to the signal method */
    struct sft_pidset seized;     /* every thread held by us: scans skip them */
    struct sft_pidset lone;       /* seized with no thread but the leader:
                                     recheck counts their threads instead
                                     of listing them */
    struct sft_pidset sighted;    /* seized by the scan just before their
                                     read, not interrupted yet            */
    struct sft_pidlist sight_list;/* the same, in the order seized        */
    struct sft_pidset single;     /* read after their seizure with one
                                     thread, asleep or stopped: no thread
                                     can appear that is not ours, and
                                     recheck passes them over             */
    struct sft_pidset let_go;     /* threads that trapped in a group stop
                                     (stopped before the freeze): let go
                                     at once, left in T, and read as
                                     stopped by later scans               */
    struct sft_pidlist let_go_leaders; /* the processes among them        */
    struct sft_pidmap tid_index;  /* tid -> index in tracees              */
    struct sft_pidset trapped;    /* threads whose ptrace stop was collected:
                                     held until we resume them, which no
                                     freeze does, or until they die       */
    struct sft_pidset theirs;     /* born the tracee of another tracer
                                     thread: its token entry is that one's */
    struct sft_pidset died;       /* processes whose exit was collected
                                     instead of their stop: not in the token */
    struct sft_proclist got;      /* every process seized, children of
                                     fork events after their round's     */
    struct sft_tracees *tracees;
    struct waiting *wait;
    size_t nwait, wait_cap;
    struct sft_proclist born;     /* children caught by fork events      */
    struct sft_statfds procfiles; /* keeps no file: opens under /proc's fd */
    struct sft_proclist *unseized;
    struct sft_freeze_stats *stats;
    struct sft_error *err;
};

/* Sets up t for part of the freeze that like describes (its procdir,
 * abort_on, partial_ok, deadline, quit, sync, parts and skip are shared).
 * Returns 0, or -1 (out of memory; t is then freed). */
int sft_tracer_init(struct tracer *t, const struct tracer *like, unsigned part,
                    struct sft_tracees *tracees, struct sft_proclist *unseized,
                    struct sft_freeze_stats *stats, struct sft_error *err);
void sft_tracer_free(struct tracer *t);

/* Counts this part's first read of /proc (which took took seconds) as
 * done, and waits until every part has done its own, or the quit flag is
 * set, but not longer than that read took, nor past the deadline: a part
 * starved of its CPU does not hold the others back for long. */
void sft_tracer_wait_for_parts(struct tracer *t, double took);

/* Freezes t's part: round after round until a read of /proc finds
 * nothing new, or one round with once.  What it seized goes into t->got,
 * what it could not into t->unseized.  Returns 0, or -1 with t->err set. */
int sft_tracer_rounds(struct tracer *t, struct sft_rescan *scans, int once);

/* Tells every tracer sharing t->quit to stop at its next look. */
void sft_tracer_quit(struct tracer *t);

/* Takes what other found into t: its processes are held (no later read
 * of t's looks at them) and join t->got, its unseized ones t->unseized,
 * its reads and notes t's.  other keeps its tracees.  0, or -1 (ENOMEM). */
int sft_tracer_adopt(struct tracer *t, const struct tracer *other);

/* Detaches tracees (from the thread that seized them), last seized first. */
void sft_tracer_detach(const struct sft_tracees *tracees);

#endif
