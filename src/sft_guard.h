/* sft_guard.h - the dead man's switch: nothing stays frozen if the caller dies.
 *
 * Before the first stop, the freeze starts a guard: a small process,
 * double-forked so that it is nobody's child a user's wait() could reap, in
 * a session of its own so that a kill of the caller's process group misses
 * it, and never frozen itself.  It takes the PID namespace's lock and holds
 * it while it lives.  The caller and the guard share one mapping: the
 * caller records each process (pid and start time) there BEFORE it sends
 * the stop.  The guard then waits for one of three things:
 *  - the caller releases it (after thaw): it exits;
 *  - the caller dies (SIGKILL included): it continues every recorded
 *    process that is still the one recorded, last recorded first (children
 *    before parents), and exits;
 *  - max_frozen seconds pass: it continues them all the same, marks the
 *    window as cut short, and waits for release or death.
 * Only system calls run in the guard after fork(): the caller may have
 * other threads, whose locks a child must not touch.
 */
#ifndef SFT_GUARD_H
#define SFT_GUARD_H

#include <stddef.h>
#include <sys/types.h>
#include "sft_error.h"
#include "sft_token.h"

struct sft_freeze_opts;
struct sft_freeze_stats;

struct sft_guard_shared;

struct sft_guard {
    struct sft_guard_shared *shared;
    size_t map_len;
    int release_fd;       /* write end: closing it wakes the guard        */
    int cmd_fd, reply_fd; /* requests to the guard, and its answers       */
    pid_t pid;            /* the guard's pid, for the freeze's skip set    */
    int record_fd;        /* the record for sft_guard_recover, or -1       */
    /* Between sft_guard_launch and sft_guard_arm (shared is NULL then): */
    struct sft_guard_shared *starting;   /* the mapping it arms in         */
    pid_t middle;         /* the process that starts it: to skip, to reap  */
    int ready_fd;         /* its one byte once armed (or its exit)         */
    int from_program;     /* started from the program: may fork instead   */
    double max_frozen;    /* what it was launched with, to fork instead    */
    const char *procdir;
    const struct sft_freeze_opts *ptrace_now;
};

/* Starts the guard; max_frozen 0 means no limit.  procdir is the /proc to
 * read (NULL: "/proc").  program is the guard program to start with
 * posix_spawn (see sft_spawn.h); NULL, or a program that cannot start or
 * belongs to another build: the guard is forked from the caller.  With
 * ptrace_now, the guard starts the ptrace method's freeze as soon as it is
 * armed, and sft_guard_ptrace_freeze only waits for it.  Returns 0, or -1
 * with err set: SFT_E_LOCKED if another freeze holds this PID namespace,
 * SFT_E_GUARD otherwise. */
int sft_guard_start(struct sft_guard *g, double max_frozen, const char *procdir,
                    const char *program, const struct sft_freeze_opts *ptrace_now,
                    struct sft_error *err);

/* sft_guard_start in two halves, so that the caller can read /proc while
 * the guard starts (about 1.2 ms here, most of it the program's exec):
 * sft_guard_launch starts it and returns at once (0, or -1 with err set);
 * sft_guard_arm waits until it is armed, and must have returned 0 before
 * anything is stopped.  Until then g->pid is 0: the guard may show up in a
 * read of /proc as a process like any other, and only g->middle is known.
 * sft_guard_arm returns 0 at once for a guard armed already; on failure
 * (err set as sft_guard_start's) nothing is left of the guard.  procdir
 * and ptrace_now must live until the guard is armed. */
int sft_guard_launch(struct sft_guard *g, double max_frozen, const char *procdir,
                     const char *program, const struct sft_freeze_opts *ptrace_now,
                     struct sft_error *err);
int sft_guard_arm(struct sft_guard *g, struct sft_error *err);
/* Whether sft_guard_arm would return without waiting for the guard: it
 * is armed, or has answered (or failed) since its launch. */
int sft_guard_answered(const struct sft_guard *g);

/* The main of the guard program (src/prog/freezethaw-guard.c). */
int sft_guard_program_main(int argc, char **argv);

