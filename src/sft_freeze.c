/* sft_freeze.c - the stop passes, the waits and the rescans. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_freeze.h"
#include "sft_clock.h"
#include "sft_order.h"
#include "sft_pidset.h"
#include "sft_procstat.h"
#include "sft_scan.h"
#include "sft_thaw.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sleeps between checks start short (a stop usually lands within
 * microseconds) and double, so a slow process costs few /proc reads. */
#define WAIT_FIRST_US 20
#define WAIT_MAX_US 1000

/* With partial_ok, once the budget is spent on processes that will not
 * stop, each later group still gets this long: healthy processes stop in
 * microseconds and must not be reported as stubborn for want of a look. */
#define PARTIAL_GRACE_S 0.05

enum { P_RUNNING, P_HALTED, P_GONE };

struct freezer {
    const char *procdir;
    int partial_ok;
    double deadline;
    int expired;               /* partial_ok only: the budget is spent   */
    struct sft_pidset skip;    /* pid 1, the caller, the user's exclusions */
    struct sft_pidset held;    /* every pid in the token                 */
    struct sft_token *token;
    struct sft_freeze_stats *stats;
    struct sft_error *err;
};

/* Whether a thread in the given state can no longer run user code.  A
 * thread in a ptrace stop (t) is held by its tracer, which may resume it
 * at any moment: it counts only if the tracer is a process this freeze
 * stops too, not pid 1, the caller or an excluded one, and not a tracer
 * outside this PID namespace (TracerPid 0). */
static int thread_halted(struct freezer *f, pid_t pid, pid_t tid, char state)
{
    char path[256];
    pid_t tracer;

    if (state != 't')
        return sft_state_is_halted(state);
    snprintf(path, sizeof path, "%s/%ld/task/%ld/status", f->procdir, (long)pid, (long)tid);
    if (sft_status_tracer(path, &tracer) != 0)
        return 1;   /* the thread is gone */
    return tracer > 0 && !sft_pidset_has(&f->skip, tracer);
}

/* P_HALTED once no thread of the process other than halted ones is left.
 * p->state is set to the state of the first thread still running. */
static int threads_halted(struct freezer *f, struct sft_proc *p)
{
    char path[256];
    struct dirent *de;
    DIR *d;
    int result = P_HALTED;

    snprintf(path, sizeof path, "%s/%ld/task", f->procdir, (long)p->pid);
    d = opendir(path);
    if (!d)
        return P_GONE;
    while ((de = readdir(d)) != NULL) {
        struct sft_stat st;
        long tid = atol(de->d_name);

        if (tid <= 0 || tid == (long)p->pid)    /* the leader: already read */
            continue;
        snprintf(path, sizeof path, "%s/%ld/task/%ld/stat", f->procdir,
                 (long)p->pid, tid);
        f->stats->stat_reads++;
        if (sft_stat_read(path, &st) != 0)      /* the thread has exited */
            continue;
        if (!thread_halted(f, p->pid, (pid_t)tid, st.state)) {
            p->state = st.state;
            result = P_RUNNING;
            break;
        }
    }
    closedir(d);
    return result;
}

