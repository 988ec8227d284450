/* sft_tracer.c - one tracer thread of the ptrace method: see sft_tracer.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_tracer.h"
#include "sft_boost.h"
#include "sft_clock.h"
#include "sft_forking.h"
#include "sft_grow.h"
#include "sft_procstat.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_FIRST_US 20
#define WAIT_MAX_US 1000
/* A thread that has not trapped is read from /proc (in D, it counts as
 * held) only once a look has collected no stop at all, at least 80 us
 * after its seizure, and again each time its wait has doubled.  Reading
 * every thread not trapped at every look (each 1 ms, at SCHED_FIFO when
 * the CPUs were contended) kept the CPU from the threads it waited for:
 * of 10000 idle processes, collecting the stops took 450 to 630 ms in
 * some freezes instead of 8, and still 140 to 150 ms with the doubling
 * alone (one read for nearly every thread, while they queued for a CPU). */
#define READ_AFTER_US 80
/* And no more than this many in one look: with a tracer thread per CPU
 * at SCHED_FIFO, 10000 idle processes that had not trapped yet for want
 * of a CPU were read 4000-5000 times per tracer thread, which kept the
 * CPU from them again (collecting took 120-200 ms instead of 60). */
#define READS_PER_LOOK 32
#define SEIZE_OPTIONS (PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)

static int nomem(struct tracer *t)
{
    return sft_error_set(t->err, SFT_E_NOMEM, ENOMEM, "out of memory");
}

/* -1 with err set if the freeze must end now: a signal of abort_on is
 * pending, or another tracer thread failed (its error is the one told). */
static int aborted(struct tracer *t)
{
    int sig = sft_pending_signal(t->abort_on);

    if (sig)
        return sft_error_set(t->err, SFT_E_INTERRUPTED, sig, "interrupted");
    if (t->quit && __atomic_load_n(t->quit, __ATOMIC_ACQUIRE))
        return sft_error_set(t->err, SFT_E_INTERRUPTED, 0, "another tracer thread failed");
    return 0;
}

void sft_tracer_quit(struct tracer *t)
{
    if (t->quit)
        __atomic_store_n(t->quit, 1, __ATOMIC_RELEASE);
}

/* Adds a thread, tracee number ix, to the threads whose stop is awaited. */
static int await_thread(struct tracer *t, pid_t tid, pid_t tgid, size_t ix)
{
    int failed;

    t->wait = sft_grow(t->wait, &t->wait_cap, t->nwait, sizeof *t->wait, 256, &failed);
    if (failed)
        return -1;
    t->wait[t->nwait].tid = tid;
    t->wait[t->nwait].tgid = tgid;
    t->wait[t->nwait].tracee = ix;
    t->wait[t->nwait].since = sft_now();
    t->wait[t->nwait].next_read = t->wait[t->nwait].since + READ_AFTER_US * 1e-6;
    t->nwait++;
    return 0;
}

/* Adds a seized thread to tracees and to the threads awaited. */
static int track(struct tracer *t, pid_t tid, pid_t tgid)
{
    struct sft_tracees *tr = t->tracees;

    if (tr->n == tr->cap) {
        size_t cap = tr->cap ? 2 * tr->cap : 256;
        pid_t *v = realloc(tr->tid, cap * sizeof *v);
        int *s;
        if (!v)
            return nomem(t);
        tr->tid = v;
        s = realloc(tr->sig, cap * sizeof *s);
        if (!s)
            return nomem(t);
        tr->sig = s;
        tr->cap = cap;
    }
    tr->tid[tr->n] = tid;
    tr->sig[tr->n] = 0;
    if (sft_pidmap_put(&t->tid_index, tid, tr->n) != 0 || await_thread(t, tid, tgid, tr->n) != 0)
        return nomem(t);
    tr->n++;
    return 0;
}

/* Whether a thread is held by this tracer thread: seized, and not let go
 * since (see let_go); its index in tracees then goes to *ix. */
static int ours_at(const struct tracer *t, pid_t tid, size_t *ix)
{
    return sft_pidmap_get(&t->tid_index, tid, ix) && t->tracees->tid[*ix] != 0;
}