/* What sft_guard_recover found and did. */
struct sft_recovery {
    size_t records;       /* records of freezes whose caller and guard died */
    size_t recorded;      /* processes they name                           */
    size_t continued;     /* of those, still the ones stopped: continued   */
    size_t skipped_live;  /* records left alone: their caller still runs   */
};

/* For a freeze whose caller and guard both died (killed together): reads
 * the records such freezes left beside the lock, continues the processes
 * that are still the ones they stopped (pid and start time), puts back
 * any scheduling policy they had changed, and removes the records.
 * Refuses (SFT_E_LOCKED) while a freeze holds the lock.  procdir NULL:
 * "/proc".  Returns 0, or -1 with err set. */
int sft_guard_recover(const char *procdir, struct sft_recovery *out, struct sft_error *err);

/* Records a process the caller is about to stop with the guard.  Returns
 * its index in the record, or -1 if the record is full (the caller must
 * not stop it).  sft_guard_flush then writes entries [from, to) to the
 * file freezethaw --recover reads (nothing for a guard NULL or not
 * armed), in one write: for a group of stops, before the first of them is
 * sent (1000 processes: one write instead of 1000, 1.0 ms here). */
long sft_guard_note(struct sft_guard *g, pid_t pid, unsigned long long starttime);
void sft_guard_flush(struct sft_guard *g, long from, long to);

/* The caller is about to change the scheduling policy of recorded process
 * ix while it runs into its stop (sft_guard_policy(g, ix, its policy
 * now)), or has put it back (SFT_GUARD_POLICY_KEPT): should the caller
 * die between the two, the guard puts the policy back before continuing. */
#define SFT_GUARD_POLICY_KEPT (-1)
void sft_guard_policy(struct sft_guard *g, long ix, int policy);

/* Claims the thaw before the caller continues anything.  Returns 1 if the
 * guard had already continued everything (the window was cut short by
 * max_frozen): the caller must not continue anything itself.  Returns 0:
 * the caller thaws now; should it die before sft_guard_release(), the
 * guard finishes the thaw. */
int sft_guard_begin_thaw(struct sft_guard *g);

/* Ends the guard's watch, after the thaw (or after a failed freeze that
 * continued everything itself); a guard launched and not armed yet is
 * waited for first.  The guard exits on its own and the lock
 * goes with it; g is emptied. */
void sft_guard_release(struct sft_guard *g);

/* The ptrace method: the guard becomes the tracer and freezes (see
 * sft_ptrace.h) with the options given to sft_guard_start as ptrace_now,
 * which it started with; this waits for it.  A signal of o->abort_on
 * pending for the caller ends the freeze.  Fills the
 * token (pids and passes only: the guard holds the processes), the stats,
 * the pids stopped with signals because they could not be seized (at most
 * 64 listed), or err.  On failure the guard has let everything go.  A
 * guard that has not answered 3 seconds after o->timeout is told to give
 * up (SIGUSR1), and killed a second later: the kernel lets go of its
 * tracees, and if it had published its result the processes it stopped
 * with signals are continued from here (if not, they stay stopped). */
int sft_guard_ptrace_freeze(struct sft_guard *g, const struct sft_freeze_opts *o,
                            struct sft_token *token, struct sft_freeze_stats *stats,
                            pid_t *fallback, size_t *nfallback, struct sft_error *err);

/* The ptrace method's thaw, after sft_guard_begin_thaw: the guard
 * continues the signal-stopped processes and detaches every tracee.  A
 * guard that has not answered within 4 seconds is killed (the kernel lets
 * go of its tracees) and the processes of the token that are still the
 * ones frozen are sent SIGCONT from here.  Returns 0, or -1 if it had to. */
int sft_guard_ptrace_thaw(struct sft_guard *g);

/* 1 if the guard froze with ptrace (it holds the processes). */
int sft_guard_is_tracer(const struct sft_guard *g);

/* The guard's pid, for reports. */
static inline pid_t sft_guard_pid(const struct sft_guard *g) { return g->pid; }


#endif
