/* sft_scan.h - one pass over /proc: the processes that may still run.
 *
 * A process is taken unless it is in the skip set (pid 1, the caller, the
 * user's exclusions, what this freeze already holds), is a kernel thread
 * (PF_KTHREAD; not "vsize and rss are 0", which zombies share), or is
 * halted: stopped (T/t), a zombie or dead, or exiting (PF_EXITING).  A zombie leader whose other
 * threads still run (it called pthread_exit) is NOT halted: num_threads
 * counts its live threads, and it is taken.
 */
#ifndef SFT_SCAN_H
#define SFT_SCAN_H

#include <stddef.h>
#include <sys/types.h>
#include "sft_error.h"
#include "sft_pidset.h"
#include "sft_statfd.h"

struct sft_proc {
    pid_t pid, ppid;
    char state;                   /* as last read                     */
    long nthreads;
    unsigned long long starttime; /* identifies the process: see stat */
    char cgroup_checked;          /* the freeze asked sft_cgroup once */
    char niced;                   /* 1: runs at SCHED_FIFO until stopped;
                                     2: did, and was put back         */
    int old_policy;               /* what to put back then            */
    double niced_at;
    long guard_ix;                /* its entry in the guard's record, or -1 */
    char comm[SFT_COMM_MAX];
};

struct sft_proclist {
    struct sft_proc *v;
    size_t n, cap;
};

/* What a scan passed over, for the caller's report. */
struct sft_scan_counts {
    size_t seen;      /* numeric entries of /proc                  */
    size_t skipped;   /* in the skip set                           */
    size_t kthreads;  /* kernel threads                            */
    size_t held;      /* in the held set and stopped (T/t)         */
    size_t stopped;   /* stopped or traced by someone else (T/t)   */
    size_t zombies;   /* zombies and dead processes                */
    size_t vanished;  /* gone between readdir and reading its stat */
    size_t unread;    /* of held: passed over unread (hook->unread) */
    size_t others;    /* left unread to another part (hook->parts)  */
};

void sft_proclist_init(struct sft_proclist *l);
void sft_proclist_free(struct sft_proclist *l);

/* Appends an uninitialised entry; NULL when memory runs out. */
struct sft_proc *sft_proclist_push(struct sft_proclist *l);

/* Checks that procdir is a procfs of the caller's own PID namespace: its
 * "self" link must name getpid().  A /proc of another namespace (the host's
 * seen from a container, or the one under an unmounted /proc) lists other
 * processes under pids that mean different processes here, so every pid
 * read from it would signal a stranger.  Returns 0, or -1 with err set:
 * SFT_E_PROC if procdir/self cannot be read, SFT_E_PROCNS if it names
 * another pid. */
int sft_proc_is_ours(const char *procdir, struct sft_error *err);

/* Checks that procdir shows this caller every process: a procfs mounted
 * with hidepid (other than off/0) hides the processes of other users from
 * a caller that is not root and not in the mount's gid= group, and a freeze
 * that trusted the listing would leave them running.  Returns 0, or -1
 * with err set to SFT_E_HIDDEN. */
int sft_proc_shows_all(const char *procdir, struct sft_error *err);

/* Empties out and fills it with the processes of procdir (normally
 * "/proc") that may still run.  held (may be NULL) holds the pids the
 * caller stopped itself: only counted apart from the ones stopped by
 * someone else.  zombies (may be NULL) is emptied and receives the zombie
 * and dead processes seen.  counts may be NULL.  Returns 0, or -1 with err
 * set: SFT_E_PROC if procdir cannot be read, SFT_E_HIDDEN if the stat file
 * of a listed process cannot be read (permission denied: it is hidden from
 * this caller; the notes name it), SFT_E_NOMEM. */
int sft_scan(const char *procdir, const struct sft_pidset *skip,
             const struct sft_pidset *held, struct sft_proclist *out,
             struct sft_proclist *zombies, struct sft_scan_counts *counts,
             struct sft_error *err);

/* sft_scan, offering each running process not in held to take(ctx, p) the
 * moment it is read: a process taken (take returns 1) is left out of out.
 * The freeze stops there, on sight, what may be stopped at once. */
struct sft_scan_hook {
    int (*take)(void *ctx, struct sft_proc *p);   /* may be NULL */
    /* Called after each batch of processes read has been looked at, and
     * once more at the end of a scan that did not fail (may be NULL): the
     * processes taken in it may be acted on together. */
    void (*batch_done)(void *ctx);
    void *ctx;
    /* Processes held so that they cannot run, nor fork or die unnoticed
     * (seized with ptrace): passed over unread, counted as held. */
    const struct sft_pidset *unread;
    /* Stat files kept open between scans (may be NULL). */
    struct sft_statfds *statfds;
    /* With parts above 1, only the pids p with sft_pid_part(p, parts) ==
     * part are read; the rest are another reader's (the ptrace method's
     * tracer threads). */
    unsigned parts, part;
    /* Offered each pid just before its read (may be NULL).  Returning 1
     * says the caller holds it now (the ptrace method seized it there):
     * its read then lists it whatever its stop (T or t), which is the
     * caller's to tell apart. */
    int (*before_read)(void *ctx, pid_t pid);
};
int sft_scan_with(const char *procdir, const struct sft_pidset *skip,
                  const struct sft_pidset *held, struct sft_proclist *out,
                  struct sft_proclist *zombies, struct sft_scan_counts *counts,
                  const struct sft_scan_hook *hook, struct sft_error *err);

/* Whether a process may have died during the scan just made: the listing
 * of /proc is read first and each stat after, so a process listed while it
 * ran may fork and exit before its stat is read, and its child, born after
 * the listing, is not seen.  Such a scan proves nothing: one that saw a
 * process vanish, or a zombie the previous scan did not see, must be
 * repeated.  dead_before holds the previous scan's zombies (listed in
 * dead_list) and is updated to this scan's. */
int sft_scan_saw_deaths(const struct sft_scan_counts *counts,
                        const struct sft_proclist *zombies, struct sft_pidset *dead_before,
                        const struct sft_proclist *dead_list);

#endif