static int ours(const struct tracer *t, pid_t tid)
{
    size_t ix;

    return ours_at(t, tid, &ix);
}

/* Seizes one thread not ours, without stopping it.  Returns 0, or the
 * errno. */
static int attach(struct tracer *t, pid_t tid, pid_t tgid)
{
    if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)SEIZE_OPTIONS) != 0)
        return errno;
    sft_pidset_del(&t->let_go, tid);   /* continued since, and seized again */
    return track(t, tid, tgid) != 0 ? ENOMEM : 0;
}

/* Asks a seized thread to stop.  Returns 0, or the errno. */
static int interrupt(pid_t tid)
{
    return ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 && errno != ESRCH ? errno : 0;
}

/* Seizes one thread and asks it to stop.  Returns 0, or the errno. */
static int seize(struct tracer *t, pid_t tid, pid_t tgid)
{
    int rc;

    if (ours(t, tid))
        return 0;   /* caught by a clone event */
    rc = attach(t, tid, tgid);
    return rc ? rc : interrupt(tid);
}

/* The scan's before_read hook: a process is seized before its stat is
 * read, so that the read tells how many threads it had once held.  One
 * read then with one thread, asleep (S) or stopped (T, t), is in no
 * clone(): every thread it makes from now on is born ours, and its
 * threads need not be counted again after its trap (an fstatat a
 * process, 1 ms of a 1000-process freeze).  Not interrupted here: the
 * seizing loop does it, at SCHED_FIFO.  Returns 1 if seized by this
 * thread, 0 if it is to be read as before (the kernel refused it, it is
 * held or given up already, or the time is up). */
static int seize_before_read(void *ctx, pid_t pid)
{
    struct tracer *t = ctx;

    if (sft_pidset_has(&t->held, pid) || sft_pidset_has(&t->let_go, pid) || sft_now() >= t->deadline)
        return 0;
    if (ours(t, pid))
        return 1;
    if (attach(t, pid, pid) != 0)
        return 0;   /* refused (read, then seize_process asks why) or gone */
    if (sft_pidlist_push(&t->sight_list, pid) != 0)
        interrupt(pid);   /* no room: seized as before, counted after */
    else
        sft_pidset_add(&t->sighted, pid);
    return 1;
}

/* Interrupts what the last scan seized and seize_process did not (it
 * died or exited meanwhile, or was left unread): every thread awaited
 * must have been asked to stop. */
static void interrupt_sighted(struct tracer *t)
{
    size_t i;

    for (i = 0; i < t->sight_list.n; i++)
        if (sft_pidset_has(&t->sighted, t->sight_list.v[i])) {
            sft_pidset_del(&t->sighted, t->sight_list.v[i]);
            interrupt(t->sight_list.v[i]);
        }
    t->sight_list.n = 0;
}

/* Leaves a process to the signal method. */
static int give_up(struct tracer *t, const struct sft_proc *p)
{
    struct sft_proc *u;

    if (sft_pidset_has(&t->gave_up, p->pid))
        return 0;
    u = sft_proclist_push(t->unseized);
    if (!u)
        return nomem(t);
    *u = *p;
    sft_pidset_add(&t->held, p->pid);
    sft_pidset_add(&t->gave_up, p->pid);
    return 0;
}

/* A task's stat, read under the tracer's descriptor of /proc; counted. */
static int read_stat(struct tracer *t, pid_t tid, struct sft_stat *st)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%ld/stat", t->procdir, (long)tid);
    t->stats->stat_reads++;
    return sft_statfds_read(&t->procfiles, tid, path, st);
}

/* Why PTRACE_SEIZE refused a thread (EPERM), read only then. */
enum refusal {
    R_GONE,     /* it died since it was read (a zombie cannot be seized)   */
    R_MINE,     /* this thread's tracee already: a thread or child created
                   by one seized here is its tracer's from birth, before
                   the clone or fork event that tells of it is collected  */
    R_OURS,     /* another thread of this process's: a child forked by a
                   tracee is its parent's tracer's, whichever part its pid
                   is in                                                   */
    R_OTHER     /* traced by someone else, or not ours to trace           */
};

static enum refusal refused(struct tracer *t, pid_t tid, pid_t tgid)
{
    char path[256];
    struct sft_stat st;
    struct sft_status ss;
    struct stat sb;

