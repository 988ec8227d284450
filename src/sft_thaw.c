/* sft_thaw.c - SIGCONT in reverse pass order, to the processes stopped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_thaw.h"
#include "sft_boost.h"
#include "sft_fds.h"
#include "sft_pidfd.h"
#include "sft_pidset.h"
#include "sft_procstat.h"
#include "sft_spread.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>

/* Whether the process under pid is still the one the token stopped.  When
 * /proc cannot tell (no descriptor left: the caller may have used them all
 * while frozen), it is taken as ours: a process left stopped for good is
 * the greater harm than a SIGCONT to a newcomer under its pid. */
static int still_ours(const struct sft_token *t, size_t i, const char *procdir)
{
    char path[256];
    struct sft_stat st;

    snprintf(path, sizeof path, "%s/%ld/stat", procdir, (long)t->pids[i]);
    if (sft_stat_read(path, &st) != 0)
        return errno != ENOENT && errno != ESRCH;
    if (t->starttimes)
        return st.starttime == t->starttimes[i];
    return st.state == 'T' || st.state == 't';
}

struct thawing {
    const struct sft_token *token;
    const char *procdir;
    int *closing;      /* the token's pidfds, to close once used; or NULL */
};

/* Continues the processes at indices i..j-1 of the token (and closes
 * their pidfds, if asked): how many SIGCONTs went. */
static size_t continue_chunk(void *arg, size_t i, size_t j)
{
    const struct thawing *th = arg;
    const struct sft_token *t = th->token;
    size_t k, sent = 0;

    for (k = i; k < j; k++) {
        if (t->pidfds && t->pidfds[k] >= 0)
            sent += sft_pidfd_signal(t->pidfds[k], SIGCONT) == 0;
        else if (still_ours(t, k, th->procdir))
            sent += kill(t->pids[k], SIGCONT) == 0;
    }
    if (th->closing)
        sft_close_fds(th->closing + i, j - i);
    return sent;
}

static int thaw(const struct sft_token *t, int *closing, const char *procdir,
                size_t *continued, struct sft_error *err)
{
    struct thawing th;
    size_t i, k, sent = 0;

    if (!procdir)
        procdir = "/proc";
    for (i = 0; i < t->npids; i++)
        if (!sft_pid_valid(t->pids[i]))
            return sft_error_set(err, SFT_E_BADPID, 0, "pid outside 2..4194304 in token");

    /* Each SIGCONT wakes a process that may preempt the thawing thread,
     * which then waits its turn among everything it woke: 1000 busy
     * processes on 2 cores made a thaw last a second and more. */
    struct sft_boost boost;
    sft_boost_begin(&boost, 0);

    th.token = t;
    th.procdir = procdir;
    th.closing = closing;
    /* A pass is done when sft_spread returns: its parents' pass comes after. */
    for (k = t->npasses; k-- > 0;)
        sent += sft_spread(sft_token_pass_start(t, k), t->pass_end[k], SFT_SPREAD_MIN_SIGNALS,
                           continue_chunk, &th);
    sft_boost_end(&boost);
    if (continued)
        *continued = sent;
    return 0;
}

int sft_thaw(const struct sft_token *t, const char *procdir, size_t *continued,
             struct sft_error *err)
{
    return thaw(t, NULL, procdir, continued, err);
}

int sft_thaw_closing(struct sft_token *t, const char *procdir, size_t *continued,
                     struct sft_error *err)
{
    return thaw(t, t->pidfds, procdir, continued, err);
}
