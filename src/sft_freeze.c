/* sft_freeze.c - the stop passes, the waits and the rescans. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_freeze.h"
#include "sft_boost.h"
#include "sft_threadlook.h"
#include "sft_cgroup.h"
#include "sft_clock.h"
#include "sft_forking.h"
#include "sft_order.h"
#include "sft_pidfd.h"
#include "sft_pidset.h"
#include "sft_procstat.h"
#include "sft_scan.h"
#include "sft_spread.h"
#include "sft_thaw.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>

/* Sleeps between checks start short (a stop usually lands within
 * microseconds) and double, so a slow process costs few /proc reads. */
#define WAIT_FIRST_US 20
#define WAIT_MAX_US 1000
/* At normal priority (an idle machine: see sft_boost.h) the first waits
 * yield instead: a process sent a stop there has usually stopped by the
 * next read, and a 20 us sleep cost 40-60 us here.  One that has not was
 * woken on another CPU, which it waits for (an idle virtual CPU takes
 * some 30-40 us to wake): there a yield returns at once, and the next
 * reads wait for it.  With 4 of them a chain of 1000 still slept at 70
 * to 430 of its levels; with 16 at 0 to 24 (medians of 11 freezes, 5
 * rounds alternated: 33.8/30.8/26.8/29.6/28.2 -> 30.1/24.3/24.2/24.0/24.0
 * ms).  At SCHED_FIFO only a sleep lets the processes waited for have the
 * CPU. */
#define WAIT_YIELDS 16

/* With partial_ok, once the budget is spent on processes that will not
 * stop, each later group still gets this long: healthy processes stop in
 * microseconds and must not be reported as stubborn for want of a look. */
#define PARTIAL_GRACE_S 0.05

enum { P_RUNNING, P_HALTED, P_HALTED_D, P_HALTED_CG, P_GONE, P_REPLACED };

struct freezer {
    const char *procdir;
    int partial_ok;
    double deadline;
    int expired;               /* partial_ok only: the budget is spent   */
    struct sft_pidset skip;    /* pid 1, the caller, the user's exclusions */
    struct sft_pidset held;    /* every pid in the token                 */
    struct sft_pidmap held_index; /* pid -> its latest entry in the token */
    int use_pidfd;             /* signal through pidfds where possible    */
    int no_nudge;              /* may not change policies: see nudge()   */
    int realtime;              /* runs at SCHED_FIFO: must sleep to wait  */
    size_t pidfds_left;        /* descriptors it may still keep as pidfds */
    struct sft_statfds statfds; /* stat files kept open between reads   */
    struct sft_proclist sighted; /* stopped on sight in the last scan     */
    size_t sight_sent;         /* of them, those whose batch was stopped  */
    int sight_pass_open;       /* the token's last pass holds them        */
    int sight_failed;          /* ENOMEM, EPERM, or -1 (err set): see stop_on_sight */
    struct sft_pidset seen_running; /* running, as read by the last scan  */
    struct sft_pidlist seen;   /* the same, to empty the set              */
    int seen_failed;           /* out of memory for them: no stops on sight */
    struct sft_guard *guard;
    int guard_answered;        /* sft_guard_answered said so: no more polls */
    pid_t guard_middle;        /* skipped until the guard is armed        */
    const sigset_t *abort_on;
    struct sft_pidset cgfrozen;/* held by a frozen cgroup: count as frozen */
    struct sft_pidset held_elsewhere; /* frozen by other means (opts->held) */
    struct sft_cgroup_roots cgroups;
    struct sft_token *token;
    struct sft_freeze_stats *stats;
    struct sft_error *err;
};

/* Where one thread stands. */
enum { T_RUNS, T_HALTED, T_DSLEEP };

/* T_HALTED for a thread that cannot run user code again until continued.
 * A thread in a ptrace stop (t) is held by its tracer, which may resume it
 * at any moment: it counts only if the tracer is a process this freeze
 * stops too, not pid 1, the caller or an excluded one, and not a tracer
 * outside this PID namespace (TracerPid 0).  A thread in uninterruptible
 * sleep (D) is decided for the whole process: see check_halted; one that
 * sleeps inside fork() or clone() runs, for the task it may yet make
 * (sft_forking.h). */
static int thread_class(struct freezer *f, pid_t pid, pid_t tid, char state)
{
    char path[256];
    struct sft_status ss;

    if (state == 'D') {
        snprintf(path, sizeof path, "%s/%ld/task/%ld/syscall", f->procdir, (long)pid, (long)tid);
        f->stats->stat_reads++;
        return sft_task_forking(path, tid) ? T_RUNS : T_DSLEEP;
    }
    if (state != 't')
        return sft_state_is_halted(state) ? T_HALTED : T_RUNS;
    snprintf(path, sizeof path, "%s/%ld/task/%ld/status", f->procdir, (long)pid, (long)tid);
    f->stats->stat_reads++;
    if (sft_status_read(path, &ss) != 0)
        return T_HALTED;   /* the thread is gone */
    /* Held by a tracer that is frozen too, or by this process itself (the
     * guard, freezing with ptrace). */
    if (ss.tracer > 0 && (!sft_pidset_has(&f->skip, ss.tracer) || ss.tracer == getpid()
                          || sft_pidset_has(&f->held_elsewhere, ss.tracer)))
        return T_HALTED;
    return T_RUNS;
}

/* Whether the stop this freeze sent is still to come for the process: the
 * SIGSTOP is pending for it (ShdPnd).  A thread in D then cannot return to
 * user space without stopping first. */