    if (read_stat(t, tid, &st) != 0)
        return R_GONE;
    /* as sft_scan: a zombie leader whose other threads run is not gone */
    if ((sft_state_is_dead(st.state) || (st.flags & SFT_PF_EXITING))
        && (tid != tgid || st.num_threads <= 1))
        return R_GONE;
    snprintf(path, sizeof path, "%s/%ld/status", t->procdir, (long)tid);
    t->stats->stat_reads++;
    if (sft_status_read(path, &ss) != 0)
        return R_GONE;
    if (ss.tracer <= 0)
        return R_OTHER;
    if (ss.tracer == (pid_t)syscall(SYS_gettid))
        return R_MINE;
    snprintf(path, sizeof path, "%s/%ld/task/%ld", t->procdir, (long)getpid(), (long)ss.tracer);
    return sft_statfds_stat(&t->procfiles, path, &sb) == 0 ? R_OURS : R_OTHER;
}

/* Seizes a thread of the process tgid, not the leader, or adopts it if it
 * is this thread's tracee from birth (its first stop is pending).  Returns
 * 0 if its stop is now awaited, -1 if there is none to await (it is gone,
 * or held by the tracer thread of its creator), or an errno: ENOMEM, or
 * one that leaves the process to signals.  A refusal is no reason to give
 * the process up: in a thread storm, taking a thread that was ours from
 * birth for someone else's left the process to SIGSTOP in 2-4% of the
 * freezes. */
static int seize_thread(struct tracer *t, pid_t tid, pid_t tgid)
{
    int rc = seize(t, tid, tgid);

    if (rc == ESRCH)
        return -1;
    if (rc != EPERM)
        return rc;
    switch (refused(t, tid, tgid)) {
    case R_GONE:
    case R_OURS:
        return -1;
    case R_MINE:   /* not in tid_index: seize() would have said 0 */
        return track(t, tid, tgid) != 0 ? ENOMEM : 0;
    default:
        return EPERM;
    }
}

/* How many threads the process has, from the link count of its task
 * directory (2 + the threads: proc_task_getattr), one fstatat where a
 * listing of the directory cost 6-7 us here; 0 if it cannot be told. */
static long thread_count(struct tracer *t, pid_t pid)
{
    char path[256];
    struct stat sb;

    snprintf(path, sizeof path, "%s/%ld/task", t->procdir, (long)pid);
    if (sft_statfds_stat(&t->procfiles, path, &sb) != 0 || sb.st_nlink < 3)
        return 0;
    return (long)sb.st_nlink - 2;
}

/* Seizes every thread of a process not seized yet: the leader first (if it
 * cannot be seized, neither can the rest: the process is left to signals),
 * then every task listed.  A process the scan read with one thread has
 * only its leader seized (t->lone): recheck counts its threads once the
 * leader has trapped, for one may have been created since the scan, or
 * by a clone() the leader was inside when seized.  Not if the scan seized
 * it before reading it and read it asleep or stopped (t->single: see
 * seize_before_read).  The leader seized by the scan is interrupted
 * here. */
static int seize_process(struct tracer *t, const struct sft_proc *p, int leader_too)
{
    char path[256];
    struct dirent *de;
    DIR *d;
    int rc;

    if (leader_too && sft_pidset_has(&t->sighted, p->pid)) {
        sft_pidset_del(&t->sighted, p->pid);
        rc = interrupt(p->pid);
        if (rc != 0)
            return give_up(t, p);
        if (p->nthreads == 1) {
            sft_pidset_add(p->state == 'S' || p->state == 'T' || p->state == 't' ? &t->single : &t->lone,
                           p->pid);
            return 0;
        }
    } else if (leader_too) {
        rc = seize(t, p->pid, p->pid);
        if (rc == ENOMEM)
            return -1;
        if (rc == EPERM) {
            enum refusal why = refused(t, p->pid, p->pid);
            if (why == R_OURS || why == R_MINE)
                sft_pidset_add(&t->theirs, p->pid);
            if (why != R_OTHER)
                return 0;
        }
        if (rc != 0 && rc != ESRCH)
            return give_up(t, p);
        if (p->nthreads == 1) {
            sft_pidset_add(&t->lone, p->pid);
            return 0;
        }
    }
    snprintf(path, sizeof path, "%s/%ld/task", t->procdir, (long)p->pid);
    d = opendir(path);
    if (!d)
        return 0;   /* gone */
    if (leader_too)
        sft_pidset_add(&t->lone, p->pid);
    while ((de = readdir(d)) != NULL) {
        long tid = atol(de->d_name);
        if (tid <= 0 || tid == (long)p->pid)
            continue;
        sft_pidset_del(&t->lone, p->pid);
        rc = seize_thread(t, (pid_t)tid, p->pid);
        if (rc == ENOMEM) {
            closedir(d);
            return -1;
        }
        if (rc > 0) {
            /* A thread of it is traced by someone else: the process goes
             * to the signal method, which waits for that thread too (the
             * threads seized here stay held until thaw). */
            closedir(d);
            return give_up(t, p);
        }
    }
    closedir(d);
    return 0;
}