static int check_halted(struct freezer *f, struct sft_proc *p)
{
    char path[256];
    struct sft_stat st;

    snprintf(path, sizeof path, "%s/%ld/stat", f->procdir, (long)p->pid);
    f->stats->stat_reads++;
    if (sft_stat_read(path, &st) != 0)
        return P_GONE;
    if (st.starttime != p->starttime)       /* the pid now names another */
        return P_GONE;
    p->state = st.state;
    p->nthreads = st.num_threads;
    if (!thread_halted(f, p->pid, p->pid, st.state))
        return P_RUNNING;
    if (st.num_threads <= 1)
        return P_HALTED;
    return threads_halted(f, p);
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

/* Sends SIGSTOP to procs[idx[0..n-1]] (adding each to the token first if
 * add is set) and waits until every thread of each has halted.  idx is
 * reused as the list of processes still waited for. */
static int stop_group(struct freezer *f, struct sft_proc *procs, size_t *idx,
                      size_t n, int add)
{
    size_t i, waiting = 0, denied = 0;
    long delay = WAIT_FIRST_US;
    double until = f->expired ? sft_now() + PARTIAL_GRACE_S : f->deadline;

    for (i = 0; i < n; i++) {
        struct sft_proc *p = &procs[idx[i]];

        if (add) {
            if (sft_token_add(f->token, p->pid) != 0)
                return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
            sft_pidset_add(&f->held, p->pid);
        }
        if (kill(p->pid, SIGSTOP) == 0) {
            idx[waiting++] = idx[i];
        } else if (errno == EPERM) {
            /* Kept in the token: a SIGCONT to it later is harmless. */
            sft_error_note(f->err, p->pid, p->comm, p->state, SFT_R_EPERM, EPERM);
            denied++;
        }
        else if (add) {
            /* ESRCH: it exited since the scan and nothing was sent: its pid
             * must not stay in the token, a newcomer may take it. */
            sft_token_drop_last(f->token);
        }
    }
    if (denied && !f->partial_ok)
        return sft_error_set(f->err, SFT_E_NOTSTOPPED, EPERM, "unable to stop some processes");

    while (waiting) {
        size_t still = 0;

        for (i = 0; i < waiting; i++)
            if (check_halted(f, &procs[idx[i]]) == P_RUNNING)
                idx[still++] = idx[i];
        waiting = still;
        if (!waiting)
            break;
        if (sft_now() >= until)
            return time_out(f, procs, idx, waiting);
        sft_sleep_us(delay);
        if (delay < WAIT_MAX_US)
            delay *= 2;
    }
    return 0;
}

/* Without partial_ok, a process the caller may not signal makes the
 * freeze fail: find them all with kill(pid, 0), which applies the same
 * permission check as SIGSTOP, before this round stops anything, so that
 * the error names every one of them. */
static int refuse_unsignalable(struct freezer *f, const struct sft_proclist *found)
{
    size_t i, denied = 0;

    if (f->partial_ok)
        return 0;
    for (i = 0; i < found->n; i++) {
        const struct sft_proc *p = &found->v[i];
        if (kill(p->pid, 0) != 0 && errno == EPERM) {
            sft_error_note(f->err, p->pid, p->comm, p->state, SFT_R_EPERM, EPERM);
            denied++;
        }
    }
    if (denied)
        return sft_error_set(f->err, SFT_E_NOTSTOPPED, EPERM, "unable to stop some processes");
    return 0;
}

/* One round: stops what the scan found, known processes someone else
 * continued first, then the new ones pass by pass. */
static int stop_found(struct freezer *f, struct sft_proclist *found)
{
    size_t *order, *pass_end, nfresh = 0, nknown = 0, i;
    long passes, k;
    int rc = 0;

    order = malloc(found->n * sizeof *order);
    pass_end = malloc(found->n * sizeof *pass_end);
    if (!order || !pass_end) {
        free(order);
        free(pass_end);
        return sft_error_set(f->err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }

    /* Known ones to the end of the list, new ones to the front. */
    for (i = 0; i < found->n; i++)
        if (sft_pidset_has(&f->held, found->v[i].pid))
            order[found->n - ++nknown] = i;
    if (nknown)
        rc = stop_group(f, found->v, order + found->n - nknown, nknown, 0);

    if (rc == 0) {
        struct sft_proc *fresh = found->v;
        for (i = 0; i < found->n; i++)
            if (!sft_pidset_has(&f->held, found->v[i].pid))
                fresh[nfresh++] = found->v[i];
        passes = sft_order(fresh, nfresh, order, pass_end);
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

static int freeze_loop(struct freezer *f)
{
    struct sft_proclist found;
    struct sft_scan_counts counts;
    int rc = 0;

    sft_proclist_init(&found);
    while (rc == 0) {
        rc = sft_scan(f->procdir, &f->skip, &found, &counts, f->err);
        if (rc != 0)
            break;
        f->stats->scans++;
        f->stats->stat_reads += counts.seen - counts.skipped;
        if (!found.n)
            break;     /* nothing left that runs: frozen */
        if (!f->expired && sft_now() >= f->deadline) {
            /* Still finding new running processes: a fork storm that
             * outruns the freeze.  Those running now were never stopped. */
            size_t i;
            for (i = 0; i < found.n; i++)
                sft_error_note(f->err, found.v[i].pid, found.v[i].comm,
                               found.v[i].state, SFT_R_TIMEOUT, 0);
            if (!f->partial_ok) {
                rc = sft_error_set(f->err, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
                break;
            }
            f->expired = 1;
        }
        rc = refuse_unsignalable(f, &found);
        if (rc == 0)
            rc = stop_found(f, &found);
        if (f->expired)
            break;     /* partial_ok: one last round sent its signals */
    }
    sft_proclist_free(&found);
    return rc;
}

int sft_freeze(const struct sft_freeze_opts *o, struct sft_token *token,
               struct sft_freeze_stats *stats, struct sft_error *err)
{
    struct sft_freeze_stats dummy;
    struct freezer f;
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
    f.deadline = start + o->timeout;
    f.token = token;
    f.stats = stats;
    f.err = err;

    if (sft_proc_is_ours(f.procdir, err) != 0)
        return -1;
    if (sft_pidset_init(&f.skip) != 0 || sft_pidset_init(&f.held) != 0) {
        sft_pidset_free(&f.skip);
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }
    sft_pidset_add(&f.skip, 1);
    sft_pidset_add(&f.skip, getpid());
    for (i = 0; i < o->nexclude; i++)
        sft_pidset_add(&f.skip, o->exclude[i]);

    rc = freeze_loop(&f);
    if (rc != 0) {
        /* Every pid that was sent a stop is in the token: continue them
         * all, not only the ones seen stopped (a process in D stops later). */
        struct sft_error ignored;
        sft_error_init(&ignored);
        sft_thaw(token, &ignored);
        sft_error_free(&ignored);
        sft_token_free(token);
    } else {
        sft_token_trim(token);
    }
    stats->processes = token->npids;
    stats->passes = token->npasses;
    stats->seconds = sft_now() - start;
    sft_pidset_free(&f.skip);
    sft_pidset_free(&f.held);
    return rc;
}