static int stop_pending(struct freezer *f, pid_t pid)
{
    char path[256];
    struct sft_status ss;

    snprintf(path, sizeof path, "%s/%ld/status", f->procdir, (long)pid);
    f->stats->stat_reads++;
    return sft_status_read(path, &ss) == 0 && (ss.shdpnd & (1ULL << (SIGSTOP - 1)));
}

/* Reads every thread but the leader: sets *running (with p->state to its
 * state) at the first that runs, counts those in D and in T. */
static int scan_threads(struct freezer *f, struct sft_proc *p, int *running,
                        int *in_d, int *stopped)
{
    char path[256];
    struct dirent *de;
    DIR *d;

    snprintf(path, sizeof path, "%s/%ld/task", f->procdir, (long)p->pid);
    d = opendir(path);
    if (!d)
        return -1;
    while (!*running && (de = readdir(d)) != NULL) {
        struct sft_stat st;
        long tid = atol(de->d_name);

        if (tid <= 0 || tid == (long)p->pid)    /* the leader: already read */
            continue;
        snprintf(path, sizeof path, "%s/%ld/task/%ld/stat", f->procdir,
                 (long)p->pid, tid);
        f->stats->stat_reads++;
        if (sft_statfds_read(&f->statfds, (pid_t)tid, path, &st) != 0)   /* it has exited */
            continue;
        switch (thread_class(f, p->pid, (pid_t)tid, st.state)) {
        case T_RUNS:   *running = 1; p->state = st.state; break;
        case T_DSLEEP: (*in_d)++; break;
        default:       *stopped += st.state == 'T'; break;
        }
    }
    closedir(d);
    return 0;
}

/* Reads procs[idx[0..n-1]] (n at most SFT_READ_BATCH) into *batch, from a
 * thread per CPU: a look at a group waited for reads it that way first,
 * batch by batch.  0, or -1: too few to spread, no memory for the batch,
 * or a contended machine (each check then reads its own).  There a read
 * made a batch before its check is older news: more processes were seen
 * running and run at SCHED_FIFO (nudged, 1000 busy: 115-312 a freeze
 * against 106-248), and the caller's wait for a CPU after the thaw grew
 * (thaws of 40-311 ms against 1-215). */
struct group_read {
    struct sft_stat_batch leaders;
    int look_of[SFT_READ_BATCH];        /* index in looks, or -1        */
    pid_t look_pids[SFT_READ_BATCH];
    struct sft_thread_look looks[SFT_READ_BATCH];
};

/* Whether the other threads of a process whose leader read st need a
 * look: it has some, and its leader is halted (not in D or t, which
 * check_halted reads more for). */
static int needs_thread_look(const struct sft_proc *p, const struct sft_stat *st)
{
    return st->num_threads > 1 && st->starttime == p->starttime && st->state != 't'
           && sft_state_is_halted(st->state);
}

static int read_batch(struct freezer *f, struct group_read **batch, const struct sft_proc *procs,
                      const size_t *idx, size_t n)
{
    struct group_read *g;
    size_t i, k = 0;

    if (f->realtime || n < SFT_SPREAD_MIN_READS || (!*batch && !(*batch = malloc(sizeof **batch))))
        return -1;
    g = *batch;
    for (i = 0; i < n; i++)
        g->leaders.pids[i] = procs[idx[i]].pid;
    sft_statfds_read_many(&f->statfds, f->procdir, &g->leaders, n);
    f->stats->stat_reads += n;
    /* Then the other threads of those whose leader halted, the same way. */
    for (i = 0; i < n; i++) {
        g->look_of[i] = -1;
        if (g->leaders.err[i] == 0 && needs_thread_look(&procs[idx[i]], &g->leaders.st[i])) {
            g->look_of[i] = (int)k;
            g->look_pids[k++] = procs[idx[i]].pid;
        }
    }
    sft_threads_look_many(&f->statfds, f->procdir, g->look_pids, g->looks, k);
    for (i = 0; i < k; i++)
        f->stats->stat_reads += g->looks[i].reads;
    return 0;
}

/* P_HALTED when no thread of the process can run user code any more;
 * P_HALTED_D when that holds only because threads in D have their stop
 * pending: the SIGSTOP is still queued, or the group stop has begun
 * (another thread already stopped) and they stop on their way out. */
static int check_halted(struct freezer *f, struct sft_proc *p, const struct sft_stat *read,
                        const struct sft_thread_look *look)
{
    struct sft_stat st;
    int running = 0, in_d = 0, stopped = 0;

    if (read) {
        st = *read;   /* read for it already (read_batch) */
    } else {
        char path[256];
        snprintf(path, sizeof path, "%s/%ld/stat", f->procdir, (long)p->pid);
        f->stats->stat_reads++;
        if (sft_statfds_read(&f->statfds, p->pid, path, &st) != 0)
            return P_GONE;
    }
    if (st.starttime != p->starttime)       /* the pid now names another */
        return P_REPLACED;
    /* Dead and not reaped yet: the count of threads still holds the
     * leader's own, so 1 means no thread lives (a leader that exited
     * before its threads shows Z with more). */
    if ((st.state == 'Z' || st.state == 'X') && st.num_threads <= 1)
        return P_GONE;
    p->state = st.state;
    p->nthreads = st.num_threads;
    if (sft_pidset_has(&f->cgfrozen, p->pid))
        return P_HALTED_CG;
    switch (thread_class(f, p->pid, p->pid, st.state)) {
    case T_RUNS:   return P_RUNNING;
    case T_DSLEEP: in_d++; break;
    default:       stopped += st.state == 'T'; break;
    }
    if (st.num_threads > 1 && look && look->done) {
        /* read for it already (read_batch) */
        running = look->running != 0;
        if (running)
            p->state = look->running;
        stopped += (int)look->stopped;
    } else if (st.num_threads > 1 && scan_threads(f, p, &running, &in_d, &stopped) != 0) {
        return P_GONE;
    }
    if (running)
        return P_RUNNING;
    if (!in_d)
        return P_HALTED;
    if (stopped || stop_pending(f, p->pid))
        return P_HALTED_D;
    p->state = 'D';
    return P_RUNNING;
}