static char thread_state(struct tracer *t, pid_t tid)
{
    struct sft_stat st;

    return read_stat(t, tid, &st) == 0 ? st.state : 0;
}

/* Whether a thread in D sleeps inside fork(), clone() or clone3(): see
 * sft_forking.h.  Read only for threads in D. */
static int forking(struct tracer *t, pid_t tid)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%ld/syscall", t->procdir, (long)tid);
    t->stats->stat_reads++;
    return sft_task_forking(path, tid);
}

/* A fork or vfork event: the child is seized by the kernel and will report
 * its own stop; it joins the token in a later pass. */
static int fork_event(struct tracer *t, pid_t parent_tid, int is_process)
{
    unsigned long msg = 0;
    pid_t child;

    if (ptrace(PTRACE_GETEVENTMSG, parent_tid, 0, &msg) != 0)
        return 0;
    child = (pid_t)msg;
    if (ours(t, child))
        return 0;   /* adopted already by seize_thread (a thread) */
    if (track(t, child, is_process ? child : 0) != 0)
        return -1;
    if (is_process) {
        struct sft_stat st;
        struct sft_proc *p = sft_proclist_push(&t->born);
        if (!p)
            return nomem(t);
        memset(p, 0, sizeof *p);
        p->pid = child;
        if (read_stat(t, child, &st) == 0) {
            p->ppid = st.ppid;
            p->starttime = st.starttime;
            memcpy(p->comm, st.comm, sizeof p->comm);
        }
        sft_pidset_add(&t->held, child);
        sft_pidset_add(&t->seized, child);
    }
    return 0;
}

/* A thread whose trap reports a group stop was stopped before we seized
 * it (only a process read before its seizure could be passed over for
 * that): it is let go at once, and stays in T.  The kernel tells its
 * parent nothing, neither of the trap (ours to hear) nor of the return to
 * the stop it was in (no new stop is consumed).  Its process, if this is
 * its leader, is left out of the token; later scans read it, unseized,
 * as stopped (the report's already_stopped), or running again if someone
 * continued it meanwhile (then it is seized as any other). */
static int let_go(struct tracer *t, const struct waiting *w)
{
    ptrace(PTRACE_DETACH, w->tid, 0, 0);
    t->tracees->tid[w->tracee] = 0;   /* not ours to detach at thaw */
    sft_pidset_add(&t->let_go, w->tid);
    if (w->tgid != w->tid)
        return 0;
    /* Read again by the next scan: seized again if it was continued. */
    sft_pidset_del(&t->held, w->tid);
    return sft_pidlist_push(&t->let_go_leaders, w->tid) != 0 ? nomem(t) : 0;
}

