/* sft_window.c - see sft_window.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_window.h"
#include "sft_boost.h"
#include "sft_lock.h"
#include "sft_thaw.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static const int job_signals[3] = { SIGTSTP, SIGTTIN, SIGTTOU };
static const int abort_signals[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2 };

static void restore_job_signals(struct sft_window *w)
{
    int i;

    for (i = 0; i < 3; i++)
        sigaction(job_signals[i], &w->saved_job[i], NULL);
}

int sft_window_freeze(struct sft_window *w, const struct sft_window *open, struct sft_freeze_opts *o,
                      double max_frozen, int use_ptrace, struct sft_freeze_stats *stats,
                      struct sft_error *err)
{
    struct sigaction ignore;
    struct sft_boost boost;
    sigset_t abort_set, old_mask;
    size_t i;
    int rc;

    memset(stats, 0, sizeof *stats);
    w->owner = getpid();
    sft_token_init(&w->token);
    /* Through the lock, a freeze inside the caller's own window waited 2 s
     * (as for its last guard on its way out), the machine frozen. */
    if (open && open->owner == w->owner && !open->thawed) {
        w->thawed = 1;
        sft_error_note(err, w->owner, NULL, 0, 0, 0);
        sft_error_note(err, open->guard.pid, NULL, 0, 0, 0);
        return sft_error_set(err, SFT_E_LOCKED, EAGAIN, SFT_LOCK_HELD);
    }

    /* The freezer must not be stopped itself while others are frozen:
     * job-control stops are ignored until thaw. */
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    for (i = 0; i < 3; i++)
        sigaction(job_signals[i], &ignore, &w->saved_job[i]);

    /* From here to the last stop the caller runs at real-time priority
     * where allowed and useful (see sft_boost.h): at normal priority, on a
     * machine full of busy processes, each of its turns came hundreds of
     * milliseconds apart. */
    o->load = sft_load_now();   /* before the guard, whose start is not load */
    sft_boost_begin_at(&boost, o->load);
    w->crowded = boost.active;

    /* Signals that would end the caller are held while the freeze runs
     * (with ptrace it starts with the guard); the method ends the freeze
     * when one is pending, continues everything, and the signal is
     * delivered once unblocked below. */
    sigemptyset(&abort_set);
    for (i = 0; i < sizeof abort_signals / sizeof abort_signals[0]; i++)
        sigaddset(&abort_set, abort_signals[i]);
    pthread_sigmask(SIG_BLOCK, &abort_set, &old_mask);
    /* With signals, the freeze reads /proc while the guard starts, and
     * waits for it before its first stop (1000 processes: the guard's
     * 1.2 ms start hidden behind the 1.1 ms listing of /proc).  With
     * ptrace, the guard is the freezer. */
    if ((use_ptrace ? sft_guard_start(&w->guard, max_frozen, NULL, o->guard_program, o, err)
                    : sft_guard_launch(&w->guard, max_frozen, NULL, o->guard_program, NULL, err)) != 0) {
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        sft_boost_end(&boost);
        o->load = SFT_LOAD_LOOK;
        restore_job_signals(w);
        w->thawed = 1;
        return -1;
    }

    o->guard = &w->guard;
    o->abort_on = &abort_set;
    rc = use_ptrace
        ? sft_guard_ptrace_freeze(&w->guard, o, &w->token, stats, w->fallback, &w->nfallback, err)
        : sft_freeze(o, &w->token, stats, err);
    /* A freeze that stopped nothing never waited for its guard: the window
     * holds the lock all the same (the token is empty if this fails). */
    if (rc == 0 && !use_ptrace)
        rc = sft_guard_arm(&w->guard, err);
    o->guard = NULL;
    o->abort_on = NULL;
    o->load = SFT_LOAD_LOOK;
    sft_boost_end(&boost);
    if (rc != 0) {
        /* The method continued everything it stopped. */
        w->thawed = 1;
        sft_guard_release(&w->guard);
        restore_job_signals(w);
        sft_token_free(&w->token);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return rc;
}

int sft_window_thaw(struct sft_window *w)
{
    struct sft_error err;
    struct sft_boost boost;
    int cut, killed = 0;

    if (w->thawed)
        return 1;
    w->thawed = 1;
    if (getpid() != w->owner) {
        /* A copy inherited through fork(): the window, the guard and its
         * shared record belong to the process that froze.  A child that
         * exits must not end its parent's window. */
        return 1;
    }
    /* At normal priority the caller waited up to a second, behind every
     * busy process it woke, for the guard's reply or the end of its own
     * SIGCONT loop; and as long again when it went back to it after. */
    sft_boost_begin(&boost, w->crowded ? SFT_BOOST_SHORT_RETURN : 0);
    cut = sft_guard_begin_thaw(&w->guard);
    sft_error_init(&err);
    if (!cut && sft_guard_is_tracer(&w->guard))
        killed = sft_guard_ptrace_thaw(&w->guard) != 0;   /* the guard holds them */
    else if (!cut)
        (void)sft_thaw_closing(&w->token, NULL, NULL, &err);   /* pids checked at freeze */
    sft_error_free(&err);
    sft_guard_release(&w->guard);
    sft_token_close_pidfds(&w->token);
    /* Only after a crowded freeze is there a crowd to look at. */
    sft_boost_end_among(&boost, w->token.pids, w->crowded ? w->token.npids : 0);
    restore_job_signals(w);
    return cut ? 0 : killed ? 2 : 1;
}

void sft_window_free(struct sft_window *w)
{
    sft_window_thaw(w);   /* a window dropped unthawed must not leave a frozen machine */
    if (getpid() != w->owner) {
        /* fork()ed copy: close our copies of the descriptors, touch nothing shared */
        sft_token_close_pidfds(&w->token);
        if (w->guard.release_fd >= 0) {
            close(w->guard.release_fd);
            close(w->guard.cmd_fd);
            close(w->guard.reply_fd);
        }
        if (w->guard.record_fd >= 0)
            close(w->guard.record_fd);
    }
    sft_token_free(&w->token);
}