/* Whether a process that does not stop is held by a frozen cgroup; asked
 * once per process, and remembered for the rescans. */
static int in_frozen_cgroup(struct freezer *f, struct sft_proc *p)
{
    if (!p->cgroup_checked) {
        p->cgroup_checked = 1;
        sft_cgroup_find_roots(f->procdir, &f->cgroups);
        if (sft_cgroup_frozen(f->procdir, &f->cgroups, p->pid))
            sft_pidset_add(&f->cgfrozen, p->pid);
    }
    return sft_pidset_has(&f->cgfrozen, p->pid);
}

/* Gives up on the processes still running: notes them; fails unless
 * partial_ok, in which case the rest of the freeze only sends signals. */
static int time_out(struct freezer *f, struct sft_proc *procs,
                    const size_t *idx, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const struct sft_proc *p = &procs[idx[i]];
        sft_error_note(f->err, p->pid, p->comm, p->state, SFT_R_TIMEOUT, 0);
    }
    if (!f->partial_ok)
        return sft_error_set(f->err, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
    f->expired = 1;
    return 0;
}

/* A signal of abort_on is pending: the freeze ends (and the caller, once
 * it has unblocked them, gets the signal). */
int sft_pending_signal(const sigset_t *set)
{
    sigset_t pending;
    int sig;

    if (!set || sigpending(&pending) != 0)
        return 0;
    for (sig = 1; sig < 32; sig++)
        if (sigismember(set, sig) == 1 && sigismember(&pending, sig) == 1)
            return sig;
    return 0;
}

static int interrupted(struct freezer *f)
{
    int sig = sft_pending_signal(f->abort_on);

    return sig ? sft_error_set(f->err, SFT_E_INTERRUPTED, sig, "freeze interrupted by a signal") : 0;
}

/* Sends sig to the process the token's latest entry for pid names:
 * through its pidfd where it has one. */
static int send_signal(struct freezer *f, pid_t pid, int sig)
{
    size_t ix;

    if (sft_pidmap_get(&f->held_index, pid, &ix) && f->token->pidfds
        && f->token->pidfds[ix] >= 0)
        return sft_pidfd_signal(f->token->pidfds[ix], sig);
    return kill(pid, sig);
}

/* Makes the token's latest entry for pid name no process: a thaw passes
 * it over. */
static void forget(struct freezer *f, pid_t pid)
{
    size_t ix;

    if (sft_pidmap_get(&f->held_index, pid, &ix))
        sft_token_forget(f->token, ix);
}

/* A process that has not stopped by the first check after its SIGSTOP is
 * waiting for a CPU, behind every process not stopped yet: with 1000 busy
 * processes on 2 cores, a busy parent took 0.1 to 1.8 s to be scheduled
 * into its stop, and its children waited for it (at nice -20 still 40 to
 * 80 ms).  It runs at SCHED_RR 1 until it has stopped, which it does
 * the moment it runs, then gets its own policy back; the guard puts that
 * back should this process die in between.  One that has not stopped
 * within NUDGE_MAX_S is put back too: something else keeps it from
 * stopping (a tracer that swallows its SIGSTOPs, say), and a busy process
 * must not keep a CPU to itself while the freeze waits on.  Round-robin,
 * not FIFO: the freezer, at SCHED_FIFO 1, must get its CPU back to put
 * it back.  A FIFO process that spun never let a freezer of the same
 * priority behind it run again, on one CPU (or with one such process per
 * CPU): the freeze hung past its timeout, and so did the machine (t/26).
 * A round-robin one goes behind it at the end of its time slice (100 ms
 * by default).  Only processes at SCHED_OTHER are touched.  Needs
 * CAP_SYS_NICE: without it the first refusal ends the attempts. */
#define NUDGE_MAX_S 0.002

static void nudge(struct freezer *f, struct sft_proc *p)
{
    struct sched_param rt;
    int old;

    if (p->niced || p->state != 'R' || f->no_nudge)
        return;
    old = sched_getscheduler(p->pid);
    if (old < 0 || (old & ~SCHED_RESET_ON_FORK) != SCHED_OTHER)
        return;
    memset(&rt, 0, sizeof rt);
    rt.sched_priority = 1;
    sft_guard_policy(f->guard, p->guard_ix, old);
    if (sched_setscheduler(p->pid, SCHED_RR | SCHED_RESET_ON_FORK, &rt) != 0) {
        sft_guard_policy(f->guard, p->guard_ix, SFT_GUARD_POLICY_KEPT);
        f->no_nudge = errno == EACCES || errno == EPERM;
        return;
    }
    p->niced = 1;
    p->niced_at = sft_now();
    p->old_policy = old;
    f->stats->nudged++;
}

/* Puts back the policy of a process nudged, unless its pid now names
 * another process. */
static void unnudge(struct freezer *f, struct sft_proc *p, int replaced)
{
    struct sched_param normal;

    if (p->niced != 1)
        return;
    memset(&normal, 0, sizeof normal);
    if (!replaced)
        sched_setscheduler(p->pid, p->old_policy, &normal);
    sft_guard_policy(f->guard, p->guard_ix, SFT_GUARD_POLICY_KEPT);
    p->niced = 2;
}