/* Collects the stops of every thread awaited, within the time budget. */
static int collect(struct tracer *t)
{
    long delay = WAIT_FIRST_US;
    int stalled = 0;   /* the last look collected nothing */

    while (t->nwait) {
        size_t i, still = 0, collected = 0, reads = 0;
        double look = sft_now();

        for (i = 0; i < t->nwait; i++) {
            struct waiting w = t->wait[i];
            int st = 0, done = 1;
            pid_t r = waitpid(w.tid, &st, __WALL | WNOHANG);

            if (r == 0 && (!stalled || reads >= READS_PER_LOOK || sft_now() < w.next_read)) {
                done = 0;   /* not trapped yet: most trap within microseconds */
            } else if (r == 0) {
                /* Not trapped yet.  In D it traps before user space, but
                 * inside fork() or clone() it may yet make a task that
                 * is not ours: that one is waited for. */
                char s = thread_state(t, w.tid);
                reads++;
                if (s == 'D' && !forking(t, w.tid)) {
                    pid_t tgid = w.tgid ? w.tgid : w.tid;
                    sft_notes_add(&t->stats->counted_frozen, tgid, NULL, 'D', SFT_R_DSLEEP, 0);
                } else if (s) {
                    double now = sft_now();
                    done = 0;
                    w.next_read = now + (now - w.since);
                }
            } else if (r == w.tid && WIFSTOPPED(st)) {
                int ev = st >> 16;
                collected++;
                if (ev == PTRACE_EVENT_STOP && WSTOPSIG(st) != SIGTRAP) {
                    if (let_go(t, &w) != 0)
                        return -1;
                    continue;
                }
                sft_pidset_add(&t->trapped, w.tid);
                if (ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
                    if (fork_event(t, w.tid, ev != PTRACE_EVENT_CLONE) != 0)
                        return -1;
                } else if (ev == 0) {
                    t->tracees->sig[w.tracee] = WSTOPSIG(st);   /* given back at detach */
                }
            } else if (r == w.tid && w.tgid == w.tid) {
                /* The process exited (on its way out when seized): no
                 * place in the token, and its pid may come back as a
                 * newcomer's. */
                sft_pidset_add(&t->died, w.tid);
            }
            /* exited, killed, or no longer ours: nothing to wait for */
            if (!done)
                t->wait[still++] = w;
        }
        stalled = !collected;
        /* fork_event may have appended: keep them */
        if (t->nwait > i) {
            memmove(t->wait + still, t->wait + i, (t->nwait - i) * sizeof *t->wait);
            still += t->nwait - i;
        }
        t->nwait = still;
        if (!t->nwait)
            break;
        if (aborted(t) != 0)
            return -1;
        if (sft_now() >= t->deadline) {
            for (i = 0; i < t->nwait; i++) {
                pid_t who = t->wait[i].tgid ? t->wait[i].tgid : t->wait[i].tid;
                struct sft_stat st;
                /* named by its process's command, in its thread's state */
                int named = read_stat(t, who, &st) == 0;
                char state = who == t->wait[i].tid ? (named ? st.state : 0)
                                                   : thread_state(t, t->wait[i].tid);
                sft_error_note(t->err, who, named ? st.comm : NULL, state, SFT_R_TIMEOUT, 0);
            }
            if (!t->partial_ok)
                return sft_error_set(t->err, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
            t->nwait = 0;
            break;
        }
        /* A look that found nothing sleeps at least as long as it took:
         * the threads it waits for need the CPU to trap, and with a
         * tracer thread per CPU at SCHED_FIFO, looks at 5000 threads
         * each (2-5 ms) with 1 ms sleeps between them left them so
         * little that 10000 processes took 220-280 ms to collect instead
         * of 60, most of it reading threads that had not trapped. */
        {
            long took = (long)((sft_now() - look) * 1e6);
            sft_sleep_us(stalled && took > delay ? took : delay);
        }
        if (delay < WAIT_MAX_US)
            delay *= 2;
    }
    return 0;
}

/* The kernel as the oracle: every thread of the processes seized must be in
 * a ptrace stop, in D with its trap pending, or exiting.  A thread that is
 * not ours is seized; one of ours that runs all the same is interrupted
 * again.  Returns how many threads needed it (0: all held), or -1.
 *
 * A thread is missed only if a thread not seized yet created it after the
 * listing of its process, or its creator was inside clone() when it was
 * seized (the kernel decides whether to report a clone before making the
 * thread); a thread created by a seized one is reported by its clone
 * event.  A process seized as single-threaded (t->lone) whose leader has
 * trapped, so is in no clone() any more, and that has one thread still
 * has no other to create one: it is counted, not listed and read, which
 * saved a listing and a read per process.  One with more is listed, and
 * is no longer lone.  One in t->single is passed over: it had one thread
 * after its seizure, and was in no clone().  A thread other than the
 * leader whose stop collect() has seen is not read: a ptrace stop ends
 * only by a request of its tracer or by death (8-thread processes: 2250
 * reads -> 500).  The leader is read: a thread we do not hold that calls
 * execve() takes over its id. */
static long recheck(struct tracer *t, const struct sft_proc *procs, size_t n)
{
    long redone = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        char path[256];
        struct dirent *de;
        DIR *d;

        if (!sft_pidset_has(&t->held, procs[i].pid) || sft_pidset_has(&t->gave_up, procs[i].pid)
            || sft_pidset_has(&t->theirs, procs[i].pid) || sft_pidset_has(&t->single, procs[i].pid)
            || sft_pidset_has(&t->let_go, procs[i].pid))
            continue;
        if (sft_pidset_has(&t->lone, procs[i].pid)) {
            if (thread_count(t, procs[i].pid) == 1)
                continue;
            sft_pidset_del(&t->lone, procs[i].pid);
        }
        snprintf(path, sizeof path, "%s/%ld/task", t->procdir, (long)procs[i].pid);
        d = opendir(path);
        if (!d)
            continue;
        while ((de = readdir(d)) != NULL) {
            long tid = atol(de->d_name);
            char state;
            size_t ix;

            if (tid <= 0 || (tid != (long)procs[i].pid && sft_pidset_has(&t->trapped, (pid_t)tid)))
                continue;
            state = thread_state(t, (pid_t)tid);
            if (!state || sft_state_is_dead(state))
                continue;
            if (!ours_at(t, (pid_t)tid, &ix)) {
                /* Not ours: seized whatever its state.  One in D has no
                 * trap pending; it runs once it leaves the kernel. */
                int rc = seize_thread(t, (pid_t)tid, procs[i].pid);
                if (rc == ENOMEM || (rc > 0 && give_up(t, &procs[i]) != 0)) {
                    closedir(d);
                    return -1;
                }
                if (rc > 0)
                    break;     /* left to signals */
                if (rc < 0)
                    continue;  /* nothing to wait for */
            } else if (state == 't' || state == 'D' || sft_state_is_halted(state)) {
                continue;      /* ours: held, or its trap comes first */
            } else if (ptrace(PTRACE_INTERRUPT, (pid_t)tid, 0, 0) == 0
                       && await_thread(t, (pid_t)tid, procs[i].pid, ix) != 0) {
                closedir(d);
                return nomem(t);
            }
            redone++;
        }
        closedir(d);
    }
    return redone;
}

