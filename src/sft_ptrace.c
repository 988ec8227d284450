/* sft_ptrace.c - the ptrace method: a tracer thread per CPU, the token, the thaw. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_ptrace.h"
#include "sft_boost.h"
#include "sft_clock.h"
#include "sft_order.h"
#include "sft_tracer.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void end_helpers(struct sft_tracees *t);

void sft_tracees_free(struct sft_tracees *t)
{
    end_helpers(t);
    free(t->tid);
    free(t->sig);
    memset(t, 0, sizeof *t);
}

int sft_ptrace_allowed(const char *procdir, struct sft_error *err)
{
    char path[256], buf[16] = "";
    FILE *f;

    (void)procdir;
    snprintf(path, sizeof path, "/proc/sys/kernel/yama/ptrace_scope");
    f = fopen(path, "re");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
    }
    if (atoi(buf) >= 3)
        return sft_error_set(err, SFT_E_PTRACE, EPERM,
                             "ptrace is not allowed on this machine (kernel.yama.ptrace_scope = 3)");
    return 0;
}

/* Appends procs as passes of the token, parents first. */
static int add_passes(struct sft_token *token, const struct sft_proc *procs, size_t n, struct sft_error *err)
{
    size_t *order = malloc((n + 1) * sizeof *order), *pass_end = malloc((n + 1) * sizeof *pass_end);
    long k, passes;
    int rc = 0;

    if (!order || !pass_end) {
        free(order);
        free(pass_end);
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }
    passes = sft_order(procs, n, order, pass_end);
    for (k = 0; rc == 0 && k < passes; k++) {
        size_t i = k ? pass_end[k - 1] : 0;
        rc = sft_token_new_pass(token);
        for (; rc == 0 && i < pass_end[k]; i++)
            rc = sft_token_add_known(token, procs[order[i]].pid, procs[order[i]].starttime, -1);
    }
    free(order);
    free(pass_end);
    return rc == 0 ? 0 : sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
}

/* Another tracer thread: it freezes its part, then holds its tracees
 * until it is released, detaches them and ends. */
enum { H_SEIZING, H_HOLDING, H_RELEASED };

struct sft_tracer_thread {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int state, rc;
    int policy;                   /* the creator's scheduling, which a */
    struct sched_param param;     /* new thread does not inherit (SCHED_RESET_ON_FORK) */
    cpu_set_t cpus;               /* the creator's CPUs: started on one of
                                     them, it is let run on any once its
                                     creator has done its own part       */
    struct tracer t;
    struct sft_rescan scans;
    struct sft_tracees tracees;
    struct sft_proclist unseized;
    struct sft_freeze_stats stats;
    struct sft_error err;
};

static void *helper_main(void *arg)
{
    struct sft_tracer_thread *h = arg;
    int rc;

    if ((h->policy & ~SCHED_RESET_ON_FORK) != SCHED_OTHER)
        sched_setscheduler(0, h->policy, &h->param);
    rc = sft_tracer_rounds(&h->t, &h->scans, 1);
    if (rc != 0)
        sft_tracer_quit(&h->t);
    pthread_mutex_lock(&h->lock);
    h->rc = rc;
    h->state = H_HOLDING;
    pthread_cond_broadcast(&h->cond);
    while (h->state != H_RELEASED)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
    {
        struct sft_boost b;
        sft_boost_begin(&b, 0);   /* as sft_ptrace_thaw */
        sft_tracer_detach(&h->tracees);
        sft_boost_end(&b);
    }
    return NULL;
}

static void helper_free(struct sft_tracer_thread *h)
{
    sft_tracer_free(&h->t);
    sft_rescan_free(&h->scans);
    sft_proclist_free(&h->unseized);
    sft_freeze_stats_free(&h->stats);
    sft_error_free(&h->err);
    free(h->tracees.tid);
    free(h->tracees.sig);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    free(h);
}

/* Starts a thread that freezes part of what main describes, or returns
 * NULL (no memory, no thread): the part is then left to main's sweep. */
static struct sft_tracer_thread *helper_start(const struct tracer *main_t, unsigned part, int cpu)
{
    struct sft_tracer_thread *h = calloc(1, sizeof *h);
    pthread_attr_t attr;
    int started;