static int unnudge_all(struct freezer *f, struct sft_proc *procs, const size_t *idx,
                       size_t n, int rc)
{
    size_t i;

    for (i = 0; i < n; i++)
        unnudge(f, &procs[idx[i]], 0);
    return rc;
}

enum { SENT, DENIED, GONE };

/* Before the first stop: the guard, started with the scan, must be armed
 * first (sft_guard.h), and from then on its pid is known.  0, or -1 with
 * f->err set. */
static int arm_guard_first(struct freezer *f)
{
    if (f->guard && !f->guard->shared) {
        if (sft_guard_arm(f->guard, f->err) != 0)
            return -1;
        sft_pidset_del(&f->skip, f->guard_middle);   /* reaped: its pid may name another */
        sft_pidset_add(&f->skip, f->guard->pid);
    }
    return 0;
}

/* Enters p in the token with pidfd fd (or -1), which the token then owns,
 * and notes it with the guard (the caller writes the recovery record).
 * The pidfd names this process from now on, whatever becomes of its pid;
 * it is opened before the stop is sent, and the process enters the token
 * and the guard's record before it too.  0, or -1 with f->err set and p
 * not in the token (never signalled, it must not be continued). */
static int enter_token(struct freezer *f, struct sft_proc *p, int fd)
{
    const char *why = "out of memory";

    if (sft_token_add_known(f->token, p->pid, p->starttime, fd) != 0) {
        if (fd >= 0)
            close(fd);
        return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, why);
    }
    sft_pidset_add(&f->held, p->pid);
    if (sft_pidmap_put(&f->held_index, p->pid, f->token->npids - 1) == 0) {
        p->guard_ix = f->guard ? sft_guard_note(f->guard, p->pid, p->starttime) : -1;
        if (!f->guard || p->guard_ix >= 0)
            return 0;
        why = "the guard's record is full";
    }
    sft_token_drop_last(f->token);   /* closes its pidfd */
    return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, why);
}

/* Sends SIGSTOP to p, which is in the token.  Returns SENT; DENIED (EPERM:
 * noted; it stays in the token, where a SIGCONT to it later is harmless);
 * or GONE (it has exited: its entry is forgotten, for a newcomer may take
 * its pid, and the token handed back names only processes stopped). */
static int deliver_stop(struct freezer *f, struct sft_proc *p)
{
    if (send_signal(f, p->pid, SIGSTOP) == 0)
        return SENT;
    if (errno == EPERM) {
        sft_error_note(f->err, p->pid, p->comm, p->state, SFT_R_EPERM, EPERM);
        return DENIED;
    }
    forget(f, p->pid);
    return GONE;
}

/* The first half of stop_group for processes new to the token: each
 * entered in the token with its pidfd and noted with the guard, and the
 * recovery record written once for them all, before any stop is sent.
 * The pidfds are opened here, in a row: a thaw closes those of each chunk
 * of the token in one close_range where their numbers follow each other
 * (opened from a thread per CPU, 1000 took 1.2 ms instead of 2.5, but the
 * two threads' numbers interleave).  idx keeps those entered; returns how
 * many, or -1 with f->err set (those entered are forgotten: never
 * signalled, they must not be continued). */
static long enter_group(struct freezer *f, struct sft_proc *procs, size_t *idx, size_t n)
{
    size_t i, entered = 0;
    int rc = 0;

    if (arm_guard_first(f) != 0)
        return -1;
    for (i = 0; rc == 0 && i < n; i++) {
        struct sft_proc *p = &procs[idx[i]];
        int fd = -1;

        if (sft_pidset_has(&f->skip, p->pid))
            continue;   /* the guard, read before its pid was known */
        if (f->use_pidfd && f->pidfds_left) {
            fd = sft_pidfd_open(p->pid);
            if (fd < 0 && errno == ESRCH)
                continue;   /* gone since the scan */
            f->pidfds_left -= fd >= 0;
        }
        if ((rc = enter_token(f, p, fd)) == 0)
            idx[entered++] = idx[i];
    }
    if (rc != 0) {
        for (i = 0; i < entered; i++)
            forget(f, procs[idx[i]].pid);
        return -1;
    }
    if (f->guard && entered)
        sft_guard_flush(f->guard, procs[idx[0]].guard_ix, procs[idx[entered - 1]].guard_ix + 1);
    return (long)entered;
}

/* Sends SIGSTOP again to p, which is in the token.  Returns SENT; DENIED;
 * GONE (it exited: its entry is forgotten, as by deliver_stop); or -1
 * with f->err set. */
static int send_stop(struct freezer *f, struct sft_proc *p)
{
    if (arm_guard_first(f) != 0)
        return -1;
    if (sft_pidset_has(&f->skip, p->pid))
        return GONE;   /* the guard, read before its pid was known */
    return deliver_stop(f, p);
}

static int wait_group(struct freezer *f, struct sft_proc *procs, size_t *idx,
                      size_t waiting, int add);

/* Sends SIGSTOP to procs[idx[0..n-1]] (adding each to the token first if
 * add is set) and waits until every thread of each has halted.  idx is
 * reused as the list of processes still waited for. */
static int stop_group(struct freezer *f, struct sft_proc *procs, size_t *idx,
                      size_t n, int add)
{
    size_t i, waiting = 0, denied = 0;

    if (add) {
        long entered = enter_group(f, procs, idx, n);
        if (entered < 0)
            return -1;
        n = (size_t)entered;
    }
    for (i = 0; i < n; i++) {
        int rc = add ? deliver_stop(f, &procs[idx[i]])
                     : send_stop(f, &procs[idx[i]]);
        if (rc < 0)
            return -1;
        if (rc == SENT)
            idx[waiting++] = idx[i];
        denied += rc == DENIED;
    }
    if (denied && !f->partial_ok)
        return sft_error_set(f->err, SFT_E_NOTSTOPPED, EPERM, "unable to stop some processes");
    return wait_group(f, procs, idx, waiting, add);
}