static int got_push(struct tracer *t, const struct sft_proc *p)
{
    struct sft_proc *g = sft_proclist_push(&t->got);

    if (!g)
        return nomem(t);
    *g = *p;
    return 0;
}

/* A process interrupted traps on the CPU it slept on, ahead of a tracer
 * thread at normal priority there: when one part interrupted its 500
 * while the other still read, that read took 10-13 ms instead of 6-7. */
void sft_tracer_wait_for_parts(struct tracer *t, double took)
{
    struct sft_tracer_sync *s = t->sync;
    double until = sft_now() + took;

    if (!s)
        return;
    if (until > t->deadline)
        until = t->deadline;
    __atomic_add_fetch(&s->read, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&s->read, __ATOMIC_ACQUIRE) < __atomic_load_n(&s->parts, __ATOMIC_ACQUIRE)
           || __atomic_load_n(&s->parts, __ATOMIC_ACQUIRE) == 0) {
        if (sft_now() >= until || (t->quit && __atomic_load_n(t->quit, __ATOMIC_ACQUIRE)))
            return;
        sft_sleep_us(20);
    }
}

/* Reads /proc (this tracer's part of it), seizes what runs and collects
 * the stops, round after round until a read finds nothing new; with once,
 * one round only.  What it seized goes into t->got. */