    if (!h)
        return NULL;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    sft_proclist_init(&h->unseized);
    sft_error_init(&h->err);
    h->state = H_SEIZING;
    h->policy = sched_getscheduler(0);
    sched_getparam(0, &h->param);
    if (sched_getaffinity(0, sizeof h->cpus, &h->cpus) != 0)
        CPU_ZERO(&h->cpus);
    /* The tracer first: a failed init leaves it freed, safe to free again. */
    if (sft_tracer_init(&h->t, main_t, part, &h->tracees, &h->unseized, &h->stats, &h->err) != 0
        || sft_rescan_init(&h->scans) != 0) {
        helper_free(h);
        return NULL;
    }
    /* Its frames are a few path buffers deep. */
    started = pthread_attr_init(&attr) == 0;
    if (started) {
        pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
        if (cpu >= 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET((unsigned)cpu, &one);
            pthread_attr_setaffinity_np(&attr, sizeof one, &one);
        }
        started = pthread_create(&h->thread, &attr, helper_main, h) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started && cpu >= 0)   /* a CPU we may not use after all */
        started = pthread_create(&h->thread, NULL, helper_main, h) == 0;
    if (!started) {
        helper_free(h);
        return NULL;
    }
    return h;
}

/* Waits until h has frozen its part (or given up on it); returns its result. */
static int helper_wait(struct sft_tracer_thread *h)
{
    int rc;

    pthread_mutex_lock(&h->lock);
    while (h->state == H_SEIZING)
        pthread_cond_wait(&h->cond, &h->lock);
    rc = h->rc;
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/* Tells every helper to detach its tracees and end (one still seizing
 * first finishes its part). */
static void release_helpers(struct sft_tracees *t)
{
    size_t i;

    for (i = 0; i < t->nhelpers; i++) {
        struct sft_tracer_thread *h = t->helpers[i];
        (void)helper_wait(h);
        pthread_mutex_lock(&h->lock);
        h->state = H_RELEASED;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
    }
}

/* Releases every helper at once, then waits for them to end. */
static void end_helpers(struct sft_tracees *t)
{
    size_t i;

    release_helpers(t);
    for (i = 0; i < t->nhelpers; i++) {
        pthread_join(t->helpers[i]->thread, NULL);
        helper_free(t->helpers[i]);
    }
    free(t->helpers);
    t->helpers = NULL;
    t->nhelpers = 0;
}

static size_t held_in(const struct sft_tracees *t)
{
    size_t i, n = 0;

    for (i = 0; i < t->n; i++)
        n += t->tid[i] > 0;   /* 0: let go at once (stopped before) */
    return n;
}

size_t sft_tracees_count(const struct sft_tracees *t)
{
    size_t i, n = held_in(t);

    for (i = 0; i < t->nhelpers; i++)
        n += held_in(&t->helpers[i]->tracees);
    return n;
}

/* How many threads seize: o->tracers, or one per CPU this thread may run
 * on, up to SFT_PTRACE_AUTO_TRACERS. */
static unsigned tracer_count(const struct sft_freeze_opts *o)
{
    cpu_set_t cpus;
    long n;

    if (o->tracers > 0)
        return o->tracers < SFT_PTRACE_MAX_TRACERS ? (unsigned)o->tracers : SFT_PTRACE_MAX_TRACERS;
    n = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : sysconf(_SC_NPROCESSORS_ONLN);
    return n <= 1 ? 1 : n < SFT_PTRACE_AUTO_TRACERS ? (unsigned)n : SFT_PTRACE_AUTO_TRACERS;
}

/* Whether err only says that another tracer thread failed: the other's
 * error is the one to tell (a signal's has its number). */
static int echo_of_another(const struct sft_error *err)
{
    return err->code == SFT_E_INTERRUPTED && err->err == 0;
}

/* Starts a helper for each part above 0, each on a CPU of its own (a new
 * thread is queued on its creator's CPU, and waited there 1-4 ms while
 * this one scanned; once started it may run anywhere).  A helper that
 * cannot start leaves its part to the sweep; the last `unstarted` are
 * taken for such (tests only: t/51). */
static void start_helpers(struct tracer *t, unsigned parts, int unstarted)
{
    struct sft_tracees *tr = t->tracees;
    cpu_set_t cpus;
    int here = sched_getcpu(), cpu = -1;
    unsigned k;

    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        CPU_ZERO(&cpus);
    tr->helpers = calloc(parts - 1, sizeof(struct sft_tracer_thread *));
    for (k = 1; tr->helpers && k < parts; k++) {
        struct sft_tracer_thread *h;
        do
            cpu++;
        while (cpu < CPU_SETSIZE && (!CPU_ISSET((unsigned)cpu, &cpus) || cpu == here));
        h = (int)(parts - k) > unstarted ? helper_start(t, k, cpu < CPU_SETSIZE ? cpu : -1) : NULL;
        if (h)
            tr->helpers[tr->nhelpers++] = h;
    }
}

/* Waits for every helper and takes what it found into t.  rc is this
 * thread's result; returns the freeze's.  The failure that made the
 * others quit is the one told, with the processes every part blames. */
static int join_parts(struct tracer *t, int rc)
{
    size_t i;

    for (i = 0; i < t->tracees->nhelpers; i++) {
        struct sft_tracer_thread *h = t->tracees->helpers[i];
        /* Pinned, it could wait for ever behind a busy real-time process
         * on its CPU, and this thread with it. */
        if (CPU_COUNT(&h->cpus) > 0)
            pthread_setaffinity_np(h->thread, sizeof h->cpus, &h->cpus);
        if (helper_wait(h) != 0) {
            if (rc == 0 || (echo_of_another(t->err) && !echo_of_another(&h->err))) {
                struct sft_error theirs = h->err;
                sft_error_init(&h->err);
                sft_notes_append(&theirs.notes, &t->err->notes);
                sft_error_free(t->err);
                *t->err = theirs;
            } else {
                sft_notes_append(&t->err->notes, &h->err.notes);
            }
            rc = -1;
        }
        if (rc == 0)
            rc = sft_tracer_adopt(t, &h->t);
        /* its memory goes with it, after the thaw: not in the window */
    }
    return rc;
}

/* The parts of the freeze: helpers for the parts above 0, this thread for
 * part 0; then, once every part is held, this thread reads all of /proc
 * until nothing runs (a part whose helper could not start is left to that
 * sweep). */
static int freeze_parts(struct tracer *t, struct sft_rescan *scans, const struct sft_freeze_opts *o)
{
    t->parts = tracer_count(o);
    if (t->parts > 1) {
        int rc;
        start_helpers(t, t->parts, o->unstarted_helpers);
        __atomic_store_n(&t->sync->parts, 1 + (int)t->tracees->nhelpers, __ATOMIC_RELEASE);
        rc = sft_tracer_rounds(t, scans, 1);
        if (rc != 0)
            sft_tracer_quit(t);
        if (join_parts(t, rc) != 0)
            return -1;
        t->parts = 1;
    }
    return sft_tracer_rounds(t, scans, 0);
}

int sft_ptrace_freeze(const struct sft_freeze_opts *o, struct sft_token *token,
                      struct sft_tracees *tracees, struct sft_proclist *unseized,
                      struct sft_freeze_stats *stats, struct sft_error *err)
{
    struct tracer t, like;
    struct sft_tracer_sync sync = { 0, 0 };
    struct sft_pidset skip;
    struct sft_rescan scans;
    struct sft_boost boost;
    double start = sft_now();
    int quit = 0, rc;
    size_t i;

    memset(stats, 0, sizeof *stats);
    memset(&like, 0, sizeof like);
    like.procdir = o->procdir ? o->procdir : "/proc";
    like.partial_ok = o->partial_ok;
    like.abort_on = o->abort_on;
    like.deadline = start + o->timeout;
    like.quit = &quit;
    like.sync = &sync;
    like.skip = &skip;
    if (sft_pidset_init(&skip) != 0)
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    if (sft_rescan_init(&scans) != 0 || sft_tracer_init(&t, &like, 0, tracees, unseized, stats, err) != 0) {
        sft_rescan_free(&scans);
        sft_pidset_free(&skip);
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }
    sft_pidset_add(&skip, 1);
    sft_pidset_add(&skip, getpid());
    for (i = 0; i < o->nexclude; i++)
        sft_pidset_add(&skip, o->exclude[i]);

    sft_boost_begin_at(&boost, o->load);
    stats->realtime = (sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO;
    rc = sft_proc_is_ours(t.procdir, err) != 0 || sft_proc_shows_all(t.procdir, err) != 0
         ? -1 : freeze_parts(&t, &scans, o);
    /* The token: every process seized, parents first. */
    if (rc == 0)
        rc = add_passes(token, t.got.v, t.got.n, err);
    sft_boost_end(&boost);
    if (rc != 0) {
        sft_ptrace_thaw(tracees);
        sft_token_free(token);
    }
    stats->processes = token->npids;
    stats->passes = token->npasses;
    stats->threads = sft_tracees_count(tracees);
    stats->seconds = sft_now() - start;
    sft_tracer_free(&t);
    sft_rescan_free(&scans);
    sft_pidset_free(&skip);
    return rc;
}

void sft_ptrace_thaw(struct sft_tracees *tracees)
{
    struct sft_boost boost;

    sft_boost_begin(&boost, 0);   /* as in sft_thaw: see sft_boost.h */
    release_helpers(tracees);     /* they detach theirs meanwhile */
    sft_tracer_detach(tracees);
    end_helpers(tracees);
    sft_boost_end(&boost);
}