/* Waits until every thread of procs[idx[0..waiting-1]], sent a SIGSTOP,
 * has halted; add: they are new to the token (their threads are counted). */
static int wait_group(struct freezer *f, struct sft_proc *procs, size_t *idx,
                      size_t waiting, int add)
{
    size_t i;
    long delay = WAIT_FIRST_US;
    int yields = 0, rc = 0;
    double until = f->expired ? sft_now() + PARTIAL_GRACE_S : f->deadline;
    struct group_read *batch = NULL;

    /* The stop just sent needs the CPU of its target, which may be ours:
     * a read before letting it run was wasted in a chain of processes
     * (1000 of them: 4000 reads -> 3200, stop phase 20.8 -> 18.2 ms). */
    if (!f->realtime)
        sched_yield();
    while (waiting) {
        size_t still = 0;
        int many = 0;

        for (i = 0; i < waiting; i++) {
            struct sft_proc *p = &procs[idx[i]];
            size_t b = i % SFT_READ_BATCH;
            int r;

            /* idx below i is rewritten as it goes (still <= i); from i on
             * it is as it was */
            if (b == 0)
                many = read_batch(f, &batch, procs, idx + i,
                                  waiting - i < SFT_READ_BATCH ? waiting - i : SFT_READ_BATCH) == 0;
            /* A read that failed is made again: it tells P_GONE as before. */
            r = many && batch->leaders.err[b] == 0
                ? check_halted(f, p, &batch->leaders.st[b],
                               batch->look_of[b] >= 0 ? &batch->looks[batch->look_of[b]] : NULL)
                : check_halted(f, p, NULL, NULL);

            /* Still running after the waits reached their longest sleep,
             * or in D: a frozen cgroup may be holding it. */
            if ((r == P_RUNNING && delay >= WAIT_MAX_US) || r == P_HALTED_D)
                if (in_frozen_cgroup(f, p))
                    r = P_HALTED_CG;
            if (r != P_RUNNING)
                unnudge(f, p, r == P_REPLACED);
            switch (r) {
            case P_RUNNING:
                if (p->niced == 1 && sft_now() - p->niced_at > NUDGE_MAX_S)
                    unnudge(f, p, 0);
                else if (delay > WAIT_FIRST_US)
                    nudge(f, p);
                idx[still++] = idx[i];
                break;
            case P_REPLACED:
                /* The pid was taken by a new process between the scan and
                 * the stop: the stop may have reached it.  Undo that, and
                 * forget the entry; the next scan finds the newcomer. */
                send_signal(f, p->pid, SIGCONT);
                forget(f, p->pid);
                break;
            case P_GONE:
                /* It exited (it was on its way out when its stop came):
                 * nothing to continue, and its pid may come back as a
                 * newcomer's. */
                forget(f, p->pid);
                break;
            case P_HALTED_CG:
                sft_notes_add(&f->stats->counted_frozen, p->pid, p->comm, p->state, SFT_R_CGROUP, 0);
                goto confirmed;
            case P_HALTED_D:
                sft_notes_add(&f->stats->counted_frozen, p->pid, p->comm, 'D', SFT_R_DSLEEP, 0);
                goto confirmed;
            case P_HALTED:
            confirmed:
                if (add)
                    f->stats->threads += (size_t)(p->nthreads > 0 ? p->nthreads : 1);
                break;
            }
        }
        waiting = still;
        if (!waiting)
            break;
        if (interrupted(f)) {
            rc = unnudge_all(f, procs, idx, waiting, -1);
            break;
        }
        if (sft_now() >= until) {
            rc = unnudge_all(f, procs, idx, waiting, time_out(f, procs, idx, waiting));
            break;
        }
        if (!f->realtime && yields < WAIT_YIELDS) {
            yields++;
            sched_yield();
            continue;
        }
        sft_sleep_us(delay);
        if (delay < WAIT_MAX_US)
            delay *= 2;
    }
    free(batch);
    return rc;
}

/* Without partial_ok, a process the caller may not signal makes the
 * freeze fail: find them all with kill(pid, 0), which applies the same
 * permission check as SIGSTOP, before this round stops anything, so that
 * the error names every one of them. */
static size_t count_unsignalable(void *arg, size_t i, size_t j)
{
    const struct sft_proc *procs = arg;
    size_t denied = 0;

    for (; i < j; i++)
        denied += kill(procs[i].pid, 0) != 0 && errno == EPERM;
    return denied;
}

static int refuse_unsignalable(struct freezer *f, const struct sft_proc *procs, size_t n)
{
    size_t i, denied = 0;

    /* Asked from a thread per CPU (10000 processes: 6.2 ms from one), and
     * named one by one only when some are refused. */
    if (f->partial_ok
        || sft_spread(0, n, SFT_SPREAD_MIN_CHECKS, count_unsignalable, (void *)procs) == 0)
        return 0;
    for (i = 0; i < n; i++) {
        if (kill(procs[i].pid, 0) != 0 && errno == EPERM) {
            sft_error_note(f->err, procs[i].pid, procs[i].comm, procs[i].state, SFT_R_EPERM, EPERM);
            denied++;
        }
    }
    if (denied)
        return sft_error_set(f->err, SFT_E_NOTSTOPPED, EPERM, "unable to stop some processes");
    return 0;
}

/* Stops one round: first the held processes that run again (someone
 * continued them; they are in the token already), then the new ones, pass
 * by pass in the order of their parents. */