int sft_tracer_rounds(struct tracer *t, struct sft_rescan *scans, int once)
{
    struct sft_proclist *fp = &scans->found;
    struct sft_scan_hook hook = { .unread = &t->seized, .statfds = &t->procfiles,
                                  .parts = t->parts, .part = t->part,
                                  .before_read = seize_before_read, .ctx = t };
    long rescan_delay = WAIT_FIRST_US;
    int rc = 0;

    while (rc == 0) {
        struct sft_boost seizing;
        double t0;
        size_t i, nfresh = 0;
        int deaths;

        if (aborted(t) != 0) {
            rc = -1;
            break;
        }
        t0 = sft_now();
        rc = sft_rescan_next(scans, t->procdir, t->skip, &t->held, &hook, t->stats, &deaths, t->err);
        if (rc != 0)
            break;
        if (once)
            sft_tracer_wait_for_parts(t, sft_now() - t0);
        for (i = 0; i < fp->n; i++)
            if (!sft_pidset_has(&t->held, fp->v[i].pid))
                fp->v[nfresh++] = fp->v[i];
        if (!nfresh) {
            interrupt_sighted(t);
            if (once || !deaths || sft_now() >= t->deadline)
                break;
            /* as in sft_freeze.c: let the parent reap it first */
            sft_sleep_us(rescan_delay);
            if (rescan_delay < WAIT_MAX_US)
                rescan_delay *= 2;
            continue;
        }
        if (sft_now() >= t->deadline) {
            /* Seized by the scan before the time ran out: stopped and
             * collected as usual (collect names any that does not trap
             * now).  The others are not seized.  With partial_ok, a
             * part's round leaves them to the read of all /proc that
             * follows, which names them once. */
            size_t nsighted = 0;
            for (i = 0; i < nfresh; i++) {
                if (sft_pidset_has(&t->sighted, fp->v[i].pid))
                    fp->v[nsighted++] = fp->v[i];
                else if (!t->partial_ok || !once)
                    sft_error_note(t->err, fp->v[i].pid, fp->v[i].comm, fp->v[i].state, SFT_R_TIMEOUT, 0);
            }
            if (!t->partial_ok)
                rc = sft_error_set(t->err, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
            if (!t->partial_ok || !nsighted) {
                interrupt_sighted(t);   /* held until the undo, or the thaw */
                break;
            }
            nfresh = nsighted;
        }
        t0 = sft_now();
        /* No parent is told of a ptrace stop: all at once, in any order.
         * At normal priority each thread interrupted took this one's CPU
         * to trap (2 tracer threads: 150-500 preemptions each, a stop
         * phase of 7-8 ms for 500 processes instead of 5.5); at
         * SCHED_FIFO they trap on the CPUs left, or in collect's sleeps. */
        sft_boost_begin(&seizing, 0);
        for (i = 0; rc == 0 && i < nfresh; i++) {
            sft_pidset_add(&t->held, fp->v[i].pid);
            rc = seize_process(t, &fp->v[i], 1);
        }
        interrupt_sighted(t);
        sft_boost_end(&seizing);
        if (rc == 0)
            rc = collect(t);
        /* Threads created before their creator was seized, or that slipped
         * out of their stop: read every thread back until all are held. */
        while (rc == 0) {
            long redone = recheck(t, fp->v, nfresh);
            if (redone <= 0) {
                rc = redone < 0 ? -1 : 0;
                break;
            }
            if (aborted(t) != 0)
                rc = -1;
            else if (sft_now() >= t->deadline && !t->partial_ok)
                rc = sft_error_set(t->err, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
            else if (sft_now() >= t->deadline)
                break;
            else
                rc = collect(t);
        }
        t->stats->stop_seconds += sft_now() - t0;
        /* What this round seized, then the children the fork events
         * caught.  A process born another tracer thread's is that one's. */
        for (i = 0; rc == 0 && i < nfresh; i++)
            if (!sft_pidset_has(&t->gave_up, fp->v[i].pid) && !sft_pidset_has(&t->theirs, fp->v[i].pid)
                && !sft_pidset_has(&t->let_go, fp->v[i].pid) && !sft_pidset_has(&t->died, fp->v[i].pid)) {
                /* Held by us: no later scan needs to read it. */
                sft_pidset_add(&t->seized, fp->v[i].pid);
                rc = got_push(t, &fp->v[i]);
            }
        for (i = 0; rc == 0 && i < t->born.n; i++)
            rc = got_push(t, &t->born.v[i]);
        t->born.n = 0;
        if (once)
            break;
    }
    return rc;
}

void sft_tracer_free(struct tracer *t)
{
    free(t->wait);
    t->wait = NULL;
    sft_statfds_free(&t->procfiles);
    sft_proclist_free(&t->born);
    sft_proclist_free(&t->got);
    sft_pidmap_free(&t->tid_index);
    sft_pidset_free(&t->held);
    sft_pidset_free(&t->gave_up);
    sft_pidset_free(&t->seized);
    sft_pidset_free(&t->lone);
    sft_pidset_free(&t->sighted);
    sft_pidlist_free(&t->sight_list);
    sft_pidset_free(&t->single);
    sft_pidset_free(&t->let_go);
    sft_pidlist_free(&t->let_go_leaders);
    sft_pidset_free(&t->trapped);
    sft_pidset_free(&t->died);
    sft_pidset_free(&t->theirs);
}

/* Sets up t for part of the freeze that like (whose shared fields are set)
 * describes.  Returns 0, or -1 (ENOMEM: t is then freed). */
int sft_tracer_init(struct tracer *t, const struct tracer *like, unsigned part,
                    struct sft_tracees *tracees, struct sft_proclist *unseized,
                    struct sft_freeze_stats *stats, struct sft_error *err)
{
    memset(t, 0, sizeof *t);
    t->procdir = like->procdir;
    t->abort_on = like->abort_on;
    t->partial_ok = like->partial_ok;
    t->deadline = like->deadline;
    t->quit = like->quit;
    t->sync = like->sync;
    t->parts = like->parts;
    t->part = part;
    t->skip = like->skip;
    t->tracees = tracees;
    t->unseized = unseized;
    t->stats = stats;
    t->err = err;
    sft_pidmap_init(&t->tid_index);
    sft_proclist_init(&t->born);
    sft_proclist_init(&t->got);
    sft_statfds_init(&t->procfiles, 0);
    if (sft_pidset_init(&t->held) != 0 || sft_pidset_init(&t->gave_up) != 0
        || sft_pidset_init(&t->seized) != 0 || sft_pidset_init(&t->lone) != 0
        || sft_pidset_init(&t->sighted) != 0 || sft_pidset_init(&t->single) != 0
        || sft_pidset_init(&t->let_go) != 0
        || sft_pidset_init(&t->trapped) != 0 || sft_pidset_init(&t->theirs) != 0
        || sft_pidset_init(&t->died) != 0) {
        sft_tracer_free(t);
        return -1;
    }
    sft_statfds_open_dir(&t->procfiles, t->procdir);
    return 0;
}

/* Detaches, last seized first: children of fork events were seized after
 * their parents.  No parent is told, so order matters only for a vfork
 * parent, which cannot trap before its child is released; it is left to
 * the kernel (it detaches it when its tracer thread exits). */
void sft_tracer_detach(const struct sft_tracees *tracees)
{
    size_t i = tracees->n;

    while (i-- > 0)
        if (tracees->tid[i] > 0)   /* 0: let go already */
            ptrace(PTRACE_DETACH, tracees->tid[i], 0, (void *)(long)tracees->sig[i]);
}

int sft_tracer_adopt(struct tracer *t, const struct tracer *other)
{
    size_t i;

    for (i = 0; i < other->got.n; i++) {
        sft_pidset_add(&t->held, other->got.v[i].pid);
        sft_pidset_add(&t->seized, other->got.v[i].pid);
        if (got_push(t, &other->got.v[i]) != 0)
            return -1;
    }
    for (i = 0; i < other->let_go_leaders.n; i++)
        sft_pidset_add(&t->let_go, other->let_go_leaders.v[i]);
    for (i = 0; i < other->unseized->n; i++) {
        struct sft_proc *u = sft_proclist_push(t->unseized);
        if (!u)
            return nomem(t);
        *u = other->unseized->v[i];
        sft_pidset_add(&t->held, u->pid);
        sft_pidset_add(&t->gave_up, u->pid);
    }
    t->stats->stat_reads += other->stats->stat_reads;
    sft_notes_append(&t->stats->counted_frozen, &other->stats->counted_frozen);
    sft_notes_append(&t->err->notes, &other->err->notes);
    return 0;
}