static int stop_found(struct freezer *f, struct sft_proc *fresh, size_t nfresh,
                      struct sft_proc *again, size_t nagain)
{
    size_t n = (nfresh > nagain ? nfresh : nagain) + 1, *order, *pass_end, i;
    int rc = 0;

    order = malloc(n * sizeof *order);
    pass_end = malloc(n * sizeof *pass_end);
    if (!order || !pass_end) {
        free(order);
        free(pass_end);
        return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }
    for (i = 0; i < nagain; i++)
        order[i] = i;
    if (nagain)
        rc = stop_group(f, again, order, nagain, 0);
    if (rc == 0) {
        long k, passes = sft_order(fresh, nfresh, order, pass_end);
        if (passes < 0)
            rc = sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
        for (k = 0; rc == 0 && k < passes; k++) {
            size_t start = k ? pass_end[k - 1] : 0;
            if (sft_token_new_pass(f->token) != 0)
                rc = sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
            else
                rc = stop_group(f, fresh, order + start, pass_end[k] - start, 1);
        }
    }
    free(order);
    free(pass_end);
    return rc;
}

/* Splits what a scan found: processes new to this freeze are packed at the
 * front of found (returns their count); held ones that run again (someone
 * continued them) are copied to again.  A held process the scan shows in
 * D may have its stop pending: the check tells. */
static size_t split_found(struct freezer *f, struct sft_proclist *found,
                          struct sft_proclist *again)
{
    size_t i, nfresh = 0;

    again->n = 0;
    for (i = 0; i < found->n; i++) {
        struct sft_proc *p = &found->v[i];
        size_t ix;

        if (!sft_pidset_has(&f->held, p->pid)
            || (sft_pidmap_get(&f->held_index, p->pid, &ix)
                && f->token->starttimes[ix] != p->starttime)) {
            /* New to this freeze, or a newcomer under a pid it held. */
            found->v[nfresh++] = *p;
        } else if (check_halted(f, p, NULL, NULL) == P_RUNNING) {
            struct sft_proc *a = sft_proclist_push(again);
            if (!a)
                return (size_t)-1;
            *a = *p;
        }
    }
    return nfresh;
}

static void note_all(struct freezer *f, const struct sft_proc *v, size_t n, int reason)
{
    size_t i;
    for (i = 0; i < n; i++)
        sft_error_note(f->err, v[i].pid, v[i].comm, v[i].state, reason, 0);
}

/* Adds the processes of o->include the scan passed over (their main
 * thread is stopped) to what it found. */
static int add_included(struct freezer *f, const struct sft_freeze_opts *o,
                        struct sft_proclist *found)
{
    size_t i, j;

    for (i = 0; i < o->ninclude; i++) {
        char path[256];
        struct sft_stat st;
        struct sft_proc *p;
        int present;

        present = sft_pidset_has(&f->held, o->include[i]);   /* stopped on sight */
        for (j = 0; j < found->n; j++)
            present |= found->v[j].pid == o->include[i];
        snprintf(path, sizeof path, "%s/%ld/stat", f->procdir, (long)o->include[i]);
        if (present || sft_stat_read(path, &st) != 0)
            continue;
        p = sft_proclist_push(found);
        if (!p)
            return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
        memset(p, 0, sizeof *p);
        p->pid = st.pid;
        p->ppid = st.ppid;
        p->state = st.state;
        p->nthreads = st.num_threads;
        p->starttime = st.starttime;
        memcpy(p->comm, st.comm, sizeof p->comm);
        p->guard_ix = -1;
    }
    return 0;
}

int sft_rescan_init(struct sft_rescan *r)
{
    sft_proclist_init(&r->found);
    sft_proclist_init(&r->zombies);
    sft_proclist_init(&r->zombies_before);
    return sft_pidset_init(&r->dead_before);
}

void sft_rescan_free(struct sft_rescan *r)
{
    sft_proclist_free(&r->found);
    sft_proclist_free(&r->zombies);
    sft_proclist_free(&r->zombies_before);
    sft_pidset_free(&r->dead_before);
}

int sft_rescan_next(struct sft_rescan *r, const char *procdir, const struct sft_pidset *skip,
                    const struct sft_pidset *held, const struct sft_scan_hook *hook,
                    struct sft_freeze_stats *stats, int *deaths, struct sft_error *err)
{
    struct sft_scan_counts counts;
    struct sft_proclist swap;
    double t0 = sft_now();
    int rc = sft_scan_with(procdir, skip, held, &r->found, &r->zombies, &counts, hook, err);

    stats->scan_seconds += sft_now() - t0;
    if (rc != 0)
        return rc;
    stats->scans++;
    stats->stat_reads += counts.seen - counts.skipped - counts.unread - counts.others;
    stats->last_scan = counts;
    *deaths = sft_scan_saw_deaths(&counts, &r->zombies, &r->dead_before, &r->zombies_before);
    swap = r->zombies_before;      /* this read's zombies are the next one's "before" */
    r->zombies_before = r->zombies;
    r->zombies = swap;
    return 0;
}

/* Whether p would be in the first pass of this round: its parent is never
 * stopped (pid 1, the caller, an exclusion), or is not running.  A parent
 * with a lower pid was read earlier in this scan (/proc lists pids in
 * increasing order): if the scan did not find it running, it is dead,
 * exiting or stopped already.  Of a parent with a higher pid nothing is
 * known yet. */
static int first_pass(struct freezer *f, const struct sft_proc *p)
{
    if (sft_pidset_has(&f->skip, p->ppid))
        return 1;
    return p->ppid > 1 && p->ppid < p->pid && !sft_pidset_has(&f->held, p->ppid)
           && !sft_pidset_has(&f->seen_running, p->ppid);
}

/* Forgets what the last scan found running. */
static void forget_seen(struct freezer *f)
{
    size_t i;

    for (i = 0; i < f->seen.n; i++)
        sft_pidset_del(&f->seen_running, f->seen.v[i]);
    f->seen.n = 0;
}

/* The scan's hook: a process of the first pass needs no parent confirmed
 * first, and is stopped on sight: as soon as the batch of reads it came in
 * has been looked at (stop_sighted).  Waiting for the end of the scan let
 * a fork chain (each member forks the next and exits) stay a generation
 * ahead of the freeze round after round.  Those the caller may not signal
 * are left for the round, which names them all. */
static int stop_on_sight(void *ctx, struct sft_proc *p)
{
    struct freezer *f = ctx;
    struct sft_proc *copy;

    if (!f->seen_failed && sft_pidlist_push(&f->seen, p->pid) == 0)
        sft_pidset_add(&f->seen_running, p->pid);
    else
        f->seen_failed = 1;
    /* Before the guard has answered its launch, a stop on sight would wait
     * for it in the middle of the first scan (100 processes: 0.6-0.9 ms of
     * a 5 ms freeze); the round after the scan stops what it leaves. */
    if (f->expired || f->sight_failed || f->seen_failed || !first_pass(f, p)
        || (f->guard && !f->guard_answered && !(f->guard_answered = sft_guard_answered(f->guard)))
        || kill(p->pid, 0) != 0)
        return 0;
    if (!f->sight_pass_open) {
        if (sft_token_new_pass(f->token) != 0) {
            f->sight_failed = ENOMEM;
            return 0;
        }
        f->sight_pass_open = 1;
    }
    copy = sft_proclist_push(&f->sighted);
    if (!copy) {
        f->sight_failed = ENOMEM;
        return 0;
    }
    *copy = *p;
    return 1;
}

/* The scan's other hook, after each batch of reads: the processes taken
 * on sight in it are entered in the token as one group (their pidfds in a
 * row, one write of the recovery record: enter_group) and sent their
 * stops, as the round does with a pass.  Entered and stopped one at a
 * time, each with a write of its own, 1000 of them froze some 2 ms (8%)
 * slower.  Only those sent a stop stay in f->sighted, to be waited for. */
static void stop_sighted(void *ctx)
{
    struct freezer *f = ctx;
    size_t from = f->sight_sent, n = f->sighted.n - from, i, kept = from, *idx;
    long entered;

    if (!n)
        return;
    f->sighted.n = from;   /* refilled below with those sent a stop */
    if (f->sight_failed)
        return;   /* the freeze fails: none of them was stopped */
    if (!(idx = malloc(n * sizeof *idx))) {
        f->sight_failed = ENOMEM;
        return;
    }
    for (i = 0; i < n; i++)
        idx[i] = from + i;
    entered = enter_group(f, f->sighted.v, idx, n);
    if (entered < 0)
        f->sight_failed = -1;   /* err set: no memory, or no guard */
    for (i = 0; i < (size_t)(entered > 0 ? entered : 0); i++) {
        /* idx[i] >= kept: an entry moves down, never over one unread */
        struct sft_proc *p = &f->sighted.v[idx[i]];
        int rc = deliver_stop(f, p);
        if (rc == SENT)
            f->sighted.v[kept++] = *p;
        else if (rc == DENIED && !f->partial_ok)
            f->sight_failed = EPERM;   /* kill(0) passed: it changed credentials since */
    }
    free(idx);
    f->sighted.n = f->sight_sent = kept;
}

/* Waits for the processes stopped on sight in the last scan. */
static int wait_sighted(struct freezer *f)
{
    size_t i, n = f->sighted.n, *idx;
    int rc;

    f->sight_pass_open = 0;
    sft_token_trim(f->token);   /* a pass opened for processes all gone */
    if (f->sight_failed < 0)
        return -1;
    if (f->sight_failed == EPERM)
        return sft_error_set(f->err, SFT_E_NOTSTOPPED, EPERM, "unable to stop some processes");
    if (f->sight_failed)
        return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
    if (!n)
        return 0;
    idx = malloc(n * sizeof *idx);
    if (!idx)
        return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        idx[i] = i;
    rc = wait_group(f, f->sighted.v, idx, n, 1);
    free(idx);
    return rc;
}

static int freeze_loop(struct freezer *f, const struct sft_freeze_opts *o)
{
    struct sft_rescan scans;
    struct sft_proclist again;
    struct sft_proclist *found = &scans.found;
    struct sft_scan_hook hook = { .take = stop_on_sight, .batch_done = stop_sighted, .ctx = f,
                                  .statfds = &f->statfds };
    long rescan_delay = WAIT_FIRST_US;
    int rc = 0;

    if (sft_rescan_init(&scans) != 0) {
        sft_rescan_free(&scans);
        return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }
    sft_proclist_init(&again);
    while (rc == 0) {
        double t0;
        size_t nfresh, sighted;
        int deaths;

        if (interrupted(f)) {
            rc = -1;
            break;
        }
        f->sighted.n = f->sight_sent = 0;
        forget_seen(f);
        rc = sft_rescan_next(&scans, f->procdir, &f->skip, &f->held, &hook, f->stats, &deaths, f->err);
        sighted = f->sighted.n;
        if (rc == 0) {
            t0 = sft_now();
            rc = wait_sighted(f);
            f->stats->stop_seconds += sft_now() - t0;
        } else {
            f->sight_pass_open = 0;
            sft_token_trim(f->token);
        }
        if (rc != 0)
            break;
        if (f->stats->scans == 1 && (rc = add_included(f, o, found)) != 0)
            break;

        nfresh = split_found(f, found, &again);
        if (nfresh == (size_t)-1) {
            rc = sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
            break;
        }
        if (!nfresh && !again.n) {
            if (sighted && !f->expired)
                continue;  /* it stopped some: look again */
            if (!deaths || f->expired || sft_now() >= f->deadline)
                break;     /* nothing left that runs: frozen */
            /* A process died during the scan: look again, after a pause
             * that lets its parent reap it.  Without one, a freezer at
             * real-time priority rescanned in a loop, starved the reaper
             * on its CPU, and saw deaths in every scan for a second. */
            sft_sleep_us(rescan_delay);
            if (rescan_delay < WAIT_MAX_US)
                rescan_delay *= 2;
            continue;
        }
        if (!f->expired && sft_now() >= f->deadline) {
            /* Still finding running processes: a fork storm that outruns
             * the freeze.  Those running now were never stopped. */
            note_all(f, found->v, nfresh, SFT_R_TIMEOUT);
            note_all(f, again.v, again.n, SFT_R_TIMEOUT);
            if (!f->partial_ok) {
                rc = sft_error_set(f->err, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
                break;
            }
            f->expired = 1;
        }
        rc = refuse_unsignalable(f, found->v, nfresh);
        t0 = sft_now();
        if (rc == 0)
            rc = stop_found(f, found->v, nfresh, again.v, again.n);
        f->stats->stop_seconds += sft_now() - t0;
        if (f->expired)
            break;     /* partial_ok: one last round sent its signals */
    }
    sft_proclist_free(&again);
    sft_rescan_free(&scans);
    return rc;
}

void sft_freeze_stats_free(struct sft_freeze_stats *stats)
{
    sft_notes_free(&stats->counted_frozen);
}

int sft_freeze(const struct sft_freeze_opts *o, struct sft_token *token,
               struct sft_freeze_stats *stats, struct sft_error *err)
{
    struct sft_freeze_stats dummy;
    struct freezer f;
    struct sft_boost boost;
    int own_stats = !stats;
    double start = sft_now();
    size_t i;
    int rc;

    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    memset(&f, 0, sizeof f);
    f.procdir = o->procdir ? o->procdir : "/proc";
    if (strlen(f.procdir) > 128)   /* paths under it must fit in 256 bytes */
        return sft_error_set(err, SFT_E_PROC, ENAMETOOLONG, "cannot read /proc");
    f.partial_ok = o->partial_ok;
    f.use_pidfd = !o->no_pidfd;
    f.guard = o->guard;
    f.abort_on = o->abort_on;
    sft_pidmap_init(&f.held_index);
    f.pidfds_left = sft_fd_allowance(f.procdir);
    sft_statfds_init(&f.statfds, f.pidfds_left);
    sft_statfds_open_dir(&f.statfds, f.procdir);
    f.deadline = start + o->timeout;
    f.token = token;
    f.stats = stats;
    f.err = err;

    if (sft_proc_is_ours(f.procdir, err) != 0 || sft_proc_shows_all(f.procdir, err) != 0)
        return -1;
    if (sft_pidset_init(&f.skip) != 0 || sft_pidset_init(&f.held) != 0
        || sft_pidset_init(&f.cgfrozen) != 0 || sft_pidset_init(&f.held_elsewhere) != 0
        || sft_pidset_init(&f.seen_running) != 0) {
        sft_pidset_free(&f.skip);
        sft_pidset_free(&f.held);
        sft_pidset_free(&f.cgfrozen);
        sft_pidset_free(&f.held_elsewhere);
        sft_pidset_free(&f.seen_running);
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }
    sft_pidset_add(&f.skip, 1);
    sft_pidset_add(&f.skip, getpid());
    if (o->guard && o->guard->pid > 0)
        sft_pidset_add(&f.skip, o->guard->pid);
    else if (o->guard && o->guard->middle > 0)
        sft_pidset_add(&f.skip, f.guard_middle = o->guard->middle);   /* starting: see send_stop */
    for (i = 0; i < o->nexclude; i++)
        sft_pidset_add(&f.skip, o->exclude[i]);
    for (i = 0; i < o->nheld; i++) {
        sft_pidset_add(&f.skip, o->held[i]);
        sft_pidset_add(&f.held_elsewhere, o->held[i]);
    }

    sft_boost_begin_at(&boost, o->load);
    f.realtime = stats->realtime = (sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO;
    rc = freeze_loop(&f, o);
    if (rc != 0) {
        /* Every pid that was sent a stop is in the token: continue them
         * all, not only the ones seen stopped (a process in D stops later). */
        struct sft_error ignored;
        sft_error_init(&ignored);
        sft_statfds_free(&f.statfds);   /* the thaw may need descriptors */
        sft_thaw(token, f.procdir, NULL, &ignored);
        sft_error_free(&ignored);
        sft_token_free(token);
    } else {
        sft_token_compact(token);
    }
    sft_boost_end(&boost);
    stats->processes = token->npids;
    stats->passes = token->npasses;
    stats->seconds = sft_now() - start;
    sft_pidset_free(&f.skip);
    sft_pidset_free(&f.held);
    sft_pidset_free(&f.cgfrozen);
    sft_pidset_free(&f.held_elsewhere);
    sft_pidmap_free(&f.held_index);
    sft_statfds_free(&f.statfds);
    sft_proclist_free(&f.sighted);
    sft_pidlist_free(&f.seen);
    sft_pidset_free(&f.seen_running);
    if (own_stats)
        sft_freeze_stats_free(stats);
    return rc;
}
